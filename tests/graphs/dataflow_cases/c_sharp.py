"""C# data-flow conformance table (grammars/c_sharp/*.scm).

The rules: `F(out x)` writes x, `F(ref x)` reads and writes it, `F(in x)` reads it; pattern variables (`is T x`,
switch patterns) and `out var x` are locals; deconstruction writes each name after the right side; a member or
an index (`this.x = v`, `a[i] = v`) writes no variable, and a bare field name in a method reads the field.
"""

from __future__ import annotations

from tests.graphs.dataflow_cases.case import Case


def _method(body: str, params: str = "") -> str:
    """A method around ``body`` (its first line is line 3 of the snippet)."""
    lines = "\n".join("        " + line for line in body.strip("\n").splitlines())
    return f"class A {{\n    int F({params}) {{\n{lines}\n    }}\n}}\n"


CASES: list[Case] = [
    Case(
        name="straight_line_kill",
        code=_method("int x = 1;\nx = 2;\nreturn x;"),
        last_write=[("x@5", "x@4")],
        not_last_write=[("x@5", "x@3")],
        exact_last_write=True,
    ),
    Case(
        name="declarators_computed_from_initialisers",
        code=_method("int x = a, y = x * 2;\nreturn y;", "int a"),
        last_write=[("a@3", "a@2"), ("x@3#2", "x@3#1"), ("y@4", "y@3")],
        computed_from=[("x@3#1", "a@3"), ("y@3", "x@3#2")],
        exact_last_write=True,
    ),
    Case(
        name="out_argument_writes",
        code=_method("int x = 0;\nG(out x);\nreturn x;"),
        last_write=[("x@5", "x@4")],
        not_last_write=[("x@5", "x@3")],
        exact_last_write=True,
    ),
    Case(
        name="ref_argument_reads_and_writes",
        code=_method("int x = 1;\nG(ref x);\nreturn x;"),
        last_write=[("x@4", "x@3"), ("x@5", "x@4")],
        exact_last_write=True,
    ),
    Case(
        name="in_argument_reads",
        code=_method("int x = 1;\nG(in x);\nreturn x;"),
        last_write=[("x@4", "x@3"), ("x@5", "x@3")],
        exact_last_write=True,
    ),
    Case(
        name="out_var_declares",
        code=_method("if (int.TryParse(s, out var n)) { return n; }\nreturn 0;", "string s"),
        last_write=[("s@3", "s@2"), ("n@3#2", "n@3#1")],
        exact_last_write=True,
    ),
    Case(
        name="out_and_ref_parameters",
        code=_method("o = a;\nr += o;\nreturn r;", "int a, out int o, ref int r"),
        last_write=[("a@3", "a@2"), ("o@4", "o@3"), ("r@4", "r@2"), ("r@5", "r@4")],
        computed_from=[("o@3", "a@3"), ("r@4", "o@4"), ("r@4", "r@4")],
        exact_last_write=True,
    ),
    Case(
        name="is_pattern_variable",
        code=_method("if (obj is string s && s.Length > 0) { return s.Length; }\nreturn 0;", "object obj"),
        last_write=[("obj@3", "obj@2"), ("s@3#2", "s@3#1"), ("s@3#3", "s@3#1")],
        computed_from=[("s@3#1", "obj@3")],
        exact_last_write=True,
    ),
    Case(
        name="switch_pattern_variable",
        code=_method("switch (o) {\n    case int i: return i;\n    default: return 0;\n}", "object o"),
        last_write=[("o@3", "o@2"), ("i@4#2", "i@4#1")],
        exact_last_write=True,
    ),
    Case(
        name="switch_expression_arms",
        code=_method("var r = k switch { 1 => a, int j => j + a, _ => 0 };\nreturn r;", "int k, int a"),
        last_write=[("k@3", "k@2"), ("a@3#1", "a@2"), ("a@3#2", "a@2"), ("j@3#2", "j@3#1"), ("r@4", "r@3")],
        exact_last_write=True,
    ),
    Case(
        name="deconstruction_declaration",
        code=_method("var (p, q) = (a, 2);\nreturn p + q;", "int a"),
        last_write=[("a@3", "a@2"), ("p@4", "p@3"), ("q@4", "q@3")],
        computed_from=[("p@3", "a@3"), ("q@3", "a@3")],
        exact_last_write=True,
    ),
    Case(
        name="deconstruction_assignment_swaps",
        code=_method("int p = 1, q = 2;\n(p, q) = (q, p);\nreturn p - q;"),
        last_write=[("q@4#2", "q@3"), ("p@4#2", "p@3"), ("p@5", "p@4#1"), ("q@5", "q@4#1")],
        exact_last_write=True,
    ),
    Case(
        name="using_declaration_and_statement",
        code=_method("using var s = Open();\nusing (var t = s.Next()) { t.Go(); }\nreturn s.Count;"),
        last_write=[("s@4", "s@3"), ("t@4#2", "t@4#1"), ("s@5", "s@3")],
        exact_last_write=True,
    ),
    Case(
        name="member_and_index_writes_write_no_variable",
        code=_method("this.total = v;\nitems[v] = v;\nreturn total;", "int v"),
        last_write=[("v@3", "v@2"), ("v@4#1", "v@2"), ("v@4#2", "v@2")],
        not_last_write=[("total@5", "total@3")],  # `this.total = v` wrote no variable
        exact_last_write=True,
    ),
    Case(
        name="bare_field_in_a_method_reads_the_field",
        code="class A {\n    int total = 0;\n    void Add(int v) { total = total + v; }\n}\n",
        last_write=[("total@3#2", "total@2"), ("total@3#2", "total@3#1"), ("v@3#2", "v@3#1")],
    ),
    # ------------------------------------------------------------ branches
    Case(
        name="if_else_both_reach",
        code=_method("int x;\nif (c) { x = 1; } else { x = 2; }\nreturn x;", "bool c"),
        last_write=[("x@5", "x@4#1"), ("x@5", "x@4#2"), ("c@4", "c@2")],
        not_last_write=[("x@5", "x@3")],
        exact_last_write=True,
    ),
    Case(
        name="if_without_else_keeps_before",
        code=_method("int x = 0;\nif (c) x = 1;\nreturn x;", "bool c"),
        last_write=[("x@5", "x@3"), ("x@5", "x@4")],
        exact_last_write=True,
    ),
    Case(
        name="null_coalescing_right_side_may_not_run",
        code=_method("string t = null;\nvar u = s ?? (t = \"x\");\nreturn t;", "string s"),
        last_write=[("t@5", "t@3"), ("t@5", "t@4")],
        exact_last_write=True,
    ),
    Case(
        name="switch_sections_do_not_fall_through",
        code=_method("int x = 0;\nswitch (k) {\n    case 1: x = 1; break;\n    case 2: x = 2; break;\n}\nreturn x;",
                     "int k"),
        last_write=[("x@8", "x@3"), ("x@8", "x@5"), ("x@8", "x@6")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ loops
    Case(
        name="foreach_variable_from_the_collection",
        code=_method("int s = 0;\nforeach (var v in xs) { s += v; }\nreturn s;", "int[] xs"),
        last_write=[("xs@4", "xs@2"), ("v@4#2", "v@4#1"), ("s@4", "s@3"), ("s@4", "s@4"), ("s@5", "s@3"),
                    ("s@5", "s@4")],
        computed_from=[("v@4#1", "xs@4")],
        exact_last_write=True,
    ),
    Case(
        name="foreach_deconstruction",
        code=_method("int s = 0;\nforeach (var (k, v) in pairs) { s += k + v; }\nreturn s;", "(int, int)[] pairs"),
        last_write=[("k@4#2", "k@4#1"), ("v@4#2", "v@4#1"), ("pairs@4", "pairs@2")],
    ),
    Case(
        name="for_init_once_update_each_iteration",
        code=_method("int s = 0;\nfor (int i = 0; i < n; i++) { s += i; }\nreturn s;", "int n"),
        last_write=[("i@4#2", "i@4#1"), ("i@4#2", "i@4#3"), ("i@4#4", "i@4#1"), ("i@4#4", "i@4#3"),
                    ("s@5", "s@3"), ("s@5", "s@4")],
    ),
    Case(
        name="do_while_body_runs_before_the_test",
        code=_method("int x = 0;\ndo { x = x + 1; } while (x < n);\nreturn x;", "int n"),
        last_write=[("x@5", "x@4#1")],
        not_last_write=[("x@5", "x@3")],
    ),
    Case(
        name="break_and_continue",
        code=_method("int x = 0;\nwhile (n > 0) {\n    if (n == 3) { x = 3; break; }\n    if (n == 4) { x = 4; continue; }\n"
                     "    x = 5;\n}\nreturn x;", "int n"),
        last_write=[("x@9", "x@3"), ("x@9", "x@5"), ("x@9", "x@6"), ("x@9", "x@7")],
        exact_last_write=True,
    ),
    Case(
        name="goto_forward",
        code=_method("int x = 1;\nif (c) goto done;\nx = 2;\ndone:\nreturn x;", "bool c"),
        last_write=[("x@7", "x@3"), ("x@7", "x@5")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ exceptions
    Case(
        name="catch_sees_try_writes_finally_always_runs",
        code=_method("int x = 0;\ntry { x = 1; G(); }\ncatch (Exception e) { return x + e.HResult; }\nfinally { x = 9; }\n"
                     "return x;"),
        last_write=[("x@5", "x@3"), ("x@5", "x@4"), ("e@5#2", "e@5#1"), ("x@7", "x@6")],
    ),
    # ------------------------------------------------------------ lambdas, local functions, LINQ
    Case(
        name="lambda_parameters_and_captures",
        code=_method("Func<int, int> f = k => k + a;\nreturn f(2);", "int a"),
        last_write=[("k@3#2", "k@3#1"), ("a@3", "a@2"), ("f@4", "f@3")],
        exact_last_write=True,
    ),
    Case(
        name="lambda_with_parameter_list",
        code=_method("Func<int, int, int> g = (u, t) => u + t;\nreturn g(1, 2);"),
        last_write=[("u@3#2", "u@3#1"), ("t@3#2", "t@3#1"), ("g@4", "g@3")],
        exact_last_write=True,
    ),
    Case(
        name="local_function",
        code=_method("int Twice(int z) { return z * 2; }\nreturn Twice(a);", "int a"),
        last_write=[("z@3#2", "z@3#1"), ("Twice@4", "Twice@3"), ("a@4", "a@2")],
        exact_last_write=True,
    ),
    Case(
        name="linq_range_variable",
        code=_method("var ys = from w in xs where w > a select w * 2;\nreturn ys.Count();", "int[] xs, int a"),
        last_write=[("xs@3", "xs@2"), ("w@3#2", "w@3#1"), ("w@3#3", "w@3#1"), ("a@3", "a@2"), ("ys@4", "ys@3")],
        exact_last_write=True,
    ),
    Case(
        name="type_names_in_type_positions_are_not_variables",
        code=_method("var c = v as Foo;\nvar d = (Foo)v;\nforeach (Foo q in list) {}\nvar t = typeof(Foo);\n"
                     "Foo[] a = null; Foo? n = default(Foo);\nreturn c;", "object v, object[] list"),
        computed_from=[("c@3", "v@3"), ("d@4", "v@4")],
        not_computed_from=[("c@3", "Foo@3"), ("d@4", "Foo@4"), ("t@6", "Foo@6"), ("n@7", "Foo@7#3")],
        not_last_read=[("Foo@4", "Foo@3"), ("Foo@5", "Foo@4"), ("Foo@6", "Foo@5"), ("Foo@7#1", "Foo@6")],
    ),
    # ------------------------------------------------------------ preprocessor conditionals: one branch is compiled
    Case(
        name="preproc_if_elif_else_bodies_are_alternatives",
        code=_method("int x = 0;\n#if A\nx = 1;\nUse(x);\n#elif B\nx = 2;\n#else\nUse(x);\n#endif\nreturn x;"),
        last_write=[("x@6", "x@5"), ("x@10", "x@3"), ("x@12", "x@3"), ("x@12", "x@5"), ("x@12", "x@8")],
        not_last_write=[("x@10", "x@5"), ("x@10", "x@8")],
        exact_last_write=True,
    ),
    Case(
        name="preproc_if_without_else_may_be_skipped",
        code=_method("int x = 0;\n#if DEBUG\nx = 1;\n#endif\nreturn x;"),
        last_write=[("x@7", "x@3"), ("x@7", "x@5")],
        exact_last_write=True,
    ),
]
