"""Peak memory of a training arm, with and without the graph and gradient checkpointing, in one run.

    .venv/bin/python benchmarks/bench_train_memory.py [-c configs/codexglue-java-cs-cpu.yaml] [--steps 3]

An arm's peak resident memory is set by its longest batches (activations grow with batch x length, attention with
its square), so each measurement trains on the ``--steps`` longest batches of the training loader (the config's
batch size, length-grouped as training draws them): the worst case of a whole run. Each of the four settings runs
in a fresh process, whose peak RSS (``ru_maxrss``) and median step time (after one untimed step) are printed, with their ratios to the
baseline measured in the same run: the backbone alone without checkpointing. Target for the CPU config: a graph arm
at most 2 GB. No assertion.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))


def child(config_path: str, graph: bool, checkpointing: bool, steps: int, overrides: dict[str, Any]) -> dict:
    import torch
    import yaml
    from bench_train_step import build, step_loss, typed_data

    from graphcode.training.datamodule import GraphCodeDataModule

    config = yaml.safe_load(Path(config_path).read_text(encoding="utf-8"))
    config.setdefault("model", {}).update(overrides)
    data = typed_data(config)
    torch.manual_seed(0)
    dm = GraphCodeDataModule(**data, backbone=config["model"]["backbone"], graph=graph)
    dm.prepare_data()
    dm.setup("fit")
    sizes = []  # (tokens in the batch's padded grids, index)
    for i, batch in enumerate(dm.train_dataloader()):
        sizes.append((batch.input_ids.numel() + batch.labels.numel(), i))
    longest = {i for _, i in sorted(sizes, reverse=True)[:steps]}
    batches = [b for i, b in enumerate(dm.train_dataloader()) if i in longest]
    module = build(config, graph, dm.tokenizer)
    if checkpointing:
        module.model.gradient_checkpointing_enable()
    module.train()
    optimizer = torch.optim.AdamW(module.parameters(), lr=1e-4)
    precision = str((config.get("trainer") or {}).get("precision", "32"))
    autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if precision.startswith("bf16") else nullcontext
    times = []  # the first step warms the allocator and the kernels up: not timed
    for batch in [batches[0], *batches]:
        start = time.perf_counter()
        with autocast():
            loss = step_loss(module, batch)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        times.append(time.perf_counter() - start)
    times = times[1:]
    shape = tuple(batches[0].input_ids.shape), tuple(batches[0].labels.shape)
    return {"peak_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, "step_s": statistics.median(times),
            "shape": shape, "nodes": batches[0].graph.num_nodes if batches[0].graph is not None else 0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-c", "--config", default=str(REPO / "configs" / "codexglue-java-cs-cpu.yaml"))
    parser.add_argument("--steps", type=int, default=3, help="the longest batches to train on (default: 3)")
    parser.add_argument("--attention-dropout", type=float, default=None,
                        help="override model.attention_dropout (dropout on attention probabilities alone)")
    parser.add_argument("--micro-batch-tokens", type=int, default=None,
                        help="override model.micro_batch_tokens (a token budget for each forward and backward)")
    parser.add_argument("--child", nargs=2, metavar=("GRAPH", "CHECKPOINTING"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        overrides = {key: value for key, value in (("attention_dropout", args.attention_dropout),
                                                   ("micro_batch_tokens", args.micro_batch_tokens)) if value is not None}
        print(json.dumps(child(args.config, args.child[0] == "1", args.child[1] == "1", args.steps, overrides)))
        return 0
    rows = []
    for graph in (False, True):
        for checkpointing in (False, True):
            override = [*([] if args.attention_dropout is None else ["--attention-dropout", str(args.attention_dropout)]),
                        *([] if args.micro_batch_tokens is None else ["--micro-batch-tokens", str(args.micro_batch_tokens)])]
            done = subprocess.run([sys.executable, __file__, "-c", args.config, "--steps", str(args.steps), *override,
                                   "--child", str(int(graph)), str(int(checkpointing))],
                                  capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(done.stdout + done.stderr, file=sys.stderr)
                return 1
            rows.append((graph, checkpointing, json.loads(done.stdout.strip().splitlines()[-1])))
    base = rows[0][2]
    dropout = "the config's" if args.attention_dropout is None else args.attention_dropout
    budget = "the config's" if args.micro_batch_tokens is None else args.micro_batch_tokens
    print(f"config  {args.config}; attention dropout {dropout}; micro-batch tokens {budget}; the {args.steps} longest "
          f"training batches, first {base['shape']} (inputs, labels)")
    print(f"{'arm':<9} {'checkpointing':<14} {'peak RSS':>9} {'x base':>7} {'step':>8} {'x base':>7}")
    for graph, checkpointing, r in rows:
        print(f"{'graph' if graph else 'nograph':<9} {'on' if checkpointing else 'off':<14} "
              f"{r['peak_gib']:6.2f} GiB {r['peak_gib'] / base['peak_gib']:7.2f} {r['step_s']:7.2f}s "
              f"{r['step_s'] / base['step_s']:7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
