"""Fragment-aware syntax checking: code that is a class member, a block or an expression, not a whole file."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphcode.check import FRAGMENTS, check_syntax
from graphcode.errors import ConfigError
from graphcode.graphs.languages import available_languages, get_spec

EXAMPLE = Path(__file__).parent / "evaluate" / "data" / "codexglue_example"

# CodeXGLUE's gold C# (one method or constructor per line) and constructors as the benchmark has them
MEMBERS = {
    "c_sharp": ["public DVRecord(RecordInputStream in1){field_1_options = in1.ReadInt();}",
                "public X(): base(1) {int a = 1;}",
                *(EXAMPLE / "references.txt").read_text(encoding="utf-8").splitlines()],
    "java": ["public DVRecord(RecordInputStream in) {field_1_options = in.readInt();}",
             "public String toString() { return \"x\" + y; }", "@Override public int hashCode() { return 1; }"],
    "python": ["def area(self):\n    return self.w * self.h\n"],
    "javascript": ["constructor(a) { this.a = a; }", "get size() { return this.n; }"],
    "typescript": ["private count(xs: number[]): number { return xs.length; }"],
    "cpp": ["int size() const { return n_; }"],
}
# the same shapes with a real error: still rejected, at the error's place in the code as given
INVALID = {
    "c_sharp": ("public X(int a {a = 1;}", 1, 15),
    "java": ("public int f() {\n  return 1 +;\n}", 2, 13),
    "python": ("def area(self):\n    return (self.w *\n", 2, None),
    "javascript": ("get size() { return this.n }}", 1, 30),  # the extra brace closes the class: found at the end
}


@pytest.mark.parametrize("lang", sorted(MEMBERS))
def test_members_without_their_class_are_valid_as_members(lang):
    for code in MEMBERS[lang]:
        assert check_syntax(code, lang, fragment="member").valid, code
    if lang in ("c_sharp", "java"):  # a constructor is not a whole file
        assert not check_syntax(MEMBERS[lang][0], lang).valid


@pytest.mark.parametrize("lang", sorted(INVALID))
def test_invalid_members_are_rejected_with_positions_in_the_code(lang):
    code, line, column = INVALID[lang]
    report = check_syntax(code, lang, fragment="member")
    assert not report.valid
    first = report.errors[0]
    lines = code.split("\n")
    assert 1 <= first.line <= len(lines) and 1 <= first.column <= len(lines[first.line - 1]) + 1
    assert (first.line, first.column) == (line, column) if column else first.line == line
    assert not first.end_line or (first.end_line, first.end_column) >= (first.line, first.column)


def test_blocks_and_expressions():
    assert check_syntax("total = 0\nfor x in xs:\n    total += x\nreturn total", "python", fragment="block").valid
    assert not check_syntax("return total", "python").valid  # outside a function, as a file
    bad = check_syntax("x = 1\nif x\n    y = 2", "python", fragment="block")
    assert not bad.valid and bad.errors[0].line == 2  # the indent the wrapper added is not counted
    assert check_syntax("a + b * c", "java", fragment="expression").valid
    assert check_syntax("int s = 0; for (int x : xs) { s += x; } return s;", "java", fragment="block").valid
    assert not check_syntax("a + * c", "java", fragment="expression").valid


def test_every_language_declares_its_fragments_as_data():
    for lang in available_languages():
        declared = get_spec(lang).extra.get("fragments") or {}
        assert "block" in declared and "expression" in declared, lang
        assert set(declared) <= set(FRAGMENTS) - {"file"}, lang
    with pytest.raises(ConfigError, match=r"fragment 'member': expected \[fragments.member\] in grammars/c/language.toml"):
        check_syntax("int f(void) { return 1; }", "c", fragment="member")
    with pytest.raises(ConfigError, match="fragment: expected one of file, member, block, expression, found 'method'"):
        check_syntax("x", "python", fragment="method")


def test_text_with_nul_bytes_is_text(tmp_path, capsys):
    """A NUL inside a Java string literal is valid Java (commons-lang has such tests): one NUL byte is no proof of a
    binary file, and tree-sitter's lexers must not read it as the end of the input."""
    from graphcode.cli import main

    java = tmp_path / "Nul.java"
    java.write_bytes(b'class Nul {\n  String s = "a\x00b";\n  int n = 1;\n}\n')
    assert main(["check", str(java), "--quiet"]) == 0
    assert main(["graph", str(java), "--summary-only", "--quiet"]) == 0
    outside = tmp_path / "Bad.java"
    outside.write_bytes(b"class Bad {\n  int n = 1\x00;\n}\n")  # where Java allows no such character
    assert main(["check", str(outside), "--quiet"]) == 1
    binary = tmp_path / "data.py"
    binary.write_bytes(bytes(range(32)) * 20)
    assert main(["check", str(binary)]) == 3
    assert "expected a text file, found binary data (" in capsys.readouterr().err


def test_python_compiler_columns_are_characters_and_ends_never_precede_starts():
    report = check_syntax('s = "héllo" + 1 +\n', "python", compiler=True)
    compiler = [e for e in report.errors if e.checker == "python"] or list(report.errors)
    never_closed = check_syntax('x = ("é",\n', "python")
    for error in (*compiler, *never_closed.errors):
        assert (error.end_line, error.end_column) >= (error.line, error.column) or not error.end_line
    from graphcode.check import _python_compile

    issue = _python_compile('x = "é" +\n'.encode(), "<code>")
    assert issue.column == 10, "the column after '+', counted in characters (11 in bytes)"
    issue = _python_compile('s = "héllo" + (\n'.encode(), "<code>")
    assert issue.column == 15 and (issue.end_line, issue.end_column) >= (issue.line, issue.column)


def test_the_error_cap_is_a_setting(tmp_path, capsys):
    from graphcode.cli import main

    code = "\n".join("x = (" for _ in range(80)) + "\n"
    report = check_syntax(code, "python", compiler=False, max_errors=5)
    assert len(report.errors) <= 5 and report.num_errors >= len(report.errors)
    path = tmp_path / "many.js"
    path.write_text("\n".join("let = ;" for _ in range(80)) + "\n")
    assert main(["check", str(path), "--max-errors", "3"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len([line for line in lines if ": syntax error" in line]) == 3 and "more errors" in lines[-1]


def test_preprocessor_conditionals_are_checked_branch_by_branch():
    from graphcode.check import branch_configurations

    # a conditional inside an initializer: no grammar can parse the mix, each configuration is plain C
    code = "int a[] = {\n#ifdef WIDE\n  1, 2,\n#else\n  1,\n#endif\n  3};\n"
    first, second = branch_configurations(code.encode())
    assert len(first) == len(second) == len(code.encode()) and first.count(b"\n") == code.count("\n")
    assert b"2," in first and b"2," not in second and b"#" not in first + second
    report = check_syntax(code, "c", compiler=False)
    assert report.valid and report.checks == ("tree-sitter", "branches")
    # a real error in one branch is still found, at its place
    broken = "int a[] = {\n#ifdef WIDE\n  1, 2,\n#else\n  1 +,\n#endif\n  3};\n"
    report = check_syntax(broken, "c", compiler=False)
    assert not report.valid and report.errors[0].line == 5
    # C#'s #if too (Newtonsoft.Json puts conditionals inside argument lists)
    cs = "class A { void F() { G(1\n#if NET5\n, 2\n#endif\n); } }\n"
    assert check_syntax(cs, "c_sharp").valid
    assert branch_configurations(b"int x;\n") == []
    # #if 0 is false in both configurations: what it disables is never checked
    assert check_syntax("#if 0\nthis is not C\n#endif\nint x;\n", "c", compiler=False).valid


def test_a_compiler_second_opinion_where_the_grammar_cannot_read_macros(tmp_path):
    import shutil

    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed: the second opinion is skipped, and the report says so")
    (tmp_path / "include").mkdir()
    (tmp_path / "include" / "decl.h").write_text("#define LIST(X) X(a) X(b)\n#define DECL(n) int n;\n")
    src = tmp_path / "src"
    src.mkdir()
    code = '#include "decl.h"\nLIST(DECL)\nint g(void) { return a + b; }\n'  # an X-macro list, as C projects use
    alone = check_syntax(code, "c", compiler=False)
    assert not alone.valid  # tree-sitter cannot see through the macro
    checked = check_syntax(code, "c", filename=str(src / "m.c"))  # decl.h is found one folder up, in include/
    assert checked.valid and checked.checks == ("tree-sitter", "gcc")
    wrong = check_syntax(code.replace("a + b;", "a + b"), "c", filename=str(src / "m.c"))
    assert not wrong.valid and wrong.checks == ("tree-sitter", "gcc")  # both say so
    assert not check_syntax("int f( { return 1; }", "c").valid


# Real syntax errors the compiler's second opinion must still reject: its semantic errors are set aside, these are not
SYNTAX_ERRORS = {
    "c": ["int f(void) { return 1 }\n", "int f( { return 1; }\n", "int x = ;\n", "int f(void) { if (1 { } }\n",
          "int f(void) { for (int i = 0; i < 3) {} }\n", "int f(void) { return 1; \n", "int f(void) { int x = 1 +; return x; }\n",
          "int f(void) { int a[3 = {1}; }\n"],
    "cpp": ["int f() { return 1 }\n", "class A { int x; \n", "int f() { auto l = [&]( { return 1; }; }\n",
            "template <typename T int f();\n", "int f() { std::vector<int> v{1, 2; }\n", "namespace { int x = ; }\n",
            "int f() { if (1) else {} }\n", "struct S { S() : x(1 {} int x; };\n"],
}


@pytest.mark.parametrize("lang", sorted(SYNTAX_ERRORS))
def test_the_compiler_still_rejects_syntax_errors_while_setting_its_semantic_errors_aside(lang, tmp_path):
    import shutil

    settings = get_spec(lang).extra["second_opinion"]
    if shutil.which(settings["command"][0]) is None:
        pytest.skip(f"{settings['command'][0]} is not installed: the second opinion is skipped")
    for code in SYNTAX_ERRORS[lang]:
        report = check_syntax(code, lang, filename=str(tmp_path / f"x{settings['suffix']}"))
        assert not report.valid, f"{lang}: a syntax error passed: {code!r} ({report.checks})"
    # valid syntax the grammar cannot read (a macro from a header) whose only compiler errors are semantic: an
    # undeclared name, a type mismatch. The check is of syntax: it passes, and the compiler is named as the check
    (tmp_path / "decl.h").write_text("#define LIST(X) X(a) X(b)\n#define DECL(n) int n;\n")
    code = ('#include "decl.h"\nLIST(DECL)\nint g(void) { return a + b; }\nint k(void) { return undeclared; }\n'
            "struct T {} t;\nint h(void) { return t; }\n")
    assert not check_syntax(code, lang, compiler=False).valid
    report = check_syntax(code, lang, filename=str(tmp_path / f"m{settings['suffix']}"))
    assert report.valid and report.checks[-1] == settings["command"][0], report
    # but not on a line tree-sitter finds wrong: there a semantic error may hide a syntax error (g++ on `A` alone
    # says only "does not name a type", not that the `;` is missing)
    assert not check_syntax("A", lang, filename=str(tmp_path / f"a{settings['suffix']}")).valid


# C++ throw-expressions (valid C++) that tree-sitter-cpp rejects: `[[grammar_gaps]]` in grammars/cpp/language.toml
THROW_EXPRESSIONS = [
    "void f() { g(throw 1); }\n",
    "int f(bool c) { return c ? 1 : throw 2; }\n",
    'TEST(module_test, errors) {\n  EXPECT_THROW(throw fmt::format_error("oops"), std::exception);\n}\n',
]


@pytest.mark.parametrize("code", THROW_EXPRESSIONS)
def test_a_grammar_gap_is_rewritten_where_no_compiler_gives_a_verdict(code):
    from graphcode.check import rewrite_grammar_gaps
    from graphcode.graphs.languages import parser_for

    source = code.encode()
    tree = parser_for("cpp").parse(source)
    assert tree.root_node.has_error  # the grammar's gap
    report = check_syntax(code, "cpp", compiler=False)
    assert report.valid and report.checks == ("tree-sitter", "grammar gaps"), report
    # the token is replaced only on the lines tree-sitter found wrong, and only as a token, never in a string
    assert rewrite_grammar_gaps(source, tree, get_spec("cpp").extra["grammar_gaps"], frozenset()) == source
    quoted = b'const char* s = "throw";\n' + source
    rewritten = rewrite_grammar_gaps(quoted, parser_for("cpp").parse(quoted), get_spec("cpp").extra["grammar_gaps"],
                                     frozenset(range(1, 10)))
    assert rewritten.startswith(b'const char* s = "throw";\n') and b"throw" not in rewritten[26:]


def test_a_grammar_gap_loses_no_syntax_error():
    for code in [*SYNTAX_ERRORS["cpp"], "void f() { g(throw 1; }\n", "void f() { throw 1 }\n",
                 "void f() { EXPECT_THROW(throw E(, T); }\n"]:
        report = check_syntax(code, "cpp", compiler=False)
        assert not report.valid, f"a syntax error passed: {code!r} ({report.checks})"
    assert check_syntax("void f() { throw; }\n", "cpp", compiler=False).checks == ("tree-sitter",)  # no error: no rewrite


def test_a_compiler_verdict_comes_before_a_grammar_gap(tmp_path):
    """`a * throw b` is an error a unary minus hides; g++, where it runs, finds it. A module this machine has not built
    gives g++ no verdict, and the rewrite then decides."""
    import shutil

    if shutil.which("g++") is None:
        pytest.skip("g++ is not installed: the second opinion is skipped")
    code = "void f(int a, int b) { int x = a * throw b; }\n"
    assert check_syntax(code, "cpp", compiler=False).valid  # the documented hole without a compiler
    report = check_syntax(code, "cpp", filename=str(tmp_path / "x.cc"))
    assert not report.valid and report.checks == ("tree-sitter", "g++"), report
    module = "import nosuchmodule;\nvoid f() { g(throw 1); }\n"
    report = check_syntax(module, "cpp", filename=str(tmp_path / "m.cc"))
    assert report.valid and report.checks == ("tree-sitter", "grammar gaps"), report


def test_a_grammar_gap_needs_a_replacement_as_long_as_its_token():
    from graphcode.check import rewrite_grammar_gaps
    from graphcode.graphs.languages import parser_for

    source = b"void f() { g(throw 1); }\n"
    with pytest.raises(ConfigError, match="same length"):
        rewrite_grammar_gaps(source, parser_for("cpp").parse(source), [{"token": "throw", "with": "-", "as": ["identifier"]}], frozenset({1}))
