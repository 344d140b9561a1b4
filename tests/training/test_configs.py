"""Every config in configs/ parses through the CLI, and `fit --trainer.fast_dev_run=true` runs for each."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from graphcode.training.cli import run_lightning_cli
from tests.training.conftest import CONFIGS, REPO, TINY_GNN, fast_overrides, save_standin

CODEXGLUE = REPO.parent / "shared" / "data" / "codexglue-java-cs"
# Configs whose backbone comes from the hub run with a tiny local stand-in of the same architecture.
STANDINS = {"codet5-small.yaml": "t5", "codegen-350m.yaml": "codegen"}


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_the_expected_configs_exist():
    names = {p.name for p in CONFIGS}
    assert {"tiny.yaml", "tiny-nograph.yaml", "codexglue-java-cs.yaml", "codexglue-java-cs-cpu.yaml", *STANDINS} <= names
    for path in CONFIGS:  # a hub backbone without a stand-in here would go untested
        if isinstance(_yaml(path)["model"]["backbone"], str):
            assert path.name in STANDINS, f"{path.name}: add a stand-in for its hub backbone"


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.name)
def test_config_parses(config, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert run_lightning_cli("fit", ["-c", str(config), "--print_config"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["model"]["backbone"] == _yaml(config)["model"]["backbone"]
    assert not list(tmp_path.iterdir()), "--print_config must not do any work"


def test_nograph_config_is_tiny_with_the_graph_off():
    tiny, nograph = _yaml(REPO / "configs" / "tiny.yaml"), _yaml(REPO / "configs" / "tiny-nograph.yaml")
    assert nograph["model"].pop("graph") is False and tiny["model"].pop("graph") is True
    text = json.dumps(nograph).replace("runs/tiny-nograph", "runs/tiny")
    assert json.loads(text) == tiny


@pytest.mark.parametrize("name", ["codexglue-java-cs.yaml", "codexglue-java-cs-cpu.yaml"])
def test_codexglue_path_is_a_config_value_relative_to_the_repo_root(name):
    data = _yaml(REPO / "configs" / name)["data"]
    assert data["path"] == "../shared/data/codexglue-java-cs"
    assert data["splits"] == {"train": "train", "validation": "valid", "test": None}


def test_help_is_instant_and_does_no_work(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert run_lightning_cli("fit", ["--help"]) == 0
    assert "--data.path" in capsys.readouterr().out
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.name)
def test_fit_fast_dev_run(config, tmp_path, monkeypatch, records_file):
    monkeypatch.chdir(tmp_path)
    args = ["-c", str(config), "--trainer.fast_dev_run=true", *fast_overrides(tmp_path, records_file)]
    if config.name.startswith("codexglue-java-cs"):
        if not CODEXGLUE.is_dir():
            pytest.skip("the shared CodeXGLUE java-cs data is not on this machine")
        args = [a for a in args if not a.startswith("--data.path=")]
        args.append(f"--data.path={CODEXGLUE}")
    if config.name in STANDINS:
        standin = save_standin(tmp_path / "standin", STANDINS[config.name])
        args += [f"--model.backbone={standin}", f"--data.tokenizer.name_or_path={standin}"]
    args += [f"--model.gnn.{k}={v}" for k, v in TINY_GNN.items()]
    if not isinstance(_yaml(config)["model"]["backbone"], str):
        args.append('--model.backbone={"model_type": "t5", "d_model": 32, "d_kv": 8, "d_ff": 37, '
                    '"num_layers": 2, "num_decoder_layers": 2, "num_heads": 4}')
    assert run_lightning_cli("fit", args) == 0
    assert not list((tmp_path / "root").glob("version_*/export")), "fast_dev_run exports nothing"
    assert list((tmp_path / "cache" / "features").glob("*.arrow")), "features are cached"


def test_the_cli_bounds_onednn_kernel_cache_unless_the_environment_sets_it(monkeypatch: pytest.MonkeyPatch,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """oneDNN compiles a kernel per matrix shape under bf16 on a CPU; its default cache of 1024 holds hundreds of MB
    on a run whose shapes change every batch, so the training commands bound it (inherited by DDP's processes)."""
    from graphcode.training.cli import ONEDNN_CACHE_CAPACITY, ONEDNN_CACHE_ENV

    monkeypatch.delenv(ONEDNN_CACHE_ENV, raising=False)
    assert run_lightning_cli("fit", ["--help"]) == 0
    assert os.environ[ONEDNN_CACHE_ENV] == str(ONEDNN_CACHE_CAPACITY) == "256"
    monkeypatch.setenv(ONEDNN_CACHE_ENV, "1024")  # a user's own setting wins
    assert run_lightning_cli("fit", ["--help"]) == 0
    assert os.environ[ONEDNN_CACHE_ENV] == "1024"
    capsys.readouterr()
