"""Callbacks: writing what ``predict`` generates, progress as plain lines when output is not a terminal, and
handing freed memory back to the system on CPUs."""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
from lightning.pytorch.callbacks import BasePredictionWriter, ProgressBar
from lightning.pytorch.utilities import rank_zero_info

from graphcode.io import AtomicWriter


class PredictionWriter(BasePredictionWriter):
    """Write ``predict``'s outputs, one ``{"id", "prediction", "status", "output"}`` JSON object per line,
    atomically; ``graphcode evaluate --predictions`` reads the file as it is.

    Args:
        path: The JSONL file; ``null``: ``predictions.jsonl`` in the run folder (``trainer.default_root_dir``).
            With several processes, each writes ``<path>.rank<R>``.
    """

    def __init__(self, path: str | None = None) -> None:
        super().__init__(write_interval="epoch")
        self.path = path

    def write_on_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule,
                           predictions: Sequence[Any], batch_indices: Sequence[Any]) -> None:
        path = Path(self.path) if self.path else Path(trainer.default_root_dir) / "predictions.jsonl"
        if trainer.world_size > 1:
            path = path.with_name(f"{path.name}.rank{trainer.global_rank}")
        # one dataloader gives a list of batches; several give a list per dataloader
        batches = predictions[0] if predictions and isinstance(predictions[0], list) and predictions[0] \
            and isinstance(predictions[0][0], list) else predictions
        n = 0
        with AtomicWriter(path) as f:
            for batch in batches:
                for row in batch:
                    f.write(json.dumps(row, ensure_ascii=False) + "\n")
                    n += 1
        rank_zero_info(f"predict: wrote {n} predictions to {path}")


class LineProgress(ProgressBar):
    """Progress as plain lines, for output that is not a terminal (a log file, a batch job).

    Every ``every_n_steps`` optimizer steps it prints ``step S/T  loss L  lr R  X steps/s``, and after each
    validation the validation loss, with the task metrics when that validation decoded (the module's
    ``task_metrics_step`` is the step). ``graphcode fit`` uses it instead of the progress bar when standard
    output is not a terminal.

    Args:
        every_n_steps: Steps between lines; ``null``: ``trainer.log_every_n_steps``.
    """

    def __init__(self, every_n_steps: int | None = None) -> None:
        super().__init__()
        self.every_n_steps = every_n_steps
        self._enabled = True
        self._last: tuple[float, int] | None = None

    def disable(self) -> None:
        self._enabled = False

    def enable(self) -> None:
        self._enabled = True

    def _print(self, text: str) -> None:
        if self._enabled and self.trainer.is_global_zero:
            print(text, file=sys.stdout, flush=True)

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._last = (time.perf_counter(), trainer.global_step)

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        every = self.every_n_steps or trainer.log_every_n_steps or 1
        step = trainer.global_step
        if step == 0 or step % every or self._last is None or self._last[1] == step:
            return
        now = time.perf_counter()
        rate = (step - self._last[1]) / max(now - self._last[0], 1e-9)
        self._last = (now, step)
        total = trainer.max_steps if trainer.max_steps and trainer.max_steps > 0 else trainer.estimated_stepping_batches
        metrics = self.get_metrics(trainer, pl_module)
        loss = metrics.get("train_loss")
        lrs = [group["lr"] for optimizer in trainer.optimizers for group in optimizer.param_groups][:1]
        parts = [f"epoch {trainer.current_epoch}", f"step {step}/{int(total) if total != float('inf') else '?'}"]
        if loss is not None:
            parts.append(f"loss {float(loss):.4f}")
        if lrs:
            parts.append(f"lr {lrs[0]:.3g}")
        parts.append(f"{rate:.2f} steps/s")
        self._print("  ".join(parts))

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        # task metrics stay in callback_metrics until the next decoding: show them only when decoded now
        fresh = getattr(pl_module, "task_metrics_step", None) == trainer.global_step
        values = {k: v for k, v in trainer.callback_metrics.items()
                  if k.startswith("val_") and (fresh or k == "val_loss")}
        if values:
            shown = "  ".join(f"{k} {float(v):.4f}" for k, v in sorted(values.items()))
            self._print(f"validation at step {trainer.global_step}: {shown}")

    def on_test_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        values = {k: v for k, v in trainer.callback_metrics.items() if k.startswith("test_")}
        if values:
            self._print("test: " + "  ".join(f"{k} {float(v):.4f}" for k, v in sorted(values.items())))


class ReleaseFreedMemory(pl.Callback):
    """Hand memory freed by a step back to the system (glibc's ``malloc_trim``), every ``every_n_steps`` training
    steps and validation batches.

    On a CPU, activations are allocated by the C library's ``malloc``. Batches of varying lengths leave its heap
    fragmented: what a long batch freed is kept, and the next shapes ask for more, so the resident memory of a run
    grows step after step (1.6 GiB after the first step, 3.6 GiB after 120, 6.2 GiB after 400 on the CPU config
    with gradient checkpointing). Trimming after each step keeps it at what one step needs (1.3 GiB between steps,
    3.4 GiB at the longest batches; ``benchmarks/bench_train_memory.py``). The model and its numbers are
    untouched. Where the C library is not glibc (macOS, musl) it does nothing and says so once.

    Args:
        every_n_steps: Trim after every this many batches. (default: ``1``)
    """

    def __init__(self, every_n_steps: int = 1) -> None:
        if isinstance(every_n_steps, bool) or not isinstance(every_n_steps, int) or every_n_steps < 1:
            raise ValueError(f"every_n_steps: expected a whole number >= 1, found {every_n_steps!r}")
        self.every_n_steps = every_n_steps
        self._trim = _malloc_trim()
        self._batches = 0
        if self._trim is None:
            rank_zero_info("ReleaseFreedMemory: the C library has no malloc_trim (not glibc): nothing to do")

    def _after_batch(self) -> None:
        self._batches += 1
        if self._trim is not None and self._batches % self.every_n_steps == 0:
            self._trim(0)

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        self._after_batch()

    def on_validation_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any,
                                batch_idx: int, dataloader_idx: int = 0) -> None:
        self._after_batch()


def _malloc_trim() -> Any:
    """glibc's ``malloc_trim(size_t pad) -> int``, or None where the C library has none."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        trim = libc.malloc_trim
    except (OSError, AttributeError, TypeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim
