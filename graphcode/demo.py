"""``graphcode demo``: the README's main job, end to end on real code — the Python standard library.

Stages (each prints the command a user would type for it):

1. ``graphs``: extract graphs with every edge kind from the whole standard library (summary), write
   the graphs of one package as JSONL, and draw one function's graph as SVG (DOT without Graphviz).
2. ``train``: mine docstring→body examples from the standard library and train the default model,
   ``graphcode fit -c configs/tiny.yaml``, then load the exported model back.
3. ``generate``: ``graphcode test`` on the test split (the task-metric table: exact match, BLEU,
   CodeBLEU, syntax validity), then generate syntax-checked code with beam search for prompts from the
   test split and evaluate it.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from typing import Any

STAGES = ("graphs", "train", "generate")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="runs/demo", help="where the demo writes its files (default: runs/demo)")
    p.add_argument("--stages", default=",".join(STAGES), help=f"comma-separated stages to run (default: {','.join(STAGES)})")
    p.add_argument("--workers", type=int, default=2, help="processes for graph extraction (default: 2)")
    p.add_argument("--config", default="configs/tiny.yaml", help="training config (default: configs/tiny.yaml)")


def _banner(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 66 - len(title)), flush=True)


def _show(cmd: list[str]) -> None:
    print("$ " + " ".join(shlex.quote(c) for c in cmd), flush=True)


def _graphcode(args: list[str]) -> int:
    """Run a graphcode subcommand in this process, echoing it first."""
    from graphcode.cli import main

    _show(["graphcode", *args])
    return main(args)


def _graphcode_subprocess(args: list[str]) -> int:
    """Run a graphcode subcommand in a child process (LightningCLI owns its process), echoing it."""
    _show(["graphcode", *args])
    return subprocess.call([sys.executable, "-m", "graphcode.cli", *args])


def stdlib_root() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def stage_graphs(out: Path, workers: int) -> None:
    from graphcode.graphs import parse_file
    from graphcode.graphs.export import GraphvizNotFoundError, render
    from graphcode.io import atomic_write

    root = stdlib_root()
    _banner(f"1. code graphs of the Python standard library ({root})")
    t = time.perf_counter()
    code = _graphcode(["graph", str(root), "--lang", "python", "--exclude", "site-packages", "--summary-only",
                       "--workers", str(workers)])
    print(f"(exit status {code}: files that fail are reported and skipped; {time.perf_counter() - t:.0f} s)")
    jsonl = out / "json-package.graphs.jsonl"
    _graphcode(["graph", str(root / "json"), "--format", "jsonl", "--out", str(jsonl), "--quiet"])
    print(f"wrote {jsonl} ({jsonl.stat().st_size / 1e6:.1f} MB, one graph per line)")

    source = root / "posixpath.py"
    function = parse_file(source).function("basename")
    print(f"\nposixpath.basename: {function}")
    print("\n".join("    " + line for line in function.source.decode().splitlines()))
    dot = function.to_dot(edges={"child", "last_write", "last_read", "computed_from"})
    dot_path = atomic_write(out / "posixpath.basename.dot", dot)
    try:
        svg_path = atomic_write(out / "posixpath.basename.svg", render(dot, "svg"))
        print(f"wrote {svg_path} (AST in grey, last_write red, last_read blue dashed, computed_from green)")
    except GraphvizNotFoundError as err:
        print(f"wrote {dot_path}; no SVG: {err}")


def stage_train(out: Path, config: str) -> Path | None:
    """Train; returns the new run's folder (``runs/<name>/version_N``) when it holds an exported model."""
    _banner(f"2. train the default model: {config}")
    before = {folder for _, folder in _runs(config)}
    code = _graphcode_subprocess(["fit", "-c", config])
    if code != 0:
        print(f"training failed with exit status {code}")
        return None
    new = [folder for _, folder in _runs(config) if folder not in before]
    export = new[-1] / "export" if new else None
    if export is None or not export.is_dir():
        print(f"training finished but no exported model was found (expected {export or 'a new run folder'})")
        return None
    from graphcode.models import GraphCodeModel

    model = GraphCodeModel.from_pretrained(export)
    n = sum(p.numel() for p in model.parameters())
    print(f"loaded the exported model back from {export}: {n / 1e6:.2f} M parameters, graph={model.config.graph}")
    return new[-1]


def _config_value(config: str, section: str, key: str) -> Any:
    """A value the training config sets, such as ``trainer.default_root_dir``; ``None`` when it sets none."""
    try:
        import yaml

        return (yaml.safe_load(Path(config).read_text()) or {})[section][key]
    except (OSError, KeyError, TypeError, ValueError):
        return None


def _runs(config: str) -> list[tuple[int, Path]]:
    """The run folders of a config, oldest first (see :mod:`graphcode.training.runs`)."""
    from graphcode.training.runs import versions

    root = _config_value(config, "trainer", "default_root_dir")
    return versions(root) if isinstance(root, str) else []


def stage_generate(out: Path, run: Path, config: str, count: int = 16) -> None:
    import json

    from graphcode.io import atomic_write

    _banner("3. test the trained model, then generate syntax-checked code and evaluate it")
    before = {folder for _, folder in _runs(config)}
    code = _graphcode_subprocess(["test", "-c", config, f"--ckpt_path={run / 'checkpoints' / 'last.ckpt'}"])
    tests = [folder for _, folder in _runs(config) if folder not in before]
    report = tests[-1] / "test" / "examples.jsonl" if tests else None
    if code != 0 or report is None or not report.is_file():
        print(f"skipping generation: graphcode test failed (exit status {code})")
        return
    task = _config_value(config, "data", "mine")
    task = task.get("task") if isinstance(task, dict) else None
    test = []
    for line in report.read_text(encoding="utf-8").splitlines()[:count]:
        row = json.loads(line)
        test.append({"id": row["id"], "source": row["source"], "target": row["reference"], "lang": row["lang"],
                     **({"task": task} if task else {})})
    prompts = atomic_write(out / "test-prompts.jsonl", "".join(json.dumps(r) + "\n" for r in test))
    print(f"{len(test)} prompts from the test split (files the model never saw): {prompts}")
    gen = out / "generations.jsonl"
    _graphcode(["generate", "--model", str(run / "export"), "--prompts-file", str(prompts), "--strategy", "beam",
                "--num-candidates", "4", "--max-new-tokens", "96", "--out", str(gen)])
    first = json.loads(gen.read_text().splitlines()[0])
    print(f"\nfirst prompt, status {first['status']!r}; the checked code:")
    print("\n".join("    " + line for line in (first.get("code") or "(no valid candidate)").splitlines()))
    _graphcode(["evaluate", "--data", str(prompts), "--predictions", str(gen), "--out", str(out / "evaluation")])


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        from graphcode.errors import ConfigError

        raise ConfigError(f"--stages: expected names among {', '.join(STAGES)}, found {', '.join(unknown)}")
    run_dir = None
    if "graphs" in stages:
        stage_graphs(out, args.workers)
    if "train" in stages:
        run_dir = stage_train(out, args.config)
    if "generate" in stages:
        if run_dir is None:  # the newest trained run of the config
            trained = [f for _, f in _runs(args.config) if (f / "export").is_dir() and (f / "checkpoints").is_dir()]
            run_dir = trained[-1] if trained else None
        if run_dir is None:
            print("\nskipping generation: no trained model (run the train stage first)")
        else:
            stage_generate(out, run_dir, args.config)
    _banner("done")
    print(f"outputs in {out}/")
    return 0
