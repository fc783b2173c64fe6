"""PyForge's Access support through the CLI: info details, table selection, system tables."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pyarrow.parquet as pq

NWIND = "access/mdbtestdata/data__nwind.mdb"
FIXED = "access/jackcess/test__data__V2000__fixedTextTestV2000.mdb"


def run(pyforge: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(pyforge), *args], capture_output=True, text=True, timeout=120)


def test_info_lists_tables_queries_relationships(pyforge: Path, testdata: Path) -> None:
    p = run(pyforge, "info", "--json", str(testdata / NWIND))
    assert p.returncode == 0, p.stderr
    info = json.loads(p.stdout)
    assert info["format"] == "access"
    assert info["details"]["version"] == "Jet 3 (Access 97)"
    tables = {t["name"]: t for t in info["tables"]}
    assert tables["Order Details"]["rows"] == 2155
    assert "Umsätze" in tables
    assert not any(n.startswith("MSys") for n in tables)
    cols = {c["name"]: c["type"] for c in tables["Products"]["columns"]}
    assert cols["UnitPrice"] == "decimal128(19, 4)" and cols["Discontinued"] == "bool"
    queries = {q["name"]: q for q in info["details"]["queries"]}
    assert queries["Alphabetical List of Products"]["sql"].startswith("SELECT DISTINCTROW Products.*")
    rels = {r["name"] for r in info["details"]["relationships"]}
    assert "CustomersOrders" in rels


def test_include_system(pyforge: Path, testdata: Path) -> None:
    p = run(pyforge, "info", "--json", "--include-system", str(testdata / FIXED))
    names = [t["name"] for t in json.loads(p.stdout)["tables"]]
    assert "MSysObjects" in names and "users" in names


def test_fixed_text_column_converts(pyforge: Path, testdata: Path, tmp_path: Path) -> None:
    out = tmp_path / "fixed.parquet"
    p = run(pyforge, "convert", str(testdata / FIXED), str(out))
    assert p.returncode == 0, p.stderr
    t = pq.read_table(out)
    assert t.column("c_flag_").to_pylist() == ["N"] * t.num_rows


def test_unknown_table_lists_the_real_ones(pyforge: Path, testdata: Path, tmp_path: Path) -> None:
    p = run(pyforge, "convert", str(testdata / NWIND), str(tmp_path / "o"), "--tables", "Nope")
    assert p.returncode != 0
    assert "Nope" in p.stderr and "Orders" in p.stderr


def _mdbtools_linked(db: Path) -> dict:
    """mdbtools' view of the linked tables: MSysObjects rows of type 4 (ODBC) and 6 (Access)."""
    import csv
    import io

    out = subprocess.run(["mdb-export", str(db), "MSysObjects"], capture_output=True, timeout=120, check=True).stdout
    rows = csv.DictReader(io.StringIO(out.decode("utf-8", "replace")))
    return {r["Name"]: r for r in rows if r["Type"] in ("4", "6")}


def test_linked_tables_show_their_targets(pyforge: Path, testdata: Path) -> None:
    """info names each linked table's file, foreign table and ODBC connection (as mdbtools reads
    them from MSysObjects), never the connection's password."""
    for name in ("test__data__V2007__linkerTestV2007.accdb", "test__data__V2007__odbcLinkerTestV2007.accdb"):
        db = testdata / "access" / "jackcess" / name
        p = run(pyforge, "info", "--json", str(db))
        assert p.returncode == 0, p.stderr
        linked = {t["name"]: t for t in json.loads(p.stdout)["details"]["linked_tables"]}
        ref = _mdbtools_linked(db)
        assert set(linked) == set(ref) and linked, (linked, ref)
        for table, r in ref.items():
            got = linked[table]
            assert got.get("database", "") == r["Database"]
            assert got.get("foreign_name", "") == r["ForeignName"]
            expected_connect = ";".join(part for part in r["Connect"].split(";") if not part.upper().startswith("PWD="))
            assert got.get("connect", "") == expected_connect
            assert "PWD" not in p.stdout and "DummyPassword" not in p.stdout
