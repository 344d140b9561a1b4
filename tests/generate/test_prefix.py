"""Viable prefixes: a table per language, and the guarantee that no prefix of valid code is called dead."""

from __future__ import annotations

import pytest

from graphcode.check import check_syntax
from graphcode.errors import UnknownLanguageError
from graphcode.generate.prefix import PrefixChecker, Viability

VALID, OPEN, DEAD = Viability.VALID, Viability.OPEN, Viability.DEAD

# (text, verdict) per language: a whole program, an unfinished one, one broken for good.
CASES = {
    "python": [
        ("x = 1\n", VALID),
        ("def f(x", OPEN),
        ("def f(x))", OPEN),  # the last ")" touches the end: its lexer looked past it
        ("def f(x)) :", DEAD),
        ("x = 1.e", OPEN),  # 1.e5 is a float
        ("x = 1 2", OPEN),  # 1 23 is no better, but 2 is still being lexed
        ("x = 1 2 ", DEAD),
        ("x = $ + 1\n", DEAD),  # no token starts with $
        ("s = 'abc", OPEN),  # an unterminated string
        ("if x:\n    pass\nelse", OPEN),
    ],
    "javascript": [("let x = 1;", VALID), ("function f(a", OPEN), ("function f(a)) {", DEAD), ("let s = `abc", OPEN)],
    "typescript": [("let x: number = 1;", VALID), ("function f(a: number", OPEN), ("function f(a)) {", DEAD)],
    "java": [("class A { }", VALID), ("class A { int f(", OPEN), ("class A { int f()) {", DEAD)],
    "go": [("package main\n", VALID), ("package main\nfunc f(", OPEN), ("package main\nfunc f()) {", DEAD)],
    "c": [("int x;", VALID), ("int f(int a", OPEN), ("int f(int a)) {", DEAD), ("int x = 'a", OPEN)],
    "cpp": [("int x;", VALID), ("int f(int a", OPEN), ("int f(int a)) {", DEAD)],
    "c_sharp": [("class A { }", VALID), ("class A { int F(", OPEN), ("class A { int F()) {", DEAD)],
    "rust": [("fn main() {}", VALID), ("fn main(", OPEN), ("fn main()) {", DEAD)],
    "ruby": [("x = 1\n", VALID), ("def f(a", OPEN), ("def f(a)) x", DEAD)],
    "php": [("<?php $x = 1;", VALID), ("<?php function f($a", OPEN), ("<?php function f($a)) {", DEAD)],
}

# Whole programs; every prefix of each must be VALID or OPEN.
PROGRAMS = {
    "python": 'import os\n\n\nclass A(B):\n    """Doc: \'x\' (y)."""\n\n    def f(self, x=1.5e3, *a, **k):\n'
    "        if x > 0 and not a:\n            return [i ** 2 for i in range(x)]  # squares\n"
    "        elif x:\n            s = f\"{x!r:>4}\" + 'b\\n'\n        else:\n            pass\n"
    "        while True:\n            break\n        return {k: v for k, v in k.items()}\n",
    "javascript": "const f = (a, b = 2) => {\n  if (a > b) { return `${a}-${b}`; }\n  /* c */ let r = /ab+c/g;\n"
    "  return [1, 2].map(x => x * 2);\n};\nclass A extends B { get x() { return this.y ?? 0; } }\n",
    "java": "package p;\nimport java.util.*;\npublic class A<T> extends B implements C {\n"
    "  private int x = 0x1F;\n  public List<T> f(int a, String... s) throws E {\n"
    '    for (int i = 0; i < a; i++) { x += i; }\n    return new ArrayList<>(); // done\n  }\n}\n',
    "go": "package main\n\nimport \"fmt\"\n\nfunc f(a int, b ...string) (int, error) {\n"
    "\tfor i := 0; i < a; i++ {\n\t\tfmt.Println(`raw`, 'c')\n\t}\n\treturn a, nil\n}\n",
    "c": "#include <stdio.h>\n#define N 10\nstatic int f(int a, char *s) {\n  /* c */ int x = a ? 1 : 2;\n"
    '  while (x < N) { x++; }\n  printf("%d\\n", x);\n  return x;\n}\n',
    "rust": "use std::fmt;\nfn f<T: Clone>(a: &[T], n: usize) -> Option<T> {\n    let s = r#\"raw\"#;\n"
    "    if n > 0 { Some(a[0].clone()) } else { None }\n}\n",
}


@pytest.mark.parametrize(("lang", "text", "expected"), [(lang, t, v) for lang, rows in CASES.items() for t, v in rows])
def test_verdict_table(lang, text, expected):
    assert PrefixChecker(lang).check(text.encode()).viability is expected


@pytest.mark.parametrize("lang", sorted(PROGRAMS))
def test_no_prefix_of_valid_code_is_dead(lang):
    program = PROGRAMS[lang].encode()
    assert check_syntax(program, lang, compiler=False).valid
    for incremental in (True, False):
        checker = PrefixChecker(lang, incremental=incremental)
        parent = None
        for end in range(len(program) + 1):
            state = checker.check(program[:end], parent)
            assert state.viability is not DEAD, (incremental, program[:end])
            parent = state
        assert state.viability is VALID


def test_valid_verdict_agrees_with_check_syntax():
    checker = PrefixChecker("python")
    for text in ["x = 1\n", "def f(x):\n    return x\n", "def f(x", "x = )"]:
        assert (checker.check(text.encode()).viability is VALID) == check_syntax(text, "python", compiler=False).valid


def test_dead_stays_dead_when_extended_and_is_not_reparsed():
    checker = PrefixChecker("python")
    dead = checker.check(b"def f(x)) :")
    assert dead.viability is DEAD
    parses = checker.num_parses
    child = checker.check(b"def f(x)) :\n    return x\n", dead)
    assert child.viability is DEAD and checker.num_parses == parses
    # every continuation we can think of is still invalid
    for tail in ["", "\n    pass\n", ")", "\n"]:
        assert not check_syntax("def f(x)) :" + tail, "python").valid


def test_incremental_equals_fresh_along_a_token_path():
    text = b"def f(x):\n    y = (x + 1))\n    return y\n"
    incremental, fresh = PrefixChecker("python"), PrefixChecker("python", incremental=False)
    parent = None
    for end in range(1, len(text) + 1):
        state = incremental.check(text[:end], parent)
        assert state.viability is fresh.check(text[:end]).viability, text[:end]
        parent = state
    assert state.viability is DEAD


def test_a_non_append_edit_is_parsed_correctly():
    checker = PrefixChecker("python")
    parent = checker.check("x = 'é".encode()[:-1])  # a UTF-8 character cut in two, as byte tokens do
    assert checker.check("x = 'é'\n".encode(), parent).viability is VALID


def test_the_proof_is_sound_wherever_the_logger_starts():
    checker = PrefixChecker("python")
    dead, viable = b"x = 1\ny = (2))\nz = 3\n", b"x = 1\ny = (2\n"
    assert checker.prove_dead(dead, 0)
    for start in range(len(viable) + 2):
        assert not checker.prove_dead(viable, start)
    # a late start can only miss an error, never invent one
    assert [checker.prove_dead(dead, start) for start in range(len(dead) + 1)][-1] is False


def test_unknown_language():
    with pytest.raises(UnknownLanguageError, match="cobol"):
        PrefixChecker("cobol")
