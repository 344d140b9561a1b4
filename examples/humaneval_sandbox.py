"""Evaluate HumanEval-form problems: pass@k, each sample run in the sandbox.

    python examples/humaneval_sandbox.py [--out runs/examples/humaneval]

Writes two problems (``task_id``, ``prompt``, ``test``, ``entry_point``) and four samples: a right answer, a
wrong one, one that loops forever and one that tries to delete a file outside its work folder; then runs
``graphcode evaluate --allow-exec``, which runs each sample in a fresh sandbox with time, memory and process
limits and reports pass@1. Use your own files the same way: ``--data problems.jsonl --predictions
samples.jsonl``. Needs ``graphcode[eval]``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from graphcode.cli import main as graphcode

PROBLEMS = [
    {"task_id": "demo/0", "prompt": "def add(a, b):\n    \"\"\"Return a + b.\"\"\"\n", "entry_point": "add",
     "test": "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n"},
    {"task_id": "demo/1", "prompt": "def is_even(n):\n    \"\"\"Whether n is even.\"\"\"\n", "entry_point": "is_even",
     "test": "def check(candidate):\n    assert candidate(4)\n    assert not candidate(7)\n"},
]


def samples(victim: Path) -> list[dict[str, str]]:
    return [
        {"task_id": "demo/0", "completion": "    return a + b\n"},  # right
        {"task_id": "demo/0", "completion": "    return a - b\n"},  # wrong
        {"task_id": "demo/1", "completion": "    while True:\n        pass\n"},  # never ends: the time limit stops it
        {"task_id": "demo/1", "completion": f"    import os\n    os.remove({str(victim)!r})\n    return n % 2 == 0\n"},
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="runs/examples/humaneval")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    victim = (out / "keep-me.txt").resolve()
    victim.write_text("a file outside the sandbox's work folder\n", encoding="utf-8")
    problems, predictions = out / "problems.jsonl", out / "samples.jsonl"
    problems.write_text("".join(json.dumps(p) + "\n" for p in PROBLEMS), encoding="utf-8")
    predictions.write_text("".join(json.dumps(s) + "\n" for s in samples(victim)), encoding="utf-8")
    code = graphcode(["evaluate", "--data", str(problems), "--predictions", str(predictions), "--k", "1",
                      "--allow-exec", "--timeout", "3", "--out", str(out / "report"), "--quiet"])
    print(f"{victim.name} is {'still there' if victim.exists() else 'GONE'}")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
