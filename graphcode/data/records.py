"""Task records: what a dataset of code tasks is made of, and the files that hold them.

A record is one JSON object per line (JSONL)::

    {"id": "json/decoder.py:12:scanstring", "source": "def f(x):\\n    \\"\\"\\"Doc.\\"\\"\\"",
     "target": "\\n    return x", "lang": "python", "target_lang": "python", "split": "train"}

- ``source`` is code: a prefix to complete, a signature with its docstring, or code to translate. The
  code graph is built from it, in the language ``lang``.
- ``target`` is what the model must produce; ``target_lang`` its language when it is code in another
  language (translation), absent otherwise.
- ``split`` (optional) names the split (``train``, ``validation``, ``test``) when one file holds them all.
  Other fields (``path`` of a mined record, say) are kept and ignored.

Line-aligned parallel files (the CodeXGLUE layout: line *i* of ``train.java-cs.txt.java`` translates to
line *i* of ``train.java-cs.txt.cs``) are read by :func:`read_parallel`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from graphcode.errors import InputError
from graphcode.io import AtomicWriter, json_objects

REQUIRED_FIELDS: tuple[str, ...] = ("id", "source", "target", "lang")
SPLITS: tuple[str, ...] = ("train", "validation", "test")


@dataclass
class TaskRecord:
    """One example of a code task."""

    id: str
    """Unique within its file."""
    source: str
    """The code the model reads; the graph is built from it."""
    target: str
    """What the model must write."""
    lang: str
    """Language of ``source`` (a name or alias that ``graphcode.graphs`` knows)."""
    target_lang: str | None = None
    """Language of ``target`` when it is code in another language; ``None`` otherwise."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Any other fields of the line (``split``, ``path``), kept as they are."""

    def to_json(self) -> dict[str, Any]:
        """The JSON object of one line; ``extra`` fields are written beside the others."""
        out = {k: v for k, v in asdict(self).items() if k != "extra" and v is not None}
        out.update(self.extra)
        return out

    @classmethod
    def from_json(cls, obj: Any, where: str) -> TaskRecord:
        """Build a record from a parsed JSON line; ``where`` (``file:line``) names it in errors."""
        if not isinstance(obj, dict):
            raise InputError(f"{where}: expected a JSON object, found {type(obj).__name__}")
        for name in REQUIRED_FIELDS:
            value = obj.get(name)
            if not isinstance(value, str):
                found = "nothing" if name not in obj else f"{type(value).__name__} {value!r:.40}"
                raise InputError(f"{where}: field {name!r}: expected a string, found {found}")
        target_lang = obj.get("target_lang")
        if target_lang is not None and not isinstance(target_lang, str):
            raise InputError(
                f"{where}: field 'target_lang': expected a string or null, found {type(target_lang).__name__}"
            )
        known = {*REQUIRED_FIELDS, "target_lang"}
        return cls(
            id=obj["id"],
            source=obj["source"],
            target=obj["target"],
            lang=obj["lang"],
            target_lang=target_lang,
            extra={k: v for k, v in obj.items() if k not in known},
        )


def iter_jsonl(path: str | os.PathLike[str]) -> Iterator[TaskRecord]:
    """Records of a JSONL file, checked line by line; errors name the file and the line."""
    p = Path(path)
    try:
        f = p.open(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{p}: expected a JSONL file of task records, found nothing at that path") from None
    except OSError as err:
        raise InputError(f"{p}: expected a readable JSONL file, found: {err.strerror or err}") from None
    seen: set[str] = set()
    with f:
        lineno = 0
        try:
            for lineno, obj in json_objects(f, str(p)):
                where = f"{p}:{lineno}"
                record = TaskRecord.from_json(obj, where)
                if record.id in seen:
                    raise InputError(f"{where}: field 'id': expected a unique id, found {record.id!r} again")
                seen.add(record.id)
                yield record
        except UnicodeDecodeError as err:
            raise InputError(f"{p}:{lineno + 1}: expected UTF-8 text, found bytes that are not ({err.reason})") from None


def read_jsonl(path: str | os.PathLike[str]) -> list[TaskRecord]:
    """All records of a JSONL file (see :func:`iter_jsonl`)."""
    return list(iter_jsonl(path))


def write_jsonl(path: str | os.PathLike[str], records: Iterable[TaskRecord]) -> int:
    """Write records atomically, one JSON object per line; returns how many were written."""
    n = 0
    with AtomicWriter(path) as f:
        for record in records:
            f.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
            n += 1
    return n


def _read_lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: expected a line-aligned parallel file, found nothing at that path") from None
    except UnicodeDecodeError as err:
        raise InputError(f"{path}: expected UTF-8 text, found bytes that are not ({err.reason})") from None
    except OSError as err:
        raise InputError(f"{path}: expected a readable file, found: {err.strerror or err}") from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.rstrip("\r") for line in lines]


def read_parallel(source_path: str | os.PathLike[str], target_path: str | os.PathLike[str], lang: str,
                  target_lang: str | None = None, *, id_prefix: str | None = None) -> list[TaskRecord]:
    """Records from two line-aligned files: line *i* of ``source_path`` is the source of line *i* of
    ``target_path``. Ids are ``<id_prefix or source file name>:<line>``."""
    src, tgt = Path(source_path), Path(target_path)
    sources, targets = _read_lines(src), _read_lines(tgt)
    if len(sources) != len(targets):
        raise InputError(
            f"{src} and {tgt}: expected the same number of lines (line-aligned parallel files), "
            f"found {len(sources)} and {len(targets)}"
        )
    prefix = id_prefix or src.name
    return [
        TaskRecord(id=f"{prefix}:{i}", source=s, target=t, lang=lang, target_lang=target_lang)
        for i, (s, t) in enumerate(zip(sources, targets, strict=True), 1)
    ]
