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


BINARY_SAMPLE = 1 << 16
"""Bytes read from the start of a file to tell text from binary data."""
BINARY_CONTROL_SHARE = 0.1
"""A file is binary when more than this share of its sample is control bytes (NUL and the other C0 controls but
tab, line feed, vertical tab, form feed, carriage return and escape). Text may hold a few: NUL bytes inside string
literals are valid Java, and PHP heredocs hold them too; one is no proof of a binary file."""
_CONTROL = bytes(b for b in range(32) if b not in b"\t\n\x0b\x0c\r\x1b")


def binary_evidence(data: bytes) -> str | None:
    """Why ``data`` looks binary (a phrase for an error message), or ``None`` when it looks like text."""
    sample = data[:BINARY_SAMPLE]
    if not sample:
        return None
    controls = len(sample) - len(sample.translate(None, _CONTROL))
    if controls <= BINARY_CONTROL_SHARE * len(sample):
        return None
    first = next(i for i, b in enumerate(sample) if b in _CONTROL)
    return (f"{controls} control bytes in the first {len(sample)}, more than {BINARY_CONTROL_SHARE:.0%}; the first "
            f"at offset {first}")


def validate_source(data: bytes, name: str, *, max_bytes: int | None = DEFAULT_MAX_BYTES,
                    allow_empty: bool = False, encoding_declarations: bool = False,
                    binary_check: bool = True) -> bytes:
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
    evidence = binary_evidence(data) if binary_check else None
    if evidence is not None:
        raise InputError(f"{name}: expected a text file, found binary data ({evidence})")
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


def nul_safe(source: bytes) -> bytes:
    """``source`` for tree-sitter: its lexers read a NUL byte as the end of input, so a NUL inside a string
    literal (valid Java, PHP heredocs) would end the file there. NUL becomes U+0001, the same width, which lexers
    read as an ordinary character: offsets stay those of ``source``, and a NUL where the language allows no such
    character is still an error. Graphs keep the original bytes."""
    return source.replace(b"\x00", b"\x01") if b"\x00" in source else source
