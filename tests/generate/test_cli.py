"""``graphcode generate`` end to end on tiny exported models (and a Lightning checkpoint)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from graphcode.check import check_syntax
from graphcode.cli import main

from .tiny import GPT2, T5, make_tokenizer

STATUSES = {"valid", "repaired", "no_valid_candidate"}


pytestmark = pytest.mark.usefixtures("one_thread")


def _export(path, kind: str, graph: bool, settings: dict | None = None):
    from graphcode.graphs.vocab import load_vocab
    from graphcode.models import GraphCodeConfig, GraphCodeModel

    tokenizer = make_tokenizer()
    torch.manual_seed(0)
    backbone = {**(GPT2 if kind == "gpt2" else T5), "vocab_size": len(tokenizer)}
    gnn = {"hidden_size": 24, "num_layers": 1, "dropout": 0.0, "num_node_types": load_vocab("python").size}
    config = GraphCodeConfig(backbone=backbone, graph=graph, gnn=gnn, fusion={"num_prefix_tokens": 2})
    GraphCodeModel(config, tokenizer=tokenizer).save_pretrained(path)
    if settings is not None:
        (path / "graphcode_data.json").write_text(json.dumps(settings), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def t5_graph(tmp_path_factory):
    settings = {"lang": "python", "target_lang": "python", "graph": True, "max_source_length": 32,
                "max_target_length": 6, "graph_options": {"edges": ["child", "next_token"], "prune": True}}
    return _export(tmp_path_factory.mktemp("t5") / "export", "t5", True, settings)


@pytest.fixture(scope="module")
def gpt2_plain(tmp_path_factory):
    return _export(tmp_path_factory.mktemp("gpt2") / "export", "gpt2", False)


def _records(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _check_records(records: list[dict], rc: int) -> None:
    for r in records:
        assert r["status"] in STATUSES
        if r["status"] == "no_valid_candidate":
            assert r["chosen"] is None and r["code"] is None and r["output"] is None
        else:
            assert check_syntax(r["code"], r["target_lang"]).valid  # never invalid code marked valid
            chosen = r["candidates"][r["chosen"]]
            assert chosen["valid"] == (r["status"] == "valid")
            assert (r["repair"] == "truncate") == (r["status"] == "repaired")
        for c in r["candidates"]:
            assert set(c) == {"index", "text", "score", "valid", "errors", "repair", "findings", "rejected"}
            assert c["valid"] == (not c["errors"])
            assert all(set(e) == {"line", "column", "message"} for e in c["errors"])
    assert rc == (1 if any(r["status"] == "no_valid_candidate" for r in records) else 0)


def test_beam_search_on_a_graph_model(t5_graph, tmp_path):
    out = tmp_path / "out.jsonl"
    rc = main(["generate", "--model", str(t5_graph), "x=1\n", "def f( x):\n", "--strategy", "beam",
               "--num-candidates", "2", "--out", str(out), "--no-progress", "--batch-size", "1"])
    records = _records(out)
    assert [r["id"] for r in records] == ["0", "1"]
    assert all(r["lang"] == r["target_lang"] == "python" for r in records)  # from graphcode_data.json
    assert all(len(r["candidates"]) == 2 for r in records)
    assert all(len(c["text"]) <= 6 * 6 for r in records for c in r["candidates"])  # max_target_length tokens
    _check_records(records, rc)


def test_length_penalty_reaches_beam_search(t5_graph, tmp_path, monkeypatch):
    from graphcode.models import GraphCodeModel

    seen: list[float] = []
    generate = GraphCodeModel.generate

    def spy(self, batch, **kwargs):
        seen.append(kwargs["length_penalty"])
        return generate(self, batch, **kwargs)

    monkeypatch.setattr(GraphCodeModel, "generate", spy)
    out = tmp_path / "out.jsonl"
    rc = main(["generate", "--model", str(t5_graph), "x=1\n", "--strategy", "beam", "--num-candidates", "2",
               "--length-penalty", "1.5", "--out", str(out), "--no-progress"])
    assert seen == [1.5]
    _check_records(_records(out), rc)


def test_max_len_a_and_b_hold_each_prompt_to_its_own_length(gpt2_plain, tmp_path):
    out = tmp_path / "out.jsonl"
    args = ["generate", "--model", str(gpt2_plain), "x=1\n", "--lang", "python", "--out", str(out), "--no-progress",
            "--max-new-tokens", "12"]
    main(args)
    free = _records(out)[0]["candidates"][0]["text"]
    main([*args, "--max-len-a", "0.25", "--max-len-b", "1"])
    capped = _records(out)[0]["candidates"][0]["text"]
    assert free.startswith(capped) and len(capped) < len(free), "the untrained model runs on; the cap cuts it"


def test_precision_runs_generation_under_autocast(t5_graph, tmp_path, monkeypatch):
    """``--precision bf16-mixed`` generates under torch's autocast in bfloat16 (as ``graphcode test`` does for a
    model trained so); the default runs float32 without it. Either way every record is checked."""
    from graphcode.models import GraphCodeModel

    seen: list[tuple[bool, torch.dtype]] = []
    generate = GraphCodeModel.generate

    def spy(self, *args, **kwargs):
        seen.append((torch.is_autocast_enabled("cpu"), torch.get_autocast_dtype("cpu")))
        return generate(self, *args, **kwargs)

    monkeypatch.setattr(GraphCodeModel, "generate", spy)
    for precision, expected in (("bf16-mixed", (True, torch.bfloat16)), ("32", (False, None))):
        seen.clear()
        out = tmp_path / f"{precision}.jsonl"
        rc = main(["generate", "--model", str(t5_graph), "x=1\n", "--strategy", "beam", "--num-candidates", "2",
                   "--precision", precision, "--out", str(out), "--no-progress", "--device", "cpu"])
        assert seen and all(on == expected[0] for on, _ in seen)
        if expected[1] is not None:
            assert all(dtype == expected[1] for _, dtype in seen)
        _check_records(_records(out), rc)


def test_an_unknown_precision_is_a_usage_error(gpt2_plain, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["generate", "--model", str(gpt2_plain), "x", "--lang", "python", "--precision", "bf16"])
    assert stop.value.code == 2
    assert "--precision: invalid choice: 'bf16'" in capsys.readouterr().err


def test_precision_context_refuses_an_unknown_precision(t5_graph):
    from graphcode.errors import ConfigError
    from graphcode.generate.loading import load_model, precision_context

    model = load_model(t5_graph).model
    with pytest.raises(ConfigError, match=r"--precision: expected one of 32, bf16-mixed, 16-mixed, found 'bf16'"):
        precision_context(model, "bf16")


def test_guided_sampled_completion_from_a_jsonl_file(gpt2_plain, tmp_path, capsys):
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text(
        json.dumps({"id": "a", "source": "def f( x):\n", "lang": "python"}) + "\n"
        + json.dumps({"id": "b", "prompt": "x=", "lang": "py"}) + "\n",
        encoding="utf-8",
    )
    args = ["generate", "--model", str(gpt2_plain), "--prompts-file", str(prompts), "--task", "completion",
            "--strategy", "sample", "--num-candidates", "3", "--top-k", "5", "--seed", "7", "--guided",
            "--max-new-tokens", "6", "--no-progress"]
    rc = main(args)
    first = capsys.readouterr().out  # no --out: standard output
    records = [json.loads(line) for line in first.splitlines()]
    assert [r["id"] for r in records] == ["a", "b"] and all(r["task"] == "completion" for r in records)
    assert all(r["checked"] == "prompt+output" for r in records)
    for r in records:
        if r["status"] != "no_valid_candidate":
            assert r["code"] == r["prompt"] + r["output"]
    _check_records(records, rc)
    assert main(args) == rc and capsys.readouterr().out == first  # --seed makes it repeatable


def _save_checkpoint(tmp_path: Path, name: str, **extra) -> Path:
    """A Lightning checkpoint of a tiny graph-off module whose tokenizer is saved beside it; ``extra`` entries too."""
    import lightning

    from graphcode.data.tokenizer import TokenizerConfig
    from graphcode.training.module import GraphCodeModule

    tokenizer_dir = tmp_path / "tokenizer"
    make_tokenizer().save_pretrained(str(tokenizer_dir))
    module = GraphCodeModule(backbone={**T5, "vocab_size": 18}, graph=False,
                             tokenizer=TokenizerConfig(name_or_path=str(tokenizer_dir)))
    module.configure_model()
    ckpt = tmp_path / name
    torch.save({"state_dict": module.state_dict(), "hyper_parameters": dict(module.hparams),
                "pytorch-lightning_version": lightning.__version__, **extra}, ckpt)
    return ckpt


def test_a_lightning_checkpoint(tmp_path):
    ckpt = _save_checkpoint(tmp_path, "last.ckpt")
    out = tmp_path / "out.jsonl"
    rc = main(["generate", "--model", str(ckpt), "--lang", "python", "x=1\n", "--out", str(out), "--no-progress",
               "--max-new-tokens", "4"])
    _check_records(_records(out), rc)


class _Payload:
    """What a hostile checkpoint could hold: unpickling it calls ``_touch`` (code of the file's author)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (_touch, (self.path,))


def _touch(path: str) -> str:
    Path(path).write_text("ran", encoding="utf-8")
    return path


def test_a_checkpoint_that_needs_pickle_is_refused_unless_allowed(tmp_path, capsys):
    marker = tmp_path / "marker"
    ckpt = _save_checkpoint(tmp_path, "hostile.ckpt", extra=_Payload(str(marker)))
    args = ["generate", "--model", str(ckpt), "--lang", "python", "x=1\n", "--out", str(tmp_path / "out.jsonl"),
            "--no-progress", "--max-new-tokens", "2"]
    assert main(args) == 7
    err = capsys.readouterr().err
    assert "only pickle can load" in err and "--allow-pickle" in err and str(ckpt) in err
    assert not marker.exists(), "nothing of the file ran"
    main([*args, "--allow-pickle"])
    assert marker.read_text(encoding="utf-8") == "ran", "the flag names a real risk"


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        (["--model", "/nonexistent/model"], 7, "expected an exported model directory"),
        (["--lang", "klingon"], 4, "klingon"),
        (["--strategy", "greedy", "--num-candidates", "2"], 6, "expected 1 with --strategy greedy"),
        (["--batch-size", "0"], 6, "--batch-size: expected an integer >= 1"),
        (["--prompts-file", "/nonexistent.jsonl"], 3, "expected a prompts file, found nothing"),
        ([], 3, "expected a language"),
        (["--reject", "semantic:fatal"], 6, "--reject: expected semantic[:error|warning|note]"),
        (["--max-len-a", "0"], 6, "decoding.max_len_a (--max-len-a): expected a number > 0 or null"),
        (["--max-len-a", "1", "--max-len-b", "-2"], 6, "decoding.max_len_b (--max-len-b): expected an integer >= 0"),
        (["--length-penalty", "2"], 6, "decoding.length_penalty (--length-penalty): expected 1.0 without beam search"),
    ],
)
def test_errors_have_exit_codes(gpt2_plain, extra, code, message, capsys):
    lang = [] if code in (3, 4) else ["--lang", "python"]
    args = ["generate", "--model", str(gpt2_plain), "x", "--no-progress", *lang, *extra]
    if "--model" in extra:
        args = ["generate", "x", "--lang", "python", *extra]
    assert main(args) == code
    assert message in capsys.readouterr().err


def test_unwritable_output_fails_before_generating(gpt2_plain, tmp_path, capsys):
    assert main(["generate", "--model", str(gpt2_plain), "--lang", "python", "x", "--out", str(tmp_path)]) == 5
    assert "expected a file path to write, found a directory" in capsys.readouterr().err


def test_model_paths_that_are_not_models(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    (tmp_path / "weights.bin").write_bytes(b"x")
    (tmp_path / "broken.ckpt").write_bytes(b"not a checkpoint")
    for path, message in [
        (tmp_path / "empty", "found no graphcode_config.json"),
        (tmp_path / "weights.bin", "found a file that is not a .ckpt (.bin)"),
        (tmp_path / "broken.ckpt", "cannot be read as a checkpoint"),
    ]:
        assert main(["generate", "--model", str(path), "--lang", "python", "x", "--no-progress"]) == 7
        assert message in capsys.readouterr().err


def test_task_defaults_to_what_the_model_was_trained_for(tmp_path_factory, tmp_path):
    export = _export(tmp_path_factory.mktemp("continuation"), "t5", graph=False,
                     settings={"lang": "python", "check": "completion"})
    out = tmp_path / "out.jsonl"
    main(["generate", "--model", str(export), "def f(x):\n", "--max-new-tokens", "4", "--out", str(out),
          "--no-progress"])
    (record,) = _records(out)
    assert record["task"] == "completion" and record["checked"] == "prompt+output"
    out2 = tmp_path / "out2.jsonl"
    main(["generate", "--model", str(export), "def f(x):\n", "--max-new-tokens", "4", "--out", str(out2),
          "--no-progress", "--task", "generate"])
    assert _records(out2)[0]["task"] == "generate"


def test_reject_records_each_candidates_findings_and_never_chooses_a_rejected_one(gpt2_plain, tmp_path):
    out = tmp_path / "out.jsonl"
    rc = main(["generate", "--model", str(gpt2_plain), "--lang", "python", "x = 1\n", "def f():\n",
               "--strategy", "sample", "--num-candidates", "4", "--seed", "0", "--reject", "semantic:note",
               "--out", str(out), "--no-progress"])
    records = _records(out)
    _check_records(records, rc)
    for r in records:
        for c in r["candidates"]:
            if c["valid"]:
                assert c["rejected"] == bool(c["findings"])  # every finding is at 'note' or worse
            else:
                assert c["findings"] == [] and c["rejected"] is False  # invalid code is not analysed
        if r["chosen"] is not None and r["status"] == "valid":
            assert r["candidates"][r["chosen"]]["rejected"] is False
