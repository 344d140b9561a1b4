"""Peak memory of each export format of one large file, against building the graph alone, in one run.

    .venv/bin/python benchmarks/bench_export_memory.py [FILE] [--formats json,graphml,dot,jsonl]

FILE defaults to the largest Python file of this machine's standard library; the issue's figure is lodash's
``test/test.js`` (814 KB: fetch lodash and pass that path). Each measurement is its own process,
``graphcode graph FILE --format F --out TMP``, and its peak resident memory (``ru_maxrss``) is reported, with
the baseline ``--summary-only`` (parse and build every edge kind, write nothing) measured the same way. Prints
megabytes and the ratio to the baseline, without asserting (the target: every format under 600 MB for
lodash's test file).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def peak(cmd: list[str]) -> tuple[float, float]:
    """Run ``cmd``; returns (peak RSS in MiB, seconds). Raises if it fails."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    start = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {child.stderr.read().decode()[-2000:]}")
    return usage.ru_maxrss / 1024, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("file", nargs="?", help="the file to export (default: the stdlib's largest .py)")
    parser.add_argument("--formats", default="json,jsonl,graphml,dot", help="comma-separated formats")
    args = parser.parse_args(argv)
    if args.file:
        path = Path(args.file)
    else:
        stdlib = Path(sysconfig.get_paths()["stdlib"])
        path = max((p for p in stdlib.glob("*.py")), key=lambda p: p.stat().st_size)
    graph = [sys.executable, "-m", "graphcode", "graph", str(path), "--quiet"]
    base, base_s = peak([*graph, "--summary-only"])
    print(f"file              {path} ({path.stat().st_size / 1e3:.0f} KB)")
    print(f"baseline          {base:8.0f} MiB peak, {base_s:5.1f} s  (parse + every edge kind, nothing written)")
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in [f.strip() for f in args.formats.split(",") if f.strip()]:
            out = Path(tmp) / f"out.{fmt}"
            mib, secs = peak([*graph, "--format", fmt, "--out", str(out)])
            print(f"{fmt:<17} {mib:8.0f} MiB peak, {secs:5.1f} s  = {mib / base:.2f}x the baseline "
                  f"(output {out.stat().st_size / 1e6:.0f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
