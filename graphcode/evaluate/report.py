"""Evaluation reports: compute the metrics of a run, print them as a table, write them to a folder.

Two kinds of run:

- :func:`score_text`: predictions against references (line-aligned text or id-matched records): exact match,
  CodeXGLUE accuracy and BLEU, sacreBLEU, CodeBLEU and the syntax-valid rate, with per-example rows;
- :func:`score_execution`: HumanEval-form samples run in the sandbox, with pass@k.

An output folder gets ``summary.json`` and ``examples.jsonl``, each written atomically (a temporary file in
the same folder, flushed to disk, then renamed over the destination), so an interrupted run never leaves
half a file.
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from graphcode.evaluate.bleu import (
    codexglue_accuracy,
    codexglue_bleu,
    normalize_whitespace,
    rouge_l,
    sacre_bleu,
    sentence_bleu,
)
from graphcode.evaluate.inputs import Problem, Sample
from graphcode.evaluate.passk import mean_pass_at_k
from graphcode.evaluate.sandbox import Sandbox

T = TypeVar("T")
MAX_SAVED_OUTPUT = 2000
"""Characters of a sample's output kept in ``examples.jsonl``."""


@dataclass(frozen=True)
class Report:
    """What a run found: ``summary`` (JSON-ready), one row per example, and notes for the reader."""

    summary: dict[str, Any]
    examples: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)


def progress(items: Iterable[T], total: int, desc: str, enabled: bool) -> Iterator[T]:
    """A tqdm progress bar on stderr (hidden when ``enabled`` is False or stderr is not a terminal)."""
    if not enabled:
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, total=total, desc=desc, file=sys.stderr, disable=None, leave=False)


# --- text metrics ----------------------------------------------------------------------------------------------


def _canonical_lang(lang: str) -> str:
    """The language registry's canonical name (``cs`` → ``c_sharp``); raises UnknownLanguageError."""
    from graphcode.check import check_syntax

    return check_syntax("", lang).lang


def score_text(
    references: Sequence[str],
    predictions: Sequence[str],
    langs: Sequence[str | None],
    ids: Sequence[str] | None = None,
    show_progress: bool = True,
    prefixes: Sequence[str] | None = None,
    codebleu: bool = True,
    fragments: Sequence[str] | None = None,
    text_targets: bool = False,
    analysis: bool = True,
) -> Report:
    """Exact match, CodeXGLUE accuracy and BLEU, sacreBLEU; CodeBLEU and the syntax-valid rate for the examples
    whose language is known (``langs[i]``, None when unknown), grouped by language. ``prefixes[i]``, when
    given, is code the prediction continues: the syntax check reads the prefix and the prediction together.
    ``codebleu=False`` leaves CodeBLEU out (``null``), for frequent scoring during training. ``fragments[i]``
    says what prediction ``i`` is for the syntax check (``file``, ``member``, ...; default: a whole file).

    ``text_targets``: the references are natural language (summaries). They are scored with CodeXGLUE's code-to-text
    smoothed sentence BLEU-4 (``sentence_bleu``) and ROUGE-L (``rouge_l``) besides exact match, and never with
    CodeBLEU or a syntax check (``langs`` is ignored).

    ``analysis`` (code targets with a language): each prediction is also analysed (:mod:`graphcode.analysis`,
    semantic and security rules, as its fragment), and the summary gives, per language, ``semantic_clean`` (the
    share of predictions that are valid code without a semantic error) and ``security_clean`` (the share without
    a security finding of a rule of each severity or worse: ``high``, ``medium``, ``low``; an empty prediction
    has none)."""
    from graphcode.check import check_syntax

    if text_targets:
        langs = [None] * len(predictions)
    n = len(predictions)
    canonical = {lang: _canonical_lang(lang) for lang in set(langs) if lang is not None}
    examples: list[dict[str, Any]] = []
    by_lang: dict[str, list[int]] = defaultdict(list)
    for i in progress(range(n), n, "scoring", show_progress):
        ref, pred = references[i], predictions[i]
        lang = canonical.get(langs[i]) if langs[i] is not None else None
        row: dict[str, Any] = {"index": i}
        if ids is not None:
            row["id"] = ids[i]
        row["exact_match"] = normalize_whitespace(pred) == normalize_whitespace(ref)
        row["bleu"] = codexglue_bleu([ref], [pred]).score
        if text_targets:
            row["sentence_bleu"] = 100.0 * sentence_bleu(ref, pred)
        if lang is not None:
            by_lang[lang].append(i)
            row["lang"] = lang
            if not pred.strip():  # nothing generated (no valid candidate): never counted as valid code
                row["syntax_valid"] = False
                row["syntax_errors"] = [{"line": 1, "column": 1, "message": "empty prediction"}]
            else:
                report = check_syntax((prefixes[i] if prefixes is not None else "") + pred, lang,
                                      fragment=fragments[i] if fragments is not None else "file")
                row["syntax_valid"] = report.valid
                row["syntax_errors"] = [{"line": e.line, "column": e.column, "message": e.message}
                                        for e in report.errors]
            if analysis:
                _analyse(row, (prefixes[i] if prefixes is not None else "") + pred, lang,
                         fragments[i] if fragments is not None else "file")
        examples.append(row)

    bleu = codexglue_bleu(references, predictions)
    sacre = sacre_bleu(references, predictions)
    summary: dict[str, Any] = {
        "mode": "text",
        "examples": n,
        "exact_match": 100.0 * sum(r["exact_match"] for r in examples) / n if n else 0.0,
        "codexglue_accuracy": codexglue_accuracy(references, predictions),
        "bleu": asdict(bleu),
        "sacrebleu": asdict(sacre),
        "codebleu": None,
        "syntax_valid": None,
        "targets": "text" if text_targets else "code",
    }
    notes: list[str] = []
    if text_targets:
        summary["sentence_bleu"] = sum(r["sentence_bleu"] for r in examples) / n if n else 0.0
        summary["rouge_l"] = rouge_l(references, predictions)
    elif by_lang:
        if codebleu:
            summary["codebleu"], notes = _codebleu_by_lang(references, predictions, by_lang)
        summary["syntax_valid"] = {
            lang: {
                "rate": 100.0 * sum(examples[i]["syntax_valid"] for i in indices) / len(indices),
                "valid": sum(examples[i]["syntax_valid"] for i in indices),
                "examples": len(indices),
            }
            for lang, indices in sorted(by_lang.items())
        }
        if analysis:
            from graphcode.analysis import security_rules, semantic_rules

            semantic = {lang: ix for lang, ix in sorted(by_lang.items()) if semantic_rules(lang) is not None}
            security = {lang: ix for lang, ix in sorted(by_lang.items()) if security_rules(lang) is not None}
            summary["semantic_clean"], _ = _clean_shares(examples, semantic)
            _, summary["security_clean"] = _clean_shares(examples, security)
            notes.extend(f"{lang}: no {what} rules, so no {what} figures" for what, have in
                         (("semantic", semantic), ("security", security)) for lang in sorted(set(by_lang) - set(have)))
    else:
        notes.append("CodeBLEU and the syntax-valid rate need a language: pass --lang (or give records a lang)")
    return Report(summary, examples, notes)


_LEVEL_FLOOR = {"high": ("error",), "medium": ("error", "warning"), "low": ("error", "warning", "note")}


def _analyse(row: dict[str, Any], code: str, lang: str, fragment: str) -> None:
    """Add a prediction's semantic errors and security findings to its row (none for an empty prediction)."""
    from graphcode.analysis import analyze_fragment
    from graphcode.errors import GraphcodeError

    row["semantic_errors"], row["security_findings"] = [], []
    if code.strip():
        try:
            found = analyze_fragment(code, lang, fragment, semantic=True, security=True).findings
        except GraphcodeError as err:  # a prediction the analyses cannot read: no clean verdict for it
            row["semantic_errors"] = [{"code": "unreadable", "line": 1, "message": str(err)}]
            found = ()
        for f in found:
            if f.cwe:
                row["security_findings"].append({"code": f.code, "severity": f.severity, "cwe": f.cwe,
                                                 "confidence": f.confidence, "line": f.line})
            elif f.severity == "error":
                row["semantic_errors"].append({"code": f.code, "line": f.line, "message": f.message})
    row["semantic_clean"] = bool(row.get("syntax_valid")) and not row["semantic_errors"]


def _security_clean(row: dict[str, Any], level: str) -> bool:
    return not any(f["severity"] in _LEVEL_FLOOR[level] for f in row.get("security_findings", ()))


def _clean_shares(examples: list[dict[str, Any]], by_lang: dict[str, list[int]]
                  ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Per language: the share of analysed examples that are valid without a semantic error, and the share
    without a security finding of each severity or worse; ``None`` for no language."""
    semantic = {lang: {"rate": 100.0 * sum(examples[i]["semantic_clean"] for i in ix) / len(ix),
                       "clean": sum(examples[i]["semantic_clean"] for i in ix), "examples": len(ix)}
                for lang, ix in by_lang.items() if ix}
    security = {lang: {**{level: 100.0 * sum(_security_clean(examples[i], level) for i in ix) / len(ix)
                          for level in ("high", "medium", "low")}, "examples": len(ix)}
                for lang, ix in by_lang.items() if ix}
    return semantic or None, security or None


def _clean_rows(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """The table rows of the analysis shares."""
    rows = [(f"valid, no semantic error [{lang}] %", f"{c['rate']:.2f}  ({c['clean']} of {c['examples']})")
            for lang, c in (summary.get("semantic_clean") or {}).items()]
    rows += [(f"no security finding [{lang}] %", f"high {c['high']:.2f} · medium+ {c['medium']:.2f} · any {c['low']:.2f}")
             for lang, c in (summary.get("security_clean") or {}).items()]
    return rows


def _codebleu_by_lang(
    references: Sequence[str], predictions: Sequence[str], by_lang: dict[str, list[int]]
) -> tuple[dict[str, Any], list[str]]:
    from graphcode.evaluate.codebleu import codebleu, codebleu_languages

    supported = codebleu_languages()
    results: dict[str, Any] = {}
    notes = []
    for lang, indices in sorted(by_lang.items()):
        if lang not in supported:
            results[lang] = None
            notes.append(f"CodeBLEU: the codebleu package has no {lang}; it supports {', '.join(supported)}")
            continue
        score = codebleu([references[i] for i in indices], [predictions[i] for i in indices], lang)
        results[lang] = asdict(score)
        if score.dataflow_degenerate:
            notes.append(f"CodeBLEU [{lang}]: the references have no data flow; the data-flow match counts as 0")
    return results, notes


def headline(report: Report) -> dict[str, float]:
    """The scalar task metrics of a text report, as training logs them: ``exact_match`` and ``bleu`` (CodeXGLUE's
    BLEU-4), and where the targets are code in a known language, ``codebleu`` and ``syntax_valid`` (the rate of
    valid outputs), and when they were analysed ``semantic_clean`` (valid without a semantic error) and
    ``security_clean`` (no finding of a high-severity security rule); for text targets ``bleu`` is CodeXGLUE's
    code-to-text sentence BLEU and ``rouge_l`` is added.
    Each a percentage in [0, 100]. With several languages, CodeBLEU is the mean over them and
    the valid rate is over all examples."""
    s = report.summary
    if s.get("targets") == "text":  # summaries: the task's own BLEU (per sentence) and ROUGE-L
        return {"exact_match": float(s["exact_match"]), "bleu": float(s["sentence_bleu"]), "rouge_l": float(s["rouge_l"])}
    out = {"exact_match": float(s["exact_match"]), "bleu": float(s["bleu"]["score"])}
    scores = [v["codebleu"] for v in (s["codebleu"] or {}).values() if v is not None]
    if scores:
        out["codebleu"] = sum(scores) / len(scores)
    valid = s["syntax_valid"] or {}
    if valid:
        total = sum(v["examples"] for v in valid.values())
        out["syntax_valid"] = 100.0 * sum(v["valid"] for v in valid.values()) / total
    clean = s.get("semantic_clean") or {}
    if clean:
        out["semantic_clean"] = 100.0 * sum(v["clean"] for v in clean.values()) / sum(v["examples"] for v in clean.values())
    secure = s.get("security_clean") or {}
    if secure:
        out["security_clean"] = sum(v["high"] * v["examples"] for v in secure.values()) / sum(
            v["examples"] for v in secure.values())
    return out


# --- execution -------------------------------------------------------------------------------------------------


def score_execution(
    problems: Sequence[Problem],
    samples: Sequence[Sample],
    ks: Sequence[int],
    sandbox: Sandbox,
    show_progress: bool = True,
    workers: int = 1,
) -> Report:
    """Run every sample in a fresh sandbox and estimate pass@k for each ``k`` no larger than every problem's
    sample count. ``workers`` samples run at once, each in its own sandbox (:meth:`Sandbox.for_worker`); the
    report is the same as a serial run's, in the samples' order. Beside pass@k, each program (the prompt and the
    completion, Python) is analysed: ``semantic_clean`` is the share of samples that are valid code without a
    semantic error, ``security_clean`` the share without a security finding of each severity or worse."""
    from graphcode.check import check_syntax

    by_id = {p.task_id: p for p in problems}
    examples: list[dict[str, Any]] = []
    per_task: dict[str, list[bool]] = defaultdict(list)
    statuses: Counter[str] = Counter()
    isolation: list[str] = []
    for sample, result in progress(_run_samples(samples, by_id, sandbox, workers), len(samples), "executing",
                                   show_progress):
        per_task[sample.task_id].append(result.passed)
        statuses[result.status.value] += 1
        isolation = isolation or list(result.isolation)
        row = {
            "task_id": sample.task_id,
            "sample_index": len(per_task[sample.task_id]) - 1,
            "status": result.status.value,
            "passed": result.passed,
            "returncode": result.returncode,
            "duration_s": round(result.duration_s, 4),
            "output": result.output[:MAX_SAVED_OUTPUT],
        }
        program = by_id[sample.task_id].prompt + sample.completion if sample.task_id in by_id else sample.completion
        row["syntax_valid"] = check_syntax(program, "python").valid if program.strip() else False
        _analyse(row, program, "python", "file")
        examples.append(row)
    counts = [(len(per_task[p.task_id]), sum(per_task[p.task_id])) for p in problems]
    pass_at = mean_pass_at_k(counts, ks)
    notes = []
    skipped = sorted(set(ks) - {r.k for r in pass_at})
    if skipped:
        notes.append(
            f"pass@k left out for k in {skipped}: expected k <= the smallest number of samples per problem "
            f"({min(n for n, _ in counts)})"
        )
    summary = {
        "mode": "execution",
        "problems": len(problems),
        "samples": len(samples),
        "pass_at_k": {f"pass@{r.k}": 100.0 * r.score for r in pass_at},
        "statuses": dict(sorted(statuses.items())),
        "isolation": isolation,
        "limits": asdict(sandbox.limits),
    }
    if examples:
        summary["semantic_clean"], summary["security_clean"] = _clean_shares(examples,
                                                                             {"python": list(range(len(examples)))})
    return Report(summary, examples, notes)


def _run_samples(samples: Sequence[Sample], problems: dict[str, Problem], sandbox: Sandbox,
                 workers: int) -> Iterator[tuple[Sample, Any]]:
    """``(sample, result)`` in the samples' order, run by ``workers`` threads, each with a sandbox of its own (the
    threads only wait: every sample runs in its own sandboxed processes)."""

    def run(sandbox_: Sandbox, sample: Sample) -> Any:
        problem = problems[sample.task_id]
        return sandbox_.run_problem(problem.prompt, sample.completion, problem.test, problem.entry_point)

    if workers <= 1:
        for sample in samples:
            yield sample, run(sandbox, sample)
        return
    import queue
    from concurrent.futures import ThreadPoolExecutor

    free: queue.Queue[Sandbox] = queue.Queue()
    for index in range(workers):
        free.put(sandbox.for_worker(index))

    def job(sample: Sample) -> Any:
        mine = free.get()
        try:
            return run(mine, sample)
        finally:
            free.put(mine)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sandbox") as pool:
        yield from zip(samples, pool.map(job, samples), strict=True)


# --- output ----------------------------------------------------------------------------------------------------


def format_table(report: Report) -> str:
    """The summary as a two-column table for people."""
    s = report.summary
    rows: list[tuple[str, str]] = []
    if s["mode"] == "text":
        rows.append(("examples", str(s["examples"])))
        rows.append(("exact match (whitespace-normalised) %", f"{s['exact_match']:.2f}"))
        rows.append(("CodeXGLUE accuracy %", f"{s['codexglue_accuracy']:.2f}"))
        rows.append(("CodeXGLUE BLEU-4 (smoothed)", f"{s['bleu']['score']:.2f}"))
        rows.append(("sacreBLEU", f"{s['sacrebleu']['score']:.2f}  ({s['sacrebleu']['signature']})"))
        if s.get("targets") == "text":
            rows.append(("CodeXGLUE code-to-text BLEU-4 (per sentence)", f"{s['sentence_bleu']:.2f}"))
            rows.append(("ROUGE-L F %", f"{s['rouge_l']:.2f}"))
        for lang, score in (s["codebleu"] or {}).items():
            if score is None:
                rows.append((f"CodeBLEU [{lang}]", "n/a"))
                continue
            parts = (
                f"ngram {score['ngram_match']:.2f} · weighted {score['weighted_ngram_match']:.2f} · "
                f"syntax {score['syntax_match']:.2f} · dataflow {score['dataflow_match']:.2f}"
            )
            rows.append((f"CodeBLEU [{lang}]", f"{score['codebleu']:.2f}  ({parts})"))
        for lang, valid in (s["syntax_valid"] or {}).items():
            rows.append((f"syntax valid [{lang}] %", f"{valid['rate']:.2f}  ({valid['valid']} of {valid['examples']})"))
        rows += _clean_rows(s)
    else:
        rows.append(("problems", str(s["problems"])))
        rows.append(("samples", str(s["samples"])))
        for name, value in s["pass_at_k"].items():
            rows.append((f"{name} %", f"{value:.2f}"))
        rows.append(("statuses", ", ".join(f"{k} {v}" for k, v in s["statuses"].items())))
        rows += _clean_rows(s)
        rows.append(("sandbox", " ".join(s["isolation"]) or "-"))
    width = max(len(name) for name, _ in rows)
    lines = [f"{'metric':<{width}}  value", f"{'-' * width}  -----"]
    lines += [f"{name:<{width}}  {value}" for name, value in rows]
    lines += [f"note: {note}" for note in report.notes]
    return "\n".join(lines)


def write_report(report: Report, out_dir: str | Path) -> tuple[Path, Path]:
    """Write ``summary.json`` and ``examples.jsonl`` into ``out_dir``, atomically. Returns their paths."""
    from graphcode.io import AtomicWriter

    out = Path(out_dir)
    summary_path, examples_path = out / "summary.json", out / "examples.jsonl"
    with AtomicWriter(examples_path) as f:
        for row in report.examples:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    with AtomicWriter(summary_path) as f:
        json.dump({**report.summary, "notes": report.notes}, f, indent=2, ensure_ascii=False)
        f.write("\n")
    return summary_path, examples_path
