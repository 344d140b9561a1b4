"""The compiled path (the tree walk and query of ``_native.c``, the data-flow passes compiled by mypyc) gives the
same graphs as the pure-Python path.

Without the compiled modules (no C compiler where the tests run) the comparisons skip; the rest of
the suite then exercises the Python path, which is the reference. Where the modules are expected
(``GRAPHCODE_EXPECT_NATIVE=1``, which ``make test`` sets when a C compiler exists) a missing one fails the
suite instead of skipping it silently.
"""

from __future__ import annotations

import os
import random
import sysconfig
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphcode.graphs import _compile, build, dataflow, native
from graphcode.graphs import passes as pure_passes
from graphcode.graphs.codegraph import EdgeList
from graphcode.graphs.languages import kind_table, language_capsule
from tests.graphs.conftest import SAMPLE_FILES, SAMPLES
from tests.graphs.test_dataflow import _cases

EXPECTED = os.environ.get("GRAPHCODE_EXPECT_NATIVE") == "1"
needs_native = pytest.mark.skipif(not native.available() and not EXPECTED, reason=f"C accelerator: {native.status()[1]}")


def test_the_accelerator_is_in_use_where_it_is_expected():
    if not EXPECTED:
        pytest.skip("GRAPHCODE_EXPECT_NATIVE is not 1: the pure-Python path is allowed here")
    used, why = native.status()
    assert used, f"the compiled path was expected (a C compiler is here) but is not in use: {why}"
    assert native.passes() is not pure_passes and native.passes().__name__ == native.PASSES_MODULE


def test_compiled_passes_are_built_from_this_source_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The compiled file's name carries a digest of passes.py: an edited source never meets a stale build."""
    name = native._passes_file()
    assert name.startswith(native.PASSES_MODULE + "-") and name.endswith(sysconfig.get_config_var("EXT_SUFFIX"))
    edited = tmp_path / "passes.py"
    edited.write_bytes(native._PASSES_SOURCE.read_bytes() + b"# edited\n")
    monkeypatch.setattr(native, "_PASSES_SOURCE", edited)
    assert native._passes_file() != name
    native._compiled_passes.cache_clear()
    try:
        mod, why = native._compiled_passes()
    finally:
        native._compiled_passes.cache_clear()
    assert mod is None and "not compiled for this passes.py" in why and "graphcode native build" in why


def test_passes_build_needs_mypyc_and_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mypyc" else real(name, *a))
    with pytest.raises(RuntimeError, match=r"mypyc: expected mypy installed .*graphcode\[native\]"):
        native.build_passes(quiet=True)
    with pytest.raises(RuntimeError, match=r"mypyc: expected mypy installed"):  # setup.py's build calls this
        _compile.compile_passes(native._PASSES_SOURCE, tmp_path)
    assert not list(tmp_path.iterdir()), "nothing is written when the compiler is missing"


def test_the_build_checks_the_compiler_first_and_pins_the_runtime_source(tmp_path, monkeypatch):
    fetched = []
    monkeypatch.setattr(_compile, "runtime_source", lambda *a: fetched.append(a) or tmp_path)
    monkeypatch.setenv("CC", "no-such-compiler-graphcode")
    with pytest.raises(RuntimeError, match="C compiler: expected 'no-such-compiler-graphcode' on PATH"):
        native.build(tmp_path)
    assert fetched == [], "nothing is fetched without a compiler"
    monkeypatch.undo()
    monkeypatch.setattr(_compile, "RUNTIME_SDIST_SHA256", {})
    with pytest.raises(RuntimeError, match="expected a pinned SHA-256 of its source distribution"):
        _compile.runtime_source(tmp_path / "src", "0.25.2")
    assert not list((tmp_path / "src").glob("*.tar.gz"))


def test_the_pure_python_path_is_announced_once_unless_turned_off(monkeypatch, capsys):
    monkeypatch.setattr(native, "_NOTICED", [])
    monkeypatch.setattr(native, "available", lambda: False)
    monkeypatch.setattr(native, "status", lambda: (False, "tree walk and query: not built"))
    assert native.notice_fallback() is True
    assert native.notice_fallback() is False  # once per process
    err = capsys.readouterr().err
    assert err.count("pure-Python path") == 1 and "not built" in err
    monkeypatch.setattr(native, "_NOTICED", [])
    monkeypatch.setenv("GRAPHCODE_NATIVE", "0")  # the user chose it: nothing to say
    assert native.notice_fallback() is False and capsys.readouterr().err == ""


FIELDS = ("types", "named", "start_byte", "end_byte", "parent", "leaves", "errors", "missing", "edges")


def _pure_python(source: bytes, lang: str, monkeypatch: pytest.MonkeyPatch):
    with monkeypatch.context() as m:
        m.setattr(build.native, "engine_for", lambda *_: None)
        m.setattr(dataflow, "passes", lambda: pure_passes)
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


PREDICATE_QUERIES = [
    r'((identifier) @x (#match? @x "^\w\d$"))',  # Python's re: \w and \d are classes (not so in POSIX regex)
    r'((identifier) @x (#not-match? @x "[äö]"))',
    r'((identifier) @x (#eq? @x "b1"))',
    r'((identifier) @x (#not-eq? @x "b1"))',
    r'((identifier) @x (#any-of? @x "a" "b1" "ä1"))',
    r'((identifier) @x (#not-any-of? @x "b1" "c"))',  # py-tree-sitter: "not equal to some value"
    r'((identifier) @x (#not-any-of? @x "b1"))',
    r'((assignment left: (identifier) @l right: (identifier) @r) (#eq? @l @r))',
    r'((assignment left: (identifier) @l right: (identifier) @r) (#not-eq? @l @r))',
    r'((expression_list (identifier)+ @xs) (#any-eq? @xs "b1"))',
    r'((expression_list (identifier)+ @xs) (#eq? @xs "b1"))',
    r'((expression_list (identifier)+ @xs) (#any-not-match? @xs "^b"))',
    r'((expression_list (identifier)+ @xs) (#match? @xs "^[a-z]\d$"))',
]


@needs_native
@pytest.mark.parametrize("query", PREDICATE_QUERIES)
def test_text_predicates_hold_exactly_as_in_py_tree_sitter(query: str) -> None:
    """The C query run and py-tree-sitter's ``QueryCursor.captures`` capture the same nodes."""
    import tree_sitter as ts

    from graphcode.graphs.languages import ts_language

    source = "a1 = b1\nb1 = b1\nä1 = x\nb1, c2, d3\nb1, b2\nzz = a1\ne5, f\n".encode()
    mod, _ = native._module()
    table = kind_table("python")
    engine = mod.Engine(language_capsule("python"), table.names, table.named, query.encode())
    out = engine.build(source, b"")
    starts, ends, captured = out[2], out[3], out[9]
    got = {(name, starts[i], ends[i]) for k, name in enumerate(engine.capture_names()) for i in captured.get(k, [])}
    tree = ts.Parser(ts_language("python")).parse(source)
    want = {(name, n.start_byte, n.end_byte)
            for name, nodes in ts.QueryCursor(ts.Query(ts_language("python"), query)).captures(tree.root_node).items()
            for n in nodes}
    assert got == want


@needs_native
def test_engine_refuses_a_predicate_it_cannot_evaluate() -> None:
    mod, _ = native._module()
    table = kind_table("python")
    with pytest.raises(ValueError, match=r"expected a predicate graphcode evaluates in C .* found #lua-match\?"):
        mod.Engine(language_capsule("python"), table.names, table.named, b'((identifier) @x (#lua-match? @x "^a"))')
    with pytest.raises(ValueError, match="expected a valid tree-sitter query, found a node type error"):
        mod.Engine(language_capsule("python"), table.names, table.named, b"(no_such_node) @x")
    with pytest.raises(ValueError, match=r"expected a Python regular expression in #match\?, found .*unterminated"):
        mod.Engine(language_capsule("python"), table.names, table.named, b'((identifier) @x (#match? @x "[a"))')
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


@pytest.mark.parametrize("path_kind", ["compiled", "pure"])
@pytest.mark.parametrize("lang", sorted(SAMPLE_FILES))
def test_building_a_graph_leaves_no_cyclic_garbage(lang: str, path_kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every object the passes make is freed by reference counting as soon as it is done with: nothing waits for
    the cyclic collector (mypyc makes a closure inside a compiled function an object cycle)."""
    import gc

    if path_kind == "compiled" and native.passes() is pure_passes:
        pytest.skip(f"the compiled passes are not built: {native.status()[1]}")
    if path_kind == "pure":
        monkeypatch.setattr(dataflow, "passes", lambda: pure_passes)
    source = (SAMPLES / SAMPLE_FILES[lang]).read_bytes()
    build.build_graph(source, lang)  # first use: engines and queries are made (and cached) once
    gc.collect()
    gc.disable()
    try:
        graph = build.build_graph(source, lang)
        assert graph.edges["last_write"] and graph.edges["cfg_next"]
        del graph
        assert gc.collect() == 0
    finally:
        gc.enable()


@needs_native
def test_graph_columns_and_edges_are_not_left_for_the_cyclic_collector() -> None:
    """A graph's columns hold only ints, strings and bools, handed over untracked, and its edges are int32 columns
    (no tuple an edge): a built graph leaves the cyclic collector a handful of objects, however large it is."""
    import gc

    source = (SAMPLES / SAMPLE_FILES["c"]).read_bytes() * 30
    build.build_graph(source, "c")  # the language's tables and query, made once
    gc.collect()
    before = len(gc.get_objects())
    graph = build.build_graph(source, "c")
    tracked = len(gc.get_objects()) - before
    columns = {"types": graph.types, "named": graph.named, "start_byte": graph.start_byte,
               "end_byte": graph.end_byte, "parent": graph.parent, "leaves": graph.leaves}
    for name, column in columns.items():
        assert column and not gc.is_tracked(column), name
    for kind, pairs in graph.edges.items():
        assert isinstance(pairs, EdgeList) and pairs.src.typecode == pairs.dst.typecode == "i", kind
        assert pairs or kind.startswith("cfg_"), kind  # C has no exceptions: no cfg_raise edge
    assert graph.num_edges > 5000 and tracked < 60, tracked


def test_native_status_command_says_why(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from graphcode.cli import main

    monkeypatch.setenv("GRAPHCODE_NATIVE", "0")
    native.status.cache_clear()
    native._compiled_passes.cache_clear()
    try:
        assert main(["native", "status"]) == 1
        out = capsys.readouterr().out
        assert "tree walk and query: turned off by GRAPHCODE_NATIVE=0" in out
        assert "data-flow passes: turned off by GRAPHCODE_NATIVE=0" in out
    finally:
        native.status.cache_clear()
        native._compiled_passes.cache_clear()


def test_link_time_optimisation_is_used_where_the_compiler_takes_it_and_skipped_where_not(tmp_path: Path) -> None:
    import shutil

    assert _compile.lto_flags("false", tmp_path) == [], "a compiler that fails the probe gets no flag"
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not installed")
    assert _compile.lto_flags(gcc, tmp_path) == ["-flto=auto"]


def test_inlining_flags_where_the_compiler_takes_them_and_none_where_not(tmp_path: Path) -> None:
    import shutil

    assert _compile.inline_flags("false", tmp_path) == [], "a compiler that fails the probe gets no flag"
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not installed")
    assert _compile.inline_flags(gcc, tmp_path) == ["-fvisibility=hidden", "-fno-semantic-interposition"]


@needs_native
def test_the_compiled_passes_export_only_their_init_function() -> None:
    """The passes' module is built with the inlining flags: mypyc's runtime helpers are the module's own, not dynamic
    symbols that each call reaches through the PLT; Python's init function stays exported."""
    import shutil
    import subprocess

    nm = shutil.which("nm")
    if nm is None:
        pytest.skip("nm (binutils) is not installed")
    exported = subprocess.run([nm, "-D", "--defined-only", native.passes().__file__], capture_output=True, text=True,
                              check=True).stdout.split()
    assert f"PyInit_{native.PASSES_MODULE}" in exported
    assert "CPyList_GetItem" not in exported and "CPyTagged_FromObject" not in exported


def test_profile_guided_build_flags_where_the_compiler_has_them_and_none_where_not(tmp_path: Path) -> None:
    import shutil

    profiles = tmp_path / "profiles"
    assert _compile.pgo_flags("false", tmp_path, profiles) is None, "a compiler that fails the probe: no profile"
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not installed")
    instrument, use = _compile.pgo_flags(gcc, tmp_path, profiles)
    assert f"-fprofile-generate={profiles}" in instrument
    assert f"-fprofile-use={profiles}" in use and "-fprofile-partial-training" in use


@needs_native
def test_training_runs_drive_the_modules_they_are_given(tmp_path: Path) -> None:
    """The profile-guided builds' training runs load the module at the path given and build graphcode's own sources
    through it; a folder without those sources is a failure that says so (the build then skips the profile)."""
    root = Path(native.__file__).resolve().parents[2]
    walk = native._module()[0].__file__
    passes = native.passes().__file__
    assert _compile._train(_compile._TRAIN_WALK, "_native", walk, root) is None
    assert _compile._train(_compile._TRAIN_PASSES, native.PASSES_MODULE, passes, root) is None
    failed = _compile._train(_compile._TRAIN_WALK, "_native", walk, tmp_path)
    assert failed is not None and "expected Python sources to train on, found none" in failed


@needs_native
def test_a_part_is_built_once_without_a_profile_where_the_compiler_or_the_training_run_fails(tmp_path: Path, capsys) -> None:
    import shutil

    walk = Path(native._module()[0].__file__)
    built: list[list[str]] = []
    _compile._profile_guided("the part", built.append, _compile._TRAIN_WALK, "_native", walk, "false", tmp_path,
                             tmp_path)
    assert built == [[]] and "the part: no profile: the compiler has no -fprofile-use" in capsys.readouterr().err
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not installed")
    built.clear()  # the training folder holds no graphcode sources: the run fails, and the last build has no profile
    _compile._profile_guided("the part", built.append, _compile._TRAIN_WALK, "_native", walk, gcc, tmp_path, tmp_path)
    assert len(built) == 2 and any(f.startswith("-fprofile-generate=") for f in built[0]) and built[1] == []
    assert "the part: no profile: its training run failed" in capsys.readouterr().err
    built.clear()
    _compile._profile_guided("the part", built.append, _compile._TRAIN_WALK, "_native", walk, gcc, tmp_path,
                             walk.parents[2])
    assert any(f.startswith("-fprofile-use=") for f in built[1])
    assert "the part: profile-guided" in capsys.readouterr().err


@needs_native
def test_ids_and_offsets_are_shared_ints_below_the_cache_bound_and_right_past_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled builder takes node ids and byte offsets below 2**18 from one process-wide set of ints (as CPython
    keeps -5..256), so two graphs share them; a source longer than that still gets its own, right, values."""
    one = build.build_graph(b"def f(a):\n    return a + 1\n" * 40, "python")
    two = build.build_graph(b"x = 1\n" * 200, "python")
    offset = next(b for b in two.start_byte if b > 256 and b in one.start_byte)  # CPython's own cache ends at 256
    assert one.start_byte[one.start_byte.index(offset)] is two.start_byte[two.start_byte.index(offset)]
    node = next(p for p in two.parent if p > 256 and p in one.parent)
    assert one.parent[one.parent.index(node)] is two.parent[two.parent.index(node)]
    large = b"".join(b"v%d = w%d + %d\n" % (i, i, i) for i in range(20_000))  # about 330 KB: offsets past 2**18
    assert len(large) > 2**18
    _assert_same(large, "python", monkeypatch)
