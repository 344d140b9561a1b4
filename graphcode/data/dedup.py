r"""Exact and near-duplicate removal for mined examples.

Both work on *normalised tokens*: the text split into identifiers, numbers and single punctuation
characters (``[A-Za-z_]\w*|\d+|\S``), so whitespace, indentation and line breaks do not count.

- **Exact duplicates**: two examples whose normalised token sequences are equal (compared by a
  BLAKE2 hash of the sequence).
- **Near duplicates**: MinHash-Jaccard on the set of token ``shingle``-grams (default 3-grams). Each
  example gets ``num_perm`` MinHash values :math:`h_k = \min_s ((a_k x_s + b_k) \bmod p)` over its
  shingle hashes :math:`x_s`; locality-sensitive hashing with ``bands`` bands of ``num_perm / bands``
  rows proposes candidate pairs, and a candidate is a duplicate when the *exact* Jaccard similarity of
  the two shingle sets is at least ``threshold``.

:class:`Deduplicator` is sequential and deterministic: examples are offered in a fixed order, and an
example is kept unless an already kept one is an exact or near duplicate of it. So the first of each
group of duplicates (in the caller's order) survives.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from graphcode.errors import ConfigError

_TOKEN = re.compile(r"[A-Za-z_]\w*|\d+|\S")
_PRIME = (1 << 61) - 1


def normalized_tokens(text: str) -> list[str]:
    """Identifiers, numbers and punctuation characters of ``text``; whitespace is dropped."""
    return _TOKEN.findall(text)


def _hash64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def shingles(tokens: list[str], size: int) -> set[int]:
    """32-bit hashes of the ``size``-grams of ``tokens`` (the whole sequence when shorter)."""
    if len(tokens) <= size:
        return {_hash64("\x1f".join(tokens)) & 0xFFFFFFFF}
    return {_hash64("\x1f".join(tokens[i : i + size])) & 0xFFFFFFFF for i in range(len(tokens) - size + 1)}


class DedupVerdict(NamedTuple):
    """Why an example was kept or dropped."""

    keep: bool
    reason: str
    """``"kept"``, ``"exact"`` or ``"near"``."""
    duplicate_of: int
    """Index (in offer order) of the kept example it duplicates, or -1."""


@dataclass
class Deduplicator:
    """Offer examples one by one with :meth:`offer`; it says whether each is new.

    Args:
        threshold: Jaccard similarity at or above which two examples are near duplicates; ``None``
            turns near-duplicate detection off (exact duplicates are still removed). (default: ``0.85``)
        num_perm: Number of MinHash functions. (default: ``64``)
        bands: LSH bands; ``num_perm`` must be a multiple. More bands find less similar candidates.
            (default: ``16``)
        shingle: Token n-gram size of the shingles. (default: ``3``)
        seed: Seed of the MinHash functions. (default: ``0``)
    """

    threshold: float | None = 0.85
    num_perm: int = 64
    bands: int = 16
    shingle: int = 3
    seed: int = 0
    _exact: dict[str, int] = field(default_factory=dict, repr=False)
    _buckets: list[dict[bytes, list[int]]] = field(default_factory=list, repr=False)
    _sets: list[set[int] | None] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        if self.threshold is not None and not 0 < self.threshold <= 1:
            raise ConfigError(f"near-duplicate threshold: expected a number in (0, 1] or None, found {self.threshold!r}")
        if self.num_perm < 1 or self.bands < 1 or self.num_perm % self.bands:
            raise ConfigError(
                f"MinHash: expected num_perm a positive multiple of bands, found num_perm={self.num_perm}, "
                f"bands={self.bands}"
            )
        if self.shingle < 1:
            raise ConfigError(f"shingle size: expected an integer >= 1, found {self.shingle}")
        rng = np.random.default_rng(self.seed)
        # a < 2^31 and x < 2^32 keep a*x + b below 2^64 in uint64 arithmetic.
        self._a = rng.integers(1, 1 << 31, size=self.num_perm, dtype=np.uint64)  # (K,)
        self._b = rng.integers(0, 1 << 31, size=self.num_perm, dtype=np.uint64)  # (K,)
        self._buckets = [{} for _ in range(self.bands)]

    def signature(self, shingle_set: set[int]) -> np.ndarray:
        """The MinHash signature ``(K,)`` uint64 of a set of 32-bit shingle hashes."""
        x = np.fromiter(shingle_set, dtype=np.uint64, count=len(shingle_set))  # (S,)
        values = (np.multiply.outer(x, self._a) + self._b) % np.uint64(_PRIME)  # (S, K)
        return values.min(axis=0)  # (K,)

    def offer(self, text: str) -> DedupVerdict:
        """Decide on the next example; kept examples are remembered for the ones that follow."""
        index = len(self._sets)
        tokens = normalized_tokens(text)
        key = hashlib.blake2b("\x1f".join(tokens).encode("utf-8"), digest_size=16).hexdigest()
        first = self._exact.get(key)
        if first is not None:
            self._sets.append(None)
            return DedupVerdict(False, "exact", first)
        if self.threshold is None:
            self._exact[key] = index
            self._sets.append(None)
            return DedupVerdict(True, "kept", -1)
        shingle_set = shingles(tokens, self.shingle)
        signature = self.signature(shingle_set)
        rows = self.num_perm // self.bands
        band_keys = [signature[i * rows : (i + 1) * rows].tobytes() for i in range(self.bands)]
        candidates: set[int] = set()
        for bucket, band_key in zip(self._buckets, band_keys, strict=True):
            candidates.update(bucket.get(band_key, ()))
        for other in sorted(candidates):
            other_set = self._sets[other]
            if other_set is not None and _jaccard(shingle_set, other_set) >= self.threshold:
                self._sets.append(None)
                return DedupVerdict(False, "near", other)
        self._exact[key] = index
        self._sets.append(shingle_set)
        for bucket, band_key in zip(self._buckets, band_keys, strict=True):
            bucket.setdefault(band_key, []).append(index)
        return DedupVerdict(True, "kept", -1)


def _jaccard(a: set[int], b: set[int]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def jaccard(text_a: str, text_b: str, shingle: int = 3) -> float:
    """Exact Jaccard similarity of two texts' normalised-token shingle sets."""
    return _jaccard(shingles(normalized_tokens(text_a), shingle), shingles(normalized_tokens(text_b), shingle))
