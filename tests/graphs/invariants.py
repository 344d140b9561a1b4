"""Structural invariants every CodeGraph must satisfy (shared by example and property tests)."""

from __future__ import annotations

from graphcode.graphs import CodeGraph


def assert_invariants(g: CodeGraph) -> None:
    n = g.num_nodes
    assert n >= 1
    assert g.parent[0] == -1
    # every edge references existing nodes
    for kind, pairs in g.edges.items():
        for s, d in pairs:
            assert 0 <= s < n and 0 <= d < n, f"{kind} edge ({s}, {d}) outside 0..{n - 1}"
    # child edges form a tree rooted at 0, parents before children (document order)
    if "child" in g.edges:
        parents = [-1] * n
        for s, d in g.edges["child"]:
            assert parents[d] == -1, f"node {d} has two parents"
            parents[d] = s
            assert s < d, "a parent must come before its child in document order"
        assert parents == g.parent
        assert all(p >= 0 for p in parents[1:]), "every node but the root has a parent"
    # spans: children inside parents; starts non-decreasing in document order
    for i in range(1, n):
        p = g.parent[i]
        assert g.start_byte[p] <= g.start_byte[i] <= g.end_byte[i] <= g.end_byte[p]
        assert g.start_byte[i - 1] <= g.start_byte[i]
    # leaves ordered and not overlapping
    prev_end = 0
    for i in g.leaves:
        assert g.start_byte[i] >= prev_end, "leaf spans overlap or are out of order"
        prev_end = g.end_byte[i]
    if "next_token" in g.edges:
        assert g.edges["next_token"] == list(zip(g.leaves, g.leaves[1:], strict=False))
