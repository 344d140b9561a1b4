"""The graphcode model: a Hugging Face backbone, a graph encoder and a fusion, as one plain ``nn.Module``.

Encoder-decoder backbones (``config.is_encoder_decoder``)::

    input_ids ─► encoder ─► (B, T, D) ─┐
    graph ─► GraphEncoder ─► (N, D_gnn)┴► EncoderDecoderFusion ─► memory (B, T', D) ─► decoder ─► logits (B, L, V)

Decoder-only backbones::

    input_ids ─► input embeddings (B, T, D) ─┐
    graph ─► GraphEncoder ─► (N, D_gnn) ─────┴► DecoderOnlyFusion ─► (B, P + T, D) ─► decoder ─► logits (B, T, V)

With ``graph=False`` the model is the backbone alone: :meth:`GraphCodeModel.forward` calls it on the
tokens exactly as a plain Hugging Face model would be called. ``copy=True`` (encoder-decoder only) adds a
pointer-generator head (:mod:`graphcode.models.copy`) on the backbone's output layer, with or without the graph:
the logits are then the log-probabilities of the mixture.

A saved model is a directory::

    graphcode_config.json   the GraphCodeConfig, with "format_version"
    backbone/               the backbone's own save_pretrained (config.json, model.safetensors, ...)
    graph.safetensors       the graph encoder, fusion and copy head weights (graph or copy on only)
    tokenizer/              the tokenizer's save_pretrained (when one is attached)
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

from graphcode.errors import CheckpointError, ConfigError
from graphcode.models.batch import GraphCodeBatch
from graphcode.models.checkpoint import (
    atomic_directory,
    check_safetensors,
    check_state_dict,
    load_safetensors,
    read_json,
)
from graphcode.models.config import GraphCodeConfig, check_rate
from graphcode.models.copy import (
    CopyHead,
    CopyLoss,
    CopySource,
    folded_token_keys,
    previous_tokens,
    tokens_before_next,
)
from graphcode.models.fusion import DecoderOnlyFusion, EncoderDecoderFusion, FusedInputs, build_fusion
from graphcode.models.gnn import GraphEncoder
from graphcode.models.loss import linear_cross_entropy, smoothed_cross_entropy

if TYPE_CHECKING:  # pragma: no cover
    from transformers import PreTrainedModel

CONFIG_NAME = "graphcode_config.json"
WEIGHTS_NAME = "graph.safetensors"
BACKBONE_DIR = "backbone"
TOKENIZER_DIR = "tokenizer"
FORMAT_VERSION = 1
_STATES_TO_LOGITS = frozenset({"t5", "mt5"})
"""Backbones whose logits are their output layer's output as it is, so that the loss can be computed from the states
the layer reads (:func:`~graphcode.models.loss.linear_cross_entropy`). BART adds a bias after it; others scale or cap
their logits."""


@dataclass
class GraphCodeOutput:
    """What :meth:`GraphCodeModel.forward` returns."""

    loss: Tensor | None
    """Mean cross-entropy over the labels that are not -100, or ``None`` without labels (training a copy head with
    coverage: plus its coverage loss)."""
    logits: Tensor | None
    """Encoder-decoder: ``(B, L, V)`` over the target (with the copy head, the mixture's log-probabilities).
    Decoder-only: ``(B, T, V)`` aligned with ``input_ids`` (the logits of a graph prefix are dropped). ``None`` from
    ``forward(..., logits=False)`` with labels, on an encoder-decoder backbone whose loss is computed without them
    (the copy head's, or :func:`~graphcode.models.loss.linear_cross_entropy` on a T5)."""
    node_states: Tensor | None = None
    """``(N, D_gnn)``, the graph encoder's output, or ``None`` with the graph off."""
    encoder_last_hidden_state: Tensor | None = None
    """Encoder-decoder only: ``(B, T', D)``, the fused memory the decoder read."""
    copy_coverage: Tensor | None = None
    """With the copy head's coverage and labels: the mean coverage overlap (:attr:`CopyLoss.coverage
    <graphcode.models.copy.CopyLoss.coverage>`). In training mode ``loss`` includes it times ``copy_coverage``; in
    evaluation mode ``loss`` is the likelihood alone."""


def _auto_class(is_encoder_decoder: bool) -> Any:
    from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM

    return AutoModelForSeq2SeqLM if is_encoder_decoder else AutoModelForCausalLM


def build_backbone(spec: str | dict[str, Any], **backbone_kwargs: Any) -> PreTrainedModel:
    """A Hugging Face model from a name or path (pretrained weights) or a config dict (fresh weights).

    Args:
        spec: A model name or local path, or a config dict with a ``model_type`` key.
        **backbone_kwargs: Passed to ``from_pretrained`` (e.g. ``dtype``); unused for a config dict.
    """
    from transformers import AutoConfig
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    if isinstance(spec, dict):
        settings = dict(spec)
        model_type = settings.pop("model_type")
        if model_type not in CONFIG_MAPPING:
            raise ConfigError(
                f"config.backbone.model_type: expected a model type that transformers knows, "
                f"found {model_type!r}"
            )
        try:
            hf_config = AutoConfig.for_model(model_type, **settings)
        except (TypeError, ValueError) as err:
            raise ConfigError(
                f"config.backbone: expected valid {model_type!r} settings, found {err}"
            ) from err
        return _auto_class(hf_config.is_encoder_decoder).from_config(hf_config)
    try:
        hf_config = AutoConfig.from_pretrained(spec)
        return _auto_class(hf_config.is_encoder_decoder).from_pretrained(spec, **backbone_kwargs)
    except (OSError, ValueError) as err:
        raise CheckpointError(f"{spec}: cannot be loaded as a Hugging Face model: {err}") from err


class GraphCodeModel(nn.Module):
    r"""A Hugging Face backbone augmented with a code graph.

    Args:
        config: The backbone, the graph switch, the GNN and the fusion.
        backbone: A ready backbone; when ``None`` it is built from ``config.backbone`` (a name or path loads
            pretrained weights, a config dict gives fresh ones). (default: :obj:`None`)
        tokenizer: A tokenizer to keep with the model; :meth:`save_pretrained` writes it. (default: :obj:`None`)

    Shapes:
        - **input:** a :class:`GraphCodeBatch` with tokens ``(B, T)``, a graph of ``N`` nodes and ``E`` edges
          and node-token pairs ``(2, A)``
        - **output:** :class:`GraphCodeOutput` with logits ``(B, L, V)`` (encoder-decoder) or ``(B, T, V)``
          (decoder-only)
    """

    def __init__(
        self, config: GraphCodeConfig, backbone: PreTrainedModel | None = None, tokenizer: Any = None
    ) -> None:
        super().__init__()
        self.config = config
        self.backbone = backbone if backbone is not None else build_backbone(config.backbone)
        self.tokenizer = tokenizer
        self.graph_encoder: GraphEncoder | None = None
        self.fusion: EncoderDecoderFusion | DecoderOnlyFusion | None = None
        if config.graph:
            model_dim = self.backbone.get_input_embeddings().embedding_dim
            self.graph_encoder = GraphEncoder(config.gnn, token_dim=model_dim)
            self.fusion = build_fusion(
                config.fusion, self.is_encoder_decoder, config.gnn.hidden_size, model_dim
            )
        self.copy_head: CopyHead | None = None
        self._copy_call: _CopyCall | None = None
        if config.copy:
            if not self.is_encoder_decoder:
                raise ConfigError("config.copy: expected an encoder-decoder backbone (T5, BART) to copy from its "
                                  f"source, found a decoder-only one ({self.backbone.config.model_type!r})")
            self.copy_head = CopyHead(self.backbone.get_input_embeddings().embedding_dim, config.fusion.init_std,
                                      coverage=config.copy_coverage > 0, continuation=config.copy_continuation,
                                      continuation_tokens=config.copy_continuation_tokens)
            self.backbone.get_output_embeddings().register_forward_hook(self._mix_copy)
            if config.copy_continuation:
                self.backbone.get_decoder().register_forward_pre_hook(self._see_decoder_inputs, with_kwargs=True)
            if config.copy_continuation_ignore_case:
                if tokenizer is None:
                    raise ConfigError("config.copy_continuation_ignore_case: expected a tokenizer to tell which "
                                      "tokens differ only in case, found none (GraphCodeModel(config, tokenizer=...))")
                tokens = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
                self.copy_head.fold_tokens(folded_token_keys(tokens, self.backbone.config.vocab_size))
        self._accepts_position_ids = "position_ids" in inspect.signature(self.backbone.forward).parameters
        self.label_smoothing = 0.0
        """A training setting (:meth:`set_label_smoothing`): the uniform target's weight in the training loss."""

    def _mix_copy(self, module: nn.Module, inputs: tuple[Tensor, ...], logits: Tensor) -> Tensor | None:
        """Forward hook of the backbone's output layer, for the call that :meth:`_copying_from` set up: its logits
        ``(R, L, V)`` become the copy mixture's log-probabilities, or (``mix=False``) stay as they are while the
        decoder states ``(R, L, D)`` are kept for :meth:`CopyHead.loss`. With coverage, a call of one position
        (a decoding step with a cache) goes on from the coverage the call before it left; a call of several
        positions (the whole target so far) starts from none."""
        call = self._copy_call
        if call is None:
            raise RuntimeError("GraphCodeModel: expected a copy source for the copy head, found none; call the model "
                               "through forward() or generate(), not its backbone alone")
        if not call.mix:
            call.hidden = inputs[0]
            return None
        hidden = inputs[0]
        step = hidden.size(1) == 1  # a decoding step with a cache goes on from the call before it
        K = self.copy_head.continuation_tokens
        previous = call.previous_tokens(K, step) if K else None
        mixed, call.coverage = self.copy_head.mix(hidden, logits, call.source, call.coverage if step else None,
                                                  previous)
        if K:
            call.last_tokens = tokens_before_next(call.decoder_ids, call.last_tokens if step else None, K)
        return mixed

    def _see_decoder_inputs(self, module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Forward pre-hook of the backbone's decoder (with the copy head's continuation): keep the call's decoder
        input ids ``(R, L)``, the target tokens before each position."""
        call = self._copy_call
        if call is None:
            return
        ids = kwargs.get("input_ids", args[0] if args else None)
        if ids is None:
            raise RuntimeError("GraphCodeModel: the copy head's continuation expected the decoder's input ids, found "
                               "none (decoder input embeddings alone do not say which tokens came before)")
        call.decoder_ids = ids

    @contextlib.contextmanager
    def _copying_from(self, source: CopySource | None, mix: bool = True) -> Iterator[_CopyCall | None]:
        """A context in which the copy head copies from ``source``; yields the :class:`_CopyCall` (``None`` when the
        head is off)."""
        self._copy_call = _CopyCall(source, mix) if self.copy_head is not None and source is not None else None
        try:
            yield self._copy_call
        finally:
            self._copy_call = None

    @property
    def is_encoder_decoder(self) -> bool:
        """Whether the backbone is an encoder-decoder (T5, BART) rather than decoder-only (GPT-2, Llama)."""
        return bool(self.backbone.config.is_encoder_decoder)

    def gradient_checkpointing_enable(self) -> None:
        """Recompute each backbone layer's activations in the backward pass instead of keeping them (Hugging Face's
        gradient checkpointing, non-reentrant): activation memory of one layer instead of all, for about one more
        forward pass of time. The graph encoder is small and keeps its activations."""
        self.backbone.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        self.backbone.config.use_cache = False  # a decoding cache is of no use in training and warns with it

    def set_label_smoothing(self, eps: float) -> None:
        """Smooth the training loss's targets: in training mode the loss becomes ``(1 - eps)`` times the negative
        log-likelihood plus ``eps`` times the cross-entropy of the vocabulary's distribution against the uniform one
        (``F.cross_entropy(..., label_smoothing=eps)``, Szegedy et al.); with the copy head the likelihood is the
        mixture's. Evaluation losses stay the likelihood alone, so validation losses compare across settings. A
        training setting, like Hugging Face's ``label_smoothing_factor``: not saved with the model."""
        check_rate("model", "label_smoothing", eps)
        self.label_smoothing = float(eps)

    def _smoothing(self) -> float:
        """The label smoothing that this call's loss uses: the setting in training mode, 0 in evaluation."""
        return self.label_smoothing if self.training else 0.0

    def _smoothed(self, loss: Tensor | None, logits: Tensor | None, labels: Tensor | None, shift: bool = False) \
            -> Tensor | None:
        """A backbone's own ``loss``, or with label smoothing on, the smoothed loss of its ``logits`` ``(B, L, V)``
        against ``labels`` ``(B, L)`` (``shift``: a decoder-only model's, each position predicting the next label)."""
        eps = self._smoothing()
        if not eps or loss is None or logits is None or labels is None:
            return loss
        if shift:
            logits, labels = logits[:, :-1], labels[:, 1:]
        return smoothed_cross_entropy(logits, labels, eps)

    def set_attention_dropout(self, rate: float) -> int:
        """Set the dropout on the backbone's attention probabilities to ``rate``, leaving its other dropouts as they
        are; returns how many attention modules changed.

        T5 applies its one ``dropout_rate`` to attention probabilities too. On a CPU that dropout costs more than the
        attention: it draws a random mask of ``(B, H, L, K)`` and keeps PyTorch's attention on its
        math kernel, which materialises the scores; at rate 0 a cross-attention without a learned bias runs the fused
        kernel. Hugging Face attention modules keep the rate as a float ``dropout`` (T5, BART) or
        ``attention_dropout`` (Llama), or an ``attn_dropout`` layer (GPT-2); modules are found by the ``*Attention``
        class names of transformers.
        """
        check_rate("model", "attention_dropout", rate)
        changed = 0
        for module in self.backbone.modules():
            if not type(module).__name__.endswith("Attention"):
                continue
            layer = getattr(module, "attn_dropout", None)
            if isinstance(layer, nn.Dropout):
                layer.p = float(rate)
            elif isinstance(getattr(module, "attention_dropout", None), float):
                module.attention_dropout = float(rate)
            elif isinstance(getattr(module, "dropout", None), float):
                module.dropout = float(rate)
            else:
                continue
            changed += 1
        if not changed:
            raise ConfigError(
                "model.attention_dropout: expected a backbone whose attention modules keep their dropout rate "
                f"(T5, BART, GPT-2, Llama), found none in {type(self.backbone).__name__}")
        return changed

    # ------------------------------------------------------------------ forward

    def forward(self, batch: GraphCodeBatch, *, logits: bool = True, **backbone_kwargs: Any) -> GraphCodeOutput:
        """Run the model on a batch; ``backbone_kwargs`` (e.g. ``decoder_input_ids``) go to the backbone.

        ``logits=False`` is for a step that reads only the loss. With labels, the loss of a T5 backbone is then
        computed from the decoder's last states without the ``(B, L, V)`` logits
        (:func:`~graphcode.models.loss.linear_cross_entropy`: the same value and gradients in a fraction of the
        memory), the copy head's mixture included (:meth:`CopyHead.linear_nll
        <graphcode.models.copy.CopyHead.linear_nll>`); ``logits`` is then ``None``. Other encoder-decoders with the
        copy head compute the logits but not the ``(B, L, V)`` mixture; other models compute their logits anyway and
        return them."""
        batch.validate()
        head = self._loss_head() if not logits and batch.labels is not None else None
        if not self.config.graph and self.copy_head is None:
            if head is not None:  # the backbone exactly, its loss computed from its last states
                loss = self._loss_at_head(head, batch, input_ids=batch.input_ids,
                                          attention_mask=batch.attention_mask, **backbone_kwargs)
                return GraphCodeOutput(loss=loss, logits=None)
            out = self.backbone(
                input_ids=batch.input_ids,
                attention_mask=batch.attention_mask,
                labels=batch.labels,
                **backbone_kwargs,
            )
            return GraphCodeOutput(loss=self._smoothed(out.loss, out.logits, batch.labels,
                                                       shift=not self.is_encoder_decoder), logits=out.logits)
        if self.is_encoder_decoder:
            return self._forward_encoder_decoder(batch, logits, head, **backbone_kwargs)
        return self._forward_decoder_only(batch, **backbone_kwargs)

    def _loss_head(self) -> nn.Linear | None:
        """The backbone's output layer where the loss (the copy head's too) can be computed from the states it reads
        (an encoder-decoder of :data:`_STATES_TO_LOGITS`, a plain linear layer), else None."""
        head = self.backbone.get_output_embeddings()
        if (self.is_encoder_decoder and isinstance(head, nn.Linear)
                and self.backbone.config.model_type in _STATES_TO_LOGITS):
            return head
        return None

    def _loss_at_head(self, head: nn.Linear, batch: GraphCodeBatch,
                      loss_of: Callable[[Tensor], Any] | None = None, **backbone_kwargs: Any) -> Any:
        """The backbone run on ``batch``'s labels, its output layer ``head`` computing the loss from the decoder's last
        states ``(B, L, D)`` instead of logits (:func:`~graphcode.models.loss.linear_cross_entropy`, or ``loss_of``
        the states). The loss is taken inside the layer's own call, where its weight is whole however the model is
        sharded (FSDP gathers a unit's parameters for its forward only); the backbone gets ``(B, L, 0)`` logits
        back."""
        if backbone_kwargs.get("decoder_input_ids") is None:
            backbone_kwargs["decoder_input_ids"] = self.backbone.prepare_decoder_input_ids_from_labels(
                labels=batch.labels)  # (B, L): what the backbone makes of labels itself
        losses: list[Any] = []
        if loss_of is None:
            def loss_of(states: Tensor) -> Tensor:
                return linear_cross_entropy(states, head.weight, head.bias, batch.labels,
                                            label_smoothing=self._smoothing())

        def loss_instead_of_logits(states: Tensor) -> Tensor:
            losses.append(loss_of(states))
            return states[..., :0]  # (B, L, 0)

        head.forward = loss_instead_of_logits  # an instance attribute: nn.Module.__call__ calls it, not Linear's
        try:
            self.backbone(**backbone_kwargs)
        finally:
            del head.forward
        if len(losses) != 1:
            raise RuntimeError(f"{type(self.backbone).__name__}: expected its output layer to run once, found "
                               f"{len(losses)} calls")
        return losses[0]

    def _forward_encoder_decoder(self, batch: GraphCodeBatch, logits: bool = True, head: nn.Linear | None = None,
                                 **backbone_kwargs: Any) -> GraphCodeOutput:
        from transformers.modeling_outputs import BaseModelOutput

        node_states, memory, memory_mask = self._fused_encoder(batch)
        if head is not None and self.copy_head is None:
            loss = self._loss_at_head(head, batch, encoder_outputs=BaseModelOutput(last_hidden_state=memory),
                                      attention_mask=memory_mask, **backbone_kwargs)
            return GraphCodeOutput(loss=loss, logits=None, node_states=node_states,
                                   encoder_last_hidden_state=memory)
        source = self._copy_source_of(batch, memory)
        if source is not None and head is not None:  # the copy head's loss from the decoder's states, no logits
            return self._copy_loss_at_head(head, batch, source, node_states, memory, memory_mask, **backbone_kwargs)
        if source is not None and batch.labels is not None:
            # The copy head's loss from the labels' probabilities alone; the backbone computes no loss of its own.
            if backbone_kwargs.get("decoder_input_ids") is None:
                backbone_kwargs["decoder_input_ids"] = self.backbone.prepare_decoder_input_ids_from_labels(
                    labels=batch.labels)  # (B, L)
            with self._copying_from(source, mix=False) as call:
                out = self.backbone(encoder_outputs=BaseModelOutput(last_hidden_state=memory),
                                    attention_mask=memory_mask, **backbone_kwargs)
            previous = (call.previous_tokens(self.copy_head.continuation_tokens)
                        if self.copy_head.continuation_tokens else None)
            read = self.copy_head.attend(call.hidden, source, previous=previous)
            loss, overlap = self.copy_head.nll(read, out.logits, batch.labels, self._smoothing())
            mixed = self.copy_head.mixture(read, out.logits) if logits else None
            if overlap is not None and self.training:  # See et al.'s coverage loss; evaluation: the likelihood
                loss = loss + self.config.copy_coverage * overlap
            return GraphCodeOutput(loss=loss, logits=mixed, node_states=node_states, encoder_last_hidden_state=memory,
                                   copy_coverage=overlap)
        with self._copying_from(source):
            out = self.backbone(
                encoder_outputs=BaseModelOutput(last_hidden_state=memory),
                attention_mask=memory_mask,
                labels=batch.labels,
                **backbone_kwargs,
            )
        return GraphCodeOutput(
            loss=self._smoothed(out.loss, out.logits, batch.labels), logits=out.logits, node_states=node_states,
            encoder_last_hidden_state=memory,
        )

    def _forward_decoder_only(self, batch: GraphCodeBatch, **backbone_kwargs: Any) -> GraphCodeOutput:
        node_states, fused = self._fused_inputs(batch)
        if self._accepts_position_ids and "position_ids" not in backbone_kwargs:
            # Positions follow the mask, as in Hugging Face generation: left and right padding agree.
            backbone_kwargs["position_ids"] = _positions(fused.attention_mask)  # (B, P + T)
        out = self.backbone(
            inputs_embeds=fused.inputs_embeds,
            attention_mask=fused.attention_mask,
            labels=fused.labels,
            **backbone_kwargs,
        )
        loss = self._smoothed(out.loss, out.logits, fused.labels, shift=True)
        logits = out.logits[:, fused.num_prefix_tokens :]  # (B, P + T, V) -> (B, T, V)
        return GraphCodeOutput(loss=loss, logits=logits, node_states=node_states)

    def encode_graph(self, batch: GraphCodeBatch, token_embeddings: Tensor | None = None) -> Tensor:
        """Node states ``(N, D_gnn)`` of the batch's graphs.

        Args:
            batch: The batch; its ``graph`` must be set.
            token_embeddings: The backbone's input embeddings ``(B, T, D)`` of ``batch.input_ids``, for
                ``node_feature="type+tokens"``; computed when needed and not given. (default: :obj:`None`)
        """
        if self.graph_encoder is None:
            raise ValueError(
                "GraphCodeModel.encode_graph: expected a model with the graph on, found config.graph=false"
            )
        graph = batch.graph
        if graph is None:
            raise ValueError(
                "GraphCodeBatch.graph: expected a graph batch (config.graph is true), found None"
            )
        if token_embeddings is None and self.graph_encoder.token_projection is not None:
            token_embeddings = self.backbone.get_input_embeddings()(batch.input_ids)  # (B, T, D)
        return self.graph_encoder(
            graph.x,
            graph.edge_index,
            getattr(graph, "edge_type", None),
            token_embeddings=token_embeddings,
            node_token_index=_pairs(batch),
        )  # (N, D_gnn)

    def _copy_loss_at_head(self, head: nn.Linear, batch: GraphCodeBatch, source: CopySource,
                           node_states: Tensor | None, memory: Tensor, memory_mask: Tensor,
                           **backbone_kwargs: Any) -> GraphCodeOutput:
        """The copy head's loss computed in the output layer's call from the decoder's states (:meth:`CopyHead.linear_nll
        <graphcode.models.copy.CopyHead.linear_nll>`: no ``(B, L, V)`` logits or mixture); ``logits`` is ``None``."""
        from transformers.modeling_outputs import BaseModelOutput

        def copy_loss(states: Tensor) -> CopyLoss:
            call = self._copy_call
            previous = (call.previous_tokens(self.copy_head.continuation_tokens)
                        if self.copy_head.continuation_tokens else None)
            read = self.copy_head.attend(states, source, previous=previous)
            return self.copy_head.linear_nll(read, states, head.weight, head.bias, batch.labels, self._smoothing())

        with self._copying_from(source, mix=False):
            loss, overlap = self._loss_at_head(head, batch, copy_loss, encoder_outputs=BaseModelOutput(
                last_hidden_state=memory), attention_mask=memory_mask, **backbone_kwargs)
        if overlap is not None and self.training:  # See et al.'s coverage loss; evaluation: the likelihood
            loss = loss + self.config.copy_coverage * overlap
        return GraphCodeOutput(loss=loss, logits=None, node_states=node_states, encoder_last_hidden_state=memory,
                               copy_coverage=overlap)

    def _copy_source_of(self, batch: GraphCodeBatch, memory: Tensor) -> CopySource | None:
        """The source tokens' part of the encoder memory ``(B, T', D)`` (the graph's nodes come after them)."""
        if self.copy_head is None:
            return None
        T = batch.input_ids.size(1)
        return CopySource(memory[:, :T], batch.attention_mask, batch.input_ids)

    def _fused_encoder(self, batch: GraphCodeBatch) -> tuple[Tensor | None, Tensor, Tensor]:
        """Node states ``(N, D_gnn)`` (``None`` with the graph off), the fused encoder memory ``(B, T', D)`` and
        its mask ``(B, T')``; with the graph off, the encoder's output and the tokens' mask."""
        encoder = self.backbone.get_encoder()
        encoded = encoder(input_ids=batch.input_ids, attention_mask=batch.attention_mask, return_dict=True)
        if not self.config.graph:
            return None, encoded.last_hidden_state, batch.attention_mask
        node_states = self.encode_graph(batch)  # (N, D_gnn)
        graph = batch.graph
        fused = self.fusion(
            encoded.last_hidden_state, batch.attention_mask, node_states, _node_batch(batch), _pairs(batch),
            graph.edge_index, getattr(graph, "edge_type", None),
        )
        return node_states, fused.hidden_states, fused.attention_mask

    def _fused_inputs(self, batch: GraphCodeBatch) -> tuple[Tensor | None, FusedInputs]:
        """Node states ``(N, D_gnn)`` (or ``None``) and the decoder-only inputs, graph prefix included."""
        embeds = self.backbone.get_input_embeddings()(batch.input_ids)  # (B, T, D)
        if not self.config.graph:
            return None, FusedInputs(embeds, batch.attention_mask, batch.labels, num_prefix_tokens=0)
        node_states = self.encode_graph(batch, token_embeddings=embeds)  # (N, D_gnn)
        fused = self.fusion(
            embeds, batch.attention_mask, batch.labels, node_states, _node_batch(batch), _pairs(batch)
        )
        return node_states, fused

    # ------------------------------------------------------------------ generate

    def _follow_beams(self, call: _CopyCall, generate_kwargs: dict[str, Any]) -> None:
        """Beam search moves rows between beams after every step: the copy head's state from step to step (the
        coverage, the continuation's last tokens) must move with the decoder cache, which graphcode's
        :class:`~graphcode.models.cache.StaticMemoryCache` does for it."""
        from graphcode.models.cache import StaticMemoryCache, reorders_a_cache

        if not reorders_a_cache(self.backbone, generate_kwargs):  # rows never move, or each step reads all again
            return
        cache = generate_kwargs.get("past_key_values")
        if not isinstance(cache, StaticMemoryCache):
            raise ValueError(
                "GraphCodeModel.generate: beam search with the copy head's coverage or continuation expected "
                "graphcode's StaticMemoryCache (no past_key_values or cache_implementation given), found "
                f"{type(cache).__name__ if cache is not None else generate_kwargs.get('cache_implementation')}")
        cache.on_reorder.append(call.reorder)

    @torch.no_grad()
    def generate(
        self,
        batch: GraphCodeBatch | Tensor | None = None,
        *,
        input_ids: Tensor | None = None,
        attention_mask: Tensor | None = None,
        graph: Any = None,
        node_token_index: Tensor | None = None,
        **generate_kwargs: Any,
    ) -> Any:
        """Generate with the backbone's own ``generate``, fed the fused encoder memory or input embeddings.

        Any Hugging Face generation setting works (``num_beams``, ``do_sample``, ``num_return_sequences``,
        ``logits_processor``, ``return_dict_in_generate``, ...): ``generate_kwargs`` are passed through. An
        encoder-decoder's beam search gets a :class:`graphcode.models.cache.StaticMemoryCache` unless a cache is
        given: the same tokens, without copying the encoder memory's attention states at every step.

        Args:
            batch: A :class:`GraphCodeBatch`, or the ``input_ids`` ``(B, T)`` with the other parts given as
                keywords. (default: :obj:`None`)
            input_ids: ``(B, T)`` prompt tokens, when ``batch`` is not given. (default: :obj:`None`)
            attention_mask: ``(B, T)``; all ones when not given. (default: :obj:`None`)
            graph: The graph batch, as in :class:`GraphCodeBatch`. (default: :obj:`None`)
            node_token_index: ``(2, A)`` node-token pairs. (default: :obj:`None`)
            **generate_kwargs: Passed to the backbone's ``generate``.

        Returns:
            What the backbone's ``generate`` returns. Encoder-decoder: decoder tokens ``(B * R, 1 + L)``
            starting with the decoder start token. Decoder-only: only the new tokens ``(B * R, L)``, without
            the prompt, in every mode (logits processors likewise see only the new tokens). ``R`` is
            ``num_return_sequences``.
        """
        if isinstance(batch, Tensor):
            batch, input_ids = None, batch
        if batch is None:
            if input_ids is None:
                raise ValueError(
                    "GraphCodeModel.generate: expected a GraphCodeBatch or input_ids (B, T), found neither"
                )
            if attention_mask is None:
                attention_mask = torch.ones_like(input_ids)
            batch = GraphCodeBatch(input_ids, attention_mask, graph=graph, node_token_index=node_token_index)
        batch.validate()

        if self.is_encoder_decoder:
            from graphcode.models.cache import beam_search_cache

            cache = beam_search_cache(self.backbone, generate_kwargs)
            if cache is not None:
                generate_kwargs = {**generate_kwargs, "past_key_values": cache}
            if not self.config.graph and self.copy_head is None:
                return self.backbone.generate(
                    input_ids=batch.input_ids, attention_mask=batch.attention_mask, **generate_kwargs
                )
            from transformers.modeling_outputs import BaseModelOutput

            _, memory, memory_mask = self._fused_encoder(batch)  # (B, T', D), (B, T')
            with self._copying_from(self._copy_source_of(batch, memory)) as call:
                if call is not None and (self.copy_head.coverage_weight is not None
                                         or self.copy_head.continuation_weight is not None):
                    self._follow_beams(call, generate_kwargs)
                return self.backbone.generate(
                    encoder_outputs=BaseModelOutput(last_hidden_state=memory),
                    attention_mask=memory_mask,
                    **generate_kwargs,
                )
        _, fused = self._fused_inputs(batch)
        return self.backbone.generate(
            inputs_embeds=fused.inputs_embeds, attention_mask=fused.attention_mask, **generate_kwargs
        )

    # ------------------------------------------------------------------ saving and loading

    def graph_state_dict(self) -> dict[str, Tensor]:
        """The weights outside the backbone: the graph encoder, the fusion and the copy head (empty with the graph
        and copying off)."""
        return {name: value for name, value in self.state_dict().items() if not name.startswith("backbone.")}

    def save_pretrained(self, save_directory: str | Path) -> None:
        """Write the model to a directory (see the module docstring), atomically: a reader sees the old
        directory or the new one whole, never a half-written one."""
        from safetensors.torch import save_file

        from graphcode import __version__

        with atomic_directory(save_directory) as tmp:
            self.backbone.save_pretrained(tmp / BACKBONE_DIR)
            if self.config.graph or self.config.copy:
                weights = {
                    name: value.detach().cpu().contiguous() for name, value in self.graph_state_dict().items()
                }
                save_file(weights, str(tmp / WEIGHTS_NAME), metadata={"format": "pt"})
            settings = {
                "format_version": FORMAT_VERSION,
                "graphcode_version": __version__,
                **self.config.to_dict(),
            }
            (tmp / CONFIG_NAME).write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
            if self.tokenizer is not None:
                self.tokenizer.save_pretrained(str(tmp / TOKENIZER_DIR))

    @classmethod
    def from_pretrained(
        cls, name_or_path: str | Path, config: GraphCodeConfig | None = None, **backbone_kwargs: Any
    ) -> GraphCodeModel:
        """Load a model.

        Args:
            name_or_path: A directory written by :meth:`save_pretrained`, or a Hugging Face model name or path
                of a plain backbone, whose graph parts are then freshly initialised.
            config: For a plain backbone, the graph settings to use (its ``backbone`` field is replaced by
                ``name_or_path``); must be ``None`` for a graphcode directory. (default: :obj:`None`)
            **backbone_kwargs: Passed to the backbone's ``from_pretrained`` (e.g. ``dtype``).
        """
        path = Path(name_or_path)
        if (path / CONFIG_NAME).is_file():
            if config is not None:
                raise ConfigError(
                    f"config: expected None for a graphcode checkpoint, whose settings are in "
                    f"{path / CONFIG_NAME}, found a GraphCodeConfig"
                )
            return cls._load_checkpoint(path, **backbone_kwargs)
        spec = str(name_or_path)
        config = (
            dataclasses.replace(config, backbone=spec)
            if config is not None
            else GraphCodeConfig(backbone=spec)
        )
        return cls(config, backbone=build_backbone(spec, **backbone_kwargs))

    @classmethod
    def _load_checkpoint(cls, path: Path, **backbone_kwargs: Any) -> GraphCodeModel:
        config_path = path / CONFIG_NAME
        settings = read_json(config_path)
        version = settings.pop("format_version", None)
        settings.pop("graphcode_version", None)
        if version != FORMAT_VERSION:
            raise CheckpointError(
                f"{config_path}: expected format_version {FORMAT_VERSION}, found {version!r}"
            )
        try:
            config = GraphCodeConfig.from_dict(settings)
        except ConfigError as err:
            raise CheckpointError(f"{config_path}: {err}") from err

        backbone = _load_backbone(path / BACKBONE_DIR, **backbone_kwargs)
        tokenizer = None
        if (path / TOKENIZER_DIR).is_dir():
            from transformers import AutoTokenizer

            try:
                tokenizer = AutoTokenizer.from_pretrained(str(path / TOKENIZER_DIR))
            except Exception as err:  # tokenizers fail in many ways on broken files
                raise CheckpointError(
                    f"{path / TOKENIZER_DIR}: cannot be loaded as a tokenizer: {err}"
                ) from err
        model = cls(config, backbone=backbone, tokenizer=tokenizer)

        weights_path = path / WEIGHTS_NAME
        if config.graph or config.copy:
            state = load_safetensors(weights_path)
            check_state_dict(weights_path, model.graph_state_dict(), state)
            model.load_state_dict(state, strict=False)
        elif weights_path.exists():
            raise CheckpointError(
                f"{weights_path}: expected no graph weights since {config_path} says graph and copy are "
                f"false, found the file"
            )
        return model


@dataclass
class _CopyCall:
    """One backbone call with the copy head: its source, and whether the output layer's hook mixes (generation,
    logits) or keeps the decoder states for :meth:`CopyHead.loss` (training)."""

    source: CopySource
    mix: bool
    hidden: Tensor | None = None
    """``(R, L, D)`` the output layer's input, kept when ``mix`` is false."""
    coverage: Tensor | None = None
    """``(R, T)`` with the copy head's coverage: where the next decoding step starts."""
    decoder_ids: Tensor | None = None
    """``(R, L)`` with the continuation: this call's decoder input ids."""
    last_tokens: Tensor | None = None
    """``(R, K - 1)`` with the continuation: the last ``K - 1`` decoder inputs of the calls before, oldest first (a
    decoding step's ``t - 2 .. t - K``)."""

    def previous_tokens(self, K: int, step: bool = False) -> Tensor:
        """``(R, L, K)`` the target tokens before each position of this call (:func:`previous_tokens`); a decoding
        ``step`` goes on from the calls before it."""
        if self.decoder_ids is None:
            raise RuntimeError("GraphCodeModel: the copy head's continuation expected the decoder's input ids of "
                               "this call, found none")
        return previous_tokens(self.decoder_ids, self.last_tokens if step else None, K)

    def reorder(self, beam_idx: Tensor) -> None:
        """Follow beam search's reordering of the rows (``beam_idx`` ``(R,)``: each row's new source row)."""
        if self.coverage is not None:
            self.coverage = self.coverage.index_select(0, beam_idx.to(self.coverage.device))
        if self.last_tokens is not None:
            self.last_tokens = self.last_tokens.index_select(0, beam_idx.to(self.last_tokens.device))


def _load_backbone(backbone_dir: Path, **backbone_kwargs: Any) -> PreTrainedModel:
    """Load a saved backbone strictly: every key present, none unexpected, every shape right."""
    from transformers import AutoConfig

    config_path = backbone_dir / "config.json"
    read_json(config_path)
    for weights in sorted(backbone_dir.glob("*.safetensors")):
        check_safetensors(weights)
    try:
        hf_config = AutoConfig.from_pretrained(str(backbone_dir))
        backbone, info = _auto_class(hf_config.is_encoder_decoder).from_pretrained(
            str(backbone_dir), output_loading_info=True, ignore_mismatched_sizes=True, **backbone_kwargs
        )
    except Exception as err:  # transformers and safetensors raise many types for broken files
        raise CheckpointError(f"{backbone_dir}: cannot be loaded as a Hugging Face model: {err}") from err
    problems = []
    if info["missing_keys"]:
        problems.append(f"missing keys: {', '.join(sorted(info['missing_keys'])[:5])}")
    if info["unexpected_keys"]:
        problems.append(f"unexpected keys: {', '.join(sorted(info['unexpected_keys'])[:5])}")
    if info["mismatched_keys"]:
        shapes = [
            f"{name} expected {tuple(model)}, found {tuple(ckpt)}"
            for name, ckpt, model in sorted(info["mismatched_keys"])[:5]
        ]
        problems.append(f"wrong shapes: {', '.join(shapes)}")
    if problems:
        raise CheckpointError(f"{backbone_dir}: weights do not match its config.json: {'; '.join(problems)}")
    return backbone


def _pairs(batch: GraphCodeBatch) -> Tensor | None:
    pairs = batch.node_token_index
    return pairs if pairs is not None and pairs.numel() else None


def _node_batch(batch: GraphCodeBatch) -> Tensor:
    """Graph id per node ``(N,)``; a single graph (no ``batch`` vector) is graph 0."""
    graph = batch.graph
    node_batch = getattr(graph, "batch", None)
    if node_batch is None:
        node_batch = torch.zeros(graph.x.size(0), dtype=torch.long, device=graph.x.device)  # (N,)
    return node_batch


def _positions(attention_mask: Tensor) -> Tensor:
    """Position ids ``(B, T)`` counted over real tokens only, 0 on padding."""
    positions = attention_mask.long().cumsum(-1) - 1  # (B, T)
    return positions.masked_fill(attention_mask == 0, 0)
