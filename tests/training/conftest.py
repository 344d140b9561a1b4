"""Fixtures for training tests: mined records of real code, tiny backbones and stand-ins for hub models.

Tiny backbones follow the test convention: 2 layers, width 32, an odd feed-forward size 37.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graphcode.data.mine import MineConfig, mine
from graphcode.data.records import write_jsonl
from tests.data.conftest import build_tree, train_tiny_tokenizer

REPO = Path(__file__).resolve().parents[2]
CONFIGS = sorted((REPO / "configs").glob("*.yaml"))

TINY_T5: dict[str, Any] = {"model_type": "t5", "d_model": 32, "d_kv": 8, "d_ff": 37, "num_layers": 2,
                           "num_decoder_layers": 2, "num_heads": 4, "dropout_rate": 0.1}
TINY_GPT2: dict[str, Any] = {"model_type": "gpt2", "n_embd": 32, "n_layer": 2, "n_head": 4, "n_inner": 37,
                             "n_positions": 512}
TINY_GNN: dict[str, Any] = {"hidden_size": 24, "num_layers": 2, "dropout": 0.1, "node_feature": "type+tokens"}


@pytest.fixture(scope="session")
def records_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Docstring → body records mined from real standard-library modules, with all three splits."""
    root = tmp_path_factory.mktemp("records")
    tree = build_tree(root)
    result = mine(MineConfig(sources=[str(tree)], split_fractions=[0.4, 0.3, 0.3], max_source_chars=600,
                             max_target_chars=600))
    counts = result.split_counts()
    assert all(counts[s] >= 4 for s in counts), counts
    path = root / "records.jsonl"
    write_jsonl(path, result.records)
    return path


def save_standin(folder: Path, kind: str) -> Path:
    """A tiny model of the hub model's architecture and a tiny tokenizer, saved as the hub would have them."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM

    tokenizer = train_tiny_tokenizer()
    ids = {"vocab_size": len(tokenizer), "pad_token_id": tokenizer.pad_token_id,
           "eos_token_id": tokenizer.eos_token_id, "bos_token_id": tokenizer.bos_token_id}
    torch.manual_seed(0)
    if kind == "t5":
        config = AutoConfig.for_model(**{**TINY_T5, **ids, "decoder_start_token_id": tokenizer.pad_token_id})
        model = AutoModelForSeq2SeqLM.from_config(config)
    elif kind == "codegen":
        config = AutoConfig.for_model("codegen", n_embd=32, n_layer=2, n_head=4, n_inner=37, rotary_dim=4,
                                      n_positions=512, n_ctx=512, **ids)
        model = AutoModelForCausalLM.from_config(config)
    else:
        raise ValueError(f"stand-in kind: expected 't5' or 'codegen', found {kind!r}")
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def fast_overrides(tmp: Path, records: Path) -> list[str]:
    """Command-line overrides that make any config run in seconds, writing only under ``tmp`` (runs in
    ``tmp/root/version_N``)."""
    return [
        f"--data.path={records}",
        "--data.mine=null",
        f"--data.cache_dir={tmp / 'cache'}",
        "--data.max_examples=12",
        "--data.max_eval_examples=6",
        "--data.batch_size=3",
        "--data.num_workers=0",
        "--data.num_proc=null",
        "--data.tokenizer.vocab_size=400",
        "--data.max_source_length=48",
        "--data.max_target_length=32",
        f"--trainer.default_root_dir={tmp / 'root'}",
    ]
