"""C# control-flow conformance table (grammars/c_sharp/dataflow.scm, ``@flow.statement``)."""

from __future__ import annotations

from tests.graphs.cfg_cases.case import CfgCase

CASES: list[CfgCase] = [
    # a foreach's continue, switch sections that break, a return through a finally
    CfgCase(
        name='foreach_switch_sections_try_catch_finally',
        code="""
            class A {
                int F(int k, int[] xs) {
                    int s = 0;
                    foreach (var x in xs) {
                        if (x < 0) continue;
                        s += x;
                    }
                    switch (k) {
                        case 1:
                            s = 1;
                            break;
                        default:
                            s = 2;
                            break;
                    }
                    try {
                        s = G(s);
                    } catch (Exception e) {
                        return -1;
                    } finally {
                        Log(s);
                    }
                    return s;
                }
            }
        """,
        edges="""
            10>11 next
            11>16 next
            12>13 next
            13>14 next
            14>16 next
            16>17 next
            17>18 raise
            17>21 next
            17>21 raise
            18>19 next
            18>21 raise
            19>21 next
            19>21 raise
            2>3 entry
            21>2 exit
            21>23 next
            23>2 exit
            3>4 next
            4>5 true
            4>8 false
            5>5#2 true
            5>6 false
            5#2>4 back
            6>4 back
            8>12 next
            8>9 next
            9>10 next
        """,
    ),
]
