"""CodeXGLUE BLEU against the benchmark's published example and hand-computed values; sacreBLEU; exact match."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from graphcode.errors import InputError
from graphcode.evaluate.bleu import (
    codexglue_accuracy,
    codexglue_bleu,
    corpus_bleu,
    exact_match,
    normalize_whitespace,
    sacre_bleu,
)

EXAMPLE = Path(__file__).parent / "data" / "codexglue_example"


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_reproduces_the_codexglue_evaluators_published_numbers() -> None:
    # The README quotes what CodeXGLUE's evaluator prints for these files: "BLEU: 61.08 ; Acc: 50.0".
    printed = re.search(r"BLEU: ([\d.]+) ; Acc: ([\d.]+)", (EXAMPLE / "README.md").read_text())
    assert printed is not None
    expected_bleu, expected_acc = float(printed.group(1)), float(printed.group(2))
    references, predictions = _lines(EXAMPLE / "references.txt"), _lines(EXAMPLE / "predictions.txt")
    assert len(references) == len(predictions) == 10

    bleu = codexglue_bleu(references, predictions)
    assert round(bleu.score, 2) == expected_bleu == 61.08
    assert round(codexglue_accuracy(references, predictions), 2) == expected_acc == 50.0
    assert exact_match(references, predictions) == 50.0
    assert bleu.brevity_penalty == 1.0 and bleu.length_ratio > 1.0


def test_hand_computed_bleu() -> None:
    # hyp "a b c d" vs ref "a b c e": matches 3/4, 2/3, 1/2, 0/1 → smoothed 4/5, 3/4, 2/3, 1/2; c = r = 4, BP = 1.
    score = codexglue_bleu(["a b c e"], ["a b c d"])
    assert score.precisions == pytest.approx((4 / 5, 3 / 4, 2 / 3, 1 / 2))
    assert score.brevity_penalty == 1.0
    assert score.score == pytest.approx(100 * (4 / 5 * 3 / 4 * 2 / 3 * 1 / 2) ** 0.25)
    assert (score.hypothesis_length, score.reference_length) == (4, 4)


def test_brevity_penalty_and_smoothing_of_orders_with_no_ngrams() -> None:
    # hyp "a b" vs ref "a b c d": p1 = 3/3, p2 = 2/2, p3 = p4 = (0+1)/(0+1); BP = exp(1 - 4/2).
    score = codexglue_bleu(["a b c d"], ["a b"])
    assert score.precisions == pytest.approx((1.0, 1.0, 1.0, 1.0))
    assert score.brevity_penalty == pytest.approx(math.exp(-1))
    assert score.score == pytest.approx(100 * math.exp(-1))


def test_smoothing_matters_and_unsmoothed_zero_precision_gives_zero() -> None:
    refs, hyps = [["x", "y", "z", "w"]], [["x", "y", "q", "r"]]  # no 3- or 4-gram matches
    assert corpus_bleu([refs[0:1]], hyps, smooth=False).score == 0.0
    smoothed = corpus_bleu([refs[0:1]], hyps, smooth=True)
    assert smoothed.precisions == pytest.approx((3 / 5, 2 / 4, 1 / 3, 1 / 2))
    assert smoothed.score > 0.0


def test_tokenisation_is_whitespace_split_after_strip() -> None:
    assert codexglue_bleu(["  a  b\tc d \n"], ["a b c d"]).score == pytest.approx(100.0)
    # Punctuation is not split off: "f(x)" is one token.
    assert codexglue_bleu(["f(x) ;"], ["f ( x ) ;"]).precisions[0] == pytest.approx((1 + 1) / (5 + 1))


def test_multiple_references_clip_by_the_maximum_count_and_use_the_shortest_length() -> None:
    score = codexglue_bleu([["a a b", "a b b b b"]], ["a a b b"])
    # unigram clip: a → max(2, 1) = 2, b → max(1, 4) = 2: all 4 match; r = shortest = 3.
    assert score.precisions[0] == pytest.approx(5 / 5)
    assert score.reference_length == 3
    assert score.brevity_penalty == 1.0


def test_corpus_level_not_average_of_sentences() -> None:
    refs, preds = ["a b c d", "e f g h"], ["a b c d", "x y z w"]
    corpus = codexglue_bleu(refs, preds).score
    mean_of_sentences = (codexglue_bleu(refs[:1], preds[:1]).score + codexglue_bleu(refs[1:], preds[1:]).score) / 2
    assert corpus != pytest.approx(mean_of_sentences)
    assert codexglue_bleu(refs, preds).precisions[0] == pytest.approx((4 + 1) / (8 + 1))


def test_mismatched_lengths_and_empty_references_are_input_errors() -> None:
    with pytest.raises(InputError, match="expected as many references as predictions, found 2 references and 1"):
        codexglue_bleu(["a", "b"], ["a"])
    with pytest.raises(InputError, match="at least one reference for segment 0"):
        codexglue_bleu([[]], ["a"])


def test_empty_predictions_score_zero() -> None:
    assert codexglue_bleu(["a b c"], [""]).score == 0.0


def test_sacrebleu_is_reported_with_its_signature() -> None:
    references, predictions = _lines(EXAMPLE / "references.txt"), _lines(EXAMPLE / "predictions.txt")
    sacre = sacre_bleu(references, predictions)
    assert "tok:13a" in sacre.signature and "nrefs:1" in sacre.signature
    assert 0.0 < sacre.score < 100.0
    assert sacre.score != pytest.approx(codexglue_bleu(references, predictions).score, abs=0.01)
    assert sacre_bleu(["int x = 1 ;"], ["int x = 1 ;"]).score == pytest.approx(100.0)
    two = sacre_bleu([["a b c d", "a b c e"]], ["a b c e"])
    assert "nrefs:2" in two.signature and two.score == pytest.approx(100.0)
    with pytest.raises(InputError, match="same number of references"):
        sacre_bleu([["a"], ["b", "c"]], ["a", "b"])


def test_exact_match_normalises_whitespace_only() -> None:
    assert normalize_whitespace("  int  x =\n\t1; ") == "int x = 1;"
    refs = ["int x = 1;", "return a+b;", "foo()"]
    preds = ["int  x =\n 1; ", "return a + b;", "foo()"]
    assert exact_match(refs, preds) == pytest.approx(200 / 3)  # "a+b" vs "a + b" differ in tokens
    assert codexglue_accuracy(refs, preds) == pytest.approx(100 / 3)  # CodeXGLUE only strips the ends
    assert exact_match([["x = 1", "x=1"]], ["x=1"]) == 100.0


def test_code_to_text_sentence_bleu_by_hand() -> None:
    """CodeXGLUE's code-to-text BLEU: lower-cased, punctuation split, add-one smoothing from bigrams on, and
    ``min(0, 1 - (r + 1) / (c + 1))`` as the log brevity penalty. (On the evaluator's published five-line example
    this implementation gives 9.554726113590661, as the README of that evaluator prints.)"""
    from graphcode.evaluate.bleu import codexglue_text_bleu, sentence_bleu

    assert sentence_bleu("Return the sum.", "return the SUM .") == pytest.approx(1.0)
    # ref a b c d, hyp a b x: p1 = 2/3, p2 = (1+1)/(2+1), p3 = (0+1)/(1+1), p4 = (0+1)/(0+1); log BP = 1 - 5/4
    expected = math.exp((math.log(2 / 3) + math.log(2 / 3) + math.log(1 / 2) + math.log(1)) / 4 + (1 - 5 / 4))
    assert sentence_bleu("a b c d", "a b x") == pytest.approx(expected)
    assert codexglue_text_bleu(["a b c d", "Return the sum."], ["a b x", "return the sum ."]) == pytest.approx(
        100 * (expected + 1) / 2)
