"""The research loop through the CLI: run folders, task metrics in the logs, test reports, resume by name,
predict → evaluate, and the bad inputs that must stop a run early with a clear error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml

from graphcode.cli import main
from graphcode.errors import CheckpointError, ConfigError
from graphcode.training.cli import run_lightning_cli
from tests.training.conftest import REPO, TINY_GNN, fast_overrides

TINY_BACKBONE = ('--model.backbone={"model_type": "t5", "d_model": 32, "d_kv": 8, "d_ff": 37, "num_layers": 2, '
                 '"num_decoder_layers": 2, "num_heads": 4}')
# A user's own callback list: the best checkpoint by validation BLEU.
BLEU_CALLBACKS = {"trainer": {"callbacks": [
    {"class_path": "lightning.pytorch.callbacks.ModelCheckpoint",
     "init_args": {"monitor": "val_bleu", "mode": "max", "filename": "best-{step}-{val_bleu:.2f}"}},
    {"class_path": "lightning.pytorch.callbacks.ModelCheckpoint",
     "init_args": {"save_last": "link", "filename": "latest-{step}"}},
]}}


def _args(tmp: Path, records: Path, *extra: str) -> list[str]:
    return ["-c", str(REPO / "configs" / "tiny.yaml"), *fast_overrides(tmp, records),
            *[f"--model.gnn.{k}={v}" for k, v in TINY_GNN.items()], TINY_BACKBONE,
            "--data.task=docstring-to-body", "--trainer.max_steps=4", "--trainer.val_check_interval=2",
            "--trainer.log_every_n_steps=1", "--model.task_metrics.every_n_validations=1",
            "--model.task_metrics.max_examples=4", "--model.task_metrics.max_new_tokens=8", *extra]


def _config(tmp: Path, name: str, content: dict) -> str:
    path = tmp / name
    path.write_text(yaml.safe_dump(content), encoding="utf-8")
    return f"--config={path}"


def _csv(run: Path) -> list[dict[str, str]]:
    import csv

    with open(run / "csv" / "metrics.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def trained(records_file, tmp_path_factory):
    """Two `graphcode fit` runs of the same config (the second with its own callback list), in one root."""
    tmp = tmp_path_factory.mktemp("runs")
    mp = pytest.MonkeyPatch()
    mp.chdir(tmp)
    try:
        assert run_lightning_cli("fit", _args(tmp, records_file)) == 0
        first = tmp / "root" / "version_0"
        snapshot = {p: p.read_bytes() for p in first.rglob("*") if p.is_file()}
        assert run_lightning_cli("fit", _args(tmp, records_file, _config(tmp, "bleu.yaml", BLEU_CALLBACKS))) == 0
    finally:
        mp.undo()
    return tmp, records_file, snapshot


def test_every_run_has_its_own_folder_and_none_overwrites_another(trained):
    tmp, _, snapshot = trained
    root = tmp / "root"
    assert sorted(p.name for p in root.iterdir()) == ["version_0", "version_1"]
    for run in root.iterdir():
        assert (run / "config.yaml").is_file() and (run / "csv" / "metrics.csv").is_file()
        assert list((run / "tensorboard").glob("events.out.tfevents.*"))
        assert (run / "checkpoints" / "last.ckpt").is_file() and (run / "export" / "graphcode_config.json").is_file()
        saved = yaml.safe_load((run / "config.yaml").read_text(encoding="utf-8"))
        assert saved["trainer"]["default_root_dir"] == str(run) and saved["model"]["export_dir"] == str(run / "export")
    assert all(path.read_bytes() == data for path, data in snapshot.items()), "the second run changed the first"
    assert not (tmp / "runs").exists() and not (tmp / "{run}").exists(), "nothing outside the root"


def test_task_metrics_reach_every_logger_and_checkpoints_can_monitor_them(trained):
    tmp, _, _ = trained
    run = tmp / "root" / "version_1"
    rows = _csv(run)
    validations = [r for r in rows if r.get("val_loss")]
    assert len(validations) == 2
    for row in validations:
        for name in ("val_bleu", "val_exact_match", "val_codebleu", "val_syntax_valid"):
            assert 0.0 <= float(row[name]) <= 100.0, (name, row)
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run / "tensorboard")).Reload()
    assert {"val_bleu", "val_exact_match", "val_codebleu", "val_syntax_valid"} <= set(events.Tags()["scalars"])
    best = [p.name for p in (run / "checkpoints").glob("best-*.ckpt")]
    assert best and all("val_bleu=" in name for name in best)
    state = torch.load(run / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    (callback,) = [v for k, v in state["callbacks"].items() if "val_bleu" in k]
    assert callback["monitor"] == "val_bleu" and callback["best_model_score"] is not None
    assert state["global_step"] == 4, "last.ckpt is the latest state, not the last improvement"


def test_test_prints_a_task_metric_table_and_writes_reports(trained, monkeypatch, capsys):
    tmp, records, _ = trained
    monkeypatch.chdir(tmp)
    assert run_lightning_cli("test", _args(tmp, records, "--ckpt_path=best")) == 0
    out = capsys.readouterr()
    assert "test task metrics" in out.out and "CodeXGLUE BLEU-4" in out.out and "syntax valid [python] %" in out.out
    # best: the newest run with checkpoints is version_1, whose monitor was val_bleu
    assert "version_1/checkpoints/best-" in out.err
    run = tmp / "root" / "version_2"
    summary = json.loads((run / "test" / "summary.json").read_text(encoding="utf-8"))
    test_ids = [r["id"] for r in map(json.loads, records.read_text(encoding="utf-8").splitlines())
                if r["split"] == "test"]
    rows = [json.loads(line) for line in (run / "test" / "examples.jsonl").read_text(encoding="utf-8").splitlines()]
    assert summary["examples"] == len(rows) == min(6, len(test_ids))  # data.max_eval_examples=6
    assert {"id", "source", "prediction", "reference", "bleu", "syntax_valid"} <= set(rows[0])
    logged = _csv(run)[-1]
    assert float(logged["test_bleu"]) == pytest.approx(summary["bleu"]["score"])


def test_resume_last_continues_the_newest_run_in_a_new_folder(trained, monkeypatch, capsys):
    tmp, records, _ = trained
    monkeypatch.chdir(tmp)
    before = {p.name for p in (tmp / "root").iterdir()}
    assert run_lightning_cli("fit", _args(tmp, records, "--trainer.max_steps=6", "--ckpt_path=last")) == 0
    assert "version_1/checkpoints/last.ckpt" in capsys.readouterr().err
    (new,) = [p for p in (tmp / "root").iterdir() if p.name not in before]
    steps = [int(r["step"]) for r in _csv(new) if r.get("train_loss")]
    assert steps and min(steps) >= 4 and max(steps) == 5, "it went on from step 4 of the resumed run"


def test_predict_then_evaluate_the_test_split(trained, monkeypatch, capsys):
    tmp, records, _ = trained
    monkeypatch.chdir(tmp)
    before = {p.name for p in (tmp / "root").iterdir()}
    assert run_lightning_cli("predict", _args(tmp, records, "--ckpt_path=last", "--model.generation.max_new_tokens=8")) == 0
    (run,) = [p for p in (tmp / "root").iterdir() if p.name not in before]
    predictions = run / "predictions.jsonl"
    capsys.readouterr()
    assert main(["evaluate", "--data", str(records), "--split", "test", "--predictions", str(predictions),
                 "--out", str(run / "evaluation"), "--quiet"]) == 0
    assert "CodeXGLUE BLEU-4" in capsys.readouterr().out
    assert json.loads((run / "evaluation" / "summary.json").read_text())["examples"] == len(
        predictions.read_text(encoding="utf-8").splitlines())


def test_progress_is_printed_as_lines_when_output_is_not_a_terminal(records_file, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert run_lightning_cli("fit", _args(tmp_path, records_file, "--trainer.val_check_interval=1",
                                          "--model.task_metrics.every_n_validations=2")) == 0
    out = capsys.readouterr().out.splitlines()
    lines = [line for line in out if line.startswith("epoch ")]
    assert len(lines) == 4 and lines[-1].startswith("epoch 0  step 4/4  loss ")
    assert " lr " in lines[-1] and lines[-1].endswith(" steps/s")
    validations = [line for line in out if line.startswith("validation at step")]
    assert len(validations) == 4 and all("val_loss" in line for line in validations)
    # decoded at the 1st and 3rd validation only: no stale task metrics in between
    assert ["val_bleu" in line for line in validations] == [True, False, True, False]


def test_no_callbacks_exports_the_last_weights(records_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    none = _config(tmp_path, "none.yaml", {"trainer": {"callbacks": [], "enable_checkpointing": False}})
    assert run_lightning_cli("fit", _args(tmp_path, records_file, none, "--trainer.max_steps=2")) == 0
    run = tmp_path / "root" / "version_0"
    assert not list(run.rglob("*.ckpt")) and (run / "export" / "graphcode_config.json").is_file()


def test_a_data_path_that_does_not_exist_is_an_error_and_nothing_is_mined(records_file, tmp_path, monkeypatch,
                                                                           capsys):
    monkeypatch.chdir(tmp_path)
    typo = tmp_path / "recrods.jsonl"
    args = [a for a in _args(tmp_path, records_file) if not a.startswith(("--data.path=", "--data.mine="))]
    assert run_lightning_cli("fit", [*args, f"--data.path={typo}"]) == ConfigError.exit_code
    err = capsys.readouterr().err
    assert "data.path: expected an existing file or folder of records, found nothing at" in err and str(typo) in err
    assert not typo.exists() and not (tmp_path / "cache" / "mined").exists()


def test_monitoring_a_metric_that_is_never_logged_stops_before_training(records_file, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    callbacks = {"trainer": {"callbacks": [{"class_path": "lightning.pytorch.callbacks.ModelCheckpoint",
                                            "init_args": {"monitor": "val_blue"}}]}}
    assert run_lightning_cli("fit", _args(tmp_path, records_file, _config(tmp_path, "typo.yaml", callbacks))) == 6
    err = capsys.readouterr().err
    assert "ModelCheckpoint.monitor: expected a metric graphcode logs (" in err and "found 'val_blue'" in err
    callbacks["trainer"]["callbacks"][0]["init_args"]["monitor"] = "val_bleu"
    sparse = [_config(tmp_path, "bleu.yaml", callbacks), "--model.task_metrics.every_n_validations=2"]
    assert run_lightning_cli("fit", _args(tmp_path, records_file, *sparse)) == 6
    assert "expected model.task_metrics.every_n_validations: 1 to monitor it" in capsys.readouterr().err
    assert not list((tmp_path / "root").rglob("*.ckpt")), "nothing trained"


def test_resuming_a_checkpoint_of_other_data_settings_is_an_error(trained, monkeypatch, capsys):
    tmp, records, _ = trained
    monkeypatch.chdir(tmp)
    ckpt = tmp / "root" / "version_0" / "checkpoints" / "last.ckpt"
    code = run_lightning_cli("fit", _args(tmp, records, "--data.max_source_length=40", f"--ckpt_path={ckpt}"))
    assert code == CheckpointError.exit_code
    err = capsys.readouterr().err
    assert "data.max_source_length: expected 40 (the config), found 48 (the checkpoint)" in err and str(ckpt) in err


def test_an_empty_mining_result_is_an_error(tmp_path, capsys):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "nodoc.py").write_text("def f(x):\n    return x\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["mine", str(tmp_path / "src"), "--out", str(out), "--no-progress"]) == 3
    assert "expected python functions that make docstring-to-body examples, found none" in capsys.readouterr().err
    assert not out.exists()


def test_ddp_on_two_cpu_processes_matches_one_process(records_file, tmp_path):
    """`--trainer.strategy=ddp --trainer.devices=2` (gloo) with batch size 2 per process against one process
    with batch size 4: the same global batches, so the validation losses agree to 0.5% after 4 steps (the
    per-process losses average per process, not per token, so they are not bit-identical)."""
    import os
    import subprocess
    import sys

    def fit(name: str, *extra: str) -> tuple[float, list[Path]]:
        root = tmp_path / name
        args = [a for a in _args(tmp_path, records_file, "--trainer.precision=32", "--trainer.accelerator=cpu",
                                 "--model.task_metrics.every_n_validations=0", *extra)
                if not a.startswith("--trainer.default_root_dir=")]
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        env.pop("GRAPHCODE_RUN_DIR", None)
        done = subprocess.run([sys.executable, "-m", "graphcode", "fit", *args, f"--trainer.default_root_dir={root}"],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        runs = sorted(root.iterdir())
        losses = [float(r["val_loss"]) for r in _csv(runs[0]) if r.get("val_loss")]
        return losses[-1], runs

    single, _ = fit("single", "--data.batch_size=4")
    ddp, runs = fit("ddp", "--data.batch_size=2", "--trainer.strategy=ddp", "--trainer.devices=2")
    assert [p.name for p in runs] == ["version_0"], "both processes write into one run folder"
    assert ddp == pytest.approx(single, rel=5e-3)


def test_predict_then_evaluate_line_aligned_parallel_files(tmp_path, monkeypatch, capsys):
    """The CodeXGLUE layout: `predict` on the validation split of parallel files writes every line's prediction,
    and `evaluate --references` scores that file as it is."""
    example = REPO / "tests" / "evaluate" / "data" / "codexglue_example" / "references.txt"
    lines = example.read_text(encoding="utf-8")  # real C# methods, one per line
    data = tmp_path / "data"
    data.mkdir()
    for split in ("train", "valid"):
        for side in ("src", "tgt"):
            (data / f"{split}.{side}").write_text(lines, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    args = ["-c", str(REPO / "configs" / "codexglue-java-cs.yaml"), f"--data.path={data}", "--data.lang=c_sharp",
            "--data.target_lang=c_sharp", "--data.parallel.source={split}.src", "--data.parallel.target={split}.tgt",
            f"--data.cache_dir={tmp_path / 'cache'}", "--data.tokenizer.vocab_size=400", "--data.num_workers=0",
            "--data.num_proc=null", "--data.batch_size=4", "--data.max_source_length=48", "--data.max_target_length=16",
            f"--trainer.default_root_dir={tmp_path / 'root'}", "--trainer.max_steps=1", "--trainer.accelerator=cpu",
            "--trainer.devices=1", "--trainer.precision=32", TINY_BACKBONE,
            *[f"--model.gnn.{k}={v}" for k, v in TINY_GNN.items()], "--model.gnn.conv=rgcn"]
    assert run_lightning_cli("fit", [*args, "--trainer.limit_val_batches=1", "--model.task_metrics.max_examples=2",
                                     "--model.task_metrics.max_new_tokens=4"]) == 0
    assert run_lightning_cli("predict", [*args, "--ckpt_path=last", "--model.generation.max_new_tokens=4",
                                         "--model.generation.num_beams=1"]) == 0
    predictions = tmp_path / "root" / "version_1" / "predictions.jsonl"
    rows = [json.loads(line) for line in predictions.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["id"] for r in rows) == sorted(f"valid.src:{n}" for n in range(1, 11)), "all of the split"
    assert {r["status"] for r in rows} <= {"valid", "repaired", "no_valid_candidate"}
    capsys.readouterr()
    assert main(["evaluate", "--predictions", str(predictions), "--references", str(data / "valid.tgt"),
                 "--lang", "c_sharp", "--quiet"]) == 0
    assert "syntax valid [c_sharp] %" in capsys.readouterr().out


def test_a_split_the_data_lacks_names_the_splits_it_has(records_file, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert run_lightning_cli("test", _args(tmp_path, records_file, "--data.splits.test=tst")) == ConfigError.exit_code
    err = capsys.readouterr().err
    assert "split 'tst': expected records with \"split\": 'tst' in" in err and "found splits test, train, validation" in err


def test_summaries_log_text_metrics(records_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = [a if a != "--data.task=docstring-to-body" else "--data.task=summarize" for a in _args(tmp_path, records_file)]
    assert run_lightning_cli("fit", [*args, "--trainer.max_steps=2"]) == 0
    (run,) = (tmp_path / "root").iterdir()
    columns = set(_csv(run)[0])
    assert {"val_bleu", "val_exact_match", "val_rouge_l"} <= columns
    assert not {"val_codebleu", "val_syntax_valid"} & columns, "no syntax check or CodeBLEU for text"


def test_best_checkpoint_is_found_in_a_run_folder_that_moved(tmp_path):
    from graphcode.training.runs import find_checkpoint

    folder = tmp_path / "moved" / "version_0" / "checkpoints"
    folder.mkdir(parents=True)
    best = folder / "best-step=2-val_loss=1.500.ckpt"
    torch.save({"global_step": 2}, best)
    recorded = f"{tmp_path}/before/version_0/checkpoints/{best.name}"  # where the run was trained
    torch.save({"callbacks": {"ModelCheckpoint{'monitor': 'val_loss'}": {"best_model_path": recorded,
                                                                          "monitor": "val_loss"}}}, folder / "last.ckpt")
    assert find_checkpoint(tmp_path / "moved", "best") == best
    # a copy of a run folder whose original is still there reads its own checkpoint, not the original's
    (tmp_path / "before" / "version_0" / "checkpoints").mkdir(parents=True)
    torch.save({"global_step": 1}, recorded)
    assert find_checkpoint(tmp_path / "moved", "best") == best
    best.unlink()
    assert find_checkpoint(tmp_path / "moved", "best") == Path(recorded), "else the recorded file"
    Path(recorded).unlink()
    with pytest.raises(CheckpointError, match=r"expected a best checkpoint .* found only last.ckpt"):
        find_checkpoint(tmp_path / "moved", "best")
