"""Checkpoint files: atomic directory writes and strict safetensors reading.

Every problem with a checkpoint raises :class:`graphcode.errors.CheckpointError` naming the file and
what was expected and found: a file cut short, keys missing or unexpected, tensors of the wrong shape.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import struct
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from torch import Tensor

from graphcode.errors import CheckpointError, OutputError
from graphcode.io import temporary_directory

_MAX_LISTED = 5


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:_MAX_LISTED])
    return shown + (f" and {len(names) - _MAX_LISTED} more" if len(names) > _MAX_LISTED else "")


@contextlib.contextmanager
def atomic_directory(target: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty temporary directory next to ``target``; on success it replaces ``target``.

    On an exception the temporary directory is removed and ``target`` is left as it was. An existing
    ``target`` directory is moved aside, the new one renamed into place, then the old one deleted, so a
    reader sees either the old or the new directory whole.
    """
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise OutputError(f"{target}: expected a directory to save the model in, found a file")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = temporary_directory(target.parent, f".{target.name}.tmp-")
    except OSError as err:
        raise OutputError(f"{target}: cannot be written: {err}") from err
    try:
        yield tmp
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            os.replace(target, old / target.name)
            try:
                os.replace(tmp, target)
            except OSError:
                os.replace(old / target.name, target)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def check_safetensors(path: Path) -> None:
    """Check that a safetensors file is whole: its header parses and its size matches the header."""
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            prefix = f.read(8)
            if len(prefix) < 8:
                raise CheckpointError(
                    f"{path}: truncated: expected at least 8 bytes of header size, found {size} bytes"
                )
            (header_size,) = struct.unpack("<Q", prefix)
            if 8 + header_size > size:
                raise CheckpointError(
                    f"{path}: truncated: expected a header of {header_size} bytes, "
                    f"found {size - 8} bytes after the size field"
                )
            header = json.loads(f.read(header_size))
    except OSError as err:
        raise CheckpointError(f"{path}: cannot be read: {err}") from err
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CheckpointError(
            f"{path}: expected a safetensors JSON header, found unreadable bytes ({err})"
        ) from err
    if not isinstance(header, dict):
        raise CheckpointError(
            f"{path}: expected a safetensors JSON object header, found {type(header).__name__}"
        )
    try:
        data_size = max(
            (int(entry["data_offsets"][1]) for name, entry in header.items() if name != "__metadata__"),
            default=0,
        )
    except (KeyError, TypeError, IndexError, ValueError) as err:
        raise CheckpointError(
            f"{path}: expected 'data_offsets' for every tensor in the header, found {err!r}"
        ) from err
    expected = 8 + header_size + data_size
    if size != expected:
        what = "truncated" if size < expected else "too long"
        raise CheckpointError(
            f"{path}: {what}: expected {expected} bytes from its header, found {size} bytes"
        )


def load_safetensors(path: Path) -> dict[str, Tensor]:
    """Read a whole safetensors file onto the CPU."""
    from safetensors.torch import load_file

    if not path.is_file():
        raise CheckpointError(f"{path}: expected a safetensors file, found nothing")
    check_safetensors(path)
    try:
        return load_file(str(path))
    except Exception as err:  # safetensors raises its own error type for every corruption
        raise CheckpointError(f"{path}: cannot be read as safetensors: {err}") from err


def check_state_dict(path: Path, expected: Mapping[str, Tensor], found: Mapping[str, Tensor]) -> None:
    """Compare a loaded state dict with the one a model expects: same keys and same shapes."""
    missing = sorted(set(expected) - set(found))
    unexpected = sorted(set(found) - set(expected))
    problems = []
    if missing:
        problems.append(f"missing keys: {_listing(missing)}")
    if unexpected:
        problems.append(f"unexpected keys: {_listing(unexpected)}")
    mismatched = [
        f"{name} expected {tuple(expected[name].shape)}, found {tuple(found[name].shape)}"
        for name in sorted(set(expected) & set(found))
        if expected[name].shape != found[name].shape
    ]
    if mismatched:
        problems.append(f"wrong shapes: {_listing(mismatched)}")
    if problems:
        raise CheckpointError(f"{path}: does not match the model: {'; '.join(problems)}")


def read_json(path: Path) -> dict:
    """Read a JSON object from a checkpoint file."""
    if not path.is_file():
        raise CheckpointError(f"{path}: expected a JSON file, found nothing")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CheckpointError(f"{path}: expected valid JSON, found an unreadable file ({err})") from err
    if not isinstance(data, dict):
        raise CheckpointError(f"{path}: expected a JSON object, found {type(data).__name__}")
    return data
