"""Rust control-flow conformance table (grammars/rust/dataflow.scm, ``@flow.statement``)."""

from __future__ import annotations

from tests.graphs.cfg_cases.case import CfgCase

CASES: list[CfgCase] = [
    # a for's continue, `?` returning early or going on, a loop left only by break (with a label), match arms
    CfgCase(
        name='for_continue_question_mark_labelled_loops_match',
        code="""
            fn f(v: &mut Vec<i32>, n: i32) -> Result<i32, E> {
                let mut b = 0;
                for i in 0..n {
                    if i == 3 {
                        continue;
                    }
                    b += i;
                }
                let q = parse(n)?;
                'outer: loop {
                    while b > 0 {
                        b -= 1;
                        if b == 5 {
                            break 'outer;
                        }
                    }
                    break;
                }
                match q {
                    0 => b = 1,
                    w => b = w,
                }
                Ok(q + b)
            }
        """,
        edges="""
            1>2 entry
            10>11 next
            11>12 true
            11>17 false
            12>13 next
            13>11 back
            13>11 false
            13>14 true
            14>19 next
            17>19 next
            19>20 next
            19>21 next
            2>3 next
            20>23 next
            21>23 next
            23>1 exit
            3>4 true
            3>9 false
            4>5 true
            4>7 false
            5>3 back
            7>3 back
            9>1 exit
            9>10 next
        """,
    ),
]
