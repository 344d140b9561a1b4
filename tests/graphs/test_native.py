"""The C accelerator (graphcode/graphs/_native.c) gives the same graphs as the pure-Python path.

Without the compiled module (no C compiler where the tests run) the comparisons skip; the rest of
the suite then exercises the Python path, which is the reference. Where the module is expected
(``GRAPHCODE_EXPECT_NATIVE=1``, which ``make test`` sets when a C compiler exists) a missing module fails the
suite instead of skipping it silently.
"""

from __future__ import annotations

import dataclasses
import os
import random
import sysconfig
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphcode.graphs import build, dataflow, native
from graphcode.graphs.languages import kind_table, language_capsule
from tests.graphs.conftest import SAMPLE_FILES, SAMPLES
from tests.graphs.test_dataflow import _cases

EXPECTED = os.environ.get("GRAPHCODE_EXPECT_NATIVE") == "1"
needs_native = pytest.mark.skipif(not native.available() and not EXPECTED, reason=f"C accelerator: {native.status()[1]}")


def test_the_accelerator_is_in_use_where_it_is_expected():
    if not EXPECTED:
        pytest.skip("GRAPHCODE_EXPECT_NATIVE is not 1: the pure-Python path is allowed here")
    used, why = native.status()
    assert used, f"the C accelerator was expected (a C compiler is here) but is not in use: {why}"


def test_the_build_checks_the_compiler_first_and_pins_the_runtime_source(tmp_path, monkeypatch):
    fetched = []
    monkeypatch.setattr(native, "_runtime_source", lambda *a: fetched.append(a) or tmp_path)
    monkeypatch.setenv("CC", "no-such-compiler-graphcode")
    with pytest.raises(RuntimeError, match="C compiler: expected 'no-such-compiler-graphcode' on PATH"):
        native.build(tmp_path)
    assert fetched == [], "nothing is fetched without a compiler"
    monkeypatch.undo()
    monkeypatch.setattr(native, "RUNTIME_SDIST_SHA256", {})
    with pytest.raises(RuntimeError, match="expected a pinned SHA-256 of its source distribution"):
        native._runtime_source(tmp_path / "src", "0.25.2")
    assert not list((tmp_path / "src").glob("*.tar.gz"))
FIELDS = ("types", "named", "start_byte", "end_byte", "parent", "leaves", "errors", "missing", "edges")


def _pure_python(source: bytes, lang: str, monkeypatch: pytest.MonkeyPatch):
    with monkeypatch.context() as m:
        m.setattr(build.native, "engine_for", lambda *_: None)
        m.setattr(dataflow, "native_passes", lambda: None)
        return build.build_graph(source, lang)


def _assert_same(source: bytes, lang: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = build.build_graph(source, lang)
    slow = _pure_python(source, lang, monkeypatch)
    for name in FIELDS:
        assert getattr(fast, name) == getattr(slow, name), f"{lang}: {name} differs between C and Python"


def _stdlib_sources(seed: int, count: int, max_bytes: int) -> list[bytes]:
    """``count`` UTF-8 files of the standard library under ``max_bytes``, a seeded sample (others skipped)."""
    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in root.rglob("*.py") if "site-packages" not in p.parts and p.stat().st_size < max_bytes)
    out = []
    for path in random.Random(seed).sample(files, count):
        try:
            out.append(path.read_bytes().decode("utf-8").encode("utf-8"))
        except UnicodeDecodeError:
            continue
    return out


@needs_native
@pytest.mark.parametrize("lang", sorted(SAMPLE_FILES))
def test_samples_match_python_path(lang: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _assert_same((SAMPLES / SAMPLE_FILES[lang]).read_bytes(), lang, monkeypatch)


@needs_native
def test_dataflow_tables_match_python_path(monkeypatch: pytest.MonkeyPatch) -> None:
    cases = _cases()
    assert len(cases) > 200
    for lang, case in cases:
        _assert_same(textwrap.dedent(case.code).encode(), lang, monkeypatch)


@needs_native
def test_standard_library_files_match_python_path(monkeypatch: pytest.MonkeyPatch) -> None:
    sources = _stdlib_sources(1, 25, 60_000)
    assert len(sources) >= 20
    for source in sources:
        _assert_same(source, "python", monkeypatch)


@needs_native
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.sampled_from(list("ab_=+-*(){}[]:;,.\n \t'\"#/<>!&|xy0123456789")), max_size=80),
       lang=st.sampled_from(["python", "go", "java", "javascript", "tsx"]))
def test_broken_code_matches_python_path(text: str, lang: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _assert_same(text.encode(), lang, monkeypatch)


@needs_native
@pytest.mark.parametrize(("lang", "code", "ignored"), [
    # #not-eq? / #eq?: the blank identifier declares nothing and is never read
    ("go", "package p\nfunc f() {\n\t_, b := g()\n\t_ = b\n}\n", "_"),
    # #match?: a lowercase JSX tag is an intrinsic element, not a variable
    ("javascript", "const div = 1;\nconst x = <div>{div}</div>;\n", "div"),
])
def test_text_predicates_hold_in_c(lang: str, code: str, ignored: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = build.build_graph(code.encode(), lang)
    assert fast.edges == _pure_python(code.encode(), lang, monkeypatch).edges
    names = {fast.node(i).text for pair in fast.edges["last_write"] for i in pair}
    if ignored == "_":
        assert "_" not in names and "b" in names
    else:  # `{div}` reads the constant; the tag names do not
        tags = [i for i in range(fast.num_nodes) if fast.node(i).text == "div"]
        reads = {s for s, _ in fast.edges["last_write"]}
        assert len(tags) == 4 and len(reads & set(tags)) == 1


@needs_native
def test_engine_refuses_a_predicate_it_cannot_evaluate() -> None:
    mod, _ = native._module()
    table = kind_table("python")
    with pytest.raises(ValueError, match=r"expected a predicate graphcode evaluates in C .* found #lua-match\?"):
        mod.Engine(language_capsule("python"), table.names, table.named, b'((identifier) @x (#lua-match? @x "^a"))')
    with pytest.raises(ValueError, match="expected a valid tree-sitter query, found a node type error"):
        mod.Engine(language_capsule("python"), table.names, table.named, b"(no_such_node) @x")
    with pytest.raises(TypeError, match="expected the PyCapsule"):
        mod.Engine("python", table.names, table.named, None)


@needs_native
def test_reach_memory_stays_with_the_graph_in_a_long_flat_module() -> None:
    """80,000 top-level names in one flow. A bit mask per variable (80,000 x 80,000 bits) touches a page
    per name (peak RSS about +450 MiB here); per-block states and per-variable lists grow with the graph
    (about +170 MiB, most of it the graph itself). Measured in a fresh process."""
    import subprocess
    import sys

    script = (
        "import resource\n"
        "from graphcode.graphs import GraphOptions, build_graph, native\n"
        "assert native.available()\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "src = ''.join(f'v{i} = {i}\\n' for i in range(80_000)).encode()\n"
        "g = build_graph(src, 'python', GraphOptions(max_bytes=None))\n"
        "assert len(g.edges['last_write']) == 0 and g.num_nodes == 400_001\n"
        "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    grown_mib = int(done.stdout.strip())
    assert grown_mib < 300, f"peak RSS grew by {grown_mib} MiB building an 80,000-name module"


@needs_native
def test_reach_checks_its_columns() -> None:
    mod, _ = native._module()
    with pytest.raises(ValueError, match="expected columns of matching lengths"):
        mod.reach([[0]], [[]], [0], [0], [0], [], [5], [0, 1], [0], [0], [-1], [0])


class _CfgChecker:
    """Stands in for ``_native.flow_cfg``: runs it, and the Python passes on the same inputs, and
    records any difference in the control-flow graphs they build."""

    def __init__(self) -> None:
        self.fast = native.native_passes().flow_cfg
        self.calls = 0
        self.differences: list[str] = []

    def __call__(self, ev_kind, ev_start, ev_end, ev_scope, hoisted, moved, regions, parts, jumps, relocate, s_start,
                 s_end, s_parent, s_depth, size):
        got = self.fast(ev_kind, ev_start, ev_end, ev_scope, hoisted, moved, regions, parts, jumps, relocate, s_start,
                        s_end, s_parent, s_depth, size)
        scopes = dataflow._Scopes({}, size, "scope")
        scopes.start, scopes.end, scopes.parent, scopes.depth = s_start, s_end, s_parent, s_depth
        order, payloads = dataflow._schedule(
            ev_kind, ev_start, ev_end, ev_scope, hoisted,
            [(*regions[i:i + 3], {"flow.breakable": "true"} if regions[i + 3] else {}) for i in range(0, len(regions), 4)],
            [tuple(parts[i:i + 3]) for i in range(0, len(parts), 3)],
            [tuple(jumps[i:i + 3]) for i in range(0, len(jumps), 3)],
            [((relocate[i], relocate[i + 1]), [], []) for i in range(0, len(relocate), 2)], scopes, size)
        cfg = dataflow._build_cfg(order, payloads, ev_scope, moved, scopes)
        want = (cfg.events, cfg.preds, cfg.flow, cfg.entry, cfg.owner,
                [[h, body.start, body.stop] for h, body in cfg.catch.items()])
        self.calls += 1
        for name, a, b in zip(("events", "preds", "flow", "entry", "owner", "catch"), got, want, strict=True):
            if a != b:
                self.differences.append(f"{name}: C {a} != Python {b}")
        return got


class _ResolveChecker:
    """Stands in for ``_native.resolve``: runs it, and the Python name pass on the same inputs, and
    records any difference in scopes, variables, moves and hoisting."""

    def __init__(self, lang: str) -> None:
        self.fast = native.native_passes().resolve
        self.lang = lang
        self.calls = 0
        self.differences: list[str] = []

    def __call__(self, source, ev_node, ev_kind, ev_start, ev_end, def_codes, decls, s_start, s_end, s_parent,
                 s_by_scope, s_hidden, s_function):
        got = self.fast(source, ev_node, ev_kind, ev_start, ev_end, def_codes, decls, s_start, s_end, s_parent,
                        s_by_scope, s_hidden, s_function)
        scopes = dataflow._Scopes({}, len(source), "scope")
        scopes.start, scopes.end, scopes.parent = s_start, s_end, s_parent
        scopes.binding = ["scope" if b else "declaration" for b in s_by_scope]
        scopes.hidden = s_hidden
        scopes.kind = ["function" if f else "block" for f in s_function]
        ev_scope = scopes.innermost(ev_start, ev_end)
        for i in range(0, len(decls), 3):
            sc = scopes.innermost([decls[i]], [decls[i + 1]])[0]
            scopes.declare(sc, source[decls[i]:decls[i + 1]], bool(decls[i + 2]))
        # the settings behind each definition code, as flow_query(lang) holds them
        fq = dataflow.flow_query(self.lang)
        codes = native.native_passes().definition_codes
        settings = {dataflow._settings_code(pset, codes): pset for _name, (cat, pset, _g) in fq.captures.items()
                    if cat in (dataflow.C_DEF, dataflow.C_DESTRUCTURE_DEF) and pset}
        want = dataflow._resolve(ev_node, ev_kind, [source[a:b] for a, b in zip(ev_start, ev_end, strict=True)],
                                 ev_start, ev_scope, {n: settings[c] for n, c in def_codes.items()}, scopes)
        self.calls += 1
        for name, a, b in zip(("ev_scope", "ev_var", "var_home", "moved", "hoisted"), got, (ev_scope, *want),
                              strict=True):
            if a != b:
                self.differences.append(f"{name}: C {a} != Python {b}")
        return got


@needs_native
@pytest.mark.parametrize("lang", ["python", "java", "javascript", "go", "tsx"])
def test_name_resolution_matches_python_pass(lang: str, monkeypatch: pytest.MonkeyPatch) -> None:
    checker = _ResolveChecker(lang)
    passes = dataclasses.replace(native.native_passes(), resolve=checker)
    monkeypatch.setattr(dataflow, "native_passes", lambda: passes)
    for case_lang, case in _cases():
        if dataflow.get_spec(case_lang).name == lang:
            build.build_graph(textwrap.dedent(case.code).encode(), lang)
    for case_lang, name in SAMPLE_FILES.items():
        if case_lang == lang:
            build.build_graph((SAMPLES / name).read_bytes(), lang)
    if lang == "python":
        for source in _stdlib_sources(3, 40, 100_000):
            build.build_graph(source, "python")
    assert checker.calls >= 10
    assert checker.differences == []


@needs_native
def test_events_read_before_write_and_share_ints() -> None:
    mod, _ = native._module()
    flags = mod.EVENT_FLAGS
    assert flags == (dataflow.F_DEF, dataflow.F_REF, dataflow.F_WRITE, dataflow.F_READ, dataflow.F_IGNORE)
    starts, ends = [0, 1000, 1004, 1008, 1012], [2000, 1001, 1005, 1009, 1013]
    # node 1 a definition, 2 an ignored reference, 3 read then written (`x += 1`), 4 a plain reference
    got = mod.events(5, [1, 2, 3, 4], [(dataflow.F_DEF, [1]), (dataflow.F_IGNORE, [2]), (dataflow.F_READ, [3]),
                                       (dataflow.F_WRITE, [3])], starts, ends)
    assert got == ([1, 3, 3, 4], [dataflow.DEF, dataflow.READ, dataflow.WRITE, dataflow.READ], [1000, 1008, 1008, 1012],
                   [1001, 1009, 1009, 1013])
    assert got[2][1] is starts[3]  # shared, not copied
    with pytest.raises(ValueError, match="expected node ids below 5, found 7"):
        mod.events(5, [7], [], starts, ends)
    with pytest.raises(ValueError, match="expected 6 starts and ends, found 5 and 5"):
        mod.events(6, [], [], starts, ends)
    with pytest.raises(TypeError, match=r"expected \(flag, \[node id, ...\]\) pairs"):
        mod.events(5, [], [(1, 2)], starts, ends)


@needs_native
def test_resolve_checks_its_input() -> None:
    mod, _ = native._module()
    scopes = ([-1, 0], [9, 5], [-1, 0], [1, 1], [False, False], [False, True])
    # `x` defined in a function scope (0, 5) and read at top level: two variables
    source = b"x = 1; x\n"
    got = mod.resolve(source, [1, 4], [2, 0], [0, 7], [1, 8], {}, [], *scopes)
    assert got == ([1, 0], [0, 1], [1, 0], [0, 0], [0, 0])
    # placed in the parent scope by its setting: one variable, moved
    parent = mod.DEFINITION_CODES["parent"]
    assert mod.resolve(source, [1, 4], [2, 0], [0, 7], [1, 8], {1: parent}, [], *scopes) == (
        [0, 0], [0, 0], [0], [1, 0], [0, 0])
    with pytest.raises(ValueError, match="expected event spans inside the source, sorted by start"):
        mod.resolve(source, [1, 4], [2, 0], [7, 0], [8, 1], {}, [], *scopes)
    with pytest.raises(ValueError, match="expected columns of matching lengths"):
        mod.resolve(source, [1, 4], [2], [0, 7], [1, 8], {}, [], *scopes)
    with pytest.raises(ValueError, match="expected each scope's parent before it"):
        mod.resolve(source, [1], [2], [0], [1], {}, [], [-1, 0], [9, 5], [-1, 3], [1, 1], [0, 0], [0, 1])
    with pytest.raises(TypeError, match="expected a dict of definition codes"):
        mod.resolve(source, [1], [2], [0], [1], [], [], *scopes)


@needs_native
def test_control_flow_graphs_match_python_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Block by block, the C schedule and CFG equal the Python ones (not only the edges they lead to)."""
    checker = _CfgChecker()
    passes = dataclasses.replace(native.native_passes(), flow_cfg=checker)
    monkeypatch.setattr(dataflow, "native_passes", lambda: passes)
    for lang, case in _cases():
        build.build_graph(textwrap.dedent(case.code).encode(), lang)
    for lang, name in SAMPLE_FILES.items():
        build.build_graph((SAMPLES / name).read_bytes(), lang)
    for source in _stdlib_sources(2, 40, 100_000):
        build.build_graph(source, "python")
    assert checker.calls > 250
    assert checker.differences == []


@needs_native
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.sampled_from(list("ab_=+-*(){}[]:;,.\n \t'\"#/<>!&|xy0123456789")), max_size=80),
       lang=st.sampled_from(["python", "go", "java", "javascript", "tsx"]))
def test_control_flow_graphs_of_broken_code_match(text: str, lang: str, monkeypatch: pytest.MonkeyPatch) -> None:
    checker = _CfgChecker()
    passes = dataclasses.replace(native.native_passes(), flow_cfg=checker)
    monkeypatch.setattr(dataflow, "native_passes", lambda: passes)
    build.build_graph(text.encode(), lang)
    assert checker.differences == []


@needs_native
def test_flow_cfg_checks_its_input() -> None:
    mod, _ = native._module()
    categories = mod.FLOW_CATEGORIES  # C_BRANCH .. C_CONTINUE, as numbered in dataflow.py
    assert categories == tuple(range(dataflow.C_BRANCH, dataflow.C_CONTINUE + 1))
    assert dataflow.C_CONTINUE - dataflow.C_BRANCH == 12
    scopes = ([-1], [10], [-1], [0])
    events = ([0], [0], [1], [0], [False], [False])
    with pytest.raises(ValueError, match="expected columns of matching lengths"):
        mod.flow_cfg([0, 2], *events[1:], [], [], [], [], *scopes, 9)
    with pytest.raises(ValueError, match="expected scope ids below 1, found 3"):
        mod.flow_cfg(*events[:3], [3], *events[4:], [], [], [], [], *scopes, 9)
    # one read at the file's top level: one block holding it
    assert mod.flow_cfg(*events, [], [], [], [], *scopes, 9) == ([[0]], [[]], [0], [0], [0], [])
    # past 2**27 bytes the keys would overflow 64 bits: the Python passes run instead
    assert mod.flow_cfg(*events, [], [], [], [], *scopes, 2**28) is None


@needs_native
def test_computed_from_groups_by_innermost_root() -> None:
    mod, _ = native._module()
    # `a = b + c` twice over (pattern 7): roots (0, 9) and (10, 19); a write and two reads in each
    ev_node, ev_kind, ev_start, ev_end = [1, 2, 3, 11, 12, 13], [2, 0, 0, 2, 0, 0], [0, 4, 8, 10, 14, 18], [1, 5, 9, 11, 15, 19]
    spans = [7, 0, 0, 9, 7, 0, 10, 19, 7, 1, 0, 1, 7, 2, 4, 9, 7, 1, 10, 11, 7, 2, 14, 19]
    assert mod.computed_from(ev_node, ev_kind, ev_start, ev_end, spans) == [(1, 2), (1, 3), (11, 12), (11, 13)]
    # a value spanning its whole root is not inside it
    assert mod.computed_from(ev_node, ev_kind, ev_start, ev_end, [7, 0, 0, 9, 7, 1, 0, 1, 7, 2, 0, 9]) == []
    with pytest.raises(ValueError, match="expected a role of 0, 1 or 2, found 5"):
        mod.computed_from(ev_node, ev_kind, ev_start, ev_end, [7, 5, 0, 9])
    with pytest.raises(ValueError, match="expected columns of matching lengths"):
        mod.computed_from(ev_node, ev_kind, ev_start, ev_end, [7, 0, 0])


def test_switch_off_and_stale_builds_fall_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPHCODE_NATIVE", "0")
    assert native._module() == (None, "turned off by GRAPHCODE_NATIVE=0")
    monkeypatch.delenv("GRAPHCODE_NATIVE")
    monkeypatch.setattr(native, "ABI", -1)
    mod, why = native._module()
    assert mod is None
    assert "expected ABI -1" in why or "not built" in why


def test_graph_is_built_with_the_cyclic_collector_restored() -> None:
    import gc

    assert gc.isenabled()
    build.build_graph(b"x = 1\n", "python")
    assert gc.isenabled()
    gc.disable()
    try:
        build.build_graph(b"x = 1\n", "python")
        assert not gc.isenabled()  # a caller's choice is left alone
    finally:
        gc.enable()


def test_native_status_command_says_why(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from graphcode.cli import main

    monkeypatch.setenv("GRAPHCODE_NATIVE", "0")
    native.status.cache_clear()
    try:
        assert main(["native", "status"]) == 1
        assert "turned off by GRAPHCODE_NATIVE=0" in capsys.readouterr().out
    finally:
        native.status.cache_clear()
