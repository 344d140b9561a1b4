"""The graph ablation benchmark's pieces: one tiny pair of arms end to end (two at once), resuming, the table."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest

from tests.training.conftest import REPO, TINY_GNN, fast_overrides


def _ablation():
    spec = importlib.util.spec_from_file_location("bench_graph_ablation", REPO / "benchmarks" / "bench_graph_ablation.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
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
    # other decoding settings: the arms are scored again from their checkpoints, not trained again
    capped = [*argv, "--model.task_metrics.max_len_a=0.5", "--model.task_metrics.max_len_b=1"]
    assert ablation.main(capped) == 0
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.ckpt")} == stamps
    report = json.loads((out / "ablation.json").read_text(encoding="utf-8"))
    assert all(r["decoding"]["max_len_a"] == 0.5 and r["decoding"]["max_len_b"] == 1 for r in report["results"])
    assert all(r["report"] != first["report"] for r, first in zip(report["results"], (nograph, graph), strict=True))
    assert ablation.main(capped) == 0 and json.loads((out / "ablation.json").read_text(encoding="utf-8")) == report
    assert ablation.main(argv) == 0  # and back
    capsys.readouterr()
    # a second seed: each seed compared on its own, and both pooled (every example of each seed is one pair)
    two = [*argv[:argv.index("--seeds") + 1], "0,1", *argv[argv.index("--seeds") + 2:]]
    assert ablation.main(two) == 0
    pooled = [c for c in json.loads((out / "ablation.json").read_text(encoding="utf-8"))["comparisons"]
              if c["seed"] == "pooled"]
    assert len(pooled) == 1 and pooled[0]["seeds"] == [0, 1] and pooled[0]["examples"] == 12
    assert pooled[0]["low"] <= pooled[0]["difference"] <= pooled[0]["high"]
    assert "| graph | seeds 0, 1 pooled |" in capsys.readouterr().out
    # the copy head's arms: each compared with nograph, and the graph's one also with the backbone's one
    copies = [*argv[:argv.index("--arms") + 1], "nograph,copy,nograph-copy", *argv[argv.index("--arms") + 2:]]
    assert ablation.main(copies) == 0
    report = json.loads((out / "ablation.json").read_text(encoding="utf-8"))
    (controlled,) = report["controlled"]
    assert (controlled["arm"], controlled["against"], controlled["seed"]) == ("copy", "nograph-copy", 0)
    assert "| copy | nograph-copy | 0 |" in capsys.readouterr().out
    copy_arm = next(r for r in report["results"] if r["arm"] == "copy")
    assert copy_arm["parameters"] > graph["parameters"], "the copy head adds weights"
    assert ablation.main(argv) == 0  # back to seed 0 alone
    printed = capsys.readouterr().out
    # results name their reports relative to the output folder: a moved folder still compares
    moved = tmp_path / "moved"
    out.rename(moved)
    assert ablation.main([*argv[:argv.index("--out") + 1], str(moved), *argv[argv.index("--out") + 2:]]) == 0
    assert capsys.readouterr().out == printed
    # each arm's beam length penalty chosen on the first training pairs, then used on the scored split; the tuning
    # decodes are kept, and a second call decodes nothing
    split = argv.index("--")
    tuned = [*argv[:argv.index("--out") + 1], str(moved), *argv[argv.index("--out") + 2:split], "--tune-length-penalty",
             "1.0,2.0", "--tune-examples", "4", *argv[split:], "--model.task_metrics.num_beams=2"]
    assert ablation.main(tuned) == 0
    report = json.loads((moved / "ablation.json").read_text(encoding="utf-8"))
    for r in report["results"]:
        bleu = {float(p): b for p, b in r["tuning"]["bleu"].items()}
        assert set(bleu) == {1.0, 2.0} and r["tuning"]["key"]["split"] == "train"
        assert r["decoding"]["length_penalty"] == ablation.choose_length_penalty(bleu)
        root = moved / r["arm"] / "seed0"
        commands = [line for line in (root / "test.log").read_text(encoding="utf-8").splitlines()
                    if line.startswith("$ ")]
        assert f"--model.task_metrics.length_penalty={r['decoding']['length_penalty']}" in commands[-1].split()
        tune = [line for line in (root / "tune.log").read_text(encoding="utf-8").splitlines() if line.startswith("$ ")]
        assert len(tune) == 2 and all("--data.splits.test=train" in c.split() for c in tune)
    assert "Beam length penalty chosen by BLEU on the first 4 pairs of train:" in capsys.readouterr().out
    logs = {p: p.read_text(encoding="utf-8") for p in moved.rglob("*.log")}
    assert ablation.main(tuned) == 0
    assert {p: p.read_text(encoding="utf-8") for p in moved.rglob("*.log")} == logs, "nothing decoded again"


def test_the_length_penalty_with_the_best_bleu_is_chosen_ties_nearest_one():
    choose = _ablation().choose_length_penalty
    assert choose({1.0: 50.0, 1.5: 52.0, 2.0: 51.0}) == 1.5
    assert choose({0.5: 40.0, 1.5: 40.0, 2.0: 40.0}) == 0.5  # nearest 1.0, then the smaller
    assert choose({1.0: 40.0, 2.0: 40.0}) == 1.0


def test_length_penalty_tuning_never_uses_the_scored_split(capsys):
    with pytest.raises(SystemExit):
        _ablation().main(["--tune-length-penalty", "1.0,1.5", "--tune-split", "valid", "--split", "valid"])
    assert "--tune-split: expected a split other than the scored one" in capsys.readouterr().err


def test_equal_wall_clock_reads_the_validation_curves_and_interpolates(tmp_path):
    ablation = _ablation()

    def arm(name: str, losses: dict[int, float], resumed_at: int | None = None) -> None:
        # Lightning's CSV logger: 0-based steps; a resumed fit writes a second version folder
        for version, part in enumerate([losses] if resumed_at is None else [
                {s: v for s, v in losses.items() if s <= resumed_at}, {s: v for s, v in losses.items() if s > resumed_at}]):
            folder = tmp_path / name / "seed0" / f"version_{version}" / "csv"
            folder.mkdir(parents=True)
            rows = ["epoch,step,train_loss,val_loss"]
            for step, loss in part.items():
                rows += [f"0,{step - 1},3.0,", f"0,{step - 1},,{loss}"]
            (folder / "metrics.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")

    arm("nograph", {400: 4.0, 800: 3.0})
    arm("graph", {400: 3.5, 800: 2.5}, resumed_at=400)
    assert ablation.validation_curve(tmp_path / "graph" / "seed0") == [(400, 3.5), (800, 2.5)]
    base = {"arm": "nograph", "seed": 0, "steps": 800, "fit_wall_s": 800.0}
    graph = {"arm": "graph", "seed": 0, "steps": 800, "fit_wall_s": 1280.0}  # 1.6x the time per step
    row = ablation.equal_wall_clock(tmp_path, base, graph, None)
    assert row["step_ratio"] == 1.6 and row["ratio_from"] == "fit times" and row["step"] == 500
    assert abs(row["val_loss"] - 3.25) < 1e-9 and row["nograph_val_loss"] == 3.0 and row["same_steps_val_loss"] == 2.5
    given = ablation.equal_wall_clock(tmp_path, base, graph, 1.25)
    assert given["step"] == 640 and given["ratio_from"] == "given" and abs(given["val_loss"] - 2.9) < 1e-9
    assert ablation.equal_wall_clock(tmp_path, base, graph, 4.0)["val_loss"] is None  # before the first validation
    text = ablation.wall_clock_table([row, given])
    assert "| graph | 0 | 1.60x (fit times) | 500 | 3.250 | 3.000 | 2.500 |" in text
    assert ablation.equal_wall_clock(tmp_path, base, {**graph, "arm": "gcn"}, None) is None  # no curve: no row


def test_parameters_count_tied_weights_once(tmp_path):
    """A saved T5's shared embedding is also its encoder's, decoder's and output layer's: one parameter, as
    Module.parameters() counts it, not four."""
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    torch.manual_seed(0)
    model = T5ForConditionalGeneration(T5Config(vocab_size=50, d_model=8, d_kv=4, d_ff=16, num_layers=1,
                                                num_decoder_layers=1, num_heads=2, tie_word_embeddings=True))
    torch.save({"state_dict": model.state_dict()}, tmp_path / "best.ckpt")
    state = torch.load(tmp_path / "best.ckpt", map_location="cpu", weights_only=True)["state_dict"]
    expected = sum(p.numel() for p in model.parameters())
    assert sum(v.numel() for v in state.values()) > expected  # the copies a plain sum would count
    assert _ablation().unique_parameters(state) == expected


def test_arms_the_config_already_is_are_found(tmp_path):
    """``--arms all`` skips an arm whose overrides the config already sets (``memory-inner`` under the CPU
    config, whose default graph holds the inner nodes); a differing value, a missing key or no overrides is an arm."""
    ablation = _ablation()
    cpu = str(REPO / "configs" / "codexglue-java-cs-cpu.yaml")
    assert ablation.config_holds(cpu, ablation.ARMS["memory-inner"])
    assert not ablation.config_holds(cpu, ablation.ARMS["memory-all"])
    assert not ablation.config_holds(cpu, ablation.ARMS["graph"])  # no overrides: the graph arm itself
    assert not ablation.config_holds(cpu, ablation.ARMS["copy"])  # model.copy is not in the config
    assert ablation.config_holds(cpu, ["--model.gnn.conv=rgcn", "--data.graph_options.edges="
                                       "[child, next_token, last_write, last_read, computed_from]"])
    assert not ablation.config_holds(cpu, ["--data.graph_options.edges=[child,next_token]"])
    full = str(REPO / "configs" / "codexglue-java-cs.yaml")
    assert not ablation.config_holds(full, ablation.ARMS["memory-inner"])


def test_arms_all_trains_each_distinct_arm_once(monkeypatch, capsys, tmp_path):
    """``--arms all`` under the CPU config runs every arm but ``memory-inner`` (the config's own graph) and says so."""
    ablation = _ablation()
    started: list[str] = []

    def record(config, out, arm, seed, extra, split, tuning):  # stands in for training
        started.append(arm)
        return {"arm": arm, "seed": seed}

    def stop(*args, **kwargs):  # every arm was asked for: stop before comparing
        raise RuntimeError("not trained")

    monkeypatch.setattr(ablation, "run_arm", record)
    monkeypatch.setattr(ablation, "compare_with", stop)
    with pytest.raises(RuntimeError, match="not trained"):
        ablation.main(["-c", str(REPO / "configs" / "codexglue-java-cs-cpu.yaml"), "--arms", "all", "--seeds", "0",
                       "--out", str(tmp_path)])
    assert sorted(started) == sorted(set(ablation.ARMS) - {"memory-inner"})
    assert "memory-inner: skipped" in capsys.readouterr().err
