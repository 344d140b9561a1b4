"""How long are a parallel split's targets against their sources, in a model's tokens? Picks ``max_len_a`` and
``max_len_b`` (the length limit ``a * x + b`` of :class:`graphcode.generate.length.SourceLengthCap`) from the
training split, never from the split that is scored.

Prints the median source and target lengths, percentiles of target / source, and for each ``b`` of ``--b`` and
``a`` of ``--a`` the share of targets within ``a * x + b`` and the mean of that cap over the sources. A rule that
needs no scored split: the pair with the smallest mean cap among those that hold 99.5% of the targets.

Then, for each n of ``--ngrams``, the share of targets that hold some n-gram of tokens twice: the targets that
``no_repeat_ngram_size: n`` could never produce exactly.

Last, how much of the targets a copy head could copy (``model.copy``, ``model.copy_continuation``): the share of target
tokens that occur in their source, and of those that follow, somewhere in the source, the token (and the two tokens)
that the target has just written, exactly and ignoring case and a leading space; and for each K of
``--match-tokens`` (``model.copy_continuation_tokens``), the share of target tokens for which the longest match of
the target's last tokens (up to K) points in the source at one token, the right one.

    .venv/bin/python benchmarks/length_ratio.py --tokenizer runs/ablation/graph/seed0/version_0/export/tokenizer \\
        ../shared/data/codexglue-java-cs/train.java-cs.txt.java ../shared/data/codexglue-java-cs/train.java-cs.txt.cs
"""

from __future__ import annotations

import argparse
import sys

import numpy as np


def token_ids(tokenizer, path: str) -> list[list[int]]:
    with open(path, encoding="utf-8") as f:
        return tokenizer([line.rstrip("\n") for line in f])["input_ids"]


def repeats_ngram(ids: list[int], n: int) -> bool:
    """Whether ``ids`` holds some n-gram twice."""
    seen: set[tuple[int, ...]] = set()
    for i in range(len(ids) - n + 1):
        gram = tuple(ids[i:i + n])
        if gram in seen:
            return True
        seen.add(gram)
    return False


def continuation_counts(source: list[int], target: list[int], key: list[str] | None = None) -> tuple[int, ...]:
    """For one pair: the target's tokens, those in the source, those that follow in the source the target's last
    token, and its last two tokens; with ``key`` (each id's string), tokens compare by their keys before them."""
    same = (lambda i: i) if key is None else key.__getitem__
    after_one: dict[object, set[int]] = {}
    after_two: dict[tuple[object, object], set[int]] = {}
    for j in range(1, len(source)):
        after_one.setdefault(same(source[j - 1]), set()).add(source[j])
        if j >= 2:
            after_two.setdefault((same(source[j - 2]), same(source[j - 1])), set()).add(source[j])
    present = set(source)
    found = one = two = 0
    for i, token in enumerate(target):
        found += token in present
        if i >= 1:
            one += token in after_one.get(same(target[i - 1]), ())
        if i >= 2:
            two += token in after_two.get((same(target[i - 2]), same(target[i - 1])), ())
    return len(target), found, one, two


def longest_match_counts(source: list[int], target: list[int], K: int, key: list[str] | None = None) -> tuple[int, int]:
    """For one pair: the target's tokens after its first, and those for which the source tokens that follow the
    longest match of the target's last ``k <= K`` tokens (what ``model.copy_continuation_tokens: K`` scores highest)
    are one token, the right one. With ``key``, tokens compare by their keys there."""
    same = (lambda i: i) if key is None else key.__getitem__
    s, t = [same(i) for i in source], [same(i) for i in target]
    right = 0
    for i in range(1, len(target)):
        best, after = 0, set()
        for j in range(1, len(source)):
            m = 0
            while m < min(K, i, j) and s[j - 1 - m] == t[i - 1 - m]:
                m += 1
            if m > best:
                best, after = m, {source[j]}
            elif m == best and m:
                after.add(source[j])
        right += after == {target[i]}
    return max(len(target) - 1, 0), right


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokenizer", required=True, help="a tokenizer folder (an export's tokenizer/)")
    parser.add_argument("source", help="one source per line")
    parser.add_argument("target", help="one target per line, aligned with the sources")
    parser.add_argument("--a", default="1.0,1.2,1.3,1.5,2.0", help="comma-separated values of a")
    parser.add_argument("--b", default="10,20", help="comma-separated values of b")
    parser.add_argument("--ngrams", default="4,6,8,12,16,20", help="comma-separated n-gram sizes")
    parser.add_argument("--match-tokens", default="1,2,4,8",
                        help="comma-separated K of the longest-match statistic (model.copy_continuation_tokens)")
    parser.add_argument("--max-pairs", type=int, default=None, help="read only the first N pairs")
    args = parser.parse_args(argv)
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(args.tokenizer)
    targets, sources = token_ids(tokenizer, args.target)[:args.max_pairs], token_ids(tokenizer, args.source)[:args.max_pairs]
    x, y = np.array([len(ids) for ids in sources]), np.array([len(ids) for ids in targets])
    if len(x) != len(y):
        parser.error(f"expected as many targets as sources, found {len(y)} targets and {len(x)} sources")
    ratio = y / np.maximum(x, 1)
    print(f"{len(x)} pairs; median tokens: source {np.median(x):.0f}, target {np.median(y):.0f}")
    print("target / source at the 50th, 90th, 99th, 99.9th percentile and the most: "
          + ", ".join(f"{v:.2f}" for v in np.percentile(ratio, [50, 90, 99, 99.9, 100])))
    a_values = [float(v) for v in args.a.split(",")]
    print("| b | " + " | ".join(f"a={a:g}" for a in a_values) + " |")
    print("|---|" + "---|" * len(a_values))
    for b in (int(v) for v in args.b.split(",")):
        cells = [(100 * float(np.mean(y <= np.floor(a * x + b))), float(np.mean(np.floor(a * x + b)))) for a in a_values]
        print(f"| {b} | " + " | ".join(f"{share:.2f}% (mean cap {cap:.0f})" for share, cap in cells) + " |")
    sizes = [int(v) for v in args.ngrams.split(",")]
    print("targets that repeat an n-gram of tokens: " + ", ".join(
        f"n={n}: {100 * sum(repeats_ngram(ids, n) for ids in targets) / len(targets):.2f}%" for n in sizes))
    folded = [t.lower().lstrip("\u0120 ") for t in tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))]
    for name, key in (("exactly", None), ("ignoring case", folded)):
        total, found, one, two = np.sum([continuation_counts(s, t, key) for s, t in zip(sources, targets, strict=True)],
                                         axis=0)
        print(f"target tokens in their source: {100 * found / total:.1f}%; following in the source the target's "
              f"last token ({name}): {100 * one / total:.1f}%, its last two tokens: {100 * two / total:.1f}%")
        for K in (int(v) for v in args.match_tokens.split(",")):
            scored, right = np.sum([longest_match_counts(s, t, K, key) for s, t in zip(sources, targets, strict=True)],
                                   axis=0)
            print(f"  K={K} ({name}): the longest match of the target's last tokens points at one token, the right "
                  f"one, for {100 * right / scored:.1f}% of the target tokens after the first")
    return 0


if __name__ == "__main__":
    sys.exit(main())
