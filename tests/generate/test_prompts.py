from __future__ import annotations

import json

import pytest

from graphcode.errors import InputError
from graphcode.generate.prompts import Prompt, read_prompts


def test_arguments_and_jsonl(tmp_path):
    path = tmp_path / "p.jsonl"
    lines = [
        {"id": "a", "source": "def f(x):\n", "lang": "python", "target_lang": "python"},
        {"prompt": "int f()"},
        {"source": "x", "id": 7},
    ]
    path.write_text("\n".join(json.dumps(r) for r in lines) + "\n\n", encoding="utf-8")
    prompts = read_prompts(["x = 1"], str(path))
    assert prompts == [
        Prompt("0", "x = 1"),
        Prompt("a", "def f(x):\n", "python", "python"),
        Prompt("2", "int f()"),
        Prompt("7", "x"),
    ]


def test_text_file_one_prompt_per_line(tmp_path):
    path = tmp_path / "p.txt"
    path.write_text("def f(x):\n\nclass A:\n", encoding="utf-8")
    assert [p.source for p in read_prompts([], str(path))] == ["def f(x):", "class A:"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"source": "x"}\n{"source": 3}\n', r"p.jsonl:2: expected a string field 'source'"),
        ('{"source": "x"}\nnot json\n', r"p.jsonl:2: expected a JSON object, found invalid JSON"),
        ('["x"]\n', r"p.jsonl:1: expected a JSON object, found list"),
        ('{"source": "x", "lang": ""}\n', r"p.jsonl:1: field 'lang': expected a non-empty string"),
    ],
)
def test_bad_jsonl_names_the_line(tmp_path, content, message):
    path = tmp_path / "p.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_prompts([], str(path))


def test_missing_file_and_no_prompts(tmp_path):
    with pytest.raises(InputError, match="expected a prompts file, found nothing"):
        read_prompts([], str(tmp_path / "none.txt"))
    with pytest.raises(InputError, match="expected at least one prompt"):
        read_prompts([], None)
    (tmp_path / "bin.txt").write_bytes(b"\xff\xfe")
    with pytest.raises(InputError, match="expected UTF-8 text"):
        read_prompts([], str(tmp_path / "bin.txt"))
