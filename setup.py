"""Build hooks: ship ``grammars/`` inside the package, and compile graph building's fast path into the wheel.

Language knowledge lives at the top of the repository (``grammars/<lang>/``, see the design), and a source checkout
reads it there. A wheel has no repository around it, so ``build_py`` copies the folder into the built package, where
:func:`graphcode.graphs.languages.grammars_dir` finds it.

``build_ext`` compiles the fast path of graph building with the steps of ``graphcode/graphs/_compile.py`` (loaded by
path: it needs only the standard library): ``_native.c`` against tree-sitter's C runtime, fetched from the pinned
py-tree-sitter source distribution and checked against its SHA-256, and ``passes.py`` with mypyc. Outputs are built
in the build tree and land in the wheel as ``graphcode/graphs/_native*.so`` and ``_graphcode_passes-*.so``. Both are
profile-guided where the compiler can be (GCC): each is first built instrumented and trained on graphcode's own Python
sources, with tree-sitter and its Python grammar from the build requirements (see ``_compile.compile_walk``).

``GRAPHCODE_BUILD_NATIVE`` decides what a failure does:

- ``auto`` (the default): build it when possible; otherwise print why, in a box, and build a wheel without it
  (graphs are then built by the pure-Python path, the same graphs, slower; ``graphcode native status`` says so);
- ``1``: the compiled path is required, and a failure fails the build;
- ``0``: do not build it.

An editable install (``pip install -e .``) builds nothing here: ``graphcode native build`` (``make`` runs it) builds
into the source tree. Everything else is in ``pyproject.toml``.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
GRAPHS = HERE / "graphcode" / "graphs"
MODE = os.environ.get("GRAPHCODE_BUILD_NATIVE", "auto").strip().lower()
if MODE not in {"auto", "1", "0"}:
    raise SystemExit(f"GRAPHCODE_BUILD_NATIVE: expected auto, 1 or 0, found {MODE!r}")


class BuildPyWithGrammars(build_py):
    """``build_py`` that also copies ``grammars/`` to ``<build>/graphcode/grammars``."""

    def run(self) -> None:
        super().run()
        source = HERE / "grammars"
        if not (source / "python" / "language.toml").is_file():
            raise SystemExit(f"graphcode build: expected the grammars folder at {source}, found none")
        target = Path(self.build_lib) / "graphcode" / "grammars"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def _compile_module():
    spec = importlib.util.spec_from_file_location("_graphcode_compile", GRAPHS / "_compile.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _pinned_tree_sitter() -> str:
    """The tree-sitter version the package depends on (pinned ``==`` in pyproject.toml): the runtime it links."""
    deps = tomllib.loads((HERE / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    for dep in deps:
        m = re.fullmatch(r"tree-sitter==([0-9.]+)", dep.replace(" ", ""))
        if m:
            return m.group(1)
    raise SystemExit("graphcode build: expected tree-sitter pinned with == in pyproject.toml's dependencies, found "
                     + ", ".join(d for d in deps if d.startswith("tree-sitter")))


def _notice(lines: list[str]) -> None:
    width = max(len(line) for line in lines)
    bar = "*" * (width + 4)
    print("\n".join([bar, *(f"* {line:<{width}} *" for line in lines), bar]), file=sys.stderr, flush=True)


class BuildNative(build_ext):
    """Compile ``_native`` and the mypyc passes into the build tree (see the module docstring)."""

    def run(self) -> None:
        if MODE == "0":
            _notice(["graphcode: GRAPHCODE_BUILD_NATIVE=0: no compiled path in this build",
                     "graphs will be built by the pure-Python path (the same graphs, slower)"])
            return
        if self.editable_mode or self.inplace:
            print("graphcode: editable install: build the compiled path with `graphcode native build`",
                  file=sys.stderr)
            return
        compile_ = _compile_module()
        out = Path(self.build_lib) / "graphcode" / "graphs"
        try:
            cc = compile_.compiler()
            version = _pinned_tree_sitter()
            lib = compile_.runtime_source(Path(self.build_temp) / "tree-sitter-src", version)
            built = [compile_.compile_walk(GRAPHS / "_native.c", lib, out, version, cc, train_root=HERE),
                     compile_.compile_passes(GRAPHS / "passes.py", out, train_root=HERE)]
        except (OSError, RuntimeError, subprocess.CalledProcessError) as err:
            if MODE == "1":
                raise SystemExit(f"graphcode build: GRAPHCODE_BUILD_NATIVE=1 and the compiled path did not build: {err}") from err
            _notice(["graphcode: the compiled path of graph building did not build:", str(err)[:300],
                     "this wheel builds graphs by the pure-Python path (the same graphs, slower);",
                     "set GRAPHCODE_BUILD_NATIVE=1 to make this an error"])
            return
        for path in built:
            print(f"graphcode: built {path.relative_to(self.build_lib)}", file=sys.stderr)

    def get_outputs(self) -> list[str]:  # what run() wrote, for the wheel's record
        out = Path(self.build_lib) / "graphcode" / "graphs"
        return [str(p) for p in (*out.glob("_native*.so"), *out.glob("_graphcode_passes-*.so"))]


# One placeholder extension marks the wheel as platform-specific; BuildNative builds the real modules itself.
setup(
    cmdclass={"build_py": BuildPyWithGrammars, "build_ext": BuildNative},
    ext_modules=[] if MODE == "0" else [Extension("graphcode.graphs._native", sources=[])],
)
