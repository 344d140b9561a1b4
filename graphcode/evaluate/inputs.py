"""Reading the evaluation inputs: line-aligned text files and JSONL records, with errors that name the file,
the line, what was expected and what was found.

Text files are read as CodeXGLUE's evaluator reads them: UTF-8, universal newlines (``\\n``, ``\\r\\n`` and
``\\r`` end a line), one example per line, the line ending removed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphcode.errors import InputError
from graphcode.io import json_objects


@dataclass(frozen=True)
class Problem:
    """A HumanEval-form problem."""

    task_id: str
    prompt: str
    test: str
    entry_point: str


@dataclass(frozen=True)
class Sample:
    """One generated completion for a problem; ``line`` is its line in the samples file."""

    task_id: str
    completion: str
    line: int


CONTINUATION_TASKS = ("docstring-to-body", "completion")
"""Tasks whose target continues the source."""


@dataclass(frozen=True)
class Record:
    """A translation/generation record: ``target`` is the reference for ``source``."""

    id: str
    source: str
    target: str
    lang: str | None
    target_lang: str | None
    task: str | None = None
    """The mined task, if the record says: for ``docstring-to-body`` and ``completion`` the target
    continues the source, so the source and the prediction are checked for syntax together."""
    fragment: str | None = None
    """What the target is, if the record says (``file``, ``member``, ``block``, ``expression``)."""

    @property
    def continues_source(self) -> bool:
        return self.task in CONTINUATION_TASKS

    @property
    def output_lang(self) -> str | None:
        """The language of ``target`` (and so of the prediction): ``target_lang``, else ``lang``."""
        return self.target_lang or self.lang


def _read_text(path: Path) -> str:
    if not path.exists():
        raise InputError(f"{path}: expected a file, found nothing at that path")
    if path.is_dir():
        raise InputError(f"{path}: expected a file, found a directory")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InputError(f"{path}: expected a readable file, found: {err.strerror or err}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise InputError(f"{path}: expected UTF-8 text, found an invalid byte at line {line} (offset {err.start})") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_lines(path: str | Path) -> list[str]:
    """The lines of a text file, one example per line."""
    text = _read_text(Path(path))
    if not text:
        return []
    lines = text.split("\n")
    if lines[-1] == "":  # the final line ending ends the last line; it does not start a new one
        lines.pop()
    return lines


def read_jsonl(path: str | Path) -> list[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` for every non-blank line of a JSONL file."""
    path = Path(path)
    rows = list(json_objects(_read_text(path).split("\n"), str(path), where=lambda n: f"{path} line {n}"))
    if not rows:
        raise InputError(f"{path}: expected JSON lines, found an empty file")
    return rows


def _field(path: Path, number: int, row: dict[str, Any], name: str, *, optional: bool = False) -> Any:
    if name not in row:
        if optional:
            return None
        raise InputError(f"{path} line {number}: expected field {name!r}, found fields {sorted(row)}")
    value = row[name]
    if name in ("task_id", "id") and isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # numeric ids are common; compare them as text
    if not isinstance(value, str):
        if optional and value is None:
            return None
        raise InputError(f"{path} line {number}: expected field {name!r} to be a string, found {type(value).__name__}")
    return value


def _unique(path: Path, rows: Sequence[tuple[int, str]], what: str) -> None:
    seen: dict[str, int] = {}
    for number, key in rows:
        if key in seen:
            raise InputError(f"{path} line {number}: expected a unique {what}, found {key!r} again (first at line {seen[key]})")
        seen[key] = number


def is_problem_file(rows: Sequence[tuple[int, dict[str, Any]]]) -> bool:
    """Whether JSONL rows look like HumanEval problems (the first row has ``prompt``, ``test`` and ``entry_point``)."""
    return bool(rows) and {"prompt", "test", "entry_point"} <= set(rows[0][1])


def read_problems(path: str | Path, rows: Sequence[tuple[int, dict[str, Any]]] | None = None) -> list[Problem]:
    """HumanEval-form problems ``{"task_id", "prompt", "test", "entry_point"}``, one per line."""
    path = Path(path)
    rows = read_jsonl(path) if rows is None else rows
    problems = [
        Problem(*(_field(path, n, row, name) for name in ("task_id", "prompt", "test", "entry_point")))
        for n, row in rows
    ]
    _unique(path, [(n, p.task_id) for (n, _), p in zip(rows, problems, strict=True)], "task_id")
    return problems


def read_samples(path: str | Path, task_ids: set[str]) -> list[Sample]:
    """Samples ``{"task_id", "completion"}``; every ``task_id`` must be one of ``task_ids``."""
    path = Path(path)
    samples = []
    for number, row in read_jsonl(path):
        task_id = _field(path, number, row, "task_id")
        if task_id not in task_ids:
            raise InputError(f"{path} line {number}: expected a task_id of the problems file, found {task_id!r}")
        samples.append(Sample(task_id, _field(path, number, row, "completion"), number))
    return samples


def read_records(path: str | Path, rows: Sequence[tuple[int, dict[str, Any]]] | None = None,
                 split: str | None = None) -> list[Record]:
    """Records ``{"id", "source", "target", "lang", "target_lang"?}``, one per line; with ``split``, only those
    whose ``split`` field is ``split`` (an error names the splits the file has when there are none)."""
    path = Path(path)
    rows = read_jsonl(path) if rows is None else rows
    if split is not None:
        chosen = [(n, row) for n, row in rows if row.get("split") == split]
        if not chosen:
            found = sorted({str(row["split"]) for _, row in rows if "split" in row})
            raise InputError(f"{path}: --split {split}: expected records with \"split\": {split!r}, found "
                             + (f"splits {', '.join(found)}" if found else "no 'split' field"))
        rows = chosen
    records = [
        Record(
            id=_field(path, n, row, "id"),
            source=_field(path, n, row, "source"),
            target=_field(path, n, row, "target"),
            lang=_field(path, n, row, "lang", optional=True),
            target_lang=_field(path, n, row, "target_lang", optional=True),
            task=_field(path, n, row, "task", optional=True),
            fragment=_field(path, n, row, "fragment", optional=True),
        )
        for n, row in rows
    ]
    _unique(path, [(n, r.id) for (n, _), r in zip(rows, records, strict=True)], "id")
    return records


def read_predictions_by_id(path: str | Path, ids: Sequence[str]) -> list[str]:
    """Predictions ``{"id", "prediction"}`` from JSONL, returned in the order of ``ids``; exactly one per id.

    ``graphcode generate``'s own records are accepted too: their ``output`` is the prediction, and a
    prompt with no valid candidate (``output`` null) counts as the empty prediction.
    """
    path = Path(path)
    by_id: dict[str, str] = {}
    wanted = set(ids)
    for number, row in read_jsonl(path):
        key = _field(path, number, row, "id")
        if key not in wanted:
            raise InputError(f"{path} line {number}: expected an id of the data file, found {key!r}")
        if key in by_id:
            raise InputError(f"{path} line {number}: expected one prediction per id, found a second one for {key!r}")
        if "prediction" not in row and "output" in row and "candidates" in row:  # a graphcode generate record
            by_id[key] = _field(path, number, row, "output", optional=True) or ""
        else:
            by_id[key] = _field(path, number, row, "prediction")
    missing = [key for key in ids if key not in by_id]
    if missing:
        raise InputError(
            f"{path}: expected a prediction for every id of the data file, found none for {len(missing)} of them "
            f"(first: {missing[0]!r})"
        )
    return [by_id[key] for key in ids]


def read_predictions_by_line(path: str | Path, references_path: str | Path, count: int) -> list[str]:
    """Predictions ``{"id", "prediction"}`` from JSONL for the lines of a line-aligned references file, in line
    order. Each id ends in its 1-based line number, as ``graphcode predict`` names the records of parallel
    files (``valid.java-cs.txt.java:17``); exactly one prediction per line."""
    path = Path(path)
    by_line: dict[int, str] = {}
    for number, row in read_jsonl(path):
        key = _field(path, number, row, "id")
        head, _, tail = key.rpartition(":")
        if not head or not tail.isdigit() or not 1 <= int(tail) <= count:
            raise InputError(f"{path} line {number}: expected an id '<file>:<line>' with a line of {references_path} "
                             f"(1 to {count}), found {key!r}")
        if int(tail) in by_line:
            raise InputError(f"{path} line {number}: expected one prediction per line, found a second one for {key!r}")
        by_line[int(tail)] = _field(path, number, row, "prediction")
    missing = [n for n in range(1, count + 1) if n not in by_line]
    if missing:
        raise InputError(f"{path}: expected a prediction for every line of {references_path} ({count}), found none "
                         f"for {len(missing)} of them (first: line {missing[0]}); predict them all "
                         "(no data.max_predict_examples)")
    return [by_line[n] for n in range(1, count + 1)]


def aligned(predictions_path: str | Path, predictions: Sequence[str], other_path: str | Path, count: int, what: str) -> None:
    """Raise unless there is one prediction per ``what`` (line-aligned files)."""
    if len(predictions) != count:
        raise InputError(
            f"{predictions_path}: expected one prediction per {what} of {other_path} ({count}), "
            f"found {len(predictions)} lines"
        )
