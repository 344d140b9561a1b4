"""Python control-flow conformance table (grammars/python/dataflow.scm, ``@flow.statement``)."""

from __future__ import annotations

from tests.graphs.cfg_cases.case import CfgCase

CASES: list[CfgCase] = [
    # an if/elif/else chain: tests labelled true and false, arms join
    CfgCase(
        name="if_elif_else",
        code="""
            def f(x):
                if x > 0:
                    y = 1
                elif x < 0:
                    y = 2
                else:
                    y = 3
                return y
        """,
        edges="""
            1>2 entry
            1>root exit
            2>3 true
            2>4 false
            3>8 next
            4>5 true
            4>7 false
            5>8 next
            7>8 next
            8>1 exit
            root>1 entry
        """,
    ),
    # a for loop's continue goes back, break skips the loop's else
    CfgCase(
        name="for_break_continue_else",
        code="""
            def f(xs):
                for x in xs:
                    if x is None:
                        continue
                    if x < 0:
                        break
                    use(x)
                else:
                    done()
                return 0
        """,
        edges="""
            1>2 entry
            1>root exit
            10>1 exit
            2>3 true
            2>9 false
            3>4 true
            3>5 false
            4>2 back
            5>6 true
            5>7 false
            6>10 next
            7>2 back
            9>10 next
            root>1 entry
        """,
    ),
    # a while loop's else runs once its test fails
    CfgCase(
        name="while_else",
        code="""
            def f(n):
                while n > 0:
                    n -= 1
                else:
                    n = 5
                return n
        """,
        edges="""
            1>2 entry
            1>root exit
            2>3 true
            2>5 false
            3>2 back
            5>6 next
            6>1 exit
            root>1 entry
        """,
    ),
    # handlers tried in order, else before finally, every way out through the finally
    CfgCase(
        name="try_except_else_finally",
        code="""
            def f(path):
                try:
                    fh = open(path)
                    data = fh.read()
                except OSError:
                    return None
                except ValueError as err:
                    raise RuntimeError(err)
                else:
                    log(data)
                finally:
                    cleanup()
                return data
        """,
        edges="""
            1>2 entry
            1>root exit
            10>12 next
            10>12 raise
            12>1 exit
            12>13 next
            13>1 exit
            2>3 next
            3>12 raise
            3>4 next
            3>5 raise
            4>10 next
            4>12 raise
            4>5 raise
            5>12 raise
            5>6 next
            5>7 false
            6>12 next
            6>12 raise
            7>12 raise
            7>8 next
            8>12 next
            8>12 raise
            root>1 entry
        """,
    ),
    # a match enters its cases unlabelled; each case may fall to the next
    CfgCase(
        name="match_cases",
        code="""
            def f(cmd):
                match cmd:
                    case "go":
                        move()
                    case _:
                        stop()
                return cmd
        """,
        edges="""
            1>2 entry
            1>root exit
            2>3 next
            3>4 next
            3>5 next
            4>7 next
            5>6 next
            5>7 next
            6>7 next
            7>1 exit
            root>1 entry
        """,
    ),
    # a yield is an ordinary statement; the file has its own entry and exit
    CfgCase(
        name="generator_and_module",
        code="""
            def gen(xs):
                for x in xs:
                    yield x
                return
            x = 1
            print(gen([x]))
        """,
        edges="""
            1>2 entry
            1>5 next
            2>3 true
            2>4 false
            3>2 back
            4>1 exit
            5>6 next
            6>root exit
            root>1 entry
        """,
    ),
    # a return exits at once; a nested def is a statement and its own entry and exit
    CfgCase(
        name="early_return_with_nested_def",
        code="""
            def f(a):
                with open(a) as fh:
                    if not fh:
                        return 0
                    text = fh.read()
                def g():
                    return text
                return g()
        """,
        edges="""
            1>2 entry
            1>root exit
            2>3 next
            3>4 true
            3>5 false
            4>1 exit
            5>6 next
            6>7 entry
            6>8 next
            7>6 exit
            8>1 exit
            root>1 entry
        """,
    ),
    # a return in a try runs the finally, then the function exits
    CfgCase(
        name="return_through_finally",
        code="""
            def f(x):
                try:
                    return g(x)
                finally:
                    x = 0
        """,
        edges="""
            1>2 entry
            1>root exit
            2>3 next
            3>5 next
            3>5 raise
            5>1 exit
            root>1 entry
        """,
    ),
]
