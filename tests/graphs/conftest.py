from __future__ import annotations

from pathlib import Path

import pytest

SAMPLES = Path(__file__).parent / "samples"
SAMPLE_FILES = {
    "python": "sample.py",
    "java": "Sample.java",
    "javascript": "sample.js",
    "typescript": "sample.ts",
    "tsx": "sample.tsx",
    "go": "sample.go",
    "c": "sample.c",
    "cpp": "sample.cpp",
    "c_sharp": "Sample.cs",
    "ruby": "sample.rb",
    "php": "sample.php",
    "rust": "sample.rs",
}


@pytest.fixture(params=sorted(SAMPLE_FILES))
def sample(request) -> tuple[str, Path]:
    """(language, path of a small real program in it)."""
    return request.param, SAMPLES / SAMPLE_FILES[request.param]


@pytest.fixture
def php_without_dataflow(monkeypatch):
    """Every language has data-flow queries: PHP stands in for one without them (a language added with its
    grammar alone)."""
    from graphcode.graphs.languages import LanguageSpec

    has = LanguageSpec.has_dataflow
    monkeypatch.setattr(LanguageSpec, "has_dataflow", property(lambda self: self.name != "php" and has.fget(self)))
    return "php"
