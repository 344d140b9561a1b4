"""Language-agnostic data flow: ``last_write``, ``last_read`` and ``computed_from`` edges.

The engine knows no language. Each language folder gives two tree-sitter queries (see
``grammars/README.md`` for every capture name):

- ``locals.scm`` in tree-sitter's conventions: ``@local.scope``, ``@local.definition``,
  ``@local.reference``, plus ``@local.ignore`` (identifiers that are not variables, such as attribute
  names), ``@local.global`` and ``@local.nonlocal``;
- ``dataflow.scm``: control regions (``@flow.branch`` with ``@flow.arm``/``@flow.default``,
  ``@flow.loop`` with ``@flow.once``/``@flow.last``, ``@flow.try`` with ``@flow.handler``/``@flow.finally``,
  ``@flow.deferred`` bodies that run later), jumps (``@flow.return``, ``@flow.break``,
  ``@flow.continue``), assignments (``@flow.assign`` with ``@flow.target``/``@flow.value``),
  writes to existing variables (``@flow.write``) and reads that a definition must not hide
  (``@flow.read``).

Algorithm, in three passes, none recursive:

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
3. *May-reach.* A worklist over each flow's blocks computes, per variable, the definitions and the
   reads that may reach each point; replaying the events then emits the edges.

Attributes and fields: ``obj.attr`` reads ``obj``; the attribute name is not a variable (languages
say so with ``@local.ignore``). Writing ``obj.attr = v`` therefore reads ``obj`` and writes no
variable.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from functools import cache

import tree_sitter as ts

from graphcode.errors import ConfigError
from graphcode.graphs.languages import get_spec, ts_language

# event kinds
READ, WRITE, DEF = 0, 1, 2
# capture categories
(C_SCOPE, C_DEF, C_REF, C_IGNORE, C_GLOBAL, C_NONLOCAL, C_WRITE, C_READ, C_ASSIGN, C_TARGET, C_VALUE,
 C_BRANCH, C_ARM, C_DEFAULT, C_LOOP, C_ONCE, C_LAST, C_TRY, C_HANDLER, C_FINALLY, C_DEFERRED,
 C_RETURN, C_BREAK, C_CONTINUE, C_OTHER) = range(25)

_EXACT = {
    "local.scope": C_SCOPE, "local.reference": C_REF, "local.ignore": C_IGNORE,
    "local.global": C_GLOBAL, "local.nonlocal": C_NONLOCAL,
    "flow.write": C_WRITE, "flow.read": C_READ, "flow.assign": C_ASSIGN, "flow.target": C_TARGET,
    "flow.value": C_VALUE, "flow.branch": C_BRANCH, "flow.arm": C_ARM, "flow.default": C_DEFAULT,
    "flow.loop": C_LOOP, "flow.once": C_ONCE, "flow.last": C_LAST, "flow.try": C_TRY,
    "flow.handler": C_HANDLER, "flow.finally": C_FINALLY, "flow.deferred": C_DEFERRED,
    "flow.return": C_RETURN, "flow.break": C_BREAK, "flow.continue": C_CONTINUE,
}

# region kinds and their nesting priority for regions with identical spans (outer first)
R_DEFERRED, R_PART, R_TRY, R_LOOP, R_BRANCH, R_ASSIGN, R_JUMP = range(7)
_PART_KINDS = {C_ARM: "arm", C_DEFAULT: "default", C_HANDLER: "handler", C_FINALLY: "finally"}
_REGION_PRIO = {C_DEFERRED: R_DEFERRED, C_TRY: R_TRY, C_LOOP: R_LOOP, C_BRANCH: R_BRANCH}
# sweep item kinds
K_EVENT, K_ENTER, K_EXIT, K_JUMP = range(4)


def _category(name: str) -> int:
    if name in _EXACT:
        return _EXACT[name]
    if name.startswith("local.definition"):
        return C_DEF
    if name.startswith("local.scope"):
        return C_SCOPE
    if name.startswith("local.reference"):
        return C_REF
    return C_OTHER


@dataclass(frozen=True)
class FlowQuery:
    query: ts.Query
    settings: tuple[dict[str, str | None], ...]
    categories: dict[str, int]


@cache
def flow_query(lang: str) -> FlowQuery:
    """The combined ``locals.scm`` + ``dataflow.scm`` query of a language, compiled once."""
    spec = get_spec(lang)
    parts = []
    for name in ("locals", "dataflow"):
        text = spec.query_text(name)
        if text is None:
            raise ConfigError(f"{spec.folder / (name + '.scm')}: expected a query file for data flow, found none")
        parts.append(text)
    try:
        query = ts.Query(ts_language(spec.name), "\n".join(parts))
    except Exception as err:  # tree_sitter.QueryError and friends
        raise ConfigError(f"{spec.folder}: expected valid locals.scm and dataflow.scm queries, found an error: {err}") from err
    settings = tuple(dict(query.pattern_settings(i)) for i in range(query.pattern_count))
    categories = {query.capture_name(i): _category(query.capture_name(i)) for i in range(query.capture_count)}
    return FlowQuery(query=query, settings=settings, categories=categories)


@dataclass
class _Scope:
    start: int
    end: int
    parent: int
    binding: str
    kind: str  # "block" | "function" | "class" | ...
    hidden: bool  # names not visible from nested scopes (Python class bodies)
    depth: int = 0
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)


@dataclass
class _Event:
    start: int
    end: int
    node: int
    name: str
    kind: int
    placement: str | None = None  # "parent" | "global" | "function" for definitions
    hoist: bool = False
    scope: int = 0
    var: int = -1
    idx: int = -1


@dataclass
class _Frame:
    kind: int
    key: int
    spine: int = -1
    head: int = -1
    exits: list[int] = field(default_factory=list)
    exhaustive: bool = False
    breakable: bool = False
    entry: int = -1
    first_block: int = -1
    normal_exit: int = -1
    handler_preds: list[int] | None = None
    flow: int = 0
    saved: int = -1


class _NodeIndex:
    """Maps tree-sitter nodes to graph node ids by byte span (ids are in document order)."""

    def __init__(self, starts: list[int], ends: list[int], kinds: list[int]):
        self.starts, self.ends, self.kinds = starts, ends, kinds

    def __call__(self, node: ts.Node) -> int:
        sb, eb, kind = node.start_byte, node.end_byte, node.kind_id
        starts, ends, kinds = self.starts, self.ends, self.kinds
        i = bisect.bisect_right(starts, sb) - 1
        while i >= 0 and starts[i] == sb:
            if ends[i] == eb and kinds[i] == kind:
                return i
            i -= 1
        return -1


def dataflow_edges(tree: ts.Tree, source: bytes, lang: str, starts: list[int], ends: list[int],
                   kinds: list[int]) -> dict[str, list[tuple[int, int]]]:
    """Data-flow edges of a parsed file, keyed by edge kind. See the module docstring."""
    fq = flow_query(lang)
    spec = get_spec(lang)
    index = _NodeIndex(starts, ends, kinds)
    cats = fq.categories
    settings = fq.settings

    scope_spans: dict[tuple[int, int], dict[str, str | None]] = {}
    ident: dict[tuple[int, int], list] = {}  # span -> [node, defs settings list, ref, write, read, ignore]
    decls: list[tuple[int, int, str, int]] = []  # global/nonlocal: (start, end, name, category)
    regions: list[tuple[int, int, int, dict]] = []  # (start, end, category, settings)
    parts: list[tuple[int, int, int]] = []
    jumps: list[tuple[int, int, int]] = []
    # (span of a @flow.assign node or None, @flow.target spans, @flow.value spans)
    assigns: list[tuple[tuple[int, int] | None, list[tuple[int, int]], list[tuple[int, int]]]] = []

    for pattern, caps in ts.QueryCursor(fq.query).matches(tree.root_node):
        pset = settings[pattern]
        assign_span = None
        targets: list[tuple[int, int]] = []
        values: list[tuple[int, int]] = []
        for cname, nodes in caps.items():
            cat = cats.get(cname, C_OTHER)
            if cat == C_OTHER:
                continue
            for node in nodes:
                span = (node.start_byte, node.end_byte)
                if cat in (C_DEF, C_REF, C_WRITE, C_READ, C_IGNORE):
                    rec = ident.get(span)
                    if rec is None:
                        rec = ident[span] = [node, [], False, False, False, False]
                    if cat == C_DEF:
                        rec[1].append(pset)
                    elif cat == C_REF:
                        rec[2] = True
                    elif cat == C_WRITE:
                        rec[3] = True
                    elif cat == C_READ:
                        rec[4] = True
                    else:
                        rec[5] = True
                elif cat == C_SCOPE:
                    prev = scope_spans.get(span)
                    scope_spans[span] = {**prev, **pset} if prev else dict(pset)
                elif cat in _REGION_PRIO:
                    regions.append((span[0], span[1], cat, pset))
                elif cat in _PART_KINDS or cat in (C_ONCE, C_LAST):
                    parts.append((span[0], span[1], cat))
                elif cat in (C_RETURN, C_BREAK, C_CONTINUE):
                    jumps.append((span[0], span[1], cat))
                elif cat == C_ASSIGN:
                    assign_span = span
                elif cat == C_TARGET:
                    targets.append(span)
                elif cat == C_VALUE:
                    values.append(span)
                elif cat in (C_GLOBAL, C_NONLOCAL):
                    decls.append((span[0], span[1], node.text.decode("utf-8", "replace"), cat))
        if assign_span is not None or (targets and values):
            assigns.append((assign_span, targets, values))

    # ------------------------------------------------------------ events
    events: list[_Event] = []
    for (sb, eb), (node, defs, ref, write, read, ignore) in ident.items():
        name = source[sb:eb].decode("utf-8", "replace")
        if not name:
            continue
        nid = index(node)
        if nid < 0:
            continue
        if read or (ref and not defs and not write and not ignore):
            events.append(_Event(sb, eb, nid, name, READ))
        if defs:
            placement = None
            hoist = False
            for d in defs:
                placement = d.get("local.definition.scope") or placement
                hoist = hoist or d.get("local.definition.hoist") is not None
            events.append(_Event(sb, eb, nid, name, DEF, placement, hoist))
        elif write:
            events.append(_Event(sb, eb, nid, name, WRITE))
    if not events:
        return {"last_write": [], "last_read": [], "computed_from": []}
    events.sort(key=lambda e: (e.start, e.kind))
    for i, ev in enumerate(events):
        ev.idx = i

    scopes = _scope_tree(scope_spans, len(source), spec.binding)
    _assign_scopes(events, scopes, decls)
    _resolve(events, scopes)

    last_write, last_read = _flow(events, scopes, regions, parts, jumps, assigns, len(source))
    computed = _computed_from(events, assigns)
    return {"last_write": last_write, "last_read": last_read, "computed_from": computed}


# ------------------------------------------------------------------ names
def _scope_tree(spans: dict[tuple[int, int], dict], size: int, default_binding: str) -> list[_Scope]:
    scopes = [_Scope(-1, size + 1, -1, default_binding, "root", False)]
    stack = [0]
    for (sb, eb), pset in sorted(spans.items(), key=lambda kv: (kv[0][0], -kv[0][1])):
        while len(stack) > 1 and scopes[stack[-1]].end <= sb and not (sb == eb == scopes[stack[-1]].end):
            stack.pop()
        parent = stack[-1]
        scopes.append(_Scope(
            sb, eb, parent,
            binding=pset.get("local.scope.binding") or default_binding,
            kind=pset.get("local.scope.kind") or "block",
            hidden=pset.get("local.scope.hidden") is not None,
            depth=scopes[parent].depth + 1,
        ))
        stack.append(len(scopes) - 1)
    return scopes


def _innermost_scopes(positions: list[tuple[int, int]], scopes: list[_Scope]) -> list[int]:
    """The innermost scope containing each (start, end) span; spans sorted by start."""
    out = []
    stack = [0]
    k = 1
    n = len(scopes)
    for sb, eb in positions:
        while k < n and scopes[k].start <= sb:
            s = scopes[k]
            while len(stack) > 1 and scopes[stack[-1]].end <= s.start:
                stack.pop()
            stack.append(k)
            k += 1
        while len(stack) > 1 and not (scopes[stack[-1]].start <= sb and eb <= scopes[stack[-1]].end):
            stack.pop()
        out.append(stack[-1])
    return out


def _assign_scopes(events: list[_Event], scopes: list[_Scope], decls: list[tuple[int, int, str, int]]) -> None:
    for ev, sc in zip(events, _innermost_scopes([(e.start, e.end) for e in events], scopes), strict=True):
        ev.scope = sc
    decls.sort()
    for (_, _, name, cat), sc in zip(decls, _innermost_scopes([(d[0], d[1]) for d in decls], scopes), strict=True):
        (scopes[sc].globals if cat == C_GLOBAL else scopes[sc].nonlocals).add(name)


def _function_scope(scopes: list[_Scope], s: int) -> int:
    while s > 0 and scopes[s].kind != "function":
        s = scopes[s].parent
    return s


def _resolve(events: list[_Event], scopes: list[_Scope]) -> None:
    """Give each event a variable id: (owning scope, name), by the binding rules."""
    decl_pos: dict[tuple[int, str], list[int]] = {}
    var_ids: dict[tuple[int, str], int] = {}

    def var(scope: int, name: str) -> int:
        key = (scope, name)
        v = var_ids.get(key)
        if v is None:
            v = var_ids[key] = len(var_ids)
        return v

    pending: list[_Event] = []
    for ev in events:
        if ev.kind != DEF:
            continue
        s = ev.scope
        if ev.placement == "parent" and s > 0:
            s = scopes[s].parent
        elif ev.placement == "global":
            s = 0
        elif ev.placement == "function":
            s = _function_scope(scopes, s)
        ev.scope = s
        if ev.name in scopes[s].globals or ev.name in scopes[s].nonlocals:
            pending.append(ev)  # written through a global/nonlocal declaration
            continue
        decl_pos.setdefault((s, ev.name), []).append(-1 if ev.hoist else ev.start)
        ev.var = var(s, ev.name)

    def lookup(name: str, scope: int, pos: int) -> int:
        s = scope
        first = True
        fallback = -1
        while s >= 0:
            sc = scopes[s]
            if not first and sc.hidden:
                s = sc.parent
                continue
            if name in sc.globals:
                return var(0, name)
            if name in sc.nonlocals and sc.parent >= 0:
                return lookup(name, sc.parent, pos) if sc.parent != s else var(0, name)
            positions = decl_pos.get((s, name))
            if positions:
                if sc.binding == "scope" or positions[0] <= pos:
                    return var(s, name)
                if fallback < 0:
                    fallback = s
            first = False
            s = sc.parent
        return var(fallback if fallback >= 0 else 0, name)

    for ev in pending:
        ev.var = lookup(ev.name, ev.scope, ev.start)
    for ev in events:
        if ev.kind != DEF:
            ev.var = lookup(ev.name, ev.scope, ev.start)


# ------------------------------------------------------------------ flow
def _flow(events: list[_Event], scopes: list[_Scope], regions: list, parts: list, jumps: list, assigns: list,
          size: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    big = size + 2

    def close_key(pos: int, start: int, prio: int, tail: int) -> int:
        return ((((pos * 4 + 1) * big + (big - 1 - start)) * 8 + (7 - prio)) * 2 + tail)

    def open_key(pos: int, end: int, prio: int, tail: int) -> int:
        return ((((pos * 4 + 2) * big + (big - 1 - end)) * 8 + prio) * 2 + tail)

    def normal_key(pos: int, kind: int) -> int:
        return (((pos * 4 + 3) * big) * 8 + kind) * 2

    # Relocation anchors: writes inside an assignment happen at its end; everything inside a loop's
    # @flow.once part happens before the loop, inside its @flow.last part at the end of each iteration.
    # A relocated event keeps its own order inside the group as a secondary key.
    anchors: list[tuple[int, int, int, bool]] = []  # (start, end, key, is_loop_part)
    for span, _t, _v in assigns:
        if span is not None:
            anchors.append((span[0], span[1], close_key(span[1], span[0], R_ASSIGN, 0), False))
    loops = sorted((r for r in regions if r[2] == C_LOOP), key=lambda r: (r[0], -r[1]))
    loop_starts = [r[0] for r in loops]
    for sb, eb, cat in parts:
        if cat not in (C_ONCE, C_LAST):
            continue
        j = bisect.bisect_right(loop_starts, sb) - 1  # the innermost loop containing this part
        while j >= 0 and not (loops[j][0] <= sb and eb <= loops[j][1]):
            j -= 1
        if j < 0:
            continue
        ls, le = loops[j][0], loops[j][1]
        key = open_key(ls, le, R_LOOP, 0) if cat == C_ONCE else close_key(le, ls, R_LOOP, 0)
        anchors.append((sb, eb, key, True))
    keys = _event_keys(events, anchors, normal_key)

    items: list[tuple[int, int, int, int, object]] = []  # (key, secondary key, seq, kind, payload)
    for seq, (ev, (k1, k2)) in enumerate(zip(events, keys, strict=True)):
        items.append((k1, k2, seq, K_EVENT, ev))
    for sb, eb, cat, pset in regions:
        prio = _REGION_PRIO[cat]
        items.append((open_key(sb, eb, prio, 1), 0, 0, K_ENTER, (cat, sb, eb, pset)))
        items.append((close_key(eb, sb, prio, 1), 0, 0, K_EXIT, (cat, sb, eb)))
    for sb, eb, cat in parts:
        if cat in _PART_KINDS:
            items.append((open_key(sb, eb, R_PART, 1), 0, 0, K_ENTER, (cat, sb, eb, None)))
            items.append((close_key(eb, sb, R_PART, 1), 0, 0, K_EXIT, (cat, sb, eb)))
    for sb, eb, cat in jumps:
        items.append((close_key(eb, sb, R_JUMP, 0), 0, 0, K_JUMP, cat))
    items.sort(key=lambda it: (it[0], it[1], it[2]))

    # ---- build one CFG per flow (flow 0: the file; one per deferred body)
    block_events: list[list[_Event]] = []
    block_flow: list[int] = []
    preds: list[list[int]] = []
    flow_entry: list[int] = []
    flow_owner: list[int] = []  # owner scope of each flow

    def new_block(flow: int, pred: list[int]) -> int:
        block_events.append([])
        block_flow.append(flow)
        preds.append(pred)
        return len(preds) - 1

    flow_entry.append(new_block(0, []))
    flow_owner.append(0)
    cur = [flow_entry[0]]  # current block per flow
    frames: list[_Frame] = [_Frame(kind=-1, key=-1, flow=0)]
    deferred_stack: list[int] = [0]  # flows open at this point, innermost last
    scope_of_span = {(s.start, s.end): i for i, s in enumerate(scopes)}

    def in_scope(s: int, owner: int) -> bool:
        while s >= 0:
            if s == owner:
                return True
            if scopes[s].depth <= scopes[owner].depth:
                return False
            s = scopes[s].parent
        return False

    def current_flow_frame_index(kind_pred) -> int:
        f = frames[-1].flow
        for k in range(len(frames) - 1, 0, -1):
            fr = frames[k]
            if fr.flow != f:
                return -1
            if kind_pred(fr):
                return k
        return -1

    for _k1, _k2, _seq, kind, payload in items:
        if kind == K_EVENT:
            ev = payload  # type: ignore[assignment]
            flow = deferred_stack[-1]
            if len(deferred_stack) > 1:
                for f in reversed(deferred_stack):
                    if f == 0 or in_scope(ev.scope, flow_owner[f]):
                        flow = f
                        break
            block_events[cur[flow]].append(ev)
        elif kind == K_ENTER:
            cat, sb, eb, pset = payload  # type: ignore[misc]
            flow = frames[-1].flow
            if cat == C_DEFERRED:
                f = len(flow_entry)
                owner = scope_of_span.get((sb, eb))
                if owner is None:
                    owner = _innermost_scopes([(sb, eb)], scopes)[0]
                flow_owner.append(owner)
                cur.append(-1)
                flow_entry.append(new_block(f, []))
                cur[f] = flow_entry[f]
                frames.append(_Frame(kind=cat, key=sb, flow=f))
                deferred_stack.append(f)
            elif cat == C_BRANCH:
                frames.append(_Frame(kind=cat, key=sb, flow=flow, spine=cur[flow],
                                     breakable=bool(pset) and pset.get("flow.breakable") is not None))
            elif cat == C_LOOP:
                # the head holds no events: its state is "before any iteration or after any", so the
                # loop's exit also sees the path that runs the body zero times
                head = new_block(flow, [cur[flow]])
                cur[flow] = new_block(flow, [head])
                frames.append(_Frame(kind=cat, key=sb, flow=flow, head=head))
            elif cat == C_TRY:
                frames.append(_Frame(kind=cat, key=sb, flow=flow, entry=cur[flow], first_block=len(preds)))
            else:  # parts
                top = frames[-1]
                if cat in (C_ARM, C_DEFAULT) and top.kind == C_BRANCH:
                    top.spine = cur[flow]
                    if cat == C_DEFAULT:
                        top.exhaustive = True
                    cur[flow] = new_block(flow, [cur[flow]])
                elif cat == C_HANDLER and top.kind == C_TRY:
                    if top.handler_preds is None:
                        top.normal_exit = cur[flow]
                        top.handler_preds = [top.entry, *range(top.first_block, len(preds))]
                    cur[flow] = new_block(flow, list(top.handler_preds))
                elif cat == C_FINALLY and top.kind == C_TRY:
                    cur[flow] = new_block(flow, [cur[flow], *top.exits])
                    top.exits = []
                    top.handler_preds = top.handler_preds or []
                    top.normal_exit = cur[flow]
                frames.append(_Frame(kind=cat, key=sb, flow=flow))
        elif kind == K_EXIT:
            cat, sb, _eb = payload  # type: ignore[misc]
            # pop to the matching frame (defensive against malformed trees)
            k = len(frames) - 1
            while k > 0 and not (frames[k].kind == cat and frames[k].key == sb):
                k -= 1
            if k == 0:
                continue
            while len(frames) - 1 > k:
                frames.pop()
            fr = frames.pop()
            flow = fr.flow
            if cat == C_DEFERRED:
                deferred_stack.pop()
            elif cat == C_BRANCH:
                join_preds = list(fr.exits)
                if not fr.exhaustive:
                    join_preds.append(cur[flow])
                cur[flow] = new_block(flow, join_preds)
            elif cat == C_LOOP:
                preds[fr.head].append(cur[flow])
                cur[flow] = new_block(flow, [fr.head, cur[flow], *fr.exits])
            elif cat == C_TRY:
                cur[flow] = new_block(flow, [cur[flow], *fr.exits])
            else:
                top = frames[-1]
                if cat in (C_ARM, C_DEFAULT) and top.kind == C_BRANCH:
                    top.exits.append(cur[flow])
                    cur[flow] = new_block(flow, [top.spine])
                elif cat == C_HANDLER and top.kind == C_TRY:
                    top.exits.append(cur[flow])
                    cur[flow] = top.normal_exit
        else:  # jump
            flow = frames[-1].flow
            if payload in (C_BREAK, C_CONTINUE):
                want_break = payload == C_BREAK
                k = current_flow_frame_index(
                    lambda fr, b=want_break: fr.kind == C_LOOP or (b and fr.kind == C_BRANCH and fr.breakable))
                if k > 0:
                    fr = frames[k]
                    if want_break:
                        fr.exits.append(cur[flow])
                    else:
                        preds[fr.head].append(cur[flow])
            cur[flow] = new_block(flow, [])

    return _reach(events, block_events, block_flow, preds, flow_entry, flow_owner, scopes, in_scope)


def _event_keys(events: list[_Event], anchors: list[tuple[int, int, int, bool]], normal_key) -> list[tuple[int, int]]:
    """Each event's (key, secondary key) in execution order; events are sorted by start."""
    out: list[tuple[int, int]] = []
    anchors.sort(key=lambda a: (a[0], -a[1]))
    stack: list[tuple[int, int, int, bool]] = []
    k = 0
    for ev in events:
        while k < len(anchors) and anchors[k][0] <= ev.start:
            a = anchors[k]
            while stack and stack[-1][1] <= a[0]:
                stack.pop()
            stack.append(a)
            k += 1
        while stack and not (stack[-1][0] <= ev.start and ev.end <= stack[-1][1]):
            stack.pop()
        own = normal_key(ev.start, ev.kind)
        loop_key = None
        for sb, eb, key, is_loop_part in reversed(stack):  # innermost first
            if not (sb <= ev.start and ev.end <= eb):
                continue
            if is_loop_part:
                loop_key = key
                break
            if ev.kind != READ and own == normal_key(ev.start, ev.kind):
                own = key  # the innermost assignment moves a write to its end
        out.append((loop_key, own) if loop_key is not None else (own, 0))
    return out


def _reach(events, block_events, block_flow, preds, flow_entry, flow_owner, scopes, in_scope):
    """Worklist may-reach analysis per flow, then emit edges by replaying each block."""
    n_blocks = len(preds)
    # definitions per variable (for variables free in a deferred flow: any definition may reach)
    pool: dict[int, frozenset[int]] = {}
    defs_by_var: dict[int, list[int]] = {}
    for i, ev in enumerate(events):
        if ev.kind != READ:
            defs_by_var.setdefault(ev.var, []).append(i)
    for v, ids in defs_by_var.items():
        pool[v] = frozenset(ids)
    var_scope: dict[int, int] = {}
    for ev in events:
        var_scope.setdefault(ev.var, -1)
    for ev in events:
        if ev.kind != READ and var_scope[ev.var] < 0:
            var_scope[ev.var] = ev.scope

    blocks_of_flow: list[list[int]] = [[] for _ in flow_entry]
    for b in range(n_blocks):
        blocks_of_flow[block_flow[b]].append(b)

    last_write: list[tuple[int, int]] = []
    last_read: list[tuple[int, int]] = []
    empty: frozenset[int] = frozenset()

    for f, blocks in enumerate(blocks_of_flow):
        # initial state of the flow's entry: free variables may hold any of their definitions
        init: dict[int, tuple[frozenset[int], frozenset[int]]] = {}
        if f > 0:
            owner = flow_owner[f]
            for b in blocks:
                for ev in block_events[b]:
                    v = ev.var
                    if v in init:
                        continue
                    home = var_scope.get(v, -1)
                    if home < 0 or not in_scope(home, owner):
                        init[v] = (pool.get(v, empty), empty)
        out: dict[int, dict] = {}
        entry = flow_entry[f]
        succ_changed = True
        rounds = 0
        while succ_changed:
            succ_changed = False
            rounds += 1
            for b in blocks:
                state = _merge([out[p] for p in preds[b] if p in out])
                if b == entry:
                    state = _merge([state, init]) if init else state
                for ev in block_events[b]:
                    d, r = state.get(ev.var, (empty, empty))
                    if ev.kind == READ:
                        state[ev.var] = (d, frozenset((ev.idx,)))
                    else:
                        state[ev.var] = (frozenset((ev.idx,)), r)
                if out.get(b) != state:
                    out[b] = state
                    succ_changed = True
            if rounds > 50:  # structured flow converges in a few rounds; never loop forever
                break
        # replay with the fixed-point states
        for b in blocks:
            state = _merge([out[p] for p in preds[b] if p in out])
            if b == entry and init:
                state = _merge([state, init])
            for ev in block_events[b]:
                d, r = state.get(ev.var, (empty, empty))
                me = ev.idx
                if ev.kind == READ:
                    node = ev.node
                    for k in d:
                        last_write.append((node, events[k].node))
                    for k in r:
                        last_read.append((node, events[k].node))
                    state[ev.var] = (d, frozenset((me,)))
                else:
                    state[ev.var] = (frozenset((me,)), r)
    last_write.sort()
    last_read.sort()
    return _dedupe(last_write), _dedupe(last_read)


def _merge(states: list[dict]) -> dict:
    if not states:
        return {}
    if len(states) == 1:
        return dict(states[0])
    merged = dict(states[0])
    for s in states[1:]:
        for v, (d, r) in s.items():
            old = merged.get(v)
            if old is None:
                merged[v] = (d, r)
            elif old[0] is not d or old[1] is not r:
                merged[v] = (old[0] | d, old[1] | r)
    return merged


def _dedupe(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    prev = None
    for p in pairs:
        if p != prev and p[0] != p[1]:
            out.append(p)
        prev = p
    return out


def _computed_from(events: list[_Event], assigns: list) -> list[tuple[int, int]]:
    starts = [e.start for e in events]
    out: set[tuple[int, int]] = set()
    for _span, targets, values in assigns:
        if not targets or not values:
            continue
        written = []
        for ts_, te in targets:
            i = bisect.bisect_left(starts, ts_)
            while i < len(events) and events[i].start < te:
                ev = events[i]
                if ev.kind != READ and ev.end <= te:
                    written.append(ev.node)
                i += 1
        if not written:
            continue
        read = []
        for vs, ve in values:
            i = bisect.bisect_left(starts, vs)
            while i < len(events) and events[i].start < ve:
                ev = events[i]
                if ev.kind == READ and ev.end <= ve:
                    read.append(ev.node)
                i += 1
        for w in written:
            for r in read:
                if w != r:
                    out.add((w, r))
    return sorted(out)
