"""Semantic checks from the data-flow sweep: each rule in each language, suppression, the command line."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from graphcode.analysis import analyze, semantic_rules
from graphcode.analysis.semantic import SemanticRules
from graphcode.errors import ConfigError
from graphcode.graphs import languages


def _found(code: str, lang: str) -> set[tuple[str, int, str]]:
    report = analyze(textwrap.dedent(code).lstrip("\n"), lang)
    assert "semantic" in report.checks
    return {(f.code, f.line, f.name) for f in report.findings}


# (language, code, the findings it must give: (rule, line, name)); each snippet also holds uses that must give none
CASES = [
    ("python", """
        import os
        def f(a, b=os):
            if a:
                x = 1
            z = 2
            _ignored = 3
            print(len(b))
            return x + y
        q = early
        early = 1
        class C:
            codec = codec
        """, {("possibly-undefined", 8, "x"), ("undefined-name", 8, "y"), ("unused-variable", 5, "z"),
              ("used-before-definition", 9, "early")}),
    ("python", """
        class G:
            y = later
            later = 1
        later = 3
        x = 1
        class H:
            x = x
            str = str
        def f():
            w = 1
            class E:
                w = w
            return E
        """, {("used-before-definition", 2, "later"), ("unused-variable", 10, "w")}),
        # a class body's name not yet bound reads the module's: `later` is not defined yet when G runs; the
        # function's `w` is never read (E's `w = w` reads the module's, none here: not reported)
    ("python", """
        from os import *
        def f():
            return path_join_somewhere(1)
        """, set()),  # a star import may bind any name
    ("python", """
        def f(xs):
            for x in xs:
                last = x
            return last
        def g():
            try:
                v = compute()
            except ValueError:
                return None
            return v
        """, {("possibly-undefined", 4, "last"), ("undefined-name", 7, "compute")}),
    ("javascript", """
        function f(a) {
          if (a) { var hoisted = 1; }
          let unused = 2;
          console.log(hoisted, missing, a);
          return early;
        }
        """, {("unused-variable", 3, "unused"), ("undefined-name", 4, "missing"), ("undefined-name", 5, "early")}),
    ("typescript", """
        function f(a: number): number {
          const unused: number = 2;
          return a + Math.max(a, 1);
        }
        """, {("unused-variable", 2, "unused")}),
    ("go", """
        package main

        func f(a int) int {
            x := 1
            y := 2
            if a > 0 {
                x = 3
            }
            return x + helperInAnotherFile(a)
        }
        """, {("unused-variable", 5, "y")}),  # Go reports no undefined names: the package spans files
    ("java", """
        class A {
          int f(int a) {
            int x;
            int unused = 2;
            if (a > 0) { x = 1; }
            return x + inheritedField;
          }
        }
        """, {("unused-variable", 4, "unused")}),  # `int x;` declares x: definite assignment is javac's check
]


@pytest.mark.parametrize(("lang", "code", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_semantic_rules(lang: str, code: str, expected: set[tuple[str, int, str]]) -> None:
    assert _found(code, lang) == expected


def test_findings_name_the_variable_and_their_position_in_characters() -> None:
    report = analyze("s = 'é'; print(undefinedé)\n", "python")
    (finding,) = report.findings
    assert finding.code == "undefined-name" and finding.severity == "error" and finding.name == "undefinedé"
    assert (finding.line, finding.column, finding.end_column) == (1, 16, 26)
    assert "'undefinedé'" in finding.message and finding.format("a.py").startswith("a.py:1:16: error [undefined-name]")
    assert report.at_least("error") == (finding,) and report.at_least("warning") == (finding,)
    assert not report  # a report is truthy when it has no findings


def test_a_comment_suppresses_a_rule_on_its_line() -> None:
    code = "def f():\n    z = 1  # graphcode: ignore[unused-variable]\n    w = 2  # graphcode: ignore[undefined-name]\n"
    assert [(f.code, f.line) for f in analyze(code, "python").findings] == [("unused-variable", 3)]
    assert not analyze("print(nope)  // graphcode: ignore\n", "javascript").findings


@pytest.fixture
def php_without_rules(monkeypatch):
    """Every language with data flow has a [semantic] table: PHP stands in for one without it."""
    import graphcode.analysis as analysis

    real = analysis.semantic_rules
    monkeypatch.setattr(analysis, "semantic_rules", lambda lang: None if lang == "php" else real(lang))
    return "php"


def test_a_language_without_rules_says_so(php_without_rules) -> None:
    report = analyze("<?php $y = $undefined_thing;\n", "php")
    assert report.checks == () and not report.findings
    assert analyze("<?php $y = $undefined_thing;\n", "php", semantic=False, security=True).checks == ()  # nor security
    assert semantic_rules("php") is not None  # the real table: PHP has one


def test_a_malformed_semantic_table_names_the_file_and_the_setting(tmp_path, monkeypatch) -> None:
    spec = languages.get_spec("python")
    broken = type(spec)(**{**spec.__dict__, "extra": {"semantic": {"unresolved": ["("]}}})
    monkeypatch.setattr("graphcode.analysis.semantic.get_spec", lambda lang: broken)
    semantic_rules.cache_clear()
    try:
        with pytest.raises(ConfigError, match=r"language.toml \[semantic\]: unresolved: expected regular expressions"):
            semantic_rules("python")
        missing = type(spec)(**{**spec.__dict__, "extra": {"semantic": {"builtins": "nowhere.txt"}}})
        monkeypatch.setattr("graphcode.analysis.semantic.get_spec", lambda lang: missing)
        semantic_rules.cache_clear()
        with pytest.raises(ConfigError, match=r"builtins: expected a file of names, found no file .*nowhere.txt"):
            semantic_rules("python")
    finally:
        monkeypatch.undo()
        semantic_rules.cache_clear()
    assert isinstance(semantic_rules("python"), SemanticRules)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "graphcode", "check", *args], capture_output=True, text=True,
                          check=False)


def test_check_semantic_on_the_command_line(tmp_path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    z = 1\n    return y\n", encoding="utf-8")
    warn = tmp_path / "warn.py"
    warn.write_text("def f():\n    z = 1\n", encoding="utf-8")
    c_file = tmp_path / "x.php"
    c_file.write_text("<?php function f() { return $nope; }\n", encoding="utf-8")

    out = _cli("--semantic", str(bad))
    assert out.returncode == 1
    assert f"{bad}:3:12: error [undefined-name] undefined name 'y'" in out.stdout
    assert f"{bad}:2:5: warning [unused-variable]" in out.stdout
    assert _cli("--semantic", str(warn)).returncode == 0  # warnings pass at the default --fail-on error
    assert _cli("--semantic", "--fail-on", "warning", str(warn)).returncode == 1
    assert _cli(str(bad)).returncode == 0  # syntax only without --semantic

    doc = json.loads(_cli("--semantic", "--format", "json", str(bad), str(c_file)).stdout)
    by_path = {f["path"]: f for f in doc["files"]}
    assert [f["code"] for f in by_path[str(bad)]["findings"]] == ["unused-variable", "undefined-name"]
    assert "semantic" in by_path[str(bad)]["checks"] and "semantic" in by_path[str(c_file)]["checks"]
    assert [f["code"] for f in by_path[str(c_file)]["findings"]] == ["undefined-name"]  # PHP's `$nope`

    sarif = json.loads(_cli("--semantic", "--format", "sarif", str(bad)).stdout)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == {"undefined-name", "unused-variable"}
    result = next(r for r in run["results"] if r["ruleId"] == "undefined-name")
    assert result["level"] == "error"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 3
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "undefined-name"


def test_a_language_without_rules_says_so_on_the_command_line(tmp_path, capsys, php_without_rules) -> None:
    from graphcode.cli import main

    php = tmp_path / "x.php"
    php.write_text("<?php function f() { return $nope; }\n", encoding="utf-8")
    assert main(["check", "--semantic", "--security", str(php)]) == 0
    err = capsys.readouterr().err
    assert "php has no semantic rules" in err and "php has no security rules (no security.scm)" in err


def test_evaluate_reports_the_share_without_semantic_errors_and_security_findings(php_without_rules) -> None:
    from graphcode.evaluate.report import format_table, headline, score_text

    refs = ["def f(a):\n    return a\n"] * 4
    preds = [
        "def f(a):\n    return a\n",                      # clean
        "def f(a):\n    return b\n",                      # an undefined name
        "import os\ndef f(a):\n    os.system(a)\n",       # a high-severity security finding
        "def f(a:\n",                                     # invalid code: never clean
    ]
    report = score_text(refs, preds, ["python"] * 4, show_progress=False, codebleu=False)
    s = report.summary
    assert s["semantic_clean"]["python"] == {"rate": 50.0, "clean": 2, "examples": 4}
    assert s["security_clean"]["python"] == {"high": 75.0, "medium": 75.0, "low": 75.0, "examples": 4}
    assert report.examples[1]["semantic_errors"][0]["code"] == "undefined-name"
    assert report.examples[2]["security_findings"][0]["cwe"] == "CWE-78"
    figures = headline(report)
    assert figures["semantic_clean"] == 50.0 and figures["security_clean"] == 75.0
    assert "valid, no semantic error [python] %" in format_table(report)
    # a language without rules gets no such figures, and a note says why
    other = score_text(["<?php $x = 1;"], ["<?php $x = 1;"], ["php"], show_progress=False, codebleu=False)
    assert other.summary["semantic_clean"] is None and other.summary["security_clean"] is None
    assert "php: no semantic rules, so no semantic figures" in other.notes
