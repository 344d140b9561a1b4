"""PHP data-flow conformance table (grammars/php/*.scm).

The rules: a variable belongs to its function (or the file), wherever in it it is assigned; a function sees no
variable around it but through `global $x`; an arrow function captures them by value when it is made (it sees
the definitions that reach that point); a closure's `use ($x)` and
`use (&$x)` variables are its own (the edge from the outer variable is not drawn); a member or an element
(`$this->p = v`, `$a[] = v`) writes no variable. `compact`, `extract` and `$$name` are out of scope.
"""

from __future__ import annotations

from tests.graphs.dataflow_cases.case import Case


def _php(body: str, params: str = "") -> str:
    """``body`` in a function (its first line is line 3 of the snippet)."""
    lines = "\n".join("    " + line for line in body.strip("\n").splitlines())
    return f"<?php\nfunction f({params}) {{\n{lines}\n}}\n"


CASES: list[Case] = [
    Case(
        name="straight_line_kill",
        code=_php("$x = 1;\n$x = 2;\nreturn $x;"),
        last_write=[("$x@5", "$x@4")],
        not_last_write=[("$x@5", "$x@3")],
        exact_last_write=True,
    ),
    Case(
        name="computed_from_the_value",
        code=_php("$c = $a * $b + $a;\nreturn $c;", "$a, $b"),
        last_write=[("$a@3#1", "$a@2"), ("$b@3", "$b@2"), ("$a@3#2", "$a@2"), ("$c@4", "$c@3")],
        computed_from=[("$c@3", "$a@3#1"), ("$c@3", "$b@3"), ("$c@3", "$a@3#2")],
        exact_last_write=True,
    ),
    Case(
        name="parameters_of_every_kind",
        code=_php("return [$a, $r, $b, $rest];", "$a, &$r, int $b = 1, ...$rest"),
        last_write=[("$a@3", "$a@2"), ("$r@3", "$r@2"), ("$b@3", "$b@2"), ("$rest@3", "$rest@2")],
        exact_last_write=True,
    ),
    Case(
        name="self_read_before_write",
        code=_php("$x = $x + 1;\nreturn $x;", "$x"),
        last_write=[("$x@3#2", "$x@2"), ("$x@4", "$x@3#1")],
        computed_from=[("$x@3#1", "$x@3#2")],
        exact_last_write=True,
    ),
    Case(
        name="augmented_assignment_reads_then_writes",
        code=_php("$s .= 'x';\n$s ??= 'y';\nreturn $s;", "$s"),
        last_write=[("$s@3", "$s@2"), ("$s@4", "$s@3"), ("$s@5", "$s@4")],
        computed_from=[("$s@3", "$s@3"), ("$s@4", "$s@4")],
        exact_last_write=True,
    ),
    Case(
        name="increment_reads_then_writes",
        code=_php("$i++;\n--$i;\nreturn $i;", "$i"),
        last_write=[("$i@3", "$i@2"), ("$i@4", "$i@3"), ("$i@5", "$i@4")],
        exact_last_write=True,
    ),
    Case(
        name="short_list_destructuring",
        code=_php("[$p, $q] = $pair;\nreturn $p + $q;", "$pair"),
        last_write=[("$pair@3", "$pair@2"), ("$p@4", "$p@3"), ("$q@4", "$q@3")],
        computed_from=[("$p@3", "$pair@3"), ("$q@3", "$pair@3")],
        exact_last_write=True,
    ),
    Case(
        name="list_destructuring",
        code=_php("list($s, $t) = $rest;\nreturn $s . $t;", "$rest"),
        last_write=[("$rest@3", "$rest@2"), ("$s@4", "$s@3"), ("$t@4", "$t@3")],
        exact_last_write=True,
    ),
    Case(
        name="swap_by_destructuring",
        code=_php("[$a, $b] = [$b, $a];\nreturn $a - $b;", "$a, $b"),
        last_write=[("$b@3#2", "$b@2"), ("$a@3#2", "$a@2"), ("$a@4", "$a@3#1"), ("$b@4", "$b@3#1")],
        exact_last_write=True,
    ),
    Case(
        name="reference_assignment",
        code=_php("$r = &$a;\nreturn $r;", "$a"),
        last_write=[("$a@3", "$a@2"), ("$r@4", "$r@3")],
        computed_from=[("$r@3", "$a@3")],
        exact_last_write=True,
    ),
    Case(
        name="member_and_element_writes_write_no_variable",
        code=_php("$o->p = $v;\n$a[] = $v;\nreturn $o;", "$o, $a, $v"),
        last_write=[("$o@3", "$o@2"), ("$v@3", "$v@2"), ("$a@4", "$a@2"), ("$v@4", "$v@2"), ("$o@5", "$o@2")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ scopes
    Case(
        name="function_sees_no_file_variable",
        code="<?php\n$top = 1;\nfunction h() {\n    return $top;\n}\n",
        last_write=[],
        not_last_write=[("$top@4", "$top@2")],
        exact_last_write=True,
    ),
    Case(
        name="global_names_the_file_variable",
        code="<?php\n$top = 1;\nfunction h() {\n    global $top;\n    return $top;\n}\n",
        last_write=[("$top@5", "$top@2")],
    ),
    Case(
        name="static_variable",
        code=_php("static $n = 0;\n$n = $n + 1;\nreturn $n;"),
        last_write=[("$n@4#2", "$n@3"), ("$n@5", "$n@4#1")],
        exact_last_write=True,
    ),
    Case(
        name="closure_use_variables_are_its_own",
        code=_php("$c = function ($m) use ($b) {\n    return $m + $b;\n};\nreturn $c(1);", "$b"),
        last_write=[("$m@4", "$m@3"), ("$b@4", "$b@3"), ("$c@6", "$c@3")],
        not_last_write=[("$b@4", "$b@2")],
        exact_last_write=True,
    ),
    Case(
        name="closure_does_not_see_outer_variables",
        code=_php("$x = 1;\n$c = function () { return $x; };\nreturn $c();"),
        last_write=[("$c@5", "$c@4")],
        not_last_write=[("$x@4", "$x@3")],
        exact_last_write=True,
    ),
    Case(
        name="arrow_function_sees_outer_variables",
        code=_php("$x = 1;\n$d = fn($z) => $z + $x;\nreturn $d(2);"),
        last_write=[("$z@4#2", "$z@4#1"), ("$x@4", "$x@3"), ("$d@5", "$d@4")],
        exact_last_write=True,
    ),
    Case(
        name="catch_variable",
        code=_php("try {\n    $x = g();\n} catch (Exception $e) {\n    return $e;\n}\nreturn $x;"),
        last_write=[("$e@6", "$e@5"), ("$x@8", "$x@4")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ branches
    Case(
        name="if_elseif_else",
        code=_php("if ($v > 1) { $x = 1; }\nelseif ($v < 0) { $x = 2; }\nelse { $x = 3; }\nreturn $x;", "$v"),
        last_write=[("$x@6", "$x@3"), ("$x@6", "$x@4"), ("$x@6", "$x@5")],
        exact_last_write=True,
    ),
    Case(
        name="if_without_else_keeps_before",
        code=_php("$x = 0;\nif ($c) { $x = 1; }\nreturn $x;", "$c"),
        last_write=[("$x@5", "$x@3"), ("$x@5", "$x@4"), ("$c@4", "$c@2")],
        exact_last_write=True,
    ),
    Case(
        name="ternary_and_null_coalescing",
        code=_php("$x = $c ? $a : $b;\n$y = $n ?? ($z = 1);\nreturn $x;", "$c, $a, $b, $n"),
        last_write=[("$x@5", "$x@3")],
        computed_from=[("$x@3", "$c@3"), ("$x@3", "$a@3"), ("$x@3", "$b@3")],
    ),
    Case(
        name="switch_cases_fall_through_until_break",
        code=_php("$x = 0;\nswitch ($k) {\n    case 1: $x = 1;\n    case 2: $x = $x + 2; break;\n    default: $x = 9;\n}\n"
                  "return $x;", "$k"),
        last_write=[("$x@6#2", "$x@3"), ("$x@6#2", "$x@5"), ("$x@9", "$x@6#1"), ("$x@9", "$x@7")],
        not_last_write=[("$x@9", "$x@5"), ("$x@9", "$x@3")],
        exact_last_write=True,
    ),
    Case(
        name="match_arms",
        code=_php("$r = match ($k) { 1 => $a, default => $b };\nreturn $r;", "$k, $a, $b"),
        last_write=[("$k@3", "$k@2"), ("$a@3", "$a@2"), ("$b@3", "$b@2"), ("$r@4", "$r@3")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ loops
    Case(
        name="foreach_key_and_value",
        code=_php("$s = 0;\nforeach ($xs as $k => $v) { $s = $s + $k * $v; }\nreturn $s;", "$xs"),
        last_write=[("$xs@4", "$xs@2"), ("$k@4#2", "$k@4#1"), ("$v@4#2", "$v@4#1"), ("$s@5", "$s@3"),
                    ("$s@5", "$s@4#1")],
        computed_from=[("$v@4#1", "$xs@4")],
    ),
    Case(
        name="foreach_value_only",
        code=_php("$last = null;\nforeach ($xs as $v) { $last = $v; }\nreturn $last;", "$xs"),
        last_write=[("$v@4#2", "$v@4#1"), ("$last@5", "$last@3"), ("$last@5", "$last@4")],
        exact_last_write=True,
    ),
    Case(
        name="while_loop",
        code=_php("$s = 0;\nwhile ($n > 0) { $s += $n; $n--; }\nreturn $s;", "$n"),
        last_write=[("$s@5", "$s@3"), ("$s@5", "$s@4")],
    ),
    Case(
        name="do_while_body_runs_first",
        code=_php("$x = 0;\ndo { $x = $x + 1; } while ($x < $n);\nreturn $x;", "$n"),
        last_write=[("$x@5", "$x@4#1")],
        not_last_write=[("$x@5", "$x@3")],
        exact_last_write=True,
    ),
    Case(
        name="for_init_once_update_each_iteration",
        code=_php("$s = 0;\nfor ($i = 0; $i < $n; $i++) { $s += $i; }\nreturn $s;", "$n"),
        last_write=[("$i@4#2", "$i@4#1"), ("$i@4#2", "$i@4#3"), ("$s@5", "$s@3"), ("$s@5", "$s@4")],
    ),
    Case(
        name="break_and_continue",
        code=_php("$x = 0;\nwhile ($n) {\n    if ($n == 3) { $x = 3; break; }\n    if ($n == 4) { $x = 4; continue; }\n"
                  "    $x = 5;\n}\nreturn $x;", "$n"),
        last_write=[("$x@9", "$x@3"), ("$x@9", "$x@5"), ("$x@9", "$x@6"), ("$x@9", "$x@7")],
        exact_last_write=True,
    ),
    Case(
        name="return_and_throw_end_paths",
        code=_php("$x = 1;\nif ($c) { $x = 2; throw new E($x); }\nreturn $x;", "$c"),
        last_write=[("$x@4#2", "$x@4#1"), ("$x@5", "$x@3")],
        not_last_write=[("$x@5", "$x@4#1")],
        exact_last_write=True,
    ),
    # ------------------------------------------------------------ arrow functions capture by value
    Case(
        name="arrow_function_captures_what_reaches_where_it_is_made",
        code=_php("$x = 1;\nreturn fn() => $x;", "$x"),
        last_write=[("$x@4", "$x@3")],
        not_last_write=[("$x@4", "$x@2")],
        exact_last_write=True,
    ),
    Case(
        name="arrow_function_does_not_see_later_writes",
        code=_php("$x = 1;\n$f = fn() => $x;\n$x = 2;\nreturn $f;"),
        last_write=[("$x@4", "$x@3"), ("$f@6", "$f@4")],
        not_last_write=[("$x@4", "$x@5")],
        exact_last_write=True,
    ),
    Case(
        name="nested_arrow_functions_capture_where_the_outer_one_is_made",
        code=_php("$x = 1;\n$f = fn($y) => fn() => $x + $y;\n$x = 2;\nreturn $f;"),
        last_write=[("$x@4", "$x@3"), ("$y@4#2", "$y@4#1"), ("$f@6", "$f@4")],
        not_last_write=[("$x@4", "$x@5")],
        exact_last_write=True,
    ),
    Case(
        name="arrow_function_in_a_loop_sees_each_iteration",
        code=_php("for ($i = 0; $i < $n; $i++) {\n    $fs[] = fn() => $i;\n}\n$i = 9;\nreturn $fs;", "$n"),
        last_write=[("$i@4", "$i@3#1"), ("$i@4", "$i@3#3")],
        not_last_write=[("$i@4", "$i@6")],
        exact_last_write=True,
    ),
    Case(
        name="arrow_function_at_file_level",
        code="<?php\n$top = 1;\n$t = fn() => $top;\n$top = 2;\n",
        last_write=[("$top@3", "$top@2")],
        not_last_write=[("$top@3", "$top@4")],
        exact_last_write=True,
    ),
]
