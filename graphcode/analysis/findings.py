"""What the analyses report: :class:`Finding`, and a file's :class:`AnalysisReport` (text, JSON, SARIF).

A finding has a rule code, a severity, a position (1-based line; 1-based column in characters, as
:class:`graphcode.check.SyntaxIssue`), and a message that names what it is about. A line that carries the
comment text ``graphcode: ignore[CODE]`` (or ``graphcode: ignore`` for every rule) suppresses the findings of
that rule on that line, in any language's comment syntax.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

SEVERITIES: tuple[str, ...] = ("note", "warning", "error")
"""In increasing order; ``--fail-on`` takes one of them."""

_IGNORE = re.compile(rb"graphcode:\s*ignore(?:\[([A-Za-z0-9_,\s-]+)\])?")


@dataclass(frozen=True)
class Finding:
    """One finding of a semantic or security rule."""

    code: str
    """The rule: ``undefined-name``, ``possibly-undefined``, ``unused-variable``, or a security rule's id."""
    severity: str
    """``error``, ``warning`` or ``note``."""
    line: int
    column: int
    message: str
    end_line: int = 0
    end_column: int = 0
    name: str = ""
    """The variable or code the finding is about."""
    cwe: str = ""
    """A security rule's weakness (``CWE-78``)."""
    confidence: str = ""
    """A security finding's confidence: ``high`` (a parameter reaches the sink), ``medium``, ``low`` (only
    constants do)."""

    def format(self, path: str = "<code>") -> str:
        return f"{path}:{self.line}:{self.column}: {self.severity} [{self.code}] {self.message}"


@dataclass(frozen=True)
class AnalysisReport:
    """The findings on one piece of code, in source order. ``bool(report)`` is true when there are none."""

    lang: str
    findings: tuple[Finding, ...] = field(default_factory=tuple)
    checks: tuple[str, ...] = ()
    """The analyses that ran (``semantic``, ``security``)."""

    def __bool__(self) -> bool:
        return not self.findings

    def at_least(self, severity: str) -> tuple[Finding, ...]:
        """The findings of ``severity`` or worse."""
        if severity not in SEVERITIES:
            raise ValueError(f"severity: expected one of {', '.join(SEVERITIES)}, found {severity!r}")
        floor = SEVERITIES.index(severity)
        return tuple(f for f in self.findings if SEVERITIES.index(f.severity) >= floor)

    def format(self, path: str = "<code>") -> str:
        return "\n".join(f.format(path) for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {"lang": self.lang, "checks": list(self.checks), "findings": [asdict(f) for f in self.findings]}


def suppressed(source: bytes, findings: list[Finding]) -> list[Finding]:
    """``findings`` without those that a ``graphcode: ignore[CODE]`` comment on their line suppresses."""
    if b"graphcode:" not in source:
        return findings
    lines = source.split(b"\n")
    kept = []
    for f in findings:
        line = lines[f.line - 1] if 0 < f.line <= len(lines) else b""
        m = _IGNORE.search(line)
        if m and (m.group(1) is None or f.code in {c.strip() for c in m.group(1).decode().split(",")}):
            continue
        kept.append(f)
    return kept


def to_sarif(reports: list[tuple[str, AnalysisReport]], rules: dict[str, str]) -> dict[str, Any]:
    """A SARIF 2.1.0 log of ``(path, report)`` pairs; ``rules`` maps each rule code to its description."""
    level = {"error": "error", "warning": "warning", "note": "note"}
    used = sorted({f.code for _, r in reports for f in r.findings})
    results = []
    for path, report in reports:
        for f in report.findings:
            region: dict[str, int] = {"startLine": f.line, "startColumn": f.column}
            if f.end_line:
                region.update(endLine=f.end_line, endColumn=f.end_column)
            result: dict[str, Any] = {
                "ruleId": f.code, "ruleIndex": used.index(f.code), "level": level[f.severity],
                "message": {"text": f.message},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": path}, "region": region}}],
            }
            if f.cwe or f.confidence:
                result["properties"] = {"cwe": f.cwe, "confidence": f.confidence}
            results.append(result)
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "graphcode",
                "rules": [{"id": code, "shortDescription": {"text": rules.get(code, code)}} for code in used],
            }},
            "results": results,
        }],
    }


_RULE_SEVERITY = {"high": "error", "medium": "warning", "low": "note"}


@dataclass(frozen=True)
class RejectPolicy:
    """Which findings make a generated candidate unacceptable: ``semantic`` findings of that severity or worse
    (``error``, ``warning``, ``note``), ``security`` findings of rules of that severity or worse (``high``,
    ``medium``, ``low``); ``None`` for neither. :meth:`parse` reads ``"semantic,security:high"``."""

    semantic: str | None = None
    security: str | None = None

    @classmethod
    def parse(cls, text: str | None) -> RejectPolicy | None:
        """``semantic[:SEVERITY]`` and ``security[:LEVEL]``, comma-separated (defaults: ``error``, ``low``)."""
        if not text:
            return None
        semantic = security = None
        for part in (p.strip() for p in text.split(",") if p.strip()):
            kind, _, level = part.partition(":")
            if kind == "semantic" and (level or "error") in SEVERITIES:
                semantic = level or "error"
            elif kind == "security" and (level or "low") in _RULE_SEVERITY:
                security = level or "low"
            else:
                raise ValueError(f"--reject: expected semantic[:error|warning|note] or security[:high|medium|low], "
                                 f"found {part!r}")
        return cls(semantic, security)

    def analyses(self) -> tuple[bool, bool]:
        """(semantic, security): the analyses the policy needs."""
        return self.semantic is not None, self.security is not None

    def rejects(self, finding: Finding) -> bool:
        floor = self.security if finding.cwe else self.semantic
        if floor is None:
            return False
        floor = _RULE_SEVERITY.get(floor, floor)
        return SEVERITIES.index(finding.severity) >= SEVERITIES.index(floor)
