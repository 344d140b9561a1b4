"""Python data-flow conformance table (grammars/python/*.scm)."""

from __future__ import annotations

from tests.graphs.dataflow_cases.case import Case

CASES: list[Case] = [
    # ------------------------------------------------------------ straight line, computed_from
    Case(
        name="straight_line_kill",
        code="""
            x = 1
            x = 2
            y = x
        """,
        last_write=[("x@3", "x@2")],
        not_last_write=[("x@3", "x@1")],
        computed_from=[("y@3", "x@3")],
        exact_last_write=True,
    ),
    Case(
        name="computed_from_all_reads",
        code="""
            a = 1
            b = 2
            c = a * b + a
        """,
        computed_from=[("c@3", "a@3#1"), ("c@3", "b@3"), ("c@3", "a@3#2")],
        last_read=[("a@3#2", "a@3#1")],
        last_write=[("a@3#1", "a@1"), ("b@3", "b@2")],
    ),
    Case(
        name="parameters_are_definitions",
        code="""
            def f(a, b=1, *args, **kw):
                return a + b + len(args) + len(kw)
        """,
        last_write=[("a@2", "a@1"), ("b@2", "b@1"), ("args@2", "args@1"), ("kw@2", "kw@1")],
    ),
    Case(
        name="self_read_before_write",
        code="""
            x = 1
            x = x + 1
        """,
        last_write=[("x@2#2", "x@1")],
        computed_from=[("x@2#1", "x@2#2")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ branches
    Case(
        name="if_else_both_reach",
        code="""
            if c:
                x = 1
            else:
                x = 2
            print(x)
        """,
        last_write=[("x@5", "x@2"), ("x@5", "x@4")],
        exact_last_write=True,
    ),
    Case(
        name="if_without_else_keeps_before",
        code="""
            x = 0
            if c:
                x = 1
            print(x)
        """,
        last_write=[("x@4", "x@1"), ("x@4", "x@3")],
        exact_last_write=True,
    ),
    Case(
        name="elif_chain_exhaustive",
        code="""
            x = 0
            if a:
                x = 1
            elif b:
                x = 2
            else:
                x = 3
            print(x)
        """,
        last_write=[("x@8", "x@3"), ("x@8", "x@5"), ("x@8", "x@7")],
        not_last_write=[("x@8", "x@1")],
        exact_last_write=True,
    ),
    Case(
        name="elif_chain_without_else",
        code="""
            x = 0
            if a:
                x = 1
            elif b:
                x = 2
            print(x)
        """,
        last_write=[("x@6", "x@1"), ("x@6", "x@3"), ("x@6", "x@5")],
        exact_last_write=True,
    ),
    Case(
        name="condition_runs_before_arms",
        code="""
            x = 0
            if x > 0:
                x = 1
            else:
                y = x
        """,
        last_write=[("x@2", "x@1"), ("x@5", "x@1")],
        not_last_write=[("x@5", "x@3")],
        last_read=[("x@5", "x@2")],
        exact_last_write=True,
    ),
    Case(
        name="conditional_expression",
        code="""
            x = 1
            y = (x := 2) if c else x
            print(x)
        """,
        last_write=[("x@2#2", "x@1"), ("x@3", "x@1"), ("x@3", "x@2#1")],
        not_last_write=[("x@2#2", "x@2#1")],
        computed_from=[("y@2", "c@2"), ("y@2", "x@2#2")],
        exact_last_write=True,
    ),
    Case(
        name="short_circuit_right_operand_may_not_run",
        code="""
            x = 1
            ok = c and (x := 2)
            print(x)
        """,
        last_write=[("x@3", "x@1"), ("x@3", "x@2")],
        exact_last_write=True,
    ),
    Case(
        name="match_statement",
        code="""
            x = 0
            match v:
                case 1:
                    x = 1
                case [a, b]:
                    x = a + b
            print(x)
        """,
        last_write=[("x@7", "x@1"), ("x@7", "x@4"), ("x@7", "x@6"), ("a@6", "a@5"), ("b@6", "b@5")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ loops
    Case(
        name="while_loop_carried",
        code="""
            x = 0
            while x < 10:
                y = x
                x = y + 1
            print(x)
        """,
        last_write=[("x@2", "x@1"), ("x@2", "x@4"), ("x@3", "x@1"), ("x@3", "x@4"), ("x@5", "x@1"), ("x@5", "x@4")],
        computed_from=[("x@4", "y@4"), ("y@3", "x@3")],
        exact_last_write=True,
    ),
    Case(
        name="for_loop_zero_iterations",
        code="""
            total = 0
            for v in items:
                total = total + v
            print(total)
        """,
        last_write=[("total@3#2", "total@1"), ("total@3#2", "total@3#1"), ("v@3", "v@2"),
                    ("total@4", "total@1"), ("total@4", "total@3#1")],
        computed_from=[("v@2", "items@2"), ("total@3#1", "total@3#2"), ("total@3#1", "v@3")],
        exact_last_write=True,
    ),
    Case(
        name="for_iterable_evaluated_once",
        code="""
            xs = [1]
            for x in xs:
                xs = [2]
        """,
        last_write=[("xs@2", "xs@1")],
        not_last_write=[("xs@2", "xs@3")],
        exact_last_write=True,
    ),
    Case(
        name="break_reaches_after_loop",
        code="""
            x = 0
            while True:
                x = 1
                if c:
                    x = 2
                    break
                x = 3
            print(x)
        """,
        # x = 1 is always overwritten (by x = 2 before break, or by x = 3)
        last_write=[("x@8", "x@1"), ("x@8", "x@5"), ("x@8", "x@7")],
        not_last_write=[("x@8", "x@3")],
        exact_last_write=True,
    ),
    Case(
        name="continue_goes_to_head",
        code="""
            x = 0
            for i in r:
                print(x)
                if c:
                    x = 1
                    continue
                x = 2
        """,
        last_write=[("x@3", "x@1"), ("x@3", "x@5"), ("x@3", "x@7")],
        exact_last_write=True,
    ),
    Case(
        name="return_in_branch_does_not_reach_after",
        code="""
            def f(c):
                x = 1
                if c:
                    x = 2
                    return x
                return x
        """,
        last_write=[("x@5", "x@4"), ("x@6", "x@2")],
        not_last_write=[("x@6", "x@4")],
        exact_last_write=True,
    ),
    Case(
        name="raise_ends_path",
        code="""
            def f(c):
                x = 1
                if c:
                    x = 2
                    raise ValueError(x)
                return x
        """,
        last_write=[("x@6", "x@2")],
        not_last_write=[("x@6", "x@4")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ exceptions
    Case(
        name="try_except_finally",
        code="""
            x = 0
            try:
                if c:
                    pass
                x = f()
            except E as e:
                print(x, e)
                x = 2
            finally:
                print(x)
        """,
        # the finally also runs when f() raises something other than E: then x is still 0
        last_write=[("x@7", "x@1"), ("x@7", "x@5"), ("e@7", "e@6"),
                    ("x@10", "x@1"), ("x@10", "x@5"), ("x@10", "x@8")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ scopes, closures
    Case(
        name="local_shadows_global",
        code="""
            x = 1
            def f():
                x = 2
                return x
            print(x)
        """,
        last_write=[("x@4", "x@3"), ("x@5", "x@1")],
        not_last_write=[("x@4", "x@1"), ("x@5", "x@3")],
        exact_last_write=True,
    ),
    Case(
        name="python_scope_binding_unbound_local",
        code="""
            x = 1
            def f():
                print(x)
                x = 2
        """,
        not_last_write=[("x@3", "x@1")],
    ),
    Case(
        name="closure_reads_any_outer_definition",
        code="""
            def outer():
                x = 1
                def inner():
                    return x
                x = 2
                return inner
        """,
        last_write=[("x@4", "x@2"), ("x@4", "x@5"), ("inner@6", "inner@3")],
        exact_last_write=True,
    ),
    Case(
        name="global_statement",
        code="""
            x = 1
            def f():
                global x
                x = 2
                return x
            def g():
                return x
        """,
        last_write=[("x@5", "x@4"), ("x@7", "x@1"), ("x@7", "x@4")],
        exact_last_write=True,
    ),
    Case(
        name="nonlocal_statement",
        code="""
            def outer():
                n = 0
                def inc():
                    nonlocal n
                    n += 1
                inc()
                return n
        """,
        last_write=[("n@5", "n@2"), ("n@7", "n@2")],
    ),
    Case(
        name="nonlocal_writes_are_seen_after_the_function_is_defined",
        code="""
            def outer():
                n = 0
                print(n)
                def inc():
                    nonlocal n
                    n += 1
                inc()
                return n
        """,
        last_write=[("n@3", "n@2"), ("n@8", "n@2"), ("n@8", "n@6")],
        not_last_write=[("n@3", "n@6")],
        exact_last_write=True,
    ),
    Case(
        name="global_writes_are_seen_after_the_function_is_defined",
        code="""
            count = 0
            print(count)
            def bump():
                global count
                count = count + 1
            bump()
            print(count)
        """,
        last_write=[("count@2", "count@1"), ("count@7", "count@1"), ("count@7", "count@5#1")],
        not_last_write=[("count@2", "count@5#1")],
        exact_last_write=True,
    ),
    Case(
        name="class_body_hidden_from_methods",
        code="""
            v = 0
            class A:
                v = 1
                w = v
                def m(self):
                    return v
        """,
        last_write=[("v@4", "v@3"), ("v@6", "v@1")],
        not_last_write=[("v@6", "v@3")],
        exact_last_write=True,
    ),
    Case(
        name="class_body_falls_back_to_the_global_until_bound",
        code="""
            codec = 1
            class C:
                codec = codec
                use(codec)
        """,
        last_write=[("codec@3#2", "codec@1"), ("codec@4", "codec@3#1")],
        not_last_write=[("codec@3#2", "codec@3#1"), ("codec@4", "codec@1")],
        exact_last_write=True,
    ),
    Case(
        name="class_body_read_before_and_after_its_assignment",
        code="""
            x = 1
            class C:
                y = x
                x = 2
                z = x
                if cond:
                    x = 3
                w = x
                del x
                v = x
        """,
        # `w = x`: the class's x on every path (line 4's or 7's); `v = x` after `del x`: the global again
        last_write=[("x@3", "x@1"), ("x@5", "x@4"), ("x@8", "x@4"), ("x@8", "x@7"), ("x@10", "x@1")],
        not_last_write=[("x@5", "x@1"), ("x@8", "x@1"), ("x@3", "x@4")],
        exact_last_write=True,
    ),
    Case(
        name="class_body_in_a_function_falls_back_to_the_global",
        code="""
            w = 0
            def f():
                w = 1
                class E:
                    w = w
                    class F:
                        w = w
                return E
        """,
        # a class body's own name not yet bound is looked up in the module (CPython's LOAD_NAME), not in f
        last_write=[("w@5#2", "w@1"), ("w@7#2", "w@1")],
        not_last_write=[("w@5#2", "w@3"), ("w@7#2", "w@5#1"), ("w@7#2", "w@3")],
        exact_last_write=True,
    ),
    Case(
        name="lambda_parameter_shadows",
        code="""
            x = 1
            apply(lambda x: x + 1)
            print(x)
        """,
        last_write=[("x@2#2", "x@2#1"), ("x@3", "x@1")],
        not_last_write=[("x@2#2", "x@1")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ comprehensions
    Case(
        name="comprehension_has_own_scope",
        code="""
            y = 5
            print([y * 2 for y in range(n)])
            print(y)
        """,
        last_write=[("y@2#1", "y@2#2"), ("y@3", "y@1")],
        not_last_write=[("y@2#1", "y@1"), ("y@3", "y@2#2")],
        exact_last_write=True,
    ),
    Case(
        name="comprehension_filter",
        code="""
            use([v for v in items if v > 0])
        """,
        last_write=[("v@1#1", "v@1#2"), ("v@1#3", "v@1#2")],
    ),
    # ------------------------------------------------------------ assignments
    Case(
        name="augmented_assignment",
        code="""
            x = 1
            y = 2
            x += y
            print(x)
        """,
        last_write=[("x@3", "x@1"), ("y@3", "y@2"), ("x@4", "x@3")],
        not_last_write=[("x@4", "x@1")],
        computed_from=[("x@3", "y@3")],
        exact_last_write=True,
    ),
    Case(
        name="tuple_swap",
        code="""
            a, b = 1, 2
            a, b = b, a
            print(a, b)
        """,
        last_write=[("b@2#2", "b@1"), ("a@2#2", "a@1"), ("a@3", "a@2#1"), ("b@3", "b@2#1")],
        not_last_write=[("a@2#2", "a@2#1"), ("b@2#2", "b@2#1")],
        computed_from=[("a@2#1", "b@2#2"), ("b@2#1", "a@2#2")],
        exact_last_write=True,
    ),
    Case(
        name="nested_unpacking_in_for",
        code="""
            for i, (k, v) in enumerate(d):
                print(i, k, v)
        """,
        last_write=[("i@2", "i@1"), ("k@2", "k@1"), ("v@2", "v@1")],
        computed_from=[("k@1", "d@1"), ("v@1", "d@1")],
    ),
    Case(
        name="with_as_target",
        code="""
            with open(p) as fh:
                data = fh.read()
        """,
        last_write=[("fh@2", "fh@1")],
        computed_from=[("fh@1", "p@1"), ("data@2", "fh@2")],
    ),
    # ------------------------------------------------------------ attributes
    Case(
        name="attribute_reads_base_only",
        code="""
            obj = make()
            attr = 1
            y = obj.attr
            obj.attr = y
        """,
        last_write=[("obj@3", "obj@1"), ("obj@4", "obj@1"), ("y@4", "y@3")],
        not_last_write=[("attr@3", "attr@2")],
        computed_from=[("y@3", "obj@3")],
        not_computed_from=[("y@3", "attr@3")],
        last_read=[("obj@4", "obj@3")],
        exact_last_write=True,
    ),
    Case(
        name="keyword_argument_name_is_not_a_variable",
        code="""
            key = 1
            f(key=key)
        """,
        last_write=[("key@2#2", "key@1")],
        not_last_write=[("key@2#1", "key@1")],
    ),
    Case(
        name="import_binds_name",
        code="""
            import os.path
            from m import a as b
            print(os.sep, b)
        """,
        last_write=[("os@3", "os@1"), ("b@3", "b@2")],
        exact_last_write=True,
    ),
    # Regressions: each of these once failed in the engine.
    Case(
        name="handler_sees_state_before_and_inside_try",
        code="""
            x = 0
            try:
                x = f()
                x = g(x)
            except ValueError:
                print(x)
        """,
        last_write=[("x@6", "x@1"), ("x@6", "x@3"), ("x@6", "x@4#1")],
        exact_last_write=True,
    ),
    Case(
        name="lambda_in_assignment_keeps_its_parameters",
        code="""
            f = lambda x: x + 1
        """,
        last_write=[("x@1#2", "x@1#1")],
        computed_from=[("f@1", "x@1#2")],
    ),
    Case(
        name="comprehension_in_assignment_keeps_its_targets",
        code="""
            ys = [1, 2]
            xs = [y * 2 for y in ys]
        """,
        last_write=[("y@2#1", "y@2#2"), ("ys@2", "ys@1")],
        computed_from=[("xs@2", "ys@2")],
    ),
    Case(
        name="comment_mentioning_captures_changes_nothing",
        code="""
            a = 1  # @flow.assign @local.reference
            b = a
        """,
        last_write=[("a@2", "a@1")],
        computed_from=[("b@2", "a@2")],
    ),
    # ------------------------------------------------------------ finally always runs
    Case(
        name="finally_after_return_in_try",
        code="""
            def f():
                x = 1
                try:
                    x = 2
                    return x
                finally:
                    print(x)
                use(x)
        """,
        # the finally runs on the way out of the return (x = 2), or after an exception before it (x = 1);
        # the try always returns, so nothing reaches the code after it
        last_write=[("x@5", "x@4"), ("x@7", "x@2"), ("x@7", "x@4")],
        not_last_write=[("x@8", "x@2"), ("x@8", "x@4")],
        exact_last_write=True,
    ),
    Case(
        name="finally_without_except_sees_exceptions",
        code="""
            x = 0
            try:
                x = f()
                x = g(x)
            finally:
                print(x)
            print(x)
        """,
        # an exception after any statement of the body runs the finally, then goes on up: only the
        # fall-through reaches the last line
        last_write=[("x@4#2", "x@3"), ("x@6", "x@1"), ("x@6", "x@3"), ("x@6", "x@4#1"), ("x@7", "x@4#1")],
        exact_last_write=True,
    ),
    Case(
        name="finally_after_break_in_loop",
        code="""
            for item in items:
                n = 0
                try:
                    n = size(item)
                    if n:
                        break
                finally:
                    log(n)
            print(n)
        """,
        last_write=[("item@4", "item@1"), ("n@5", "n@4"), ("n@8", "n@2"), ("n@8", "n@4"), ("n@9", "n@4")],
        exact_last_write=False,
    ),
    # ------------------------------------------------------------ evaluated outside their scope
    Case(
        name="default_value_reads_the_enclosing_scope",
        code="""
            key = 1
            def h(key=key):
                return key
        """,
        last_write=[("key@2#2", "key@1"), ("key@3", "key@2#1")],
        not_last_write=[("key@2#2", "key@2#1")],
        exact_last_write=True,
    ),
    Case(
        name="lambda_default_reads_the_enclosing_scope",
        code="""
            x = 0
            f = lambda x=x: x
        """,
        last_write=[("x@2#2", "x@1"), ("x@2#3", "x@2#1")],
        exact_last_write=True,
    ),
    Case(
        name="method_default_reads_the_class_body",
        code="""
            class A:
                size = 4
                def grow(self, n=size) -> int:
                    return n
        """,
        last_write=[("size@3", "size@2"), ("n@4", "n@3")],
        exact_last_write=True,
    ),
    Case(
        name="annotation_reads_the_enclosing_scope",
        code="""
            T = int
            def f(x: T, y: T = 0) -> T:
                T = str
                return T
        """,
        last_write=[("T@2#1", "T@1"), ("T@2#2", "T@1"), ("T@2#3", "T@1"), ("T@4", "T@3")],
        exact_last_write=True,
    ),
    Case(
        name="comprehension_first_iterable_in_class_body",
        code="""
            class B:
                names = ["a", "b"]
                upper = [n.upper() for n in names]
                pairs = [(n, m) for n in names for m in names]
        """,
        # the first iterable is evaluated in the class body; a later one inside the comprehension,
        # which cannot see the class's names
        last_write=[("names@3", "names@2"), ("n@3#1", "n@3#2"), ("names@4#1", "names@2")],
        not_last_write=[("names@4#2", "names@2")],
    ),
    Case(
        name="walrus_in_comprehension_binds_in_the_function",
        code="""
            def f(xs):
                if any((hit := x) > 0 for x in xs):
                    return hit
                return None
        """,
        last_write=[("hit@3", "hit@2"), ("xs@2", "xs@1"), ("x@2#1", "x@2#2")],
        exact_last_write=True,
    ),
    Case(
        name="definition_alone_in_an_arm",
        code="""
            def f(c):
                if c:
                    h = 2
                elif c > 1:
                    def h(a):
                        pass
                else:
                    raise TypeError()
                use(h)
        """,
        # the arm's block is exactly the function definition: the name is bound in the arm, in f's flow
        last_write=[("h@9", "h@3"), ("h@9", "h@5"), ("c@2", "c@1"), ("c@4", "c@1")],
        exact_last_write=True,
    ),
    Case(
        name="augmented_update_in_a_loop",
        code="""
            total = 0
            for v in values:
                total += v
            print(total)
        """,
        # each iteration reads the previous one's write, and the new total is computed from the old
        last_write=[("total@3", "total@1"), ("total@3", "total@3"), ("v@3", "v@2"),
                    ("total@4", "total@1"), ("total@4", "total@3")],
        computed_from=[("total@3", "v@3"), ("total@3", "total@3")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ unbinding
    Case(
        name="del_unbinds",
        code="""
            x = 1
            del x
            y = x
        """,
        last_write=[("x@2", "x@1")],
        not_last_write=[("x@3", "x@1")],
        exact_last_write=True,
    ),
    Case(
        name="del_on_one_path",
        code="""
            x = 1
            if c:
                del x
            y = x
        """,
        last_write=[("x@4", "x@1")],
        exact_last_write=True,
    ),
    Case(
        name="except_as_name_is_unbound_after_its_handler",
        code="""
            def f():
                e = 0
                try:
                    g()
                except ValueError as e:
                    print(e)
                return e
        """,
        last_write=[("e@6", "e@5"), ("e@7", "e@2")],
        not_last_write=[("e@7", "e@5")],
        exact_last_write=True,
    ),
]
