from __future__ import annotations

import pytest
import torch
from torch.testing import assert_close

from graphcode.errors import ConfigError
from graphcode.models import GNNConfig, GraphEncoder
from graphcode.models.align import nodes_to_tokens, tokens_to_nodes

# A 4-node graph: 0 ─child─► 1, 0 ─child─► 2, 2 ─child─► 3, 1 ─next_token─► 3.
NODE_TYPE = torch.tensor([3, 7, 4, 7])  # (N,)
EDGE_INDEX = torch.tensor([[0, 0, 2, 1], [1, 2, 3, 3]])  # (2, E)
EDGE_TYPE = torch.tensor([0, 0, 0, 1])  # (E,)


def _encoder(**kwargs) -> GraphEncoder:
    torch.manual_seed(0)
    config = GNNConfig(**{"hidden_size": 24, "num_layers": 2, "dropout": 0.0, "num_node_types": 11, **kwargs})
    return GraphEncoder(config, token_dim=32).eval()


@pytest.mark.parametrize("conv", ["gcn", "rgcn", "gat"])
@pytest.mark.parametrize("add_reverse_edges", [True, False])
def test_output_shape(conv, add_reverse_edges):
    encoder = _encoder(conv=conv, add_reverse_edges=add_reverse_edges)
    out = encoder(NODE_TYPE, EDGE_INDEX, EDGE_TYPE)
    assert out.shape == (4, 24)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("conv", ["gcn", "rgcn", "gat"])
def test_two_graphs_batched_equal_each_alone(conv):
    encoder = _encoder(conv=conv)
    first = encoder(NODE_TYPE, EDGE_INDEX, EDGE_TYPE)  # (4, D_gnn)
    second_types = torch.tensor([2, 8, 8])
    second_edges = torch.tensor([[0, 0, 1], [1, 2, 2]])
    second_kinds = torch.tensor([0, 0, 3])
    second = encoder(second_types, second_edges, second_kinds)  # (3, D_gnn)
    both = encoder(
        torch.cat([NODE_TYPE, second_types]),
        torch.cat([EDGE_INDEX, second_edges + 4], dim=1),
        torch.cat([EDGE_TYPE, second_kinds]),
    )  # (7, D_gnn)
    assert_close(both[:4], first)
    assert_close(both[4:], second)


def test_relation_aware_convs_see_edge_kinds():
    encoder = _encoder(conv="rgcn")
    assert not torch.allclose(
        encoder(NODE_TYPE, EDGE_INDEX, EDGE_TYPE), encoder(NODE_TYPE, EDGE_INDEX, torch.tensor([2, 2, 2, 2]))
    )


def test_token_features_change_only_aligned_nodes_input():
    encoder = _encoder(node_feature="type+tokens", num_layers=1, add_reverse_edges=False)
    token_embeddings = torch.randn(1, 5, 32)  # (B, T, D)
    pairs = torch.tensor([[3, 3], [1, 2]])  # node 3 overlaps tokens 1 and 2
    with_tokens = encoder(NODE_TYPE, EDGE_INDEX, EDGE_TYPE, token_embeddings, pairs)
    without = encoder(NODE_TYPE, EDGE_INDEX, EDGE_TYPE)
    # Node 3 has no out-edges, so only it changes; edges point 0→1, 0→2, 2→3, 1→3.
    assert_close(with_tokens[:3], without[:3])
    assert not torch.allclose(with_tokens[3], without[3])


def test_node_type_out_of_vocabulary_is_a_config_error():
    with pytest.raises(ConfigError, match=r"gnn.num_node_types: expected more than .* found 11 <= 11"):
        _encoder()(torch.tensor([0, 1, 2, 11]), EDGE_INDEX, EDGE_TYPE)


def test_edge_type_out_of_range_is_a_config_error():
    with pytest.raises(
        ConfigError, match=r"gnn.num_edge_types: expected edge-type ids in \[0, 12\), found \[0, 12\]"
    ):
        _encoder()(NODE_TYPE, EDGE_INDEX, torch.tensor([0, 0, 0, 12]))


def test_relation_aware_conv_needs_edge_types():
    with pytest.raises(ValueError, match=r"expected graph\.edge_type"):
        _encoder(conv="rgcn")(NODE_TYPE, EDGE_INDEX, None)


def test_alignment_means_by_hand():
    node_states = torch.tensor([[1.0, 0.0], [0.0, 2.0], [4.0, 4.0], [6.0, 0.0]])  # (N, D)
    pairs = torch.tensor([[1, 2, 3, 3], [0, 0, 1, 3]])  # tokens of a (B=2, T=2) grid
    per_token = nodes_to_tokens(node_states, pairs, batch_size=2, num_tokens=2)  # (B, T, D)
    expected = torch.tensor([[[2.0, 3.0], [6.0, 0.0]], [[0.0, 0.0], [6.0, 0.0]]])
    assert_close(per_token, expected)

    token_states = torch.arange(8.0).view(2, 2, 2)  # (B, T, D)
    per_node = tokens_to_nodes(token_states, pairs, num_nodes=4)  # (N, D)
    expected = torch.tensor([[0.0, 0.0], [0.0, 1.0], [0.0, 1.0], [4.0, 5.0]])
    assert_close(per_node, expected)
