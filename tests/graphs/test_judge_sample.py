"""benchmarks/judge_sample.py: the layout a reader judges (every read with its last_write targets, reads with no
edge listed too), the count of verdicts, and carrying verdicts over to a sample drawn again after a fix."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def judge():
    spec = importlib.util.spec_from_file_location("judge_sample", BENCH / "judge_sample.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["judge_sample"] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop("judge_sample", None)


CODE = "int g;\nint f(int a) {\n  int b = a;\n  if (a) b = 2;\n  return b + g + h;\n}\n"


def test_a_function_is_laid_out_with_each_read_and_where_its_definitions_are(judge, tmp_path):
    (tmp_path / "f.c").write_text(CODE)
    (text,) = judge.sample("c", tmp_path, n=1, seed=0, min_lines=3, max_lines=10)
    assert text.startswith("### `f.c` lines 2-6")
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert "| `a` | 3:11 | 2:11 | |" in rows
    assert "| `b` | 5:10 | 3:7, 4:10 | |" in rows  # both definitions may reach the return
    assert any(row.startswith("| `h` | 5:18 |") and "no" in row for row in rows)  # a read with no edge is listed


def test_verdicts_are_counted_and_carried_over_to_unchanged_rows(judge, tmp_path, capsys):
    (tmp_path / "f.c").write_text(CODE)
    (text,) = judge.sample("c", tmp_path, n=1, seed=0, min_lines=3, max_lines=10)
    judged = text.replace("| 3:7, 4:10 | |", "| 3:7, 4:10 | ok |").replace("| 3:11 | 2:11 | |", "| 3:11 | 2:11 | wrong: 2:11 |")
    judged += "\nNotes: a note\n"
    path = tmp_path / "judged.md"
    path.write_text(judged)
    assert judge.check(path) == 1  # rows left to judge
    counts = capsys.readouterr().out
    assert "ok=1" in counts and "wrong=1" in counts and "unjudged=" in counts
    redrawn = text.replace("| `b` | 5:10 | 3:7, 4:10 |", "| `b` | 5:10 | 4:10 |")  # a fix changed one row
    merged = judge.merge(redrawn, judged)
    assert "| `a` | 3:11 | 2:11 | wrong: 2:11 |" in merged  # unchanged: its verdict stays
    assert "| `b` | 5:10 | 4:10 | |" in merged  # changed: to judge again
    assert "Notes: a note" not in merged  # the function changed: its notes go with it
