"""The length limit that grows with the source (fairseq's max_len_a / max_len_b): the processor, and decoding with it."""

from __future__ import annotations

import math

import pytest
import torch

from graphcode.errors import ConfigError
from graphcode.generate.decoding import DecodingConfig, generate_candidates
from graphcode.generate.length import SourceLengthCap, length_caps
from graphcode.training.module import GenerationSettings, TaskMetricsConfig

from .tiny import EOS, encode, tiny_model

# Prompts of different lengths, so that each row has its own cap (1 + 2 tokens: 3 and 5 with max_len_a=0.5, b=1).
PROMPTS = ["x=1\n", "def f( x):\n    return x+1\n"]

pytestmark = pytest.mark.usefixtures("one_thread")


def test_caps_are_a_times_the_source_plus_b_rounded_down_and_at_least_one():
    assert length_caps(torch.tensor([0, 3, 10]), 1.5, 2).tolist() == [2, 6, 17]
    assert length_caps(torch.tensor([1, 2]), 0.1, 0).tolist() == [1, 1]


def test_a_row_at_its_cap_can_only_end_and_keeps_the_end_token_score():
    cap = SourceLengthCap(torch.tensor([2, 5]), 1.0, 1, eos_token_id=1, skip_tokens=1)  # caps 3 and 6
    scores = torch.randn(4, 6)  # 2 prompts x 2 beams
    ids = torch.zeros(4, 1 + 3, dtype=torch.long)  # the start token and 3 generated: the first prompt's cap
    out = cap(ids, scores.clone())
    for row in (0, 1):  # the first prompt's beams
        assert out[row, 1] == scores[row, 1]
        assert all(math.isinf(v) and v < 0 for k, v in enumerate(out[row].tolist()) if k != 1)
    assert torch.equal(out[2:], scores[2:]), "the second prompt (cap 6) is untouched"
    assert torch.equal(cap(ids[:, :3], scores.clone()), scores), "below every cap nothing changes"


def test_an_end_token_ruled_out_before_still_ends_a_row_at_its_cap():
    cap = SourceLengthCap(torch.tensor([1]), 1.0, 0, eos_token_id=1)
    scores = torch.tensor([[0.5, -math.inf, 0.2]])
    out = cap(torch.zeros(1, 1, dtype=torch.long), scores)
    assert out.tolist() == [[-math.inf, 0.0, -math.inf]]


def test_rows_must_be_a_multiple_of_the_prompts():
    cap = SourceLengthCap(torch.tensor([2, 5]), 1.0, eos_token_id=1)
    with pytest.raises(ValueError, match=r"expected the number of rows \(3\) to be a multiple of the number of prompts \(2\)"):
        cap(torch.zeros(3, 1, dtype=torch.long), torch.zeros(3, 4))


@pytest.mark.parametrize(("make", "message"), [
    (lambda: DecodingConfig(max_len_a=0), r"decoding.max_len_a \(--max-len-a\): expected a number > 0 or null"),
    (lambda: DecodingConfig(max_len_a=1.0, max_len_b=-1), r"decoding.max_len_b \(--max-len-b\): expected an integer >= 0"),
    (lambda: GenerationSettings(max_len_a=float("nan")), r"generation.max_len_a: expected a number > 0 or null \(no limit\), found nan"),
    (lambda: TaskMetricsConfig(max_len_b=1.5), r"task_metrics.max_len_b: expected an integer >= 0, found 1.5"),
    (lambda: SourceLengthCap(torch.tensor([1]), None, eos_token_id=1), r"SourceLengthCap.max_len_a: expected a number > 0"),
])
def test_settings_are_checked(make, message):
    with pytest.raises(ConfigError, match=message):
        make()


def _lengths(out) -> list[list[int]]:
    """Generated tokens before the end token, per candidate."""
    return [[len(g.token_ids) - (g.token_ids[-1:] == (EOS,)) for g in per_prompt] for per_prompt in out.candidates]


@pytest.mark.parametrize("kind", ["t5", "gpt2"])
def test_greedy_output_is_the_uncapped_output_cut_at_each_prompts_cap(kind, tokenizer):
    model = tiny_model(kind, tokenizer)
    batch = encode(tokenizer, PROMPTS, kind == "gpt2")
    caps = length_caps(batch.attention_mask.sum(dim=1), 0.5, 1).tolist()
    assert caps[0] < caps[1] < 12
    free = generate_candidates(model, tokenizer, batch, DecodingConfig(max_new_tokens=12))
    capped = generate_candidates(model, tokenizer, batch, DecodingConfig(max_new_tokens=12, max_len_a=0.5, max_len_b=1))
    for per_free, per_capped, limit in zip(free.candidates, capped.candidates, caps, strict=True):
        a, b = per_free[0].token_ids, per_capped[0].token_ids
        if len(a) - (a[-1:] == (EOS,)) <= limit:
            assert b == a, "an output within its cap is unchanged"
        else:
            assert b == (*a[:limit], EOS), "a longer one is cut at its cap and ends there"
    assert any(len(c[0].token_ids) > limit + 1 for c, limit in zip(free.candidates, caps, strict=True)), \
        "the random model runs past a cap, so the test cuts something"


@pytest.mark.parametrize("kind", ["t5", "gpt2"])
@pytest.mark.parametrize("config", [
    DecodingConfig(strategy="beam", num_candidates=3, max_new_tokens=12, max_len_a=0.5, max_len_b=1),
    DecodingConfig(strategy="sample", num_candidates=4, max_new_tokens=12, max_len_a=0.5, max_len_b=1),
], ids=["beam", "sample"])
def test_every_candidate_of_a_prompt_keeps_to_that_prompts_cap(kind, config, tokenizer):
    model = tiny_model(kind, tokenizer)
    batch = encode(tokenizer, PROMPTS, kind == "gpt2")
    caps = length_caps(batch.attention_mask.sum(dim=1), 0.5, 1).tolist()
    torch.manual_seed(0)
    lengths = _lengths(generate_candidates(model, tokenizer, batch, config))
    assert all(n <= cap for per_prompt, cap in zip(lengths, caps, strict=True) for n in per_prompt)
    assert max(lengths[1]) > caps[0], "the longer prompt's candidates are held to their own cap, not the shorter one's"
