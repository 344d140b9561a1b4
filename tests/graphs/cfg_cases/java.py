"""Java control-flow conformance table (grammars/java/dataflow.scm, ``@flow.statement``)."""

from __future__ import annotations

from tests.graphs.cfg_cases.case import CfgCase

CASES: list[CfgCase] = [
    # an else-if chain, a while loop, an early return
    CfgCase(
        name="if_else_if_while_early_return",
        code="""
            class A {
              int f(int n) {
                if (n > 0) {
                  n = 1;
                } else if (n < 0) {
                  return -1;
                }
                while (n < 10) {
                  n++;
                }
                return n;
              }
            }
        """,
        edges="""
            11>2 exit
            2>3 entry
            3>4 true
            3>5 false
            4>8 next
            5>6 true
            5>8 false
            6>2 exit
            8>11 false
            8>9 true
            9>8 back
        """,
    ),
    # continue/break with a label, a switch whose groups break, a do-while (its body before its test)
    CfgCase(
        name="labelled_loops_switch_do_while",
        code="""
            class A {
              int f(int n) {
                int s = 0;
                outer:
                for (int i = 0; i < n; i++) {
                  for (int j = 0; j < i; j++) {
                    if (j == 3) continue outer;
                    if (j == 4) break outer;
                    s += j;
                  }
                }
                switch (n) {
                  case 1: s = 1; break;
                  default: s = 2;
                }
                do { s--; } while (s > 0);
                return s;
              }
            }
        """,
        edges="""
            12>13 next
            12>14 next
            13>13#2 next
            13#2>13#3 next
            13#3>16 next
            14>14#2 next
            14#2>16 next
            16>16#2 next
            16#2>17 false
            16#2>16 back
            17>2 exit
            2>3 entry
            3>5#2 next
            5>12 false
            5>6#2 true
            5#2>5 next
            6>5 back
            6>5 false
            6>7 true
            6#2>6 next
            7>7#2 true
            7>8 false
            7#2>5 back
            8>8#2 true
            8>9 false
            8#2>12 next
            9>6 back
        """,
    ),
    # catches tried in order, a return and a throw leave through the finally
    CfgCase(
        name="try_catch_finally",
        code="""
            class A {
              String f(String p) {
                try {
                  String s = read(p);
                  return s;
                } catch (IOException e) {
                  log(e);
                } catch (RuntimeException e) {
                  throw e;
                } finally {
                  close();
                }
                return null;
              }
            }
        """,
        edges="""
            11>13 next
            11>2 exit
            13>2 exit
            2>3 entry
            3>4 next
            4>11 raise
            4>5 next
            4>6 raise
            5>11 next
            5>11 raise
            5>6 raise
            6>11 raise
            6>7 next
            6>8 false
            7>11 next
            7>11 raise
            8>11 raise
            8>9 next
            9>11 next
            9>11 raise
        """,
    ),
]
