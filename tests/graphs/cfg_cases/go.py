"""Go control-flow conformance table (grammars/go/dataflow.scm, ``@flow.statement``)."""

from __future__ import annotations

from tests.graphs.cfg_cases.case import CfgCase

CASES: list[CfgCase] = [
    # continue with a label runs the loop's update; break with a label; defer is a statement; switch cases do not fall through
    CfgCase(
        name='labelled_loops_defer_switch',
        code="""
            package main

            func f(xs []int) int {
                s := 0
                defer cleanup()
            outer:
                for i := 0; i < len(xs); i++ {
                    for _, x := range xs {
                        if x > 3 {
                            continue outer
                        }
                        if x < 0 {
                            break outer
                        }
                        s += x
                    }
                }
                switch s {
                case 1:
                    s = 2
                default:
                    return 0
                }
                return s
            }
        """,
        edges="""
            10>7#3 next
            12>13 true
            12>15 false
            13>18 next
            15>8 back
            18>19 next
            18>21 next
            19>20 next
            20>24 next
            21>22 next
            22>3 exit
            24>3 exit
            3>4 entry
            4>5 next
            5>7#2 next
            7>18 false
            7>8 true
            7#2>7 next
            7#3>7 back
            8>7#3 false
            8>9 true
            9>10 true
            9>12 false
        """,
    ),
    # a for without a condition, a select whose break leaves the select
    CfgCase(
        name='infinite_for_select',
        code="""
            package main

            func f(ch chan int) {
                for {
                    select {
                    case v := <-ch:
                        if v == 0 {
                            return
                        }
                    default:
                        break
                    }
                }
            }
        """,
        edges="""
            10>11 next
            11>4 back
            3>4 entry
            4>3 exit
            4>5 true
            5>10 next
            5>6 next
            6>6#2 next
            6#2>7 next
            7>4 back
            7>4 false
            7>8 true
            8>3 exit
        """,
    ),
]
