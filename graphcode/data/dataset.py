"""Datasets of task records with cached features, through Hugging Face ``datasets``.

**Where records come from** (:func:`load_records`), by what ``path`` is:

- a ``.jsonl``/``.json``/``.parquet`` file holding every split, with a ``split`` field naming each
  record's split (as ``graphcode mine`` writes);
- a pattern with ``{split}`` (``data/{split}.jsonl``), one file per split;
- a folder of line-aligned parallel files when ``parallel`` names the two sides' file patterns (the
  CodeXGLUE layout: ``{split}.java-cs.txt.java`` beside ``{split}.java-cs.txt.cs``);
- otherwise a Hugging Face hub dataset name, loaded with ``datasets.load_dataset(path, split=...)``
  where the hub is reachable, its columns renamed by ``columns``.

Relative paths are relative to the working directory (run from the repository root).

**Features are built once** (:func:`featurize`): a ``Dataset.map`` (with ``num_proc`` processes) runs
:func:`graphcode.data.features.encode_source` on every record and writes Arrow files to
``<cache_dir>/features/<key>.arrow``, where the key hashes the records' content, the tokenizer and the
feature settings. Later runs and later epochs read the cache; nothing is parsed again.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from graphcode.data.features import FEATURE_VERSION, GraphSettings, encode_source, encode_target
from graphcode.data.records import TaskRecord, read_jsonl, read_parallel
from graphcode.data.tokenizer import tokenizer_fingerprint
from graphcode.errors import ConfigError, InputError
from graphcode.graphs.languages import get_spec
from graphcode.graphs.vocab import load_vocab

RECORD_COLUMNS: tuple[str, ...] = ("id", "source", "target", "lang")
FEATURE_COLUMNS: tuple[str, ...] = ("input_ids", "labels", "node_type", "edge_src", "edge_dst", "edge_type",
                                    "align_node", "align_token")


@dataclass
class ParallelFiles:
    """Line-aligned parallel files inside ``data.path``: one pattern per side, with ``{split}``."""

    source: str = "{split}.java-cs.txt.java"
    """File name of the source side (``lang``)."""
    target: str = "{split}.java-cs.txt.cs"
    """File name of the target side (``target_lang``)."""

    def __post_init__(self) -> None:
        for name in ("source", "target"):
            value = getattr(self, name)
            if not isinstance(value, str) or "{split}" not in value:
                raise ConfigError(f"data.parallel.{name}: expected a file name pattern with '{{split}}', found {value!r}")


@dataclass
class SplitNames:
    """The name of each split in the data; ``None`` when the data has no such split."""

    train: str | None = "train"
    validation: str | None = "validation"
    test: str | None = "test"


class RecordSet(NamedTuple):
    """The records of one split as a ``datasets.Dataset`` (columns ``id, source, target, lang``) and a
    hash of their content."""

    dataset: Any
    fingerprint: str


@dataclass(frozen=True)
class FeatureSettings:
    """Everything that decides an example's features; part of the cache key."""

    lang: str
    max_source_length: int = 256
    max_target_length: int = 256
    graph: bool = True
    graph_settings: GraphSettings = field(default_factory=GraphSettings)
    decoder_only: bool = False

    def __post_init__(self) -> None:
        for name in ("max_source_length", "max_target_length"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"data.{name}: expected an integer >= 1, found {value!r}")

    def key(self) -> dict[str, Any]:
        return {**asdict(self), "version": FEATURE_VERSION}


def _fingerprint_records(records: list[TaskRecord]) -> str:
    h = hashlib.sha256()
    for r in records:
        h.update(json.dumps([r.id, r.source, r.target, r.lang], ensure_ascii=False).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()[:16]


def _check_lang(records: list[TaskRecord], lang: str, where: str) -> None:
    want = get_spec(lang).name
    for r in records:
        if r.lang != want and get_spec(r.lang).name != want:
            raise InputError(f"{where}: record {r.id!r}: field 'lang': expected {want!r} (data.lang), found {r.lang!r}")


def _from_records(records: list[TaskRecord], lang: str, where: str) -> RecordSet:
    from datasets import Dataset, Features, Value

    _check_lang(records, lang, where)
    features = Features({name: Value("string") for name in RECORD_COLUMNS})
    columns = {name: [getattr(r, name) for r in records] for name in RECORD_COLUMNS}
    return RecordSet(Dataset.from_dict(columns, features=features), _fingerprint_records(records))


def is_local(path: str) -> bool:
    """Whether ``path`` names a local file rather than a hub dataset (``name`` or ``owner/name``)."""
    p = Path(path)
    return (p.exists() or p.suffix.lower() in (".jsonl", ".json", ".parquet")
            or path.startswith((".", "/", "~")) or path.count("/") > 1)


def load_records(path: str, split: str, *, lang: str, target_lang: str | None = None,
                 parallel: ParallelFiles | None = None, columns: dict[str, str] | None = None,
                 cache_dir: str | None = None) -> RecordSet:
    """The records of split ``split`` from ``path`` (see the module docstring for the forms of ``path``)."""
    if parallel is not None:
        folder = Path(path)
        if not folder.is_dir():
            raise InputError(f"{folder}: expected a folder of line-aligned parallel files (data.path), found "
                             f"{'a file' if folder.exists() else 'nothing at that path'}")
        src = folder / parallel.source.format(split=split)
        tgt = folder / parallel.target.format(split=split)
        if not src.is_file():
            found = parallel_splits(folder, parallel)
            raise ConfigError(f"split {split!r}: expected {src.name} in {folder}, found "
                              f"{'splits ' + ', '.join(found) if found else 'no files matching ' + parallel.source}")
        records = read_parallel(src, tgt, lang, target_lang)
        return _from_records(records, lang, str(src))
    if "{split}" in path:
        return _load_file(Path(path.format(split=split)), None, lang)
    if is_local(path):
        return _load_file(Path(path), split, lang)
    return _load_hub(path, split, lang, columns or {}, cache_dir)


def _load_file(file: Path, split: str | None, lang: str) -> RecordSet:
    if not file.is_file():
        raise InputError(f"{file}: expected a JSONL or Parquet file of task records, found "
                         f"{'a folder' if file.is_dir() else 'nothing at that path'}")
    suffix = file.suffix.lower()
    if suffix in (".jsonl", ".json"):
        records = read_jsonl(file)
    elif suffix == ".parquet":
        from datasets import Dataset

        table = Dataset.from_parquet(str(file))
        missing = [c for c in RECORD_COLUMNS if c not in table.column_names]
        if missing:
            raise InputError(f"{file}: expected columns {', '.join(RECORD_COLUMNS)}, found no {', '.join(missing)} "
                             f"(found {', '.join(table.column_names)})")
        records = [TaskRecord.from_json(row, f"{file}[{i}]") for i, row in enumerate(table)]
    else:
        raise InputError(f"{file}: expected a .jsonl, .json or .parquet file, found {suffix or 'no extension'!r}")
    if split is not None:
        if records and not any("split" in r.extra for r in records):
            raise InputError(f"{file}: expected a 'split' field to select the {split!r} split, found none "
                             "(give a path with '{split}' for one file per split)")
        records = select_split(records, split, file)
    return _from_records(records, lang, str(file))


def select_split(records: list[TaskRecord], split: str, file: str | os.PathLike[str]) -> list[TaskRecord]:
    """The records whose ``split`` field is ``split``; a :class:`ConfigError` naming the splits the file has
    when there are none."""
    chosen = [r for r in records if r.extra.get("split") == split]
    if records and not chosen:
        found = sorted({str(r.extra.get("split")) for r in records})
        raise ConfigError(f"split {split!r}: expected records with \"split\": {split!r} in {file}, found splits "
                          f"{', '.join(found)}")
    return chosen


def parallel_splits(folder: Path, parallel: ParallelFiles) -> list[str]:
    """The split names for which ``folder`` holds a source-side file of ``parallel``."""
    head, tail = parallel.source.split("{split}", 1)
    names = [p.name[len(head):len(p.name) - len(tail)] for p in folder.iterdir()
             if p.name.startswith(head) and p.name.endswith(tail) and len(p.name) > len(head) + len(tail)]
    return sorted(names)


def _load_hub(name: str, split: str, lang: str, columns: dict[str, str], cache_dir: str | None) -> RecordSet:
    import datasets

    try:
        ds = datasets.load_dataset(name, split=split, cache_dir=None if cache_dir is None else str(Path(cache_dir) / "hub"))
    except Exception as err:  # connection errors, missing datasets and splits raise many types
        raise InputError(f"{name}: expected a local file or a reachable Hugging Face dataset with split "
                         f"{split!r}, found: {err}") from err
    rename = {column: record for record, column in columns.items() if column != record}
    if rename:
        ds = ds.rename_columns(rename)
    if "lang" not in ds.column_names:
        ds = ds.add_column("lang", [get_spec(lang).name] * len(ds))
    if "id" not in ds.column_names:
        ds = ds.add_column("id", [f"{name}:{split}:{i}" for i in range(len(ds))])
    missing = [c for c in RECORD_COLUMNS if c not in ds.column_names]
    if missing:
        raise InputError(f"{name} [{split}]: expected columns {', '.join(RECORD_COLUMNS)}, found no "
                         f"{', '.join(missing)} (map them with data.columns)")
    ds = ds.select_columns(list(RECORD_COLUMNS))
    return RecordSet(ds, ds._fingerprint)


def subsample(records: RecordSet, limit: int | None, seed: int) -> RecordSet:
    """At most ``limit`` records, a seeded random subset kept in its original order."""
    n = len(records.dataset)
    if limit is None or n <= limit:
        return records
    indices = sorted(random.Random(seed).sample(range(n), limit))
    key = hashlib.sha256(f"{records.fingerprint}:{limit}:{seed}".encode()).hexdigest()[:16]
    return RecordSet(records.dataset.select(indices), key)


def _featurize_batch(batch: dict[str, list[Any]], *, tokenizer: Any, settings: FeatureSettings) -> dict[str, list[Any]]:
    options = settings.graph_settings.options()
    vocab = load_vocab(get_spec(settings.lang).name) if settings.graph else None
    out: dict[str, list[Any]] = {name: [] for name in FEATURE_COLUMNS}
    for source, target in zip(batch["source"], batch["target"], strict=True):
        feats = encode_source(source, settings.lang, tokenizer, max_source_length=settings.max_source_length,
                              graph_options=options, vocab=vocab, graph=settings.graph,
                              prune_graph=settings.graph_settings.prune)
        for name, value in feats._asdict().items():
            out[name].append(value)
        out["labels"].append(encode_target(target, tokenizer, max_target_length=settings.max_target_length,
                                           decoder_only=settings.decoder_only))
    return out


def feature_cache_path(records: RecordSet, tokenizer: Any, settings: FeatureSettings, cache_dir: str | os.PathLike[str]) -> Path:
    """The Arrow file the features of ``records`` are cached in."""
    key = json.dumps([records.fingerprint, tokenizer_fingerprint(tokenizer), settings.key()], sort_keys=True)
    return Path(cache_dir) / "features" / f"{hashlib.sha256(key.encode()).hexdigest()[:20]}.arrow"


def featurize(records: RecordSet, tokenizer: Any, settings: FeatureSettings, *, cache_dir: str | os.PathLike[str],
              num_proc: int | None = None, desc: str = "features") -> Any:
    """Features of every record, from the cache or built now and cached; returns a ``datasets.Dataset``
    in torch format (feature columns as long tensors, ``id`` as a string)."""
    from datasets import Features, List, Value

    path = feature_cache_path(records, tokenizer, settings, cache_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    schema = Features({"id": Value("string"), **{name: List(Value("int32")) for name in FEATURE_COLUMNS}})
    ds = records.dataset
    n = len(ds)
    num_proc = num_proc if num_proc and num_proc > 1 and n >= 2 * num_proc else None
    features = ds.map(
        _featurize_batch,
        batched=True,
        batch_size=64,
        fn_kwargs={"tokenizer": tokenizer, "settings": settings},
        remove_columns=[c for c in ds.column_names if c != "id"],
        features=schema,
        num_proc=num_proc,
        cache_file_name=str(path),
        new_fingerprint=path.stem,
        load_from_cache_file=True,
        desc=desc,
    )
    return features.with_format("torch", columns=list(FEATURE_COLUMNS), output_all_columns=True)
