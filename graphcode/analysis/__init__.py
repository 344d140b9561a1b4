"""Analysis of code on its graph: semantic checks (from the data-flow sweep) and security rules.

    from graphcode.analysis import analyze
    report = analyze(code, "python")               # -> AnalysisReport(findings=(Finding(...), ...))
    report.at_least("error")

``graphcode check --semantic`` runs it from the command line. Like :mod:`graphcode.check`, this package
starts without torch.
"""

from __future__ import annotations

from graphcode.analysis.findings import (
    SEVERITIES,
    AnalysisReport,
    Finding,
    RejectPolicy,
    suppressed,
    to_sarif,
)
from graphcode.analysis.security import security_findings, security_rules
from graphcode.analysis.semantic import RULES as SEMANTIC_RULES
from graphcode.analysis.semantic import semantic_findings, semantic_rules
from graphcode.graphs.build import GraphOptions, build_graph, parse_tree
from graphcode.graphs.codegraph import EdgeList
from graphcode.graphs.languages import get_spec
from graphcode.graphs.source import validate_source

__all__ = ["SEMANTIC_RULES", "SEVERITIES", "AnalysisReport", "Finding", "RejectPolicy", "analyze",
           "analyze_fragment", "rule_descriptions",
           "security_findings", "security_rules", "semantic_findings", "semantic_rules", "suppressed", "to_sarif"]


def analyze(code: str | bytes, lang: str, *, semantic: bool = True, security: bool = False,
            path: str | None = None) -> AnalysisReport:
    """The findings on ``code`` (a whole file of ``lang``), in source order, suppressions applied.

    ``checks`` in the report names the analyses that ran: a language without data flow has no semantic rules,
    and one without ``grammars/<lang>/security.scm`` no security rules; neither passes silently.
    """
    lang = get_spec(lang).name
    source = validate_source(code.encode("utf-8") if isinstance(code, str) else code, path or "<code>")
    checks: list[str] = []
    findings: list[Finding] = []
    sem = semantic_rules(lang) if semantic or security else None
    sec = security_rules(lang) if security else None
    facts: dict[str, EdgeList] = {}
    if sem is not None or sec is not None:
        kinds = {"child", "last_write", "computed_from"} if sec is not None else {"child"}
        graph = build_graph(source, lang, GraphOptions(edges=frozenset(kinds)), path=path,
                            facts=facts if sem is not None else None)
        if semantic and sem is not None:
            findings.extend(semantic_findings(graph, facts))
            checks.append("semantic")
        if sec is not None:  # the rules query a py-tree-sitter tree; the graph's own parse may be native
            findings.extend(security_findings(graph, parse_tree(source, lang), facts, sec))
            checks.append("security")
    findings.sort(key=lambda f: (f.line, f.column, f.code))
    return AnalysisReport(lang=lang, findings=tuple(suppressed(source, findings)), checks=tuple(checks))


def rule_descriptions(lang: str | None = None) -> dict[str, str]:
    """Every rule code with its description: the semantic rules, and ``lang``'s security rules."""
    out = dict(SEMANTIC_RULES)
    rules = security_rules(lang) if lang else None
    for rule in rules.rules if rules else ():
        out[rule.rule] = f"{rule.message} ({rule.cwe})"
    return out


def analyze_fragment(code: str, lang: str, fragment: str = "file", *, semantic: bool = True,
                     security: bool = False) -> AnalysisReport:
    """:func:`analyze` for a piece of code that is a ``fragment`` (a class member, a block, an expression; see
    :func:`graphcode.check.fragment_wrapper`): it is analysed in the smallest context its grammar needs, and
    findings keep the positions in ``code`` (those in the context alone are dropped)."""
    from dataclasses import replace

    from graphcode.check import fragment_wrapper

    wrapper = fragment_wrapper(lang, fragment)
    report = analyze(wrapper.wrap(code), lang, semantic=semantic, security=security)
    if fragment == "file":
        return report
    shift = wrapper.before.count("\n")
    lines = code.count("\n") + 1
    indent = len(wrapper.indent)
    kept = tuple(replace(f, line=f.line - shift, column=max(1, f.column - indent),
                         end_line=max(1, f.end_line - shift), end_column=max(1, f.end_column - indent))
                 for f in report.findings if shift < f.line <= shift + lines)
    return replace(report, findings=kept)
