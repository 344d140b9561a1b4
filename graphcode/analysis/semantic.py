"""Semantic checks read off the data-flow sweep: undefined names, names some path leaves undefined, and
assignments no path reads.

One engine serves every language with data flow; what differs is data in ``grammars/<lang>/language.toml``'s
``[semantic]`` table:

``builtins``         a file of names the language defines everywhere (one per line, ``#`` comments)
``unresolved``       regular expressions of names resolved outside the file (never undefined)
``undefined_names``  whether a free name is reported at all (false where one file cannot tell: Java's inherited
                     fields, Go's package shared by several files)
``star_imports``     node types that may bind any name (Python's ``from m import *``): a file with one reports
                     no undefined names
``hoisted``          node types whose names exist from the start of their function, holding a default value
                     (JavaScript's ``var``): a read some path reaches before their assignment is not reported

Rules (codes as reported):

``undefined-name`` (error)        a read that no definition in the file may reach, of a name the file never
                                  defines, that is no builtin and not left unresolved
``used-before-definition`` (error)  a read that every path reaches before any definition of its variable
``possibly-undefined`` (warning)  a read that some path reaches before any definition of its variable
``unused-variable`` (warning)     a write of a function's own variable (not a parameter, import, function or
                                  class) that no read may see; names starting with ``_`` are exempt
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from graphcode.analysis.findings import Finding
from graphcode.check import char_column
from graphcode.errors import ConfigError
from graphcode.graphs.codegraph import CodeGraph, EdgeList
from graphcode.graphs.languages import get_spec
from graphcode.graphs.passes import DEF_KINDS, DEF_LOCAL

RULES: dict[str, str] = {
    "undefined-name": "a name no definition in the file reaches, not a builtin",
    "used-before-definition": "a read that every path reaches before the variable is defined",
    "possibly-undefined": "a read that some path reaches before the variable is defined",
    "unused-variable": "a function's variable assigned a value that no path reads",
}

_VAR = DEF_KINDS.index("var")


@dataclass(frozen=True)
class SemanticRules:
    """A language's ``[semantic]`` settings, read from its ``language.toml``."""

    builtins: frozenset[str]
    unresolved: tuple[re.Pattern[str], ...]
    undefined_names: bool
    star_imports: frozenset[str]
    hoisted: frozenset[str] = frozenset()


@cache
def semantic_rules(lang: str) -> SemanticRules | None:
    """The ``[semantic]`` settings of ``lang``, or None when the language has none (no data flow)."""
    spec = get_spec(lang)
    table = spec.extra.get("semantic")
    if table is None or not spec.has_dataflow:
        return None
    where = f"{spec.folder / 'language.toml'} [semantic]"
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table, found {table!r}")
    names: set[str] = set()
    builtins = table.get("builtins")
    if builtins is not None:
        path = (spec.folder / str(builtins)).resolve()
        if not path.is_file():
            raise ConfigError(f"{where}: builtins: expected a file of names, found no file {path}")
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                names.add(line)
    patterns = []
    for text in table.get("unresolved", []):
        try:
            patterns.append(re.compile(text))
        except (re.error, TypeError) as err:
            raise ConfigError(f"{where}: unresolved: expected regular expressions, found {text!r} ({err})") from err
    flag = table.get("undefined_names", True)
    if not isinstance(flag, bool):
        raise ConfigError(f"{where}: undefined_names: expected true or false, found {flag!r}")
    return SemanticRules(frozenset(names), tuple(patterns), flag, frozenset(table.get("star_imports", [])),
                         frozenset(table.get("hoisted", [])))


def semantic_findings(graph: CodeGraph, facts: dict[str, EdgeList]) -> list[Finding]:
    """The semantic findings of a graph, from the facts its build gathered (``build_graph(..., facts=)``)."""
    rules = semantic_rules(graph.lang)
    if rules is None or not facts:
        return []
    found: list[Finding] = []

    def add(code: str, severity: str, node: int, message: str) -> None:
        first, last = graph.start_byte[node], graph.end_byte[node]
        start, end = graph.point(first), graph.point(last)
        column = char_column(graph.source, first - start.column, first)
        end_column = char_column(graph.source, last - end.column, last)
        found.append(Finding(code, severity, start.row + 1, column, message, end.row + 1, end_column,
                             graph.text(node)))

    reached = {use for use, _ in facts["last_write"]}
    undefined = dict(facts["undefined"])
    read_var = dict(facts["read"])
    vars_defined = {var for _, var in facts["def_var"]}
    local_vars = {var for (_, kind), (_, var) in zip(facts["def"], facts["def_var"], strict=True) if kind & DEF_LOCAL}
    hoisted_vars: set[int] = set()
    if rules.hoisted:
        for node, var in facts["def_var"]:
            up = graph.parent[node]
            for _ in range(4):  # the declaration is a few levels above its name
                if up < 0:
                    break
                if graph.types[up] in rules.hoisted:
                    hoisted_vars.add(var)
                    break
                up = graph.parent[up]
    star = bool(rules.star_imports) and any(t in rules.star_imports for t in graph.types)
    for node, var in facts["read"]:
        name = graph.text(node)
        if node in undefined and var not in hoisted_vars and not (name in rules.builtins and var not in local_vars):
            # (a file's or class's name that shadows a builtin reads the builtin until it is assigned)
            if undefined[node]:
                add("used-before-definition", "error", node, f"'{name}' is used before it is defined")
            else:
                add("possibly-undefined", "warning", node, f"'{name}' may be undefined here: some path to this "
                    "use defines it nowhere")
            continue
        if node in undefined or node in reached or not rules.undefined_names or star or var in vars_defined:
            continue
        if name in rules.builtins or any(p.search(name) for p in rules.unresolved):
            continue
        add("undefined-name", "error", node, f"undefined name '{name}'")
    read_defs = {target for _, target in facts["last_write"]}
    for node, kind in facts["def"]:
        if kind & DEF_LOCAL and kind & 7 == _VAR and node not in read_defs and node not in read_var:
            name = graph.text(node)
            if not name.startswith("_"):
                add("unused-variable", "warning", node, f"'{name}' is assigned a value that is never read")
    found.sort(key=lambda f: (f.line, f.column, f.code))
    return found
