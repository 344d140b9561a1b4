"""``graphcode graph PATH... [--lang L] [--edges KINDS] [--format F] [--out FILE|DIR] [--workers N]``.

Files or whole directory trees in; graphs out. A bad file is reported and skipped; the summary at the
end counts files, failures, nodes and edges by kind. ``jsonl`` streams one graph per line in constant
memory. Every output file is written atomically.
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import multiprocessing as mp
import os
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphcode.errors import GraphcodeError, InputError, OutputError
from graphcode.graphs import native
from graphcode.graphs.build import GraphOptions, parse_file
from graphcode.graphs.codegraph import CFG_EDGE_KINDS, DATAFLOW_EDGE_KINDS, EDGE_KINDS
from graphcode.graphs.export import MAX_PICTURE_NODES, iter_dot, iter_graphml, iter_json, render, to_dot
from graphcode.graphs.languages import extensions, get_spec, language_for_path
from graphcode.graphs.source import DEFAULT_MAX_BYTES
from graphcode.io import AtomicWriter

FORMATS = ("json", "jsonl", "graphml", "dot", "svg", "png")
SUFFIX = {"json": ".json", "graphml": ".graphml", "dot": ".dot", "svg": ".svg", "png": ".png"}
SKIP_DIRS = {".git", ".hg", ".svn", "__pycache__", "node_modules", ".venv", ".tox", ".mypy_cache"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="source files or directories (searched recursively)")
    p.add_argument("--lang", help="language of every file (default: from each file's extension)")
    p.add_argument("--edges", default="all",
                   help=f"comma-separated edge kinds: {', '.join(EDGE_KINDS)}; or the groups 'all', 'ast', 'dataflow', 'cfg' (default: all)")
    p.add_argument("--format", choices=FORMATS, default=None,
                   help="output format (default: jsonl for several files, json for one)")
    p.add_argument("--out", help="output file (one input, or jsonl) or directory (one output per input)")
    p.add_argument("--workers", type=int, default=1, help="processes to use (default: 1)")
    p.add_argument("--drop-punctuation", action="store_true", help="drop delimiter leaves such as ( ) , ;")
    p.add_argument("--collapse-chains", action="store_true", help="collapse chains of single-child nodes")
    p.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES,
                   help=f"refuse files larger than this (default: {DEFAULT_MAX_BYTES})")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                   help="skip files and folders whose name matches (repeatable), e.g. --exclude site-packages")
    p.add_argument("--summary-only", action="store_true",
                   help="build every graph and print the summary, but write no graphs")
    p.add_argument("--quiet", action="store_true", help="no progress bar, no per-file messages")
    p.add_argument("--function", metavar="NAME",
                   help="only the first function or method named NAME (one input file): its graph or picture")


@dataclass
class FileResult:
    path: str
    ok: bool
    error: str = ""
    exit_code: int = 0
    nodes: int = 0
    edges: dict[str, int] = field(default_factory=dict)
    payload: Any = None  # a JSON line, a whole output, or (in this process) an iterator of its pieces


@dataclass
class Summary:
    files: int = 0
    failed: int = 0
    empty: int = 0
    nodes: int = 0
    edges: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    def format(self) -> str:
        edges = ", ".join(f"{k}={self.edges.get(k, 0):,}" for k in EDGE_KINDS if k in self.edges)
        rate = self.files / self.seconds if self.seconds > 0 else 0.0
        empty = f", {self.empty:,} empty skipped" if self.empty else ""
        return (f"{self.files:,} files, {self.failed:,} failed{empty}, {self.nodes:,} nodes; edges: {edges or 'none'}; "
                f"{self.seconds:.1f} s ({rate:.0f} files/s)")


EMPTY = ""
"""The ``error`` that :func:`iter_sources` gives an empty file found in a directory: skipped, not failed."""


def iter_sources(paths: Iterable[str], lang: str | None, exclude: Iterable[str] = ()) -> Iterator[tuple[str, str | None]]:
    """Yield ``(path, error)`` for each source file under ``paths``; ``error`` when a path is unusable,
    :data:`EMPTY` for an empty file met in a directory (package markers such as ``__init__.py``)."""
    # a language chosen with --lang also reads its shared extensions (C++ reads `.h`, which is C's by default)
    exts = set(get_spec(lang).extensions) | set(get_spec(lang).extra.get("shared_extensions", [])) if lang \
        else set(extensions())
    exclude = list(exclude)

    def excluded(name: str) -> bool:
        return any(fnmatch.fnmatch(name, pattern) for pattern in exclude)

    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for root, dirs, files in os.walk(p, onerror=None):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith(".") and not excluded(d))
                for name in sorted(files):
                    if Path(name).suffix.lower() in exts and not excluded(name):
                        path = os.path.join(root, name)
                        try:
                            empty = os.path.getsize(path) == 0
                        except OSError:
                            empty = False
                        yield path, (EMPTY if empty else None)
        elif p.exists():
            yield str(p), None
        else:
            yield str(p), f"{p}: expected an existing file or directory, found nothing at that path"


# ------------------------------------------------------------------ worker
_JOB: dict = {}


def _init(job: dict) -> None:
    _JOB.clear()
    _JOB.update(job)


def _output_path(path: str) -> Path:
    base = _JOB["out_root"]
    rel = _JOB["relative"](path)
    return Path(base) / (rel + SUFFIX[_JOB["format"]])


def _work(path: str) -> FileResult:
    fmt = _JOB["format"]
    try:
        graph = parse_file(path, _JOB["lang"], _JOB["options"])
        if _JOB["function"]:
            try:
                graph = graph.function(_JOB["function"])
            except KeyError as err:
                raise InputError(f"{path}: --function {_JOB['function']}: {err.args[0]}") from None
        result = FileResult(path, True, nodes=graph.num_nodes, edges=graph.edge_counts())
        if _JOB["summary_only"]:
            pass
        elif fmt == "jsonl":
            result.payload = iter_json(graph) if _JOB["in_process"] else graph.to_json()
        elif _JOB["out_root"] is not None:
            with AtomicWriter(_output_path(path), "wb" if fmt in PICTURES else "w") as f:
                for piece in _render(graph, fmt):
                    f.write(piece)
        elif _JOB["in_process"]:
            result.payload = _render(graph, fmt)  # pieces, written as they come  # type: ignore[assignment]
        else:
            result.payload = b"".join(_render(graph, fmt)) if fmt in PICTURES else "".join(_render(graph, fmt))
        return result
    except GraphcodeError as err:
        return FileResult(path, False, str(err), err.exit_code)
    except RecursionError as err:  # never expected: every walk is iterative
        return FileResult(path, False, f"{path}: internal recursion limit: {err}", 1)


PICTURES = ("svg", "png")


def _render(graph, fmt: str) -> Iterator[str] | Iterator[bytes]:
    """The output of one graph in pieces: JSON, GraphML and DOT stream (bounded memory for large files)."""
    if fmt == "json":
        return iter_json(graph)
    if fmt == "graphml":
        return iter_graphml(graph)
    if fmt == "dot":
        return iter_dot(graph)
    return iter((render(to_dot(graph, max_nodes=MAX_PICTURE_NODES), fmt),))


@dataclass(frozen=True)
class RelativeTo:
    """A file's path relative to the input root it came from (its name when none holds it); picklable, so that
    worker processes started with ``spawn`` get it too."""

    roots: tuple[Path, ...]

    @classmethod
    def of(cls, roots: Iterable[Path]) -> RelativeTo:
        return cls(tuple(r.resolve() for r in roots))

    def __call__(self, path: str) -> str:
        p = Path(path).resolve()
        for r in self.roots:
            base = r if r.is_dir() else r.parent
            try:
                return str(p.relative_to(base))
            except ValueError:
                continue
        return p.name


def _start_method() -> str:
    """``fork`` where the platform has it (fast start), else ``spawn``; every job works under both."""
    return "fork" if "fork" in mp.get_all_start_methods() and sys.platform != "darwin" else "spawn"


# ------------------------------------------------------------------ command
def _warn_missing_kinds(options: GraphOptions, lang: str | None, paths: list[str]) -> None:
    """Say which requested edge kinds a language cannot give (no data-flow queries), once per language."""
    wanted = sorted(options.edges & (DATAFLOW_EDGE_KINDS | CFG_EDGE_KINDS), key=EDGE_KINDS.index)
    if not wanted:
        return
    langs = {lang} if lang else set()
    if not lang:
        for path in paths:
            with contextlib.suppress(GraphcodeError):
                langs.add(language_for_path(path))
    for name in sorted(n for n in langs if not get_spec(n).has_dataflow):
        flow = [k for k in wanted if not k.startswith("cfg_")]
        kinds = ", ".join(flow + (["cfg_*"] if len(flow) < len(wanted) else []))
        print(f"graphcode graph: warning: {name} has no data-flow queries (grammars/{name}/dataflow.scm): its graphs "
              f"get no {kinds} edges", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    lang = get_spec(args.lang).name if args.lang else None
    options = GraphOptions.from_kinds(args.edges, drop_punctuation=args.drop_punctuation,
                                      collapse_chains=args.collapse_chains, max_bytes=args.max_bytes)
    if args.workers < 1:
        raise InputError(f"--workers: expected a whole number of at least 1, found {args.workers}")
    sources = list(iter_sources(args.paths, lang, args.exclude))
    single = len(args.paths) == 1 and not Path(args.paths[0]).is_dir()
    fmt = args.format or ("json" if single else "jsonl")
    if not sources:
        raise InputError(f"{', '.join(args.paths)}: expected source files, found none with a known extension")

    out_file: Path | None = None
    out_root: Path | None = None
    if args.out:
        out = Path(args.out)
        if fmt == "jsonl" or (single and not out.is_dir() and not args.out.endswith(os.sep)):
            out_file = out
        else:
            if not single and out.suffix.lower() == SUFFIX[fmt] and not out.exists():
                raise InputError(f"--out {args.out}: expected a folder for the {fmt} files of {len(sources)} inputs, "
                                 "found a file name; give a folder (it is created) or --format jsonl for one file")
            out_root = out
            try:
                out_root.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise OutputError(f"{out_root}: expected a folder we can create, found: {err.strerror or err}") from None
            if not os.access(out_root, os.W_OK):
                raise OutputError(f"{out_root}: expected a writable folder, found it is not writable")
    elif not single and fmt != "jsonl" and not args.summary_only:
        raise InputError(f"--out: expected a directory for {fmt} output of several files, found none "
                         "(or use --format jsonl to stream to standard output)")

    # an explicit single file with an unknown extension is an error, not a skip
    if single and lang is None:
        language_for_path(sources[0][0])
    if args.edges not in ("", "all"):  # asked for by name: say which the languages cannot give
        _warn_missing_kinds(options, lang, [path for path, err in sources if err is None])

    if args.summary_only and args.out:
        raise InputError("--summary-only: expected no --out (nothing is written), found --out " + args.out)
    if args.function and not single:
        raise InputError(f"--function {args.function}: expected one input file, found {len(args.paths)} paths "
                         "(or a directory)")
    if not args.quiet:
        native.notice_fallback()
    in_process = not (args.workers > 1 and len(sources) > 1)
    job = {"function": args.function, "in_process": in_process, "lang": lang, "options": options, "format": fmt, "summary_only": args.summary_only, "out_root": str(out_root) if out_root else None,
           "relative": RelativeTo.of(Path(p) for p in args.paths)}
    summary = Summary()
    started = time.perf_counter()
    progress = _progress(len(sources), args.quiet)
    paths = [p for p, err in sources if err is None]
    bad = [(p, err) for p, err in sources if err is not None]
    last_code = 0
    for _path, err in bad:
        summary.files += 1
        if err == EMPTY:
            summary.empty += 1
            progress.update(1)
            continue
        summary.failed += 1
        last_code = InputError.exit_code
        if not args.quiet:
            progress.write(f"{err}", file=sys.stderr)
        progress.update(1)

    sink = AtomicWriter(out_file, "wb" if fmt in ("svg", "png") else "w") if out_file is not None else None
    stream = sink.__enter__() if sink is not None else None
    pool = None
    try:
        if args.workers > 1 and len(paths) > 1:
            ctx = mp.get_context(_start_method())
            pool = ctx.Pool(args.workers, initializer=_init, initargs=(job,))
            results: Iterable[FileResult] = pool.imap(_work, paths, chunksize=4)
        else:
            _init(job)
            results = map(_work, paths)
        for res in results:
            summary.files += 1
            progress.update(1)
            if not res.ok:
                summary.failed += 1
                last_code = res.exit_code
                if not args.quiet:
                    progress.write(f"{res.error}", file=sys.stderr)
                continue
            summary.nodes += res.nodes
            summary.edges.update(res.edges)
            if res.payload is not None:
                pieces = [res.payload] if isinstance(res.payload, (str, bytes)) else res.payload
                out = stream if stream is not None else sys.stdout.buffer if fmt in PICTURES else sys.stdout
                last = ""
                for piece in pieces:
                    out.write(piece)
                    last = piece
                if fmt == "jsonl" or (stream is None and isinstance(last, str) and not last.endswith("\n")):
                    out.write("\n")
    except BaseException as exc:
        if pool is not None:
            pool.terminate()
        if sink is not None:
            sink.__exit__(type(exc), exc, exc.__traceback__)
        raise
    finally:
        progress.close()
    if pool is not None:
        pool.close()
        pool.join()
    if sink is not None:
        if summary.files > summary.failed:
            sink.__exit__(None, None, None)
        else:  # nothing succeeded: leave no (empty) output file behind
            sink.__exit__(RuntimeError, RuntimeError("no graph"), None)
    summary.seconds = time.perf_counter() - started
    if not args.quiet or summary.failed:
        print(f"graphcode graph: {summary.format()}", file=sys.stderr)
    if summary.failed:
        if single and summary.files == 1:
            return last_code or 1
        return 1
    return 0


class _NoProgress:
    def update(self, n: int = 1) -> None:
        pass

    def write(self, message: str, file=None) -> None:
        print(message, file=file or sys.stderr)

    def close(self) -> None:
        pass


def _progress(total: int, quiet: bool):
    if quiet or total < 2:
        return _NoProgress()
    from tqdm import tqdm

    return tqdm(total=total, unit="file", file=sys.stderr, mininterval=0.5, dynamic_ncols=True, desc="graph")


__all__ = ["EMPTY", "add_arguments", "iter_sources", "run"]
