"""How often ``graphcode check`` calls real, compiling code invalid: point it at source trees.

    .venv/bin/python benchmarks/bench_check_trees.py TREE[:LANG] ...
    # e.g. redis/src  fmt:cpp  Newtonsoft.Json   (fetch them first; the trees are not part of graphcode)

Every file in each tree is code its project compiles, so every file reported invalid is a false positive. For
each tree the benchmark prints the files checked, the share reported invalid with tree-sitter alone, with the
preprocessor branches, and with the compiler's second opinion where the machine has one (graphcode's default),
each in the same run, and the files still reported. Target: at most 1% per tree. No assertion.
"""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from unittest import mock

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from graphcode import check  # noqa: E402
from graphcode.errors import GraphcodeError  # noqa: E402
from graphcode.graphs.cli import iter_sources  # noqa: E402
from graphcode.graphs.languages import get_spec, language_for_path  # noqa: E402
from graphcode.graphs.source import read_source  # noqa: E402


def invalid_files(files: list[tuple[str, str, bytes]], mode: str) -> list[str]:
    """The files reported invalid with ``mode``: ``tree-sitter``, ``branches`` or ``default``."""
    with ExitStack() as stack:
        if mode in ("tree-sitter", "branches"):
            stack.enter_context(mock.patch.object(check, "second_opinion", lambda *a: None))
        if mode == "tree-sitter":
            stack.enter_context(mock.patch.object(check, "branch_configurations", lambda _: []))
        return [path for path, lang, data in files if not check.check_syntax(data, lang, filename=path).valid]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("trees", nargs="+", metavar="TREE[:LANG]")
    parser.add_argument("--show", type=int, default=5, help="files still reported, shown per tree (default: 5)")
    args = parser.parse_args(argv)
    for item in args.trees:
        tree, _, lang = item.partition(":")
        files = []
        for path, err in iter_sources([tree], lang or None):
            if err is not None:
                continue
            file_lang = lang or language_for_path(path)
            try:
                data = read_source(path, allow_empty=True, encoding_declarations=get_spec(file_lang).source_encoding == "pep263")
            except GraphcodeError:
                continue
            files.append((path, file_lang, data))
        print(f"{tree} ({len(files)} files{', as ' + lang if lang else ''})")
        for mode in ("tree-sitter", "branches", "default"):
            start = time.perf_counter()
            bad = invalid_files(files, mode)
            share = 100 * len(bad) / max(len(files), 1)
            print(f"  {mode:<12} {len(bad):4d} reported invalid = {share:5.2f}%  ({time.perf_counter() - start:.1f} s)")
        by_path = {path: (file_lang, data) for path, file_lang, data in files}
        for path in bad[: args.show]:
            file_lang, data = by_path[path]
            first = check.check_syntax(data, file_lang, filename=path).errors[:1]
            print(f"    {path}: {first[0].message if first else '?'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
