"""``graphcode evaluate``: score predictions.

Modes, chosen by the inputs:

- ``--predictions P --references R``: line-aligned text files (one example per line, as CodeXGLUE): exact
  match, CodeXGLUE accuracy and BLEU, sacreBLEU; with ``--lang``, CodeBLEU and the syntax-valid rate.
  ``P`` may be ``graphcode predict``'s JSONL for the parallel files ``R`` belongs to (ids ``<file>:<line>``).
- ``--data RECORDS.jsonl --predictions P``: records ``{"id", "source", "target", "lang", "target_lang"?}``
  scored like text against ``target``; predictions are JSONL ``{"id", "prediction"}`` (matched by id) or a text
  file with one line per record. The language is ``--lang``, else each record's ``target_lang`` or ``lang``.
  ``--split NAME`` scores the records of one split of a file that holds several (``graphcode mine``'s).
- ``--data PROBLEMS.jsonl --predictions SAMPLES.jsonl``: HumanEval-form problems
  ``{"task_id", "prompt", "test", "entry_point"}`` and samples ``{"task_id", "completion"}``: pass@k for each
  ``--k`` no larger than the samples per problem. Running generated code is opt-in: ``--allow-exec``; each
  sample then runs in a fresh sandbox (see :mod:`graphcode.evaluate.sandbox`).

``--out DIR`` writes ``summary.json`` and ``examples.jsonl``; the table goes to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from graphcode.errors import ConfigError, InputError

if TYPE_CHECKING:
    from graphcode.evaluate.inputs import Problem
    from graphcode.evaluate.report import Report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--predictions", required=True, metavar="FILE",
                        help="predictions: text lines, or JSONL {id, prediction} / {task_id, completion}")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--references", metavar="FILE", help="reference text file, line-aligned with --predictions")
    source.add_argument("--data", metavar="FILE.jsonl",
                        help="records {id, source, target, lang, target_lang?} or HumanEval problems "
                             "{task_id, prompt, test, entry_point}")
    parser.add_argument("--lang", help="language of the predictions, for CodeBLEU and the syntax-valid rate "
                                       "(default: the records' target_lang or lang)")
    parser.add_argument("--fragment", choices=("file", "member", "block", "expression"),
                        help="what each prediction is, for the syntax check: a whole file, a class member (a method or "
                             "constructor without its class), statements or an expression (default: the records' "
                             "'fragment' field, else file)")
    parser.add_argument("--targets", choices=("code", "text"), default=None,
                        help="what the references are: code (BLEU, CodeBLEU, syntax validity) or text, such as summaries "
                             "(CodeXGLUE's code-to-text sentence BLEU, ROUGE-L; no syntax check) (default: text for "
                             "records whose task is summarize, else code)")
    parser.add_argument("--split", metavar="NAME",
                        help="with --data records: score the records whose 'split' field is NAME only")
    parser.add_argument("--k", default="1,10,100", metavar="K,K,...",
                        help="pass@k values; those above the samples per problem are left out (default: 1,10,100)")
    parser.add_argument("--allow-exec", action="store_true",
                        help="run generated code (HumanEval mode), each sample in a fresh sandbox")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                        help="wall-clock limit per sample; the CPU limit is the same, rounded up (default: 10)")
    parser.add_argument("--workers", type=int, default=1, metavar="N",
                        help="samples run at once, each in its own sandbox (default: 1)")
    parser.add_argument("--memory", type=int, default=1024, metavar="MiB",
                        help="address-space limit per sample process (default: 1024)")
    parser.add_argument("--out", metavar="DIR", help="write summary.json and examples.jsonl here")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _parse_ks(text: str) -> list[int]:
    try:
        ks = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ConfigError(f"--k: expected comma-separated positive integers such as 1,10,100, found {text!r}") from None
    if not ks or any(k < 1 for k in ks):
        raise ConfigError(f"--k: expected comma-separated positive integers such as 1,10,100, found {text!r}")
    return ks


def run(args: argparse.Namespace) -> int:
    from graphcode.evaluate import inputs, report

    show_progress = not args.quiet
    if args.references is not None:
        if args.split is not None:
            raise ConfigError("--split: expected --data records with a 'split' field, found --references lines")
        references = inputs.read_lines(args.references)
        if not references:
            raise InputError(f"{args.references}: expected one reference per line, found an empty file")
        if args.predictions.endswith(".jsonl"):
            predictions = inputs.read_predictions_by_line(args.predictions, args.references, len(references))
        else:
            predictions = inputs.read_lines(args.predictions)
            inputs.aligned(args.predictions, predictions, args.references, len(references), "line")
        result = report.score_text(references, predictions, [args.lang] * len(predictions), None, show_progress,
                                   fragments=[args.fragment or "file"] * len(predictions),
                                   text_targets=args.targets == "text")
    else:
        rows = inputs.read_jsonl(args.data)
        if inputs.is_problem_file(rows):
            result = _execute(args, inputs.read_problems(args.data, rows), show_progress)
        else:
            records = inputs.read_records(args.data, rows, split=args.split)
            ids = [r.id for r in records]
            if args.predictions.endswith(".jsonl"):
                predictions = inputs.read_predictions_by_id(args.predictions, ids)
            else:
                predictions = inputs.read_lines(args.predictions)
                inputs.aligned(args.predictions, predictions, args.data, len(records), "record")
            langs = [args.lang or r.output_lang for r in records]
            prefixes = [r.source if r.continues_source else "" for r in records]
            fragments = [args.fragment or r.fragment or "file" for r in records]
            text = args.targets == "text" if args.targets else all(r.task == "summarize" for r in records)
            result = report.score_text([r.target for r in records], predictions, langs, ids, show_progress,
                                       prefixes=prefixes, fragments=fragments, text_targets=text)

    print(report.format_table(result))
    if args.out:
        summary_path, examples_path = report.write_report(result, args.out)
        print(f"wrote {summary_path} and {examples_path}", file=sys.stderr)
    return 0


def _execute(args: argparse.Namespace, problems: list[Problem], show_progress: bool) -> Report:
    from graphcode.evaluate import inputs, report
    from graphcode.evaluate.sandbox import Sandbox, SandboxLimits

    ks = _parse_ks(args.k)
    if not args.allow_exec:
        raise ConfigError(
            f"{args.data} holds HumanEval-form problems: scoring them runs the generated code, which is opt-in; "
            "pass --allow-exec to run each sample in a fresh sandbox (see graphcode.evaluate.sandbox)"
        )
    samples = inputs.read_samples(args.predictions, {p.task_id for p in problems})
    attempted = {s.task_id for s in samples}
    missing = [p.task_id for p in problems if p.task_id not in attempted]
    if missing:
        raise InputError(
            f"{args.predictions}: expected at least one sample for every problem of {args.data}, found none for "
            f"{len(missing)} of {len(problems)} (first: {missing[0]!r})"
        )
    if args.timeout <= 0 or args.memory <= 0:
        raise ConfigError(f"--timeout and --memory: expected positive numbers, found {args.timeout} and {args.memory}")
    limits = SandboxLimits(timeout_s=args.timeout, cpu_s=max(1, int(-(-args.timeout // 1))),
                           memory_bytes=args.memory << 20)
    if args.workers < 1:
        raise ConfigError(f"--workers: expected an integer >= 1, found {args.workers}")
    return report.score_execution(problems, samples, ks, Sandbox(limits), show_progress, workers=args.workers)
