"""graphcode's CPU dropout: torch's distribution, its generator, its gradient, and attention equal to ``sdpa``."""

from __future__ import annotations

import json
import math

import pytest
import torch
from torch import nn

import graphcode.models.dropout as dropout_module
from graphcode.models.dropout import ATTENTION_NAME, CPUDropout, cpu_dropout, use_cpu_dropout

from .conftest import GPT2_BACKBONE, T5_BACKBONE


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_cpu_dropout_keeps_each_element_with_probability_1_minus_p(p):
    torch.manual_seed(0)
    n = 200_001  # odd: the last 32-bit draw is half used
    out = cpu_dropout(torch.ones(n), p)
    kept = out != 0
    threshold = round(p * 2**15)
    assert out[kept].unique().tolist() == [pytest.approx(2**15 / (2**15 - threshold))]
    assert abs(kept.float().mean().item() - (1 - p)) < 5 * math.sqrt(p * (1 - p) / n)
    assert out.mean().item() == pytest.approx(1.0, abs=5 * math.sqrt(p / (1 - p) / n))  # the expectation kept


def test_cpu_dropout_masks_are_independent_of_position():
    """Both halves of every 32-bit draw are used: neighbours (one draw) and every other element (other draws)
    are dropped together as often as independence says."""
    torch.manual_seed(0)
    dropped = cpu_dropout(torch.ones(400_000), 0.5) == 0
    both = (dropped[0::2] & dropped[1::2]).float().mean().item()  # the two halves of one draw
    apart = (dropped[0:-2:2] & dropped[2::2]).float().mean().item()  # two draws
    assert both == pytest.approx(0.25, abs=0.006) and apart == pytest.approx(0.25, abs=0.006)


def test_cpu_dropout_keeps_shape_and_dtype_and_follows_torchs_generator():
    x = torch.randn(3, 5, 7, dtype=torch.bfloat16)
    torch.manual_seed(0)
    first = cpu_dropout(x, 0.3)
    torch.manual_seed(0)
    again = cpu_dropout(x, 0.3)
    assert first.shape == x.shape and first.dtype == torch.bfloat16
    assert torch.equal(first, again)  # seeded by torch.manual_seed (seed_everything), so runs repeat
    assert not torch.equal(first, cpu_dropout(x, 0.3))  # the generator moved on


def test_cpu_dropout_gradient_is_its_mask_and_scale():
    x = torch.rand(1000) + 0.5
    x.requires_grad_(True)
    torch.manual_seed(0)
    out = cpu_dropout(x, 0.25)
    out.sum().backward()
    assert torch.allclose(x.grad, out.detach() / x.detach())
    assert x.grad.unique().tolist() == [0.0, pytest.approx(4 / 3, rel=1e-4)]


def test_cpu_dropout_module_is_torchs_outside_training_and_at_the_ends():
    x = torch.randn(64)
    layer = CPUDropout(0.5)
    assert torch.equal(layer.eval()(x), x)
    assert torch.equal(CPUDropout(0.0).train()(x), x)
    assert torch.equal(CPUDropout(1.0).train()(x), torch.zeros(64))  # torch's own: all dropped, no division by 0
    calls = []
    original = dropout_module.cpu_dropout
    try:
        dropout_module.cpu_dropout = lambda t, p: calls.append(p) or original(t, p)
        layer.train()(x)
    finally:
        dropout_module.cpu_dropout = original
    assert calls == [0.5]


def _backbone(spec: dict, **rates: float):
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM

    settings = {k: v for k, v in spec.items() if k != "model_type"}
    config = AutoConfig.for_model(spec["model_type"], **settings, **rates)
    auto = AutoModelForSeq2SeqLM if config.is_encoder_decoder else AutoModelForCausalLM
    return auto.from_config(config)


def _spy_attention(monkeypatch) -> list[tuple[int, ...]]:
    """The shapes of the attention probabilities this module's math path drops (4-D tensors)."""
    shapes: list[tuple[int, ...]] = []
    original = dropout_module.cpu_dropout

    def spy(x, p):
        if x.dim() == 4:
            shapes.append(tuple(x.shape))
        return original(x, p)

    monkeypatch.setattr(dropout_module, "cpu_dropout", spy)
    return shapes


@pytest.mark.parametrize("padded", [True, False], ids=["padded", "unpadded"])
def test_attention_equals_sdpa_when_nothing_is_dropped_t5(monkeypatch, padded):
    """A rate of 1e-9 rounds to 0 here (nothing dropped, scale 1) and is ~nothing in torch: in training, the math
    path (relative position bias, padding, causal decoder, cross-attention) gives sdpa's logits."""
    torch.manual_seed(0)
    plain = _backbone(T5_BACKBONE, dropout_rate=1e-9).train()
    fast = _backbone(T5_BACKBONE, dropout_rate=1e-9)
    fast.load_state_dict(plain.state_dict())
    assert use_cpu_dropout(fast) == (7 + 9, 1)  # the encoder's nn.Dropout layers, the decoder's; one model
    assert fast.config._attn_implementation == ATTENTION_NAME
    fast.train()
    ids = torch.randint(2, 64, (3, 7))
    mask, target_mask = torch.ones(3, 7, dtype=torch.long), torch.ones(3, 5, dtype=torch.long)
    if padded:
        mask[0, 4:], target_mask[1, 3:] = 0, 0
    labels = torch.randint(2, 64, (3, 5))
    shapes = _spy_attention(monkeypatch)
    inputs = dict(input_ids=ids, attention_mask=mask, labels=labels, decoder_attention_mask=target_mask)
    assert torch.allclose(fast(**inputs).logits, plain(**inputs).logits, atol=1e-5)
    assert sorted(set(shapes)) == [(3, 4, 5, 5), (3, 4, 5, 7), (3, 4, 7, 7)] and len(shapes) == 6
    shapes.clear()
    with torch.no_grad():
        assert torch.allclose(fast.eval()(**inputs).logits, plain.eval()(**inputs).logits, atol=1e-5)
    assert shapes == []  # out of training: sdpa itself


@pytest.mark.parametrize("padded", [True, False], ids=["padded", "unpadded"])
def test_attention_equals_sdpa_when_nothing_is_dropped_gpt2(monkeypatch, padded):
    torch.manual_seed(0)
    rates = dict(attn_pdrop=1e-9, resid_pdrop=0.0, embd_pdrop=0.0)  # other masks would differ between the two
    plain = _backbone(GPT2_BACKBONE, **rates).train()
    fast = _backbone(GPT2_BACKBONE, **rates)
    fast.load_state_dict(plain.state_dict())
    use_cpu_dropout(fast)
    fast.train()
    ids = torch.randint(2, 64, (2, 6))
    mask = torch.ones(2, 6, dtype=torch.long)
    if padded:
        mask[1, :2] = 0  # left padding
    shapes = _spy_attention(monkeypatch)
    real = mask.bool()  # a padded query attends to nothing: its output differs (sdpa's zeros) and is never read
    assert torch.allclose(fast(input_ids=ids, attention_mask=mask).logits[real],
                          plain(input_ids=ids, attention_mask=mask).logits[real], atol=1e-5)
    assert shapes == [(2, 4, 6, 6)] * 2


def test_attention_dropout_draws_here_with_the_rate_of_the_attention(monkeypatch):
    torch.manual_seed(0)
    model = _backbone(T5_BACKBONE, dropout_rate=0.1)
    use_cpu_dropout(model)
    model.train()
    rates: list[float] = []
    original = dropout_module.cpu_dropout
    monkeypatch.setattr(dropout_module, "cpu_dropout", lambda x, p: rates.append(p) or original(x, p))
    ids = torch.randint(2, 64, (2, 5))
    model(input_ids=ids, labels=ids)
    assert len(rates) == 6 + 8 + 10 and set(rates) == {0.1}  # 6 attentions, the encoder's and decoder's other dropouts
    torch.manual_seed(0)
    first = model(input_ids=ids, labels=ids).loss
    torch.manual_seed(0)
    assert torch.equal(first, model(input_ids=ids, labels=ids).loss)
    assert not torch.equal(first, model(input_ids=ids, labels=ids).loss)


def test_use_cpu_dropout_covers_the_graph_encoder_and_keeps_other_attention(make_model, tmp_path):
    from transformers import AutoConfig

    model = make_model("t5", "add+memory")
    model.graph_encoder.dropout.p = 0.1
    changed = use_cpu_dropout(model)
    assert changed.attention == 1 and changed.dropouts == sum(isinstance(m, CPUDropout) for m in model.modules())
    assert not any(type(m) is nn.Dropout for m in model.modules())
    assert isinstance(model.graph_encoder.dropout, CPUDropout) and model.graph_encoder.dropout.p == 0.1
    model.backbone.save_pretrained(tmp_path)
    assert ATTENTION_NAME not in (tmp_path / "config.json").read_text(encoding="utf-8")
    assert "_attn_implementation" not in json.loads((tmp_path / "config.json").read_text(encoding="utf-8"))
    assert AutoConfig.from_pretrained(tmp_path)._attn_implementation != ATTENTION_NAME

    eager = _backbone(T5_BACKBONE, dropout_rate=0.1)
    eager.set_attn_implementation("eager")
    assert use_cpu_dropout(eager).attention == 0 and eager.config._attn_implementation == "eager"
