"""``graphcode check FILE... [--lang L]``: print ``path:line:col: message`` per syntax error.

Exit status: 0 every file is valid; 1 some file has syntax errors; 3 some file could not be read
(missing, binary, not UTF-8, too large; reported and skipped); 4 unknown language.
"""

from __future__ import annotations

import argparse
import sys

from graphcode.check import MAX_ERRORS, check_syntax
from graphcode.errors import GraphcodeError, InputError
from graphcode.graphs.cli import EMPTY, iter_sources
from graphcode.graphs.languages import get_spec, language_for_path
from graphcode.graphs.source import DEFAULT_MAX_BYTES, read_source


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="FILE", help="files or directories to check")
    p.add_argument("--lang", help="language of every file (default: from each file's extension)")
    p.add_argument("--no-compiler", action="store_true",
                   help="tree-sitter only: skip the language's own compiler check (Python's compile())")
    p.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES, help="refuse files larger than this")
    p.add_argument("--quiet", action="store_true", help="print nothing for valid files and no summary")
    p.add_argument("--max-errors", type=int, default=MAX_ERRORS, metavar="N",
                   help=f"errors listed per file, the rest counted (default: {MAX_ERRORS})")


def run(args: argparse.Namespace) -> int:
    lang = get_spec(args.lang).name if args.lang else None
    if args.max_errors < 1:
        raise InputError(f"--max-errors: expected an integer >= 1, found {args.max_errors}")
    checked = invalid = unreadable = 0
    for path, err in iter_sources(args.paths, lang):
        if err == EMPTY:
            checked += 1  # an empty file is valid source
            continue
        if err is not None:
            print(f"{err}", file=sys.stderr)
            unreadable += 1
            continue
        try:
            file_lang = lang or language_for_path(path)
            source = read_source(path, max_bytes=args.max_bytes, allow_empty=True,
                                 encoding_declarations=get_spec(file_lang).source_encoding == "pep263")
        except GraphcodeError as e:  # unreadable file or unknown extension: reported, skipped
            print(f"{e}", file=sys.stderr)
            unreadable += 1
            continue
        report = check_syntax(source, file_lang, compiler=not args.no_compiler, filename=path,
                              max_errors=args.max_errors)
        checked += 1
        if not report.valid:
            invalid += 1
            print(report.format(path))
            if report.num_errors > len(report.errors):
                print(f"{path}: ... and {report.num_errors - len(report.errors)} more errors")
    if not args.quiet:
        print(f"graphcode check: {checked} files checked, {invalid} with syntax errors, {unreadable} unreadable",
              file=sys.stderr)
    if unreadable:
        return InputError.exit_code
    return 1 if invalid else 0
