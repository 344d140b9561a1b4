"""Callbacks: writing what ``predict`` generates."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
from lightning.pytorch.callbacks import BasePredictionWriter
from lightning.pytorch.utilities import rank_zero_info

from graphcode.io import AtomicWriter


class PredictionWriter(BasePredictionWriter):
    """Write ``predict``'s outputs, one ``{"id", "prediction"}`` JSON object per line, atomically.

    Args:
        path: The JSONL file. With several processes, each writes ``<path>.rank<R>``.
    """

    def __init__(self, path: str) -> None:
        super().__init__(write_interval="epoch")
        self.path = path

    def write_on_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule,
                           predictions: Sequence[Any], batch_indices: Sequence[Any]) -> None:
        path = Path(self.path)
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
