"""Are Python's semantic checks right? graphcode's undefined names against pyflakes', and the checks' cost.

On the standard-library sample of ``bench_graphs.py``, pyflakes' ``undefined name`` messages are the oracle:
each is found when graphcode reports ``undefined-name``, ``used-before-definition`` or ``possibly-undefined``
for the same name on the same line. Prints the share found (target: at least 95%), then every graphcode
finding of those rules that pyflakes does not report, by category (:data:`CATEGORIES`: a real issue, or a
documented difference), with examples; and, measured in the same run on the same files, the time of
``analyze(..., semantic=True)`` against building the graph with all edge kinds (target: at most 1.5x).

    .venv/bin/python benchmarks/bench_semantic_oracle.py              # the 734-file sample
    .venv/bin/python benchmarks/bench_semantic_oracle.py --show 5

pyflakes is a benchmark dependency (``graphcode[bench]``).
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_graphs import load, stdlib_files

from graphcode.analysis import analyze
from graphcode.graphs import GraphOptions, build_graph

TARGET = 0.95
NAME_RULES = ("undefined-name", "used-before-definition", "possibly-undefined")

CATEGORIES: dict[str, tuple[str, str]] = {
    # name: (who is right, what it is)
    "conditional-definition": ("graphcode (a warning)", "a name defined on some paths only (`if c: x = 1` / "
                               "`use(x)`, a name bound in a `try` and read after its handler): pyflakes "
                               "accepts any binding before the use; some path reaches the use undefined"),
    "loop-or-handler-order": ("graphcode (a warning)", "a name bound later in a loop body, or only in a try "
                              "body that may raise before binding it, read where the binding may not have "
                              "happened yet"),
    "class-body-fallback": ("pyflakes", "a class body reads a name it assigns later (`codec = codec`): Python "
                            "reads the enclosing or global binding; graphcode does not model the fall-back"),
    "del-then-read": ("graphcode", "a name read after a `del` on some path"),
    "except-as-unbound": ("graphcode", "a handler's `as` name read after the handler, which Python unbinds when "
                          "the handler ends: no path defines it there; pyflakes does not report it"),
    "module-order": ("graphcode", "a module-level name read before its definition, on some path (pyflakes "
                     "checks module-level order only for straight-line code)"),
    "name-error-guard": ("both", "a name read inside `try:` whose handler catches NameError, a deliberate probe: "
                         "pyflakes stays silent there, graphcode reports it"),
    "other": ("unclassified", "counted as a false finding"),
}


def _pyflakes_undefined(source: bytes, path: str) -> set[tuple[int, str]]:
    from pyflakes import checker, messages

    try:
        tree = ast.parse(source, filename=path)
    except (SyntaxError, ValueError):
        return set()
    w = checker.Checker(tree, filename=path)
    return {(m.lineno, m.message_args[0]) for m in w.messages
            if isinstance(m, (messages.UndefinedName, messages.UndefinedLocal))}


def _classify(source: bytes, line: int, name: str, code: str) -> str:
    lines = source.split(b"\n")
    text = lines[line - 1] if 0 < line <= len(lines) else b""
    indent = len(text) - len(text.lstrip())
    word = re.compile(rb"(?<![\w.])" + re.escape(name.encode()) + rb"(?!\w)")
    before = b"\n".join(lines[:line - 1])
    if re.search(rb"\bdel\b[^\n]*" + word.pattern, before):
        return "del-then-read"
    after = b"\n".join(lines[line:line + 6])
    if re.search(rb"except\s*\(?[^\n]*\bNameError\b", after):
        return "name-error-guard"
    if re.search(rb"except\b[^\n]*\bas\s+" + re.escape(name.encode()) + rb"\s*:", before):
        return "except-as-unbound"
    if code == "possibly-undefined":
        # the definitions: in a loop or try above the use, or in a branch
        defs = [i for i, ln in enumerate(lines[:line - 1]) if re.search(word.pattern + rb"\s*(=[^=]|,[^\n]*=[^=]|\bin\b)",
                                                                      ln) or re.search(rb"(import|def|class)\s[^\n]*"
                                                                                       + word.pattern, ln)]
        if indent == 0 and defs:
            return "module-order"
        return "conditional-definition" if defs else "loop-or-handler-order"
    if text[:indent].strip() == b"" and re.match(rb"\s*" + word.pattern + rb"\s*=\s*" + word.pattern, text):
        return "class-body-fallback"
    if code == "used-before-definition":
        return "module-order" if indent == 0 else "loop-or-handler-order"
    return "other"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=734, help="files from the standard library (0: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--show", type=int, default=2, help="examples to print per category")
    args = parser.parse_args()
    try:
        import pyflakes  # noqa: F401
    except ImportError:
        print("pyflakes is not installed: pip install 'graphcode[bench]'", file=sys.stderr)
        return 9
    items = load(stdlib_files(args.files, args.seed))
    oracle_total = found = 0
    missed: list[str] = []
    extra: Counter[str] = Counter()
    by_code: Counter[str] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    t_graph = t_analyze = 0.0
    for path, source in items:
        t = time.perf_counter()
        build_graph(source, "python", GraphOptions(max_bytes=None), path=path)
        t_graph += time.perf_counter() - t
        t = time.perf_counter()
        report = analyze(source, "python", path=path)
        t_analyze += time.perf_counter() - t
        # names as Python reads them (NFKC: `ｗｉｄｔｈ` is `width`), as pyflakes reports them
        ours = {(f.line, unicodedata.normalize("NFKC", f.name)): f.code for f in report.findings if f.code in NAME_RULES}
        for f in report.findings:
            by_code[f.code] += 1
        theirs = _pyflakes_undefined(source, path)
        oracle_total += len(theirs)
        for line, name in sorted(theirs):
            if (line, name) in ours:
                found += 1
            else:
                missed.append(f"{path}:{line}: {name}")
        for (line, name), code in sorted(ours.items()):
            if (line, name) not in theirs:
                category = _classify(source, line, name, code)
                extra[category] += 1
                if len(examples[category]) < args.show:
                    text = source.split(b"\n")[line - 1].decode("utf-8", "replace").strip()[:70]
                    examples[category].append(f"{path}:{line}: [{code}] {name}: {text}")
    share = found / max(oracle_total, 1)
    print(f"files: {len(items)}; findings by rule: " + ", ".join(f"{k} {v:,}" for k, v in sorted(by_code.items())))
    print(f"pyflakes' undefined names: {oracle_total:,}; found by graphcode {found:,} ({share:.1%}; target "
          f">= {TARGET:.0%}: {'met' if share >= TARGET else 'NOT met'})")
    for line in missed[:args.show * 5]:
        print(f"  missed: {line}")
    print(f"graphcode's name findings that pyflakes does not report: {sum(extra.values()):,}")
    for category, count in extra.most_common():
        who, what = CATEGORIES[category]
        print(f"  {category:24s} {count:6,}  right: {who}; {what}")
        for line in examples[category]:
            print(f"      {line}")
    print(f"time on the same files: graph with all edge kinds {t_graph:.2f} s, analyze(semantic) {t_analyze:.2f} s: "
          f"{t_analyze / max(t_graph, 1e-9):.2f}x (target <= 1.5x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
