"""``graphcode check FILE... [--lang L] [--semantic] [--security] [--format text|json|sarif]``: syntax errors,
and with ``--semantic`` and ``--security`` the findings of :mod:`graphcode.analysis`, per file.

Text prints ``path:line:col: message`` per syntax error and ``path:line:col: severity [code] message`` per
finding; ``json`` one document with every file; ``sarif`` a SARIF 2.1.0 log (what code-scanning tools read).

Exit status: 0 every file is valid and has no finding at ``--fail-on`` or worse; 1 some file has syntax errors
or such findings; 3 some file could not be read (missing, binary, not UTF-8, too large; reported and skipped);
4 unknown language.
"""

from __future__ import annotations

import argparse
import json
import sys

from graphcode.analysis.findings import SEVERITIES, AnalysisReport, to_sarif
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
    p.add_argument("--semantic", action="store_true",
                   help="also report undefined names, names some path leaves undefined, and unused variables")
    p.add_argument("--security", action="store_true",
                   help="also run the language's security rules (grammars/<lang>/security.scm), with data-flow "
                        "confidence")
    p.add_argument("--format", choices=("text", "json", "sarif"), default="text", help="output (default: text)")
    p.add_argument("--fail-on", choices=SEVERITIES, default="error",
                   help="exit 1 on a finding of this severity or worse (default: error)")


def run(args: argparse.Namespace) -> int:
    lang = get_spec(args.lang).name if args.lang else None
    if args.max_errors < 1:
        raise InputError(f"--max-errors: expected an integer >= 1, found {args.max_errors}")
    checked = invalid = unreadable = failing = 0
    text = args.format == "text"
    results: list[dict] = []
    analyses: list[tuple[str, AnalysisReport]] = []
    without_rules: set[str] = set()
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
            if text:
                print(report.format(path))
                if report.num_errors > len(report.errors):
                    print(f"{path}: ... and {report.num_errors - len(report.errors)} more errors")
        analysis = AnalysisReport(lang=file_lang)
        if args.semantic or args.security:
            from graphcode.analysis import analyze

            analysis = analyze(source, file_lang, semantic=args.semantic, security=args.security, path=path)
            if args.semantic and "semantic" not in analysis.checks:
                without_rules.add(f"{file_lang} has no semantic rules (no data-flow queries)")
            if args.security and "security" not in analysis.checks:
                without_rules.add(f"{file_lang} has no security rules (no security.scm)")
            if analysis.at_least(args.fail_on):
                failing += 1
            if text and analysis.findings:
                print(analysis.format(path))
        analyses.append((path, analysis))
        results.append({"path": path, "lang": file_lang, "valid": report.valid,
                        "syntax_errors": [vars(e) for e in report.errors], "num_syntax_errors": report.num_errors,
                        "findings": analysis.to_dict()["findings"], "checks": [*report.checks, *analysis.checks]})
    for why in sorted(without_rules):
        print(f"graphcode check: {why}: its files were not checked for it", file=sys.stderr)
    if args.format == "json":
        print(json.dumps({"files": results}, indent=1))
    elif args.format == "sarif":
        from graphcode.analysis import rule_descriptions

        rules: dict[str, str] = {}
        for lang_name in sorted({a.lang for _, a in analyses}):
            rules.update(rule_descriptions(lang_name if args.security else None))
        print(json.dumps(to_sarif(analyses, rules), indent=1))
    if not args.quiet:
        found = sum(len(a.findings) for _, a in analyses)
        extra = f", {found} findings ({failing} files with one at '{args.fail_on}' or worse)" \
            if args.semantic or args.security else ""
        print(f"graphcode check: {checked} files checked, {invalid} with syntax errors, {unreadable} unreadable{extra}",
              file=sys.stderr)
    if unreadable:
        return InputError.exit_code
    return 1 if invalid or failing else 0
