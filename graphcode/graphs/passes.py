"""The data-flow passes: from a file's captures to its edges, in one implementation.

Everything here is plain data in, plain data out: node ids, byte spans and capture categories. The
module imports nothing but the standard library and is typed throughout, so that ``graphcode native
build`` can compile it with mypyc; the compiled module and this source are the same program (see
:mod:`graphcode.graphs.native`). :mod:`graphcode.graphs.dataflow` reads the query and calls
:func:`edges`; the algorithm is described there.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Final

# event kinds (READ sorts before a write on the same node: `x += 1` reads, then writes)
READ: Final = 0
WRITE: Final = 1
DEF: Final = 2
UNBIND: Final = 3  # the variable has no value after it (`del x`; the end of `except E as e`)
# capture categories (graphcode.graphs.dataflow maps capture names to them)
C_DEF: Final = 0
C_REF: Final = 1
C_WRITE: Final = 2
C_READ: Final = 3
C_IGNORE: Final = 4
C_SCOPE: Final = 5
C_GLOBAL: Final = 6
C_NONLOCAL: Final = 7
C_ASSIGN: Final = 8
C_TARGET: Final = 9
C_VALUE: Final = 10
C_BRANCH: Final = 11
C_ARM: Final = 12
C_DEFAULT: Final = 13
C_LOOP: Final = 14
C_ONCE: Final = 15
C_LAST: Final = 16
C_TRY: Final = 17
C_HANDLER: Final = 18
C_FINALLY: Final = 19
C_DEFERRED: Final = 20
C_RETURN: Final = 21
C_BREAK: Final = 22
C_CONTINUE: Final = 23
C_OTHER: Final = 24
C_PATTERN: Final = 25
C_DESTRUCTURE_DEF: Final = 26
C_DESTRUCTURE_WRITE: Final = 27
C_OUTER: Final = 28
C_STATEMENT: Final = 29
C_LOOP_ELSE: Final = 30
C_LABEL: Final = 31
C_JUMP_LABEL: Final = 32
C_GOTO: Final = 33
C_UNBIND: Final = 34
# node flags
F_DEF: Final = 1
F_REF: Final = 2
F_WRITE: Final = 4
F_READ: Final = 8
F_IGNORE: Final = 16
_FLAG: Final = {C_DEF: F_DEF, C_REF: F_REF, C_WRITE: F_WRITE, C_READ: F_READ, C_IGNORE: F_IGNORE}

# Nesting priority of regions with identical spans (outer first). A close at the same position
# runs inner first, so a write at the end of an assignment happens before its arm is left. A deferred body
# is inside any part with its span (`elif c: def h(): ...`: the arm holds the definition, which runs there).
R_PART: Final = 0
R_TRY: Final = 1
R_LOOP: Final = 2
R_BRANCH: Final = 3
R_DEFERRED: Final = 4
R_ASSIGN: Final = 5
R_JUMP: Final = 6
_PARTS: Final = (C_ARM, C_DEFAULT, C_HANDLER, C_FINALLY, C_LOOP_ELSE)
_REGION_PRIO: Final = {C_DEFERRED: R_DEFERRED, C_TRY: R_TRY, C_LOOP: R_LOOP, C_BRANCH: R_BRANCH}
# schedule items other than events (an event is an item of its own: see _schedule)
K_ENTER: Final = 1
K_EXIT: Final = 2
K_JUMP: Final = 3
K_STMT: Final = 4

# local.scope.fallback: a read of the scope's own variable not yet bound reads the name around the scope, or the file's
FB_ENCLOSING: Final = 1
FB_GLOBAL: Final = 2
_FALLBACK: Final = {"enclosing": FB_ENCLOSING, "global": FB_GLOBAL}

# control-flow edge labels, by index into CFG_KINDS
L_ENTRY: Final = 0
L_NEXT: Final = 1
L_TRUE: Final = 2
L_FALSE: Final = 3
L_BACK: Final = 4
L_RAISE: Final = 5
L_EXIT: Final = 6
_NOWHERE: Final = 1 << 40  # past any byte position (sources are under 2 GiB)
_UNSET: Final = -(1 << 62)  # the "not yet defined" bit's node, in _reach
_STICKY: Final = -(1 << 61)  # _STICKY - k: the bit of a closure's writes of a variable (``sticky[k]``), in _reach
_BACK_BIT: Final = 1 << 4  # 1 << L_BACK
_TEST_BITS: Final = (1 << 2) | (1 << 3)  # 1 << L_TRUE | 1 << L_FALSE
DEF_KINDS: Final = ("var", "parameter", "import", "function", "type", "other")
"""What a definition is, from its capture name (``@local.definition.KIND``); writes are ``var``."""
DEF_LOCAL: Final = 8
"""Added to a ``def`` fact's kind when its variable lives in a function (not the file or a class body)."""
CFG_KINDS: Final = ("cfg_entry", "cfg_next", "cfg_true", "cfg_false", "cfg_back", "cfg_raise", "cfg_exit")
"""The control-flow edge kinds (see :func:`_control`)."""


def _innermost(c_start: list[int], c_end: list[int], starts: list[int], ends: list[int]) -> list[int]:
    """For each span (spans sorted by start), the index of the innermost container holding it, or -1.
    Containers are sorted by start, the outer first where two start together."""
    out: list[int] = []
    stack: list[int] = []  # open containers but the innermost, which is `top` (-1: none)
    top = -1
    top_start = top_end = 0
    k, n = 0, len(c_start)
    for sb, eb in zip(starts, ends, strict=True):
        while k < n and c_start[k] <= sb:
            ks = c_start[k]
            while top >= 0 and top_end <= ks:
                top = stack.pop() if stack else -1
                if top >= 0:
                    top_start, top_end = c_start[top], c_end[top]
            if top >= 0:
                stack.append(top)
            top, top_start, top_end = k, ks, c_end[k]
            k += 1
        while top >= 0 and not (top_start <= sb and eb <= top_end):
            top = stack.pop() if stack else -1
            if top >= 0:
                top_start, top_end = c_start[top], c_end[top]
        out.append(top)
    return out


def _enclosing(c_start: list[int], c_end: list[int]) -> list[int]:
    """For each span (spans sorted by start; any two nest or are apart, as syntax nodes' spans do), the last span
    before it that holds it, or -1. The last span before index ``j`` holding some span that starts at or after span
    ``j``'s start is ``j`` itself or up this chain from ``j``: a lookup follows it instead of scanning back."""
    up: list[int] = []
    chain: list[int] = []
    for j in range(len(c_start)):
        sb, eb = c_start[j], c_end[j]
        while chain and not (c_start[chain[-1]] <= sb and eb <= c_end[chain[-1]]):
            chain.pop()
        up.append(chain[-1] if chain else -1)
        chain.append(j)
    return up


def _destructured(names: list[int], starts: list[int], ends: list[int],
                  roots: dict[Span, tuple[int, Settings]]) -> list[tuple[tuple[int, Settings], list[int]]]:
    """Pattern names grouped by the role of the innermost destructuring root around each: a
    ``@local.destructure.definition.*`` root makes its names definitions (with its settings), a
    ``@local.destructure.write`` root makes them writes. Names outside every root are left out."""
    spans = sorted(roots, key=lambda span: (span[0], -span[1]))
    names = sorted(set(names))
    inside = _innermost([a for a, _ in spans], [b for _, b in spans], [starts[n] for n in names],
                        [ends[n] for n in names])
    out: dict[int, tuple[tuple[int, Settings], list[int]]] = {}
    for n, k in zip(names, inside, strict=True):
        if k >= 0:
            flag, pset = roots[spans[k]]
            out.setdefault(id(pset) * 4 + flag, ((flag, pset), []))[1].append(n)
    return list(out.values())


def _group_assignments(groups: dict[int, tuple[list[Span], list[Span], list[Span]]],
                       relocate: list[Span]) -> list[Assign]:
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
        ends = [a[1] for a in anchors]
        up = _enclosing(starts, ends)
        slots: list[list[list[Span]]] = [[[] for _ in anchors], [[] for _ in anchors]]  # targets, values by anchor
        for k, spans in ((0, targets), (1, values)):
            slot = slots[k]
            for span in spans:
                sb, eb = span
                j = bisect.bisect_right(starts, sb) - 1
                while j >= 0:
                    a_sb, a_eb = starts[j], ends[j]
                    if a_sb <= sb and eb <= a_eb and (a_sb != sb or a_eb != eb):
                        slot[j].append(span)
                        break
                    j = up[j]
        out.extend((None, t, v) for t, v in zip(slots[0], slots[1], strict=True) if t and v)
    return out



Span = tuple[int, int]
"""A node's byte span: (start, end)."""
Settings = dict[str, str | None]
"""A query pattern's ``#set!`` settings."""
Assign = tuple[Span | None, list[Span], list[Span]]
"""An assignment: (the span of a ``@flow.assign`` node that writes move to the end of, or None; target spans;
value spans)."""
Payload = tuple[int, int, int, int, Settings | None]
"""A schedule item other than an event: (``K_ENTER``, category, start, end, settings),
(``K_EXIT``, category, start, 0, None), (``K_JUMP``, category, 0, 0, None) or (``K_STMT``, node, start, end,
None)."""
Captures = dict[str, list[int]]
"""A capture name → the ids of the nodes it captured (sorted, unique)."""
CaptureInfo = dict[str, tuple[int, dict[str, str | None], int]]
"""A capture name → (category ``C_*``, its pattern's ``#set!`` settings, pattern group id or -1)."""
Edges = dict[str, list[int]]
"""Edges (or facts) by kind, each pair packed as ``(src << 32) | dst`` (node ids are below 2**31); an edge kind's list
is sorted and without repeats. ``graphcode.graphs.codegraph.EdgeList.of_packed`` reads them as pairs."""


def edges(captured: Captures, info: CaptureInfo, source: bytes, binding: str, starts: list[int], ends: list[int],
          references: list[int], control: bool = False, facts: bool = False) -> Edges:
    """Data-flow edges of a parsed file, keyed by edge kind: ``last_write``, ``last_read``, ``computed_from``;
    with ``control``, also the statement-level control-flow edges ``CFG_KINDS`` (see :func:`_control`); each pair
    packed as ``(src << 32) | dst`` (:data:`Edges`). With ``facts``, also what the semantic checks read, as pairs
    packed alike: ``read`` (each read, its variable id),
    ``def`` (each definition or write, its ``DEF_KINDS`` index, plus ``DEF_LOCAL`` for a function's own),
    ``def_var`` (each definition or write, its variable id) and ``undefined`` (a read that some path
    reaches before any definition of its variable: ``(read, 1)`` when every path does, else ``(read, 0)``).

    ``captured`` is the data-flow query's result, ``info`` what each capture name means, ``binding`` the
    language's default binding rule (``scope`` or ``declaration``); ``starts`` and ``ends`` are the
    graph's node columns (byte spans, by node id); ``references`` the ids of nodes that the catch-all
    ``(kind) @local.reference`` patterns name, in document order.
    """
    # ------------------------------------------------------------ captures
    flags: list[int] = [0] * len(starts)  # by node id: its F_* flags (a list the size of the graph, as starts is)
    for n in references:
        flags[n] = F_REF
    def_settings: dict[int, dict[str, str | None]] = {}  # definition node -> its pattern's settings
    scope_spans: dict[tuple[int, int], dict[str, str | None]] = {}
    decls: list[tuple[int, int, bytes, int]] = []
    regions: list[tuple[int, int, int, dict[str, str | None]]] = []
    parts: list[tuple[int, int, int]] = []
    jumps: list[tuple[int, int, int]] = []
    # per pattern group: anchor spans, target spans, value spans
    groups: dict[int, tuple[list[tuple[int, int]], list[tuple[int, int]], list[tuple[int, int]]]] = {}
    relocate: list[tuple[int, int]] = []  # spans of @flow.assign nodes
    pattern_names: list[int] = []  # @local.pattern nodes
    destructure: dict[tuple[int, int], tuple[int, dict[str, str | None]]] = {}  # root span -> (F_DEF|F_WRITE, settings)
    outer: list[Span] = []  # @local.outer: evaluated in the scope around the one they sit in
    statements: list[int] = []  # @flow.statement nodes (with ``control`` only)
    def_kind: dict[int, int] = {}  # definition node -> its DEF_KINDS index (with ``facts`` only)
    unbound: list[int] = []  # @flow.unbind nodes
    labels: list[Span] = []  # @flow.label: a labelled statement's label
    jump_labels: list[Span] = []  # @flow.jump.label: the label a break or continue names
    functions: dict[Span, int] = {}  # @flow.deferred span -> its node (with ``control`` only)

    for cname, ids in captured.items():
        cat, pset, group = info[cname]
        if cat <= C_IGNORE:
            _mark(flags, def_settings, _FLAG[cat], ids, pset)
            if facts and cat == C_DEF:
                segments = cname.split(".")
                named = segments[2].split("__")[0] if len(segments) >= 3 else ""  # @local.definition.<kind>[__...]
                kind = DEF_KINDS.index(named) if named in DEF_KINDS else len(DEF_KINDS) - 1
                for n in ids:
                    def_kind[n] = kind
            continue
        if cat == C_STATEMENT:
            if control:
                statements.extend(ids)
            continue
        if cat == C_UNBIND:
            unbound.extend(ids)
            continue
        if cat in (C_LABEL, C_JUMP_LABEL):
            (labels if cat == C_LABEL else jump_labels).extend((starts[n], ends[n]) for n in ids)
            continue
        if cat == C_DEFERRED and control:
            for n in ids:
                functions[(starts[n], ends[n])] = n
        if cat == C_PATTERN:
            pattern_names.extend(ids)
            continue
        if cat in _REGION_PRIO:
            for n in ids:
                regions.append((starts[n], ends[n], cat, pset))
            continue
        if cat in _PARTS or cat in (C_ONCE, C_LAST):
            for n in ids:
                parts.append((starts[n], ends[n], cat))
            continue
        if C_RETURN <= cat <= C_CONTINUE or cat == C_GOTO:
            for n in ids:
                jumps.append((starts[n], ends[n], cat))
            continue
        spans = [(starts[n], ends[n]) for n in ids]
        if cat == C_SCOPE:
            for span in spans:
                prev = scope_spans.get(span)
                scope_spans[span] = {**prev, **pset} if prev else pset
        elif cat in (C_ASSIGN, C_TARGET, C_VALUE):
            if cat == C_ASSIGN and cname.startswith("flow.assign"):
                relocate.extend(spans)
            if group >= 0:
                slot = groups.setdefault(group, ([], [], []))
                slot[0 if cat == C_ASSIGN else 1 if cat == C_TARGET else 2].extend(spans)
        elif cat in (C_GLOBAL, C_NONLOCAL):
            decls.extend((sb, eb, source[sb:eb], cat) for sb, eb in spans)
        elif cat == C_OUTER:
            outer.extend(spans)
        elif cat in (C_DESTRUCTURE_DEF, C_DESTRUCTURE_WRITE):
            for span in spans:
                flag, prev_settings = destructure.get(span, (0, None))
                flag |= F_DEF if cat == C_DESTRUCTURE_DEF else F_WRITE
                destructure[span] = (flag, {**prev_settings, **pset} if prev_settings else pset)
    if pattern_names and destructure:  # names in patterns bind as the innermost destructuring root says
        for (flag, pset), ids in _destructured(pattern_names, starts, ends, destructure):
            _mark(flags, def_settings, flag, ids, pset)

    # ------------------------------------------------------------ events (document order)
    ev_node: list[int] = []
    ev_kind: list[int] = []
    # an unbind happens at its node (`del x`), or at the end of the handler whose name it is (`except E as e`)
    unbind_at: dict[int, int] = {}
    if unbound:
        handlers = sorted((sb, eb) for sb, eb, cat in parts if cat == C_HANDLER)
        for n in unbound:
            at = -1
            for hb, he in handlers:
                if hb <= starts[n] and ends[n] <= he and (flags[n] & F_DEF):
                    at = he - 1  # the innermost handler: the last one containing it
            unbind_at[n] = at
    late: list[tuple[int, int]] = []  # (position, node) of unbinds after their node
    for n in range(len(flags)):  # document order
        f = flags[n]
        if not f:
            continue
        if f & F_READ or (f & F_REF and not f & (F_DEF | F_WRITE | F_IGNORE)):
            ev_node.append(n)
            ev_kind.append(READ)
        if f & F_DEF:
            ev_node.append(n)
            ev_kind.append(DEF)
        elif f & F_WRITE:
            ev_node.append(n)
            ev_kind.append(WRITE)
        if unbind_at:
            where = unbind_at.get(n, -2)
            if where != -2:
                if where < 0:
                    ev_node.append(n)
                    ev_kind.append(UNBIND)
                else:
                    late.append((where, n))
    empty: Edges = {"last_write": [], "last_read": [], "computed_from": []}
    if control:
        statements = sorted(set(statements))
        empty.update({kind: [] for kind in CFG_KINDS})
    if facts:
        empty.update({"read": [], "def": [], "def_var": [], "undefined": []})
    if not ev_node and not statements:
        return empty
    ev_start = [starts[n] for n in ev_node]
    ev_end = [ends[n] for n in ev_node]
    if late:  # place them in document order by where they happen
        merged = sorted([(ev_start[i], 0, i) for i in range(len(ev_node))] + [(at, 1, k) for k, (at, _n) in enumerate(late)])
        nodes, kinds, s_, e_ = [], [], [], []
        for pos, extra, i in merged:
            if extra:
                nodes.append(late[i][1])
                kinds.append(UNBIND)
                s_.append(pos)
                e_.append(pos + 1)
            else:
                nodes.append(ev_node[i])
                kinds.append(ev_kind[i])
                s_.append(ev_start[i])
                e_.append(ev_end[i])
        ev_node, ev_kind, ev_start, ev_end = nodes, kinds, s_, e_
    scopes = _Scopes(scope_spans, len(source), binding)
    decls.sort()
    ev_name = [source[starts[n]:ends[n]] for n in ev_node]
    ev_scope = scopes.innermost(ev_start, ev_end)
    decl_scopes = scopes.innermost([d[0] for d in decls], [d[1] for d in decls])
    for (_sb, _eb, name, dcat), sc in zip(decls, decl_scopes, strict=True):
        scopes.declare(sc, name, dcat == C_GLOBAL)
    lifted = _lift_outer(outer, ev_start, ev_end, ev_scope, scopes) if outer else []
    # assignments a definition may be visible after the end of (only where the language's query says so)
    visible = any(cat in (C_DEF, C_DESTRUCTURE_DEF) and pset.get("local.definition.visible") == "after"
                  for cat, pset, _group in info.values())
    ev_var, var_home, moved, hoisted, ev_fallback = _resolve(ev_node, ev_kind, ev_name, ev_start, ev_end, ev_scope,
                                                             def_settings, scopes, relocate if visible else [])
    for e in lifted:
        moved[e] = True
    if -1 in ev_var:  # reads of no variable (a `strict` scope's name declared nowhere before them) are no events
        kept = [e for e, v in enumerate(ev_var) if v >= 0]
        ev_node = [ev_node[e] for e in kept]
        ev_kind = [ev_kind[e] for e in kept]
        ev_start = [ev_start[e] for e in kept]
        ev_end = [ev_end[e] for e in kept]
        ev_scope = [ev_scope[e] for e in kept]
        ev_var = [ev_var[e] for e in kept]
        moved = [moved[e] for e in kept]
        hoisted = [hoisted[e] for e in kept]
        if ev_fallback:
            ev_fallback = [ev_fallback[e] for e in kept]

    if labels:
        regions, jumps_named = _labelled(regions, labels, jumps, jump_labels, source)
    else:
        jumps_named = [(sb, eb, cat, None) for sb, eb, cat in jumps]
    # with a goto, each label is a landing: a block starts there, which the gotos naming it lead to
    landings = [(lb, le, source[lb:le].decode("utf-8", "replace")) for lb, le in labels] \
        if any(cat == C_GOTO for _, _, cat in jumps) else []
    assigns = _group_assignments(groups, relocate)
    stmt_spans = [(starts[n], ends[n]) for n in statements]
    order, payloads = _schedule(ev_kind, ev_start, ev_end, ev_scope, hoisted, regions, parts, jumps_named, assigns,
                                scopes, len(source), statements, stmt_spans, functions, landings)
    escapes, anchors = _closure_writes(regions, ev_node, ev_kind, ev_start, ev_end, ev_scope, ev_var, var_home, moved,
                                       hoisted, scopes) if ev_node and regions else ({}, {})
    cfg = _build_cfg(order, payloads, ev_scope, moved, scopes, {(sb << 32) | eb for sb, eb in stmt_spans}, escapes,
                     anchors)
    result = empty
    if ev_node:
        undefined: list[int] | None = [] if facts else None
        last_write, last_read = _reach(cfg, ev_node, ev_kind, ev_var, var_home, scopes, ev_fallback, undefined)
        if facts and undefined is not None:
            result["read"] = [(n << 32) | v for n, k, v in zip(ev_node, ev_kind, ev_var, strict=True) if k == READ]
            result["def"] = [(n << 32) | def_kind.get(n, 0) | (DEF_LOCAL if scopes.in_function(var_home[v]) else 0)
                             for n, k, v in zip(ev_node, ev_kind, ev_var, strict=True) if k in (WRITE, DEF)]
            result["def_var"] = [(n << 32) | v for n, k, v in zip(ev_node, ev_kind, ev_var, strict=True)
                                 if k in (WRITE, DEF)]
            result["undefined"] = _unique(undefined)
        computed = _computed_from(ev_node, ev_kind, ev_start, ev_end, assigns)
        result.update({"last_write": last_write, "last_read": last_read, "computed_from": computed})
    if statements:
        result.update(_control(cfg, [functions.get(span, 0) for span in cfg.span]))
    return result


def _lift_outer(outer: list[Span], ev_start: list[int], ev_end: list[int], ev_scope: list[int],
                scopes: _Scopes) -> list[int]:
    """Events inside an ``@local.outer`` node that belong to the scope the node sits in move to the scope around it
    (a default value or an annotation is evaluated where the function is defined; a comprehension's first iterable
    where the comprehension is). Returns the events moved; ``ev_scope`` is updated in place."""
    spans = sorted(set(outer), key=lambda span: (span[0], -span[1]))
    home = scopes.innermost([a for a, _ in spans], [b for _, b in spans])
    inside = _innermost([a for a, _ in spans], [b for _, b in spans], ev_start, ev_end)
    moved: list[int] = []
    for e, k in enumerate(inside):
        if k >= 0 and ev_scope[e] == home[k] and home[k] > 0:
            ev_scope[e] = scopes.parent[home[k]]
            moved.append(e)
    return moved


def _mark(flags: list[int], def_settings: dict[int, dict[str, str | None]], flag: int, ids: list[int],
          settings: dict[str, str | None]) -> None:
    """Give nodes a flag (``F_*``), and definitions their pattern's settings."""
    for n in ids:
        flags[n] |= flag
    if flag & F_DEF and settings:
        for n in ids:
            def_settings[n] = settings


# ------------------------------------------------------------------ names
class _Scopes:
    """The scope tree: index 0 is the file; parents come before children."""

    def __init__(self, spans: dict[Span, Settings], size: int, default_binding: str) -> None:
        self.start = [-1]
        self.end = [size + 1]
        self.parent = [-1]
        self.depth = [0]
        self.binding = [default_binding]
        self.kind = ["root"]
        self.hidden = [False]
        self.opaque = [False]  # names invisible from nested function scopes (Ruby's `def`, its file)
        # a read of its own name not yet bound reads the binding around it (FB_ENCLOSING) or the file's (FB_GLOBAL)
        self.fallback = [0]
        self.globals: dict[int, set[bytes]] = {}
        self.nonlocals: dict[int, set[bytes]] = {}
        stack = [0]
        for (sb, eb), pset in sorted(spans.items(), key=lambda kv: (kv[0][0] << 32) - kv[0][1]):  # outer first
            if eb >= size and len(self.start) == 1:  # the file's own node: settings of the root
                self.binding[0] = pset.get("local.scope.binding") or default_binding
                self.hidden[0] = "local.scope.hidden" in pset
                self.opaque[0] = "local.scope.opaque" in pset
                self.fallback[0] = _FALLBACK.get(pset.get("local.scope.fallback") or "", 0)
                continue
            while len(stack) > 1 and self.end[stack[-1]] <= sb:
                stack.pop()
            parent = stack[-1]
            self.start.append(sb)
            self.end.append(eb)
            self.parent.append(parent)
            self.depth.append(self.depth[parent] + 1)
            stack.append(len(self.start) - 1)
            if not pset:  # most scopes (a block) have no settings
                self.binding.append(default_binding)
                self.kind.append("block")
                self.hidden.append(False)
                self.opaque.append(False)
                self.fallback.append(0)
                continue
            self.binding.append(pset.get("local.scope.binding") or default_binding)
            self.kind.append(pset.get("local.scope.kind") or "block")
            self.hidden.append("local.scope.hidden" in pset)
            self.opaque.append("local.scope.opaque" in pset)
            self.fallback.append(_FALLBACK.get(pset.get("local.scope.fallback") or "", 0))

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

    def in_function(self, s: int) -> bool:
        """Does scope ``s`` belong to a function (not to the file, nor to a class body, also one in a function)?"""
        while s > 0 and self.kind[s] != "function":
            if self.kind[s] == "class":
                return False
            s = self.parent[s]
        return s > 0

    def within(self, s: int, owner: int) -> bool:
        """Is scope ``s`` the scope ``owner`` or nested inside it?"""
        depth = self.depth[owner]
        while s >= 0 and self.depth[s] > depth:
            s = self.parent[s]
        return s == owner


class _Names:
    """The variables of a file, by (owning scope, name), and what a name means at a position.

    A (scope, name) key is the int ``(scope << 32) | name id``, the name's id from :meth:`nid`: ints hash without a
    tuple made for each lookup."""

    def __init__(self, scopes: _Scopes) -> None:
        self.scopes = scopes
        self.name_ids: dict[bytes, int] = {}
        self.var_ids: dict[int, int] = {}  # (scope, name) key -> variable
        self.var_home: list[int] = []  # variable -> its owning scope
        self.decl_first: dict[int, int] = {}  # (scope, name) key -> where its first declaration is visible
        self.memo: dict[int, int] = {}  # (scope, name) key -> the variable, wherever the name is read in that scope
        # (scope, name) key -> (lo, hi, variable): the answer of a declaration-bound lookup for lo <= position < hi
        self.ranged: dict[int, tuple[int, int, int]] = {}

    def nid(self, name: bytes) -> int:
        """The id of a name (the first name seen is 0)."""
        k = self.name_ids.get(name)
        if k is None:
            k = self.name_ids[name] = len(self.name_ids)
        return k

    def var(self, scope: int, name: bytes) -> int:
        """The variable ``name`` of ``scope`` (made on first use)."""
        return self.var_of((scope << 32) | self.nid(name))

    def var_of(self, key: int) -> int:
        """The variable of a (scope, name) key (made on first use)."""
        v = self.var_ids.get(key)
        if v is None:
            v = self.var_ids[key] = len(self.var_home)
            self.var_home.append(key >> 32)
        return v

    def lookup(self, name: bytes, scope: int, pos: int, first: bool = True) -> int:
        """The variable ``name`` means at ``pos`` in ``scope``. Memoised per (scope, name); where a
        declaration-bound scope makes the answer depend on the position, with the positions it holds for: from
        the declaration found to the first one the lookup passed over as not yet visible. With ``first`` false,
        the lookup comes from a scope nested in ``scope``: a hidden ``scope`` is not seen (not memoised)."""
        nid = self.nid(name)
        key = (scope << 32) | nid
        if first:
            hit = self.memo.get(key)
            if hit is not None:
                return hit
            held = self.ranged.get(key)
            if held is not None and held[0] <= pos < held[1]:
                return held[2]
        scopes = self.scopes
        globals_, nonlocals = scopes.globals, scopes.nonlocals
        parent, binding, hidden, opaque, kinds = scopes.parent, scopes.binding, scopes.hidden, scopes.opaque, scopes.kind
        s = scope
        memoise = first
        fallback = -1
        found = -1
        depends = False
        lo, hi = -1, _NOWHERE  # the answer holds for lo <= pos < hi
        crossed = False  # the lookup left a function scope on the way
        boundary = -1  # the first function scope it left
        walled = False  # it skipped an opaque scope: a name found nowhere belongs to that function
        while s >= 0:
            if not first and (hidden[s] or (crossed and opaque[s])):
                walled = walled or (crossed and opaque[s])
                if kinds[s] == "function" and boundary < 0:
                    boundary = s
                crossed = crossed or kinds[s] == "function"
                s = parent[s]
                continue
            if globals_ and name in globals_.get(s, ()):
                found = 0
                break
            if nonlocals and name in nonlocals.get(s, ()):
                crossed = crossed or kinds[s] == "function"
                s = parent[s]
                first = False
                continue
            at = self.decl_first.get((s << 32) | nid)
            if at is not None:
                if binding[s] == "scope":
                    found = s
                    break
                depends = True
                if at <= pos:
                    found = s
                    lo = at
                    break
                hi = min(hi, at)
                if fallback < 0 and binding[s] != "strict":
                    fallback = s
            first = False
            if kinds[s] == "function" and boundary < 0:
                boundary = s
            crossed = crossed or kinds[s] == "function"
            s = parent[s]
        if found < 0 and fallback < 0 and binding[scope] == "strict":
            v = -1  # no variable of that name is declared yet: the name is not a variable (Ruby's method call)
        else:
            if found < 0:
                found = fallback if fallback >= 0 else boundary if walled and boundary >= 0 else 0
            v = self.var_of((found << 32) | nid)
        if memoise:
            if not depends:
                self.memo[key] = v
            else:
                self.ranged[key] = (lo, hi, v)
        return v


def _resolve(ev_node: list[int], ev_kind: list[int], ev_name: list[bytes], ev_start: list[int], ev_end: list[int],
             ev_scope: list[int], def_settings: dict[int, Settings], scopes: _Scopes,
             assign_spans: list[Span]) -> tuple[list[int], list[int], list[bool], list[bool], list[int]]:
    """Variable ids of events: (owning scope, name) under the language's binding rules.

    Returns ``(ev_var, var_home, moved, hoisted, ev_fallback)``: each event's variable, each variable's owning
    scope, which events a ``local.definition.scope`` setting moved out of their innermost scope, which
    definitions are hoisted (they happen at the start of their scope), and, where some scope has
    ``local.scope.fallback`` (else an empty list), for each read of such a scope's own variable the variable its
    name means in the scopes around (-1 for none, and for every other event).

    A definition with ``local.definition.visible "after"`` is visible from where it happens: the end of the
    innermost ``@flow.assign`` (``assign_spans``) around it when that one is in the definition's own scope (a
    shadowing ``let x = x + 1`` reads the outer ``x``), else from its identifier.
    """
    n_ev = len(ev_node)
    visible_at = _visible_after(ev_node, ev_kind, ev_start, ev_end, def_settings, scopes, assign_spans)
    names = _Names(scopes)
    var_home, decl_first = names.var_home, names.decl_first
    ev_var = [-1] * n_ev
    moved = [False] * n_ev
    hoisted = [False] * n_ev
    globals_, nonlocals = scopes.globals, scopes.nonlocals
    parent, hidden, opaque, kinds = scopes.parent, scopes.hidden, scopes.opaque, scopes.kind
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
        if pset and pset.get("local.definition.scope") == "existing":
            # Ruby: an assignment to a name an enclosing scope already has (textually before it) writes that one
            t, crossed = parent[s], kinds[s] == "function"
            owner_scope = -1
            while t >= 0:
                if not (hidden[t] or (crossed and opaque[t])):
                    at_t = decl_first.get((t << 32) | names.nid(name))
                    if at_t is not None and at_t <= ev_start[e]:
                        owner_scope = t
                        break
                crossed = crossed or kinds[t] == "function"
                t = parent[t]
            if owner_scope >= 0:
                ev_var[e] = names.var(owner_scope, name)
                continue
        if (globals_ or nonlocals) and (name in globals_.get(s, ()) or name in nonlocals.get(s, ())):
            pending.append(e)
            continue
        key = (s << 32) | names.nid(name)
        first = -1 if hoist else ev_start[e]
        if visible_at and not hoist:
            after = visible_at.get(e)
            if after is not None and after[1] == s:
                first = after[0]
        at = decl_first.get(key)
        if at is None or first < at:
            decl_first[key] = first
        ev_var[e] = names.var_of(key)

    for e in pending:
        v = names.lookup(ev_name[e], ev_scope[e], ev_start[e])
        ev_var[e] = v if v >= 0 else names.var(ev_scope[e], ev_name[e])
    for e, v in enumerate(ev_var):
        if v < 0:
            name, sc = ev_name[e], ev_scope[e]
            v = names.lookup(name, sc, ev_start[e])  # memoised there
            if v < 0 and ev_kind[e] != READ:  # only a read can be of no variable: a write makes one here
                v = names.var(sc, name)
            ev_var[e] = v
    ev_fallback: list[int] = []
    if any(scopes.fallback):
        # a read of a fallback scope's own variable may find it not yet bound: then it reads the enclosing binding
        ev_fallback = [-1] * n_ev
        fallback_scope = scopes.fallback
        for e in range(n_ev):
            v = ev_var[e]
            if ev_kind[e] == READ and v >= 0:
                home = var_home[v]
                how = fallback_scope[home]
                if how and home > 0:
                    ev_fallback[e] = names.lookup(ev_name[e], 0 if how == FB_GLOBAL else parent[home], ev_start[e],
                                            how == FB_GLOBAL)
    return ev_var, var_home, moved, hoisted, ev_fallback


def _closure_writes(regions: list[tuple[int, int, int, Settings]], ev_node: list[int], ev_kind: list[int],
                    ev_start: list[int], ev_end: list[int], ev_scope: list[int], ev_var: list[int], var_home: list[int],
                    moved: list[bool], hoisted: list[bool],
                    scopes: _Scopes) -> tuple[dict[Span, dict[int, list[int]]], dict[int, Span]]:
    """The writes each function (``@flow.deferred``) makes, itself or in functions nested in it, to variables of
    the scopes around it: span -> variable -> write nodes (only functions that make some). A function that captures
    by value (``flow.capture "value"``) writes its own copies: none escape it. Also the hoisted definitions of such
    a function's own name (``local.definition.hoist "value"``): event -> the function's span, which exists from
    there on."""
    escapes: dict[Span, dict[int, list[int]]] = {}
    anchors: dict[int, Span] = {}
    # writes of a variable of a scope around their own (most write their own scope's: none of those escapes)
    writes = [e for e in range(len(ev_node))
              if ev_kind[e] != READ and ev_kind[e] != UNBIND and not moved[e] and var_home[ev_var[e]] != ev_scope[e]]
    if not writes:
        return escapes, anchors
    spans = sorted({(sb, eb) for sb, eb, cat, _pset in regions if cat == C_DEFERRED},
                   key=lambda span: (span[0], -span[1]))
    if not spans:
        return escapes, anchors
    by_value = {(sb, eb) for sb, eb, cat, pset in regions
                if cat == C_DEFERRED and pset and pset.get("flow.capture") == "value"}
    d_start = [a for a, _ in spans]
    d_end = [b for _, b in spans]
    parent = [-1] * len(spans)
    stack: list[int] = []
    for k in range(len(spans)):
        while stack and not (d_start[stack[-1]] <= d_start[k] and d_end[k] <= d_end[stack[-1]]):
            stack.pop()
        parent[k] = stack[-1] if stack else -1
        stack.append(k)
    owner_depth = [scopes.depth[scopes.of_span(a, b)] for a, b in spans]
    inside = _innermost(d_start, d_end, [ev_start[e] for e in writes], [ev_end[e] for e in writes])
    depth = scopes.depth
    for e, k in zip(writes, inside, strict=True):
        v = ev_var[e]
        home = depth[var_home[v]]
        while k >= 0 and home < owner_depth[k] and spans[k] not in by_value:
            escapes.setdefault(spans[k], {}).setdefault(v, []).append(ev_node[e])
            k = parent[k]
    if escapes:
        named = [e for e in range(len(ev_node)) if ev_kind[e] == DEF and moved[e] and hoisted[e]]
        for e, k in zip(named, _innermost(d_start, d_end, [ev_start[e] for e in named], [ev_end[e] for e in named]),
                        strict=True):
            if k >= 0 and spans[k] in escapes:
                anchors[e] = spans[k]
    return escapes, anchors


def _visible_after(ev_node: list[int], ev_kind: list[int], ev_start: list[int], ev_end: list[int],
                   def_settings: dict[int, Settings], scopes: _Scopes,
                   assign_spans: list[Span]) -> dict[int, tuple[int, int]]:
    """Definition events with ``local.definition.visible "after"`` -> (the end of the innermost ``@flow.assign``
    around them, that assignment's scope)."""
    wanted: list[int] = []
    if assign_spans and def_settings:
        for e in range(len(ev_node)):
            if ev_kind[e] == DEF:
                pset = def_settings.get(ev_node[e])
                if pset and pset.get("local.definition.visible") == "after":
                    wanted.append(e)
    out: dict[int, tuple[int, int]] = {}
    if not wanted:
        return out
    spans = sorted(set(assign_spans), key=lambda span: (span[0], -span[1]))
    a_start = [a for a, _ in spans]
    a_end = [b for _, b in spans]
    a_scope = scopes.innermost(a_start, a_end)
    inside = _innermost(a_start, a_end, [ev_start[e] for e in wanted], [ev_end[e] for e in wanted])
    for e, k in zip(wanted, inside, strict=True):
        if k >= 0:
            out[e] = (a_end[k], a_scope[k])
    return out


# ------------------------------------------------------------------ execution order
# Sort keys of the schedule at byte `pos` (`big`: above any byte offset): what closes there (inner first), then
# what opens there (outer first), then plain events. Module functions, not closures: mypyc calls them directly.
# Shifts, not products, past the first factor: mypyc multiplies machine ints only when both fit in 32 bits.
def _close_key(big: int, pos: int, start: int, prio: int, tail: int) -> int:
    return (((((pos * 4 + 1) * big + (big - 1 - start)) << 3) + (7 - prio)) << 1) + tail


def _open_key(big: int, pos: int, end: int, prio: int, tail: int) -> int:
    return (((((pos * 4 + 2) * big + (big - 1 - end)) << 3) + prio) << 1) + tail


def _normal_key(big: int, pos: int, kind: int) -> int:
    return ((((pos * 4 + 3) * big) << 3) + kind) << 1


def _hoist_key(big: int, scope_start: int) -> int:
    """At the start of the scope, after every region that opens there, before anything else."""
    return _open_key(big, max(scope_start, 0), 0, 7, 1)


def _schedule(ev_kind: list[int], ev_start: list[int], ev_end: list[int], ev_scope: list[int], hoisted: list[bool],
              regions: list[tuple[int, int, int, Settings]], parts: list[tuple[int, int, int]],
              jumps: list[tuple[int, int, int, Settings | None]], assigns: list[Assign], scopes: _Scopes,
              size: int, statements: list[int], stmt_spans: list[Span],
              functions: dict[Span, int], landings: list[tuple[int, int, str]]) -> tuple[list[int], list[Payload]]:
    """Order events and region boundaries by when they execute; returns (order, payloads): an item below the
    number of events is that event, item ``n_events + k`` is ``payloads[k]``.

    At one byte position: first what closes there (inner nodes first; a relocated write or a jump
    before the close of its node), then what opens there (outer first; a loop's once-part before the
    loop), then plain events. Writes inside an assignment, in the assignment's own scope (not the
    parameters of a lambda in its value), move to its end; a loop's @flow.once part moves before the
    loop, its @flow.last part to the end of each iteration; hoisted definitions to the start of
    their scope. A statement (for control flow) comes first at its start, after the regions that open there
    (so a loop's own statement is its head), except a function's own statement, which comes before its
    function opens: it runs where the function is defined.
    """
    big = size + 2
    scope_start = scopes.start

    anchors: list[tuple[int, int, int, int]] = []  # (start, end, key, scope of an assignment or -1: a loop part)
    spans = sorted({span for span, _t, _v in assigns if span is not None})
    for (sb, eb), sc in zip(spans, scopes.innermost([a for a, _ in spans], [b for _, b in spans]), strict=True):
        anchors.append((sb, eb, _close_key(big, eb, sb, R_ASSIGN, 0), sc))
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
            key = _open_key(big, ls, le, R_LOOP, 0) if cat == C_ONCE else _close_key(big, le, ls, R_LOOP, 0)
            anchors.append((sb, eb, key, -1))
            if cat == C_LAST:
                anchors.append((sb, eb, key, -2))

    n_ev = len(ev_kind)
    # Each item sorts by (key, then) where `then` is 0, or the item's own key when an anchor moves it (an event
    # inside an assignment, a statement in a loop's once part): small ints, not one key as wide as their product.
    keys: list[int] = []
    then: list[int] = []
    payloads: list[Payload] = []
    if anchors:
        anchors.sort(key=lambda a: (a[0], -a[1]))
        stack: list[tuple[int, int, int, int]] = []
        parts_open = 0  # loop parts (scope -1) in the stack: only they move a read
        k = 0
        n_anchors = len(anchors)
        for e in range(n_ev):
            sb, eb = ev_start[e], ev_end[e]
            while k < n_anchors and anchors[k][0] <= sb:
                while stack and stack[-1][1] <= anchors[k][0]:
                    parts_open -= stack.pop()[3] == -1
                stack.append(anchors[k])
                parts_open += anchors[k][3] == -1
                k += 1
            while stack and not (stack[-1][0] <= sb and eb <= stack[-1][1]):
                parts_open -= stack.pop()[3] == -1
            if not hoisted[e] and (not stack or (not parts_open and ev_kind[e] == READ)):  # nothing moves it
                keys.append(_normal_key(big, sb, ev_kind[e]))
                then.append(0)
                continue
            own = _hoist_key(big, scope_start[ev_scope[e]]) if hoisted[e] else _normal_key(big, sb, ev_kind[e])
            key = own
            after = 0
            relocated_write = hoisted[e]
            for a_start, a_end, a_key, a_scope in reversed(stack):  # innermost first
                if not (a_start <= sb and eb <= a_end):
                    continue
                if a_scope == -2:
                    continue
                if a_scope < 0:
                    key = a_key
                    after = own
                    break
                if ev_kind[e] != READ and not relocated_write and ev_scope[e] == a_scope:
                    own = a_key
                    key = own
                    relocated_write = True
            keys.append(key)
            then.append(after)
    else:
        keys = [_hoist_key(big, scope_start[ev_scope[e]]) if hoisted[e] else _normal_key(big, ev_start[e], ev_kind[e])
                for e in range(n_ev)]
        then = [0] * n_ev
    payloads = []  # events are items 0..n_ev-1 and need none
    # A region's (and a part's) opens, then its closes: long ascending runs for the sort below, where an open then
    # its close, over and over, would make runs of two. The order of items whose keys can be equal is kept (an open
    # and a close never are).
    for sb, eb, cat, pset in regions:
        keys.append(_open_key(big, sb, eb, _REGION_PRIO[cat], 1))
        payloads.append((K_ENTER, cat, sb, eb, pset))
    for sb, eb, cat, _pset in regions:
        keys.append(_close_key(big, eb, sb, _REGION_PRIO[cat], 1))
        payloads.append((K_EXIT, cat, sb, 0, None))
    for sb, eb, key, a_scope in anchors:
        if a_scope == -2:  # a loop's last part starts: a continue goes there
            keys.append(key)
            payloads.append((K_ENTER, C_LAST, sb, eb, None))
    for sb, eb, cat in parts:
        if cat in _PARTS:
            keys.append(_open_key(big, sb, eb, R_PART, 1))
            payloads.append((K_ENTER, cat, sb, eb, None))
    for sb, eb, cat in parts:
        if cat in _PARTS:
            keys.append(_close_key(big, eb, sb, R_PART, 1))
            payloads.append((K_EXIT, cat, sb, 0, None))
    for sb, eb, cat, named in jumps:
        keys.append(_close_key(big, eb, sb, R_JUMP, 0))
        payloads.append((K_JUMP, cat, 0, 0, named))
    for sb, eb, name in landings:
        keys.append(_open_key(big, sb, eb, 7, 0))
        payloads.append((K_ENTER, C_LABEL, sb, eb, {"flow.label": name}))
    then.extend([0] * (len(keys) - len(then)))
    loop_parts = sorted((a[0], a[1], a[2]) for a in anchors if a[3] == -1)
    part_starts = [a[0] for a in loop_parts]
    up = _enclosing(part_starts, [a[1] for a in loop_parts])  # the last part holding a statement: up this chain
    n_parts = len(part_starts)
    jp = 0  # the parts starting at or before the statement (statements come in document order)
    for n, (sb, eb) in zip(statements, stmt_spans, strict=True):
        # last of what closes at its start (a function's own statement), or first of what opens after the
        # regions that open there; a statement in a loop's once or last part moves with it (`for (int i = 0;`)
        own = _close_key(big, sb, 0, 0, 1) if (sb, eb) in functions else _open_key(big, sb, eb, 7, 0)
        key = own
        after = 0
        while jp < n_parts and part_starts[jp] <= sb:
            jp += 1
        j = jp - 1
        while j >= 0:
            if loop_parts[j][0] <= sb and eb <= loop_parts[j][1]:
                key = loop_parts[j][2]
                after = own
                break
            j = up[j]
        keys.append(key)
        then.append(after)
        payloads.append((K_STMT, n, sb, eb, None))
    # a stable sort by key (ties keep creation order), then by `then` within each run of equal keys that needs it
    order = list(range(len(keys)))
    order.sort(key=keys.__getitem__)
    if any(then):
        n = len(order)
        i = 0
        while i < n:
            key = keys[order[i]]
            j = i + 1
            while j < n and keys[order[j]] == key:
                j += 1
            if j - i > 1:
                run = order[i:j]
                if any(then[x] for x in run):
                    run.sort(key=then.__getitem__)
                    order[i:j] = run
            i = j
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
    stmts: list[list[int]]  # statement nodes per block, in execution order (control flow only)
    labels: dict[int, int]  # (pred << 32) | block -> a mask of 1 << L_TRUE, L_FALSE, L_BACK; absent: plain
    jump_from: set[int]  # blocks that a return, break or continue leaves
    finally_copies: set[int]  # entry blocks of the copies of finally blocks
    returns_from: set[int]  # blocks a return (raise, throw, `?`) may leave the function from
    ends: set[int]  # blocks after which their flow may fall off its end
    quiet: set[int]  # statements that raise nothing themselves (a try's own statement)
    tests: dict[int, list[int]]  # handler entry block -> its handlers' own statements (their tests), in order
    span: list[Span]  # per flow: its function's span; (-1, -1) for the file
    made: dict[int, tuple[int, int, int, list[int]]]
    """A ``flow.capture "value"`` flow -> where its body is made: (enclosing flow, the block open there or -1,
    the number of that block's events then, the predecessors of that point when no block is open)."""
    born: list[tuple[int, int, int, dict[int, list[int]]]]
    """Where each function that writes variables around it is made: (the flow that makes it, the block, the number
    of that block's events then, variable -> its writes in the function and the functions nested in it)."""


class _Frame:
    """An open region of the sweep (a branch, loop, try, or one of their parts)."""

    def __init__(self, kind: int, key: int, flow: int) -> None:
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
        self.abnormal: list[int] = []  # a try: where its finally may start other than by falling into it
        self.finally_start = -1  # a try: the finally's entry block
        self.raised = range(0)  # a try: the blocks whose events an exception may follow into its finally
        self.end = -1  # the region's end byte
        self.labeled = False  # a statement's own branch or loop: its outcomes are labelled true and false
        self.closed = False  # a loop in its `else` part: iterations are over, and jumps are the outer loop's
        self.label: str | None = None  # the statement's label, for `break label` and `continue label`
        self.test_after = False  # a do-while: its body runs before its test
        self.test_none = False  # a loop without a test (Rust's `loop`): only a break leaves it
        self.continues: list[int] = []  # a loop: where its continues leave, until its last part or its end
        self.fallthrough = False  # a switch whose cases run on into the next unless they break
        self.carry: list[int] = []  # a switch: the end of the case before, running on into the next
        self.leading: list[int] | None = None  # a `flow.leading` branch before its first arm: where it started


class _Blocks:
    """The blocks being made, per flow the sweep's current point, and the labels of edges between blocks."""

    def __init__(self) -> None:
        self.events: list[list[int]] = []  # per block: its events, in execution order
        self.stmts: list[list[int]] = []  # per block: its statements, in execution order
        self.preds: list[list[int]] = []
        self.flow: list[int] = []
        self.labels: dict[int, int] = {}  # (pred << 32) | block -> a mask of 1 << L_TRUE, L_FALSE, L_BACK
        self.point: list[list[int]] = []  # per flow: predecessors of the current point
        self.open_b: list[int] = []  # per flow: the block at the current point, or -1
        self.pending: list[dict[int, int] | None] = []  # per flow: labels of the edges into the next block made

    def new_block(self, flow: int, preds: list[int]) -> int:
        self.events.append([])
        self.stmts.append([])
        self.preds.append(preds)
        self.flow.append(flow)
        return len(self.preds) - 1

    def goto(self, flow: int, preds: list[int]) -> None:
        # without duplicates: nested branches whose arms make no block (`a && b && c` in a `#if`) would
        # otherwise double the list at every level
        if len(preds) == 2 and preds[0] != preds[1]:  # the common case, without a dict
            self.point[flow] = [preds[0], preds[1]]
        else:
            self.point[flow] = list(dict.fromkeys(preds)) if len(preds) > 1 else preds
        self.open_b[flow] = -1

    def make(self, flow: int, preds: list[int]) -> int:
        """A block after ``preds`` that takes the pending labels of its edges. A label waits for the next block made
        after its pred, wherever the sweep goes meanwhile (an inner branch's false way out of an
        ``else if`` is the outer branch's way out)."""
        b = self.new_block(flow, preds)
        marks = self.pending[flow]
        if marks:
            for p in preds:
                label = marks.pop(p, 0)
                if label:
                    self.labels[(p << 32) | b] = label
        return b

    def at_point(self, flow: int) -> int:
        b = self.open_b[flow]
        if b < 0:
            b = self.make(flow, self.point[flow])
            self.point[flow] = [b]
            self.open_b[flow] = b
        return b

    def mark(self, flow: int, preds: list[int], label: int) -> None:
        marks = self.pending[flow]
        if marks is None:
            marks = self.pending[flow] = {}
        for p in preds:
            marks[p] = 1 << label

    def back(self, flow: int, preds: list[int], head: int) -> None:
        """Label back edges (with the test's outcome that takes them, when one is pending)."""
        marks = self.pending[flow] or {}
        for p in preds:
            self.labels[(p << 32) | head] = (1 << L_BACK) | marks.pop(p, 0)


def _build_cfg(order: list[int], payloads: list[Payload], ev_scope: list[int], moved: list[bool],
               scopes: _Scopes, stmt_spans: set[int], escapes: dict[Span, dict[int, list[int]]],
               anchors: dict[int, Span]) -> _CFG:
    """One sweep over the schedule builds a CFG per flow. Blocks are made only when an event or a statement
    needs one or a loop needs a head; elsewhere the current point is just the list of its predecessors.

    A statement's own branch (an ``if``, not an ``and``) labels the edges into its arms: the first block made
    in an arm is entered on true, an ``else`` arm and whatever follows the branch from its condition on false;
    a statement's own loop puts its statement in the loop's head and enters the body on true and leaves on
    false, and its back edges are labelled as such. ``switch``-like branches (``flow.breakable`` or
    ``flow.cases``) enter their cases unlabelled. ``stmt_spans``: the statements' spans, each as ``(start << 32) | end``."""
    blocks = _Blocks()
    b_events, b_stmts, b_preds, b_flow, labels = blocks.events, blocks.stmts, blocks.preds, blocks.flow, blocks.labels
    jump_from: set[int] = set()
    returns_from: set[int] = set()
    finally_copies: set[int] = set()
    quiet: set[int] = set()
    ends: set[int] = set()
    tests: dict[int, list[int]] = {}
    landing: dict[tuple[int, str], int] = {}  # (flow, label) -> the block a goto to it enters
    waiting: dict[tuple[int, str], list[int]] = {}  # (flow, label) -> where gotos to it, met before it, leave

    entry = [blocks.new_block(0, [])]
    owner = [0]
    span: list[Span] = [(-1, -1)]
    point, open_b, pending = blocks.point, blocks.open_b, blocks.pending
    point.append([entry[0]])
    open_b.append(entry[0])
    pending.append(None)
    frames: list[_Frame] = [_Frame(-1, -1, 0)]
    deferred: list[int] = [0]  # open flows, innermost last
    catch: dict[int, range] = {}
    made: dict[int, tuple[int, int, int, list[int]]] = {}
    born: list[tuple[int, int, int, dict[int, list[int]]]] = []
    born_at: set[Span] = set()  # functions whose making is placed (at a hoisted name: before they open)

    n_ev = len(ev_scope)
    for idx in order:
        if idx < n_ev:  # an event
            e = idx
            flow = deferred[-1]
            if moved[e] and flow:
                # a definition placed in an enclosing scope (a function's own name) happens in the
                # innermost flow whose owner scope holds it
                for f in reversed(deferred):
                    if f == 0 or scopes.within(ev_scope[e], owner[f]):
                        flow = f
                        break
            b = blocks.at_point(flow)
            b_events[b].append(e)
            if anchors and e in anchors:  # a hoisted function's name: the function exists from here
                made_span = anchors[e]
                if made_span not in born_at:
                    born_at.add(made_span)
                    born.append((flow, b, len(b_events[b]), escapes[made_span]))
            continue
        item = payloads[idx - n_ev]
        tag = item[0]
        if tag == K_STMT:
            _, n, sb, eb, _ = item
            top = frames[-1]
            flow = deferred[-1]
            if top.kind == C_LOOP and top.labeled and top.key == sb and top.end == eb:
                b_stmts[top.head].append(n)  # a loop's own statement: its test, in its head
                blocks.goto(flow, [top.head])
                if not top.test_after and not top.test_none:
                    blocks.mark(flow, [top.head], L_TRUE)
            else:
                b_stmts[blocks.at_point(flow)].append(n)
                if top.kind == C_TRY and top.key == sb and top.end == eb:
                    quiet.add(n)
                elif top.kind == C_HANDLER and top.key == sb and top.end == eb and len(frames) > 1:
                    owner_try = frames[-2]
                    if owner_try.kind == C_TRY and owner_try.head >= 0:
                        tests.setdefault(owner_try.head, []).append(n)
            continue
        if tag == K_ENTER:
            _, cat, sb, eb, pset = item
            top = frames[-1]
            flow = top.flow
            if cat == C_DEFERRED:
                f = len(entry)
                if pset and pset.get("flow.capture") == "value":
                    maker = deferred[-1]
                    at = open_b[maker]
                    made[f] = (maker, at, len(b_events[at]) if at >= 0 else 0, [] if at >= 0 else list(point[maker]))
                owner.append(scopes.of_span(sb, eb))
                span.append((sb, eb))
                b = blocks.new_block(f, [])
                entry.append(b)
                point.append([b])
                open_b.append(b)
                pending.append(None)
                frames.append(_Frame(cat, sb, f))
                deferred.append(f)
                continue
            if cat == C_LABEL:  # a goto's landing: control also arrives here from the gotos naming it
                name = pset["flow.label"] if pset else ""
                blocks.goto(flow, [*point[flow], *waiting.pop((flow, str(name)), [])])
                landing[(flow, str(name))] = blocks.at_point(flow)
                continue
            if cat == C_LAST:  # a loop's last part (its update): the iteration's end and its continues run it
                if top.kind == C_LOOP:
                    blocks.goto(flow, [*point[flow], *top.continues])
                    top.continues = []
                continue
            fr = _Frame(cat, sb, flow)
            fr.end = eb
            if pset:
                fr.label = pset.get("flow.label")
                fr.fallthrough = "flow.fallthrough" in pset
            if cat == C_BRANCH:
                fr.spine = point[flow]
                if pset is not None and "flow.leading" in pset:
                    # its code before the first arm is an alternative of the arms: each starts from an empty entry
                    # block (which takes the labels of the edges into the branch), the leading code in a block after it
                    blocks.goto(flow, list(point[flow]))
                    fr.leading = [blocks.at_point(flow)]
                    blocks.goto(flow, list(fr.leading))
                fr.breakable = pset is not None and "flow.breakable" in pset
                fr.labeled = ((sb << 32) | eb) in stmt_spans and not fr.breakable and not (pset and "flow.cases" in pset)
            elif cat == C_LOOP:
                fr.head = blocks.make(flow, list(point[flow]))  # a copy: back edges extend it
                fr.labeled = ((sb << 32) | eb) in stmt_spans
                fr.test_after = pset is not None and pset.get("flow.test") == "after"
                fr.test_none = pset is not None and pset.get("flow.test") == "none"
                blocks.goto(flow, [fr.head])
            elif cat == C_TRY:
                fr.entry = point[flow]
                fr.first_block = len(b_preds)
                blocks.goto(flow, list(point[flow]))  # the try body starts a block of its own
            elif (cat in (C_ARM, C_DEFAULT)) and top.kind == C_BRANCH:
                if top.leading is not None:  # the leading arm ends: this arm starts where the branch did
                    top.exits.extend(point[flow])
                    blocks.goto(flow, list(top.leading))
                    top.leading = None
                top.spine = point[flow]
                top.exhaustive = top.exhaustive or cat == C_DEFAULT
                blocks.goto(flow, [*point[flow], *top.carry])
                top.carry = []
                if top.labeled:
                    blocks.mark(flow, top.spine, L_TRUE if cat == C_ARM else L_FALSE)
            elif cat == C_HANDLER and top.kind == C_TRY:
                if top.handler_preds is None:
                    top.normal_exit = point[flow]
                    body = range(top.first_block, len(b_preds))
                    top.handler_preds = [*top.entry, *(b for b in body if b_flow[b] == flow)]
                    top.head = len(b_preds)  # the handlers' shared entry block, made next
                    catch[top.head] = body
                    blocks.new_block(flow, top.handler_preds)
                blocks.goto(flow, [top.head])
            elif cat == C_LOOP_ELSE and top.kind == C_LOOP:
                # a loop's `else` runs once the loop's test fails, not after a break
                ends_here = [*point[flow], *top.continues]
                top.continues = []
                b_preds[top.head].extend(ends_here)
                if top.labeled:
                    blocks.back(flow, ends_here, top.head)
                blocks.goto(flow, [top.head])
                if top.labeled:
                    blocks.mark(flow, [top.head], L_FALSE)
                top.closed = True
            elif cat == C_FINALLY and top.kind == C_TRY:
                # The finally runs after the try (and its handlers) completes, and also on the way out of a
                # return, break or continue in them, or of an exception after any of their events. Those
                # other ways go on to somewhere else afterwards, so they enter a copy of the finally's blocks,
                # made at its end, and only the fall-through reaches the code after the try. A jump leaves
                # from the try's entry or from a block made in the try, so these preds cover jumps too.
                body = range(top.first_block, len(b_preds))
                top.abnormal = [*top.entry, *(b for b in body if b_flow[b] == flow)]
                top.finally_start = blocks.make(flow, [*point[flow], *top.exits])
                top.raised = body
                point[flow] = [top.finally_start]
                open_b[flow] = top.finally_start
                top.exits = []
                top.handler_preds = top.handler_preds or []
                top.normal_exit = point[flow]
            frames.append(fr)
            continue
        if tag == K_EXIT:
            _, cat, sb, _, _ = item
            k = len(frames) - 1
            while k > 0 and not (frames[k].kind == cat and frames[k].key == sb):
                k -= 1
            if k == 0:
                continue  # defensive: an exit without its enter
            del frames[k + 1:]
            fr = frames.pop()
            flow = fr.flow
            if cat == C_DEFERRED:
                ends.update(point[flow])
                deferred.pop()
                made_span = span[flow]
                if escapes and made_span in escapes and made_span not in born_at:
                    # it writes variables around it, and exists from here (its captures, default values evaluated): a
                    # call after this point may write them (a block marks the point)
                    born_at.add(made_span)
                    maker_b = blocks.at_point(deferred[-1])
                    born.append((deferred[-1], maker_b, len(b_events[maker_b]), escapes[made_span]))
            elif cat == C_BRANCH:
                spine = point[flow]
                if fr.leading is not None:  # no arm but the leading one: it may be skipped
                    fr.exits.extend(spine)
                    spine = fr.leading
                blocks.goto(flow, fr.exits + fr.carry + ([] if fr.exhaustive else spine))
                if fr.labeled and not fr.exhaustive:
                    blocks.mark(flow, spine, L_FALSE)
            elif cat == C_LOOP and fr.closed:
                blocks.goto(flow, [*point[flow], *fr.exits])
            elif cat == C_LOOP:
                ends_here = [*point[flow], *fr.continues]
                b_preds[fr.head].extend(ends_here)
                if fr.labeled:
                    blocks.back(flow, ends_here, fr.head)
                # a while leaves from its test, at the head; a do-while from its test, after the body
                tested = [] if fr.test_none else ends_here if fr.test_after else [fr.head]
                blocks.goto(flow, [*tested, *fr.exits])
                if fr.labeled:
                    blocks.mark(flow, tested, L_FALSE)
            elif cat == C_TRY:
                blocks.goto(flow, [*point[flow], *fr.exits])
            else:
                top = frames[-1]
                if (cat in (C_ARM, C_DEFAULT)) and top.kind == C_BRANCH:
                    if top.fallthrough:
                        top.carry = point[flow]
                    else:
                        top.exits.extend(point[flow])
                    blocks.goto(flow, top.spine)
                    if top.labeled:  # what follows from the condition (an elif's) runs when it is false
                        blocks.mark(flow, top.spine, L_FALSE)
                elif cat == C_HANDLER and top.kind == C_TRY:
                    top.exits.extend(point[flow])
                    blocks.goto(flow, top.normal_exit)
                elif cat == C_FINALLY and top.kind == C_TRY and top.finally_start >= 0:
                    finally_copies.add(_copy_finally(top, flow, b_events, b_stmts, b_preds, b_flow, catch, labels))
                    open_b[flow] = -1  # the copy shares the blocks' event lists: none may grow now
            continue
        # a jump
        cat = item[1]
        named = item[4]
        target = named.get("flow.label") if named else None
        flow = frames[-1].flow
        if cat == C_GOTO and target is not None:
            found = landing.get((flow, target))
            if found is not None:  # backwards
                b_preds[found].extend(point[flow])
            else:
                waiting.setdefault((flow, target), []).extend(point[flow])
        left = cat == C_RETURN
        if cat in (C_BREAK, C_CONTINUE):
            if target is not None and not any(fr.label == target and fr.flow == flow for fr in frames):
                target = None  # a label the sweep does not know (a labelled block): the innermost loop
            left = True  # no loop or switch of its own in this flow (Ruby's `next` in a block): it leaves
            for k in range(len(frames) - 1, 0, -1):
                fr = frames[k]
                if fr.flow != flow:
                    break
                if target is not None and fr.label != target:
                    continue
                if fr.kind == C_LOOP and not fr.closed:
                    if cat == C_BREAK:
                        fr.exits.extend(point[flow])
                    else:
                        fr.continues.extend(point[flow])
                    left = False
                    break
                if cat == C_BREAK and fr.kind == C_BRANCH and (fr.breakable or target is not None):
                    fr.exits.extend(point[flow])
                    left = False
                    break
        jump_from.update(point[flow])
        if left:
            returns_from.update(point[flow])
        blocks.goto(flow, [])
    ends.update(point[0])
    return _CFG(b_events, b_preds, b_flow, entry, owner, catch, b_stmts, labels, jump_from, finally_copies,
                returns_from, ends, quiet,
                tests, span, made, born)


def _copy_finally(top: _Frame, flow: int, b_events: list[list[int]], b_stmts: list[list[int]],
                  b_preds: list[list[int]], b_flow: list[int], catch: dict[int, range],
                  labels: dict[int, int]) -> int:
    """Copy the blocks of a try's finally (from its entry block on) for the ways into it other than falling
    through: the copy's entry follows ``top.abnormal`` and any event of the try body or handlers (an exception),
    and its end leads nowhere (the return, break, continue or exception goes on). The copies share the
    originals' events and statements, so an edge of either is the union over both. Returns the copy's entry."""
    start, end = top.finally_start, len(b_preds)
    copy: dict[int, int] = {}
    for b in range(start, end):
        if b_flow[b] == flow:
            copy[b] = len(b_preds)
            b_events.append(b_events[b])
            b_stmts.append(b_stmts[b])
            b_preds.append([])
            b_flow.append(flow)
    for b, new in copy.items():
        b_preds[new] = [copy.get(p, p) for p in b_preds[b] if p in copy] if b != start else list(top.abnormal)
        if b in catch:
            catch[new] = catch[b]
    for pb, label in list(labels.items()):
        p, b = pb >> 32, pb & 0xFFFFFFFF
        if p in copy and b in copy:
            labels[(copy[p] << 32) | copy[b]] = label
    catch[copy[start]] = top.raised
    return copy[start]


# ------------------------------------------------------------------ may-reach
def _reach(cfg: _CFG, ev_node: list[int], ev_kind: list[int], ev_var: list[int], var_home: list[int],
           scopes: _Scopes, ev_fallback: list[int], undefined: list[int] | None = None
           ) -> tuple[list[int], list[int]]:
    """Bit-vector reaching analysis per flow (a bit per event: it is a latest write, or the latest read, of its
    variable on some path), iterated to a fixed point; then each block is replayed to emit edges.

    Bits are numbered per flow, so a function's states are small ints, and grouped by variable: a variable's
    writes take a run of bits, then its reads, so "the bits of v" is a range and no per-variable mask is kept
    (masks as wide as the flow, one per variable, grow with the square of a long flat module). A variable
    owned outside the flow gets one extra write bit that stands for "any of its definitions elsewhere" (the
    flow may run at any time); a write in the flow clears it like any other.

    A read may reach a write of its own node: ``x += 1`` in a loop reads the previous iteration's write,
    so ``last_write`` keeps such self-edges. ``last_read`` does not: a read is never its own last read.

    With ``undefined`` (a list to fill), a variable the flow owns and writes also gets a bit for "not yet
    defined", set at the flow's entry: each read it reaches is added as ``(read, 1)`` when no write reaches
    the read (used before any definition) or ``(read, 0)`` when some path leaves it undefined (packed as edges are).

    A variable of a ``local.scope.fallback`` scope always gets that bit: a read it reaches (the scope's own
    variable may not be bound yet) also reads ``ev_fallback[read]``, the variable of that name around the scope,
    as a read of it would there (its definitions that reach the point, or any of them where the flow does not
    touch it); whether the read is undefined is then that variable's.

    A function that writes variables around it may be called at any time after it is made: where the flow makes it
    (``cfg.born``), each such variable the flow uses gets a bit for those writes, set from that point on and never
    cleared (a later write in the flow does not stop a later call).
    """
    n_blocks = len(cfg.preds)
    blocks_of: list[list[int]] = [[] for _ in cfg.entry]
    for b in range(n_blocks):
        blocks_of[cfg.flow[b]].append(b)
    defs_of: dict[int, list[int]] = {}
    for e, kind in enumerate(ev_kind):
        if kind in (WRITE, DEF):
            defs_of.setdefault(ev_var[e], []).append(ev_node[e])

    # a handler may start after any event of its try body: each of them may reach it
    catch_of: dict[int, list[int]] = {}
    handlers_of: dict[int, list[int]] = {}  # flow -> its handlers' entry blocks
    for h, body in cfg.catch.items():
        catch_of[h] = [e for b in body if cfg.flow[b] == cfg.flow[h] for e in cfg.events[b]]
        handlers_of.setdefault(cfg.flow[h], []).append(h)

    # a flow that captures by value sees an outer variable as its maker's state where the flow is made says
    wants: dict[int, list[tuple[int, int]]] = {}  # block -> (its event index, the flow made there)
    for c, (_maker, at, index, _preds) in cfg.made.items():
        if at >= 0:
            wants.setdefault(at, []).append((index, c))
    made_state: dict[int, int] = {}  # a by-value flow -> its maker's state (bits) where it is made
    made_by: dict[int, list[tuple[int, tuple[int, int, int, list[int]]]]] = {}  # flow -> the by-value flows it makes
    for c, made in cfg.made.items():
        made_by.setdefault(made[0], []).append((c, made))
    layouts: list[tuple[dict[int, int], dict[int, int], list[int]]] = []  # per flow: (w_off, n_w, node_of)
    births: dict[int, list[tuple[int, int, dict[int, list[int]]]]] = {}  # flow -> functions it makes that write
    for maker, b_born, i_born, escaping in cfg.born:
        births.setdefault(maker, []).append((b_born, i_born, escaping))
    sticky: list[list[int]] = []  # _STICKY - k -> the write nodes its bit stands for
    held: list[dict[int, list[int] | None]] = []  # per flow: outside variable -> what it holds (None: any definition)

    dirty = [False] * n_blocks  # a block to visit (again) in the fixed-point sweeps
    # per block (each belongs to one flow): what it generates and keeps, the state before it and after it (-1: not
    # computed yet), and its successors in its own flow
    gen = [0] * n_blocks
    keep = [0] * n_blocks
    in_state = [0] * n_blocks
    out = [-1] * n_blocks
    preds = cfg.preds
    flow_of = cfg.flow
    succs: list[list[int]] = [[] for _ in range(n_blocks)]
    for b in range(n_blocks):
        for p in preds[b]:
            if flow_of[p] == flow_of[b]:
                succs[p].append(b)
    last_write: list[int] = []  # edges packed as in _unique: ints sort and hash faster than tuples
    last_read: list[int] = []
    local = [-1] * len(ev_node)  # event -> its bit in its flow
    # Per variable, for the flow at hand (only the flow's own variables' entries are current): lists indexed by the
    # variable for the per-event loops, where the dicts below (kept for the rarer lookups) would hash each time.
    n_vars = len(var_home)
    seen = [-1] * n_vars  # the last flow that counted the variable
    woff_l = [0] * n_vars  # the offsets and counts of its write bits and read bits
    roff_l = [0] * n_vars
    nw_l = [0] * n_vars
    nr_l = [0] * n_vars
    next_w = [0] * n_vars  # the next write bit and read bit, while bits are handed out
    next_r = [0] * n_vars
    mark_w = [-1] * n_vars  # the last block whose gen has the variable's writes (reads: mark_r)
    mark_r = [-1] * n_vars
    cur = _ReplayState(n_vars)
    for f, blocks in enumerate(blocks_of):
        # count each variable's writes and reads; a free variable gets an "outside" write bit first
        flow_events: list[int] = []  # each once (a finally's copy shares its events with the original)
        for b in blocks:
            for e in cfg.events[b]:
                if local[e] < 0:
                    local[e] = 0
                    flow_events.append(e)
        flow_vars: list[int] = []  # in order of first event
        for e in flow_events:
            v = ev_var[e]
            if seen[v] != f:
                seen[v] = f
                flow_vars.append(v)
                nw_l[v] = 0
                nr_l[v] = 0
            if ev_kind[e] == READ:
                nr_l[v] += 1
            else:
                nw_l[v] += 1
        n_w: dict[int, int] = {v: nw_l[v] for v in flow_vars}
        own = cfg.owner[f]
        outside: list[int] = [v for v in n_w if f and v in defs_of and not scopes.within(var_home[v], own)]
        for v in outside:
            n_w[v] += 1
        over: dict[int, list[int] | None] = {}
        if f in cfg.made:
            for v in outside:
                over[v] = _held(f, v, cfg.made, made_state, layouts, held, sticky)
        held.append(over)
        unset: list[int] = []  # variables of the flow's own that start undefined (with ``undefined``, or fallback)
        if undefined is not None or ev_fallback:
            away = set(outside)
            fallback = scopes.fallback
            unset = [v for v in n_w if (undefined is not None or fallback[var_home[v]]) and n_w[v] and v not in away
                     and (f == 0 or scopes.within(var_home[v], own))]
            for v in unset:
                n_w[v] += 1
        made_here = births.get(f)
        stuck: list[tuple[int, int, int]] = []  # (variable, block, event index) of each closure-writes bit
        first_sticky = len(sticky)
        if made_here:
            for b_born, i_born, escaping in made_here:
                for v, nodes in escaping.items():
                    if v in n_w:  # the flow uses the variable
                        stuck.append((v, b_born, i_born))
                        n_w[v] += 1
                        sticky.append(nodes)
        w_off: dict[int, int] = {}
        n_bits = 0
        for v, count in n_w.items():
            w_off[v] = woff_l[v] = next_w[v] = n_bits
            roff_l[v] = next_r[v] = n_bits + count
            nw_l[v] = count
            n_bits += count + nr_l[v]
        node_of = [0] * n_bits  # bit -> graph node (or -1 - var for an outside bit)
        init = 0
        for v in outside:
            node_of[next_w[v]] = -1 - v
            init |= 1 << next_w[v]
            next_w[v] += 1
        for v in unset:
            node_of[next_w[v]] = _UNSET
            init |= 1 << next_w[v]
            next_w[v] += 1
        stuck_mask = 0  # the closure-writes bits: no write clears them
        stuck_at: dict[int, list[tuple[int, int]]] = {}  # block -> (event index, the bits set before that event)
        if stuck:
            copies: dict[int, list[int]] = {}  # a finally's copies share their blocks' event lists
            for b in blocks:
                copies.setdefault(id(cfg.events[b]), []).append(b)
            for k, (v, b_born, i_born) in enumerate(stuck):
                node_of[next_w[v]] = _STICKY - (first_sticky + k)
                stuck_mask |= 1 << next_w[v]
                for b in copies[id(cfg.events[b_born])]:
                    stuck_at.setdefault(b, []).append((i_born, 1 << next_w[v]))
                next_w[v] += 1
        for e in flow_events:
            v = ev_var[e]
            if ev_kind[e] == READ:
                bit = next_r[v]
                next_r[v] = bit + 1
            else:
                bit = next_w[v]
                next_w[v] = bit + 1
            local[e] = bit
            node_of[bit] = _UNSET if ev_kind[e] == UNBIND else ev_node[e]
        layouts.append((w_off, n_w, node_of))
        for b in blocks:
            # a block generates the last event of each variable's writes and of its reads, and kills the rest: the
            # events from the last, each variable's writes and reads taken at their first sight (marked by block)
            g = 0
            kill = 0
            events = cfg.events[b]
            for i in range(len(events) - 1, -1, -1):
                e = events[i]
                v = ev_var[e]
                if ev_kind[e] == READ:
                    if mark_r[v] != b:
                        mark_r[v] = b
                        kill |= ((1 << nr_l[v]) - 1) << roff_l[v]
                        g |= 1 << local[e]
                elif mark_w[v] != b:
                    mark_w[v] = b
                    kill |= ((1 << nw_l[v]) - 1) << woff_l[v]
                    g |= 1 << local[e]
            if stuck_mask:
                kill &= ~stuck_mask
                for _i, bits in stuck_at.get(b, ()):
                    g |= bits
            gen[b] = g
            keep[b] = ~kill
        extra: dict[int, int] = {}
        for h in handlers_of.get(f, ()):
            bits = 0
            for e in catch_of[h]:
                bits |= 1 << local[e]
            extra[h] = bits
        entry = cfg.entry[f]
        # Sweeps in block order (predecessors mostly first) that visit only the blocks whose predecessors' states
        # changed since their last visit: a flow without back edges takes one sweep, a loop re-visits its own blocks.
        for b in blocks:
            dirty[b] = True
        pending = len(blocks)
        while pending:  # states only grow: this ends
            for b in blocks:
                if not dirty[b]:
                    continue
                dirty[b] = False
                pending -= 1
                st = init if b == entry else 0
                if extra and b in extra:
                    st |= extra[b]
                for p in preds[b]:
                    if flow_of[p] == f and out[p] > 0:  # another flow's block, or one not reached yet: nothing
                        st |= out[p]
                in_state[b] = st
                o = (st & keep[b]) | gen[b]
                if out[b] != o:
                    out[b] = o
                    for c in succs[b]:
                        if not dirty[c]:
                            dirty[c] = True
                            pending += 1
        for c, (_maker, at, _index, made_preds) in made_by.get(f, ()):
            if at < 0:  # made where no block is open: the state its predecessors leave
                st = 0
                for p in made_preds:
                    if flow_of[p] == f and out[p] > 0:
                        st |= out[p]
                made_state[c] = st
        for b in blocks:
            st = in_state[b]
            marks = wants.get(b)
            made_bits = stuck_at.get(b) if stuck_mask else None
            events = cfg.events[b]
            if marks is None and made_bits is None:  # the common case: no state is wanted mid-block
                _replay(events, st, ev_node, ev_kind, ev_var, local, w_off, n_w, woff_l, roff_l, nw_l, nr_l, cur,
                        node_of, over, defs_of, sticky, stuck_mask, ev_fallback, undefined, last_write, last_read, False)
                continue
            # else replay up to each event index where closure-writes bits start or a by-value flow is made (its
            # maker's state there); an index at or past the end means after the block's last event
            n = len(events)
            done = 0
            for cut in sorted({i for i, _ in made_bits or ()} | {i for i, _ in marks or ()}):
                upto = min(cut, n)
                if upto > done:
                    st = _replay(events[done:upto], st, ev_node, ev_kind, ev_var, local, w_off, n_w, woff_l, roff_l,
                                 nw_l, nr_l, cur, node_of, over, defs_of, sticky, stuck_mask, ev_fallback, undefined,
                                 last_write, last_read, True)
                    done = upto
                if made_bits is not None and cut < n:
                    for index, bits in made_bits:
                        if index == cut:
                            st |= bits
                if marks is not None:
                    for index, c in marks:
                        if index == cut:
                            made_state[c] = st
            if done < n:
                _replay(events[done:], st, ev_node, ev_kind, ev_var, local, w_off, n_w, woff_l, roff_l, nw_l, nr_l, cur,
                        node_of, over, defs_of, sticky, stuck_mask, ev_fallback, undefined, last_write, last_read, False)
    return _unique(last_write), _unique(last_read)


def _unique(packed: list[int]) -> list[int]:
    """Edges packed as ``(src << 32) | dst`` (node ids are below 2**31), sorted (so by source, then target) and each
    once. Sorts ``packed`` in place."""
    packed.sort()
    out: list[int] = []
    prev = -1
    for k in packed:
        if k != prev:
            out.append(k)
            prev = k
    return out


class _ReplayState:
    """What :func:`_replay` keeps per variable, reused from one replay to the next: lists indexed by variable, whose
    entries are the current replay's where ``token[v]`` is its number (``count``)."""

    def __init__(self, n_vars: int) -> None:
        self.w = [0] * n_vars  # the variable's write bits (bit k: at w_off + k) after the events so far
        self.r = [0] * n_vars  # its read bits (at r_off + k)
        self.token = [0] * n_vars
        self.count = 0


def _replay(events: list[int], st: int, ev_node: list[int], ev_kind: list[int], ev_var: list[int], local: list[int],
            w_off: dict[int, int], n_w: dict[int, int], woff_l: list[int], roff_l: list[int], nw_l: list[int],
            nr_l: list[int], cur: _ReplayState, node_of: list[int], over: dict[int, list[int] | None],
            defs_of: dict[int, list[int]], sticky: list[list[int]], stuck_mask: int, ev_fallback: list[int],
            undefined: list[int] | None, last_write: list[int], last_read: list[int],
            want_state: bool) -> int:
    """Replay a block's events (or a run of them) from the state ``st`` before them and add their edges: a read
    reaches the latest writes of its variable (and its fallback's), and is the last read after it; a write replaces
    the variable's writes but for the closure-writes bits (``stuck_mask``). With ``want_state``, returns the state
    after the events (else 0).

    The state is kept per variable, relative to its run of bits: a variable's bits are taken out of ``st`` once,
    at its first event here, and each event then works on ints the width of one variable's bits rather than of the
    whole flow's. ``w_off`` and ``n_w`` are the flow's layout; ``woff_l``, ``roff_l``, ``nw_l`` and ``nr_l`` the same
    (and the reads') as lists by variable, current for the flow's variables."""
    cur.count += 1
    token = cur.count
    cur_w, cur_r, mine = cur.w, cur.r, cur.token  # a variable's entries are this replay's where mine[v] == token
    touched: list[int] = []
    for e in events:
        v = ev_var[e]
        woff = woff_l[v]
        roff = roff_l[v]
        if mine[v] != token:
            mine[v] = token
            touched.append(v)
            w = (st >> woff) & ((1 << nw_l[v]) - 1)
            r = (st >> roff) & ((1 << nr_l[v]) - 1)
        else:
            w = cur_w[v]
            r = cur_r[v]
        if ev_kind[e] == READ:
            node = ev_node[e]
            unset_too, defined = _reaching(node, w, woff, node_of, over, defs_of, sticky, last_write)
            if unset_too and ev_fallback and ev_fallback[e] >= 0:  # not bound yet: the binding around
                u = ev_fallback[e]
                u_st = st if mine[u] != token else cur_w[u] << woff_l[u]
                unset_too, defined = _fall_back(node, u, u_st, w_off, n_w, node_of, over, defs_of, sticky, last_write,
                                                defined)
            if unset_too and undefined is not None:
                undefined.append((node << 32) | (0 if defined else 1))
            x = r
            while x:
                low = x & -x
                target = node_of[roff + low.bit_length() - 1]
                if target != node:
                    last_read.append((node << 32) | target)
                x ^= low
            r = 1 << (local[e] - roff)
        else:
            own = 1 << (local[e] - woff)
            w = (w & (stuck_mask >> woff)) | own if stuck_mask else own
        cur_w[v] = w
        cur_r[v] = r
    if not want_state:
        return 0
    for v in touched:
        st = (st & ~(((1 << nw_l[v]) - 1) << woff_l[v])) | (cur_w[v] << woff_l[v])
        st = (st & ~(((1 << nr_l[v]) - 1) << roff_l[v])) | (cur_r[v] << roff_l[v])
    return st


def _fall_back(node: int, u: int, st: int, w_off: dict[int, int], n_w: dict[int, int], node_of: list[int],
               over: dict[int, list[int] | None], defs_of: dict[int, list[int]], sticky: list[list[int]],
               last_write: list[int], defined: bool) -> tuple[bool, bool]:
    """A read of a fallback scope's variable that may not be bound yet also reads variable ``u`` (the binding
    around the scope) in state ``st``: adds its ``last_write`` edges; returns (whether ``u`` may be unset there,
    whether the read reaches a definition). A flow that does not touch ``u`` sees any of its definitions; where
    ``u`` has none in the file (a builtin), the read is not undefined either."""
    off = w_off.get(u)
    if off is None:
        found = defs_of.get(u)
        if found:
            head = node << 32
            for d in found:
                last_write.append(head | d)
            return False, True
        return False, defined
    unset_too, reached = _reaching(node, (st >> off) & ((1 << n_w[u]) - 1), off, node_of, over, defs_of, sticky,
                                   last_write)
    return unset_too, defined or reached


def _reaching(node: int, x: int, off: int, node_of: list[int], over: dict[int, list[int] | None],
              defs_of: dict[int, list[int]], sticky: list[list[int]],
              last_write: list[int]) -> tuple[bool, bool]:
    """Add a read's ``last_write`` edges from ``x``, the bits of one variable's definitions that reach it (bit ``k``
    at ``off + k`` of the flow's layout); returns (whether it may be unset there, whether a definition reaches it).
    A bit stands for a definition, the unset mark, the writes of a closure made earlier, or (an outside variable)
    any of its definitions, or those that reached where a by-value flow was made (``over``)."""
    unset_too = False
    defined = False
    while x:
        low = x & -x
        target = node_of[off + low.bit_length() - 1]
        if target >= 0:
            last_write.append((node << 32) | target)
            defined = True
        elif target == _UNSET:
            unset_too = True
        elif target <= _STICKY:  # a closure made earlier may have written it
            head = node << 32
            for d in sticky[_STICKY - target]:
                last_write.append(head | d)
            defined = True
        else:
            sub = over.get(-1 - target) if over else None
            if sub is None:
                head = node << 32
                for d in defs_of[-1 - target]:
                    last_write.append(head | d)
                defined = True
            else:  # captured by value: what reached where the flow was made
                for d in sub:
                    if d == _UNSET:
                        unset_too = True
                    else:
                        last_write.append((node << 32) | d)
                        defined = True
        x ^= low
    return unset_too, defined


def _held(c: int, v: int, made: dict[int, tuple[int, int, int, list[int]]], made_state: dict[int, int],
          layouts: list[tuple[dict[int, int], dict[int, int], list[int]]],
          held: list[dict[int, list[int] | None]], sticky: list[list[int]]) -> list[int] | None:
    """What variable ``v`` holds where the by-value flow ``c`` is made: the definitions (or ``_UNSET``) that reach
    that point of the flow that makes it, or None for any of its definitions. A maker that does not touch ``v``
    holds what it held where it was made itself (a by-value maker) or anything (one that runs at any time)."""
    while True:
        where = made.get(c)
        if where is None:
            return None
        maker = where[0]
        w_off, n_w, node_of = layouts[maker]
        off = w_off.get(v)
        if off is None:
            c = maker
            continue
        x = (made_state.get(c, 0) >> off) & ((1 << n_w[v]) - 1)
        out: list[int] = []
        while x:
            low = x & -x
            target = node_of[off + low.bit_length() - 1]
            if target >= 0 or target == _UNSET:
                out.append(target)
            elif target <= _STICKY:  # a closure the maker made earlier may have written it
                out.extend(sticky[_STICKY - target])
            else:  # the maker's own "outside" bit
                sub = held[maker].get(v)
                if sub is None:
                    return None
                out.extend(sub)
            x ^= low
        return out


def _computed_from(ev_node: list[int], ev_kind: list[int], ev_start: list[int], ev_end: list[int],
                   assigns: list[Assign]) -> list[int]:
    out: list[int] = []  # packed as in _unique
    n = len(ev_node)
    for _span, targets, values in assigns:
        if not targets or not values:
            continue
        written = []
        for ts_, te in targets:
            i = bisect.bisect_left(ev_start, ts_)
            while i < n and ev_start[i] < te:
                if ev_kind[i] in (WRITE, DEF) and ev_end[i] <= te:
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
        for w in written:  # w == r: `x += v` reads the x it writes
            head = w << 32
            for r in read:
                out.append(head | r)
    return _unique(out)


# ------------------------------------------------------------------ control flow
def _ways(cfg: _CFG, succs: list[list[int]], b: int) -> list[tuple[int, int]]:
    """(next block, label mask) for the ordinary ways out of ``b``."""
    out: list[tuple[int, int]] = []
    for c in succs[b]:
        if c in cfg.catch:  # exceptions are added per statement; a finally's copy is also entered by a jump
            if c in cfg.finally_copies and b in cfg.jump_from and b in cfg.catch[c]:
                out.append((c, 0))
            continue
        out.append((c, cfg.labels.get((b << 32) | c, 0)))
    return out


def _after(cfg: _CFG, succs: list[list[int]], b: int) -> list[tuple[int, int]]:
    """(first statement, label mask) reached from the end of ``b``; statement -1: the flow may end."""
    todo = _ways(cfg, succs, b)
    reached: list[tuple[int, int]] = [(-1, 0)] if b in cfg.ends or not todo else []
    if b in cfg.returns_from and todo and not any(c in cfg.finally_copies for c, _ in todo):
        reached.append((-1, 0))  # a return from a block that may also go on (`f()?`)
    seen: set[int] = set()  # (block << 8) | mask: a label mask is below 1 << 7
    while todo:
        c, mask = todo.pop()
        key = (c << 8) | mask
        if key in seen:
            continue
        seen.add(key)
        if cfg.stmts[c]:
            reached.append((cfg.stmts[c][0], mask))
            continue
        nxt = _ways(cfg, succs, c)
        if c in cfg.ends or not nxt:
            reached.append((-1, mask))
        # the first test's outcome on the way, and whether the way goes back to a loop's test
        for d, m in nxt:
            todo.append((d, mask | (m & _BACK_BIT) if mask & _TEST_BITS else mask | m))
    return reached


def _first(cfg: _CFG, succs: list[list[int]], b: int) -> list[int]:
    """The first statements of ``b`` or, where it has none, after it."""
    if cfg.stmts[b]:
        return [cfg.stmts[b][0]]
    return [t for t, _ in _after(cfg, succs, b) if t >= 0]


def _control(cfg: _CFG, function_of: list[int]) -> Edges:
    """Statement-level control-flow edges from the CFG's blocks, keyed by ``CFG_KINDS``.

    Within a block, a statement leads to the next (``cfg_next``). The last statement of a block leads to
    the first statement of each block that follows it, through blocks without statements, labelled by the
    first labelled edge on the way (``cfg_true``, ``cfg_false``, ``cfg_back``; else ``cfg_next``); where the
    way ends without one, the function (``function_of[flow]``; the file's root for the file) exits
    (``cfg_exit``). Each function enters its first statements (``cfg_entry``). Every statement of a try
    body (or of its handlers, for the finally) may raise into each handler and into the finally's copy
    (``cfg_raise``): into the first handler's own statement (its test), which leads to the next handler's when
    the exception does not match (``cfg_false``); the finally's copy is also entered from the blocks that a
    return, break or continue leaves.
    """
    n_blocks = len(cfg.preds)
    succs: list[list[int]] = [[] for _ in range(n_blocks)]
    for b in range(n_blocks):
        for p in cfg.preds[b]:
            succs[p].append(b)
    catch = cfg.catch
    found: list[int] = []  # (source << 36) | (target << 4) | label: ints sort faster than tuples; repeats dropped below

    for b in range(n_blocks):
        stmts = cfg.stmts[b]
        if not stmts:
            continue
        for i in range(len(stmts) - 1):
            found.append((stmts[i] << 36) | (stmts[i + 1] << 4) | L_NEXT)
        last = stmts[-1]
        for t, mask in _after(cfg, succs, b):
            if t < 0:
                found.append((last << 36) | (function_of[cfg.flow[b]] << 4) | L_EXIT)
            elif not mask:
                found.append((last << 36) | (t << 4) | L_NEXT)
            else:
                for label in (L_TRUE, L_FALSE, L_BACK):
                    if mask & (1 << label):
                        found.append((last << 36) | (t << 4) | label)
    for f, e in enumerate(cfg.entry):
        for t in _first(cfg, succs, e):
            found.append((function_of[f] << 36) | (t << 4) | L_ENTRY)
    for chain in cfg.tests.values():  # an exception tries the handlers in order
        for i in range(len(chain) - 1):
            found.append((chain[i] << 36) | (chain[i + 1] << 4) | L_FALSE)
    for h, body in catch.items():
        tried = cfg.tests.get(h)
        targets = [tried[0]] if tried else _first(cfg, succs, h)
        flow = cfg.flow[h]
        for b in body:
            if cfg.flow[b] == flow:
                for s in cfg.stmts[b]:
                    if s not in cfg.quiet:
                        for t in targets:
                            found.append((s << 36) | (t << 4) | L_RAISE)
    result: Edges = {kind: [] for kind in CFG_KINDS}
    found.sort()
    prev = -1
    for k in found:
        if k != prev:
            result[CFG_KINDS[k & 15]].append(((k >> 36) << 32) | ((k >> 4) & 0xFFFFFFFF))
            prev = k
    return result


def _labelled(regions: list[tuple[int, int, int, Settings]], labels: list[Span], jumps: list[tuple[int, int, int]],
              jump_labels: list[Span], source: bytes) -> tuple[list[tuple[int, int, int, Settings]],
                                                              list[tuple[int, int, int, Settings | None]]]:
    """Name loops and switches by their labels (``outer: for ...``: the region that starts right after the
    label and its colon), and jumps by the label they name (``break outer``)."""
    by_start: dict[int, int] = {}
    for i, (sb, _eb, cat, _pset) in enumerate(regions):
        if cat in (C_LOOP, C_BRANCH):
            prev = by_start.get(sb)
            if prev is None or regions[prev][1] < regions[i][1]:
                by_start[sb] = i  # the outermost region starting there
    named = list(regions)
    for lb, le in labels:
        pos = le
        while pos < len(source) and source[pos] in b" \t\r\n:":
            pos += 1
        i = by_start.get(pos, by_start.get(lb, -1))  # the loop right after `label:`, or the one it starts (Rust)
        if i >= 0:
            sb, eb, cat, pset = named[i]
            named[i] = (sb, eb, cat, {**pset, "flow.label": source[lb:le].decode("utf-8", "replace")})
    label_starts = sorted(jump_labels)
    starts = [a for a, _ in label_starts]
    out: list[tuple[int, int, int, Settings | None]] = []
    for sb, eb, cat in jumps:
        j = bisect.bisect_left(starts, sb)
        settings: Settings | None = None
        if j < len(starts) and label_starts[j][1] <= eb:
            a, b = label_starts[j]
            settings = {"flow.label": source[a:b].decode("utf-8", "replace")}
        out.append((sb, eb, cat, settings))
    return named, out
