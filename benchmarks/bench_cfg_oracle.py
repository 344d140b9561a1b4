"""Is Python's control flow right? graphcode's ``cfg_*`` edges against python-graphs' control-flow graph.

python-graphs (Google Research) builds a CFG of instructions: tests, targets, calls, arguments. Both graphs
are reduced to edges between statements, keyed by where each statement starts: a python-graphs instruction
stands for the innermost statement (or ``except`` handler) around it, and an edge between two instructions of
one statement is dropped. python-graphs has no instruction for ``pass``, ``break``, ``continue``, ``try`` or
``nonlocal``,
so graphcode's edges through those statements are joined around them
(``x -> break -> y`` becomes ``x -> y``); it has no exit node, so ``cfg_exit`` is left out. The edges are
compared as sets per file over the files both tools read. Prints agreement (the share of the union that
both have), precision and recall of graphcode's edges against python-graphs', the disagreements by category
with an example each, and the time of each tool on the same files in the same run.

    .venv/bin/python benchmarks/bench_cfg_oracle.py               # the 734-file sample of bench_graphs.py
    .venv/bin/python benchmarks/bench_cfg_oracle.py --files 100 --show 3

python-graphs is a benchmark dependency (``pip install --no-deps python-graphs astunparse``; it needs gast
and six, and not the pygraphviz it lists). Files it cannot read (it predates ``match``, for one) are counted
and skipped.
"""

from __future__ import annotations

import argparse
import bisect
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_graphs import load, stdlib_files

from graphcode.graphs import GraphOptions, build_graph
from graphcode.graphs.codegraph import CFG_KINDS

Key = tuple[int, int]
"""A statement: (1-based line, byte column) of its start."""

JOINED = {"pass_statement", "break_statement", "continue_statement", "try_statement", "nonlocal_statement"}
"""graphcode statements without a python-graphs instruction: edges are joined around them."""

CATEGORIES: dict[str, str] = {
    "class-body": "an end in a class body or at a class statement: graphcode enters the class statement, then "
                  "runs its body (the statement stands for its header); python-graphs runs the body first and "
                  "reaches the class statement last, where the name is bound",
    "async-def": "an `async def` and its body: python-graphs (1.2.3) leaves them out; graphcode does not",
    "with": "a with statement and its body: python-graphs (1.2.3, on this gast) leaves both out, so it links "
            "the statement before the with to the one after it; graphcode runs the with, then its body",
    "function-entry": "a function without parameters: python-graphs has no instruction for its empty "
                      "parameter list, so nothing leads from the def into its body; graphcode's cfg_entry does",
    "bare-except": "a bare `except:` tests nothing: python-graphs has no instruction for it and goes straight "
                   "into its body; graphcode keeps the handler's statement",
    "into-handler": "which statements an exception leaves for a handler: graphcode every statement of the try "
                    "body, into the first handler only; python-graphs each instruction, into each handler",
    "finally": "an edge into or out of a finally: graphcode enters a copy of the finally for a return, break, "
               "continue or exception and leaves it for the function's exit; python-graphs keeps one finally "
               "and leads it to every way out",
    "loop-else": "an edge into or out of a loop's else",
    "other": "not classified",
}


def _ours(source: bytes) -> set[tuple[Key, Key]]:
    graph = build_graph(source, "python", GraphOptions.from_kinds("cfg"))
    succ: dict[int, set[int]] = defaultdict(set)
    for kind in CFG_KINDS:
        if kind != "cfg_exit":
            for a, b in graph.edges[kind]:
                succ[a].add(b)
    joined = {n for n in list(succ) + [b for bs in succ.values() for b in bs] if graph.types[n] in JOINED}
    for n in sorted(joined):  # x -> n -> y becomes x -> y
        outs = succ.pop(n, set()) - {n}
        for a in succ:
            if n in succ[a]:
                succ[a].discard(n)
                succ[a] |= outs - {a} if a in joined else outs
    def key(n: int) -> Key:
        point = graph.point(graph.start_byte[n])
        return (point.row + 1, point.column)

    return {(key(a), key(b)) for a, bs in succ.items() if a != 0 for b in bs if key(a) != key(b)}


def _theirs(source: bytes) -> tuple[set[tuple[Key, Key]], dict[Key, set[str]]]:
    """python-graphs' statement edges, and tags of each statement for the categories."""
    import gast
    from python_graphs import control_flow, program_utils

    tree = program_utils.program_to_ast(source.decode("utf-8"))
    owner: dict[int, Key] = {}
    tags: dict[Key, set[str]] = {}

    def visit(node: object, current: Key | None, context: frozenset[str]) -> None:
        if isinstance(node, (gast.stmt, gast.ExceptHandler)):
            current = (node.lineno, node.col_offset)
            kind = {gast.ClassDef: "class", gast.ExceptHandler: "handler", gast.With: "with",
                    gast.AsyncWith: "with", gast.FunctionDef: "def", gast.AsyncFunctionDef: "async-def"}.get(type(node))
            if kind == "handler" and node.type is None:
                kind = "bare-except"
            elif kind == "def" and not (node.args.args or node.args.posonlyargs or node.args.kwonlyargs
                                        or node.args.vararg or node.args.kwarg):
                kind = "def-no-parameters"
            tags[current] = set(context) | ({kind} if kind else set())
        if current is not None:
            owner[id(node)] = current
        for field, value in gast.iter_fields(node):
            inner = context
            if isinstance(node, gast.ClassDef) and field == "body":
                inner = context | {"class-body"}
            elif isinstance(node, gast.FunctionDef) and field == "body":
                inner = context - {"class-body"}
            elif isinstance(node, gast.AsyncFunctionDef) and field == "body":
                inner = (context - {"class-body"}) | {"async-def"}
            elif isinstance(node, (gast.With, gast.AsyncWith)) and field == "body":
                inner = context | {"with"}
            elif isinstance(node, gast.Try) and field == "finalbody":
                inner = context | {"finally"}
            elif isinstance(node, (gast.For, gast.AsyncFor, gast.While)) and field == "orelse":
                inner = context | {"loop-else"}
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, gast.AST):
                    visit(child, current, inner)

    visit(tree, None, frozenset())
    visitor = control_flow.ControlFlowVisitor()
    visitor.run(tree)
    edges = set()
    for node in visitor.graph.get_control_flow_nodes():
        a = owner.get(id(node.instruction.node))
        for nxt in node.next or ():
            b = owner.get(id(nxt.instruction.node))
            if a is not None and b is not None and a != b:
                edges.add((a, b))
    return edges, tags


def _classify(edge: tuple[Key, Key], tags: dict[Key, set[str]], withs: list[Key]) -> str:
    a, b = tags.get(edge[0], set()), tags.get(edge[1], set())
    if "async-def" in a or "async-def" in b:
        return "async-def"
    if "class" in a or "class" in b or "class-body" in a or "class-body" in b:
        return "class-body"
    low, high = min(edge), max(edge)
    if "with" in a or "with" in b or bisect.bisect_right(withs, low) < bisect.bisect_left(withs, high):
        return "with"  # an end in a with, or a with between them (that python-graphs skipped)
    if "def-no-parameters" in a and edge[1] > edge[0]:
        return "function-entry"
    if "bare-except" in a or "bare-except" in b:
        return "bare-except"
    if "handler" in b:
        return "into-handler"
    if "finally" in a or "finally" in b:
        return "finally"
    if "loop-else" in a or "loop-else" in b:
        return "loop-else"
    return "other"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=734, help="files from the standard library (0: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--show", type=int, default=1, help="examples to print per category")
    args = parser.parse_args()
    try:
        import python_graphs  # noqa: F401
    except ImportError:
        print("python-graphs is not installed: pip install --no-deps python-graphs astunparse", file=sys.stderr)
        return 9
    items = load(stdlib_files(args.files, args.seed))
    both = only_ours = only_theirs = 0
    skipped = 0
    t_ours = t_theirs = 0.0
    tally: Counter[str] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    for path, source in items:
        start = time.perf_counter()
        try:
            theirs, tags = _theirs(source)
        except Exception:  # a file python-graphs cannot read is skipped, and counted
            skipped += 1
            continue
        t_theirs += time.perf_counter() - start
        start = time.perf_counter()
        ours = _ours(source)
        t_ours += time.perf_counter() - start
        both += len(ours & theirs)
        only_ours += len(ours - theirs)
        only_theirs += len(theirs - ours)
        lines = source.split(b"\n")
        withs = sorted(k for k, t in tags.items() if "with" in t and not t - {"with", "class-body", "finally",
                                                                                  "loop-else"})
        for side, diff in (("graphcode only", ours - theirs), ("python-graphs only", theirs - ours)):
            for edge in sorted(diff):
                category = _classify(edge, tags, withs)
                tally[(category, side)] += 1
                if len(examples[(category, side)]) < args.show:
                    (a, b) = edge
                    examples[(category, side)].append(
                        f"{path}:{a[0]} -> {b[0]}: {lines[a[0] - 1].strip()[:60]!r} -> {lines[b[0] - 1].strip()[:60]!r}")
    union = both + only_ours + only_theirs
    read = len(items) - skipped
    print(f"files: {read} compared, {skipped} python-graphs could not read")
    print(f"statement edges: {union:,} in either; both {both:,}, graphcode only {only_ours:,}, python-graphs only "
          f"{only_theirs:,}")
    if union:
        print(f"agreement {both / union:.2%}   precision {both / max(both + only_ours, 1):.4f}   "
              f"recall {both / max(both + only_theirs, 1):.4f}")
    print(f"time on the same files: graphcode {t_ours:.2f} s (graph with cfg edges only), python-graphs "
          f"{t_theirs:.2f} s; python-graphs / graphcode = {t_theirs / max(t_ours, 1e-9):.2f}x")
    other = tally[("other", "graphcode only")] + tally[("other", "python-graphs only")]
    print(f"agreement outside the documented categories: {both / max(both + other, 1):.2%} "
          f"({other:,} unclassified edges)")
    print("disagreements by category:")
    for (category, side), count in tally.most_common():
        print(f"  {category:12s} {side:18s} {count:7,}  {CATEGORIES[category]}")
        for line in examples[(category, side)]:
            print(f"      {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
