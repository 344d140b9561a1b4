"""Collate + model: the batch contract, batched equals unbatched, graph off equals the backbone."""

from __future__ import annotations

import pytest
import torch
from torch.testing import assert_close

from graphcode.data.collate import GraphCodeCollator, encode_sources, features_row
from graphcode.data.features import encode_source, encode_target
from graphcode.models import GraphCodeConfig, GraphCodeModel, build_backbone

SOURCES = [
    'def area(w, h):\n    """Area."""\n    return w * h\n',
    "x = [i * i for i in range(10)]\n",
    'def greet(name):\n    print("hi", name)\n    return None\n',
]
TARGETS = ["return w * h", "squares", "print"]


def tiny_backbone(kind: str, vocab_size: int) -> dict:
    if kind == "t5":
        return {"model_type": "t5", "vocab_size": vocab_size, "d_model": 32, "d_kv": 8, "d_ff": 37,
                "num_layers": 2, "num_decoder_layers": 2, "num_heads": 4, "decoder_start_token_id": 0,
                "pad_token_id": 0, "eos_token_id": 1, "dropout_rate": 0.0}
    return {"model_type": "gpt2", "vocab_size": vocab_size, "n_embd": 32, "n_layer": 2, "n_head": 4, "n_inner": 37,
            "n_positions": 256, "bos_token_id": 3, "eos_token_id": 1, "pad_token_id": 0,
            "resid_pdrop": 0.0, "embd_pdrop": 0.0, "attn_pdrop": 0.0}


def tiny_model(kind: str, tokenizer, graph: bool = True, mode: str = "auto") -> GraphCodeModel:
    torch.manual_seed(0)
    config = GraphCodeConfig(
        backbone=tiny_backbone(kind, len(tokenizer)), graph=graph,
        gnn={"hidden_size": 24, "num_layers": 2, "dropout": 0.0, "num_node_types": 300, "node_feature": "type+tokens"},
        fusion={"mode": mode, "num_prefix_tokens": 3},
    )
    return GraphCodeModel(config, tokenizer=tokenizer).eval()


def rows(tokenizer, decoder_only: bool, graph: bool = True, max_len: int = 64) -> list[dict]:
    return [
        features_row(encode_source(s, "python", tokenizer, max_source_length=max_len, graph=graph),
                     encode_target(t, tokenizer, max_target_length=16, decoder_only=decoder_only))
        for s, t in zip(SOURCES, TARGETS, strict=True)
    ]


@pytest.mark.parametrize("side", ["right", "left"])
def test_collated_alignment_points_at_the_right_tokens(tiny_tokenizer, side):
    examples = rows(tiny_tokenizer, decoder_only=True)
    batch = GraphCodeCollator(pad_token_id=0, decoder_only=True, padding_side=side)(examples)
    batch.validate()
    B, T = batch.input_ids.shape
    assert B == 3 and batch.labels.shape == (B, T)
    node_batch = batch.graph.batch
    starts = torch.cumsum(torch.tensor([0] + [len(r["node_type"]) for r in examples]), 0)
    for node, flat in batch.node_token_index.t().tolist():
        b, t = divmod(flat, T)
        assert int(node_batch[node]) == b
        row = examples[b]
        seq = row["input_ids"] + row["labels"]
        shift = T - len(seq) if side == "left" else 0
        local = node - int(starts[b])
        pairs = set(zip(row["align_node"], row["align_token"], strict=True))
        assert (local, t - shift) in pairs
        assert int(batch.input_ids[b, t]) == seq[t - shift]
    # labels: -100 on the prompt and the padding, the target tokens after the prompt
    for b, row in enumerate(examples):
        real = batch.labels[b][batch.labels[b] != -100].tolist()
        assert real == row["labels"]


def test_encoder_decoder_layout(tiny_tokenizer):
    batch = GraphCodeCollator(pad_token_id=0)(rows(tiny_tokenizer, decoder_only=False))
    assert batch.labels.shape[0] == 3 and (batch.labels == -100).any()
    assert batch.graph.num_graphs == 3 and batch.graph.edge_type.numel() == batch.graph.edge_index.size(1)


def test_encode_sources_is_an_inference_batch(tiny_tokenizer):
    batch = encode_sources(SOURCES, "python", tiny_tokenizer, max_source_length=32)
    batch.validate()
    assert batch.labels is None and batch.input_ids.shape[0] == 3 and batch.input_ids.shape[1] <= 32
    assert batch.attention_mask[:, 0].all(), "right padding by default"
    left = encode_sources(SOURCES, "python", tiny_tokenizer, max_source_length=32, padding_side="left")
    assert left.attention_mask[:, -1].all()
    off = encode_sources(SOURCES, "py", tiny_tokenizer, max_source_length=32, graph=False)
    assert off.graph is None and off.node_token_index is None
    with pytest.raises(ValueError, match="non-empty list"):
        encode_sources("x = 1", "python", tiny_tokenizer, max_source_length=8)


def _real(logits, batch, b, decoder_only):
    mask = batch.attention_mask[b] if decoder_only else batch.labels[b] != -100
    return logits[b][mask.bool()]


@pytest.mark.parametrize(("kind", "mode"), [("t5", "add+memory"), ("t5", "gate"), ("gpt2", "prefix+add")])
def test_batched_equals_unbatched_through_collate_and_model(tiny_tokenizer, kind, mode):
    decoder_only = kind == "gpt2"
    model = tiny_model(kind, tiny_tokenizer, mode=mode)
    examples = rows(tiny_tokenizer, decoder_only)
    collate = GraphCodeCollator(pad_token_id=0, decoder_only=decoder_only)
    batch = collate(examples)
    with torch.no_grad():
        together = model(batch).logits
        for b, example in enumerate(examples):
            alone = collate([example])
            assert_close(_real(together, batch, b, decoder_only), _real(model(alone).logits, alone, 0, decoder_only))


@pytest.mark.parametrize("kind", ["t5", "gpt2"])
def test_graph_off_equals_the_backbone_through_collate(tiny_tokenizer, kind):
    decoder_only = kind == "gpt2"
    model = tiny_model(kind, tiny_tokenizer, graph=False)
    plain = build_backbone(tiny_backbone(kind, len(tiny_tokenizer))).eval()
    plain.load_state_dict(model.backbone.state_dict())
    batch = GraphCodeCollator(pad_token_id=0, decoder_only=decoder_only, graph=False)(
        rows(tiny_tokenizer, decoder_only, graph=False))
    with torch.no_grad():
        ours = model(batch)
        theirs = plain(input_ids=batch.input_ids, attention_mask=batch.attention_mask, labels=batch.labels)
    assert_close(ours.logits, theirs.logits)
    assert_close(ours.loss, theirs.loss)


def test_generate_from_encode_sources(tiny_tokenizer):
    model = tiny_model("t5", tiny_tokenizer)
    batch = encode_sources(SOURCES, "python", tiny_tokenizer, max_source_length=32)
    out = model.generate(batch, max_new_tokens=4, do_sample=False)
    assert out.shape[0] == 3 and out.shape[1] <= 5
