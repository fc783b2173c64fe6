"""An Access database into Spark tables, on a real local PySpark (classic local[2] and Spark
Connect; the `spark` fixture of conftest.py, its warehouse in a temporary folder):

- `PyForgeDatabricks.convert(db, table_prefix=...)`: every table becomes a managed table whose
  rows equal a native convert value by value, the Access descriptions are the comments
  `DESCRIBE TABLE EXTENDED` shows, an existing table is refused unless mode="overwrite", and the
  keys, which open-source Spark's catalog has no constraints for, are reported as skipped with
  Spark's answer.
- `pyforge schema --dialect databricks`, statement by statement, for every test database: what
  open-source Spark 4 accepts must execute; the statement kinds it refuses are named below with
  the reason, must be refused, and are checked against the snapshot of the Rust tests.

Expectations come from `pyforge_core.info` (descriptions, keys, relationships) and a native
convert, never from numbers written here."""
from __future__ import annotations

import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import pyforge_core
from pyforge_databricks import OutputExistsError, PyForgeDatabricks, UsageError
from conftest import REPO_ROOT, require, run_console, spark_kind

# The pyforge samples database has table and column descriptions (quotes, Unicode) but no keys
# (the Jet writer writes no indexes); this Jackcess database has primary keys and enforced
# relationships but no descriptions. No Access file of the test data has both.
KEYS_DB = "access/jackcess/test__data__V2007__indexTestV2007.accdb"
SNAPSHOT = REPO_ROOT / "crates/pyforge-core/tests/core/snapshots/indexTestV2007.databricks.sql"


def _testdata() -> Path:
    from pyforge_helpers import TESTDATA

    return TESTDATA


def _plain(v):
    return bytes(v) if isinstance(v, (bytearray, memoryview)) else v


def _rows(dicts) -> list[str]:
    """Rows as sorted text of their Python values, column names included (order-free)."""
    return sorted(repr(sorted((k, _plain(v)) for k, v in d.items())) for d in dicts)


def _describe(spark, target: str) -> tuple[dict, str | None, str | None]:
    """``({column: comment}, table comment, provider)`` from DESCRIBE TABLE EXTENDED; the table's
    files are in the session's temporary warehouse, never in the repository."""
    columns: dict = {}
    table_comment = provider = location = None
    in_columns, in_detail = True, False
    for r in spark.sql(f"DESCRIBE TABLE EXTENDED {target}").collect():
        name = (r[0] or "").strip()
        if in_columns and not name:
            in_columns = False
            continue
        if in_columns:
            columns[name] = r[2] or None
        elif name == "# Detailed Table Information":
            in_detail = True
        elif in_detail and name == "Comment":
            table_comment = r[1]
        elif in_detail and name == "Provider":
            provider = r[1]
        elif in_detail and name == "Location":
            location = r[1]
    assert location and str(REPO_ROOT) not in location, location
    return columns, table_comment, provider


def _descriptions(info: dict) -> dict:
    """``{table: (table description, {column: description})}`` from ``info``."""
    out = {}
    for t in info["tables"]:
        d = t.get("details") or {}
        cols = {c: p["description"] for c, p in (d.get("column_properties") or {}).items() if p.get("description")}
        out[t["name"]] = (d.get("description"), cols)
    return out


def _schema_name(spark, what: str) -> str:
    name = f"{what}_{spark_kind(spark)}"
    spark.sql(f"CREATE DATABASE IF NOT EXISTS {name}")
    return name


def test_access_tables_with_comments(spark, samples, tmp_path):
    db = samples / "northwind_mini.mdb"
    info = pyforge_core.info(db)
    described = _descriptions(info)
    # The sample must have descriptions on tables and columns, some with quotes: else this
    # test would check nothing.
    assert all(table for table, _ in described.values()), described
    column_texts = [text for _, cols in described.values() for text in cols.values()]
    assert column_texts and any("'" in x for x in column_texts) and any(not x.isascii() for x in column_texts)
    native = {t["name"]: t["output"] for t in pyforge_core.convert(db, tmp_path / "native")["tables"]}

    schema = _schema_name(spark, "shop")
    report = PyForgeDatabricks(spark=spark).convert(db, table_prefix=f"{schema}.")

    assert report["format"] == "access" and report["mode"] == "error"
    assert [t["name"] for t in report["tables"]] == [t["name"] for t in info["tables"]]
    assert report["rows"] == sum(t["rows"] for t in info["tables"])
    default_format = spark.conf.get("spark.sql.sources.default")
    for t in report["tables"]:
        assert t["table"] == f"`{schema}`.`{t['name']}`"
        expected = pq.read_table(native[t["name"]])
        got = spark.table(t["table"])
        assert got.columns == expected.column_names
        assert t["rows"] == expected.num_rows == got.count()
        assert _rows(r.asDict() for r in got.collect()) == _rows(expected.to_pylist()), t["name"]
        columns, table_comment, provider = _describe(spark, t["table"])
        assert t["format"] == provider == default_format
        table_text, column_texts = described[t["name"]]
        assert table_comment == table_text
        assert columns == {c: column_texts.get(c) for c in expected.column_names}
    # The report lists each comment applied, with its text.
    applied = {(c["table"], c["column"]): c["comment"] for c in report["comments"] if c["status"] == "applied"}
    assert len(applied) == len(report["comments"]) == sum(1 + len(cols) for _, cols in described.values())
    assert report["constraints"] == []  # the sample has no keys


def test_access_keys_skipped_and_existing_tables(spark):
    """Keys on a catalog without constraints; then the same tables again: refused, overwritten."""
    db = _testdata() / KEYS_DB
    require(db.is_file(), f"{db} (testdata) is missing")
    info = pyforge_core.info(db)
    names = [t["name"] for t in info["tables"]]
    schema = _schema_name(spark, "keys")
    forge = PyForgeDatabricks(spark=spark)
    report = forge.convert(db, table_prefix=f"{schema}.pf_")
    target = {n: f"`{schema}`.`pf_{n}`" for n in names}
    assert [t["table"] for t in report["tables"]] == list(target.values())
    for n in names:
        assert _rows(r.asDict() for r in spark.table(target[n]).collect()) == _rows(pyforge_core.read_table(db, n).to_pylist())

    by_kind: dict = {}
    for c in report["constraints"]:
        by_kind.setdefault(c["kind"], []).append(c)
    # Every primary key and every relationship between the tables written is in the report.
    pks = {target[t["name"]]: t["details"]["primary_key"] for t in info["tables"] if t["details"].get("primary_key")}
    assert pks and {c["table"]: c["columns"] for c in by_kind["primary_key"]} == pks
    rels = [r for r in info["details"]["relationships"] if r["table"] in target and r["referenced_table"] in target]
    assert rels and sorted((c["table"], c["columns"], c["references"]["table"], c["references"]["columns"]) for c in by_kind["foreign_key"]) == sorted(
        (target[r["table"]], r["columns"], target[r["referenced_table"]], r["referenced_columns"]) for r in rels
    )
    assert {(c["table"], c["columns"][0]) for c in by_kind["not_null"]} >= {(t, col) for t, cols in pks.items() for col in cols}
    # None added: each kind is skipped with the reason and Spark's own answer.
    for kind, entries in by_kind.items():
        reasons = {c["reason"] for c in entries}
        assert {c["status"] for c in entries} == {"skipped"} and len(reasons) == 1, entries
        reason = reasons.pop()
        assert "Unity Catalog" in reason and "Spark answered: [" in reason, reason
        assert all(c["sql"] and c["sql"][0].startswith(f"ALTER TABLE {c['table']} ") for c in entries)

    # Again: refused before anything is written, every existing table named (not the one
    # dropped, which is not made either).
    dropped, kept = names[0], names[1:]
    spark.sql(f"DROP TABLE {target[dropped]}")
    with pytest.raises(OutputExistsError, match='mode="overwrite"') as e:
        forge.convert(db, table_prefix=f"{schema}.pf_")
    assert all(target[n] in str(e.value) for n in kept) and target[dropped] not in str(e.value)
    assert not spark.catalog.tableExists(target[dropped])
    with pytest.raises(UsageError, match='mode="overwrite"'):
        forge.convert(db, table_prefix=f"{schema}.pf_", force=True)
    again = forge.convert(db, table_prefix=f"{schema}.pf_", mode="overwrite")
    assert again["mode"] == "overwrite"
    assert [(t["table"], t["rows"]) for t in again["tables"]] == [(target[t["name"]], t["rows"]) for t in info["tables"]]
    for t in info["tables"]:
        assert spark.table(target[t["name"]]).count() == t["rows"]
    # tables=[...] writes only those; an unknown name is an error before anything is written.
    one = forge.convert(db, table_prefix=f"{schema}.only_", tables=[names[1]])
    assert [t["table"] for t in one["tables"]] == [f"`{schema}`.`only_{names[1]}`"]
    kinds = {c["kind"] for c in one["constraints"]}
    assert "primary_key" in kinds and "foreign_key" not in kinds  # its relationships need Table1
    with pytest.raises(pyforge_core.TableNotFoundError):
        forge.convert(db, table_prefix=f"{schema}.none_", tables=["NoSuchTable"])


# ---- pyforge schema --dialect databricks in open-source Spark -------------------------------

# Statement kinds of the Databricks DDL that open-source Spark 4.0 does not accept, and why.
# Each must be refused (if Spark starts accepting one, this test says so); every other
# statement must execute.
REFUSED = {
    "primary key clause": "Unity Catalog's informational PRIMARY KEY constraint; open-source Spark 4.0's "
    "grammar has no PRIMARY KEY in CREATE TABLE (PARSE_SYNTAX_ERROR). The CREATE TABLE runs without the clause.",
    "foreign key statement": "ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY: Unity Catalog's informational "
    "foreign keys; open-source Spark 4.0's grammar has none (PARSE_SYNTAX_ERROR).",
}
PK_LINE = re.compile(r"^\s*CONSTRAINT `(?:[^`]|``)+` PRIMARY KEY \(.*\)\s*$", re.M)
FK_STATEMENT = re.compile(r"^ALTER TABLE .* ADD CONSTRAINT .* FOREIGN KEY \(.*\) REFERENCES .*$", re.S)


def split_statements(sql: str) -> list[str]:
    """The statements of a script: split at `;` outside literals, identifiers and comments;
    `--` comments (the notes on what a dialect cannot express) left out."""
    out: list[str] = []
    cur: list[str] = []
    state = None
    i = 0
    while i < len(sql):
        c, two = sql[i], sql[i : i + 2]
        if state is None:
            if two == "--":
                state = "--"
                i += 2
                continue
            if two == "/*":
                state = "/*"
                cur.append(two)
                i += 2
                continue
            if c == ";":
                if "".join(cur).strip():
                    out.append("".join(cur).strip())
                cur = []
                i += 1
                continue
            if c in "'\"`":
                state = c
            cur.append(c)
        elif state == "--":
            if c == "\n":
                state = None
                cur.append(c)
        elif state == "/*":
            if two == "*/":
                cur.append(two)
                state = None
                i += 2
                continue
            cur.append(c)
        else:
            cur.append(c)
            if c == "\\" and state != "`":
                cur.append(sql[i + 1])
                i += 2
                continue
            if c == state:
                state = None
        i += 1
    assert state in (None, "--"), f"unterminated {state!r} in the DDL"
    if "".join(cur).strip():
        out.append("".join(cur).strip())
    return out


def _refused_as_syntax(spark, sql: str) -> None:
    with pytest.raises(Exception) as e:
        spark.sql(sql)
    assert "PARSE_SYNTAX_ERROR" in str(e.value), (sql, str(e.value)[:300])


def _constraint_clauses(ddl: str) -> list[str]:
    clauses = []
    for s in split_statements(ddl):
        clauses.extend(m.group(0).strip() for m in PK_LINE.finditer(s))
        if FK_STATEMENT.match(s):
            clauses.append(s)
    return clauses


def _access_databases() -> list[Path]:
    d = _testdata() / "access" / "jackcess"
    files = sorted(p for p in d.iterdir() if p.suffix in (".mdb", ".accdb"))
    require(len(files) > 50, f"{d}: the Jackcess test databases are missing")
    return files


# Classic only: the statements are the same on Connect, and this is the longest test here.
@pytest.mark.console
@pytest.mark.parametrize("spark", ["classic"], indirect=True)
def test_databricks_ddl_in_spark(spark, samples):
    """Every test database's Databricks DDL, statement by statement, in local Spark."""
    databases = [samples / "northwind_mini.mdb", *_access_databases()]
    scripts: dict[str, list[Path]] = {}
    for db in databases:
        r = run_console("schema", db, "--dialect", "databricks")
        assert r.returncode == 0 and "Traceback" not in r.stderr, (db, r.stderr)
        body = r.stdout.split("\n", 1)[1]  # the first line names the PyForge version
        scripts.setdefault(body, []).append(db)
    counts = {"executed": 0, "primary key clause": 0, "foreign key statement": 0}
    for n, (ddl, dbs) in enumerate(scripts.items()):
        schema = f"ddl{n}_{spark_kind(spark)}"
        spark.sql(f"CREATE DATABASE {schema}")
        spark.sql(f"USE {schema}")
        try:
            for statement in split_statements(ddl):
                where = f"{dbs[0].name}: {statement[:200]}"
                if FK_STATEMENT.match(statement):
                    _refused_as_syntax(spark, statement)
                    counts["foreign key statement"] += 1
                    continue
                pk = list(PK_LINE.finditer(statement))
                if pk:
                    assert statement.startswith("CREATE TABLE ") and len(pk) == 1, where
                    _refused_as_syntax(spark, statement)
                    counts["primary key clause"] += 1
                    statement = re.sub(r",\s*\n\)", "\n)", PK_LINE.sub("", statement), count=1)
                try:
                    spark.sql(statement)
                except Exception as e:
                    pytest.fail(f"{where}\nSpark refused it: {str(e).strip()[:500]}")
                counts["executed"] += 1
            if dbs[0].name == "northwind_mini.mdb":
                # The comments of the DDL are the descriptions, quotes and Unicode intact.
                for table, (text, cols) in _descriptions(pyforge_core.info(dbs[0])).items():
                    columns, table_comment, _ = _describe(spark, f"`{schema}`.`{table}`")
                    assert table_comment == text and all(columns[c] == t for c, t in cols.items()), table
        finally:
            spark.sql("USE default")
    assert counts["executed"] >= 50, counts
    assert counts["primary key clause"] > 0 and counts["foreign key statement"] > 0, counts
    assert set(counts) - {"executed"} == set(REFUSED)
    # The clauses Spark cannot run are the ones the Rust snapshot test pins down.
    keys_ddl = next(ddl for ddl, dbs in scripts.items() if any(d.name.endswith("indexTestV2007.accdb") for d in dbs))
    assert _constraint_clauses(keys_ddl) == _constraint_clauses(SNAPSHOT.read_text()) != []
