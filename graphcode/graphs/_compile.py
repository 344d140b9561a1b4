"""The steps that compile graph building's fast path, with nothing but the standard library.

Two callers run them: ``graphcode native build`` (:mod:`graphcode.graphs.native`) in an installed or checked-out
package, and ``setup.py``'s ``build_ext`` while a wheel is built, where tree-sitter is not installed yet. So this
module imports nothing from graphcode and nothing outside the standard library; ``setup.py`` loads it by path.

- :func:`runtime_source`: tree-sitter's C runtime (``lib/``) from py-tree-sitter's source distribution, fetched by
  pip (so the user's index settings apply) and refused unless its SHA-256 is the pinned one.
- :func:`compile_walk`: ``_native.c`` (the tree walk and query) linked with that runtime, with link-time
  optimisation where the compiler has it (:func:`lto_flags`), profile-guided where it can be (:func:`pgo_flags`).
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
from collections.abc import Callable
from pathlib import Path

ABI = 13
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


def inline_flags(cc: str, scratch: Path) -> list[str]:
    """Flags that let the compiler inline a module's own exported functions, or none where it refuses them:
    mypyc's runtime helpers (``CPyList_GetItem``, the tagged-int conversions) are global functions in the module's
    one C file, and without these a ``-fPIC`` build calls each of them through the PLT, since another library could
    interpose them (graphs at 0.40x a bare parse's throughput without them, 0.415x with them,
    ``benchmarks/bench_graphs.py``). The module's init function stays
    exported: Python's ``PyMODINIT_FUNC`` marks it so."""
    probe = scratch / "inline_probe.c"
    probe.write_text("int graphcode_inline_probe(int x) { return x + 1; }\n", encoding="utf-8")
    flags = ["-fvisibility=hidden", "-fno-semantic-interposition"]
    done = subprocess.run([cc, *flags, "-O2", "-fPIC", "-c", str(probe), "-o", str(scratch / "inline_probe.o")],
                          capture_output=True, text=True)
    return flags if done.returncode == 0 and not done.stderr.strip() else []


def pgo_flags(cc: str, scratch: Path, profiles: Path) -> tuple[list[str], list[str]] | None:
    """The flags of a profile-guided build, (instrument, use), or None where the compiler has not both (GCC has;
    Clang's profiles take another tool). ``-fprofile-partial-training`` keeps code the training run never reached
    optimised as without a profile, so a language the training did not parse loses nothing. Profiles go to
    ``profiles``; ``scratch`` holds the probe."""
    probe = scratch / "pgo_probe.c"
    probe.write_text("int graphcode_pgo_probe(int x) { return x + 1; }\n", encoding="utf-8")
    instrument = [f"-fprofile-generate={profiles}", "-fprofile-update=single"]
    use = [f"-fprofile-use={profiles}", "-fprofile-partial-training", "-Wno-missing-profile"]
    for flags in (instrument, use):
        done = subprocess.run([cc, *flags, "-O2", "-fPIC", "-c", str(probe), "-o", str(scratch / "pgo_probe.o")],
                              capture_output=True, text=True)
        if done.returncode != 0 or done.stderr.strip():
            return None
    return instrument, use


_TRAIN_PRELUDE = """
import importlib.util, sys
from pathlib import Path
name, so, root = sys.argv[1], sys.argv[2], Path(sys.argv[3])
spec = importlib.util.spec_from_file_location(name, so)
mod = importlib.util.module_from_spec(spec)
sys.modules[name] = mod
spec.loader.exec_module(mod)
files = sorted((root / "graphcode").rglob("*.py"))
if not files:
    sys.exit(f"{root}/graphcode: expected Python sources to train on, found none")
"""

_TRAIN_WALK = _TRAIN_PRELUDE + """
from graphcode.graphs.dataflow import flow_query
from graphcode.graphs.languages import kind_table, language_capsule
fq, table = flow_query("python"), kind_table("python")
collect = bytearray(max(fq.reference_kinds, default=0) + 1)
for k in fq.reference_kinds:
    collect[k] = 1
engine = mod.Engine(language_capsule("python"), table.names, table.named, fq.text.encode("utf-8"))
for path in files:
    engine.build(path.read_bytes(), bytes(collect))
"""
"""The training run of the tree walk's profile-guided build: the instrumented module parses, walks and queries
graphcode's own Python sources (``argv``: the module's name and path, the folder that holds the ``graphcode``
package)."""

_TRAIN_PASSES = _TRAIN_PRELUDE + """
import graphcode.graphs.dataflow as dataflow
from graphcode.graphs.build import GraphOptions, build_graph
dataflow.passes = lambda: mod
for path in files:
    build_graph(path.read_bytes(), "python", GraphOptions(max_bytes=None), facts={})
"""
"""The training run of the passes' profile-guided build: graphs with every edge kind and the checks' facts, of
graphcode's own Python sources, through the instrumented passes (the tree walk in Python)."""


def _train(script: str, name: str, module: str, root: Path) -> str | None:
    """Run a training ``script`` against the instrumented ``module`` (a path) in a fresh interpreter that imports
    graphcode from ``root`` with its compiled path off; None when it ran, else what it printed."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])),
           "GRAPHCODE_NATIVE": "0", "PYTHONHASHSEED": "0"}  # one hash seed: the same profile, so the same build
    done = subprocess.run([sys.executable, "-c", script, name, module, str(root)], env=env, capture_output=True,
                          text=True)
    return None if done.returncode == 0 else (done.stdout + done.stderr).strip()[-500:] or f"exit {done.returncode}"


def _profile_guided(part: str, build: Callable[[list[str]], None], script: str, name: str, module: Path,
                    cc: str | None, scratch: Path, train_root: Path | None) -> None:
    """Build ``part`` with ``build(extra compiler flags)``, which writes the module at ``module``: where ``cc`` has the
    flags (:func:`pgo_flags`) and ``train_root`` is given, first instrumented, then trained by ``script`` (run as
    :func:`_train` with the module's import ``name``), then again with that profile; else once, without. One line on
    stderr says which (the build logs show it), and why not."""
    pgo = pgo_flags(cc, scratch, scratch / "profiles") if cc is not None and train_root is not None else None
    final: list[str] = []
    why = "no profile: not asked for" if train_root is None else \
        "no profile: the compiler has no -fprofile-use with partial training"
    if pgo is not None and train_root is not None:
        instrument, use = pgo
        build(instrument)
        failed = _train(script, name, str(module), train_root)
        if failed is None:
            final, why = use, "profile-guided (trained on graphcode's own Python sources)"
        else:
            why = f"no profile: its training run failed: {failed}"
    print(f"graphcode: {part}: {why}", file=sys.stderr)
    build(final)


def compile_walk(source: Path, lib: Path, out_dir: Path, version: str, cc: str, train_root: Path | None = None) -> Path:
    """Compile ``source`` (``_native.c``) with tree-sitter's runtime ``lib`` into ``out_dir/_native<suffix>``.

    With ``train_root`` (the folder holding the ``graphcode`` package, importable with tree-sitter and its Python
    grammar) and a compiler that has them (:func:`pgo_flags`), the build is profile-guided: an instrumented module
    first builds graphs of the package's own Python sources (:data:`_TRAIN_WALK`), and the final module is compiled with
    that profile: the parser's and the walk's branches laid out for real code (``benchmarks/bench_graphs.py``).
    Where the training run fails, the module is built as without a profile, and a note on stderr says why.
    """
    suffix = ext_suffix()
    include = sysconfig.get_paths()["include"]
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir, prefix="._native-build") as tmp:
        scratch = Path(tmp)
        common = [cc, "-O3", "-DNDEBUG", "-std=c11", "-fPIC", "-fvisibility=hidden", *lto_flags(cc, scratch)]
        runtime, ours, linked = (str(scratch / name) for name in ("lib.o", "native.o", f"_native{suffix}"))

        def build(extra: list[str]) -> None:
            # tree-sitter's runtime as its own build compiles it, then ours against Python's headers
            flags = [*common, *extra]
            subprocess.run([*flags, "-Wno-cast-function-type", "-D_POSIX_C_SOURCE=200112L", "-D_DEFAULT_SOURCE",
                            "-DTREE_SITTER_HIDE_SYMBOLS", f"-I{lib / 'include'}", f"-I{lib / 'src'}",
                            "-c", str(lib / "src" / "lib.c"), "-o", runtime], check=True)
            subprocess.run([*flags, f"-DGRAPHCODE_NATIVE_ABI={ABI}", f'-DGRAPHCODE_TREE_SITTER_VERSION="{version}"',
                            f"-I{lib / 'include'}", f"-I{include}", "-c", str(source), "-o", ours], check=True)
            subprocess.run([*flags, "-shared", ours, runtime, "-o", linked], check=True)

        _profile_guided("the tree walk and query", build, _TRAIN_WALK, "_native", Path(linked), cc, scratch, train_root)
        target = out_dir / f"_native{suffix}"
        os.replace(linked, target)  # atomic: an interrupted build leaves the old module or none
    return target


def compile_passes(source: Path, out_dir: Path, train_root: Path | None = None) -> Path:
    """Compile ``source`` (``passes.py``) with mypyc into ``out_dir/<passes_file(source)>``; older builds of other
    sources there are removed. RuntimeError when mypyc is missing or fails.

    With ``train_root``, profile-guided where the compiler can (:func:`pgo_flags`), as :func:`compile_walk`: mypyc's
    C is compiled instrumented, builds graphs of graphcode's own sources (:data:`_TRAIN_PASSES`), and is compiled
    again with that profile (mypyc's code is dense with type checks and error branches that real code never takes).
    """
    import importlib.util

    if importlib.util.find_spec("mypyc") is None:
        raise RuntimeError("mypyc: expected mypy installed to compile the data-flow passes "
                           "(pip install 'graphcode[native]'), found none")
    out_dir.mkdir(parents=True, exist_ok=True)
    name = passes_file(source)
    with tempfile.TemporaryDirectory(dir=out_dir, prefix="._passes-build") as tmp:
        scratch = Path(tmp)
        shutil.copyfile(source, scratch / f"{PASSES_MODULE}.py")
        built = scratch / f"{PASSES_MODULE}{ext_suffix()}"

        try:
            cc: str | None = compiler()  # the one mypyc's build uses, unless CC says otherwise
        except RuntimeError:
            cc = None
        inline = inline_flags(cc, scratch) if cc is not None else []

        def mypyc(flags: list[str]) -> None:
            env = dict(os.environ)
            for var, extra in (("CFLAGS", [*inline, *flags]), ("LDFLAGS", flags)):  # setuptools adds both to
                env[var] = " ".join(filter(None, [os.environ.get(var), *extra]))  # mypyc's compile and link
            built.unlink(missing_ok=True)
            shutil.rmtree(scratch / "build", ignore_errors=True)  # else setuptools keeps the last run's module
            done = subprocess.run([sys.executable, "-m", "mypyc", f"{PASSES_MODULE}.py"], cwd=tmp, env=env,
                                  capture_output=True, text=True)
            if done.returncode != 0 or not built.is_file():
                raise RuntimeError(f"mypyc {source}: expected a compiled module, found exit status "
                                   f"{done.returncode}: {(done.stdout + done.stderr).strip()[-2000:]}")

        _profile_guided("the data-flow passes", mypyc, _TRAIN_PASSES, PASSES_MODULE, built, cc, scratch, train_root)
        target = out_dir / name
        os.replace(built, target)  # atomic: an interrupted build leaves the old module or none
    for old in out_dir.glob(f"{PASSES_MODULE}-*"):
        if old.name != name:
            old.unlink(missing_ok=True)
    return target
