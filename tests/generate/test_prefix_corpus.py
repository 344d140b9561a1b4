"""The guarantee on real code: no prefix of a valid standard-library file is ever called dead (slow)."""

from __future__ import annotations

import random
import sysconfig
from pathlib import Path

import pytest

from graphcode.check import check_syntax
from graphcode.generate.prefix import PrefixChecker, Viability


@pytest.mark.slow
def test_no_prefix_of_stdlib_code_is_dead():
    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in root.rglob("*.py") if "site-packages" not in p.parts)
    random.Random(0).shuffle(files)
    checked = 0
    for path in files[:40]:
        source = path.read_bytes()[:4000]
        if not check_syntax(path.read_bytes(), "python", compiler=False).valid:
            continue
        checker, parent = PrefixChecker("python"), None
        for end in range(1, len(source) + 1, 3):
            state = checker.check(source[:end], parent)
            assert state.viability is not Viability.DEAD, (path, source[max(0, end - 80) : end])
            parent = state
            checked += 1
    assert checked > 10_000
