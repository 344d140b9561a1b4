"""One example's model inputs: the source's tokens, its code graph and the node-token alignment.

:func:`encode_source` is the single path from source text to features, used by the cached dataset
``map`` (training) and by :func:`graphcode.data.collate.encode_sources` (inference), so both see the
same tokens and the same graph.

**Truncation.** The tokenizer truncates the source to ``max_source_length`` tokens (on the side its
``truncation_side`` says, right by default). Alignment pairs that point to dropped tokens are dropped
with them. With ``prune_graph`` (the default) the graph is cut the same way: when the kept tokens do not
cover all of the source's non-blank bytes, only nodes whose byte span overlaps the kept byte range
(first kept token start to last kept token end) stay, plus the root; ancestors of a kept node overlap
it too, so the kept nodes stay a tree. Edges between kept nodes are kept, node ids renumbered in order.
Without ``prune_graph`` the whole graph is kept and the nodes past the cut simply have no tokens.

A source that cannot be a graph (a NUL byte, larger than ``GraphOptions.max_bytes``) gets an empty
graph: the model then sees its tokens alone.

Letters: ``T`` tokens, ``N`` nodes, ``E`` edges, ``A`` alignment pairs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

from graphcode.errors import ConfigError, InputError
from graphcode.graphs.align import align_leaves, token_byte_spans
from graphcode.graphs.build import GraphOptions, build_graph
from graphcode.graphs.codegraph import EDGE_KINDS, CodeGraph
from graphcode.graphs.languages import get_spec
from graphcode.graphs.source import validate_source
from graphcode.graphs.vocab import NodeTypeVocab, load_vocab

FEATURE_VERSION = 1
"""Bumped whenever :func:`encode_source` changes what it produces, so cached features are rebuilt."""


class SourceFeatures(NamedTuple):
    """The model inputs of one source. Node ids are local to this example."""

    input_ids: list[int]
    """``(T,)`` token ids, special tokens included, truncated."""
    node_type: list[int]
    """``(N,)`` node-type ids from the language's vocabulary; empty with the graph off."""
    edge_src: list[int]
    """``(E,)`` source node of each edge."""
    edge_dst: list[int]
    """``(E,)`` target node of each edge."""
    edge_type: list[int]
    """``(E,)`` edge kind ids, indices into ``graphcode.graphs.EDGE_KINDS``."""
    align_node: list[int]
    """``(A,)`` node of each node-token pair."""
    align_token: list[int]
    """``(A,)`` token position (into ``input_ids``) of each pair."""

    @property
    def num_nodes(self) -> int:
        return len(self.node_type)


@dataclass
class GraphSettings:
    """How code graphs are built for the model (a typed mirror of :class:`graphcode.graphs.GraphOptions`)."""

    edges: list[str] = field(default_factory=lambda: list(EDGE_KINDS))
    """Edge kinds to build: some of child, next_token, last_write, last_read, computed_from."""
    drop_punctuation: bool = False
    """Drop anonymous delimiter leaves (``( ) [ ] { } , ; : .``)."""
    collapse_chains: bool = False
    """Collapse chains of single-child nodes to their lowest node."""
    prune: bool = True
    """Drop graph nodes outside the byte range of the kept tokens when a source is truncated."""

    def __post_init__(self) -> None:
        if isinstance(self.edges, str) or not all(isinstance(e, str) for e in self.edges):
            raise ConfigError(f"graph.edges: expected a list of edge kinds, found {self.edges!r}")
        unknown = sorted(set(self.edges) - set(EDGE_KINDS))
        if unknown:
            raise ConfigError(f"graph.edges: expected some of {', '.join(EDGE_KINDS)}, found {', '.join(unknown)}")
        for name in ("drop_punctuation", "collapse_chains", "prune"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"graph.{name}: expected true or false, found {getattr(self, name)!r}")

    def options(self) -> GraphOptions:
        """The :class:`GraphOptions` these settings stand for (no size limit: the tokenizer truncates)."""
        return GraphOptions(edges=frozenset(self.edges), drop_punctuation=self.drop_punctuation,
                            collapse_chains=self.collapse_chains, max_bytes=None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _empty(input_ids: list[int]) -> SourceFeatures:
    return SourceFeatures(input_ids, [], [], [], [], [], [])


def _kept_range(data: bytes, spans: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The byte range ``[lo, hi)`` the kept tokens stand for, or ``None`` when nothing was cut."""
    real = [(s, e) for s, e in spans if e > s]
    if not real:
        return (0, 0) if data.strip() else None
    lo = min(s for s, _ in real)
    hi = max(e for _, e in real)
    cut_left = bool(data[:lo].strip())
    cut_right = bool(data[hi:].strip())
    if not cut_left and not cut_right:
        return None
    return (lo if cut_left else 0), (hi if cut_right else len(data))


def _prune(graph: CodeGraph, lo: int, hi: int) -> tuple[list[int], list[int]]:
    """Kept node ids (old numbering, in order) and the old → new id map (-1 for dropped)."""
    starts, ends = graph.start_byte, graph.end_byte
    new_id = [-1] * graph.num_nodes
    kept = []
    for i in range(graph.num_nodes):
        if i == 0 or (starts[i] < hi and ends[i] > lo):
            new_id[i] = len(kept)
            kept.append(i)
    return kept, new_id


def encode_source(source: str, lang: str, tokenizer: Any, *, max_source_length: int,
                  graph_options: GraphOptions | None = None, vocab: NodeTypeVocab | None = None,
                  graph: bool = True, prune_graph: bool = True) -> SourceFeatures:
    """Tokens, graph and alignment of one source (see the module docstring for truncation).

    Args:
        source: The code.
        lang: Its language (a name or alias).
        tokenizer: A Hugging Face *fast* tokenizer (it must return offsets).
        max_source_length: Keep at most this many tokens, special tokens included.
        graph_options: How to build the graph. (default: all edge kinds, full AST)
        vocab: Node-type vocabulary. (default: the language's saved one)
        graph: Build the graph; ``False`` gives tokens only. (default: ``True``)
        prune_graph: Cut the graph where the tokens are cut. (default: ``True``)
    """
    if max_source_length < 1:
        raise ConfigError(f"max_source_length: expected an integer >= 1, found {max_source_length!r}")
    enc = tokenizer(source, truncation=True, max_length=max_source_length, add_special_tokens=True,
                    return_offsets_mapping=graph)
    input_ids = list(enc["input_ids"])
    if not graph:
        return _empty(input_ids)
    options = graph_options or GraphOptions(max_bytes=None)
    raw = source.encode("utf-8")
    try:
        data = validate_source(raw, "<source>", max_bytes=options.max_bytes, allow_empty=True)
    except InputError:
        return _empty(input_ids)
    spec = get_spec(lang)
    vocab = vocab or load_vocab(spec.name)
    g = build_graph(data, spec.name, options)
    shift = len(raw) - len(data)  # a UTF-8 byte-order mark removed from the front
    spans = [(max(s - shift, 0), max(e - shift, 0)) for s, e in token_byte_spans(enc["offset_mapping"], source)]

    cut = _kept_range(data, spans) if prune_graph else None
    if cut is None:
        kept = list(range(g.num_nodes))
        new_id = kept
    else:
        kept, new_id = _prune(g, *cut)
    types = vocab.ids([g.types[i] for i in kept], [g.named[i] for i in kept])
    edge_src: list[int] = []
    edge_dst: list[int] = []
    edge_type: list[int] = []
    for k, kind in enumerate(EDGE_KINDS):
        for s, d in g.edges.get(kind, ()):
            ns, nd = new_id[s], new_id[d]
            if ns >= 0 and nd >= 0:
                edge_src.append(ns)
                edge_dst.append(nd)
                edge_type.append(k)
    leaves = [i for i in g.leaves if new_id[i] >= 0]
    pairs = align_leaves(leaves, g.start_byte, g.end_byte, spans)
    return SourceFeatures(
        input_ids=input_ids,
        node_type=types,
        edge_src=edge_src,
        edge_dst=edge_dst,
        edge_type=edge_type,
        align_node=[new_id[n] for n, _ in pairs],
        align_token=[t for _, t in pairs],
    )


def encode_target(target: str, tokenizer: Any, *, max_target_length: int, decoder_only: bool) -> list[int]:
    """Target token ids ``(L,)``.

    Encoder-decoder: the tokenizer's own encoding with its special tokens (T5: ``... </s>``; CodeT5:
    ``<s> ... </s>``). Decoder-only: the tokens without special tokens, then the end-of-sequence token, so
    the model learns where to stop after the prompt.
    """
    if max_target_length < 1:
        raise ConfigError(f"max_target_length: expected an integer >= 1, found {max_target_length!r}")
    if not decoder_only:
        return list(tokenizer(target, truncation=True, max_length=max_target_length,
                              add_special_tokens=True)["input_ids"])
    eos = tokenizer.eos_token_id
    if eos is None:
        raise ConfigError("tokenizer: expected an end-of-sequence token for a decoder-only backbone, found none")
    ids = list(tokenizer(target, add_special_tokens=False)["input_ids"])[: max_target_length - 1]
    return [*ids, eos]
