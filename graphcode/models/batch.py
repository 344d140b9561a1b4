"""The batch a graphcode model reads: tokens, an optional code graph and the node-token alignment.

The data pipeline builds a :class:`GraphCodeBatch`; the model reads it. Letters: ``B`` examples,
``T`` tokens per example, ``L`` target tokens, ``N`` nodes in the whole batch, ``E`` edges, ``A``
node-token pairs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import Tensor

if TYPE_CHECKING:  # pragma: no cover
    from torch_geometric.data import Batch


@dataclass
class GraphCodeBatch:
    """One batch for :class:`graphcode.models.GraphCodeModel`.

    Args:
        input_ids: The backbone tokenizer's tokens of the source code, ``(B, T)`` long. For decoder-only
            backbones the prompt, and in training the prompt followed by the target.
        attention_mask: 1 for real tokens, 0 for padding, ``(B, T)`` long.
        labels: Targets with -100 on ignored positions, or ``None`` at inference. Encoder-decoder: the target
            tokens ``(B, L)``. Decoder-only: ``(B, T)`` aligned with ``input_ids``, -100 on the prompt and
            on padding. (default: :obj:`None`)
        graph: A :class:`torch_geometric.data.Batch` of the examples' code graphs, one graph per example, with
            ``x`` ``(N,)`` long node-type ids (0 = padding/unknown), ``edge_index`` ``(2, E)`` long,
            ``edge_type`` ``(E,)`` long (0 child, 1 next_token, 2 last_write, 3 last_read, 4 computed_from)
            and ``batch`` ``(N,)`` long graph id per node; ``None`` when the graph is off. (default: :obj:`None`)
        node_token_index: Alignment pairs ``(2, A)`` long: row 0 a node index into the batch's ``N`` nodes,
            row 1 a flat token index ``b * T + t`` into the ``(B, T)`` token grid. A pair means the node's
            byte span overlaps the token; usually only leaves have pairs. May be empty or ``None``.
            (default: :obj:`None`)
    """

    input_ids: Tensor
    attention_mask: Tensor
    labels: Tensor | None = None
    graph: Batch | None = None
    node_token_index: Tensor | None = None

    @property
    def batch_size(self) -> int:
        """``B``, the number of examples."""
        return int(self.input_ids.size(0))

    def to(self, device: torch.device | str, non_blocking: bool = False) -> GraphCodeBatch:
        """A copy with every tensor (and the graph) on ``device``; Lightning moves batches with it."""

        def move(value):
            return None if value is None else value.to(device, non_blocking=non_blocking)

        return GraphCodeBatch(
            input_ids=move(self.input_ids),
            attention_mask=move(self.attention_mask),
            labels=move(self.labels),
            graph=move(self.graph),
            node_token_index=move(self.node_token_index),
        )

    def rows(self, start: int, stop: int) -> GraphCodeBatch:
        """Examples ``start`` to ``stop`` (exclusive) as a batch of their own: tokens ``(stop - start, T)`` with the
        same padding, their graphs renumbered from node 0, their node-token pairs re-based to match."""
        B, T = self.input_ids.shape
        if not 0 <= start < stop <= B:
            raise IndexError(f"GraphCodeBatch.rows: expected 0 <= start < stop <= {B}, found {start}, {stop}")
        graph = pairs = None
        if self.graph is not None:
            from torch_geometric.data import Batch

            graph = Batch.from_data_list(self.graph.index_select(range(start, stop)))
            pairs = self.node_token_index
            if pairs is not None:
                first, last = int(self.graph.ptr[start]), int(self.graph.ptr[stop])
                kept = (pairs[0] >= first) & (pairs[0] < last)  # a node's pairs lie in its own example's row
                offset = torch.tensor([[first], [start * T]], dtype=pairs.dtype, device=pairs.device)
                pairs = pairs[:, kept] - offset  # (2, A')
        return GraphCodeBatch(
            input_ids=self.input_ids[start:stop],
            attention_mask=self.attention_mask[start:stop],
            labels=None if self.labels is None else self.labels[start:stop],
            graph=graph,
            node_token_index=pairs,
        )

    def split(self, max_tokens: int) -> list[GraphCodeBatch]:
        """Consecutive groups of examples whose padded grids (``T`` tokens plus, with labels, ``L`` target tokens a
        row) hold at most ``max_tokens`` tokens each, at least one example a group; ``[self]`` when all fit."""
        width = self.input_ids.size(1) + (self.labels.size(1) if self.labels is not None else 0)
        per_group = max(1, max_tokens // width)
        if per_group >= self.batch_size:
            return [self]
        return [self.rows(start, min(start + per_group, self.batch_size))
                for start in range(0, self.batch_size, per_group)]

    def validate(self) -> None:
        """Check shapes and index ranges; raises :class:`ValueError` naming the field, expected and found."""
        if self.input_ids.dim() != 2:
            raise ValueError(
                f"GraphCodeBatch.input_ids: expected shape (B, T), found {tuple(self.input_ids.shape)}"
            )
        B, T = self.input_ids.shape
        if self.attention_mask.shape != self.input_ids.shape:
            raise ValueError(
                f"GraphCodeBatch.attention_mask: expected shape {(B, T)} like input_ids, "
                f"found {tuple(self.attention_mask.shape)}"
            )
        if self.labels is not None and (self.labels.dim() != 2 or self.labels.size(0) != B):
            raise ValueError(
                f"GraphCodeBatch.labels: expected shape ({B}, L), found {tuple(self.labels.shape)}"
            )
        if self.graph is None:
            return
        x = self.graph.x
        if x is None or x.dim() != 1 or x.dtype != torch.long:
            found = None if x is None else f"{tuple(x.shape)} {x.dtype}"
            raise ValueError(
                f"GraphCodeBatch.graph.x: expected node-type ids of shape (N,) and dtype long, found {found}"
            )
        N = x.size(0)
        num_graphs = int(getattr(self.graph, "num_graphs", 1))  # a single Data is one graph
        if num_graphs != B:
            raise ValueError(
                f"GraphCodeBatch.graph: expected one graph per example ({B}), found {num_graphs}"
            )
        edge_index = self.graph.edge_index
        if edge_index is None or edge_index.dim() != 2 or edge_index.size(0) != 2:
            found = None if edge_index is None else tuple(edge_index.shape)
            raise ValueError(f"GraphCodeBatch.graph.edge_index: expected shape (2, E), found {found}")
        if edge_index.numel() and (int(edge_index.min()) < 0 or int(edge_index.max()) >= N):
            raise ValueError(
                f"GraphCodeBatch.graph.edge_index: expected node indices in [0, {N}), found "
                f"[{int(edge_index.min())}, {int(edge_index.max())}]"
            )
        edge_type = getattr(self.graph, "edge_type", None)
        if edge_type is not None and tuple(edge_type.shape) != (edge_index.size(1),):
            raise ValueError(
                f"GraphCodeBatch.graph.edge_type: expected shape ({edge_index.size(1)},), "
                f"found {tuple(edge_type.shape)}"
            )
        pairs = self.node_token_index
        if pairs is None or pairs.numel() == 0:
            return
        if pairs.dim() != 2 or pairs.size(0) != 2:
            raise ValueError(
                f"GraphCodeBatch.node_token_index: expected shape (2, A), found {tuple(pairs.shape)}"
            )
        for row, name, size in ((0, "node", N), (1, "flat token", B * T)):
            low, high = int(pairs[row].min()), int(pairs[row].max())
            if low < 0 or high >= size:
                raise ValueError(
                    f"GraphCodeBatch.node_token_index[{row}]: expected {name} indices in [0, {size}), "
                    f"found [{low}, {high}]"
                )
