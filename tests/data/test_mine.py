from __future__ import annotations

import itertools
import json
from collections import defaultdict
from pathlib import Path

import pytest

from graphcode.cli import main
from graphcode.data.dedup import Deduplicator, jaccard, normalized_tokens
from graphcode.data.mine import MineConfig, clean_doc, find_functions, make_example, mine, split_for
from graphcode.data.records import read_jsonl
from graphcode.errors import ConfigError, UnknownLanguageError

# --------------------------------------------------------------------------- the queries, as annotated sources

# (language, source, task, expected source, expected target); None: the function gives no example.
TASK_CASES = [
    (
        "python",
        'class A:\n    def f(self, x):\n        """Add one."""\n        y = x + 1\n        return y\n',
        "docstring-to-body",
        'def f(self, x):\n    """Add one."""',
        "\n    y = x + 1\n    return y",
    ),
    (
        "python",
        '# Add one.\n# Really.\ndef f(x):\n    return x + 1\n',
        "docstring-to-body",
        "# Add one.\n# Really.\ndef f(x):\n    ",
        "return x + 1",
    ),
    (  # a comment block separated by a blank line is not the function's doc
        "python",
        "# License header.\n\ndef f(x):\n    return x + 1\n",
        "docstring-to-body",
        None,
        None,
    ),
    (
        "python",
        'def f(x):\n    """Add one.\n\n    More words.\n    """\n    y = x + 1\n    return y\n',
        "summarize",
        "def f(x):\n    y = x + 1\n    return y",
        "Add one.",
    ),
    (
        "python",
        'def f(x):\n    """Doc."""\n    a = 1\n    b = 2\n    c = 3\n    return a + b + c\n',
        "completion",
        'def f(x):\n    """Doc."""\n    a = 1\n    b = 2\n    ',
        "c = 3\n    return a + b + c",
    ),
    (
        "java",
        "class A {\n    /** Adds one. */\n    @Override\n    public int f(int x) { return x + 1; }\n}\n",
        "docstring-to-body",
        "/** Adds one. */\n@Override\npublic int f(int x) ",
        "{ return x + 1; }",
    ),
    (
        "java",
        "class A {\n    /**\n     * Adds one.\n     * @param x a number\n     */\n    int f(int x) { return x + 1; }\n}\n",
        "summarize",
        "int f(int x) { return x + 1; }",
        "Adds one. @param x a number",
    ),
]


@pytest.mark.parametrize(("lang", "code", "task", "source", "target"), TASK_CASES)
def test_mining_query_and_task(lang, code, task, source, target):
    data = code.encode("utf-8")
    functions = find_functions(data, lang)
    assert len(functions) == 1
    example = make_example(functions[0], data, task)
    if source is None:
        assert example is None
    else:
        assert example is not None
        assert (example.source, example.target) == (source, target)


def test_clean_doc_strips_markers_and_keeps_the_first_paragraph():
    assert clean_doc('r"""  Return x.\n\n    Details.\n    """') == "Return x."
    assert clean_doc("/**\n * Adds one\n * to x.\n */") == "Adds one to x."
    assert clean_doc("// one\n// two") == "one two"
    assert clean_doc("# hello") == "hello"


# --------------------------------------------------------------------------- dedup


def test_dedup_exact_ignores_whitespace_and_keeps_the_first():
    d = Deduplicator()
    assert d.offer("def f(x):\n    return x + 1").keep
    verdict = d.offer("def  f( x ):\n\treturn x+1")
    assert (verdict.keep, verdict.reason, verdict.duplicate_of) == (False, "exact", 0)


def test_dedup_near_duplicates_by_minhash_jaccard():
    body = "\n".join(f"    total = total + values[{i}] * weights[{i}]" for i in range(30))
    a = f"def score(values, weights):\n    total = 0\n{body}\n    return total"
    b = a.replace("return total", "return total / 2")
    c = "def other(a, b):\n    return sorted(set(a) | set(b), key=len)"
    assert jaccard(a, b) >= 0.85
    d = Deduplicator(threshold=0.85)
    assert d.offer(a).keep
    assert d.offer(b).reason == "near"
    assert d.offer(c).keep
    assert Deduplicator(threshold=None).offer(a).keep


def test_dedup_rejects_bad_settings():
    with pytest.raises(ConfigError, match="num_perm"):
        Deduplicator(num_perm=10, bands=4)
    with pytest.raises(ConfigError, match="threshold"):
        Deduplicator(threshold=1.5)


# --------------------------------------------------------------------------- mining real code


@pytest.fixture(scope="module")
def mined(stdlib_tree):
    reports: list[str] = []
    result = mine(MineConfig(sources=[str(stdlib_tree)], split_fractions=[0.5, 0.25, 0.25]), report=reports.append)
    return result, reports


def test_mining_reports_and_skips_bad_files(mined):
    result, reports = mined
    assert len(reports) == 2 == len(result.skipped_files)
    assert any("broken_binary.py" in r and "binary" in r for r in reports)
    assert any("broken_latin1.py" in r and "UTF-8" in r for r in reports)
    assert result.files > 5 and len(result.records) > 50


def test_mined_splits_do_not_leak(mined):
    result, _ = mined
    records = result.records
    assert set(result.split_counts()) == {"train", "validation", "test"}
    assert all(v > 0 for v in result.split_counts().values())
    split_of_file: dict[str, set[str]] = defaultdict(set)
    for r in records:
        split_of_file[r.extra["path"]].add(r.extra["split"])
        assert r.extra["split"] == split_for(r.extra["path"], [0.5, 0.25, 0.25])
    assert all(len(splits) == 1 for splits in split_of_file.values()), "a file feeds two splits"
    # no exact duplicate anywhere (so none across splits); the verbatim copy was removed
    keys = [" ".join(normalized_tokens(r.source + "\n" + r.target)) for r in records]
    assert len(keys) == len(set(keys))
    assert result.filtered["exact"] > 0
    assert result.filtered["near"] > 0
    # no near duplicate across splits either
    by_split = defaultdict(list)
    for r in records:
        by_split[r.extra["split"]].append(r.source + "\n" + r.target)
    for a_split, b_split in itertools.combinations(by_split, 2):
        for a in by_split[a_split]:
            for b in by_split[b_split]:
                assert jaccard(a, b) < 0.85


def test_mining_is_deterministic(stdlib_tree, mined):
    again = mine(MineConfig(sources=[str(stdlib_tree)], split_fractions=[0.5, 0.25, 0.25]))
    assert [r.to_json() for r in again.records] == [r.to_json() for r in mined[0].records]


def test_mine_command_writes_jsonl(stdlib_tree, tmp_path, capsys):
    out = tmp_path / "out" / "mined.jsonl"
    code = main(["mine", str(stdlib_tree), "--lang", "python", "--out", str(out), "--task", "summarize",
                 "--no-progress", "--exclude", "vendored"])
    assert code == 0
    records = read_jsonl(out)
    assert records and all(r.extra["task"] == "summarize" for r in records)
    assert not any("vendored" in r.id for r in records)
    assert "examples from" in capsys.readouterr().err
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")], "a temporary file was left"
    first = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert {"id", "source", "target", "lang", "split"} <= set(first)


def test_mine_java(tmp_path):
    src = tmp_path / "src" / "A.java"
    src.parent.mkdir()
    src.write_text(
        "class A {\n  /** Returns the sum of a and b. */\n  int add(int a, int b) { int s = a + b; return s; }\n"
        "  // Returns twice x.\n  int twice(int x) { return x + x; }\n}\n",
        encoding="utf-8",
    )
    result = mine(MineConfig(sources=[str(src.parent)], lang="java"))
    assert [r.id for r in result.records] == ["A.java:2:add", "A.java:4:twice"]
    assert result.records[0].target == "{ int s = a + b; return s; }"


DOCUMENTED = {
    # language: (file name, code with one documented function, its name, a word of its doc)
    "c": ("a.c", "/** Add two numbers. */\nint add(int a, int b) {\n  return a + b;\n}\n", "add", "Add"),
    "cpp": ("a.cpp", "class A {\n  /// Get it.\n  int get() { return 1; }\n};\n", "get", "Get"),
    "c_sharp": ("a.cs", "class A {\n  /// <summary>Add.</summary>\n  int Add(int a) { return a; }\n}\n", "Add", "Add"),
    "go": ("a.go", "package p\n\n// Add adds.\nfunc Add(a int) int {\n\treturn a\n}\n", "Add", "adds"),
    "javascript": ("a.js", "/** Add two numbers. */\nfunction add(a, b) {\n  return a + b;\n}\n", "add", "Add"),
    "typescript": ("a.ts", "/** Add. */\nexport function add(a: number): number {\n  return a;\n}\n", "add", "Add"),
    "php": ("a.php", "<?php\n/** Add two numbers. */\nfunction add($a) {\n    return $a;\n}\n", "add", "Add"),
    "ruby": ("a.rb", "# Add two numbers.\ndef add(a)\n  a + 1\nend\n", "add", "Add"),
    "rust": ("a.rs", "/// Add two numbers.\nfn add(a: i32) -> i32 {\n    a + 1\n}\n", "add", "Add"),
}


@pytest.mark.parametrize("lang", sorted(DOCUMENTED))
def test_every_language_mines_its_documented_functions(lang, tmp_path):
    name, code, function, word = DOCUMENTED[lang]
    (tmp_path / name).write_text(code, encoding="utf-8")
    (record,) = mine(MineConfig(sources=[str(tmp_path)], lang=lang)).records
    assert record.id.endswith(f":{function}") and word in record.source and record.target.strip()


def test_mine_errors(tmp_path, monkeypatch):
    from graphcode.graphs.languages import get_spec

    spec = get_spec("go")
    (tmp_path / "go").mkdir()
    bare = type(spec)(**{**spec.__dict__, "folder": tmp_path / "go"})  # a language folder without mine.scm
    monkeypatch.setattr("graphcode.data.mine.get_spec", lambda lang: bare)
    from graphcode.data import mine as mine_module

    clear = getattr(mine_module.mine_query, "cache_clear", lambda: None)
    clear()
    try:
        with pytest.raises(ConfigError, match=r"mine.scm: expected a mining query for go"):
            (tmp_path / "x.go").write_text("package x\n", encoding="utf-8")
            mine(MineConfig(sources=[str(tmp_path)], lang="go"))
    finally:
        monkeypatch.undo()
        clear()
    with pytest.raises(ConfigError, match="split_fractions"):
        MineConfig(split_fractions=[0.5, 0.5, 0.5])
    with pytest.raises(UnknownLanguageError):
        MineConfig(lang="cobol")
    with pytest.raises(ConfigError, match="'stdlib' is the Python standard library"):
        mine(MineConfig(sources=["stdlib"], lang="java"))
    assert main(["mine", str(Path(tmp_path) / "missing"), "--out", str(tmp_path / "o.jsonl"), "--no-progress"]) == 3
