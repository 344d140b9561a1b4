"""Helpers of the data-flow passes checked against the plain algorithm they stand in for.

The passes keep keys and edges as packed ints and follow chains of enclosing spans instead of scanning back
(:mod:`graphcode.graphs.passes`); these tests compare each such helper with the obvious, slower version.
"""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from graphcode.graphs import passes


@st.composite
def nested_spans(draw: st.DrawFn) -> list[tuple[int, int]]:
    """Spans of a random tree (any two nest or are apart), as syntax nodes' spans are; duplicates allowed."""
    spans: list[tuple[int, int]] = []

    def grow(start: int, end: int, depth: int) -> None:
        spans.append((start, end))
        if depth == 0 or end - start < 2:
            return
        cuts = sorted(set(draw(st.lists(st.integers(start, end), max_size=4))) | {start, end})
        for a, b in itertools.pairwise(cuts):
            if a < b and draw(st.booleans()):
                grow(a, b, depth - 1)
        if draw(st.integers(0, 5)) == 0:
            spans.append((start, end))  # the same span twice

    grow(0, draw(st.integers(1, 60)), 4)
    return spans


@given(spans=nested_spans(), order=st.sampled_from(["outer first", "inner first"]),
       queries=st.lists(st.tuples(st.integers(0, 60), st.integers(0, 8)), max_size=20))
def test_enclosing_chain_finds_what_a_scan_back_finds(spans: list[tuple[int, int]], order: str,
                                                    queries: list[tuple[int, int]]) -> None:
    """From the last span starting at or before a query span, up the chain reaches the last span holding it,
    exactly where scanning back one by one would stop; in either order of spans that start together."""
    import bisect

    key = (lambda s: (s[0], -s[1])) if order == "outer first" else (lambda s: (s[0], s[1]))
    spans = sorted(spans, key=key)
    starts = [a for a, _ in spans]
    ends = [b for _, b in spans]
    up = passes._enclosing(starts, ends)
    for j, u in enumerate(up):  # the last earlier span holding span j
        holders = [k for k in range(j) if starts[k] <= starts[j] and ends[j] <= ends[k]]
        assert u == (holders[-1] if holders else -1)
    for sb, width in queries:
        eb = sb + width
        first = bisect.bisect_right(starts, sb) - 1
        scanned = next((k for k in range(first, -1, -1) if starts[k] <= sb and eb <= ends[k]), -1)
        k = first
        while k >= 0 and not (starts[k] <= sb and eb <= ends[k]):
            k = up[k]
        assert k == scanned


@given(st.lists(st.tuples(st.integers(0, 2**31), st.integers(0, 2**32 - 1)), max_size=50))
def test_packed_pairs_sort_and_deduplicate_as_tuples_do(pairs: list[tuple[int, int]]) -> None:
    assert passes._pairs([(a << 32) | b for a, b in pairs]) == sorted(set(pairs))
