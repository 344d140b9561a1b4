"""The syntax checker: ``check_syntax(code, lang) -> SyntaxReport``.

tree-sitter finds ``ERROR`` and ``MISSING`` nodes in any of the languages in ``grammars/``. Where a
language's ``language.toml`` names a ``compiler_check``, the language's own compiler runs as well:
for Python, ``compile()`` of the running interpreter catches what tree-sitter accepts (Python 2
``print`` statements, inconsistent indentation, ``return`` outside a function). Nothing is executed.

Lines and columns in reports are 1-based; columns count characters, as editors do.

**Fragments.** Generated code is often not a whole file: a method or a constructor without its class (the
CodeXGLUE translation tasks), a block of statements, an expression. ``fragment="member"`` (``"block"``,
``"expression"``) checks the code inside the smallest context its grammar needs, which each language declares
in ``grammars/<lang>/language.toml`` (``[fragments.member]``: ``before``, ``after`` and an ``indent`` for each
line), and reports positions in the code as given. ``"file"`` (the default) checks the code as it is.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import tree_sitter as ts

from graphcode.graphs.languages import get_spec, parser_for
from graphcode.graphs.source import nul_safe

MAX_ERRORS = 50
"""At most this many tree-sitter errors are listed per file (the count stays exact in ``num_errors``)."""


@dataclass(frozen=True)
class SyntaxIssue:
    """One syntax error."""

    line: int
    column: int
    message: str
    end_line: int = 0
    end_column: int = 0
    checker: str = "tree-sitter"
    """Who found it: ``tree-sitter`` or the language's compiler (``python``)."""

    def format(self, path: str = "<code>") -> str:
        return f"{path}:{self.line}:{self.column}: {self.message}"


@dataclass(frozen=True)
class SyntaxReport:
    """The verdict on one piece of code. ``bool(report)`` is ``report.valid``."""

    lang: str
    valid: bool
    errors: tuple[SyntaxIssue, ...] = field(default_factory=tuple)
    num_errors: int = 0

    def __bool__(self) -> bool:
        return self.valid

    def format(self, path: str = "<code>") -> str:
        return "\n".join(e.format(path) for e in self.errors)


def _char_column(source: bytes, line_start: int, byte: int) -> int:
    return len(source[line_start:byte].decode("utf-8", errors="replace")) + 1


class _Positions:
    def __init__(self, source: bytes):
        self.source = source
        self.starts = [0]
        i = source.find(b"\n")
        while i >= 0:
            self.starts.append(i + 1)
            i = source.find(b"\n", i + 1)

    def at(self, byte: int) -> tuple[int, int]:
        import bisect

        row = bisect.bisect_right(self.starts, byte) - 1
        return row + 1, _char_column(self.source, self.starts[row], byte)


def _snippet(text: bytes, limit: int = 20) -> str:
    s = text.decode("utf-8", errors="replace").strip().splitlines()
    first = s[0] if s else ""
    return first if len(first) <= limit else first[: limit - 1] + "…"


def tree_errors(tree: ts.Tree, source: bytes, limit: int = MAX_ERRORS) -> tuple[list[SyntaxIssue], int]:
    """The outermost ERROR and every MISSING node of a tree, visiting only subtrees that hold errors."""
    issues: list[SyntaxIssue] = []
    count = 0
    if not tree.root_node.has_error:
        return issues, 0
    pos = _Positions(source)
    stack = [tree.root_node]
    found: list[ts.Node] = []
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            found.append(node)
            if node.is_error:
                # a MISSING node inside an ERROR is part of the same problem
                continue
        stack.extend(c for c in reversed(node.children) if c.has_error or c.is_missing)
    found.sort(key=lambda n: n.start_byte)
    for node in found:
        count += 1
        if len(issues) >= limit:
            continue
        line, col = pos.at(node.start_byte)
        end_line, end_col = pos.at(node.end_byte)
        parent = node.parent
        where = f" in {parent.type}" if parent is not None and parent.parent is not None else ""
        if node.is_missing:
            message = f"syntax error: missing {node.type!r}{where}"
        else:
            text = _snippet(source[node.start_byte:node.end_byte])
            message = f"syntax error: unexpected {text!r}{where}" if text else f"syntax error{where}"
        issues.append(SyntaxIssue(line, col, message, end_line, end_col))
    return issues, count


def _python_compile(source: bytes, filename: str) -> SyntaxIssue | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for invalid escapes and the like
            # compiled as text: CPython then counts columns in characters (for bytes it counts bytes)
            compile(source.decode("utf-8", errors="replace"), filename, "exec", dont_inherit=True)
    except SyntaxError as err:  # includes IndentationError and TabError
        line = err.lineno or 1
        col = max(err.offset or 1, 1)
        end_line, end_col = err.end_lineno or 0, err.end_offset or 0
        if end_line and (end_line, end_col) < (line, col):  # "'(' was never closed" ends before it starts
            end_line, end_col = line, col
        kind = type(err).__name__
        return SyntaxIssue(line, col, f"{kind}: {err.msg}", end_line, end_col, "python")
    except (ValueError, RecursionError, MemoryError) as err:
        return SyntaxIssue(1, 1, f"{type(err).__name__}: {err}", checker="python")
    return None


_COMPILERS = {"python": _python_compile}
FRAGMENTS: tuple[str, ...] = ("file", "member", "block", "expression")
"""What a piece of code is: a whole file, a class member (method, constructor, field), statements, an expression."""


@dataclass(frozen=True)
class Wrapper:
    """The context a fragment is checked in: ``before``, the code with ``indent`` before each line, ``after``."""

    before: str = ""
    after: str = ""
    indent: str = ""

    def wrap(self, code: str) -> str:
        if self.indent:
            code = "\n".join(self.indent + line if line.strip() else line for line in code.split("\n"))
        return self.before + code + self.after


def fragment_wrapper(lang: str, fragment: str) -> Wrapper:
    """The wrapper of ``fragment`` in ``lang``, from ``grammars/<lang>/language.toml``; raises ConfigError when the
    language declares none."""
    from graphcode.errors import ConfigError

    if fragment not in FRAGMENTS:
        raise ConfigError(f"fragment: expected one of {', '.join(FRAGMENTS)}, found {fragment!r}")
    if fragment == "file":
        return Wrapper()
    spec = get_spec(lang)
    table = (spec.extra.get("fragments") or {}).get(fragment)
    if not isinstance(table, dict):
        declared = ", ".join(sorted(spec.extra.get("fragments") or {})) or "none"
        raise ConfigError(f"fragment {fragment!r}: expected [fragments.{fragment}] in "
                          f"grammars/{spec.name}/language.toml, found none (declared: {declared})")
    return Wrapper(str(table.get("before", "")), str(table.get("after", "")), str(table.get("indent", "")))


def _unwrap(issue: SyntaxIssue, wrapper: Wrapper, lines: list[str]) -> SyntaxIssue:
    """``issue``, found in the wrapped text, with its positions in the code as given (clamped to the code: an
    error the wrapper's closing text reveals, such as an unclosed brace, is at the end of the code)."""
    offset = wrapper.before.count("\n")
    indent = len(wrapper.indent)
    last = (len(lines), len(lines[-1]) + 1)

    def place(line: int, column: int) -> tuple[int, int]:
        row = line - offset
        if row < 1:
            return 1, 1
        if row > len(lines):
            return last
        shift = indent if lines[row - 1].strip() else 0
        return row, min(max(column - shift, 1), len(lines[row - 1]) + 1)

    line, column = place(issue.line, issue.column)
    end_line, end_column = place(issue.end_line, issue.end_column) if issue.end_line else (0, 0)
    if end_line and (end_line, end_column) < (line, column):
        end_line, end_column = line, column
    return SyntaxIssue(line, column, issue.message, end_line, end_column, issue.checker)


def check_syntax(code: str | bytes, lang: str, *, compiler: bool = True, filename: str = "<code>",
                 fragment: str = "file", max_errors: int = MAX_ERRORS) -> SyntaxReport:
    """Check ``code`` for syntax errors in ``lang``.

    ``compiler=False`` skips the language's own compiler (tree-sitter only). ``fragment`` says what the code is
    (see the module docstring): ``member`` accepts a constructor or a method without its class. At most
    ``max_errors`` errors are listed (``num_errors`` counts them all). The result is valid only when no checker
    found an error: invalid code is never reported as valid.
    """
    spec = get_spec(lang)
    wrapper = fragment_wrapper(spec.name, fragment)
    if wrapper != Wrapper():
        text = code.decode("utf-8", errors="replace") if isinstance(code, bytes) else code
        report = check_syntax(wrapper.wrap(text), spec.name, compiler=compiler, filename=filename,
                              max_errors=max_errors)
        lines = text.split("\n")
        return SyntaxReport(report.lang, report.valid, tuple(_unwrap(i, wrapper, lines) for i in report.errors),
                            report.num_errors)
    source = code.encode("utf-8") if isinstance(code, str) else bytes(code)
    tree = parser_for(spec.name).parse(nul_safe(source))
    issues, count = tree_errors(tree, source, max_errors)
    if compiler and spec.compiler_check:
        check = _COMPILERS.get(spec.compiler_check)
        if check is not None:
            found = check(source, filename)
            if found is not None:
                if not any(i.line == found.line for i in issues):
                    issues.append(found)
                    issues.sort(key=lambda i: (i.line, i.column))
                count = max(count, 1) if not issues else max(count, len(issues))
    return SyntaxReport(lang=spec.name, valid=not issues, errors=tuple(issues), num_errors=max(count, len(issues)))
