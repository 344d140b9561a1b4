"""The README's main job reads its paths from the training config it runs."""

from __future__ import annotations

from pathlib import Path

from graphcode.demo import _config_value

ROOT = Path(__file__).resolve().parents[1]


def test_demo_finds_the_export_and_the_records_of_the_default_config(tmp_path: Path) -> None:
    config = str(ROOT / "configs" / "tiny.yaml")
    assert _config_value(config, "model", "export_dir") == Path("runs/tiny/export")
    assert _config_value(config, "data", "path") == Path("runs/cache/stdlib-python-docstring-to-body.jsonl")
    assert _config_value(str(tmp_path / "missing.yaml"), "model", "export_dir") is None
    broken = tmp_path / "broken.yaml"
    broken.write_text("model: [not, a, mapping]\n")
    assert _config_value(str(broken), "model", "export_dir") is None
