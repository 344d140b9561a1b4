from __future__ import annotations

import json
from pathlib import Path

import pytest

from graphcode.data.dataset import ParallelFiles, load_records, subsample
from graphcode.data.records import TaskRecord, read_jsonl, read_parallel, write_jsonl
from graphcode.errors import ConfigError, InputError

CODEXGLUE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "codexglue-java-cs"


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_jsonl_round_trip_keeps_extra_fields(tmp_path):
    records = [TaskRecord("a", "x = 1", "y", "python", extra={"split": "train"}),
               TaskRecord("b", "int x;", "int y;", "java", target_lang="c_sharp")]
    path = tmp_path / "r.jsonl"
    assert write_jsonl(path, records) == 2
    assert read_jsonl(path) == records


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"id": "a", "source": "x", "target": "y"}', r"r.jsonl:2: field 'lang': expected a string, found nothing"),
        ('{"id": "a", "source": 3, "target": "y", "lang": "python"}', r"r.jsonl:2: field 'source': expected a string, found int"),
        ("[1, 2]", r"r.jsonl:2: expected a JSON object, found list"),
        ("{oops", r"r.jsonl:2: expected a JSON object, found invalid JSON"),
        ('{"id": "ok", "source": "x", "target": "y", "lang": "python"}', r"r.jsonl:2: field 'id': expected a unique id"),
    ],
)
def test_jsonl_errors_name_file_line_expected_found(tmp_path, line, message):
    path = _write(tmp_path / "r.jsonl", ['{"id": "ok", "source": "x", "target": "y", "lang": "python"}', line])
    with pytest.raises(InputError, match=message):
        read_jsonl(path)


def test_parallel_files_must_align(tmp_path):
    src = _write(tmp_path / "a.java", ["int a;", "int b;"])
    tgt = _write(tmp_path / "a.cs", ["int a;"])
    with pytest.raises(InputError, match=r"expected the same number of lines.*found 2 and 1"):
        read_parallel(src, tgt, "java", "c_sharp")


def test_load_records_by_split_field_and_pattern(tmp_path):
    rows = [{"id": str(i), "source": f"x = {i}", "target": "y", "lang": "py", "split": s}
            for i, s in enumerate(["train", "train", "validation"])]
    _write(tmp_path / "all.jsonl", [json.dumps(r) for r in rows])
    train = load_records(str(tmp_path / "all.jsonl"), "train", lang="python")
    assert train.dataset["id"] == ["0", "1"]
    assert load_records(str(tmp_path / "all.jsonl"), "validation", lang="python").dataset["id"] == ["2"]
    _write(tmp_path / "valid.jsonl", [json.dumps(rows[2])])
    assert len(load_records(str(tmp_path / "{split}.jsonl"), "valid", lang="python").dataset) == 1
    with pytest.raises(InputError, match=r"field 'lang': expected 'java' \(data.lang\), found 'py'"):
        load_records(str(tmp_path / "all.jsonl"), "train", lang="java")
    # the same content gives the same fingerprint; a subset a different one
    assert train.fingerprint == load_records(str(tmp_path / "all.jsonl"), "train", lang="python").fingerprint
    assert subsample(train, 1, 0).fingerprint != train.fingerprint
    assert len(subsample(train, 1, 0).dataset) == 1


def test_load_records_needs_a_split_field(tmp_path):
    _write(tmp_path / "r.jsonl", ['{"id": "a", "source": "x", "target": "y", "lang": "python"}'])
    with pytest.raises(InputError, match="expected a 'split' field"):
        load_records(str(tmp_path / "r.jsonl"), "train", lang="python")


def test_parquet_records(tmp_path):
    from datasets import Dataset

    Dataset.from_list([{"id": "a", "source": "x = 1", "target": "y", "lang": "python", "split": "test"}]).to_parquet(
        str(tmp_path / "r.parquet"))
    assert load_records(str(tmp_path / "r.parquet"), "test", lang="python").dataset["source"] == ["x = 1"]


def test_parallel_files_config_needs_a_split_pattern():
    with pytest.raises(ConfigError, match=r"data.parallel.source: expected a file name pattern with '\{split\}'"):
        ParallelFiles(source="train.java")


@pytest.mark.skipif(not CODEXGLUE.is_dir(), reason="the shared CodeXGLUE java-cs data is not on this machine")
def test_codexglue_java_cs_layout():
    parallel = ParallelFiles()
    train = load_records(str(CODEXGLUE), "train", lang="java", target_lang="c_sharp", parallel=parallel)
    valid = load_records(str(CODEXGLUE), "valid", lang="java", target_lang="c_sharp", parallel=parallel)
    assert (len(train.dataset), len(valid.dataset)) == (10295, 499)
    assert not list(CODEXGLUE.glob("test.*")), "the README says there is no test split"
    with pytest.raises(ConfigError, match=r"split 'test': expected test.java-cs.txt.java in .*, found splits train, valid"):
        load_records(str(CODEXGLUE), "test", lang="java", parallel=parallel)
