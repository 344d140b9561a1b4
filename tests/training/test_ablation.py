"""The graph ablation benchmark's pieces: one tiny pair of arms end to end (two at once), resuming, the table."""

from __future__ import annotations

import importlib.util
import json

from tests.training.conftest import REPO, TINY_GNN, fast_overrides


def _ablation():
    spec = importlib.util.spec_from_file_location("bench_graph_ablation", REPO / "benchmarks" / "bench_graph_ablation.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_tiny_pair_of_arms_trains_scores_compares_and_resumes(records_file, tmp_path, capsys):
    ablation = _ablation()
    extra = [*fast_overrides(tmp_path, records_file), *[f"--model.gnn.{k}={v}" for k, v in TINY_GNN.items()],
             '--model.backbone={"model_type": "t5", "d_model": 32, "d_kv": 8, "d_ff": 37, "num_layers": 2, '
             '"num_decoder_layers": 2, "num_heads": 4}', "--trainer.val_check_interval=2",
             "--model.task_metrics.max_new_tokens=8", "--data.task=docstring-to-body"]
    extra = [e for e in extra if not e.startswith("--trainer.default_root_dir=")]
    out = tmp_path / "ablation"
    argv = ["-c", str(REPO / "configs" / "tiny.yaml"), "--arms", "nograph,graph", "--seeds", "0", "--max-steps", "2",
            "--split", "validation", "--out", str(out), "--resamples", "50", "--jobs", "2", "--", *extra]
    assert ablation.main(argv) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("| arm | seed | params |") and "| nograph | 0 |" in printed and "| graph | 0 |" in printed
    report = json.loads((out / "ablation.json").read_text(encoding="utf-8"))
    nograph, graph = report["results"]
    assert (nograph["arm"], graph["arm"]) == ("nograph", "graph") and nograph["steps"] == graph["steps"] == 2
    assert graph["parameters"] > nograph["parameters"] and graph["examples"] == nograph["examples"] == 6
    (comparison,) = report["comparisons"]
    assert comparison["low"] <= comparison["difference"] <= comparison["high"] and comparison["examples"] == 6
    # finished arms are skipped: a second call trains nothing and prints the same table
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*.ckpt")}
    assert ablation.main(argv) == 0
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.ckpt")} == stamps
    assert capsys.readouterr().out == printed
    # a second seed: each seed compared on its own, and both pooled (every example of each seed is one pair)
    two = [*argv[:argv.index("--seeds") + 1], "0,1", *argv[argv.index("--seeds") + 2:]]
    assert ablation.main(two) == 0
    pooled = [c for c in json.loads((out / "ablation.json").read_text(encoding="utf-8"))["comparisons"]
              if c["seed"] == "pooled"]
    assert len(pooled) == 1 and pooled[0]["seeds"] == [0, 1] and pooled[0]["examples"] == 12
    assert pooled[0]["low"] <= pooled[0]["difference"] <= pooled[0]["high"]
    assert "| graph | seeds 0, 1 pooled |" in capsys.readouterr().out
    assert ablation.main(argv) == 0  # back to seed 0 alone
    printed = capsys.readouterr().out
    # results name their reports relative to the output folder: a moved folder still compares
    moved = tmp_path / "moved"
    out.rename(moved)
    assert ablation.main([*argv[:argv.index("--out") + 1], str(moved), *argv[argv.index("--out") + 2:]]) == 0
    assert capsys.readouterr().out == printed
