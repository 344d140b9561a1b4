"""A hand-built vocabulary of Python code pieces, as a real fast tokenizer, and tiny models over it.

Pieces decode by plain concatenation (a ``Fuse`` decoder), so a token sequence *is* its text.
"""

from __future__ import annotations

import re

PIECES = [
    "<pad>",  # 0
    "<eos>",  # 1
    "<unk>",  # 2
    "def",  # 3
    " f",  # 4
    "(",  # 5
    ")",  # 6
    ":",  # 7
    "\n",  # 8
    "    ",  # 9
    "return",  # 10
    " x",  # 11
    "x",  # 12
    "+",  # 13
    "1",  # 14
    " ",  # 15
    "=",  # 16
    "):",  # 17  a piece holding two tokens, as BPE vocabularies have
]
ID = {piece: i for i, piece in enumerate(PIECES)}
PAD, EOS, UNK = 0, 1, 2


def make_tokenizer(pieces: list[str] = PIECES):
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    model = Tokenizer(models.WordLevel({p: i for i, p in enumerate(pieces)}, unk_token="<unk>"))
    model.decoder = decoders.Fuse()
    words = sorted((p for p in pieces if not p.startswith("<")), key=len, reverse=True)
    model.pre_tokenizer = pre_tokenizers.Split(Regex("|".join(re.escape(w) for w in words)), behavior="isolated")
    return PreTrainedTokenizerFast(tokenizer_object=model, pad_token="<pad>", eos_token="<eos>", unk_token="<unk>")


def ids(*pieces: str) -> list[int]:
    return [ID[p] for p in pieces]


GPT2 = {"model_type": "gpt2", "n_embd": 32, "n_layer": 2, "n_head": 4, "n_inner": 37, "n_positions": 128,
        "bos_token_id": EOS, "eos_token_id": EOS, "pad_token_id": PAD}
T5 = {"model_type": "t5", "d_model": 32, "d_kv": 8, "d_ff": 37, "num_layers": 2, "num_decoder_layers": 2,
      "num_heads": 4, "decoder_start_token_id": PAD, "pad_token_id": PAD, "eos_token_id": EOS}


def tiny_model(kind: str, tokenizer, seed: int = 0):
    """A randomly initialised GraphCodeModel (graph off) over ``tokenizer``: 2 layers, width 32, ff 37."""
    import torch

    from graphcode.models import GraphCodeConfig, GraphCodeModel

    torch.manual_seed(seed)
    backbone = {**(GPT2 if kind == "gpt2" else T5), "vocab_size": len(tokenizer)}
    return GraphCodeModel(GraphCodeConfig(backbone=backbone, graph=False), tokenizer=tokenizer).eval()


def encode(tokenizer, sources: list[str], decoder_only: bool):
    """A GraphCodeBatch of prompts, left-padded for a decoder-only model."""

    from graphcode.models import GraphCodeBatch

    enc = tokenizer(sources, padding=True, padding_side="left" if decoder_only else "right", return_tensors="pt")
    return GraphCodeBatch(enc["input_ids"], enc["attention_mask"].long())


PROGRAMS = [
    "def f( x):\n    return x+1\n",
    "def f( x):\n    return x\n",
    "def f():\n    return 1\n",
    "x=1\n",
    "x=1+1\n",
    "x=( x+1)\n",
    "def f( x):\n    x=x+1\n    return x\n",
    "x=1\nx=x+1\n",
]


def train_decoder_only(model, tokenizer, programs: list[str] = PROGRAMS, steps: int = 60, lr: float = 1e-2) -> None:
    """A few steps of next-token training on whole programs followed by end-of-sequence (seconds on a CPU)."""
    import torch

    rows = [tokenizer(p, add_special_tokens=False)["input_ids"] + [EOS] for p in programs]
    T = max(map(len, rows))
    ids = torch.full((len(rows), T), PAD)  # (B, T)
    for b, row in enumerate(rows):
        ids[b, : len(row)] = torch.tensor(row)
    labels = ids.masked_fill(ids == PAD, -100)
    attention = (ids != PAD).long()
    optimizer = torch.optim.Adam(model.backbone.parameters(), lr=lr)
    model.train()
    for _ in range(steps):
        loss = model.backbone(input_ids=ids, attention_mask=attention, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
