"""pass@k throughput: samples run one at a time against ``--workers N`` at once, in one run.

    .venv/bin/python benchmarks/bench_passk.py [--samples 24] [--workers 2]

Each sample is a HumanEval-form completion run in a fresh sandbox (``graphcode.evaluate``), most of whose time is
starting the sandboxed interpreter. The serial and the parallel run score the same samples; the benchmark prints
samples per second of each, their ratio (target: >= 1.8x with 2 workers on 2 cores, on an otherwise idle machine),
and whether the two reports agree sample by sample. No assertion.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from graphcode.evaluate.inputs import Problem, Sample  # noqa: E402
from graphcode.evaluate.report import score_execution  # noqa: E402
from graphcode.evaluate.sandbox import Sandbox, SandboxLimits  # noqa: E402

PROBLEM = Problem("demo/0", "def add(a, b):\n", "def check(candidate):\n    assert candidate(2, 3) == 5\n", "add")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=24)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    completions = ["    return a + b\n", "    return a - b\n", "    return sum([a, b])\n"]
    samples = [Sample("demo/0", completions[i % len(completions)], i) for i in range(args.samples)]
    sandbox = Sandbox(SandboxLimits(timeout_s=10))
    sandbox.run("pass")  # warm the file cache
    timings, reports = {}, {}
    for workers in (1, args.workers):
        start = time.perf_counter()
        reports[workers] = score_execution([PROBLEM], samples, [1], sandbox, show_progress=False, workers=workers)
        timings[workers] = time.perf_counter() - start
    serial, parallel = timings[1], timings[args.workers]
    same = [(e["status"], e["passed"]) for e in reports[1].examples] == \
        [(e["status"], e["passed"]) for e in reports[args.workers].examples]
    print(f"samples           {args.samples}, sandbox: {' '.join(reports[1].summary['isolation'])}")
    print(f"serial            {args.samples / serial:6.2f} samples/s  ({serial:.1f} s)")
    print(f"{args.workers} workers         {args.samples / parallel:6.2f} samples/s  ({parallel:.1f} s)")
    print(f"speed-up          {serial / parallel:6.2f}x  (target >= 1.8x with 2 workers)")
    print(f"same results      {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
