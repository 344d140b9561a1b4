"""Draw functions at random from a source tree and lay out their data flow for a person to judge.

A benchmark against an oracle needs an oracle; most languages have none on PyPI. This script gives the
other measure: functions drawn at random (seeded, so the sample is reproducible) from a real tree, each
printed with line numbers and, for every variable read, the definitions its ``last_write`` edges point
to. A reader checks each read against the README's data-flow semantics and writes a verdict per read:

- ``ok``: the edges are exactly the definitions that may reach the read;
- ``wrong: L:C``: an edge to a definition that cannot reach it;
- ``missing: L:C``: a definition that may reach it and has no edge.

Identifiers inside the function that take part in no data-flow edge are listed too, so that a read
with no edge at all is judged as well. The verdicts live in ``benchmarks/judged/<lang>.md``, next to
the sample this script printed; ``--check`` recounts a judged file's totals.

    .venv/bin/python benchmarks/judge_sample.py --lang c --dir redis/src --out benchmarks/judged/c.md
    .venv/bin/python benchmarks/judge_sample.py --check benchmarks/judged/c.md
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections import defaultdict
from pathlib import Path

from graphcode.graphs import CodeGraph, GraphOptions, build_graph, get_spec
from graphcode.graphs.source import validate_source

OPTIONS = GraphOptions(edges=frozenset({"child", "next_token", "last_write", "last_read", "computed_from",
                                        "cfg_entry"}), max_bytes=None)


def files_of(lang: str, root: Path) -> list[Path]:
    spec = get_spec(lang)
    exts = set(spec.extensions) | set(spec.extra.get("shared_extensions", ()))
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in exts)


NAME = re.compile(r"identifier|variable")
NOT_A_VARIABLE = re.compile(r"(type|field|property|namespace|statement|primitive|label)_")
"""Identifier kinds that never name a variable (a type, a field, a label): left out of the no-edge rows."""


def functions(g: CodeGraph) -> list[int]:
    """The function nodes of a graph: every source of a ``cfg_entry`` edge but the root."""
    return sorted({src for src, _ in g.edges.get("cfg_entry", []) if src != 0})


def _within(g: CodeGraph, fn: int) -> tuple[int, int]:
    return g.start_byte[fn], g.end_byte[fn]


def _where(g: CodeGraph, i: int) -> str:
    p = g.point(g.start_byte[i])
    return f"{p.row + 1}:{p.column + 1}"


def layout(g: CodeGraph, fn: int, path: str) -> str:
    """A function's source with line numbers, then one row per read and per identifier with no edge."""
    lo, hi = _within(g, fn)
    first = g.point(lo).row
    lines = g.source.decode("utf-8", "replace").split("\n")
    last = g.point(hi).row
    width = len(str(last + 1))
    out = [f"### `{path}` lines {first + 1}-{last + 1}", "", "```"]
    out += [f"{n + 1:>{width}}  {lines[n]}" for n in range(first, last + 1)]
    out += ["```", "", "| read | at | last_write → | verdict |", "|---|---|---|---|"]
    writes: dict[int, list[int]] = defaultdict(list)
    for src, dst in g.edges.get("last_write", []):
        if lo <= g.start_byte[src] < hi:
            writes[src].append(dst)
    in_flow = set(writes)
    for kind in ("last_write", "last_read", "computed_from"):
        for src, dst in g.edges.get(kind, []):
            in_flow.update((src, dst))
    reads = {node for pair in g.edges.get("last_read", []) for node in pair}  # a first read is only a target
    reads |= {dst for _, dst in g.edges.get("computed_from", [])}
    rows = []
    for src in writes:
        targets = ", ".join(sorted({_where(g, d) for d in writes[src]}, key=_order))
        rows.append((g.start_byte[src], f"| `{g.text(src)}` | {_where(g, src)} | {targets} | |"))
    for node in sorted(reads - set(writes)):  # a read the other edges know, with no last_write edge
        if lo <= g.start_byte[node] < hi:
            rows.append((g.start_byte[node], f"| `{g.text(node)}` | {_where(g, node)} | (no last_write edge) | |"))
    for leaf in g.leaves:
        if not lo <= g.start_byte[leaf] < hi or not g.named[leaf] or leaf in in_flow or g.parent[leaf] in in_flow:
            continue
        if NAME.search(g.types[leaf]) and not NOT_A_VARIABLE.match(g.types[leaf]):
            rows.append((g.start_byte[leaf], f"| `{g.text(leaf)}` | {_where(g, leaf)} | (no data-flow edge) | |"))
    rows.sort(key=lambda row: row[0])
    out += [row for _, row in rows]
    return "\n".join(out) + "\n"


def _order(where: str) -> tuple[int, int]:
    line, col = where.split(":")
    return int(line), int(col)


def sample(lang: str, root: Path, n: int, seed: int, min_lines: int, max_lines: int) -> list[str]:
    """``n`` functions of ``min_lines``..``max_lines`` lines, at most one per file, from files in a seeded order."""
    rng = random.Random(seed)
    paths = files_of(lang, root)
    rng.shuffle(paths)
    picked = []
    for path in paths:
        if len(picked) == n:
            break
        try:
            g = build_graph(validate_source(path.read_bytes(), str(path), max_bytes=None), lang, OPTIONS, path=str(path))
        except Exception as err:  # reported: a file that fails is a finding of its own
            print(f"{path}: {type(err).__name__}: {err}", file=sys.stderr)
            continue
        fitting = [f for f in functions(g)
                   if min_lines <= g.point(g.end_byte[f]).row - g.point(g.start_byte[f]).row + 1 <= max_lines]
        if fitting:
            picked.append(layout(g, rng.choice(fitting), str(path.relative_to(root))))
    return picked


VERDICT = re.compile(r"^\|[^|]*\|[^|]*\|[^|]*\|\s*(?P<verdict>[^|]*?)\s*\|\s*$")


def check(path: Path) -> int:
    """Count the verdicts of a judged file: reads, ``ok``, ``wrong`` and ``missing`` edges, and rows not judged."""
    counts = {"rows": 0, "ok": 0, "wrong": 0, "missing": 0, "unjudged": 0}
    for line in path.read_text(encoding="utf-8").splitlines():
        m = VERDICT.match(line)
        if not m or line.startswith("| read ") or line.startswith("|---"):
            continue
        counts["rows"] += 1
        verdict = m.group("verdict")
        if not verdict:
            counts["unjudged"] += 1
        elif verdict.startswith("ok"):
            counts["ok"] += 1
        counts["wrong"] += len(re.findall(r"wrong:\s*\d+:\d+", verdict))
        counts["missing"] += len(re.findall(r"missing:\s*\d+:\d+", verdict))
    print(" ".join(f"{k}={v}" for k, v in counts.items()))
    return 1 if counts["unjudged"] else 0


def _sections(text: str) -> dict[str, tuple[dict[str, str], list[str]]]:
    """A judged file's functions by heading: each row's verdict by the row's first three cells, and its notes."""
    out: dict[str, tuple[dict[str, str], list[str]]] = {}
    rows: dict[str, str] = {}
    notes: list[str] = []
    for line in text.splitlines():
        if line.startswith("### "):
            rows, notes = {}, []
            out[line] = (rows, notes)
        elif line.startswith("Notes:"):
            notes.append(line)
        elif (m := VERDICT.match(line)) and not line.startswith(("| read ", "|---")):
            rows[line[: line.rindex("|", 0, len(line.rstrip()) - 1)]] = m.group("verdict")
    return out


def merge(new: str, old: str) -> str:
    """``new`` with the verdicts of ``old`` on every row that did not change; a function whose rows all stayed
    keeps its notes. Changed rows are left to judge again."""
    judged = _sections(old)
    out: list[str] = []
    rows: dict[str, str] = {}
    notes: list[str] = []
    changed = False

    def close() -> None:
        if not changed and notes:
            out.extend(["", *notes])

    for line in new.splitlines():
        if line.startswith("### "):
            close()
            rows, notes = judged.get(line, ({}, []))
            changed = line not in judged
        elif VERDICT.match(line) and not line.startswith(("| read ", "|---")):
            key = line[: line.rindex("|", 0, len(line.rstrip()) - 1)]
            if rows.get(key):
                line = f"{key}| {rows[key]} |"
            else:
                changed = True
        out.append(line)
    close()
    return "\n".join(out) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lang")
    ap.add_argument("--dir", type=Path)
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--min-lines", type=int, default=5)
    ap.add_argument("--max-lines", type=int, default=40)
    ap.add_argument("--out", type=Path, help="write the sample here (default: standard output)")
    ap.add_argument("--check", type=Path, help="count the verdicts of a judged file instead")
    ap.add_argument("--merge", type=Path, help="keep this judged file's verdicts on rows that did not change")
    args = ap.parse_args()
    if args.check:
        return check(args.check)
    if not args.lang or not args.dir:
        ap.error("--lang and --dir: expected both (or --check FILE), found " + ("neither" if not (args.lang or args.dir) else "one"))
    header = (f"# Judged data flow: {args.lang}, {args.n} functions\n\n"
              f"Drawn by `benchmarks/judge_sample.py --lang {args.lang} --dir {args.dir.name} --n {args.n} "
              f"--seed {args.seed} --min-lines {args.min_lines} --max-lines {args.max_lines}`.\n\n")
    text = header + "\n".join(sample(args.lang, args.dir, args.n, args.seed, args.min_lines, args.max_lines))
    if args.merge:
        text = merge(text, args.merge.read_text(encoding="utf-8"))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
