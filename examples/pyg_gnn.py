"""Code graphs as PyTorch Geometric ``Data`` in a GNN of your own.

    python examples/pyg_gnn.py [--steps 30]

Builds the graphs of the functions of a few standard-library modules, labels each by whether the function
has a ``return`` with a value, batches them with PyG's ``DataLoader`` and trains a small relational GNN
(``RGCNConv`` over graphcode's edge kinds) to tell them apart. Needs ``graphcode[train]``.
"""

from __future__ import annotations

import argparse
import sysconfig
from pathlib import Path

import torch
from torch import nn
from torch_geometric.loader import DataLoader
from torch_geometric.nn import RGCNConv, global_mean_pool

import graphcode
from graphcode.graphs.codegraph import EDGE_KINDS
from graphcode.graphs.vocab import load_vocab

MODULES = ("posixpath.py", "textwrap.py", "heapq.py", "bisect.py", "shlex.py")


def function_graphs(root: Path) -> list:
    """One PyG ``Data`` per top-level function of ``MODULES``, with ``y`` = it returns a value."""
    vocab = load_vocab("python")
    data = []
    for name in MODULES:
        module = graphcode.parse((root / name).read_text(encoding="utf-8"), "python")
        for i in module.find(type="function_definition"):
            graph = module.subtree(i)
            returns = any(len(graph.children(r)) > 1 for r in graph.find(type="return_statement"))
            item = graph.to_pyg(vocab=vocab)  # x (N,), edge_index (2, E), edge_type (E,)
            item.y = torch.tensor([int(returns)])
            data.append(item)
    return data


class GraphClassifier(nn.Module):
    """Node-type embeddings, two relational convolutions (one weight per edge kind), mean pooling."""

    def __init__(self, num_types: int, hidden: int = 32) -> None:
        super().__init__()
        self.embed = nn.Embedding(num_types, hidden)
        self.convs = nn.ModuleList(RGCNConv(hidden, hidden, num_relations=len(EDGE_KINDS)) for _ in range(2))
        self.head = nn.Linear(hidden, 2)

    def forward(self, batch) -> torch.Tensor:
        h = self.embed(batch.x)  # (N, hidden)
        for conv in self.convs:
            h = torch.relu(conv(h, batch.edge_index, batch.edge_type))
        return self.head(global_mean_pool(h, batch.batch))  # (B, 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    data = function_graphs(Path(sysconfig.get_paths()["stdlib"]))
    print(f"{len(data)} function graphs, {sum(int(d.y) for d in data)} return a value")
    model = GraphClassifier(load_vocab("python").size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    loader = DataLoader(data, batch_size=16, shuffle=True)
    step = 0
    while step < args.steps:
        for batch in loader:
            loss = nn.functional.cross_entropy(model(batch), batch.y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step % 10 == 0 or step == args.steps:
                print(f"step {step}: loss {loss.item():.4f}")
            if step == args.steps:
                break
    with torch.no_grad():
        batch = next(iter(DataLoader(data, batch_size=len(data))))
        accuracy = (model(batch).argmax(-1) == batch.y).float().mean().item()
    print(f"training accuracy {accuracy:.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
