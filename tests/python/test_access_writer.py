"""The Access sample written by PyForge's own Jet4 writer, read back by mdbtools.

`pyforge samples` writes northwind_mini.mdb (3 tables: every common column type, NULLs,
Unicode text, memos inline and on long-value pages, OLE objects). mdbtools must list the same
tables and types, and `mdb-export` of every table must agree value by value with PyForge's
reading of it (same normalisations as test_access_mdbtools.py). One formatting difference is
normalised, not a value: mdbtools prints GUIDs without their 4th hyphen (see test_access_mdbtools).
The writer's random round trips against PyForge's reader are in
crates/pyforge-core/tests/access_writer.rs.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import pyforge_helpers as H
import access_mdbtools as A

TABLES = {"Customers": 60, "Products": 40, "Orders": 400}


@pytest.fixture(scope="module")
def sample(pyforge: Path, tmp_path_factory) -> Path:
    H.require(shutil.which("mdb-export") is not None, "mdbtools is not installed (tests/apt-packages.txt)")
    d = tmp_path_factory.mktemp("samples")
    subprocess.run([str(pyforge), "samples", str(d), "-q"], check=True, timeout=120)
    db = d / "northwind_mini.mdb"
    assert db.is_file()
    return db


def test_mdbtools_lists_the_tables_and_types(sample: Path) -> None:
    assert A.mdb_tables(sample) == list(TABLES)
    schema = subprocess.run(["mdb-schema", str(sample)], capture_output=True, text=True, check=True).stdout
    for col, kind in [("CompanyName", "Text (40)"), ("Since", "DateTime"), ("Active", "Boolean"),
                      ("CreditLimit", "Currency"), ("Notes", "Memo/Hyperlink"), ("ProductID", "Integer"),
                      ("CategoryID", "Byte"), ("Weight", "Single"), ("TaxRate", "Numeric (10, 4)"),
                      ("ReplicaID", "Replication ID"), ("Picture", "OLE"), ("OrderID", "Long Integer"),
                      ("Discount", "Double")]:
        assert any(line.strip().startswith(f"[{col}]") and kind in line for line in schema.splitlines()), (col, kind)


def _guid_digits(s: str | None) -> str | None:
    return None if s is None else s.strip("{}").replace("-", "").upper()


def test_mdb_export_agrees_with_pyforge(pyforge: Path, sample: Path, tmp_path: Path) -> None:
    ours, err = A.pyforge_tables(pyforge, sample, tmp_path)
    assert err is None, err
    assert list(ours) == list(TABLES)
    compared = 0
    for name, nrows in TABLES.items():
        cols, rows = A.mdb_export(sample, name)
        table = ours[name]
        assert table.num_rows == nrows == len(rows)
        guid_cols = [c for c in cols if c == "ReplicaID"]
        for g in guid_cols:
            j = cols.index(g)
            theirs = [_guid_digits(bytes.fromhex(r[j]).decode() if r[j] is not None else None) for r in rows]
            assert [_guid_digits(v) for v in table.column(g).to_pylist()] == theirs
            assert sum(v is not None for v in theirs) > 20
        keep = [j for j, c in enumerate(cols) if c not in guid_cols]
        diffs = A.compare_table(table.drop_columns(guid_cols), [cols[j] for j in keep],
                                [[r[j] for j in keep] for r in rows])
        assert not diffs, f"{name}: {diffs}"
        compared += nrows * len(cols)
    assert compared == 60 * 7 + 40 * 9 + 400 * 8


def test_long_memos_survive(pyforge: Path, sample: Path) -> None:
    cols, rows = A.mdb_export(sample, "Customers")
    notes = [r[cols.index("Notes")] for r in rows]
    assert notes[0] is None
    assert notes[4] == "Ж" * 2500  # on a long-value page (5000 bytes of UCS-2: a chain of 2)
    assert notes[2].startswith("Long history — ") and len(notes[2]) > 4096
    assert notes[1] == 'Prefers e-mail.\r\nCalls on Tuesdays; café owner, "VIP", comma, here.'
