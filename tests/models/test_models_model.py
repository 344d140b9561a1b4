from __future__ import annotations

import pytest
import torch
from torch.testing import assert_close
from transformers import LogitsProcessor, LogitsProcessorList

from graphcode.errors import ConfigError
from graphcode.models import GraphCodeConfig, GraphCodeModel

ALL_MODES = [
    ("t5", "add"),
    ("t5", "gate"),
    ("t5", "memory"),
    ("t5", "add+memory"),
    ("gpt2", "prefix"),
    ("gpt2", "add"),
    ("gpt2", "prefix+add"),
]


def _decoder_only(backbone: str) -> bool:
    return backbone == "gpt2"


@pytest.mark.parametrize(("backbone", "mode"), ALL_MODES)
def test_forward_shapes_and_finite_loss(backbone, mode, make_model, make_batch, examples):
    model = make_model(backbone, mode)
    batch = make_batch(examples, decoder_only=_decoder_only(backbone))
    out = model(batch)
    B, T = batch.input_ids.shape
    L = batch.labels.size(1)
    assert out.logits.shape == (B, T if _decoder_only(backbone) else L, 64)
    assert out.node_states.shape == (7, 24)
    assert out.loss.ndim == 0 and torch.isfinite(out.loss)
    if backbone == "t5":
        memory_length = T + 4 if "memory" in mode else T
        assert out.encoder_last_hidden_state.shape == (B, memory_length, 32)


@pytest.mark.parametrize(("backbone", "mode"), ALL_MODES)
def test_batched_equals_unbatched(backbone, mode, make_model, make_batch, select_logits, examples):
    decoder_only = _decoder_only(backbone)
    model = make_model(backbone, mode)
    batch = make_batch(examples, decoder_only=decoder_only)
    logits = model(batch).logits
    for index, example in enumerate(examples):
        alone = make_batch([example], decoder_only=decoder_only)
        expected = select_logits(model(alone).logits, alone, 0, decoder_only)
        assert_close(select_logits(logits, batch, index, decoder_only), expected)


@pytest.mark.parametrize("mode", ["prefix", "prefix+add"])
def test_decoder_only_left_padding_equals_right_padding(
    mode, make_model, make_batch, select_logits, examples
):
    model = make_model("gpt2", mode)
    right = make_batch(examples, decoder_only=True, padding_side="right")
    left = make_batch(examples, decoder_only=True, padding_side="left")
    right_logits, left_logits = model(right).logits, model(left).logits
    for index in range(len(examples)):
        assert_close(
            select_logits(left_logits, left, index, True), select_logits(right_logits, right, index, True)
        )


@pytest.mark.parametrize("backbone", ["t5", "gpt2"])
def test_graph_off_equals_the_backbone(backbone, make_model, make_batch, backbone_config, examples):
    decoder_only = _decoder_only(backbone)
    model = make_model(backbone, graph=False)
    assert model.graph_encoder is None and model.fusion is None
    assert list(model.state_dict()) == [f"backbone.{name}" for name in model.backbone.state_dict()]

    # A plain Hugging Face model with the same weights.
    from graphcode.models import build_backbone

    plain = build_backbone(backbone_config(backbone)).eval()
    plain.load_state_dict(model.backbone.state_dict())
    batch = make_batch(examples, decoder_only=decoder_only, graph=False)
    ours = model(batch)
    theirs = plain(input_ids=batch.input_ids, attention_mask=batch.attention_mask, labels=batch.labels)
    assert_close(ours.logits, theirs.logits, rtol=0, atol=0)
    assert_close(ours.loss, theirs.loss, rtol=0, atol=0)

    # Greedy generation agrees too (decoder-only returns only the new tokens).
    prompt = make_batch(examples[:1], decoder_only=False, graph=False)
    generated = model.generate(prompt, max_new_tokens=4, do_sample=False)
    expected = plain.generate(
        input_ids=prompt.input_ids, attention_mask=prompt.attention_mask, max_new_tokens=4, do_sample=False
    )
    if decoder_only:
        expected = expected[:, prompt.input_ids.size(1) :]
    assert torch.equal(generated, expected)


@pytest.mark.parametrize(("backbone", "mode"), ALL_MODES)
def test_gradients_reach_the_gnn(backbone, mode, make_model, make_batch, examples):
    model = make_model(backbone, mode).train()
    model(make_batch(examples, decoder_only=_decoder_only(backbone))).loss.backward()
    gnn_grads = {name: p.grad for name, p in model.graph_encoder.named_parameters()}
    for name in ("node_type_embedding.weight", "token_projection.weight", "convs.1.conv.lin.weight"):
        assert gnn_grads[name] is not None and gnn_grads[name].abs().sum() > 0, name
    assert all(p.grad is not None for p in model.fusion.parameters())


@pytest.mark.parametrize("conv", ["rgcn", "gat"])
def test_relation_aware_convs_run_in_the_model(conv, make_model, make_batch, examples):
    model = make_model("t5", "add+memory", conv=conv)
    assert torch.isfinite(model(make_batch(examples, decoder_only=False)).loss)


class _Forbid(LogitsProcessor):
    """Bans one token id: ``(input_ids, scores) -> scores``."""

    def __init__(self, token_id: int) -> None:
        self.token_id = token_id

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        scores[:, self.token_id] = -float("inf")
        return scores


@pytest.mark.parametrize(("backbone", "mode"), [("t5", "add+memory"), ("t5", "gate"), ("gpt2", "prefix+add")])
def test_generate_greedy_beam_and_processors(backbone, mode, make_model, make_batch, examples):
    model = make_model(backbone, mode)
    prompt = make_batch(examples, decoder_only=False, padding_side="right" if backbone == "t5" else "left")
    prompt.labels = None
    B = prompt.batch_size
    # Encoder-decoder outputs start with the decoder start token; decoder-only ones hold only new tokens.
    extra = 1 if backbone == "t5" else 0

    greedy = model.generate(prompt, max_new_tokens=5, min_new_tokens=5, do_sample=False)
    assert greedy.shape == (B, 5 + extra)

    beams = model.generate(prompt, max_new_tokens=5, min_new_tokens=5, num_beams=3, num_return_sequences=2)
    assert beams.shape == (2 * B, 5 + extra)

    banned = greedy[0, extra].item()
    steered = model.generate(
        prompt,
        max_new_tokens=5,
        do_sample=True,
        top_k=5,
        logits_processor=LogitsProcessorList([_Forbid(banned)]),
    )
    assert not (steered[:, extra:] == banned).any()

    by_keywords = model.generate(
        prompt.input_ids,
        attention_mask=prompt.attention_mask,
        graph=prompt.graph,
        node_token_index=prompt.node_token_index,
        max_new_tokens=5,
        min_new_tokens=5,
        do_sample=False,
    )
    assert torch.equal(by_keywords, greedy)


@pytest.mark.parametrize(("backbone", "mode"), [("t5", "add+memory"), ("gpt2", "prefix+add")])
def test_generate_sees_the_same_fusion_as_forward(backbone, mode, make_model, make_batch, examples):
    """The first greedy token equals the argmax of ``forward``'s next-token logits."""
    model = make_model(backbone, mode)
    prompt = make_batch(examples[:1], decoder_only=False)
    prompt.labels = None
    first = model.generate(prompt, max_new_tokens=1, do_sample=False)[:, -1]
    if backbone == "t5":
        start = torch.zeros(1, 1, dtype=torch.long)  # the decoder start token
        logits = model(prompt, decoder_input_ids=start).logits[:, -1]  # (B, V)
    else:
        logits = model(prompt).logits[:, -1]  # (B, V)
    assert torch.equal(first, logits.argmax(-1))


@pytest.mark.parametrize("memory_nodes, kept", [("dataflow", [2, 2]), ("inner", [2, 1])])
def test_memory_of_some_nodes_in_training_and_generation(make_model, make_batch, examples, memory_nodes, kept):
    """``memory_nodes="dataflow"``: the decoder reads the tokens and the 2 data-flow nodes of each example;
    ``"inner"``: the 2 and 1 nodes with children (not all 4 and 3 nodes), forward and generate alike, and beam
    search runs over that memory."""
    model = make_model("t5", "add+memory", memory_nodes=memory_nodes)
    batch = make_batch(examples, decoder_only=False)
    out = model(batch)
    assert torch.isfinite(out.loss)
    T = batch.input_ids.size(1)
    assert out.encoder_last_hidden_state.shape == (2, T + max(kept), 32)
    node_mask = model._fused_encoder(batch)[2][:, T:]  # (B, N_max)
    assert node_mask.sum(-1).tolist() == kept
    everything = make_model("t5", "add+memory")
    assert everything(batch).encoder_last_hidden_state.shape == (2, batch.input_ids.size(1) + 4, 32)
    prompt = make_batch(examples[:1], decoder_only=False)
    prompt.labels = None
    first = model.generate(prompt, max_new_tokens=1, do_sample=False)[:, -1]
    start = torch.zeros(1, 1, dtype=torch.long)  # the decoder start token
    assert torch.equal(first, model(prompt, decoder_input_ids=start).logits[:, -1].argmax(-1))
    beams = model.generate(prompt, max_new_tokens=4, num_beams=3, num_return_sequences=2, do_sample=False)
    assert beams.shape[0] == 2


def test_missing_graph_with_graph_on_is_an_error(make_model, make_batch, examples):
    batch = make_batch(examples, decoder_only=False, graph=False)
    with pytest.raises(ValueError, match=r"GraphCodeBatch.graph: expected a graph batch .* found None"):
        make_model("t5", "memory")(batch)


def test_bad_alignment_index_is_an_error(make_model, make_batch, examples):
    batch = make_batch(examples, decoder_only=False)
    batch.node_token_index = torch.tensor([[0], [999]])
    with pytest.raises(
        ValueError, match=r"node_token_index\[1\]: expected flat token indices in \[0, 12\), found"
    ):
        make_model("t5", "add")(batch)


def test_mode_not_fitting_the_backbone_fails_at_build(make_model):
    from graphcode.errors import ConfigError

    with pytest.raises(ConfigError, match="for a decoder-only backbone, found 'memory'"):
        make_model("gpt2", "memory")


def test_is_a_plain_module(make_model):
    model = make_model("t5")
    assert isinstance(model, torch.nn.Module) and isinstance(model, GraphCodeModel)
    assert model.fusion.mode == "memory"


@pytest.mark.parametrize(("backbone", "mode"), ALL_MODES)
def test_an_empty_graph_and_no_alignment_pairs(backbone, mode, make_model, make_batch, examples):
    """An example whose graph has no nodes (a parse that found nothing) and a batch without pairs still run."""
    from dataclasses import replace

    empty = replace(examples[1], node_type=[], edges=[], pairs=[])
    batch = make_batch([examples[0], empty], decoder_only=_decoder_only(backbone))
    model = make_model(backbone, mode)
    assert torch.isfinite(model(batch).loss)
    batch.node_token_index = torch.zeros(2, 0, dtype=torch.long)  # (2, A=0)
    assert torch.isfinite(model(batch).loss)


def test_batch_moves_whole(make_batch, examples):
    batch = make_batch(examples, decoder_only=False)
    moved = batch.to("cpu", non_blocking=True)
    assert moved is not batch and moved.batch_size == 2
    assert torch.equal(moved.node_token_index, batch.node_token_index)
    assert torch.equal(moved.graph.edge_index, batch.graph.edge_index)


@pytest.mark.parametrize(("backbone", "mode"), [("t5", "gate"), ("t5", "add+memory"), ("gpt2", "prefix+add")])
def test_half_precision_backbone_with_a_float32_graph(backbone, mode, make_model, make_batch, examples):
    model = make_model(backbone, mode)
    model.backbone.to(torch.bfloat16)
    out = model(make_batch(examples, decoder_only=_decoder_only(backbone)))
    assert out.logits.dtype == torch.bfloat16 and torch.isfinite(out.loss)


@pytest.mark.parametrize("backbone", ["t5", "gpt2"])
def test_gradient_checkpointing_gives_the_same_loss_and_gradients(backbone, make_model, make_batch, examples):
    decoder_only = _decoder_only(backbone)
    results = []
    for checkpointing in (False, True):
        model = make_model(backbone, "prefix+add" if decoder_only else "add+memory").train()
        if checkpointing:
            model.gradient_checkpointing_enable()
            assert model.backbone.is_gradient_checkpointing
        torch.manual_seed(1)  # dropout draws the same masks; checkpointing replays them in the backward pass
        loss = model(make_batch(examples, decoder_only=decoder_only)).loss
        loss.backward()
        results.append((loss.detach(), {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}))
    (plain_loss, plain), (ckpt_loss, ckpt) = results
    assert_close(ckpt_loss, plain_loss)
    assert plain.keys() == ckpt.keys() and len(plain) > 10
    for name in plain:
        assert_close(ckpt[name], plain[name], rtol=1e-4, atol=1e-6, msg=name)


@pytest.mark.parametrize("backbone", ["t5", "gpt2"])
def test_batch_rows_are_the_batch_of_those_examples(backbone, make_model, make_batch, examples):
    decoder_only = _decoder_only(backbone)
    short, long = sorted(examples[:2], key=lambda e: len(e.input_ids))
    chosen = [long, short, short, long]
    whole = make_batch(chosen, decoder_only=decoder_only)
    part, alone = whole.rows(1, 3), make_batch(chosen[1:3], decoder_only=decoder_only)
    for name in ("x", "edge_index", "edge_type", "batch", "ptr"):
        assert torch.equal(getattr(part.graph, name), getattr(alone.graph, name)), name
    T, t = whole.input_ids.size(1), alone.input_ids.size(1)
    assert t < T  # the rows keep the whole batch's padding
    assert torch.equal(part.node_token_index[0], alone.node_token_index[0])
    rows_of = part.node_token_index[1].div(T, rounding_mode="floor")
    assert torch.equal(rows_of, alone.node_token_index[1].div(t, rounding_mode="floor"))
    assert torch.equal(part.node_token_index[1] % T, alone.node_token_index[1] % t)
    part.validate()
    model = make_model(backbone, "prefix+add" if decoder_only else "add+memory")
    assert_close(model(part).loss, model(alone).loss)
    with pytest.raises(IndexError, match=r"expected 0 <= start < stop <= 4, found 2, 2"):
        whole.rows(2, 2)


def test_batch_split_keeps_each_part_within_the_token_budget(make_batch, examples):
    whole = make_batch([examples[0], examples[1], examples[1], examples[0], examples[1]], decoder_only=False)
    width = whole.input_ids.size(1) + whole.labels.size(1)
    assert whole.split(5 * width) == [whole]
    parts = whole.split(2 * width + 1)
    assert [p.batch_size for p in parts] == [2, 2, 1]
    assert torch.equal(torch.cat([p.input_ids for p in parts]), whole.input_ids)
    assert torch.equal(torch.cat([p.labels for p in parts]), whole.labels)
    assert sum(p.graph.num_nodes for p in parts) == whole.graph.num_nodes
    assert sum(p.node_token_index.size(1) for p in parts) == whole.node_token_index.size(1)
    assert [p.batch_size for p in whole.split(1)] == [1] * 5  # never fewer than one example


@pytest.mark.parametrize(("backbone", "modules"), [("t5", 6), ("gpt2", 2)])
def test_attention_dropout_changes_the_attention_probabilities_alone(backbone, modules, make_model, make_batch,
                                                                      examples, monkeypatch):
    decoder_only = _decoder_only(backbone)
    model = make_model(backbone, "prefix+add" if decoder_only else "add+memory").train()
    batch = make_batch(examples, decoder_only=decoder_only)
    rates: list[float] = []
    attention = torch.nn.functional.scaled_dot_product_attention

    def spy(*args, dropout_p=0.0, **kwargs):
        rates.append(dropout_p)
        return attention(*args, dropout_p=dropout_p, **kwargs)

    monkeypatch.setattr(torch.nn.functional, "scaled_dot_product_attention", spy)
    model(batch)
    assert len(rates) == modules and set(rates) == {0.1}  # the backbones' defaults: T5 dropout_rate, GPT-2 attn_pdrop
    assert model.set_attention_dropout(0.0) == modules
    rates.clear()
    torch.manual_seed(0)
    first = model(batch).loss
    assert len(rates) == modules and set(rates) == {0.0}
    torch.manual_seed(1)
    assert not torch.equal(first, model(batch).loss)  # the other dropouts still draw
    model.eval()
    with pytest.raises(ConfigError, match=r"model.attention_dropout: expected a number in \[0, 1\), found 1.0"):
        model.set_attention_dropout(1.0)


def test_attention_dropout_on_a_backbone_without_attention_modules_is_refused():
    class Plain(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layer = torch.nn.Linear(4, 4)

        def forward(self, input_ids):
            return self.layer(input_ids)

    model = GraphCodeModel(GraphCodeConfig(backbone={"model_type": "t5"}, graph=False), backbone=Plain())
    with pytest.raises(ConfigError, match="found none in Plain"):
        model.set_attention_dropout(0.0)


@pytest.mark.parametrize("graph", [True, False])
def test_beam_search_does_not_reorder_the_encoder_memory(graph, make_model, make_batch, examples, monkeypatch):
    """Encoder-decoder beam search gets a StaticMemoryCache: the same sequences and scores as Hugging Face's
    own cache, which copies the cross-attention states at every step, while only the self-attention part moves."""
    from transformers import DynamicCache, EncoderDecoderCache

    from graphcode.models.cache import StaticMemoryCache

    model = make_model("t5", "add+memory", graph=graph)
    prompt = make_batch(examples, decoder_only=False, graph=graph)
    prompt.labels = None
    settings = dict(max_new_tokens=6, num_beams=4, num_return_sequences=2, do_sample=False,
                    return_dict_in_generate=True, output_scores=True)

    cross_reorders: list[int] = []
    reorder = EncoderDecoderCache.reorder_cache

    def counting(self, beam_idx):
        cross_reorders.append(len(beam_idx))
        reorder(self, beam_idx)

    monkeypatch.setattr(EncoderDecoderCache, "reorder_cache", counting)
    hf_cache = EncoderDecoderCache(DynamicCache(), DynamicCache())
    reference = model.generate(prompt, past_key_values=hf_cache, **settings)
    assert cross_reorders, "Hugging Face's cache should have been reordered at each step"

    cross_reorders.clear()
    seen: list[object] = []
    static_reorder = StaticMemoryCache.reorder_cache

    def spy(self, beam_idx):
        seen.append(type(self))
        static_reorder(self, beam_idx)

    monkeypatch.setattr(StaticMemoryCache, "reorder_cache", spy)
    fast = model.generate(prompt, **settings)
    assert seen and set(seen) == {StaticMemoryCache}
    assert not cross_reorders
    assert torch.equal(fast.sequences, reference.sequences)
    assert_close(fast.sequences_scores, reference.sequences_scores)


def test_beam_search_cache_left_alone_where_it_does_not_apply(make_model):
    from graphcode.models.cache import beam_search_cache

    backbone = make_model("t5", "add+memory").backbone
    assert beam_search_cache(backbone, {"num_beams": 1}) is None
    assert beam_search_cache(backbone, {"num_beams": 3, "use_cache": False}) is None
    assert beam_search_cache(backbone, {"num_beams": 3, "past_key_values": object()}) is None
    assert beam_search_cache(backbone, {"num_beams": 3, "cache_implementation": "static"}) is None
    assert beam_search_cache(backbone, {"num_beams": 3}) is not None
