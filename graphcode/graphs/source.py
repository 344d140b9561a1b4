"""Reading source files with clear errors: missing, unreadable, binary, not UTF-8, empty, too large."""

from __future__ import annotations

import codecs
import os
import re
from pathlib import Path

from graphcode.errors import InputError

DEFAULT_MAX_BYTES = 4 * 1024 * 1024
"""Files larger than this are refused unless the caller raises the limit (``--max-bytes``)."""


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MiB"


_PEP263 = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def declared_encoding(data: bytes) -> str | None:
    """The encoding a PEP 263 declaration names in the first two lines (``# -*- coding: latin-1 -*-``)."""
    for line in data.split(b"\n", 2)[:2]:
        m = _PEP263.match(line)
        if m:
            return m.group(1).decode("ascii")
    return None


def _transcode(data: bytes, name: str) -> bytes | None:
    """Source in a declared non-UTF-8 encoding, re-encoded as UTF-8; None when nothing is declared."""
    encoding = declared_encoding(data)
    if encoding is None:
        return None
    try:
        codec = codecs.lookup(encoding)
    except LookupError:
        raise InputError(f"{name}: expected a known encoding in its coding declaration, found {encoding!r}") from None
    if codec.name == "utf-8":
        return None
    try:
        return data.decode(codec.name).encode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"{name}: expected text in its declared encoding {encoding!r}, found the byte "
                         f"0x{data[err.start]:02x} at offset {err.start} that is not") from None


def validate_source(data: bytes, name: str, *, max_bytes: int | None = DEFAULT_MAX_BYTES,
                    allow_empty: bool = False, encoding_declarations: bool = False) -> bytes:
    """Check that ``data`` is source text: not empty, not binary, valid UTF-8, within ``max_bytes``.

    Returns the bytes without a UTF-8 byte-order mark. With ``encoding_declarations`` (a language
    whose ``language.toml`` says ``source_encoding = "pep263"``), source in another encoding that
    declares it is re-encoded as UTF-8: graphs always hold UTF-8. Raises :class:`InputError` naming
    ``name``.
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
        if encoding_declarations:
            transcoded = _transcode(data, name)
            if transcoded is not None:
                return transcoded
        line = data.count(b"\n", 0, err.start) + 1
        raise InputError(
            f"{name}: expected UTF-8 text, found the byte 0x{data[err.start]:02x} at offset {err.start} "
            f"(line {line}) that is not valid UTF-8"
        ) from None
    return data


def read_source(path: str | os.PathLike[str], *, max_bytes: int | None = DEFAULT_MAX_BYTES,
                allow_empty: bool = False, encoding_declarations: bool = False) -> bytes:
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
    return validate_source(data, str(p), max_bytes=max_bytes, allow_empty=allow_empty,
                           encoding_declarations=encoding_declarations)
