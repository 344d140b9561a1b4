"""graphcode models: a graph encoder and a fusion that augment a Hugging Face backbone with code graphs.

``GraphCodeModel`` is a plain ``nn.Module``; the LightningModule that trains it lives elsewhere.
Names are imported on first use, so ``graphcode.models.config`` loads without torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from graphcode.models.batch import GraphCodeBatch
    from graphcode.models.config import FusionConfig, GNNConfig, GraphCodeConfig
    from graphcode.models.fusion import (
        DecoderOnlyFusion,
        EncoderDecoderFusion,
        FusedEncoderOutput,
        FusedInputs,
    )
    from graphcode.models.gnn import CONVS, GraphEncoder
    from graphcode.models.model import GraphCodeModel, GraphCodeOutput, build_backbone

_LAZY = {
    "GraphCodeBatch": "graphcode.models.batch",
    "FusionConfig": "graphcode.models.config",
    "GNNConfig": "graphcode.models.config",
    "GraphCodeConfig": "graphcode.models.config",
    "DecoderOnlyFusion": "graphcode.models.fusion",
    "EncoderDecoderFusion": "graphcode.models.fusion",
    "FusedEncoderOutput": "graphcode.models.fusion",
    "FusedInputs": "graphcode.models.fusion",
    "CONVS": "graphcode.models.gnn",
    "GraphEncoder": "graphcode.models.gnn",
    "GraphCodeModel": "graphcode.models.model",
    "GraphCodeOutput": "graphcode.models.model",
    "build_backbone": "graphcode.models.model",
}

__all__ = [
    "CONVS",
    "DecoderOnlyFusion",
    "EncoderDecoderFusion",
    "FusedEncoderOutput",
    "FusedInputs",
    "FusionConfig",
    "GNNConfig",
    "GraphCodeBatch",
    "GraphCodeConfig",
    "GraphCodeModel",
    "GraphCodeOutput",
    "GraphEncoder",
    "build_backbone",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'graphcode.models' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
