"""Property tests: arbitrary bytes and text never crash the parser, and graphs keep their invariants."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import graphcode
from graphcode.errors import InputError
from tests.graphs.invariants import assert_invariants

LANGS = ["python", "java", "javascript", "go", "c", "ruby", "php", "rust", "c_sharp", "cpp", "typescript", "tsx"]
PIECES = [*list("abcxy_019 \n\t()[]{}:;,.=+-*/<>!&|'\"#$@\\"), "def ", "if ", "for ", "return ", "while ", "else", "func ", "class ", "let ", "var ", "x = ", "x += 1", "    "]
CODEISH = st.lists(st.sampled_from(PIECES), max_size=80).map("".join)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(data=st.binary(max_size=300), lang=st.sampled_from(LANGS))
def test_arbitrary_bytes(data: bytes, lang: str) -> None:
    try:
        g = graphcode.parse(data, lang)
    except InputError as err:  # binary or not UTF-8: a clear error, never a crash
        assert "expected" in str(err) and "found" in str(err)
        return
    assert_invariants(g)


@FAST
@given(text=st.text(max_size=300), lang=st.sampled_from(LANGS))
def test_arbitrary_text(text: str, lang: str) -> None:
    text = text.replace("\x00", "")
    g = graphcode.parse(text, lang)
    assert_invariants(g)
    # tree-sitter's verdict alone: a compiler's second opinion may accept what the grammar cannot read (`#` alone is
    # C's null directive) and Python's compile() may reject what it can
    assert graphcode.check_syntax(text, lang, compiler=False).valid == (not g.has_error)


@FAST
@given(text=CODEISH, lang=st.sampled_from(["python", "java", "javascript", "go"]))
def test_code_like_text_with_data_flow(text: str, lang: str) -> None:
    g = graphcode.parse(text, lang)
    assert_invariants(g)
    leaves = set(g.leaves)
    for kind in ("last_write", "last_read", "computed_from"):
        for s, d in g.edges[kind]:
            assert s in leaves and d in leaves, f"{kind} edges join identifier leaves"
    back = graphcode.CodeGraph.from_json(g.to_json())
    assert back.edges == g.edges
