from __future__ import annotations

import math

import pytest
import torch
from torch.testing import assert_close

from graphcode.errors import ConfigError
from graphcode.models import DecoderOnlyFusion, EncoderDecoderFusion, FusionConfig
from graphcode.models.fusion import (
    AlignedAdd,
    FusedEncoderOutput,
    GatedAlignedAdd,
    GraphPrefix,
    build_fusion,
    dataflow_nodes,
    inner_nodes,
)

D_GNN, D = 24, 32
NODE_STATES = torch.randn(
    7, D_GNN, generator=torch.Generator().manual_seed(0)
)  # (N, D_gnn): graphs of 4 and 3
NODE_BATCH = torch.tensor([0, 0, 0, 0, 1, 1, 1])  # (N,)
PAIRS = torch.tensor([[1, 3, 5], [1, 2, 6 + 0]])  # (2, A) over a (B=2, T=6) grid


def test_gate_starts_almost_closed():
    torch.manual_seed(0)
    add, gated = AlignedAdd(D_GNN, D), GatedAlignedAdd(D_GNN, D, gate_bias_init=-4.0)
    gated.projection.load_state_dict(add.projection.state_dict())
    tokens = torch.randn(2, 6, D)  # (B, T, D)
    full = add(tokens, NODE_STATES, PAIRS) - tokens
    share = gated(tokens, NODE_STATES, PAIRS) - tokens
    assert_close(share, full * (1 / (1 + math.exp(4.0))))


def test_memory_appends_padded_nodes_and_extends_the_mask():
    fusion = EncoderDecoderFusion("memory", D_GNN, D)
    states = torch.randn(2, 6, D)  # (B, T, D)
    mask = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]])  # (B, T)
    fused = fusion(states, mask, NODE_STATES, NODE_BATCH, PAIRS)
    assert fused.hidden_states.shape == (2, 6 + 4, D)
    assert fused.attention_mask.tolist() == [[1] * 6 + [1, 1, 1, 1], [1, 1, 1, 0, 0, 0, 1, 1, 1, 0]]
    assert_close(fused.hidden_states[:, :6], states)
    assert fused.attention_mask.dtype == mask.dtype


# edges of the two graphs above, node ids global: kinds 0 child, 1 next_token, 2-4 data flow
EDGE_INDEX = torch.tensor([[0, 0, 1, 3, 4, 5, 6], [1, 2, 3, 1, 5, 6, 5]])  # (2, E)
EDGE_TYPE = torch.tensor([0, 0, 1, 2, 0, 3, 4])  # (E,)


def test_dataflow_nodes_are_the_ends_of_data_flow_edges():
    assert dataflow_nodes(EDGE_INDEX, EDGE_TYPE, 7).tolist() == [False, True, False, True, False, True, True]
    assert not dataflow_nodes(EDGE_INDEX, None, 7).any()  # no edge types: no data-flow edge known
    assert dataflow_nodes(torch.zeros(2, 0, dtype=torch.long), torch.zeros(0, dtype=torch.long), 3).tolist() == [
        False] * 3


def _every_and_some(mode: str, memory_nodes: str) -> tuple[FusedEncoderOutput, FusedEncoderOutput]:
    """A fusion with every node in the memory and one with ``memory_nodes``, sharing weights, applied to the same
    random token states: ``(every node's output, the chosen nodes' output)``. The second one needs the edges."""
    every = EncoderDecoderFusion(mode, D_GNN, D)
    some = EncoderDecoderFusion(mode, D_GNN, D, FusionConfig(memory_nodes=memory_nodes))
    some.load_state_dict(every.state_dict())
    states = torch.randn(2, 6, D)  # (B, T, D)
    mask = torch.ones(2, 6, dtype=torch.long)  # (B, T)
    full = every(states, mask, NODE_STATES, NODE_BATCH, PAIRS)
    fused = some(states, mask, NODE_STATES, NODE_BATCH, PAIRS, EDGE_INDEX, EDGE_TYPE)
    with pytest.raises(ValueError, match=f"edge_index with memory_nodes='{memory_nodes}'"):
        some(states, mask, NODE_STATES, NODE_BATCH, PAIRS)
    return full, fused


def test_memory_of_dataflow_nodes_holds_only_those():
    """Graph 0 keeps nodes 1 and 3, graph 1 nodes 5 and 6: a memory of 2 per graph, in node order, each the
    projection of its own node's state (the same projection as the memory of every node)."""
    full, fused = _every_and_some("memory", "dataflow")
    assert fused.hidden_states.shape == (2, 6 + 2, D)
    assert fused.attention_mask.tolist() == [[1] * 8, [1] * 8]
    assert_close(fused.hidden_states[0, 6:], full.hidden_states[0, [6 + 1, 6 + 3]])
    assert_close(fused.hidden_states[1, 6:], full.hidden_states[1, [6 + 1, 6 + 2]])  # nodes 5, 6 of graph 1


def test_inner_nodes_are_the_parents_of_child_edges():
    assert inner_nodes(EDGE_INDEX, EDGE_TYPE, 7).tolist() == [True, False, False, False, True, False, False]
    assert not inner_nodes(EDGE_INDEX, None, 7).any()  # no edge types: no child edge known
    assert not inner_nodes(torch.zeros(2, 0, dtype=torch.long), torch.zeros(0, dtype=torch.long), 3).any()


def test_inner_nodes_of_a_real_java_method_are_its_syntax_trees_non_leaves():
    from graphcode.graphs import parse
    from graphcode.graphs.pyg import to_pyg

    source = "class A { int f(int[] xs) { int s = 0; for (int x : xs) { s += x; } return s; } }"
    data = to_pyg(parse(source, "java"))
    inner = inner_nodes(data.edge_index, data.edge_type, data.num_nodes)
    assert torch.equal(inner, ~data.is_leaf)
    assert 0 < int(inner.sum()) < data.num_nodes


def test_memory_of_inner_nodes_holds_only_those():
    """Graph 0 keeps its node 0, graph 1 its node 4: a memory of one node per graph, the same projection as the
    memory of every node."""
    full, fused = _every_and_some("add+memory", "inner")
    assert fused.hidden_states.shape == (2, 6 + 1, D)
    assert_close(fused.hidden_states[:, :6], full.hidden_states[:, :6])  # add: every node still reaches its tokens
    assert_close(fused.hidden_states[0, 6], full.hidden_states[0, 6 + 0])
    assert_close(fused.hidden_states[1, 6], full.hidden_states[1, 6 + 0])  # node 4 is graph 1's first


def test_dataflow_edge_types_are_the_data_flow_kinds():
    from graphcode.models.config import DATAFLOW_EDGE_TYPES, EDGE_KINDS

    assert [EDGE_KINDS[i] for i in DATAFLOW_EDGE_TYPES] == ["last_write", "last_read", "computed_from"]
    assert DATAFLOW_EDGE_TYPES == (2, 3, 4)  # the ids GraphCodeBatch documents for edge_type


def test_child_edge_type_is_the_graphs_child_kind():
    from graphcode.graphs import EDGE_KINDS as GRAPH_EDGE_KINDS
    from graphcode.models.config import CHILD_EDGE_TYPE

    assert GRAPH_EDGE_KINDS[CHILD_EDGE_TYPE] == "child"


def test_memory_nodes_is_checked():
    with pytest.raises(ConfigError, match=r"fusion.memory_nodes: expected one of 'all', 'inner', 'dataflow', found 'vars'"):
        FusionConfig(memory_nodes="vars")


def test_add_touches_only_aligned_tokens():
    fusion = EncoderDecoderFusion("add", D_GNN, D)
    states = torch.randn(2, 6, D)
    fused = fusion(states, torch.ones(2, 6, dtype=torch.long), NODE_STATES, NODE_BATCH, PAIRS)
    changed = (fused.hidden_states != states).any(-1)  # (B, T)
    assert changed.nonzero().tolist() == [[0, 1], [0, 2], [1, 0]]


def test_prefix_pools_each_graph_on_its_own():
    torch.manual_seed(0)
    prefix = GraphPrefix(D_GNN, D, num_prefix_tokens=3)
    both = prefix(NODE_STATES, NODE_BATCH, batch_size=2)  # (B, P, D)
    assert both.shape == (2, 3, D)
    assert_close(both[0], prefix(NODE_STATES[:4], torch.zeros(4, dtype=torch.long), 1)[0])
    assert_close(both[1], prefix(NODE_STATES[4:], torch.zeros(3, dtype=torch.long), 1)[0])


def test_prefix_extends_mask_and_labels():
    fusion = DecoderOnlyFusion("prefix", D_GNN, D, FusionConfig(num_prefix_tokens=3))
    embeds = torch.randn(2, 6, D)
    mask = torch.ones(2, 6, dtype=torch.long)
    labels = torch.full((2, 6), 7)
    fused = fusion(embeds, mask, labels, NODE_STATES, NODE_BATCH, PAIRS)
    assert fused.num_prefix_tokens == 3
    assert fused.inputs_embeds.shape == (2, 9, D)
    assert fused.attention_mask[:, :3].eq(1).all()
    assert fused.labels[:, :3].eq(-100).all() and fused.labels[:, 3:].eq(7).all()
    assert_close(fused.inputs_embeds[:, 3:], embeds)


@pytest.mark.parametrize(
    ("mode", "is_encoder_decoder", "cls"),
    [("add+memory", True, EncoderDecoderFusion), ("prefix+add", False, DecoderOnlyFusion)],
)
def test_build_fusion_picks_the_kind(mode, is_encoder_decoder, cls):
    fusion = build_fusion(FusionConfig(mode=mode), is_encoder_decoder, D_GNN, D)
    assert isinstance(fusion, cls)
    assert fusion.add is not None
