r"""Copying from the source: a pointer-generator head for encoder-decoder backbones (See et al., 2017).

Code translation copies most of its tokens: names, literals, whole argument lists. A decoder trained from scratch
learns to copy them slowly and gets them wrong often (``RawParseUtils.Get(c, key, key)`` for
``RawParseUtils.Decode(enc, buffer, keyStart, keyEnd)``). :class:`CopyHead` lets it point at a source token
instead of spelling it from the vocabulary. At each target position :math:`t`, with decoder state
:math:`\mathbf{s}_t` and the encoder's token states :math:`\mathbf{h}_j`:

.. math::

    a_{tj} = \operatorname{softmax}_j \frac{(\mathbf{W}_q \mathbf{s}_t)^\top \mathbf{W}_k \mathbf{h}_j}{\sqrt{D}},
    \quad \mathbf{c}_t = \sum_j a_{tj} \mathbf{h}_j,
    \quad p_t = \sigma(\mathbf{w}^\top [\mathbf{s}_t; \mathbf{c}_t] + b),

    P(w) = p_t \, P_\text{vocab}(w) + (1 - p_t) \sum_{j : x_j = w} a_{tj}.

Only the source's tokens can be copied, not the graph's nodes that a ``memory`` fusion appends after them. The
head returns :math:`\log P`, which Hugging Face's loss, ``generate`` and logits processors read as logits:
``log_softmax`` leaves it as it is, so cross-entropy on it is the mixture's negative log-likelihood. :math:`b`
starts at ``+2``: the model starts from the vocabulary (:math:`p \approx 0.88`) and learns when to copy.

:class:`graphcode.models.GraphCodeModel` attaches the head with a forward hook on the backbone's output layer, so
the backbone's own module tree, weights and ``save_pretrained`` stay those of the plain Hugging Face model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

GATE_BIAS_INIT = 2.0
"""The copy gate's initial bias: the vocabulary's share starts at sigmoid(2), about 0.88."""


@dataclass
class CopySource:
    """What a decoding step may copy from, for ``B`` prompts."""

    states: Tensor
    """``(B, T, D)`` the encoder's states of the source tokens (fused with the graph when it is on)."""
    mask: Tensor
    """``(B, T)`` 1 for a real token, 0 for padding."""
    token_ids: Tensor
    """``(B, T)`` the source token ids: where a copied position's probability goes in the vocabulary."""

    def rows(self, R: int) -> CopySource:
        """The source of each of ``R`` decoder rows: ``R / B`` consecutive rows per prompt, as Hugging Face expands a
        batch for beams and samples (beam search keeps each beam within its prompt's rows)."""
        B = self.token_ids.size(0)
        if R == B:
            return self
        if R % B:
            raise ValueError(f"CopyHead: expected the decoder rows ({R}) to be a multiple of the prompts ({B})")
        k = R // B
        return CopySource(self.states.repeat_interleave(k, dim=0), self.mask.repeat_interleave(k, dim=0),
                          self.token_ids.repeat_interleave(k, dim=0))


class CopyHead(nn.Module):
    r"""Mix the backbone's next-token distribution with a copy distribution over the source tokens.

    Args:
        model_dim: The backbone's width ``D``.
        init_std: Standard deviation of the query, key and gate weights at first. (default: :obj:`0.02`)

    Shapes:
        - **hidden:** ``(R, L, D)`` the decoder states that enter the output layer
        - **logits:** ``(R, L, V)`` the output layer's logits
        - **source:** a :class:`CopySource` of ``B`` prompts, ``R`` a multiple of ``B``
        - **output:** ``(R, L, V)`` float32 log-probabilities of the mixture
    """

    def __init__(self, model_dim: int, init_std: float = 0.02) -> None:
        super().__init__()
        self.query = nn.Linear(model_dim, model_dim, bias=False)
        self.key = nn.Linear(model_dim, model_dim, bias=False)
        self.gate = nn.Linear(2 * model_dim, 1)
        for layer in (self.query, self.key, self.gate):
            nn.init.normal_(layer.weight, std=init_std)
        nn.init.constant_(self.gate.bias, GATE_BIAS_INIT)
        self.scale = 1.0 / math.sqrt(model_dim)

    def _parts(self, hidden: Tensor, source: CopySource) -> tuple[Tensor, Tensor, CopySource]:
        """The copy attention ``(R, L, T)`` and the vocabulary's share ``(R, L, 1)``, both float32, and the rows'
        source."""
        source = source.rows(hidden.size(0))
        states = source.states.to(hidden.dtype)
        scores = torch.matmul(self.query(hidden), self.key(states).transpose(1, 2)) * self.scale  # (R, L, T)
        scores = scores.float().masked_fill(source.mask[:, None, :] == 0, -math.inf)
        attention = torch.softmax(scores, dim=-1).nan_to_num(0.0)  # (R, L, T); a source of padding alone copies nothing
        context = torch.matmul(attention.to(states.dtype), states)  # (R, L, D)
        keep = torch.sigmoid(self.gate(torch.cat([hidden, context], dim=-1)).float())  # (R, L, 1)
        return attention, keep, source

    def forward(self, hidden: Tensor, logits: Tensor, source: CopySource) -> Tensor:
        attention, keep, source = self._parts(hidden, source)
        vocab = torch.softmax(logits.float(), dim=-1)  # (R, L, V)
        index = source.token_ids[:, None, :].expand(-1, hidden.size(1), -1)  # (R, L, T)
        copied = torch.zeros_like(vocab).scatter_add_(-1, index, attention)  # (R, L, V)
        return torch.log(keep * vocab + (1 - keep) * copied + torch.finfo(torch.float32).tiny)

    def loss(self, hidden: Tensor, logits: Tensor, source: CopySource, labels: Tensor) -> Tensor:
        """The mixture's mean negative log-likelihood of ``labels`` ``(R, L)`` (-100: ignored), as cross-entropy on
        :meth:`forward`'s output gives it, without building the ``(R, L, V)`` mixture: the vocabulary's part needs
        only the labels' logits and a log-sum-exp, the copy part only the source positions that hold each label."""
        attention, keep, source = self._parts(hidden, source)
        target = labels.clamp_min(0)  # (R, L)
        logits = logits.float()
        vocab = torch.exp(logits.gather(-1, target[..., None]).squeeze(-1) - torch.logsumexp(logits, dim=-1))
        copied = (attention * (source.token_ids[:, None, :] == target[..., None])).sum(-1)  # (R, L)
        keep = keep.squeeze(-1)
        nll = -torch.log(keep * vocab + (1 - keep) * copied + torch.finfo(torch.float32).tiny)  # (R, L)
        counted = labels != -100
        return nll[counted].mean()
