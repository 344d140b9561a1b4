"""C data-flow conformance table (grammars/c/*.scm). C++ runs it too (grammars/cpp inherits C's queries).

The rules for what is not a named variable: assigning through a pointer, an index or a field (``*p = v``,
``a[i] = v``, ``s.f = v``) writes no variable and reads the base; ``&x`` reads ``x``; a macro is called
like a function (its arguments are read); a ``static`` local behaves like a local within one call.
"""

from __future__ import annotations

from tests.graphs.dataflow_cases.case import Case

CASES: list[Case] = [
    # ------------------------------------------------------------ straight line
    Case(
        name="straight_line_kill",
        code="""
            int f(void) {
                int x = 1;
                x = 2;
                return x;
            }
        """,
        last_write=[("x@4", "x@3")],
        not_last_write=[("x@4", "x@2")],
        exact_last_write=True,
    ),
    Case(
        name="declaration_computed_from_initialiser",
        code="""
            int f(int a, int b) {
                int c = a * b + a;
                return c;
            }
        """,
        computed_from=[("c@2", "a@2#1"), ("c@2", "b@2"), ("c@2", "a@2#2")],
        last_write=[("a@2#1", "a@1"), ("b@2", "b@1"), ("c@3", "c@2")],
        last_read=[("a@2#2", "a@2#1")],
    ),
    Case(
        name="several_declarators",
        code="""
            int f(int a) {
                int x = a, y = x, z;
                z = y;
                return z;
            }
        """,
        last_write=[("x@2#2", "x@2#1"), ("y@3", "y@2"), ("z@4", "z@3")],
        computed_from=[("y@2", "x@2#2"), ("x@2#1", "a@2"), ("z@3", "y@3")],
        exact_last_write=True,
    ),
    Case(
        name="parameters_through_pointers_and_arrays",
        code="""
            int f(int n, int *p, char **argv, int a[]) {
                return n + *p + (argv != 0) + a[0];
            }
        """,
        last_write=[("n@2", "n@1"), ("p@2", "p@1"), ("argv@2", "argv@1"), ("a@2", "a@1")],
        exact_last_write=True,
    ),
    Case(
        name="self_read_before_write",
        code="""
            int f(int x) {
                x = x + 1;
                return x;
            }
        """,
        last_write=[("x@2#2", "x@1"), ("x@3", "x@2#1")],
        computed_from=[("x@2#1", "x@2#2")],
        exact_last_write=True,
    ),
    Case(
        name="compound_assignment_reads_then_writes",
        code="""
            int f(int x, int v) {
                x += v;
                return x;
            }
        """,
        last_write=[("x@2", "x@1"), ("x@3", "x@2"), ("v@2", "v@1")],
        computed_from=[("x@2", "v@2"), ("x@2", "x@2")],
    ),
    Case(
        name="increment_reads_then_writes",
        code="""
            int f(int i) {
                i++;
                --i;
                return i;
            }
        """,
        last_write=[("i@2", "i@1"), ("i@3", "i@2"), ("i@4", "i@3")],
        computed_from=[("i@2", "i@2"), ("i@3", "i@3")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ pointers, arrays, fields
    Case(
        name="write_through_pointer_writes_no_variable",
        code="""
            int f(void) {
                int x = 1;
                int *p = &x;
                *p = 3;
                return x;
            }
        """,
        last_write=[("x@3", "x@2"), ("p@4", "p@3"), ("x@5", "x@2")],
        computed_from=[("p@3", "x@3")],
        exact_last_write=True,
    ),
    Case(
        name="index_assignment_reads_array_and_index",
        code="""
            void f(int *a, int i, int v) {
                a[i] = v;
                a[i + 1] = a[i];
            }
        """,
        last_write=[("a@2", "a@1"), ("i@2", "i@1"), ("v@2", "v@1"), ("a@3#1", "a@1"), ("a@3#2", "a@1")],
        computed_from=[],
        exact_last_write=True,
    ),
    Case(
        name="field_assignment_reads_the_struct",
        code="""
            struct point { int x; int y; };
            int f(struct point s, struct point *p, int v) {
                s.x = v;
                p->y = s.x;
                return s.y + p->y;
            }
        """,
        last_write=[("s@3", "s@2"), ("v@3", "v@2"), ("p@4", "p@2"), ("s@4", "s@2"), ("s@5", "s@2"), ("p@5", "p@2")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ scopes
    Case(
        name="global_read_in_function",
        code="""
            int counter = 0;
            int next(void) {
                return counter + 1;
            }
        """,
        last_write=[("counter@3", "counter@1")],
        exact_last_write=True,
    ),
    Case(
        name="global_written_in_function_seen_elsewhere",
        code="""
            int total;
            void add(int v) {
                total = total + v;
            }
            int get(void) {
                return total;
            }
        """,
        last_write=[("total@3#2", "total@1"), ("total@3#2", "total@3#1"), ("total@6", "total@1"),
                    ("total@6", "total@3#1")],
    ),
    Case(
        name="block_shadowing",
        code="""
            int f(void) {
                int x = 1;
                {
                    int x = 2;
                    x = x + 1;
                }
                return x;
            }
        """,
        last_write=[("x@5#2", "x@4"), ("x@7", "x@2")],
        not_last_write=[("x@7", "x@4"), ("x@7", "x@5#1")],
        exact_last_write=True,
    ),
    Case(
        name="for_header_variable_is_scoped_to_the_loop",
        code="""
            int f(int n) {
                int i = 100;
                for (int i = 0; i < n; i++) {
                    use(i);
                }
                return i;
            }
        """,
        last_write=[("i@6", "i@2")],
        not_last_write=[("i@6", "i@3#1")],
    ),
    Case(
        name="static_local_behaves_like_a_local_within_a_call",
        code="""
            int f(void) {
                static int calls = 0;
                calls = calls + 1;
                return calls;
            }
        """,
        last_write=[("calls@3#2", "calls@2"), ("calls@4", "calls@3#1")],
        exact_last_write=True,
    ),
    Case(
        name="enumerators_are_constants",
        code="""
            enum color { RED, GREEN };
            int f(void) {
                return GREEN;
            }
        """,
        last_write=[("GREEN@3", "GREEN@1")],
        exact_last_write=True,
    ),
    Case(
        name="macro_is_called_like_a_function",
        code="""
            #define MAX(a, b) ((a) > (b) ? (a) : (b))
            int f(int x, int y) {
                return MAX(x, y);
            }
        """,
        last_write=[("MAX@3", "MAX@1"), ("x@3", "x@2"), ("y@3", "y@2")],
        exact_last_write=True,
    ),
    Case(
        name="function_name_is_a_file_definition",
        code="""
            int helper(int v);
            int f(int v) {
                return helper(v);
            }
        """,
        last_write=[("helper@3", "helper@1"), ("v@3", "v@2")],
    ),
    # ------------------------------------------------------------ branches
    Case(
        name="if_else_both_reach",
        code="""
            int f(int c) {
                int x;
                if (c) {
                    x = 1;
                } else {
                    x = 2;
                }
                return x;
            }
        """,
        last_write=[("x@8", "x@4"), ("x@8", "x@6"), ("c@3", "c@1")],
        not_last_write=[("x@8", "x@2")],
        exact_last_write=True,
    ),
    Case(
        name="if_without_else_keeps_before",
        code="""
            int f(int c) {
                int x = 0;
                if (c) x = 1;
                return x;
            }
        """,
        last_write=[("x@4", "x@2"), ("x@4", "x@3")],
        exact_last_write=True,
    ),
    Case(
        name="ternary_and_short_circuit",
        code="""
            int f(int a, int b) {
                int x = a ? b : 0;
                int y = a && (b = 2);
                return x + y + b;
            }
        """,
        last_write=[("b@4", "b@1"), ("b@4", "b@3")],
        computed_from=[("x@2", "a@2"), ("x@2", "b@2")],
    ),
    Case(
        name="switch_cases_fall_through_until_break",
        code="""
            int f(int k) {
                int x = 0;
                switch (k) {
                case 1:
                    x = 1;
                case 2:
                    x = x + 2;
                    break;
                default:
                    x = 9;
                }
                return x;
            }
        """,
        last_write=[("x@7#2", "x@2"), ("x@7#2", "x@5"), ("x@12", "x@7#1"), ("x@12", "x@10")],
        not_last_write=[("x@12", "x@5"), ("x@12", "x@2")],
        exact_last_write=True,
    ),
    Case(
        name="switch_without_default_keeps_before",
        code="""
            int f(int k) {
                int x = 0;
                switch (k) {
                case 1:
                    x = 1;
                    break;
                }
                return x;
            }
        """,
        last_write=[("x@8", "x@2"), ("x@8", "x@5")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ loops
    Case(
        name="while_loop_carries_writes_around",
        code="""
            int f(int n) {
                int s = 0;
                while (n > 0) {
                    s = s + n;
                    n = n - 1;
                }
                return s;
            }
        """,
        last_write=[("s@4#2", "s@2"), ("s@4#2", "s@4#1"), ("n@3", "n@1"), ("n@3", "n@5#1"), ("s@7", "s@2"),
                    ("s@7", "s@4#1")],
    ),
    Case(
        name="for_init_once_update_each_iteration",
        code="""
            int f(int n) {
                int s = 0;
                for (int i = 0; i < n; i++) {
                    s += i;
                }
                return s;
            }
        """,
        last_write=[("i@3#2", "i@3#1"), ("i@3#2", "i@3#3"), ("i@4", "i@3#1"), ("i@4", "i@3#3"),
                    ("s@4", "s@2"), ("s@4", "s@4")],
        not_last_write=[("i@3#2", "i@4")],
    ),
    Case(
        name="do_while_body_runs_before_the_test",
        code="""
            int f(int n) {
                int x = 0;
                do {
                    x = x + n;
                } while (x < 10);
                return x;
            }
        """,
        last_write=[("x@4#2", "x@2"), ("x@4#2", "x@4#1"), ("x@5", "x@4#1"), ("x@6", "x@4#1")],
        not_last_write=[("x@6", "x@2"), ("x@5", "x@2")],
        exact_last_write=True,
    ),
    Case(
        name="break_and_continue",
        code="""
            int f(int n) {
                int x = 0;
                while (n) {
                    if (n == 3) { x = 3; break; }
                    if (n == 4) { x = 4; continue; }
                    x = 5;
                }
                return x;
            }
        """,
        last_write=[("x@8", "x@2"), ("x@8", "x@4"), ("x@8", "x@5"), ("x@8", "x@6")],
        exact_last_write=True,
    ),
    Case(
        name="continue_runs_the_for_update",
        code="""
            int f(int n) {
                for (int i = 0; i < n; i++) {
                    if (i == 2) continue;
                    use(i);
                }
                return 0;
            }
        """,
        last_write=[("i@2#2", "i@2#1"), ("i@2#2", "i@2#3"), ("i@2#3", "i@2#1"), ("i@2#3", "i@2#3")],
    ),
    Case(
        name="return_kills_later_reads",
        code="""
            int f(int c) {
                int x = 1;
                if (c) {
                    x = 2;
                    return x;
                }
                return x;
            }
        """,
        last_write=[("x@5", "x@4"), ("x@7", "x@2")],
        not_last_write=[("x@7", "x@4")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ goto
    Case(
        name="goto_forward_skips_code",
        code="""
            int f(int c) {
                int x = 1;
                if (c) goto done;
                x = 2;
            done:
                return x;
            }
        """,
        last_write=[("x@6", "x@2"), ("x@6", "x@4")],
        exact_last_write=True,
    ),
    Case(
        name="goto_backward_is_a_loop",
        code="""
            int f(int n) {
                int x = 0;
            again:
                x = x + 1;
                if (x < n) goto again;
                return x;
            }
        """,
        last_write=[("x@4#2", "x@2"), ("x@4#2", "x@4#1"), ("x@6", "x@4#1")],
        exact_last_write=True,
    ),
    Case(
        name="goto_cleanup_pattern",
        code="""
            int f(int a) {
                int err = 0;
                int fd = open_it(a);
                if (fd < 0) { err = 1; goto out; }
                err = use_it(fd);
            out:
                close_it(fd);
                return err;
            }
        """,
        last_write=[("err@8", "err@4"), ("err@8", "err@5"), ("fd@7", "fd@3")],
        not_last_write=[("err@8", "err@2")],
        exact_last_write=True,
    ),
    Case(
        name="initialiser_reading_its_own_declaration",
        code="""
            int f(int x) {
                int y = y + 1;
                {
                    int x = x + 1;
                    return x + y;
                }
            }
        """,
        last_write=[("x@5", "x@4#1"), ("y@5", "y@2#1")],
        not_last_write=[("y@2#2", "y@2#1"), ("x@4#2", "x@4#1"), ("x@4#2", "x@1")],
        exact_last_write=True,
    ),
    Case(
        name="conditional_increment_in_an_assigned_value",
        code="""
            int f(int c, int n) {
                int i = 0, j = 0;
                int x = c ? i++ : n;
                x = c ? j++ : x;
                return i + j + x;
            }
        """,
        last_write=[("i@5", "i@2"), ("i@5", "i@3"), ("j@5", "j@2"), ("j@5", "j@4"), ("x@5", "x@4#1")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ preprocessor conditionals: one branch is compiled
    Case(
        name="preproc_if_else_bodies_are_alternatives",
        code="""
            int g() {
            #if A
              int f = 1;
              use(f);
            #else
              int f = 2;
              use(f);
            #endif
              return f;
            }
        """,
        last_write=[("f@4", "f@3"), ("f@7", "f@6"), ("f@9", "f@3"), ("f@9", "f@6")],
        not_last_write=[("f@7", "f@3")],
        exact_last_write=True,
    ),
    Case(
        name="preproc_else_sees_what_came_before_the_if",
        code="""
            int g(int x) {
              x = 0;
            #ifdef A
              x = 1;
            #else
              use(x);
            #endif
              return x;
            }
        """,
        last_write=[("x@6", "x@2"), ("x@8", "x@2"), ("x@8", "x@4")],
        not_last_write=[("x@6", "x@4")],
        exact_last_write=True,
    ),
    Case(
        name="preproc_ifdef_without_else_may_be_skipped",
        code="""
            int g(int x) {
              x = 0;
            #ifndef A
              x = 1;
            #endif
              return x;
            }
        """,
        last_write=[("x@6", "x@2"), ("x@6", "x@4")],
        exact_last_write=True,
    ),
    Case(
        name="preproc_elif_chain",
        code="""
            int g(int x) {
              x = 0;
            #if A
              x = 1;
            #elif B
              x = 2;
            #else
              x = 3;
            #endif
              use(x);
            #if C
              x = 4;
            #elif D
              x = 5;
            #endif
              return x;
            }
        """,
        last_write=[("x@10", "x@4"), ("x@10", "x@6"), ("x@10", "x@8"), ("x@16", "x@4"), ("x@16", "x@6"),
                    ("x@16", "x@8"), ("x@16", "x@12"), ("x@16", "x@14")],
        not_last_write=[("x@10", "x@2")],
        exact_last_write=True,
    ),
]
