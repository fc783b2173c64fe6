"""PyForge's Access support through the CLI: info details, table selection, system tables."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pyarrow.parquet as pq

QUERIES = "access/jackcess/test__data__V2003__queryTestV2003.mdb"
RELATIONS = "access/jackcess/test__data__V2000__indexTestV2000.mdb"
TYPES = "access/jackcess/test__data__V2010__testV2010.accdb"
FIXED = "access/jackcess/test__data__V2000__fixedTextTestV2000.mdb"


def run(pyforge: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(pyforge), *args], capture_output=True, text=True, timeout=120)


def _info(pyforge: Path, db: Path) -> dict:
    p = run(pyforge, "info", "--json", str(db))
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_info_lists_tables_and_types(pyforge: Path, testdata: Path) -> None:
    info = _info(pyforge, testdata / TYPES)
    assert info["format"] == "access"
    assert info["details"]["version"] == "ACE 14 (Access 2010)"
    tables = {t["name"]: t for t in info["tables"]}
    assert set(tables) == {"Table1", "Table2", "Table3", "Table4"}
    assert tables["Table1"]["rows"] == 2
    assert not any(n.startswith("MSys") for n in tables)
    cols = {c["name"]: c["type"] for c in tables["Table1"]["columns"]}
    # Jackcess' testV2010 Table1: text, byte, integer, long, double, date, currency, yes/no.
    assert cols == {
        "A": "string", "B": "string", "C": "uint8", "D": "int16", "E": "int32", "F": "double",
        "G": "timestamp[us]", "H": "decimal128(19, 4)", "I": "bool",
    }


def test_info_lists_queries_as_mdbtools_does(pyforge: Path, testdata: Path) -> None:
    db = testdata / QUERIES
    info = _info(pyforge, db)
    assert info["details"]["version"] == "Jet 4 (Access 2000-2003)"
    queries = {q["name"]: q for q in info["details"]["queries"]}
    names = subprocess.run(["mdb-queries", "-L", "-1", str(db)], capture_output=True, text=True, timeout=60, check=True)
    assert set(queries) == set(names.stdout.split()), names.stdout
    assert queries["SelectQuery"]["type"] == "Select"
    # mdbtools drops the joins of this query (FROM [Table1],[Table2],[Table3]); Jackcess'
    # QueryTest and PyForge keep them.
    sql = queries["SelectQuery"]["sql"]
    assert sql.startswith("SELECT DISTINCT Table1.*, Table2.col1, Table2.col2, Table3.col3\n"), sql
    assert "FROM (Table1 LEFT JOIN Table3 ON Table1.col1 = Table3.col1) INNER JOIN Table2" in sql, sql


def test_info_lists_relationships(pyforge: Path, testdata: Path) -> None:
    info = _info(pyforge, testdata / RELATIONS)
    rels = {r["name"]: r for r in info["details"]["relationships"]}
    assert rels["Table2Table1"]["from_table"] == "Table1" and rels["Table2Table1"]["to_table"] == "Table2"
    assert rels["Table2Table1"]["column_pairs"] == [["otherfk1", "id"]]
    assert rels["Table3Table1"]["column_pairs"] == [["otherfk2", "id"]]


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
    p = run(pyforge, "convert", str(testdata / RELATIONS), str(tmp_path / "o"), "--tables", "Nope")
    assert p.returncode == 1
    assert "Nope" in p.stderr and "Table1" in p.stderr and "Table3" in p.stderr
    assert not (tmp_path / "o").exists()


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
