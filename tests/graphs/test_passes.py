"""Helpers of the data-flow passes checked against the plain algorithm they stand in for.

The passes keep keys and edges as packed ints and follow chains of enclosing spans instead of scanning back
(:mod:`graphcode.graphs.passes`); these tests compare each such helper with the obvious, slower version.
"""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from graphcode.graphs import passes
from graphcode.graphs.codegraph import EdgeList


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


@given(st.lists(st.tuples(st.integers(0, 2**31 - 1), st.integers(0, 2**31 - 1)), max_size=50))
def test_packed_pairs_sort_and_deduplicate_as_tuples_do(pairs: list[tuple[int, int]]) -> None:
    """The passes' packed edges, read back as pairs, are the pairs sorted, each once."""
    assert EdgeList.of_packed(passes._unique([(a << 32) | b for a, b in pairs])) == sorted(set(pairs))


@settings(max_examples=300)
@given(spans=nested_spans(), binding=st.sampled_from(["declaration", "declaration", "strict", "scope"]),
       decls=st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60), st.sampled_from([b"x", b"x", b"y"])),
                      max_size=12),
       reads=st.lists(st.tuples(st.integers(0, 60), st.sampled_from([b"x", b"x", b"y"])), max_size=30))
def test_memoised_lookups_answer_as_fresh_ones(spans: list[tuple[int, int]], binding: str,
                                               decls: list[tuple[int, int, bytes]],
                                               reads: list[tuple[int, bytes]]) -> None:
    """A lookup's answer kept for the positions it holds for (declaration-bound scopes) is the answer a lookup
    with nothing memoised gives, for reads in any order."""
    size = 61
    scopes = passes._Scopes({span: {} for span in spans if span[1] < size}, size, binding)

    def names() -> passes._Names:
        made = passes._Names(scopes)
        for scope_pos, at, name in decls:  # a declaration in the scope around scope_pos, visible from `at`
            scope = scopes.innermost([scope_pos], [scope_pos])[0]
            key = (scope << 32) | made.nid(name)
            made.decl_first[key] = min(at, made.decl_first.get(key, at))
        return made

    memoised = names()
    for pos, name in reads:
        scope = scopes.innermost([pos], [pos])[0]
        fresh = names()
        expected = fresh.lookup(name, scope, pos)
        got = memoised.lookup(name, scope, pos)
        # variable ids are made in lookup order: compare what they stand for, (owning scope, name)
        assert (got < 0) == (expected < 0)
        if got >= 0:
            assert memoised.var_home[got] == fresh.var_home[expected]
