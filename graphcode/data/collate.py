"""Batches for :class:`graphcode.models.GraphCodeModel`: padding, one PyG ``Batch`` and flat alignment.

:class:`GraphCodeCollator` turns featurised rows (cached dataset rows or :class:`SourceFeatures` with
targets) into a :class:`graphcode.models.GraphCodeBatch`:

- encoder-decoder: ``input_ids`` ``(B, T)`` are the sources, ``labels`` ``(B, L)`` the targets padded
  with -100;
- decoder-only: ``input_ids`` ``(B, T)`` are source then target, ``labels`` ``(B, T)`` the same tokens
  with -100 on the source and the padding;
- ``graph``: the examples' graphs as one ``torch_geometric.data.Batch`` (``x`` ``(N,)``, ``edge_index``
  ``(2, E)``, ``edge_type`` ``(E,)``, ``batch`` ``(N,)``);
- ``node_token_index`` ``(2, A)``: row 0 a node of the batch (each example's nodes shifted by the nodes
  before it), row 1 the flat token index ``b * T + t`` of the padded grid (``t`` shifted by the padding
  in front when padding on the left).

:func:`encode_sources` is the inference entry point: raw source texts → a batch with ``labels=None``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from graphcode.data.features import SourceFeatures, encode_source
from graphcode.errors import ConfigError
from graphcode.graphs.build import GraphOptions
from graphcode.graphs.vocab import NodeTypeVocab
from graphcode.models.batch import GraphCodeBatch

ROW_FIELDS: tuple[str, ...] = ("input_ids", "node_type", "edge_src", "edge_dst", "edge_type", "align_node",
                               "align_token")
"""Fields of a featurised row besides ``labels`` (the fields of :class:`SourceFeatures`)."""
IGNORE_INDEX = -100


def _long(value: Any) -> Tensor:
    if isinstance(value, Tensor):
        return value.to(torch.long).reshape(-1)
    return torch.as_tensor(value, dtype=torch.long).reshape(-1)


@dataclass(frozen=True)
class GraphCodeCollator:
    """Collate featurised rows into a :class:`GraphCodeBatch`.

    Args:
        pad_token_id: Id that pads ``input_ids``.
        decoder_only: Lay out source and target as one sequence (decoder-only backbones). (default: ``False``)
        graph: Build the graph batch and the alignment; ``False`` gives tokens only. (default: ``True``)
        padding_side: ``right`` (training) or ``left`` (decoder-only generation). (default: ``"right"``)
    """

    pad_token_id: int
    decoder_only: bool = False
    graph: bool = True
    padding_side: str = "right"

    def __post_init__(self) -> None:
        if self.padding_side not in ("left", "right"):
            raise ConfigError(f"padding_side: expected 'left' or 'right', found {self.padding_side!r}")
        if not isinstance(self.pad_token_id, int):
            raise ConfigError(f"pad_token_id: expected an integer, found {self.pad_token_id!r}")

    def __call__(self, rows: Sequence[Mapping[str, Any]]) -> GraphCodeBatch:
        if not rows:
            raise ValueError("GraphCodeCollator: expected at least one row, found an empty batch")
        from torch_geometric.data import Batch, Data

        B = len(rows)
        sources = [_long(row["input_ids"]) for row in rows]
        has_labels = all(row.get("labels") is not None for row in rows)
        targets = [_long(row["labels"]) for row in rows] if has_labels else None
        if self.decoder_only and targets is not None:
            sequences = [torch.cat([s, t]) for s, t in zip(sources, targets, strict=True)]
        else:
            sequences = sources
        T = max(1, max(len(s) for s in sequences))
        input_ids = torch.full((B, T), self.pad_token_id, dtype=torch.long)  # (B, T)
        attention_mask = torch.zeros(B, T, dtype=torch.long)  # (B, T)
        shifts = []
        for b, seq in enumerate(sequences):
            shift = T - len(seq) if self.padding_side == "left" else 0
            input_ids[b, shift:shift + len(seq)] = seq
            attention_mask[b, shift:shift + len(seq)] = 1
            shifts.append(shift)

        labels = None
        if targets is not None:
            if self.decoder_only:
                labels = torch.full((B, T), IGNORE_INDEX, dtype=torch.long)  # (B, T)
                for b, (s, t) in enumerate(zip(sources, targets, strict=True)):
                    start = shifts[b] + len(s)
                    labels[b, start:start + len(t)] = t
            else:
                L = max(1, max(len(t) for t in targets))
                labels = torch.full((B, L), IGNORE_INDEX, dtype=torch.long)  # (B, L)
                for b, t in enumerate(targets):
                    labels[b, : len(t)] = t

        if not self.graph:
            return GraphCodeBatch(input_ids=input_ids, attention_mask=attention_mask, labels=labels)

        graphs = []
        pair_nodes = []
        pair_tokens = []
        offset = 0
        for b, row in enumerate(rows):
            node_type = _long(row["node_type"])  # (N_b,)
            edge_index = torch.stack([_long(row["edge_src"]), _long(row["edge_dst"])])  # (2, E_b)
            graphs.append(Data(x=node_type, edge_index=edge_index, edge_type=_long(row["edge_type"]),
                               num_nodes=node_type.numel()))
            pair_nodes.append(_long(row["align_node"]) + offset)  # (A_b,)
            pair_tokens.append(_long(row["align_token"]) + b * T + shifts[b])  # (A_b,)
            offset += node_type.numel()
        node_token_index = torch.stack([torch.cat(pair_nodes), torch.cat(pair_tokens)])  # (2, A)
        return GraphCodeBatch(
            input_ids=input_ids,
            attention_mask=attention_mask,
            labels=labels,
            graph=Batch.from_data_list(graphs),
            node_token_index=node_token_index,
        )


def features_row(features: SourceFeatures, labels: Sequence[int] | None = None) -> dict[str, Any]:
    """A collator row from :class:`SourceFeatures` (and optional target ids)."""
    return {**features._asdict(), "labels": None if labels is None else list(labels)}


def encode_sources(sources: list[str], lang: str, tokenizer: Any, *, max_source_length: int,
                   graph_options: GraphOptions | None = None, vocab: NodeTypeVocab | None = None,
                   graph: bool = True, prune_graph: bool = True,
                   padding_side: str | None = None) -> GraphCodeBatch:
    """An inference batch (``labels=None``) of raw sources, built exactly as training batches are.

    Args:
        sources: The code of each example.
        lang: Their language (a name or alias).
        tokenizer: The model's Hugging Face fast tokenizer.
        max_source_length: Truncate each source to this many tokens (graph cut to match).
        graph_options: How to build the graphs; use the settings the model was trained with.
            (default: all edge kinds, full AST)
        vocab: Node-type vocabulary. (default: the language's saved one)
        graph: Build graphs; ``False`` for a model trained with the graph off. (default: ``True``)
        prune_graph: Cut graphs where the tokens are cut. (default: ``True``)
        padding_side: ``left`` or ``right``; ``None`` follows ``tokenizer.padding_side``. Decoder-only
            generation needs ``left`` (exported decoder-only tokenizers are saved with it).
            (default: :obj:`None`)

    Returns:
        A :class:`GraphCodeBatch` with ``input_ids`` ``(B, T)``, ``attention_mask`` ``(B, T)``, the graph
        batch and ``node_token_index`` ``(2, A)``.
    """
    if isinstance(sources, str) or not sources:
        raise ValueError(f"encode_sources: expected a non-empty list of source strings, found {sources!r:.60}")
    side = padding_side or getattr(tokenizer, "padding_side", "right") or "right"
    pad = tokenizer.pad_token_id
    if pad is None:
        pad = tokenizer.eos_token_id
    if pad is None:
        raise ConfigError("tokenizer: expected a padding or end-of-sequence token, found neither")
    rows = [
        features_row(encode_source(s, lang, tokenizer, max_source_length=max_source_length,
                                   graph_options=graph_options, vocab=vocab, graph=graph, prune_graph=prune_graph))
        for s in sources
    ]
    return GraphCodeCollator(pad_token_id=int(pad), graph=graph, padding_side=side)(rows)
