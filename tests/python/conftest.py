"""Fixtures for the PyForge differential tests.

Run:  PYFORGE_BIN=target/release/pyforge python -m pytest -q tests/python
PYFORGE_BIN defaults to target/release/pyforge, then target/debug/pyforge. With CI=true a missing
binary or reference library is a failure, never a skip.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pyforge_helpers as H  # noqa: E402


@pytest.fixture(scope="session")
def pyforge() -> Path:
    binary = H.find_binary()
    H.require(
        binary is not None and binary.is_file() and os.access(binary, os.X_OK),
        f"pyforge binary not found (PYFORGE_BIN={os.environ.get('PYFORGE_BIN')!r}, "
        f"nor {H.REPO_ROOT / 'target/release/pyforge'} or {H.REPO_ROOT / 'target/debug/pyforge'})",
    )
    return binary


@pytest.fixture(scope="session")
def testdata() -> Path:
    """The repository's testdata/ folder; it ships with the repository, so missing is a failure."""
    assert H.TESTDATA.is_dir(), f"test data folder missing: {H.TESTDATA} (a broken checkout)"
    return H.TESTDATA


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Print the differential tests' figures (shown even with -q)."""
    lines = H.SUMMARY_LINES
    if lines:
        terminalreporter.write_sep("-", "differential figures (pyforge vs the reference readers)")
        for line in lines:
            terminalreporter.write_line(line)
