"""How often the syntax checker accepts known-valid code given as fragments: CodeXGLUE's gold Java and C#.

    .venv/bin/python benchmarks/bench_check_fragments.py [--data ../shared/data/codexglue-java-cs]

Every line of CodeXGLUE's Java↔C# files is one method or constructor that compiles in its project (the
benchmark's gold translations). Prints, per file, the share ``check_syntax`` accepts as a whole file
(``fragment="file"``) and as a class member (``fragment="member"``), and the first lines still rejected.
The target is 100% as members. No assertion: a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from graphcode.check import check_syntax  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "codexglue-java-cs"))
    parser.add_argument("--show", type=int, default=3, help="rejected lines shown per file (default: 3)")
    args = parser.parse_args(argv)
    folder = Path(args.data)
    files = sorted(folder.glob("*.java-cs.txt.java")) + sorted(folder.glob("*.java-cs.txt.cs"))
    if not files:
        raise SystemExit(f"{folder}: expected CodeXGLUE's *.java-cs.txt.java and .cs files, found none")
    for path in files:
        lang = "java" if path.suffix == ".java" else "c_sharp"
        lines = path.read_text(encoding="utf-8").splitlines()
        start = time.perf_counter()
        as_file = sum(check_syntax(line, lang).valid for line in lines)
        rejected = [(n, line) for n, line in enumerate(lines, 1) if not check_syntax(line, lang, fragment="member").valid]
        seconds = time.perf_counter() - start
        print(f"{path.name:<26} {len(lines):6d} lines  valid as a file {100 * as_file / len(lines):6.2f}%  "
              f"as a member {100 * (len(lines) - len(rejected)) / len(lines):6.2f}%  ({seconds:.1f} s)")
        for n, line in rejected[: args.show]:
            errors = check_syntax(line, lang, fragment="member").errors
            print(f"    line {n}: {errors[0].message if errors else '?'}: {line[:100]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
