"""Typed configuration of a graphcode model: the GNN, the fusion and the backbone.

Each config is a dataclass that validates itself in ``__post_init__`` and raises
:class:`graphcode.errors.ConfigError` naming the field, what was expected and what was found.
Attribute docstrings under the fields are what ``--help`` prints.

This module imports neither torch nor transformers, so building and printing a config is instant.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

from graphcode.errors import ConfigError

MAX_CONTINUATION_TOKENS = 8
"""The most target tokens the copy head's continuation features match (``copy_continuation_tokens``)."""

ConvKind = Literal["gcn", "rgcn", "gat"]
NodeFeature = Literal["type", "type+tokens"]
FusionMode = Literal["auto", "add", "gate", "memory", "add+memory", "prefix", "prefix+add"]
MemoryNodes = Literal["all", "inner", "dataflow"]

CONV_KINDS: tuple[str, ...] = ("gcn", "rgcn", "gat")
NODE_FEATURES: tuple[str, ...] = ("type", "type+tokens")
ENCODER_DECODER_MODES: tuple[str, ...] = ("add", "gate", "memory", "add+memory")
DECODER_ONLY_MODES: tuple[str, ...] = ("prefix", "add", "prefix+add")
FUSION_MODES: tuple[str, ...] = ("auto", *dict.fromkeys(ENCODER_DECODER_MODES + DECODER_ONLY_MODES))
MEMORY_NODES: tuple[str, ...] = ("all", "inner", "dataflow")

#: The edge kinds of the data contract, in id order. ``GNNConfig.num_edge_types`` counts them.
EDGE_KINDS: tuple[str, ...] = ("child", "next_token", "last_write", "last_read", "computed_from", "cfg_entry",
                               "cfg_next", "cfg_true", "cfg_false", "cfg_back", "cfg_raise", "cfg_exit")
#: The ids of the data-flow kinds among ``EDGE_KINDS`` (``last_write``, ``last_read``, ``computed_from``).
DATAFLOW_EDGE_TYPES: tuple[int, ...] = tuple(EDGE_KINDS.index(k) for k in ("last_write", "last_read", "computed_from"))
#: The id of the ``child`` kind (parent → child) among ``EDGE_KINDS``.
CHILD_EDGE_TYPE: int = EDGE_KINDS.index("child")


def _fail(owner: str, name: str, expected: str, found: Any) -> ConfigError:
    return ConfigError(f"{owner}.{name}: expected {expected}, found {found!r}")


def _check_int(owner: str, name: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _fail(owner, name, f"an integer >= {minimum}", value)


def check_rate(owner: str, name: str, value: Any) -> None:
    """Refuse anything but a number in [0, 1) (a dropout rate), naming ``owner.name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise _fail(owner, name, "a number in [0, 1)", value)


def _check_choice(owner: str, name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise _fail(owner, name, f"one of {', '.join(map(repr, choices))}", value)


def _from_dict(cls: type, owner: str, data: Any) -> Any:
    """Build the dataclass ``cls`` from a dict, refusing keys it does not know."""
    if isinstance(data, cls):
        return data
    if not isinstance(data, dict):
        raise ConfigError(f"{owner}: expected a mapping or a {cls.__name__}, found {type(data).__name__}")
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(
            f"{owner}: unknown field(s) {', '.join(unknown)}; expected some of {', '.join(sorted(known))}"
        )
    return cls(**data)


@dataclass
class GNNConfig:
    """The graph encoder: node features, then ``num_layers`` message-passing layers."""

    conv: ConvKind = "gcn"
    """Message-passing layer: ``gcn`` (ignores edge kinds), ``rgcn`` (one weight per edge kind) or
    ``gat`` (attention, with edge-kind embeddings as edge features)."""
    num_layers: int = 2
    """Number of message-passing layers."""
    hidden_size: int = 256
    """Width of the node states, ``D_gnn``."""
    dropout: float = 0.1
    """Dropout on each layer's update."""
    num_node_types: int = 512
    """Size of the node-type vocabulary; id 0 is reserved for padding or unknown types."""
    num_edge_types: int = len(EDGE_KINDS)
    """Number of edge kinds in the data (0 child, 1 next_token, 2 last_write, 3 last_read, 4 computed_from)."""
    add_reverse_edges: bool = True
    """Add every edge reversed, as a new edge kind ``edge_type + num_edge_types``."""
    node_feature: NodeFeature = "type"
    """Node input features: ``type`` (a node-type embedding) or ``type+tokens`` (plus the projected mean of
    the backbone's input embeddings of the tokens aligned to the node)."""
    heads: int = 4
    """Attention heads (``gat`` only); ``hidden_size`` must be divisible by it."""

    def __post_init__(self) -> None:
        owner = "gnn"
        _check_choice(owner, "conv", self.conv, CONV_KINDS)
        _check_int(owner, "num_layers", self.num_layers, 1)
        _check_int(owner, "hidden_size", self.hidden_size, 1)
        check_rate(owner, "dropout", self.dropout)
        _check_int(owner, "num_node_types", self.num_node_types, 2)
        _check_int(owner, "num_edge_types", self.num_edge_types, 1)
        if not isinstance(self.add_reverse_edges, bool):
            raise _fail(owner, "add_reverse_edges", "true or false", self.add_reverse_edges)
        _check_choice(owner, "node_feature", self.node_feature, NODE_FEATURES)
        _check_int(owner, "heads", self.heads, 1)
        if self.conv == "gat" and self.hidden_size % self.heads:
            raise _fail(
                owner, "hidden_size", f"a multiple of gnn.heads={self.heads} for conv 'gat'", self.hidden_size
            )

    @property
    def num_relations(self) -> int:
        """Number of relation ids the layers see: the edge kinds, doubled when reverse edges are added."""
        return self.num_edge_types * (2 if self.add_reverse_edges else 1)


@dataclass
class FusionConfig:
    """How node states enter the backbone. See :mod:`graphcode.models.fusion` for each mode."""

    mode: FusionMode = "auto"
    """Encoder-decoder: ``add``, ``gate``, ``memory`` or ``add+memory``. Decoder-only: ``prefix``, ``add`` or
    ``prefix+add``. ``auto`` picks ``memory`` for encoder-decoder and ``prefix`` for decoder-only backbones."""
    num_prefix_tokens: int = 8
    """Number of soft tokens ``P`` pooled from the graph (``prefix`` modes only)."""
    memory_nodes: MemoryNodes = "all"
    """The nodes the ``memory`` modes append to the encoder memory: ``all``; ``inner``, only the syntax tree's inner
    nodes (those with a ``child`` edge out: statements, expressions, declarations), whose spans hold several tokens,
    while each leaf's state already reaches its own token through ``add``; or ``dataflow``, only the nodes with a
    data-flow edge (``DATAFLOW_EDGE_TYPES``): the occurrences of variables, as in GraphCodeBERT's data-flow graph.
    Every node still enters the GNN and, with ``add``, its tokens; the decoder's cross-attention reads fewer
    positions (on CodeXGLUE's Java methods, about a third of the nodes are inner and a tenth have data flow)."""
    gate_bias_init: float = -4.0
    """Initial bias of the ``gate`` mode's sigmoid gate: -4 lets about 2% of the graph through at first."""
    init_std: float = 0.02
    """Standard deviation of the fusion projections' initial weights, kept small so that a fresh graph part
    barely disturbs a pretrained backbone."""

    def __post_init__(self) -> None:
        owner = "fusion"
        _check_choice(owner, "mode", self.mode, FUSION_MODES)
        _check_choice(owner, "memory_nodes", self.memory_nodes, MEMORY_NODES)
        _check_int(owner, "num_prefix_tokens", self.num_prefix_tokens, 1)
        for name in ("gate_bias_init", "init_std"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise _fail(owner, name, "a number", value)
        if self.init_std <= 0:
            raise _fail(owner, "init_std", "a number > 0", self.init_std)

    def resolve_mode(self, is_encoder_decoder: bool) -> str:
        """The concrete mode for a backbone kind; raises :class:`ConfigError` if the mode does not fit it."""
        if self.mode == "auto":
            return "memory" if is_encoder_decoder else "prefix"
        allowed = ENCODER_DECODER_MODES if is_encoder_decoder else DECODER_ONLY_MODES
        kind = "an encoder-decoder" if is_encoder_decoder else "a decoder-only"
        if self.mode not in allowed:
            raise _fail(
                "fusion", "mode", f"one of {', '.join(map(repr, allowed))} for {kind} backbone", self.mode
            )
        return self.mode


@dataclass
class GraphCodeConfig:
    """A whole graphcode model: a Hugging Face backbone, optionally augmented with a code graph."""

    backbone: str | dict[str, Any]
    """A Hugging Face model name or local path (pretrained weights), or a backbone config dict with a
    ``model_type`` key (fresh weights), e.g. ``{"model_type": "t5", "d_model": 32, ...}``."""
    graph: bool = True
    """Use the code graph. ``false`` (with ``copy: false``) gives exactly the backbone alone."""
    gnn: GNNConfig = field(default_factory=GNNConfig)
    """The graph encoder."""
    fusion: FusionConfig = field(default_factory=FusionConfig)
    """How node states enter the backbone."""
    copy: bool = False
    """Encoder-decoder only: a pointer-generator head (:mod:`graphcode.models.copy`) mixes the next-token
    distribution with a copy distribution over the source tokens. ``graph: false`` with ``copy: false`` is exactly
    the backbone."""
    copy_coverage: float = 0.0
    r"""With ``copy``: the weight :math:`\lambda` of the copy attention's coverage loss (See et al., 2017). Above 0,
    the copy attention also sees how much of each source token it has copied so far, and training adds
    :math:`\lambda \sum_j \min(a_{tj}, c_{tj})` for attending again to copied tokens, against the loops in which
    a copying decoder repeats one token; validation losses stay the likelihood alone. 0 (the default): no
    coverage."""
    copy_continuation: bool = False
    """With ``copy``: the copy attention also sees which source tokens follow the target's last ``k`` tokens,
    ``k = 1 .. copy_continuation_tokens`` (:class:`graphcode.models.copy.CopyHead`), so that a copy goes on where the
    last one ended instead of guessing among equal tokens."""
    copy_continuation_tokens: int = 2
    """With ``copy_continuation``: the most target tokens its features match, 1 to 8; the longer the match, the
    surer the place in a source that holds a phrase many times."""
    copy_continuation_ignore_case: bool = False
    """With ``copy_continuation``: compare tokens ignoring case and leading spaces there (the model's tokenizer says
    which ids those are), so that Java's ``get`` ``Member`` goes on in C#'s ``Get`` ``Member``."""

    def __post_init__(self) -> None:
        if isinstance(self.backbone, str):
            if not self.backbone:
                raise _fail("config", "backbone", "a model name, a path or a config dict", self.backbone)
        elif isinstance(self.backbone, dict):
            if not isinstance(self.backbone.get("model_type"), str):
                raise _fail(
                    "config",
                    "backbone",
                    "a config dict with a string 'model_type' key",
                    self.backbone.get("model_type"),
                )
        else:
            raise _fail(
                "config", "backbone", "a model name, a path or a config dict", type(self.backbone).__name__
            )
        if not isinstance(self.graph, bool):
            raise _fail("config", "graph", "true or false", self.graph)
        if not isinstance(self.copy, bool):
            raise _fail("config", "copy", "true or false", self.copy)
        if (isinstance(self.copy_coverage, bool) or not isinstance(self.copy_coverage, int | float)
                or not math.isfinite(self.copy_coverage) or self.copy_coverage < 0):
            raise _fail("config", "copy_coverage", "a number >= 0", self.copy_coverage)
        if self.copy_coverage and not self.copy:
            raise _fail("config", "copy_coverage", "0 without the copy head (copy: false)", self.copy_coverage)
        self.copy_coverage = float(self.copy_coverage)
        if not isinstance(self.copy_continuation, bool):
            raise _fail("config", "copy_continuation", "true or false", self.copy_continuation)
        if self.copy_continuation and not self.copy:
            raise _fail("config", "copy_continuation", "false without the copy head (copy: false)",
                        self.copy_continuation)
        if (isinstance(self.copy_continuation_tokens, bool) or not isinstance(self.copy_continuation_tokens, int)
                or not 1 <= self.copy_continuation_tokens <= MAX_CONTINUATION_TOKENS):
            raise _fail("config", "copy_continuation_tokens", f"an integer from 1 to {MAX_CONTINUATION_TOKENS}",
                        self.copy_continuation_tokens)
        if self.copy_continuation_tokens != 2 and not self.copy_continuation:
            raise _fail("config", "copy_continuation_tokens",
                        "2 (the default) without the continuation (copy_continuation: false)",
                        self.copy_continuation_tokens)
        if not isinstance(self.copy_continuation_ignore_case, bool):
            raise _fail("config", "copy_continuation_ignore_case", "true or false", self.copy_continuation_ignore_case)
        if self.copy_continuation_ignore_case and not self.copy_continuation:
            raise _fail("config", "copy_continuation_ignore_case",
                        "false without the continuation (copy_continuation: false)", self.copy_continuation_ignore_case)
        self.gnn = _from_dict(GNNConfig, "gnn", self.gnn)
        self.fusion = _from_dict(FusionConfig, "fusion", self.fusion)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; :meth:`from_dict` reads it back."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> GraphCodeConfig:
        """Build a config from a dict such as :meth:`to_dict` writes; unknown keys raise :class:`ConfigError`."""
        if isinstance(data, dict) and "backbone" not in data:
            raise ConfigError(
                "config.backbone: expected a model name, a path or a config dict, found nothing"
            )
        return _from_dict(cls, "config", data)
