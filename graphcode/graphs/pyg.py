"""PyTorch Geometric export. Imports torch lazily: only this module needs it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphcode.graphs.align import align_leaves, token_byte_spans
from graphcode.graphs.codegraph import EDGE_KINDS, CodeGraph, EdgeList
from graphcode.graphs.vocab import NodeTypeVocab, load_vocab

if TYPE_CHECKING:  # pragma: no cover
    from torch_geometric.data import Data


def to_pyg(graph: CodeGraph, tokenizer: Any = None, vocab: NodeTypeVocab | None = None,
           max_tokens: int | None = None) -> Data:
    """A ``torch_geometric.data.Data`` with:

    - ``x`` (N,) long: node-type ids from the language's saved vocabulary (:mod:`graphcode.graphs.vocab`);
    - ``edge_index`` (2, E) long and ``edge_type`` (E,) long: ids index ``EDGE_KINDS``
      (child, next_token, last_write, last_read, computed_from);
    - ``span`` (N, 2) long: byte spans; ``is_leaf`` (N,) bool;
    - with a Hugging Face fast ``tokenizer``: ``input_ids`` (T,) and ``node_token_index`` (2, A), pairs
      (leaf node, token position) whose byte spans overlap. ``max_tokens`` truncates the tokens; pairs
      with dropped tokens are dropped too, so tokens and graph stay consistent.
    """
    import torch
    from torch_geometric.data import Data

    vocab = vocab or load_vocab(graph.lang)
    x = torch.tensor(vocab.ids(graph.types, graph.named), dtype=torch.long)  # (N,)
    # each kind's int32 columns read in place (torch.frombuffer), then widened and joined: no tuple an edge
    kinds = [(k, EdgeList.of(graph.edges[kind])) for k, kind in enumerate(EDGE_KINDS) if len(graph.edges.get(kind, ()))]
    if kinds:
        edge_index = torch.stack([
            torch.cat([torch.frombuffer(pairs.src, dtype=torch.int32) for _, pairs in kinds]),
            torch.cat([torch.frombuffer(pairs.dst, dtype=torch.int32) for _, pairs in kinds]),
        ]).long()  # (2, E)
        edge_type = torch.cat([torch.full((len(pairs),), k, dtype=torch.long) for k, pairs in kinds])  # (E,)
    else:
        edge_index = torch.zeros(2, 0, dtype=torch.long)
        edge_type = torch.zeros(0, dtype=torch.long)
    span = torch.tensor(list(zip(graph.start_byte, graph.end_byte, strict=True)), dtype=torch.long).view(-1, 2)  # (N, 2)
    is_leaf = torch.zeros(graph.num_nodes, dtype=torch.bool)
    if graph.leaves:
        is_leaf[torch.tensor(graph.leaves)] = True
    data = Data(x=x, edge_index=edge_index, edge_type=edge_type, span=span, is_leaf=is_leaf, num_nodes=graph.num_nodes)
    data.lang = graph.lang
    if tokenizer is not None:
        text = graph.source.decode("utf-8", errors="replace")
        enc = tokenizer(text, return_offsets_mapping=True, add_special_tokens=True, truncation=max_tokens is not None,
                        max_length=max_tokens)
        spans = token_byte_spans(enc["offset_mapping"], text)
        pairs = align_leaves(graph.leaves, graph.start_byte, graph.end_byte, spans)
        data.input_ids = torch.tensor(enc["input_ids"], dtype=torch.long)  # (T,)
        data.node_token_index = torch.tensor(pairs, dtype=torch.long).view(-1, 2).t().contiguous()  # (2, A)
    return data
