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

import functools
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import tree_sitter as ts

from graphcode.graphs.languages import LanguageSpec, get_spec, parser_for
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
    checks: tuple[str, ...] = ("tree-sitter",)
    """The checks that ran: ``tree-sitter``, ``branches`` (each configuration of preprocessor conditionals),
    ``python`` (``compile()``), a compiler's second opinion (``gcc``, ``g++``, ``node``), or ``grammar gaps``
    (valid code the grammar is known to reject, rewritten where it erred, when no compiler gave a verdict)."""

    def __bool__(self) -> bool:
        return self.valid

    def format(self, path: str = "<code>") -> str:
        return "\n".join(e.format(path) for e in self.errors)


def char_column(source: bytes, line_start: int, byte: int) -> int:
    """The 1-based column, in characters, of ``byte`` on the line that starts at byte ``line_start``."""
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
        return row + 1, char_column(self.source, self.starts[row], byte)


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
_CONDITIONAL = re.compile(rb"^[ \t]*#[ \t]*(if|ifdef|ifndef|elif|elifdef|elifndef|else|endif)\b(.*)$")
_CONSTANT = re.compile(rb"^[ \t]*(0|1|false|true)[ \t]*(//.*|/\*.*)?$")


def branch_configurations(source: bytes) -> list[bytes]:
    """The two configurations of a file's preprocessor conditionals (C, C++, C#), same size and line structure:
    every condition true (each group's first branch kept) and every condition false (each ``#else`` kept). The
    conditional directives and the branches not taken become spaces; ``#if 0`` and ``#if 1`` keep their meaning
    in both. Empty when the file has no conditional."""
    lines = source.split(b"\n")
    kinds: list[bytes | None] = []
    i = 0
    while i < len(lines):  # a directive continued with a backslash spans several lines
        m = _CONDITIONAL.match(lines[i])
        kinds.append(m.group(1) if m else None)
        if m:
            constant = _CONSTANT.match(m.group(2)) if m.group(1) in (b"if", b"elif") else None
            if constant:
                kinds[-1] += b"-" + (b"true" if constant.group(1) in (b"1", b"true") else b"false")
            while lines[i].rstrip().endswith(b"\\") and i + 1 < len(lines):
                i += 1
                kinds.append(b"continued")
        i += 1
    if not any(kinds):
        return []
    out = []
    for all_true in (True, False):
        stack: list[list[bool]] = []  # per open group: [this branch taken, a branch already taken]
        kept = []
        for line, kind in zip(lines, kinds, strict=True):
            if kind is None:
                kept.append(line if all(taken for taken, _ in stack) else b" " * len(line))
                continue
            name = kind.split(b"-")[0]
            fixed = kind.split(b"-")[1] if b"-" in kind else None
            if name in (b"if", b"ifdef", b"ifndef"):
                take = all_true if fixed is None else fixed == b"true"
                stack.append([take, take])
            elif name in (b"elif", b"elifdef", b"elifndef") and stack:
                take = (all_true if fixed is None else fixed == b"true") and not stack[-1][1]
                stack[-1] = [take, stack[-1][1] or take]
            elif name == b"else" and stack:
                stack[-1] = [not stack[-1][1], True]
            elif name == b"endif" and stack:
                stack.pop()
            kept.append(b" " * len(line))  # the directive itself (and its continuation lines)
        out.append(b"\n".join(kept))
    return out
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


def _lines_of(issues: list[SyntaxIssue]) -> frozenset[int]:
    """The lines the issues cover (1-based)."""
    return frozenset(line for issue in issues for line in range(issue.line, (issue.end_line or issue.line) + 1))


def _tree_sitter_issues(source: bytes, spec: LanguageSpec, max_errors: int, checks: list[str]
                        ) -> tuple[ts.Tree, list[SyntaxIssue], int]:
    """tree-sitter's errors in ``source`` (the tree, up to ``max_errors`` issues, their count); for a language with C's
    preprocessor, where the text has errors, those of each configuration of its conditionals (``branches`` is then
    added to ``checks``)."""
    tree = parser_for(spec.name).parse(nul_safe(source))
    issues, count = tree_errors(tree, source, max_errors)
    if issues and spec.extra.get("preprocessor") == "c":
        # Conditionals the grammar cannot see past: check each configuration of the branches instead. Errors in
        # either are real (in that configuration); errors of the mixed text alone are not.
        variants = branch_configurations(source)
        found: dict[tuple[int, int], SyntaxIssue] = {}
        for variant in variants:
            for issue in tree_errors(parser_for(spec.name).parse(nul_safe(variant)), variant, max_errors)[0]:
                found.setdefault((issue.line, issue.column), issue)
        if variants:
            checks.append("branches")
            issues = sorted(found.values(), key=lambda i: (i.line, i.column))[:max_errors]
            count = len(found)
    return tree, issues, count


def rewrite_grammar_gaps(source: bytes, tree: ts.Tree, gaps: list[Any], lines: frozenset[int]) -> bytes:
    """``source`` with each token of ``gaps`` (``grammars/<lang>/language.toml``'s ``[[grammar_gaps]]``: ``token``,
    ``with``, the same length, and ``as``, the node types the grammar reads it as) that starts on one of ``lines``
    (1-based) replaced. A token is a leaf of ``tree`` of one of those types whose text is ``token`` exactly, so
    strings and comments are left alone."""
    table: dict[tuple[str, bytes], bytes] = {}
    for gap in gaps:
        token, replacement = str(gap.get("token", "")).encode(), str(gap.get("with", "")).encode()
        kinds = gap.get("as")
        if not token or len(token) != len(replacement) or not isinstance(kinds, list) or not kinds:
            from graphcode.errors import ConfigError

            raise ConfigError("grammar_gaps: expected a token, a replacement of the same length and the node types "
                              f"it is read as (`as`), found {gap!r}")
        table.update({(str(kind), token): replacement for kind in kinds})
    out = bytearray(source)
    cursor = tree.walk()
    while True:
        node = cursor.node
        if node is not None and node.child_count == 0 and node.start_point[0] + 1 in lines:
            replacement = table.get((node.type, source[node.start_byte:node.end_byte]))
            if replacement is not None:
                out[node.start_byte:node.end_byte] = replacement
        if cursor.goto_first_child() or cursor.goto_next_sibling():
            continue
        while cursor.goto_parent():
            if cursor.goto_next_sibling():
                break
        else:
            return bytes(out)


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
                            report.num_errors, report.checks)
    source = code.encode("utf-8") if isinstance(code, str) else bytes(code)
    checks = ["tree-sitter"]
    tree, issues, count = _tree_sitter_issues(source, spec, max_errors, checks)
    verdict = None
    if issues and compiler and isinstance(spec.extra.get("second_opinion"), dict):
        verdict = second_opinion(source, spec.name, spec.extra["second_opinion"], filename, _lines_of(issues))
        if verdict is not None:
            name, error = verdict
            checks.append(name)
            if error is None:  # the compiler accepts what the grammar could not read (macros, say)
                issues, count = [], 0
            elif not any(i.line == error.line for i in issues):
                issues = sorted([*issues, error], key=lambda i: (i.line, i.column))
    gaps = spec.extra.get("grammar_gaps")
    if issues and verdict is None and isinstance(gaps, list):
        # No compiler has spoken: valid code the grammar is known to reject is rewritten where it erred, and parsed
        # again. The compiler, where it gives a verdict, is the better judge, so this comes after it.
        rewritten = rewrite_grammar_gaps(source, tree, gaps, _lines_of(issues))
        if rewritten != source:
            checks.append("grammar gaps")
            _, issues, count = _tree_sitter_issues(rewritten, spec, max_errors, [])
    if compiler and spec.compiler_check:
        check = _COMPILERS.get(spec.compiler_check)
        if check is not None:
            found = check(source, filename)
            if found is not None:
                if not any(i.line == found.line for i in issues):
                    issues.append(found)
                    issues.sort(key=lambda i: (i.line, i.column))
                count = max(count, 1) if not issues else max(count, len(issues))
            checks.append(spec.compiler_check)
    return SyntaxReport(lang=spec.name, valid=not issues, errors=tuple(issues), num_errors=max(count, len(issues)),
                        checks=tuple(checks))


def _find_include(header: str, folder: str, levels: int = 2) -> str | None:
    """The folder to put on the include path for ``header`` (``lua.h``, ``sys/x.h``): found under ``folder`` or up to
    ``levels`` folders above it (a project's dependencies), or None."""
    import os
    from pathlib import Path

    if not header or header.startswith("/") or ".." in Path(header).parts:
        return None
    root = Path(folder)
    for _ in range(levels):
        if (root / ".git").exists() or root.parent == root:
            break
        root = root.parent
    return _include_folder(header, os.fspath(root))


@functools.cache
def _include_folder(header: str, root: str) -> str | None:
    """The folder under ``root`` that holds ``header``, searched once per project and header (every file of a tree
    asks for the same ones)."""
    from pathlib import Path

    for candidate in sorted(Path(root).rglob(Path(header).name)):
        if candidate.as_posix().endswith("/" + header) and candidate.is_file():
            return str(candidate)[: -len(header) - 1]
    return None


def second_opinion(source: bytes, lang: str, settings: dict, filename: str,
                   suspect_lines: frozenset[int] = frozenset()) -> tuple[str, SyntaxIssue | None] | None:
    """Ask the language's compiler, as ``grammars/<lang>/language.toml``'s ``[second_opinion]`` declares it
    (``command`` with ``{file}`` and ``{dir}``, the file's ``suffix``, the ``inconclusive`` pattern of its output,
    and its ``error`` pattern with ``line``, ``column`` and ``message`` groups). Returns ``(name, None)`` when it
    accepts the code, ``(name, first error)`` when it rejects it, and ``None`` when there is no verdict: the tool
    is not installed, it timed out, or it stopped on something this machine lacks (an include file). Only errors
    in the checked file (the ``error`` pattern's ``file`` group) that do not match ``not_syntax`` (semantic errors:
    an undeclared name, a type mismatch) count, but a semantic error on one of ``suspect_lines`` (where tree-sitter
    found errors) counts too: a compiler that reports no error that counts accepts the syntax."""
    import os
    import shutil
    import subprocess
    import tempfile

    command = [str(part) for part in settings.get("command", [])]
    if not command or shutil.which(command[0]) is None:
        return None
    folder = os.path.dirname(os.path.abspath(filename)) if filename and filename != "<code>" else os.getcwd()
    includes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="graphcode-check-") as tmp:
        path = os.path.join(tmp, "code" + str(settings.get("suffix", "")))
        with open(path, "wb") as f:
            f.write(source)
        for _ in range(int(settings.get("include_retries", 0)) + 1):
            argv = [part.replace("{file}", path).replace("{dir}", folder) for part in command]
            argv[1:1] = [f"-I{d}" for d in includes]
            try:
                done = subprocess.run(argv, capture_output=True, timeout=float(settings.get("timeout", 30)),
                                      cwd=folder, stdin=subprocess.DEVNULL, check=False)
            except (OSError, subprocess.TimeoutExpired):
                return None
            output = (done.stdout + done.stderr).decode("utf-8", errors="replace")
            missing = re.search(str(settings.get("inconclusive") or "(?!)"), output, flags=re.MULTILINE)
            if done.returncode == 0 or missing is None:
                break
            # an include the project has elsewhere (a dependency's folder): look for it, as a build would pass it
            found = _find_include((missing.groupdict().get("header") or "").strip(), folder)
            if found is None or found in includes:
                return None  # this machine lacks it: no verdict
            includes.append(found)
    name = os.path.basename(command[0])
    if done.returncode == 0:
        return name, None
    if settings.get("inconclusive") and re.search(str(settings["inconclusive"]), output, flags=re.MULTILINE):
        return None
    # Errors that are the checked file's syntax: not in another file (a header's), and not what the language
    # declares semantic (name lookup, types, constant evaluation: -fsyntax-only runs them, a syntax check does not)
    not_syntax = str(settings.get("not_syntax") or "(?!)")
    # A semantic error on a line where tree-sitter found one may hide a syntax error there (``A`` alone: g++ stops at
    # "does not name a type" before the missing ``;``), so only those elsewhere are set aside
    error = re.compile(str(settings.get("error", r"(?P<message>.+)")), flags=re.MULTILINE)
    errors = [m for m in error.finditer(output)
              if os.path.basename(m.groupdict().get("file") or path) == os.path.basename(path)
              and not (re.search(not_syntax, m.groupdict().get("message") or m.group(0))
                       and int(m.groupdict().get("line") or 0) not in suspect_lines)]
    if not errors:  # with a file group, no error of the file's own syntax is an acceptance; without, no verdict
        return (name, None) if "file" in error.groupindex else None
    groups = errors[0].groupdict()
    line = int(groups.get("line") or 1)
    column = int(groups.get("column") or 1)
    return name, SyntaxIssue(line, column, f"{name}: {groups.get('message', '').strip()}", checker=name)
