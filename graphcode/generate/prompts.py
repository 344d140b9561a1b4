"""Prompts: from the command line, from a text file (one per line) or from JSONL records.

A JSONL record is an object with ``source`` (or ``prompt``): the code or text to start from, and
optionally ``id``, ``lang`` and ``target_lang``. A plain text file holds one prompt per line (blank
lines skipped); prompts spanning lines need JSONL. ``-`` reads standard input.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from graphcode.errors import InputError
from graphcode.io import json_objects


@dataclass(frozen=True)
class Prompt:
    """One prompt; ``lang`` and ``target_lang`` are ``None`` when the record does not say."""

    id: str
    source: str
    lang: str | None = None
    target_lang: str | None = None


def _read_text(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{path}: expected a prompts file, found {'a directory' if p.is_dir() else 'nothing'}")
    try:
        return p.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"{path}: expected UTF-8 text, found undecodable bytes at offset {err.start}") from None
    except OSError as err:
        raise InputError(f"{path}: cannot be read: {err.strerror or err}") from None


def _optional_str(record: dict, key: str, where: str) -> str | None:
    value = record.get(key)
    if value is None:
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool) or (isinstance(value, str) and not value):
        raise InputError(f"{where}: field {key!r}: expected a non-empty string, found {value!r}")
    return str(value)


def parse_jsonl(text: str, name: str) -> list[Prompt]:
    prompts = []
    for number, record in json_objects(text.splitlines(), name):
        where = f"{name}:{number}"
        key = "source" if "source" in record else "prompt"
        source = record.get(key)
        if not isinstance(source, str):
            raise InputError(f"{where}: expected a string field 'source' (or 'prompt'), found {source!r:.60}")
        ident = _optional_str(record, "id", where) or ""
        prompts.append(Prompt(ident, source, _optional_str(record, "lang", where),
                              _optional_str(record, "target_lang", where)))
    return prompts


def read_prompts(arguments: Sequence[str] = (), path: str | None = None) -> list[Prompt]:
    """Prompts given as arguments and/or in a file; ids are the record's ``id`` or the position."""
    prompts = [Prompt(str(i), text) for i, text in enumerate(arguments)]
    if path is not None:
        text = _read_text(path)
        name = "<stdin>" if path == "-" else path
        first = next((line for line in text.splitlines() if line.strip()), "")
        if path.endswith(".jsonl") or first.lstrip().startswith("{"):
            found = parse_jsonl(text, name)
        else:
            found = [Prompt("", line) for line in text.splitlines() if line.strip()]
        offset = len(prompts)
        prompts += [p if p.id else Prompt(str(offset + i), p.source, p.lang, p.target_lang) for i, p in enumerate(found)]
    if not prompts:
        raise InputError("prompts: expected at least one prompt (as arguments or with --prompts-file), found none")
    return prompts
