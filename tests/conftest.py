"""Session-wide: the test report's header says which graph-building path these tests ran, and the help cache of the
Lightning commands is off (a test that changes behaviour in-process must not read an earlier test's text;
``tests/training/test_help_cache.py`` turns it on for itself)."""

from __future__ import annotations

import os

os.environ["GRAPHCODE_CLI_CACHE"] = "0"


def pytest_report_header(config) -> str:
    from graphcode.graphs import native

    used, why = native.status()
    expected = os.environ.get("GRAPHCODE_EXPECT_NATIVE") == "1"
    return (f"graphcode graphs: {'C accelerator' if used else 'pure Python'} ({why})"
            + ("; the C accelerator is expected (GRAPHCODE_EXPECT_NATIVE=1)" if expected else ""))
