"""Are Python's security rules right? graphcode and Bandit on the same labelled snippets, family by family.

The snippets (``security_snippets.py``) are written for this benchmark: for each rule family at least 10
vulnerable and 10 safe ones, and a few sinks that only constants reach. Each tool is scored against the labels,
per snippet: a vulnerable snippet is found when the tool reports a rule of its family; a safe one is a false
finding when it does. Prints recall and precision per family for graphcode (targets: recall >= 95%, precision
>= 90%) and for Bandit beside it; then the data-flow confidence graphcode gives the vulnerable sinks (fed by a
parameter) and the constant-only ones; and the time of ``check --semantic --security`` against building the
graph with all edge kinds on the standard-library sample (target: at most 1.5x).

    .venv/bin/python benchmarks/bench_security_oracle.py

Bandit is a benchmark dependency (``graphcode[bench]``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_graphs import load, stdlib_files
from security_snippets import CONSTANT, SAFE, VULNERABLE

from graphcode.analysis import analyze
from graphcode.graphs import GraphOptions, build_graph

RECALL, PRECISION = 0.95, 0.90

OURS: dict[str, set[str]] = {
    "code-execution": {"py-code-exec"},
    "command-injection": {"py-os-command", "py-subprocess-shell"},
    "deserialization": {"py-unsafe-deserialization", "py-yaml-load"},
    "sql": {"py-sql-string"},
    "weak-hash": {"py-weak-hash"},
    "hardcoded-credential": {"py-hardcoded-credential"},
    "tls": {"py-tls-unverified"},
    "tempfile": {"py-insecure-tempfile"},
}
"""graphcode's rules of each family."""
BANDIT: dict[str, set[str]] = {
    "code-execution": {"B307", "B102"},
    "command-injection": {"B602", "B604", "B605", "B609"},
    "deserialization": {"B301", "B302", "B506"},
    "sql": {"B608"},
    "weak-hash": {"B303", "B324"},
    "hardcoded-credential": {"B105", "B106", "B107"},
    "tls": {"B501", "B323", "B502", "B503", "B504"},
    "tempfile": {"B306", "B108"},
}
"""Bandit's tests of each family."""


def _bandit(paths: list[Path]) -> dict[str, set[str]]:
    """Bandit's test ids per file."""
    import logging

    from bandit.core import config, manager

    logging.getLogger("bandit").setLevel(logging.ERROR)
    mgr = manager.BanditManager(config.BanditConfig(), "file", quiet=True)
    mgr.discover_files([str(p) for p in paths])
    mgr.run_tests()
    out: dict[str, set[str]] = {str(p): set() for p in paths}
    for issue in mgr.get_issue_list():
        out.setdefault(issue.fname, set()).add(issue.test_id)
    return out


def _ours(code: str) -> list[tuple[str, str]]:
    return [(f.code, f.confidence) for f in analyze(code, "python", semantic=False, security=True).findings]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=734, help="stdlib files for the timing (0: all)")
    args = parser.parse_args()
    try:
        import bandit  # noqa: F401
    except ImportError:
        print("Bandit is not installed: pip install 'graphcode[bench]'", file=sys.stderr)
        return 9
    with tempfile.TemporaryDirectory() as tmp:
        paths: dict[tuple[str, str, int], Path] = {}
        for label, table in (("vulnerable", VULNERABLE), ("safe", SAFE), ("constant", CONSTANT)):
            for family, snippets in table.items():
                for i, code in enumerate(snippets):
                    path = Path(tmp) / f"{label}_{family}_{i}.py"
                    path.write_text(code, encoding="utf-8")
                    paths[(label, family, i)] = path
        theirs = _bandit(list(paths.values()))
        print(f"{'family':22}{'vuln':>5}{'safe':>5}   graphcode recall  precision   Bandit recall  precision")
        all_met = True
        for family in VULNERABLE:
            scores = {}
            for tool, hits in (("graphcode", lambda code, p, f=family: {c for c, _ in _ours(code)} & OURS[f]),
                               ("bandit", lambda code, p, f=family: theirs[str(p)] & BANDIT[f])):
                tp = sum(bool(hits(code, paths[("vulnerable", family, i)])) for i, code in enumerate(VULNERABLE[family]))
                fp = sum(bool(hits(code, paths[("safe", family, i)])) for i, code in enumerate(SAFE[family]))
                scores[tool] = (tp / len(VULNERABLE[family]), tp / max(tp + fp, 1))
            recall, precision = scores["graphcode"]
            all_met &= recall >= RECALL and precision >= PRECISION
            print(f"{family:22}{len(VULNERABLE[family]):>5}{len(SAFE[family]):>5}   {recall:>15.0%}{precision:>11.0%}"
                  f"   {scores['bandit'][0]:>13.0%}{scores['bandit'][1]:>11.0%}")
        print(f"targets (recall >= {RECALL:.0%}, precision >= {PRECISION:.0%} in every family): "
              f"{'met' if all_met else 'NOT met'}")
        confidence: dict[str, Counter[str]] = {"vulnerable (a parameter reaches the sink)": Counter(),
                                               "constant (only constants reach the sink)": Counter()}
        for table, key in ((VULNERABLE, "vulnerable (a parameter reaches the sink)"),
                           (CONSTANT, "constant (only constants reach the sink)")):
            for family in CONSTANT:
                for code in table[family]:
                    for rule, level in _ours(code):
                        if rule in OURS[family]:
                            confidence[key][level] += 1
        bandit_constant = sum(bool(theirs[str(paths[("constant", f, i)])] & BANDIT[f])
                              for f in CONSTANT for i in range(len(CONSTANT[f])))
        print("data-flow confidence of graphcode's findings on the sink families "
              f"({', '.join(CONSTANT)}):")
        for key, counts in confidence.items():
            print(f"  {key:44} " + ", ".join(f"{level} {counts[level]}" for level in ("high", "medium", "low")))
        print(f"  Bandit reports {bandit_constant} of the {sum(map(len, CONSTANT.values()))} constant-only sinks, "
              "with no way to tell them apart")
    items = load(stdlib_files(args.files, 0))
    t_graph = t_checks = 0.0
    for path, source in items:
        t = time.perf_counter()
        build_graph(source, "python", GraphOptions(max_bytes=None), path=path)
        t_graph += time.perf_counter() - t
        t = time.perf_counter()
        analyze(source, "python", semantic=True, security=True, path=path)
        t_checks += time.perf_counter() - t
    print(f"time on {len(items)} stdlib files: graph with all edge kinds {t_graph:.2f} s, --semantic --security "
          f"{t_checks:.2f} s: {t_checks / max(t_graph, 1e-9):.2f}x (target <= 1.5x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
