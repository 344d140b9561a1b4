"""Security rules as data: ``grammars/<lang>/security.scm`` queries, each pattern a rule, judged on the graph.

A pattern's ``#set!`` settings name the rule; all four are required::

    ((call function: (identifier) @_f arguments: (argument_list . (_) @security.sink))
      (#any-of? @_f "eval" "exec")
      (#set! rule "py-code-exec") (#set! cwe "CWE-95") (#set! severity "high")
      (#set! message "eval or exec runs a string as code"))

Captures: ``@security`` (or, without it, the whole match's first capture) is where the finding is reported;
``@security.sink`` is the value that reaches the dangerous operation. Its **confidence** comes from the data
flow: ``high`` when the sink is computed (through ``last_write`` and ``computed_from`` chains) from a function
parameter, ``low`` when it reads no variable at all (only constants reach it), ``medium`` otherwise; a rule
without a sink has ``#set! confidence`` (default ``medium``). A rule's severity maps to the finding's: ``high``
→ error, ``medium`` → warning, ``low`` → note. Captures whose names start with ``_`` are for predicates.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from functools import cache

import tree_sitter as ts

from graphcode.analysis.findings import Finding
from graphcode.check import char_column
from graphcode.errors import ConfigError
from graphcode.graphs.codegraph import CodeGraph, EdgeList
from graphcode.graphs.languages import get_spec, ts_language
from graphcode.graphs.passes import DEF_KINDS

SEVERITY_OF = {"high": "error", "medium": "warning", "low": "note"}
CONFIDENCES: tuple[str, ...] = ("low", "medium", "high")
_REQUIRED = ("rule", "cwe", "severity", "message")
_PARAMETER = DEF_KINDS.index("parameter")


@dataclass(frozen=True)
class SecurityRule:
    """One pattern of a ``security.scm``."""

    rule: str
    cwe: str
    severity: str
    message: str
    confidence: str
    line: int
    """The pattern's line in the query file (inherited patterns first)."""


@dataclass(frozen=True)
class SecurityRules:
    query: ts.Query
    rules: tuple[SecurityRule, ...]
    path: str


@cache
def security_rules(lang: str) -> SecurityRules | None:
    """The compiled ``security.scm`` of ``lang`` (with the files it inherits), or None when it has none."""
    spec = get_spec(lang)
    text = spec.query_text("security")
    if text is None:
        return None
    path = str(spec.folder / "security.scm")
    try:
        query = ts.Query(ts_language(spec.name), text)
    except (ts.QueryError, ValueError) as err:
        raise ConfigError(f"{path}: expected valid tree-sitter query patterns, found an error: {err}") from err
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    rules = []
    for i in range(query.pattern_count):
        settings = query.pattern_settings(i)
        line = bisect.bisect_right(starts, query.start_byte_for_pattern(i))
        missing = [key for key in _REQUIRED if not settings.get(key)]
        where = f"{path}:{line}: pattern {i}" + (f" (rule {settings['rule']})" if settings.get("rule") else "")
        if missing:
            raise ConfigError(f"{where}: expected #set! {', '.join(missing)}, found {sorted(settings) or 'no settings'}")
        if settings["severity"] not in SEVERITY_OF:
            raise ConfigError(f"{where}: severity: expected one of {', '.join(SEVERITY_OF)}, "
                              f"found {settings['severity']!r}")
        confidence = settings.get("confidence") or "medium"
        if confidence not in CONFIDENCES:
            raise ConfigError(f"{where}: confidence: expected one of {', '.join(CONFIDENCES)}, found {confidence!r}")
        rules.append(SecurityRule(settings["rule"], settings["cwe"], settings["severity"], settings["message"],
                                  confidence, line))
    return SecurityRules(query, tuple(rules), path)


def _graph_id(graph: CodeGraph, node: ts.Node) -> int:
    """The graph id of a tree-sitter node, by its byte span (the outermost node with that span)."""
    start, end = node.start_byte, node.end_byte
    i = bisect.bisect_left(graph.start_byte, start)
    while i < graph.num_nodes and graph.start_byte[i] == start:
        if graph.end_byte[i] == end:
            return i
        i += 1
    return -1


@dataclass(frozen=True)
class _Flow:
    """A file's data flow as the provenance walk reads it, built once per file."""

    reads: list[int]  # read nodes, in the facts' order
    read_nodes: frozenset[int]
    writes: dict[int, list[int]]  # read -> the definitions that may reach it (``last_write``)
    sources: dict[int, list[int]]  # target -> the values it is computed from (``computed_from``)
    kind_of: dict[int, int]  # definition -> its ``DEF_KINDS`` index

    @classmethod
    def of(cls, graph: CodeGraph, facts: dict[str, EdgeList]) -> _Flow:
        writes: dict[int, list[int]] = {}
        for use, definition in graph.edges.get("last_write", []):
            writes.setdefault(use, []).append(definition)
        sources: dict[int, list[int]] = {}
        for target, value in graph.edges.get("computed_from", []):
            sources.setdefault(target, []).append(value)
        reads = [n for n, _ in facts["read"]]
        return cls(reads, frozenset(reads), writes, sources, {n: kind & 7 for n, kind in facts["def"]})


def _provenance(graph: CodeGraph, sink: int, flow: _Flow) -> tuple[str, str]:
    """(confidence, why) of a sink, from the data flow that reaches it: ``high`` when a function parameter
    reaches it through ``last_write`` and ``computed_from`` chains, ``low`` when every chain ends in a constant
    (a definition that reads no variable), ``medium`` when some chain ends elsewhere (a name defined outside
    the file, an import, a call's result that reads no variable of the file)."""
    lo, hi = graph.start_byte[sink], graph.end_byte[sink]
    reads = [n for n in flow.reads if lo <= graph.start_byte[n] and graph.end_byte[n] <= hi]
    if not reads:
        return "low", "only constants reach it"
    writes, sources, kind_of, read_nodes = flow.writes, flow.sources, flow.kind_of, flow.read_nodes
    open_end = False
    seen: set[int] = set()
    todo = list(reads)
    while todo and len(seen) < 2000:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        if kind_of.get(n) == _PARAMETER:
            return "high", f"computed from parameter '{graph.text(n)}'"
        if n in read_nodes and n not in kind_of:  # a read: go on to what it may read
            found = writes.get(n)
            if not found:
                open_end = True  # defined outside the file (a builtin, a global of another module)
            todo.extend(found or ())
            continue
        found = sources.get(n)
        if found:
            todo.extend(found)
        elif kind_of.get(n, 0) != 0:
            open_end = True  # an import, a function or class, a loop or handler target
    if len(seen) >= 2000 or open_end:
        return "medium", "computed from values defined elsewhere"
    return "low", "only constants reach it"


def security_findings(graph: CodeGraph, tree: ts.Tree, facts: dict[str, EdgeList],
                      rules: SecurityRules) -> list[Finding]:
    """The security findings of a file: every match of its language's rules, with data-flow confidence."""
    found: list[Finding] = []
    seen: set[tuple[str, int]] = set()
    flow: _Flow | None = None
    for index, captures in ts.QueryCursor(rules.query).matches(tree.root_node):
        rule = rules.rules[index]
        named = {k: v for k, v in captures.items() if not k.startswith("_")}
        at = (named.get("security") or named.get("security.sink") or next(iter(captures.values()), [None]))[0]
        if at is None:
            continue
        key = (rule.rule, at.start_byte)
        if key in seen:
            continue
        seen.add(key)
        confidence, why = rule.confidence, ""
        sink_nodes = named.get("security.sink")
        if sink_nodes and facts:
            sink = _graph_id(graph, sink_nodes[0])
            if sink >= 0:
                flow = flow or _Flow.of(graph, facts)
                confidence, why = _provenance(graph, sink, flow)
        start, end = at.start_point, at.end_point
        found.append(Finding(
            rule.rule, SEVERITY_OF[rule.severity], start.row + 1,
            char_column(graph.source, at.start_byte - start.column, at.start_byte),
            f"{rule.message} ({rule.cwe}; confidence {confidence}{': ' + why if why else ''})",
            end.row + 1, char_column(graph.source, at.end_byte - end.column, at.end_byte),
            graph.source[at.start_byte:at.end_byte].decode("utf-8", "replace").split("\n", 1)[0][:80],
            cwe=rule.cwe, confidence=confidence))
    return found
