"""Does the graph help? Train the arms of a graph ablation with the same data, seeds, steps and tokenizer,
score each on the validation split, and put a confidence interval on the BLEU the graph buys.

    .venv/bin/python benchmarks/bench_graph_ablation.py                       # the main pair, 2 seeds
    .venv/bin/python benchmarks/bench_graph_ablation.py --arms all --seeds 0  # every variant, one seed
    .venv/bin/python benchmarks/bench_graph_ablation.py --max-steps 200 --out runs/ablation-smoke

Each arm is ``graphcode fit -c CONFIG`` with its overrides (default config:
``configs/codexglue-java-cs-cpu.yaml``), then ``graphcode test --ckpt_path=best`` on the validation split
(``--data.splits.test=valid``): CodeXGLUE BLEU, exact match, CodeBLEU and syntax validity of every validation
example, decoded as the config's ``model.task_metrics`` says (the CPU config: beam 5 within a length limit that
grows with the source). Arms run one after another in child processes (``--jobs N``: N arms of a seed at once, for a
GPU that one arm leaves mostly idle); each arm's folder is
``<out>/<arm>/seed<S>/version_N`` (graphcode's run folders). The wall time and the peak resident memory of the
``fit`` process are recorded.

It resumes: an arm with a result is skipped, an arm whose ``fit`` stopped resumes from its last checkpoint
(``--ckpt_path=last``), and an arm scored with other decoding settings (the config's ``model.task_metrics`` and
its overrides) is scored again from its best checkpoint without training. Prints a table and writes ``<out>/ablation.json`` and ``<out>/ablation.md``,
with a paired bootstrap 95% interval of the BLEU difference between each arm and ``nograph`` of the same
seed, on the same examples, and, with several seeds, pooled over them (``copy`` is also compared with
``nograph-copy``, the backbone with the same copy head, ``copy-coverage`` with ``nograph-copy-coverage`` and
``copy-continue`` with ``nograph-copy-continue``). A
second table compares each arm with
``nograph`` at equal training time rather than equal steps: its validation loss at the step it reaches in the time
``nograph`` takes for all of its (``--step-ratio``: its time per step over ``nograph``'s; by default from the arms'
own fit times).

``--tune-length-penalty 1.0,1.25,1.5`` chooses each arm's beam length penalty (``model.task_metrics.length_penalty``)
among those values by BLEU on the first ``--tune-examples`` pairs of ``--tune-split`` (the training split by default:
never the scored one), then scores the validation split with it. A model that stops early gains from a higher
penalty, one that loops until the length limit loses, so each arm gets its own; the choices and their BLEU are in
the results and under the table. The tuning decodes are kept (``<arm>/seed<S>/length_penalty.json``) and reused.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

EIGHT_CASE = ["--model.copy=true", "--model.copy_continuation=true", "--model.copy_continuation_tokens=8",
              "--model.copy_continuation_ignore_case=true"]
"""The copy head whose continuation matches up to the target's last eight tokens, ignoring case."""
STEPS_3000 = ["--trainer.max_steps=3000", "--trainer.val_check_interval=500"]
"""3,000 steps instead of the config's 2,400, validated every 500."""

ARMS: dict[str, list[str]] = {
    "nograph": ["--model.graph=false"],
    "graph": [],  # the config's default: RGCN, add+memory (the CPU config: the syntax tree's inner nodes in the
    #               memory), AST and data-flow edges
    "gcn": ["--model.gnn.conv=gcn"],
    "fusion-add": ["--model.fusion.mode=add"],
    "fusion-memory": ["--model.fusion.mode=memory"],
    "fusion-gate": ["--model.fusion.mode=gate"],
    "memory-all": ["--model.fusion.memory_nodes=all"],  # the memory holds every node
    "memory-inner": ["--model.fusion.memory_nodes=inner"],  # only the syntax tree's inner nodes (the CPU default)
    "memory-dataflow": ["--model.fusion.memory_nodes=dataflow"],  # the memory holds only the data-flow nodes
    "copy": ["--model.copy=true"],  # the default graph with a copy head (pointer-generator)
    "nograph-copy": ["--model.graph=false", "--model.copy=true"],  # the backbone with a copy head: the control
    # the copy head whose attention sees what it has copied, with See et al.'s coverage loss (weight 1)
    "copy-coverage": ["--model.copy=true", "--model.copy_coverage=1.0"],
    "nograph-copy-coverage": ["--model.graph=false", "--model.copy=true", "--model.copy_coverage=1.0"],
    # the copy head whose attention sees which source tokens follow the target's last one and two tokens
    "copy-continue": ["--model.copy=true", "--model.copy_continuation=true"],
    "nograph-copy-continue": ["--model.graph=false", "--model.copy=true", "--model.copy_continuation=true"],
    # the same, comparing tokens ignoring case and leading spaces (Java's get Member goes on in C#'s Get Member)
    "copy-continue-case": ["--model.copy=true", "--model.copy_continuation=true",
                           "--model.copy_continuation_ignore_case=true"],
    # ... and matching up to the target's last four tokens, so that a phrase the source holds twice has one place
    "copy-continue-4case": ["--model.copy=true", "--model.copy_continuation=true",
                            "--model.copy_continuation_tokens=4", "--model.copy_continuation_ignore_case=true"],
    "nograph-copy-continue-4case": ["--model.graph=false", "--model.copy=true", "--model.copy_continuation=true",
                                    "--model.copy_continuation_tokens=4",
                                    "--model.copy_continuation_ignore_case=true"],
    # ... up to the target's last eight tokens (the most the head takes)
    "copy-continue-8case": EIGHT_CASE,
    # the same trained for 3,000 steps rather than 2,400 (validated every 500), what 45 minutes allow on 2 cores
    "copy-continue-8case-3000": [*EIGHT_CASE, *STEPS_3000],
    "nograph-copy-continue-8case-3000": ["--model.graph=false", *EIGHT_CASE, *STEPS_3000],
    "ast-only": ["--data.graph_options.edges=[child,next_token]"],
}
"""Each arm's overrides of the config."""
MAIN = ("nograph", "graph")
CONTROLS: dict[str, str] = {"copy": "nograph-copy", "copy-coverage": "nograph-copy-coverage",
                             "copy-continue": "nograph-copy-continue",
                             "copy-continue-4case": "nograph-copy-continue-4case",
                             "copy-continue-8case-3000": "nograph-copy-continue-8case-3000"}
"""Arms also compared with an arm other than ``nograph``: the graph with a copy head against the backbone with the same
head."""


def _run(cmd: list[str], log: Path) -> tuple[int, float, float]:
    """Run ``cmd`` with its output in ``log``; returns (exit status, wall seconds, peak RSS in MiB)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    env.pop("GRAPHCODE_RUN_DIR", None)
    start = time.perf_counter()
    with open(log, "a", encoding="utf-8") as out:
        out.write("$ " + " ".join(cmd) + "\n")
        out.flush()
        child = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, time.perf_counter() - start, usage.ru_maxrss / 1024


def _graphcode(subcommand: str, config: str, root: Path, seed: int, overrides: list[str], extra: list[str]) -> list[str]:
    return [sys.executable, "-m", "graphcode", subcommand, "-c", config, f"--trainer.default_root_dir={root}",
            f"--seed_everything={seed}", f"--data.seed={seed}", *overrides, *extra]


def _has_checkpoint(root: Path) -> bool:
    return any(root.glob("version_*/checkpoints/last.ckpt"))


@dataclass(frozen=True)
class Tuning:
    """Choose each arm's beam length penalty among ``values`` by BLEU on the first ``examples`` pairs of ``split``."""

    values: tuple[float, ...]
    split: str = "train"
    examples: int = 300

    def key(self, decoding: dict[str, Any]) -> dict[str, Any]:
        """What a tuning result depends on: the other decoding settings, the split and the number of examples."""
        return {"decoding": {k: v for k, v in decoding.items() if k != "length_penalty"}, "split": self.split,
                "examples": self.examples}


def choose_length_penalty(bleu: dict[float, float]) -> float:
    """The value with the highest BLEU; on a tie, the one nearest 1.0 (Hugging Face's default), then the smaller."""
    return max(bleu, key=lambda p: (bleu[p], -abs(p - 1.0), -p))


def _summary(root: Path, before: set[str]) -> tuple[Path, dict[str, Any]]:
    """The run folder that a ``test`` made (the one not in ``before``) and its test summary."""
    (run,) = [p for p in root.glob("version_*") if p.name not in before]
    return run, json.loads((run / "test" / "summary.json").read_text(encoding="utf-8"))


def tune_length_penalty(config: str, root: Path, arm: str, seed: int, extra: list[str], decoding: dict[str, Any],
                        tuning: Tuning) -> dict[float, float]:
    """Decode the tuning pairs with each length penalty (reusing those ``root/length_penalty.json`` holds for the
    same settings); returns BLEU by value."""
    path = root / "length_penalty.json"
    key = tuning.key(decoding)
    stored = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    bleu = {float(p): b for p, b in stored.get("bleu", {}).items()} if stored.get("key") == key else {}
    for value in tuning.values:
        if value in bleu:
            continue
        before = {p.name for p in root.glob("version_*")}
        args = ["--ckpt_path=best", f"--data.splits.test={tuning.split}",
                f"--model.task_metrics.test_max_examples={tuning.examples}", "--model.task_metrics.codebleu=false",
                f"--model.task_metrics.length_penalty={value}"]
        code, _, _ = _run(_graphcode("test", config, root, seed, ARMS[arm], [*extra, *args]), root / "tune.log")
        if code != 0:
            raise SystemExit(f"{arm} seed {seed}: graphcode test with length_penalty={value} failed (exit {code}); "
                             f"see {root / 'tune.log'}")
        bleu[value] = _summary(root, before)[1]["bleu"]["score"]
        print(f"{arm} seed {seed}: length_penalty {value}: BLEU {bleu[value]:.2f} on the first {tuning.examples} "
              f"pairs of {tuning.split}", file=sys.stderr, flush=True)
        path.write_text(json.dumps({"key": key, "bleu": {str(p): b for p, b in sorted(bleu.items())}}, indent=2)
                        + "\n", encoding="utf-8")
    return {value: bleu[value] for value in tuning.values}


def _is_current(stored: dict[str, Any], decoding: dict[str, Any], tuning: Tuning | None) -> bool:
    """Whether a stored result was decoded as asked: with the same settings, or, when tuning, tuned the same way."""
    if tuning is None:
        return stored.get("decoding") == decoding
    tuned = stored.get("tuning") or {}
    return (tuned.get("key") == tuning.key(decoding)
            and sorted(float(p) for p in tuned.get("bleu", {})) == sorted(tuning.values))


def run_arm(config: str, out: Path, arm: str, seed: int, extra: list[str], split: str = "valid",
            tuning: Tuning | None = None) -> dict[str, Any]:
    """Train and score one arm (or read its result); returns the result."""
    root = out / arm / f"seed{seed}"
    result_path = root / "result.json"
    overrides = ARMS[arm]
    test = ["--ckpt_path=best", f"--data.splits.test={split}", "--model.task_metrics.test_max_examples=null"]
    decoding = decoding_settings(config, [*overrides, *extra, *test])
    if result_path.is_file():
        stored = json.loads(result_path.read_text(encoding="utf-8"))
        if _is_current(stored, decoding, tuning):
            return stored
        print(f"{arm} seed {seed}: decoding settings changed; scoring its checkpoint again", file=sys.stderr)
    root.mkdir(parents=True, exist_ok=True)
    fit_path = root / "fit.json"
    fit = json.loads(fit_path.read_text(encoding="utf-8")) if fit_path.is_file() else {"wall_s": 0.0, "peak_rss_mib": 0.0}
    if not fit.get("done"):
        resume = ["--ckpt_path=last"] if _has_checkpoint(root) else []
        code, wall, rss = _run(_graphcode("fit", config, root, seed, overrides, [*extra, *resume]), root / "fit.log")
        fit = {"wall_s": fit["wall_s"] + wall, "peak_rss_mib": max(fit["peak_rss_mib"], rss), "done": code == 0}
        fit_path.write_text(json.dumps(fit) + "\n", encoding="utf-8")
        if code != 0:
            raise SystemExit(f"{arm} seed {seed}: graphcode fit failed (exit {code}); see {root / 'fit.log'}")
    tuned: dict[str, Any] | None = None
    if tuning is not None:
        bleu = tune_length_penalty(config, root, arm, seed, extra, decoding, tuning)
        decoding = {**decoding, "length_penalty": choose_length_penalty(bleu)}
        test = [*test, f"--model.task_metrics.length_penalty={decoding['length_penalty']}"]
        tuned = {"key": tuning.key(decoding), "bleu": {str(p): b for p, b in bleu.items()}}
    before = {p.name for p in root.glob("version_*")}
    code, wall, _ = _run(_graphcode("test", config, root, seed, overrides, [*extra, *test]), root / "test.log")
    if code != 0:
        raise SystemExit(f"{arm} seed {seed}: graphcode test failed (exit {code}); see {root / 'test.log'}")
    run, summary = _summary(root, before)
    import torch

    best = sorted(root.glob("version_*/checkpoints/best-*.ckpt"))[-1]
    state = torch.load(best, map_location="cpu", weights_only=True)
    result = {
        "arm": arm, "seed": seed, "overrides": overrides, "steps": int(state["global_step"]),
        "parameters": unique_parameters(state["state_dict"]),
        "fit_wall_s": fit["wall_s"], "fit_peak_rss_mib": fit["peak_rss_mib"], "test_wall_s": wall,
        "examples": summary["examples"], "bleu": summary["bleu"]["score"], "exact_match": summary["exact_match"],
        "codebleu": next(iter((summary["codebleu"] or {}).values()), {"codebleu": None})["codebleu"],
        "syntax_valid": next(iter((summary["syntax_valid"] or {}).values()), {"rate": None})["rate"],
        "report": (run / "test").relative_to(out).as_posix(),  # relative: the folder can move
        "decoding": decoding,
        **({"tuning": tuned} if tuned is not None else {}),
    }
    result_path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def _read_config(config: str) -> dict[str, Any]:
    """The config file's YAML as a dict (empty for an empty file)."""
    import yaml

    return yaml.safe_load(Path(config).read_text(encoding="utf-8")) or {}


def decoding_settings(config: str, args: list[str]) -> dict[str, Any]:
    """How ``test`` decodes an arm: the config's ``model.task_metrics`` with the command line's
    ``--model.task_metrics.NAME=VALUE`` overrides applied. A stored result decoded otherwise is scored again from
    its checkpoint (its ``fit`` is kept)."""
    import yaml

    settings = dict((_read_config(config).get("model") or {}).get("task_metrics") or {})
    prefix = "--model.task_metrics."
    for arg in args:
        if arg.startswith(prefix) and "=" in arg:
            name, value = arg[len(prefix):].split("=", 1)
            settings[name] = yaml.safe_load(value)
    return settings


def config_holds(config: str, overrides: list[str]) -> bool:
    """Whether the config already sets every ``--a.b.c=VALUE`` of ``overrides`` to that value (an arm with them is
    the ``graph`` arm again: ``memory-inner`` under the CPU config). False for no overrides."""
    import yaml

    if not overrides:
        return False
    data = _read_config(config)
    for arg in overrides:
        if not arg.startswith("--") or "=" not in arg:
            return False
        path, value = arg[2:].split("=", 1)
        node: Any = data
        for key in path.split("."):
            if not isinstance(node, dict) or key not in node:
                return False
            node = node[key]
        if node != yaml.safe_load(value):
            return False
    return True


def _examples(out: Path, result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    path = out / result["report"] / "examples.jsonl"
    return {row["id"]: row for row in map(json.loads, path.read_text(encoding="utf-8").splitlines())}


def compare(out: Path, pairs: list[tuple[dict[str, Any], dict[str, Any]]], resamples: int) -> dict[str, Any]:
    """The paired bootstrap interval of BLEU(other) - BLEU(base) on the examples both decoded, for ``(base,
    other)`` pairs of one arm against ``nograph``: one seed, or several pooled (each example of each seed is one
    pair, and the corpus BLEU is over all of them)."""
    from graphcode.evaluate.bootstrap import paired_bootstrap_bleu

    refs: list[str] = []
    base_out: list[str] = []
    other_out: list[str] = []
    for base, other in pairs:
        a, b = _examples(out, base), _examples(out, other)
        for key in a:
            if key in b:
                refs.append(a[key]["reference"])
                base_out.append(a[key]["prediction"])
                other_out.append(b[key]["prediction"])
    result = paired_bootstrap_bleu(refs, base_out, other_out, resamples=resamples)
    seeds = [other["seed"] for _, other in pairs]
    return {"arm": pairs[0][1]["arm"], "seed": seeds[0] if len(seeds) == 1 else "pooled", "seeds": seeds,
            "against": pairs[0][0]["arm"], "difference": result.difference, "low": result.low, "high": result.high,
            "wins": result.wins, "examples": result.examples}


def compare_with(out: Path, results: list[dict[str, Any]], control: str, arms: set[str], resamples: int
                 ) -> list[dict[str, Any]]:
    """:func:`compare` each result of ``arms`` with ``control``'s of the same seed, in the results' order, then, for
    an arm with several seeds, pooled over them."""
    against = {r["seed"]: r for r in results if r["arm"] == control}
    pairs: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    for r in results:
        if r["arm"] in arms and r["seed"] in against:
            pairs.setdefault(r["arm"], []).append((against[r["seed"]], r))
    singles = [compare(out, [(against[r["seed"]], r)], resamples) for r in results
               if r["arm"] in arms and r["seed"] in against]
    return singles + [compare(out, each, resamples) for each in pairs.values() if len(each) > 1]


def unique_parameters(state_dict: dict[str, Any]) -> int:
    """Numbers in a state dict, each tensor's storage counted once: tied weights (T5's shared embedding is also the
    encoder's, the decoder's and the output layer's) are one parameter, as ``Module.parameters()`` counts them."""
    seen: set[tuple[int, int, tuple[int, ...]]] = set()
    total = 0
    for value in state_dict.values():
        key = (value.untyped_storage().data_ptr(), value.storage_offset(), tuple(value.shape))
        if key not in seen:
            seen.add(key)
            total += value.numel()
    return total


def validation_curve(root: Path) -> list[tuple[int, float]]:
    """``(step, val_loss)`` of every validation of an arm's ``fit`` (its ``version_*/csv/metrics.csv``; a resumed
    fit spans several), by step."""
    import csv

    points: dict[int, float] = {}
    for path in sorted(root.glob("version_*/csv/metrics.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                if row.get("val_loss"):
                    points[int(row["step"]) + 1] = float(row["val_loss"])  # the logger's step is 0-based
    return sorted(points.items())


def loss_at(curve: list[tuple[int, float]], step: float) -> float | None:
    """The validation loss at ``step``, linear between validations; ``None`` outside the curve."""
    for (s0, v0), (s1, v1) in itertools.pairwise(curve):
        if s0 <= step <= s1:
            return v0 + (v1 - v0) * (step - s0) / (s1 - s0)
    return curve[-1][1] if curve and step == curve[-1][0] else None


def equal_wall_clock(out: Path, base: dict[str, Any], other: dict[str, Any], step_ratio: float | None
                     ) -> dict[str, Any] | None:
    """``other`` against ``base`` (``nograph``, the same seed) at equal training time: ``other``'s validation loss at
    the step it reaches in the time ``base`` takes for all its steps, ``base.steps / step_ratio``. ``step_ratio`` is
    ``other``'s time per step over ``base``'s; by default the ratio of the two arms' own fit times per step (which a
    machine shared with other work distorts: give one measured apart, e.g. by ``bench_train_step.py``)."""
    ratio = step_ratio or (other["fit_wall_s"] / other["steps"]) / (base["fit_wall_s"] / base["steps"])
    base_curve = validation_curve(out / base["arm"] / f"seed{base['seed']}")
    curve = validation_curve(out / other["arm"] / f"seed{other['seed']}")
    if not base_curve or not curve:
        return None
    step = base["steps"] / ratio
    loss = loss_at(curve, step)
    return {"arm": other["arm"], "seed": other["seed"], "step_ratio": ratio, "ratio_from": "given" if step_ratio
            else "fit times", "step": step, "val_loss": loss, "nograph_val_loss": base_curve[-1][1],
            "same_steps_val_loss": curve[-1][1]}


def wall_clock_table(rows: list[dict[str, Any]]) -> str:
    lines = ["| arm | seed | time per step vs nograph | step at nograph's time | val loss there | nograph's val loss | "
             "val loss at equal steps |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        there = "-" if r["val_loss"] is None else f"{r['val_loss']:.3f}"
        lines.append(f"| {r['arm']} | {r['seed']} | {r['step_ratio']:.2f}x ({r['ratio_from']}) | {r['step']:.0f} | "
                     f"{there} | {r['nograph_val_loss']:.3f} | {r['same_steps_val_loss']:.3f} |")
    return "\n".join(lines)


def control_table(comparisons: list[dict[str, Any]]) -> str:
    lines = ["| arm | against | seed | ΔBLEU [95% CI] |", "|---|---|---|---|"]
    for c in comparisons:
        seed = c["seed"] if c["seed"] != "pooled" else f"seeds {', '.join(map(str, c['seeds']))} pooled"
        lines.append(f"| {c['arm']} | {c['against']} | {seed} | {c['difference']:+.2f} [{c['low']:+.2f}, {c['high']:+.2f}] |")
    return "\n".join(lines)


def tuning_table(results: list[dict[str, Any]]) -> str:
    """Each tuned arm's length penalty and the BLEU of each value on the tuning pairs."""
    first = results[0]["tuning"]["key"]
    values = sorted({float(p) for r in results for p in r["tuning"]["bleu"]})
    lines = [f"Beam length penalty chosen by BLEU on the first {first['examples']} pairs of {first['split']}:", "",
             "| arm | seed | chosen | " + " | ".join(f"{p:g}" for p in values) + " |",
             "|---|---|---|" + "---|" * len(values)]
    for r in results:
        bleu = {float(p): b for p, b in r["tuning"]["bleu"].items()}
        cells = [f"{bleu[p]:.2f}" if p in bleu else "-" for p in values]
        lines.append(f"| {r['arm']} | {r['seed']} | {r['decoding']['length_penalty']:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def table(results: list[dict[str, Any]], comparisons: list[dict[str, Any]]) -> str:
    def num(value: Any, digits: int = 2) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    lines = ["| arm | seed | params | steps | fit min | peak RSS GiB | BLEU | EM | CodeBLEU | valid % | ΔBLEU vs nograph [95% CI] |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    by_key = {(c["arm"], c["seed"]): c for c in comparisons}
    for r in results:
        c = by_key.get((r["arm"], r["seed"]))
        delta = f"{c['difference']:+.2f} [{c['low']:+.2f}, {c['high']:+.2f}]" if c else "-"
        lines.append(f"| {r['arm']} | {r['seed']} | {r['parameters'] / 1e6:.2f} M | {r['steps']} | "
                     f"{r['fit_wall_s'] / 60:.1f} | {r['fit_peak_rss_mib'] / 1024:.2f} | {num(r['bleu'])} | "
                     f"{num(r['exact_match'])} | {num(r['codebleu'])} | {num(r['syntax_valid'], 1)} | {delta} |")
    for c in comparisons:
        if c["seed"] == "pooled":
            lines.append(f"| {c['arm']} | seeds {', '.join(map(str, c['seeds']))} pooled | | | | | | | | | "
                         f"{c['difference']:+.2f} [{c['low']:+.2f}, {c['high']:+.2f}] |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-c", "--config", default="configs/codexglue-java-cs-cpu.yaml")
    parser.add_argument("--arms", default=",".join(MAIN), help=f"comma-separated, or 'all' ({', '.join(ARMS)})")
    parser.add_argument("--seeds", default="0,1", help="comma-separated seeds (default: 0,1)")
    parser.add_argument("--out", default="runs/ablation", help="where arms and results go (default: runs/ablation)")
    parser.add_argument("--max-steps", type=int, help="override trainer.max_steps of every arm")
    parser.add_argument("--split", default="valid", help="the data's split to score (default: valid)")
    parser.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples (default: 1000)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="arms of a seed trained at once, in separate processes (default: 1)")
    parser.add_argument("--step-ratio", type=float,
                        help="a graph arm's time per training step over nograph's, for the equal-wall-clock table "
                             "(default: from the arms' own fit times)")
    parser.add_argument("--tune-length-penalty", metavar="P,P,...",
                        help="choose each arm's beam length penalty among these values by BLEU on --tune-split "
                             "(default: the config's task_metrics.length_penalty for every arm)")
    parser.add_argument("--tune-split", default="train",
                        help="the split the length penalty is chosen on; never the scored one (default: train)")
    parser.add_argument("--tune-examples", type=int, default=300,
                        help="its first N pairs decoded for each value (default: 300)")
    parser.add_argument("extra", nargs="*", help="further overrides for every arm, after '--'")
    args = parser.parse_args(argv)
    arms = list(ARMS) if args.arms == "all" else [a.strip() for a in args.arms.split(",") if a.strip()]
    unknown = [a for a in arms if a not in ARMS]
    if unknown:
        parser.error(f"--arms: expected names among {', '.join(ARMS)}, found {', '.join(unknown)}")
    if args.arms == "all":  # an arm whose overrides the config already holds would train the graph arm twice
        same = [a for a in arms if config_holds(args.config, ARMS[a])]
        for arm in same:
            print(f"{arm}: skipped, {args.config} already sets {' '.join(ARMS[arm])} (it is the graph arm)",
                  file=sys.stderr)
        arms = [a for a in arms if a not in same]
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    extra = [*args.extra, *([f"--trainer.max_steps={args.max_steps}"] if args.max_steps else [])]
    out = Path(args.out)
    if args.jobs < 1:
        parser.error(f"--jobs: expected a positive number of arms at once, found {args.jobs}")
    tuning = None
    if args.tune_length_penalty is not None:
        try:
            values = tuple(dict.fromkeys(float(v) for v in args.tune_length_penalty.split(",") if v.strip()))
        except ValueError:
            values = ()
        if not values:
            parser.error(f"--tune-length-penalty: expected comma-separated numbers, found {args.tune_length_penalty!r}")
        if args.tune_split == args.split:
            parser.error(f"--tune-split: expected a split other than the scored one, found {args.tune_split!r} for both")
        if args.tune_examples < 1:
            parser.error(f"--tune-examples: expected a positive number of pairs, found {args.tune_examples}")
        tuning = Tuning(values, args.tune_split, args.tune_examples)
    results = []
    order = sorted(arms, key=lambda a: (a not in MAIN, MAIN.index(a) if a in MAIN else 0))
    for seed in seeds:  # the main pair first: the result that matters most lands first
        def one(arm: str, seed: int = seed) -> dict[str, Any]:
            print(f"arm {arm} seed {seed} ...", file=sys.stderr, flush=True)
            return run_arm(args.config, out, arm, seed, extra, args.split, tuning)

        with ThreadPoolExecutor(max_workers=args.jobs) as pool:  # each arm is a child process: threads only wait
            results.extend(pool.map(one, order))
    base = {r["seed"]: r for r in results if r["arm"] == "nograph"}
    comparisons = compare_with(out, results, "nograph", {r["arm"] for r in results} - {"nograph"}, args.resamples)
    controlled = [c for arm, control in CONTROLS.items() for c in compare_with(out, results, control, {arm},
                                                                               args.resamples)]
    if args.step_ratio is not None and not args.step_ratio > 0:
        parser.error(f"--step-ratio: expected a positive number, found {args.step_ratio}")
    wall_clock = [row for r in results if r["arm"] != "nograph" and r["seed"] in base
                  for row in [equal_wall_clock(out, base[r["seed"]], r, args.step_ratio)] if row is not None]
    text = table(results, comparisons)
    if controlled:
        text += "\n\nAgainst a control other than nograph:\n\n" + control_table(controlled)
    tuned = [r for r in results if r.get("tuning")]
    if tuned:
        text += "\n\n" + tuning_table(tuned)
    if wall_clock:
        text += "\n\nAt equal training time (validation loss; lower is better):\n\n" + wall_clock_table(wall_clock)
    print(text)
    (out / "ablation.json").write_text(json.dumps({"config": args.config, "extra": extra, "results": results,
                                                   "comparisons": comparisons, "controlled": controlled,
                                                   "equal_wall_clock": wall_clock},
                                                  indent=2) + "\n", encoding="utf-8")
    (out / "ablation.md").write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
