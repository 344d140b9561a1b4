"""Language-agnostic data flow: ``last_write``, ``last_read`` and ``computed_from`` edges.

The engine knows no language. Each language folder gives two tree-sitter queries (see
``grammars/README.md`` for every capture name):

- ``locals.scm`` in tree-sitter's conventions: ``@local.scope``, ``@local.definition``,
  ``@local.reference``, plus ``@local.ignore`` (identifiers that are not variables, such as attribute
  names), ``@local.global``, ``@local.nonlocal``, and ``@local.pattern`` names, which bind as the
  innermost ``@local.destructure.*`` root around them says (destructuring at any depth);
- ``dataflow.scm``: control regions (``@flow.branch`` with ``@flow.arm``/``@flow.default``,
  ``@flow.loop`` with ``@flow.once``/``@flow.last``, ``@flow.try`` with ``@flow.handler``/``@flow.finally``,
  ``@flow.deferred`` bodies that run later), jumps (``@flow.return``, ``@flow.break``,
  ``@flow.continue``), assignments (``@flow.assign`` with ``@flow.target``/``@flow.value``),
  writes to existing variables (``@flow.write``) and reads that a definition must not hide
  (``@flow.read``).

Algorithm, in three passes, none recursive, with Python work proportional to identifiers and
regions rather than to nodes:

1. *Names.* Every identifier capture becomes an event (read, write or definition). A sweep over
   scopes by position gives each event its innermost scope; names then resolve to variables by the
   language's binding rule (``scope``: bound anywhere in a scope, as in Python; ``declaration``:
   visible from the declaration on, as in Java or Go; ``strict``, a scope's setting: as ``declaration``,
   and a name read where none is declared yet is no variable, as Ruby's method calls), with global/nonlocal
   redirection, scopes hidden from nested functions (Python classes), definitions visible only from the end
   of their assignment (``local.definition.visible "after"``: Rust's ``let``) and scopes whose names, not yet
   bound, fall back to the binding around them (``local.scope.fallback``: Python classes).
2. *Control flow.* One sweep over events and region boundaries, ordered by when they execute (a
   write happens after its assignment's value, a for-loop's iterable before the loop, its update
   after the body), builds a small control-flow graph per flow: the file, and each deferred body
   (function, lambda), which starts from its parameters and sees outer variables as written by any
   of their definitions (it may be called at any time), or, where it captures by value
   (``flow.capture "value"``), by those that reach where it is made. Where a body that writes outer
   variables is made, the flow that makes it may see those writes from there on (it may be called then).
3. *May-reach.* Classic bit-vector reaching analysis: every event is one bit of a Python int, each
   block has gen/kill masks, and a worklist over each flow's blocks reaches the fixed point; replaying
   the events from each block's entry state then emits the edges.

The passes live once, in :mod:`graphcode.graphs.passes`: typed Python that ``graphcode native build``
compiles with mypyc. The compiled module is that same source, so the two paths cannot disagree; this
module reads the query and hands the captures over.

A pattern of the exact form ``(kind) @local.reference`` (every node of that kind is a reference
unless captured otherwise) is not run as a query: the AST walk collects those nodes anyway, which
saves a capture per identifier.

Attributes and fields: ``obj.attr`` reads ``obj``; the attribute name is not a variable (languages
say so with ``@local.ignore``). Writing ``obj.attr = v`` therefore reads ``obj`` and writes no
variable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import tree_sitter as ts

from graphcode.errors import ConfigError
from graphcode.graphs.languages import get_spec, ts_language
from graphcode.graphs.native import passes
from graphcode.graphs.passes import (
    C_ARM,
    C_ASSIGN,
    C_BRANCH,
    C_BREAK,
    C_CONTINUE,
    C_DEF,
    C_DEFAULT,
    C_DEFERRED,
    C_DESTRUCTURE_DEF,
    C_DESTRUCTURE_WRITE,
    C_FINALLY,
    C_GLOBAL,
    C_GOTO,
    C_HANDLER,
    C_IGNORE,
    C_JUMP_LABEL,
    C_LABEL,
    C_LAST,
    C_LOOP,
    C_LOOP_ELSE,
    C_NONLOCAL,
    C_ONCE,
    C_OTHER,
    C_OUTER,
    C_PATTERN,
    C_READ,
    C_REF,
    C_RETURN,
    C_SCOPE,
    C_STATEMENT,
    C_TARGET,
    C_TRY,
    C_UNBIND,
    C_VALUE,
    C_WRITE,
)

_EXACT = {
    "local.scope": C_SCOPE, "local.reference": C_REF, "local.ignore": C_IGNORE,
    "local.global": C_GLOBAL, "local.nonlocal": C_NONLOCAL,
    "flow.write": C_WRITE, "flow.read": C_READ, "flow.assign": C_ASSIGN, "flow.target": C_TARGET,
    "flow.value": C_VALUE, "flow.branch": C_BRANCH, "flow.arm": C_ARM, "flow.default": C_DEFAULT,
    "flow.loop": C_LOOP, "flow.once": C_ONCE, "flow.last": C_LAST, "flow.try": C_TRY,
    "flow.handler": C_HANDLER, "flow.finally": C_FINALLY, "flow.deferred": C_DEFERRED,
    "flow.return": C_RETURN, "flow.break": C_BREAK, "flow.continue": C_CONTINUE, "flow.goto": C_GOTO, "flow.unbind": C_UNBIND,
    "flow.statement": C_STATEMENT, "flow.loop.else": C_LOOP_ELSE,
    "flow.label": C_LABEL, "flow.jump.label": C_JUMP_LABEL, "flow.group": C_ASSIGN, "local.pattern": C_PATTERN, "local.outer": C_OUTER, "local.destructure.write": C_DESTRUCTURE_WRITE,
}

_CATCH_ALL = re.compile(r"^\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*@local\.reference\s*$")


def _category(name: str) -> int:
    if name in _EXACT:
        return _EXACT[name]
    if name.startswith("local.definition"):
        return C_DEF
    if name.startswith("local.destructure.definition"):
        return C_DESTRUCTURE_DEF
    if name.startswith("local.scope"):
        return C_SCOPE
    if name.startswith("local.reference"):
        return C_REF
    return C_OTHER


@dataclass(frozen=True)
class FlowQuery:
    """A language's compiled data-flow query and what the engine derives from it."""

    query: ts.Query
    text: str
    """The rewritten query text that ``query`` was compiled from (the C accelerator compiles it too)."""
    captures: dict[str, tuple[int, dict[str, str | None], int]]
    """Capture name → (category, the pattern's ``#set!`` settings, group id or -1)."""
    capture_index: dict[str, int]
    """Capture name → its id in ``query``."""
    reference_kinds: frozenset[int]
    """Kind ids that catch-all ``(kind) @local.reference`` patterns name: the walk collects these."""


_SUFFIX = re.compile(r"\.__p(\d+)$")
_CAPTURE = re.compile(r"@([A-Za-z_][A-Za-z0-9_.\-]*)")


def _strip_comments(pattern: str) -> str:
    """The pattern without ``;`` comments (tree-sitter's pattern text runs up to the next pattern)."""
    out = []
    in_string = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if in_string:
            out.append(ch)
            if ch == "\\" and i + 1 < len(pattern):
                out.append(pattern[i + 1])
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
            out.append(ch)
        elif ch == ";":
            while i < len(pattern) and pattern[i] != "\n":
                i += 1
            continue
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _drop_unread_captures(pattern: str) -> str:
    """The pattern without its ``@_name`` captures of named nodes that no predicate reads (``@_value`` in
    ``value: (_) @_value``): the engine has no use for them, so neither the query nor the passes handle their nodes
    (in C, one capture in thirteen). Such a capture does not change what the pattern matches; one on an anonymous
    node can (``"::" @_sep . (identifier)`` matches where ``"::" . (identifier)`` does not), so those stay."""
    for name in {n for n in _CAPTURE.findall(pattern) if n.startswith("_")}:
        uses = re.compile(r"@" + re.escape(name) + r"(?![A-Za-z0-9_.\-])")
        if len(uses.findall(pattern)) == 1:
            pattern = re.sub(r"(?<=\))\s*" + uses.pattern, "", pattern)
    return pattern


def _root_end(pattern: str) -> int:
    """Index just past the pattern's root node: the first balanced ``( ... )`` or ``[ ... ]``,
    inside a predicate group ``((node ...) (#pred ...))`` the inner node."""
    start = 1 if pattern.startswith("((") else 0
    depth = 0
    i = start
    in_string = False
    while i < len(pattern):
        ch = pattern[i]
        if in_string:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch == ";":
            while i < len(pattern) and pattern[i] != "\n":
                i += 1
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return -1


@cache
def flow_query(lang: str) -> FlowQuery:
    """The combined ``locals.scm`` + ``dataflow.scm`` query of a language, compiled once.

    The engine runs it with ``captures()`` (one C traversal, no per-match objects). Two things that
    ``captures()`` does not keep are restored by rewriting the text before compiling: a pattern with
    ``#set!`` settings or with ``@flow.target``/``@flow.value`` gets a pattern-unique suffix on its
    capture names, and a target/value pattern without ``@flow.assign`` gets its root node captured,
    so targets and values group by the root node that contains them.
    """
    spec = get_spec(lang)
    parts = []
    for name in ("locals", "dataflow"):
        text = spec.query_text(name)
        if text is None:
            raise ConfigError(f"{spec.folder / (name + '.scm')}: expected a query file for data flow, found none")
        parts.append(text)
    text = "\n".join(parts)
    language = ts_language(spec.name)
    try:
        original = ts.Query(language, text)
    except Exception as err:  # tree_sitter.QueryError and friends
        raise ConfigError(f"{spec.folder}: expected valid locals.scm and dataflow.scm queries, found an error: {err}") from err

    encoded = text.encode("utf-8")
    pieces: list[str] = []
    ref_names: set[str] = set()
    settings_of: dict[int, dict[str, str | None]] = {}
    for i in range(original.pattern_count):
        pattern = _strip_comments(
            encoded[original.start_byte_for_pattern(i):original.end_byte_for_pattern(i)].decode("utf-8")).strip()
        settings = dict(original.pattern_settings(i))
        m = _CATCH_ALL.match(pattern)
        if m and not settings:
            ref_names.add(m.group(1))
            continue
        pattern = _drop_unread_captures(pattern)
        names = set(_CAPTURE.findall(pattern))
        grouped = bool(names & {"flow.target", "flow.value"})
        if settings or grouped:
            if grouped and "flow.assign" not in names:
                end = _root_end(pattern)
                if end < 0:
                    raise ConfigError(f"{spec.folder}: expected a balanced pattern, found {pattern!r}")
                pattern = pattern[:end] + " @flow.group" + pattern[end:]
            pattern = _CAPTURE.sub(lambda mm, i=i: f"@{mm.group(1)}.__p{i}", pattern)
            settings_of[i] = settings
        pieces.append(pattern)
    rewritten = "\n".join(pieces)
    query = ts.Query(language, rewritten)
    captures: dict[str, tuple[int, dict, int]] = {}
    for k in range(query.capture_count):
        name = query.capture_name(k)
        m = _SUFFIX.search(name)
        if m:
            pattern = int(m.group(1))
            base = name[: m.start()]
            captures[name] = (_category(base), settings_of.get(pattern, {}), pattern)
        else:
            captures[name] = (_category(name), {}, -1)
    kinds = frozenset(
        k for k in range(language.node_kind_count)
        if language.node_kind_is_named(k) and language.node_kind_for_id(k) in ref_names
    )
    index = {query.capture_name(k): k for k in range(query.capture_count)}
    return FlowQuery(query=query, text=rewritten, captures=captures, capture_index=index, reference_kinds=kinds)


def captured_ids(tree: ts.Tree, lang: str, node_ids: dict[int, int]) -> dict[str, list[int]]:
    """Run a language's data-flow query with py-tree-sitter: capture name → node ids (sorted, unique),
    in the order of the query's capture ids (the C accelerator returns the same). ``node_ids`` maps each
    node's tree-sitter ``id`` (unique in its tree) to its graph id, as the walk numbered them."""
    fq = flow_query(lang)
    found: dict[str, list[int]] = {}
    # whole matches, as the C accelerator runs the query (captures in document order can differ on broken code)
    by_name: dict[str, set[int]] = {}
    for _pattern, caps in ts.QueryCursor(fq.query).matches(tree.root_node):
        for cname, nodes in caps.items():
            by_name.setdefault(cname, set()).update(node_ids.get(node.id, -1) for node in nodes)
    for cname, ids in by_name.items():
        ids.discard(-1)
        found[cname] = sorted(ids)
    index = fq.capture_index
    return {name: found[name] for name in sorted(found, key=index.__getitem__)}


def dataflow_edges(captured: dict[str, list[int]], source: bytes, lang: str, starts: list[int], ends: list[int],
                   references: list[int], *, control: bool = False, facts: bool = False) -> dict[str, list[int]]:
    """Data-flow edges of a parsed file, keyed by edge kind (see the module docstring); with ``control``,
    the control-flow kinds too (``cfg_*``, from the same sweep); with ``facts``, what the semantic checks read
    (``read``, ``def``, ``undefined``: see :func:`graphcode.graphs.passes.edges`); every list packs its pairs as
    ``(src << 32) | dst`` (``EdgeList.of_packed`` reads them).

    ``captured`` is the data-flow query's result as :func:`captured_ids` gives it; ``starts`` and
    ``ends`` are the graph's node columns; ``references`` the ids of nodes whose kind is in
    ``flow_query(lang).reference_kinds``, in document order.
    """
    return passes().edges(captured, flow_query(lang).captures, source, get_spec(lang).binding, starts, ends, references,
                          control, facts)
