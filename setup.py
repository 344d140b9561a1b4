"""Build hook: ship the repository's ``grammars/`` inside the package as ``graphcode/grammars``.

Language knowledge lives at the top of the repository (``grammars/<lang>/``, see the design), and a
source checkout reads it there. A wheel has no repository around it, so ``build_py`` copies the folder
into the built package, where :func:`graphcode.graphs.languages.grammars_dir` finds it. Everything else
is in ``pyproject.toml``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


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


setup(cmdclass={"build_py": BuildPyWithGrammars})
