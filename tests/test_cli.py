"""The `graphcode` command itself: a command whose optional dependency is missing names the extra."""

from __future__ import annotations

import sys
from pathlib import Path

from graphcode.cli import MISSING_DEPENDENCY, main

EXAMPLE = Path(__file__).parent / "evaluate" / "data" / "codexglue_example"


def test_a_missing_optional_dependency_names_the_extra_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "sacrebleu", None)  # as if graphcode[eval] were not installed
    monkeypatch.setitem(sys.modules, "sacrebleu.metrics", None)
    code = main(["evaluate", "--predictions", str(EXAMPLE / "predictions.txt"),
                 "--references", str(EXAMPLE / "references.txt"), "--quiet"])
    assert code == MISSING_DEPENDENCY == 9
    err = capsys.readouterr().err
    assert "expected the module 'sacrebleu', found it is not installed" in err
    assert "pip install 'graphcode[eval]'" in err and "Traceback" not in err


def test_a_missing_module_that_is_no_extra_is_not_hidden(monkeypatch):
    import pytest

    def broken(_args):
        raise ModuleNotFoundError("No module named 'graphcode_typo'", name="graphcode_typo")

    import graphcode.evaluate.cli as evaluate_cli

    monkeypatch.setattr(evaluate_cli, "run", broken)
    with pytest.raises(ModuleNotFoundError, match="graphcode_typo"):
        main(["evaluate", "--predictions", "p", "--references", "r"])


def test_the_readme_exit_code_table_is_the_codes_graphcode_uses():
    import re

    from graphcode import errors
    from graphcode.cli import BROKEN_PIPE
    from graphcode.graphs.export import GraphvizNotFoundError

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| exit | meaning |"):]
    table = table[:table.index("\n\n")]
    documented = {int(code) for code in re.findall(r"^\| (\d+) \|", table, flags=re.MULTILINE)}
    used = {cls.exit_code for cls in vars(errors).values()
            if isinstance(cls, type) and issubclass(cls, errors.GraphcodeError)}
    used |= {0, 2, GraphvizNotFoundError.exit_code, MISSING_DEPENDENCY, 130, BROKEN_PIPE}
    assert documented == used
