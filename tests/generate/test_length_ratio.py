"""benchmarks/length_ratio.py: the training-split statistics that decoding settings and the copy head rest on."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _length_ratio():
    spec = importlib.util.spec_from_file_location("length_ratio", REPO / "benchmarks" / "length_ratio.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_repeated_ngrams_are_found():
    repeats = _length_ratio().repeats_ngram
    assert repeats([1, 2, 3, 1, 2], 2) and not repeats([1, 2, 3, 1, 2], 3)


def test_continuations_count_target_tokens_that_follow_their_predecessors_in_the_source():
    counts = _length_ratio().continuation_counts
    source = [3, 4, 5, 9, 4, 6]
    # target 3 4 5 6: all four in the source; 4 follows 3, 5 follows 4, 6 follows 4 (not 5): 4 and 5 follow one
    # token; 5 follows "3 4" and 6 does not follow "4 5": one follows two
    assert counts(source, [3, 4, 5, 6]) == (4, 4, 2, 1)
    assert counts(source, [7, 3]) == (2, 1, 0, 0)
    # keys: token 10 ("Get") is token 3 ("get") ignoring case, so 4 follows it
    key = [str(i) for i in range(11)]
    key[10] = key[3]
    assert counts(source, [10, 4]) == (2, 1, 0, 0) and counts(source, [10, 4], key) == (2, 1, 1, 0)


def test_the_longest_match_points_at_the_right_token_only_when_it_is_the_only_one():
    match = _length_ratio().longest_match_counts
    source = [11, 12, 13, 14, 15, 21, 12, 13, 16]  # f ( in ) ; g ( in x
    target = [11, 12, 13, 14]  # f ( in ): after "( in" come ")" and "x"; after "f ( in" only ")"
    # 12 follows 11 (one place), 13 follows "f (" (two places hold "(" then "in", but the longest match is one)
    assert match(source, target, K=3) == (3, 3)
    assert match(source, target, K=2) == (3, 2), "with two tokens, ')' ties with 'x'"
    assert match(source, [21, 99], K=2) == (1, 0), "a token the source lacks is never pointed at"
    key = [str(i) for i in range(100)]
    key[30] = key[11]  # token 30 ("F") is token 11 ("f") ignoring case
    assert match(source, [30, 12], K=1) == (1, 0) and match(source, [30, 12], K=1, key=key) == (1, 1)
