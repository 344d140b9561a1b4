"""Tokenizers: a Hugging Face one by name or path, or a byte-level BPE trained on the training split.

A trained tokenizer is cached under ``<cache_dir>/tokenizers/<key>/`` (``save_pretrained`` format),
where the key hashes the training texts and the settings, so training happens once per data set. Its
special tokens: ``<pad>`` 0, ``</s>`` 1 (end of sequence), ``<unk>`` 2, ``<s>`` 3; every encoding ends
with ``</s>`` (as T5's tokenizer does).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from graphcode.errors import CheckpointError, ConfigError
from graphcode.io import temporary_directory

SPECIAL_TOKENS: tuple[str, ...] = ("<pad>", "</s>", "<unk>", "<s>")


@dataclass
class TokenizerConfig:
    """Which tokenizer: a pretrained one, or a byte-level BPE trained on the training split."""

    name_or_path: str | None = None
    """A Hugging Face tokenizer name or local folder (usually the backbone's); ``None`` trains a byte-level
    BPE on the training split's sources and targets."""
    vocab_size: int = 4096
    """Vocabulary size of a trained tokenizer, special tokens included."""
    min_frequency: int = 2
    """A trained tokenizer's merges need pairs seen at least this often."""
    max_training_examples: int | None = 20000
    """Train on at most this many training examples (the first ones); ``None``: all."""

    def __post_init__(self) -> None:
        if self.name_or_path is not None and (not isinstance(self.name_or_path, str) or not self.name_or_path):
            raise ConfigError(f"tokenizer.name_or_path: expected a name, a path or null, found {self.name_or_path!r}")
        if not isinstance(self.vocab_size, int) or self.vocab_size < len(SPECIAL_TOKENS) + 256:
            raise ConfigError(
                f"tokenizer.vocab_size: expected an integer >= {len(SPECIAL_TOKENS) + 256} (specials and the "
                f"256 bytes), found {self.vocab_size!r}"
            )
        if not isinstance(self.min_frequency, int) or self.min_frequency < 1:
            raise ConfigError(f"tokenizer.min_frequency: expected an integer >= 1, found {self.min_frequency!r}")
        if self.max_training_examples is not None and (
            not isinstance(self.max_training_examples, int) or self.max_training_examples < 1
        ):
            raise ConfigError(
                f"tokenizer.max_training_examples: expected a positive integer or null, found "
                f"{self.max_training_examples!r}"
            )

    @property
    def trained(self) -> bool:
        """Whether this tokenizer is trained on the data rather than loaded."""
        return self.name_or_path is None


def tokenizer_fingerprint(tokenizer: Any) -> str:
    """A hash of everything about a fast tokenizer that changes its encodings."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        raise ConfigError(
            f"tokenizer: expected a Hugging Face fast tokenizer (with offsets), found {type(tokenizer).__name__}"
        )
    h = hashlib.sha256(backend.to_str().encode("utf-8"))
    h.update(json.dumps([tokenizer.truncation_side, tokenizer.padding_side,
                         sorted(map(str, tokenizer.all_special_tokens))]).encode("utf-8"))
    return h.hexdigest()[:16]


def load_pretrained_tokenizer(name_or_path: str) -> Any:
    """``AutoTokenizer.from_pretrained`` (fast), with a padding token (the end-of-sequence token if none)."""
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(name_or_path)
    except Exception as err:  # OSError, ValueError, and the hub's own errors
        raise CheckpointError(f"{name_or_path}: cannot be loaded as a Hugging Face tokenizer: {err}") from err
    if not getattr(tokenizer, "is_fast", False):
        raise ConfigError(f"{name_or_path}: expected a fast tokenizer (node-token alignment needs offsets), "
                          f"found {type(tokenizer).__name__}")
    if tokenizer.pad_token is None and tokenizer.eos_token is not None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def train_tokenizer(texts: Iterable[str], config: TokenizerConfig) -> Any:
    """A byte-level BPE trained on ``texts``, wrapped as a ``PreTrainedTokenizerFast``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    backend = Tokenizer(models.BPE(unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=config.vocab_size,
        min_frequency=config.min_frequency,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(texts, trainer)
    eos = backend.token_to_id("</s>")
    backend.post_processor = processors.TemplateProcessing(
        single="$A </s>", pair="$A </s> $B </s>", special_tokens=[("</s>", eos)]
    )
    return PreTrainedTokenizerFast(tokenizer_object=backend, pad_token="<pad>", eos_token="</s>",
                                   unk_token="<unk>", bos_token="<s>")


def trained_tokenizer_dir(cache_dir: str | os.PathLike[str], data_fingerprint: str, config: TokenizerConfig) -> Path:
    """Where the tokenizer trained on data ``data_fingerprint`` with ``config`` is cached."""
    key = hashlib.sha256(json.dumps([data_fingerprint, asdict(config)], sort_keys=True).encode()).hexdigest()[:16]
    return Path(cache_dir) / "tokenizers" / f"bpe-{key}"


def load_or_train_tokenizer(config: TokenizerConfig, *, cache_dir: str | os.PathLike[str] | None = None,
                            data_fingerprint: str | None = None, texts: Iterable[str] | None = None) -> Any:
    """The tokenizer ``config`` names; a trained one comes from the cache, or is trained on ``texts`` and
    cached (atomically: a half-written folder never appears)."""
    if config.name_or_path is not None:
        return load_pretrained_tokenizer(config.name_or_path)
    if cache_dir is None or data_fingerprint is None:
        raise ConfigError("tokenizer: a trained tokenizer needs the data's cache_dir and fingerprint, found none")
    folder = trained_tokenizer_dir(cache_dir, data_fingerprint, config)
    if (folder / "tokenizer.json").is_file():
        return load_pretrained_tokenizer(str(folder))
    if texts is None:
        raise ConfigError(f"{folder}: expected a trained tokenizer in the cache, found none (run prepare_data first)")
    tokenizer = train_tokenizer(texts, config)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_directory(folder.parent, f".{folder.name}.tmp-")
    try:
        tokenizer.save_pretrained(str(tmp))
        try:
            os.replace(tmp, folder)
        except OSError:
            if not (folder / "tokenizer.json").is_file():  # another process won the race: fine
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return load_pretrained_tokenizer(str(folder))
