"""Reading source files with clear errors: missing, unreadable, binary, not UTF-8, empty, too large."""

from __future__ import annotations

import os
from pathlib import Path

from graphcode.errors import InputError

DEFAULT_MAX_BYTES = 4 * 1024 * 1024
"""Files larger than this are refused unless the caller raises the limit (``--max-bytes``)."""


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MiB"


def validate_source(data: bytes, name: str, *, max_bytes: int | None = DEFAULT_MAX_BYTES,
                    allow_empty: bool = False) -> bytes:
    """Check that ``data`` is source text: not empty, not binary, valid UTF-8, within ``max_bytes``.

    Returns the bytes without a UTF-8 byte-order mark. Raises :class:`InputError` naming ``name``.
    """
    if max_bytes is not None and len(data) > max_bytes:
        raise InputError(
            f"{name}: expected at most {_mib(max_bytes)} of source (raise it with --max-bytes), "
            f"found {_mib(len(data))}"
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.strip() and not allow_empty:
        raise InputError(f"{name}: expected source text, found an empty file" if not data
                         else f"{name}: expected source text, found only whitespace")
    nul = data.find(b"\x00", 0, 1 << 16)
    if nul >= 0:
        raise InputError(f"{name}: expected a text file, found binary data (a NUL byte at offset {nul})")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise InputError(
            f"{name}: expected UTF-8 text, found the byte 0x{data[err.start]:02x} at offset {err.start} "
            f"(line {line}) that is not valid UTF-8"
        ) from None
    return data


def read_source(path: str | os.PathLike[str], *, max_bytes: int | None = DEFAULT_MAX_BYTES,
                allow_empty: bool = False) -> bytes:
    """Read a source file, checked by :func:`validate_source`."""
    p = Path(path)
    try:
        if p.is_dir():
            raise InputError(f"{p}: expected a file, found a directory")
        size = p.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise InputError(
                f"{p}: expected at most {_mib(max_bytes)} of source (raise it with --max-bytes), found {_mib(size)}"
            )
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{p}: expected an existing file, found nothing at that path") from None
    except PermissionError:
        raise InputError(f"{p}: expected a readable file, found one we have no permission to read") from None
    except OSError as err:
        raise InputError(f"{p}: expected a readable file, found an error: {err.strerror or err}") from None
    return validate_source(data, str(p), max_bytes=max_bytes, allow_empty=allow_empty)
