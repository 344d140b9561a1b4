"""ReleaseFreedMemory: glibc's malloc_trim after every n-th training step and validation batch, nothing where the C
library has none, and the CPU config uses it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from graphcode.training import callbacks
from graphcode.training.callbacks import ReleaseFreedMemory

REPO = Path(__file__).resolve().parents[2]


def test_freed_memory_is_trimmed_every_n_batches(monkeypatch):
    calls = []
    monkeypatch.setattr(callbacks, "_malloc_trim", lambda: calls.append)
    every_other = ReleaseFreedMemory(every_n_steps=2)
    for i in range(4):
        every_other.on_train_batch_end(None, None, None, None, i)
    every_other.on_validation_batch_end(None, None, None, None, 0)
    every_other.on_validation_batch_end(None, None, None, None, 1)
    assert calls == [0, 0, 0]  # batches 2 and 4 of training, then the second of validation


def test_without_malloc_trim_it_does_nothing_and_says_so(monkeypatch):
    said = []
    monkeypatch.setattr(callbacks, "_malloc_trim", lambda: None)
    monkeypatch.setattr(callbacks, "rank_zero_info", said.append)
    quiet = ReleaseFreedMemory()
    quiet.on_train_batch_end(None, None, None, None, 0)
    assert said and "not glibc" in said[0]


def test_glibc_malloc_trim_is_found_and_runs_here():
    trim = callbacks._malloc_trim()
    if trim is None:
        pytest.skip("this C library has no malloc_trim")
    assert trim(0) in (0, 1)


def test_a_bad_interval_is_refused_and_the_cpu_config_uses_the_callback():
    with pytest.raises(ValueError, match="every_n_steps: expected a whole number >= 1, found 0"):
        ReleaseFreedMemory(every_n_steps=0)
    config = yaml.safe_load((REPO / "configs" / "codexglue-java-cs-cpu.yaml").read_text(encoding="utf-8"))
    paths = [c["class_path"] for c in config["trainer"]["callbacks"]]
    assert "graphcode.training.callbacks.ReleaseFreedMemory" in paths
