"""Atomic file output: a crash or an interrupt never leaves half a file.

Everything graphcode writes goes through :func:`atomic_write` or :class:`AtomicWriter`: the data goes
to a temporary file in the destination's folder, is flushed to disk, and replaces the destination in
one ``os.replace``. On error the temporary file is removed and the destination is untouched.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from graphcode.errors import InputError, OutputError


def _check_folder(path: Path) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.exists():
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise OutputError(f"{folder}: expected a folder we can create for {path.name}, found: {err.strerror or err}") from None
    if not folder.is_dir():
        raise OutputError(f"{folder}: expected a folder to write {path.name} into, found a file")
    if not os.access(folder, os.W_OK):
        raise OutputError(f"{folder}: expected a writable folder for {path.name}, found it is not writable")
    if path.is_dir():
        raise OutputError(f"{path}: expected a file path to write, found a directory")


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def temporary_directory(parent: str | os.PathLike[str], prefix: str) -> Path:
    """A new empty directory in ``parent`` with the permissions of any directory made there (``mkdtemp``
    makes ``drwx------``), to be renamed into place once filled."""
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    os.chmod(folder, 0o777 & ~_umask())
    return folder


class AtomicWriter:
    """A context manager that yields an open temporary file and moves it into place on success.

    >>> with AtomicWriter("out.jsonl") as f:  # doctest: +SKIP
    ...     f.write("...")
    """

    def __init__(self, path: str | os.PathLike[str], mode: str = "w", encoding: str | None = "utf-8"):
        if "b" in mode:
            encoding = None
        self.path = Path(path)
        self.mode = mode
        self.encoding = encoding
        self._tmp: str | None = None
        self._file: IO[Any] | None = None

    def __enter__(self) -> IO[Any]:
        _check_folder(self.path)
        try:
            fd, self._tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent or ".")
        except OSError as err:
            raise OutputError(f"{self.path}: expected to create a temporary file beside it, found: {err.strerror or err}") from None
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; the result should look like any written file
        self._file = os.fdopen(fd, self.mode, encoding=self.encoding)
        return self._file

    def __exit__(self, exc_type, exc, tb) -> None:
        assert self._file is not None and self._tmp is not None
        try:
            if exc_type is None:
                self._file.flush()
                os.fsync(self._file.fileno())
            self._file.close()
            if exc_type is None:
                os.replace(self._tmp, self.path)
                self._tmp = None
        except OSError as err:
            raise OutputError(f"{self.path}: expected to write it, found: {err.strerror or err}") from None
        finally:
            if self._tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(self._tmp)


def atomic_write(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path."""
    mode = "wb" if isinstance(data, bytes) else "w"
    with AtomicWriter(path, mode) as f:
        f.write(data)
    return Path(path)


def json_objects(lines: Iterable[str], name: str,
                 where: Callable[[int], str] | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` for every non-blank line of JSONL text; each line must be a JSON object.

    Errors name the line: ``name:N`` unless ``where(N)`` says otherwise.
    """
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as err:
            at = where(number) if where else f"{name}:{number}"
            raise InputError(f"{at}: expected a JSON object, found invalid JSON ({err.msg} at column {err.colno})") from None
        if not isinstance(value, dict):
            at = where(number) if where else f"{name}:{number}"
            raise InputError(f"{at}: expected a JSON object, found {type(value).__name__}")
        yield number, value
