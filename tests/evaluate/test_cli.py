"""``graphcode evaluate`` end to end: every mode, the outputs, and errors that name file, expectation and finding."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from graphcode.cli import main

EXAMPLE = Path(__file__).parent / "data" / "codexglue_example"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _jsonl(path: Path, rows: list[dict]) -> Path:
    return _write(path, "".join(json.dumps(row) + "\n" for row in rows))


def test_text_mode_reproduces_codexglue_and_writes_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code = main(
        ["evaluate", "--predictions", str(EXAMPLE / "predictions.txt"), "--references", str(EXAMPLE / "references.txt"),
         "--lang", "c_sharp", "--out", str(out), "--quiet"]
    )
    assert code == 0
    table = capsys.readouterr().out
    assert any(line.startswith("CodeXGLUE BLEU-4") and line.rstrip().endswith("61.08") for line in table.splitlines())
    assert any(line.startswith("CodeXGLUE accuracy") and line.rstrip().endswith("50.00") for line in table.splitlines())
    assert "CodeBLEU [c_sharp]" in table and "syntax valid [c_sharp]" in table
    summary = json.loads((out / "summary.json").read_text())
    assert round(summary["bleu"]["score"], 2) == 61.08
    assert summary["exact_match"] == summary["codexglue_accuracy"] == 50.0
    assert set(summary["codebleu"]["c_sharp"]) >= {"codebleu", "ngram_match", "weighted_ngram_match", "syntax_match", "dataflow_match"}
    assert summary["sacrebleu"]["signature"].startswith("nrefs:1|")
    rows = [json.loads(line) for line in (out / "examples.jsonl").read_text().splitlines()]
    assert len(rows) == 10 and sum(r["exact_match"] for r in rows) == 5
    assert sorted(p.name for p in out.iterdir()) == ["examples.jsonl", "summary.json"]  # no temporary files left


def test_syntax_valid_rate_with_error_positions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    refs = _write(tmp_path / "refs.txt", "x = 1\ny = 2\n")
    preds = _write(tmp_path / "preds.txt", "x = 1\ny = (\n")
    assert main(["evaluate", "--predictions", str(preds), "--references", str(refs), "--lang", "py",
                 "--out", str(tmp_path / "out"), "--quiet"]) == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["syntax_valid"] == {"python": {"rate": 50.0, "valid": 1, "examples": 2}}
    rows = [json.loads(line) for line in (tmp_path / "out" / "examples.jsonl").read_text().splitlines()]
    assert rows[0]["syntax_valid"] and rows[0]["syntax_errors"] == []
    assert not rows[1]["syntax_valid"]
    error = rows[1]["syntax_errors"][0]
    assert error["line"] == 1 and error["column"] >= 1 and error["message"]
    assert "python" in capsys.readouterr().out


def test_text_mode_without_lang_notes_what_is_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    refs = _write(tmp_path / "refs.txt", "a b\n")
    assert main(["evaluate", "--predictions", str(refs), "--references", str(refs), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "note: CodeBLEU and the syntax-valid rate need a language" in out
    assert "CodeBLEU [" not in out


def test_records_with_predictions_by_id(tmp_path: Path) -> None:
    data = _jsonl(tmp_path / "data.jsonl", [
        {"id": "a", "source": "int x = 1;", "target": "x = 1", "lang": "java", "target_lang": "python"},
        {"id": "b", "source": "int y = 2;", "target": "y = 2", "lang": "java", "target_lang": "python"},
    ])
    preds = _jsonl(tmp_path / "preds.jsonl", [{"id": "b", "prediction": "y = 2"}, {"id": "a", "prediction": "x = 2"}])
    out = tmp_path / "out"
    assert main(["evaluate", "--data", str(data), "--predictions", str(preds), "--out", str(out), "--quiet"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["exact_match"] == 50.0
    assert "python" in summary["codebleu"] and summary["syntax_valid"]["python"]["valid"] == 2
    rows = [json.loads(line) for line in (out / "examples.jsonl").read_text().splitlines()]
    assert [(r["id"], r["exact_match"]) for r in rows] == [("a", False), ("b", True)]  # data order, matched by id


def test_generate_records_are_predictions(tmp_path: Path) -> None:
    data = _jsonl(tmp_path / "data.jsonl", [
        {"id": "a", "source": "one", "target": "x = 1", "lang": "python"},
        {"id": "b", "source": "two", "target": "y = 2", "lang": "python"},
    ])
    generated = _jsonl(tmp_path / "gen.jsonl", [  # graphcode generate's output records
        {"id": "a", "status": "valid", "output": "x = 1", "candidates": [{"text": "x = 1", "valid": True}]},
        {"id": "b", "status": "no_valid_candidate", "output": None, "candidates": [{"text": "return (", "valid": False}]},
    ])
    out = tmp_path / "out"
    main(["evaluate", "--data", str(data), "--predictions", str(generated), "--out", str(out), "--quiet"])
    rows = [json.loads(line) for line in (out / "examples.jsonl").read_text().splitlines()]
    assert [(r["id"], r["exact_match"]) for r in rows] == [("a", True), ("b", False)]
    assert [r["syntax_valid"] for r in rows] == [True, False]  # no valid candidate is never valid code
    assert rows[1]["syntax_errors"][0]["message"] == "empty prediction"
    assert json.loads((out / "summary.json").read_text())["exact_match"] == 50.0


def test_continuation_records_are_checked_with_their_source(tmp_path: Path) -> None:
    body = "\n    return x + 1\n"
    rows = [{"id": "a", "source": "def f(x):", "target": body, "lang": "python", "task": "docstring-to-body"},
            {"id": "b", "source": "def f(x):", "target": body, "lang": "python"}]
    data = _jsonl(tmp_path / "data.jsonl", rows)
    preds = _jsonl(tmp_path / "preds.jsonl", [{"id": "a", "prediction": body}, {"id": "b", "prediction": body}])
    out = tmp_path / "out"
    main(["evaluate", "--data", str(data), "--predictions", str(preds), "--out", str(out), "--quiet"])
    rows = [json.loads(line) for line in (out / "examples.jsonl").read_text().splitlines()]
    # the body alone is an indentation error; after its signature it is valid
    assert [(r["id"], r["syntax_valid"]) for r in rows] == [("a", True), ("b", False)]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"id": "a", "prediction": "x"}], "expected a prediction for every id of the data file, found none for 1 of them (first: 'b')"),
        ([{"id": "a", "prediction": "x"}, {"id": "z", "prediction": "x"}], "line 2: expected an id of the data file, found 'z'"),
        ([{"id": "a", "pred": "x"}], "line 1: expected field 'prediction', found fields ['id', 'pred']"),
        ([{"id": "a", "prediction": "x"}, {"id": "a", "prediction": "y"}], "line 2: expected one prediction per id"),
    ],
)
def test_record_prediction_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], rows: list[dict], message: str) -> None:
    data = _jsonl(tmp_path / "data.jsonl", [{"id": "a", "source": "s", "target": "t"}, {"id": "b", "source": "s", "target": "t"}])
    preds = _jsonl(tmp_path / "preds.jsonl", rows)
    assert main(["evaluate", "--data", str(data), "--predictions", str(preds), "--quiet"]) == 3
    err = capsys.readouterr().err
    assert str(preds) in err and message in err


def test_mismatched_line_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    refs = _write(tmp_path / "refs.txt", "a\nb\nc\n")
    preds = _write(tmp_path / "preds.txt", "a\nb\n")
    assert main(["evaluate", "--predictions", str(preds), "--references", str(refs)]) == 3
    err = capsys.readouterr().err
    assert f"{preds}: expected one prediction per line of {refs} (3), found 2 lines" in err


def test_bad_json_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _write(tmp_path / "data.jsonl", '{"id": "a", "source": "s", "target": "t"}\n{"id": "b", "source": \n')
    assert main(["evaluate", "--data", str(data), "--predictions", str(data)]) == 3
    assert f"{data} line 2: expected a JSON object, found invalid JSON" in capsys.readouterr().err


def test_missing_file_and_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    refs = _write(tmp_path / "refs.txt", "a\n")
    assert main(["evaluate", "--predictions", str(tmp_path / "nope.txt"), "--references", str(refs)]) == 3
    assert "nope.txt: expected a file, found nothing at that path" in capsys.readouterr().err
    latin = tmp_path / "latin.txt"
    latin.write_bytes(b"ok\ncaf\xe9\n")
    assert main(["evaluate", "--predictions", str(latin), "--references", str(refs)]) == 3
    assert "expected UTF-8 text, found an invalid byte at line 2" in capsys.readouterr().err


def test_unknown_language(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    refs = _write(tmp_path / "refs.txt", "a\n")
    assert main(["evaluate", "--predictions", str(refs), "--references", str(refs), "--lang", "cobol", "--quiet"]) == 4
    assert "cobol" in capsys.readouterr().err


def test_lines_split_like_codexglue(tmp_path: Path) -> None:
    from graphcode.evaluate.inputs import read_lines

    path = tmp_path / "lines.txt"
    path.write_bytes(b"a\r\nb\x0cc\n\nd")  # CRLF ends a line; a form feed does not; an empty line is a line
    assert read_lines(path) == ["a", "b\x0cc", "", "d"]


# --- HumanEval mode -----------------------------------------------------------------------------------------------

PROBLEMS = [
    {"task_id": "demo/0", "prompt": "def add(a, b):\n", "test": "def check(candidate):\n    assert candidate(2, 3) == 5\n",
     "entry_point": "add"},
    {"task_id": "demo/1", "prompt": "def neg(a):\n", "test": "def check(candidate):\n    assert candidate(4) == -4\n",
     "entry_point": "neg"},
]
SAMPLES = [
    {"task_id": "demo/0", "completion": "    return a + b\n"},
    {"task_id": "demo/0", "completion": "    return a - b\n"},
    {"task_id": "demo/0", "completion": "    return b + a\n"},
    {"task_id": "demo/1", "completion": "    return -a\n"},
    {"task_id": "demo/1", "completion": "    raise ValueError\n"},
    {"task_id": "demo/1", "completion": "    import os; os.kill(os.getppid(), 9)\n"},
]


def test_execution_is_opt_in(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    problems, samples = _jsonl(tmp_path / "p.jsonl", PROBLEMS), _jsonl(tmp_path / "s.jsonl", SAMPLES)
    assert main(["evaluate", "--data", str(problems), "--predictions", str(samples)]) == 6
    err = capsys.readouterr().err
    assert "runs the generated code, which is opt-in" in err and "--allow-exec" in err


def test_pass_at_k_with_execution(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    problems, samples = _jsonl(tmp_path / "p.jsonl", PROBLEMS), _jsonl(tmp_path / "s.jsonl", SAMPLES)
    out = tmp_path / "out"
    code = main(["evaluate", "--data", str(problems), "--predictions", str(samples), "--allow-exec",
                 "--k", "1,2,5", "--timeout", "3", "--memory", "256", "--out", str(out), "--quiet"])
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    # demo/0: n=3, c=2 → pass@1 = 2/3, pass@2 = 1. demo/1: n=3, c=1 → pass@1 = 1/3, pass@2 = 1 - C(2,2)/C(3,2) = 2/3.
    assert summary["pass_at_k"] == pytest.approx({"pass@1": 50.0, "pass@2": 100 * (1 + 2 / 3) / 2})
    assert summary["statuses"]["passed"] == 3
    assert "k in [5]" in " ".join(summary["notes"])
    rows = [json.loads(line) for line in (out / "examples.jsonl").read_text().splitlines()]
    assert [r["passed"] for r in rows] == [True, False, True, True, False, False]
    assert [r["sample_index"] for r in rows] == [0, 1, 2, 0, 1, 2]
    assert "pass@1 %" in capsys.readouterr().out
    # beside pass@k, every program is analysed: all six are valid and clean
    assert summary["semantic_clean"]["python"] == {"rate": 100.0, "clean": 6, "examples": 6}
    assert summary["security_clean"]["python"]["high"] == 100.0


def test_pass_at_k_reports_semantic_and_security_findings(tmp_path: Path) -> None:
    samples = [{"task_id": "demo/0", "completion": "    return eval(a) + b\n"},   # code execution from a parameter
               {"task_id": "demo/1", "completion": "    return -b\n"}]              # an undefined name
    problems, path = _jsonl(tmp_path / "p.jsonl", PROBLEMS), _jsonl(tmp_path / "s.jsonl", samples)
    out = tmp_path / "out"
    assert main(["evaluate", "--data", str(problems), "--predictions", str(path), "--allow-exec", "--k", "1",
                 "--timeout", "3", "--memory", "256", "--out", str(out), "--quiet"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["semantic_clean"]["python"] == {"rate": 50.0, "clean": 1, "examples": 2}
    assert summary["security_clean"]["python"]["high"] == 50.0
    rows = [json.loads(line) for line in (out / "examples.jsonl").read_text().splitlines()]
    assert rows[0]["security_findings"][0]["code"] == "py-code-exec" and rows[0]["security_findings"][0]["confidence"] == "high"
    assert rows[1]["semantic_errors"][0]["code"] == "undefined-name"


@pytest.mark.parametrize(
    ("samples", "message"),
    [
        ([{"task_id": "demo/9", "completion": ""}], "line 1: expected a task_id of the problems file, found 'demo/9'"),
        ([{"task_id": "demo/0", "completion": "    return a + b\n"}], "found none for 1 of 2 (first: 'demo/1')"),
        ([{"task_id": "demo/0", "text": ""}], "line 1: expected field 'completion', found fields ['task_id', 'text']"),
    ],
)
def test_sample_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], samples: list[dict], message: str) -> None:
    problems, path = _jsonl(tmp_path / "p.jsonl", PROBLEMS), _jsonl(tmp_path / "s.jsonl", samples)
    assert main(["evaluate", "--data", str(problems), "--predictions", str(path), "--allow-exec", "--quiet"]) == 3
    assert message in capsys.readouterr().err


def test_bad_k(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    problems, samples = _jsonl(tmp_path / "p.jsonl", PROBLEMS), _jsonl(tmp_path / "s.jsonl", SAMPLES)
    assert main(["evaluate", "--data", str(problems), "--predictions", str(samples), "--k", "1,x", "--allow-exec"]) == 6
    assert "--k: expected comma-separated positive integers" in capsys.readouterr().err


def test_evaluate_never_imports_torch_or_the_models(tmp_path: Path) -> None:
    refs = _write(tmp_path / "refs.txt", "x = 1\n")
    script = (
        "import sys\n"
        "from graphcode.cli import main\n"
        f"assert main(['evaluate', '--predictions', {str(refs)!r}, '--references', {str(refs)!r}, '--lang', 'python',"
        " '--quiet']) == 0\n"
        "import graphcode.evaluate.sandbox, graphcode.evaluate.report, graphcode.evaluate.passk\n"
        "bad = sorted(m for m in sys.modules if m == 'torch' or m.startswith(('torch.', 'graphcode.models')))\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def _records(tmp_path: Path) -> Path:
    rows = [{"id": f"r{i}", "source": "def f():", "target": f"\n    return {i}", "lang": "python",
             "task": "docstring-to-body", "split": "test" if i % 2 else "validation"} for i in range(6)]
    return _jsonl(tmp_path / "records.jsonl", rows)


def test_split_selects_the_records_of_one_split(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _records(tmp_path)
    preds = _jsonl(tmp_path / "preds.jsonl", [{"id": f"r{i}", "prediction": f"\n    return {i}"} for i in (1, 3, 5)])
    assert main(["evaluate", "--data", str(data), "--split", "test", "--predictions", str(preds),
                 "--out", str(tmp_path / "out"), "--quiet"]) == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["examples"] == 3 and summary["exact_match"] == 100.0
    assert summary["syntax_valid"]["python"]["valid"] == 3  # checked with their source: the task continues it
    capsys.readouterr()
    # without --split every record needs a prediction; a split the file lacks names the ones it has
    assert main(["evaluate", "--data", str(data), "--predictions", str(preds), "--quiet"]) == 3
    assert "found none for 3 of them" in capsys.readouterr().err
    assert main(["evaluate", "--data", str(data), "--split", "valid", "--predictions", str(preds), "--quiet"]) == 3
    assert "--split valid: expected records with \"split\": 'valid', found splits test, validation" in capsys.readouterr().err


def test_predict_jsonl_scores_against_line_aligned_references(tmp_path: Path, capsys) -> None:
    """`graphcode predict` names the records of parallel files `<source file>:<line>`; evaluate aligns them by line,
    whatever order they were written in."""
    refs = EXAMPLE / "references.txt"
    lines = refs.read_text(encoding="utf-8").splitlines()
    rows = [{"id": f"valid.java-cs.txt.java:{n}", "prediction": lines[n - 1], "status": "valid"}
            for n in reversed(range(1, len(lines) + 1))]
    preds = _jsonl(tmp_path / "predictions.jsonl", rows)
    assert main(["evaluate", "--predictions", str(preds), "--references", str(refs), "--lang", "c_sharp",
                 "--out", str(tmp_path / "out"), "--quiet"]) == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["exact_match"] == 100.0 and summary["examples"] == len(lines)
    capsys.readouterr()
    _jsonl(preds, rows[1:])  # one line without a prediction
    assert main(["evaluate", "--predictions", str(preds), "--references", str(refs), "--quiet"]) == 3
    assert f"found none for 1 of them (first: line {len(lines)})" in capsys.readouterr().err
    _jsonl(preds, [*rows, {"id": "valid.java-cs.txt.java:99", "prediction": "x"}])  # an id of no line
    assert main(["evaluate", "--predictions", str(preds), "--references", str(refs), "--quiet"]) == 3
    assert "found 'valid.java-cs.txt.java:99'" in capsys.readouterr().err


def test_headline_is_what_training_logs_for_code_and_for_text() -> None:
    from graphcode.evaluate.report import headline, score_text

    refs = (EXAMPLE / "references.txt").read_text(encoding="utf-8").splitlines()
    preds = (EXAMPLE / "predictions.txt").read_text(encoding="utf-8").splitlines()
    code = score_text(refs, preds, ["c_sharp"] * len(refs), show_progress=False)
    figures = headline(code)
    # C# has semantic rules (no security rules): the share of valid outputs without a semantic error too
    assert set(figures) == {"exact_match", "bleu", "codebleu", "syntax_valid", "semantic_clean"}
    assert figures["semantic_clean"] <= figures["syntax_valid"]
    assert round(figures["bleu"], 2) == 61.08 and figures["exact_match"] == 50.0
    assert figures["codebleu"] == pytest.approx(code.summary["codebleu"]["c_sharp"]["codebleu"])
    assert figures["syntax_valid"] == code.summary["syntax_valid"]["c_sharp"]["rate"]
    fast = score_text(refs, preds, ["c_sharp"] * len(refs), show_progress=False, codebleu=False)
    assert "codebleu" not in headline(fast) and headline(fast)["bleu"] == figures["bleu"]
    text = score_text(["Return the mean of xs."], ["Return the mean of xs."], [None], show_progress=False)
    assert headline(text) == {"exact_match": 100.0, "bleu": pytest.approx(100.0)}  # summaries: no code metrics


def test_fragment_member_counts_methods_without_their_class_as_valid(tmp_path: Path, capsys) -> None:
    refs = EXAMPLE / "references.txt"
    args = ["evaluate", "--predictions", str(refs), "--references", str(refs), "--lang", "c_sharp", "--quiet"]
    assert main([*args, "--out", str(tmp_path / "file")]) == 0
    assert main([*args, "--fragment", "member", "--out", str(tmp_path / "member")]) == 0
    as_file = json.loads((tmp_path / "file" / "summary.json").read_text())["syntax_valid"]["c_sharp"]
    as_member = json.loads((tmp_path / "member" / "summary.json").read_text())["syntax_valid"]["c_sharp"]
    assert as_member["rate"] == 100.0 and as_file["rate"] < 100.0  # gold methods, some constructors among them
    data = _jsonl(tmp_path / "records.jsonl", [{"id": "a", "source": "x", "target": "public X(): base(1) {}",
                                                "lang": "java", "target_lang": "c_sharp", "fragment": "member"}])
    preds = _jsonl(tmp_path / "preds.jsonl", [{"id": "a", "prediction": "public X(): base(1) {}"}])
    assert main(["evaluate", "--data", str(data), "--predictions", str(preds), "--out", str(tmp_path / "r"),
                 "--quiet"]) == 0
    assert json.loads((tmp_path / "r" / "summary.json").read_text())["syntax_valid"]["c_sharp"]["rate"] == 100.0


def test_summaries_are_scored_as_text(tmp_path: Path, capsys) -> None:
    rows = [{"id": "a", "source": "def mean(xs): ...", "target": "Return the arithmetic mean of xs.", "lang": "python",
             "task": "summarize"},
            {"id": "b", "source": "def f(): ...", "target": "Open the file.", "lang": "python", "task": "summarize"}]
    data = _jsonl(tmp_path / "records.jsonl", rows)
    preds = _jsonl(tmp_path / "preds.jsonl", [{"id": "a", "prediction": "Return the mean of xs."},
                                              {"id": "b", "prediction": "Open the file."}])
    assert main(["evaluate", "--data", str(data), "--predictions", str(preds), "--out", str(tmp_path / "o"),
                 "--quiet"]) == 0
    table = capsys.readouterr().out
    assert "ROUGE-L F %" in table and "code-to-text BLEU-4" in table and "syntax valid" not in table
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["targets"] == "text" and summary["codebleu"] is None and summary["syntax_valid"] is None
    assert 50 < summary["rouge_l"] < 100 and 50 < summary["sentence_bleu"] < 100 and summary["exact_match"] == 50.0
