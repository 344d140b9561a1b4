"""BLEU as CodeXGLUE computes it for code-to-code translation, sacreBLEU, and exact match.

**CodeXGLUE BLEU** (``Code-Code/code-to-code-trans/evaluator``; also the BLEU of ``calc_code_bleu`` there)
is corpus BLEU-4 over whitespace-split tokens with add-one smoothing. For every order
:math:`n = 1..N` (:math:`N = 4`), with :math:`h` a hypothesis and :math:`R` its references,

.. math::

    m_n = \\sum_h \\sum_{g \\in \\text{ngrams}_n(h)} \\min\\big(c_h(g),\\ \\max_{r \\in R} c_r(g)\\big),
    \\qquad t_n = \\sum_h \\max(0, |h| - n + 1),

    p_n = \\frac{m_n + 1}{t_n + 1} \\quad \\text{(smoothed; every order, even when } m_n > 0\\text{)},

    \\text{BP} = \\begin{cases} 1 & c > r \\\\ e^{1 - r/c} & c \\le r \\end{cases}, \\qquad
    \\text{BLEU} = 100 \\cdot \\text{BP} \\cdot \\exp\\Big(\\frac{1}{N}\\sum_{n=1}^{N} \\log p_n\\Big)

where :math:`c = \\sum_h |h|` and :math:`r = \\sum_h \\min_{r \\in R} |r|` (the *shortest* reference of each
segment). Lines are stripped before splitting. CodeXGLUE prints ``round(BLEU, 2)``. These numbers are not
comparable with sacreBLEU's (different tokenisation, no smoothing, closest-length references).

**sacreBLEU** is reported separately with its own signature, so the number can be reproduced.

**Exact match** compares whitespace-normalised text: every run of whitespace (spaces, tabs, newlines) becomes one
space and the ends are stripped, i.e. two lines match when their whitespace-split tokens are equal (the tokens
BLEU sees). CodeXGLUE's own "Acc" only strips the ends of each line; :func:`codexglue_accuracy` reproduces it.
"""

from __future__ import annotations

import math
import re
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from graphcode.errors import InputError

References = Sequence[str] | Sequence[Sequence[str]]
"""One reference per prediction, or a list of references per prediction."""


@dataclass(frozen=True)
class BleuScore:
    """Corpus BLEU with the statistics it was computed from."""

    score: float
    """BLEU in [0, 100], unrounded (CodeXGLUE prints ``round(score, 2)``)."""
    precisions: tuple[float, ...]
    """The (smoothed) modified n-gram precisions :math:`p_1..p_N`, in [0, 1]."""
    brevity_penalty: float
    """BP in (0, 1]."""
    length_ratio: float
    """Hypothesis length over reference length, :math:`c / r`."""
    hypothesis_length: int
    """:math:`c`, tokens in all predictions."""
    reference_length: int
    """:math:`r`, tokens in the shortest reference of every segment."""


@dataclass(frozen=True)
class SacreBleuScore:
    """sacreBLEU's corpus BLEU and the signature that pins its settings."""

    score: float
    """BLEU in [0, 100]."""
    signature: str
    """sacreBLEU's signature, e.g. ``nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0``."""


def _ngrams(tokens: Sequence[str], max_order: int) -> Counter[tuple[str, ...]]:
    """Counts of every n-gram of ``tokens`` for ``n = 1..max_order``."""
    counts: Counter[tuple[str, ...]] = Counter()
    for n in range(1, max_order + 1):
        for i in range(len(tokens) - n + 1):
            counts[tuple(tokens[i : i + n])] += 1
    return counts


def _as_reference_lists(references: References, predictions: Sequence[str]) -> list[list[str]]:
    if len(references) != len(predictions):
        raise InputError(
            f"BLEU: expected as many references as predictions, found {len(references)} references and "
            f"{len(predictions)} predictions"
        )
    lists = [[ref] if isinstance(ref, str) else list(ref) for ref in references]
    for i, refs in enumerate(lists):
        if not refs:
            raise InputError(f"BLEU: expected at least one reference for segment {i}, found none")
    return lists


@dataclass(frozen=True)
class SegmentStats:
    """What one segment adds to corpus BLEU: clipped n-gram matches and n-gram counts per order, and lengths."""

    matches: tuple[int, ...]
    possible: tuple[int, ...]
    hypothesis_length: int
    reference_length: int


def segment_stats(refs: Sequence[Sequence[str]], hyp: Sequence[str], max_order: int = 4) -> SegmentStats:
    """The BLEU statistics of one segment: ``refs`` its references, ``hyp`` its hypothesis (tokens)."""
    merged: Counter[tuple[str, ...]] = Counter()
    for ref in refs:
        merged |= _ngrams(ref, max_order)  # the maximum count of each n-gram over the references
    matches = [0] * max_order
    for ngram, count in (_ngrams(hyp, max_order) & merged).items():
        matches[len(ngram) - 1] += count
    possible = tuple(max(0, len(hyp) - n + 1) for n in range(1, max_order + 1))
    return SegmentStats(tuple(matches), possible, len(hyp), min(len(r) for r in refs))


def bleu_from_stats(stats: Sequence[SegmentStats], max_order: int = 4, smooth: bool = True) -> BleuScore:
    """Corpus BLEU from segments' statistics (so that resampled corpora need no new n-gram counting)."""
    matches = [sum(s.matches[n] for s in stats) for n in range(max_order)]
    possible = [sum(s.possible[n] for s in stats) for n in range(max_order)]
    hypothesis_length = sum(s.hypothesis_length for s in stats)
    reference_length = sum(s.reference_length for s in stats)
    if smooth:
        precisions = [(m + 1.0) / (p + 1.0) for m, p in zip(matches, possible, strict=True)]
    else:
        precisions = [m / p if p > 0 else 0.0 for m, p in zip(matches, possible, strict=True)]
    geo_mean = math.exp(sum(math.log(p) for p in precisions) / max_order) if min(precisions) > 0 else 0.0
    ratio = hypothesis_length / reference_length if reference_length > 0 else 0.0
    if ratio > 1.0:
        bp = 1.0
    elif ratio > 0.0:
        bp = math.exp(1.0 - 1.0 / ratio)
    else:  # an empty hypothesis corpus (or empty references) scores 0
        bp = 0.0
    return BleuScore(
        score=100.0 * geo_mean * bp,
        precisions=tuple(precisions),
        brevity_penalty=bp,
        length_ratio=ratio,
        hypothesis_length=hypothesis_length,
        reference_length=reference_length,
    )


def corpus_bleu(
    references: Sequence[Sequence[Sequence[str]]],
    hypotheses: Sequence[Sequence[str]],
    max_order: int = 4,
    smooth: bool = True,
) -> BleuScore:
    """Corpus BLEU over already tokenised text, following the formulas of this module's docstring.

    Args:
        references: per segment, a list of references, each a list of tokens.
        hypotheses: per segment, a list of tokens.
        max_order: the largest n-gram order :math:`N` (default: 4).
        smooth: add-one smoothing of every precision (default: True, as CodeXGLUE); without it a
            precision of 0 makes BLEU 0.
    """
    if len(references) != len(hypotheses):
        raise InputError(
            f"BLEU: expected as many references as hypotheses, found {len(references)} and {len(hypotheses)}"
        )
    stats = [segment_stats(refs, hyp, max_order) for refs, hyp in zip(references, hypotheses, strict=True)]
    return bleu_from_stats(stats, max_order, smooth)


def codexglue_stats(references: References, predictions: Sequence[str]) -> list[SegmentStats]:
    """Per-segment statistics of :func:`codexglue_bleu` (for :func:`bleu_from_stats` and the bootstrap)."""
    reference_lists = _as_reference_lists(references, predictions)
    return [segment_stats([ref.strip().split() for ref in refs], pred.strip().split())
            for refs, pred in zip(reference_lists, predictions, strict=True)]


def codexglue_bleu(references: References, predictions: Sequence[str]) -> BleuScore:
    """CodeXGLUE's smoothed corpus BLEU-4: strip, split on whitespace, :func:`corpus_bleu`.

    Args:
        references: one reference per prediction, or a list of references per prediction.
        predictions: one prediction per segment.
    """
    reference_lists = _as_reference_lists(references, predictions)
    return corpus_bleu(
        [[ref.strip().split() for ref in refs] for refs in reference_lists],
        [pred.strip().split() for pred in predictions],
    )


# --- text targets: CodeXGLUE's code-to-text smoothed sentence BLEU ----------------------------------------------

_PUNCT_SPLIT = re.compile(r"[\w]+|[^\s\w]")
_NIST_1 = [(re.compile(p), r) for p, r in (("<skipped>", ""), (r"-\n", ""), (r"\n", " "))]
_NIST_2 = [(re.compile(p), r) for p, r in (
    (r"([\{-\~\[-\` -\&\(-\+\:-\@\/])", r" \1 "),  # punctuation
    (r"([^0-9])([\.,])", r"\1 \2 "),  # a period or comma not after a digit
    (r"([\.,])([^0-9])", r" \1 \2"),  # a period or comma not before a digit
    (r"([0-9])(-)", r"\1 \2 "),  # a dash after a digit
)]


def _text_tokens(text: str) -> list[str]:
    """CodeXGLUE code-to-text's tokens: lower-cased, words and punctuation apart, then NIST mteval's rules."""
    from xml.sax.saxutils import unescape

    s = " ".join(_PUNCT_SPLIT.findall(text.strip().lower()))
    for pattern, replace in _NIST_1:
        s = pattern.sub(replace, s)
    s = " " + unescape(s, {"&quot;": '"'}) + " "
    for pattern, replace in _NIST_2:
        s = pattern.sub(replace, s)
    return s.split()


def sentence_bleu(reference: str, prediction: str, max_order: int = 4) -> float:
    """Smoothed sentence BLEU-4 in [0, 1] as CodeXGLUE's code-to-text evaluator computes it: add-one smoothing of
    the 2- to 4-gram precisions (not of unigrams), and a brevity penalty of ``min(0, 1 - (r + 1) / (c + 1))``
    in log space."""
    ref, hyp = _text_tokens(reference), _text_tokens(prediction)
    stats = segment_stats([ref], hyp, max_order)
    tiny = sys.float_info.min
    log_bleu = 0.0
    for n in range(max_order):
        add = 1 if n > 0 else 0
        log_bleu += math.log(stats.matches[n] + add + tiny) - math.log(stats.possible[n] + add + tiny)
    log_bleu /= max_order
    brevity = min(0.0, 1.0 - (len(ref) + 1) / (len(hyp) + 1))
    return math.exp(log_bleu + brevity)


def codexglue_text_bleu(references: Sequence[str], predictions: Sequence[str]) -> float:
    """The mean :func:`sentence_bleu` in [0, 100]: the BLEU that CodeXGLUE's code summarisation reports."""
    if len(references) != len(predictions):
        raise InputError(f"BLEU: expected as many references as predictions, found {len(references)} references and "
                         f"{len(predictions)} predictions")
    if not references:
        return 0.0
    return 100.0 * sum(sentence_bleu(r, p) for r, p in zip(references, predictions, strict=True)) / len(references)


def rouge_l(references: Sequence[str], predictions: Sequence[str]) -> float:
    """Mean ROUGE-L F-measure in [0, 100], through the ``rouge-score`` package (its default tokenizer)."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    if not references:
        return 0.0
    total = sum(scorer.score(r, p)["rougeL"].fmeasure for r, p in zip(references, predictions, strict=True))
    return 100.0 * total / len(references)


def sacre_bleu(references: References, predictions: Sequence[str]) -> SacreBleuScore:
    """sacreBLEU's corpus BLEU with its defaults (13a tokenisation, exponential smoothing)."""
    from sacrebleu.metrics import BLEU

    reference_lists = _as_reference_lists(references, predictions)
    counts = {len(refs) for refs in reference_lists}
    if len(counts) != 1:
        raise InputError(
            f"sacreBLEU: expected the same number of references for every segment, found counts {sorted(counts)}"
        )
    streams = [list(stream) for stream in zip(*reference_lists, strict=True)]  # sacreBLEU wants one stream per reference
    metric = BLEU()
    score = metric.corpus_score(list(predictions), streams)
    return SacreBleuScore(score=score.score, signature=str(metric.get_signature()))


def normalize_whitespace(text: str) -> str:
    """Every run of whitespace becomes one space; the ends are stripped."""
    return " ".join(text.split())


def exact_match(references: References, predictions: Sequence[str]) -> float:
    """Percentage (0-100) of predictions equal to one of their references after :func:`normalize_whitespace`."""
    reference_lists = _as_reference_lists(references, predictions)
    if not predictions:
        return 0.0
    hits = sum(
        normalize_whitespace(pred) in {normalize_whitespace(r) for r in refs}
        for refs, pred in zip(reference_lists, predictions, strict=True)
    )
    return 100.0 * hits / len(predictions)


def codexglue_accuracy(references: References, predictions: Sequence[str]) -> float:
    """CodeXGLUE's "Acc": percentage of predictions whose stripped text equals a stripped reference."""
    reference_lists = _as_reference_lists(references, predictions)
    if not predictions:
        return 0.0
    hits = sum(pred.strip() in {r.strip() for r in refs} for refs, pred in zip(reference_lists, predictions, strict=True))
    return 100.0 * hits / len(predictions)
