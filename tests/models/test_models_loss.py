"""The loss of a linear output layer without its logits (graphcode.models.loss), and the model's use of it."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from graphcode.errors import ConfigError
from graphcode.models.loss import linear_cross_entropy


def _inputs(n: int = 50, d: int = 12, v: int = 40, bias: bool = True, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    hidden = torch.randn(n, d, generator=g, requires_grad=True)
    weight = torch.randn(v, d, generator=g, requires_grad=True)
    b = torch.randn(v, generator=g, requires_grad=True) if bias else None
    labels = torch.randint(0, v, (n,), generator=g)
    labels[::4] = -100
    return hidden, weight, b, labels


def _grads(loss: torch.Tensor, *tensors: torch.Tensor | None) -> list[torch.Tensor]:
    present = [t for t in tensors if t is not None]
    return list(torch.autograd.grad(loss, present))


@pytest.mark.parametrize("chunk_rows", [1, 7, 50, 1024])
@pytest.mark.parametrize("bias", [True, False])
def test_loss_and_gradients_are_those_of_the_full_logits(chunk_rows: int, bias: bool) -> None:
    hidden, weight, b, labels = _inputs(bias=bias)
    expected = F.cross_entropy(F.linear(hidden, weight, b), labels, ignore_index=-100)
    got = linear_cross_entropy(hidden, weight, b, labels, chunk_rows=chunk_rows)
    assert_close(got, expected)
    for g, e in zip(_grads(3.0 * got, hidden, weight, b), _grads(3.0 * expected, hidden, weight, b), strict=True):
        assert_close(g, e, rtol=1e-5, atol=1e-6)


def test_under_bf16_autocast_it_computes_as_autocast_would() -> None:
    """Products in bfloat16, the softmax in float32: the loss is autocast's, the gradients within bfloat16's error."""
    hidden, weight, _, labels = _inputs(n=64, d=32, v=100, bias=False)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        expected = F.cross_entropy(F.linear(hidden, weight), labels, ignore_index=-100)
        got = linear_cross_entropy(hidden, weight, None, labels, chunk_rows=16)
    assert got.dtype == torch.float32
    assert_close(got, expected, rtol=1e-3, atol=1e-3)
    for g, e in zip(_grads(got, hidden, weight), _grads(expected, hidden, weight), strict=True):
        assert (g - e).abs().max() <= 2e-2 * e.abs().max()


def test_batched_states_and_no_scored_label() -> None:
    hidden, weight, b, labels = _inputs(n=24)
    got = linear_cross_entropy(hidden.reshape(4, 6, -1), weight, b, labels.reshape(4, 6))
    assert_close(got, F.cross_entropy(F.linear(hidden, weight, b), labels, ignore_index=-100))
    nothing = linear_cross_entropy(hidden, weight, b, torch.full_like(labels, -100))
    assert torch.isnan(nothing), "a mean of nothing, as F.cross_entropy gives"
    assert all(g.abs().sum() == 0 for g in _grads(nothing.nan_to_num(0.0), hidden, weight, b))


@pytest.mark.parametrize("chunk_rows", [1, 7, 1024])
def test_a_copy_mixture_gets_its_likelihood_and_gradients(chunk_rows: int) -> None:
    """With a copy head's gate ``keep`` and copy probabilities ``copied``: -log(k softmax_y + (1 - k) c), and the
    gradients of every input, the gate's and the copy's included."""
    hidden, weight, b, labels = _inputs()
    g = torch.Generator().manual_seed(1)
    keep = torch.rand(labels.shape, generator=g).requires_grad_()
    copied = (torch.rand(labels.shape, generator=g) * (torch.rand(labels.shape, generator=g) > 0.5)).requires_grad_()
    vocab = F.softmax(F.linear(hidden, weight, b), dim=-1).gather(1, labels.clamp_min(0)[:, None]).squeeze(1)
    nll = -torch.log(keep * vocab + (1 - keep) * copied + torch.finfo(torch.float32).tiny)
    expected = nll[labels != -100].mean()
    got = linear_cross_entropy(hidden, weight, b, labels, chunk_rows=chunk_rows, keep=keep, copied=copied)
    assert_close(got, expected)
    inputs = (hidden, weight, b, keep, copied)
    for found, want in zip(_grads(2.0 * got, *inputs), _grads(2.0 * expected, *inputs), strict=True):
        assert_close(found, want, rtol=1e-5, atol=1e-6)
    with torch.no_grad():  # the gate shut on the vocabulary: the plain cross-entropy
        keep.fill_(1.0)
    assert_close(linear_cross_entropy(hidden, weight, b, labels, keep=keep, copied=copied),
                 F.cross_entropy(F.linear(hidden, weight, b), labels, ignore_index=-100))


@pytest.mark.parametrize("chunk_rows", [1, 7, 1024])
@pytest.mark.parametrize("eps", [0.1, 0.5])
def test_label_smoothing_is_that_of_f_cross_entropy(chunk_rows: int, eps: float) -> None:
    hidden, weight, b, labels = _inputs()
    expected = F.cross_entropy(F.linear(hidden, weight, b), labels, ignore_index=-100, label_smoothing=eps)
    got = linear_cross_entropy(hidden, weight, b, labels, chunk_rows=chunk_rows, label_smoothing=eps)
    assert_close(got, expected)
    assert not torch.allclose(got, linear_cross_entropy(hidden, weight, b, labels)), "smoothing changes the loss"
    for g, e in zip(_grads(3.0 * got, hidden, weight, b), _grads(3.0 * expected, hidden, weight, b), strict=True):
        assert_close(g, e, rtol=1e-5, atol=1e-6)


def test_label_smoothing_of_a_copy_mixture_smooths_the_vocabulary() -> None:
    """(1 - eps) -log(k softmax_y + (1 - k) c) + eps mean_v -log softmax_v, and every input's gradient."""
    hidden, weight, b, labels = _inputs()
    g = torch.Generator().manual_seed(2)
    keep = torch.rand(labels.shape, generator=g).requires_grad_()
    copied = torch.rand(labels.shape, generator=g).requires_grad_()
    log_p = F.log_softmax(F.linear(hidden, weight, b), dim=-1)
    vocab = log_p.exp().gather(1, labels.clamp_min(0)[:, None]).squeeze(1)
    nll = -torch.log(keep * vocab + (1 - keep) * copied + torch.finfo(torch.float32).tiny)
    counted = labels != -100
    expected = (0.8 * nll - 0.2 * log_p.mean(dim=-1))[counted].mean()
    got = linear_cross_entropy(hidden, weight, b, labels, chunk_rows=7, keep=keep, copied=copied, label_smoothing=0.2)
    assert_close(got, expected)
    inputs = (hidden, weight, b, keep, copied)
    for found, want in zip(_grads(got, *inputs), _grads(expected, *inputs), strict=True):
        assert_close(found, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("eps", [-0.1, 1.0, True, "0.1"])
def test_label_smoothing_out_of_range_is_named(eps) -> None:
    hidden, weight, b, labels = _inputs()
    with pytest.raises(ConfigError, match=r"linear_cross_entropy.label_smoothing: expected a number in \[0, 1\), "
                                          r"found"):
        linear_cross_entropy(hidden, weight, b, labels, label_smoothing=eps)


def test_mismatched_shapes_are_named() -> None:
    hidden, weight, b, labels = _inputs()
    with pytest.raises(ValueError, match=r"labels: expected the shape of hidden without its last dimension"):
        linear_cross_entropy(hidden, weight, b, labels[:-1])
    with pytest.raises(ValueError, match=r"weight: expected \(V, 12\), found \(40, 11\)"):
        linear_cross_entropy(hidden, weight[:, :11], b, labels)
    with pytest.raises(ValueError, match=r"chunk_rows: expected an integer >= 1, found 0"):
        linear_cross_entropy(hidden, weight, b, labels, chunk_rows=0)
    with pytest.raises(ValueError, match=r"keep, copied: expected both \(a copy mixture\) or neither, found keep alone"):
        linear_cross_entropy(hidden, weight, b, labels, keep=torch.ones(50))
    with pytest.raises(ValueError, match=r"copied: expected the shape of labels, \(50,\), found \(49,\)"):
        linear_cross_entropy(hidden, weight, b, labels, keep=torch.ones(50), copied=torch.ones(49))


@pytest.mark.parametrize("graph", [True, False], ids=["graph", "no-graph"])
def test_a_t5_step_gets_the_full_loss_and_gradients_without_logits(graph, make_model, make_batch, examples) -> None:
    model = make_model("t5", "add+memory", graph=graph)
    batch = make_batch(examples, decoder_only=False, graph=graph)
    full = model(batch)
    assert full.logits is not None
    full.loss.backward()
    expected = {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}
    model.zero_grad()
    vocab = model.backbone.config.vocab_size
    saved: list[tuple[int, ...]] = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(tuple(t.shape)) or t, lambda t: t):
        light = model(batch, logits=False)
    assert light.logits is None
    assert not [s for s in saved if s[-1] == vocab], "no (..., V) tensor is kept for the backward pass"
    assert_close(light.loss, full.loss)
    light.loss.backward()
    assert expected.keys() == {name for name, p in model.named_parameters() if p.grad is not None}
    for name, p in model.named_parameters():
        if name in expected:
            assert_close(p.grad, expected[name], rtol=1e-4, atol=1e-6, msg=name)
    head = model.backbone.get_output_embeddings()
    assert "forward" not in vars(head), "the output layer is itself again"
    assert model(batch).logits.shape[-1] == vocab


def test_the_output_layer_is_restored_when_the_backbone_fails(make_model, make_batch, examples,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    model = make_model("t5", "add+memory", graph=False)
    batch = make_batch(examples, decoder_only=False, graph=False)

    def fail(*args, **kwargs):
        raise RuntimeError("the decoder failed")

    monkeypatch.setattr(model.backbone.decoder, "forward", fail)
    with pytest.raises(RuntimeError, match="the decoder failed"):
        model(batch, logits=False)
    assert "forward" not in vars(model.backbone.get_output_embeddings())


def test_a_decoder_only_backbone_keeps_its_own_loss(make_model, make_batch, examples) -> None:
    model = make_model("gpt2", "prefix")
    batch = make_batch(examples, decoder_only=True)
    light = model(batch, logits=False)
    assert light.logits is not None
    assert_close(light.loss, model(batch).loss)


def test_a_backbone_that_skips_its_output_layer_is_named(make_model, make_batch, examples,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The loss is taken inside the output layer's call (where FSDP has its weight whole): a backbone whose forward
    never calls that layer gives no loss, and says so rather than returning a wrong one."""
    model = make_model("t5", "add+memory", graph=False)
    batch = make_batch(examples, decoder_only=False, graph=False)
    monkeypatch.setattr(model.backbone, "forward", lambda **kwargs: None)
    with pytest.raises(RuntimeError, match=r"T5ForConditionalGeneration: expected its output layer to run once, "
                                           r"found 0 calls"):
        model(batch, logits=False)
    assert "forward" not in vars(model.backbone.get_output_embeddings())


@pytest.mark.parametrize(("backbone", "graph", "copy"), [("t5", True, False), ("t5", False, False),
                                                        ("t5", True, True), ("t5", False, True),
                                                        ("gpt2", True, False), ("gpt2", False, False)],
                         ids=["t5-graph", "t5", "t5-graph-copy", "t5-copy", "gpt2-graph", "gpt2"])
def test_label_smoothing_applies_in_training_only_with_or_without_logits(backbone, graph, copy, make_model,
                                                                          make_batch, examples) -> None:
    """In training mode every path's loss is smoothed alike (the backbone's own loss, the loss without logits, the
    copy head's with and without them), with the same gradients; in evaluation mode it is the likelihood alone."""
    decoder_only = backbone == "gpt2"
    model = make_model(backbone, "prefix" if decoder_only else "add+memory", graph=graph, copy=copy, vocab_size=80)
    if copy:
        torch.nn.init.normal_(model.copy_head.gate.weight, std=1.0)
    batch = make_batch(examples, decoder_only=decoder_only, graph=graph)
    plain = model(batch).loss
    model.set_label_smoothing(0.3)
    assert_close(model(batch).loss, plain), "evaluation: the likelihood alone"
    model.train()

    def run(logits: bool):
        torch.manual_seed(7)  # the same dropout masks in both calls
        out = model(batch, logits=logits)
        out.loss.backward()
        grads = {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}
        model.zero_grad()
        return out, grads

    full, expected = run(True)
    light, got = run(False)
    assert_close(light.loss, full.loss)
    assert expected.keys() == got.keys()
    for name, grad in got.items():
        assert_close(grad, expected[name], rtol=1e-4, atol=1e-6, msg=name)
    if not copy:  # the backbone's logits: F.cross_entropy's smoothing of them
        logits, labels = (full.logits[:, :-1], batch.labels[:, 1:]) if decoder_only else (full.logits, batch.labels)
        assert_close(full.loss, F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=-100,
                                                label_smoothing=0.3))
    model.set_label_smoothing(0.0)
    torch.manual_seed(7)
    assert not torch.allclose(model(batch).loss, full.loss), "the smoothing changed the training loss"
    with pytest.raises(ConfigError, match=r"model.label_smoothing: expected a number in \[0, 1\), found 1.5"):
        model.set_label_smoothing(1.5)
