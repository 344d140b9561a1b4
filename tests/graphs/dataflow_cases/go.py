"""Go data-flow conformance table (grammars/go/*.scm)."""

from __future__ import annotations

from tests.graphs.dataflow_cases.case import Case

CASES: list[Case] = [
    # ------------------------------------------------------------ declarations, computed_from
    Case(
        name="short_var_and_assignment",
        code="""
            package p

            func f(a, b int) int {
                x := a + b
                x = x * a
                return x
            }
        """,
        last_write=[("a@4", "a@3"), ("b@4", "b@3"), ("x@5#2", "x@4"), ("a@5", "a@3"), ("x@6", "x@5#1")],
        not_last_write=[("x@6", "x@4"), ("x@5#2", "x@5#1")],
        computed_from=[("x@4", "a@4"), ("x@4", "b@4"), ("x@5#1", "x@5#2"), ("x@5#1", "a@5")],
        last_read=[("a@5", "a@4")],
        exact_last_write=True,
    ),
    Case(
        name="var_declarations",
        code="""
            package p

            func f(n int) int {
                var x int = n
                var y, z = x, n
                var w int
                w = y + z
                return w
            }
        """,
        last_write=[("n@4", "n@3"), ("x@5", "x@4"), ("n@5", "n@3"), ("y@7", "y@5"), ("z@7", "z@5"),
                    ("w@8", "w@7")],
        not_last_write=[("w@8", "w@6")],
        computed_from=[("x@4", "n@4"), ("y@5", "x@5"), ("z@5", "n@5"), ("w@7", "y@7")],
        exact_last_write=True,
    ),
    Case(
        name="redeclaration_in_same_scope_writes",
        code="""
            package p

            func f(s string) (int, error) {
                n, err := parse(s)
                m, err := parse(s)
                n, err := fix(n, err)
                return n + m, err
            }
        """,
        last_write=[("n@6#2", "n@4"), ("err@6#2", "err@5"), ("n@7", "n@6#1"), ("m@7", "m@5"),
                    ("err@7", "err@6#1")],
        not_last_write=[("err@7", "err@4"), ("err@7", "err@5"), ("n@6#2", "n@6#1")],
        computed_from=[("n@6#1", "n@6#2"), ("err@6#1", "err@6#2")],
        exact_last_write=True,
    ),
    Case(
        name="parameters_receiver_and_results",
        code="""
            package p

            func (t *T) M(a int, rest ...string) (out int, err error) {
                out = a + len(rest) + t.n
                return out, err
            }
        """,
        last_write=[("a@4", "a@3"), ("rest@4", "rest@3"), ("t@4", "t@3"), ("out@5", "out@4"),
                    ("err@5", "err@3")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ branches
    Case(
        name="if_else_both_reach",
        code="""
            package p

            func f(c bool) int {
                var x int
                if c {
                    x = 1
                } else {
                    x = 2
                }
                return x
            }
        """,
        last_write=[("x@10", "x@6"), ("x@10", "x@8"), ("c@5", "c@3")],
        not_last_write=[("x@10", "x@4")],
        exact_last_write=True,
    ),
    Case(
        name="if_without_else_keeps_before",
        code="""
            package p

            func f(c bool) int {
                x := 0
                if c {
                    x = 1
                }
                return x
            }
        """,
        last_write=[("x@8", "x@4"), ("x@8", "x@6")],
        exact_last_write=True,
    ),
    Case(
        name="else_if_chain",
        code="""
            package p

            func f(v int) int {
                x := 0
                if v == 1 {
                    x = 1
                } else if v == 2 {
                    x = 2
                } else {
                    x = 3
                }
                return x
            }
        """,
        last_write=[("x@12", "x@6"), ("x@12", "x@8"), ("x@12", "x@10")],
        not_last_write=[("x@12", "x@4")],
        last_read=[("v@7", "v@5")],
        exact_last_write=True,
    ),
    Case(
        name="else_if_chain_without_else",
        code="""
            package p

            func f(v int) int {
                x := 0
                if v == 1 {
                    x = 1
                } else if v == 2 {
                    x = 2
                }
                return x
            }
        """,
        last_write=[("x@10", "x@4"), ("x@10", "x@6"), ("x@10", "x@8")],
        exact_last_write=True,
    ),
    Case(
        name="if_initializer_scoped_to_if",
        code="""
            package p

            func f(err error) error {
                if err := check(); err != nil {
                    return err
                }
                return err
            }
        """,
        last_write=[("err@4#2", "err@4#1"), ("err@5", "err@4#1"), ("err@7", "err@3")],
        not_last_write=[("err@7", "err@4#1"), ("err@4#2", "err@3")],
        exact_last_write=True,
    ),
    Case(
        name="short_circuit",
        code="""
            package p

            func f(a bool) int {
                x := 0
                _ = a && set(&x)
                ok := a || g(x)
                return x
            }
        """,
        last_write=[("x@5", "x@4"), ("x@6", "x@4"), ("a@6", "a@3")],
        last_read=[("a@6", "a@5")],
        computed_from=[("ok@6", "a@6"), ("ok@6", "x@6")],
    ),
    Case(
        name="expression_switch",
        code="""
            package p

            func f(v int) int {
                x := 0
                switch v {
                case 1, 2:
                    x = 1
                case 3:
                    x = 2
                    break
                default:
                    x = 3
                }
                return x
            }
        """,
        last_write=[("x@14", "x@7"), ("x@14", "x@9"), ("x@14", "x@12"), ("v@5", "v@3")],
        not_last_write=[("x@14", "x@4")],
        exact_last_write=True,
    ),
    Case(
        name="switch_without_default",
        code="""
            package p

            func f(v int) int {
                x := 0
                switch {
                case v > 0:
                    x = 1
                }
                return x
            }
        """,
        last_write=[("x@9", "x@4"), ("x@9", "x@7")],
        exact_last_write=True,
    ),
    Case(
        name="switch_initializer_and_case_scope",
        code="""
            package p

            func f() int {
                switch s := get(); s {
                case 1:
                    y := s
                    return y
                }
                return 0
            }
        """,
        last_write=[("s@4#2", "s@4#1"), ("s@6", "s@4#1"), ("y@7", "y@6")],
        exact_last_write=True,
    ),
    Case(
        name="type_switch",
        code="""
            package p

            func f(i interface{}) int {
                switch v := i.(type) {
                case int:
                    return v
                case string:
                    return len(v)
                }
                return 0
            }
        """,
        last_write=[("i@4", "i@3"), ("v@6", "v@4"), ("v@8", "v@4")],
        computed_from=[("v@4", "i@4")],
        exact_last_write=True,
    ),
    Case(
        name="select_runs_one_case",
        code="""
            package p

            func f(ch chan int, done chan bool) int {
                x := 0
                select {
                case v := <-ch:
                    x = v
                case <-done:
                    x = -1
                }
                return x
            }
        """,
        last_write=[("ch@6", "ch@3"), ("v@7", "v@6"), ("x@11", "x@7"), ("x@11", "x@9")],
        not_last_write=[("x@11", "x@4")],
        computed_from=[("v@6", "ch@6")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ loops
    Case(
        name="for_condition_loop_carried",
        code="""
            package p

            func f(n int) int {
                x := 0
                for x < n {
                    y := x
                    x = y + 1
                }
                return x
            }
        """,
        last_write=[("x@5", "x@4"), ("x@5", "x@7"), ("x@6", "x@4"), ("x@6", "x@7"), ("y@7", "y@6"),
                    ("x@9", "x@4"), ("x@9", "x@7"), ("n@5", "n@3")],
        computed_from=[("x@7", "y@7"), ("y@6", "x@6")],
        exact_last_write=True,
    ),
    Case(
        name="for_clause_init_cond_update",
        code="""
            package p

            func f(n int) int {
                s := 0
                for i := 0; i < n; i++ {
                    s += i
                }
                return s
            }
        """,
        last_write=[("i@5#2", "i@5#1"), ("i@5#2", "i@5#3"), ("i@5#3", "i@5#1"), ("i@5#3", "i@5#3"), ("i@6", "i@5#1"),
                    ("i@6", "i@5#3"), ("s@6", "s@4"), ("s@6", "s@6"), ("s@8", "s@4"), ("s@8", "s@6")],
        computed_from=[("s@6", "i@6"), ("s@6", "s@6"), ("i@5#3", "i@5#3")],
        exact_last_write=True,
    ),
    Case(
        name="range_loop",
        code="""
            package p

            func f(m map[string]int) int {
                total := 0
                for k, v := range m {
                    total += v
                    use(k)
                }
                return total
            }
        """,
        last_write=[("m@5", "m@3"), ("v@6", "v@5"), ("k@7", "k@5"), ("total@6", "total@4"), ("total@6", "total@6"),
                    ("total@9", "total@4"), ("total@9", "total@6")],
        computed_from=[("k@5", "m@5"), ("v@5", "m@5"), ("total@6", "v@6")],
        exact_last_write=True,
    ),
    Case(
        name="range_assigns_existing_variables",
        code="""
            package p

            func f(xs []int) int {
                i := -1
                for i = range xs {
                }
                return i
            }
        """,
        last_write=[("i@7", "i@4"), ("i@7", "i@5")],
        exact_last_write=True,
    ),
    Case(
        name="break_and_continue",
        code="""
            package p

            func f(xs []int) int {
                x := 0
                for _, v := range xs {
                    if v < 0 {
                        continue
                    }
                    if v == 0 {
                        x = 1
                        break
                    }
                    x = v
                }
                return x
            }
        """,
        last_write=[("x@15", "x@4"), ("x@15", "x@10"), ("x@15", "x@13")],
        exact_last_write=True,
    ),
    Case(
        name="return_in_branch_does_not_reach_after",
        code="""
            package p

            func f(c bool) int {
                x := 1
                if c {
                    x = 2
                    return x
                }
                return x
            }
        """,
        last_write=[("x@7", "x@6"), ("x@9", "x@4")],
        not_last_write=[("x@9", "x@6")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ scopes, shadowing, closures
    Case(
        name="short_var_in_inner_block_shadows",
        code="""
            package p

            func f() int {
                x := 1
                if ok() {
                    x := 2
                    use(x)
                }
                return x
            }
        """,
        last_write=[("x@7", "x@6"), ("x@9", "x@4")],
        not_last_write=[("x@9", "x@6"), ("x@7", "x@4")],
        exact_last_write=True,
    ),
    Case(
        name="short_var_in_inner_block_reads_the_outer_in_its_value",
        code="""
            package p

            func f(x int) int {
                if true {
                    x := x + 1
                    return x
                }
                return x
            }
        """,
        last_write=[("x@5#2", "x@3"), ("x@6", "x@5#1"), ("x@8", "x@3")],
        not_last_write=[("x@5#2", "x@5#1")],
        computed_from=[("x@5#1", "x@5#2")],
        exact_last_write=True,
    ),
    Case(
        name="shadowing_var_if_header_and_range_read_the_outer",
        code="""
            package p

            func f(x int, v []int) int {
                if ok() {
                    var x = x + 1
                    use(x)
                }
                if x := x + 2; x > 0 {
                    use(x)
                }
                for _, v := range v {
                    use(v)
                }
                return x
            }
        """,
        last_write=[("x@5#2", "x@3"), ("x@6", "x@5#1"), ("x@8#2", "x@3"), ("x@8#3", "x@8#1"),
                    ("x@9", "x@8#1"), ("v@11#2", "v@3"), ("v@12", "v@11#1"), ("x@14", "x@3")],
        not_last_write=[("x@5#2", "x@5#1"), ("x@8#2", "x@8#1"), ("v@11#2", "v@11#1")],
        exact_last_write=True,
    ),
    Case(
        name="assignment_in_inner_block_writes_outer",
        code="""
            package p

            func f() int {
                x := 1
                if ok() {
                    x = 2
                }
                return x
            }
        """,
        last_write=[("x@8", "x@4"), ("x@8", "x@6")],
        exact_last_write=True,
    ),
    Case(
        name="package_level_variables",
        code="""
            package p

            func get() int {
                return counter + limit
            }

            var counter = 0

            const limit = 10

            func inc() {
                counter++
            }
        """,
        last_write=[("counter@4", "counter@7"), ("counter@4", "counter@12"), ("limit@4", "limit@9")],
        exact_last_write=True,
    ),
    Case(
        name="functions_are_package_level_names",
        code="""
            package p

            func a() int { return b() }

            func b() int { return 1 }
        """,
        last_write=[("b@3", "b@5")],
        exact_last_write=True,
    ),
    Case(
        name="func_literal_closure",
        code="""
            package p

            func f() func() int {
                n := 0
                inc := func() int {
                    n++
                    return n
                }
                n = 5
                return inc
            }
        """,
        last_write=[("n@6", "n@4"), ("n@6", "n@9"), ("n@6", "n@6"), ("n@7", "n@6"), ("inc@10", "inc@5")],
        exact_last_write=True,
    ),
    Case(
        name="func_literal_writes_are_seen_after_it_is_made",
        code="""
            package p

            func f() int {
                x := 0
                use(x)
                g := func() { x = 1 }
                g()
                return x
            }
        """,
        last_write=[("x@5", "x@4"), ("x@8", "x@4"), ("x@8", "x@6"), ("g@7", "g@6")],
        not_last_write=[("x@5", "x@6")],
        exact_last_write=True,
    ),
    Case(
        name="func_literal_parameters_and_locals",
        code="""
            package p

            func f(x int) {
                g := func(x int) int {
                    y := x * 2
                    return y
                }
                use(g, x)
            }
        """,
        last_write=[("x@5", "x@4"), ("y@6", "y@5"), ("g@8", "g@4"), ("x@8", "x@3")],
        not_last_write=[("x@5", "x@3")],
        exact_last_write=True,
    ),
    Case(
        name="goroutine_and_defer_literals",
        code="""
            package p

            func f(ch chan int) {
                v := 1
                go func() { ch <- v }()
                defer func(a int) { use(a) }(v)
            }
        """,
        last_write=[("ch@5", "ch@3"), ("v@5", "v@4"), ("a@6#2", "a@6#1"), ("v@6", "v@4")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ assignments
    Case(
        name="compound_assignment_and_increment",
        code="""
            package p

            func f(y int) int {
                x := 1
                x += y
                x++
                x--
                return x
            }
        """,
        last_write=[("x@5", "x@4"), ("y@5", "y@3"), ("x@6", "x@5"), ("x@7", "x@6"), ("x@8", "x@7")],
        last_read=[("x@6", "x@5"), ("x@7", "x@6"), ("x@8", "x@7")],
        computed_from=[("x@5", "y@5")],
        exact_last_write=True,
    ),
    Case(
        name="multiple_assignment_swap",
        code="""
            package p

            func f() (int, int) {
                a, b := 1, 2
                a, b = b, a
                return a, b
            }
        """,
        last_write=[("b@5#2", "b@4"), ("a@5#2", "a@4"), ("a@6", "a@5#1"), ("b@6", "b@5#1")],
        not_last_write=[("a@5#2", "a@5#1"), ("b@5#2", "b@5#1")],
        computed_from=[("a@5#1", "b@5#2"), ("b@5#1", "a@5#2")],
        exact_last_write=True,
    ),
    Case(
        name="blank_identifier_is_not_a_variable",
        code="""
            package p

            func f() int {
                _, x := g()
                _, y := g()
                _ = x
                return y
            }
        """,
        last_write=[("x@6", "x@4"), ("y@7", "y@5")],
        not_computed_from=[("_@4", "g@4"), ("_@6", "x@6")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ fields, selectors
    Case(
        name="selector_reads_operand_only",
        code="""
            package p

            func f(s *S, name string) string {
                v := s.name
                s.name = v
                s.items[0] = name
                return v
            }
        """,
        last_write=[("s@4", "s@3"), ("s@5", "s@3"), ("v@5", "v@4"), ("s@6", "s@3"), ("name@6", "name@3"),
                    ("v@7", "v@4")],
        computed_from=[("v@4", "s@4")],
        last_read=[("s@5", "s@4"), ("s@6", "s@5")],
        exact_last_write=True,
    ),
    Case(
        name="struct_literal_keys_are_fields",
        code="""
            package p

            func f(name string) T {
                t := T{name: name}
                return t
            }
        """,
        last_write=[("name@4#2", "name@3"), ("t@5", "t@4")],
        not_last_write=[("name@4#1", "name@3")],
        exact_last_write=True,
    ),
]
