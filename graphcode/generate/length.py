"""A length limit that grows with the source: fairseq's ``--max-len-a`` / ``--max-len-b`` as a logits processor.

A translation is about as long as its source; a model that has not finished learning when to stop repeats itself
until ``max_new_tokens`` instead. Greedy decoding of the CPU Java → C# model wrote twice as many tokens as the
references, most of it in such loops, and every looping token counts against corpus BLEU's precision. Capping each
example at ``a * x + b`` new tokens, ``x`` its source's tokens, ends a loop near where the translation should have
ended, and leaves every output shorter than the cap as it was.

:class:`SourceLengthCap` forces end-of-sequence once a row has generated its cap: the same cut for greedy decoding,
sampling and beam search (a beam that reaches the cap ends there, and is scored with its other hypotheses).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from transformers import LogitsProcessor

from graphcode.errors import ConfigError


def check_length_cap(max_len_a: Any, max_len_b: Any, a_name: str, b_name: str) -> None:
    """Raise :class:`ConfigError` unless ``max_len_a`` is ``None`` or a number > 0 and ``max_len_b`` an integer
    >= 0; the message names them ``a_name`` and ``b_name`` (``generation.max_len_a``, ``--max-len-a`` …)."""
    if max_len_a is not None and (isinstance(max_len_a, bool) or not isinstance(max_len_a, (int, float))
                                  or not math.isfinite(max_len_a) or max_len_a <= 0):
        raise ConfigError(f"{a_name}: expected a number > 0 or null (no limit), found {max_len_a!r}")
    if isinstance(max_len_b, bool) or not isinstance(max_len_b, int) or max_len_b < 0:
        raise ConfigError(f"{b_name}: expected an integer >= 0, found {max_len_b!r}")


def check_length_penalty(length_penalty: Any, num_beams: int, name: str) -> None:
    """Raise :class:`ConfigError` unless ``length_penalty`` is a finite number, and 1.0 (the default) unless beam
    search (``num_beams`` > 1) uses it; the message names it ``name`` (``task_metrics.length_penalty`` …)."""
    value = length_penalty
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{name}: expected a finite number, found {value!r}")
    if value != 1.0 and num_beams < 2:
        raise ConfigError(f"{name}: expected 1.0 without beam search (only beams are ranked by length), found "
                          f"{value!r} with one beam")


def length_caps(source_lengths: torch.Tensor, max_len_a: float, max_len_b: int) -> torch.Tensor:
    """``floor(max_len_a * x + max_len_b)`` for each source length ``x``, at least 1.

    Shapes:
        - **source_lengths:** ``(B,)``
        - **output:** ``(B,)``, int64
    """
    caps = torch.floor(source_lengths.to(torch.float64) * float(max_len_a) + int(max_len_b)).to(torch.int64)
    return caps.clamp_min(1)


class SourceLengthCap(LogitsProcessor):
    r"""End each row once it has generated ``max_len_a * x + max_len_b`` tokens, ``x`` its prompt's source length.

    At that step every token but end-of-sequence is set to ``-inf`` (end-of-sequence keeps its score), so the row's
    output is at most its cap in tokens before the end-of-sequence token. ``max_new_tokens`` still bounds every row.

    Args:
        source_lengths: ``(B,)`` the source tokens of each prompt (its attention mask's sum).
        max_len_a: Tokens allowed per source token.
        max_len_b: Tokens allowed on top. (default: :obj:`0`)
        eos_token_id: The end-of-sequence id.
        skip_tokens: Leading tokens of each row of ``input_ids`` that are not generated: 1 for an encoder-decoder
            (the decoder start token), 0 for :meth:`graphcode.models.GraphCodeModel.generate` on a decoder-only
            model (its processors see only the new tokens). (default: :obj:`0`)

    Shapes:
        - **input_ids:** ``(R, T)``, R rows: ``R / B`` consecutive rows per prompt, as Hugging Face expands a batch
          for beams and samples
        - **scores:** ``(R, V)``, returned with the rows at their cap set to ``-inf`` but end-of-sequence
    """

    def __init__(self, source_lengths: torch.Tensor, max_len_a: float, max_len_b: int = 0, *,
                 eos_token_id: int, skip_tokens: int = 0) -> None:
        check_length_cap(max_len_a, max_len_b, "SourceLengthCap.max_len_a", "SourceLengthCap.max_len_b")
        if max_len_a is None:
            raise ConfigError("SourceLengthCap.max_len_a: expected a number > 0, found None")
        if source_lengths.dim() != 1:
            raise ValueError(f"SourceLengthCap: expected source_lengths of shape (B,), found {tuple(source_lengths.shape)}")
        self.caps = length_caps(source_lengths, max_len_a, max_len_b)  # (B,)
        self.eos_token_id = int(eos_token_id)
        self.skip_tokens = int(skip_tokens)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        R, B = input_ids.size(0), self.caps.numel()
        if R % B:
            raise ValueError(f"SourceLengthCap: expected the number of rows ({R}) to be a multiple of the number of "
                             f"prompts ({B})")
        generated = input_ids.size(1) - self.skip_tokens
        caps = self.caps.to(scores.device).repeat_interleave(R // B)  # (R,)
        done = caps <= generated  # (R,)
        if not bool(done.any()):
            return scores
        eos = scores[:, self.eos_token_id].clone()
        scores = scores.masked_fill(done[:, None], -math.inf)
        # A cut row keeps end-of-sequence's own score (beam search ranks a cut hypothesis by it), unless an earlier
        # processor ruled it out: then 0, so that the row still has a token to take.
        scores[:, self.eos_token_id] = torch.where(done & torch.isneginf(eos), torch.zeros_like(eos), eos)
        return scores
