"""Generation: decoding, syntax-guided decoding, checking and repair of candidates.

- :mod:`graphcode.generate.prefix`: is a text a viable prefix? (``VALID``, ``OPEN``, ``DEAD`` with a proof);
- :mod:`graphcode.generate.guided`: :class:`SyntaxGuidedLogitsProcessor`, a Hugging Face logits processor;
- :mod:`graphcode.generate.length`: :class:`SourceLengthCap`, a length limit that grows with the source;
- :mod:`graphcode.generate.decoding`: :class:`DecodingConfig` and :func:`generate_candidates`;
- :mod:`graphcode.generate.candidates`: checking candidates and choosing one (``valid``, ``repaired``,
  ``no_valid_candidate``); :mod:`graphcode.generate.repair`: named repairs;
- :mod:`graphcode.generate.cli`: ``graphcode generate``.

Names are imported on first use, so ``import graphcode.generate`` does not import torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from graphcode.generate.candidates import CheckedCandidate, Selection, check_candidate, select
    from graphcode.generate.decoding import DecodingConfig, Generated, GenerationOutput, generate_candidates
    from graphcode.generate.guided import GuidedStats, SyntaxGuidedLogitsProcessor
    from graphcode.generate.length import SourceLengthCap
    from graphcode.generate.prefix import PrefixChecker, PrefixState, Viability
    from graphcode.generate.repair import Repair, truncate_repair

_LAZY = {
    "CheckedCandidate": "graphcode.generate.candidates",
    "Selection": "graphcode.generate.candidates",
    "check_candidate": "graphcode.generate.candidates",
    "select": "graphcode.generate.candidates",
    "DecodingConfig": "graphcode.generate.decoding",
    "Generated": "graphcode.generate.decoding",
    "GenerationOutput": "graphcode.generate.decoding",
    "generate_candidates": "graphcode.generate.decoding",
    "GuidedStats": "graphcode.generate.guided",
    "SyntaxGuidedLogitsProcessor": "graphcode.generate.guided",
    "SourceLengthCap": "graphcode.generate.length",
    "PrefixChecker": "graphcode.generate.prefix",
    "PrefixState": "graphcode.generate.prefix",
    "Viability": "graphcode.generate.prefix",
    "Repair": "graphcode.generate.repair",
    "truncate_repair": "graphcode.generate.repair",
}

__all__ = [
    "CheckedCandidate",
    "DecodingConfig",
    "Generated",
    "GenerationOutput",
    "GuidedStats",
    "PrefixChecker",
    "PrefixState",
    "Repair",
    "Selection",
    "SourceLengthCap",
    "SyntaxGuidedLogitsProcessor",
    "Viability",
    "check_candidate",
    "generate_candidates",
    "select",
    "truncate_repair",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'graphcode.generate' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
