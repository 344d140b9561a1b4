"""C++ control-flow conformance table (grammars/cpp/dataflow.scm, which inherits C's)."""

from __future__ import annotations

from tests.graphs.cfg_cases.case import CfgCase

CASES: list[CfgCase] = [
    # a range-for, a throw inside a try reaching its catch, a lambda as its own entry and exit
    CfgCase(
        name='range_for_try_catch_throw_lambda',
        code="""
            int f(const std::vector<int> &xs) {
              int s = 0;
              for (auto x : xs) {
                s += x;
              }
              try {
                if (s < 0) throw std::runtime_error("neg");
                s = g(s);
              } catch (const std::exception &e) {
                s = -1;
              }
              auto h = [&s](int k) { return s + k; };
              return h(1);
            }
        """,
        edges="""
            1>2 entry
            10>12 next
            12>13 next
            12#2>12#3 entry
            12#3>12#2 exit
            13>1 exit
            2>3 next
            3>4 true
            3>6 false
            4>3 back
            6>7 next
            7>7#2 true
            7>8 false
            7>9 raise
            7#2>1 exit
            7#2>9 raise
            8>12 next
            8>9 raise
            9>10 next
        """,
    ),
]
