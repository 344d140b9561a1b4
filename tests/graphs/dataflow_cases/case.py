"""The format of a data-flow conformance table.

Each case is a snippet and the edges it must and must not produce. An end is written ``name@L`` (the
only occurrence of identifier ``name`` on line ``L``, 1-based) or ``name@L#k`` (its k-th occurrence
on that line, 1-based). Edges are ``(src, dst)`` in the direction of the edge kind:
``last_write`` read → definition, ``last_read`` read → earlier read, ``computed_from`` target → value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Edge = tuple[str, str]


@dataclass(frozen=True)
class Case:
    name: str
    code: str
    last_write: list[Edge] = field(default_factory=list)
    last_read: list[Edge] = field(default_factory=list)
    computed_from: list[Edge] = field(default_factory=list)
    not_last_write: list[Edge] = field(default_factory=list)
    not_last_read: list[Edge] = field(default_factory=list)
    not_computed_from: list[Edge] = field(default_factory=list)
    exact_last_write: bool = False
    """When true, ``last_write`` must list every such edge whose source is one of the listed reads."""
