"""Code graphs: parse source with tree-sitter into a :class:`CodeGraph` and export it.

Imports tree-sitter and the standard library only; networkx on export, torch only inside ``to_pyg``.
"""

from __future__ import annotations

from graphcode.graphs.build import GraphOptions, build_graph, parse, parse_file, parse_tree, simplify, subtree
from graphcode.graphs.codegraph import (
    AST_EDGE_KINDS,
    CFG_EDGE_KINDS,
    DATAFLOW_EDGE_KINDS,
    EDGE_KINDS,
    CodeGraph,
    EdgeList,
    Node,
    Point,
)
from graphcode.graphs.languages import (
    available_languages,
    extensions,
    get_spec,
    language_for_path,
)

__all__ = [
    "AST_EDGE_KINDS",
    "CFG_EDGE_KINDS",
    "DATAFLOW_EDGE_KINDS",
    "EDGE_KINDS",
    "CodeGraph",
    "EdgeList",
    "GraphOptions",
    "Node",
    "Point",
    "available_languages",
    "build_graph",
    "extensions",
    "get_spec",
    "language_for_path",
    "parse",
    "parse_file",
    "parse_tree",
    "simplify",
    "subtree",
]
