"""Analysis of code on its graph: semantic checks (from the data-flow sweep) and security rules.

    from graphcode.analysis import analyze
    report = analyze(code, "python")               # -> AnalysisReport(findings=(Finding(...), ...))
    report.at_least("error")

``graphcode check --semantic`` runs it from the command line. Like :mod:`graphcode.check`, this package
starts without torch.
"""

from __future__ import annotations

from graphcode.analysis.findings import SEVERITIES, AnalysisReport, Finding, suppressed, to_sarif
from graphcode.analysis.semantic import RULES as SEMANTIC_RULES
from graphcode.analysis.semantic import semantic_findings, semantic_rules
from graphcode.graphs.build import GraphOptions, build_graph
from graphcode.graphs.source import validate_source

__all__ = ["SEMANTIC_RULES", "SEVERITIES", "AnalysisReport", "Finding", "analyze", "semantic_findings",
           "semantic_rules", "suppressed", "to_sarif"]


def analyze(code: str | bytes, lang: str, *, semantic: bool = True, path: str | None = None) -> AnalysisReport:
    """The findings on ``code`` (a whole file of ``lang``), in source order, suppressions applied.

    A language without data flow (no ``[semantic]`` rules) gets an empty report whose ``checks`` say that no
    analysis ran for it.
    """
    source = validate_source(code.encode("utf-8") if isinstance(code, str) else code, path or "<code>")
    checks: list[str] = []
    findings: list[Finding] = []
    if semantic and semantic_rules(lang) is not None:
        facts: dict[str, list[tuple[int, int]]] = {}
        graph = build_graph(source, lang, GraphOptions(edges=frozenset({"child"})), path=path, facts=facts)
        findings.extend(semantic_findings(graph, facts))
        checks.append("semantic")
    return AnalysisReport(lang=lang, findings=tuple(suppressed(source, findings)), checks=tuple(checks))
