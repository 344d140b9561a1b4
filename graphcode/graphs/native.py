"""The optional C accelerator for graph building: ``graphcode.graphs._native``.

Building a graph reads every AST node and runs the data-flow query. Through py-tree-sitter that is
about five Python-level calls per node, which costs as much as the parse itself. ``_native.c`` does
the parse, the walk and the query against tree-sitter's C API and returns plain lists; it also
holds the data-flow engine's passes over events (names, control flow, may-reach, computed-from).
Reading the query's captures and settings stays Python. Both paths give identical graphs (the tests
compare them, and each C pass with its Python counterpart).

The module is compiled against the C runtime of the installed py-tree-sitter release (its source
distribution, from the package index, checked against a pinned SHA-256), because py-tree-sitter's binary does
not export that API. The compiler and Python's headers are checked before anything is fetched. The module goes
next to this file when the package folder is writable (a source checkout), else into the user's cache
(``$GRAPHCODE_NATIVE_DIR``, default ``~/.cache/graphcode/native``), where graphcode looks for it too::

    graphcode native build    # fetch the runtime source once, compile, check
    graphcode native status   # is it in use? if not, why

``make`` runs the build. Without a C compiler or Python headers graphcode runs the pure-Python
path, slower but the same. ``GRAPHCODE_NATIVE=0`` turns the accelerator off.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from graphcode.graphs.languages import get_spec, kind_table, language_capsule

ABI = 9
"""Bumped whenever ``_native.c``'s interface changes; a module built for another ABI is not used."""
RUNTIME_SDIST_SHA256: dict[str, str] = {
    "0.25.2": "fe43c158555da46723b28b52e058ad444195afd1db3ca7720c59a254544e9c20",
}
"""SHA-256 of py-tree-sitter's source distribution by version: the fetched runtime source must match."""
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


def _module() -> tuple[Any | None, str]:
    """The compiled module and "ok", or None and why it is not used."""
    if os.environ.get("GRAPHCODE_NATIVE", "1") == "0":
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


def _module_name() -> str:
    return f"_native{sysconfig.get_config_var('EXT_SUFFIX') or '.so'}"


def _from_cache() -> Any | None:
    """The module built into :func:`cache_dir` for this Python and tree-sitter, or None."""
    import importlib.util

    path = cache_dir() / f"tree-sitter-{_tree_sitter_version()}" / _module_name()
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location("graphcode.graphs._native", path)
    if spec is None or spec.loader is None:
        return None
    mod = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(mod)
    except ImportError:
        return None
    sys.modules["graphcode.graphs._native"] = mod
    return mod


@cache
def status() -> tuple[bool, str]:
    """(in use, a line that says why or why not)."""
    mod, why = _module()
    if mod is None:
        return False, why
    return True, f"in use: {mod.__file__}"


def available() -> bool:
    return status()[0]


@dataclass(frozen=True)
class NativePasses:
    """The data-flow passes of :mod:`graphcode.graphs.dataflow` in C, each equal to its Python counterpart."""

    events: Any
    """The event list of ``dataflow_edges``."""
    resolve: Any
    """The scope sweep of events, then ``_resolve``."""
    flow_cfg: Any
    """``_schedule`` then ``_build_cfg`` (the control-flow graph, from the same inputs)."""
    reach: Any
    """``_reach``, the may-reach analysis."""
    computed_from: Any
    """``_group_assignments`` then ``_computed_from``."""
    definition_codes: dict[str, int]
    """How ``resolve`` reads definition settings: placement names and hoisting as bits."""


@cache
def native_passes() -> NativePasses | None:
    """The compiled data-flow passes, or None (not built, or turned off)."""
    mod, _ = _module()
    if mod is None:
        return None
    return NativePasses(events=mod.events, resolve=mod.resolve, flow_cfg=mod.flow_cfg, reach=mod.reach,
                        computed_from=mod.computed_from, definition_codes=dict(mod.DEFINITION_CODES))


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


def _runtime_source(cache_dir: Path, version: str) -> Path:
    """tree-sitter's C runtime (``lib/``) of ``version``, from py-tree-sitter's source distribution."""
    lib = cache_dir / f"tree-sitter-{version}" / "lib"
    if (lib / "src" / "lib.c").is_file() and (lib / "include" / "tree_sitter" / "api.h").is_file():
        return lib
    digest = RUNTIME_SDIST_SHA256.get(version)
    if digest is None:
        raise RuntimeError(f"tree-sitter {version}: expected a pinned SHA-256 of its source distribution in "
                           "graphcode.graphs.native.RUNTIME_SDIST_SHA256, found none (add it after checking the file)")
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir) as tmp:
        print(f"graphcode: fetching the tree-sitter {version} source distribution for its C runtime", file=sys.stderr)
        pinned = Path(tmp) / "requirements.txt"
        pinned.write_text(f"tree-sitter=={version} --hash=sha256:{digest}\n", encoding="utf-8")
        # --require-hashes: pip refuses a file whose SHA-256 is not the pinned one
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
                        "--require-hashes", "--no-binary", ":all:", "-r", str(pinned), "-d", tmp], check=True)
        archives = list(Path(tmp).glob("tree*sitter-*.tar.gz"))
        if not archives:
            raise RuntimeError(f"tree-sitter=={version}: expected a source distribution (.tar.gz), found none")
        staged = Path(tmp) / "lib"
        with tarfile.open(archives[0]) as tar:
            members = [m for m in tar.getmembers() if "/tree_sitter/core/lib/" in m.name and m.isfile()]
            if not members:
                raise RuntimeError(f"{archives[0].name}: expected tree_sitter/core/lib/ inside, found no such folder")
            for m in members:
                rel = m.name.split("/tree_sitter/core/lib/", 1)[1]
                target = staged / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                src = tar.extractfile(m)
                assert src is not None
                with src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out)
        lib.parent.mkdir(parents=True, exist_ok=True)
        if lib.exists():
            shutil.rmtree(lib)
        os.replace(staged, lib)  # whole, or not there at all
    return lib


def build(source_cache: Path | None = None, quiet: bool = False) -> Path:
    """Compile ``_native`` (atomically) next to this file, or into :func:`cache_dir` when the package folder is not
    writable, and return its path. The compiler and Python's headers are checked before anything is fetched."""
    version = _tree_sitter_version()
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    cc = os.environ.get("CC") or (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(cc) is None:
        raise RuntimeError(f"C compiler: expected {cc!r} on PATH (set CC to choose one), found none")
    include = sysconfig.get_paths()["include"]
    if not (Path(include) / "Python.h").is_file():
        raise RuntimeError(f"Python headers: expected {include}/Python.h, found none (install python3-dev)")
    folder = _HERE if os.access(_HERE, os.W_OK) else cache_dir() / f"tree-sitter-{version}"
    folder.mkdir(parents=True, exist_ok=True)
    lib = _runtime_source(source_cache or (Path(sys.prefix) / "src" if os.access(sys.prefix, os.W_OK)
                                           else cache_dir() / "src"), version)
    target = folder / f"_native{suffix}"
    if not quiet:
        print("graphcode: compiling graphcode/graphs/_native.c with the tree-sitter runtime", file=sys.stderr)
    common = [cc, "-O3", "-DNDEBUG", "-std=c11", "-fPIC", "-fvisibility=hidden"]
    with tempfile.TemporaryDirectory(dir=folder, prefix="._native-build") as tmp:
        runtime, ours, linked = (str(Path(tmp) / name) for name in ("lib.o", "native.o", f"_native{suffix}"))
        # tree-sitter's runtime as its own build compiles it, then ours against Python's headers
        subprocess.run([*common, "-Wno-cast-function-type", "-D_POSIX_C_SOURCE=200112L", "-D_DEFAULT_SOURCE",
                        "-DTREE_SITTER_HIDE_SYMBOLS", f"-I{lib / 'include'}", f"-I{lib / 'src'}",
                        "-c", str(lib / "src" / "lib.c"), "-o", runtime], check=True)
        subprocess.run([*common, f"-DGRAPHCODE_NATIVE_ABI={ABI}", f'-DGRAPHCODE_TREE_SITTER_VERSION="{version}"',
                        f"-I{lib / 'include'}", f"-I{include}", "-c", str(_SOURCE), "-o", ours], check=True)
        subprocess.run([cc, "-shared", ours, runtime, "-o", linked], check=True)
        os.replace(linked, target)  # atomic: an interrupted build leaves the old module or none
    # check it in a fresh interpreter: it must import and match this install
    check = subprocess.run([sys.executable, "-m", "graphcode", "native", "status"], capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"{target}: expected a module that loads, found: {check.stdout.strip()} {check.stderr.strip()}")
    return target


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("command", choices=["build", "status"],
                        help="build: fetch tree-sitter's C runtime source and compile; status: is it in use")
    parser.add_argument("--optional", action="store_true",
                        help="build: on failure, warn and exit 0 (graphs are then built in pure Python)")


def run(args: argparse.Namespace) -> int:
    if args.command == "status":
        ok, why = status()
        print(f"graphcode native: {why}")
        return 0 if ok else 1
    try:
        path = build()
    except (OSError, RuntimeError, subprocess.CalledProcessError) as err:
        print(f"graphcode native: could not build the C accelerator: {err}", file=sys.stderr)
        if args.optional:
            print("graphcode native: graphs will be built by the pure-Python path (the same graphs, slower)",
                  file=sys.stderr)
            return 0
        return 1
    print(f"graphcode native: built {path}")
    return 0
