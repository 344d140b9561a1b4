"""Start-up time of the commands, against the interpreter's own start-up measured in the same run.

Prints, for each command, the median wall time of ``--repeat`` runs and its ratio to ``python -c pass``:

- ``graphcode graph --help`` and ``graphcode check --help`` (no torch);
- ``graphcode fit --help`` and ``graphcode fit -c configs/tiny.yaml --print_config``, cold (the help cache off,
  ``GRAPHCODE_CLI_CACHE=0``: what the first run after an install or an edit costs) and warm (from the cache).

    .venv/bin/python benchmarks/bench_startup.py --repeat 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GRAPHCODE = [sys.executable, "-m", "graphcode"]


def timed(cmd: list[str], env: dict[str, str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        warm = {**os.environ, "GRAPHCODE_CACHE_DIR": cache, "GRAPHCODE_CLI_CACHE": "1"}
        cold = {**warm, "GRAPHCODE_CLI_CACHE": "0"}
        base = timed([sys.executable, "-c", "pass"], warm, args.repeat)
        rows = [("python -c pass (baseline)", base)]
        for name, cmd in (("graphcode graph --help", ["graph", "--help"]), ("graphcode check --help", ["check", "--help"])):
            rows.append((name, timed([*GRAPHCODE, *cmd], warm, args.repeat)))
        for name, cmd in (("graphcode fit --help", ["fit", "--help"]),
                          ("graphcode fit -c configs/tiny.yaml --print_config",
                           ["fit", "-c", "configs/tiny.yaml", "--print_config"])):
            rows.append((f"{name}, cold", timed([*GRAPHCODE, *cmd], cold, max(1, args.repeat // 2))))
            subprocess.run([*GRAPHCODE, *cmd], cwd=ROOT, env=warm, stdout=subprocess.DEVNULL, check=True)  # fill
            rows.append((f"{name}, warm", timed([*GRAPHCODE, *cmd], warm, args.repeat)))
    width = max(len(name) for name, _ in rows)
    print(f"{'command':<{width}}  seconds  x baseline")
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds:7.2f}  {seconds / base:10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
