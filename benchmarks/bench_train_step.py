"""Training-step cost of the graph, and data loading against the step, measured in one run.

    .venv/bin/python benchmarks/bench_train_step.py [-c configs/tiny.yaml] [--steps 20] [--batches 50]

Uses a config's data and model (default: configs/tiny.yaml; its data is mined and cached on first use,
as ``graphcode fit`` would). Prints, without asserting:

1. the time of a training step (forward, backward, optimizer step, under the config's precision) with the graph
   and with the same backbone without it, on the same batches drawn as ``fit`` draws them, and the ratio of the
   two total times (target <= 1.25x). The mean is what a run pays: batches grouped by length vary from a few
   dozen tokens to the longest, their cost grows faster than their length, and the median step is about half
   the mean on the CodeXGLUE CPU config (0.47 s against 1.03 s), so medians are printed only beside it;
2. data loading from the cached features (collate included): batches per second, and the time to load one
   batch as a share of a training step (data loading must not be the bottleneck);
3. for reference, building features without the cache (parse, graph, tokenize, align), examples per second.

Steps alternate between the two models so that drifts of the machine's speed hit both alike.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

import torch
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from graphcode.data.dataset import featurize  # noqa: E402
from graphcode.models.config import MEMORY_NODES, FusionConfig, GNNConfig  # noqa: E402
from graphcode.models.fusion import MEMORY_NODE_SELECTORS  # noqa: E402
from graphcode.training.datamodule import GraphCodeDataModule, node_type_count  # noqa: E402
from graphcode.training.module import GraphCodeModule, micro_batch_losses, micro_batches  # noqa: E402


def _section(config: dict, name: str) -> dict:
    return dict(config.get(name) or {})


def build(config: dict, graph: bool, tokenizer, fast_cpu_dropout: bool | None = None) -> GraphCodeModule:
    """The config's module (``fast_cpu_dropout``: the config's own setting when ``None``), built as ``fit`` builds it."""
    model = _section(config, "model")
    data = _section(config, "data")
    gnn = {**_section(model, "gnn"), "num_node_types": node_type_count(data.get("lang", "python"))}
    module = GraphCodeModule(backbone=copy.deepcopy(model["backbone"]), graph=graph, gnn=GNNConfig(**gnn),
                             fusion=FusionConfig(**_section(model, "fusion")), copy=bool(model.get("copy", False)),
                             copy_continuation=bool(model.get("copy_continuation", False)),
                             attention_dropout=model.get("attention_dropout"),
                             micro_batch_tokens=model.get("micro_batch_tokens"),
                             gradient_checkpointing=bool(model.get("gradient_checkpointing", False)),
                             fast_cpu_dropout=bool(model.get("fast_cpu_dropout", True)) if fast_cpu_dropout is None
                             else fast_cpu_dropout)

    class _Trainer:  # configure_model reads the tokenizer from trainer.datamodule
        datamodule = type("DM", (), {"tokenizer": tokenizer})()

    module._trainer = _Trainer()  # type: ignore[assignment]
    module.configure_model()
    module._trainer = None
    return module


def step_loss(module: GraphCodeModule, batch) -> torch.Tensor:
    """The loss whose ``backward`` ends a training step, as ``GraphCodeModule.training_step`` computes it: over a
    ``model.micro_batch_tokens`` budget, every micro-batch but the last is run backward here and the last is returned."""
    parts = micro_batches(module.model, batch, module.micro_batch_tokens)
    if len(parts) == 1:
        return module.model(batch, logits=False).loss  # the loss alone, as training_step asks for it
    return micro_batch_losses(module.model, parts, torch.Tensor.backward)[1]


def typed_data(config: dict) -> dict:
    """The config's ``data`` section with its nested settings as the data module's dataclasses."""
    from graphcode.data.dataset import ParallelFiles, SplitNames
    from graphcode.data.features import GraphSettings
    from graphcode.data.mine import MineConfig
    from graphcode.data.tokenizer import TokenizerConfig

    data = _section(config, "data")
    typed = {"mine": MineConfig, "tokenizer": TokenizerConfig, "graph_options": GraphSettings,
             "parallel": ParallelFiles, "splits": SplitNames}
    for key, cls in typed.items():
        if isinstance(data.get(key), dict):
            data[key] = cls(**data[key])
    return data


def training_batches(config: dict, count: int) -> tuple[GraphCodeDataModule, list]:
    """The config's data module (prepared and set up for ``fit``) and its first ``count`` training batches, drawn
    as ``fit`` draws them."""
    dm = GraphCodeDataModule(**typed_data(config), backbone=config["model"]["backbone"], graph=True)
    dm.prepare_data()
    dm.setup("fit")
    batches = []
    for batch in dm.train_dataloader():
        batches.append(batch)
        if len(batches) == count:
            break
    return dm, batches


def autocast(precision: str):
    """The autocast context of a Lightning ``precision`` on a CPU."""
    return torch.autocast("cpu", dtype=torch.bfloat16) if precision.startswith("bf16") else nullcontext()


def timed_step(module: GraphCodeModule, batch, optimizer: torch.optim.Optimizer, precision: str) -> float:
    """Seconds for one training step of ``module`` on ``batch`` (forward and backward under ``precision``'s
    autocast, optimizer step); a module without the graph gets the batch without its graph."""
    if module.model.graph_encoder is None:
        batch = copy.copy(batch)
        batch.graph, batch.node_token_index = None, None
    start = time.perf_counter()
    with autocast(precision):
        loss = step_loss(module, batch)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-c", "--config", default=str(REPO / "configs" / "tiny.yaml"))
    parser.add_argument("--steps", type=int, default=40, help="measured steps per model (default: 40)")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured steps per model (default: 3)")
    parser.add_argument("--batches", type=int, default=50, help="batches for the loading figures (default: 50)")
    parser.add_argument("--fusion", default=None, help="override model.fusion.mode")
    parser.add_argument("--memory-nodes", default=None, choices=MEMORY_NODES,
                        help="override model.fusion.memory_nodes")
    parser.add_argument("--attention-dropout", type=float, default=None,
                        help="override model.attention_dropout (dropout on attention probabilities alone)")
    parser.add_argument("--micro-batch-tokens", type=int, default=None,
                        help="override model.micro_batch_tokens (a token budget for each forward and backward)")
    parser.add_argument("--copy", choices=("plain", "continuation"), default=None,
                        help="add the copy head (model.copy), with its continuation features or without, to both "
                             "models: the graph's cost over the backbone with the same head")
    args = parser.parse_args(argv)

    config = yaml.safe_load(Path(args.config).read_text(encoding="utf-8"))
    if args.attention_dropout is not None:
        config.setdefault("model", {})["attention_dropout"] = args.attention_dropout
    if args.micro_batch_tokens is not None:
        config.setdefault("model", {})["micro_batch_tokens"] = args.micro_batch_tokens
    if args.copy:
        config.setdefault("model", {}).update(copy=True, copy_continuation=args.copy == "continuation")
    if args.fusion:
        config.setdefault("model", {}).setdefault("fusion", {})["mode"] = args.fusion
    if args.memory_nodes:
        config.setdefault("model", {}).setdefault("fusion", {})["memory_nodes"] = args.memory_nodes
    precision = str(_section(config, "trainer").get("precision", "32"))
    torch.manual_seed(0)
    dm, batches = training_batches(config, args.warmup + args.steps)

    with_graph = build(config, True, dm.tokenizer)
    without = build(config, False, dm.tokenizer)
    without.model.backbone.load_state_dict(with_graph.model.backbone.state_dict())  # the same backbone
    optimizers = {m: torch.optim.AdamW(m.parameters(), lr=1e-4) for m in (with_graph, without)}

    times: dict[GraphCodeModule, list[float]] = {with_graph: [], without: []}

    with_graph.train()
    without.train()
    for i, batch in enumerate(batches):
        for module in ((with_graph, without) if i % 2 == 0 else (without, with_graph)):
            elapsed = timed_step(module, batch, optimizers[module], precision)
            if i >= args.warmup:
                times[module].append(elapsed)
    graph_step = statistics.mean(times[with_graph])
    plain_step = statistics.mean(times[without])
    graph_median, plain_median = statistics.median(times[with_graph]), statistics.median(times[without])

    # Loading from the cached features, collate included.
    start = time.perf_counter()
    n = 0
    for n, _ in enumerate(dm.train_dataloader(), 1):
        if n == args.batches:
            break
    load = (time.perf_counter() - start) / max(n, 1)

    # Building features without the cache, for reference.
    records = dm._records("validation")
    with tempfile.TemporaryDirectory() as tmp:
        settings = dm.feature_settings()
        start = time.perf_counter()
        featurize(records, dm.tokenizer, settings, cache_dir=tmp, num_proc=None, desc="bench features")
        build_rate = len(records.dataset) / (time.perf_counter() - start)

    shape = batches[0].input_ids.shape
    nodes = statistics.mean(b.graph.num_nodes for b in batches)
    tokens = statistics.mean(int(b.attention_mask.sum()) for b in batches)
    fusion = with_graph.model.fusion.mode
    if with_graph.model.fusion.memory is not None:
        memory_nodes = with_graph.model.fusion.memory_nodes
        kept = statistics.mean(
            int(MEMORY_NODE_SELECTORS[memory_nodes](b.graph.edge_index, b.graph.edge_type, b.graph.num_nodes).sum())
            if memory_nodes != "all" else b.graph.num_nodes for b in batches)
        fusion += f", memory nodes {memory_nodes}: {kept:.0f} a batch"
    dropout = "the backbone's" if with_graph.attention_dropout is None else with_graph.attention_dropout
    print(f"config            {args.config} (precision {precision}, fusion {fusion}, "
          f"conv {with_graph.config.gnn.conv}, attention dropout {dropout}, copy head {args.copy or 'off'}, "
          f"torch threads {torch.get_num_threads()})")
    print(f"batch             {shape[0]} examples, mean {tokens:.0f} source tokens and {nodes:.0f} graph nodes "
          f"per batch, {args.steps} measured steps per model, padded source lengths "
          f"{min(b.input_ids.shape[1] for b in batches)}-{max(b.input_ids.shape[1] for b in batches)}")
    print(f"step with graph   {graph_step * 1e3:8.1f} ms  (mean; median {graph_median * 1e3:.1f} ms)")
    print(f"step without      {plain_step * 1e3:8.1f} ms  (mean; median {plain_median * 1e3:.1f} ms; same backbone, "
          "same batches)")
    print(f"graph overhead    {graph_step / plain_step:8.2f}x  (total time over the same batches; target <= 1.25x; "
          f"medians: {graph_median / plain_median:.2f}x)")
    print(f"data loading      {load * 1e3:8.1f} ms per batch from the cache ({1 / load:.1f} batches/s) = "
          f"{load / graph_step:.1%} of a graph step ({1 / graph_step:.1f} steps/s)")
    print(f"feature building  {build_rate:8.1f} examples/s without the cache (parse, graph, tokenize, align; "
          "done once, then cached)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
