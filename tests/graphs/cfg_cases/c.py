"""C control-flow conformance table (grammars/c/dataflow.scm, ``@flow.statement``); C++ runs it too."""

from __future__ import annotations

from tests.graphs.cfg_cases.case import CfgCase

CASES: list[CfgCase] = [
    # a backward goto, switch cases that fall through until break (into the next case's node), a for's continue
    CfgCase(
        name='goto_switch_fallthrough_for_continue',
        code="""
            int f(int n) {
              int x = 0;
            again:
              x = x + 1;
              if (x < n) goto again;
              switch (x) {
              case 1:
                x = 2;
              case 2:
                x = 3;
                break;
              default:
                return -1;
              }
              for (int i = 0; i < n; i++) {
                if (i == 2) continue;
                x += i;
              }
              return x;
            }
        """,
        edges="""
            1>2 entry
            10>11 next
            11>15#2 next
            12>13 next
            13>1 exit
            15>16 true
            15>19 false
            15#2>15 next
            16>16#2 true
            16>17 false
            16#2>15 back
            17>15 back
            19>1 exit
            2>4 next
            4>5 next
            5>5#2 true
            5>6 false
            5#2>4 next
            6>12 next
            6>7 next
            6>9 next
            7>8 next
            8>9 next
            9>10 next
        """,
    ),
    # preprocessor conditionals are alternatives (one is compiled); one without `#else` may be skipped
    CfgCase(
        name='preproc_conditionals_are_alternatives',
        code="""
            int f(int n) {
              int x = 0;
            #ifdef A
              x = 1;
            #elif defined(B)
              x = 2;
              if (n) return x;
            #else
              x = 3;
            #endif
            #if C
              x += n;
            #endif
              return x;
            }
        """,
        edges="""
            1>2 entry
            12>14 next
            14>1 exit
            2>4 next
            2>6 next
            2>9 next
            4>12 next
            4>14 next
            6>7 next
            7>12 false
            7>14 false
            7>7#2 true
            7#2>1 exit
            9>12 next
            9>14 next
        """,
    ),
]
