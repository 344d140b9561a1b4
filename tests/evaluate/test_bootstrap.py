"""The paired bootstrap of a BLEU difference."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphcode.errors import InputError
from graphcode.evaluate.bleu import bleu_from_stats, codexglue_bleu, codexglue_stats
from graphcode.evaluate.bootstrap import paired_bootstrap_bleu

EXAMPLE = Path(__file__).parent / "data" / "codexglue_example"
REFS = (EXAMPLE / "references.txt").read_text(encoding="utf-8").splitlines()
PREDS = (EXAMPLE / "predictions.txt").read_text(encoding="utf-8").splitlines()


def test_bleu_from_segment_stats_is_corpus_bleu():
    assert bleu_from_stats(codexglue_stats(REFS, PREDS)) == codexglue_bleu(REFS, PREDS)
    assert round(bleu_from_stats(codexglue_stats(REFS, PREDS)).score, 2) == 61.08


def test_a_clearly_better_system_has_an_interval_above_zero():
    perfect = list(REFS)
    result = paired_bootstrap_bleu(REFS * 5, PREDS * 5, perfect * 5, resamples=300, seed=1)
    assert result.difference == pytest.approx(100.0 - codexglue_bleu(REFS * 5, PREDS * 5).score)
    assert 0 < result.low <= result.difference <= result.high and result.wins == 1.0
    assert result.examples == 50 and result.resamples == 300


def test_the_same_system_has_a_zero_difference_and_the_seed_decides_the_samples():
    same = paired_bootstrap_bleu(REFS, PREDS, PREDS, resamples=100)
    assert same.difference == same.low == same.high == 0.0 and same.wins == 0.0
    swapped = paired_bootstrap_bleu(REFS, REFS, PREDS, resamples=200, seed=3)
    again = paired_bootstrap_bleu(REFS, REFS, PREDS, resamples=200, seed=3)
    assert swapped == again and swapped.high < 0


def test_mismatched_lengths_are_an_error():
    with pytest.raises(InputError, match="expected as many predictions of each system as references"):
        paired_bootstrap_bleu(REFS, PREDS[:-1], PREDS)
