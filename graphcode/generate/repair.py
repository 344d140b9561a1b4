"""Repairs of invalid candidates, each named, each keeping the original.

One repair so far: ``truncate``, cutting the code back to the longest prefix that ends at a line end
or at the end of a top-level node and passes :func:`graphcode.check.check_syntax`. It fits the most
common failure of generated code: output cut off at the token limit, or trailing junk after a
complete function. A repair never touches a protected prefix (the prompt of a completion task) and
must leave some non-blank generated text; when none of the cut points works, there is no repair.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphcode.check import check_syntax
from graphcode.graphs.languages import parser_for

TRUNCATE = "truncate"


@dataclass(frozen=True)
class Repair:
    """A repaired candidate: the new code and what was done to get it."""

    name: str
    """Which repair: ``truncate``."""
    code: str
    """The repaired code (for a completion task, prompt and repaired completion together)."""
    removed: str
    """The text cut off the end."""

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "code": self.code, "removed": self.removed}


def truncate_repair(
    code: str, lang: str, *, keep: int = 0, compiler: bool = True, max_trials: int = 24, fragment: str = "file"
) -> Repair | None:
    """Cut ``code`` back to its longest valid prefix that ends a line or a top-level node.

    Args:
        code: The invalid code.
        lang: Its language.
        keep: Characters at the start that must stay (a completion's prompt); the repaired code keeps
            them and some non-blank text after them. (default: :obj:`0`)
        compiler: Check with the language's compiler as well (see ``check_syntax``). (default: :obj:`True`)
        max_trials: Check at most this many cut points, longest first. (default: :obj:`24`)
        fragment: What the code is (see :func:`graphcode.check.check_syntax`). (default: ``"file"``)

    Returns:
        The repair, or ``None`` when no cut point gives valid code.
    """
    data = code.encode("utf-8")
    floor = len(code[:keep].encode("utf-8"))
    cuts: set[int] = {i + 1 for i in range(len(data)) if data[i] == 0x0A}  # after each newline
    root = parser_for(lang).parse(data).root_node
    cuts.update(child.end_byte for child in root.children if not child.has_error)
    ordered = sorted((c for c in cuts if floor < c < len(data)), reverse=True)
    for cut in ordered[:max_trials]:
        if not data[floor:cut].strip():
            break  # nothing generated would be left
        prefix = data[:cut].decode("utf-8", errors="strict")
        if check_syntax(prefix, lang, compiler=compiler, fragment=fragment).valid:
            return Repair(name=TRUNCATE, code=prefix, removed=data[cut:].decode("utf-8"))
    return None
