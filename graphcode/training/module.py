"""The LightningModule that trains a :class:`graphcode.models.GraphCodeModel`.

Nothing is built in ``__init__``: the tokenizer comes from the datamodule (trained or loaded in its
``setup``) and the model is built in :meth:`GraphCodeModule.configure_model`, so ``--help`` and
``--print_config`` are instant and FSDP can shard the model as it is created. With a backbone config
dict (fresh weights) the backbone's ``vocab_size`` and special token ids come from the tokenizer.

The module holds no global state (DDP-safe). Checkpoints carry the hyper-parameters as plain values
and the random-number generator states, so ``--ckpt_path`` resumes exactly; a checkpoint whose weights
do not fit the model raises :class:`graphcode.errors.CheckpointError`. With ``export_dir`` set, ``fit``
ends by writing the best model (lowest validation loss) there with ``save_pretrained``, plus
``graphcode_data.json``, the data settings generation must reuse.
"""

from __future__ import annotations

import copy
import json
import math
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import lightning.pytorch as pl
import numpy as np
import torch
from lightning.pytorch.utilities import rank_zero_info, rank_zero_warn

from graphcode.data.tokenizer import TokenizerConfig, load_pretrained_tokenizer
from graphcode.errors import CheckpointError, ConfigError
from graphcode.models.batch import GraphCodeBatch
from graphcode.models.config import FusionConfig, GNNConfig, GraphCodeConfig

DATA_SETTINGS_NAME = "graphcode_data.json"
"""Written beside an export: the data settings (language, graph options, lengths) used in training."""


@dataclass
class OptimizerConfig:
    """AdamW settings. Weight decay applies to matrices only (not to biases, norms' scales)."""

    lr: float = 1e-3
    """Peak learning rate."""
    weight_decay: float = 0.01
    """Decoupled weight decay of 2-D and larger parameters."""
    betas: tuple[float, float] = (0.9, 0.999)
    """Adam's moment decay rates."""
    eps: float = 1e-8
    """Adam's epsilon."""

    def __post_init__(self) -> None:
        if not isinstance(self.lr, (int, float)) or not self.lr > 0:
            raise ConfigError(f"optimizer.lr: expected a number > 0, found {self.lr!r}")
        if not isinstance(self.weight_decay, (int, float)) or self.weight_decay < 0:
            raise ConfigError(f"optimizer.weight_decay: expected a number >= 0, found {self.weight_decay!r}")
        betas = tuple(self.betas)
        if len(betas) != 2 or not all(isinstance(b, (int, float)) and 0 <= b < 1 for b in betas):
            raise ConfigError(f"optimizer.betas: expected two numbers in [0, 1), found {self.betas!r}")
        self.betas = (float(betas[0]), float(betas[1]))
        if not isinstance(self.eps, (int, float)) or not self.eps > 0:
            raise ConfigError(f"optimizer.eps: expected a number > 0, found {self.eps!r}")


@dataclass
class SchedulerConfig:
    """Learning-rate schedule per optimizer step: linear warmup from 0, then constant, linear or cosine decay."""

    kind: Literal["constant", "linear", "cosine"] = "linear"
    """Shape after warmup: ``constant``, ``linear`` (to ``min_lr_ratio``) or ``cosine`` (to ``min_lr_ratio``)."""
    warmup_steps: int = 0
    """Steps of linear warmup; when 0, ``warmup_ratio`` of the total steps."""
    warmup_ratio: float = 0.0
    """Share of the total steps spent warming up, used when ``warmup_steps`` is 0."""
    min_lr_ratio: float = 0.0
    """Final learning rate as a share of the peak."""

    def __post_init__(self) -> None:
        if self.kind not in ("constant", "linear", "cosine"):
            raise ConfigError(f"scheduler.kind: expected 'constant', 'linear' or 'cosine', found {self.kind!r}")
        if isinstance(self.warmup_steps, bool) or not isinstance(self.warmup_steps, int) or self.warmup_steps < 0:
            raise ConfigError(f"scheduler.warmup_steps: expected an integer >= 0, found {self.warmup_steps!r}")
        for name in ("warmup_ratio", "min_lr_ratio"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise ConfigError(f"scheduler.{name}: expected a number in [0, 1], found {value!r}")


@dataclass
class GenerationSettings:
    """How ``predict`` generates."""

    max_new_tokens: int = 128
    """Most tokens generated per example."""
    num_beams: int = 1
    """Beam width; 1 is greedy decoding."""

    def __post_init__(self) -> None:
        for name in ("max_new_tokens", "num_beams"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"generation.{name}: expected an integer >= 1, found {value!r}")


class WarmupSchedule:
    """The multiplier of the peak learning rate at each step (a picklable ``LambdaLR`` function)."""

    def __init__(self, kind: str, warmup: int, total: int, min_ratio: float) -> None:
        self.kind, self.warmup, self.total, self.min_ratio = kind, warmup, total, min_ratio

    def __call__(self, step: int) -> float:
        if step < self.warmup:
            return (step + 1) / (self.warmup + 1)
        if self.kind == "constant":
            return 1.0
        progress = min(1.0, (step - self.warmup) / max(1, self.total - self.warmup))
        if self.kind == "linear":
            return 1.0 - (1.0 - self.min_ratio) * progress
        return self.min_ratio + (1.0 - self.min_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))


def _plain(value: Any) -> Any:
    """Dataclasses to dicts and tuples to lists: what a weights-only checkpoint can hold."""
    if hasattr(value, "__dataclass_fields__"):
        value = asdict(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _typed(value: Any, cls: type) -> Any:
    """A dict saved by :func:`_plain` (a checkpoint's hyper-parameters) back to its dataclass."""
    if isinstance(value, dict):
        try:
            return cls(**value)
        except TypeError as err:
            raise ConfigError(f"{cls.__name__}: expected its fields, found {sorted(value)}: {err}") from None
    return value


class GraphCodeModule(pl.LightningModule):
    """Trains a GraphCodeModel: a Hugging Face backbone, optionally with a code graph.

    Args:
        backbone: A Hugging Face model name or local path (pretrained weights), or a backbone config dict with
            ``model_type`` (fresh weights; ``vocab_size`` and special token ids come from the tokenizer).
        graph: Use the code graph; ``false`` trains exactly the backbone.
        gnn: The graph encoder (``num_node_types`` comes from ``data.lang``).
        fusion: How node states enter the backbone.
        optimizer: AdamW settings.
        scheduler: Learning-rate warmup and decay.
        generation: How ``predict`` generates.
        export_dir: When set, ``fit`` ends by writing the best model here (``save_pretrained`` format).
        tokenizer: The data's tokenizer settings (linked from ``data.tokenizer``); used when no datamodule
            provides a tokenizer.
    """

    def __init__(
        self,
        backbone: str | dict[str, Any],
        graph: bool = True,
        gnn: GNNConfig = GNNConfig(),  # noqa: B008 - a dataclass default is read, never mutated
        fusion: FusionConfig = FusionConfig(),  # noqa: B008
        optimizer: OptimizerConfig = OptimizerConfig(),  # noqa: B008
        scheduler: SchedulerConfig = SchedulerConfig(),  # noqa: B008
        generation: GenerationSettings = GenerationSettings(),  # noqa: B008
        export_dir: str | None = None,
        tokenizer: TokenizerConfig | None = None,
    ) -> None:
        super().__init__()
        # load_from_checkpoint passes the saved hyper-parameters back as plain dicts
        gnn, fusion = _typed(gnn, GNNConfig), _typed(fusion, FusionConfig)
        optimizer, scheduler = _typed(optimizer, OptimizerConfig), _typed(scheduler, SchedulerConfig)
        generation, tokenizer = _typed(generation, GenerationSettings), _typed(tokenizer, TokenizerConfig)
        self.config = GraphCodeConfig(backbone=copy.deepcopy(backbone), graph=graph, gnn=copy.deepcopy(gnn),
                                      fusion=copy.deepcopy(fusion))
        self.optimizer_config = optimizer
        self.scheduler_config = scheduler
        self.generation = generation
        self.export_dir = export_dir
        self.tokenizer_config = tokenizer
        self.save_hyperparameters({
            "backbone": _plain(backbone), "graph": graph, "gnn": _plain(gnn), "fusion": _plain(fusion),
            "optimizer": _plain(optimizer), "scheduler": _plain(scheduler), "generation": _plain(generation),
            "export_dir": export_dir, "tokenizer": _plain(tokenizer),
        })
        self.model: Any = None  # a GraphCodeModel, built in configure_model
        self._pending_rng: dict[str, Any] | None = None

    # ------------------------------------------------------------------ building

    def _tokenizer(self) -> Any:
        datamodule = getattr(self._trainer, "datamodule", None) if self._trainer is not None else None
        tokenizer = getattr(datamodule, "tokenizer", None)
        if tokenizer is not None:
            return tokenizer
        if self.tokenizer_config is not None and self.tokenizer_config.name_or_path:
            return load_pretrained_tokenizer(self.tokenizer_config.name_or_path)
        raise ConfigError(
            "model.tokenizer: expected a datamodule that provides a tokenizer, or tokenizer.name_or_path, "
            "found neither"
        )

    def _model_config(self, tokenizer: Any) -> GraphCodeConfig:
        backbone = self.config.backbone
        if isinstance(backbone, dict):
            backbone = dict(backbone)
            backbone["vocab_size"] = max(int(backbone.get("vocab_size", 0)), len(tokenizer))
            for key in ("pad_token_id", "eos_token_id", "bos_token_id"):
                value = getattr(tokenizer, key, None)
                if value is not None:
                    backbone[key] = value
            if "decoder_start_token_id" not in backbone and tokenizer.pad_token_id is not None:
                backbone["decoder_start_token_id"] = tokenizer.pad_token_id
        return GraphCodeConfig(backbone=backbone, graph=self.config.graph, gnn=self.config.gnn,
                               fusion=self.config.fusion)

    def configure_model(self) -> None:
        """Build the GraphCodeModel (once): the tokenizer decides the backbone's vocabulary."""
        if self.model is not None:
            return
        from graphcode.models.model import GraphCodeModel

        tokenizer = copy.deepcopy(self._tokenizer())
        model = GraphCodeModel(self._model_config(tokenizer), tokenizer=tokenizer)
        embeddings = model.backbone.get_input_embeddings().num_embeddings
        if len(tokenizer) > embeddings:
            model.backbone.resize_token_embeddings(len(tokenizer))
        if model.backbone.config.pad_token_id is None and tokenizer.pad_token_id is not None:
            model.backbone.config.pad_token_id = tokenizer.pad_token_id
        if not model.is_encoder_decoder:
            tokenizer.padding_side = "left"  # what generation with the exported tokenizer needs
        self.model = model.train()  # from_pretrained gives eval mode; Lightning switches modes itself

    # ------------------------------------------------------------------ steps

    def forward(self, batch: GraphCodeBatch) -> Any:
        return self.model(batch)

    @staticmethod
    def _label_tokens(batch: GraphCodeBatch) -> int:
        return max(1, int((batch.labels != -100).sum())) if batch.labels is not None else batch.batch_size

    def training_step(self, batch: GraphCodeBatch, batch_idx: int) -> torch.Tensor:
        loss = self.model(batch).loss
        self.log("train_loss", loss, prog_bar=True, batch_size=batch.batch_size)
        return loss

    def _eval_step(self, batch: GraphCodeBatch, name: str) -> torch.Tensor:
        loss = self.model(batch).loss
        # Weighted by target tokens: the epoch value is the mean loss per target token.
        self.log(name, loss, prog_bar=True, sync_dist=True, batch_size=self._label_tokens(batch))
        return loss

    def validation_step(self, batch: GraphCodeBatch, batch_idx: int) -> torch.Tensor:
        return self._eval_step(batch, "val_loss")

    def test_step(self, batch: GraphCodeBatch, batch_idx: int) -> torch.Tensor:
        return self._eval_step(batch, "test_loss")

    def predict_step(self, batch: Any, batch_idx: int) -> list[dict[str, str]]:
        """Generate for a :class:`graphcode.training.datamodule.PredictBatch`; returns ``{id, prediction}``."""
        inputs = batch.batch
        tokens = self.model.generate(inputs, max_new_tokens=self.generation.max_new_tokens,
                                     num_beams=self.generation.num_beams)
        texts = self.model.tokenizer.batch_decode(tokens, skip_special_tokens=True)
        return [{"id": i, "prediction": t} for i, t in zip(batch.ids, texts, strict=True)]

    # ------------------------------------------------------------------ optimisation

    def configure_optimizers(self) -> Any:
        decay, no_decay = [], []
        for param in self.parameters():
            if param.requires_grad:
                (decay if param.ndim >= 2 else no_decay).append(param)
        opt = self.optimizer_config
        optimizer = torch.optim.AdamW(
            [{"params": decay, "weight_decay": opt.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
            lr=opt.lr, betas=opt.betas, eps=opt.eps,
        )
        sched = self.scheduler_config
        total = self.trainer.estimated_stepping_batches
        if sched.kind != "constant" and not math.isfinite(total):
            raise ConfigError(
                f"scheduler.kind: {sched.kind!r} decays over the total steps, found none "
                "(set trainer.max_steps or trainer.max_epochs, or use kind 'constant')"
            )
        total = int(total) if math.isfinite(total) else 0
        warmup = sched.warmup_steps or int(sched.warmup_ratio * total)
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimizer, WarmupSchedule(sched.kind, warmup, total, sched.min_lr_ratio)
        )
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}

    # ------------------------------------------------------------------ checkpoints

    def _sharded(self) -> bool:
        return self._trainer is not None and "FSDP" in type(self.trainer.strategy).__name__

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        state = np.random.get_state()
        checkpoint["graphcode_rng"] = {
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            "python": _plain(random.getstate()),
            "numpy": [state[0], state[1].tolist(), int(state[2]), int(state[3]), float(state[4])],
        }

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        state = checkpoint.get("state_dict")
        if not isinstance(state, dict):
            raise CheckpointError(f"checkpoint: expected a 'state_dict' mapping, found {type(state).__name__}")
        if not self._sharded():
            from graphcode.models.checkpoint import check_state_dict

            where = getattr(self._trainer, "ckpt_path", None) if self._trainer is not None else None
            check_state_dict(Path(str(where or "checkpoint")), self.state_dict(), state)
        # Restored at the first training batch, not now: the sanity check and anything else that runs before
        # training resumes may draw from these generators, and the uninterrupted run did not. (The datamodule's
        # loaders draw from generators of their own.)
        self._pending_rng = checkpoint.get("graphcode_rng")

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:
        rng, self._pending_rng = self._pending_rng, None
        if not rng:
            return
        torch.set_rng_state(rng["torch"])
        if rng["cuda"] and torch.cuda.is_available() and len(rng["cuda"]) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(rng["cuda"])
        version, internal, gauss = rng["python"]
        random.setstate((version, tuple(internal), gauss))
        name, keys, pos, has_gauss, cached = rng["numpy"]
        np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))

    # ------------------------------------------------------------------ export

    def on_fit_end(self) -> None:
        """Write the best model to ``export_dir`` (skipped in ``fast_dev_run`` and under FSDP)."""
        if not self.export_dir or self.trainer.fast_dev_run:
            return
        if self._sharded():
            rank_zero_warn("model.export_dir: not exported under FSDP; export from a checkpoint instead")
            return
        callback = self.trainer.checkpoint_callback
        best = getattr(callback, "best_model_path", "") if callback is not None else ""
        if best and Path(best).is_file():
            state = torch.load(best, map_location="cpu", weights_only=True)["state_dict"]
            self.load_state_dict(state)
            rank_zero_info(f"export: best checkpoint {best} (val_loss {float(callback.best_model_score):.4f})")
        if self.trainer.is_global_zero:
            datamodule = getattr(self.trainer, "datamodule", None)
            settings = datamodule.export_settings() if hasattr(datamodule, "export_settings") else None
            export_model(self.model, self.export_dir, settings)
            rank_zero_info(f"export: wrote {self.export_dir}")
        self.trainer.strategy.barrier("graphcode-export")


def export_model(model: Any, export_dir: str | Path, data_settings: dict[str, Any] | None = None) -> None:
    """``model.save_pretrained(export_dir)`` plus the data settings, atomically as one directory."""
    from graphcode.models.checkpoint import atomic_directory

    with atomic_directory(export_dir) as tmp:
        model.save_pretrained(tmp)
        if data_settings is not None:
            (tmp / DATA_SETTINGS_NAME).write_text(json.dumps(data_settings, indent=2) + "\n", encoding="utf-8")
