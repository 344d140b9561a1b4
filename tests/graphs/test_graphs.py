"""Parsing, exports and round trips on every language in grammars/."""

from __future__ import annotations

import json

import networkx as nx
import pytest

import graphcode
from graphcode.errors import ConfigError, InputError, UnknownLanguageError
from graphcode.graphs import (
    EDGE_KINDS,
    CodeGraph,
    EdgeList,
    GraphOptions,
    available_languages,
    language_for_path,
    parse_file,
)
from graphcode.graphs.vocab import MISSING, UNK, load_vocab
from tests.graphs.conftest import SAMPLE_FILES
from tests.graphs.invariants import assert_invariants


def test_every_language_folder_has_a_sample() -> None:
    assert set(available_languages()) == set(SAMPLE_FILES)
    assert len(set(available_languages()) - {"tsx"}) == 11


def test_sample_parses_cleanly(sample) -> None:
    lang, path = sample
    assert language_for_path(path) == lang
    g = parse_file(path)
    assert g.lang == lang
    assert not g.has_error, f"{path.name}: {[g.node(i) for i in g.errors + g.missing]}"
    assert_invariants(g)
    assert g.edges["child"] and g.edges["next_token"]
    # leaves reassemble the source, whitespace aside
    leaf_text = "".join(g.text(i) for i in g.leaves)
    assert "".join(leaf_text.split()) == "".join(g.source.decode().split())


def test_json_round_trip_is_lossless(sample) -> None:
    _, path = sample
    g = parse_file(path)
    back = CodeGraph.from_json(g.to_json())
    assert back.to_dict() == g.to_dict()
    assert back.edges == g.edges
    assert back.types == g.types and back.start_byte == g.start_byte and back.leaves == g.leaves


def test_networkx_and_graphml(sample) -> None:
    _, path = sample
    g = parse_file(path)
    nxg = g.to_networkx()
    assert isinstance(nxg, nx.MultiDiGraph)
    assert nxg.number_of_nodes() == g.num_nodes
    assert nxg.number_of_edges() == g.num_edges
    leaf = g.leaves[0]
    assert nxg.nodes[leaf]["text"] == g.text(leaf)
    assert nxg.nodes[0]["type"] == g.types[0]
    kinds = {k for _, _, k in nxg.edges(keys=True)}
    assert kinds == {k for k, v in g.edges.items() if v}
    back = nx.parse_graphml(g.to_graphml(), force_multigraph=True)
    assert back.number_of_nodes() == g.num_nodes
    assert back.number_of_edges() == g.num_edges


def test_dot_draws_every_node_and_edge(sample) -> None:
    _, path = sample
    g = parse_file(path)
    dot = g.to_dot()
    assert dot.startswith("digraph codegraph {") and dot.rstrip().endswith("}")
    drawn = [line for line in dot.splitlines() if " -> " in line and "style=invis" not in line]
    assert len(drawn) == g.num_edges
    assert all(f"  n{i} [" in dot for i in (0, g.num_nodes - 1))


def test_pyg_export(sample) -> None:
    torch = pytest.importorskip("torch")
    _, path = sample
    g = parse_file(path)
    data = g.to_pyg()
    assert data.num_nodes == g.num_nodes
    assert data.x.shape == (g.num_nodes,) and data.x.dtype == torch.long
    assert data.edge_index.shape == (2, g.num_edges) and data.edge_index.dtype == torch.long
    assert data.edge_type.shape == (g.num_edges,)
    # every edge, kind by kind in EDGE_KINDS order, read from the int32 columns
    want = [(s, d, k) for k, kind in enumerate(EDGE_KINDS) for s, d in g.edges.get(kind, ())]
    assert list(zip(*data.edge_index.tolist(), data.edge_type.tolist(), strict=True)) == want
    bare = graphcode.parse("x = 1\n", "python", edges=frozenset()).to_pyg()
    assert bare.edge_index.shape == (2, 0) and bare.edge_type.shape == (0,)
    assert int((data.x == UNK).sum()) == 0, "the saved vocabulary covers every node type of the grammar"
    # the vocabulary is stable: the same type always gets the same id
    vocab = load_vocab(g.lang)
    assert int(data.x[0]) == vocab.id(g.types[0], g.named[0])


def test_edges_are_int32_columns_that_read_as_a_list_of_pairs() -> None:
    import pickle
    from array import array

    g = graphcode.parse("a = 1\nb = a + a\n", "python")
    edges = g.edges["child"]
    assert isinstance(edges, EdgeList) and edges.src.typecode == edges.dst.typecode == "i"
    pairs = [(p, c) for c, p in enumerate(g.parent) if p >= 0]
    assert edges == pairs and pairs == edges.tolist() and list(edges) == pairs and len(edges) == len(pairs)
    assert edges[0] == pairs[0] and edges[-1] == pairs[-1] and edges[1:3] == pairs[1:3]
    assert isinstance(edges[1:3], EdgeList) and pairs[2] in edges and (0, 0) not in edges
    assert edges != pairs[:-1] and edges != [list(p) for p in pairs], "pairs are tuples, as in a list of tuples"
    assert g.edges["next_token"] == list(zip(g.leaves, g.leaves[1:], strict=False))
    assert pickle.loads(pickle.dumps(edges)) == edges
    joined = edges + EdgeList.of([(7, 8)])
    assert isinstance(joined, EdgeList) and joined == [*pairs, (7, 8)]
    assert repr(EdgeList.of([(1, 2)])) == "EdgeList([(1, 2)])"
    # the passes' packed pairs, (src << 32) | dst, and plain pairs give the same columns
    assert EdgeList.of_packed([(3 << 32) | 4, (5 << 32) | 0]) == EdgeList(array("i", [3, 5]), [4, 0]) == [(3, 4), (5, 0)]
    # a graph made with plain lists keeps them as columns
    made = CodeGraph(lang="python", source=b"x", types=["module", "identifier"], named=[True, True], start_byte=[0, 0],
                     end_byte=[1, 1], parent=[-1, 0], leaves=[1], edges={"child": [(0, 1)]})
    assert isinstance(made.edges["child"], EdgeList) and made.edges["child"] == [(0, 1)]
    with pytest.raises(ValueError, match=r"expected \(src, dst\) pairs, found \(1, 2, 3\)"):
        EdgeList.of([(1, 2, 3)])
    with pytest.raises(ValueError, match=r"expected \(src, dst\) pairs, found \(1,\)"):
        EdgeList.of([(1,), (2, 3, 4)])
    with pytest.raises(ValueError, match="expected src and dst of one length, found 2 and 1"):
        EdgeList([1, 2], [3])


def test_pyg_alignment_with_a_tokenizer() -> None:
    pytest.importorskip("torch")
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    code = "def f(x):\n    return x + 1  # é\n"
    vocab = {ch: i for i, ch in enumerate([*sorted(set(code)), "[UNK]"])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Split("", "isolated")
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]")
    g = graphcode.parse(code, "python")
    data = g.to_pyg(tokenizer=fast)
    assert data.input_ids.shape[0] == len(code)
    pairs = data.node_token_index.t().tolist()
    # every character-token inside a leaf is aligned with that leaf, and only leaves are aligned
    leaves = set(g.leaves)
    assert {n for n, _ in pairs} <= leaves
    x_leaf = g.find(type="identifier", text="x")[1]
    chars = sorted(t for n, t in pairs if n == x_leaf)
    assert [code[t] for t in chars] == ["x"]
    comment = g.find(type="comment")[0]
    # the comment has a 2-byte character: byte offsets are converted from character offsets
    assert "".join(code[t] for n, t in pairs if n == comment) == "# é"


def test_broken_code_still_gives_a_graph() -> None:
    g = graphcode.parse("def f(x:\n    return x +\n", "python")
    assert g.has_error
    assert g.errors or g.missing
    assert_invariants(g)
    assert all(g.node(i).is_error for i in g.errors)
    missing = graphcode.parse("int f() { return (1 + 2; }", "c")
    assert missing.has_error
    assert_invariants(missing)


def test_prefix_to_complete_keeps_data_flow() -> None:
    g = graphcode.parse("def f(a):\n    b = a + 1\n    return b +", "python")
    assert g.has_error
    b_use = g.find(type="identifier", text="b")[1]
    b_def = g.find(type="identifier", text="b")[0]
    assert (b_use, b_def) in g.edges["last_write"]


def test_edge_selection() -> None:
    code = "x = 1\ny = x\n"
    g = graphcode.parse(code, "python", edges={"child", "last_write"})
    assert set(g.edges) == {"child", "last_write"}
    g2 = graphcode.parse(code, "python", options=GraphOptions.from_kinds("ast"))
    assert set(g2.edges) == {"child", "next_token"}
    with pytest.raises(ConfigError, match="expected a subset of"):
        GraphOptions(edges=frozenset({"child", "calls"}))


def test_language_without_dataflow_queries_gets_ast_edges_only(php_without_dataflow) -> None:
    g = graphcode.parse("<?php $x = 1; $y = $x;\n", "php")
    assert g.edges["child"]
    assert "last_write" not in g.edges
    assert g.meta["dataflow"] is False


def test_drop_punctuation_and_collapse_chains() -> None:
    code = "def f(a, b):\n    c = (a + b)\n    return c\n"
    full = graphcode.parse(code, "python")
    small = graphcode.parse(code, "python", drop_punctuation=True, collapse_chains=True)
    assert small.num_nodes < full.num_nodes
    assert_invariants(small)
    assert not any(t in ("(", ")", ",", ":") for t in small.types)
    assert "+" in small.types, "operators stay"
    children: dict[int, int] = {}
    for p, _ in small.edges["child"]:
        children[p] = children.get(p, 0) + 1
    assert all(cnt != 1 for node, cnt in children.items() if node != 0), "no single-child chains remain"
    # data flow survives, on the same identifiers
    def flow(g):
        return {(g.text(s), g.point(g.start_byte[s]), g.text(d), g.point(g.start_byte[d])) for s, d in g.edges["last_write"]}
    assert flow(small) == flow(full)


def test_node_accessors() -> None:
    g = graphcode.parse("x = 'é'\n", "python")
    s = g.find(type="string_content")[0]
    node = g.node(s)
    assert node.text == "é" and node.is_leaf
    assert node.start_point.row == 0 and node.start_point.column == 5
    assert node.end_byte - node.start_byte == 2
    with pytest.raises(IndexError):
        g.node(g.num_nodes)


def test_ids_are_stable() -> None:
    code = "for i in range(3):\n    print(i)\n"
    a, b = graphcode.parse(code, "python"), graphcode.parse(code, "python")
    assert a.to_dict() == b.to_dict()


# ------------------------------------------------------------------ bad input
def test_deep_nesting_is_iterative() -> None:
    depth = 10_000
    g = graphcode.parse("x = " + "(" * depth + "1" + ")" * depth + "\ny = x\n", "python")
    assert g.num_nodes > depth
    assert_invariants(g)
    assert g.edges["last_write"]
    json.loads(g.to_json())
    g.to_dot()
    report = graphcode.check_syntax("[" * depth + "]" * depth, "python")
    assert not report.valid  # CPython refuses this much nesting; the report says so instead of crashing
    js = graphcode.parse("a = " + "[" * depth + "]" * depth + ";", "javascript")
    assert_invariants(js)


def test_unknown_language() -> None:
    with pytest.raises(UnknownLanguageError, match=r"cobol.*expected one of"):
        graphcode.parse("x", "cobol")
    with pytest.raises(UnknownLanguageError, match=r"\.xyz"):
        language_for_path("a/b.xyz")


def test_bad_files(tmp_path) -> None:
    binary = tmp_path / "bin.py"
    binary.write_bytes(b"\x00\x01\x02abc")
    latin = tmp_path / "latin.py"
    latin.write_bytes("x = 'caf\xe9'\n".encode("latin-1"))
    empty = tmp_path / "empty.py"
    empty.write_bytes(b"")
    big = tmp_path / "big.py"
    big.write_bytes(b"x = 1\n" * (5 * 1024 * 1024 // 6 + 1))
    with pytest.raises(InputError, match=r"bin\.py: expected a text file, found binary data"):
        parse_file(binary)
    with pytest.raises(InputError, match=r"latin.py: expected UTF-8 text, found the byte 0xe9 at offset 8 \(line 1\)"):
        parse_file(latin)
    with pytest.raises(InputError, match=r"empty\.py: expected source text, found an empty file"):
        parse_file(empty)
    with pytest.raises(InputError, match=r"big.py: expected at most 4.0 MiB .*found 5.0 MiB"):
        parse_file(big)
    g = parse_file(big, options=GraphOptions(edges=frozenset({"child"}), max_bytes=None))
    assert g.num_nodes > 1_000_000
    with pytest.raises(InputError, match="expected an existing file"):
        parse_file(tmp_path / "missing.py")
    with pytest.raises(InputError, match="expected a file, found a directory"):
        parse_file(tmp_path, lang="python")


def test_bad_graph_json() -> None:
    g = graphcode.parse("x = 1", "python")
    data = g.to_dict()
    with pytest.raises(InputError, match="expected valid JSON"):
        CodeGraph.from_json("{not json")
    with pytest.raises(InputError, match="expected schema"):
        CodeGraph.from_dict({**data, "schema": "other/9"})
    broken = json.loads(g.to_json())
    broken["edges"]["child"][0] = [0, 999]
    with pytest.raises(InputError, match=r"edges.child\[0\]: expected \[src, dst\] with ids in 0..\d+, found \[0, 999\]"):
        CodeGraph.from_dict(broken)
    del broken["nodes"][1]["type"]
    with pytest.raises(InputError, match=r"nodes\[1\]: expected a field 'type'"):
        CodeGraph.from_dict(broken)


def test_vocab_marks_errors_and_missing() -> None:
    pytest.importorskip("torch")
    g = graphcode.parse("int f() { return (1 + 2; }", "c")
    data = g.to_pyg()
    assert MISSING in data.x.tolist() or 2 in data.x.tolist()


def test_declared_source_encoding_is_honoured(tmp_path) -> None:
    latin = tmp_path / "latin.py"
    latin.write_bytes("# -*- coding: latin-1 -*-\nname = 'caf\xe9'\nprint(name)\n".encode("latin-1"))
    g = parse_file(latin)
    assert not g.has_error
    assert g.source.decode("utf-8").count("café") == 1  # graphs hold UTF-8
    assert g.edges["last_write"]
    unknown = tmp_path / "unknown.py"
    unknown.write_bytes(b"# coding: no-such-codec\nx = '\xff'\n")
    with pytest.raises(InputError, match=r"expected a known encoding in its coding declaration, found 'no-such-codec'"):
        parse_file(unknown)
    java = tmp_path / "A.java"  # only languages that declare it (Python) read declarations
    java.write_bytes(b"// coding: latin-1\nclass A { String s = \"caf\xe9\"; }\n")
    with pytest.raises(InputError, match="expected UTF-8 text"):
        parse_file(java)


def test_public_graph_methods_are_documented_and_children_follow_the_tree():
    import inspect

    import graphcode
    from graphcode.graphs.codegraph import CodeGraph

    undocumented = [name for name, member in vars(CodeGraph).items() if not name.startswith("_")
                    and (callable(member) or isinstance(member, (property, classmethod)))
                    and not inspect.getdoc(getattr(CodeGraph, name))]
    assert undocumented == []
    assert all(inspect.getdoc(getattr(graphcode, name)) for name in ("parse", "check_syntax", "CodeGraph"))
    g = graphcode.parse("def f(a, b):\n    return a + b\n", "python")
    for i in range(g.num_nodes):  # the same as the child edges, left to right, for every node
        assert g.children(i) == [dst for src, dst in g.edges["child"] if src == i]
    import pytest

    with pytest.raises(IndexError, match="expected 0 <= id <"):
        g.children(g.num_nodes)


def test_streamed_json_is_the_json_and_graphml_reads_back_as_the_networkx_graph(sample) -> None:
    import json

    import networkx as nx

    from graphcode.graphs.export import iter_graphml, iter_json, to_dict

    _, path = sample
    g = parse_file(path)
    pieces = list(iter_json(g, chunk=7))
    assert len(pieces) > 4, "written in pieces"
    assert "".join(pieces) == json.dumps(to_dict(g), ensure_ascii=False)
    read = nx.read_graphml(__import__("io").BytesIO("".join(iter_graphml(g)).encode("utf-8")), node_type=int,
                           force_multigraph=True)
    expected = g.to_networkx()
    assert dict(read.nodes(data=True)) == dict(expected.nodes(data=True))
    assert sorted(read.edges(keys=True, data=True)) == sorted(expected.edges(keys=True, data=True))
    assert read.graph["lang"] == g.lang
