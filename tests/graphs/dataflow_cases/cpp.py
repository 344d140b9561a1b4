"""C++ data-flow conformance table (grammars/cpp/*.scm, which inherit C's): C++'s own binding rules. C's table
runs on C++ as well.

References are variables of their own (a write through one is not seen on the variable it refers to);
``this->x`` is a member access and reads no variable, while a bare ``x`` in a method reads the field.
"""

from __future__ import annotations

from tests.graphs.dataflow_cases.case import Case

CASES: list[Case] = [
    Case(
        name="reference_parameter_and_local_reference",
        code="""
            int f(int &out, const int &in) {
                int &r = out;
                r = in + 1;
                return r + out;
            }
        """,
        last_write=[("out@2", "out@1"), ("in@3", "in@1"), ("r@4", "r@3"), ("out@4", "out@1")],
        computed_from=[("r@2", "out@2"), ("r@3", "in@3")],
        exact_last_write=True,
    ),
    Case(
        name="structured_bindings",
        code="""
            int f() {
                auto [a, b] = make_pair(1, 2);
                return a + b;
            }
        """,
        last_write=[("a@3", "a@2"), ("b@3", "b@2")],
        computed_from=[("a@2", "make_pair@2"), ("b@2", "make_pair@2")],
        exact_last_write=True,
    ),
    Case(
        name="range_for_variable_from_the_range",
        code="""
            int f(const std::vector<int> &xs) {
                int s = 0;
                for (const auto &x : xs) {
                    s += x;
                }
                return s;
            }
        """,
        last_write=[("xs@3", "xs@1"), ("x@4", "x@3"), ("s@4", "s@2"), ("s@4", "s@4"), ("s@6", "s@2"),
                    ("s@6", "s@4")],
        computed_from=[("x@3", "xs@3")],
        exact_last_write=True,
    ),
    Case(
        name="lambda_by_reference_writes_the_outer_variable",
        code="""
            int f() {
                int s = 0;
                auto add = [&s](int k) { s += k; };
                add(2);
                return s;
            }
        """,
        last_write=[("s@3#1", "s@2"), ("s@3#2", "s@2"), ("k@3#2", "k@3#1"), ("add@4", "add@3")],
    ),
    Case(
        name="lambda_by_value_reads_at_creation",
        code="""
            int f() {
                int n = 1;
                auto g = [n]() { return n * 2; };
                n = 5;
                return g();
            }
        """,
        last_write=[("n@3#1", "n@2"), ("g@5", "g@3")],
        not_last_write=[("n@3#1", "n@4")],
    ),
    Case(
        name="method_reads_fields_by_bare_name",
        code="""
            class Counter {
             public:
              int total = 0;
              void add(int v) { total = total + v; }
              int get() { return this->total; }
            };
        """,
        last_write=[("total@4#2", "total@3"), ("total@4#2", "total@4#1"), ("v@4#2", "v@4#1")],
        computed_from=[("total@4#1", "total@4#2"), ("total@4#1", "v@4#2")],
    ),
    Case(
        name="try_catch_handler_sees_try_writes",
        code="""
            int f() {
                int x = 0;
                try {
                    x = 1;
                    risky();
                } catch (const std::exception &e) {
                    return x + (e.what() != nullptr);
                }
                return x;
            }
        """,
        last_write=[("x@7", "x@2"), ("x@7", "x@4"), ("e@7", "e@6"), ("x@9", "x@4")],
        exact_last_write=True,
    ),
    Case(
        name="throw_ends_the_path",
        code="""
            int f(int v) {
                int x = 1;
                if (v < 0) {
                    x = 2;
                    throw std::invalid_argument("v");
                }
                return x;
            }
        """,
        last_write=[("x@7", "x@2")],
        not_last_write=[("x@7", "x@4")],
        exact_last_write=True,
    ),
    Case(
        name="condition_declaration",
        code="""
            int f() {
                if (auto p = get()) {
                    return use(p);
                }
                return 0;
            }
        """,
        last_write=[("p@3", "p@2")],
        computed_from=[("p@2", "get@2")],
    ),
    Case(
        name="default_parameter",
        code="""
            int f(int a, int b = 2) {
                return a + b;
            }
        """,
        last_write=[("a@2", "a@1"), ("b@2", "b@1")],
        exact_last_write=True,
    ),
    Case(
        name="qualified_names_are_not_variables",
        code="""
            void f(int error_code, int g, int get) {
                auto ec = std::error_code(error_code, 1);
                auto tm = std::tm();
                int y = ns::y;
                auto p = a::b::g(ec) + ::g() + std::get<0>(tm);
                use(y, p);
            }
        """,
        last_write=[("error_code@2#2", "error_code@1"), ("ec@5", "ec@2"), ("tm@5", "tm@3#1"), ("y@6", "y@4#1"),
                    ("p@6", "p@5#1")],
        not_last_write=[("error_code@2#1", "error_code@1"), ("tm@3#2", "tm@3#1"), ("y@4#2", "y@4#1"),
                        ("g@5#1", "g@1"), ("g@5#2", "g@1"), ("get@5", "get@1")],
        exact_last_write=True,
    ),
]
