"""Checking candidates and choosing one: every candidate gets a verdict, the result gets a status.

What is checked: for ``task="generate"`` the candidate's text; for ``task="completion"`` the prompt
followed by the candidate's text (a completion is valid when the completed code is). Errors' lines
and columns refer to that checked text. The checker is :func:`graphcode.check.check_syntax` for the
*target* language. Blank output is never valid (an empty program parses, but answers nothing).

With a :class:`graphcode.analysis.RejectPolicy` (``generate --reject semantic,security:high``), a valid
candidate is also analysed (its findings are recorded with it), and one with a finding the policy rejects is
``rejected``: it is not chosen, though it parses.

The choice, by model score among candidates:

- ``valid``: the best-scoring candidate that is valid as generated (and not rejected);
- ``repaired``: none is, so the best-scoring candidate that a named repair made valid (the original
  text is kept beside the repair);
- ``no_valid_candidate``: neither; nothing is chosen. Invalid code is never marked valid.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from graphcode.analysis.findings import Finding, RejectPolicy
from graphcode.check import SyntaxIssue, check_syntax
from graphcode.generate.repair import Repair, truncate_repair

Task = Literal["generate", "completion"]
Status = Literal["valid", "repaired", "no_valid_candidate"]
TASKS: tuple[str, ...] = ("generate", "completion")

EMPTY_OUTPUT = SyntaxIssue(1, 1, "empty output: the model generated no code", checker="graphcode")


@dataclass(frozen=True)
class CheckedCandidate:
    """One candidate with its verdict."""

    index: int
    """Its rank in the model's output (0 first)."""
    text: str
    """What the model generated, decoded."""
    score: float
    """Model score: mean log-probability per generated token (higher is better); ``-inf`` for a beam
    that guided decoding dropped (``null`` in JSON)."""
    checked_code: str
    """The code that was checked: ``text``, or prompt + ``text`` for a completion."""
    valid: bool
    errors: tuple[SyntaxIssue, ...]
    repair: Repair | None = None
    """A repair that makes it valid, tried only for invalid candidates."""
    findings: tuple[Finding, ...] = ()
    """Semantic and security findings on a valid candidate, when a reject policy asked for them."""
    rejected: bool = False
    """A finding the reject policy rejects: the candidate is not chosen."""

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return {
            "index": self.index,
            "text": self.text,
            "score": self.score if math.isfinite(self.score) else None,  # JSON has no infinities
            "valid": self.valid,
            "errors": [{"line": e.line, "column": e.column, "message": e.message} for e in self.errors],
            "repair": None if self.repair is None else self.repair.to_dict(),
            "findings": [asdict(f) for f in self.findings],
            "rejected": self.rejected,
        }


@dataclass(frozen=True)
class Selection:
    """The result for one prompt."""

    status: Status
    chosen: int | None
    """Index of the chosen candidate, ``None`` for ``no_valid_candidate``."""
    code: str | None
    """The chosen code as checked (prompt included for a completion; repaired if ``repaired``)."""
    output: str | None
    """The chosen generated text (the completion alone for a completion task; repaired if ``repaired``)."""
    repair: str | None
    """The repair's name when ``status`` is ``repaired``."""


def check_candidate(
    index: int,
    text: str,
    score: float,
    *,
    lang: str,
    prompt: str = "",
    task: Task = "generate",
    compiler: bool = True,
    repair: bool = True,
    fragment: str = "file",
    reject: RejectPolicy | None = None,
) -> CheckedCandidate:
    """Check one candidate in ``lang`` (the target language), as the ``fragment`` it is (a whole file, a class
    member, ...; see :func:`graphcode.check.check_syntax`); try repairs when it is invalid; with ``reject``,
    analyse a valid one and reject it on a finding the policy names."""
    if task not in TASKS:
        raise ValueError(f"task: expected one of {', '.join(TASKS)}, found {task!r}")
    prefix = prompt if task == "completion" else ""
    code = prefix + text
    if not text.strip():
        return CheckedCandidate(index, text, score, code, False, (EMPTY_OUTPUT,))
    report = check_syntax(code, lang, compiler=compiler, fragment=fragment)
    fix = None
    if not report.valid and repair:
        fix = truncate_repair(code, lang, keep=len(prefix), compiler=compiler, fragment=fragment)
    findings: tuple[Finding, ...] = ()
    if report.valid and reject is not None:
        from graphcode.analysis import analyze_fragment

        semantic, security = reject.analyses()
        findings = analyze_fragment(code, lang, fragment, semantic=semantic, security=security).findings
    rejected = any(reject.rejects(f) for f in findings) if reject is not None else False
    return CheckedCandidate(index, text, score, code, report.valid, report.errors, fix, findings, rejected)


def select(candidates: Sequence[CheckedCandidate], *, prompt: str = "", task: Task = "generate") -> Selection:
    """Choose the best valid candidate by score, else the best repaired one; see the module docstring."""
    best = max((c for c in candidates if c.valid and not c.rejected), key=lambda c: c.score, default=None)
    if best is not None:
        return Selection("valid", best.index, best.checked_code, best.text, None)
    fixed = max((c for c in candidates if c.repair is not None), key=lambda c: c.score, default=None)
    if fixed is not None and fixed.repair is not None:
        output = fixed.repair.code[len(prompt) :] if task == "completion" else fixed.repair.code
        return Selection("repaired", fixed.index, fixed.repair.code, output, fixed.repair.name)
    return Selection("no_valid_candidate", None, None, None, None)
