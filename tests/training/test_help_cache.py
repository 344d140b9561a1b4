"""``graphcode fit --help`` and ``--print_config`` are printed from a cache once built: same text, no Lightning import,
and a new text as soon as anything it depends on changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from graphcode.training import help_cache


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("GRAPHCODE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("GRAPHCODE_CLI_CACHE", raising=False)
    return tmp_path / "cache" / "cli"


def _runner(text: str, code: int = 0):
    calls = []

    def run() -> int:
        calls.append(1)
        print(text)
        return code

    return run, calls


def test_the_second_run_prints_the_stored_text_without_running(cache, capsys):
    run, calls = _runner("usage: graphcode fit [-h]")
    assert help_cache.run_cached(["fit", "--help"], run) == 0
    assert help_cache.run_cached(["fit", "--help"], run) == 0
    assert len(calls) == 1
    assert capsys.readouterr().out == "usage: graphcode fit [-h]\n" * 2
    (entry,) = cache.glob("*.json")
    assert json.loads(entry.read_text())["argv"] == ["fit", "--help"]


def test_a_changed_config_file_or_argument_is_built_again(cache, tmp_path, capsys):
    config = tmp_path / "a.yaml"
    nested = tmp_path / "model.yaml"
    config.write_text("model: model.yaml\n")
    nested.write_text("lr: 1\n")
    run, calls = _runner("seed_everything: 0")
    argv = ["fit", "-c", str(config), "--print_config"]
    help_cache.run_cached(argv, run)
    help_cache.run_cached(argv, run)
    assert len(calls) == 1
    nested.write_text("lr: 2\n")  # a file the config names, not the command line
    help_cache.run_cached(argv, run)
    assert len(calls) == 2
    config.write_text("model: model.yaml\ntrainer: {}\n")
    help_cache.run_cached(argv, run)
    assert len(calls) == 3
    help_cache.run_cached([*argv, "--trainer.max_steps=7"], run)
    assert len(calls) == 4


def test_failures_are_not_stored_and_the_cache_can_be_turned_off(cache, monkeypatch, capsys):
    run, calls = _runner("error", code=2)
    assert help_cache.run_cached(["fit", "--print_config", "--bogus"], run) == 2
    assert help_cache.run_cached(["fit", "--print_config", "--bogus"], run) == 2
    assert len(calls) == 2 and not list(cache.glob("*.json"))
    monkeypatch.setenv("GRAPHCODE_CLI_CACHE", "0")
    ok, ok_calls = _runner("usage")
    help_cache.run_cached(["fit", "--help"], ok)
    help_cache.run_cached(["fit", "--help"], ok)
    assert len(ok_calls) == 2 and not cache.exists()


def test_only_describing_command_lines_use_it():
    assert help_cache.describes(["--help"]) and help_cache.describes(["-c", "x.yaml", "--print_config=skip_null"])
    assert not help_cache.describes(["-c", "x.yaml", "--trainer.max_steps=3"])


def test_graphcode_fit_help_from_the_cache_imports_no_lightning(tmp_path):
    script = ("import sys; from graphcode.cli import main; code = main(['fit', '--help']); "
              "print('LIGHTNING', 'lightning' in sys.modules, code, file=sys.stderr)")
    env = {**os.environ, "GRAPHCODE_CACHE_DIR": str(tmp_path), "COLUMNS": "100"}
    env.pop("GRAPHCODE_CLI_CACHE", None)
    first, second = (subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
                     for _ in range(2))
    assert "LIGHTNING True 0" in first.stderr, first.stderr[-2000:]
    assert "LIGHTNING False 0" in second.stderr, second.stderr[-2000:]
    assert second.stdout == first.stdout and "--trainer.max_steps" in first.stdout
