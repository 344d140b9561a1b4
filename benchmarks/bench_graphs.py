"""Graph extraction speed and memory on the Python standard library of this machine.

Prints, measured in one run on the same files:

- bare tree-sitter parsing (the baseline): files/s and MB/s;
- graphcode with all edge kinds (AST, tokens, data flow, control flow): files/s, MB/s, and the ratio to the
  baseline; and, in the same rounds, without control flow (the kinds before it existed);
- the same with 2 worker processes, and the speed-up over one;
- peak memory (resident set) of the process, and failures (files that raise).

    .venv/bin/python benchmarks/bench_graphs.py            # a 734-file sample
    .venv/bin/python benchmarks/bench_graphs.py --files 0  # every file
    .venv/bin/python benchmarks/bench_graphs.py --lang c --dir redis/src   # a tree of another language
    GRAPHCODE_NATIVE=0 .venv/bin/python benchmarks/bench_graphs.py   # without the C accelerator

Parsing and graph building are timed in alternating rounds, and the ratio is the median of the
per-round ratios, so that a slow spell of a shared machine weighs on both sides alike.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import resource
import statistics
import sys
import sysconfig
import time
from pathlib import Path

from graphcode.graphs import CFG_EDGE_KINDS, EDGE_KINDS, GraphOptions, build_graph, native, parse_tree
from graphcode.graphs.source import validate_source


def stdlib_files(limit: int, seed: int) -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in root.rglob("*.py") if "site-packages" not in p.parts)
    random.Random(seed).shuffle(files)
    return files[:limit] if limit > 0 else files


def load(files: list[Path]) -> list[tuple[str, bytes]]:
    out = []
    for p in files:
        try:
            out.append((str(p), validate_source(p.read_bytes(), str(p), max_bytes=None)))
        except Exception:  # unreadable, not UTF-8, empty: not part of the timing
            continue
    return out


ALL_EDGES = GraphOptions(max_bytes=None)
WITHOUT_CFG = GraphOptions(edges=frozenset(EDGE_KINDS) - CFG_EDGE_KINDS, max_bytes=None)


LANG = ["python"]  # the language being measured (--lang)


def _graph_one(item: tuple[str, bytes], options: GraphOptions = ALL_EDGES) -> tuple[int, int, str | None]:
    path, data = item
    try:
        g = build_graph(data, LANG[0], options, path=path)
        return g.num_nodes, g.num_edges, None
    except Exception as err:  # counted as a failure
        return 0, 0, f"{path}: {type(err).__name__}: {err}"


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", type=int, default=734, help="sample size (0: all files)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=7, help="rounds of timings")
    ap.add_argument("--lang", default="python", help="the language of --dir's files (default: python)")
    ap.add_argument("--dir", help="measure the files of --lang under this folder instead of the standard library")
    args = ap.parse_args()

    LANG[0] = args.lang
    if args.dir:
        from graphcode.graphs.cli import iter_sources

        files = [Path(p) for p, err in iter_sources([args.dir], args.lang) if err is None]
        random.Random(args.seed).shuffle(files)
        items = load(files[:args.files] if args.files > 0 else files)
    else:
        items = load(stdlib_files(args.files, args.seed))
    mb = sum(len(d) for _, d in items) / 1e6
    print(f"python {sys.version.split()[0]}; {len(items)} {args.lang} files ({args.dir or 'stdlib'}), {mb:.1f} MB")
    print(f"graph builder: {'compiled' if native.available() else 'pure Python, in part or whole'}; {native.status()[1]}")

    def timed(fn) -> float:
        t = time.perf_counter()
        fn()
        return time.perf_counter() - t

    def best(fn) -> float:
        return min(timed(fn) for _ in range(args.repeat))

    # warm up: load grammars, compile queries
    _graph_one(items[0])

    failures: list[str] = []
    stats = {"nodes": 0, "edges": 0}

    def parses() -> None:
        for _, d in items:
            parse_tree(d, LANG[0])

    def graphs() -> None:
        failures.clear()
        stats["nodes"] = stats["edges"] = 0
        for item in items:
            n, e, err = _graph_one(item)
            stats["nodes"] += n
            stats["edges"] += e
            if err:
                failures.append(err)

    def graphs_without_cfg() -> None:
        for item in items:
            _graph_one(item, WITHOUT_CFG)

    parse_times: list[float] = []
    graph_times: list[float] = []
    plain_times: list[float] = []
    rss_parse = 0.0
    for _ in range(args.repeat):  # alternate: every side sees the same machine
        parse_times.append(timed(parses))
        rss_parse = rss_parse or peak_rss_mib()
        graph_times.append(timed(graphs))
        plain_times.append(timed(graphs_without_cfg))
    rss_graph = peak_rss_mib()
    t_parse, t_graph = min(parse_times), min(graph_times)
    ratio = statistics.median(p / g for p, g in zip(parse_times, graph_times, strict=True))
    ratio_plain = statistics.median(p / g for p, g in zip(parse_times, plain_times, strict=True))
    t_plain = min(plain_times)

    ctx = mp.get_context("fork")
    with ctx.Pool(2) as pool:
        pool.map(_graph_one, items[:4])  # start-up outside the timing
        t_two = best(lambda: pool.map(_graph_one, items, chunksize=8))

    n = len(items)
    print(f"{'':28}{'files/s':>10}{'MB/s':>8}{'ratio':>8}   (files/s, MB/s: fastest round)")
    print(f"{'bare tree-sitter parse':28}{n / t_parse:>10.0f}{mb / t_parse:>8.2f}{1.0:>8.3f}")
    print(f"{'graph, all edges, 1 proc':28}{n / t_graph:>10.0f}{mb / t_graph:>8.2f}{ratio:>8.3f}")
    print(f"{'graph, all but cfg, 1 proc':28}{n / t_plain:>10.0f}{mb / t_plain:>8.2f}{ratio_plain:>8.3f}")
    print(f"{'graph, all edges, 2 procs':28}{n / t_two:>10.0f}{mb / t_two:>8.2f}{t_parse / t_two:>8.3f}")
    print(f"graph throughput / bare parse: {ratio:.2f}, median of {args.repeat} alternating rounds "
          f"(per round: {' '.join(f'{p / g:.3f}' for p, g in zip(parse_times, graph_times, strict=True))}; "
          "target >= 0.38)")
    print(f"cost against a bare parse: {1 / ratio:.2f}x with every edge kind, {1 / ratio_plain:.2f}x with data flow but "
          f"no cfg_* kinds (target for data flow: at most 3.5x, a ratio of at least {1 / 3.5:.3f})")
    print(f"control flow's cost: all edges take {statistics.median(g / q for g, q in zip(graph_times, plain_times, strict=True)):.2f}x "
          "the time of all but the cfg_* kinds")
    print(f"fastest round of each side: {n / t_graph:.0f} vs {n / t_parse:.0f} files/s, a ratio of {t_parse / t_graph:.2f} "
          "(the two fastest rounds can fall in different spells of a shared machine)")
    print(f"speed-up with 2 workers: {t_graph / t_two:.2f}x")
    print(f"nodes {stats['nodes']:,}, edges {stats['edges']:,}")
    print(f"peak RSS: {rss_parse:.0f} MiB after parsing, {rss_graph:.0f} MiB after graphs")
    print(f"failures: {len(failures)} of {n}")
    for f in failures[:10]:
        print("  " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
