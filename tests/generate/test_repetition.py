"""Repetition controls in decoding (Hugging Face's ``no_repeat_ngram_size`` and ``repetition_penalty``): the
settings, and decoding with them, in ``graphcode generate`` and in the training module's ``predict`` / ``test``."""

from __future__ import annotations

import pytest

from graphcode.errors import ConfigError
from graphcode.generate.decoding import DecodingConfig, generate_candidates
from graphcode.training.module import GenerationSettings, TaskMetricsConfig

from .tiny import PAD, encode, tiny_model

PROMPTS = ["x=1\n", "def f( x):\n    return x+1\n"]

pytestmark = pytest.mark.usefixtures("one_thread")


def _repeats(tokens: tuple[int, ...] | list[int], n: int) -> bool:
    grams = [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
    return len(grams) != len(set(grams))


@pytest.mark.parametrize(("make", "message"), [
    (lambda: DecodingConfig(no_repeat_ngram_size=-1), r"decoding.no_repeat_ngram_size \(--no-repeat-ngram-size\): "
                                                      r"expected an integer >= 0, found -1"),
    (lambda: DecodingConfig(repetition_penalty=0), r"decoding.repetition_penalty \(--repetition-penalty\): "
                                                   r"expected a number > 0, found 0"),
    (lambda: GenerationSettings(no_repeat_ngram_size=2.5), r"generation.no_repeat_ngram_size: expected an integer >= 0"),
    (lambda: TaskMetricsConfig(repetition_penalty="high"), r"task_metrics.repetition_penalty: expected a number > 0"),
    (lambda: TaskMetricsConfig(length_penalty=1.5), r"task_metrics.length_penalty: expected 1.0 without beam search"),
    (lambda: GenerationSettings(num_beams=4, length_penalty="long"), r"generation.length_penalty: expected a finite "
                                                                     r"number, found 'long'"),
    (lambda: TaskMetricsConfig(num_beams=0), r"task_metrics.num_beams: expected an integer >= 1, found 0"),
    (lambda: TaskMetricsConfig(every_n_validations=-1), r"task_metrics.every_n_validations: expected an integer >= 0"),
])
def test_settings_are_checked(make, message):
    with pytest.raises(ConfigError, match=message):
        make()


def test_generate_kwargs_carry_the_controls_only_when_set():
    for settings in (DecodingConfig(), GenerationSettings(), TaskMetricsConfig()):
        kwargs = settings.generate_kwargs()
        assert "no_repeat_ngram_size" not in kwargs and "repetition_penalty" not in kwargs
    for settings in (DecodingConfig(no_repeat_ngram_size=4, repetition_penalty=1.2),
                     GenerationSettings(no_repeat_ngram_size=4, repetition_penalty=1.2),
                     TaskMetricsConfig(no_repeat_ngram_size=4, repetition_penalty=1.2, num_beams=5)):
        kwargs = settings.generate_kwargs()
        assert kwargs["no_repeat_ngram_size"] == 4 and kwargs["repetition_penalty"] == 1.2
    assert TaskMetricsConfig(num_beams=5).generate_kwargs()["num_beams"] == 5
    assert "length_penalty" not in TaskMetricsConfig().generate_kwargs()  # greedy: Hugging Face would warn
    assert TaskMetricsConfig(num_beams=5).generate_kwargs()["length_penalty"] == 1.0
    assert GenerationSettings(num_beams=5, length_penalty=2.0).generate_kwargs()["length_penalty"] == 2.0


@pytest.mark.parametrize("strategy", ["greedy", "beam"])
def test_no_candidate_repeats_an_ngram(strategy, tokenizer):
    """The random encoder-decoder loops (so the test bites); with the rule no candidate holds an n-gram twice. Greedy
    decoding is the same until the step where the free output first repeats one."""
    model = tiny_model("t5", tokenizer)
    batch = encode(tokenizer, PROMPTS, False)
    base = {"strategy": strategy, "num_candidates": 2 if strategy == "beam" else 1, "max_new_tokens": 16}
    free = generate_candidates(model, tokenizer, batch, DecodingConfig(**base))
    held = generate_candidates(model, tokenizer, batch, DecodingConfig(**base, no_repeat_ngram_size=2))
    assert any(_repeats(c.token_ids, 2) for per_prompt in free.candidates for c in per_prompt), \
        "the random model repeats a bigram without the rule"
    for per_free, per_held in zip(free.candidates, held.candidates, strict=True):
        assert not any(_repeats(c.token_ids, 2) for c in per_held)
        if strategy == "greedy":  # Hugging Face counts the decoder's start token (PAD here) as the first token
            a, b = (PAD, *per_free[0].token_ids), (PAD, *per_held[0].token_ids)
            first = next((j for j in range(len(a)) if _repeats(a[:j + 1], 2)), len(a))  # the step of a's first repeat
            assert b[:first] == a[:first] and (first == len(a) or b[first] != a[first])


def test_repetition_penalty_changes_a_looping_output(tokenizer):
    model = tiny_model("t5", tokenizer)
    batch = encode(tokenizer, PROMPTS, False)
    free = generate_candidates(model, tokenizer, batch, DecodingConfig(max_new_tokens=16))
    penalised = generate_candidates(model, tokenizer, batch, DecodingConfig(max_new_tokens=16, repetition_penalty=3.0))
    distinct = [len(set(c[0].token_ids)) for c in free.candidates]
    distinct_penalised = [len(set(c[0].token_ids)) for c in penalised.candidates]
    assert sum(distinct_penalised) > sum(distinct), "a strong penalty spreads the output over more tokens"
