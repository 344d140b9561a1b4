"""benchmarks/bench_dataflow_oracle.py: graphcode's Python ``last_write`` against beniget, on snippets whose answer is
known, so that the benchmark's counting and its categories are right before its figures are quoted."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("beniget")
BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def oracle():
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("bench_dataflow_oracle", BENCH / "bench_dataflow_oracle.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_dataflow_oracle"] = module  # its dataclasses look their module up
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(BENCH))
        sys.modules.pop("bench_dataflow_oracle", None)


def _tally(oracle, code: str):
    tally = oracle.Tally()
    oracle.compare_file("snippet.py", textwrap.dedent(code).encode(), tally, show=5)
    return tally


def test_agreeing_code_counts_every_use_as_exact(oracle) -> None:
    tally = _tally(oracle, """
        import os
        x = 1
        if os.sep:
            x = 2
        try:
            y = x
        except ValueError as err:
            print(err)
        print(x, y)
    """)
    # uses: os, x (in y = x), ValueError, print, err, print, x, y; the builtins have no definition in the file
    assert tally.uses == 8 and tally.exact == 8 and not tally.by_category


def test_categories_name_known_disagreements(oracle) -> None:
    tally = _tally(oracle, """
        from os import *
        counter = 0
        def bump():
            global counter
            print(counter)
            counter = counter + 1
        def where(items):
            for item in items:
                print(item, sep)
    """)
    # sep (bound by the star import only), read in a loop: beniget makes a definition at the use itself;
    # counter, twice: bump may run again and read its own previous write
    assert tally.by_category["star-import-placeholder"] == 1
    assert tally.by_category["function-runs-again"] == 2
    assert tally.by_category["other"] == 0


def test_a_real_error_is_counted_against_the_target(oracle, monkeypatch: pytest.MonkeyPatch) -> None:
    import graphcode.graphs.passes as passes

    real = passes._reach

    def drop_first_edge(*args):
        last_write, last_read = real(*args)
        return last_write[1:], last_read

    monkeypatch.setattr(oracle, "build_graph", _pure_build(monkeypatch, passes, drop_first_edge))
    tally = _tally(oracle, """
        a = 1
        b = a
        print(a, b)
    """)
    assert tally.by_category["other"] == 1 and tally.exact == tally.uses - 1


def _pure_build(monkeypatch: pytest.MonkeyPatch, passes, reach):
    from graphcode.graphs import build, dataflow

    monkeypatch.setattr(dataflow, "passes", lambda: passes)
    monkeypatch.setattr(passes, "_reach", reach)
    return build.build_graph
