"""Session-wide: the test report's header says which graph-building path these tests ran."""

from __future__ import annotations

import os


def pytest_report_header(config) -> str:
    from graphcode.graphs import native

    used, why = native.status()
    expected = os.environ.get("GRAPHCODE_EXPECT_NATIVE") == "1"
    return (f"graphcode graphs: {'C accelerator' if used else 'pure Python'} ({why})"
            + ("; the C accelerator is expected (GRAPHCODE_EXPECT_NATIVE=1)" if expected else ""))
