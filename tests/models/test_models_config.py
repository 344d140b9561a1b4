from __future__ import annotations

import json

import pytest

from graphcode.errors import ConfigError
from graphcode.models import CONVS, FusionConfig, GNNConfig, GraphCodeConfig
from graphcode.models.config import CONV_KINDS


def test_defaults_are_valid_and_round_trip_through_json():
    config = GraphCodeConfig(backbone="some/model")
    data = json.loads(json.dumps(config.to_dict()))
    assert GraphCodeConfig.from_dict(data) == config
    assert config.gnn.conv == "gcn"
    assert config.gnn.num_relations == 24  # 12 edge kinds (5 AST and data flow, 7 control flow), doubled by reverses


def test_nested_dicts_become_dataclasses():
    config = GraphCodeConfig(backbone={"model_type": "t5"}, gnn={"conv": "rgcn"}, fusion={"mode": "gate"})
    assert isinstance(config.gnn, GNNConfig) and config.gnn.conv == "rgcn"
    assert isinstance(config.fusion, FusionConfig) and config.fusion.mode == "gate"


def test_every_conv_kind_has_a_layer():
    assert set(CONVS) == set(CONV_KINDS)


@pytest.mark.parametrize(
    ("cls", "kwargs", "field", "found"),
    [
        (GNNConfig, {"conv": "gin"}, "gnn.conv", "'gin'"),
        (GNNConfig, {"num_layers": 0}, "gnn.num_layers", "0"),
        (GNNConfig, {"hidden_size": True}, "gnn.hidden_size", "True"),
        (GNNConfig, {"dropout": 1.0}, "gnn.dropout", "1.0"),
        (GNNConfig, {"num_node_types": 1}, "gnn.num_node_types", "1"),
        (GNNConfig, {"add_reverse_edges": "yes"}, "gnn.add_reverse_edges", "'yes'"),
        (GNNConfig, {"node_feature": "tokens"}, "gnn.node_feature", "'tokens'"),
        (GNNConfig, {"conv": "gat", "hidden_size": 30, "heads": 4}, "gnn.hidden_size", "30"),
        (FusionConfig, {"mode": "concat"}, "fusion.mode", "'concat'"),
        (FusionConfig, {"num_prefix_tokens": 0}, "fusion.num_prefix_tokens", "0"),
        (FusionConfig, {"init_std": 0.0}, "fusion.init_std", "0.0"),
        (GraphCodeConfig, {"backbone": ""}, "config.backbone", "''"),
        (GraphCodeConfig, {"backbone": {"d_model": 32}}, "config.backbone", "None"),
        (GraphCodeConfig, {"backbone": "m", "graph": 1}, "config.graph", "1"),
    ],
)
def test_bad_values_name_the_field_and_what_was_found(cls, kwargs, field, found):
    with pytest.raises(ConfigError, match="expected") as info:
        cls(**kwargs)
    message = str(info.value)
    assert message.startswith(field)
    assert f"found {found}" in message


def test_unknown_keys_are_refused():
    with pytest.raises(ConfigError, match=r"gnn: unknown field\(s\) layers"):
        GraphCodeConfig(backbone="m", gnn={"layers": 3})
    with pytest.raises(ConfigError, match=r"config\.backbone"):
        GraphCodeConfig.from_dict({"graph": True})


@pytest.mark.parametrize(
    ("mode", "is_encoder_decoder", "resolved"),
    [("auto", True, "memory"), ("auto", False, "prefix"), ("gate", True, "gate"), ("add", False, "add")],
)
def test_resolve_mode(mode, is_encoder_decoder, resolved):
    assert FusionConfig(mode=mode).resolve_mode(is_encoder_decoder) == resolved


@pytest.mark.parametrize(
    ("mode", "is_encoder_decoder"), [("prefix", True), ("memory", False), ("gate", False)]
)
def test_mode_that_does_not_fit_the_backbone_is_refused(mode, is_encoder_decoder):
    with pytest.raises(ConfigError, match=f"fusion.mode: expected one of .* backbone, found '{mode}'"):
        FusionConfig(mode=mode).resolve_mode(is_encoder_decoder)


def test_config_imports_without_torch():
    import subprocess
    import sys

    code = "import sys, graphcode.models.config; assert 'torch' not in sys.modules, 'torch was imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_models_edge_kinds_are_the_graphs_edge_kinds_in_id_order():
    # models/ does not import graphs/: its copy of the data contract must not drift from the graph's ids
    from graphcode.graphs import EDGE_KINDS as GRAPH_EDGE_KINDS
    from graphcode.models.config import EDGE_KINDS

    assert EDGE_KINDS == GRAPH_EDGE_KINDS
    assert GNNConfig().num_edge_types == len(GRAPH_EDGE_KINDS)
