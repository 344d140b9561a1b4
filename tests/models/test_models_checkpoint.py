from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file, save_file
from torch.testing import assert_close

from graphcode.errors import CheckpointError
from graphcode.models import GraphCodeConfig, GraphCodeModel
from graphcode.models.model import CONFIG_NAME, WEIGHTS_NAME


def _outputs(model, batch):
    with torch.no_grad():
        return model(batch)


@pytest.mark.parametrize(
    ("backbone", "mode", "graph", "copy", "coverage", "continuation"),
    [("t5", "add+memory", True, False, 0.0, False), ("gpt2", "prefix+add", True, False, 0.0, False),
     ("t5", "auto", False, False, 0.0, False), ("t5", "add+memory", True, True, 0.0, False),
     ("t5", "auto", False, True, 0.0, False), ("t5", "add+memory", True, True, 1.0, False),
     ("t5", "add+memory", True, True, 0.0, True)],
)
def test_round_trip_gives_identical_outputs(
    backbone, mode, graph, copy, coverage, continuation, make_model, make_batch, examples, tmp_path
):
    model = make_model(backbone, mode, graph=graph, conv="rgcn", copy=copy, copy_coverage=coverage,
                       copy_continuation=continuation)
    if copy:  # a copy head that does something: its gate away from the initial bias, so that its weights matter
        torch.nn.init.normal_(model.copy_head.gate.weight, std=1.0)
    if coverage:  # and a coverage weight away from 0
        model.copy_head.coverage_weight.data.fill_(-2.0)
    if continuation:  # and continuation weights away from their start
        model.copy_head.continuation_weight.data.copy_(torch.tensor([-1.0, 3.0]))
    batch = make_batch(examples, decoder_only=backbone == "gpt2", graph=graph)
    model.save_pretrained(tmp_path / "ckpt")
    assert (tmp_path / "ckpt" / WEIGHTS_NAME).exists() == (graph or copy)
    loaded = GraphCodeModel.from_pretrained(tmp_path / "ckpt").eval()
    assert loaded.config == model.config
    expected, found = _outputs(model, batch), _outputs(loaded, batch)
    assert_close(found.logits, expected.logits, rtol=0, atol=0)
    assert_close(found.loss, expected.loss, rtol=0, atol=0)
    assert not list(tmp_path.glob(".ckpt.*")), "temporary directories are cleaned up"


def test_tokenizer_is_saved_and_loaded(make_model, tmp_path):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2, "x": 3, "=": 4, "f": 5}
    raw = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    raw.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=raw, pad_token="<pad>", eos_token="</s>", unk_token="<unk>"
    )
    model = make_model("t5")
    model.tokenizer = tokenizer
    model.save_pretrained(tmp_path / "ckpt")
    loaded = GraphCodeModel.from_pretrained(tmp_path / "ckpt")
    assert loaded.tokenizer("x = f")["input_ids"] == tokenizer("x = f")["input_ids"] == [3, 4, 5]


def test_saving_over_an_existing_checkpoint_replaces_it(make_model, tmp_path):
    make_model("t5", "memory").save_pretrained(tmp_path / "ckpt")
    make_model("t5", "memory", graph=False).save_pretrained(tmp_path / "ckpt")
    assert not (tmp_path / "ckpt" / WEIGHTS_NAME).exists()
    assert GraphCodeModel.from_pretrained(tmp_path / "ckpt").config.graph is False


def test_a_failed_save_leaves_the_old_checkpoint(make_model, tmp_path):
    make_model("t5", "memory").save_pretrained(tmp_path / "ckpt")
    before = sorted(p.name for p in (tmp_path / "ckpt").iterdir())

    class Broken:
        def save_pretrained(self, directory):
            raise OSError("disk full")

    model = make_model("t5", "gate")
    model.tokenizer = Broken()
    with pytest.raises(OSError, match="disk full"):
        model.save_pretrained(tmp_path / "ckpt")
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == before
    assert GraphCodeModel.from_pretrained(tmp_path / "ckpt").fusion.mode == "memory"
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt"]


def test_plain_backbone_gets_a_fresh_graph(make_model, tmp_path):
    source = make_model("gpt2", graph=False)
    source.backbone.save_pretrained(tmp_path / "plain")
    config = GraphCodeConfig(
        backbone="ignored", gnn={"hidden_size": 24, "num_node_types": 11}, fusion={"mode": "add"}
    )
    model = GraphCodeModel.from_pretrained(tmp_path / "plain", config=config)
    assert model.config.backbone == str(tmp_path / "plain")
    assert model.graph_encoder is not None and model.fusion.mode == "add"
    for name, value in source.backbone.state_dict().items():
        assert torch.equal(model.backbone.state_dict()[name], value), name


@pytest.fixture
def saved(make_model, tmp_path):
    directory = tmp_path / "ckpt"
    make_model("t5", "add+memory").save_pretrained(directory)
    return directory


def _truncate(path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def test_truncated_graph_weights(saved):
    _truncate(saved / WEIGHTS_NAME)
    with pytest.raises(
        CheckpointError, match=rf"{WEIGHTS_NAME}: truncated: expected \d+ bytes .*, found \d+ bytes"
    ):
        GraphCodeModel.from_pretrained(saved)


def test_graph_weights_cut_inside_the_header(saved):
    _truncate(saved / WEIGHTS_NAME, keep=0.001)
    with pytest.raises(CheckpointError, match=rf"{WEIGHTS_NAME}: truncated"):
        GraphCodeModel.from_pretrained(saved)


def test_truncated_backbone_weights(saved):
    _truncate(saved / "backbone" / "model.safetensors")
    with pytest.raises(CheckpointError, match=r"backbone/model.safetensors: truncated"):
        GraphCodeModel.from_pretrained(saved)


def test_missing_graph_weights_file(saved):
    (saved / WEIGHTS_NAME).unlink()
    with pytest.raises(CheckpointError, match=rf"{WEIGHTS_NAME}: expected a safetensors file, found nothing"):
        GraphCodeModel.from_pretrained(saved)


def _edit_weights(path, edit) -> None:
    state = load_file(str(path))
    edit(state)
    save_file(state, str(path), metadata={"format": "pt"})


def test_missing_and_unexpected_graph_keys(saved):
    def edit(state):
        state.pop("graph_encoder.final_norm.weight")
        state["fusion.extra"] = torch.zeros(2)

    _edit_weights(saved / WEIGHTS_NAME, edit)
    with pytest.raises(
        CheckpointError,
        match=r"missing keys: graph_encoder.final_norm.weight; unexpected keys: fusion.extra",
    ):
        GraphCodeModel.from_pretrained(saved)


def test_mismatched_graph_shapes(saved):
    def edit(state):
        state["graph_encoder.node_type_embedding.weight"] = torch.zeros(12, 24)

    _edit_weights(saved / WEIGHTS_NAME, edit)
    with pytest.raises(
        CheckpointError,
        match=r"graph_encoder.node_type_embedding.weight expected \(11, 24\), found \(12, 24\)",
    ):
        GraphCodeModel.from_pretrained(saved)


def test_missing_and_mismatched_backbone_keys(saved):
    path = saved / "backbone" / "model.safetensors"
    _edit_weights(path, lambda state: state.pop("decoder.final_layer_norm.weight"))
    with pytest.raises(
        CheckpointError, match=r"backbone: weights do not match .* missing keys: decoder.final_layer_norm"
    ):
        GraphCodeModel.from_pretrained(saved)

    _edit_weights(path, lambda state: state.update({"decoder.final_layer_norm.weight": torch.ones(31)}))
    with pytest.raises(
        CheckpointError, match=r"decoder.final_layer_norm.weight expected \(32,\), found \(31,\)"
    ):
        GraphCodeModel.from_pretrained(saved)


def test_broken_config_json(saved):
    path = saved / CONFIG_NAME
    path.write_text(path.read_text()[:40])
    with pytest.raises(CheckpointError, match=rf"{CONFIG_NAME}: expected valid JSON"):
        GraphCodeModel.from_pretrained(saved)


def test_config_json_with_a_bad_field(saved):
    path = saved / CONFIG_NAME
    data = json.loads(path.read_text())
    data["gnn"]["conv"] = "gin"
    path.write_text(json.dumps(data))
    with pytest.raises(CheckpointError, match=rf"{CONFIG_NAME}: gnn.conv: expected one of .*, found 'gin'"):
        GraphCodeModel.from_pretrained(saved)


def test_config_json_of_another_format(saved):
    path = saved / CONFIG_NAME
    data = json.loads(path.read_text())
    data["format_version"] = 99
    path.write_text(json.dumps(data))
    with pytest.raises(CheckpointError, match="expected format_version 1, found 99"):
        GraphCodeModel.from_pretrained(saved)


def test_checkpoint_error_exit_code():
    assert CheckpointError.exit_code == 7
