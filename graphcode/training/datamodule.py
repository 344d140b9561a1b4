"""The LightningDataModule: task records → cached features → :class:`GraphCodeBatch` batches.

``__init__`` only stores settings. :meth:`GraphCodeDataModule.prepare_data` (once per node) mines the
records when ``path`` is null and ``mine`` is set (into ``<cache_dir>/mined/``, keyed by the mining
settings), trains the tokenizer if none is named, and builds the features of the splits the run needs
into ``cache_dir``; :meth:`setup` (every process) loads the same from the caches. A ``path`` that does
not exist is an error: nothing is ever mined in its place. See :mod:`graphcode.data.dataset` for the
forms of ``path``.

**Exact resume.** Training batches come in a seeded order that depends on the epoch only
(``seed + epoch``), and the training loader is stateful: Lightning saves its ``state_dict`` (the epoch
and the batches already trained in it) in every checkpoint, and a run resumed mid-epoch skips exactly
those batches (:class:`ResumableLoader`). With several processes each takes its share of every global
batch (:class:`EpochShuffleSampler`), so the global batches are those of one process with the same
global batch size.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple

import lightning.pytorch as pl
import torch
from lightning.pytorch.utilities import rank_zero_info
from torch.utils.data import DataLoader, DistributedSampler

from graphcode.data.collate import GraphCodeCollator
from graphcode.data.dataset import (
    FeatureSettings,
    ParallelFiles,
    RecordSet,
    SplitNames,
    featurize,
    is_local,
    load_records,
    subsample,
)
from graphcode.data.features import GraphSettings
from graphcode.data.mine import MineConfig
from graphcode.data.tokenizer import TokenizerConfig, load_or_train_tokenizer
from graphcode.errors import ConfigError
from graphcode.graphs.languages import get_spec
from graphcode.models.batch import GraphCodeBatch

CONTINUATION_TASKS = ("docstring-to-body", "completion")
"""Mined tasks whose target continues the source: generated code is checked together with its prompt."""

Stage = Literal["train", "validation", "test"]
_STAGE_SPLITS: dict[str, tuple[str, ...]] = {
    "fit": ("train", "validation"),
    "validate": ("validation",),
    "test": ("test",),
}


class EpochShuffleSampler(DistributedSampler):
    """A random order of ``range(n)`` that depends only on ``seed + epoch`` (Lightning calls ``set_epoch``),
    shared out among ``num_replicas`` processes.

    With ``lengths``, examples of similar length are put next to each other so that each global batch of
    ``batch_size * num_replicas`` consecutive indices needs little padding: the shuffled indices are cut into
    chunks of ``batch_size * num_replicas * chunk_batches``, each chunk is sorted by length and cut into global
    batches, and the global batches are shuffled. Process ``rank`` takes the ``rank``-th of the
    ``num_replicas`` equal parts of every global batch, so the global batches are exactly those of one
    process with batch size ``batch_size * num_replicas``. The order is padded with its own first indices to
    a multiple of ``num_replicas`` (every process gets as many batches). It subclasses
    :class:`~torch.utils.data.DistributedSampler`, so Lightning uses it as it is under DDP or FSDP.

    Args:
        n: Number of examples.
        seed: Seed of the order. (default: ``0``)
        lengths: Length of each example ``(n,)``, or ``None`` for a plain shuffle. (default: :obj:`None`)
        batch_size: Batch size of one process. (default: ``1``)
        chunk_batches: Global batches per sorted chunk. (default: ``50``)
        num_replicas: Number of processes. (default: ``1``)
        rank: This process. (default: ``0``)
    """

    def __init__(self, n: int, seed: int = 0, lengths: Sequence[int] | None = None, batch_size: int = 1,
                 chunk_batches: int = 50, num_replicas: int = 1, rank: int = 0) -> None:
        if lengths is not None and len(lengths) != n:
            raise ValueError(f"EpochShuffleSampler: expected {n} lengths, found {len(lengths)}")
        super().__init__(range(n), num_replicas=num_replicas, rank=rank, shuffle=False, seed=seed)
        self.n = n
        self.lengths = None if lengths is None else torch.as_tensor(lengths)
        self.batch_size, self.chunk_batches = batch_size, chunk_batches
        self.num_samples = math.ceil(n / num_replicas)  # per process
        self.total_size = self.num_samples * num_replicas
        self._skip: tuple[int, int] | None = None

    def skip_once(self, epoch: int, count: int) -> None:
        """Leave out the first ``count`` indices of this process the next time epoch ``epoch`` is iterated."""
        self._skip = (epoch, count)

    def global_order(self) -> list[int]:
        """The order of all processes for this epoch, padded to ``total_size``."""
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        order = torch.randperm(self.n, generator=generator)  # (n,)
        size = self.batch_size * self.num_replicas  # a global batch
        if self.lengths is not None and size > 1:
            chunk = size * self.chunk_batches
            batches = []
            for start in range(0, self.n, chunk):
                part = order[start:start + chunk]
                part = part[torch.argsort(self.lengths[part], descending=True, stable=True)]
                batches.extend(part.split(size))
            shuffled = torch.randperm(len(batches), generator=generator).tolist()
            order = torch.cat([batches[i] for i in shuffled])
        indices = order.tolist()
        return indices + indices[: self.total_size - self.n]

    def __iter__(self) -> Iterator[int]:
        order = self.global_order()
        if self.num_replicas > 1:  # this process's part of every global batch
            size, mine = self.batch_size * self.num_replicas, []
            for start in range(0, self.total_size, size):
                batch = order[start:start + size]
                part = len(batch) // self.num_replicas
                mine.extend(batch[self.rank * part:(self.rank + 1) * part])
            order = mine
        skip, self._skip = self._skip, None
        if skip is not None and skip[0] == self.epoch:
            order = order[skip[1]:]
        return iter(order)

    def __len__(self) -> int:
        return self.num_samples


class ResumableLoader(DataLoader):
    """The training loader, resumable mid-epoch: Lightning saves its :meth:`state_dict` in checkpoints and
    restores it with :meth:`load_state_dict` before the first batch.

    The state is the epoch and the number of batches already trained in it, which ``trained_batches`` reads
    from the trainer (a loader cannot count them itself: Lightning fetches one batch ahead). Restored, the
    loader's next pass over that epoch starts after those batches.
    """

    def __init__(self, *args: Any, trained_batches: Callable[[], int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.trained_batches = trained_batches

    def state_dict(self) -> dict[str, int]:
        sampler: EpochShuffleSampler = self.sampler  # type: ignore[assignment]
        epoch, done = sampler.epoch, self.trained_batches()
        if done >= len(self):  # saved at the end of an epoch: the next one starts from its beginning
            epoch, done = epoch + 1, 0
        return {"epoch": epoch, "batches": done, "batch_size": int(self.batch_size or 1),
                "examples": sampler.n, "num_replicas": sampler.num_replicas}

    def load_state_dict(self, state: dict[str, int]) -> None:
        sampler: EpochShuffleSampler = self.sampler  # type: ignore[assignment]
        now = {"batch_size": int(self.batch_size or 1), "examples": sampler.n, "num_replicas": sampler.num_replicas}
        for key, value in now.items():
            if key in state and state[key] != value:
                raise ConfigError(f"resume: the checkpoint's training loader had {key} {state[key]}, this run has "
                                  f"{value}: expected the same data, batch size and processes to resume exactly")
        sampler.set_epoch(state["epoch"])
        sampler.skip_once(state["epoch"], state["batches"] * now["batch_size"])


@dataclass
class PredictBatch:
    """A batch for ``predict``: the examples' ids and the inference batch (``labels=None``)."""

    ids: list[str]
    batch: GraphCodeBatch

    def to(self, device: torch.device | str, non_blocking: bool = False) -> PredictBatch:
        return PredictBatch(self.ids, self.batch.to(device, non_blocking=non_blocking))


@dataclass(frozen=True)
class _PredictCollator:
    collator: GraphCodeCollator

    def __call__(self, rows: Sequence[dict[str, Any]]) -> PredictBatch:
        return PredictBatch([row["id"] for row in rows], self.collator([{**row, "labels": None} for row in rows]))


def node_type_count(lang: str) -> int:
    """Size of the node-type vocabulary of ``lang`` (links ``data.lang`` to ``model.gnn.num_node_types``)."""
    from graphcode.graphs.vocab import load_vocab

    return load_vocab(lang).size


class GraphCodeDataModule(pl.LightningDataModule):
    """Task records with cached code graphs, batched for a GraphCodeModel.

    Args:
        path: The records: a JSONL/Parquet file with a ``split`` field, a pattern with ``{split}``, a folder of
            parallel files (with ``parallel``) or a hub dataset name. Relative to the working directory. A
            local path must exist; ``null`` uses the records ``mine`` makes.
        lang: Language of the sources (the graphs' language).
        target_lang: Language of the targets when they are code in another language (translation).
        mine: When ``path`` is null, ``prepare_data`` mines the records as this says, into
            ``<cache_dir>/mined/`` (keyed by these settings: changing them mines again).
        task: What the records are for, when not mined: ``docstring-to-body`` or ``completion`` (targets
            continue their source and are checked with it), ``summarize`` (targets are text), or ``null``
            (targets are code on their own: translation, generation). Mined records: ``mine.task``.
        fragment: What targets are, for the syntax check of generated code: ``file`` (whole files), ``member`` (a
            method or constructor without its class: CodeXGLUE's translation pairs), ``block`` or ``expression``.
        parallel: File name patterns of line-aligned parallel files inside the folder ``path``.
        splits: Name of each split in the data; ``null`` for a split the data lacks.
        columns: For hub datasets: record field → dataset column (``{"source": "code"}``).
        tokenizer: A pretrained tokenizer, or the settings of one trained on the training split.
        graph_options: How the code graphs are built.
        max_source_length: Source tokens kept (special tokens included); the graph is cut to match.
        max_target_length: Target tokens kept.
        max_examples: Use at most this many training examples (a seeded random subset).
        max_eval_examples: Use at most this many validation/test examples (a seeded random subset).
        max_predict_examples: ``predict`` generates for at most this many examples; ``null``: all of the split.
        predict_split: The split ``predict`` generates for.
        batch_size: Training batch size.
        group_by_length: Batch training examples of similar length together (less padding, same epoch
            coverage; see :class:`EpochShuffleSampler`).
        eval_batch_size: Validation/test/predict batch size (default: ``batch_size``).
        num_workers: DataLoader worker processes.
        num_proc: Processes building the features (``datasets.map``); ``null`` builds in this process.
        cache_dir: Where mined records, trained tokenizers and features are cached.
        seed: Seed of the training order and of the example subsets.
        backbone: The model's backbone (linked from ``model.backbone``): decides the decoder-only layout.
        graph: Whether the model uses graphs (linked from ``model.graph``); ``false`` skips building them.
    """

    def __init__(
        self,
        path: str | None = None,
        lang: str = "python",
        target_lang: str | None = None,
        mine: MineConfig | None = None,
        task: str | None = None,
        fragment: str = "file",
        parallel: ParallelFiles | None = None,
        splits: SplitNames = SplitNames(),  # noqa: B008 - a dataclass default is read, never mutated
        columns: dict[str, str] | None = None,
        tokenizer: TokenizerConfig = TokenizerConfig(),  # noqa: B008
        graph_options: GraphSettings = GraphSettings(),  # noqa: B008
        max_source_length: int = 256,
        max_target_length: int = 256,
        max_examples: int | None = None,
        max_eval_examples: int | None = None,
        max_predict_examples: int | None = None,
        predict_split: Stage = "test",
        batch_size: int = 16,
        group_by_length: bool = True,
        eval_batch_size: int | None = None,
        num_workers: int = 0,
        num_proc: int | None = None,
        cache_dir: str = "runs/cache",
        seed: int = 0,
        backbone: str | dict[str, Any] | None = None,
        graph: bool = True,
    ) -> None:
        super().__init__()
        if path is not None and (not isinstance(path, str) or not path):
            raise ConfigError(f"data.path: expected a file, folder or dataset name, found {path!r}")
        if path is None and mine is None:
            raise ConfigError("data.path: expected a file, folder or dataset name (or data.mine to mine records), "
                              "found neither")
        for name, value, low in (("batch_size", batch_size, 1), ("num_workers", num_workers, 0),
                                 ("max_source_length", max_source_length, 1),
                                 ("max_target_length", max_target_length, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ConfigError(f"data.{name}: expected an integer >= {low}, found {value!r}")
        for name, value in (("eval_batch_size", eval_batch_size), ("max_examples", max_examples),
                            ("max_eval_examples", max_eval_examples),
                            ("max_predict_examples", max_predict_examples), ("num_proc", num_proc)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ConfigError(f"data.{name}: expected a positive integer or null, found {value!r}")
        if predict_split not in ("train", "validation", "test"):
            raise ConfigError(f"data.predict_split: expected train, validation or test, found {predict_split!r}")
        self.path = path
        self.lang = lang
        self.target_lang = target_lang
        self.mine = mine
        from graphcode.data.mine import TASKS

        if task is not None and task not in TASKS:
            raise ConfigError(f"data.task: expected one of {', '.join(TASKS)} or null, found {task!r}")
        self._task = task
        from graphcode.check import FRAGMENTS

        if fragment not in FRAGMENTS:
            raise ConfigError(f"data.fragment: expected one of {', '.join(FRAGMENTS)}, found {fragment!r}")
        self.fragment = fragment
        self.parallel = parallel
        self.splits = splits
        self.columns = columns
        self.tokenizer_config = tokenizer
        self.graph_options = graph_options
        self.max_source_length = max_source_length
        self.max_target_length = max_target_length
        self.max_examples = max_examples
        self.max_eval_examples = max_eval_examples
        self.max_predict_examples = max_predict_examples
        self.predict_split = predict_split
        self.batch_size = batch_size
        self.group_by_length = group_by_length
        self.eval_batch_size = eval_batch_size or batch_size
        self.num_workers = num_workers
        self.num_proc = num_proc
        self.cache_dir = cache_dir
        self.seed = seed
        self.backbone = backbone
        self.graph = graph
        self.tokenizer: Any = None
        self.datasets: dict[str, Any] = {}
        self.records: dict[str, RecordSet] = {}
        self._references: dict[str, tuple[RecordSet, dict[str, Reference]]] = {}
        self._decoder_only: bool | None = None

    # ------------------------------------------------------------------ settings

    @property
    def decoder_only(self) -> bool:
        """Whether the backbone is decoder-only (read from its config on first use)."""
        if self._decoder_only is None:
            self._decoder_only = _is_decoder_only(self.backbone)
        return self._decoder_only

    def feature_settings(self) -> FeatureSettings:
        return FeatureSettings(lang=get_spec(self.lang).name, max_source_length=self.max_source_length,
                               max_target_length=self.max_target_length, graph=self.graph,
                               graph_settings=self.graph_options, decoder_only=self.decoder_only)

    def export_settings(self) -> dict[str, Any]:
        """The data settings an exported model must be used with (``graphcode_data.json``)."""
        return {
            "lang": get_spec(self.lang).name,
            "target_lang": self.target_lang,
            "graph": self.graph,
            "graph_options": asdict(self.graph_options),
            "max_source_length": self.max_source_length,
            "max_target_length": self.max_target_length,
            "decoder_only": self.decoder_only,
            # what generation checks: the output alone, or the prompt it continues plus the output
            "check": "completion" if self.continues_source else "generate",
            "fragment": self.fragment,
        }

    def _split_name(self, split: str) -> str:
        name = getattr(self.splits, split)
        if name is None:
            hint = " (point data.splits.test at the validation split to test on it)" if split == "test" else ""
            raise ConfigError(f"data.splits.{split}: expected the name of the {split} split in {self.records_path}, "
                              f"found null: this data has no {split} split{hint}")
        return name

    def _stage_splits(self, stage: str | None) -> tuple[str, ...]:
        if stage == "predict":
            return ("predict",)
        if stage in _STAGE_SPLITS:
            return _STAGE_SPLITS[stage]
        return tuple(s for s in ("train", "validation", "test") if getattr(self.splits, s) is not None)

    def _current_stage(self) -> str | None:
        trainer = self.trainer
        fn = getattr(getattr(trainer, "state", None), "fn", None) if trainer is not None else None
        return getattr(fn, "value", None)

    # ------------------------------------------------------------------ building

    @property
    def records_path(self) -> str:
        """Where the records are read from: ``path``, or the file ``mine`` writes into the cache."""
        if self.path is not None:
            return self.path
        assert self.mine is not None
        from graphcode.data.mine import STDLIB, stdlib_path

        sources = [str(stdlib_path()) if s == STDLIB else str(Path(s).resolve()) for s in self.mine.sources]
        key = json.dumps({**asdict(self.mine), "sources": sources}, sort_keys=True)
        digest = hashlib.sha256(key.encode()).hexdigest()[:12]
        return str(Path(self.cache_dir) / "mined" / f"{get_spec(self.mine.lang).name}-{self.mine.task}-{digest}.jsonl")

    def _ensure_records(self) -> None:
        if self.path is not None:
            if (self.parallel is not None or is_local(self.path)) and "{split}" not in self.path \
                    and not Path(self.path).exists():
                raise ConfigError(f"data.path: expected an existing file or folder of records, found nothing at "
                                  f"{self.path!r} (resolved: {Path(self.path).resolve()})")
            return
        path = self.records_path
        if Path(path).exists():
            return
        from graphcode.data.mine import mine
        from graphcode.data.records import write_jsonl

        assert self.mine is not None
        rank_zero_info(f"data: mining {', '.join(self.mine.sources)} ({self.mine.lang}, {self.mine.task}) "
                       f"into {path}")
        result = mine(self.mine, progress=True, report=rank_zero_info)
        write_jsonl(path, result.records)
        rank_zero_info(f"data: {path}: {result.summary()}")

    def _limit(self, use: str) -> int | None:
        if use == "predict":
            return self.max_predict_examples
        return self.max_examples if use == "train" else self.max_eval_examples

    def _records(self, use: str) -> RecordSet:
        """The records of a use: ``train``, ``validation``, ``test`` (subsets as configured), or ``predict``
        (the whole ``predict_split`` unless ``max_predict_examples``)."""
        if use not in self.records:
            self._ensure_records()
            split = self.predict_split if use == "predict" else use
            records = load_records(self.records_path, self._split_name(split), lang=self.lang,
                                   target_lang=self.target_lang, parallel=self.parallel, columns=self.columns,
                                   cache_dir=self.cache_dir)
            self.records[use] = subsample(records, self._limit(use), self.seed)
        return self.records[use]

    def references(self, use: str) -> dict[str, Reference]:
        """Each example's source and reference target by id, for the examples of a use (see :meth:`_records`); read
        once per record set."""
        records = self._records(use)
        cached = self._references.get(use)
        if cached is None or cached[0] is not records:
            table = {row["id"]: Reference(row["source"], row["target"])
                     for row in records.dataset.select_columns(["id", "source", "target"])}
            cached = self._references[use] = (records, table)
        return cached[1]

    @property
    def task(self) -> str | None:
        """``data.task``, else the mined task when the records are mined, else ``None``."""
        if self._task is not None:
            return self._task
        return self.mine.task if self.mine is not None and self.path is None else None

    @property
    def output_lang(self) -> str | None:
        """The language of the targets (and so of what the model generates), ``None`` for text (summaries)."""
        if self.task == "summarize":
            return None
        return get_spec(self.target_lang or self.lang).name

    @property
    def continues_source(self) -> bool:
        """Whether targets continue their source (docstring → body, completion): checked together."""
        return self.task in CONTINUATION_TASKS

    def _load_tokenizer(self) -> Any:
        config = self.tokenizer_config
        if not config.trained:
            return load_or_train_tokenizer(config)
        train = self._records("train")
        limit = config.max_training_examples or len(train.dataset)
        subset = train.dataset.select(range(min(limit, len(train.dataset))))

        def texts() -> Iterator[str]:
            for row in subset:
                yield row["source"]
                yield row["target"]

        return load_or_train_tokenizer(config, cache_dir=self.cache_dir,
                                       data_fingerprint=f"{train.fingerprint}:{limit}", texts=texts())

    def _build(self, splits: Sequence[str]) -> None:
        self._ensure_records()
        if self.tokenizer is None:
            self.tokenizer = self._load_tokenizer()
        settings = self.feature_settings()
        for use in splits:
            if use in self.datasets:
                continue
            records = self._records(use)
            split = self.predict_split if use == "predict" else use
            if len(records.dataset) == 0:
                raise ConfigError(f"data: expected examples in the {split} split of {self.records_path}, found none")
            self.datasets[use] = featurize(records, self.tokenizer, settings, cache_dir=self.cache_dir,
                                           num_proc=self.num_proc, desc=f"graphs ({split})")

    def prepare_data(self) -> None:
        """Mine, train the tokenizer and build the features into the caches (once per node)."""
        self._build(self._stage_splits(self._current_stage()))

    def setup(self, stage: str | None = None) -> None:
        """Load the tokenizer and the features of ``stage``'s splits (from the caches)."""
        self._build(self._stage_splits(stage))

    # ------------------------------------------------------------------ loaders

    def collator(self, padding_side: str = "right") -> GraphCodeCollator:
        pad = self.tokenizer.pad_token_id
        if pad is None:
            pad = self.tokenizer.eos_token_id
        if pad is None:
            raise ConfigError("tokenizer: expected a padding or end-of-sequence token, found neither")
        return GraphCodeCollator(pad_token_id=int(pad), decoder_only=self.decoder_only, graph=self.graph,
                                 padding_side=padding_side)

    def _dataset(self, use: str) -> Any:
        if use not in self.datasets:
            self._build((use,))
        return self.datasets[use]

    def _world(self) -> tuple[int, int]:
        trainer = self.trainer
        return (trainer.world_size, trainer.global_rank) if trainer is not None else (1, 0)

    def _trained_batches(self) -> int:
        trainer = self.trainer
        return trainer.fit_loop.epoch_loop.batch_progress.current.ready if trainer is not None else 0

    def _loader(self, dataset: Any, *, predict: bool = False, sampler: Any = None) -> DataLoader:
        collate: Any = self.collator()
        if predict:
            collate = _PredictCollator(self.collator("left" if self.decoder_only else "right"))
        if sampler is None and self.group_by_length:  # evaluation order does not matter: longest first
            lengths = _lengths(dataset)
            sampler = sorted(range(len(dataset)), key=lambda i: -lengths[i])
        return DataLoader(dataset, batch_size=self.eval_batch_size, sampler=sampler, collate_fn=collate,
                          generator=torch.Generator().manual_seed(self.seed), num_workers=self.num_workers,
                          persistent_workers=self.num_workers > 0)

    def train_dataloader(self) -> ResumableLoader:
        dataset = self._dataset("train")
        lengths = _lengths(dataset) if self.group_by_length else None
        replicas, rank = self._world()
        sampler = EpochShuffleSampler(len(dataset), self.seed, lengths, self.batch_size, num_replicas=replicas,
                                      rank=rank)
        return ResumableLoader(
            dataset,
            batch_size=self.batch_size,
            sampler=sampler,
            collate_fn=self.collator(),
            # Its own generator (for worker seeds): starting a loader leaves the global generator alone.
            generator=torch.Generator().manual_seed(self.seed),
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
            trained_batches=self._trained_batches,
        )

    def val_dataloader(self) -> DataLoader:
        return self._loader(self._dataset("validation"))

    def test_dataloader(self) -> DataLoader:
        return self._loader(self._dataset("test"))

    def predict_dataloader(self) -> DataLoader:
        return self._loader(self._dataset("predict"), predict=True)

    def generation_dataloader(self, use: str, limit: int | None = None) -> DataLoader:
        """Inference batches (:class:`PredictBatch`) of the first ``limit`` examples of a use (``validation``,
        ``test``, ``predict``), this process's share of them only: every ``world_size``-th example."""
        dataset = self._dataset(use)
        count = len(dataset) if limit is None else min(limit, len(dataset))
        replicas, rank = self._world()
        indices = list(range(rank, count, replicas))
        if self.group_by_length:  # longest first: least padding
            lengths = _lengths(dataset)
            indices.sort(key=lambda i: -lengths[i])
        return self._loader(dataset, predict=True, sampler=indices)


class Reference(NamedTuple):
    """An example's source and the reference target the model's output is scored against."""

    source: str
    target: str


def _lengths(dataset: Any) -> list[int]:
    """Source plus target length of every example, read from the Arrow columns."""
    import pyarrow.compute as pc

    plain = dataset.with_format(None)
    if plain._indices is not None:  # a selection of rows: read the rows' lengths one by one
        return [len(row["input_ids"]) + len(row["labels"]) for row in plain]
    table = plain.data
    source = pc.list_value_length(table.column("input_ids"))
    target = pc.list_value_length(table.column("labels"))
    return pc.add(source, target).to_pylist()


def _is_decoder_only(backbone: str | dict[str, Any] | None) -> bool:
    if backbone is None:
        return False
    from transformers import AutoConfig

    if isinstance(backbone, dict):
        settings = {k: v for k, v in backbone.items() if k != "model_type"}
        try:
            config = AutoConfig.for_model(backbone["model_type"], **settings)
        except (KeyError, TypeError, ValueError) as err:
            raise ConfigError(f"model.backbone: expected a config dict with a model_type transformers knows, "
                              f"found {backbone.get('model_type')!r} ({err})") from err
    else:
        try:
            config = AutoConfig.from_pretrained(backbone)
        except (OSError, ValueError) as err:
            raise ConfigError(f"model.backbone: expected a Hugging Face model name or folder, found {backbone!r} "
                              f"({err})") from err
    return not bool(getattr(config, "is_encoder_decoder", False))

