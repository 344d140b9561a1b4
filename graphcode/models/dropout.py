"""Dropout for training on a CPU: torch's distribution, with its random mask drawn about three times faster.

PyTorch's CPU dropout draws its mask with ``bernoulli_``, one call of the generator per element in a serial loop.
On the CodeXGLUE CPU config that was a fifth of a training step's time (``torch.profiler``: 36 masks a step, the
largest the attention probabilities, ``(B, H, L, K)``), more than the attention's matrix products. Here each 32-bit
draw of the same generator gives two elements: an element is kept when its 15 bits are at least
``round(p * 2**15)``, and kept elements are scaled by ``2**15 / (2**15 - round(p * 2**15))``, so the expectation is
unchanged. ``p`` is thus rounded to a multiple of ``2**-15`` (0.1 becomes 0.100006). The generator is torch's
default CPU generator: ``seed_everything`` seeds it and Lightning's checkpoints keep its state, as before.

Two places use it, each only in training, on a CPU, with a rate above zero (elsewhere torch's own dropout runs):

- :class:`CPUDropout`, an ``nn.Dropout`` that :func:`use_cpu_dropout` puts in place of every ``nn.Dropout`` of a
  model (the backbone's, the graph encoder's);
- :func:`cpu_dropout_attention`, registered with transformers' ``AttentionInterface`` as ``"graphcode_sdpa"``:
  a backbone on ``sdpa`` attention switches to it. In training with attention dropout on a CPU it computes the
  attention as PyTorch's math kernel does (scores, softmax in float32, dropout, values) with the mask drawn here;
  otherwise it is transformers' ``sdpa_attention_forward`` itself. ``save_pretrained`` does not write the
  attention implementation, so an exported backbone loads in transformers alone.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

ATTENTION_NAME = "graphcode_sdpa"
"""The name :func:`cpu_dropout_attention` is registered under in transformers' ``AttentionInterface``."""

_BITS = 15
_LEVELS = 1 << _BITS  # each element's 15 bits: torch's int32 draws are uniform on [0, 2**31), so a draw's upper
_LOW_BITS = _LEVELS - 1  # half has 15 uniform bits and its lower half 16; both halves keep the low 15


def _fast(x: Tensor, p: float, training: bool) -> bool:
    return training and 0.0 < p < 1.0 and x.device.type == "cpu"


def cpu_dropout(x: Tensor, p: float) -> Tensor:
    """Dropout of rate ``p`` (rounded to a multiple of ``2**-15``) on a CPU tensor ``x`` of any shape and float
    dtype, in training; differentiable (the gradient is the output's mask and scale)."""
    n = x.numel()
    threshold = round(p * _LEVELS)
    words = torch.empty((n + 1) // 2, dtype=torch.int32).random_()  # (ceil(n / 2),): two elements a draw
    bits = words.view(torch.int16)[:n].view(x.shape).bitwise_and_(_LOW_BITS)  # x's shape, uniform on [0, 2**15)
    keep = bits >= threshold
    return x * keep.to(x.dtype).mul_(_LEVELS / (_LEVELS - threshold))


class CPUDropout(nn.Dropout):
    """``nn.Dropout`` whose mask is drawn by :func:`cpu_dropout` in training on a CPU; torch's dropout elsewhere."""

    def forward(self, input: Tensor) -> Tensor:
        if not _fast(input, self.p, self.training):
            return super().forward(input)
        return cpu_dropout(input, self.p)


def cpu_dropout_attention(
    module: nn.Module,
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attention_mask: Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    is_causal: bool | None = None,
    position_bias: Tensor | None = None,
    **kwargs: Any,
) -> tuple[Tensor, None]:
    """transformers' ``sdpa`` attention, with :func:`cpu_dropout` on the probabilities in training on a CPU.

    Shapes:
        - **input:** ``query`` ``(B, H, L, D)``, ``key`` and ``value`` ``(B, H, K, D)``, ``attention_mask`` and
          ``position_bias`` broadcastable to ``(B, H, L, K)``
        - **output:** ``(B, L, H, D)`` and ``None`` (no attention weights, as ``sdpa``)
    """
    from transformers.integrations.sdpa_attention import create_position_bias_mask, sdpa_attention_forward

    q_length, kv_length = query.shape[2], key.shape[2]
    causal = q_length > 1 and attention_mask is None and (
        is_causal if is_causal is not None else getattr(module, "is_causal", True))
    if (not _fast(query, dropout, True) or getattr(module, "num_key_value_groups", 1) > 1
            or kwargs.get("cache") is not None or (causal and kv_length > q_length)):
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout, scaling=scaling,
                                      is_causal=is_causal, position_bias=position_bias, **kwargs)
    mask = attention_mask
    if position_bias is not None:
        mask = create_position_bias_mask(position_bias, attention_mask, causal, query, key)  # float, additive
    elif causal:
        mask = torch.ones(q_length, kv_length, dtype=torch.bool, device=query.device).tril()
    scores = torch.matmul(query, key.transpose(-1, -2))  # (B, H, L, K)
    scale = query.shape[-1] ** -0.5 if scaling is None else scaling
    if scale != 1.0:
        scores = scores * scale
    if mask is not None:
        if mask.dtype == torch.bool:
            scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
        else:
            scores = scores + mask
    probs = F.softmax(scores, dim=-1, dtype=torch.float32).to(value.dtype)
    output = torch.matmul(cpu_dropout(probs, dropout), value)  # (B, H, L, D)
    return output.transpose(1, 2).contiguous(), None


class CPUDropoutUse(NamedTuple):
    """What :func:`use_cpu_dropout` changed."""

    dropouts: int
    """``nn.Dropout`` modules replaced by :class:`CPUDropout`."""
    attention: int
    """Hugging Face models switched from ``sdpa`` attention to :func:`cpu_dropout_attention`."""


def register_attention() -> None:
    """Register :func:`cpu_dropout_attention` with transformers as :data:`ATTENTION_NAME`, with ``sdpa``'s masks
    (an implementation without a mask function of its own gets no padding mask); idempotent."""
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

    AttentionInterface.register(ATTENTION_NAME, cpu_dropout_attention)
    AttentionMaskInterface.register(ATTENTION_NAME, sdpa_mask)


def use_cpu_dropout(model: nn.Module) -> CPUDropoutUse:
    """Give ``model`` the faster CPU dropout in place: every plain ``nn.Dropout`` becomes a :class:`CPUDropout` with
    the same rate, and every Hugging Face model in it on ``sdpa`` attention uses :func:`cpu_dropout_attention`.
    Models on another attention implementation (eager, flash) keep it."""
    from transformers import PreTrainedModel

    dropouts = 0
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if type(child) is nn.Dropout:
                parent.add_module(name, CPUDropout(child.p, inplace=child.inplace).train(child.training))
                dropouts += 1
    attention = 0
    for module in model.modules():
        if isinstance(module, PreTrainedModel) and module.config._attn_implementation == "sdpa":
            register_attention()
            module.set_attn_implementation(ATTENTION_NAME)
            attention += 1
    return CPUDropoutUse(dropouts, attention)
