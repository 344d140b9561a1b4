"""CodeBLEU (Ren et al., 2020) through the ``codebleu`` package, with its four components.

.. math::

    \\text{CodeBLEU} = \\alpha \\cdot \\text{BLEU} + \\beta \\cdot \\text{BLEU}_\\text{weighted}
                     + \\gamma \\cdot \\text{Match}_\\text{ast} + \\delta \\cdot \\text{Match}_\\text{df}

with :math:`\\alpha = \\beta = \\gamma = \\delta = 0.25` by default: n-gram match (BLEU over whitespace tokens),
keyword-weighted n-gram match, syntax match (shared AST subtrees) and data-flow match.

How the package is used, and why:

- ``codebleu`` 0.7.0 loads grammars from the ``tree-sitter-<lang>`` wheels with ``Language(module.language())``,
  which works with tree-sitter 0.25 and our pinned grammar wheels for all ten of its languages, so it is used
  as is; nothing is patched.
- The four components come from the package. The total is summed here as CodeXGLUE's ``calc_code_bleu``
  sums it, because the package computes ``delta * (dataflow or 1)``: that replaces a data-flow score of 0 by 1,
  so a prediction that matches none of the references' data flows gets full data-flow credit.
- When the references have no data flow at all (one-line snippets), the package warns on the root logger and
  returns 0 for the data-flow match. We capture that warning instead of printing it and report the component
  as degenerate (``dataflow_degenerate=True``); the total then counts it as 0, as CodeXGLUE does.

Scores are given in [0, 100], like BLEU and the CodeXGLUE leaderboards (the package returns [0, 1]).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from graphcode.errors import InputError, UnknownLanguageError

DEFAULT_WEIGHTS = (0.25, 0.25, 0.25, 0.25)


@dataclass(frozen=True)
class CodeBleuScore:
    """CodeBLEU and its components, each in [0, 100]."""

    codebleu: float
    """The weighted sum of the four components."""
    ngram_match: float
    """BLEU-4 over whitespace tokens (the package's NLTK-style corpus BLEU)."""
    weighted_ngram_match: float
    """BLEU with language keywords weighted 1 and other tokens 0.2 (unigrams)."""
    syntax_match: float
    """Share of the references' AST subtrees found in the predictions."""
    dataflow_match: float
    """Share of the references' data-flow edges found in the predictions."""
    dataflow_degenerate: bool
    """True when the references have no data flow at all, so ``dataflow_match`` means nothing (it is 0)."""
    weights: tuple[float, float, float, float]
    """:math:`(\\alpha, \\beta, \\gamma, \\delta)`."""


def codebleu_languages() -> tuple[str, ...]:
    """The languages the ``codebleu`` package supports (graphcode's canonical names)."""
    from codebleu.utils import AVAILABLE_LANGS

    return tuple(AVAILABLE_LANGS)


class _CaptureDegenerateWarning(logging.Filter):
    """Swallows the package's "no reference data-flows" warning and remembers that it came."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = False

    def filter(self, record: logging.LogRecord) -> bool:
        if "no reference data-flows" in record.getMessage():
            self.seen = True
            return False
        return True


@contextlib.contextmanager
def _captured_degenerate_warning() -> Iterator[_CaptureDegenerateWarning]:
    root = logging.getLogger()
    capture = _CaptureDegenerateWarning()
    # A handler keeps ``logging.warning`` from calling basicConfig() on an unconfigured root logger.
    placeholder = logging.NullHandler()
    root.addFilter(capture)
    root.addHandler(placeholder)
    try:
        yield capture
    finally:
        root.removeHandler(placeholder)
        root.removeFilter(capture)


def codebleu(
    references: Sequence[str] | Sequence[Sequence[str]],
    predictions: Sequence[str],
    lang: str,
    weights: tuple[float, float, float, float] = DEFAULT_WEIGHTS,
) -> CodeBleuScore:
    """Corpus CodeBLEU of ``predictions`` against ``references`` in ``lang``.

    Args:
        references: one reference per prediction, or a list of references per prediction.
        predictions: one prediction per segment.
        lang: one of :func:`codebleu_languages` (``java``, ``c_sharp``, ``python``, ...).
        weights: :math:`(\\alpha, \\beta, \\gamma, \\delta)` (default: 0.25 each).
    """
    languages = codebleu_languages()
    if lang not in languages:
        raise UnknownLanguageError(f"CodeBLEU: expected a language among {', '.join(languages)}, found {lang!r}")
    if len(references) != len(predictions):
        raise InputError(
            f"CodeBLEU: expected as many references as predictions, found {len(references)} references and "
            f"{len(predictions)} predictions"
        )
    if len(weights) != 4 or any(w < 0 for w in weights):
        raise InputError(f"CodeBLEU: expected 4 non-negative weights, found {weights!r}")
    if not predictions:
        raise InputError("CodeBLEU: expected at least one prediction, found none")
    from codebleu import calc_codebleu

    refs = [[r] if isinstance(r, str) else list(r) for r in references]
    with _captured_degenerate_warning() as capture:
        parts = calc_codebleu(refs, list(predictions), lang=lang, weights=weights)
    components = (
        float(parts["ngram_match_score"]),
        float(parts["weighted_ngram_match_score"]),
        float(parts["syntax_match_score"]),
        float(parts["dataflow_match_score"]),
    )
    total = sum(w * c for w, c in zip(weights, components, strict=True))
    return CodeBleuScore(
        codebleu=100.0 * total,
        ngram_match=100.0 * components[0],
        weighted_ngram_match=100.0 * components[1],
        syntax_match=100.0 * components[2],
        dataflow_match=100.0 * components[3],
        dataflow_degenerate=capture.seen,
        weights=tuple(weights),  # type: ignore[arg-type]
    )
