"""PyForge's Access reader against mdbtools, over every database of ../shared/corpus/access.

Every table `mdb-tables` lists is exported with `mdb-export` and compared value by value with
PyForge's Parquet output (see access_mdbtools.py for the only normalisations: float formatting,
date rendering at one-second resolution, decimal formatting, 1/0 for Yes/No).

Where the two disagree, mdbtools must be the one that is wrong: each such table is listed in
MDBTOOLS_WRONG with the independent evidence. A difference not listed fails the test, and so
does a listed one that no longer differs (the list stays true).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pyforge_helpers as H
import access_mdbtools as A

# (database, table) -> why mdbtools' output is wrong, with the independent evidence.
MDBTOOLS_WRONG: dict[str, str] = {
}


def test_pyforge_agrees_with_mdbtools(pyforge: Path, corpus: Path) -> None:
    H.require(shutil.which("mdb-export") is not None, "mdbtools is not installed (tests/apt-packages.txt)")
    report = A.run(pyforge, corpus / "access")
    H.SUMMARY_LINES.append(
        f"Access: {report['agree']} of {report['tables']} tables agree with mdbtools; "
        f"{len(report['differ'])} differ (all mdbtools errors listed in the test)"
    )
    unexplained = {k: v for k, v in report["differ"].items() if k not in MDBTOOLS_WRONG}
    assert not unexplained, f"differences not explained by a known mdbtools error: {unexplained}"
    stale = sorted(k for k in MDBTOOLS_WRONG if k not in report["differ"])
    assert not stale, f"listed as mdbtools errors but no longer different: {stale}"
    assert report["tables"] >= 250
