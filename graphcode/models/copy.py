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

A copy head trained this way copies well under teacher forcing and can still loop when it runs free, copying one
source token again and again (``RawParseUtils.GetKey(c, buffer, buffer, buffer, ...``). ``coverage=True`` adds
See et al.'s cure: the attention sees the coverage :math:`c_{tj} = \sum_{t'<t} a_{t'j}`, and training pays
:math:`\lambda \sum_j \min(a_{tj}, c_{tj})` for attending again to what was copied (:class:`CopyHead`).

Content alone does not say *where* in the source the copy goes on: a name split into several tokens, or a token
that the source holds many times (``buffer``, ``,``), leaves the attention to guess, and a free-running decoder
copies the first piece of ``UpdateLinkAttributesRequest`` and then the wrong one (``UpdateLinkConfiguration...``).
``continuation=True`` tells it: the scores gain

.. math::

    \sum_{k=1}^{K} w_k \, [x_{j-1} = y_{t-1} \wedge \dots \wedge x_{j-k} = y_{t-k}],

so a source token whose ``k`` predecessors are the target's last ``k`` tokens is where a copy goes on, as a
phrase-based system's next phrase starts where the last one ended; the longer the match, the surer the place
(``K = continuation_tokens``, 2 by default). The features need only token ids (the decoder's inputs), so training
stays parallel over the target; generation carries the ``K - 1`` tokens before the step.

:class:`graphcode.models.GraphCodeModel` attaches the head with a forward hook on the backbone's output layer, so
the backbone's own module tree, weights and ``save_pretrained`` stay those of the plain Hugging Face model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor, nn

from graphcode.models.config import MAX_CONTINUATION_TOKENS
from graphcode.models.loss import linear_cross_entropy

GATE_BIAS_INIT = 2.0
"""The copy gate's initial bias: the vocabulary's share starts at sigmoid(2), about 0.88."""

CONTINUATION_INIT = 1.0
"""The continuation weights :math:`w_k` at first: a source token after the target's last ``k`` tokens starts ``k``
units of score ahead."""

NO_TOKEN = -1
"""A target position's predecessor before the start of the target: matches no source token."""


@dataclass
class CopySource:
    """What a decoding step may copy from, for ``B`` prompts."""

    states: Tensor
    """``(B, T, D)`` the encoder's states of the source tokens (fused with the graph when it is on)."""
    mask: Tensor
    """``(B, T)`` 1 for a real token, 0 for padding."""
    token_ids: Tensor
    """``(B, T)`` the source token ids: where a copied position's probability goes in the vocabulary."""

    def predecessors(self, K: int = 2) -> Tensor:
        """``(B, T, K)`` the ids of the ``k``-th token before each source token, ``k = 1 .. K`` (``-2`` before the
        start: never equal to a token id or to :data:`NO_TOKEN`)."""
        B, T = self.token_ids.shape
        padded = torch.cat([self.token_ids.new_full((B, K), -2), self.token_ids], dim=1)  # (B, K + T)
        return torch.stack([padded[:, K - k: K - k + T] for k in range(1, K + 1)], dim=-1)

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


@dataclass
class CopyAttention:
    """The copy head's reading of ``R`` decoder rows over ``L`` positions: what :meth:`CopyHead.attend` returns."""

    attention: Tensor
    """``(R, L, T)`` float32, each position's attention over the source tokens."""
    keep: Tensor
    """``(R, L, 1)`` float32, the vocabulary's share of the mixture (the copy gate)."""
    source: CopySource
    """The rows' source (``R`` rows)."""
    overlap: Tensor | None = None
    r"""``(R, L)`` with coverage: :math:`\sum_j \min(a_{tj}, c_{tj})`, how much each position attends again to what
    the positions before it attended to (the coverage loss); ``None`` without."""
    coverage: Tensor | None = None
    """``(R, T)`` with coverage: the attention summed over all ``L`` positions, where the next position starts."""


class CopyLoss(NamedTuple):
    """What :meth:`CopyHead.loss` returns."""

    nll: Tensor
    """The mixture's mean negative log-likelihood of the labels."""
    coverage: Tensor | None
    """With coverage, the mean overlap (:attr:`CopyAttention.overlap`) over the same labels; ``None`` without."""


class CopyHead(nn.Module):
    r"""Mix the backbone's next-token distribution with a copy distribution over the source tokens.

    With ``coverage`` (See et al., 2017, section 2.3) the copy attention also sees how much each source token has
    been copied already, :math:`c_{tj} = \sum_{t' < t} a_{t'j}`: its scores gain :math:`w_c c_{tj}` with a learned
    :math:`w_c` (0 at first), and the training loss may add :math:`\lambda \sum_j \min(a_{tj}, c_{tj})`
    (:attr:`CopyLoss.coverage`), which a position pays for attending again where earlier ones did. Without it, a
    decoder that copies well under teacher forcing can loop when it runs free, copying the same source token again
    and again. The coverage makes the attention sequential over the target: training runs it position by position
    (``L`` small steps over ``(R, T)``), generation carries ``c`` from step to step (:meth:`mix`).

    Args:
        model_dim: The backbone's width ``D``.
        init_std: Standard deviation of the query, key and gate weights at first. (default: :obj:`0.02`)
        coverage: Give the copy attention the coverage. (default: :obj:`False`)
        continuation: Give the copy attention the continuation features: which source tokens follow the target's
            last ``k`` tokens, ``k = 1 .. continuation_tokens``. (default: :obj:`False`)
        continuation_tokens: ``K``, the most target tokens the continuation features match, 1 to
            :data:`~graphcode.models.config.MAX_CONTINUATION_TOKENS`. (default: :obj:`2`)

    Shapes:
        - **hidden:** ``(R, L, D)`` the decoder states that enter the output layer
        - **logits:** ``(R, L, V)`` the output layer's logits
        - **source:** a :class:`CopySource` of ``B`` prompts, ``R`` a multiple of ``B``
        - **coverage:** ``(R, T)`` the coverage before the first of the ``L`` positions; zeros when not given
        - **previous:** ``(R, L, K)`` with ``continuation``: the ids of the ``k``-th target token before each position
          (the decoder's input at the position and the ``K - 1`` before it; :data:`NO_TOKEN` before the start)
        - **output:** ``(R, L, V)`` float32 log-probabilities of the mixture
    """

    def __init__(self, model_dim: int, init_std: float = 0.02, coverage: bool = False,
                 continuation: bool = False, continuation_tokens: int = 2) -> None:
        super().__init__()
        if not 1 <= continuation_tokens <= MAX_CONTINUATION_TOKENS:
            raise ValueError(f"CopyHead: expected continuation_tokens from 1 to {MAX_CONTINUATION_TOKENS}, found "
                             f"{continuation_tokens}")
        self.query = nn.Linear(model_dim, model_dim, bias=False)
        self.key = nn.Linear(model_dim, model_dim, bias=False)
        self.gate = nn.Linear(2 * model_dim, 1)
        for layer in (self.query, self.key, self.gate):
            nn.init.normal_(layer.weight, std=init_std)
        nn.init.constant_(self.gate.bias, GATE_BIAS_INIT)
        self.coverage_weight = nn.Parameter(torch.zeros(())) if coverage else None
        r""":math:`w_c`, the weight of the coverage in the copy attention's scores (``None`` without coverage)."""
        self.continuation_weight = (nn.Parameter(torch.full((continuation_tokens,), CONTINUATION_INIT))
                                    if continuation else None)
        r"""``(K,)`` :math:`w_1 .. w_K`, the weights of the continuation features (``None`` without them)."""
        self.register_buffer("token_keys", None, persistent=False)  # (V,) after fold_tokens
        self.scale = 1.0 / math.sqrt(model_dim)

    def attend(self, hidden: Tensor, source: CopySource, coverage: Tensor | None = None,
               previous: Tensor | None = None) -> CopyAttention:
        """The copy attention and gate of ``hidden``'s positions (with coverage, starting from ``coverage``; with
        continuation, after the target tokens ``previous``)."""
        source = source.rows(hidden.size(0))
        states = source.states.to(hidden.dtype)
        scores = torch.matmul(self.query(hidden), self.key(states).transpose(1, 2)) * self.scale  # (R, L, T)
        scores = scores.float()
        if self.continuation_weight is not None:
            scores = scores + self.continuation(source, previous)
        scores = scores.masked_fill(source.mask[:, None, :] == 0, -math.inf)
        overlap = end = None
        if self.coverage_weight is None:
            attention = torch.softmax(scores, dim=-1).nan_to_num(0.0)  # (R, L, T); padding alone copies nothing
        else:
            attention, overlap, end = self._attend_with_coverage(scores, coverage)
        context = torch.matmul(attention.to(states.dtype), states)  # (R, L, D)
        keep = torch.sigmoid(self.gate(torch.cat([hidden, context], dim=-1)).float())  # (R, L, 1)
        return CopyAttention(attention, keep, source, overlap, end)

    def _attend_with_coverage(self, scores: Tensor, coverage: Tensor | None) -> tuple[Tensor, Tensor, Tensor]:
        """Position by position: attention ``(R, L, T)``, overlap ``(R, L)``, the coverage after the last ``(R, T)``."""
        R, _, T = scores.shape
        covered = scores.new_zeros(R, T) if coverage is None else coverage.float()
        weight = self.coverage_weight.float()
        rows, overlaps = [], []
        # unbind, not scores[:, t]: one backward node that stacks the L gradients, where L indexings would each
        # add a gradient of the whole (R, L, T) (quadratic in L).
        for step in scores.unbind(1):  # masked scores stay -inf: padding is never attended, its coverage stays 0
            a = torch.softmax(step + weight * covered, dim=-1).nan_to_num(0.0)  # (R, T)
            overlaps.append(torch.minimum(a, covered).sum(-1))  # (R,)
            rows.append(a)
            covered = covered + a
        return torch.stack(rows, dim=1), torch.stack(overlaps, dim=1), covered

    def fold_tokens(self, keys: Tensor) -> None:
        """Compare tokens by ``keys`` ``(V,)`` in the continuation features: ids with one key are one token there (see
        :func:`folded_token_keys`). Not saved with the weights: the model derives the keys from its tokenizer."""
        if keys.dim() != 1 or keys.dtype != torch.long or (keys < 0).any():
            raise ValueError(f"CopyHead: expected the token keys as a (V,) tensor of ids >= 0, found "
                             f"{keys.dtype} of shape {tuple(keys.shape)}")
        self.token_keys = keys

    def _keys(self, ids: Tensor) -> Tensor:
        """``ids``' keys (the ids themselves without :meth:`fold_tokens`); the negative sentinels stay as they are."""
        keys = self.token_keys
        if keys is None:
            return ids
        inside = (ids >= 0) & (ids < keys.numel())
        return torch.where(inside, keys.to(ids.device)[ids.clamp(0, keys.numel() - 1)], ids)

    @property
    def continuation_tokens(self) -> int:
        """``K``, the most target tokens the continuation features match (0 without them)."""
        return 0 if self.continuation_weight is None else self.continuation_weight.numel()

    def continuation(self, source: CopySource, previous: Tensor | None) -> Tensor:
        r"""``(R, L, T)`` float32 :math:`\sum_k w_k m^{(k)}_{tj}`: where the copy goes on from the target tokens
        ``previous`` ``(R, L, K)`` (``source`` already has ``R`` rows)."""
        K = self.continuation_tokens
        if previous is None:
            raise ValueError(f"CopyHead: expected the target tokens before each position (previous, (R, L, {K})) "
                             "for the continuation features, found none")
        if previous.dim() != 3 or previous.size(-1) != K:
            raise ValueError(f"CopyHead: expected previous of shape (R, L, {K}), found {tuple(previous.shape)}")
        before = self._keys(source.predecessors(K))[:, None]  # (R, 1, T, K)
        previous = self._keys(previous)
        weight = self.continuation_weight.float()
        match = before[..., 0] == previous[:, :, None, 0]  # (R, L, T): the source token follows the last target token
        total = weight[0] * match.float()
        for k in range(1, K):  # ... and the k before it
            match = match & (before[..., k] == previous[:, :, None, k])
            total = total + weight[k] * match.float()
        return total

    @staticmethod
    def mixture(read: CopyAttention, logits: Tensor) -> Tensor:
        """``(R, L, V)`` float32 log-probabilities of the mixture of ``logits`` and the copy attention."""
        vocab = torch.softmax(logits.float(), dim=-1)  # (R, L, V)
        index = read.source.token_ids[:, None, :].expand(-1, logits.size(1), -1)  # (R, L, T)
        copied = torch.zeros_like(vocab).scatter_add_(-1, index, read.attention)  # (R, L, V)
        return torch.log(read.keep * vocab + (1 - read.keep) * copied + torch.finfo(torch.float32).tiny)

    def mix(self, hidden: Tensor, logits: Tensor, source: CopySource, coverage: Tensor | None = None,
            previous: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        """:meth:`forward`'s log-probabilities and, with coverage, the coverage after the last position ``(R, T)``
        (where a decoding step goes on from)."""
        read = self.attend(hidden, source, coverage, previous)
        return self.mixture(read, logits), read.coverage

    def forward(self, hidden: Tensor, logits: Tensor, source: CopySource, coverage: Tensor | None = None,
                previous: Tensor | None = None) -> Tensor:
        return self.mix(hidden, logits, source, coverage, previous)[0]

    @staticmethod
    def copied(read: CopyAttention, labels: Tensor) -> Tensor:
        """``(R, L)`` the copy distribution's probability of each label (``-100``: any value)."""
        target = labels.clamp_min(0)  # (R, L)
        return (read.attention * (read.source.token_ids[:, None, :] == target[..., None])).sum(-1)

    @staticmethod
    def _overlap(read: CopyAttention, labels: Tensor) -> Tensor | None:
        return read.overlap[labels != -100].mean() if read.overlap is not None else None

    @classmethod
    def nll(cls, read: CopyAttention, logits: Tensor, labels: Tensor, label_smoothing: float = 0.0) -> CopyLoss:
        """The mixture's mean negative log-likelihood of ``labels`` ``(R, L)`` (-100: ignored), as cross-entropy on
        :meth:`mixture`'s output gives it, without building the ``(R, L, V)`` mixture: the vocabulary's part needs
        only the labels' logits and a log-sum-exp, the copy part only the source positions that hold each label.
        With ``label_smoothing`` ``eps``: ``(1 - eps)`` times that plus ``eps`` times the vocabulary distribution's
        cross-entropy against the uniform one (:func:`~graphcode.models.loss.linear_cross_entropy`)."""
        target = labels.clamp_min(0)  # (R, L)
        logits = logits.float()
        lse = torch.logsumexp(logits, dim=-1)  # (R, L)
        vocab = torch.exp(logits.gather(-1, target[..., None]).squeeze(-1) - lse)
        keep = read.keep.squeeze(-1)
        nll = -torch.log(keep * vocab + (1 - keep) * cls.copied(read, labels) + torch.finfo(torch.float32).tiny)
        if label_smoothing:
            nll = (1 - label_smoothing) * nll + label_smoothing * (lse - logits.mean(dim=-1))
        counted = labels != -100
        return CopyLoss(nll[counted].mean(), cls._overlap(read, labels))

    @classmethod
    def linear_nll(cls, read: CopyAttention, hidden: Tensor, weight: Tensor, bias: Tensor | None,
                   labels: Tensor, label_smoothing: float = 0.0) -> CopyLoss:
        """:meth:`nll` from the output layer's input ``hidden`` ``(R, L, D)`` and its ``weight`` ``(V, D)`` and
        ``bias``, without the ``(R, L, V)`` logits (:func:`~graphcode.models.loss.linear_cross_entropy`): the same
        value and gradients."""
        nll = linear_cross_entropy(hidden, weight, bias, labels, keep=read.keep.squeeze(-1),
                                   copied=cls.copied(read, labels), label_smoothing=label_smoothing)
        return CopyLoss(nll, cls._overlap(read, labels))

    def loss(self, hidden: Tensor, logits: Tensor, source: CopySource, labels: Tensor,
             previous: Tensor | None = None) -> CopyLoss:
        """:meth:`nll` of the positions of ``hidden``."""
        return self.nll(self.attend(hidden, source, previous=previous), logits, labels)


def previous_tokens(decoder_ids: Tensor, before: Tensor | None = None, K: int = 2) -> Tensor:
    """``(R, L, K)`` the ``k``-th target token before each of ``L`` positions, ``k = 1 .. K``, from the decoder's
    inputs ``(R, L)`` (position ``t``'s input is the token before it) and ``before`` ``(R, K - 1)``, the inputs before
    the first position, oldest first (the calls before a decoding step; :data:`NO_TOKEN` where not given: the target
    starts here)."""
    R, L = decoder_ids.shape
    if before is None:
        before = decoder_ids.new_full((R, K - 1), NO_TOKEN)
    if tuple(before.shape) != (R, K - 1):
        raise ValueError(f"previous_tokens: expected the inputs before the call of shape ({R}, {K - 1}), found "
                         f"{tuple(before.shape)}")
    padded = torch.cat([before, decoder_ids], dim=1)  # (R, K - 1 + L)
    return torch.stack([padded[:, K - k: K - k + L] for k in range(1, K + 1)], dim=-1)


def tokens_before_next(decoder_ids: Tensor, before: Tensor | None, K: int) -> Tensor:
    """``(R, K - 1)`` the last ``K - 1`` decoder inputs up to and including this call's ``decoder_ids`` ``(R, L)``,
    oldest first: the ``before`` of the next call (:data:`NO_TOKEN` before the target's start)."""
    if before is None:
        before = decoder_ids.new_full((decoder_ids.size(0), K - 1), NO_TOKEN)
    return torch.cat([before, decoder_ids], dim=1)[:, decoder_ids.size(1):]


def folded_token_keys(tokens: list[str], vocab_size: int | None = None) -> Tensor:
    """``(V,)`` a key per token id: ids whose tokens are equal ignoring case and leading spaces (``Ġ``, ``▁``) share
    one, so that the continuation features see Java's ``get`` ``Member`` go on in C#'s ``Get`` ``Member``. ``tokens``
    are the tokenizer's, by id; ids from ``len(tokens)`` to ``vocab_size`` (a model's vocabulary may be larger) get
    keys of their own."""
    V = max(len(tokens), vocab_size or 0)
    index: dict[str, int] = {}
    keys = [index.setdefault(token.lstrip("\u0120\u2581 ").lower() or token, len(index)) for token in tokens]
    keys += range(len(index), len(index) + V - len(tokens))
    return torch.tensor(keys, dtype=torch.long)
