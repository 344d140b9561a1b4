r"""The graph encoder: node features, then message passing with residuals.

.. math::
    \mathbf{h}^{(0)}_i = \mathbf{E}_{\mathrm{type}}[x_i]
        \; (+\; \mathbf{W}_{\mathrm{tok}} \operatorname{mean}_{t \in \mathcal{A}(i)} \mathbf{e}_t)

    \mathbf{h}^{(k)} = \mathbf{h}^{(k-1)} + \operatorname{Dropout}(\operatorname{GELU}(
        \operatorname{Conv}_k(\operatorname{LayerNorm}_k(\mathbf{h}^{(k-1)}))))

    \mathbf{z} = \operatorname{LayerNorm}(\mathbf{h}^{(K)})

where :math:`\mathcal{A}(i)` are the tokens aligned to node :math:`i` and :math:`\mathbf{e}_t` the
backbone's input embedding of token :math:`t` (``node_feature="type+tokens"`` only). The layers are
picked by name from :data:`CONVS`; each sees the edge kinds as relation ids, with reversed edges as
``edge_type + num_edge_types`` when ``add_reverse_edges`` is set.

The layers are PyTorch Geometric's, run on its pure-Python paths, so no compiled extension (pyg-lib,
torch-scatter) is needed; RGCN keeps PyG's parameters and computes the same function by edge
(:func:`rgcn_by_edge`), which skips the relations a batch has no edges of.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn import GATConv, GCNConv, RGCNConv

from graphcode.errors import ConfigError
from graphcode.models.align import tokens_to_nodes
from graphcode.models.config import GNNConfig


class GCNLayer(nn.Module):
    """Graph convolution (Kipf & Welling); ignores edge kinds."""

    needs_edge_type = False

    def __init__(self, config: GNNConfig) -> None:
        super().__init__()
        self.conv = GCNConv(config.hidden_size, config.hidden_size)

    def forward(self, x: Tensor, edge_index: Tensor, edge_type: Tensor | None) -> Tensor:
        return self.conv(x, edge_index)  # (N, D_gnn)


class RGCNLayer(nn.Module):
    r"""Relational graph convolution (Schlichtkrull et al.): one weight matrix per edge kind.

    .. math::
        \mathbf{h}'_i = \mathbf{W}_0 \mathbf{h}_i + \mathbf{b}
            + \sum_{r} \frac{1}{|\mathcal{N}_r(i)|} \sum_{j \in \mathcal{N}_r(i)} \mathbf{W}_r \mathbf{h}_j

    The parameters are PyG's :class:`~torch_geometric.nn.RGCNConv` (``weight`` ``(R, D, D)``, ``root``, ``bias``;
    checkpoints are the same), and so is the function; the computation is :func:`rgcn_by_edge`. PyG's pure-Python
    path computes, for every one of the ``R`` relations, the mean over that relation's edges for all ``N`` nodes and
    multiplies it by ``W_r``: ``R * N`` rows of matrix products, most of them zeros when a batch uses few of the
    relations (the default ``num_edge_types`` declares 24 with reversed edges; the CodeXGLUE data uses 10). This one multiplies each edge's source once, ``E``
    rows, like pyg-lib's ``segment_matmul`` path, which needs a compiled extension.
    """

    needs_edge_type = True

    def __init__(self, config: GNNConfig) -> None:
        super().__init__()
        self.conv = RGCNConv(config.hidden_size, config.hidden_size, num_relations=config.num_relations)

    def forward(self, x: Tensor, edge_index: Tensor, edge_type: Tensor | None) -> Tensor:
        if edge_type is None:
            raise ValueError("RGCNLayer: expected edge_type (E,), found None")
        conv = self.conv
        return rgcn_by_edge(x, edge_index, edge_type, conv.weight, conv.root, conv.bias)  # (N, D_gnn)


def rgcn_by_edge(x: Tensor, edge_index: Tensor, edge_type: Tensor, weight: Tensor, root: Tensor | None,
                 bias: Tensor | None) -> Tensor:
    r"""RGCN with mean aggregation per relation, one matrix product per edge rather than per node and relation.

    Args:
        x: Node states ``(N, D_in)``.
        edge_index: ``(2, E)`` source and target node ids.
        edge_type: ``(E,)`` relation ids in ``[0, R)``.
        weight: ``(R, D_in, D_out)``, one matrix per relation.
        root: ``(D_in, D_out)``, applied to each node's own state, or ``None``.
        bias: ``(D_out,)`` or ``None``.

    Returns:
        ``(N, D_out)``, in ``float32`` under autocast (the sum is taken there, as PyG's is): for node ``i``,
        ``x_i root + bias + sum_r mean_{j -> i by r} x_j weight[r]``; a relation without edges into ``i`` adds 0.
    """
    num_nodes, num_relations = x.size(0), weight.size(0)
    src, dst = edge_index[0], edge_index[1]
    out = x @ root if root is not None else x.new_zeros(num_nodes, weight.size(2))  # (N, D_out)
    out = out.float() if out.dtype != torch.float64 else out
    if bias is not None:
        out = out + bias
    if edge_type.numel() == 0:  # weight still takes part (a zero gradient, as in PyG), so DDP sees it used
        return out + weight.sum() * 0
    order = torch.argsort(edge_type, stable=True)  # edges grouped by relation: (E,)
    counts = torch.bincount(edge_type, minlength=num_relations).tolist()
    slot = dst * num_relations + edge_type  # (E,): (target, relation)
    in_degree = torch.bincount(slot, minlength=num_nodes * num_relations).index_select(0, slot)  # (E,)
    src_sorted = src.index_select(0, order)
    parts: list[Tensor] = []
    start = 0
    for r, count in enumerate(counts):
        if count:
            parts.append(x.index_select(0, src_sorted[start:start + count]) @ weight[r])  # (E_r, D_out)
            start += count
    messages = torch.cat(parts).to(out.dtype) / in_degree.index_select(0, order).unsqueeze(1).to(out.dtype)
    return out.index_add(0, dst.index_select(0, order), messages)  # (N, D_out)


class GATLayer(nn.Module):
    """Graph attention (Veličković et al.) with edge-kind embeddings as edge features."""

    needs_edge_type = True

    def __init__(self, config: GNNConfig) -> None:
        super().__init__()
        D = config.hidden_size
        self.edge_embedding = nn.Embedding(config.num_relations, D)
        self.conv = GATConv(D, D // config.heads, heads=config.heads, edge_dim=D)

    def forward(self, x: Tensor, edge_index: Tensor, edge_type: Tensor | None) -> Tensor:
        edge_attr = self.edge_embedding(edge_type)  # (E, D_gnn)
        return self.conv(x, edge_index, edge_attr=edge_attr)  # (N, heads * D_gnn / heads) = (N, D_gnn)


#: Message-passing layers by the name ``GNNConfig.conv`` uses.
CONVS: dict[str, type[nn.Module]] = {"gcn": GCNLayer, "rgcn": RGCNLayer, "gat": GATLayer}


class GraphEncoder(nn.Module):
    r"""Encodes the nodes of a batch of code graphs into states of width ``D_gnn``.

    Args:
        config: The layer kind, depth, width, vocabularies and node features.
        token_dim: Width ``D`` of the backbone's input embeddings; required when
            ``config.node_feature == "type+tokens"``. (default: :obj:`None`)

    Shapes:
        - **input:** node types ``(N,)``, edge index ``(2, E)``, edge types ``(E,)``, token embeddings
          ``(B, T, D)`` and node-token pairs ``(2, A)`` (the last two for ``type+tokens`` only; nodes
          without pairs, or all nodes when the pairs are ``None``, get the type embedding alone)
        - **output:** node states ``(N, D_gnn)``
    """

    def __init__(self, config: GNNConfig, token_dim: int | None = None) -> None:
        super().__init__()
        self.config = config
        D = config.hidden_size
        self.node_type_embedding = nn.Embedding(config.num_node_types, D, padding_idx=0)
        self.token_projection: nn.Linear | None = None
        if config.node_feature == "type+tokens":
            if token_dim is None:
                raise ConfigError(
                    "gnn.node_feature: 'type+tokens' needs the backbone's embedding width, found none"
                )
            self.token_projection = nn.Linear(token_dim, D, bias=False)
        self.norms = nn.ModuleList(nn.LayerNorm(D) for _ in range(config.num_layers))
        self.convs = nn.ModuleList(CONVS[config.conv](config) for _ in range(config.num_layers))
        self.dropout = nn.Dropout(config.dropout)
        self.final_norm = nn.LayerNorm(D)

    def forward(
        self,
        node_type: Tensor,
        edge_index: Tensor,
        edge_type: Tensor | None = None,
        token_embeddings: Tensor | None = None,
        node_token_index: Tensor | None = None,
    ) -> Tensor:
        num_nodes = node_type.size(0)
        edge_index, edge_type = self._relations(node_type, edge_index, edge_type)

        h = self.node_type_embedding(node_type)  # (N, D_gnn)
        if self.token_projection is not None and node_token_index is not None:
            if token_embeddings is None:
                raise ValueError(
                    "GraphEncoder: node_feature 'type+tokens' expected token_embeddings (B, T, D) "
                    "with node_token_index, found None"
                )
            token_mean = tokens_to_nodes(token_embeddings, node_token_index, num_nodes)  # (N, D)
            h = h + self.token_projection(token_mean.to(h.dtype))  # (N, D_gnn)

        for norm, conv in zip(self.norms, self.convs, strict=True):
            h = h + self.dropout(F.gelu(conv(norm(h), edge_index, edge_type)))  # (N, D_gnn)
        return self.final_norm(h)  # (N, D_gnn)

    def _relations(
        self, node_type: Tensor, edge_index: Tensor, edge_type: Tensor | None
    ) -> tuple[Tensor, Tensor | None]:
        """Check the ids against the vocabularies and add reversed edges as new relation ids."""
        config = self.config
        if node_type.numel() and int(node_type.max()) >= config.num_node_types:
            raise ConfigError(
                f"gnn.num_node_types: expected more than the largest node-type id in the data, "
                f"found {config.num_node_types} <= {int(node_type.max())}"
            )
        needs_edge_type = self.convs[0].needs_edge_type
        if edge_type is None:
            if needs_edge_type:
                raise ValueError(
                    f"GraphEncoder: conv {config.conv!r} expected graph.edge_type (E,), found None"
                )
        elif edge_type.numel() and (
            int(edge_type.min()) < 0 or int(edge_type.max()) >= config.num_edge_types
        ):
            raise ConfigError(
                f"gnn.num_edge_types: expected edge-type ids in [0, {config.num_edge_types}), found "
                f"[{int(edge_type.min())}, {int(edge_type.max())}]"
            )
        if config.add_reverse_edges:
            edge_index = torch.cat([edge_index, edge_index.flip(0)], dim=1)  # (2, 2E)
            if edge_type is not None:
                edge_type = torch.cat([edge_type, edge_type + config.num_edge_types])  # (2E,)
        return edge_index, edge_type
