"""The graph of one function, its data flow, and its picture.

    python examples/function_graph.py                       # posixpath.basename from this machine's stdlib
    python examples/function_graph.py FILE NAME --out DIR

Prints the function's nodes and edges by kind, each variable use with the writes that reach it, and writes
the whole graph (``NAME.dot``, ``NAME.svg`` with Graphviz) and its data flow alone (``NAME.dataflow.svg``).
"""

from __future__ import annotations

import argparse
import posixpath
from pathlib import Path

import graphcode
from graphcode.graphs.export import GraphvizNotFoundError, render


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("file", nargs="?", default=posixpath.__file__)
    parser.add_argument("name", nargs="?", default="basename")
    parser.add_argument("--out", default="runs/examples", help="where the pictures go")
    args = parser.parse_args(argv)

    source = Path(args.file).read_text(encoding="utf-8")
    graph = graphcode.parse(source, "python").function(args.name)  # renumbered from 0
    print(graph)
    for use, write in graph.edges["last_write"]:
        print(f"  {graph.text(use)!r} at line {graph.node(use).start_point.row + 1} (of the function) reads "
              f"the write at line {graph.node(write).start_point.row + 1}")

    nx_graph = graph.to_networkx()  # a MultiDiGraph: every edge's key is its kind
    print(f"networkx: {nx_graph.number_of_nodes()} nodes, {nx_graph.number_of_edges()} edges")

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{args.name}.dot").write_text(graph.to_dot(), encoding="utf-8")
    try:
        (out / f"{args.name}.svg").write_bytes(render(graph.to_dot(), "svg"))
        dataflow = graph.to_dot(edges={"last_write", "last_read", "computed_from"})
        (out / f"{args.name}.dataflow.svg").write_bytes(render(dataflow, "svg"))
        print(f"wrote {out / args.name}.svg and {args.name}.dataflow.svg")
    except GraphvizNotFoundError as err:
        print(f"wrote {out / args.name}.dot; no SVG: {err}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
