from __future__ import annotations

import pytest

from graphcode.data.features import GraphSettings, encode_source, encode_target
from graphcode.errors import ConfigError
from graphcode.graphs import EDGE_KINDS, parse

CODE = '''def area(width, height):
    """Area of a rectangle."""
    result = width * height
    if result < 0:
        result = -result
    return result
'''


def _check_alignment(code: str, feats, tokenizer, max_len: int) -> None:
    enc = tokenizer(code, truncation=True, max_length=max_len, return_offsets_mapping=True)
    graph = parse(code, "python")  # a cut graph keeps a prefix of these node ids
    assert feats.input_ids == enc["input_ids"]
    assert len(feats.align_node) == len(feats.align_token) > 0
    assert max(feats.align_token) < len(feats.input_ids)
    for node, token in zip(feats.align_node, feats.align_token, strict=True):
        assert 0 <= node < feats.num_nodes
        s, e = enc["offset_mapping"][token]
        token_bytes = len(code[:s].encode("utf-8")), len(code[:e].encode("utf-8"))
        assert graph.is_leaf(node)
        assert token_bytes[0] < graph.end_byte[node] and graph.start_byte[node] < token_bytes[1], "no overlap"


def _check_tree(feats) -> None:
    n = feats.num_nodes
    assert all(0 <= i < n for i in feats.edge_src + feats.edge_dst)
    parents = [d for s, d, k in zip(feats.edge_src, feats.edge_dst, feats.edge_type, strict=True) if k == 0]
    assert sorted(parents) == list(range(1, n)), "every node but the root has exactly one parent"


def test_alignment_pairs_overlap_their_tokens(tiny_tokenizer):
    feats = encode_source(CODE, "python", tiny_tokenizer, max_source_length=512)
    _check_alignment(CODE, feats, tiny_tokenizer, 512)
    _check_tree(feats)
    assert feats.num_nodes == parse(CODE, "python").num_nodes
    # every kind the snippet has: AST, data flow, control flow (entry 5, next 6, true 7, false 8, exit 11;
    # no loop and no try: no back or raise edges)
    assert set(feats.edge_type) == {0, 1, 2, 3, 4, 5, 6, 7, 8, 11}
    assert set(feats.edge_type) <= set(range(len(EDGE_KINDS)))


def test_non_ascii_source_aligns_by_bytes(tiny_tokenizer):
    code = 'def café(x):\n    return "héllo ✓" + x\n'
    feats = encode_source(code, "python", tiny_tokenizer, max_source_length=512)
    _check_alignment(code, feats, tiny_tokenizer, 512)


def test_truncation_cuts_tokens_and_graph_consistently(tiny_tokenizer):
    full = encode_source(CODE, "python", tiny_tokenizer, max_source_length=512)
    cut = encode_source(CODE, "python", tiny_tokenizer, max_source_length=12)
    kept_all = encode_source(CODE, "python", tiny_tokenizer, max_source_length=12, prune_graph=False)
    assert len(cut.input_ids) == 12 < len(full.input_ids)
    _check_alignment(CODE, cut, tiny_tokenizer, 12)
    _check_tree(cut)
    assert 1 < cut.num_nodes < full.num_nodes
    assert kept_all.num_nodes == full.num_nodes
    assert max(kept_all.align_token) < 12
    # the kept nodes are the first ones in document order: a prefix of the full graph
    assert cut.node_type == full.node_type[: cut.num_nodes]


def test_untruncated_source_keeps_its_whole_graph(tiny_tokenizer):
    code = "x = 1\n\n\n"
    feats = encode_source(code, "python", tiny_tokenizer, max_source_length=64)
    assert feats.num_nodes == parse(code, "python").num_nodes


def test_unparsable_source_gets_an_empty_graph(tiny_tokenizer):
    feats = encode_source("x = 1\x00", "python", tiny_tokenizer, max_source_length=64)
    assert feats.input_ids and feats.num_nodes == 0 and not feats.align_node


def test_graph_off_gives_tokens_only(tiny_tokenizer):
    feats = encode_source(CODE, "python", tiny_tokenizer, max_source_length=64, graph=False)
    assert feats.input_ids and feats.num_nodes == 0


def test_graph_options_are_applied(tiny_tokenizer):
    settings = GraphSettings(edges=["child"], drop_punctuation=True)
    feats = encode_source(CODE, "python", tiny_tokenizer, max_source_length=512, graph_options=settings.options())
    assert set(feats.edge_type) == {0}
    assert feats.num_nodes < parse(CODE, "python").num_nodes
    with pytest.raises(ConfigError, match=r"graph\.edges: expected some of"):
        GraphSettings(edges=["child", "calls"])


def test_targets(tiny_tokenizer):
    eos = tiny_tokenizer.eos_token_id
    seq2seq = encode_target("return x", tiny_tokenizer, max_target_length=64, decoder_only=False)
    causal = encode_target("return x", tiny_tokenizer, max_target_length=64, decoder_only=True)
    assert seq2seq[-1] == eos and causal[-1] == eos and seq2seq == causal
    assert len(encode_target("return x " * 50, tiny_tokenizer, max_target_length=7, decoder_only=True)) == 7
