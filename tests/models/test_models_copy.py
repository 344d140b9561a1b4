"""The copy head (pointer-generator): its mixture, the rows of beams, training and generating through the model."""

from __future__ import annotations

import dataclasses

import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from graphcode.errors import ConfigError
from graphcode.models.copy import (
    NO_TOKEN,
    CopyHead,
    CopySource,
    folded_token_keys,
    previous_tokens,
    tokens_before_next,
)


def _source() -> CopySource:
    states = torch.randn(2, 3, 8)  # (B, T, D)
    mask = torch.tensor([[1, 1, 1], [1, 1, 0]])
    ids = torch.tensor([[4, 4, 7], [5, 6, 0]])  # a repeated id, and padding (id 0) at the end of prompt 1
    return CopySource(states, mask, ids)


def _copying(examples):
    """The examples with targets that copy a run of their source tokens (then end, id 1)."""
    return [dataclasses.replace(e, target=[*e.input_ids[1:4], 1]) for e in examples]


def test_a_closed_gate_is_the_vocabulary_and_an_open_one_the_source():
    torch.manual_seed(0)
    head = CopyHead(8)
    hidden, logits, source = torch.randn(2, 4, 8), torch.randn(2, 4, 10), _source()
    with torch.no_grad():
        head.gate.weight.zero_()
        head.gate.bias.fill_(50.0)  # keep the vocabulary
        assert_close(head(hidden, logits, source), F.log_softmax(logits, dim=-1), rtol=1e-5, atol=1e-5)
        head.gate.bias.fill_(-50.0)  # copy only
        probs = head(hidden, logits, source).exp()  # (B, L, V)
    assert_close(probs.sum(-1), torch.ones(2, 4))
    assert probs[0, :, [4, 7]].sum(-1).allclose(torch.ones(4)), "prompt 0 copies only its ids 4 (twice) and 7"
    assert probs[1, :, [5, 6]].sum(-1).allclose(torch.ones(4)) and probs[1, :, 0].max() < 1e-6, "padding is not copied"


def test_the_mixture_is_a_distribution_for_any_gate():
    torch.manual_seed(1)
    head = CopyHead(8)
    torch.nn.init.normal_(head.gate.weight, std=1.0)
    out = head(torch.randn(2, 5, 8), torch.randn(2, 5, 10), _source())
    assert out.dtype == torch.float32 and torch.isfinite(out).all()
    assert_close(out.exp().sum(-1), torch.ones(2, 5))


def test_beam_rows_copy_from_their_own_prompt():
    source = _source()
    rows = source.rows(6)  # 3 beams per prompt, consecutive
    assert rows.token_ids.tolist() == [[4, 4, 7]] * 3 + [[5, 6, 0]] * 3
    assert torch.equal(rows.states[3], source.states[1])
    with pytest.raises(ValueError, match=r"expected the decoder rows \(5\) to be a multiple of the prompts \(2\)"):
        source.rows(5)


@pytest.mark.parametrize("graph", [True, False], ids=["graph", "no-graph"])
def test_the_loss_is_the_mixtures_negative_log_likelihood(graph, make_model, make_batch, examples):
    model = make_model("t5", "add+memory", graph=graph, copy=True)
    batch = make_batch(examples, decoder_only=False, graph=graph)
    out = model(batch)
    assert_close(out.logits.exp().sum(-1), torch.ones(out.logits.shape[:2]))  # log-probabilities
    assert_close(out.loss, F.nll_loss(out.logits.flatten(0, 1), batch.labels.flatten(), ignore_index=-100))
    out.loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.copy_head.parameters())
    plain = make_model("t5", "add+memory", graph=graph)
    assert plain.copy_head is None and not torch.allclose(plain(batch).loss, out.loss)


@pytest.mark.parametrize("graph", [True, False], ids=["graph", "no-graph"])
def test_generate_decodes_the_mixture(graph, make_model, make_batch, examples):
    """The first greedy token is the argmax of forward's mixture, and beam search runs over it with each beam
    copying from its own prompt."""
    model = make_model("t5", "add+memory", graph=graph, copy=True)
    with torch.no_grad():  # lean on copying, so that the mixture and the vocabulary disagree
        model.copy_head.gate.bias.fill_(-3.0)
    prompt = make_batch(examples, decoder_only=False, graph=graph)
    prompt.labels = None
    first = model.generate(prompt, max_new_tokens=1, do_sample=False)[:, -1]
    start = torch.zeros(2, 1, dtype=torch.long)  # the decoder start token
    assert torch.equal(first, model(prompt, decoder_input_ids=start).logits[:, -1].argmax(-1))
    assert set(first.tolist()) <= set(prompt.input_ids.flatten().tolist()), "a copy-heavy head copies"
    beams = model.generate(prompt, max_new_tokens=4, num_beams=3, num_return_sequences=2, do_sample=False)
    assert beams.shape[0] == 4
    assert model._copy_call is None, "the source is dropped after generating"


@pytest.mark.parametrize("graph", [True, False], ids=["graph", "no-graph"])
@pytest.mark.parametrize("extra", [{}, {"copy_coverage": 1.0}, {"copy_continuation": True},
                                   {"copy_continuation": True, "copy_continuation_tokens": 4}],
                         ids=["plain", "coverage", "continuation", "continuation-4"])
def test_the_loss_alone_equals_the_loss_of_the_full_mixture(graph, extra, make_model, make_batch, examples):
    """``logits=False`` (a training step) computes the loss in the output layer's call from the decoder's states:
    no (B, L, V) logits or mixture is kept for the backward pass, and its loss and gradients are the full one's."""
    # a vocabulary of 80, not the copy gate's input width 2 x 32: the check below looks for (..., V) tensors
    model = make_model("t5", "add+memory", graph=graph, copy=True, vocab_size=80, **extra)
    torch.nn.init.normal_(model.copy_head.gate.weight, std=1.0)
    batch = make_batch(_copying(examples), decoder_only=False, graph=graph)
    full = model(batch)
    dense = F.nll_loss(full.logits.flatten(0, 1), batch.labels.flatten(), ignore_index=-100)
    dense.backward()
    expected = {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}
    model.zero_grad()
    vocab = model.backbone.config.vocab_size
    saved: list[tuple[int, ...]] = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(tuple(t.shape)) or t, lambda t: t):
        light = model(batch, logits=False)
    assert light.logits is None
    assert not [s for s in saved if s and s[-1] == vocab], "no (..., V) tensor is kept for the backward pass"
    assert "forward" not in vars(model.backbone.get_output_embeddings()), "the output layer is itself again"
    assert_close(light.loss, dense)
    light.loss.backward()
    for name, p in model.named_parameters():
        if name in expected:
            assert_close(p.grad, expected[name], rtol=1e-4, atol=1e-6, msg=name)


def test_copy_needs_an_encoder_decoder(make_model):
    with pytest.raises(ConfigError, match=r"config.copy: expected an encoder-decoder backbone .* found a decoder-only"):
        make_model("gpt2", "prefix", copy=True)


def test_the_backbone_alone_cannot_run_the_copy_head(make_model, make_batch, examples):
    model = make_model("t5", "add+memory", graph=False, copy=True)
    batch = make_batch(examples, decoder_only=False, graph=False)
    with pytest.raises(RuntimeError, match="expected a copy source for the copy head"):
        model.backbone(input_ids=batch.input_ids, attention_mask=batch.attention_mask, labels=batch.labels)


# ---------------------------------------------------------------------------------------------------- coverage


def _coverage_head(weight: float = -3.0) -> CopyHead:
    torch.manual_seed(2)
    head = CopyHead(8, coverage=True)
    torch.nn.init.normal_(head.query.weight, std=0.5)
    torch.nn.init.normal_(head.key.weight, std=0.5)
    with torch.no_grad():
        head.coverage_weight.fill_(weight)
    return head


def test_coverage_is_the_attention_so_far_and_steers_away_from_it():
    head, source = _coverage_head(), _source()
    hidden = torch.randn(2, 1, 8).expand(2, 4, 8)  # the same state at every position: only coverage tells them apart
    read = head.attend(hidden, source)
    a = read.attention  # (B, L, T)
    assert torch.allclose(a.sum(-1), torch.ones(2, 4))
    assert a[1, :, 2].max() == 0, "padding is never attended"
    # by hand: position t's scores gain w * (the attention of the positions before it)
    scores = (head.query(hidden) @ head.key(source.states).transpose(1, 2) * head.scale).masked_fill(
        source.mask[:, None, :] == 0, float("-inf"))
    covered = torch.zeros(2, 3)
    for t in range(4):
        expected = torch.softmax(scores[:, t] - 3.0 * covered, dim=-1).nan_to_num(0.0)
        assert_close(a[:, t], expected)
        assert_close(read.overlap[:, t], torch.minimum(expected, covered).sum(-1))
        covered = covered + expected
    assert_close(read.coverage, covered)
    first = a[0, 0].argmax()
    assert a[0, 1, first] < a[0, 0, first], "a negative weight turns the attention away from what was copied"
    plain = CopyHead(8)
    plain.load_state_dict({k: v for k, v in head.state_dict().items() if k != "coverage_weight"})
    without = plain.attend(hidden, source)
    assert without.overlap is None and without.coverage is None
    assert torch.allclose(without.attention[:, 0], a[:, 0]) and torch.allclose(without.attention[:, 1], without.attention[:, 0])


def test_coverage_step_by_step_equals_the_whole_target_at_once():
    """What a decoding step does (one position, the coverage carried over) gives what the whole target gives."""
    head, source = _coverage_head(-1.5), _source()
    hidden, logits = torch.randn(2, 5, 8), torch.randn(2, 5, 10)
    whole, end = head.mix(hidden, logits, source)
    coverage, steps = None, []
    for t in range(5):
        out, coverage = head.mix(hidden[:, t : t + 1], logits[:, t : t + 1], source, coverage)
        steps.append(out)
    assert_close(torch.cat(steps, dim=1), whole)
    assert_close(coverage, end)


def test_coverage_weight_learns_from_the_coverage_loss():
    head, source = _coverage_head(0.0), _source()
    labels = torch.tensor([[4, 7, 4, -100], [5, 6, -100, -100]])
    loss = head.loss(torch.randn(2, 4, 8), torch.randn(2, 4, 10), source, labels)
    assert loss.coverage is not None and loss.coverage > 0
    loss.coverage.backward()
    assert head.coverage_weight.grad is not None and head.coverage_weight.grad > 0, \
        "the loss pays for attending again: it pushes the weight below 0"
    assert CopyHead(8).loss(torch.randn(2, 4, 8), torch.randn(2, 4, 10), source, labels).coverage is None


def _coverage_model(make_model, graph: bool, coverage: float = 1.0):
    model = make_model("t5", "add+memory", graph=graph, copy=True, copy_coverage=coverage)
    with torch.no_grad():  # lean on copying, with a strong coverage, so that the coverage changes the tokens
        model.copy_head.gate.bias.fill_(-3.0)
        model.copy_head.coverage_weight.fill_(-4.0)
        torch.nn.init.normal_(model.copy_head.query.weight, std=0.5)
        torch.nn.init.normal_(model.copy_head.key.weight, std=0.5)
    return model


@pytest.mark.parametrize("graph", [True, False], ids=["graph", "no-graph"])
def test_the_coverage_loss_is_added_in_training_only(graph, make_model, make_batch, examples):
    model = _coverage_model(make_model, graph, coverage=0.5)
    batch = make_batch(examples, decoder_only=False, graph=graph)
    evaluated = model(batch)
    assert_close(evaluated.loss, F.nll_loss(evaluated.logits.flatten(0, 1), batch.labels.flatten(), ignore_index=-100))
    assert evaluated.copy_coverage > 0
    model.train()
    torch.manual_seed(0)
    full = model(batch)  # the same dropout draws twice: the mixture's likelihood, then the training step's loss
    torch.manual_seed(0)
    trained = model(batch, logits=False)
    likelihood = F.nll_loss(full.logits.flatten(0, 1), batch.labels.flatten(), ignore_index=-100)
    assert_close(trained.loss, likelihood + 0.5 * full.copy_coverage)
    assert_close(full.loss, trained.loss)
    trained.loss.backward()
    assert model.copy_head.coverage_weight.grad is not None


@pytest.mark.parametrize("graph", [True, False], ids=["graph", "no-graph"])
def test_generate_with_coverage_decodes_what_forward_scores(graph, make_model, make_batch, examples):
    """Greedy tokens are forward's argmax on the tokens before them; beam search with the cache (coverage carried
    and reordered with the beams) gives what beam search without a cache (coverage from scratch every step) gives."""
    model = _coverage_model(make_model, graph)
    prompt = make_batch(examples, decoder_only=False, graph=graph)
    prompt.labels = None
    greedy = model.generate(prompt, max_new_tokens=8, min_new_tokens=8, do_sample=False)
    logits = model(prompt, decoder_input_ids=greedy[:, :-1]).logits
    assert torch.equal(logits.argmax(-1), greedy[:, 1:])
    plain = make_model("t5", "add+memory", graph=graph, copy=True)
    plain.load_state_dict({k: v for k, v in model.state_dict().items() if k != "copy_head.coverage_weight"})
    assert not torch.equal(plain.generate(prompt, max_new_tokens=8, min_new_tokens=8, do_sample=False), greedy), \
        "the coverage changes what is decoded"
    kwargs = dict(max_new_tokens=8, num_beams=4, num_return_sequences=2, do_sample=False)
    cached = model.generate(prompt, **kwargs)
    assert torch.equal(cached, model.generate(prompt, use_cache=False, **kwargs))


def test_beam_search_with_coverage_needs_graphcodes_cache(make_model, make_batch, examples):
    from transformers import DynamicCache, EncoderDecoderCache

    model = _coverage_model(make_model, graph=False)
    prompt = make_batch(examples, decoder_only=False, graph=False)
    prompt.labels = None
    cache = EncoderDecoderCache(DynamicCache(), DynamicCache())
    with pytest.raises(ValueError, match=r"coverage or continuation expected graphcode's StaticMemoryCache .* found EncoderDecoderCache"):
        model.generate(prompt, max_new_tokens=3, num_beams=2, past_key_values=cache)


def test_copy_coverage_is_checked():
    from graphcode.models import GraphCodeConfig

    backbone = {"model_type": "t5"}
    with pytest.raises(ConfigError, match=r"config.copy_coverage: expected a number >= 0, found -1"):
        GraphCodeConfig(backbone=backbone, copy=True, copy_coverage=-1)
    with pytest.raises(ConfigError, match=r"config.copy_coverage: expected 0 without the copy head"):
        GraphCodeConfig(backbone=backbone, copy_coverage=1.0)
    assert GraphCodeConfig(backbone=backbone, copy=True, copy_coverage=1).copy_coverage == 1.0


# ------------------------------------------------------------------------------------------------ continuation


def test_previous_tokens_are_the_decoder_inputs_and_the_ones_before():
    ids = torch.tensor([[0, 7, 8], [0, 9, 9]])  # (R, L): the decoder start token, then the target so far
    assert previous_tokens(ids).tolist() == [[[0, NO_TOKEN], [7, 0], [8, 7]], [[0, NO_TOKEN], [9, 0], [9, 9]]]
    step = previous_tokens(torch.tensor([[8], [3]]), before=torch.tensor([[7], [9]]))  # one decoding step
    assert step.tolist() == [[[8, 7]], [[3, 9]]]
    assert previous_tokens(ids, K=3)[0].tolist() == [[0, NO_TOKEN, NO_TOKEN], [7, 0, NO_TOKEN], [8, 7, 0]]
    step = previous_tokens(torch.tensor([[8, 5]]), before=torch.tensor([[6, 7]]), K=3)  # a call after two tokens
    assert step.tolist() == [[[8, 7, 6], [5, 8, 7]]]
    assert previous_tokens(ids, K=1).tolist() == ids[..., None].tolist()
    with pytest.raises(ValueError, match=r"expected the inputs before the call of shape \(2, 2\), found \(2, 1\)"):
        previous_tokens(ids, before=torch.tensor([[7], [9]]), K=3)


def test_the_tokens_before_the_next_call_are_the_last_inputs_oldest_first():
    assert tokens_before_next(torch.tensor([[0, 7, 8]]), None, K=3).tolist() == [[7, 8]]
    assert tokens_before_next(torch.tensor([[0]]), None, K=3).tolist() == [[NO_TOKEN, 0]], "the target's start"
    assert tokens_before_next(torch.tensor([[5]]), torch.tensor([[7, 8]]), K=3).tolist() == [[8, 5]]
    assert tokens_before_next(torch.tensor([[5]]), torch.tensor([[7]]), K=2).tolist() == [[5]]
    assert tokens_before_next(torch.tensor([[5]]), None, K=1).shape == (1, 0)


def test_continuation_points_where_the_target_goes_on_in_the_source():
    head = CopyHead(8, continuation=True)
    ids = torch.tensor([[3, 4, 5, 9, 4, 6]])  # source token 4 twice: after "3 4" comes 5, after "9 4" comes 6
    source = CopySource(torch.randn(1, 6, 8), torch.ones(1, 6, dtype=torch.long), ids)
    assert source.predecessors()[0].tolist() == [[-2, -2], [3, -2], [4, 3], [5, 4], [9, 5], [4, 9]]
    with torch.no_grad():
        head.continuation_weight.copy_(torch.tensor([1.5, 2.0]))
    previous = torch.tensor([[[4, 3], [4, 9], [4, NO_TOKEN], [7, NO_TOKEN]]])  # (R, L, 2)
    bias = head.continuation(source, previous)  # (1, 4, 6)
    assert bias[0].tolist() == [[0, 0, 3.5, 0, 0, 1.5],   # after "3 4": 5 (both tokens match), 6 (the last only)
                                [0, 0, 1.5, 0, 0, 3.5],   # after "9 4": 6
                                [0, 0, 1.5, 0, 0, 1.5],   # after "4", the target's first token: both alike
                                [0] * 6]                  # after a token the source lacks: no hint
    with torch.no_grad():  # content says nothing: the attention follows the continuation alone
        head.query.weight.zero_()
    attention = head.attend(torch.randn(1, 4, 8), source, previous=previous).attention
    assert attention[0, :2].argmax(-1).tolist() == [2, 5]
    assert_close(attention[0, 3], torch.full((6,), 1 / 6))
    with pytest.raises(ValueError, match=r"expected the target tokens before each position .* found none"):
        head.attend(torch.randn(1, 4, 8), source)


def test_longer_continuations_tell_apart_phrases_that_the_source_holds_twice():
    """``f ( in ) ; g ( in )``: after "( in" both ``)`` continue; after "f ( in" only the first one does."""
    head = CopyHead(8, continuation=True, continuation_tokens=3)
    ids = torch.tensor([[11, 12, 13, 14, 15, 21, 12, 13, 14]])  # f ( in ) ; g ( in )
    source = CopySource(torch.randn(1, 9, 8), torch.ones(1, 9, dtype=torch.long), ids)
    assert source.predecessors(3)[0, 3].tolist() == [13, 12, 11] and source.predecessors(3)[0, 0].tolist() == [-2] * 3
    previous = previous_tokens(torch.tensor([[0, 11, 12, 13]]), K=3)[:, -1:]  # the target wrote "f ( in"
    bias = head.continuation(source, previous)[0, 0]
    assert bias[3] == 3.0 and bias[8] == 2.0, "the first ')' follows all three tokens, the second only two"
    two = CopyHead(8, continuation=True)
    assert two.continuation(source, previous[..., :2])[0, 0, 3] == two.continuation(source, previous[..., :2])[0, 0, 8]
    with pytest.raises(ValueError, match=r"expected previous of shape \(R, L, 3\), found \(1, 1, 2\)"):
        head.continuation(source, previous[..., :2])
    with pytest.raises(ValueError, match=r"expected continuation_tokens from 1 to 8, found 9"):
        CopyHead(8, continuation=True, continuation_tokens=9)


def test_continuation_weights_learn_from_the_loss():
    torch.manual_seed(0)
    head = CopyHead(8, continuation=True)
    with torch.no_grad():
        head.gate.bias.fill_(-5.0)  # copy
    ids = torch.tensor([[3, 4, 5, 9, 4, 6]])
    source = CopySource(torch.randn(1, 6, 8), torch.ones(1, 6, dtype=torch.long), ids)
    decoder_ids = torch.tensor([[0, 3, 4]])
    labels = torch.tensor([[3, 4, 5]])  # copies "3 4 5" in order
    loss = head.loss(torch.randn(1, 3, 8), torch.randn(1, 3, 10), source, labels, previous_tokens(decoder_ids))
    loss.nll.backward()
    assert (head.continuation_weight.grad < 0).all(), "copying in order raises both weights"


def _continuation_model(make_model, graph: bool, K: int = 2):
    model = make_model("t5", "add+memory", graph=graph, copy=True, copy_continuation=True,
                       copy_continuation_tokens=K)
    with torch.no_grad():  # lean on copying, with strong continuation weights, so that they change the tokens
        model.copy_head.gate.bias.fill_(-3.0)
        model.copy_head.continuation_weight.fill_(4.0)
    return model


@pytest.mark.parametrize("graph", [True, False], ids=["graph", "no-graph"])
def test_the_loss_with_continuation_is_the_mixtures_likelihood(graph, make_model, make_batch, examples):
    model = _continuation_model(make_model, graph)
    batch = make_batch(_copying(examples), decoder_only=False, graph=graph)
    full = model(batch)
    assert_close(full.loss, F.nll_loss(full.logits.flatten(0, 1), batch.labels.flatten(), ignore_index=-100))
    light = model(batch, logits=False)
    assert_close(light.loss, full.loss)
    light.loss.backward()
    assert model.copy_head.continuation_weight.grad.abs().sum() > 0
    plain = make_model("t5", "add+memory", graph=graph, copy=True)
    plain.load_state_dict({k: v for k, v in model.state_dict().items() if k != "copy_head.continuation_weight"})
    assert not torch.allclose(plain(batch).loss, full.loss), "the continuation changes the likelihood"


@pytest.mark.parametrize(("graph", "K"), [(True, 2), (False, 2), (False, 3)], ids=["graph", "no-graph", "no-graph-3"])
def test_generate_with_continuation_decodes_what_forward_scores(graph, K, make_model, make_batch, examples):
    """Greedy tokens (each step with the K - 1 tokens before it carried over) are forward's argmax on the whole
    target; beam search with the cache (those tokens reordered with the beams) gives what beam search without a cache
    gives."""
    model = _continuation_model(make_model, graph, K)
    prompt = make_batch(examples, decoder_only=False, graph=graph)
    prompt.labels = None
    greedy = model.generate(prompt, max_new_tokens=8, min_new_tokens=8, do_sample=False)
    logits = model(prompt, decoder_input_ids=greedy[:, :-1]).logits
    assert torch.equal(logits.argmax(-1), greedy[:, 1:])
    plain = make_model("t5", "add+memory", graph=graph, copy=True)
    plain.load_state_dict({k: v for k, v in model.state_dict().items() if k != "copy_head.continuation_weight"})
    assert not torch.equal(plain.generate(prompt, max_new_tokens=8, min_new_tokens=8, do_sample=False), greedy), \
        "the continuation changes what is decoded"
    with torch.no_grad():  # longer matches count more: each beam must carry its own K - 1 tokens before the step
        model.copy_head.continuation_weight.copy_(torch.tensor([0.0] * (K - 2) + [4.0, 8.0]))
    kwargs = dict(max_new_tokens=8, num_beams=4, num_return_sequences=2, do_sample=False)
    cached = model.generate(prompt, **kwargs)
    assert torch.equal(cached, model.generate(prompt, use_cache=False, **kwargs))
    assert model._copy_call is None


@pytest.mark.parametrize("use_cache", [True, False], ids=["cached", "uncached"])
def test_generation_carries_the_tokens_a_long_match_needs_from_step_to_step(use_cache, make_model):
    """Source ``a a b c x b c y``: after ``a b c`` only ``x`` follows all three tokens. A decoding step with a cache
    sees only its own input (``c``): the ``K - 1 = 2`` tokens before it (``a b``) come from the calls before."""
    model = make_model("t5", "add+memory", graph=False, copy=True, copy_continuation=True, copy_continuation_tokens=3)
    with torch.no_grad():  # copy, by the continuation alone: w = (1, 1, 8)
        model.copy_head.gate.bias.fill_(-30.0)
        model.copy_head.query.weight.zero_()
        model.copy_head.continuation_weight.copy_(torch.tensor([1.0, 1.0, 8.0]))
    a, b, c, x, y = 5, 6, 7, 9, 8  # y < x: a tie (no third token seen) would pick y
    source = torch.tensor([[a, a, b, c, x, b, c, y]])
    out = model.generate(input_ids=source, attention_mask=torch.ones_like(source), max_new_tokens=4,
                         decoder_input_ids=torch.tensor([[0, a, a, b]]), do_sample=False, use_cache=use_cache)
    assert out[0, 4:].tolist() == [c, x, b, c], "after a b c comes x, then the phrase goes on"


def test_copy_continuation_is_checked():
    from graphcode.models import GraphCodeConfig

    backbone = {"model_type": "t5"}
    with pytest.raises(ConfigError, match=r"config.copy_continuation: expected true or false, found 'yes'"):
        GraphCodeConfig(backbone=backbone, copy=True, copy_continuation="yes")
    with pytest.raises(ConfigError, match=r"config.copy_continuation: expected false without the copy head"):
        GraphCodeConfig(backbone=backbone, copy_continuation=True)
    assert GraphCodeConfig(backbone=backbone, copy=True, copy_continuation=True).copy_continuation
    with pytest.raises(ConfigError, match=r"config.copy_continuation_tokens: expected an integer from 1 to 8, "
                                          r"found 0"):
        GraphCodeConfig(backbone=backbone, copy=True, copy_continuation=True, copy_continuation_tokens=0)
    with pytest.raises(ConfigError, match=r"config.copy_continuation_tokens: expected 2 \(the default\) without the "
                                          r"continuation"):
        GraphCodeConfig(backbone=backbone, copy=True, copy_continuation_tokens=4)
    config = GraphCodeConfig(backbone=backbone, copy=True, copy_continuation=True, copy_continuation_tokens=4)
    assert GraphCodeConfig.from_dict(config.to_dict()).copy_continuation_tokens == 4


def test_folded_keys_join_tokens_that_differ_in_case_or_leading_space():
    keys = folded_token_keys(["<pad>", "get", "\u0120Get", "Member", "GET", "\u0120", "\u2581member"], vocab_size=9)
    assert keys.tolist() == [0, 1, 1, 2, 1, 3, 2, 4, 5], "get/Get/GET one key, Member/member another; 7, 8 their own"


def test_continuation_ignoring_case_goes_on_after_a_name_whose_case_changed():
    head = CopyHead(8, continuation=True)
    ids = torch.tensor([[1, 3, 4]])  # source: "get" "Member" "("
    source = CopySource(torch.randn(1, 3, 8), torch.ones(1, 3, dtype=torch.long), ids)
    previous = torch.tensor([[[2, NO_TOKEN]]])  # the target has just written "Get"
    assert head.continuation(source, previous).sum() == 0, "by id, Get is not get"
    head.fold_tokens(folded_token_keys(["<pad>", "get", "Get", "Member", "("]))
    assert head.continuation(source, previous)[0, 0].tolist() == [0.0, 1.0, 0.0], "ignoring case: Member goes on"
    with pytest.raises(ValueError, match=r"expected the token keys as a \(V,\) tensor of ids >= 0"):
        head.fold_tokens(torch.tensor([0, -1]))


def _word_tokenizer(words: list[str]):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    raw = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    raw.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=raw, pad_token="<pad>", eos_token="</s>", unk_token="<unk>")


def test_a_model_ignoring_case_folds_its_tokenizers_tokens_and_keeps_doing_so_when_loaded(tmp_path):
    from graphcode.models import GraphCodeConfig, GraphCodeModel
    from tests.models.conftest import BACKBONES

    config = GraphCodeConfig(backbone=dict(BACKBONES["t5"]), graph=False, copy=True, copy_continuation=True,
                             copy_continuation_ignore_case=True)
    with pytest.raises(ConfigError, match=r"copy_continuation_ignore_case: expected a tokenizer .* found none"):
        GraphCodeModel(config)
    model = GraphCodeModel(config, tokenizer=_word_tokenizer(["<pad>", "</s>", "<unk>", "get", "Get", "Member"]))
    keys = model.copy_head.token_keys
    assert keys.shape == (64,) and keys[3] == keys[4] != keys[5] and len(set(keys[6:].tolist())) == 58
    model.save_pretrained(tmp_path / "ckpt")
    assert torch.equal(GraphCodeModel.from_pretrained(tmp_path / "ckpt").copy_head.token_keys, keys)
    assert "copy_head.token_keys" not in model.state_dict(), "derived from the tokenizer, not saved as a weight"


def test_copy_continuation_ignore_case_is_checked():
    from graphcode.models import GraphCodeConfig

    backbone = {"model_type": "t5"}
    with pytest.raises(ConfigError, match=r"config.copy_continuation_ignore_case: expected false without the "
                                          r"continuation"):
        GraphCodeConfig(backbone=backbone, copy=True, copy_continuation_ignore_case=True)
    with pytest.raises(ConfigError, match=r"config.copy_continuation_ignore_case: expected true or false, found 1"):
        GraphCodeConfig(backbone=backbone, copy=True, copy_continuation=True, copy_continuation_ignore_case=1)
