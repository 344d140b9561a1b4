"""Syntax-guided decoding: a Hugging Face ``LogitsProcessor`` that masks tokens no continuation can repair.

At each step, for each row (a beam or a sample) the processor looks at the row's tokens as text,
then at the highest-scoring next tokens in order, and sets to ``-inf`` the score of every checked
token that would make the text :attr:`~graphcode.generate.prefix.Viability.DEAD` (proven: every
continuation has a syntax error) and of the end-of-sequence token while the text is not a whole,
valid program. It stops checking a row after ``num_viable`` tokens that pass (or ``max_checks``
tokens), so tokens ranked below are left as they are: greedy decoding then always picks a checked
token, beam search does so for the top ``num_viable`` continuations of each beam, and top-k sampling
with ``top_k <= num_viable`` samples only checked tokens. End-of-sequence is judged in every row at every
step, whatever its rank, so no strategy can end a row on invalid code.

What it guarantees (for any Hugging Face model, greedy, beam or sampling):

- *It never prunes a viable prefix.* A token other than end-of-sequence (and the padding and unknown
  tokens, see ``mask_special``) is masked only if :class:`~graphcode.generate.prefix.PrefixChecker`
  proved the extended text dead: tree-sitter's parse of the text followed by *any* continuation has a
  syntax error (the proof is in :mod:`graphcode.generate.prefix`). So if some continuation of a row
  is valid code, the row keeps every token that starts one.
- *It ends a row only on valid code.* End-of-sequence keeps its score only when the whole text
  (prefix included) passes :func:`graphcode.check.check_syntax` in the language (with the
  language's compiler check unless ``compiler=False``) and the row generated more than white space.
  The one exception is a row with nothing else left (below).
- *Not complete.* A bad token is often caught one token late: the lexer must see what follows a token
  to know it has ended, so ``def f(x))`` is still open and ``def f(x)) :`` is dead. Such a token can
  lead a row into a dead end, where every next token is masked; and a token ranked below the checked
  ones may be chosen unchecked. A dead row keeps only end-of-sequence (``dead_rows="eos"``, for greedy
  and sampling: it ends, and post-hoc checking flags it) or loses every token (``dead_rows="drop"``,
  for beam search: the beam drops out). ``stats.dead_rows`` counts them.

Texts are kept per row in a cache keyed by the token prefix, with their tree-sitter tree, so each
new token costs one incremental parse (``Tree.edit`` + ``old_tree``) of the extended text.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
from transformers import LogitsProcessor

from graphcode.check import check_syntax
from graphcode.generate.prefix import PrefixChecker, PrefixState, Viability

DeadRows = Literal["eos", "drop"]


@dataclass
class GuidedStats:
    """Counters of one processor's work, for benchmarks and reports."""

    steps: int = 0
    rows: int = 0
    """Row-steps that were guided (not finished, not unguided)."""
    checked: int = 0
    """Candidate tokens checked."""
    masked: int = 0
    """Tokens set to -inf because the text would be dead (or end-of-sequence on invalid code)."""
    dead_rows: int = 0
    """Row-steps whose text was already dead, or whose every finite token was masked."""
    none_passed: int = 0
    """Row-steps where no checked token passed (a dead end, or the passing ones rank below ``max_checks``)."""
    cache_hits: int = 0


@dataclass
class _Entry:
    """A row's token prefix as text, and its verdict."""

    text: str
    state: PrefixState
    complete: bool | None = None
    """Whether ``text`` passes check_syntax (computed when end-of-sequence is checked)."""
    tail_text: dict[int, str] = field(default_factory=dict)
    """decode() of the last ``window`` tokens, keyed by the window size, for incremental decoding."""


class SyntaxGuidedLogitsProcessor(LogitsProcessor):
    r"""Mask tokens that would give code no continuation can make syntactically valid.

    Args:
        tokenizer: The model's tokenizer; only ``decode(ids, skip_special_tokens=True)`` is used.
        lang: The language of the generated code (the *target* language).
        prefix: Text before the generated tokens, checked together with them: the prompt in a
            completion task, ``""`` when the model writes a whole program. One string for every row, or
            one per prompt: rows are grouped in order, ``R / P`` rows per prompt, as Hugging Face
            expands a batch for beams and samples. (default: ``""``)
        eos_token_id: The end-of-sequence id or ids. (default: the tokenizer's ``eos_token_id``)
        skip_tokens: Leading tokens of each row of ``input_ids`` that are not generated text: 1 for an
            encoder-decoder (the decoder start token), the prompt length for a decoder-only model given
            ``input_ids``, 0 for :meth:`graphcode.models.GraphCodeModel.generate` on a decoder-only model.
            (default: :obj:`0`)
        num_viable: Stop checking a row once this many tokens passed, best first. (default: :obj:`1`)
        max_checks: Check at most this many tokens per row and step. (default: :obj:`32`)
        compiler: End-of-sequence also needs the language's compiler check (Python's ``compile()``).
            (default: :obj:`True`)
        dead_rows: ``"eos"`` keeps only end-of-sequence for a dead row (greedy, sampling); ``"drop"``
            masks all its tokens (beam search, where the beam then drops out). (default: ``"eos"``)
        allow_empty: Let a row end before it generated anything but white space (an empty program is
            valid code, but rarely a useful answer). (default: :obj:`False`)
        mask_special: Mask the padding and unknown tokens (unless they are end-of-sequence): they add no
            code, and a model that emits them stalls. Other special tokens (a beginning-of-sequence token
            some models emit first) are left alone. (default: :obj:`True`)
        incremental: Passed to :class:`~graphcode.generate.prefix.PrefixChecker`. (default: :obj:`True`)
        cache_size: Token prefixes kept with their text and tree. (default: :obj:`4096`)

    Shapes:
        - **input_ids:** ``(R, T)``, R rows (batch times beams or samples)
        - **scores:** ``(R, V)``, returned with some entries set to ``-inf``
    """

    _WINDOW = 6  # tokens of context for incremental detokenisation

    def __init__(
        self,
        tokenizer: Any,
        lang: str,
        *,
        prefix: str | Sequence[str] = "",
        eos_token_id: int | Sequence[int] | None = None,
        skip_tokens: int = 0,
        num_viable: int = 1,
        max_checks: int = 32,
        compiler: bool = True,
        dead_rows: DeadRows = "eos",
        allow_empty: bool = False,
        mask_special: bool = True,
        incremental: bool = True,
        cache_size: int = 4096,
    ) -> None:
        if not callable(getattr(tokenizer, "decode", None)):
            raise ValueError(
                f"`tokenizer` has to be a tokenizer with a decode() method, but is {type(tokenizer).__name__}"
            )
        if isinstance(prefix, str):
            prefixes: tuple[str, ...] = (prefix,)
        elif isinstance(prefix, Sequence) and prefix and all(isinstance(p, str) for p in prefix):
            prefixes = tuple(prefix)
        else:
            raise ValueError(f"`prefix` has to be a string or a non-empty sequence of strings, but is {prefix!r}")
        if eos_token_id is None:
            eos_token_id = getattr(tokenizer, "eos_token_id", None)
        if eos_token_id is None:
            raise ValueError("`eos_token_id` has to be given when the tokenizer has none, but is None")
        eos = [eos_token_id] if isinstance(eos_token_id, int) else list(eos_token_id)
        if not eos or not all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in eos):
            raise ValueError(f"`eos_token_id` has to be a non-negative integer or a list of them, but is {eos_token_id!r}")
        for name, value, minimum in (
            ("skip_tokens", skip_tokens, 0),
            ("num_viable", num_viable, 1),
            ("max_checks", max_checks, 1),
            ("cache_size", cache_size, 1),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ValueError(f"`{name}` has to be an integer >= {minimum}, but is {value!r}")
        if num_viable > max_checks:
            raise ValueError(f"`num_viable` has to be <= `max_checks` ({max_checks}), but is {num_viable}")
        if dead_rows not in ("eos", "drop"):
            raise ValueError(f"`dead_rows` has to be 'eos' or 'drop', but is {dead_rows!r}")

        self.tokenizer = tokenizer
        self.checker = PrefixChecker(lang, incremental=incremental)
        self.lang = self.checker.lang
        self.prefixes = prefixes
        self.eos_token_ids = frozenset(eos)
        self.skip_tokens = skip_tokens
        self.num_viable = num_viable
        self.max_checks = max_checks
        self.compiler = compiler
        self.dead_rows = dead_rows
        self.allow_empty = allow_empty
        special = {getattr(tokenizer, "pad_token_id", None), getattr(tokenizer, "unk_token_id", None)}
        special = special if mask_special else set()
        self.masked_special = sorted(i for i in special - set(eos) if isinstance(i, int) and i >= 0)
        """Token ids masked in every guided row: padding and unknown, unless one is end-of-sequence."""
        self._special = frozenset(self.masked_special)
        self.cache_size = cache_size
        self.stats = GuidedStats()
        self.unguided_prompts: set[int] = set()
        """Prompts whose prefix is already dead: nothing can be done for them, so they are left alone."""
        self._cache: OrderedDict[tuple[int, tuple[int, ...]], _Entry] = OrderedDict()

    # ------------------------------------------------------------------ the processor

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        R, V = scores.shape
        prompt_of_row = self._prompt_of_rows(R)
        self.stats.steps += 1
        k = min(self.max_checks, V)
        top = torch.topk(scores, k, dim=-1)  # (R, k)
        top_ids, top_values = top.indices.tolist(), top.values.tolist()
        rows = input_ids[:, self.skip_tokens :].tolist()  # R lists of generated token ids

        mask_rows: list[int] = []
        mask_cols: list[int] = []
        dead: list[int] = []
        for r in range(R):
            ids = tuple(rows[r])
            if self.eos_token_ids.intersection(ids):
                continue  # finished; Hugging Face pads it
            p = prompt_of_row[r]
            if p in self.unguided_prompts:
                continue
            entry = self._entry(p, ids)
            if entry is None:
                continue
            self.stats.rows += 1
            if entry.state.viability is Viability.DEAD:
                dead.append(r)
                continue
            found = 0
            judged: set[int] = set()
            for token, value in zip(top_ids[r], top_values[r], strict=True):
                if value == float("-inf"):
                    break
                if token in self._special:
                    continue  # masked below, whatever it would do
                self.stats.checked += 1
                judged.add(token)
                if self._allows(entry, p, ids, token):
                    found += 1
                    if found >= self.num_viable:
                        break
                else:
                    mask_rows.append(r)
                    mask_cols.append(token)
            if found == 0:
                self.stats.none_passed += 1
            # End-of-sequence is judged whatever its rank: beam search and sampling may pick a token ranked
            # below the checked ones, and ending on invalid code must never be one of them.
            for eos in self.eos_token_ids - judged:
                if eos < V and scores[r, eos] != float("-inf") and not self._allows(entry, p, ids, eos):
                    mask_rows.append(r)
                    mask_cols.append(eos)

        if not mask_rows and not dead and not self.masked_special:
            return scores
        scores = scores.clone()
        special = [i for i in self.masked_special if i < V]
        if special:
            guided = [r for r in range(R) if self._guided_row(rows[r], prompt_of_row[r])]
            if guided:
                scores[torch.tensor(guided)[:, None], torch.tensor(special)[None, :]] = float("-inf")
        if mask_rows:
            self.stats.masked += len(mask_rows)
            scores[mask_rows, mask_cols] = float("-inf")
        empty = [
            r
            for r in torch.isneginf(scores).all(dim=-1).nonzero().flatten().tolist()
            if self._guided_row(rows[r], prompt_of_row[r])
        ]
        for r in sorted(set(dead) | set(empty)):
            self._handle_dead_row(scores, r)
        return scores

    def _guided_row(self, ids: list[int], prompt: int) -> bool:
        return prompt not in self.unguided_prompts and not self.eos_token_ids.intersection(ids)

    def _handle_dead_row(self, scores: torch.FloatTensor, r: int) -> None:
        self.stats.dead_rows += 1
        eos = sorted(self.eos_token_ids)
        if self.dead_rows == "drop":
            scores[r] = float("-inf")
            return
        keep = scores[r, eos].clone()
        if torch.isneginf(keep).all():
            # An earlier processor forbids ending here (a minimum length): let the row run on.
            keep = torch.zeros_like(keep)
        scores[r] = float("-inf")
        scores[r, eos] = keep

    def _prompt_of_rows(self, R: int) -> list[int]:
        P = len(self.prefixes)
        if P == 1:
            return [0] * R
        if R % P:
            raise ValueError(
                f"SyntaxGuidedLogitsProcessor: expected the number of rows ({R}) to be a multiple of the "
                f"number of prefixes ({P}), one group of rows per prompt, found a remainder of {R % P}"
            )
        per = R // P
        return [r // per for r in range(R)]

    # ------------------------------------------------------------------ texts and verdicts

    def _allows(self, entry: _Entry, p: int, ids: tuple[int, ...], token: int) -> bool:
        if token in self.eos_token_ids:
            if entry.complete is None:
                generated = entry.text[len(self.prefixes[p]) :]
                entry.complete = (
                    entry.state.viability is Viability.VALID
                    and (self.allow_empty or bool(generated.strip()))
                    and check_syntax(entry.text, self.lang, compiler=self.compiler).valid
                )
            return entry.complete
        child = self._child(entry, p, ids, token)
        return child.state.viability is not Viability.DEAD

    def verdict(self, ids: Sequence[int], prompt: int = 0) -> Viability | None:
        """The verdict on a row's generated tokens (without the ``skip_tokens``), for tests and reports."""
        entry = self._entry(prompt, tuple(ids))
        return None if entry is None else entry.state.viability

    def _entry(self, p: int, ids: tuple[int, ...]) -> _Entry | None:
        """The entry of a token prefix, computed from its longest cached ancestor; None if unguided."""
        key = (p, ids)
        entry = self._cache.get(key)
        if entry is not None:
            self.stats.cache_hits += 1
            self._cache.move_to_end(key)
            return entry
        # Walk back to the longest cached ancestor (usually the parent), then forward.
        n = len(ids)
        while n > 0 and (p, ids[:n]) not in self._cache:
            n -= 1
        if n == 0 and (p, ()) not in self._cache:
            root = self._remember((p, ()), self._make_entry(self.prefixes[p], None))
            if root.state.viability is Viability.DEAD:
                self.unguided_prompts.add(p)
                return None
        entry = self._cache[(p, ids[:n])]
        for i in range(n, len(ids)):
            entry = self._child(entry, p, ids[:i], ids[i])
        return entry

    def _child(self, parent: _Entry, p: int, ids: tuple[int, ...], token: int) -> _Entry:
        key = (p, (*ids, token))
        entry = self._cache.get(key)
        if entry is not None:
            self.stats.cache_hits += 1
            self._cache.move_to_end(key)
            return entry
        text = self._extend_text(parent, p, ids, token)
        return self._remember(key, self._make_entry(text, parent))

    def _extend_text(self, parent: _Entry, p: int, ids: tuple[int, ...], token: int) -> str:
        """The text of ``ids + [token]``: the parent's text plus what the token adds when decoded after
        the last few tokens; a whole decode when that is not a clean extension (e.g. a UTF-8 character
        split over tokens)."""
        w = min(self._WINDOW, len(ids))
        tail = list(ids[len(ids) - w :])
        before = parent.tail_text.get(w)
        if before is None:
            before = parent.tail_text[w] = self._decode(tail)
        after = self._decode([*tail, token])
        if after.startswith(before) and "\ufffd" not in after:
            return parent.text + after[len(before) :]
        return self.prefixes[p] + self._decode([*ids, token])

    def _decode(self, ids: list[int]) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)

    def _make_entry(self, text: str, parent: _Entry | None) -> _Entry:
        state = self.checker.check(text.encode("utf-8"), None if parent is None else parent.state)
        return _Entry(text=text, state=state)

    def _remember(self, key: tuple[int, tuple[int, ...]], entry: _Entry) -> _Entry:
        self._cache[key] = entry
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return entry
