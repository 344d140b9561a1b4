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


@pytest.mark.parametrize("case", ["random", "no_edges", "one_relation", "multi_edges"])
def test_rgcn_by_edge_is_pygs_rgcnconv(case):
    """The same function and gradients as PyG's RGCNConv (mean per relation, root, bias), on the same parameters:
    relations without edges, nodes without in-edges, repeated edges."""
    from torch_geometric.nn import RGCNConv

    from graphcode.models.gnn import rgcn_by_edge

    torch.manual_seed(0)
    num_nodes, dim, relations = 9, 6, 7
    conv = RGCNConv(dim, dim, num_relations=relations)
    with torch.no_grad():
        conv.bias.normal_()  # PyG starts it at zero: make it count
    edges = {
        "random": (torch.randint(0, num_nodes, (2, 30)), torch.randint(0, 3, (30,)) * 2),  # relations 0, 2, 4 only
        "no_edges": (torch.empty(2, 0, dtype=torch.long), torch.empty(0, dtype=torch.long)),
        "one_relation": (torch.tensor([[0, 1, 2], [3, 3, 4]]), torch.tensor([5, 5, 5])),
        "multi_edges": (torch.tensor([[0, 0, 1, 2], [3, 3, 3, 3]]), torch.tensor([1, 1, 1, 6])),
    }
    edge_index, edge_type = edges[case]
    x = torch.randn(num_nodes, dim, requires_grad=True)
    expected = conv(x, edge_index, edge_type)
    (grad_x_expected, grad_w_expected) = torch.autograd.grad(expected.square().sum(), (x, conv.weight))
    got = rgcn_by_edge(x, edge_index, edge_type, conv.weight, conv.root, conv.bias)
    (grad_x, grad_w) = torch.autograd.grad(got.square().sum(), (x, conv.weight))
    assert_close(got, expected)
    assert_close(grad_x, grad_x_expected)
    assert_close(grad_w, grad_w_expected)


def test_rgcn_by_edge_by_hand():
    from graphcode.models.gnn import rgcn_by_edge

    x = torch.tensor([[1.0], [2.0], [4.0]])  # (N=3, D=1)
    weight = torch.tensor([[[10.0]], [[100.0]]])  # (R=2, 1, 1)
    edge_index = torch.tensor([[0, 1, 2], [2, 2, 0]])  # 0 -r0-> 2, 1 -r0-> 2, 2 -r1-> 0
    edge_type = torch.tensor([0, 0, 1])
    out = rgcn_by_edge(x, edge_index, edge_type, weight, torch.tensor([[1.0]]), torch.tensor([0.5]))
    # node 0: 1 + 0.5 + 100 * 4; node 1: 2 + 0.5 (no in-edges); node 2: 4 + 0.5 + 10 * mean(1, 2)
    assert_close(out, torch.tensor([[401.5], [2.5], [19.5]]))


def test_rgcn_layer_computes_by_edge_with_pygs_parameters(monkeypatch):
    """RGCNLayer is PyG's RGCNConv (same parameters, same output) without running RGCNConv.forward."""
    from torch_geometric.nn import RGCNConv

    from graphcode.models.gnn import RGCNLayer

    torch.manual_seed(0)
    layer = RGCNLayer(GNNConfig(hidden_size=8, num_node_types=11))
    x = torch.randn(4, 8)
    expected = layer.conv(x, EDGE_INDEX, EDGE_TYPE)
    monkeypatch.setattr(RGCNConv, "forward", lambda *a, **k: pytest.fail("RGCNConv.forward ran"))
    assert_close(layer(x, EDGE_INDEX, EDGE_TYPE), expected)
    assert set(layer.state_dict()) == {"conv.weight", "conv.root", "conv.bias"}
