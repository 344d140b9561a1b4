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
   visible from the declaration on, as in Java or Go), with global/nonlocal redirection and scopes
   hidden from nested functions (Python classes).
2. *Control flow.* One sweep over events and region boundaries, ordered by when they execute (a
   write happens after its assignment's value, a for-loop's iterable before the loop, its update
   after the body), builds a small control-flow graph per flow: the file, and each deferred body
   (function, lambda), which starts from its parameters and sees outer variables as written by any
   of their definitions (it may be called at any time).
3. *May-reach.* Classic bit-vector reaching analysis: every event is one bit of a Python int, each
   block has gen/kill masks, and a worklist over each flow's blocks reaches the fixed point; replaying
   the events from each block's entry state then emits the edges.

With the C accelerator built (:mod:`graphcode.graphs.native`), the event list and all three passes
run in C, on the same inputs, with the same results: the same variables, the same control-flow graph
block by block, the same edges (the tests compare each pass with its Python counterpart).

A pattern of the exact form ``(kind) @local.reference`` (every node of that kind is a reference
unless captured otherwise) is not run as a query: the AST walk collects those nodes anyway, which
saves a capture per identifier.

Attributes and fields: ``obj.attr`` reads ``obj``; the attribute name is not a variable (languages
say so with ``@local.ignore``). Writing ``obj.attr = v`` therefore reads ``obj`` and writes no
variable.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import cache

import tree_sitter as ts

from graphcode.errors import ConfigError
from graphcode.graphs.languages import get_spec, ts_language
from graphcode.graphs.native import native_passes

# event kinds (READ sorts before a write on the same node: `x += 1` reads, then writes)
READ, WRITE, DEF = 0, 1, 2
# capture categories
(C_DEF, C_REF, C_WRITE, C_READ, C_IGNORE, C_SCOPE, C_GLOBAL, C_NONLOCAL, C_ASSIGN, C_TARGET, C_VALUE,
 C_BRANCH, C_ARM, C_DEFAULT, C_LOOP, C_ONCE, C_LAST, C_TRY, C_HANDLER, C_FINALLY, C_DEFERRED,
 C_RETURN, C_BREAK, C_CONTINUE, C_OTHER, C_PATTERN, C_DESTRUCTURE_DEF, C_DESTRUCTURE_WRITE) = range(28)
F_DEF, F_REF, F_WRITE, F_READ, F_IGNORE = 1, 2, 4, 8, 16
_FLAG = {C_DEF: F_DEF, C_REF: F_REF, C_WRITE: F_WRITE, C_READ: F_READ, C_IGNORE: F_IGNORE}

_EXACT = {
    "local.scope": C_SCOPE, "local.reference": C_REF, "local.ignore": C_IGNORE,
    "local.global": C_GLOBAL, "local.nonlocal": C_NONLOCAL,
    "flow.write": C_WRITE, "flow.read": C_READ, "flow.assign": C_ASSIGN, "flow.target": C_TARGET,
    "flow.value": C_VALUE, "flow.branch": C_BRANCH, "flow.arm": C_ARM, "flow.default": C_DEFAULT,
    "flow.loop": C_LOOP, "flow.once": C_ONCE, "flow.last": C_LAST, "flow.try": C_TRY,
    "flow.handler": C_HANDLER, "flow.finally": C_FINALLY, "flow.deferred": C_DEFERRED,
    "flow.return": C_RETURN, "flow.break": C_BREAK, "flow.continue": C_CONTINUE,
    "flow.group": C_ASSIGN, "local.pattern": C_PATTERN, "local.destructure.write": C_DESTRUCTURE_WRITE,
}

# Nesting priority of regions with identical spans (outer first). A close at the same position
# runs inner first, so a write at the end of an assignment happens before its arm is left.
R_DEFERRED, R_PART, R_TRY, R_LOOP, R_BRANCH, R_ASSIGN, R_JUMP = range(7)
_PARTS = (C_ARM, C_DEFAULT, C_HANDLER, C_FINALLY)
_REGION_PRIO = {C_DEFERRED: R_DEFERRED, C_TRY: R_TRY, C_LOOP: R_LOOP, C_BRANCH: R_BRANCH}
K_EVENT, K_ENTER, K_EXIT, K_JUMP = range(4)

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


def _node_id(node: ts.Node, starts: list[int], ends: list[int], kinds: list[int]) -> int:
    """The graph id of a node, found by its byte span and kind (ids are in document order)."""
    sb, eb = node.byte_range
    kind = node.kind_id
    i = bisect.bisect_right(starts, sb) - 1
    while i >= 0 and starts[i] == sb:
        if ends[i] == eb and kinds[i] == kind:
            return i
        i -= 1
    return -1


def _innermost(c_start: list[int], c_end: list[int], starts: list[int], ends: list[int]) -> list[int]:
    """For each span (spans sorted by start), the index of the innermost container holding it, or -1.
    Containers are sorted by start, the outer first where two start together."""
    out = []
    stack: list[int] = []
    k, n = 0, len(c_start)
    for sb, eb in zip(starts, ends, strict=True):
        while k < n and c_start[k] <= sb:
            while stack and c_end[stack[-1]] <= c_start[k]:
                stack.pop()
            stack.append(k)
            k += 1
        while stack and not (c_start[stack[-1]] <= sb and eb <= c_end[stack[-1]]):
            stack.pop()
        out.append(stack[-1] if stack else -1)
    return out


def _destructured(names: list[int], starts: list[int], ends: list[int],
                  roots: dict[tuple[int, int], tuple[int, dict]]) -> list[tuple[tuple[int, dict], list[int]]]:
    """Pattern names grouped by the role of the innermost destructuring root around each: a
    ``@local.destructure.definition.*`` root makes its names definitions (with its settings), a
    ``@local.destructure.write`` root makes them writes. Names outside every root are left out."""
    spans = sorted(roots, key=lambda span: (span[0], -span[1]))
    names = sorted(set(names))
    inside = _innermost([a for a, _ in spans], [b for _, b in spans], [starts[n] for n in names],
                        [ends[n] for n in names])
    out: dict[int, tuple[tuple[int, dict], list[int]]] = {}
    for n, k in zip(names, inside, strict=True):
        if k >= 0:
            flag, pset = roots[spans[k]]
            out.setdefault(id(pset) * 4 + flag, ((flag, pset), []))[1].append(n)
    return list(out.values())


def _group_assignments(groups, relocate):
    """(assignment span or None, target spans, value spans) per matched assignment.

    Within one pattern, each target or value belongs to the innermost root node that strictly
    contains it. Spans of @flow.assign nodes (writes move to their end) come first, ungrouped.
    """
    out: list[tuple[tuple[int, int] | None, list[tuple[int, int]], list[tuple[int, int]]]] = [
        (span, [], []) for span in relocate
    ]
    for anchors, targets, values in groups.values():
        if not anchors:
            continue
        anchors = sorted(set(anchors), key=lambda a: (a[0], -a[1]))
        starts = [a[0] for a in anchors]
        slots: dict[tuple[int, int], tuple[list, list]] = {a: ([], []) for a in anchors}
        for k, spans in ((0, targets), (1, values)):
            for sb, eb in spans:
                j = bisect.bisect_right(starts, sb) - 1
                while j >= 0:
                    a_sb, a_eb = anchors[j]
                    if a_sb <= sb and eb <= a_eb and (a_sb, a_eb) != (sb, eb):
                        slots[anchors[j]][k].append((sb, eb))
                        break
                    j -= 1
        out.extend((None, t, v) for t, v in slots.values() if t and v)
    return out


def captured_ids(tree: ts.Tree, lang: str, starts: list[int], ends: list[int],
                 kinds: list[int]) -> dict[str, list[int]]:
    """Run a language's data-flow query with py-tree-sitter: capture name → node ids (sorted, unique),
    in the order of the query's capture ids (the C accelerator returns the same)."""
    fq = flow_query(lang)
    found: dict[str, list[int]] = {}
    for cname, nodes in ts.QueryCursor(fq.query).captures(tree.root_node).items():
        ids = {_node_id(node, starts, ends, kinds) for node in nodes}
        ids.discard(-1)
        found[cname] = sorted(ids)
    index = fq.capture_index
    return {name: found[name] for name in sorted(found, key=index.__getitem__)}


def dataflow_edges(captured: dict[str, list[int]], source: bytes, lang: str, starts: list[int], ends: list[int],
                   references: list[int]) -> dict[str, list[tuple[int, int]]]:
    """Data-flow edges of a parsed file, keyed by edge kind (see the module docstring).

    ``captured`` is the data-flow query's result as :func:`captured_ids` gives it; ``starts`` and
    ``ends`` are the graph's node columns; ``references`` the ids of nodes whose kind is in
    ``flow_query(lang).reference_kinds``, in document order.
    """
    fq = flow_query(lang)
    spec = get_spec(lang)
    fast = native_passes()

    # ------------------------------------------------------------ captures
    flags: dict[int, int] = {} if fast else dict.fromkeys(references, F_REF)
    flagged: list[tuple[int, list[int]]] = []  # the C pass: (flag, node ids) per capture
    def_settings: dict[int, dict] = {}  # definition node -> its pattern's settings (the C pass: their code)
    scope_spans: dict[tuple[int, int], dict] = {}
    decls: list[tuple[int, int, bytes, int]] = []
    regions: list[tuple[int, int, int, dict]] = []
    parts: list[tuple[int, int, int]] = []
    jumps: list[tuple[int, int, int]] = []
    # per pattern group: (anchor spans, relocating?), target spans, value spans
    groups: dict[int, tuple[list[tuple[int, int]], list[tuple[int, int]], list[tuple[int, int]]]] = {}
    relocate: list[tuple[int, int]] = []  # spans of @flow.assign nodes
    pattern_names: list[int] = []  # @local.pattern nodes
    destructure: dict[tuple[int, int], tuple[int, dict]] = {}  # root span -> (F_DEF and/or F_WRITE, settings)

    def mark(flag: int, ids: list[int], settings: dict) -> None:
        """Give nodes a flag (F_*), and definitions their pattern's settings."""
        if fast:
            flagged.append((flag, ids))
        else:
            get = flags.get
            for n in ids:
                flags[n] = get(n, 0) | flag
        if flag & F_DEF and settings:
            value = _settings_code(settings, fast.definition_codes) if fast else settings
            def_settings.update(dict.fromkeys(ids, value))

    for cname, ids in captured.items():
        cat, pset, group = fq.captures[cname]
        if cat <= C_IGNORE:
            mark(_FLAG[cat], ids, pset)
            continue
        spans = [(starts[n], ends[n]) for n in ids]
        if cat == C_SCOPE:
            for span in spans:
                prev = scope_spans.get(span)
                scope_spans[span] = {**prev, **pset} if prev else pset
        elif cat in _REGION_PRIO:
            regions.extend((sb, eb, cat, pset) for sb, eb in spans)
        elif cat in _PARTS or cat in (C_ONCE, C_LAST):
            parts.extend((sb, eb, cat) for sb, eb in spans)
        elif C_RETURN <= cat <= C_CONTINUE:
            jumps.extend((sb, eb, cat) for sb, eb in spans)
        elif cat in (C_ASSIGN, C_TARGET, C_VALUE):
            if cat == C_ASSIGN and cname.startswith("flow.assign"):
                relocate.extend(spans)
            if group >= 0:
                slot = groups.setdefault(group, ([], [], []))
                slot[0 if cat == C_ASSIGN else 1 if cat == C_TARGET else 2].extend(spans)
        elif cat in (C_GLOBAL, C_NONLOCAL):
            decls.extend((sb, eb, source[sb:eb], cat) for sb, eb in spans)
        elif cat == C_PATTERN:
            pattern_names.extend(ids)
        elif cat in (C_DESTRUCTURE_DEF, C_DESTRUCTURE_WRITE):
            for span in spans:
                flag, prev = destructure.get(span, (0, None))
                flag |= F_DEF if cat == C_DESTRUCTURE_DEF else F_WRITE
                settings = {**prev, **pset} if prev else pset
                destructure[span] = (flag, settings)
    if pattern_names and destructure:  # names in patterns bind as the innermost destructuring root says
        for (flag, pset), ids in _destructured(pattern_names, starts, ends, destructure):
            mark(flag, ids, pset)

    # ------------------------------------------------------------ events (document order)
    if fast:
        ev_node, ev_kind, ev_start, ev_end = fast.events(len(starts), references, flagged, starts, ends)
    else:
        ev_node, ev_kind = [], []
        for n in sorted(flags):
            f = flags[n]
            if f & F_READ or (f & F_REF and not f & (F_DEF | F_WRITE | F_IGNORE)):
                ev_node.append(n)
                ev_kind.append(READ)
            if f & F_DEF:
                ev_node.append(n)
                ev_kind.append(DEF)
            elif f & F_WRITE:
                ev_node.append(n)
                ev_kind.append(WRITE)
        ev_start = [starts[n] for n in ev_node]
        ev_end = [ends[n] for n in ev_node]
    if not ev_node:
        return {"last_write": [], "last_read": [], "computed_from": []}
    scopes = _Scopes(scope_spans, len(source), spec.binding)
    decls.sort()
    if fast:  # the same passes in C, from here to the edges
        ev_scope, ev_var, var_home, moved, hoisted = fast.resolve(
            source, ev_node, ev_kind, ev_start, ev_end, def_settings,
            [x for sb, eb, _name, cat in decls for x in (sb, eb, cat == C_GLOBAL)], scopes.start, scopes.end,
            scopes.parent, [b == "scope" for b in scopes.binding], scopes.hidden, [k == "function" for k in scopes.kind])
    else:
        ev_name = [source[a:b] for a, b in zip(ev_start, ev_end, strict=True)]
        ev_scope = scopes.innermost(ev_start, ev_end)
        decl_scopes = scopes.innermost([d[0] for d in decls], [d[1] for d in decls])
        for (_sb, _eb, name, cat), sc in zip(decls, decl_scopes, strict=True):
            scopes.declare(sc, name, cat == C_GLOBAL)
        ev_var, var_home, moved, hoisted = _resolve(ev_node, ev_kind, ev_name, ev_start, ev_scope, def_settings, scopes)

    built = None
    if fast:
        built = fast.flow_cfg(ev_kind, ev_start, ev_end, ev_scope, hoisted, moved,
                         [x for sb, eb, cat, pset in regions
                          for x in (sb, eb, cat, 1 if pset and "flow.breakable" in pset else 0)],
                         [x for part in parts for x in part], [x for jump in jumps for x in jump],
                         [x for span in relocate for x in span], scopes.start, scopes.end, scopes.parent, scopes.depth,
                         len(source))
    if fast and built is not None:
        events, preds, flow, entry, owner, catch = built
        last_write, last_read = fast.reach(events, preds, flow, entry, owner, catch, ev_node, ev_kind, ev_var, var_home,
                                           scopes.parent, scopes.depth)
        computed = fast.computed_from(ev_node, ev_kind, ev_start, ev_end,
                                      [x for g, slot in groups.items() for role, spans in enumerate(slot)
                                       for sb, eb in spans for x in (g, role, sb, eb)])
    else:  # pure Python, or a source too large for the C schedule's keys
        assigns = _group_assignments(groups, relocate)
        order, payloads = _schedule(ev_kind, ev_start, ev_end, ev_scope, hoisted, regions, parts, jumps, assigns,
                                    scopes, len(source))
        cfg = _build_cfg(order, payloads, ev_scope, moved, scopes)
        last_write, last_read = _reach(cfg, ev_node, ev_kind, ev_var, var_home, scopes)
        computed = _computed_from(ev_node, ev_kind, ev_start, ev_end, assigns)
    return {"last_write": last_write, "last_read": last_read, "computed_from": computed}


def _settings_code(settings: dict[str, str | None], codes: dict[str, int]) -> int:
    """A definition's settings as the C name pass reads them (``codes``: ``_native.DEFINITION_CODES``)."""
    code = codes.get(settings.get("local.definition.scope") or "", 0)
    if "local.definition.hoist" in settings:
        code |= codes["hoist"]
        if settings["local.definition.hoist"] == "value":
            code |= codes["value"]
    return code


# ------------------------------------------------------------------ names
class _Scopes:
    """The scope tree: index 0 is the file; parents come before children."""

    def __init__(self, spans: dict[tuple[int, int], dict], size: int, default_binding: str):
        self.start = [-1]
        self.end = [size + 1]
        self.parent = [-1]
        self.depth = [0]
        self.binding = [default_binding]
        self.kind = ["root"]
        self.hidden = [False]
        self.globals: dict[int, set[bytes]] = {}
        self.nonlocals: dict[int, set[bytes]] = {}
        stack = [0]
        for (sb, eb), pset in sorted(spans.items(), key=lambda kv: (kv[0][0], -kv[0][1])):
            while len(stack) > 1 and self.end[stack[-1]] <= sb:
                stack.pop()
            parent = stack[-1]
            self.start.append(sb)
            self.end.append(eb)
            self.parent.append(parent)
            self.depth.append(self.depth[parent] + 1)
            self.binding.append(pset.get("local.scope.binding") or default_binding)
            self.kind.append(pset.get("local.scope.kind") or "block")
            self.hidden.append("local.scope.hidden" in pset)
            stack.append(len(self.start) - 1)

    def __len__(self) -> int:
        return len(self.start)

    def of_span(self, sb: int, eb: int) -> int:
        """The scope whose node spans exactly (sb, eb), else the innermost one containing it."""
        k = bisect.bisect_left(self.start, sb, 1)
        while k < len(self.start) and self.start[k] == sb:
            if self.end[k] == eb:
                return k
            k += 1
        return self.innermost([sb], [eb])[0]

    def innermost(self, starts: list[int], ends: list[int]) -> list[int]:
        """The innermost scope containing each span; spans sorted by start (the root holds them all)."""
        return _innermost(self.start, self.end, starts, ends)

    def declare(self, scope: int, name: bytes, is_global: bool) -> None:
        (self.globals if is_global else self.nonlocals).setdefault(scope, set()).add(name)

    def function_of(self, s: int) -> int:
        while s > 0 and self.kind[s] != "function":
            s = self.parent[s]
        return s

    def within(self, s: int, owner: int) -> bool:
        """Is scope ``s`` the scope ``owner`` or nested inside it?"""
        depth = self.depth[owner]
        while s >= 0 and self.depth[s] > depth:
            s = self.parent[s]
        return s == owner


def _resolve(ev_node, ev_kind, ev_name, ev_start, ev_scope, def_settings, scopes: _Scopes):
    """Variable ids of events: (owning scope, name) under the language's binding rules.

    Returns ``(ev_var, var_home, moved, hoisted)``: each event's variable, each variable's owning
    scope, which events a ``local.definition.scope`` setting moved out of their innermost scope, and
    which definitions are hoisted (they happen at the start of their scope).
    """
    n_ev = len(ev_node)
    var_ids: dict[tuple[int, bytes], int] = {}
    var_home: list[int] = []
    decl_first: dict[tuple[int, bytes], int] = {}
    ev_var = [-1] * n_ev
    moved = [False] * n_ev
    hoisted = [False] * n_ev
    globals_, nonlocals = scopes.globals, scopes.nonlocals
    parent, binding, hidden = scopes.parent, scopes.binding, scopes.hidden

    def var(scope: int, name: bytes) -> int:
        key = (scope, name)
        v = var_ids.get(key)
        if v is None:
            v = var_ids[key] = len(var_home)
            var_home.append(scope)
        return v

    pending = []
    for e in range(n_ev):
        if ev_kind[e] != DEF:
            continue
        s = ev_scope[e]
        pset = def_settings.get(ev_node[e])
        hoist = False
        if pset:
            placement = pset.get("local.definition.scope")
            if placement == "parent" and s > 0:
                s = parent[s]
            elif placement == "global":
                s = 0
            elif placement == "function":
                s = scopes.function_of(s)
            hoist = "local.definition.hoist" in pset
            hoisted[e] = pset.get("local.definition.hoist") == "value"
            if s != ev_scope[e]:
                moved[e] = True
                ev_scope[e] = s
        name = ev_name[e]
        if (globals_ or nonlocals) and (name in globals_.get(s, ()) or name in nonlocals.get(s, ())):
            pending.append(e)
            continue
        key = (s, name)
        first = -1 if hoist else ev_start[e]
        at = decl_first.get(key)
        if at is None or first < at:
            decl_first[key] = first
        v = var_ids.get(key)
        if v is None:
            v = var_ids[key] = len(var_home)
            var_home.append(s)
        ev_var[e] = v

    memo: dict[tuple[int, bytes], int] = {}

    def lookup(name: bytes, scope: int, pos: int) -> int:
        """The variable ``name`` means at ``pos`` in ``scope``. Memoised per (scope, name) unless a
        declaration-bound scope made the answer depend on the position."""
        key = (scope, name)
        hit = memo.get(key)
        if hit is not None:
            return hit
        s = scope
        first = True
        fallback = -1
        found = -1
        depends = False
        while s >= 0:
            if not first and hidden[s]:
                s = parent[s]
                continue
            if globals_ and name in globals_.get(s, ()):
                found = 0
                break
            if nonlocals and name in nonlocals.get(s, ()):
                s = parent[s]
                first = False
                continue
            at = decl_first.get((s, name))
            if at is not None:
                if binding[s] == "scope":
                    found = s
                    break
                depends = True
                if at <= pos:
                    found = s
                    break
                if fallback < 0:
                    fallback = s
            first = False
            s = parent[s]
        if found < 0:
            found = fallback if fallback >= 0 else 0
        v = var(found, name)
        if not depends:
            memo[key] = v
        return v

    for e in pending:
        ev_var[e] = lookup(ev_name[e], ev_scope[e], ev_start[e])
    hit = memo.get
    for e, v in enumerate(ev_var):
        if v < 0:
            name, sc = ev_name[e], ev_scope[e]
            v = hit((sc, name))
            ev_var[e] = v if v is not None else lookup(name, sc, ev_start[e])
    return ev_var, var_home, moved, hoisted


# ------------------------------------------------------------------ execution order
def _schedule(ev_kind, ev_start, ev_end, ev_scope, hoisted, regions, parts, jumps, assigns, scopes: _Scopes,
              size: int):
    """Order events and region boundaries by when they execute; returns (order, payloads).

    At one byte position: first what closes there (inner nodes first; a relocated write or a jump
    before the close of its node), then what opens there (outer first; a loop's once-part before the
    loop), then plain events. Writes inside an assignment, in the assignment's own scope (not the
    parameters of a lambda in its value), move to its end; a loop's @flow.once part moves before the
    loop, its @flow.last part to the end of each iteration; hoisted definitions to the start of
    their scope.
    """
    big = size + 2

    def close_key(pos: int, start: int, prio: int, tail: int) -> int:
        return (((pos * 4 + 1) * big + (big - 1 - start)) * 8 + (7 - prio)) * 2 + tail

    def open_key(pos: int, end: int, prio: int, tail: int) -> int:
        return (((pos * 4 + 2) * big + (big - 1 - end)) * 8 + prio) * 2 + tail

    def normal_key(pos: int, kind: int) -> int:
        return (((pos * 4 + 3) * big) * 8 + kind) * 2

    def hoist_key(e: int) -> int:
        # at the start of the scope, after every region that opens there, before anything else
        return open_key(max(scopes.start[ev_scope[e]], 0), 0, 7, 1)

    anchors: list[tuple[int, int, int, int]] = []  # (start, end, key, scope of an assignment or -1: a loop part)
    spans = sorted({span for span, _t, _v in assigns if span is not None})
    for (sb, eb), sc in zip(spans, scopes.innermost([a for a, _ in spans], [b for _, b in spans]), strict=True):
        anchors.append((sb, eb, close_key(eb, sb, R_ASSIGN, 0), sc))
    loops = sorted((r for r in regions if r[2] == C_LOOP), key=lambda r: (r[0], -r[1]))
    loop_starts = [r[0] for r in loops]
    for sb, eb, cat in parts:
        if cat != C_ONCE and cat != C_LAST:
            continue
        j = bisect.bisect_right(loop_starts, sb) - 1  # the innermost loop containing the part
        while j >= 0 and not (loops[j][0] <= sb and eb <= loops[j][1]):
            j -= 1
        if j >= 0:
            ls, le = loops[j][0], loops[j][1]
            key = open_key(ls, le, R_LOOP, 0) if cat == C_ONCE else close_key(le, ls, R_LOOP, 0)
            anchors.append((sb, eb, key, -1))

    n_ev = len(ev_kind)
    scale = (size + 3) * 4 * big * 16  # above any single key
    keys: list[int] = []
    payloads: list[tuple] = []
    # normal_key(pos, kind) * scale, in two multiplications
    pos_unit, kind_unit = 4 * big * 16 * scale, 2 * scale
    pos_base = 3 * big * 16 * scale
    if anchors:
        anchors.sort(key=lambda a: (a[0], -a[1]))
        stack: list[tuple[int, int, int, int]] = []
        k = 0
        n_anchors = len(anchors)
        append = keys.append
        for e in range(n_ev):
            sb, eb = ev_start[e], ev_end[e]
            while k < n_anchors and anchors[k][0] <= sb:
                while stack and stack[-1][1] <= anchors[k][0]:
                    stack.pop()
                stack.append(anchors[k])
                k += 1
            while stack and not (stack[-1][0] <= sb and eb <= stack[-1][1]):
                stack.pop()
            if not stack and not hoisted[e]:  # the common case: nothing moves this event
                append(sb * pos_unit + pos_base + ev_kind[e] * kind_unit)
                continue
            own = hoist_key(e) if hoisted[e] else normal_key(sb, ev_kind[e])
            key = own * scale
            relocated_write = hoisted[e]
            for a_start, a_end, a_key, a_scope in reversed(stack):  # innermost first
                if not (a_start <= sb and eb <= a_end):
                    continue
                if a_scope < 0:
                    key = a_key * scale + own
                    break
                if ev_kind[e] != READ and not relocated_write and ev_scope[e] == a_scope:
                    own = a_key
                    key = own * scale
                    relocated_write = True
            keys.append(key)
    else:
        keys = [hoist_key(e) * scale if hoisted[e] else ev_start[e] * pos_unit + pos_base + ev_kind[e] * kind_unit
                for e in range(n_ev)]
    payloads = [(K_EVENT, e) for e in range(n_ev)]
    for sb, eb, cat, pset in regions:
        prio = _REGION_PRIO[cat]
        keys.append(open_key(sb, eb, prio, 1) * scale)
        payloads.append((K_ENTER, cat, sb, eb, pset))
        keys.append(close_key(eb, sb, prio, 1) * scale)
        payloads.append((K_EXIT, cat, sb))
    for sb, eb, cat in parts:
        if cat in _PARTS:
            keys.append(open_key(sb, eb, R_PART, 1) * scale)
            payloads.append((K_ENTER, cat, sb, eb, None))
            keys.append(close_key(eb, sb, R_PART, 1) * scale)
            payloads.append((K_EXIT, cat, sb))
    for sb, eb, cat in jumps:
        keys.append(close_key(eb, sb, R_JUMP, 0) * scale)
        payloads.append((K_JUMP, cat))
    order = sorted(range(len(keys)), key=keys.__getitem__)  # a stable sort: ties keep creation order
    return order, payloads


# ------------------------------------------------------------------ control-flow graph
@dataclass
class _CFG:
    events: list[list[int]]  # event ids per block, in execution order
    preds: list[list[int]]
    flow: list[int]
    entry: list[int]  # entry block per flow
    owner: list[int]  # owner scope per flow (0 for the file)
    catch: dict[int, range]  # handler entry block -> the try body's blocks (any of their events may reach it)


class _Frame:
    __slots__ = ("breakable", "entry", "exhaustive", "exits", "first_block", "flow", "handler_preds", "head",
                 "key", "kind", "normal_exit", "spine")

    def __init__(self, kind: int, key: int, flow: int):
        self.kind, self.key, self.flow = kind, key, flow
        self.spine: list[int] = []
        self.exits: list[int] = []
        self.head = -1
        self.exhaustive = False
        self.breakable = False
        self.entry: list[int] = []
        self.first_block = 0
        self.normal_exit: list[int] = []
        self.handler_preds: list[int] | None = None


def _build_cfg(order, payloads, ev_scope, moved, scopes: _Scopes) -> _CFG:
    """One sweep over the schedule builds a CFG per flow. Blocks are made only when an event needs
    one or a loop needs a head; elsewhere the current point is just the list of its predecessors."""
    b_events: list[list[int]] = []
    b_preds: list[list[int]] = []
    b_flow: list[int] = []

    def new_block(flow: int, preds: list[int]) -> int:
        b_events.append([])
        b_preds.append(preds)
        b_flow.append(flow)
        return len(b_preds) - 1

    entry = [new_block(0, [])]
    owner = [0]
    point: list[list[int]] = [[entry[0]]]  # per flow: predecessors of the current point
    open_b: list[int] = [entry[0]]  # per flow: the block at the current point, or -1
    frames: list[_Frame] = [_Frame(-1, -1, 0)]
    deferred: list[int] = [0]  # open flows, innermost last
    catch: dict[int, range] = {}

    def goto(flow: int, preds: list[int]) -> None:
        point[flow] = preds
        open_b[flow] = -1

    for idx in order:
        item = payloads[idx]
        tag = item[0]
        if tag == K_EVENT:
            e = item[1]
            flow = deferred[-1]
            if moved[e] and flow:
                # a definition placed in an enclosing scope (a function's own name) happens in the
                # innermost flow whose owner scope holds it
                for f in reversed(deferred):
                    if f == 0 or scopes.within(ev_scope[e], owner[f]):
                        flow = f
                        break
            b = open_b[flow]
            if b < 0:
                b = new_block(flow, point[flow])
                point[flow] = [b]
                open_b[flow] = b
            b_events[b].append(e)
            continue
        if tag == K_ENTER:
            _, cat, sb, eb, pset = item
            top = frames[-1]
            flow = top.flow
            if cat == C_DEFERRED:
                f = len(entry)
                owner.append(scopes.of_span(sb, eb))
                b = new_block(f, [])
                entry.append(b)
                point.append([b])
                open_b.append(b)
                frames.append(_Frame(cat, sb, f))
                deferred.append(f)
                continue
            fr = _Frame(cat, sb, flow)
            if cat == C_BRANCH:
                fr.spine = point[flow]
                fr.breakable = bool(pset) and "flow.breakable" in pset
            elif cat == C_LOOP:
                fr.head = new_block(flow, list(point[flow]))  # a copy: back edges extend it
                goto(flow, [fr.head])
            elif cat == C_TRY:
                fr.entry = point[flow]
                fr.first_block = len(b_preds)
                goto(flow, list(point[flow]))  # the try body starts a block of its own
            elif (cat in (C_ARM, C_DEFAULT)) and top.kind == C_BRANCH:
                top.spine = point[flow]
                top.exhaustive = top.exhaustive or cat == C_DEFAULT
                goto(flow, list(point[flow]))
            elif cat == C_HANDLER and top.kind == C_TRY:
                if top.handler_preds is None:
                    top.normal_exit = point[flow]
                    body = range(top.first_block, len(b_preds))
                    top.handler_preds = [*top.entry, *(b for b in body if b_flow[b] == flow)]
                    top.head = len(b_preds)  # the handlers' shared entry block, made next
                    catch[top.head] = body
                    new_block(flow, top.handler_preds)
                goto(flow, [top.head])
            elif cat == C_FINALLY and top.kind == C_TRY:
                goto(flow, [*point[flow], *top.exits])
                top.exits = []
                top.handler_preds = top.handler_preds or []
                top.normal_exit = point[flow]
            frames.append(fr)
            continue
        if tag == K_EXIT:
            _, cat, sb = item
            k = len(frames) - 1
            while k > 0 and not (frames[k].kind == cat and frames[k].key == sb):
                k -= 1
            if k == 0:
                continue  # defensive: an exit without its enter
            del frames[k + 1:]
            fr = frames.pop()
            flow = fr.flow
            if cat == C_DEFERRED:
                deferred.pop()
            elif cat == C_BRANCH:
                goto(flow, fr.exits + ([] if fr.exhaustive else point[flow]))
            elif cat == C_LOOP:
                b_preds[fr.head].extend(point[flow])
                goto(flow, [fr.head, *fr.exits])
            elif cat == C_TRY:
                goto(flow, [*point[flow], *fr.exits])
            else:
                top = frames[-1]
                if (cat in (C_ARM, C_DEFAULT)) and top.kind == C_BRANCH:
                    top.exits.extend(point[flow])
                    goto(flow, top.spine)
                elif cat == C_HANDLER and top.kind == C_TRY:
                    top.exits.extend(point[flow])
                    goto(flow, top.normal_exit)
            continue
        # a jump
        cat = item[1]
        flow = frames[-1].flow
        if cat in (C_BREAK, C_CONTINUE):
            for k in range(len(frames) - 1, 0, -1):
                fr = frames[k]
                if fr.flow != flow:
                    break
                if fr.kind == C_LOOP:
                    if cat == C_BREAK:
                        fr.exits.extend(point[flow])
                    else:
                        b_preds[fr.head].extend(point[flow])
                    break
                if cat == C_BREAK and fr.kind == C_BRANCH and fr.breakable:
                    fr.exits.extend(point[flow])
                    break
        goto(flow, [])
    return _CFG(b_events, b_preds, b_flow, entry, owner, catch)


# ------------------------------------------------------------------ may-reach
def _reach(cfg: _CFG, ev_node, ev_kind, ev_var, var_home, scopes: _Scopes):
    """Bit-vector reaching analysis per flow (bit k = local event k is a latest write/read of its
    variable on some path), iterated to a fixed point; then each block is replayed to emit edges.

    Bits are numbered per flow, so a function's states are small ints. A variable owned outside the
    flow gets one extra bit that stands for "any of its definitions elsewhere" (the flow may run at
    any time); a write in the flow clears it like any other.
    """
    n_blocks = len(cfg.preds)
    blocks_of: list[list[int]] = [[] for _ in cfg.entry]
    for b in range(n_blocks):
        blocks_of[cfg.flow[b]].append(b)
    defs_of: dict[int, list[int]] = {}
    for e, kind in enumerate(ev_kind):
        if kind != READ:
            defs_of.setdefault(ev_var[e], []).append(ev_node[e])

    # a handler may start after any event of its try body: each of them may reach it
    catch_of: dict[int, list[int]] = {}
    for h, body in cfg.catch.items():
        catch_of[h] = [e for b in body if cfg.flow[b] == cfg.flow[h] for e in cfg.events[b]]

    last_write: list[tuple[int, int]] = []
    last_read: list[tuple[int, int]] = []
    for f, blocks in enumerate(blocks_of):
        # local numbering: events of this flow, then one "outside" bit per free variable
        local: dict[int, int] = {}
        node_of: list[int] = []  # local bit -> graph node (or -1 - var for an outside bit)
        wmask: dict[int, int] = {}
        rmask: dict[int, int] = {}
        for b in blocks:
            for e in cfg.events[b]:
                bit = len(node_of)
                local[e] = bit
                node_of.append(ev_node[e])
                v = ev_var[e]
                if ev_kind[e] == READ:
                    rmask[v] = rmask.get(v, 0) | (1 << bit)
                else:
                    wmask[v] = wmask.get(v, 0) | (1 << bit)
        init = 0
        if f:
            own = cfg.owner[f]
            for v in set(wmask) | set(rmask):
                if v in defs_of and not scopes.within(var_home[v], own):
                    bit = len(node_of)
                    node_of.append(-1 - v)
                    wmask[v] = wmask.get(v, 0) | (1 << bit)
                    init |= 1 << bit
        gen: dict[int, int] = {}
        keep: dict[int, int] = {}
        for b in blocks:
            g = 0
            kill = 0
            for e in cfg.events[b]:
                v = ev_var[e]
                m = rmask[v] if ev_kind[e] == READ else wmask[v]
                g = (g & ~m) | (1 << local[e])
                kill |= m
            gen[b] = g
            keep[b] = ~kill
        extra = {h: sum(1 << local[e] for e in evs) for h, evs in catch_of.items() if cfg.flow[h] == f}
        out: dict[int, int] = {}
        in_state: dict[int, int] = {}
        entry = cfg.entry[f]
        preds = cfg.preds
        changed = True
        rounds = 0
        while changed and rounds < 100:
            changed = False
            rounds += 1
            for b in blocks:
                st = init if b == entry else 0
                if b in extra:
                    st |= extra[b]
                for p in preds[b]:
                    st |= out.get(p, 0)
                in_state[b] = st
                o = (st & keep[b]) | gen[b]
                if out.get(b) != o:
                    out[b] = o
                    changed = True
        for b in blocks:
            st = in_state[b]
            for e in cfg.events[b]:
                v = ev_var[e]
                if ev_kind[e] == READ:
                    node = ev_node[e]
                    x = st & wmask.get(v, 0)
                    while x:
                        low = x & -x
                        target = node_of[low.bit_length() - 1]
                        if target >= 0:
                            last_write.append((node, target))
                        else:
                            last_write.extend((node, d) for d in defs_of[-1 - target])
                        x ^= low
                    x = st & rmask[v]
                    while x:
                        low = x & -x
                        last_read.append((node, node_of[low.bit_length() - 1]))
                        x ^= low
                    st = (st & ~rmask[v]) | (1 << local[e])
                else:
                    st = (st & ~wmask[v]) | (1 << local[e])
    return _unique(last_write), _unique(last_read)


def _unique(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return sorted({p for p in pairs if p[0] != p[1]})


def _computed_from(ev_node, ev_kind, ev_start, ev_end, assigns) -> list[tuple[int, int]]:
    out: set[tuple[int, int]] = set()
    n = len(ev_node)
    for _span, targets, values in assigns:
        if not targets or not values:
            continue
        written = []
        for ts_, te in targets:
            i = bisect.bisect_left(ev_start, ts_)
            while i < n and ev_start[i] < te:
                if ev_kind[i] != READ and ev_end[i] <= te:
                    written.append(ev_node[i])
                i += 1
        if not written:
            continue
        read = []
        for vs, ve in values:
            i = bisect.bisect_left(ev_start, vs)
            while i < n and ev_start[i] < ve:
                if ev_kind[i] == READ and ev_end[i] <= ve:
                    read.append(ev_node[i])
                i += 1
        out.update((w, r) for w in written for r in read if w != r)
    return sorted(out)
