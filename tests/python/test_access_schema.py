"""`pyforge schema` on the Jackcess databases of the test data.

* Keys and indexes are compared with mdbtools' `mdb-schema` (an independent reader); where
  mdbtools is wrong (it writes only one relationship per database) the Rust test
  crates/pyforge-core/tests/core/access_schema.rs checks Jackcess' documented expectations.
* Saved queries' SQL is compared with `mdb-queries`.
* The DuckDB and SQLite DDL of every database executes in those engines, and the Parquet files
  `pyforge convert` writes load into the tables it creates, foreign keys checked.
"""
from __future__ import annotations

import datetime as dt
import decimal
import json
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

import pyforge_helpers as H



def databases(testdata: Path) -> list[Path]:
    dbs = sorted(p for p in (testdata / "access/jackcess").iterdir() if p.suffix in (".mdb", ".accdb"))
    assert len(dbs) > 50, f"expected the Jackcess corpus, found {len(dbs)} files"
    return dbs


def schema_json(pyforge: Path, db: Path) -> dict:
    p = subprocess.run([str(pyforge), "schema", "--json", str(db)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, f"{db.name}: {p.stderr}"
    return json.loads(p.stdout)


def ddl(pyforge: Path, db: Path, dialect: str) -> str:
    p = subprocess.run([str(pyforge), "schema", "--dialect", dialect, str(db)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, f"{db.name}: {p.stderr}"
    return p.stdout


def require_mdbtools() -> None:
    H.require(shutil.which("mdb-schema") is not None and shutil.which("mdb-queries") is not None, "mdbtools not installed")


# --- mdb-schema ---------------------------------------------------------------------------

_PK = re.compile(r'^ALTER TABLE "([^"]+)" ADD CONSTRAINT "[^"]*" PRIMARY KEY \((.*)\);$')
_INDEX = re.compile(r'^CREATE (UNIQUE )?INDEX "[^"]*" ON "([^"]+)" \((.*)\);$')


def _cols(text: str) -> tuple[str, ...]:
    # "a", "b" DESC -> ("a", "b desc"), lower-cased as mdb-schema's postgres backend lower-cases.
    return tuple(re.sub(r'"(.*)"', r"\1", c.strip()).lower() for c in text.split(","))


def mdb_schema_keys(db: Path) -> tuple[dict, set]:
    """Primary keys {table: cols} and indexes {(table, cols, unique)} as mdb-schema writes them."""
    out = subprocess.run(["mdb-schema", "--indexes", "--no-relations", str(db), "postgres"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, f"mdb-schema {db.name}: {out.stderr}"
    pks, idx = {}, set()
    for line in out.stdout.splitlines():
        if m := _PK.match(line):
            pks[m.group(1).lower()] = _cols(m.group(2))
        elif m := _INDEX.match(line):
            idx.add((m.group(2).lower(), _cols(m.group(3)), bool(m.group(1))))
    return pks, idx


def our_keys(s: dict) -> tuple[dict, set]:
    pks = {t["name"].lower(): tuple(c.lower() for c in t["primary_key"]) for t in s["tables"] if t["primary_key"]}
    idx = set()
    for t in s["tables"]:
        for i in t["indexes"]:
            if i["primary"]:
                continue
            cols = tuple(c["name"].lower() + (" desc" if c["order"] == "desc" else "") for c in i["columns"])
            idx.add((t["name"].lower(), cols, i["unique"]))
    return pks, idx


def test_keys_and_indexes_match_mdb_schema(pyforge: Path, testdata: Path) -> None:
    require_mdbtools()
    agree = {"pk": 0, "index": 0}
    problems, mdb_wrong = [], 0
    for db in databases(testdata):
        ours = schema_json(pyforge, db)
        user = {t["name"].lower() for t in ours["tables"]}
        pks, idx = mdb_schema_keys(db)
        our_pks, our_idx = our_keys(ours)
        # mdbtools names some index columns "" (multi-column and deleted-column indexes); those
        # tables are checked against Jackcess' expectations in access_schema.rs instead.
        unnamed = {t for t, c in pks.items() if "" in c} | {i[0] for i in idx if "" in i[1]}
        mdb_wrong += len(unnamed & user)
        # Access' hidden unique index on each complex column (attachments, multiple values) is
        # no index of the data; mdbtools lists it, PyForge does not.
        complex_cols = {(t["name"].lower(), c["name"].lower()) for t in ours["tables"] for c in t["columns"] if c["access_type"] == "Complex"}
        pks = {t: c for t, c in pks.items() if t in user and t not in unnamed}
        idx = {i for i in idx if i[0] in user and i[0] not in unnamed and not (len(i[1]) == 1 and (i[0], i[1][0]) in complex_cols)}
        our_pks = {t: c for t, c in our_pks.items() if t not in unnamed}
        our_idx = {i for i in our_idx if i[0] not in unnamed}
        if pks != our_pks:
            problems.append(f"{db.name}: primary keys: mdb-schema {pks} ours {our_pks}")
        if idx != our_idx:
            problems.append(f"{db.name}: indexes: only mdb-schema {sorted(idx - our_idx)} only ours {sorted(our_idx - idx)}")
        agree["pk"] += len(set(pks.items()) & set(our_pks.items()))
        agree["index"] += len(idx & our_idx)
    H.SUMMARY_LINES.append(f"access schema vs mdb-schema: {agree['pk']} primary keys and {agree['index']} indexes agree; {mdb_wrong} tables where mdbtools cannot name index columns left to the Jackcess test")
    assert not problems, "\n".join(problems)
    assert agree["pk"] > 50 and agree["index"] > 50, agree


# --- mdb-queries --------------------------------------------------------------------------


def _squash(sql: str) -> str:
    """Compare texts without layout: no whitespace, brackets, trailing ; or NULs, any case."""
    return re.sub(r"[\s\[\]\x00;]", "", sql).lower()


def _clauses(sql: str) -> dict:
    """The select list, WHERE and ORDER BY of one SELECT (mdb-queries writes every query so,
    its FROM flattened to a list of tables; those three clauses it writes as Access does)."""
    flat = " ".join(sql.split())
    out = {}
    if m := re.search(r"\bSELECT (?:DISTINCT )?(.*?) (?:INTO \S+ )?FROM\b", flat):
        out["select"] = _squash(m.group(1))
    if m := re.search(r"\bWHERE (.*?)(?: GROUP BY | ORDER BY | PIVOT |;|$)", flat):
        out["where"] = _squash(m.group(1))
    if m := re.search(r"\bORDER BY (.*?)(?: PIVOT |;|$)", flat):
        out["order"] = _squash(m.group(1))
    return out


def test_query_sql_matches_mdb_queries(pyforge: Path, testdata: Path) -> None:
    require_mdbtools()
    compared, queries_seen, problems = 0, 0, []
    for db in databases(testdata):
        queries = {q["name"]: q for q in schema_json(pyforge, db)["queries"]}
        listed = subprocess.run(["mdb-queries", "-1", "-L", str(db)], capture_output=True, text=True, timeout=60)
        # ~sq_ queries are the hidden row sources of forms' controls, not saved queries; Access
        # does not list them and neither does PyForge (jetdb leaves them out).
        names = [n for n in listed.stdout.splitlines() if n.strip() and not n.startswith("~sq_")]
        assert sorted(names) == sorted(queries), f"{db.name}: mdb-queries {names} ours {sorted(queries)}"
        for name in names:
            q = queries[name]
            if q["type"] not in ("Select", "Delete", "MakeTable", "Crosstab"):
                continue  # mdb-queries writes these as a SELECT of nothing (Union) or not at all
            theirs = _clauses(subprocess.run(["mdb-queries", str(db), name], capture_output=True, text=True, timeout=60).stdout)
            ours = _clauses(q["sql"])
            if q["type"] != "Select":
                # mdb-queries writes other types' columns without their aliases (AS MaxOfcol1),
                # the TRANSFORM value among a crosstab's columns, and DELETE as SELECT.
                ours.pop("select", None), theirs.pop("select", None)
            queries_seen += 1
            for clause, text in theirs.items():
                if ours.get(clause) != text:
                    problems.append(f"{db.name} {name} {clause}:\n  mdb-queries: {text}\n  ours:        {ours.get(clause)}")
                else:
                    compared += 1
    H.SUMMARY_LINES.append(f"access query SQL vs mdb-queries: {compared} clauses of {queries_seen} queries equal")
    assert not problems, "\n".join(problems)
    assert compared >= 30, compared


# --- DDL executed, data loaded ------------------------------------------------------------

_CREATE = re.compile(r'^CREATE TABLE "((?:[^"]|"")+)" \(', re.M)


def created_tables(sql: str) -> list[str]:
    """Tables in the order the DDL creates them (parents before children)."""
    return [m.group(1).replace('""', '"') for m in _CREATE.finditer(sql)]


def convert(pyforge: Path, db: Path, out: Path) -> dict:
    p = subprocess.run([str(pyforge), "convert", str(db), str(out)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, f"{db.name}: {p.stderr}"
    if out.is_file():  # a database of one table converts to one file
        return {t: out for t in created_tables(ddl(pyforge, db, "sqlite"))}
    manifest = json.loads((out / "_manifest.json").read_text())
    return {t["name"]: out / t["file"] for t in manifest["tables"]}


def test_duckdb_ddl_executes_and_data_loads(pyforge: Path, testdata: Path, tmp_path: Path) -> None:
    rows = 0
    for n, db in enumerate(databases(testdata)):
        sql = ddl(pyforge, db, "duckdb")
        # A database without user tables (the empty templates) has nothing to convert.
        files = convert(pyforge, db, tmp_path / str(n)) if created_tables(sql) else {}
        con = duckdb.connect()
        try:
            con.execute(sql)
        except Exception as e:  # noqa: BLE001 - the DDL is shown with the error
            pytest.fail(f"{db.name}: DuckDB refused the DDL: {e}\n{sql}")
        for t in created_tables(sql):
            q = t.replace('"', '""')
            con.execute(f'INSERT INTO "{q}" BY NAME SELECT * FROM read_parquet(?)', [str(files[t])])
            got = con.execute(f'SELECT count(*) FROM "{q}"').fetchone()[0]
            assert got == pq.read_metadata(files[t]).num_rows, f"{db.name} {t}"
            rows += got
        con.close()
    H.SUMMARY_LINES.append(f"access DDL in DuckDB: every database created, {rows} rows loaded")


def _sqlite_value(v):
    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat(sep=" ") if isinstance(v, dt.datetime) else v.isoformat()
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, (list, dict)):
        return json.dumps(v, default=str)
    return v


def test_sqlite_ddl_executes_and_data_loads(pyforge: Path, testdata: Path, tmp_path: Path) -> None:
    rows = 0
    for n, db in enumerate(databases(testdata)):
        sql = ddl(pyforge, db, "sqlite")
        # A database without user tables (the empty templates) has nothing to convert.
        files = convert(pyforge, db, tmp_path / str(n)) if created_tables(sql) else {}
        con = sqlite3.connect(":memory:")
        con.execute("PRAGMA foreign_keys = ON")
        try:
            con.executescript(sql)
        except sqlite3.Error as e:
            pytest.fail(f"{db.name}: SQLite refused the DDL: {e}\n{sql}")
        for t in created_tables(sql):
            table = pq.read_table(files[t])
            names = ", ".join('"' + c.replace('"', '""') + '"' for c in table.column_names)
            marks = ", ".join("?" * table.num_columns)
            q = t.replace('"', '""')
            data = [tuple(_sqlite_value(v) for v in r.values()) for r in table.to_pylist()]
            con.executemany(f'INSERT INTO "{q}" ({names}) VALUES ({marks})', data)
            assert con.execute(f'SELECT count(*) FROM "{q}"').fetchone()[0] == table.num_rows, f"{db.name} {t}"
            rows += table.num_rows
        assert con.execute("PRAGMA foreign_key_check").fetchall() == [], db.name
        con.close()
    H.SUMMARY_LINES.append(f"access DDL in SQLite: every database created, {rows} rows loaded, foreign keys checked")
