"""What graphcode's CPU dropout saves: training steps with it and with torch's dropout, measured in one run.

    .venv/bin/python benchmarks/bench_cpu_dropout.py [-c configs/codexglue-java-cs-cpu.yaml] [--steps 30]

Prints, without asserting:

1. one dropout of an attention-probability tensor ``(32, 8, 100, 100)`` and of a feed-forward activation
   ``(32, 100, 1024)`` (bf16, as under the configs' autocast): ``torch.nn.functional.dropout`` against
   :func:`graphcode.models.dropout.cpu_dropout`, the median of 20 calls each;
2. training steps of the config (forward, backward, optimizer step, under its precision) on the same batches drawn
   as ``fit`` draws them, for the backbone alone and for the graph arm, each with ``model.fast_cpu_dropout`` on
   and off: the mean step and the ratio fast / torch (the same weights; steps alternate between the four models
   so that drifts of the machine's speed hit all alike).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_train_step import build, timed_step, training_batches  # noqa: E402

from graphcode.models.dropout import cpu_dropout  # noqa: E402


def _median_ms(fn, calls: int = 20) -> float:
    fn()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-c", "--config", default=str(REPO / "configs" / "codexglue-java-cs-cpu.yaml"))
    parser.add_argument("--steps", type=int, default=30, help="measured steps per model (default: 30)")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured steps per model (default: 3)")
    args = parser.parse_args(argv)

    torch.manual_seed(0)
    for shape in ((32, 8, 100, 100), (32, 100, 1024)):
        x = torch.randn(shape, dtype=torch.bfloat16)
        plain = _median_ms(lambda x=x: F.dropout(x, 0.1, training=True))
        fast = _median_ms(lambda x=x: cpu_dropout(x, 0.1))
        print(f"dropout {shape!s:18} torch {plain:7.2f} ms  graphcode {fast:7.2f} ms  ({fast / plain:.2f}x)")

    config = yaml.safe_load(Path(args.config).read_text(encoding="utf-8"))
    precision = str((config.get("trainer") or {}).get("precision", "32"))
    dm, batches = training_batches(config, args.warmup + args.steps)
    models = {}
    for graph in (False, True):
        fast = build(config, graph, dm.tokenizer, fast_cpu_dropout=True)
        plain = build(config, graph, dm.tokenizer, fast_cpu_dropout=False)
        plain.model.load_state_dict(fast.model.state_dict())
        models[graph, True], models[graph, False] = fast, plain
    optimizers = {key: torch.optim.AdamW(m.parameters(), lr=1e-4) for key, m in models.items()}
    times: dict[tuple[bool, bool], list[float]] = {key: [] for key in models}
    keys = list(models)
    for i, batch in enumerate(batches):
        for key in keys[i % len(keys):] + keys[:i % len(keys)]:  # each model first in turn
            elapsed = timed_step(models[key].train(), batch, optimizers[key], precision)
            if i >= args.warmup:
                times[key].append(elapsed)
    print(f"config  {args.config} (precision {precision}, {args.steps} measured steps per model, "
          f"torch threads {torch.get_num_threads()})")
    for graph, name in ((False, "backbone"), (True, "graph arm")):
        fast, plain = statistics.mean(times[graph, True]), statistics.mean(times[graph, False])
        print(f"{name:9} step: torch dropout {plain * 1e3:7.1f} ms, graphcode's {fast * 1e3:7.1f} ms  "
              f"({fast / plain:.2f}x; medians {statistics.median(times[graph, True]) * 1e3:.1f} and "
              f"{statistics.median(times[graph, False]) * 1e3:.1f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
