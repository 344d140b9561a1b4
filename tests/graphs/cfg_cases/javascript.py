"""JavaScript control-flow conformance table (grammars/javascript/dataflow.scm); TypeScript and TSX run it too."""

from __future__ import annotations

from tests.graphs.cfg_cases.case import CfgCase

CASES: list[CfgCase] = [
    # a case without break runs on into the next; a do-while; an if on one line
    CfgCase(
        name="switch_fallthrough_do_while",
        code="""
            function f(x) {
              switch (x) {
                case 1:
                  x = 2;
                case 2:
                  x = 3;
                  break;
                default:
                  x = 0;
              }
              do {
                x--;
              } while (x > 0);
              if (x) return 1;
              return 0;
            }
        """,
        edges="""
            1>2 entry
            1>root exit
            11>12 next
            12>14 false
            12>11 back
            14>14#2 true
            14>15 false
            14#2>1 exit
            15>1 exit
            2>3 next
            2>5 next
            2>8 next
            3>4 next
            4>5 next
            5>6 next
            6>7 next
            7>11 next
            8>9 next
            9>11 next
            root>1 entry
        """,
    ),
    # continue/break with a label, a for-of, try/catch/finally
    CfgCase(
        name="labelled_loops_try_catch_finally",
        code="""
            function f(a) {
              let s = 0;
              outer: for (let i = 0; i < a.length; i++) {
                for (const x of a) {
                  if (x) continue outer;
                  else break outer;
                }
              }
              try {
                s = g();
              } catch (e) {
                s = 1;
              } finally {
                s += 1;
              }
              return s;
            }
        """,
        edges="""
            1>2 entry
            1>root exit
            10>11 raise
            10>14 next
            10>14 raise
            11>12 next
            11>14 raise
            12>14 next
            12>14 raise
            14>1 exit
            14>16 next
            16>1 exit
            2>3#2 next
            3>4 true
            3>9 false
            3#2>3 next
            4>3 back
            4>3 false
            4>5 true
            5>5#2 true
            5>6 false
            5#2>3 back
            6>9 next
            9>10 next
            root>1 entry
        """,
    ),
]
