"""The format of a control-flow conformance table.

Each case is a snippet and every control-flow edge it must produce, no more. An edge is written
``SRC>DST kind`` with ``kind`` the edge kind without its ``cfg_`` prefix (``entry``, ``next``, ``true``,
``false``, ``back``, ``raise``, ``exit``). An end is ``root`` (the file) or ``L`` (the outermost control-flow
node that starts on line ``L``, 1-based: a statement, or a function as its own entry and exit), or ``L#k``
(the k-th such node starting on line ``L``, in document order).
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("entry", "next", "true", "false", "back", "raise", "exit")


@dataclass(frozen=True)
class CfgCase:
    name: str
    code: str
    edges: str
    """One ``SRC>DST kind`` per line: the snippet's control-flow edges, all of them."""

    def expected(self) -> set[tuple[str, str, str]]:
        out: set[tuple[str, str, str]] = set()
        for line in self.edges.strip().splitlines():
            ends, kind = line.split()
            src, dst = ends.split(">")
            if kind not in KINDS:
                raise ValueError(
                    f"{self.name}: expected an edge kind among {', '.join(KINDS)}, found {kind!r}"
                )
            out.add((src, dst, kind))
        return out
