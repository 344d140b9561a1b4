"""Control flow as edge kinds (``cfg_*``): the conformance tables, selection, exports and the picture."""

from __future__ import annotations

import importlib
import json
import textwrap

import pytest

import graphcode
from graphcode.graphs import CFG_EDGE_KINDS, EDGE_KINDS, GraphOptions
from graphcode.graphs.codegraph import CFG_KINDS
from tests.graphs.cfg_cases.case import CfgCase

CFG_LANGUAGES = ["python", "java", "javascript", "go", "c", "cpp", "rust", "c_sharp", "ruby", "php"]
# TypeScript and TSX extend JavaScript: its table runs on them too; C++ runs C's.
SUPERSETS = {"typescript": "javascript", "tsx": "javascript", "cpp": "c"}


def _cases() -> list[tuple[str, CfgCase]]:
    out = []
    for lang in CFG_LANGUAGES:
        out.extend((lang, case) for case in importlib.import_module(f"tests.graphs.cfg_cases.{lang}").CASES)
    for lang, base in SUPERSETS.items():
        out.extend((lang, case) for case in importlib.import_module(f"tests.graphs.cfg_cases.{base}").CASES)
    return out


def _edges(graph: graphcode.CodeGraph) -> set[tuple[str, str, str]]:
    """The graph's control-flow edges, with ends named as the tables name them."""
    ends = sorted({n for kind in CFG_KINDS for edge in graph.edges.get(kind, []) for n in edge})
    by_line: dict[int, list[int]] = {}
    for n in ends:
        if n != 0:
            by_line.setdefault(graph.point(graph.start_byte[n]).row + 1, []).append(n)

    def name(n: int) -> str:
        if n == 0:
            return "root"
        line = graph.point(graph.start_byte[n]).row + 1
        k = by_line[line].index(n)
        return str(line) if k == 0 else f"{line}#{k + 1}"

    return {(name(a), name(b), kind[4:]) for kind in CFG_KINDS for a, b in graph.edges.get(kind, [])}


@pytest.mark.parametrize(("lang", "case"), _cases(), ids=lambda v: v if isinstance(v, str) else v.name)
def test_cfg_case(lang: str, case: CfgCase) -> None:
    code = textwrap.dedent(case.code).lstrip("\n")
    graph = graphcode.parse(code, lang, options=GraphOptions.from_kinds("cfg"))
    assert not graph.has_error, f"{case.name}: the snippet itself has syntax errors"
    actual, expected = _edges(graph), case.expected()
    assert not expected - actual, f"{case.name}: missing {sorted(expected - actual)}"
    assert not actual - expected, f"{case.name}: unexpected {sorted(actual - expected)}"


def test_every_dataflow_language_has_a_cfg_table() -> None:
    assert {lang for lang, _ in _cases()} == set(CFG_LANGUAGES) | set(SUPERSETS)


def test_cfg_selects_every_control_flow_kind_and_nothing_else() -> None:
    options = GraphOptions.from_kinds("cfg")
    assert options.edges == CFG_EDGE_KINDS == frozenset(CFG_KINDS)
    assert EDGE_KINDS[-len(CFG_KINDS):] == CFG_KINDS  # appended: the older kinds keep their ids
    graph = graphcode.parse("x = 1\nif x:\n    y = 2\nz = 3\n", "python", options=options)
    assert set(graph.edges) == set(CFG_KINDS)
    assert graph.edges["cfg_true"] and graph.edges["cfg_false"] and not graph.edges["cfg_back"]
    assert set(graphcode.parse("x = 1\n", "python").edges) == set(EDGE_KINDS)  # on by default


def test_control_flow_alone_gives_the_same_edges_as_with_data_flow() -> None:
    code = "def f(xs):\n    for x in xs:\n        if x:\n            return x\n    return None\n"
    alone = graphcode.parse(code, "python", options=GraphOptions.from_kinds("cfg"))
    every = graphcode.parse(code, "python")
    assert {k: alone.edges[k] for k in CFG_KINDS} == {k: every.edges[k] for k in CFG_KINDS}
    assert "last_write" not in alone.edges and every.edges["last_write"]


def test_a_file_of_statements_without_names_still_gets_control_flow() -> None:
    graph = graphcode.parse("pass\npass\n", "python", options=GraphOptions.from_kinds("cfg"))
    first, second = (n for n in range(graph.num_nodes) if graph.types[n] == "pass_statement")
    assert graph.edges["cfg_entry"] == [(0, first)]
    assert graph.edges["cfg_next"] == [(first, second)]
    assert graph.edges["cfg_exit"] == [(second, 0)]


def test_a_language_without_dataflow_queries_gets_no_control_flow(php_without_dataflow) -> None:
    graph = graphcode.parse("<?php function main() { $x = 1; }\n", "php")
    assert not any(kind in graph.edges for kind in CFG_KINDS)
    assert graph.meta["dataflow"] is False


def test_control_flow_exports() -> None:
    torch = pytest.importorskip("torch")
    code = "while True:\n    try:\n        x = f()\n    except E:\n        break\n"
    graph = graphcode.parse(code, "python")
    for kind in CFG_KINDS[:-1]:  # the loop runs forever until the break: no exit but the file's
        assert kind in graph.edges
    as_json = json.loads(graph.to_json())
    assert as_json["edges"]["cfg_raise"] == [list(e) for e in graph.edges["cfg_raise"]]
    data = graph.to_pyg()
    raise_id = EDGE_KINDS.index("cfg_raise")
    pairs = data.edge_index[:, data.edge_type == raise_id].t().tolist()
    assert sorted(map(tuple, pairs)) == sorted(graph.edges["cfg_raise"])
    assert data.edge_type.dtype == torch.long
    nxg = graph.to_networkx()
    assert {(a, b) for a, b, k in nxg.edges(keys=True) if k == "cfg_back"} == set(graph.edges["cfg_back"])
    assert "cfg_true" in graph.to_graphml()


def test_the_picture_of_one_function_reads_top_to_bottom() -> None:
    code = "def f(x):\n    if x:\n        return 1\n    while x:\n        x -= 1\n    return x\n"
    graph = graphcode.parse(code, "python", options=GraphOptions.from_kinds("cfg")).function("f")
    dot = graph.to_dot()
    assert 'label="T"' in dot and 'label="F"' in dot
    drawn = [line for line in dot.splitlines() if " -> " in line]
    backs = [line for line in drawn if "style=dashed" in line]
    assert backs and all("constraint=false" in line for line in backs)  # back edges do not rank the nodes
    forward = [line for line in drawn if "constraint=false" not in line]
    assert forward and len(forward) == sum(len(graph.edges[k]) for k in ("cfg_entry", "cfg_next", "cfg_true", "cfg_false"))


def test_a_loop_header_statement_moves_with_its_loop_however_many_loops_the_file_has() -> None:
    # `for (int i = 0;` — the declaration runs once, before the loop's test; the lookup that finds the
    # loop part around a statement must work for the first of many loops as for the last
    function = "int f{k}(int n) {{\n    int s = 0;\n    for (int i = 0; i < n; i++) {{\n        s += i;\n    }}\n    return s;\n}}\n"
    code = "".join(function.format(k=k) for k in range(70))
    graph = graphcode.parse(code, "c", options=GraphOptions.from_kinds("cfg"))

    def shape(k: int) -> set[tuple[object, str, object, str, str]]:
        def at(n: int) -> object:
            return "root" if n == 0 else graph.point(graph.start_byte[n]).row - 7 * k

        return {
            (at(a), graph.types[a], at(b), graph.types[b], kind)
            for kind in CFG_KINDS
            for a, b in graph.edges.get(kind, [])
            if any(n and 0 <= graph.point(graph.start_byte[n]).row - 7 * k < 7 for n in (a, b))
        }

    first = shape(0)
    assert (1, "declaration", 2, "declaration", "cfg_next") in first  # int s = 0; then int i = 0;
    assert (2, "declaration", 2, "for_statement", "cfg_next") in first  # then the loop's test
    assert first == shape(69)
