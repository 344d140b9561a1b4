"""The README's main job reads its paths from the training config it runs and its run folders."""

from __future__ import annotations

from pathlib import Path

from graphcode.demo import _config_value, _runs

ROOT = Path(__file__).resolve().parents[1]


def test_demo_finds_the_runs_of_the_default_config(tmp_path: Path, monkeypatch) -> None:
    config = str(ROOT / "configs" / "tiny.yaml")
    assert _config_value(config, "trainer", "default_root_dir") == "runs/tiny"
    assert _config_value(config, "data", "path") is None  # mined: data.mine says how
    monkeypatch.chdir(tmp_path)
    assert _runs(config) == []
    for name in ("version_0", "version_10", "version_2", "other"):
        (tmp_path / "runs" / "tiny" / name).mkdir(parents=True)
    assert [n for n, _ in _runs(config)] == [0, 2, 10]
    assert _config_value(str(tmp_path / "missing.yaml"), "model", "export_dir") is None
    broken = tmp_path / "broken.yaml"
    broken.write_text("model: [not, a, mapping]\n")
    assert _config_value(str(broken), "model", "export_dir") is None
