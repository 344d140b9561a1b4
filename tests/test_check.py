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
