"""Java data-flow conformance table (grammars/java/*.scm)."""

from __future__ import annotations

from tests.graphs.dataflow_cases.case import Case

CASES: list[Case] = [
    # ------------------------------------------------------------ declarations, computed_from
    Case(
        name="declaration_and_assignment",
        code="""
            class A {
              int m(int a, int b) {
                int x = a + b;
                x = x * a;
                return x;
              }
            }
        """,
        last_write=[("a@3", "a@2"), ("b@3", "b@2"), ("x@4#2", "x@3"), ("a@4", "a@2"), ("x@5", "x@4#1")],
        not_last_write=[("x@5", "x@3"), ("x@4#2", "x@4#1")],
        computed_from=[("x@3", "a@3"), ("x@3", "b@3"), ("x@4#1", "x@4#2"), ("x@4#1", "a@4")],
        last_read=[("a@4", "a@3")],
        exact_last_write=True,
    ),
    Case(
        name="multiple_declarators",
        code="""
            class A {
              void m(int p) {
                int x = p, y = x + 1, z;
                z = y;
                use(z);
              }
            }
        """,
        last_write=[("p@3", "p@2"), ("x@3#2", "x@3#1"), ("y@4", "y@3"), ("z@5", "z@4")],
        computed_from=[("x@3#1", "p@3"), ("y@3", "x@3#2"), ("z@4", "y@4")],
        exact_last_write=True,
    ),
    Case(
        name="parameters_are_definitions",
        code="""
            class A {
              A(int a, String... rest) { use(a, rest); }
              void m(final int b) { use(b); }
            }
        """,
        last_write=[("a@2#2", "a@2#1"), ("rest@2#2", "rest@2#1"), ("b@3#2", "b@3#1")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ branches
    Case(
        name="if_else_both_reach",
        code="""
            class A {
              int m(boolean c) {
                int x;
                if (c) {
                  x = 1;
                } else {
                  x = 2;
                }
                return x;
              }
            }
        """,
        last_write=[("x@9", "x@5"), ("x@9", "x@7"), ("c@4", "c@2")],
        not_last_write=[("x@9", "x@3")],
        exact_last_write=True,
    ),
    Case(
        name="if_without_else_keeps_before",
        code="""
            class A {
              int m(boolean c) {
                int x = 0;
                if (c) x = 1;
                return x;
              }
            }
        """,
        last_write=[("x@5", "x@3"), ("x@5", "x@4")],
        exact_last_write=True,
    ),
    Case(
        name="else_if_chain",
        code="""
            class A {
              int m(int v) {
                int x = 0;
                if (v == 1) {
                  x = 1;
                } else if (v == 2) {
                  x = 2;
                } else {
                  x = 3;
                }
                return x;
              }
            }
        """,
        last_write=[("x@11", "x@5"), ("x@11", "x@7"), ("x@11", "x@9"), ("v@4", "v@2"), ("v@6", "v@2")],
        not_last_write=[("x@11", "x@3")],
        last_read=[("v@6", "v@4")],
        exact_last_write=True,
    ),
    Case(
        name="else_if_chain_without_else",
        code="""
            class A {
              int m(int v) {
                int x = 0;
                if (v == 1) x = 1;
                else if (v == 2) x = 2;
                return x;
              }
            }
        """,
        last_write=[("x@6", "x@3"), ("x@6", "x@4"), ("x@6", "x@5")],
        exact_last_write=True,
    ),
    Case(
        name="ternary",
        code="""
            class A {
              int m(boolean c, int a, int b) {
                int x = c ? a : b;
                return x;
              }
            }
        """,
        last_write=[("a@3", "a@2"), ("b@3", "b@2"), ("x@4", "x@3")],
        computed_from=[("x@3", "c@3"), ("x@3", "a@3"), ("x@3", "b@3")],
        exact_last_write=True,
    ),
    Case(
        name="ternary_arms_exclusive",
        code="""
            class A {
              int m(boolean c) {
                int x = 0;
                int y = c ? (x = 1) : x;
                return x;
              }
            }
        """,
        last_write=[("x@4#2", "x@3"), ("x@5", "x@3"), ("x@5", "x@4#1")],
        not_last_write=[("x@4#2", "x@4#1")],
        exact_last_write=True,
    ),
    Case(
        name="short_circuit",
        code="""
            class A {
              boolean m(boolean a) {
                int x = 0;
                boolean r = a && (x = 1) > 0;
                return x > 0;
              }
            }
        """,
        last_write=[("x@5", "x@3"), ("x@5", "x@4")],
        exact_last_write=True,
    ),
    Case(
        name="switch_with_break_and_default",
        code="""
            class A {
              int m(int v) {
                int x = 0;
                switch (v) {
                  case 1:
                    x = 1;
                    break;
                  case 2:
                    x = 2;
                    break;
                  default:
                    x = 3;
                }
                return x;
              }
            }
        """,
        last_write=[("x@14", "x@6"), ("x@14", "x@9"), ("x@14", "x@12"), ("v@4", "v@2")],
        not_last_write=[("x@14", "x@3")],
        exact_last_write=True,
    ),
    Case(
        name="switch_without_default",
        code="""
            class A {
              int m(int v) {
                int x = 0;
                switch (v) {
                  case 1: x = 1; break;
                }
                return x;
              }
            }
        """,
        last_write=[("x@7", "x@3"), ("x@7", "x@5")],
        exact_last_write=True,
    ),
    Case(
        name="switch_rules_and_yield",
        code="""
            class A {
              int m(Object o) {
                int y = switch (o) {
                  case String s -> s.length();
                  case Integer i when i > 0 -> { int k = i; yield k; }
                  default -> 0;
                };
                return y;
              }
            }
        """,
        last_write=[("s@4#2", "s@4#1"), ("i@5#2", "i@5#1"), ("i@5#3", "i@5#1"), ("k@5#2", "k@5#1"),
                    ("y@8", "y@3"), ("o@3", "o@2")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ loops
    Case(
        name="while_loop_carried",
        code="""
            class A {
              int m(int n) {
                int x = 0;
                while (x < n) {
                  int y = x;
                  x = y + 1;
                }
                return x;
              }
            }
        """,
        last_write=[("x@4", "x@3"), ("x@4", "x@6"), ("x@5", "x@3"), ("x@5", "x@6"), ("y@6", "y@5"),
                    ("x@8", "x@3"), ("x@8", "x@6")],
        last_read=[("x@5", "x@4")],
        exact_last_write=True,
    ),
    Case(
        name="for_init_cond_update",
        code="""
            class A {
              int m(int n) {
                int s = 0;
                for (int i = 0; i < n; i++) {
                  s += i;
                }
                return s;
              }
            }
        """,
        last_write=[("i@4#2", "i@4#1"), ("i@4#2", "i@4#3"), ("i@4#3", "i@4#1"), ("i@4#3", "i@4#3"), ("i@5", "i@4#1"),
                    ("i@5", "i@4#3"), ("s@5", "s@3"), ("s@5", "s@5"), ("s@7", "s@3"), ("s@7", "s@5")],
        computed_from=[("s@5", "i@5"), ("s@5", "s@5"), ("i@4#3", "i@4#3")],
        last_read=[("i@5", "i@4#2"), ("i@4#3", "i@5")],
        exact_last_write=True,
    ),
    Case(
        name="for_variable_scoped_to_loop",
        code="""
            class A {
              int i = 5;
              int m() {
                for (int i = 0; i < 3; i++) { }
                return i;
              }
            }
        """,
        last_write=[("i@5", "i@2")],
        not_last_write=[("i@5", "i@4#1"), ("i@5", "i@4#3")],
        exact_last_write=True,
    ),
    Case(
        name="enhanced_for",
        code="""
            class A {
              int m(int[] xs) {
                int total = 0;
                for (int v : xs) {
                  total += v;
                }
                return total;
              }
            }
        """,
        last_write=[("xs@4", "xs@2"), ("v@5", "v@4"), ("total@5", "total@3"),
                    ("total@7", "total@3"), ("total@7", "total@5")],
        computed_from=[("v@4", "xs@4"), ("total@5", "v@5")],
    ),
    Case(
        name="do_while",
        code="""
            class A {
              int m() {
                int x = 0;
                do {
                  x = x + 1;
                } while (x < 10);
                return x;
              }
            }
        """,
        last_write=[("x@5#2", "x@3"), ("x@5#2", "x@5#1"), ("x@6", "x@5#1"), ("x@7", "x@5#1")],
    ),
    Case(
        name="break_and_continue",
        code="""
            class A {
              int m(int[] xs) {
                int x = 0;
                for (int v : xs) {
                  if (v < 0) continue;
                  if (v == 0) {
                    x = 1;
                    break;
                  }
                  x = v;
                }
                return x;
              }
            }
        """,
        last_write=[("x@12", "x@3"), ("x@12", "x@7"), ("x@12", "x@10")],
        exact_last_write=True,
    ),
    Case(
        name="return_in_branch_does_not_reach_after",
        code="""
            class A {
              int m(boolean c) {
                int x = 1;
                if (c) {
                  x = 2;
                  return x;
                }
                return x;
              }
            }
        """,
        last_write=[("x@6", "x@5"), ("x@8", "x@3")],
        not_last_write=[("x@8", "x@5")],
        exact_last_write=True,
    ),
    Case(
        name="throw_ends_path",
        code="""
            class A {
              int m(boolean c) {
                int x = 1;
                if (c) {
                  x = 2;
                  throw new IllegalStateException();
                }
                return x;
              }
            }
        """,
        last_write=[("x@8", "x@3")],
        not_last_write=[("x@8", "x@5")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ exceptions
    Case(
        name="try_catch_finally",
        code="""
            class A {
              int m() {
                int x = 0;
                try {
                  if (ok()) {
                    x = 1;
                  }
                  x = load();
                } catch (IOException | RuntimeException e) {
                  log(e, x);
                  x = -1;
                } finally {
                  close(x);
                }
                return x;
              }
            }
        """,
        last_write=[("e@10", "e@9"), ("x@10", "x@3"), ("x@10", "x@6"), ("x@10", "x@8"),
                    ("x@13", "x@8"), ("x@13", "x@11"), ("x@15", "x@8"), ("x@15", "x@11")],
    ),
    Case(
        name="try_with_resources",
        code="""
            class A {
              String m(String p) {
                try (Reader r = open(p)) {
                  return r.read();
                }
              }
            }
        """,
        last_write=[("p@3", "p@2"), ("r@4", "r@3")],
        computed_from=[("r@3", "p@3")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ fields, shadowing
    Case(
        name="field_read_in_method",
        code="""
            class A {
              int count = 0;
              int get() { return count; }
              void inc() { count = count + 1; }
            }
        """,
        last_write=[("count@3", "count@2"), ("count@3", "count@4#1"), ("count@4#2", "count@2")],
    ),
    Case(
        name="field_declared_after_use",
        code="""
            class A {
              int get() { return size; }
              private int size = 3;
            }
        """,
        last_write=[("size@2", "size@3")],
        exact_last_write=True,
    ),
    Case(
        name="parameter_shadows_field",
        code="""
            class A {
              int x = 1;
              void set(int x) {
                this.x = x;
              }
              int get() { return x; }
            }
        """,
        last_write=[("x@4#2", "x@3")],
        not_last_write=[("x@4#2", "x@2"), ("x@6", "x@3")],
        exact_last_write=True,
    ),
    Case(
        name="local_shadows_field_from_declaration_on",
        code="""
            class A {
              int v = 1;
              int m() {
                int a = v;
                int v = 2;
                return a + v;
              }
            }
        """,
        last_write=[("v@4", "v@2"), ("v@6", "v@5"), ("a@6", "a@4")],
        not_last_write=[("v@6", "v@2"), ("v@4", "v@5")],
        exact_last_write=True,
    ),
    Case(
        name="field_access_is_not_a_variable",
        code="""
            class A {
              int f;
              void m(A other, int f2) {
                int f = other.f;
                this.f = f2;
                other.f = f;
              }
            }
        """,
        last_write=[("other@4", "other@3"), ("f2@5", "f2@3"), ("other@6", "other@3"), ("f@6#2", "f@4#1")],
        not_last_write=[("f@4#2", "f@2"), ("f@5", "f@2"), ("f@6#1", "f@4#1")],
        computed_from=[("f@4#1", "other@4")],
        not_computed_from=[("f@4#1", "f@4#2")],
        last_read=[("other@6", "other@4")],
        exact_last_write=True,
    ),
    Case(
        name="method_names_are_not_variables",
        code="""
            class A {
              int size = 1;
              int size() { return size; }
              int m(A a) { return a.size() + size(); }
            }
        """,
        last_write=[("size@3#2", "size@2"), ("a@4#2", "a@4#1")],
        not_last_write=[("size@4#1", "size@2"), ("size@4#2", "size@2")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ lambdas, anonymous classes
    Case(
        name="lambda_reads_effectively_final_local",
        code="""
            class A {
              void m(List<Integer> xs) {
                int base = 10;
                xs.forEach(v -> use(v + base));
              }
            }
        """,
        last_write=[("v@4#2", "v@4#1"), ("base@4", "base@3"), ("xs@4", "xs@2")],
        exact_last_write=True,
    ),
    Case(
        name="lambda_writing_a_field_is_seen_after_it_is_made",
        code="""
            class A {
              int count;
              void m(List<Integer> xs) {
                count = 0;
                use(count);
                xs.forEach(x -> { count = x; });
                use(count);
              }
            }
        """,
        last_write=[("count@5", "count@4"), ("count@7", "count@4"), ("count@7", "count@6")],
        not_last_write=[("count@5", "count@6")],
        exact_last_write=True,
    ),
    Case(
        name="lambda_parameter_shadows_field",
        code="""
            class A {
              int v;
              void m(List<Integer> xs) {
                xs.forEach((v) -> use(v));
                use(v);
              }
            }
        """,
        last_write=[("v@4#2", "v@4#1"), ("v@5", "v@2")],
        not_last_write=[("v@4#2", "v@2")],
        exact_last_write=True,
    ),
    Case(
        name="lambda_body_in_declaration",
        code="""
            class A {
              void m(int k) {
                Function<Integer, Integer> f = x -> {
                  int y = x + k;
                  return y;
                };
                use(f);
              }
            }
        """,
        last_write=[("x@4", "x@3"), ("k@4", "k@2"), ("y@5", "y@4"), ("f@7", "f@3")],
        exact_last_write=True,
    ),
    Case(
        name="lambda_assigned_to_existing_variable",
        code="""
            class A {
              Runnable r;
              int m(List<Integer> xs) {
                int total = 0;
                total = xs.stream().mapToInt(v -> v * 2).sum();
                r = () -> { int a = total; use(a); };
                return total;
              }
            }
        """,
        last_write=[("xs@5", "xs@3"), ("v@5#2", "v@5#1"), ("a@6#2", "a@6#1"), ("total@7", "total@5")],
        not_last_write=[("total@7", "total@4")],
        exact_last_write=True,
    ),
    Case(
        name="anonymous_class_reads_local",
        code="""
            class A {
              void m(final int n) {
                run(new Runnable() {
                  public void run() { use(n); }
                });
              }
            }
        """,
        last_write=[("n@4", "n@2")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ assignments
    Case(
        name="compound_assignment",
        code="""
            class A {
              int m(int y) {
                int x = 1;
                x += y;
                x <<= 2;
                return x;
              }
            }
        """,
        last_write=[("x@4", "x@3"), ("y@4", "y@2"), ("x@5", "x@4"), ("x@6", "x@5")],
        not_last_write=[("x@6", "x@3"), ("x@6", "x@4")],
        computed_from=[("x@4", "y@4")],
        exact_last_write=True,
    ),
    Case(
        name="increment_reads_and_writes",
        code="""
            class A {
              int m() {
                int i = 0;
                i++;
                --i;
                return i;
              }
            }
        """,
        last_write=[("i@4", "i@3"), ("i@5", "i@4"), ("i@6", "i@5")],
        last_read=[("i@5", "i@4"), ("i@6", "i@5")],
        exact_last_write=True,
    ),
    Case(
        name="array_element_assignment_reads_array",
        code="""
            class A {
              void m(int[] a, int i) {
                a[i] = a[i + 1];
              }
            }
        """,
        last_write=[("a@3#1", "a@2"), ("a@3#2", "a@2"), ("i@3#1", "i@2"), ("i@3#2", "i@2")],
        exact_last_write=True,
    ),
    Case(
        name="instanceof_pattern",
        code="""
            class A {
              int m(Object o) {
                if (o instanceof String s) {
                  return s.length();
                }
                return 0;
              }
            }
        """,
        last_write=[("o@3", "o@2"), ("s@4", "s@3")],
        exact_last_write=True,
    ),
    Case(
        name="labels_are_not_variables",
        code="""
            class A {
              void m(int outer) {
                outer:
                for (int i = 0; i < outer; i++) {
                  break outer;
                }
              }
            }
        """,
        last_write=[("outer@4", "outer@2")],
        not_last_write=[("outer@5", "outer@2"), ("outer@3", "outer@2")],
        exact_last_write=True,
    ),
    Case(
        name="finally_after_return_in_try",
        code="""
            class A {
              int m() {
                int x = 1;
                try {
                  x = 2;
                  return x;
                } finally {
                  log(x);
                }
              }
            }
        """,
        last_write=[("x@6", "x@5"), ("x@8", "x@3"), ("x@8", "x@5")],
        exact_last_write=True,
    ),
]
