"""graphcode: structure-aware code models.

The top-level API is light: ``graphcode.parse`` and ``graphcode.check_syntax`` import tree-sitter only.
Everything that needs torch lives in subpackages that are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover
    from graphcode.check import SyntaxReport, check_syntax
    from graphcode.graphs import CodeGraph, GraphOptions, parse

__all__ = ["CodeGraph", "GraphOptions", "SyntaxReport", "__version__", "check_syntax", "parse"]

_LAZY = {
    "parse": "graphcode.graphs",
    "CodeGraph": "graphcode.graphs",
    "GraphOptions": "graphcode.graphs",
    "check_syntax": "graphcode.check",
    "SyntaxReport": "graphcode.check",
}


_SUBPACKAGES = ("graphs", "check", "data", "models", "training", "generate", "evaluate", "errors", "io")


def __getattr__(name: str) -> Any:
    import importlib

    if name in _SUBPACKAGES:
        return importlib.import_module(f"graphcode.{name}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'graphcode' has no attribute {name!r}")

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
