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


def test_info_lists_tables_queries_relationships(pyforge: Path, corpus: Path) -> None:
    p = run(pyforge, "info", "--json", str(corpus / NWIND))
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


def test_include_system(pyforge: Path, corpus: Path) -> None:
    p = run(pyforge, "info", "--json", "--include-system", str(corpus / FIXED))
    names = [t["name"] for t in json.loads(p.stdout)["tables"]]
    assert "MSysObjects" in names and "users" in names


def test_fixed_text_column_converts(pyforge: Path, corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "fixed.parquet"
    p = run(pyforge, "convert", str(corpus / FIXED), str(out))
    assert p.returncode == 0, p.stderr
    t = pq.read_table(out)
    assert t.column("c_flag_").to_pylist() == ["N"] * t.num_rows


def test_unknown_table_lists_the_real_ones(pyforge: Path, corpus: Path, tmp_path: Path) -> None:
    p = run(pyforge, "convert", str(corpus / NWIND), str(tmp_path / "o"), "--tables", "Nope")
    assert p.returncode != 0
    assert "Nope" in p.stderr and "Orders" in p.stderr
