"""The package build (``setup.py``): where the compiled path cannot be built, the wheel still builds, without it,
and says so in a box; ``GRAPHCODE_BUILD_NATIVE=1`` turns that into a failed build. The build with a compiler, and
the compiled path in use from the installed wheel, is ``.ci/wheel-check`` (``make test``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _checkout(tmp_path: Path) -> Path:
    """The files git would put in a clean clone (tracked and not ignored), copied to a folder of their own."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("git and a git checkout are needed to copy the package's sources")
    names = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.splitlines()
    src = tmp_path / "src"
    for name in names:
        if (ROOT / name).is_file() and not name.startswith(("tests/", "benchmarks/", "runs/", "examples/")):
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, src / name)
    return src


def _build(src: Path, out: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--skip-dependency-check", "--outdir", str(out), "."],
                          cwd=src, capture_output=True, text=True, env={**os.environ, **env})


def test_without_a_compiler_the_wheel_builds_pure_python_and_says_so_or_fails_when_required(tmp_path):
    pytest.importorskip("build")
    src = _checkout(tmp_path)
    done = _build(src, tmp_path / "dist", CC="no-such-compiler-graphcode")
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout + done.stderr
    assert "the compiled path of graph building did not build" in out and "no-such-compiler-graphcode" in out
    assert "pure-Python path" in out
    (wheel,) = (tmp_path / "dist").glob("graphcode-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.endswith(".so")], names
    assert "graphcode/graphs/_compile.py" in names and any(n.startswith("graphcode/grammars/") for n in names)

    required = _build(src, tmp_path / "dist2", CC="no-such-compiler-graphcode", GRAPHCODE_BUILD_NATIVE="1")
    assert required.returncode != 0
    assert "GRAPHCODE_BUILD_NATIVE=1 and the compiled path did not build" in required.stdout + required.stderr
    assert not list((tmp_path / "dist2").glob("*.whl"))

    bad = _build(src, tmp_path / "dist3", GRAPHCODE_BUILD_NATIVE="maybe")
    assert bad.returncode != 0 and "GRAPHCODE_BUILD_NATIVE: expected auto, 1 or 0, found 'maybe'" in bad.stdout + bad.stderr


def test_the_build_requirements_pin_the_training_run_as_the_dependencies_do():
    """The profile-guided builds train with tree-sitter and its Python grammar: the same pins as at run time."""
    import tomllib

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    training = {r.replace(" ", "") for r in meta["build-system"]["requires"] if r.startswith("tree-sitter")}
    assert {r.split("==")[0] for r in training} == {"tree-sitter", "tree-sitter-python"}
    assert training <= {d.replace(" ", "") for d in meta["project"]["dependencies"]}
