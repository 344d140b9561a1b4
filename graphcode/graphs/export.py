"""Exports of a :class:`CodeGraph`: networkx, JSON (documented schema, lossless), GraphML, DOT, SVG/PNG.

JSON schema ``graphcode.graph/1``::

    {
      "schema": "graphcode.graph/1",
      "lang": "python",                 # canonical language name
      "path": "pkg/mod.py" | null,      # where the source came from
      "source": "...",                  # the full source text (UTF-8)
      "nodes": [                        # ids are list positions, in document order (pre-order)
        {"id": 0, "type": "module", "named": true,
         "start_byte": 0, "end_byte": 42,
         "start_point": [0, 0], "end_point": [3, 0],   # [row, column], 0-based, column in bytes
         "parent": -1,                                  # -1 for the root
         "leaf": false, "text": null,                   # text for leaves only
         "error": false, "missing": false}              # ERROR node / zero-width MISSING node
      ],
      "edges": {"child": [[0, 1], ...], "next_token": [...], "last_write": [...],
                "last_read": [...], "computed_from": [...]},   # [src, dst] pairs; only kinds built
      "meta": {...}
    }

``from_json(to_json(g))`` gives back an equal graph (same nodes, edges, source and metadata).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from graphcode.errors import GraphcodeError, InputError
from graphcode.graphs.codegraph import CFG_EDGE_KINDS, EDGE_KINDS, CodeGraph, EdgeList

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

SCHEMA = "graphcode.graph/1"

EDGE_STYLE = {
    "child": 'color="#444444"',
    "next_token": 'color="#999999", style=dotted, constraint=false',
    "last_write": 'color="#d62728", constraint=false',
    "last_read": 'color="#1f77b4", style=dashed, constraint=false',
    "computed_from": 'color="#2ca02c", constraint=false',
    # control flow reads top to bottom: its forward edges rank the statements; back and exit edges do not
    "cfg_entry": 'color="#9467bd", style=bold',
    "cfg_next": 'color="#9467bd"',
    "cfg_true": 'color="#2ca02c", label="T", fontcolor="#2ca02c"',
    "cfg_false": 'color="#d62728", label="F", fontcolor="#d62728"',
    "cfg_back": 'color="#9467bd", style=dashed, constraint=false',
    "cfg_raise": 'color="#ff7f0e", style=dashed, constraint=false',
    "cfg_exit": 'color="#9467bd", style=dotted, constraint=false',
}


EDGE_LEGEND = {
    "child": "grey",
    "next_token": "grey dotted",
    "last_write": "red",
    "last_read": "blue dashed",
    "computed_from": "green",
    "cfg_entry": "purple bold",
    "cfg_next": "purple",
    "cfg_true": "green T",
    "cfg_false": "red F",
    "cfg_back": "purple dashed",
    "cfg_raise": "orange dashed",
    "cfg_exit": "purple dotted",
}


class GraphvizNotFoundError(GraphcodeError):
    """Rendering a picture needs Graphviz's ``dot`` program."""

    exit_code = 8


# ------------------------------------------------------------------ JSON
def _node_dicts(graph: CodeGraph) -> Iterator[dict[str, Any]]:
    """The JSON object of every node, one at a time."""
    leaf = set(graph.leaves)
    errors, missing = set(graph.errors), set(graph.missing)
    for i in range(graph.num_nodes):
        sp, ep = graph.point(graph.start_byte[i]), graph.point(graph.end_byte[i])
        yield {
            "id": i,
            "type": graph.types[i],
            "named": graph.named[i],
            "start_byte": graph.start_byte[i],
            "end_byte": graph.end_byte[i],
            "start_point": [sp.row, sp.column],
            "end_point": [ep.row, ep.column],
            "parent": graph.parent[i],
            "leaf": i in leaf,
            "text": graph.text(i) if i in leaf else None,
            "error": i in errors,
            "missing": i in missing,
        }


def to_dict(graph: CodeGraph) -> dict[str, Any]:
    """The graph as a JSON-ready dict in the ``graphcode.graph/1`` schema."""
    return {
        "schema": SCHEMA,
        "lang": graph.lang,
        "path": graph.path,
        "source": graph.source.decode("utf-8", errors="replace"),
        "nodes": list(_node_dicts(graph)),
        "edges": {kind: [list(e) for e in pairs] for kind, pairs in graph.edges.items()},
        "meta": graph.meta,
    }


def iter_json(graph: CodeGraph, chunk: int = 512) -> Iterator[str]:
    """``json.dumps(to_dict(graph), ensure_ascii=False)`` in pieces, ``chunk`` nodes or edges at a time, so
    that writing a large graph holds one piece in memory, not the whole text."""
    dumps = json.dumps
    head = {"schema": SCHEMA, "lang": graph.lang, "path": graph.path,
            "source": graph.source.decode("utf-8", errors="replace")}
    yield dumps(head, ensure_ascii=False)[:-1] + ', "nodes": ['
    batch: list[str] = []
    first = True
    for node in _node_dicts(graph):
        batch.append(dumps(node, ensure_ascii=False))
        if len(batch) == chunk:
            yield ("" if first else ", ") + ", ".join(batch)
            batch, first = [], False
    if batch:
        yield ("" if first else ", ") + ", ".join(batch)
    yield '], "edges": {'
    for k, (kind, pairs) in enumerate(graph.edges.items()):
        yield ("" if k == 0 else ", ") + dumps(kind) + ": ["
        for start in range(0, len(pairs), chunk):
            part = ", ".join(f"[{s}, {d}]" for s, d in pairs[start:start + chunk])
            yield ("" if start == 0 else ", ") + part
        yield "]"
    yield '}, "meta": ' + dumps(graph.meta, ensure_ascii=False) + "}"


def to_json(graph: CodeGraph, indent: int | None = None) -> str:
    """The graph as JSON text in the ``graphcode.graph/1`` schema (see :func:`iter_json` to stream it)."""
    if indent is not None:
        return json.dumps(to_dict(graph), indent=indent, ensure_ascii=False)
    return "".join(iter_json(graph))


def _field(obj: dict, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in obj:
        raise InputError(f"{where}: expected a field {key!r}, found none")
    value = obj[key]
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise InputError(f"{where}.{key}: expected {names}, found {type(value).__name__}")
    return value


def from_dict(data: dict[str, Any]) -> CodeGraph:
    if not isinstance(data, dict):
        raise InputError(f"graph JSON: expected an object, found {type(data).__name__}")
    schema = data.get("schema")
    if schema != SCHEMA:
        raise InputError(f"graph JSON: expected schema {SCHEMA!r}, found {schema!r}")
    nodes = _field(data, "nodes", list, "graph")
    edges_in = _field(data, "edges", dict, "graph")
    source = _field(data, "source", str, "graph").encode("utf-8")
    types, named, starts, ends, parent, leaves, errors, missing = [], [], [], [], [], [], [], []
    for i, node in enumerate(nodes):
        where = f"graph.nodes[{i}]"
        if _field(node, "id", int, where) != i:
            raise InputError(f"{where}.id: expected {i} (ids are positions), found {node['id']}")
        types.append(_field(node, "type", str, where))
        named.append(bool(_field(node, "named", bool, where)))
        starts.append(_field(node, "start_byte", int, where))
        ends.append(_field(node, "end_byte", int, where))
        parent.append(_field(node, "parent", int, where))
        if node.get("leaf"):
            leaves.append(i)
        if node.get("error"):
            errors.append(i)
        if node.get("missing"):
            missing.append(i)
    n = len(nodes)
    edges: dict[str, EdgeList] = {}
    for kind, pairs in edges_in.items():
        if kind not in EDGE_KINDS:
            raise InputError(f"graph.edges: expected kinds among {', '.join(EDGE_KINDS)}, found {kind!r}")
        out = []
        for k, pair in enumerate(pairs):
            if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(v, int) and 0 <= v < n for v in pair)):
                raise InputError(f"graph.edges.{kind}[{k}]: expected [src, dst] with ids in 0..{n - 1}, found {pair!r}")
            out.append((pair[0], pair[1]))
        edges[kind] = EdgeList.of(out)
    return CodeGraph(
        lang=_field(data, "lang", str, "graph"),
        source=source,
        types=types,
        named=named,
        start_byte=starts,
        end_byte=ends,
        parent=parent,
        leaves=leaves,
        edges=edges,
        errors=errors,
        missing=missing,
        path=data.get("path"),
        meta=dict(data.get("meta") or {}),
    )


def from_json(text: str | bytes) -> CodeGraph:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(f"graph JSON: expected valid JSON, found an error at line {err.lineno} column {err.colno}: {err.msg}") from None
    return from_dict(data)


# ------------------------------------------------------------------ networkx / GraphML
def to_networkx(graph: CodeGraph) -> nx.MultiDiGraph:
    """A ``MultiDiGraph``: node attributes as in the JSON schema with points flattened
    (``start_row``, ``start_col``, ...); each edge has ``key`` and attribute ``kind`` = its edge kind."""
    import networkx as nx

    g = nx.MultiDiGraph(lang=graph.lang, path=graph.path or "")
    leaf = set(graph.leaves)
    errors, missing = set(graph.errors), set(graph.missing)
    for i in range(graph.num_nodes):
        sp, ep = graph.point(graph.start_byte[i]), graph.point(graph.end_byte[i])
        g.add_node(
            i,
            type=graph.types[i],
            named=graph.named[i],
            start_byte=graph.start_byte[i],
            end_byte=graph.end_byte[i],
            start_row=sp.row,
            start_col=sp.column,
            end_row=ep.row,
            end_col=ep.column,
            leaf=i in leaf,
            text=graph.text(i) if i in leaf else "",
            error=i in errors,
            missing=i in missing,
        )
    for kind, pairs in graph.edges.items():
        g.add_edges_from((s, d, kind, {"kind": kind}) for s, d in pairs)
    return g


GRAPHML_NODE_KEYS: tuple[tuple[str, str], ...] = (
    ("type", "string"), ("named", "boolean"), ("start_byte", "long"), ("end_byte", "long"), ("start_row", "long"),
    ("start_col", "long"), ("end_row", "long"), ("end_col", "long"), ("leaf", "boolean"), ("text", "string"),
    ("error", "boolean"), ("missing", "boolean"),
)
"""The node attributes of the GraphML export (those of :func:`to_networkx`) and their GraphML types."""


def iter_graphml(graph: CodeGraph) -> Iterator[str]:
    """GraphML in pieces, one node or edge at a time: the attributes of :func:`to_networkx` (nodes) and
    ``kind`` (edges, whose ``id`` is the kind, as networkx writes a multigraph's keys); ``networkx.read_graphml``
    reads it back into the same graph."""
    from xml.sax.saxutils import escape, quoteattr

    yield ('<?xml version="1.0" encoding="utf-8"?>\n<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://graphml.graphdrawing.org/'
           'xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n')
    for name, kind in GRAPHML_NODE_KEYS:
        yield f'  <key id="{name}" for="node" attr.name="{name}" attr.type="{kind}" />\n'
    yield '  <key id="kind" for="edge" attr.name="kind" attr.type="string" />\n'
    yield '  <key id="lang" for="graph" attr.name="lang" attr.type="string" />\n'
    yield '  <key id="path" for="graph" attr.name="path" attr.type="string" />\n'
    yield '  <graph edgedefault="directed">\n'
    yield f'    <data key="lang">{escape(graph.lang)}</data>\n    <data key="path">{escape(graph.path or "")}</data>\n'
    for node in _node_dicts(graph):
        values = {**node, "start_row": node["start_point"][0], "start_col": node["start_point"][1],
                  "end_row": node["end_point"][0], "end_col": node["end_point"][1], "text": node["text"] or ""}
        data = "".join(
            f'<data key="{name}">{escape(_graphml_value(values[name]))}</data>' for name, _ in GRAPHML_NODE_KEYS
        )
        yield f'    <node id="{node["id"]}">{data}</node>\n'
    for kind, pairs in graph.edges.items():
        tail = f' id={quoteattr(kind)}><data key="kind">{escape(kind)}</data></edge>\n'
        for s, d in pairs:
            yield f'    <edge source="{s}" target="{d}"{tail}'
    yield "  </graph>\n</graphml>\n"


def _graphml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_graphml(graph: CodeGraph) -> str:
    """GraphML text (see :func:`iter_graphml` to stream it)."""
    return "".join(iter_graphml(graph))


# ------------------------------------------------------------------ DOT / pictures
def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


MAX_PICTURE_NODES = 1500
"""The most nodes :func:`to_dot` draws by default: larger pictures are unreadable (and Graphviz caps PNGs at
32,767 pixels). Draw one function (``graph.function(NAME)``, ``--function NAME``) or raise ``max_nodes``."""
CONTEXT_STYLE = 'color="#cccccc", arrowhead=none'
"""Tree edges drawn only as context (a data-flow picture's ancestors)."""


def to_dot(graph: CodeGraph, *, edges: frozenset[str] | set[str] | None = None, max_label: int = 24,
           max_nodes: int | None = None) -> str:
    """Graphviz DOT text; see :func:`iter_dot`, which gives it in pieces."""
    return "".join(iter_dot(graph, edges=edges, max_label=max_label, max_nodes=max_nodes))


def iter_dot(graph: CodeGraph, *, edges: frozenset[str] | set[str] | None = None, max_label: int = 24,
             max_nodes: int | None = None) -> Iterator[str]:
    """Graphviz DOT: the AST drawn as a tree, top to bottom with siblings in source order, and data flow as
    coloured edges that do not bend the layout.

    Without ``child`` among ``edges`` (a data-flow picture), only the nodes that an edge touches are drawn,
    with their ancestors as light grey context, so the picture stays a small tree. With control-flow kinds
    only (``--edges cfg``), the statements are drawn as their first line of code, ranked top to bottom by the
    forward edges (back, raise and exit edges do not bend the layout). With ``max_nodes`` (pictures
    pass :data:`MAX_PICTURE_NODES`), more nodes to draw raise :class:`InputError` saying what to draw instead.
    """
    kinds = set(graph.edges) if edges is None else set(edges) & set(graph.edges)
    if edges is not None and "child" in edges:
        kinds.add("child")  # the tree is in the parent column even when no child edges were built
    shown = range(graph.num_nodes)
    tree_style = EDGE_STYLE["child"]
    control = bool(kinds) and kinds <= CFG_EDGE_KINDS
    if control:  # a control-flow picture: the statements (and functions) the edges join, nothing else
        shown = sorted({n for kind in kinds for edge in graph.edges[kind] for n in edge})
    elif "child" not in kinds:  # a data-flow picture: the touched nodes and their ancestors only
        keep: set[int] = set()
        for kind in kinds:
            for s, d in graph.edges[kind]:
                for node in (s, d):
                    while node >= 0 and node not in keep:
                        keep.add(node)
                        node = graph.parent[node]
        shown = sorted(keep)
        tree_style = CONTEXT_STYLE
    if max_nodes is not None and len(shown) > max_nodes:
        raise InputError(
            f"{graph.path or 'graph'}: expected at most {max_nodes} nodes in a picture, found {len(shown)}: draw one "
            "function (--function NAME, graph.function(NAME)) or fewer edges (--edges dataflow), or write DOT text "
            "(--format dot) and lay it out with other tools"
        )
    visible = set(shown)
    leaf = set(graph.leaves)
    bad = set(graph.errors) | set(graph.missing)
    yield ('digraph codegraph {\n  graph [rankdir=TB, fontname="Helvetica", nodesep=0.15, ranksep=0.35];\n'
           '  node [shape=box, style="rounded,filled", fillcolor="#f5f5f5", fontname="Helvetica", fontsize=10, '
           'height=0.25];\n  edge [arrowsize=0.5];\n')
    children: dict[int, list[int]] = {}
    for i in shown:
        if control:
            first = graph.text(i).split("\n", 1)[0].strip()
            first = first if len(first) <= 2 * max_label else first[: 2 * max_label - 1] + "…"
            whole = i == 0 and "subtree_of" not in graph.meta
            label = f"{graph.lang} file: start and end" if whole else f"{graph.point(graph.start_byte[i]).row + 1}: {first}"
            yield f'  n{i} [label="{_dot_escape(label)}"];\n'
            continue
        label = graph.types[i]
        if i in leaf:
            text = graph.text(i)
            if text != label:
                text = text if len(text) <= max_label else text[: max_label - 1] + "…"
                label = f"{label}\n{text}" if graph.named[i] else text
        extra = ', fillcolor="#ffd6d6", color="#d62728"' if i in bad else (', fillcolor="#e8f0fe"' if i in leaf else "")
        yield f'  n{i} [label="{_dot_escape(label)}"{extra}];\n'
        if graph.parent[i] in visible:
            children.setdefault(graph.parent[i], []).append(i)  # ids grow in source order
    for parent, kids in children.items():
        for kid in kids:
            yield f"  n{parent} -> n{kid} [{tree_style}];\n"
        if len(kids) > 1:  # siblings left to right in source order, whatever else the edges pull at
            chain = " -> ".join(f"n{k}" for k in kids)
            yield f"  {{rank=same; {chain} [style=invis, weight=10];}}\n"
    for kind in EDGE_KINDS:
        if kind not in kinds or kind == "child":
            continue
        style = EDGE_STYLE[kind]
        for s, d in graph.edges[kind]:
            yield f"  n{s} -> n{d} [{style}, tooltip=\"{kind}\"];\n"
    if kinds - {"child"}:
        legend = " · ".join(f"{k} ({EDGE_LEGEND[k]})" for k in EDGE_KINDS if k in kinds)
        if "child" not in kinds and not control:
            legend += " · AST context (light grey)"
        yield f'  label="{_dot_escape(graph.lang + " — " + legend)}"; fontsize=10;\n'
    yield "}\n"


def render(dot_text: str, fmt: str = "svg", *, timeout: float = 120.0) -> bytes:
    """Render DOT text with Graphviz's ``dot`` into ``svg`` or ``png`` bytes."""
    if fmt not in ("svg", "png"):
        raise GraphcodeError(f"picture format: expected 'svg' or 'png', found {fmt!r}")
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizNotFoundError(
            f"writing {fmt.upper()} needs Graphviz's 'dot' program, found none on PATH. Install Graphviz "
            "(Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install graphviz; conda: conda install graphviz), "
            "or write DOT text with --format dot and render it elsewhere"
        )
    try:
        done = subprocess.run([exe, f"-T{fmt}"], input=dot_text.encode("utf-8"), capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise GraphcodeError(f"Graphviz: expected a picture within {timeout:.0f} s, found it still running (graph too large?)") from None
    if done.returncode != 0:
        raise GraphcodeError(f"Graphviz: expected exit status 0, found {done.returncode}: {done.stderr.decode(errors='replace')[:500]}")
    return done.stdout
