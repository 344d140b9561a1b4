"""The LightningModule and DataModule: exact resume, export round trip, predict, checkpoint errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import pytest
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from torch.testing import assert_close

from graphcode.check import check_syntax
from graphcode.data.tokenizer import TokenizerConfig
from graphcode.errors import CheckpointError, ConfigError
from graphcode.models import GraphCodeModel
from graphcode.models.config import GNNConfig
from graphcode.training.cli import run_lightning_cli, validate_checkpoint
from graphcode.training.datamodule import EpochShuffleSampler, GraphCodeDataModule
from graphcode.training.module import (
    DATA_SETTINGS_NAME,
    GenerationSettings,
    GraphCodeModule,
    OptimizerConfig,
    SchedulerConfig,
    TaskMetricsConfig,
    WarmupSchedule,
)
from tests.training.conftest import REPO, TINY_GNN, TINY_GPT2, TINY_T5, fast_overrides


def make(records: Path, tmp: Path, backbone: dict, graph: bool = True, export: bool = False,
         gradient_checkpointing: bool = False, attention_dropout: float | None = None, **data):
    datamodule = GraphCodeDataModule(
        path=str(records), tokenizer=TokenizerConfig(vocab_size=400), cache_dir=str(tmp / "cache"),
        max_source_length=48, max_target_length=data.pop("max_target_length", 32), batch_size=data.pop("batch_size", 4),
        max_examples=data.pop("max_examples", 8), max_eval_examples=4, backbone=backbone, graph=graph, **data,
    )
    module = GraphCodeModule(
        backbone=backbone, graph=graph, gnn=GNNConfig(**TINY_GNN, num_node_types=300),
        optimizer=OptimizerConfig(lr=3e-3), scheduler=SchedulerConfig(kind="cosine", warmup_steps=1),
        export_dir=str(tmp / "export") if export else None, gradient_checkpointing=gradient_checkpointing,
        attention_dropout=attention_dropout,
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


class StopAtStep(pl.Callback):
    """Stops a run after ``step`` optimizer steps, mid-epoch, as an interruption would (the schedule still plans
    for all of them)."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if trainer.global_step >= self.step:
            trainer.should_stop = True


class Record(pl.Callback):
    """The loss and learning rate of every training step."""

    def __init__(self) -> None:
        self.steps: list[tuple[int, float, float]] = []

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        lr = trainer.optimizers[0].param_groups[0]["lr"]
        self.steps.append((trainer.global_step, float(outputs["loss"]), lr))


@pytest.mark.parametrize("stop", [3, 6], ids=["epoch0", "epoch1"])
def test_resume_mid_epoch_is_exact(records_file, tmp_path, stop):
    """2N straight steps against N steps plus a resume to 2N: the same losses, learning rates and weights, bit
    for bit. An epoch is 4 batches, so both stops are mid-epoch."""
    total = 8

    def run(folder: Path, *callbacks: pl.Callback, ckpt: Path | None = None) -> tuple[GraphCodeModule, Record]:
        pl.seed_everything(0 if ckpt is None else 123)  # a resumed run restores the generators itself
        module, dm = make(records_file, folder, TINY_T5, batch_size=3, max_examples=12)
        record = Record()
        t = pl.Trainer(default_root_dir=folder, logger=False, enable_progress_bar=False, enable_model_summary=False,
                       precision="bf16-mixed", gradient_clip_val=1.0, max_steps=total, val_check_interval=2,
                       check_val_every_n_epoch=None, num_sanity_val_steps=0 if ckpt is None else 1,
                       callbacks=[ModelCheckpoint(dirpath=folder / "ckpt", every_n_train_steps=stop, save_last=True),
                                  record, *callbacks])
        t.fit(module, dm, ckpt_path=None if ckpt is None else str(ckpt))
        return module, record

    straight, expected = run(tmp_path / "a")
    first, before = run(tmp_path / "b", StopAtStep(stop))
    assert [s for s, _, _ in before.steps] == list(range(1, stop + 1))
    resumed, after = run(tmp_path / "b", ckpt=tmp_path / "b" / "ckpt" / "last.ckpt")
    assert [s for s, _, _ in expected.steps] == list(range(1, total + 1))
    assert before.steps + after.steps == expected.steps  # losses and learning rates, exactly
    found, wanted = _weights(resumed), _weights(straight)
    assert found.keys() == wanted.keys()
    for name in wanted:
        assert torch.equal(found[name], wanted[name]), name
    assert any(not torch.equal(_weights(first)[n], found[n]) for n in found), "the resumed run trained"


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


@pytest.mark.parametrize("on", [True, False])
def test_gradient_checkpointing_is_a_training_setting_that_reaches_the_backbone(records_file, tmp_path, on):
    module, dm = make(records_file, tmp_path, TINY_T5, gradient_checkpointing=on)
    trainer(tmp_path, max_steps=2).fit(module, dm)
    assert module.model.backbone.is_gradient_checkpointing is on and module.hparams["gradient_checkpointing"] is on


@pytest.mark.parametrize("rate", [0.0, None])
def test_attention_dropout_is_a_training_setting_that_reaches_the_backbone(records_file, tmp_path, rate):
    module, dm = make(records_file, tmp_path, TINY_T5, attention_dropout=rate)
    trainer(tmp_path, max_steps=2).fit(module, dm)
    attention = [m for m in module.model.backbone.modules() if type(m).__name__ == "T5Attention"]
    assert attention and {m.dropout for m in attention} == {0.1 if rate is None else rate}
    assert module.hparams["attention_dropout"] == rate
    with pytest.raises(ConfigError, match=r"model.attention_dropout: expected a number in \[0, 1\), found -0.5"):
        GraphCodeModule(backbone=TINY_T5, attention_dropout=-0.5)


@pytest.mark.parametrize("fast", [True, False])
def test_fast_cpu_dropout_is_a_training_setting_that_reaches_the_model(records_file, tmp_path, fast):
    from graphcode.models.dropout import ATTENTION_NAME, CPUDropout

    module, dm = make(records_file, tmp_path, TINY_T5)
    module = GraphCodeModule(**{**module.hparams, "fast_cpu_dropout": fast})
    trainer(tmp_path, max_steps=2).fit(module, dm)
    dropouts = [m for m in module.model.modules() if isinstance(m, torch.nn.Dropout)]
    assert dropouts and all(isinstance(m, CPUDropout) == fast for m in dropouts)
    assert (module.model.backbone.config._attn_implementation == ATTENTION_NAME) == fast
    assert module.hparams["fast_cpu_dropout"] is fast
    with pytest.raises(ConfigError, match=r"model\.fast_cpu_dropout: expected true or false, found 'yes'"):
        GraphCodeModule(backbone=TINY_T5, fast_cpu_dropout="yes")


@pytest.mark.parametrize("eps", [0.0, 0.1])
def test_label_smoothing_is_a_training_setting_that_reaches_the_model(records_file, tmp_path, eps):
    module, dm = make(records_file, tmp_path, TINY_T5)
    module = GraphCodeModule(**{**module.hparams, "label_smoothing": eps})
    trainer(tmp_path, max_steps=2).fit(module, dm)
    assert module.model.label_smoothing == eps and module.hparams["label_smoothing"] == eps
    with pytest.raises(ConfigError, match=r"model\.label_smoothing: expected a number in \[0, 1\), found 1"):
        GraphCodeModule(backbone=TINY_T5, label_smoothing=1)


def trainer_best(tmp: Path) -> Path:
    return next(p for p in (tmp / "ckpt").glob("*.ckpt") if p.name != "last.ckpt")


@pytest.mark.parametrize("backbone", [TINY_T5, TINY_GPT2], ids=["t5", "gpt2"])
def test_predict_generates_for_every_example(records_file, tmp_path, backbone):
    module, dm = make(records_file, tmp_path, backbone, max_examples=4, task="docstring-to-body")
    out = trainer(tmp_path, max_steps=1).predict(module, dm)
    rows = [row for batch in out for row in batch]
    test_ids = [json.loads(line)["id"] for line in records_file.read_text(encoding="utf-8").splitlines()
                if json.loads(line)["split"] == "test"]
    assert len(test_ids) > 4 and sorted(r["id"] for r in rows) == sorted(test_ids), "every example, not a subset"
    assert all(isinstance(r["prediction"], str) for r in rows)
    assert {r["status"] for r in rows} <= {"valid", "repaired", "no_valid_candidate"}
    for r in rows:  # the status is the checker's verdict on the source followed by the prediction
        source = dm.references("predict")[r["id"]].source
        valid = bool(r["prediction"].strip()) and check_syntax(source + r["prediction"], "python").valid
        assert (r["status"] == "valid") == valid
        assert (r["output"] is None) == (r["status"] == "no_valid_candidate")
    dm.max_predict_examples = 3
    dm.records.pop("predict"), dm.datasets.pop("predict")
    out = trainer(tmp_path, max_steps=1).predict(module, dm)
    assert sum(len(batch) for batch in out) == 3


def test_predict_holds_each_example_to_its_source_length_cap(records_file, tmp_path):
    module, dm = make(records_file, tmp_path, TINY_T5, max_examples=4, task="docstring-to-body")
    module.generation = GenerationSettings(max_new_tokens=24)
    trainer(tmp_path, max_steps=1).predict(module, dm)  # builds the model
    # an untrained model that never ends on its own and writes no special token (the cap still ends it)
    module.model.backbone.generation_config.suppress_tokens = list(module.model.tokenizer.all_special_ids)
    free = {r["id"]: r["prediction"] for batch in trainer(tmp_path, max_steps=1).predict(module, dm) for r in batch}
    module.generation = GenerationSettings(max_new_tokens=24, max_len_a=0.1, max_len_b=1)
    capped = {r["id"]: r["prediction"] for batch in trainer(tmp_path, max_steps=1).predict(module, dm) for r in batch}
    assert capped.keys() == free.keys()
    assert all(free[key].startswith(text) for key, text in capped.items()), "a cut, not another output"
    assert all(free.values()), "with end-of-sequence suppressed, every output runs to max_new_tokens"
    assert all(len(capped[key]) < len(free[key]) for key in free), "and past its cap"


def test_predict_and_test_decode_with_the_repetition_controls(records_file, tmp_path):
    """``generation`` and ``task_metrics`` hand ``no_repeat_ngram_size``, ``repetition_penalty`` and beam search's
    ``length_penalty`` to ``generate``."""
    module, dm = make(records_file, tmp_path, TINY_T5, max_examples=4, task="docstring-to-body")
    module.generation = GenerationSettings(max_new_tokens=8, no_repeat_ngram_size=3, repetition_penalty=1.3)
    trainer(tmp_path, max_steps=1).predict(module, dm)  # builds the model
    seen: list[dict] = []
    generate = module.model.generate

    def spy(batch, **kwargs):
        seen.append(kwargs)
        return generate(batch, **kwargs)

    module.model.generate = spy
    trainer(tmp_path, max_steps=1).predict(module, dm)
    assert seen and all(k["no_repeat_ngram_size"] == 3 and k["repetition_penalty"] == 1.3 for k in seen)
    seen.clear()
    module.task_metrics = TaskMetricsConfig(max_new_tokens=8, no_repeat_ngram_size=5, codebleu=False, num_beams=2,
                                            length_penalty=1.7)
    trainer(tmp_path, max_steps=1).test(module, dm)
    assert seen and all(k["no_repeat_ngram_size"] == 5 and "repetition_penalty" not in k for k in seen)
    assert all(k["num_beams"] == 2 and k["length_penalty"] == 1.7 for k in seen)


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
    run = tmp / "root" / "version_0"
    ckpt = run / "checkpoints" / "last.ckpt"
    assert ckpt.is_file() and (run / "export" / "graphcode_config.json").is_file()
    return ckpt, args, tmp


def test_validate_accepts_its_own_checkpoint_and_reports_task_metrics(cli_checkpoint, monkeypatch, capsys):
    ckpt, args, tmp = cli_checkpoint
    monkeypatch.chdir(tmp)
    before = {p.name for p in (tmp / "root").iterdir()}
    assert run_lightning_cli("validate", [*args, f"--ckpt_path={ckpt}", "--model.task_metrics.max_new_tokens=4"]) == 0
    assert "validation task metrics" in capsys.readouterr().out
    (run,) = [p for p in (tmp / "root").iterdir() if p.name not in before]
    summary = json.loads((run / "validation" / "summary.json").read_text(encoding="utf-8"))
    assert summary["examples"] == 6 and summary["syntax_valid"] is not None  # data.max_eval_examples=6


def test_predict_command_writes_predictions(cli_checkpoint, monkeypatch):
    ckpt, args, tmp = cli_checkpoint
    monkeypatch.chdir(tmp)
    before = {p.name for p in (tmp / "root").iterdir()}
    assert run_lightning_cli("predict", [*args, f"--ckpt_path={ckpt}", "--model.generation.max_new_tokens=6"]) == 0
    (run,) = [p for p in (tmp / "root").iterdir() if p.name not in before]  # a run folder of its own
    rows = [json.loads(line) for line in (run / "predictions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert all(set(row) == {"id", "prediction", "status", "output"} for row in rows)
    records = Path(next(a.split("=", 1)[1] for a in args if a.startswith("--data.path=")))
    test = [row for row in map(json.loads, records.read_text(encoding="utf-8").splitlines()) if row["split"] == "test"]
    assert sorted(row["id"] for row in rows) == sorted(row["id"] for row in test), "all of the test split"


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


@pytest.mark.parametrize("n", [32, 29], ids=["even", "padded"])
def test_epoch_sampler_shares_each_global_batch_among_processes(n):
    """Two processes with batch size 2 see, batch by batch, the examples one process with batch size 4 sees."""
    lengths = [(i * 37) % 50 for i in range(n)]
    single = list(EpochShuffleSampler(n, 0, lengths, 4))
    ranks = [EpochShuffleSampler(n, 0, lengths, 2, num_replicas=2, rank=r) for r in (0, 1)]
    parts = [list(sampler) for sampler in ranks]
    assert len(parts[0]) == len(parts[1]) == len(ranks[0]) == -(-n // 2), "as many batches on every process"
    padded = single + single[: 2 * len(parts[0]) - n]
    for start in range(0, len(padded), 4):
        merged = parts[0][start // 2:start // 2 + 2] + parts[1][start // 2:start // 2 + 2]
        assert sorted(merged) == sorted(padded[start:start + 4])
    assert isinstance(ranks[0], torch.utils.data.DistributedSampler), "Lightning keeps it under DDP"


def test_resumable_loader_skips_the_trained_batches_of_its_epoch(records_file, tmp_path):
    _, dm = make(records_file, tmp_path, TINY_T5, batch_size=3, max_examples=12)
    dm.setup("fit")
    loader = dm.train_dataloader()
    state = {**loader.state_dict(), "epoch": 1, "batches": 3}
    full = [batch.input_ids for batch in loader]  # epoch 0, 4 batches
    loader.load_state_dict(state)
    loader.sampler.set_epoch(1)
    resumed = list(loader)
    loader.sampler.set_epoch(1)
    assert len(resumed) == 1 and torch.equal(resumed[0].input_ids, list(loader)[3].input_ids)
    assert len(full) == 4
    with pytest.raises(ConfigError, match="the checkpoint's training loader had batch_size 4, this run has 3"):
        loader.load_state_dict({**state, "batch_size": 4})


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
                                                  tokenizer={"name_or_path": str(tmp / "root" / "version_0" / "export" / "tokenizer")})
    assert isinstance(module.tokenizer_config, TokenizerConfig)
    assert isinstance(module.optimizer_config, OptimizerConfig)
    assert isinstance(module.config.gnn, GNNConfig)


@pytest.mark.parametrize(("task", "check"), [("docstring-to-body", "completion"), ("completion", "completion"),
                                             ("summarize", "generate"), (None, "generate")])
def test_export_settings_say_what_generation_checks(tmp_path, task, check):
    from graphcode.data.mine import MineConfig
    from graphcode.training.datamodule import GraphCodeDataModule

    mined = GraphCodeDataModule(path=None, lang="python", mine=MineConfig(task=task or "docstring-to-body"))
    given = GraphCodeDataModule(path=str(tmp_path / "records.jsonl"), lang="python", task=task)
    assert given.export_settings()["check"] == check
    if task:  # mined records: the mining task says
        assert mined.export_settings()["check"] == check
    # a records file with mining settings: the file is used as it is, and only data.task says what it holds
    assert GraphCodeDataModule(path=str(tmp_path / "records.jsonl"), mine=MineConfig(task="completion"),
                               task=task).export_settings()["check"] == check


def test_graph_settings_are_not_compared_when_both_have_the_graph_off():
    from graphcode.training.cli import check_hyperparameters

    config = {"backbone": TINY_T5, "graph": False, "gnn": {"conv": "rgcn"}, "fusion": {"memory_nodes": "dataflow"}}
    checkpoint = {"hyper_parameters": {**config, "fusion": {"memory_nodes": "all"}, "gnn": {"conv": "gcn"}}}
    check_hyperparameters("x.ckpt", checkpoint, config)  # the graph's settings build no weight here
    with pytest.raises(CheckpointError, match=r"model.gnn: expected \{'conv': 'rgcn'\} \(the config\)"):
        check_hyperparameters("x.ckpt", {"hyper_parameters": {**checkpoint["hyper_parameters"], "graph": True}},
                              {**config, "graph": True})


def test_a_checkpoint_from_before_a_setting_existed_compares_with_its_default():
    from graphcode.training.cli import check_hyperparameters

    config = {"backbone": TINY_T5, "graph": True, "fusion": {"mode": "add+memory", "memory_nodes": "all"}}
    older = {"hyper_parameters": {**config, "fusion": {"mode": "add+memory"}}}  # written before memory_nodes
    check_hyperparameters("old.ckpt", older, config)
    with pytest.raises(CheckpointError, match=r"model.fusion: expected .*'memory_nodes': 'dataflow'.* \(the config\), "
                                              r"found .*'memory_nodes': 'all'.* \(the checkpoint\)"):
        check_hyperparameters("old.ckpt", older, {**config, "fusion": {"mode": "add+memory", "memory_nodes": "dataflow"}})


class _Watch(pl.Callback):
    """Records the starting weights, the backward passes and the logged training loss of each batch."""

    def __init__(self) -> None:
        self.seen: dict[str, Any] = {"losses": [], "parts": 0}

    def on_train_start(self, trainer, pl_module):
        self.seen["start"] = {n: p.detach().clone() for n, p in pl_module.model.named_parameters()}

    def on_before_backward(self, trainer, pl_module, loss):
        self.seen["parts"] += 1

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        self.seen["losses"].append(float(trainer.callback_metrics["train_loss"]))


@pytest.mark.parametrize("accumulate", [1, 2])
def test_micro_batches_give_the_whole_batch_step(records_file, tmp_path, accumulate):
    """A batch split by model.micro_batch_tokens (one example a micro-batch here) ends its optimizer steps with the
    same weights and logs the same losses as the whole batch; with gradient accumulation too."""
    backbone = {**TINY_T5, "dropout_rate": 0.0}  # no random draws: the two runs must agree
    results = []
    for budget in (None, 1):
        _, dm = make(records_file, tmp_path / str(budget), backbone, batch_size=4)
        module = GraphCodeModule(backbone=backbone, gnn=GNNConfig(**{**TINY_GNN, "dropout": 0.0}, num_node_types=300),
                                 optimizer=OptimizerConfig(lr=3e-3), micro_batch_tokens=budget)
        watch = _Watch()
        torch.manual_seed(0)
        pl.Trainer(default_root_dir=tmp_path, logger=False, enable_progress_bar=False, enable_model_summary=False,
                   enable_checkpointing=False, max_steps=2, accumulate_grad_batches=accumulate,
                   callbacks=[watch]).fit(module, dm)
        results.append((watch.seen, {n: p.detach().clone() for n, p in module.model.named_parameters()}))
    (whole_seen, whole), (micro_seen, micro) = results
    assert len(whole_seen["losses"]) == 2 * accumulate and whole_seen["parts"] == 2 * accumulate
    assert micro_seen["parts"] == 4 * 2 * accumulate  # a backward for each example of each batch
    assert_close(micro_seen["losses"], whole_seen["losses"], rtol=1e-5, atol=1e-6)
    assert whole.keys() == micro.keys() == whole_seen["start"].keys()
    assert_close(micro_seen["start"], whole_seen["start"], rtol=0, atol=0)
    assert sum(not torch.equal(value, whole_seen["start"][name]) for name, value in whole.items()) > 10
    for name, value in whole.items():
        assert_close(micro[name], value, rtol=1e-4, atol=1e-6, msg=name)


def test_micro_batch_tokens_must_be_a_positive_integer():
    with pytest.raises(ConfigError, match=r"model.micro_batch_tokens: expected an integer >= 1 or null, found 0"):
        GraphCodeModule(backbone=TINY_T5, micro_batch_tokens=0)


@pytest.mark.parametrize("backbone", [TINY_T5, TINY_GPT2], ids=["t5", "gpt2"])
def test_val_loss_is_the_mean_over_target_tokens(records_file, tmp_path, backbone):
    """The logged val_loss averages every scored target token of the split, not the batches' means: batches of 3
    and 1 examples weigh by their tokens (a decoder-only backbone never scores a row's first label)."""
    module, dm = make(records_file, tmp_path, backbone, batch_size=3, max_target_length=512)  # whole targets
    (logged,) = pl.Trainer(default_root_dir=tmp_path, logger=False, enable_progress_bar=False,
                           enable_model_summary=False, enable_checkpointing=False).validate(module, dm, verbose=False)
    module.eval()
    batches = []  # (mean loss, scored tokens, examples)
    with torch.no_grad():
        for batch in dm.val_dataloader():
            labels = batch.labels if module.model.is_encoder_decoder else batch.labels[:, 1:]
            batches.append((float(module.model(batch, logits=False).loss), int((labels != -100).sum()),
                            batch.batch_size))
    assert sorted(size for _, _, size in batches) == [1, 3]
    by_tokens = sum(loss * count for loss, count, _ in batches) / sum(count for _, count, _ in batches)
    by_examples = sum(loss * size for loss, _, size in batches) / sum(size for _, _, size in batches)
    assert by_examples != pytest.approx(by_tokens, rel=1e-4)  # the two weighings differ on these batches
    assert logged["val_loss"] == pytest.approx(by_tokens, rel=1e-5)


def test_copy_coverage_is_a_model_setting_that_trains_and_is_exported(records_file, tmp_path):
    from graphcode.models import GraphCodeModel

    module, dm = make(records_file, tmp_path, TINY_T5)
    module = GraphCodeModule(**{**module.hparams, "copy": True, "copy_coverage": 0.5,
                                "export_dir": str(tmp_path / "export")})
    trainer(tmp_path, max_steps=2).fit(module, dm)
    assert module.model.config.copy_coverage == 0.5 and module.hparams["copy_coverage"] == 0.5
    weight = module.model.copy_head.coverage_weight
    assert weight is not None and weight.item() != 0.0, "the coverage weight is trained"
    loaded = GraphCodeModel.from_pretrained(tmp_path / "export")
    assert loaded.config.copy_coverage == 0.5
    assert loaded.copy_head.coverage_weight.item() == weight.item()
    with pytest.raises(ConfigError, match=r"config\.copy_coverage: expected 0 without the copy head"):
        GraphCodeModule(backbone=TINY_T5, copy_coverage=1.0)


def test_copy_continuation_is_a_model_setting_that_trains_and_is_exported(records_file, tmp_path):
    from graphcode.models import GraphCodeModel

    module, dm = make(records_file, tmp_path, TINY_T5)
    module = GraphCodeModule(**{**module.hparams, "copy": True, "copy_continuation": True,
                                "copy_continuation_ignore_case": True, "export_dir": str(tmp_path / "export")})
    trainer(tmp_path, max_steps=2).fit(module, dm)
    assert module.model.config.copy_continuation and module.hparams["copy_continuation_ignore_case"]
    weight = module.model.copy_head.continuation_weight
    assert weight is not None and not torch.equal(weight.detach(), torch.ones(2)), "the continuation weights train"
    keys = module.model.copy_head.token_keys  # from the tokenizer trained on the data
    assert keys is not None and keys.unique().numel() < keys.numel(), "some tokens differ only in case or spacing"
    loaded = GraphCodeModel.from_pretrained(tmp_path / "export")
    assert loaded.config.copy_continuation and loaded.config.copy_continuation_ignore_case
    assert torch.equal(loaded.copy_head.continuation_weight, weight.detach())
    assert torch.equal(loaded.copy_head.token_keys, keys)
    with pytest.raises(ConfigError, match=r"config\.copy_continuation: expected false without the copy head"):
        GraphCodeModule(backbone=TINY_T5, copy_continuation=True)
