"""Data-flow conformance: every language's table of annotated snippets (tests/graphs/dataflow_cases/)."""

from __future__ import annotations

import importlib
import textwrap

import pytest

import graphcode
from tests.graphs.dataflow_cases.case import Case

DATAFLOW_LANGUAGES = ["python", "java", "javascript", "go", "c", "cpp", "rust", "c_sharp", "ruby", "php"]
# TypeScript and TSX extend JavaScript: its table runs on them too (plain TypeScript has no JSX); C++ runs C's.
SUPERSETS = {"typescript": ("javascript", "jsx"), "tsx": ("javascript", None), "cpp": ("c", None)}


def _cases() -> list[tuple[str, Case]]:
    out = []
    for lang in DATAFLOW_LANGUAGES:
        module = importlib.import_module(f"tests.graphs.dataflow_cases.{lang}")
        out.extend((lang, case) for case in module.CASES)
    for lang, (base, without) in SUPERSETS.items():
        module = importlib.import_module(f"tests.graphs.dataflow_cases.{base}")
        out.extend((lang, case) for case in module.CASES if without is None or without not in case.name)
    return out


def _locator(graph: graphcode.CodeGraph):
    """Map ``name@L`` / ``name@L#k`` to the identifier leaf it names."""
    by_key: dict[tuple[str, int], list[int]] = {}
    # named leaves, and nodes of the language's reference kinds (PHP's `$x` is a node with children)
    from graphcode.graphs.dataflow import flow_query
    from graphcode.graphs.languages import kind_table

    kinds = {kind_table(graph.lang).names[k] for k in flow_query(graph.lang).reference_kinds}
    candidates = sorted(set(graph.leaves) | {i for i in range(graph.num_nodes) if graph.types[i] in kinds})
    for i in candidates:
        if not graph.named[i]:
            continue
        row = graph.point(graph.start_byte[i]).row + 1
        by_key.setdefault((graph.text(i), row), []).append(i)

    def locate(ref: str) -> int:
        name, _, where = ref.partition("@")
        line, _, nth = where.partition("#")
        found = by_key.get((name, int(line)), [])
        k = int(nth) if nth else 1
        if nth == "" and len(found) != 1:
            raise AssertionError(f"{ref}: expected exactly one {name!r} on line {line}, found {len(found)}")
        if len(found) < k:
            raise AssertionError(f"{ref}: expected at least {k} occurrences of {name!r} on line {line}, found {len(found)}")
        return found[k - 1]

    return locate


def _name(graph: graphcode.CodeGraph, i: int) -> str:
    return f"{graph.text(i)}@{graph.point(graph.start_byte[i]).row + 1}"


@pytest.mark.parametrize(("lang", "case"), _cases(), ids=lambda v: v if isinstance(v, str) else v.name)
def test_dataflow_case(lang: str, case: Case) -> None:
    code = textwrap.dedent(case.code).lstrip("\n")
    graph = graphcode.parse(code, lang)
    assert not graph.has_error, f"{case.name}: the snippet itself has syntax errors"
    locate = _locator(graph)
    for kind in ("last_write", "last_read", "computed_from"):
        actual = set(graph.edges[kind])
        shown = sorted((_name(graph, a), _name(graph, b)) for a, b in actual)
        for src, dst in getattr(case, kind):
            assert (locate(src), locate(dst)) in actual, f"{case.name}: missing {kind} {src} -> {dst}; have {shown}"
        for src, dst in getattr(case, f"not_{kind}"):
            assert (locate(src), locate(dst)) not in actual, f"{case.name}: unexpected {kind} {src} -> {dst}"
    if case.exact_last_write:
        expected = {(locate(s), locate(d)) for s, d in case.last_write}
        sources = {s for s, _ in expected}
        actual = {e for e in graph.edges["last_write"] if e[0] in sources}
        extra = sorted((_name(graph, a), _name(graph, b)) for a, b in actual - expected)
        assert not extra, f"{case.name}: last_write edges beyond the listed ones: {extra}"


def test_every_dataflow_language_has_a_table() -> None:
    langs = {lang for lang, _ in _cases()}
    assert langs == set(DATAFLOW_LANGUAGES) | set(SUPERSETS)


def test_unread_underscore_captures_of_named_nodes_leave_the_query() -> None:
    from graphcode.graphs.dataflow import _drop_unread_captures, flow_query

    assert _drop_unread_captures("(x left: (identifier) right: (_) @_value) @flow.assign") == \
        "(x left: (identifier) right: (_)) @flow.assign"
    read = '((label) @_label) @flow.arm (#not-eq? @_label "default")'  # a predicate reads it
    assert _drop_unread_captures(read) == read
    anonymous = '(token_tree "::" @_separator . (identifier) @local.ignore)'  # it changes what matches: kept
    assert _drop_unread_captures(anonymous) == anonymous
    assert "@_value" not in flow_query("c").text and "_value" not in flow_query("c").capture_index
    assert "_label" in flow_query("java").capture_index and "_separator" in flow_query("rust").capture_index
