"""The language registry: grammars/ folders, aliases, extensions and query inheritance."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphcode.errors import ConfigError
from graphcode.graphs.languages import LanguageSpec, available_languages, extensions, get_spec


def test_aliases_and_extensions() -> None:
    assert get_spec("py").name == "python"
    assert get_spec("C#").name == "c_sharp"
    assert get_spec("TS").name == "typescript"
    assert extensions()[".tsx"] == "tsx"
    assert {"python", "java", "javascript", "typescript", "go", "c", "cpp", "c_sharp", "ruby", "php", "rust"} <= set(
        available_languages()
    )


def test_inherited_queries_come_first() -> None:
    ts = get_spec("typescript").query_text("dataflow")
    js = get_spec("javascript").query_text("dataflow")
    assert ts is not None and js is not None
    assert ts.startswith(js) and "required_parameter" in ts
    tsx = get_spec("tsx").query_text("locals")
    assert tsx is not None and tsx.startswith(get_spec("typescript").query_text("locals") or "?")
    assert "jsx_opening_element" in tsx


def _spec(tmp_path: Path, name: str, text: str) -> LanguageSpec:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "locals.scm").write_text(text)
    return LanguageSpec(name=name, module="m", function="f", folder=folder)


def test_inherits_cycle_and_missing_base(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="expected 'inherits' without cycles"):
        _spec(tmp_path, "loop", "; inherits: loop\n(identifier) @local.reference\n").query_text("locals")
    with pytest.raises(ConfigError, match=r"inherits 'python', expected python/nothing\.scm to exist"):
        folder = tmp_path / "child"
        folder.mkdir()
        (folder / "nothing.scm").write_text("; inherits: python\n")
        LanguageSpec(name="child", module="m", function="f", folder=folder).query_text("nothing")
