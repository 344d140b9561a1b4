"""The LightningDataModule: task records → cached features → :class:`GraphCodeBatch` batches.

``__init__`` only stores settings. :meth:`GraphCodeDataModule.prepare_data` (once per node) mines the
records if ``mine`` is set and ``path`` does not exist yet, trains the tokenizer if none is named, and
builds the features of the splits the run needs into ``cache_dir``; :meth:`setup` (every process)
loads the same from the caches. See :mod:`graphcode.data.dataset` for the forms of ``path``.

Training batches come in a seeded order that depends on the epoch only (``seed + epoch``), so a run
resumed at an epoch boundary sees the same batches as one that never stopped.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import lightning.pytorch as pl
import torch
from lightning.pytorch.utilities import rank_zero_info
from torch.utils.data import DataLoader, Sampler

from graphcode.data.collate import GraphCodeCollator
from graphcode.data.dataset import (
    FeatureSettings,
    ParallelFiles,
    RecordSet,
    SplitNames,
    featurize,
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


class EpochShuffleSampler(Sampler[int]):
    """A random order of ``range(n)`` that depends only on ``seed + epoch`` (Lightning calls ``set_epoch``).

    With ``lengths``, examples of similar length are put next to each other so that each batch of
    ``batch_size`` consecutive indices needs little padding: the shuffled indices are cut into chunks of
    ``batch_size * chunk_batches``, each chunk is sorted by length and cut into batches, and the batches
    are shuffled.

    Args:
        n: Number of examples.
        seed: Seed of the order. (default: ``0``)
        lengths: Length of each example ``(n,)``, or ``None`` for a plain shuffle. (default: :obj:`None`)
        batch_size: Batch size the grouping aims at. (default: ``1``)
        chunk_batches: Batches per sorted chunk. (default: ``50``)
    """

    def __init__(self, n: int, seed: int = 0, lengths: Sequence[int] | None = None, batch_size: int = 1,
                 chunk_batches: int = 50) -> None:
        if lengths is not None and len(lengths) != n:
            raise ValueError(f"EpochShuffleSampler: expected {n} lengths, found {len(lengths)}")
        self.n, self.seed, self.epoch = n, seed, 0
        self.lengths = None if lengths is None else torch.as_tensor(lengths)
        self.batch_size, self.chunk_batches = batch_size, chunk_batches

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self) -> Iterator[int]:
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        order = torch.randperm(self.n, generator=generator)  # (n,)
        if self.lengths is None or self.batch_size <= 1:
            return iter(order.tolist())
        chunk = self.batch_size * self.chunk_batches
        batches = []
        for start in range(0, self.n, chunk):
            part = order[start:start + chunk]
            part = part[torch.argsort(self.lengths[part], descending=True, stable=True)]
            batches.extend(part.split(self.batch_size))
        shuffled = torch.randperm(len(batches), generator=generator).tolist()
        return iter(torch.cat([batches[i] for i in shuffled]).tolist())

    def __len__(self) -> int:
        return self.n


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
            parallel files (with ``parallel``) or a hub dataset name. Relative to the working directory.
        lang: Language of the sources (the graphs' language).
        target_lang: Language of the targets when they are code in another language (translation).
        mine: When set and ``path`` does not exist, ``prepare_data`` mines the records into ``path``.
        parallel: File name patterns of line-aligned parallel files inside the folder ``path``.
        splits: Name of each split in the data; ``null`` for a split the data lacks.
        columns: For hub datasets: record field → dataset column (``{"source": "code"}``).
        tokenizer: A pretrained tokenizer, or the settings of one trained on the training split.
        graph_options: How the code graphs are built.
        max_source_length: Source tokens kept (special tokens included); the graph is cut to match.
        max_target_length: Target tokens kept.
        max_examples: Use at most this many training examples (a seeded random subset).
        max_eval_examples: Use at most this many validation/test/predict examples.
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
        path: str,
        lang: str = "python",
        target_lang: str | None = None,
        mine: MineConfig | None = None,
        parallel: ParallelFiles | None = None,
        splits: SplitNames = SplitNames(),  # noqa: B008 - a dataclass default is read, never mutated
        columns: dict[str, str] | None = None,
        tokenizer: TokenizerConfig = TokenizerConfig(),  # noqa: B008
        graph_options: GraphSettings = GraphSettings(),  # noqa: B008
        max_source_length: int = 256,
        max_target_length: int = 256,
        max_examples: int | None = None,
        max_eval_examples: int | None = None,
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
        if not isinstance(path, str) or not path:
            raise ConfigError(f"data.path: expected a file, folder or dataset name, found {path!r}")
        for name, value, low in (("batch_size", batch_size, 1), ("num_workers", num_workers, 0),
                                 ("max_source_length", max_source_length, 1),
                                 ("max_target_length", max_target_length, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ConfigError(f"data.{name}: expected an integer >= {low}, found {value!r}")
        for name, value in (("eval_batch_size", eval_batch_size), ("max_examples", max_examples),
                            ("max_eval_examples", max_eval_examples), ("num_proc", num_proc)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ConfigError(f"data.{name}: expected a positive integer or null, found {value!r}")
        if predict_split not in ("train", "validation", "test"):
            raise ConfigError(f"data.predict_split: expected train, validation or test, found {predict_split!r}")
        self.path = path
        self.lang = lang
        self.target_lang = target_lang
        self.mine = mine
        self.parallel = parallel
        self.splits = splits
        self.columns = columns
        self.tokenizer_config = tokenizer
        self.graph_options = graph_options
        self.max_source_length = max_source_length
        self.max_target_length = max_target_length
        self.max_examples = max_examples
        self.max_eval_examples = max_eval_examples
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
            "check": "completion" if self.mine is not None and self.mine.task in CONTINUATION_TASKS else "generate",
        }

    def _split_name(self, split: str) -> str:
        name = getattr(self.splits, split)
        if name is None:
            hint = " (point data.splits.test at the validation split to test on it)" if split == "test" else ""
            raise ConfigError(f"data.splits.{split}: expected the name of the {split} split in {self.path}, "
                              f"found null: this data has no {split} split{hint}")
        return name

    def _stage_splits(self, stage: str | None) -> tuple[str, ...]:
        if stage == "predict":
            return (self.predict_split,)
        if stage in _STAGE_SPLITS:
            return _STAGE_SPLITS[stage]
        return tuple(s for s in ("train", "validation", "test") if getattr(self.splits, s) is not None)

    def _current_stage(self) -> str | None:
        trainer = self.trainer
        fn = getattr(getattr(trainer, "state", None), "fn", None) if trainer is not None else None
        return getattr(fn, "value", None)

    # ------------------------------------------------------------------ building

    def _ensure_records(self) -> None:
        if self.mine is None or Path(self.path).exists():
            return
        from graphcode.data.mine import mine
        from graphcode.data.records import write_jsonl

        if "{split}" in self.path or Path(self.path).suffix.lower() != ".jsonl":
            raise ConfigError(f"data.path: expected a .jsonl file to mine into, found {self.path!r}")
        rank_zero_info(f"data: mining {', '.join(self.mine.sources)} ({self.mine.lang}, {self.mine.task}) "
                       f"into {self.path}")
        result = mine(self.mine, progress=True, report=rank_zero_info)
        write_jsonl(self.path, result.records)
        rank_zero_info(f"data: {self.path}: {result.summary()}")

    def _records(self, split: str) -> RecordSet:
        records = load_records(self.path, self._split_name(split), lang=self.lang, target_lang=self.target_lang,
                               parallel=self.parallel, columns=self.columns, cache_dir=self.cache_dir)
        limit = self.max_examples if split == "train" else self.max_eval_examples
        return subsample(records, limit, self.seed)

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
        for split in splits:
            if split in self.datasets:
                continue
            records = self._records(split)
            if len(records.dataset) == 0:
                raise ConfigError(f"data: expected examples in the {split} split of {self.path}, found none")
            self.datasets[split] = featurize(records, self.tokenizer, settings, cache_dir=self.cache_dir,
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

    def _loader(self, split: str, *, train: bool = False, predict: bool = False) -> DataLoader:
        if split not in self.datasets:
            self._build((split,))
        dataset = self.datasets[split]
        collate: Any = self.collator()
        if predict:
            collate = _PredictCollator(self.collator("left" if self.decoder_only else "right"))
        sampler: Any = None
        if train:
            lengths = _lengths(dataset) if self.group_by_length else None
            sampler = EpochShuffleSampler(len(dataset), self.seed, lengths, self.batch_size)
        elif self.group_by_length:  # evaluation order does not matter: longest first, least padding
            lengths = _lengths(dataset)
            sampler = sorted(range(len(dataset)), key=lambda i: -lengths[i])
        return DataLoader(
            dataset,
            batch_size=self.batch_size if train else self.eval_batch_size,
            sampler=sampler,
            collate_fn=collate,
            # Its own generator (for worker seeds): starting a loader leaves the global generator alone.
            generator=torch.Generator().manual_seed(self.seed),
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", train=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("validation")

    def test_dataloader(self) -> DataLoader:
        return self._loader("test")

    def predict_dataloader(self) -> DataLoader:
        return self._loader(self.predict_split, predict=True)


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

