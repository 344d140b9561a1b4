"""The steps that compile graph building's fast path, with nothing but the standard library.

Two callers run them: ``graphcode native build`` (:mod:`graphcode.graphs.native`) in an installed or checked-out
package, and ``setup.py``'s ``build_ext`` while a wheel is built, where tree-sitter is not installed yet. So this
module imports nothing from graphcode and nothing outside the standard library; ``setup.py`` loads it by path.

- :func:`runtime_source`: tree-sitter's C runtime (``lib/``) from py-tree-sitter's source distribution, fetched by
  pip (so the user's index settings apply) and refused unless its SHA-256 is the pinned one.
- :func:`compile_walk`: ``_native.c`` (the tree walk and query) linked with that runtime, with link-time
  optimisation where the compiler has it (:func:`lto_flags`).
- :func:`compile_passes`: ``passes.py`` compiled by mypyc under :data:`PASSES_MODULE`, into a file whose name
  carries a digest of the source (:func:`passes_file`), so an edited source never meets a stale build.

Every output is written to a temporary name in its folder and renamed: an interrupted build leaves the old file or
none, never half of one.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
from pathlib import Path

ABI = 11
"""Bumped whenever ``_native.c``'s interface changes; a module built for another ABI is not used."""
RUNTIME_SDIST_SHA256: dict[str, str] = {
    "0.25.2": "fe43c158555da46723b28b52e058ad444195afd1db3ca7720c59a254544e9c20",
}
"""SHA-256 of py-tree-sitter's source distribution by version: the fetched runtime source must match."""
PASSES_MODULE = "_graphcode_passes"
"""The name the data-flow passes are compiled under by mypyc (a top-level name, so one file holds them)."""


def ext_suffix() -> str:
    """The file suffix of this Python's extension modules (``.cpython-311-x86_64-linux-gnu.so``)."""
    return sysconfig.get_config_var("EXT_SUFFIX") or ".so"


def passes_file(source: Path) -> str:
    """The compiled passes' file name for ``source``: ``_graphcode_passes-<16 hex of its SHA-256><suffix>``."""
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    return f"{PASSES_MODULE}-{digest}{ext_suffix()}"


def compiler() -> str:
    """The C compiler (``$CC``, else the one Python was built with), checked with Python's headers; RuntimeError
    naming what is missing. Called before anything is fetched."""
    cc = os.environ.get("CC") or (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(cc) is None:
        raise RuntimeError(f"C compiler: expected {cc!r} on PATH (set CC to choose one), found none")
    include = sysconfig.get_paths()["include"]
    if not (Path(include) / "Python.h").is_file():
        raise RuntimeError(f"Python headers: expected {include}/Python.h, found none (install python3-dev)")
    return cc


def runtime_source(cache_dir: Path, version: str) -> Path:
    """tree-sitter's C runtime (``lib/``) of ``version``, from py-tree-sitter's source distribution (cached)."""
    lib = cache_dir / f"tree-sitter-{version}" / "lib"
    if (lib / "src" / "lib.c").is_file() and (lib / "include" / "tree_sitter" / "api.h").is_file():
        return lib
    digest = RUNTIME_SDIST_SHA256.get(version)
    if digest is None:
        raise RuntimeError(f"tree-sitter {version}: expected a pinned SHA-256 of its source distribution in "
                           "graphcode.graphs._compile.RUNTIME_SDIST_SHA256, found none (add it after checking the file)")
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


def lto_flags(cc: str, scratch: Path) -> list[str]:
    """The compiler's link-time optimisation flag, or none where it has none (or complains about it): with it, the
    runtime's cursor and node functions inline into the walk and the query loop (a few percent of a C file's graph
    build, ``benchmarks/bench_graphs.py``). ``-flto=auto`` (GCC: parallel, no note about serial compilation) is tried
    before ``-flto`` (Clang)."""
    probe = scratch / "lto_probe.c"
    probe.write_text("int graphcode_lto_probe(void) { return 0; }\n", encoding="utf-8")
    for flag in ("-flto=auto", "-flto"):
        done = subprocess.run([cc, flag, "-O2", "-fPIC", "-shared", str(probe), "-o", str(scratch / "lto_probe.so")],
                              capture_output=True, text=True)
        if done.returncode == 0 and not done.stderr.strip():
            return [flag]
    return []


def compile_walk(source: Path, lib: Path, out_dir: Path, version: str, cc: str) -> Path:
    """Compile ``source`` (``_native.c``) with tree-sitter's runtime ``lib`` into ``out_dir/_native<suffix>``."""
    suffix = ext_suffix()
    include = sysconfig.get_paths()["include"]
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir, prefix="._native-build") as tmp:
        common = [cc, "-O3", "-DNDEBUG", "-std=c11", "-fPIC", "-fvisibility=hidden", *lto_flags(cc, Path(tmp))]
        runtime, ours, linked = (str(Path(tmp) / name) for name in ("lib.o", "native.o", f"_native{suffix}"))
        # tree-sitter's runtime as its own build compiles it, then ours against Python's headers
        subprocess.run([*common, "-Wno-cast-function-type", "-D_POSIX_C_SOURCE=200112L", "-D_DEFAULT_SOURCE",
                        "-DTREE_SITTER_HIDE_SYMBOLS", f"-I{lib / 'include'}", f"-I{lib / 'src'}",
                        "-c", str(lib / "src" / "lib.c"), "-o", runtime], check=True)
        subprocess.run([*common, f"-DGRAPHCODE_NATIVE_ABI={ABI}", f'-DGRAPHCODE_TREE_SITTER_VERSION="{version}"',
                        f"-I{lib / 'include'}", f"-I{include}", "-c", str(source), "-o", ours], check=True)
        subprocess.run([*common, "-shared", ours, runtime, "-o", linked], check=True)
        target = out_dir / f"_native{suffix}"
        os.replace(linked, target)  # atomic: an interrupted build leaves the old module or none
    return target


def compile_passes(source: Path, out_dir: Path) -> Path:
    """Compile ``source`` (``passes.py``) with mypyc into ``out_dir/<passes_file(source)>``; older builds of other
    sources there are removed. RuntimeError when mypyc is missing or fails."""
    import importlib.util

    if importlib.util.find_spec("mypyc") is None:
        raise RuntimeError("mypyc: expected mypy installed to compile the data-flow passes "
                           "(pip install 'graphcode[native]'), found none")
    out_dir.mkdir(parents=True, exist_ok=True)
    name = passes_file(source)
    with tempfile.TemporaryDirectory(dir=out_dir, prefix="._passes-build") as tmp:
        shutil.copyfile(source, Path(tmp) / f"{PASSES_MODULE}.py")
        done = subprocess.run([sys.executable, "-m", "mypyc", f"{PASSES_MODULE}.py"], cwd=tmp,
                              capture_output=True, text=True)
        built = Path(tmp) / f"{PASSES_MODULE}{ext_suffix()}"
        if done.returncode != 0 or not built.is_file():
            raise RuntimeError(f"mypyc {source}: expected a compiled module, found exit status "
                               f"{done.returncode}: {(done.stdout + done.stderr).strip()[-2000:]}")
        target = out_dir / name
        os.replace(built, target)  # atomic: an interrupted build leaves the old module or none
    for old in out_dir.glob(f"{PASSES_MODULE}-*"):
        if old.name != name:
            old.unlink(missing_ok=True)
    return target
