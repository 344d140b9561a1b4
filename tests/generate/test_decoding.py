"""Decoding with tiny models: strategies, candidates, scores, and syntax-guided decoding end to end."""

from __future__ import annotations

import pytest
import torch
from torch.testing import assert_close

from graphcode.check import check_syntax
from graphcode.errors import ConfigError
from graphcode.generate.candidates import check_candidate
from graphcode.generate.decoding import DecodingConfig, generate_candidates
from graphcode.generate.prefix import PrefixChecker, Viability

from .tiny import EOS, encode, tiny_model, train_decoder_only

PROMPTS = ["x=1\n", "def f( x):\n"]


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"strategy": "top"}, r"decoding.strategy \(--strategy\): expected one of greedy, beam, sample"),
        ({"num_candidates": 2}, r"--num-candidates\): expected 1 with --strategy greedy"),
        ({"strategy": "beam", "num_candidates": 4, "num_beams": 2}, r"--num-beams\): expected an integer >= --num-candidates \(4\)"),
        ({"num_beams": 4}, r"--num-beams\): expected nothing with --strategy greedy"),
        ({"strategy": "sample", "temperature": 0}, r"--temperature\): expected a number > 0"),
        ({"strategy": "sample", "top_p": 1.5}, r"--top-p\): expected a number in \(0, 1\]"),
        ({"strategy": "sample", "top_k": -1}, r"--top-k\): expected an integer >= 0"),
        ({"strategy": "beam", "top_k": 5}, r"--top-k\): expected the default with --strategy beam"),
        ({"max_new_tokens": 0}, r"--max-new-tokens\): expected an integer >= 1"),
        ({"guided_max_checks": 2, "guided_num_viable": 3}, r"--guided-num-viable\): expected an integer in \[1, 2\]"),
        ({"length_penalty": 2.0}, r"--length-penalty\): expected 1.0 without beam search .*found 2.0 with one beam"),
        ({"strategy": "beam", "num_candidates": 2, "length_penalty": float("nan")},
         r"--length-penalty\): expected a finite number, found nan"),
    ],
)
def test_config_is_validated(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        DecodingConfig(**kwargs)


def test_config_to_generate_kwargs():
    beam = DecodingConfig(strategy="beam", num_candidates=3)
    assert beam.beams == beam.rows_per_prompt == 3 and beam.num_viable == 3
    assert beam.generate_kwargs()["num_beams"] == 3 and not beam.generate_kwargs()["do_sample"]
    sample = DecodingConfig(strategy="sample", num_candidates=5, top_k=4, temperature=0.7)
    kwargs = sample.generate_kwargs()
    assert kwargs["do_sample"] and kwargs["num_return_sequences"] == 5 and kwargs["top_k"] == 4
    assert sample.rows_per_prompt == 5 and sample.num_viable == 4 and sample.beams == 1
    assert DecodingConfig().num_viable == 1


@pytest.mark.parametrize("kind", ["gpt2", "t5"])
@pytest.mark.parametrize(
    "config",
    [
        DecodingConfig(max_new_tokens=6),
        DecodingConfig(strategy="beam", num_candidates=3, max_new_tokens=6),
        DecodingConfig(strategy="sample", num_candidates=4, max_new_tokens=6, top_k=5),
    ],
    ids=["greedy", "beam", "sample"],
)
@pytest.mark.parametrize("guided", [False, True], ids=["plain", "guided"])
def test_candidates_per_prompt(kind, config, guided, tokenizer):
    model = tiny_model(kind, tokenizer)
    config.guided = guided
    torch.manual_seed(0)
    out = generate_candidates(model, tokenizer, encode(tokenizer, PROMPTS, kind == "gpt2"), config, lang="python")
    assert len(out.candidates) == len(PROMPTS)
    assert all(len(c) == config.num_candidates for c in out.candidates)
    for per_prompt in out.candidates:
        for g in per_prompt:
            assert g.score <= 0 and g.score == g.score  # a mean log-probability, not NaN
            assert len(g.token_ids) <= config.max_new_tokens
            assert EOS not in g.token_ids[:-1]
            assert g.text == tokenizer.decode(list(g.token_ids), skip_special_tokens=True)
        if config.strategy == "beam":
            scores = [g.score for g in per_prompt]
            assert scores == sorted(scores, reverse=True)
    assert (out.guided is not None) == guided


def test_greedy_score_is_the_mean_log_probability(tokenizer):
    model = tiny_model("gpt2", tokenizer)
    batch = encode(tokenizer, ["x=1\n"], True)
    g = generate_candidates(model, tokenizer, batch, DecodingConfig(max_new_tokens=5)).candidates[0][0]
    ids = torch.cat([batch.input_ids[0], torch.tensor(g.token_ids)]).unsqueeze(0)  # (1, P + L)
    with torch.no_grad():
        logits = model.backbone(input_ids=ids).logits[0]  # (P + L, V)
    P = batch.input_ids.size(1)
    log_probs = torch.log_softmax(logits[P - 1 : -1], dim=-1)  # the predictions of the L generated tokens
    expected = log_probs.gather(1, torch.tensor(g.token_ids)[:, None]).mean()
    assert_close(torch.tensor(g.score, dtype=torch.float64), expected.double(), rtol=1e-4, atol=1e-4)


def _mean_log_prob_t5(model, batch, row: int, token_ids: tuple[int, ...]) -> torch.Tensor:
    """The mean log-probability of ``token_ids`` after prompt ``row`` under teacher forcing (the decoder starts from
    the model's start token)."""
    labels = torch.tensor([token_ids])  # (1, L)
    with torch.no_grad():
        logits = model.backbone(input_ids=batch.input_ids[row : row + 1],
                                attention_mask=batch.attention_mask[row : row + 1], labels=labels).logits[0]  # (L, V)
    return torch.log_softmax(logits.float(), dim=-1).gather(1, labels[0][:, None]).mean()


@pytest.mark.parametrize("length_penalty", [0.0, 1.0, 3.0])
def test_beam_score_is_the_mean_log_probability_whatever_the_length_penalty(length_penalty, tokenizer):
    """The length penalty picks the hypotheses; each candidate's score is still its mean log-probability."""
    model = tiny_model("t5", tokenizer)
    batch = encode(tokenizer, PROMPTS, False)
    config = DecodingConfig(strategy="beam", num_candidates=3, max_new_tokens=8, length_penalty=length_penalty)
    out = generate_candidates(model, tokenizer, batch, config)
    for row, per_prompt in enumerate(out.candidates):
        for g in per_prompt:
            expected = _mean_log_prob_t5(model, batch, row, g.token_ids)
            assert_close(torch.tensor(g.score, dtype=torch.float64), expected.double(), rtol=1e-4, atol=1e-4)


def test_a_higher_length_penalty_picks_longer_candidates(tokenizer):
    """A bias on end-of-sequence makes the tiny model's one-token output the likeliest in total and per token:
    ranked by log-probability / length (the default, 1.0) it wins; by / length ** 3 the full-length ones do."""
    model = tiny_model("t5", tokenizer, seed=0)
    head = model.backbone.lm_head
    biased = torch.nn.Linear(head.in_features, head.out_features, bias=True)
    with torch.no_grad():
        biased.weight.copy_(head.weight)
        biased.bias.zero_()
        biased.bias[EOS] = 3.0
    model.backbone.lm_head = biased
    batch = encode(tokenizer, PROMPTS, False)
    lengths = {}
    for penalty in (1.0, 3.0):
        config = DecodingConfig(strategy="beam", num_candidates=1, num_beams=4, max_new_tokens=12,
                                length_penalty=penalty)
        out = generate_candidates(model, tokenizer, batch, config)
        lengths[penalty] = [len(per_prompt[0].token_ids) for per_prompt in out.candidates]
    assert lengths == {1.0: [1, 1], 3.0: [12, 12]}


@pytest.mark.parametrize("strategy", ["greedy", "beam", "sample"])
def test_guided_outputs_are_never_dead_and_end_only_on_valid_code(strategy, tokenizer):
    model = tiny_model("gpt2", tokenizer, seed=1)
    train_decoder_only(model, tokenizer, steps=25)
    prompts = ["def", "x"]
    n = 1 if strategy == "greedy" else 4
    config = DecodingConfig(strategy=strategy, num_candidates=n, max_new_tokens=14, guided=True,
                            **({"top_k": 8, "temperature": 1.5} if strategy == "sample" else {}))
    torch.manual_seed(0)
    out = generate_candidates(model, tokenizer, encode(tokenizer, prompts, True), config, lang="python",
                              prefixes=prompts)
    checker = PrefixChecker("python")
    ended_invalid = 0
    for prompt, per_prompt in zip(prompts, out.candidates, strict=True):
        for g in per_prompt:
            code = prompt + g.text
            if g.token_ids and g.token_ids[-1] == EOS:
                ended_invalid += not check_syntax(code, "python").valid
            elif strategy != "beam":
                # cut at the length limit: still a viable prefix
                assert checker.check(code.encode()).viability is not Viability.DEAD, code
    # ending on invalid code happens only in a dead end (every next token masked), which is counted
    assert ended_invalid <= out.guided.dead_rows


def test_guided_decoding_is_at_least_as_valid_as_unguided(tokenizer):
    """Equal N, the same slightly trained model and prompts: post-hoc valid rate, guided >= unguided."""
    prompts = ["def", "x", "def f("]
    rates = {}
    for guided in (False, True):
        valid = total = 0
        for seed in (0, 1):
            model = tiny_model("gpt2", tokenizer, seed=seed)
            train_decoder_only(model, tokenizer, steps=30)
            config = DecodingConfig(strategy="sample", num_candidates=8, max_new_tokens=16, temperature=1.5,
                                    guided=guided)
            torch.manual_seed(123)
            out = generate_candidates(model, tokenizer, encode(tokenizer, prompts, True), config, lang="python",
                                      prefixes=prompts)
            for prompt, per_prompt in zip(prompts, out.candidates, strict=True):
                for g in per_prompt:
                    c = check_candidate(0, g.text, g.score, lang="python", prompt=prompt, task="completion",
                                        repair=False)
                    valid += c.valid
                    total += 1
        rates[guided] = valid / total
    assert rates[True] >= rates[False], rates
