"""Mining task records from source trees: ``graphcode mine SRC... --lang L --out FILE.jsonl``.

Language knowledge is a tree-sitter query, ``grammars/<lang>/mine.scm``; this engine is the same for
every language. The query's captures:

==================  ===================================================================================
``@mine.function``  a function (or method, constructor): one example at most per function node
``@mine.name``      its name (used in the record id)
``@mine.body``      its body; its non-comment children are the statements that ``completion`` splits
``@mine.doc``       its documentation: a docstring inside the body, or comments right above it. A
                    quantified capture (``(comment)+ @mine.doc``) gives consecutive comment lines; the
                    lines are kept only up to a blank line (the comment block touching the function).
                    When several patterns give a function a doc, the first pattern in the file wins.
==================  ===================================================================================

Tasks, each building ``source`` (what the model reads, and the graph's code) and ``target``:

- ``docstring-to-body``: source = the doc and the signature, up to the end of the doc (a docstring) or
  the start of the body (a comment above); target = the rest of the function.
- ``completion``: source = the function up to the statement in the middle of its body; target = the
  rest. Needs at least two statements besides a docstring.
- ``summarize``: source = the function without its docstring; target = the first paragraph of the doc
  with quotes and comment markers stripped (``\"\"\"``, ``/** */``, leading ``*``, ``//``, ``#``).

Functions are dedented by the column they start at, so a method reads like a top-level function.
Examples whose target has fewer than ``min_target_tokens`` normalised tokens (an empty body, ``pass``)
are skipped, as are examples longer than the character limits.

Then duplicates are removed (see :mod:`graphcode.data.dedup`: exact normalised-token hashes and
MinHash-Jaccard near duplicates of ``source + target``), in the order (relative path, position), so the
first of each group survives. Finally every file goes whole to one split, chosen by the SHA-256 of its
path relative to the source root (prefixed by the root folder's name when several roots are given), so
no file feeds two splits and the same tree always splits the same way. Because duplicates are removed
across the whole tree before splitting, no example has a duplicate in another split.

The default source is the Python standard library of this machine (``stdlib``:
``sysconfig.get_paths()["stdlib"]`` without ``site-packages`` and the test suites).
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import os
import re
import sys
import sysconfig
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal, NamedTuple

import tree_sitter as ts

from graphcode.data.dedup import Deduplicator, normalized_tokens
from graphcode.data.records import SPLITS, TaskRecord, write_jsonl
from graphcode.errors import ConfigError, GraphcodeError, InputError
from graphcode.graphs.languages import get_spec, parser_for, ts_language
from graphcode.graphs.source import read_source

Task = Literal["docstring-to-body", "completion", "summarize"]
TASKS: tuple[str, ...] = ("docstring-to-body", "completion", "summarize")
STDLIB = "stdlib"
"""The source name that stands for this machine's Python standard library."""
DEFAULT_EXCLUDE: tuple[str, ...] = ("site-packages", "dist-packages", "__pycache__", ".git", "node_modules")
"""Always excluded: a file is skipped when a pattern matches its relative path or one of its folders."""
STDLIB_EXCLUDE: tuple[str, ...] = ("test", "tests", "idle_test", "idlelib", "lib2to3", "turtledemo", "ensurepip")
"""Also excluded under ``stdlib``: test suites and bundled tools, whose functions rarely have docstrings."""


@dataclass
class MineConfig:
    """What to mine, and how to clean and split it."""

    sources: list[str] = field(default_factory=lambda: [STDLIB])
    """Source folders or files; ``stdlib`` is this machine's Python standard library."""
    lang: str = "python"
    """Language to mine: only files with its extensions are read, with ``grammars/<lang>/mine.scm``."""
    task: Task = "docstring-to-body"
    """``docstring-to-body``, ``completion`` or ``summarize`` (see :mod:`graphcode.data.mine`)."""
    exclude: list[str] = field(default_factory=list)
    """Glob patterns of files or folders to skip, besides the defaults (``site-packages``, ...)."""
    split_fractions: list[float] = field(default_factory=lambda: [0.8, 0.1, 0.1])
    """Shares of files for train, validation and test; they must sum to 1."""
    near_duplicate_threshold: float | None = 0.85
    """Jaccard similarity of normalised-token 3-gram sets at which two examples are near duplicates
    (only the first is kept); ``None`` removes exact duplicates only."""
    min_target_tokens: int = 4
    """Skip examples whose target has fewer normalised tokens (an empty body, ``pass``)."""
    max_source_chars: int | None = None
    """Skip examples whose source is longer (``None``: no limit)."""
    max_target_chars: int | None = None
    """Skip examples whose target is longer (``None``: no limit)."""
    max_file_bytes: int = 1 << 20
    """Skip (and report) source files larger than this."""

    def __post_init__(self) -> None:
        if isinstance(self.sources, str) or not self.sources or not all(isinstance(s, str) and s for s in self.sources):
            raise ConfigError(f"mine.sources: expected a non-empty list of paths (or 'stdlib'), found {self.sources!r}")
        get_spec(self.lang)  # raises UnknownLanguageError naming the choices
        if self.task not in TASKS:
            raise ConfigError(f"mine.task: expected one of {', '.join(TASKS)}, found {self.task!r}")
        fractions = list(self.split_fractions)
        if len(fractions) != 3 or any(not isinstance(f, (int, float)) or f < 0 for f in fractions) \
                or abs(sum(fractions) - 1) > 1e-6:
            raise ConfigError(
                f"mine.split_fractions: expected three non-negative shares (train, validation, test) summing "
                f"to 1, found {self.split_fractions!r}"
            )
        if self.near_duplicate_threshold is not None and not 0 < self.near_duplicate_threshold <= 1:
            raise ConfigError(
                f"mine.near_duplicate_threshold: expected a number in (0, 1] or null, found "
                f"{self.near_duplicate_threshold!r}"
            )
        for name in ("max_source_chars", "max_target_chars"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ConfigError(f"mine.{name}: expected a positive integer or null, found {value!r}")
        if not isinstance(self.min_target_tokens, int) or self.min_target_tokens < 0:
            raise ConfigError(f"mine.min_target_tokens: expected an integer >= 0, found {self.min_target_tokens!r}")
        if not isinstance(self.max_file_bytes, int) or self.max_file_bytes < 1:
            raise ConfigError(f"mine.max_file_bytes: expected a positive integer, found {self.max_file_bytes!r}")


# --------------------------------------------------------------------------- the query


@dataclass(frozen=True)
class FoundFunction:
    """A function the mining query found; spans are byte offsets ``[start, end)`` into the source."""

    start: int
    end: int
    name: str
    body: tuple[int, int]
    statements: tuple[tuple[int, int], ...]
    """Spans of the body's children that are not extras (comments) and not the docstring."""
    doc: tuple[int, int] | None
    """Span of the documentation (several comment lines: from the first to the last), or ``None``."""

    @property
    def doc_inside(self) -> bool:
        """Whether the doc is inside the function (a docstring) rather than above it (a comment)."""
        return self.doc is not None and self.doc[0] >= self.start


@cache
def mine_query(lang: str) -> ts.Query:
    """The compiled ``grammars/<lang>/mine.scm`` of a language."""
    spec = get_spec(lang)
    path = spec.folder / "mine.scm"
    text = spec.query_text("mine")
    if text is None:
        raise ConfigError(f"{path}: expected a mining query for {spec.name}, found no file "
                          f"(languages with one: {', '.join(languages_with_mining()) or 'none'})")
    try:
        query = ts.Query(ts_language(spec.name), text)
    except Exception as err:  # tree_sitter.QueryError and friends
        raise ConfigError(f"{path}: expected a valid tree-sitter query, found: {err}") from err
    names = {query.capture_name(i) for i in range(query.capture_count)}
    if "mine.function" not in names:
        raise ConfigError(f"{path}: expected a @mine.function capture, found only {sorted(names)}")
    return query


def languages_with_mining() -> list[str]:
    """Languages whose folder has a ``mine.scm``."""
    from graphcode.graphs.languages import available_languages

    return [lang for lang in available_languages() if (get_spec(lang).folder / "mine.scm").is_file()]


def _touching(docs: list[ts.Node], source: bytes, until: int) -> tuple[int, int] | None:
    """The span of the doc nodes that touch ``until`` without a blank line in between."""
    docs = sorted(docs, key=lambda n: n.start_byte)
    end = until
    first = None
    for node in reversed(docs):
        if source[node.end_byte:end].count(b"\n") > 1:
            break
        first = node
        end = node.start_byte
    if first is None:
        return None
    return first.start_byte, docs[-1].end_byte


def find_functions(source: bytes, lang: str, tree: ts.Tree | None = None) -> list[FoundFunction]:
    """Functions found by the language's mining query, in source order."""
    query = mine_query(lang)
    if tree is None:
        tree = parser_for(get_spec(lang).name).parse(source)
    found: dict[tuple[int, int, int], dict[str, object]] = {}
    for _pattern, caps in sorted(ts.QueryCursor(query).matches(tree.root_node), key=lambda m: m[0]):
        fns = caps.get("mine.function")
        if not fns:
            continue
        fn = fns[0]
        entry = found.setdefault((fn.start_byte, fn.end_byte, fn.kind_id), {"node": fn})
        if "name" not in entry and caps.get("mine.name"):
            entry["name"] = caps["mine.name"][0]
        if "body" not in entry and caps.get("mine.body"):
            entry["body"] = caps["mine.body"][0]
        if "doc" not in entry and caps.get("mine.doc"):
            entry["doc"] = caps["mine.doc"]
    out = []
    for (start, end, _), entry in sorted(found.items()):
        body = entry.get("body")
        if not isinstance(body, ts.Node):
            continue
        name_node = entry.get("name")
        name = name_node.text.decode("utf-8", "replace") if isinstance(name_node, ts.Node) else "<anonymous>"
        docs = entry.get("doc")
        doc = None
        if isinstance(docs, list) and docs:
            if docs[0].start_byte >= start:  # inside: a docstring
                doc = (min(n.start_byte for n in docs), max(n.end_byte for n in docs))
            else:  # comments above: keep the block that touches the function
                doc = _touching(docs, source, start)
        statements = tuple(
            (c.start_byte, c.end_byte)
            for c in body.named_children
            if not c.is_extra and not (doc is not None and c.start_byte <= doc[0] and doc[1] <= c.end_byte)
        )
        out.append(FoundFunction(start, end, name, (body.start_byte, body.end_byte), statements, doc))
    return out


# --------------------------------------------------------------------------- tasks

_QUOTED = re.compile(r"""^[rRbBuUfF]{0,2}("{3}|'{3}|"|')(.*)\1$""", re.S)
_COMMENT_LINE = re.compile(r"^\s*(?:\*(?!/)|///?!?|#+|--)\s?")


def clean_doc(text: str) -> str:
    """The first paragraph of a docstring or comment, without quotes and comment markers, on one line."""
    text = text.strip()
    quoted = _QUOTED.match(text)
    if quoted:
        text = quoted.group(2)
    text = re.sub(r"^/\*+!?", "", text)
    text = re.sub(r"\*+/$", "", text)
    lines = [_COMMENT_LINE.sub("", line).rstrip() for line in text.split("\n")]
    paragraph: list[str] = []
    for line in lines:
        if not line.strip():
            if paragraph:
                break
            continue
        paragraph.append(line.strip())
    return " ".join(" ".join(paragraph).split())


def _line_start(source: bytes, pos: int) -> int:
    return source.rfind(b"\n", 0, pos) + 1


def _dedent(text: str, column: int) -> str:
    """Remove up to ``column`` leading blanks from every line but the first (which starts mid-line)."""
    if column <= 0 or "\n" not in text:
        return text
    lines = text.split("\n")
    for i in range(1, len(lines)):
        line = lines[i]
        blank = len(line) - len(line.lstrip(" \t"))
        lines[i] = line[min(blank, column):]
    return "\n".join(lines)


class Example(NamedTuple):
    """A mined (source, target) pair and where it came from."""

    source: str
    target: str
    start: int
    """Byte offset of the example in its file (the function, or its doc above it)."""


def make_example(fn: FoundFunction, source: bytes, task: str) -> Example | None:
    """The example of one function for ``task``, or ``None`` when the function does not fit the task."""
    start = min(fn.start, fn.doc[0]) if fn.doc is not None else fn.start
    head = source[_line_start(source, start):start]
    column = len(head) if not head.strip() else 0

    def text(a: int, b: int) -> str:
        return _dedent(source[a:b].decode("utf-8", "replace"), column)

    if task == "docstring-to-body":
        if fn.doc is None:
            return None
        cut = max(fn.doc[1], fn.body[0]) if fn.doc_inside else fn.body[0]
        return Example(text(start, cut), text(cut, fn.end), start)
    if task == "completion":
        if len(fn.statements) < 2:
            return None
        cut = fn.statements[len(fn.statements) // 2][0]
        return Example(text(start, cut), text(cut, fn.end), start)
    if task == "summarize":
        if fn.doc is None:
            return None
        summary = clean_doc(source[fn.doc[0]:fn.doc[1]].decode("utf-8", "replace"))
        if not summary:
            return None
        if not fn.doc_inside:
            return Example(text(fn.start, fn.end), summary, fn.start)
        a, b = fn.doc
        line_a = _line_start(source, a)
        line_b = source.find(b"\n", b)
        line_b = fn.end if line_b < 0 or line_b > fn.end else line_b
        if not source[line_a:a].strip() and not source[b:line_b].strip():
            a, b = line_a, min(line_b + 1, fn.end)
        code = source[fn.start:a] + source[b:fn.end]
        return Example(_dedent(code.decode("utf-8", "replace").rstrip(), column), summary, fn.start)
    raise ConfigError(f"mine.task: expected one of {', '.join(TASKS)}, found {task!r}")


def _rest_of_body(fn: FoundFunction, source: bytes) -> str:
    """The body after the doc: what must be non-trivial for a docstring task."""
    start = max(fn.doc[1], fn.body[0]) if fn.doc is not None and fn.doc_inside else fn.body[0]
    return source[start:fn.end].decode("utf-8", "replace")


# --------------------------------------------------------------------------- files and splits


def stdlib_path() -> Path:
    """This machine's Python standard library folder."""
    return Path(sysconfig.get_paths()["stdlib"])


def _excluded(rel: str, patterns: tuple[str, ...]) -> bool:
    parts = rel.split("/")
    for pattern in patterns:
        if fnmatch.fnmatchcase(rel, pattern) or any(fnmatch.fnmatchcase(part, pattern) for part in parts):
            return True
    return False


@dataclass(frozen=True)
class SourceFile:
    """A file to mine and the relative path that names it (in ids and for the split)."""

    path: Path
    rel: str


def list_files(sources: list[str], lang: str, exclude: list[str] | tuple[str, ...] = ()) -> list[SourceFile]:
    """Files of ``lang`` under the sources, sorted by relative path; raises :class:`InputError` for a
    source that does not exist."""
    spec = get_spec(lang)
    exts = set(spec.extensions)
    roots: list[tuple[Path, tuple[str, ...]]] = []
    for src in sources:
        if src == STDLIB:
            if spec.name != "python":
                raise ConfigError(f"mine.sources: 'stdlib' is the Python standard library, found lang {spec.name!r}")
            roots.append((stdlib_path(), STDLIB_EXCLUDE))
        else:
            roots.append((Path(src), ()))
    out: list[SourceFile] = []
    for root, extra in roots:
        patterns = (*DEFAULT_EXCLUDE, *extra, *exclude)
        prefix = f"{root.resolve().name}/" if len(roots) > 1 else ""
        if root.is_file():
            out.append(SourceFile(root, prefix + root.name))
            continue
        if not root.is_dir():
            raise InputError(f"{root}: expected a source folder or file to mine, found nothing at that path")
        for folder, dirs, files in os.walk(root):
            rel_folder = Path(folder).relative_to(root).as_posix()
            rel_folder = "" if rel_folder == "." else rel_folder + "/"
            dirs[:] = sorted(d for d in dirs if not _excluded(rel_folder + d, patterns))
            for name in sorted(files):
                rel = rel_folder + name
                if Path(name).suffix.lower() in exts and not _excluded(rel, patterns):
                    out.append(SourceFile(Path(folder) / name, prefix + rel))
    out.sort(key=lambda f: f.rel)
    return out


def split_for(rel: str, fractions: list[float] | tuple[float, ...]) -> str:
    """The split of a file: ``train``, ``validation`` or ``test``, from the SHA-256 of its relative path."""
    u = int.from_bytes(hashlib.sha256(rel.encode("utf-8")).digest()[:8], "big") / 2**64
    acc = 0.0
    for name, share in zip(SPLITS, fractions, strict=True):
        acc += share
        if u < acc:
            return name
    return SPLITS[-1]


# --------------------------------------------------------------------------- mining


@dataclass
class MineResult:
    """The mined records (each with ``split`` and ``path`` in ``extra``) and what happened."""

    records: list[TaskRecord]
    files: int = 0
    """Files read."""
    skipped_files: list[str] = field(default_factory=list)
    """``path: reason`` of each file that could not be read or parsed."""
    functions: int = 0
    """Functions the query found."""
    filtered: Counter = field(default_factory=Counter)
    """Examples dropped, by reason (``no-doc``, ``short-target``, ``too-long``, ``exact``, ``near``)."""

    def split_counts(self) -> dict[str, int]:
        counts = Counter(r.extra.get("split") for r in self.records)
        return {name: counts.get(name, 0) for name in SPLITS}

    def summary(self) -> str:
        counts = self.split_counts()
        dropped = ", ".join(f"{k} {v}" for k, v in sorted(self.filtered.items())) or "none"
        return (
            f"{len(self.records)} examples from {self.functions} functions in {self.files} files "
            f"({len(self.skipped_files)} skipped); split train {counts['train']}, validation "
            f"{counts['validation']}, test {counts['test']}; dropped: {dropped}"
        )


def _iter_progress(items: list[SourceFile], progress: bool) -> Iterator[SourceFile]:
    if not progress:
        yield from items
        return
    from tqdm.auto import tqdm

    yield from tqdm(items, desc="mine", unit="file", file=sys.stderr)


def mine(config: MineConfig, *, progress: bool = False,
         report: Callable[[str], None] | None = None) -> MineResult:
    """Mine, deduplicate and split examples as ``config`` says. ``report`` receives one line per
    skipped file (default: nothing)."""
    lang = get_spec(config.lang).name
    mine_query(lang)  # a missing or broken query is the config's fault, not a file's
    files = list_files(config.sources, lang, config.exclude)
    dedup = Deduplicator(threshold=config.near_duplicate_threshold)
    result = MineResult(records=[])
    for item in _iter_progress(files, progress):
        try:
            data = read_source(item.path, max_bytes=config.max_file_bytes, allow_empty=True)
            functions = find_functions(data, lang)
        except (GraphcodeError, ValueError, RecursionError) as err:
            line = f"skipped {item.rel}: {err}"
            result.skipped_files.append(line)
            if report is not None:
                report(line)
            continue
        result.files += 1
        for fn in functions:
            result.functions += 1
            example = make_example(fn, data, config.task)
            if example is None:
                result.filtered["no-" + ("doc" if config.task != "completion" else "split")] += 1
                continue
            body = example.target if config.task != "summarize" else _rest_of_body(fn, data)
            if len(normalized_tokens(body)) < config.min_target_tokens:
                result.filtered["short-target"] += 1
                continue
            if (config.max_source_chars is not None and len(example.source) > config.max_source_chars) or (
                config.max_target_chars is not None and len(example.target) > config.max_target_chars
            ):
                result.filtered["too-long"] += 1
                continue
            verdict = dedup.offer(example.source + "\n" + example.target)
            if not verdict.keep:
                result.filtered[verdict.reason] += 1
                continue
            line = data.count(b"\n", 0, example.start) + 1
            result.records.append(TaskRecord(
                id=f"{item.rel}:{line}:{fn.name}",
                source=example.source,
                target=example.target,
                lang=lang,
                extra={"split": split_for(item.rel, config.split_fractions), "path": item.rel, "task": config.task},
            ))
    if not result.records:
        raise InputError(f"{', '.join(config.sources)}: expected {config.lang} functions that make "
                         f"{config.task} examples, found none ({result.summary()})")
    return result


# --------------------------------------------------------------------------- command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = MineConfig()
    parser.add_argument("sources", nargs="*", metavar="SRC",
                        help="source folders or files; 'stdlib' (the default for python) is this machine's "
                             "Python standard library")
    parser.add_argument("--lang", default="python", help="language to mine (default: python)")
    parser.add_argument("--out", required=True, help="output JSONL file (written atomically)")
    parser.add_argument("--task", choices=TASKS, default=defaults.task, help=f"default: {defaults.task}")
    parser.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                        help="skip files or folders matching GLOB (repeatable); always skipped: "
                             + ", ".join(DEFAULT_EXCLUDE))
    parser.add_argument("--split-fractions", nargs=3, type=float, default=defaults.split_fractions,
                        metavar=("TRAIN", "VAL", "TEST"), help="shares of files per split (default: 0.8 0.1 0.1)")
    parser.add_argument("--near-dup-threshold", default=str(defaults.near_duplicate_threshold),
                        help="MinHash-Jaccard threshold for near duplicates, or 'none' (default: 0.85)")
    parser.add_argument("--min-target-tokens", type=int, default=defaults.min_target_tokens)
    parser.add_argument("--max-source-chars", type=int, default=None)
    parser.add_argument("--max-target-chars", type=int, default=None)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    threshold_text = str(args.near_dup_threshold).strip().lower()
    try:
        threshold = None if threshold_text in ("none", "null", "off") else float(threshold_text)
    except ValueError:
        raise ConfigError(f"--near-dup-threshold: expected a number in (0, 1] or 'none', "
                          f"found {args.near_dup_threshold!r}") from None
    sources = list(args.sources)
    if not sources:
        if get_spec(args.lang).name != "python":
            raise ConfigError(f"SRC: expected at least one source folder for lang {args.lang!r}, found none "
                              "(the default, 'stdlib', is Python only)")
        sources = [STDLIB]
    config = MineConfig(
        sources=sources,
        lang=args.lang,
        task=args.task,
        exclude=list(args.exclude),
        split_fractions=list(args.split_fractions),
        near_duplicate_threshold=threshold,
        min_target_tokens=args.min_target_tokens,
        max_source_chars=args.max_source_chars,
        max_target_chars=args.max_target_chars,
    )
    result = mine(config, progress=not args.no_progress, report=lambda line: print(line, file=sys.stderr))
    write_jsonl(args.out, result.records)
    print(f"{args.out}: {result.summary()}", file=sys.stderr)
    return 0
