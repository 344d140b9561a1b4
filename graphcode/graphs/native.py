"""The compiled path of graph building: the tree walk and query in C, the data-flow passes compiled by mypyc.

Building a graph reads every AST node and runs the data-flow query. Through py-tree-sitter that is
about five Python-level calls per node, which costs as much as the parse itself. ``_native.c`` does
the parse, the walk and the query against tree-sitter's C API and returns plain lists; it holds no
data-flow logic. Its text predicates (``#eq?``, ``#match?``, ``#any-of?``) follow py-tree-sitter's rules
exactly, ``#match?`` with Python's ``re``. The data-flow passes exist once, in ``passes.py``: typed
Python that mypyc compiles into a module of its own (``_graphcode_passes-<digest of passes.py>``), so the
compiled passes are that source and an edited source is never paired with a stale build.

The C module is compiled against the C runtime of the installed py-tree-sitter release (its source
distribution, from the package index, checked against a pinned SHA-256), because py-tree-sitter's binary does
not export that API. The compiler and Python's headers are checked before anything is fetched. The steps are in
:mod:`graphcode.graphs._compile`, which the package build (``setup.py``'s ``build_ext``) runs too: a wheel built
where a compiler is carries both modules. After an editable install, or to rebuild, both go next to this file
when the package folder is writable (a source checkout), else into the user's cache (``$GRAPHCODE_NATIVE_DIR``,
default ``~/.cache/graphcode/native``), where graphcode looks for them too::

    graphcode native build    # fetch the runtime source once, compile both, check
    graphcode native status   # which path is in use, and if not, why

Without a C compiler (or without mypy, for the passes) graphcode runs the pure-Python path, slower but the same
program, and the commands that build graphs say so once on stderr. ``GRAPHCODE_NATIVE=0`` turns both off.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import importlib.util
import os
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from graphcode.graphs import _compile
from graphcode.graphs._compile import ABI, PASSES_MODULE
from graphcode.graphs.languages import get_spec, kind_table, language_capsule

_HERE = Path(__file__).resolve().parent
_SOURCE = _HERE / "_native.c"


@dataclass(frozen=True)
class NativeEngine:
    """A language's compiled engine, with what the Python side needs to read its output."""

    engine: Any
    """``_native.Engine``: ``build(source, collect)``."""
    collect: bytes
    """``collect[k] != 0``: list nodes of kind id ``k`` (the data-flow engine's catch-all references)."""
    capture_names: tuple[str, ...]
    """The query's capture names by capture id (empty without a query)."""


def _turned_off() -> bool:
    return os.environ.get("GRAPHCODE_NATIVE", "1") == "0"


def _load_extension(name: str, path: Path) -> ModuleType:
    """Load the extension module at ``path`` as ``name`` and register it in ``sys.modules`` (dataclasses look their
    module up there while it initialises); ImportError if it does not load."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{path}: expected an extension module, found none")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    try:
        spec.loader.exec_module(mod)
    except ImportError:
        del sys.modules[name]
        raise
    return mod


def _module() -> tuple[Any | None, str]:
    """The compiled module and "ok", or None and why it is not used."""
    if _turned_off():
        return None, "turned off by GRAPHCODE_NATIVE=0"
    try:
        mod = importlib.import_module("graphcode.graphs._native")
    except ImportError as err:
        mod = _from_cache()
        if mod is None:
            return None, f"not built ({err}); run: graphcode native build"
    installed = _tree_sitter_version()
    if getattr(mod, "ABI", None) != ABI or getattr(mod, "TREE_SITTER_VERSION", None) != installed:
        return None, (f"built for ABI {getattr(mod, 'ABI', '?')} and tree-sitter {getattr(mod, 'TREE_SITTER_VERSION', '?')}, "
                      f"expected ABI {ABI} and tree-sitter {installed}; rebuild: graphcode native build")
    return mod, "ok"


def cache_dir() -> Path:
    """Where a module built for an unwritable package folder goes: ``$GRAPHCODE_NATIVE_DIR``, else
    ``$XDG_CACHE_HOME/graphcode/native`` (``~/.cache/graphcode/native``)."""
    env = os.environ.get("GRAPHCODE_NATIVE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "graphcode" / "native"


def _from_cache() -> Any | None:
    """The module built into :func:`cache_dir` for this Python and tree-sitter, or None."""
    path = cache_dir() / f"tree-sitter-{_tree_sitter_version()}" / f"_native{_compile.ext_suffix()}"
    if not path.is_file():
        return None
    try:
        return _load_extension("graphcode.graphs._native", path)
    except ImportError:
        return None


@cache
def status() -> tuple[bool, str]:
    """(both parts in use, a line that says for each why or why not)."""
    mod, why = _module()
    walk = f"in use: {mod.__file__}" if mod is not None else why
    compiled, passes_why = _compiled_passes()
    return mod is not None and compiled is not None, f"tree walk and query: {walk}; data-flow passes: {passes_why}"


def available() -> bool:
    return status()[0]


def notice_fallback() -> bool:
    """Say once on stderr when graphs are built by the pure-Python path though the compiled one was not turned off
    (``GRAPHCODE_NATIVE=0``); True when it said so. Commands that build graphs call it unless ``--quiet``."""
    if _turned_off() or available() or _NOTICED:
        return False
    _NOTICED.append(True)
    print(f"graphcode: graphs are built by the pure-Python path (the same graphs, slower): {status()[1]}",
          file=sys.stderr)
    return True


_NOTICED: list[bool] = []


_PASSES_SOURCE = _HERE / "passes.py"


def _passes_file() -> str:
    """The compiled passes' file name: it carries a digest of ``passes.py``, so an edited source is never
    paired with a stale build."""
    return _compile.passes_file(_PASSES_SOURCE)


@cache
def _compiled_passes() -> tuple[ModuleType | None, str]:
    """The mypyc build of ``passes.py`` and where it is, or None and why it is not used (looked up once)."""
    if _turned_off():
        return None, "turned off by GRAPHCODE_NATIVE=0"
    name = _passes_file()
    for folder in (_HERE, cache_dir()):
        path = folder / name
        if not path.is_file():
            continue
        try:
            return _load_extension(PASSES_MODULE, path), f"compiled (mypyc): {path}"
        except ImportError as err:
            return None, f"{path} does not load ({err}); rebuild: graphcode native build"
    return None, f"not compiled for this passes.py (no {name}); run: graphcode native build"


@cache
def passes() -> ModuleType:
    """The data-flow passes: ``passes.py`` compiled by mypyc when that build is current, else the module itself.
    Both are the same program (the compiled one is built from this very source)."""
    mod, _ = _compiled_passes()
    if mod is not None:
        return mod
    from graphcode.graphs import passes as pure

    return pure


@cache
def engine_for(lang: str, with_query: bool) -> NativeEngine | None:
    """The compiled engine of a language (with its data-flow query or without), or None: not built,
    turned off, or a query the C side cannot evaluate (then the Python path runs it)."""
    mod, _ = _module()
    if mod is None:
        return None
    spec = get_spec(lang)
    text = None
    collect = b""
    if with_query:
        from graphcode.graphs.dataflow import flow_query

        fq = flow_query(spec.name)
        text = fq.text.encode("utf-8")
        if fq.reference_kinds:
            table = bytearray(max(fq.reference_kinds) + 1)
            for k in fq.reference_kinds:
                table[k] = 1
            collect = bytes(table)
    try:
        table = kind_table(spec.name)
        engine = mod.Engine(language_capsule(spec.name), table.names, table.named, text)
    except ValueError:  # e.g. a predicate only py-tree-sitter evaluates
        return None
    return NativeEngine(engine=engine, collect=collect, capture_names=tuple(engine.capture_names()))


# ------------------------------------------------------------------ building
def _tree_sitter_version() -> str:
    return importlib.metadata.version("tree-sitter")


def build_walk(source_cache: Path | None = None, quiet: bool = False) -> Path:
    """Compile ``_native`` (atomically) next to this file, or into :func:`cache_dir` when the package folder is not
    writable, and return its path. The compiler and Python's headers are checked before anything is fetched."""
    version = _tree_sitter_version()
    cc = _compile.compiler()
    folder = _HERE if os.access(_HERE, os.W_OK) else cache_dir() / f"tree-sitter-{version}"
    lib = _compile.runtime_source(source_cache or (Path(sys.prefix) / "src" if os.access(sys.prefix, os.W_OK)
                                                   else cache_dir() / "src"), version)
    if not quiet:
        print("graphcode: compiling graphcode/graphs/_native.c with the tree-sitter runtime", file=sys.stderr)
    target = _compile.compile_walk(_SOURCE, lib, folder, version, cc, train_root=_HERE.parent.parent)
    # check it in a fresh interpreter: it must import and match this install
    check = subprocess.run([sys.executable, "-c", "from graphcode.graphs import native; import sys; "
                            "sys.exit(native._module()[0] is None)"], capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"{target}: expected a module that loads, found: {check.stdout.strip()} {check.stderr.strip()}")
    return target


def build(source_cache: Path | None = None, quiet: bool = False) -> list[Path]:
    """Build both parts: the tree walk and query (:func:`build_walk`) and the data-flow passes (:func:`build_passes`)."""
    return [build_walk(source_cache, quiet), build_passes(quiet)]


def build_passes(quiet: bool = False) -> Path:
    """Compile ``passes.py`` with mypyc (atomically) next to this file, or into :func:`cache_dir` when the package
    folder is not writable, and return its path. Older builds of other sources are removed."""
    folder = _HERE if os.access(_HERE, os.W_OK) else cache_dir()
    if not quiet:
        print("graphcode: compiling graphcode/graphs/passes.py with mypyc", file=sys.stderr)
    return _compile.compile_passes(_PASSES_SOURCE, folder, train_root=_HERE.parent.parent)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("command", choices=["build", "status"],
                        help="build: fetch tree-sitter's C runtime source, compile the walk and query, and compile "
                             "the data-flow passes with mypyc; status: which parts are in use")
    parser.add_argument("--optional", action="store_true",
                        help="build: on failure, warn and exit 0 (graphs are then built in pure Python)")


def run(args: argparse.Namespace) -> int:
    if args.command == "status":
        ok, why = status()
        print(f"graphcode native: {why}")
        return 0 if ok else 1
    try:
        paths = build()
    except (OSError, RuntimeError, subprocess.CalledProcessError) as err:
        print(f"graphcode native: could not build the compiled path: {err}", file=sys.stderr)
        if args.optional:
            print("graphcode native: graphs will be built by the pure-Python path (the same graphs, slower)",
                  file=sys.stderr)
            return 0
        return 1
    for path in paths:
        print(f"graphcode native: built {path}")
    return 0
