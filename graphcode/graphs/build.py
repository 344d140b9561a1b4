"""Source → :class:`CodeGraph`: one iterative cursor walk for the AST, queries in C for data flow.

The walk reads each tree-sitter node once (kind id and byte span); type names, line/column points
and leaf texts are derived from those on demand. Nothing here recurses, so a file nested 10,000
deep builds like any other.
"""

from __future__ import annotations

import gc
import os
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import tree_sitter as ts

from graphcode.errors import ConfigError
from graphcode.graphs import native
from graphcode.graphs.codegraph import (
    CFG_EDGE_KINDS,
    CFG_KINDS,
    DATAFLOW_EDGE_KINDS,
    EDGE_KINDS,
    CodeGraph,
    EdgeList,
)
from graphcode.graphs.dataflow import captured_ids, dataflow_edges, flow_query
from graphcode.graphs.languages import get_spec, kind_table, language_for_path, parser_for
from graphcode.graphs.source import DEFAULT_MAX_BYTES, nul_safe, read_source, validate_source

_ERROR_KIND = 65535  # tree-sitter's builtin error symbol
_PUNCTUATION = frozenset("()[]{},;:.")


@dataclass(frozen=True)
class GraphOptions:
    """What to build. All edge kinds and the full AST by default."""

    edges: frozenset[str] = field(default_factory=lambda: frozenset(EDGE_KINDS))
    """Edge kinds to build, a subset of ``EDGE_KINDS``. Data-flow and control-flow kinds need the language's
    data-flow queries."""
    drop_punctuation: bool = False
    """Drop anonymous delimiter leaves (``( ) [ ] { } , ; : .``) — for learning. Operators stay."""
    collapse_chains: bool = False
    """Replace every chain of single-child nodes by its lowest node (leaves always stay) — for learning."""
    max_bytes: int | None = DEFAULT_MAX_BYTES
    """Refuse sources larger than this (None: no limit)."""

    def __post_init__(self) -> None:
        edges = frozenset(self.edges)
        unknown = sorted(edges - set(EDGE_KINDS))
        if unknown:
            raise ConfigError(f"edge kinds: expected a subset of {', '.join(EDGE_KINDS)}, found {', '.join(unknown)}")
        object.__setattr__(self, "edges", edges)

    @classmethod
    def from_kinds(cls, kinds: str | None, **kwargs: Any) -> GraphOptions:
        """Options from a comma-separated list such as ``"child,next_token"``, or the groups ``"all"``,
        ``"ast"``, ``"dataflow"`` and ``"cfg"`` (every ``cfg_*`` kind)."""
        if kinds is None or kinds in ("", "all"):
            return cls(**kwargs)
        groups = {"ast": ("child", "next_token"), "dataflow": ("last_write", "last_read", "computed_from"),
                  "cfg": CFG_KINDS}
        names: list[str] = []
        for part in kinds.split(","):
            part = part.strip()
            names.extend(groups.get(part, (part,)))
        return cls(edges=frozenset(names), **kwargs)


@dataclass
class _Walk:
    kinds: list[int]
    starts: list[int]
    ends: list[int]
    parent: list[int]
    leaves: list[int]
    errors: list[int]
    missing: list[int]
    collected: list[int]
    node_ids: dict[int, int]
    """tree-sitter's node ``id`` → graph id (with ``index`` only): how the query's captures find their node."""


def _walk(tree: ts.Tree, collect: frozenset[int] = frozenset(), index: bool = False) -> _Walk:
    """Pre-order walk with a cursor; node ids are positions in this order.

    Nodes whose kind id is in ``collect`` are listed in ``collected`` (the data-flow engine's
    catch-all references), so no query has to find them again.
    """
    kinds: list[int] = []
    starts: list[int] = []
    ends: list[int] = []
    parent: list[int] = []
    leaves: list[int] = []
    errors: list[int] = []
    missing: list[int] = []
    collected: list[int] = []
    node_ids: dict[int, int] = {}
    check_missing = tree.root_node.has_error
    add_kind, add_start, add_end, add_parent = kinds.append, starts.append, ends.append, parent.append
    add_leaf, add_collected = leaves.append, collected.append
    cursor = tree.walk()
    first_child, next_sibling, up = cursor.goto_first_child, cursor.goto_next_sibling, cursor.goto_parent
    stack: list[int] = []
    push, pop = stack.append, stack.pop
    par = -1
    i = 0
    while True:
        node = cursor.node
        kind = node.kind_id
        add_kind(kind)
        span = node.byte_range
        add_start(span[0])
        add_end(span[1])
        add_parent(par)
        if kind in collect:
            add_collected(i)
        if index:
            node_ids[node.id] = i
        if kind == _ERROR_KIND:
            errors.append(i)
        elif check_missing and node.is_missing:
            missing.append(i)
        if first_child():
            push(par)
            par = i
            i += 1
            continue
        add_leaf(i)
        i += 1
        while not next_sibling():
            if not up():
                return _Walk(kinds, starts, ends, parent, leaves, errors, missing, collected, node_ids)
            par = pop()


_IOTA = array("i")


def _iota(start: int, stop: int) -> array:
    """``array('i', range(start, stop))``, sliced from one column that grows as needed (a copy, not a loop)."""
    global _IOTA
    if len(_IOTA) < stop:
        _IOTA = array("i", range(max(stop, 2 * len(_IOTA))))
    return _IOTA[start:stop]


def _int32(column: list[int] | bytes) -> array:
    """A column of ids as ``array('i')``: from a list, or copied from native int32 bytes."""
    if isinstance(column, bytes):
        out = array("i")
        out.frombytes(column)
        return out
    return array("i", column)


def child_edges(parent: list[int] | bytes) -> EdgeList:
    """``child`` edges, parent → child, from the parent column (ids in pre-order: every node but the root), a list
    or native int32 bytes."""
    column = _int32(parent)
    return EdgeList(column[1:], _iota(1, len(column)))


def next_token_edges(leaves: list[int] | bytes) -> EdgeList:
    """``next_token`` edges, each leaf → the next leaf, from the leaves in source order (a list or int32 bytes)."""
    column = _int32(leaves)
    return EdgeList(column[:-1], column[1:])


def parse_tree(source: bytes, lang: str) -> ts.Tree:
    """Bare tree-sitter parse (the baseline the benchmarks compare against)."""
    return parser_for(lang).parse(source)


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (if it runs) for the duration.

    A graph is built from tens of thousands of small lists and tuples, none of them in a reference
    cycle; each 700 of them would otherwise trigger a collection that scans them all for nothing.
    Reference counting still frees everything as usual.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def build_graph(source: bytes, lang: str, options: GraphOptions | None = None, *, path: str | None = None,
                tree: ts.Tree | None = None, facts: dict[str, EdgeList] | None = None) -> CodeGraph:
    """Build the :class:`CodeGraph` of ``source`` (already validated bytes).

    The parse, the walk and the data-flow query run in C when the accelerator is built (see
    :mod:`graphcode.graphs.native`), else through py-tree-sitter; both give the same graph. A given
    ``tree`` (a py-tree-sitter parse of ``source``) is always read through py-tree-sitter. A ``facts`` dict
    receives, from the same data-flow sweep, what the semantic checks read (``read``, ``def``, ``undefined``;
    see :func:`graphcode.graphs.passes.edges`); it stays empty for a language without data flow.
    """
    with _cyclic_gc_paused():
        return _build_graph(source, lang, options, path=path, tree=tree, facts=facts)


def _build_graph(source: bytes, lang: str, options: GraphOptions | None, *, path: str | None,
                 tree: ts.Tree | None, facts: dict[str, EdgeList] | None = None) -> CodeGraph:
    options = options or GraphOptions()
    spec = get_spec(lang)
    parsed = nul_safe(source)
    flow_kinds = options.edges & (DATAFLOW_EDGE_KINDS | CFG_EDGE_KINDS) if spec.has_dataflow else frozenset()
    want_facts = facts is not None and spec.has_dataflow
    fast = native.engine_for(spec.name, bool(flow_kinds) or want_facts) if tree is None else None
    captured: dict[str, list[int]] = {}
    if fast is not None:
        (types, named, starts, ends, parent, leaves, errors, missing, collected, by_id, parent_i32,
         leaves_i32) = fast.engine.build(parsed, fast.collect)
        w = _Walk([], starts, ends, parent, leaves, errors, missing, collected, {})
        names = fast.capture_names
        captured = {names[k]: ids for k, ids in by_id.items()}
    else:
        parent_i32 = leaves_i32 = None
        if tree is None:
            tree = parser_for(spec.name).parse(parsed)
        fq = flow_query(spec.name) if flow_kinds or want_facts else None
        w = _walk(tree, fq.reference_kinds if fq is not None else frozenset(), index=fq is not None)
        if flow_kinds or want_facts:
            captured = captured_ids(tree, spec.name, w.node_ids)
        table = kind_table(spec.name)
        types = list(map(table.names.__getitem__, w.kinds))
        named = list(map(table.named.__getitem__, w.kinds))
    for i in w.missing:  # a missing node has a kind but no text; say so in its type
        types[i] = f"MISSING {types[i]}"

    edges: dict[str, EdgeList] = {}
    if "child" in options.edges:
        edges["child"] = child_edges(w.parent if parent_i32 is None else parent_i32)
    if "next_token" in options.edges:
        edges["next_token"] = next_token_edges(w.leaves if leaves_i32 is None else leaves_i32)
    if flow_kinds or want_facts:
        flow = dataflow_edges(captured, source, spec.name, w.starts, w.ends, w.collected,
                              control=bool(flow_kinds & CFG_EDGE_KINDS), facts=want_facts)
        for kind in EDGE_KINDS:
            if kind in flow_kinds:
                edges[kind] = EdgeList.of_packed(flow[kind])
        if facts is not None:
            facts.update({key: EdgeList.of_packed(flow[key]) for key in ("read", "def", "def_var", "undefined",
                                                                         "last_write")})
    # A language without data-flow queries gets no data-flow or control-flow edges; meta["dataflow"] says so.

    graph = CodeGraph(
        lang=spec.name,
        source=source,
        types=types,
        named=named,
        start_byte=w.starts,
        end_byte=w.ends,
        parent=w.parent,
        leaves=w.leaves,
        edges=edges,
        errors=w.errors,
        missing=w.missing,
        path=path,
        meta={"dataflow": bool(flow_kinds)},
    )
    if options.drop_punctuation or options.collapse_chains:
        graph = simplify(graph, drop_punctuation=options.drop_punctuation, collapse_chains=options.collapse_chains)
    return graph


def parse(code: str | bytes, lang: str, options: GraphOptions | None = None, **kwargs: Any) -> CodeGraph:
    """Parse source code into a :class:`CodeGraph`.

    ``code`` is text or UTF-8 bytes; ``lang`` a language name or alias (see
    ``graphcode.graphs.available_languages()``). Keyword arguments are :class:`GraphOptions` fields,
    e.g. ``parse(code, "python", edges={"child", "last_write"})``. Broken code still gives a graph,
    with its ``ERROR`` and ``MISSING`` nodes listed in ``graph.errors`` and ``graph.missing``.
    """
    if options is None:
        options = GraphOptions(**kwargs)
    elif kwargs:
        options = replace(options, **kwargs)
    data = code.encode("utf-8") if isinstance(code, str) else bytes(code)
    # text given as str is text: only bytes are tested for binary data
    data = validate_source(data, "<code>", max_bytes=options.max_bytes, allow_empty=True,
                           binary_check=not isinstance(code, str))
    return build_graph(data, lang, options)


def parse_file(path: str | os.PathLike[str], lang: str | None = None, options: GraphOptions | None = None) -> CodeGraph:
    """Read and parse a file; the language comes from its extension unless ``lang`` is given."""
    options = options or GraphOptions()
    name = get_spec(lang).name if lang else language_for_path(path)
    data = read_source(path, max_bytes=options.max_bytes, encoding_declarations=get_spec(name).source_encoding == "pep263")
    return build_graph(data, name, options, path=str(path))


def _is_punctuation(type_name: str) -> bool:
    return bool(type_name) and all(ch in _PUNCTUATION for ch in type_name)


def simplify(graph: CodeGraph, *, drop_punctuation: bool = False, collapse_chains: bool = False) -> CodeGraph:
    """A smaller graph for learning: drop delimiter leaves and/or collapse single-child chains.

    Kept nodes are renumbered in document order; every edge is carried over to the kept nodes that
    stand for its ends (a collapsed node is represented by its lowest kept descendant).
    """
    n = graph.num_nodes
    leaf = [False] * n
    for i in graph.leaves:
        leaf[i] = True
    drop = [False] * n
    if drop_punctuation:
        for i in graph.leaves:
            if not graph.named[i] and _is_punctuation(graph.types[i]):
                drop[i] = True
    # children counts after dropping
    kept_children = [0] * n
    only_child = [-1] * n
    for i in range(1, n):
        if not drop[i]:
            p = graph.parent[i]
            kept_children[p] += 1
            only_child[p] = i
    collapse = [False] * n
    error_set = set(graph.errors) | set(graph.missing)  # error nodes stay visible
    if collapse_chains:
        for i in range(1, n):  # the root always stays
            if not drop[i] and not leaf[i] and kept_children[i] == 1 and i not in error_set:
                collapse[i] = True
    # representative of each node: itself, or (collapsed) its only child's representative
    rep = list(range(n))
    for i in range(n - 1, -1, -1):
        if drop[i]:
            rep[i] = -1
        elif collapse[i]:
            rep[i] = rep[only_child[i]]
    new_id = [-1] * n
    kept: list[int] = []
    for i in range(n):
        if not drop[i] and not collapse[i]:
            new_id[i] = len(kept)
            kept.append(i)
    # nearest kept ancestor
    anc = [-1] * n
    for i in range(1, n):
        p = graph.parent[i]
        anc[i] = p if new_id[p] >= 0 else anc[p]
    parent = [new_id[anc[i]] if anc[i] >= 0 else -1 for i in kept]
    leaves = [new_id[i] for i in graph.leaves if new_id[i] >= 0]

    def mapped(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
        out = []
        for s, d in pairs:
            rs, rd = rep[s], rep[d]
            if rs >= 0 and rd >= 0 and rs != rd:
                out.append((new_id[rs], new_id[rd]))
        return out

    edges: dict[str, EdgeList] = {}
    for kind, pairs in graph.edges.items():
        if kind == "child":
            edges[kind] = child_edges(parent)
        elif kind == "next_token":
            edges[kind] = next_token_edges(leaves)
        else:
            edges[kind] = EdgeList.of(mapped(pairs))
    return CodeGraph(
        lang=graph.lang,
        source=graph.source,
        types=[graph.types[i] for i in kept],
        named=[graph.named[i] for i in kept],
        start_byte=[graph.start_byte[i] for i in kept],
        end_byte=[graph.end_byte[i] for i in kept],
        parent=parent,
        leaves=leaves,
        edges=edges,
        errors=[new_id[i] for i in graph.errors if new_id[i] >= 0],
        missing=[new_id[i] for i in graph.missing if new_id[i] >= 0],
        path=graph.path,
        meta={**graph.meta, "drop_punctuation": drop_punctuation, "collapse_chains": collapse_chains},
    )


def subtree(graph: CodeGraph, root: int) -> CodeGraph:
    """The subgraph under node ``root`` (a function, say): its nodes renumbered from 0 in document
    order, every edge whose two ends lie inside it, and the source it spans."""
    if not 0 <= root < graph.num_nodes:
        raise IndexError(f"node id: expected 0 <= id < {graph.num_nodes}, found {root}")
    end = root + 1
    parent = graph.parent
    # descendants of `root` are the contiguous run of ids after it (pre-order)
    inside = {root}
    while end < graph.num_nodes and parent[end] in inside:
        inside.add(end)
        end += 1
    offset = graph.start_byte[root]
    shift = root
    edges = {
        kind: EdgeList.of([(s - shift, d - shift) for s, d in pairs if root <= s < end and root <= d < end])
        for kind, pairs in graph.edges.items()
    }
    return CodeGraph(
        lang=graph.lang,
        source=graph.source[offset:graph.end_byte[root]],
        types=graph.types[root:end],
        named=graph.named[root:end],
        start_byte=[b - offset for b in graph.start_byte[root:end]],
        end_byte=[b - offset for b in graph.end_byte[root:end]],
        parent=[-1] + [p - shift for p in parent[root + 1:end]],
        leaves=[i - shift for i in graph.leaves if root <= i < end],
        edges=edges,
        errors=[i - shift for i in graph.errors if root <= i < end],
        missing=[i - shift for i in graph.missing if root <= i < end],
        path=graph.path,
        meta={**graph.meta, "subtree_of": root},
    )
