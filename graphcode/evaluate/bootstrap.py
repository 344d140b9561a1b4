"""Paired bootstrap of a corpus-BLEU difference between two systems on the same examples (Koehn, 2004).

Resample the examples with replacement ``resamples`` times; on each sample compute both systems' corpus BLEU
(CodeXGLUE's, from per-segment statistics: nothing is tokenised again) and their difference. The interval is
the percentile interval of those differences; ``wins`` is the share of samples where ``b`` beats ``a``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from graphcode.errors import InputError
from graphcode.evaluate.bleu import bleu_from_stats, codexglue_stats


@dataclass(frozen=True)
class BootstrapResult:
    """``b`` minus ``a`` in corpus BLEU, with its percentile confidence interval."""

    difference: float
    """BLEU of ``b`` minus BLEU of ``a`` on all examples."""
    low: float
    """Lower end of the interval."""
    high: float
    """Upper end of the interval."""
    confidence: float
    """The interval's level, e.g. 0.95."""
    wins: float
    """Share of resamples in which ``b`` scores higher than ``a``."""
    resamples: int
    examples: int


def paired_bootstrap_bleu(references: Sequence[str], a: Sequence[str], b: Sequence[str], *, resamples: int = 1000,
                          confidence: float = 0.95, seed: int = 0) -> BootstrapResult:
    """The paired bootstrap interval of ``BLEU(b) - BLEU(a)``; ``a[i]`` and ``b[i]`` answer ``references[i]``."""
    if not len(references) == len(a) == len(b) or not references:
        raise InputError(f"bootstrap: expected as many predictions of each system as references (at least one), "
                         f"found {len(references)} references, {len(a)} and {len(b)} predictions")
    if not 0 < confidence < 1 or resamples < 1:
        raise InputError(f"bootstrap: expected 0 < confidence < 1 and resamples >= 1, found {confidence}, {resamples}")
    stats_a, stats_b = codexglue_stats(references, a), codexglue_stats(references, b)
    n = len(references)
    rng = random.Random(seed)
    deltas = []
    for _ in range(resamples):
        picks = [rng.randrange(n) for _ in range(n)]
        deltas.append(bleu_from_stats([stats_b[i] for i in picks]).score - bleu_from_stats([stats_a[i] for i in picks]).score)
    deltas.sort()
    tail = (1 - confidence) / 2
    low = deltas[min(resamples - 1, int(tail * resamples))]
    high = deltas[max(0, int((1 - tail) * resamples) - 1)]
    difference = bleu_from_stats(stats_b).score - bleu_from_stats(stats_a).score
    return BootstrapResult(difference, low, high, confidence, sum(d > 0 for d in deltas) / resamples, resamples, n)
