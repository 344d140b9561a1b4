r"""Fusion: how node states ``(N, D_gnn)`` enter a Hugging Face backbone of width ``D``.

Every mode first projects node states to ``D`` with its own linear map, initialised with a small
standard deviation (``FusionConfig.init_std``) so that a fresh graph part barely disturbs a
pretrained backbone. "Aligned" node states of a token are the mean of the states of the nodes whose
byte span overlaps it (``node_token_index``); tokens without nodes get zeros.

Encoder-decoder backbones (T5, CodeT5, BART), acting on the encoder's output states ``(B, T, D)``:

- ``add``: :math:`\mathbf{h}_t \leftarrow \mathbf{h}_t + \mathbf{W}\bar{\mathbf{z}}_t`, the aligned node
  states added to each token's encoder state.
- ``gate``: :math:`\mathbf{h}_t \leftarrow \mathbf{h}_t + \mathbf{g}_t \odot \mathbf{W}\bar{\mathbf{z}}_t`
  with :math:`\mathbf{g}_t = \sigma(\mathbf{W}_g[\mathbf{h}_t; \mathbf{W}\bar{\mathbf{z}}_t] + \mathbf{b}_g)`;
  :math:`\mathbf{W}_g = 0` and :math:`\mathbf{b}_g` = ``gate_bias_init`` at first, so the graph's initial
  share is :math:`\sigma(\mathbf{b}_g)` (about 2% for -4).
- ``memory``: the projected node states, padded per graph to ``(B, N_max, D)``, are appended to the encoder
  memory that the decoder's cross-attention reads, and the encoder attention mask is extended with the
  node mask, so the decoder attends to tokens and nodes alike. With ``memory_nodes="inner"`` only the syntax
  tree's inner nodes (:func:`inner_nodes`) enter the memory, with ``"dataflow"`` only the nodes with a data-flow
  edge (:func:`dataflow_nodes`), so it stays short.
- ``add+memory``: both.

Decoder-only backbones (GPT-2, CodeGen, Llama-like), acting on the input embeddings ``(B, T, D)``:

- ``prefix``: ``P`` soft tokens pooled from each graph by ``P`` learned queries (attention pooling over that
  graph's nodes) are prepended to the input embeddings; the attention mask is extended with ones and the
  labels with -100, so the model reads ``[graph prefix | prompt | target]``.
- ``add``: the aligned node states are added to the prompt tokens' input embeddings.
- ``prefix+add``: both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch_geometric.utils import scatter, softmax, to_dense_batch

from graphcode.models.align import nodes_to_tokens
from graphcode.models.config import CHILD_EDGE_TYPE, DATAFLOW_EDGE_TYPES, FusionConfig


def _projection(in_dim: int, out_dim: int, init_std: float) -> nn.Linear:
    linear = nn.Linear(in_dim, out_dim)
    nn.init.normal_(linear.weight, std=init_std)
    nn.init.zeros_(linear.bias)
    return linear


class AlignedAdd(nn.Module):
    r"""Adds the projected aligned node states to token states.

    Args:
        gnn_dim: Node state width ``D_gnn``.
        model_dim: Token state width ``D``.
        init_std: Standard deviation of the projection's initial weights. (default: :obj:`0.02`)

    Shapes:
        - **input:** token states ``(B, T, D)``, node states ``(N, D_gnn)``, node-token pairs ``(2, A)``
        - **output:** token states ``(B, T, D)``
    """

    def __init__(self, gnn_dim: int, model_dim: int, init_std: float = 0.02) -> None:
        super().__init__()
        self.projection = _projection(gnn_dim, model_dim, init_std)

    def aligned(self, token_states: Tensor, node_states: Tensor, node_token_index: Tensor) -> Tensor:
        B, T, _ = token_states.shape
        aligned = nodes_to_tokens(self.projection(node_states), node_token_index, B, T)  # (B, T, D)
        return aligned.to(token_states.dtype)

    def forward(self, token_states: Tensor, node_states: Tensor, node_token_index: Tensor) -> Tensor:
        return token_states + self.aligned(token_states, node_states, node_token_index)  # (B, T, D)


class GatedAlignedAdd(AlignedAdd):
    r"""Adds the projected aligned node states through a sigmoid gate that starts almost closed.

    Args:
        gnn_dim: Node state width ``D_gnn``.
        model_dim: Token state width ``D``.
        init_std: Standard deviation of the projection's initial weights. (default: :obj:`0.02`)
        gate_bias_init: Initial gate bias; the gate starts at ``sigmoid(gate_bias_init)``. (default: :obj:`-4.0`)

    Shapes:
        - **input:** token states ``(B, T, D)``, node states ``(N, D_gnn)``, node-token pairs ``(2, A)``
        - **output:** token states ``(B, T, D)``
    """

    def __init__(
        self, gnn_dim: int, model_dim: int, init_std: float = 0.02, gate_bias_init: float = -4.0
    ) -> None:
        super().__init__(gnn_dim, model_dim, init_std)
        self.gate = nn.Linear(2 * model_dim, model_dim)
        nn.init.zeros_(self.gate.weight)
        nn.init.constant_(self.gate.bias, gate_bias_init)

    def forward(self, token_states: Tensor, node_states: Tensor, node_token_index: Tensor) -> Tensor:
        aligned = self.aligned(token_states, node_states, node_token_index)  # (B, T, D)
        both = torch.cat([token_states, aligned], dim=-1).to(self.gate.weight.dtype)  # (B, T, 2D)
        gate = torch.sigmoid(self.gate(both)).to(token_states.dtype)  # (B, T, D)
        return token_states + gate * aligned  # (B, T, D)


def _edge_end_nodes(edge_index: Tensor, edge_type: Tensor | None, num_nodes: int, kinds: tuple[int, ...],
                    rows: slice) -> Tensor:
    """``(N,)`` bool: the nodes at the ends ``rows`` of ``edge_index`` (``slice(0, 1)`` the sources, ``slice(0, 2)``
    both) of the edges of the ``kinds``; all false without edge types."""
    keep = torch.zeros(num_nodes, dtype=torch.bool, device=edge_index.device)
    if edge_type is None or edge_index.numel() == 0:
        return keep
    chosen = torch.isin(edge_type, torch.tensor(kinds, device=edge_type.device))  # (E,)
    keep[edge_index[rows][:, chosen].reshape(-1)] = True
    return keep


def dataflow_nodes(edge_index: Tensor, edge_type: Tensor | None, num_nodes: int) -> Tensor:
    """``(N,)`` bool: the nodes at either end of a data-flow edge (``DATAFLOW_EDGE_TYPES``), the occurrences of
    variables. All false without edge types.

    Shapes:
        - **input:** edges ``(2, E)``, edge types ``(E,)``
        - **output:** ``(N,)``
    """
    return _edge_end_nodes(edge_index, edge_type, num_nodes, DATAFLOW_EDGE_TYPES, slice(0, 2))


def inner_nodes(edge_index: Tensor, edge_type: Tensor | None, num_nodes: int) -> Tensor:
    """``(N,)`` bool: the syntax tree's inner nodes, those at the parent end of a ``child`` edge
    (``CHILD_EDGE_TYPE``): statements, expressions, declarations. All false without edge types.

    Shapes:
        - **input:** edges ``(2, E)``, edge types ``(E,)``
        - **output:** ``(N,)``
    """
    return _edge_end_nodes(edge_index, edge_type, num_nodes, (CHILD_EDGE_TYPE,), slice(0, 1))


#: How each ``FusionConfig.memory_nodes`` setting but ``all`` picks the nodes of the memory.
MEMORY_NODE_SELECTORS = {"inner": inner_nodes, "dataflow": dataflow_nodes}


class NodeMemory(nn.Module):
    r"""Appends the projected node states of each graph to its token states, with the mask extended.

    Args:
        gnn_dim: Node state width ``D_gnn``.
        model_dim: Token state width ``D``.
        init_std: Standard deviation of the projection's initial weights. (default: :obj:`0.02`)

    Shapes:
        - **input:** token states ``(B, T, D)``, attention mask ``(B, T)``, node states ``(N, D_gnn)``,
          graph id per node ``(N,)``, optionally the nodes to keep ``(N,)`` bool (default: all)
        - **output:** states ``(B, T + N_max, D)`` and mask ``(B, T + N_max)``, ``N_max`` the most nodes kept of
          one graph
    """

    def __init__(self, gnn_dim: int, model_dim: int, init_std: float = 0.02) -> None:
        super().__init__()
        self.projection = _projection(gnn_dim, model_dim, init_std)

    def forward(
        self, token_states: Tensor, attention_mask: Tensor, node_states: Tensor, node_batch: Tensor,
        keep: Tensor | None = None,
    ) -> tuple[Tensor, Tensor]:
        B = token_states.size(0)
        if keep is not None:
            node_states, node_batch = node_states[keep], node_batch[keep]  # (N', D_gnn), (N',)
        nodes = self.projection(node_states).to(token_states.dtype)  # (N', D)
        memory, node_mask = to_dense_batch(nodes, node_batch, batch_size=B)  # (B, N_max, D), (B, N_max)
        states = torch.cat([token_states, memory], dim=1)  # (B, T + N_max, D)
        mask = torch.cat([attention_mask, node_mask.to(attention_mask.dtype)], dim=1)  # (B, T + N_max)
        return states, mask


class GraphPrefix(nn.Module):
    r"""Pools each graph into ``P`` soft tokens with learned queries.

    .. math::
        \alpha_{ip} = \operatorname{softmax}_{i \in G_b}\!\big(\mathbf{q}_p^\top \mathbf{W}_k \mathbf{z}_i /
        \sqrt{D_{gnn}}\big), \qquad
        \mathbf{s}_{bp} = \mathbf{W}_o \sum_{i \in G_b} \alpha_{ip} \mathbf{z}_i

    The softmax runs over the nodes of one graph, so examples never see each other; a graph without nodes
    gives the output projection's bias alone.

    Args:
        gnn_dim: Node state width ``D_gnn``.
        model_dim: Token state width ``D``.
        num_prefix_tokens: ``P``. (default: :obj:`8`)
        init_std: Standard deviation of the output projection's initial weights. (default: :obj:`0.02`)

    Shapes:
        - **input:** node states ``(N, D_gnn)``, graph id per node ``(N,)``
        - **output:** soft tokens ``(B, P, D)``
    """

    def __init__(
        self, gnn_dim: int, model_dim: int, num_prefix_tokens: int = 8, init_std: float = 0.02
    ) -> None:
        super().__init__()
        self.queries = nn.Parameter(
            torch.randn(num_prefix_tokens, gnn_dim) / math.sqrt(gnn_dim)
        )  # (P, D_gnn)
        self.key = nn.Linear(gnn_dim, gnn_dim, bias=False)
        self.projection = _projection(gnn_dim, model_dim, init_std)

    def forward(self, node_states: Tensor, node_batch: Tensor, batch_size: int) -> Tensor:
        scores = self.key(node_states) @ self.queries.t() / math.sqrt(node_states.size(-1))  # (N, P)
        alpha = softmax(scores, index=node_batch, num_nodes=batch_size, dim=0)  # (N, P), sums to 1 per graph
        weighted = alpha.unsqueeze(-1) * node_states.unsqueeze(1)  # (N, P, D_gnn)
        pooled = scatter(weighted, node_batch, dim=0, dim_size=batch_size, reduce="sum")  # (B, P, D_gnn)
        return self.projection(pooled)  # (B, P, D)


@dataclass
class FusedEncoderOutput:
    """The encoder memory the decoder reads, after fusion."""

    hidden_states: Tensor
    """``(B, T', D)``: ``T' = T`` for ``add``/``gate``, ``T + N_max`` with ``memory``."""
    attention_mask: Tensor
    """``(B, T')``, the encoder attention mask for cross-attention."""


class EncoderDecoderFusion(nn.Module):
    r"""Fuses node states into an encoder's output (modes ``add``, ``gate``, ``memory``, ``add+memory``).

    Args:
        mode: The fusion mode.
        gnn_dim: Node state width ``D_gnn``.
        model_dim: Backbone width ``D``.
        config: Initialisation settings. (default: :obj:`FusionConfig()`)

    Shapes:
        - **input:** encoder states ``(B, T, D)``, attention mask ``(B, T)``, node states ``(N, D_gnn)``,
          graph id per node ``(N,)``, node-token pairs ``(2, A)``, and with ``memory_nodes`` other than ``all``
          the edges ``(2, E)`` and edge types ``(E,)``
        - **output:** :class:`FusedEncoderOutput` with states ``(B, T', D)`` and mask ``(B, T')``
    """

    def __init__(self, mode: str, gnn_dim: int, model_dim: int, config: FusionConfig | None = None) -> None:
        super().__init__()
        config = config or FusionConfig()
        self.mode = mode
        self.add: AlignedAdd | None = None
        if mode in ("add", "add+memory"):
            self.add = AlignedAdd(gnn_dim, model_dim, config.init_std)
        elif mode == "gate":
            self.add = GatedAlignedAdd(gnn_dim, model_dim, config.init_std, config.gate_bias_init)
        self.memory = NodeMemory(gnn_dim, model_dim, config.init_std) if "memory" in mode else None
        self.memory_nodes = config.memory_nodes

    def forward(
        self,
        encoder_states: Tensor,
        attention_mask: Tensor,
        node_states: Tensor,
        node_batch: Tensor,
        node_token_index: Tensor | None,
        edge_index: Tensor | None = None,
        edge_type: Tensor | None = None,
    ) -> FusedEncoderOutput:
        states, mask = encoder_states, attention_mask  # (B, T, D), (B, T)
        if self.add is not None and node_token_index is not None:
            states = self.add(states, node_states, node_token_index)  # (B, T, D)
        if self.memory is not None:
            keep = None
            if self.memory_nodes != "all":
                if edge_index is None:
                    raise ValueError("EncoderDecoderFusion: expected the graph's edge_index with "
                                     f"memory_nodes={self.memory_nodes!r}, found None")
                keep = MEMORY_NODE_SELECTORS[self.memory_nodes](edge_index, edge_type, node_states.size(0))  # (N,)
            states, mask = self.memory(
                states, mask, node_states, node_batch, keep
            )  # (B, T + N_max, D), (B, T + N_max)
        return FusedEncoderOutput(hidden_states=states, attention_mask=mask)


@dataclass
class FusedInputs:
    """The inputs a decoder-only backbone reads, after fusion."""

    inputs_embeds: Tensor
    """``(B, P + T, D)``; ``P = 0`` without a prefix."""
    attention_mask: Tensor
    """``(B, P + T)``."""
    labels: Tensor | None
    """``(B, P + T)`` with -100 on the prefix, or ``None``."""
    num_prefix_tokens: int
    """``P``, the number of soft tokens in front."""


class DecoderOnlyFusion(nn.Module):
    r"""Fuses node states into a decoder-only model's input embeddings (modes ``prefix``, ``add``,
    ``prefix+add``).

    Args:
        mode: The fusion mode.
        gnn_dim: Node state width ``D_gnn``.
        model_dim: Backbone width ``D``.
        config: Prefix length and initialisation settings. (default: :obj:`FusionConfig()`)

    Shapes:
        - **input:** input embeddings ``(B, T, D)``, attention mask ``(B, T)``, labels ``(B, T)`` or
          ``None``, node states ``(N, D_gnn)``, graph id per node ``(N,)``, node-token pairs ``(2, A)``
        - **output:** :class:`FusedInputs` of length ``P + T``
    """

    def __init__(self, mode: str, gnn_dim: int, model_dim: int, config: FusionConfig | None = None) -> None:
        super().__init__()
        config = config or FusionConfig()
        self.mode = mode
        self.add = AlignedAdd(gnn_dim, model_dim, config.init_std) if "add" in mode else None
        self.prefix = (
            GraphPrefix(gnn_dim, model_dim, config.num_prefix_tokens, config.init_std)
            if "prefix" in mode
            else None
        )

    def forward(
        self,
        inputs_embeds: Tensor,
        attention_mask: Tensor,
        labels: Tensor | None,
        node_states: Tensor,
        node_batch: Tensor,
        node_token_index: Tensor | None,
    ) -> FusedInputs:
        embeds, mask = inputs_embeds, attention_mask  # (B, T, D), (B, T)
        if self.add is not None and node_token_index is not None:
            embeds = self.add(embeds, node_states, node_token_index)  # (B, T, D)
        if self.prefix is None:
            return FusedInputs(inputs_embeds=embeds, attention_mask=mask, labels=labels, num_prefix_tokens=0)

        B = embeds.size(0)
        prefix = self.prefix(node_states, node_batch, B).to(embeds.dtype)  # (B, P, D)
        P = prefix.size(1)
        embeds = torch.cat([prefix, embeds], dim=1)  # (B, P + T, D)
        mask = torch.cat([mask.new_ones(B, P), mask], dim=1)  # (B, P + T)
        if labels is not None:
            labels = torch.cat([labels.new_full((B, P), -100), labels], dim=1)  # (B, P + T)
        return FusedInputs(inputs_embeds=embeds, attention_mask=mask, labels=labels, num_prefix_tokens=P)


def build_fusion(
    config: FusionConfig, is_encoder_decoder: bool, gnn_dim: int, model_dim: int
) -> EncoderDecoderFusion | DecoderOnlyFusion:
    """The fusion module for a backbone kind; raises :class:`graphcode.errors.ConfigError` on a mode that
    does not fit it."""
    mode = config.resolve_mode(is_encoder_decoder)
    cls = EncoderDecoderFusion if is_encoder_decoder else DecoderOnlyFusion
    return cls(mode, gnn_dim, model_dim, config)
