"""Is Python's data flow right? ``last_write`` against an independent oracle, beniget's def-use chains.

For every name that Python's ``ast`` loads (a use) in a sample of this machine's standard library, compare
the definitions beniget says may reach it with the targets of graphcode's ``last_write`` edges from the same
identifier. Prints exact agreement over all uses, the precision and recall of graphcode's pairs against
beniget's, and the disagreements by category, with an example of each. The categories are defined in
:data:`CATEGORIES`; those where beniget is imprecise and graphcode is right (by Python's semantics) are marked
``beniget imprecise`` and documented in ``benchmarks/README.md`` with a snippet each. The target is stated on the
uses outside them.

    .venv/bin/python benchmarks/bench_dataflow_oracle.py                # the 734-file sample of bench_graphs.py
    .venv/bin/python benchmarks/bench_dataflow_oracle.py --files 0      # every file
    .venv/bin/python benchmarks/bench_dataflow_oracle.py --show 5       # five examples per category

beniget (with gast) is a benchmark dependency: ``pip install beniget``. Definitions that beniget places outside
the file (builtins) and uses beniget resolves to nothing are compared as "no definition in the file".
"""

from __future__ import annotations

import argparse
import ast
import bisect
import contextlib
import io
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_graphs import load, stdlib_files

from graphcode.graphs import GraphOptions, build_graph, native

TARGET = 0.997
"""Exact agreement wanted on the uses outside the categories where beniget is imprecise."""

CATEGORIES: dict[str, tuple[bool, str]] = {
    # name: (beniget imprecise and graphcode right?, what it is)
    "killed-by-return": (True, "beniget keeps a definition that a return (or raise) before the use kills"),
    "killed-by-reassignment": (True, "beniget keeps a definition that a later assignment on every path kills"),
    "handler-sees-try-writes": (True, "an except handler may start after any write of its try body; beniget "
                                      "misses those writes"),
    "del-tuple": (True, "`del (a, b)` deletes both names; beniget ignores a deleted tuple"),
    "function-runs-any-time": (True, "a function body may run while its enclosing scope still runs, so it may see "
                                     "every definition of an outer name; beniget keeps only those live at the end"),
    "function-runs-again": (True, "a function that writes a global or nonlocal name may run again and read its "
                                  "own previous write; beniget links only the writes before the read"),
    "written-by-closure": (True, "a function that writes a global or nonlocal name may be called at any time "
                                 "after it is made, so a read after its definition may see its writes; beniget "
                                 "links no write inside the function to the read"),
    "star-import-placeholder": (True, "a name only a `from m import *` may bind: beniget makes a definition at the "
                                      "use itself; there is no definition in the file"),
    "walrus-in-comprehension": (True, "`(d := e) * d` in a comprehension: beniget links no definition to `d`"),
    "other": (False, "not classified: counted against the target"),
}


@dataclass
class Tally:
    uses: int = 0
    exact: int = 0
    pairs_graphcode: int = 0
    pairs_beniget: int = 0
    pairs_both: int = 0
    files: int = 0
    skipped: list[str] = field(default_factory=list)
    by_category: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


def _use_offset(node: ast.AST, lines: list[int]) -> int | None:
    """The byte offset of a name gast loads (a use), or None for any other node (or one without a position)."""
    import gast

    if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load) and hasattr(node, "lineno"):
        return lines[node.lineno - 1] + node.col_offset
    return None


def _unpositioned_offsets(tree_g: ast.AST, tree: ast.Module, source: bytes, lines: list[int]) -> dict[int, int]:
    """id(gast node) -> the byte offset of the name it binds, for the definitions gast leaves without a position:
    import aliases (ast's aliases have one) and the names of ``except E as name``."""
    import gast

    by_statement = {(n.lineno, n.col_offset): n.names for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))}
    out = {}
    for node in gast.walk(tree_g):
        if isinstance(node, (gast.Import, gast.ImportFrom)):
            for alias_g, alias in zip(node.names, by_statement.get((node.lineno, node.col_offset), []), strict=False):
                end = lines[alias.end_lineno - 1] + alias.end_col_offset
                if alias.asname:
                    out[id(alias_g)] = end - len(alias.asname.encode())
                elif alias.name != "*":
                    out[id(alias_g)] = lines[alias.lineno - 1] + alias.col_offset
        elif isinstance(node, gast.ExceptHandler) and isinstance(node.name, gast.Name):
            start = lines[node.lineno - 1] + node.col_offset
            found = re.compile(rb"\bas\s+(" + re.escape(node.name.id.encode()) + rb")\b").search(source, start)
            if found:
                out[id(node.name)] = found.start(1)
    return out


def _definition_offset(node: ast.AST, source: bytes, lines: list[int], aliases: dict[int, int]) -> int | None:
    """The byte offset of the name a definition binds, as graphcode's identifier node starts there."""
    import gast

    if id(node) in aliases:
        return aliases[id(node)]
    if getattr(node, "lineno", None) is None:  # gast makes some names without a position (an except's `as e`)
        return None
    if isinstance(node, gast.Name):
        return lines[node.lineno - 1] + node.col_offset
    if isinstance(node, (gast.FunctionDef, gast.AsyncFunctionDef, gast.ClassDef)):
        start = lines[node.lineno - 1] + node.col_offset
        keyword = b"class" if isinstance(node, gast.ClassDef) else b"def"
        at = source.find(keyword, start)
        at = source.find(node.name.encode(), at + len(keyword)) if at >= 0 else -1
        return at if at >= 0 else None
    return None


def _context(source: bytes, offset: int, lines: list[int]) -> str:
    row = bisect.bisect_right(lines, offset) - 1
    lo = max(0, row - 3)
    text = source[lines[lo]:lines[min(len(lines) - 1, row + 2)]].decode("utf-8", "replace")
    return f"line {row + 1}:\n" + "\n".join("    " + line for line in text.splitlines())


def _classify(use: int, only_beniget: set[int], only_graphcode: set[int], tree: ast.Module, source: bytes,
              lines: list[int]) -> str:
    """Which known category a disagreement falls in (see CATEGORIES), else "other"."""
    text = source
    if only_beniget == {use} and not only_graphcode:
        return "star-import-placeholder"
    if only_graphcode and not only_beniget:
        if all(_written_by_closure(tree, lines, d, use, source) for d in only_graphcode):
            return "written-by-closure"
        scope = _innermost_function(tree, lines, use)
        if scope is not None and all(scope[0] <= d < scope[1] for d in only_graphcode) \
                and _declared_outer(tree, lines, scope, source[use:use + 200]):
            return "function-runs-again"
        if all(_walrus_target(tree, lines, d) for d in only_graphcode):
            return "walrus-in-comprehension"
        if scope is not None and not any(scope[0] <= d < scope[1] for d in only_graphcode):
            return "function-runs-any-time"
        # graphcode sees a write beniget misses: inside an except handler, from the try body
        for handler_span, body_span in _handlers(tree, lines):
            if handler_span[0] <= use < handler_span[1] and all(body_span[0] <= d < body_span[1] for d in only_graphcode):
                return "handler-sees-try-writes"
    if only_beniget and not only_graphcode:
        if any(_deleted_in_tuple(tree, lines, d, use) for d in only_beniget):
            return "del-tuple"
        if all(_return_between(tree, lines, d, use) for d in only_beniget):
            return "killed-by-return"
        if all(_rebound_between(text, d, use) for d in only_beniget):
            return "killed-by-reassignment"
    return "other"


def _written_by_closure(tree: ast.Module, lines: list[int], definition: int, use: int, source: bytes) -> bool:
    """Is ``definition`` a write in a function, made before ``use`` and not holding it, that declares the name
    global or nonlocal?"""
    scope = _innermost_function(tree, lines, definition)
    return scope is not None and scope[0] < use and not scope[0] <= use < scope[1] \
        and _declared_outer(tree, lines, scope, source[definition:definition + 200])


def _declared_outer(tree: ast.Module, lines: list[int], scope: tuple[int, int], text: bytes) -> bool:
    """Is the name at the start of ``text`` declared global or nonlocal in the function spanning ``scope``?"""
    name = re.match(rb"[A-Za-z_][A-Za-z0-9_]*", text)
    for node in ast.walk(tree):
        if (isinstance(node, (ast.Global, ast.Nonlocal)) and name and name.group().decode() in node.names
                and scope[0] <= _span(node, lines)[0] < scope[1]):
            return True
    return False


def _walrus_target(tree: ast.Module, lines: list[int], offset: int) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            for inner in ast.walk(node):
                if isinstance(inner, ast.NamedExpr) and _span(inner.target, lines)[0] == offset:
                    return True
    return False


def _innermost_function(tree: ast.Module, lines: list[int], offset: int) -> tuple[int, int] | None:
    best = None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            start, end = _span(node, lines)
            if start <= offset < end and (best is None or start >= best[0]):
                best = (start, end)
    return best


def _span(node: ast.AST, lines: list[int]) -> tuple[int, int]:
    return (lines[node.lineno - 1] + node.col_offset, lines[node.end_lineno - 1] + node.end_col_offset)


def _handlers(tree: ast.Module, lines: list[int]) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Try, getattr(ast, "TryStar", ast.Try))) and node.body:
            body = (_span(node.body[0], lines)[0], _span(node.body[-1], lines)[1])
            out.extend((_span(h, lines), body) for h in node.handlers)
    return out


def _deleted_in_tuple(tree: ast.Module, lines: list[int], definition: int, use: int) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Delete):
            start = _span(node, lines)[0]
            if definition < start < use and any(isinstance(t, (ast.Tuple, ast.List)) for t in node.targets):
                return True
    return False


def _return_between(tree: ast.Module, lines: list[int], definition: int, use: int) -> bool:
    """A return or raise after the definition and before the use, in a block that holds the definition."""
    for node in ast.walk(tree):
        for block in (getattr(node, "body", None), getattr(node, "orelse", None), getattr(node, "finalbody", None)):
            if not isinstance(block, list) or not block or not isinstance(block[0], ast.stmt):
                continue
            start, end = _span(block[0], lines)[0], _span(block[-1], lines)[1]
            if not start <= definition < end:
                continue
            for stmt in block:
                s, _ = _span(stmt, lines)
                if definition < s < use and isinstance(stmt, (ast.Return, ast.Raise, ast.Continue, ast.Break)):
                    return True
    return False


def _rebound_between(source: bytes, definition: int, use: int) -> bool:
    """Another binding of the same name textually between the definition and the use (flow-insensitive test)."""
    name_end = definition
    while name_end < len(source) and (chr(source[name_end]).isalnum() or source[name_end] in b"_"):
        name_end += 1
    name = source[definition:name_end]
    between = source[name_end:use]
    return any(between[k:].lstrip().startswith(b"=") and not between[k:].lstrip().startswith(b"==")
               for k in _find_all(between, name))


def _find_all(text: bytes, name: bytes) -> list[int]:
    out, at = [], text.find(name)
    while at >= 0:
        before = text[at - 1:at]
        after = text[at + len(name):at + len(name) + 1]
        if not (before.isalnum() or before == b"_" or before == b".") and not (after.isalnum() or after == b"_"):
            out.append(at + len(name))
        at = text.find(name, at + 1)
    return out


def compare_file(path: str, source: bytes, tally: Tally, show: int) -> None:
    import beniget
    import gast

    try:
        tree_g = gast.parse(source.decode("utf-8"))
        tree = ast.parse(source)
    except (SyntaxError, ValueError) as err:
        tally.skipped.append(f"{path}: {type(err).__name__}")
        return
    chains = beniget.DefUseChains()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        chains.visit(tree_g)  # beniget warns of unbound names on the console
    graph = build_graph(source, "python", GraphOptions(max_bytes=None), path=path)
    lines = graph.line_starts()
    aliases = _unpositioned_offsets(tree_g, tree, source, lines)
    beniget_defs: dict[int, set[int]] = {}
    for node in gast.walk(tree_g):  # every use, those with no definition in the file included
        use = _use_offset(node, lines)
        if use is not None:
            beniget_defs[use] = set()
    for chain in chains.chains.values():
        where = _definition_offset(chain.node, source, lines, aliases)
        if where is None:
            continue
        for user in chain.users():
            use = _use_offset(user.node, lines)
            if use is not None:
                beniget_defs[use].add(where)

    starts = graph.start_byte
    ident = {starts[i]: i for i in range(graph.num_nodes) if graph.types[i] == "identifier"}
    graphcode_defs: dict[int, set[int]] = defaultdict(set)
    for src, dst in graph.edges["last_write"]:
        graphcode_defs[starts[src]].add(starts[dst])

    tally.files += 1
    for use, want in beniget_defs.items():
        if use not in ident:
            continue
        got = graphcode_defs.get(use, set())
        tally.uses += 1
        tally.pairs_beniget += len(want)
        tally.pairs_graphcode += len(got)
        tally.pairs_both += len(want & got)
        if want == got:
            tally.exact += 1
            continue
        category = _classify(use, want - got, got - want, tree, source, lines)
        tally.by_category[category] += 1
        if len(tally.examples[category]) < show and sum(path in e for e in tally.examples[category]) < 2:
            name = source[use:use + 40].split(b"\n")[0].decode("utf-8", "replace")
            tally.examples[category].append(
                f"{path} use {name!r} at {_context(source, use, lines)}\n"
                f"    only beniget: {sorted(bisect.bisect_right(lines, d) for d in want - got)} "
                f"only graphcode: {sorted(bisect.bisect_right(lines, d) for d in got - want)} (line numbers)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", type=int, default=734, help="sample size (0: all files)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--show", type=int, default=2, help="examples printed per category")
    args = ap.parse_args()
    try:
        import beniget  # noqa: F401
    except ImportError:
        print("bench_dataflow_oracle: expected beniget installed (pip install beniget), found none", file=sys.stderr)
        return 2
    items = load(stdlib_files(args.files, args.seed))
    print(f"python {sys.version.split()[0]}; {len(items)} stdlib files; graph builder: {native.status()[1]}")
    tally = Tally()
    started = time.perf_counter()
    for path, source in items:
        compare_file(path, source, tally, args.show)
    elapsed = time.perf_counter() - started
    precision = tally.pairs_both / max(tally.pairs_graphcode, 1)
    recall = tally.pairs_both / max(tally.pairs_beniget, 1)
    print(f"files compared {tally.files} (skipped {len(tally.skipped)}), uses {tally.uses:,}, {elapsed:.0f} s")
    print(f"exact agreement {tally.exact / max(tally.uses, 1):.2%}; "
          f"precision {precision:.4f}, recall {recall:.4f} (graphcode's pairs against beniget's)")
    print("disagreements by category:")
    documented = 0
    for name, (imprecise, what) in CATEGORIES.items():
        count = tally.by_category.get(name, 0)
        documented += count if imprecise else 0
        print(f"  {name:26} {count:7,}  {'beniget imprecise' if imprecise else 'counted':18} {what}")
    outside = tally.uses - documented
    agreement = tally.exact / max(outside, 1)
    verdict = "meets" if agreement >= TARGET else "misses"
    print(f"exact agreement outside the documented categories: {agreement:.2%} of {outside:,} uses "
          f"({verdict} the target of {TARGET:.1%})")
    for name, examples in tally.examples.items():
        for text in examples:
            print(f"\n[{name}] {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
