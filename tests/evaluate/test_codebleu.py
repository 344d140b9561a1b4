"""CodeBLEU through the codebleu package, with tree-sitter 0.25 and our grammar wheels."""

from __future__ import annotations

import logging

import pytest

from graphcode.errors import InputError, UnknownLanguageError
from graphcode.evaluate.codebleu import codebleu, codebleu_languages

# One small function per language, with a variable that flows into the result.
SNIPPETS = {
    "python": ("def f(a):\n    b = a + 1\n    return b", "def f(x):\n    y = x + 1\n    return y"),
    "java": ("int f(int a) { int b = a + 1; return b; }", "int f(int x) { int y = x + 1; return y; }"),
    "c_sharp": ("int F(int a) { int b = a + 1; return b; }", "int F(int x) { int y = x + 1; return y; }"),
    "javascript": ("function f(a) { let b = a + 1; return b; }", "function f(x) { let y = x + 1; return y; }"),
    "php": ("<?php function f($a) { $b = $a + 1; return $b; }", "<?php function f($x) { $y = $x + 1; return $y; }"),
    "c": ("int f(int a) { int b = a + 1; return b; }", "int f(int x) { int y = x + 1; return y; }"),
    "cpp": ("int f(int a) { int b = a + 1; return b; }", "int f(int x) { int y = x + 1; return y; }"),
    "go": ("func f(a int) int { b := a + 1; return b }", "func f(x int) int { y := x + 1; return y }"),
    "ruby": ("def f(a)\n  b = a + 1\n  b\nend", "def f(x)\n  y = x + 1\n  y\nend"),
    "rust": ("fn f(a: i32) -> i32 { let b = a + 1; b }", "fn f(x: i32) -> i32 { let y = x + 1; y }"),
}


def test_every_codebleu_language_loads_and_scores() -> None:
    assert set(codebleu_languages()) == set(SNIPPETS)
    for lang, (reference, renamed) in SNIPPETS.items():
        same = codebleu([reference], [reference], lang)
        assert same.codebleu == pytest.approx(100.0), (lang, same)
        other = codebleu([reference], [renamed], lang)
        # Renaming variables keeps the AST shape and (most of) the data flow, and loses n-grams.
        assert other.syntax_match == pytest.approx(100.0), (lang, other)
        assert other.dataflow_match > 50.0, (lang, other)
        assert other.ngram_match < 100.0, (lang, other)
        assert not other.dataflow_degenerate


def test_matches_the_packages_published_example() -> None:
    # From the codebleu package's README: codebleu 0.5537, ngram 0.1041, weighted 0.1109, syntax 1, dataflow 1.
    score = codebleu(["def sum ( first , second ) :\n return second + first"], ["def add ( a , b ) :\n return a + b"], "python")
    assert score.codebleu == pytest.approx(55.37, abs=0.01)
    assert score.ngram_match == pytest.approx(10.41, abs=0.01)
    assert score.weighted_ngram_match == pytest.approx(11.09, abs=0.01)
    assert (score.syntax_match, score.dataflow_match) == (100.0, 100.0)


def test_total_is_the_weighted_sum_even_when_dataflow_is_zero() -> None:
    # The package itself would count a data-flow match of 0 as 1 ("dataflow or 1").
    score = codebleu(["def f(a):\n    b = a\n    return b"], ["def g():\n    return 1"], "python")
    assert score.dataflow_match == 0.0 and not score.dataflow_degenerate
    expected = 0.25 * (score.ngram_match + score.weighted_ngram_match + score.syntax_match + score.dataflow_match)
    assert score.codebleu == pytest.approx(expected)
    weighted = codebleu(["def f(a):\n    return a"], ["def f(a):\n    return a"], "python", weights=(1, 0, 0, 0))
    assert weighted.codebleu == pytest.approx(weighted.ngram_match)


def test_degenerate_dataflow_is_flagged_and_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    root = logging.getLogger()
    handlers_before = list(root.handlers)
    with caplog.at_level(logging.WARNING):
        score = codebleu(["x"], ["y"], "python")
    assert score.dataflow_degenerate
    assert score.dataflow_match == 0.0
    assert not any("data-flow" in r.getMessage() for r in caplog.records)
    assert root.handlers == handlers_before  # no handler left behind, no basicConfig()


def test_errors_name_what_was_expected() -> None:
    with pytest.raises(UnknownLanguageError, match=r"expected a language among .*java.*, found 'typescript'"):
        codebleu(["a"], ["a"], "typescript")
    with pytest.raises(InputError, match="found 2 references and 1 predictions"):
        codebleu(["a", "b"], ["a"], "java")
    with pytest.raises(InputError, match="4 non-negative weights"):
        codebleu(["a"], ["a"], "java", weights=(0.5, 0.5, 0.0))  # type: ignore[arg-type]
