"""Decoding: greedy, beam or sampling, with N candidates per prompt, optionally syntax-guided.

:class:`DecodingConfig` holds the settings and validates them; :func:`generate_candidates` runs
:meth:`graphcode.models.GraphCodeModel.generate` on a batch and returns, per prompt, the candidates
with their text, tokens and model score.

Model score: the mean log-probability per generated token under the model (end-of-sequence
included, padding excluded), from the raw logits, before any temperature, top-k/top-p or guided
masking. For beam search it is Hugging Face's beam score times ``length ** (length_penalty - 1)``, the same quantity
(beam search adds the log-probabilities of the model; guided masking only removes tokens): a length penalty changes
which hypotheses win, not how they are scored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import torch

from graphcode.errors import ConfigError
from graphcode.generate.guided import GuidedStats, SyntaxGuidedLogitsProcessor
from graphcode.generate.length import SourceLengthCap, check_length_cap, check_length_penalty
from graphcode.generate.repetition import check_repetition, repetition_kwargs
from graphcode.models.batch import GraphCodeBatch

Strategy = Literal["greedy", "beam", "sample"]
STRATEGIES: tuple[str, ...] = ("greedy", "beam", "sample")


def _fail(name: str, expected: str, found: Any) -> ConfigError:
    flag = "--" + name.replace("_", "-")
    return ConfigError(f"decoding.{name} ({flag}): expected {expected}, found {found!r}")


def _is_int(value: Any, minimum: int) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and value >= minimum


@dataclass
class DecodingConfig:
    """How candidates are decoded."""

    strategy: Strategy = "greedy"
    """``greedy`` (one candidate), ``beam`` (beam search) or ``sample`` (ancestral sampling)."""
    num_candidates: int = 1
    """Candidates per prompt (``num_return_sequences``)."""
    num_beams: int | None = None
    """Beam width for ``beam``; at least ``num_candidates``. (default: ``num_candidates``)"""
    temperature: float = 1.0
    """Sampling temperature (``sample`` only)."""
    top_p: float = 1.0
    """Nucleus sampling: keep the smallest set of tokens with this much probability (``sample`` only)."""
    top_k: int = 0
    """Keep the k most likely tokens; 0 keeps all (``sample`` only)."""
    max_new_tokens: int = 128
    """Most tokens generated per candidate."""
    max_len_a: float | None = None
    """With ``max_len_b``: at most ``max_len_a * x + max_len_b`` tokens for a prompt of ``x`` tokens (fairseq's
    rule, :class:`graphcode.generate.length.SourceLengthCap`), within ``max_new_tokens``; ``None``: no such limit."""
    max_len_b: int = 0
    """See ``max_len_a``."""
    no_repeat_ngram_size: int = 0
    """Never generate an n-gram of this many tokens twice in one candidate (Hugging Face's
    ``NoRepeatNGramLogitsProcessor``); 0: no such rule."""
    repetition_penalty: float = 1.0
    """Divide the positive logits of tokens already in the candidate (multiply the negative ones) by this (CTRL's
    penalty); 1.0: none."""
    length_penalty: float = 1.0
    """Beam search ranks a finished hypothesis by its log-probability over ``length ** length_penalty`` (Hugging
    Face's rule): 1.0 is the mean per token, more favours longer candidates, 0 the plain sum (``beam`` only)."""
    guided: bool = False
    """Mask tokens that make the code unrepairable (:class:`SyntaxGuidedLogitsProcessor`)."""
    guided_max_checks: int = 32
    """Guided: tokens checked per row and step at most."""
    guided_num_viable: int | None = None
    """Guided: stop checking a row after this many tokens passed. (default: 1 for greedy, the beam width
    for beam search, ``top_k`` (or 8) for sampling, at most ``guided_max_checks``)"""

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise _fail("strategy", f"one of {', '.join(STRATEGIES)}", self.strategy)
        if not _is_int(self.num_candidates, 1):
            raise _fail("num_candidates", "an integer >= 1", self.num_candidates)
        if self.strategy == "greedy" and self.num_candidates != 1:
            raise _fail(
                "num_candidates", "1 with --strategy greedy (it has one output; use beam or sample)", self.num_candidates
            )
        if self.num_beams is not None:
            if self.strategy != "beam":
                raise _fail("num_beams", f"nothing with --strategy {self.strategy} (beam search only)", self.num_beams)
            if not _is_int(self.num_beams, self.num_candidates):
                raise _fail("num_beams", f"an integer >= --num-candidates ({self.num_candidates})", self.num_beams)
        if isinstance(self.temperature, bool) or not isinstance(self.temperature, (int, float)) or not self.temperature > 0:
            raise _fail("temperature", "a number > 0", self.temperature)
        if isinstance(self.top_p, bool) or not isinstance(self.top_p, (int, float)) or not 0 < self.top_p <= 1:
            raise _fail("top_p", "a number in (0, 1]", self.top_p)
        if not _is_int(self.top_k, 0):
            raise _fail("top_k", "an integer >= 0", self.top_k)
        if self.strategy != "sample":
            for name, default in (("temperature", 1.0), ("top_p", 1.0), ("top_k", 0)):
                if getattr(self, name) != default:
                    raise _fail(name, f"the default with --strategy {self.strategy} (sampling only)", getattr(self, name))
        if not _is_int(self.max_new_tokens, 1):
            raise _fail("max_new_tokens", "an integer >= 1", self.max_new_tokens)
        check_length_cap(self.max_len_a, self.max_len_b, "decoding.max_len_a (--max-len-a)",
                         "decoding.max_len_b (--max-len-b)")
        check_repetition(self.no_repeat_ngram_size, self.repetition_penalty,
                         "decoding.no_repeat_ngram_size (--no-repeat-ngram-size)",
                         "decoding.repetition_penalty (--repetition-penalty)")
        check_length_penalty(self.length_penalty, self.beams, "decoding.length_penalty (--length-penalty)")
        if not isinstance(self.guided, bool):
            raise _fail("guided", "true or false", self.guided)
        if not _is_int(self.guided_max_checks, 1):
            raise _fail("guided_max_checks", "an integer >= 1", self.guided_max_checks)
        if self.guided_num_viable is not None and not (
            _is_int(self.guided_num_viable, 1) and self.guided_num_viable <= self.guided_max_checks
        ):
            raise _fail("guided_num_viable", f"an integer in [1, {self.guided_max_checks}]", self.guided_num_viable)

    @property
    def beams(self) -> int:
        """The beam width (1 unless beam search)."""
        if self.strategy != "beam":
            return 1
        return self.num_beams if self.num_beams is not None else self.num_candidates

    @property
    def rows_per_prompt(self) -> int:
        """Rows the model decodes per prompt: the beams, or the samples."""
        return self.beams if self.strategy == "beam" else self.num_candidates

    @property
    def num_viable(self) -> int:
        if self.guided_num_viable is not None:
            return self.guided_num_viable
        wanted = {"greedy": 1, "beam": self.beams, "sample": self.top_k or 8}[self.strategy]
        return min(wanted, self.guided_max_checks)

    def generate_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for Hugging Face ``generate`` (without the processor and token ids)."""
        kwargs: dict[str, Any] = {
            "max_new_tokens": self.max_new_tokens,
            "num_return_sequences": self.num_candidates,
            "return_dict_in_generate": True,
        }
        if self.strategy == "beam":
            kwargs.update(do_sample=False, num_beams=self.beams, output_scores=True,
                          length_penalty=float(self.length_penalty))
        elif self.strategy == "sample":
            kwargs.update(do_sample=True, num_beams=1, output_logits=True, temperature=float(self.temperature),
                          top_p=float(self.top_p), top_k=self.top_k)
        else:
            kwargs.update(do_sample=False, num_beams=1, output_logits=True)
        kwargs.update(repetition_kwargs(self.no_repeat_ngram_size, self.repetition_penalty))
        return kwargs


@dataclass(frozen=True)
class Generated:
    """One decoded candidate."""

    text: str
    token_ids: tuple[int, ...]
    """The generated tokens up to and including the first end-of-sequence token."""
    score: float
    """Mean log-probability per generated token (see the module docstring)."""


@dataclass(frozen=True)
class GenerationOutput:
    """What :func:`generate_candidates` returns."""

    candidates: list[list[Generated]]
    """Per prompt, ``num_candidates`` candidates in the model's order."""
    guided: GuidedStats | None = None
    """The guided processor's counters, when guided."""


def token_ids(tokenizer: Any) -> tuple[int, int]:
    """The end-of-sequence and padding ids of a tokenizer (padding falls back to end-of-sequence)."""
    eos = getattr(tokenizer, "eos_token_id", None)
    if eos is None:
        raise ConfigError("tokenizer: expected an end-of-sequence token (eos_token_id), found none")
    pad = getattr(tokenizer, "pad_token_id", None)
    return int(eos), int(eos if pad is None else pad)


@torch.no_grad()
def generate_candidates(
    model: Any,
    tokenizer: Any,
    batch: GraphCodeBatch,
    config: DecodingConfig,
    *,
    lang: str | None = None,
    prefixes: list[str] | None = None,
    compiler: bool = True,
) -> GenerationOutput:
    """Decode ``config.num_candidates`` candidates per prompt of ``batch``.

    Args:
        model: A :class:`graphcode.models.GraphCodeModel` (its ``generate`` takes the batch).
        tokenizer: The model's tokenizer.
        batch: ``B`` prompts, as :func:`graphcode.data.collate.encode_sources` builds them.
        config: The decoding settings.
        lang: The target language; needed when ``config.guided``. (default: :obj:`None`)
        prefixes: Guided only: the text before each prompt's generated tokens (the prompts, for a
            completion task). (default: nothing)
        compiler: Guided only: end-of-sequence also needs the language's compiler check. (default: :obj:`True`)

    Shapes:
        - **batch.input_ids:** ``(B, T)``
        - **output:** ``B`` lists of ``config.num_candidates`` candidates
    """
    eos, pad = token_ids(tokenizer)
    B = batch.batch_size
    skip = 1 if model.is_encoder_decoder else 0  # the decoder start token
    kwargs = config.generate_kwargs()
    processors: list[Any] = []
    processor = None
    if config.guided:
        if lang is None:
            raise ValueError("generate_candidates: expected lang (the target language) with guided decoding, found None")
        processor = SyntaxGuidedLogitsProcessor(
            tokenizer,
            lang,
            prefix=prefixes if prefixes else "",
            eos_token_id=eos,
            skip_tokens=skip,
            num_viable=config.num_viable,
            max_checks=config.guided_max_checks,
            compiler=compiler,
            dead_rows="drop" if config.strategy == "beam" else "eos",
        )
        processors.append(processor)
    if config.max_len_a is not None:  # last: it may overrule the guided processor's mask
        processors.append(SourceLengthCap(batch.attention_mask.sum(dim=1), config.max_len_a, config.max_len_b,
                                          eos_token_id=eos, skip_tokens=skip))
    if processors:
        from transformers import LogitsProcessorList

        kwargs["logits_processor"] = LogitsProcessorList(processors)
    out = model.generate(batch, eos_token_id=eos, pad_token_id=pad, **kwargs)
    sequences = out.sequences[:, skip:]  # (B * N, L)
    # each row's generated tokens up to and including its first end-of-sequence
    rows = [row[: row.index(eos) + 1] if eos in row else row for row in sequences.tolist()]
    if config.strategy == "beam":  # sum / n ** length_penalty, n the generated tokens with end-of-sequence
        scores = [s * len(row) ** (config.length_penalty - 1.0)
                  for s, row in zip(out.sequences_scores.float().tolist(), rows, strict=True)]  # (B * N,)
    else:
        scores = _mean_log_probs(out.logits, out.sequences, eos)
    N = config.num_candidates
    candidates: list[list[Generated]] = [[] for _ in range(B)]
    for i, row in enumerate(rows):
        ids = tuple(row)
        text = tokenizer.decode(row, skip_special_tokens=True, clean_up_tokenization_spaces=False)
        candidates[i // N].append(Generated(text=text, token_ids=ids, score=float(scores[i])))
    return GenerationOutput(candidates, None if processor is None else processor.stats)


def _mean_log_probs(logits: tuple[torch.Tensor, ...], sequences: torch.Tensor, eos: int) -> list[float]:
    """Mean log-probability of each row's generated tokens up to its first end-of-sequence.

    ``logits``: one ``(R, V)`` tensor per step; the generated tokens are the last ``L`` of ``sequences``.
    """
    L = len(logits)
    tokens = sequences[:, sequences.size(1) - L :]  # (R, L)
    R = tokens.size(0)
    total = torch.zeros(R, dtype=torch.float64)
    count = torch.zeros(R, dtype=torch.float64)
    alive = torch.ones(R, dtype=torch.bool)
    for t in range(L):
        step = torch.log_softmax(logits[t].float(), dim=-1)  # (R, V)
        picked = step.gather(1, tokens[:, t : t + 1].to(step.device)).squeeze(1).double().cpu()  # (R,)
        total += torch.where(alive, picked, torch.zeros_like(picked))
        count += alive.double()
        alive &= tokens[:, t].cpu() != eos
    return (total / count.clamp(min=1)).tolist()
