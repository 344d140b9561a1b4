"""The LightningModule that trains a :class:`graphcode.models.GraphCodeModel`.

Nothing is built in ``__init__``: the tokenizer comes from the datamodule (trained or loaded in its
``setup``) and the model is built in :meth:`GraphCodeModule.configure_model`, so ``--help`` and
``--print_config`` are instant and FSDP can shard the model as it is created. With a backbone config
dict (fresh weights) the backbone's ``vocab_size`` and special token ids come from the tokenizer.

The module holds no global state (DDP-safe). Checkpoints carry the hyper-parameters as plain values
and the random-number generator states, so ``--ckpt_path`` resumes exactly; a checkpoint whose weights
do not fit the model raises :class:`graphcode.errors.CheckpointError`. With ``export_dir`` set, ``fit``
ends by writing the best model (by the checkpoint callback's monitor; the last weights when there is no
monitored checkpoint, and it says so) there with ``save_pretrained``, plus ``graphcode_data.json``, the
data settings generation must reuse.

**Task metrics.** Validation and test decode examples of their split (:class:`TaskMetricsConfig`) and
score them with :func:`graphcode.evaluate.report.score_text`, the code behind ``graphcode evaluate``; the
scores are logged as ``val_bleu``, ``val_exact_match``, ``val_codebleu``, ``val_syntax_valid`` (and
``test_*``) to every logger, where ``ModelCheckpoint`` can monitor them. ``validate`` and ``test`` also
print the table and write ``summary.json`` and ``examples.jsonl`` into ``<default_root_dir>/<stage>/``.
With several processes each decodes its share and the predictions are gathered before scoring.
"""

from __future__ import annotations

import json
import math
import random
import sys
from collections.abc import Callable
from copy import deepcopy as _deepcopy
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import lightning.pytorch as pl
import numpy as np
import torch
from lightning.pytorch.utilities import rank_zero_info, rank_zero_warn

from graphcode.data.tokenizer import TokenizerConfig, load_pretrained_tokenizer
from graphcode.errors import CheckpointError, ConfigError
from graphcode.generate.length import check_length_cap as _check_length_cap
from graphcode.generate.length import check_length_penalty
from graphcode.generate.repetition import check_repetition, repetition_kwargs
from graphcode.models.batch import GraphCodeBatch
from graphcode.models.config import FusionConfig, GNNConfig, GraphCodeConfig, check_rate
from graphcode.models.dropout import use_cpu_dropout

DATA_SETTINGS_KEY = "graphcode_data"
"""Where a checkpoint keeps the data settings it was trained with (``GraphCodeDataModule.export_settings``)."""
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
class DecodeSettings:
    """The decoding settings that ``predict`` (:class:`GenerationSettings`) and the task metrics
    (:class:`TaskMetricsConfig`) share; Hugging Face ``generate`` arguments of the same names."""

    _owner: ClassVar[str] = "decoding"

    max_new_tokens: int = 128
    """Most tokens generated per example."""
    num_beams: int = 1
    """Beam width; 1 is greedy decoding."""
    max_len_a: float | None = None
    """With ``max_len_b``: at most ``max_len_a * x + max_len_b`` tokens for a source of ``x`` tokens (fairseq's rule,
    :class:`graphcode.generate.length.SourceLengthCap`), within ``max_new_tokens``; null: no such limit."""
    max_len_b: int = 0
    """See ``max_len_a``."""
    no_repeat_ngram_size: int = 0
    """Never generate an n-gram of this many tokens twice in one output (Hugging Face's
    ``NoRepeatNGramLogitsProcessor``); 0: no such rule."""
    repetition_penalty: float = 1.0
    """Divide the positive logits of tokens already in the output (multiply the negative ones) by this
    (CTRL's penalty, Hugging Face's ``RepetitionPenaltyLogitsProcessor``); 1.0: none."""
    length_penalty: float = 1.0
    """Beam search ranks a finished hypothesis by its log-probability over ``length ** length_penalty`` (Hugging
    Face's rule): 1.0 is the mean per token, more favours longer outputs, 0 the plain sum. Beam search only."""

    def __post_init__(self) -> None:
        owner = self._owner
        for name in ("max_new_tokens", "num_beams"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{owner}.{name}: expected an integer >= 1, found {value!r}")
        _check_length_cap(self.max_len_a, self.max_len_b, f"{owner}.max_len_a", f"{owner}.max_len_b")
        check_repetition(self.no_repeat_ngram_size, self.repetition_penalty, f"{owner}.no_repeat_ngram_size",
                         f"{owner}.repetition_penalty")
        check_length_penalty(self.length_penalty, self.num_beams, f"{owner}.length_penalty")

    def generate_kwargs(self) -> dict[str, Any]:
        """The ``generate`` arguments these settings stand for (the length cap is a logits processor, added by the
        caller, which knows the sources' lengths)."""
        kwargs: dict[str, Any] = {"max_new_tokens": self.max_new_tokens, "num_beams": self.num_beams,
                                  **repetition_kwargs(self.no_repeat_ngram_size, self.repetition_penalty)}
        if self.num_beams > 1:
            kwargs["length_penalty"] = float(self.length_penalty)
        return kwargs


@dataclass
class GenerationSettings(DecodeSettings):
    """How ``predict`` generates."""

    _owner: ClassVar[str] = "generation"


@dataclass
class TaskMetricsConfig(DecodeSettings):
    """Task metrics in validation and test: decode examples and score them as ``graphcode evaluate`` does.

    Code targets get ``exact_match``, ``bleu`` (CodeXGLUE's BLEU-4), ``codebleu`` and ``syntax_valid``; text
    targets (summaries) ``exact_match``, ``bleu`` (CodeXGLUE's code-to-text sentence BLEU) and ``rouge_l``. Each is
    a percentage, logged with the stage's prefix. The decoding settings are :class:`DecodeSettings`'.
    """

    _owner: ClassVar[str] = "task_metrics"

    every_n_validations: int = 1
    """Decode at every n-th validation of ``fit``, the first included; 0: never during ``fit`` (``validate``
    and ``test`` always decode)."""
    max_examples: int | None = 64
    """Validation examples decoded: the first n of those in use (the same ones every time); null: all."""
    test_max_examples: int | None = None
    """Test examples decoded; null: all of them."""
    codebleu: bool = True
    """Compute CodeBLEU too (the slowest metric)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        value = self.every_n_validations
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"task_metrics.every_n_validations: expected an integer >= 0, found {value!r}")
        for name in ("max_examples", "test_max_examples"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ConfigError(f"task_metrics.{name}: expected a positive integer or null, found {value!r}")


TASK_METRICS: tuple[str, ...] = ("exact_match", "bleu", "codebleu", "syntax_valid", "rouge_l")
"""The task metrics' names, logged as ``val_<name>`` and ``test_<name>``."""


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


def _loss_tokens(model: Any, batch: GraphCodeBatch) -> int:
    """The target tokens a batch's mean loss averages over (a decoder-only backbone predicts each label from the
    tokens before it, so a row's first label is never scored)."""
    labels = batch.labels if model.is_encoder_decoder else batch.labels[:, 1:]
    return int((labels != -100).sum())


def micro_batches(model: Any, batch: GraphCodeBatch, max_tokens: int | None) -> list[GraphCodeBatch]:
    """The parts of a training batch under a token budget (:meth:`GraphCodeBatch.split`), those with targets;
    ``[batch]`` when it runs whole (no budget, no labels, or one part)."""
    if not max_tokens or batch.labels is None:
        return [batch]
    parts = [part for part in batch.split(max_tokens) if _loss_tokens(model, part)]
    return parts if len(parts) > 1 else [batch]


def micro_batch_losses(model: Any, parts: list[GraphCodeBatch],
                       backward: Callable[[torch.Tensor], None]) -> tuple[torch.Tensor, torch.Tensor]:
    """Forward and ``backward`` of every part but the last, each loss weighted by its share of the parts' target
    tokens, so that the gradients add up to the whole batch's; returns the whole batch's loss (detached) and the
    last part's weighted loss, whose backward is the caller's."""
    counts = [_loss_tokens(model, part) for part in parts]
    total = max(1, sum(counts))
    done = torch.zeros((), device=parts[0].input_ids.device)
    for part, count in zip(parts[:-1], counts[:-1], strict=True):
        piece = model(part, logits=False).loss * (count / total)
        backward(piece)
        done += piece.detach()
    last = model(parts[-1], logits=False).loss * (counts[-1] / total)
    return done + last.detach(), last


class GraphCodeModule(pl.LightningModule):
    """Trains a GraphCodeModel: a Hugging Face backbone, optionally with a code graph.

    Args:
        backbone: A Hugging Face model name or local path (pretrained weights), or a backbone config dict with
            ``model_type`` (fresh weights; ``vocab_size`` and special token ids come from the tokenizer).
        graph: Use the code graph; ``false`` trains exactly the backbone.
        gnn: The graph encoder (``num_node_types`` comes from ``data.lang``).
        fusion: How node states enter the backbone.
        copy: Encoder-decoder only: a pointer-generator head that copies source tokens
            (:mod:`graphcode.models.copy`), with or without the graph.
        copy_coverage: With ``copy``: the weight of the copy attention's coverage loss (See et al.); above 0 the
            copy attention also sees what it has copied. 0: no coverage.
        copy_continuation: With ``copy``: the copy attention also sees which source tokens follow the target's
            last one and two tokens, so a copy goes on where the last one ended.
        copy_continuation_tokens: With ``copy_continuation``: the most target tokens its features match (1 to 8;
            2 by default: the last one and two).
        copy_continuation_ignore_case: With ``copy_continuation``: compare tokens ignoring case and leading spaces
            there (``get`` ``Member`` goes on in ``Get`` ``Member``).
        optimizer: AdamW settings.
        scheduler: Learning-rate warmup and decay.
        generation: How ``predict`` generates.
        task_metrics: Decoding and scoring in validation and test.
        export_dir: When set, ``fit`` ends by writing the best model here (``save_pretrained`` format).
        tokenizer: The data's tokenizer settings (linked from ``data.tokenizer``); used when no datamodule
            provides a tokenizer.
        gradient_checkpointing: Recompute the backbone's layer activations in the backward pass instead of
            keeping them (:meth:`GraphCodeModel.gradient_checkpointing_enable`): less memory for more time. The
            same gradients; a training setting, not saved with the exported model.
        attention_dropout: Dropout on the attention probabilities alone, or ``None`` for the backbone's own (T5:
            its ``dropout_rate``). ``0`` keeps the other dropouts and makes attention on a CPU several times cheaper
            in time and memory (:meth:`GraphCodeModel.set_attention_dropout`). A training setting, like
            ``gradient_checkpointing``: the exported backbone keeps its own config.
        micro_batch_tokens: Run a training batch whose padded grids hold more than this many tokens (``T`` source
            plus ``L`` target tokens a row: :meth:`GraphCodeBatch.split`) as consecutive micro-batches, forward and
            backward one at a time, each loss weighted by its share of the batch's target tokens: the same
            gradient and the same optimizer step as the whole batch, with the activations of a micro-batch alone.
            Peak memory follows this budget instead of the longest batch; ``None`` runs every batch whole. One
            process only (with several, use ``trainer.accumulate_grad_batches``).
        fast_cpu_dropout: Draw dropout masks on a CPU with :mod:`graphcode.models.dropout`: torch's dropout
            distribution (each rate rounded to a multiple of ``2**-15``) about three times faster than its
            ``bernoulli_`` masks; the CodeXGLUE CPU config's step takes 0.59x (backbone) and 0.69x (graph arm) the time
            (``benchmarks/bench_cpu_dropout.py``). ``false``: torch's dropout.
            Other devices always run torch's. A training setting: the exported model is the same.
        label_smoothing: The uniform target's weight ``eps`` in the training loss, from 0 (none) up to 1
            (:meth:`GraphCodeModel.set_label_smoothing`): ``(1 - eps)`` times the likelihood's loss (the copy
            mixture's with ``copy``) plus ``eps`` times the cross-entropy of the vocabulary's distribution against
            the uniform one, as ``F.cross_entropy(..., label_smoothing=eps)`` and Hugging Face's
            ``label_smoothing_factor``. ``val_loss`` and ``test_loss`` stay the likelihood alone. A training setting:
            the exported model is the same.
    """

    def __init__(
        self,
        backbone: str | dict[str, Any],
        graph: bool = True,
        gnn: GNNConfig = GNNConfig(),  # noqa: B008 - a dataclass default is read, never mutated
        fusion: FusionConfig = FusionConfig(),  # noqa: B008
        copy: bool = False,
        copy_coverage: float = 0.0,
        copy_continuation: bool = False,
        copy_continuation_tokens: int = 2,
        copy_continuation_ignore_case: bool = False,
        optimizer: OptimizerConfig = OptimizerConfig(),  # noqa: B008
        scheduler: SchedulerConfig = SchedulerConfig(),  # noqa: B008
        generation: GenerationSettings = GenerationSettings(),  # noqa: B008
        task_metrics: TaskMetricsConfig = TaskMetricsConfig(),  # noqa: B008
        export_dir: str | None = None,
        tokenizer: TokenizerConfig | None = None,
        gradient_checkpointing: bool = False,
        attention_dropout: float | None = None,
        micro_batch_tokens: int | None = None,
        fast_cpu_dropout: bool = True,
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__()
        # load_from_checkpoint passes the saved hyper-parameters back as plain dicts
        gnn, fusion = _typed(gnn, GNNConfig), _typed(fusion, FusionConfig)
        optimizer, scheduler = _typed(optimizer, OptimizerConfig), _typed(scheduler, SchedulerConfig)
        generation, tokenizer = _typed(generation, GenerationSettings), _typed(tokenizer, TokenizerConfig)
        task_metrics = _typed(task_metrics, TaskMetricsConfig)
        self.config = GraphCodeConfig(backbone=_deepcopy(backbone), graph=graph, gnn=_deepcopy(gnn),
                                      fusion=_deepcopy(fusion), copy=copy, copy_coverage=copy_coverage,
                                      copy_continuation=copy_continuation,
                                      copy_continuation_tokens=copy_continuation_tokens,
                                      copy_continuation_ignore_case=copy_continuation_ignore_case)
        self.optimizer_config = optimizer
        self.scheduler_config = scheduler
        self.generation = generation
        self.task_metrics = task_metrics
        self.export_dir = export_dir
        self.tokenizer_config = tokenizer
        self.gradient_checkpointing = gradient_checkpointing
        if attention_dropout is not None:
            check_rate("model", "attention_dropout", attention_dropout)
        self.attention_dropout = attention_dropout
        if micro_batch_tokens is not None and (isinstance(micro_batch_tokens, bool)
                                               or not isinstance(micro_batch_tokens, int) or micro_batch_tokens < 1):
            raise ConfigError(f"model.micro_batch_tokens: expected an integer >= 1 or null, found {micro_batch_tokens!r}")
        self.micro_batch_tokens = micro_batch_tokens
        if not isinstance(fast_cpu_dropout, bool):
            raise ConfigError(f"model.fast_cpu_dropout: expected true or false, found {fast_cpu_dropout!r}")
        self.fast_cpu_dropout = fast_cpu_dropout
        check_rate("model", "label_smoothing", label_smoothing)
        self.label_smoothing = float(label_smoothing)
        self._gradients_kept = False  # this step's micro-batches left their gradients: Lightning must not zero them
        self.save_hyperparameters({
            "backbone": _plain(backbone), "graph": graph, "gnn": _plain(gnn), "fusion": _plain(fusion), "copy": copy,
            "copy_coverage": copy_coverage, "copy_continuation": copy_continuation,
            "copy_continuation_tokens": copy_continuation_tokens,
            "copy_continuation_ignore_case": copy_continuation_ignore_case,
            "optimizer": _plain(optimizer), "scheduler": _plain(scheduler), "generation": _plain(generation),
            "task_metrics": _plain(task_metrics), "export_dir": export_dir, "tokenizer": _plain(tokenizer),
            "gradient_checkpointing": gradient_checkpointing, "attention_dropout": attention_dropout,
            "micro_batch_tokens": micro_batch_tokens, "fast_cpu_dropout": fast_cpu_dropout,
            "label_smoothing": label_smoothing,
        })
        self.model: Any = None  # a GraphCodeModel, built in configure_model
        self._pending_rng: dict[str, Any] | None = None
        self._validations = 0  # validations run in fit (sanity check excluded): decides when to decode
        self.task_metrics_step: int | None = None  # the global step of the last decoding

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
                               fusion=self.config.fusion, copy=self.config.copy,
                               copy_coverage=self.config.copy_coverage,
                               copy_continuation=self.config.copy_continuation,
                               copy_continuation_tokens=self.config.copy_continuation_tokens,
                               copy_continuation_ignore_case=self.config.copy_continuation_ignore_case)

    def configure_model(self) -> None:
        """Build the GraphCodeModel (once): the tokenizer decides the backbone's vocabulary."""
        if self.model is not None:
            return
        from graphcode.models.model import GraphCodeModel

        tokenizer = _deepcopy(self._tokenizer())
        model = GraphCodeModel(self._model_config(tokenizer), tokenizer=tokenizer)
        embeddings = model.backbone.get_input_embeddings().num_embeddings
        if len(tokenizer) > embeddings:
            model.backbone.resize_token_embeddings(len(tokenizer))
        if model.backbone.config.pad_token_id is None and tokenizer.pad_token_id is not None:
            model.backbone.config.pad_token_id = tokenizer.pad_token_id
        if not model.is_encoder_decoder:
            tokenizer.padding_side = "left"  # what generation with the exported tokenizer needs
        if self.gradient_checkpointing:
            model.gradient_checkpointing_enable()
        if self.attention_dropout is not None:
            model.set_attention_dropout(self.attention_dropout)
        if self.fast_cpu_dropout:
            use_cpu_dropout(model)
        model.set_label_smoothing(self.label_smoothing)
        self.model = model.train()  # from_pretrained gives eval mode; Lightning switches modes itself

    # ------------------------------------------------------------------ steps

    def forward(self, batch: GraphCodeBatch) -> Any:
        return self.model(batch)

    def training_step(self, batch: GraphCodeBatch, batch_idx: int) -> torch.Tensor:
        parts = micro_batches(self.model, batch, self.micro_batch_tokens)
        if len(parts) == 1:
            loss = self.model(batch, logits=False).loss  # the loss alone: no (B, L, V) copy mixture
            self.log("train_loss", loss, prog_bar=True, batch_size=batch.batch_size)
            return loss
        if self.trainer.world_size > 1:
            raise ConfigError(f"model.micro_batch_tokens: expected one process, found {self.trainer.world_size}; "
                              "use trainer.accumulate_grad_batches with several")
        # Lightning zeroes the gradients between training_step and its backward: the first micro-batches' would be
        # lost. Zero them here instead, where Lightning would for this step, and skip its zeroing (optimizer_zero_grad).
        accumulate = self.trainer.accumulate_grad_batches  # Lightning divides the returned loss by it: so do these
        if batch_idx % accumulate == 0:  # the batches where Lightning zeroes
            for optimizer in self.trainer.optimizers:
                optimizer.zero_grad(set_to_none=True)
            self._gradients_kept = True
        loss, last = micro_batch_losses(self.model, parts,
                                        lambda piece: self.trainer.strategy.backward(piece / accumulate, None))
        self.log("train_loss", loss, prog_bar=True, batch_size=batch.batch_size)
        return last  # Lightning's backward adds the last micro-batch's gradient

    def optimizer_zero_grad(self, epoch: int, batch_idx: int, optimizer: torch.optim.Optimizer) -> None:
        if self._gradients_kept:  # zeroed by training_step before its micro-batches
            self._gradients_kept = False
            return
        optimizer.zero_grad()

    def _eval_step(self, batch: GraphCodeBatch, name: str) -> torch.Tensor:
        loss = self.model(batch, logits=False).loss
        # Weighted by the target tokens it averages: the epoch value is the mean loss per target token.
        weight = max(1, _loss_tokens(self.model, batch)) if batch.labels is not None else batch.batch_size
        self.log(name, loss, prog_bar=True, sync_dist=True, batch_size=weight)
        return loss

    def validation_step(self, batch: GraphCodeBatch, batch_idx: int) -> torch.Tensor:
        return self._eval_step(batch, "val_loss")

    def test_step(self, batch: GraphCodeBatch, batch_idx: int) -> torch.Tensor:
        return self._eval_step(batch, "test_loss")

    def _decode(self, batch: Any, settings: DecodeSettings) -> list[str]:
        """Generate for a :class:`graphcode.training.datamodule.PredictBatch` with ``settings``' token limits and
        beam width; returns the decoded texts."""
        kwargs = settings.generate_kwargs()
        if settings.max_len_a is not None:
            from transformers import LogitsProcessorList

            from graphcode.generate.length import SourceLengthCap

            kwargs["logits_processor"] = LogitsProcessorList([SourceLengthCap(
                batch.batch.attention_mask.sum(dim=1), settings.max_len_a, settings.max_len_b,
                eos_token_id=self.model.tokenizer.eos_token_id, skip_tokens=1 if self.model.is_encoder_decoder else 0)])
        with self.trainer.precision_plugin.forward_context():
            tokens = self.model.generate(batch.batch, **kwargs)
        return self.model.tokenizer.batch_decode(tokens, skip_special_tokens=True)

    def predict_step(self, batch: Any, batch_idx: int) -> list[dict[str, Any]]:
        """Generate for a :class:`graphcode.training.datamodule.PredictBatch`; returns one row per example:
        ``{"id", "prediction", "status", "output"}``. ``status`` is the generation checker's verdict on the
        prediction (``valid``, ``repaired`` with the repaired code as ``output``, or ``no_valid_candidate``),
        ``null`` for text targets, which no checker reads."""
        texts = self._decode(batch, self.generation)
        datamodule = getattr(self.trainer, "datamodule", None)
        lang = getattr(datamodule, "output_lang", None)
        if lang is None:
            return [{"id": i, "prediction": t, "status": None, "output": t} for i, t in zip(batch.ids, texts, strict=True)]
        from graphcode.generate.candidates import check_candidate, select

        references = datamodule.references("predict")
        continues = bool(datamodule.continues_source)
        rows = []
        for key, text in zip(batch.ids, texts, strict=True):
            prompt = references[key].source if continues else ""
            task = "completion" if continues else "generate"
            checked = check_candidate(0, text, 0.0, lang=lang, prompt=prompt, task=task, fragment=datamodule.fragment)
            chosen = select([checked], prompt=prompt, task=task)
            rows.append({"id": key, "prediction": text, "status": chosen.status, "output": chosen.output})
        return rows

    # ------------------------------------------------------------------ task metrics

    def _decodes_now(self) -> bool:
        if self.trainer.sanity_checking or self.trainer.datamodule is None:
            return False
        if not hasattr(self.trainer.datamodule, "generation_dataloader"):
            return False
        if self.trainer.state.fn != "fit":
            return True
        every = self.task_metrics.every_n_validations
        return every > 0 and self._validations % every == 0

    def _score(self, use: str, limit: int | None) -> Any:
        """Decode the first ``limit`` examples of ``use``, gather them from every process and score them;
        returns a :class:`graphcode.evaluate.report.Report` whose rows carry the prediction."""
        from graphcode.evaluate.report import score_text

        datamodule = self.trainer.datamodule
        settings = self.task_metrics
        rows: list[tuple[str, str]] = []
        with torch.no_grad():
            for batch in datamodule.generation_dataloader(use, limit):
                batch = batch.to(self.device)
                rows.extend(zip(batch.ids, self._decode(batch, settings),
                                strict=True))
        if self.trainer.world_size > 1 and torch.distributed.is_available() and torch.distributed.is_initialized():
            gathered: list[Any] = [None] * self.trainer.world_size
            torch.distributed.all_gather_object(gathered, rows)
            rows = [row for part in gathered for row in part]
        predicted = dict(rows)
        references = datamodule.references(use)
        ids = [key for key in references if key in predicted]  # the data's order
        lang, continues = datamodule.output_lang, datamodule.continues_source
        report = score_text([references[k].target for k in ids], [predicted[k] for k in ids], [lang] * len(ids),
                            ids, show_progress=False,
                            prefixes=[references[k].source for k in ids] if continues else None,
                            codebleu=settings.codebleu, fragments=[datamodule.fragment] * len(ids),
                            text_targets=lang is None, analysis=settings.codebleu)
        for row, key in zip(report.examples, ids, strict=True):
            row["source"] = references[key].source
            row["prediction"] = predicted[key]
            row["reference"] = references[key].target
        return report

    def _log_task_metrics(self, stage: str, use: str, limit: int | None) -> Any:
        from graphcode.evaluate.report import headline

        report = self._score(use, limit)
        self.task_metrics_step = self.trainer.global_step
        for name, value in headline(report).items():
            # every process computed the same scores from the gathered predictions: their mean is that score
            self.log(f"{stage}_{name}", value, prog_bar=name == "bleu", sync_dist=True)
        return report

    def _write_report(self, report: Any, stage: str) -> None:
        if not self.trainer.is_global_zero:
            return
        from graphcode.evaluate.report import format_table, write_report

        folder = Path(self.trainer.default_root_dir) / stage
        summary, examples = write_report(report, folder)
        print(f"\n{stage} task metrics ({report.summary['examples']} examples decoded):\n{format_table(report)}")
        print(f"{stage}: wrote {summary} and {examples}", file=sys.stderr)

    def on_validation_epoch_end(self) -> None:
        if self.trainer.sanity_checking:
            return
        decode = self._decodes_now()
        if self.trainer.state.fn == "fit":
            self._validations += 1
        if decode:
            report = self._log_task_metrics("val", "validation", self.task_metrics.max_examples)
            if self.trainer.state.fn == "validate":
                self._write_report(report, "validation")

    def on_test_epoch_end(self) -> None:
        if self._decodes_now():
            report = self._log_task_metrics("test", "test", self.task_metrics.test_max_examples)
            self._write_report(report, "test")

    def logged_metrics(self, text_targets: bool = False) -> set[str]:
        """The names this module logs in ``fit`` (what a checkpoint or early stopping can monitor), for code targets
        or, with ``text_targets``, for text (summaries)."""
        names = {"train_loss", "val_loss"}
        if self.task_metrics.every_n_validations > 0:
            task = ["exact_match", "bleu"]
            task += ["rouge_l"] if text_targets else ["syntax_valid"] + (["codebleu"] if self.task_metrics.codebleu else [])
            names |= {f"val_{name}" for name in task}
        return names

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
        checkpoint["graphcode_validations"] = self._validations
        datamodule = getattr(self._trainer, "datamodule", None) if self._trainer is not None else None
        if hasattr(datamodule, "export_settings"):  # compared with the config's when the checkpoint is used
            checkpoint[DATA_SETTINGS_KEY] = datamodule.export_settings()

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
        self._validations = int(checkpoint.get("graphcode_validations", 0))

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
        monitor = getattr(callback, "monitor", None)
        best = getattr(callback, "best_model_path", "") if callback is not None and monitor else ""
        if best and Path(best).is_file():
            state = torch.load(best, map_location="cpu", weights_only=True)["state_dict"]
            self.load_state_dict(state)
            score = getattr(callback, "best_model_score", None)
            rank_zero_info(f"export: best checkpoint {best}"
                           + (f" ({monitor} {float(score):.4f})" if score is not None else ""))
        else:
            rank_zero_info("export: no best checkpoint (no ModelCheckpoint with a monitor saved one): exporting the "
                           "last weights")
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
