"""The unbiased pass@k estimator of Chen et al. (2021), "Evaluating Large Language Models Trained on Code".

For one problem with :math:`n` samples of which :math:`c` pass,

.. math::

    \\text{pass@}k = 1 - \\frac{\\binom{n-c}{k}}{\\binom{n}{k}}
                  = 1 - \\prod_{i=n-c+1}^{n} \\Big(1 - \\frac{k}{i}\\Big)
    \\qquad (= 1 \\text{ when } n - c < k),

the probability that at least one of :math:`k` samples drawn without replacement from the :math:`n` passes.
The product form avoids the huge binomials (it is what the paper's numpy snippet computes). The benchmark
score is the mean over problems; it is defined only for :math:`k \\le n` for every problem.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from graphcode.errors import ConfigError, InputError


@dataclass(frozen=True)
class PassAtK:
    """pass@k averaged over problems."""

    k: int
    """The number of samples drawn per problem."""
    score: float
    """Mean pass@k over problems, in [0, 1]."""
    problems: int
    """How many problems were averaged."""


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k for one problem with ``n`` samples, ``c`` of them correct (see the module docstring).

    Raises:
        ConfigError: unless ``0 <= c <= n`` and ``1 <= k <= n``.
    """
    if not 0 <= c <= n:
        raise ConfigError(f"pass@k: expected 0 <= c <= n, found n={n}, c={c}")
    if not 1 <= k <= n:
        raise ConfigError(f"pass@k: expected 1 <= k <= n, found k={k}, n={n}")
    if n - c < k:
        return 1.0
    product = 1.0
    for i in range(n - c + 1, n + 1):
        product *= 1.0 - k / i
    return 1.0 - product


def mean_pass_at_k(counts: Iterable[tuple[int, int]], ks: Sequence[int]) -> list[PassAtK]:
    """Mean pass@k over problems, for each ``k`` in ``ks`` with ``k <= n`` for every problem.

    Args:
        counts: ``(n, c)`` per problem: samples and correct samples.
        ks: the k values wanted, e.g. ``(1, 10, 100)``; those larger than some problem's ``n`` are left out,
            as HumanEval's evaluation does.
    """
    counts = list(counts)
    if not counts:
        raise InputError("pass@k: expected at least one problem with samples, found none")
    for k in ks:
        if k < 1:
            raise ConfigError(f"pass@k: expected every k >= 1, found {k}")
    smallest_n = min(n for n, _ in counts)
    return [
        PassAtK(k=k, score=sum(pass_at_k(n, c, k) for n, c in counts) / len(counts), problems=len(counts))
        for k in sorted(set(ks))
        if k <= smallest_n
    ]
