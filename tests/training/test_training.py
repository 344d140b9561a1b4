"""The LightningModule and DataModule: exact resume, export round trip, predict, checkpoint errors."""

from __future__ import annotations

import json
from pathlib import Path

import lightning.pytorch as pl
import pytest
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from torch.testing import assert_close

from graphcode.data.tokenizer import TokenizerConfig
from graphcode.errors import CheckpointError, ConfigError
from graphcode.models import GraphCodeModel
from graphcode.models.config import GNNConfig
from graphcode.training.cli import run_lightning_cli, validate_checkpoint
from graphcode.training.datamodule import EpochShuffleSampler, GraphCodeDataModule
from graphcode.training.module import (
    DATA_SETTINGS_NAME,
    GraphCodeModule,
    OptimizerConfig,
    SchedulerConfig,
    WarmupSchedule,
)
from tests.training.conftest import REPO, TINY_GNN, TINY_GPT2, TINY_T5, fast_overrides


def make(records: Path, tmp: Path, backbone: dict, graph: bool = True, export: bool = False, **data):
    datamodule = GraphCodeDataModule(
        path=str(records), tokenizer=TokenizerConfig(vocab_size=400), cache_dir=str(tmp / "cache"),
        max_source_length=48, max_target_length=32, batch_size=data.pop("batch_size", 4),
        max_examples=data.pop("max_examples", 8), max_eval_examples=4, backbone=backbone, graph=graph, **data,
    )
    module = GraphCodeModule(
        backbone=backbone, graph=graph, gnn=GNNConfig(**TINY_GNN, num_node_types=300),
        optimizer=OptimizerConfig(lr=3e-3), scheduler=SchedulerConfig(kind="cosine", warmup_steps=1),
        export_dir=str(tmp / "export") if export else None,
    )
    return module, datamodule


def trainer(tmp: Path, **kwargs) -> pl.Trainer:
    settings = {"num_sanity_val_steps": 0, **kwargs}
    return pl.Trainer(
        default_root_dir=tmp, logger=False, enable_progress_bar=False, enable_model_summary=False,
        precision="bf16-mixed", gradient_clip_val=1.0,
        callbacks=[ModelCheckpoint(dirpath=tmp / "ckpt", monitor="val_loss", save_last=True)], **settings,
    )


class StopAfterFirstEpoch(pl.Callback):
    """Stops a run after its first epoch, as an interruption would (the schedule still plans for all)."""

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        trainer.should_stop = True


def _weights(module: GraphCodeModule) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


@pytest.mark.parametrize("backbone", [TINY_T5, TINY_GPT2], ids=["t5", "gpt2"])
def test_resume_from_checkpoint_is_exact(records_file, tmp_path, backbone):
    pl.seed_everything(0)
    straight, dm = make(records_file, tmp_path / "a", backbone)
    trainer(tmp_path / "a", max_epochs=2).fit(straight, dm)  # 2 epochs x 2 steps, dropout on

    pl.seed_everything(0)
    first, dm = make(records_file, tmp_path / "b", backbone)
    interrupted = trainer(tmp_path / "b", max_epochs=2)
    interrupted.callbacks.append(StopAfterFirstEpoch())
    interrupted.fit(first, dm)
    assert interrupted.global_step == 2
    pl.seed_everything(123)  # the resumed run restores the generators from the checkpoint
    resumed, dm = make(records_file, tmp_path / "b", backbone)
    trainer(tmp_path / "b", max_epochs=2, num_sanity_val_steps=2).fit(
        resumed, dm, ckpt_path=str(tmp_path / "b" / "ckpt" / "last.ckpt"))

    expected, found = _weights(straight), _weights(resumed)
    assert expected.keys() == found.keys()
    for name in expected:
        assert_close(found[name], expected[name], msg=name)
    before = _weights(first)
    assert any(not torch.equal(before[name], found[name]) for name in found), "the resumed run trained"


def test_fit_exports_the_best_model_and_it_round_trips(records_file, tmp_path):
    pl.seed_everything(0)
    module, dm = make(records_file, tmp_path, TINY_T5, export=True)
    trainer(tmp_path, max_steps=4, val_check_interval=2).fit(module, dm)
    export = tmp_path / "export"
    assert (export / DATA_SETTINGS_NAME).is_file() and (export / "tokenizer").is_dir()
    settings = json.loads((export / DATA_SETTINGS_NAME).read_text(encoding="utf-8"))
    assert settings["lang"] == "python" and settings["max_source_length"] == 48 and not settings["decoder_only"]
    loaded = GraphCodeModel.from_pretrained(export).eval()
    module.model.eval()
    batch = next(iter(dm.val_dataloader()))
    with torch.no_grad():
        assert_close(loaded(batch).logits, module.model(batch).logits, rtol=0, atol=0)
    # the export holds the best checkpoint's weights
    best = torch.load(trainer_best(tmp_path), map_location="cpu", weights_only=True)["state_dict"]
    for name, value in loaded.state_dict().items():
        assert_close(value, best[f"model.{name}"], rtol=0, atol=0)
    assert loaded.tokenizer is not None and len(loaded.tokenizer) == len(module.model.tokenizer)


def trainer_best(tmp: Path) -> Path:
    return next(p for p in (tmp / "ckpt").glob("*.ckpt") if p.name != "last.ckpt")


@pytest.mark.parametrize("backbone", [TINY_T5, TINY_GPT2], ids=["t5", "gpt2"])
def test_predict_generates_for_every_example(records_file, tmp_path, backbone):
    module, dm = make(records_file, tmp_path, backbone, max_examples=4)
    dm.max_eval_examples = 3
    out = trainer(tmp_path, max_steps=1).predict(module, dm)
    rows = [row for batch in out for row in batch]
    assert len(rows) == 3 and all(isinstance(r["prediction"], str) and r["id"] for r in rows)


def test_graph_off_module_is_the_backbone(records_file, tmp_path):
    module, dm = make(records_file, tmp_path, TINY_T5, graph=False)
    trainer(tmp_path, max_steps=1, limit_val_batches=1).fit(module, dm)
    assert module.model.graph_encoder is None
    assert all(name.startswith("model.backbone.") for name in module.state_dict())
    assert next(iter(dm.train_dataloader())).graph is None


# --------------------------------------------------------------------------- checkpoint errors


@pytest.fixture(scope="module")
def cli_checkpoint(records_file, tmp_path_factory):
    """A checkpoint written by `graphcode fit` with tiny.yaml and fast overrides, and those overrides."""
    tmp = tmp_path_factory.mktemp("cli")
    args = ["-c", str(REPO / "configs" / "tiny.yaml"), *fast_overrides(tmp, records_file),
            *[f"--model.gnn.{k}={v}" for k, v in TINY_GNN.items()],
            '--model.backbone={"model_type": "t5", "d_model": 32, "d_kv": 8, "d_ff": 37, "num_layers": 2, '
            '"num_decoder_layers": 2, "num_heads": 4}',
            "--trainer.max_steps=2", "--trainer.val_check_interval=2", "--trainer.limit_val_batches=1"]
    cwd = Path.cwd()
    try:
        import os

        os.chdir(tmp)
        assert run_lightning_cli("fit", args) == 0
    finally:
        os.chdir(cwd)
    ckpt = tmp / "runs" / "tiny" / "checkpoints" / "last.ckpt"
    assert ckpt.is_file() and (tmp / "export" / "graphcode_config.json").is_file()
    return ckpt, args, tmp


def test_validate_accepts_its_own_checkpoint(cli_checkpoint, monkeypatch):
    ckpt, args, tmp = cli_checkpoint
    monkeypatch.chdir(tmp)
    assert run_lightning_cli("validate", [*args, f"--ckpt_path={ckpt}"]) == 0


def test_predict_command_writes_predictions(cli_checkpoint, monkeypatch):
    ckpt, args, tmp = cli_checkpoint
    monkeypatch.chdir(tmp)
    out = tmp / "runs" / "tiny" / "predictions.jsonl"
    assert run_lightning_cli("predict", [*args, f"--ckpt_path={ckpt}", "--model.generation.max_new_tokens=6"]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 6 and all(set(row) == {"id", "prediction"} for row in rows)


def test_truncated_checkpoint_is_a_clear_error(cli_checkpoint, tmp_path, monkeypatch, capsys):
    ckpt, args, tmp = cli_checkpoint
    data = ckpt.read_bytes()
    cut = tmp_path / "cut.ckpt"
    cut.write_bytes(data[: len(data) // 2])
    monkeypatch.chdir(tmp)
    assert run_lightning_cli("validate", [*args, f"--ckpt_path={cut}"]) == CheckpointError.exit_code
    err = capsys.readouterr().err
    assert str(cut) in err and "expected a complete Lightning checkpoint" in err and "truncated" in err
    with pytest.raises(CheckpointError, match="found nothing at that path"):
        validate_checkpoint(tmp_path / "missing.ckpt", {})


def test_mismatched_checkpoint_names_expected_and_found(cli_checkpoint, monkeypatch, capsys):
    ckpt, args, tmp = cli_checkpoint
    monkeypatch.chdir(tmp)
    code = run_lightning_cli("validate", [*args, "--model.graph=false", f"--ckpt_path={ckpt}"])
    assert code == CheckpointError.exit_code
    err = capsys.readouterr().err
    assert "model.graph: expected False (the config), found True (the checkpoint)" in err and str(ckpt) in err


def test_tampered_weights_are_caught_before_loading(cli_checkpoint, tmp_path, monkeypatch, capsys):
    ckpt, args, tmp = cli_checkpoint
    checkpoint = torch.load(ckpt, map_location="cpu", weights_only=True)
    name = next(k for k in checkpoint["state_dict"] if k.startswith("model.graph_encoder."))
    checkpoint["state_dict"][name] = torch.zeros(3)
    bad = tmp_path / "bad.ckpt"
    torch.save(checkpoint, bad)
    monkeypatch.chdir(tmp)
    assert run_lightning_cli("validate", [*args, f"--ckpt_path={bad}"]) == CheckpointError.exit_code
    assert f"{name} expected" in capsys.readouterr().err


# --------------------------------------------------------------------------- small parts


def test_warmup_schedule_shapes():
    cosine = WarmupSchedule("cosine", warmup=10, total=110, min_ratio=0.1)
    assert cosine(0) == pytest.approx(1 / 11) and cosine(10) == pytest.approx(1.0)
    assert cosine(60) == pytest.approx(0.55) and cosine(110) == pytest.approx(0.1)
    linear = WarmupSchedule("linear", warmup=0, total=100, min_ratio=0.0)
    assert linear(50) == pytest.approx(0.5)
    assert WarmupSchedule("constant", 0, 100, 0.0)(99) == 1.0


def test_epoch_sampler_depends_on_epoch_only_and_groups_lengths():
    lengths = [1, 50, 2, 49, 3, 48, 4, 47] * 4
    a, b = EpochShuffleSampler(32, 0, lengths, 4), EpochShuffleSampler(32, 0, lengths, 4)
    a.set_epoch(3)
    b.set_epoch(3)
    order = list(a)
    assert order == list(b) and sorted(order) == list(range(32))
    b.set_epoch(4)
    assert list(b) != order
    batches = [order[i:i + 4] for i in range(0, 32, 4)]
    assert all(max(lengths[i] for i in batch) - min(lengths[i] for i in batch) <= 3 for batch in batches)


def test_configs_validate_their_fields(records_file):
    with pytest.raises(ConfigError, match=r"optimizer.lr: expected a number > 0, found -1"):
        OptimizerConfig(lr=-1)
    with pytest.raises(ConfigError, match=r"scheduler.kind: expected 'constant', 'linear' or 'cosine'"):
        SchedulerConfig(kind="step")
    with pytest.raises(ConfigError, match=r"data.batch_size: expected an integer >= 1, found 0"):
        GraphCodeDataModule(path=str(records_file), batch_size=0)
    with pytest.raises(ConfigError, match=r"tokenizer.vocab_size: expected an integer >= 260"):
        TokenizerConfig(vocab_size=10)


def test_missing_test_split_is_a_config_error(records_file, tmp_path):
    from graphcode.data.dataset import SplitNames

    _, dm = make(records_file, tmp_path, TINY_T5, splits=SplitNames(test=None))
    with pytest.raises(ConfigError, match=r"data.splits.test: expected the name of the test split .* found null"):
        dm.setup("test")


def test_load_from_checkpoint_restores_typed_settings(cli_checkpoint):
    from graphcode.data.tokenizer import TokenizerConfig
    from graphcode.models.config import GNNConfig
    from graphcode.training.module import GraphCodeModule, OptimizerConfig

    ckpt, _args, tmp = cli_checkpoint
    # settings come back from a checkpoint (or a caller) as plain dicts
    module = GraphCodeModule.load_from_checkpoint(str(ckpt), map_location="cpu", weights_only=False,
                                                  tokenizer={"name_or_path": str(tmp / "export" / "tokenizer")})
    assert isinstance(module.tokenizer_config, TokenizerConfig)
    assert isinstance(module.optimizer_config, OptimizerConfig)
    assert isinstance(module.config.gnn, GNNConfig)


@pytest.mark.parametrize(("task", "check"), [("docstring-to-body", "completion"), ("completion", "completion"),
                                             ("summarize", "generate"), (None, "generate")])
def test_export_settings_say_what_generation_checks(tmp_path, task, check):
    from graphcode.data.mine import MineConfig
    from graphcode.training.datamodule import GraphCodeDataModule

    mine = MineConfig(task=task) if task else None
    dm = GraphCodeDataModule(path=str(tmp_path / "records.jsonl"), lang="python", mine=mine)
    assert dm.export_settings()["check"] == check
