r"""Cross-entropy of a linear output layer, without its ``(N, V)`` logits: :func:`linear_cross_entropy`.

A language model's loss reads logits ``(N, V)`` for ``N`` target tokens and a vocabulary of ``V``. With ``V`` in the
thousands they are the largest tensors of a small model's step, and autograd keeps several of them at once: the
logits, their float copy, the log-softmax and its gradient (``benchmarks/bench_run_memory.py``). Here the loss and
the gradients of the hidden states, the weight and the bias are all computed in the forward pass, a chunk of rows at
a time, so at most ``(chunk, V)`` floats exist at once, and nothing is recomputed: the backward pass only scales
the saved gradients by the loss's own (the fused linear cross-entropy of Liger-Kernel and Apple's Cut Cross-Entropy
work the same way).

The arithmetic is that of ``F.cross_entropy(F.linear(hidden, weight, bias).float(), labels, ignore_index=-100)``:
the matrix products run in autocast's dtype when autocast is on (bfloat16 on a CPU with ``bf16-mixed``), the
softmax in float32, and the loss is the mean over the labels that are not ``-100`` (NaN when there are none, as
PyTorch's mean of nothing).

With ``keep`` and ``copied`` (a copy head's gate and the probability it copies each label, both ``(N,)``) the loss is
that of the pointer-generator's mixture, :math:`-\log(k\,\mathrm{softmax}(z)_y + (1 - k)\,c)` (mean over the labels),
and its gradients reach ``keep`` and ``copied`` too: the logits' gradient is the cross-entropy's scaled by the
vocabulary's share of the label's probability, :math:`r = k\,p_y / P`, so the mixture costs no more than the plain
loss (:meth:`graphcode.models.copy.CopyHead.linear_nll`).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from graphcode.models.config import check_rate

IGNORE_INDEX = -100
DEFAULT_CHUNK_ROWS = 1024
"""Rows of logits computed at once: ``(1024, V)`` floats, 32 MB for an 8k vocabulary."""


def _compute_dtype(t: Tensor) -> torch.dtype:
    device = t.device.type
    if torch.is_autocast_enabled(device):
        return torch.get_autocast_dtype(device)
    return t.dtype


class _LinearCrossEntropy(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, hidden: Tensor, weight: Tensor, bias: Tensor | None, labels: Tensor,
                chunk_rows: int, keep: Tensor | None = None, copied: Tensor | None = None,
                label_smoothing: float = 0.0) -> Tensor:
        # hidden (N, D), weight (V, D), bias (V,) or None, labels (N,); keep, copied (N,) or None
        dtype = _compute_dtype(hidden)
        mixture = keep is not None
        if mixture:
            k_all, c_all = keep.detach().float(), copied.detach().float()
            grad_keep = torch.zeros_like(k_all)  # (N,)
            grad_copied = torch.zeros_like(c_all)  # (N,)
        h = hidden.detach().to(dtype)
        w = weight.detach().to(dtype)
        b = bias.detach().float() if bias is not None else None
        valid = labels != IGNORE_INDEX  # (N,)
        count = valid.sum()
        scale = 1.0 / count.clamp(min=1).float()
        safe = labels.masked_fill(~valid, 0)  # (N,)
        total = torch.zeros((), dtype=torch.float32, device=hidden.device)
        eps = float(label_smoothing)
        grad_hidden = torch.empty_like(hidden)  # (N, D)
        grad_weight = torch.zeros(weight.shape, dtype=torch.float32, device=weight.device)  # (V, D)
        grad_bias = torch.zeros(weight.shape[0], dtype=torch.float32, device=weight.device) if bias is not None \
            else None
        for start in range(0, hidden.shape[0], chunk_rows):
            rows = slice(start, start + chunk_rows)
            logits = (h[rows] @ w.T).float()  # (C, V)
            if b is not None:
                logits += b
            lse = torch.logsumexp(logits, dim=-1)  # (C,)
            target = logits.gather(1, safe[rows, None]).squeeze(1)  # (C,)
            counted = valid[rows].float() * scale  # (C,): 1 / count on the rows with a label, 0 elsewhere
            smooth = counted * eps  # (C,): the uniform target's weight
            if eps:  # -mean_v log softmax(z)_v = lse - mean(z), before the logits become the softmax
                total += eps * ((lse - logits.mean(dim=-1)) * valid[rows]).sum()
            counted = counted * (1 - eps)
            if mixture:  # -log(k p + (1 - k) c): the cross-entropy's gradient times r = k p / P
                k, c, p = k_all[rows], c_all[rows], torch.exp(target - lse)  # (C,)
                mixed = k * p + (1 - k) * c + torch.finfo(torch.float32).tiny  # (C,)
                total += (1 - eps) * (-torch.log(mixed) * valid[rows]).sum()
                grad_keep[rows] = -(p - c) / mixed * counted
                grad_copied[rows] = -(1 - k) / mixed * counted
                counted = counted * k * p / mixed
            else:
                total += (1 - eps) * ((lse - target) * valid[rows]).sum()
            # d loss / d logits = ((1 - eps) r + eps) softmax - (1 - eps) r one_hot(label) - eps / V, over the count,
            # on the kept rows (r = 1 without the mixture), 0 elsewhere
            grad = logits.sub_(lse[:, None]).exp_()  # (C, V), in place of the logits
            grad *= (counted + smooth)[:, None]
            grad.scatter_add_(1, safe[rows, None], -counted[:, None])
            if eps:
                grad -= (smooth / grad.shape[1])[:, None]
            g = grad.to(dtype)
            grad_hidden[rows] = g @ w
            grad_weight += (g.T @ h[rows]).float()
            if grad_bias is not None:
                grad_bias += grad.sum(0)
        ctx.save_for_backward(grad_hidden, grad_weight.to(weight.dtype),
                              None if bias is None or grad_bias is None else grad_bias.to(bias.dtype),
                              grad_keep.to(keep.dtype) if mixture else None,
                              grad_copied.to(copied.dtype) if mixture else None)
        return total / count.float()  # NaN without a label, as a mean of nothing

    @staticmethod
    def backward(ctx: Any, grad_loss: Tensor) -> tuple[Tensor | None, ...]:
        grad_hidden, grad_weight, grad_bias, grad_keep, grad_copied = ctx.saved_tensors

        def scaled(grad: Tensor | None, index: int) -> Tensor | None:
            return grad * grad_loss.to(grad.dtype) if grad is not None and ctx.needs_input_grad[index] else None

        return (scaled(grad_hidden, 0), scaled(grad_weight, 1), scaled(grad_bias, 2), None, None,
                scaled(grad_keep, 5), scaled(grad_copied, 6), None)


def smoothed_cross_entropy(logits: Tensor, labels: Tensor, label_smoothing: float) -> Tensor:
    """``F.cross_entropy`` of ``logits`` ``(..., V)`` against ``labels`` ``(...)`` (``-100``: not scored) with
    ``label_smoothing``, in float32: the loss Hugging Face's models compute, smoothed."""
    return torch.nn.functional.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), labels.reshape(-1),
                                             ignore_index=IGNORE_INDEX, label_smoothing=label_smoothing)


def linear_cross_entropy(hidden: Tensor, weight: Tensor, bias: Tensor | None, labels: Tensor,
                         chunk_rows: int = DEFAULT_CHUNK_ROWS, keep: Tensor | None = None,
                         copied: Tensor | None = None, label_smoothing: float = 0.0) -> Tensor:
    """Mean cross-entropy of ``hidden @ weight.T + bias`` against ``labels``, without the full logits.

    - ``hidden``: ``(..., D)`` states that the output layer reads;
    - ``weight``: ``(V, D)``, the output layer's (tied to the input embeddings or not); ``bias``: ``(V,)`` or None;
    - ``labels``: ``(...)``, the shape of ``hidden`` without its last dimension; ``-100`` is not scored;
    - ``chunk_rows``: rows of logits computed at once;
    - ``keep``, ``copied``: ``(...)`` like ``labels``, or None: a copy mixture's gate (the vocabulary's share) and the
      probability that its copy distribution gives each label; the loss is then the mixture's negative
      log-likelihood;
    - ``label_smoothing``: ``eps`` in ``[0, 1)``: the loss is ``(1 - eps)`` times the negative log-likelihood plus
      ``eps`` times the cross-entropy of ``softmax(hidden @ weight.T + bias)`` against the uniform distribution, as
      ``F.cross_entropy(..., label_smoothing=eps)`` computes it; with a mixture the likelihood is the mixture's and
      the uniform target smooths the vocabulary's distribution.

    Returns a scalar float32 loss that backpropagates into ``hidden``, ``weight`` and ``bias`` (and ``keep`` and
    ``copied``).
    """
    if hidden.shape[:-1] != labels.shape:
        raise ValueError(f"labels: expected the shape of hidden without its last dimension, "
                         f"{tuple(hidden.shape[:-1])}, found {tuple(labels.shape)}")
    if weight.dim() != 2 or weight.shape[1] != hidden.shape[-1]:
        raise ValueError(f"weight: expected (V, {hidden.shape[-1]}), found {tuple(weight.shape)}")
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows: expected an integer >= 1, found {chunk_rows}")
    if (keep is None) != (copied is None):
        raise ValueError("keep, copied: expected both (a copy mixture) or neither, found "
                         f"{'keep' if keep is not None else 'copied'} alone")
    for name, value in (("keep", keep), ("copied", copied)):
        if value is not None and value.shape != labels.shape:
            raise ValueError(f"{name}: expected the shape of labels, {tuple(labels.shape)}, found {tuple(value.shape)}")
    check_rate("linear_cross_entropy", "label_smoothing", label_smoothing)
    return _LinearCrossEntropy.apply(hidden.reshape(-1, hidden.shape[-1]), weight, bias, labels.reshape(-1),
                                     chunk_rows, None if keep is None else keep.reshape(-1),
                                     None if copied is None else copied.reshape(-1), float(label_smoothing))
