"""Tiny backbones, hand-built 4-node graphs and a collate that follows the GraphCodeBatch contract.

Backbones: 2 layers, width 32, an odd feed-forward size 37; the GNN is 24 wide so that a mix-up of
``D`` and ``D_gnn`` fails loudly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
import torch
from torch import Tensor
from torch_geometric.data import Batch, Data

from graphcode.models import GraphCodeBatch, GraphCodeConfig, GraphCodeModel

T5_BACKBONE = {
    "model_type": "t5",
    "vocab_size": 64,
    "d_model": 32,
    "d_kv": 8,
    "d_ff": 37,
    "num_layers": 2,
    "num_decoder_layers": 2,
    "num_heads": 4,
    "decoder_start_token_id": 0,
    "pad_token_id": 0,
    "eos_token_id": 1,
}
GPT2_BACKBONE = {
    "model_type": "gpt2",
    "vocab_size": 64,
    "n_embd": 32,
    "n_layer": 2,
    "n_head": 4,
    "n_inner": 37,
    "n_positions": 64,
    "bos_token_id": 1,
    "eos_token_id": 1,
    "pad_token_id": 0,
}
BACKBONES = {"t5": T5_BACKBONE, "gpt2": GPT2_BACKBONE}
GNN = {
    "hidden_size": 24,
    "num_layers": 2,
    "dropout": 0.0,
    "num_node_types": 11,
    "node_feature": "type+tokens",
}


@dataclass
class Example:
    """One example: tokens, a target, a graph and node-token pairs ``(2, A)`` of local (node, token) ids."""

    input_ids: list[int]
    target: list[int]
    node_type: list[int]
    edges: list[tuple[int, int, int]]  # (source, target, edge kind)
    pairs: list[tuple[int, int]]  # (node, token)


# Example 0: ``x = f(y)`` as 6 tokens and a 4-node graph.
#   node 0 assignment ─child─► node 1 ``x`` (token 1), node 2 call ─child─► node 3 ``y`` (tokens 3, 4)
EXAMPLE_0 = Example(
    input_ids=[5, 12, 20, 33, 34, 7],
    target=[40, 41, 42, 1],
    node_type=[3, 7, 4, 7],
    edges=[(0, 1, 0), (0, 2, 0), (2, 3, 0), (1, 3, 1), (3, 1, 4)],
    pairs=[(1, 1), (2, 2), (2, 3), (2, 4), (3, 3), (3, 4)],
)
# Example 1: shorter, 3 nodes, a different target length.
EXAMPLE_1 = Example(
    input_ids=[9, 25, 26, 2],
    target=[50, 1],
    node_type=[2, 8, 8],
    edges=[(0, 1, 0), (0, 2, 0), (1, 2, 1), (2, 1, 2), (1, 2, 3)],
    pairs=[(1, 1), (2, 2)],
)
EXAMPLES = [EXAMPLE_0, EXAMPLE_1]


def _graph(example: Example) -> Data:
    edges = torch.tensor([(s, t) for s, t, _ in example.edges], dtype=torch.long).reshape(-1, 2).t()  # (2, E)
    kinds = torch.tensor([k for _, _, k in example.edges], dtype=torch.long)  # (E,)
    node_type = torch.tensor(example.node_type, dtype=torch.long)  # (N,)
    return Data(x=node_type, edge_index=edges, edge_type=kinds, num_nodes=len(example.node_type))


def collate(
    examples: list[Example], decoder_only: bool, graph: bool = True, padding_side: str = "right"
) -> GraphCodeBatch:
    """Pad and stack examples following the data contract.

    Encoder-decoder: ``input_ids`` are the source, ``labels`` the target ``(B, L)``. Decoder-only:
    ``input_ids`` are source followed by target, ``labels`` ``(B, T)`` with -100 on the source and padding.
    """
    sequences = [e.input_ids + e.target if decoder_only else e.input_ids for e in examples]
    T = max(map(len, sequences))
    B = len(examples)
    input_ids = torch.zeros(B, T, dtype=torch.long)  # (B, T), pad id 0
    attention_mask = torch.zeros(B, T, dtype=torch.long)  # (B, T)
    L = T if decoder_only else max(len(e.target) for e in examples)
    labels = torch.full((B, L), -100, dtype=torch.long)  # (B, L)
    pairs = []
    node_offset = 0
    for b, (example, sequence) in enumerate(zip(examples, sequences, strict=True)):
        shift = T - len(sequence) if padding_side == "left" else 0
        input_ids[b, shift : shift + len(sequence)] = torch.tensor(sequence)
        attention_mask[b, shift : shift + len(sequence)] = 1
        if decoder_only:
            start = shift + len(example.input_ids)
            labels[b, start : start + len(example.target)] = torch.tensor(example.target)
        else:
            labels[b, : len(example.target)] = torch.tensor(example.target)
        for node, token in example.pairs:
            pairs.append((node_offset + node, b * T + shift + token))
        node_offset += len(example.node_type)
    return GraphCodeBatch(
        input_ids=input_ids,
        attention_mask=attention_mask,
        labels=labels,
        graph=Batch.from_data_list([_graph(e) for e in examples]) if graph else None,
        node_token_index=torch.tensor(pairs, dtype=torch.long).t().reshape(2, -1)
        if graph
        else None,  # (2, A)
    )


def build_model(
    backbone: str, mode: str = "auto", graph: bool = True, seed: int = 0, memory_nodes: str = "all",
    copy: bool = False, copy_coverage: float = 0.0, copy_continuation: bool = False, vocab_size: int | None = None,
    copy_continuation_tokens: int = 2,
    **gnn: object
) -> GraphCodeModel:
    """A tiny model in eval mode with fixed weights (``vocab_size``: another vocabulary than the backbone's)."""
    torch.manual_seed(seed)
    config = GraphCodeConfig(
        backbone={**BACKBONES[backbone], **({"vocab_size": vocab_size} if vocab_size else {})},
        graph=graph,
        gnn={**GNN, **gnn},
        fusion={"mode": mode, "num_prefix_tokens": 3, "memory_nodes": memory_nodes},
        copy=copy,
        copy_coverage=copy_coverage,
        copy_continuation=copy_continuation, copy_continuation_tokens=copy_continuation_tokens,
    )
    return GraphCodeModel(config).eval()


def real_logits(logits: Tensor, batch: GraphCodeBatch, index: int, decoder_only: bool) -> Tensor:
    """The logits of example ``index`` at its real (unpadded) positions: ``(L_b, V)``."""
    mask = batch.attention_mask[index] if decoder_only else batch.labels[index] != -100  # (T,) or (L,)
    return logits[index][mask.bool()]


@pytest.fixture
def examples() -> list[Example]:
    return list(EXAMPLES)


@pytest.fixture
def make_batch() -> Callable[..., GraphCodeBatch]:
    return collate


@pytest.fixture
def select_logits() -> Callable[..., Tensor]:
    return real_logits


@pytest.fixture
def backbone_config() -> Callable[[str], dict]:
    return lambda name: dict(BACKBONES[name])


@pytest.fixture
def make_model() -> Callable[..., GraphCodeModel]:
    return build_model
