"""PHP control-flow conformance table (grammars/php/dataflow.scm, ``@flow.statement``)."""

from __future__ import annotations

from tests.graphs.cfg_cases.case import CfgCase

CASES: list[CfgCase] = [
    # a foreach's continue, switch cases that fall through until break, try/catch/finally
    CfgCase(
        name='foreach_switch_fallthrough_try_catch_finally',
        code="""
            <?php
            function f($k, $xs) {
                $s = 0;
                foreach ($xs as $v) {
                    if ($v < 0) {
                        continue;
                    }
                    $s += $v;
                }
                switch ($k) {
                    case 1:
                        $s = 1;
                    case 2:
                        $s = 2;
                        break;
                    default:
                        return -1;
                }
                try {
                    $s = g($s);
                } catch (Exception $e) {
                    $s = 0;
                } finally {
                    done($s);
                }
                return $s;
            }
        """,
        edges="""
            10>11 next
            10>13 next
            10>16 next
            11>12 next
            12>13 next
            13>14 next
            14>15 next
            15>19 next
            16>17 next
            17>2 exit
            19>20 next
            2>3 entry
            20>21 raise
            20>24 next
            20>24 raise
            21>22 next
            21>24 raise
            22>24 next
            22>24 raise
            24>2 exit
            24>26 next
            26>2 exit
            3>4 next
            4>10 false
            4>5 true
            5>6 true
            5>8 false
            6>4 back
            8>4 back
        """,
    ),
]
