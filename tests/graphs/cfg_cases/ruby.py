"""Ruby control-flow conformance table (grammars/ruby/dataflow.scm, ``@flow.statement``)."""

from __future__ import annotations

from tests.graphs.cfg_cases.case import CfgCase

CASES: list[CfgCase] = [
    # a block (its own entry and exit; next leaves it), an elsif chain, a return through an ensure
    CfgCase(
        name='block_next_elsif_begin_rescue_ensure',
        code="""
            def f(xs, c)
              total = 0
              xs.each do |v|
                next if v < 0
                total += v
              end
              if c
                total = 1
              elsif total > 5
                total = 2
              end
              begin
                risky(total)
              rescue ArgumentError => e
                return -1
              ensure
                done(total)
              end
              total
            end
        """,
        edges="""
            1>2 entry
            1>root exit
            10>12 next
            12>13 next
            13>14 raise
            13>16 next
            13>16 raise
            14>15 next
            14>16 raise
            15>16 next
            15>16 raise
            16>17 next
            17>1 exit
            17>19 next
            19>1 exit
            2>3 next
            3>7 next
            3#2>4 entry
            4>3#2 exit
            4>5 false
            5>3#2 exit
            7>8 true
            7>9 false
            8>12 next
            9>10 true
            9>12 false
            root>1 entry
        """,
    ),
]
