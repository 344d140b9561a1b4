"""Atomic writes: an error or an interrupt never leaves half a file."""

from __future__ import annotations

import pytest

from graphcode.errors import OutputError
from graphcode.io import AtomicWriter, atomic_write


def test_atomic_write_replaces_whole(tmp_path) -> None:
    target = tmp_path / "out.txt"
    atomic_write(target, "old")
    atomic_write(target, "new")
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_interrupted_write_keeps_the_old_file(tmp_path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("complete\n")
    with pytest.raises(KeyboardInterrupt), AtomicWriter(target) as f:
        f.write("half a line")
        raise KeyboardInterrupt
    assert target.read_text() == "complete\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


def test_unwritable_destination(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match=r"expected a folder to write out\.txt into, found a file"):
        atomic_write(blocker / "out.txt", "data")
    with pytest.raises(OutputError, match="expected a file path to write, found a directory"):
        atomic_write(tmp_path, "data")


def test_written_files_follow_the_umask(tmp_path) -> None:
    import os
    import stat

    old = os.umask(0o022)
    try:
        path = atomic_write(tmp_path / "out.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_saved_folders_follow_the_umask(tmp_path) -> None:
    """Exported models and trained tokenizers are folders filled in a temporary folder and renamed into place:
    they get the permissions of any folder made there, not mkdtemp's drwx------."""
    import os
    import stat

    from graphcode.models.checkpoint import atomic_directory

    old = os.umask(0o022)
    try:
        with atomic_directory(tmp_path / "export") as folder:
            (folder / "weights").write_text("x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "export").stat().st_mode) == 0o755


def test_json_objects_names_the_line() -> None:
    from graphcode.errors import InputError
    from graphcode.io import json_objects

    assert list(json_objects(['{"a": 1}', "", '{"b": 2}'], "f.jsonl")) == [(1, {"a": 1}), (3, {"b": 2})]
    with pytest.raises(InputError, match=r"f\.jsonl:2: expected a JSON object, found invalid JSON \(Expecting value at column 1\)"):
        list(json_objects(['{"a": 1}', "oops"], "f.jsonl"))
    with pytest.raises(InputError, match=r"f\.jsonl line 1: expected a JSON object, found list"):
        list(json_objects(["[1]"], "f.jsonl", where=lambda n: f"f.jsonl line {n}"))
