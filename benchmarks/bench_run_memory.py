"""Peak memory and time of a whole (short) training run, under glibc's allocator and under jemalloc, in one run.

    .venv/bin/python benchmarks/bench_run_memory.py [-c configs/codexglue-java-cs-cpu.yaml] [--steps 150]
        [--jemalloc PATH] [-- EXTRA FIT ARGUMENTS]

``bench_train_memory.py`` measures a step on the longest batches; a run peaks higher, because batches of varying
lengths fragment the heap over the steps. This runs ``graphcode fit`` itself, ``--steps`` training steps without
validation, once per allocator, each in a fresh process whose own peak RSS is read from ``wait4`` (no ``time``
tool needed), and prints each run's wall time and peak with their ratios to the baseline measured in the same run:
glibc's allocator, as the process starts by default. jemalloc is preloaded (``LD_PRELOAD``) from ``--jemalloc`` or
the usual Debian/Ubuntu and Fedora paths (``apt-get install libjemalloc2``); without it only the baseline runs.
Target for the CPU config: a graph arm at most 2 GB. No assertion.

Example (the README's figures)::

    .venv/bin/python benchmarks/bench_run_memory.py -- --model.micro_batch_tokens=4096
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
JEMALLOC_PATHS = ("/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", "/usr/lib/aarch64-linux-gnu/libjemalloc.so.2",
                  "/usr/lib64/libjemalloc.so.2", "/usr/lib/libjemalloc.so.2")


def run(command: list[str], env: dict[str, str], log: Path) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in GiB, exit status) of ``command``, its output written to ``log``."""
    start = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=REPO)
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - start, usage.ru_maxrss / 2**20, proc.returncode  # ru_maxrss: KiB on Linux


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-c", "--config", default="configs/codexglue-java-cs-cpu.yaml")
    ap.add_argument("--steps", type=int, default=150, help="training steps of each run (default: 150)")
    ap.add_argument("--jemalloc", help="path of libjemalloc.so.2 (default: the usual system paths)")
    ap.add_argument("extra", nargs="*", help="after --: more `graphcode fit` arguments for every run")
    args = ap.parse_args()
    jemalloc = args.jemalloc or next((p for p in JEMALLOC_PATHS if Path(p).is_file()), None)
    if args.jemalloc and not Path(args.jemalloc).is_file():
        print(f"--jemalloc: expected a file, found none at {args.jemalloc}", file=sys.stderr)
        return 2
    allocators = [("glibc", {})]
    if jemalloc:
        allocators.append(("jemalloc", {"LD_PRELOAD": jemalloc}))
    else:
        print("jemalloc: not found (apt-get install libjemalloc2, or --jemalloc PATH): the baseline only")
    print(f"graphcode fit -c {args.config} --trainer.max_steps={args.steps} --trainer.limit_val_batches=0 "
          f"{' '.join(args.extra)}".rstrip())
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_run_memory-") as tmp:
        for name, extra_env in allocators:
            command = [sys.executable, "-m", "graphcode", "fit", "-c", args.config,
                       f"--trainer.max_steps={args.steps}", "--trainer.limit_val_batches=0",
                       f"--trainer.default_root_dir={Path(tmp) / name}", *args.extra]
            env = {**os.environ, **extra_env}
            log = Path(tmp) / f"{name}.log"
            seconds, peak, code = run(command, env, log)
            if code != 0:
                print(f"{name}: graphcode fit exited with {code}; its last lines:\n"
                      + "\n".join(log.read_text(errors="replace").splitlines()[-15:]), file=sys.stderr)
                return 1
            rows.append((name, seconds, peak))
            print(f"  {name:9s} done: {seconds / 60:.2f} min, peak RSS {peak:.2f} GiB", flush=True)
    base_s, base_peak = rows[0][1], rows[0][2]
    print(f"{'allocator':10s} {'wall':>9s} {'x glibc':>8s} {'peak RSS':>10s} {'x glibc':>8s}")
    for name, seconds, peak in rows:
        print(f"{name:10s} {seconds / 60:7.2f} m {seconds / base_s:8.2f} {peak:8.2f} G {peak / base_peak:8.2f}")
    print("target for a CPU arm: peak RSS at most 2 GB (1.86 GiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
