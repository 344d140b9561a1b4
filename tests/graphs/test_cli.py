"""`graphcode graph` and `graphcode check` as a user runs them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from graphcode.cli import main
from tests.graphs.conftest import SAMPLE_FILES, SAMPLES


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    (root / "pkg").mkdir(parents=True)
    for name in ("sample.py", "sample.go", "Sample.java"):
        shutil.copy(SAMPLES / name, root / "pkg" / name)
    (root / "pkg" / "broken.py").write_text("def f(:\n    return\n")
    (root / "bad_binary.py").write_bytes(b"\x00\xff\x00")
    (root / "latin1.py").write_bytes("s = 'caf\xe9'\n".encode("latin-1"))
    (root / "empty.py").write_bytes(b"")
    (root / "notes.txt").write_text("not code")
    (root / ".git").mkdir()
    (root / ".git" / "hook.py").write_text("x = 1\n")
    return root


def test_single_file_json_to_stdout(capsys) -> None:
    assert main(["graph", str(SAMPLES / "sample.py")]) == 0
    out = capsys.readouterr()
    data = json.loads(out.out)
    assert data["schema"] == "graphcode.graph/1" and data["lang"] == "python"
    assert "1 files, 0 failed" in out.err


def test_directory_reports_and_skips_bad_files(tree: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "graphs.jsonl"
    assert main(["graph", str(tree), "--out", str(out), "--quiet"]) == 1
    quiet = capsys.readouterr().err.splitlines()  # --quiet: the summary only, no per-file messages
    assert len(quiet) == 1 and quiet[0].startswith("graphcode graph: 7 files, 2 failed")
    code = main(["graph", str(tree), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert "bad_binary.py: expected a text file, found binary data" in err
    assert "latin1.py: expected UTF-8 text" in err
    assert "empty.py" not in err  # an empty file in a tree (a package marker) is skipped, not a failure
    assert "7 files, 2 failed, 1 empty skipped" in err  # broken.py is a graph with errors, not a failure
    lines = out.read_text().splitlines()
    assert len(lines) == 4
    langs = sorted(json.loads(line)["lang"] for line in lines)
    assert langs == ["go", "java", "python", "python"]
    assert not any(".git" in json.loads(line)["path"] for line in lines)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".graphs")] == []  # no temporary left


def test_exclude_patterns(tree: Path, capsys) -> None:
    main(["graph", str(tree), "--exclude", "pkg", "--exclude", "*binary*", "--summary-only"])
    err = capsys.readouterr().err
    assert "2 files, 1 failed, 1 empty skipped" in err  # latin1.py fails; pkg/ and bad_binary.py are excluded


def test_empty_file_named_explicitly_is_an_error(tree: Path, capsys) -> None:
    assert main(["graph", str(tree / "empty.py")]) == 3
    assert "expected source text, found an empty file" in capsys.readouterr().err


def test_summary_counts_nodes_and_edges_by_kind(tree: Path, capsys) -> None:
    main(["graph", str(tree / "pkg"), "--format", "jsonl"])
    out = capsys.readouterr()
    graphs = [json.loads(line) for line in out.out.splitlines()]
    nodes = sum(len(g["nodes"]) for g in graphs)
    assert f"{nodes:,} nodes" in out.err
    writes = sum(len(g["edges"]["last_write"]) for g in graphs)
    assert f"last_write={writes:,}" in out.err


def test_workers_give_the_same_output(tree: Path, tmp_path: Path) -> None:
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    main(["graph", str(tree / "pkg"), "--out", str(one), "--quiet"])
    main(["graph", str(tree / "pkg"), "--out", str(two), "--workers", "2", "--quiet"])
    assert one.read_text() == two.read_text()


def test_workers_start_under_spawn(tree: Path, tmp_path: Path, monkeypatch) -> None:
    """macOS and Windows start workers with `spawn`: the job must pickle."""
    import graphcode.graphs.cli as graph_cli

    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert main(["graph", str(tree / "pkg"), "--out", str(one), "--quiet"]) == 0
    monkeypatch.setattr(graph_cli, "_start_method", lambda: "spawn")
    assert main(["graph", str(tree / "pkg"), "--out", str(two), "--workers", "2", "--quiet"]) == 0
    assert one.read_text() == two.read_text()


def test_a_file_name_for_the_files_of_several_inputs_is_an_error(tree: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "two.dot"
    pkg = tree / "pkg"
    assert main(["graph", str(pkg / "sample.py"), str(pkg / "sample.go"), "--format", "dot", "--out", str(out)]) == 3
    assert "--out " + str(out) + ": expected a folder for the dot files of 2 inputs, found a file name" in capsys.readouterr().err
    assert not out.exists()


def test_a_reader_that_goes_away_ends_the_command_quietly(tree: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    child = subprocess.Popen([sys.executable, "-m", "graphcode", "graph", str(tree / "pkg"), "--format", "jsonl",
                              "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert child.stdout.readline().startswith(b"{")
    child.stdout.close()  # as `| head -1` does
    assert child.wait(timeout=120) in (0, 141)  # 0: it had written everything before the pipe closed
    assert child.stderr.read() == b"", "no traceback, no message"


def test_out_dir_mirrors_the_tree(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["graph", str(tree / "pkg"), "--format", "graphml", "--out", str(out), "--quiet"]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["Sample.java.graphml", "broken.py.graphml", "sample.go.graphml", "sample.py.graphml"]


def test_edges_option_and_dot(tmp_path: Path, capsys) -> None:
    assert main(["graph", str(SAMPLES / "sample.go"), "--edges", "ast", "--format", "dot"]) == 0
    dot = capsys.readouterr().out
    assert "digraph codegraph" in dot and "last_write" not in dot


def test_svg_without_graphviz_says_how_to_install(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` here
    code = main(["graph", str(SAMPLES / "sample.py"), "--format", "svg", "--out", str(tmp_path / "g.svg")])
    err = capsys.readouterr().err
    assert code == 8
    assert "needs Graphviz's 'dot' program" in err and "apt-get install graphviz" in err
    assert not (tmp_path / "g.svg").exists()


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_svg_with_graphviz(tmp_path: Path) -> None:
    out = tmp_path / "g.svg"
    assert main(["graph", str(SAMPLES / "sample.py"), "--format", "svg", "--out", str(out), "--quiet"]) == 0
    assert "<svg" in out.read_text()


def test_exit_codes_for_bad_input(tmp_path: Path, capsys) -> None:
    assert main(["graph", str(tmp_path / "missing.py")]) == 3
    assert main(["graph", str(SAMPLES / "sample.py"), "--lang", "cobol"]) == 4
    odd = tmp_path / "file.xyz"
    odd.write_text("x")
    assert main(["graph", str(odd)]) == 4
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be")
    assert main(["graph", str(SAMPLES / "sample.py"), "--out", str(blocker / "g.json")]) == 5
    err = capsys.readouterr().err
    assert "expected a folder to write g.json into, found a file" in err or "expected a folder we can create" in err
    assert main(["nonsense"]) == 2


def test_check_reports_positions(tmp_path: Path, capsys) -> None:
    good = tmp_path / "good.py"
    good.write_text("def f(x):\n    return x\n")
    py2 = tmp_path / "py2.py"
    py2.write_text("print 'hello'\n")
    outside = tmp_path / "outside.py"
    outside.write_text("return 1\n")
    indent = tmp_path / "indent.py"
    indent.write_text("if x:\n  a = 1\n    b = 2\n")
    broken_java = tmp_path / "A.java"
    broken_java.write_text("class A { void f() { int x = ; } }\n")
    assert main(["check", str(good)]) == 0
    assert main(["check", str(py2), str(outside), str(indent), str(broken_java)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert f"{py2}:1:1: SyntaxError: Missing parentheses in call to 'print'. Did you mean print(...)?" in out
    assert f"{outside}:1:1: SyntaxError: 'return' outside function" in out
    assert f"{indent}:3:4: IndentationError: unexpected indent" in out  # the compiler's own position
    assert any(line.startswith(f"{broken_java}:1:28: syntax error") for line in out)
    # tree-sitter alone accepts what the compiler rejects
    assert main(["check", "--no-compiler", str(py2)]) == 0


def test_check_skips_unreadable_files(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.py"
    bad.write_bytes(b"\xff\xfe\x00")
    good = tmp_path / "good.py"
    good.write_text("x = 1\n")
    assert main(["check", str(bad), str(good)]) == 3
    err = capsys.readouterr().err
    assert "bad.py: expected a text file" in err and "1 files checked" in err


@pytest.mark.parametrize("lang", sorted(SAMPLE_FILES))
def test_check_accepts_every_sample(lang: str, capsys) -> None:
    assert main(["check", str(SAMPLES / SAMPLE_FILES[lang])]) == 0


def test_graph_and_check_start_without_torch(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from graphcode.cli import main\n"
        f"assert main(['graph', {str(SAMPLES / 'sample.py')!r}, '--quiet']) == 0\n"
        f"assert main(['check', {str(SAMPLES / 'sample.py')!r}, '--quiet']) == 0\n"
        "import graphcode\n"
        "graphcode.parse('x = 1', 'python'); graphcode.check_syntax('x = 1', 'python')\n"
        "heavy = [m for m in ('torch', 'transformers', 'lightning', 'torch_geometric') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    assert done.returncode == 0, done.stderr


POSIXPATH = Path(__import__("posixpath").__file__)  # real code: the standard library's posixpath.py


def test_pictures_keep_source_order_and_data_flow_pictures_keep_only_what_flows(capsys) -> None:
    import re

    import graphcode
    from graphcode.graphs.export import to_dot

    g = graphcode.parse("def f(a, b):\n    x = a + b\n    return -x\n", "python")
    dot = to_dot(g)
    for parent in range(g.num_nodes):  # every parent's children chained left to right, in source order
        kids = g.children(parent)
        if len(kids) > 1:
            assert "{rank=same; " + " -> ".join(f"n{k}" for k in kids) + " [style=invis" in dot
    flow = to_dot(g, edges={"last_write", "computed_from"})
    drawn = {int(n) for n in re.findall(r"^  n(\d+) \[label", flow, flags=re.MULTILINE)}
    touched = {n for kind in ("last_write", "computed_from") for edge in g.edges[kind] for n in edge}
    ancestors = set()
    for n in touched:
        while n >= 0:
            ancestors.add(n)
            n = g.parent[n]
    assert drawn == ancestors < set(range(g.num_nodes)), "touched nodes and their ancestors only"
    assert "AST context" in flow


def test_function_option_draws_one_function_and_large_pictures_say_what_to_do(tmp_path: Path, capsys) -> None:
    out = tmp_path / "basename.dot"
    assert main(["graph", str(POSIXPATH), "--function", "basename", "--format", "dot", "--out", str(out)]) == 0
    dot = out.read_text()
    assert "function_definition" in dot and "identifier\\nbasename" in dot and "dirname" not in dot
    assert main(["graph", str(POSIXPATH), "--function", "no_such_function", "--format", "dot"]) == 3
    assert "expected a function or method definition of that name, found none" in capsys.readouterr().err
    assert main(["graph", str(POSIXPATH), "--format", "svg", "--out", str(tmp_path / "all.svg")]) == 3
    err = capsys.readouterr().err
    assert "expected at most 1500 nodes in a picture, found" in err and "--function NAME" in err
    assert not (tmp_path / "all.svg").exists()
    assert main(["graph", str(POSIXPATH), "--format", "dot", "--out", str(tmp_path / "all.dot")]) == 0  # text: any size


def test_graphs_show_inline_in_notebooks() -> None:
    import graphcode

    g = graphcode.parse("x = 1\n", "python")
    assert repr(g).startswith("CodeGraph(python, nodes=") and len(repr(g)) < 200
    svg = g._repr_svg_()
    if shutil.which("dot") is None:
        assert svg is None  # Jupyter falls back to the text repr
    else:
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    big = graphcode.parse(POSIXPATH.read_text(encoding="utf-8"), "python")
    assert big._repr_svg_() is None, "too large to read: the text repr instead of a huge picture"


def test_lang_cpp_reads_the_headers_that_are_c_by_default(tmp_path: Path, capsys) -> None:
    (tmp_path / "include").mkdir()
    (tmp_path / "include" / "fmt.h").write_text("namespace fmt { int f(); }\n", encoding="utf-8")
    (tmp_path / "fmt.cc").write_text("int main() { return 0; }\n", encoding="utf-8")
    assert main(["graph", str(tmp_path), "--lang", "cpp", "--summary-only"]) == 0
    assert "2 files, 0 failed" in capsys.readouterr().err  # the namespace parses: the header was read as C++
    assert main(["graph", str(tmp_path / "include" / "fmt.h"), "--summary-only"]) == 0
    assert "1 files, 0 failed" in capsys.readouterr().err  # a lone `.h` is C, and still gives a graph


def test_asking_for_edges_a_language_cannot_give_warns(tmp_path: Path, capsys, php_without_dataflow) -> None:
    (tmp_path / "a.php").write_text("<?php $x = 1; $y = $x;\n", encoding="utf-8")
    (tmp_path / "b.py").write_text("x = 1\ny = x\n", encoding="utf-8")
    assert main(["graph", str(tmp_path), "--edges", "last_write,cfg_next", "--summary-only", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "warning: php has no data-flow queries (grammars/php/dataflow.scm): its graphs get no last_write, cfg_* edges" in err
    assert "python has no" not in err
    assert main(["graph", str(tmp_path), "--edges", "ast", "--summary-only", "--quiet"]) == 0
    assert "warning" not in capsys.readouterr().err  # nothing asked that PHP cannot give
    assert main(["graph", str(tmp_path), "--summary-only", "--quiet"]) == 0
    assert "warning" not in capsys.readouterr().err  # the default (all kinds) asks for none by name
