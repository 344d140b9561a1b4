"""pass@k against hand-computed values and the binomial definition."""

from __future__ import annotations

from math import comb

import pytest

from graphcode.errors import ConfigError, InputError
from graphcode.evaluate.passk import mean_pass_at_k, pass_at_k


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"),
    [
        (1, 1, 1, 1.0),
        (1, 0, 1, 0.0),
        (10, 3, 1, 0.3),  # pass@1 is c / n
        (5, 2, 2, 0.7),  # 1 - C(3,2)/C(5,2) = 1 - 3/10
        (4, 1, 2, 0.5),  # 1 - C(3,2)/C(4,2) = 1 - 3/6
        (10, 1, 10, 1.0),  # drawing all 10 always includes the correct one
        (10, 2, 9, 1.0),  # n - c = 8 < k = 9: every draw of 9 contains a correct sample
        (6, 3, 3, 0.95),  # 1 - C(3,3)/C(6,3) = 1 - 1/20
        (10, 0, 5, 0.0),
    ],
)
def test_hand_computed_values(n: int, c: int, k: int, expected: float) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(expected)


def test_matches_the_binomial_definition() -> None:
    for n in range(1, 16):
        for c in range(n + 1):
            for k in range(1, n + 1):
                assert pass_at_k(n, c, k) == pytest.approx(1 - comb(n - c, k) / comb(n, k), abs=1e-12)


def test_stable_for_large_n() -> None:
    # C(2000, 1000) overflows a float; the product form does not.
    value = pass_at_k(2000, 3, 1000)
    assert value == pytest.approx(1 - comb(1997, 1000) / comb(2000, 1000), rel=1e-9)
    assert 0.0 < value < 1.0


def test_mean_over_problems_and_ks_beyond_n_left_out() -> None:
    results = mean_pass_at_k([(5, 2), (5, 0), (5, 5)], ks=[1, 2, 10])
    assert [r.k for r in results] == [1, 2]  # 10 > n = 5
    by_k = {r.k: r.score for r in results}
    assert by_k[1] == pytest.approx((0.4 + 0.0 + 1.0) / 3)
    assert by_k[2] == pytest.approx((0.7 + 0.0 + 1.0) / 3)
    assert all(r.problems == 3 for r in results)


def test_invalid_arguments() -> None:
    with pytest.raises(ConfigError, match="expected 0 <= c <= n, found n=3, c=4"):
        pass_at_k(3, 4, 1)
    with pytest.raises(ConfigError, match="expected 1 <= k <= n, found k=4, n=3"):
        pass_at_k(3, 1, 4)
    with pytest.raises(ConfigError, match="expected every k >= 1"):
        mean_pass_at_k([(3, 1)], ks=[0])
    with pytest.raises(InputError, match="at least one problem"):
        mean_pass_at_k([], ks=[1])
