"""The one graph type: :class:`CodeGraph`.

Nodes are the AST nodes of a tree-sitter parse, numbered ``0..N-1`` in document order (pre-order:
a parent comes before its children, siblings left to right), so ids are stable for the same source,
grammar and options. Node data is held column-wise (one list per field) so that building a graph
reads each tree-sitter node once and exports stay cheap.

Edges are grouped by kind; each kind is an :class:`EdgeList`, a sequence of ``(src, dst)`` pairs held as two
``int32`` columns (``src``, ``dst``: PyG's ``edge_index`` rows), so that a graph's millions of AST edges are two
arrays rather than millions of tuples. Directions:

=================  ==========================================================================
``child``          parent → child in the AST.
``next_token``     a leaf → the next leaf in source order.
``last_write``     a variable use (read) → each definition or write of that variable that may
                   reach it (may-reach across branches and loops).
``last_read``      a variable use → each earlier use of the same variable that may reach it.
``computed_from``  an assignment's target → each variable read in the assigned value.
``cfg_entry``      a function (the root for the file's own code) → each first statement it runs.
``cfg_next``       a statement → a statement that may run right after it.
``cfg_true``       a branch's or loop's statement → the statement that runs when its test is true.
``cfg_false``      ... → the statement that runs when its test is false (an ``else``, or what follows).
``cfg_back``       the last statement of a loop iteration (or a ``continue``) → the loop's statement.
``cfg_raise``      a statement in a ``try`` → the handler or ``finally`` an exception there may enter.
``cfg_exit``       a statement after which its function (or the file) may end → the function (root).
=================  ==========================================================================

The ``cfg_*`` kinds are statement-level control flow: their nodes are the statements the language's
``@flow.statement`` captures name, plus each function and the root as entry and exit.
"""

from __future__ import annotations

import bisect
import itertools
import sys
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple, overload

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx
    from torch_geometric.data import Data

CFG_KINDS: tuple[str, ...] = ("cfg_entry", "cfg_next", "cfg_true", "cfg_false", "cfg_back", "cfg_raise", "cfg_exit")
"""The control-flow edge kinds, in id order (``graphcode.graphs.passes.CFG_KINDS``)."""
EDGE_KINDS: tuple[str, ...] = ("child", "next_token", "last_write", "last_read", "computed_from", *CFG_KINDS)
"""Every edge kind, in the order of their ids (``edge_type`` in PyTorch Geometric exports)."""
AST_EDGE_KINDS: frozenset[str] = frozenset({"child", "next_token"})
DATAFLOW_EDGE_KINDS: frozenset[str] = frozenset({"last_write", "last_read", "computed_from"})
CFG_EDGE_KINDS: frozenset[str] = frozenset(CFG_KINDS)


class EdgeList(Sequence[tuple[int, int]]):
    """The edges of one kind: a read-only sequence of ``(src, dst)`` pairs, held as two ``int32`` columns.

    It reads like the list of tuples it stands for (``len``, indexing, slicing, iteration, ``==`` against a list
    of pairs), while building, holding and freeing it costs two arrays instead of a tuple an edge. ``src`` and
    ``dst`` are ``array('i')`` columns of equal length (the rows of PyG's ``edge_index``): ``torch.frombuffer``
    and ``numpy.frombuffer`` read them without a copy.
    """

    __slots__ = ("dst", "src")

    def __init__(self, src: Iterable[int] = (), dst: Iterable[int] = ()) -> None:
        self.src = src if isinstance(src, array) and src.typecode == "i" else array("i", src)
        self.dst = dst if isinstance(dst, array) and dst.typecode == "i" else array("i", dst)
        if len(self.src) != len(self.dst):
            raise ValueError(f"edge columns: expected src and dst of one length, found {len(self.src)} and {len(self.dst)}")

    @classmethod
    def of(cls, pairs: Iterable[tuple[int, int]] | EdgeList) -> EdgeList:
        """``pairs`` as an :class:`EdgeList` (itself when it is one); ValueError when an item is not a pair."""
        if isinstance(pairs, EdgeList):
            return pairs
        if not isinstance(pairs, (list, tuple)):
            pairs = list(pairs)
        flat = array("i", itertools.chain.from_iterable(pairs))
        if len(flat) != 2 * len(pairs) or any(len(p) != 2 for p in pairs):
            bad = next(p for p in pairs if len(p) != 2)
            raise ValueError(f"edges: expected (src, dst) pairs, found {bad!r}")
        return cls(flat[0::2], flat[1::2])

    @classmethod
    def of_packed(cls, packed: list[int]) -> EdgeList:
        """Pairs packed as ``(src << 32) | dst`` ints (both below 2**31), as the data-flow passes give them: one
        array of 64-bit ints whose halves are the two columns, no tuple made."""
        wide = array("q", packed)
        if sys.byteorder != "little":
            wide.byteswap()
        halves = array("i")
        halves.frombytes(wide.tobytes())  # little-endian: (dst, src) per pair
        if sys.byteorder != "little":
            halves.byteswap()
        return cls(halves[1::2], halves[0::2])

    def __len__(self) -> int:
        return len(self.src)

    @overload
    def __getitem__(self, i: int) -> tuple[int, int]: ...
    @overload
    def __getitem__(self, i: slice) -> EdgeList: ...
    def __getitem__(self, i: int | slice) -> tuple[int, int] | EdgeList:
        if isinstance(i, slice):
            return EdgeList(self.src[i], self.dst[i])
        return self.src[i], self.dst[i]

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return zip(self.src, self.dst, strict=True)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, EdgeList):
            return self.src == other.src and self.dst == other.dst
        if isinstance(other, (list, tuple)):
            return len(other) == len(self) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to a list, as a list is

    def __add__(self, other: Iterable[tuple[int, int]]) -> EdgeList:
        more = EdgeList.of(other)
        return EdgeList(self.src + more.src, self.dst + more.dst)

    def __repr__(self) -> str:
        return f"EdgeList({self.tolist()!r})"

    def __reduce__(self) -> tuple[type[EdgeList], tuple[array, array]]:
        return EdgeList, (self.src, self.dst)

    def tolist(self) -> list[tuple[int, int]]:
        """The pairs as a list of tuples."""
        return list(self)


class Point(NamedTuple):
    """A position: 0-based row and 0-based column in bytes (tree-sitter's convention)."""

    row: int
    column: int


class Node(NamedTuple):
    """One node of a :class:`CodeGraph`, as returned by ``graph.node(i)``."""

    id: int
    type: str
    named: bool
    start_byte: int
    end_byte: int
    start_point: Point
    end_point: Point
    parent: int
    """The parent's id, -1 for the root."""
    is_leaf: bool
    is_error: bool
    """An ``ERROR`` node: source that the grammar could not fit."""
    is_missing: bool
    """A zero-width node that the parser inserted to recover (a missing ``)``, say)."""
    text: str | None
    """The source text, for leaves only."""


@dataclass(eq=False)
class CodeGraph:
    """A code graph: AST nodes plus typed edges. See the module docstring for edge directions."""

    lang: str
    source: bytes
    types: list[str]
    named: list[bool]
    start_byte: list[int]
    end_byte: list[int]
    parent: list[int]
    leaves: list[int]
    """Ids of the leaf nodes, in source order."""
    edges: dict[str, EdgeList]
    """Edges by kind; any sequence of ``(src, dst)`` pairs given here is kept as an :class:`EdgeList`."""
    errors: list[int] = field(default_factory=list)
    """Ids of ``ERROR`` nodes."""
    missing: list[int] = field(default_factory=list)
    """Ids of zero-width nodes inserted by error recovery."""
    path: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    """Free-form information: the options used, the grammar version."""
    _line_starts: list[int] | None = field(default=None, repr=False)
    _leaf_set: frozenset[int] | None = field(default=None, repr=False)
    _children: list[list[int]] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        for kind, pairs in self.edges.items():
            if not isinstance(pairs, EdgeList):
                self.edges[kind] = EdgeList.of(pairs)

    # ------------------------------------------------------------------ nodes
    @property
    def num_nodes(self) -> int:
        """``N``, the number of nodes (ids are ``0..N-1``)."""
        return len(self.types)

    @property
    def num_edges(self) -> int:
        """The number of edges of every kind together."""
        return sum(len(v) for v in self.edges.values())

    @property
    def has_error(self) -> bool:
        """True when the source has syntax errors (ERROR or MISSING nodes)."""
        return bool(self.errors or self.missing)

    def __len__(self) -> int:
        return self.num_nodes

    def line_starts(self) -> list[int]:
        """The byte offset at which each line of the source starts (line ``i`` at ``line_starts[i]``)."""
        if self._line_starts is None:
            starts = [0]
            find = self.source.find
            i = find(b"\n")
            while i >= 0:
                starts.append(i + 1)
                i = find(b"\n", i + 1)
            self._line_starts = starts
        return self._line_starts

    def point(self, byte: int) -> Point:
        """The (row, column) of a byte offset."""
        starts = self.line_starts()
        row = bisect.bisect_right(starts, byte) - 1
        return Point(row, byte - starts[row])

    def is_leaf(self, i: int) -> bool:
        """Whether node ``i`` has no children in the AST (a token)."""
        if self._leaf_set is None:
            self._leaf_set = frozenset(self.leaves)
        return i in self._leaf_set

    def text(self, i: int) -> str:
        """The source text of node ``i`` (any node, leaf or not)."""
        return self.source[self.start_byte[i]:self.end_byte[i]].decode("utf-8", errors="replace")

    def node(self, i: int) -> Node:
        """Node ``i`` with all its fields (:class:`Node`); raises ``IndexError`` outside ``0..N-1``."""
        if not 0 <= i < self.num_nodes:
            raise IndexError(f"node id: expected 0 <= id < {self.num_nodes}, found {i}")
        leaf = self.is_leaf(i)
        return Node(
            id=i,
            type=self.types[i],
            named=self.named[i],
            start_byte=self.start_byte[i],
            end_byte=self.end_byte[i],
            start_point=self.point(self.start_byte[i]),
            end_point=self.point(self.end_byte[i]),
            parent=self.parent[i],
            is_leaf=leaf,
            is_error=i in self.errors,
            is_missing=i in self.missing,
            text=self.text(i) if leaf else None,
        )

    def nodes(self) -> Iterator[Node]:
        """Every node, in id (document) order."""
        for i in range(self.num_nodes):
            yield self.node(i)

    def find(self, type: str | None = None, text: str | None = None) -> list[int]:
        """Ids of nodes with this type and/or this (leaf) text, in document order."""
        out = []
        for i in range(self.num_nodes):
            if type is not None and self.types[i] != type:
                continue
            if text is not None and (not self.is_leaf(i) or self.text(i) != text):
                continue
            out.append(i)
        return out

    def edge_counts(self) -> dict[str, int]:
        """The number of edges of each kind: ``{"child": 120, "last_write": 14, ...}``."""
        return {kind: len(pairs) for kind, pairs in self.edges.items()}

    def subtree(self, i: int) -> CodeGraph:
        """The graph under node ``i``, renumbered from 0, with the edges inside it."""
        from graphcode.graphs.build import subtree

        return subtree(self, i)

    def function(self, name: str) -> CodeGraph:
        """The subtree of the first definition named ``name`` (a node whose ``name`` child is it)."""
        for i in self.leaves:
            if self.text(i) == name:
                p = self.parent[i]
                if p >= 0 and ("function" in self.types[p] or "method" in self.types[p]):
                    return self.subtree(p)
        raise KeyError(f"function {name!r}: expected a function or method definition of that name, found none")

    def children(self, i: int) -> list[int]:
        """The ids of node ``i``'s children in the AST, left to right (from ``parent``, whatever the edges)."""
        if not 0 <= i < self.num_nodes:
            raise IndexError(f"node id: expected 0 <= id < {self.num_nodes}, found {i}")
        if self._children is None:
            children: list[list[int]] = [[] for _ in range(self.num_nodes)]
            for node, parent in enumerate(self.parent):
                if parent >= 0:
                    children[parent].append(node)  # ids grow in document order: left to right
            self._children = children
        return list(self._children[i])

    # ----------------------------------------------------------------- exports
    def to_networkx(self) -> nx.MultiDiGraph:
        """A networkx ``MultiDiGraph``; node and edge attributes as in the JSON schema."""
        from graphcode.graphs.export import to_networkx

        return to_networkx(self)

    def to_dict(self) -> dict[str, Any]:
        """The graph as a JSON-ready dict in the ``graphcode.graph/1`` schema (see :mod:`graphcode.graphs.export`)."""
        from graphcode.graphs.export import to_dict

        return to_dict(self)

    def to_json(self, indent: int | None = None) -> str:
        """JSON text in the documented schema (``graphcode.graphs.export.SCHEMA``); lossless."""
        from graphcode.graphs.export import to_json

        return to_json(self, indent=indent)

    @classmethod
    def from_json(cls, text: str | bytes) -> CodeGraph:
        """The graph that :meth:`to_json` wrote (a lossless round trip); raises ``InputError`` on other JSON."""
        from graphcode.graphs.export import from_json

        return from_json(text)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CodeGraph:
        """The graph that :meth:`to_dict` gave; raises ``InputError`` naming what is missing or malformed."""
        from graphcode.graphs.export import from_dict

        return from_dict(data)

    def _repr_svg_(self) -> str | None:
        """The picture of :meth:`to_dot`, shown inline by Jupyter; ``None`` (the text repr) without Graphviz or
        for a graph too large to read (draw ``graph.function(NAME)`` instead)."""
        from graphcode.errors import InputError
        from graphcode.graphs.export import MAX_PICTURE_NODES, GraphvizNotFoundError, render, to_dot

        try:
            return render(to_dot(self, max_nodes=MAX_PICTURE_NODES), "svg").decode("utf-8")
        except (GraphvizNotFoundError, InputError):
            return None

    def to_graphml(self) -> str:
        """GraphML text: nodes with their type, span and text, edges with their ``kind`` (for Gephi, yEd, ...)."""
        from graphcode.graphs.export import to_graphml

        return to_graphml(self)

    def to_dot(self, *, edges: frozenset[str] | set[str] | None = None, max_label: int = 24) -> str:
        """Graphviz DOT text. ``edges`` limits the kinds drawn (default: all)."""
        from graphcode.graphs.export import to_dot

        return to_dot(self, edges=edges, max_label=max_label)

    def to_pyg(self, tokenizer: Any = None, vocab: Any = None) -> Data:
        """A PyTorch Geometric ``Data`` (imports torch lazily). See :func:`graphcode.graphs.pyg.to_pyg`."""
        from graphcode.graphs.pyg import to_pyg

        return to_pyg(self, tokenizer=tokenizer, vocab=vocab)

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.edge_counts().items())
        where = f" {self.path!r}" if self.path else ""
        return f"CodeGraph({self.lang}{where}, nodes={self.num_nodes}, {counts}, errors={len(self.errors) + len(self.missing)})"
