"""PyForge with a real local PySpark (local[2], Java 17): convert_many over executors with
mapInArrow, the `pyforge` Python data source, and the spark strategy of convert.

Several Access databases are made by copying the sample database and by the package's own
Access writer under other names; values are checked against pyforge_core.read_table and
mdbtools. The `spark` fixture (classic and Connect sessions, shared with test_spark_tables.py)
is in conftest.py."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import pyforge_core
from pyforge_databricks import PyForgeDatabricks
from conftest import mdb_export_rows, spark_kind


@pytest.fixture(scope="module")
def databases(samples, tmp_path_factory) -> list[Path]:
    d = tmp_path_factory.mktemp("mdb")
    out = []
    for i in range(3):
        p = d / f"shop{i}.mdb"
        shutil.copy(samples / "northwind_mini.mdb", p)
        out.append(p)
    return out


@pytest.fixture(scope="module")
def csv_files(tmp_path_factory) -> list[Path]:
    d = tmp_path_factory.mktemp("csv")
    out = []
    for i in range(3):
        p = d / f"part{i}.csv"
        lines = ["id,name,amount,day"] + [f"{i * 1000 + r},name {r},{r * 1.25},2024-01-{(r % 28) + 1:02d}" for r in range(200 + i)]
        p.write_text("\n".join(lines) + "\n")
        out.append(p)
    return out


def test_convert_many_on_executors(spark, databases, csv_files, tmp_path):
    broken = tmp_path / "broken.mdb"
    broken.write_bytes(b"\x00\x01\x00\x00Standard Jet DB\x00" + b"\x00" * 100)
    inputs = [*map(str, databases), *map(str, csv_files), str(broken)]
    forge = PyForgeDatabricks(spark=spark)
    lazy = forge.convert_many_lazy(inputs, tmp_path / "lazy")
    assert lazy.columns == ["input", "status", "output", "rows", "tables", "error"]
    assert not (tmp_path / "lazy").exists() or not any((tmp_path / "lazy").iterdir())  # nothing ran yet
    results = forge.convert_many(inputs, tmp_path / "out")
    assert [r["input"] for r in results] == inputs  # computed, in input order
    rows = {Path(r["input"]).name: r for r in results}
    assert set(rows) == {Path(p).name for p in inputs}
    assert rows["broken.mdb"]["status"] == "failed" and "broken.mdb" in rows["broken.mdb"]["error"]
    for db in databases:
        r = rows[db.name]
        assert r["status"] == "ok", r
        info = pyforge_core.info(db)
        assert r["tables"] == len(info["tables"]) and r["rows"] == sum(t["rows"] for t in info["tables"])
        orders = pq.read_table(Path(r["output"]) / "Orders.parquet")
        assert orders.equals(pyforge_core.read_table(db, "Orders"))
        assert orders.num_rows == len(mdb_export_rows(db, "Orders"))
    for p in csv_files:
        r = rows[p.name]
        assert r["status"] == "ok" and r["rows"] == len(p.read_text().splitlines()) - 1
        assert pq.read_table(r["output"]).equals(pyforge_core.read_table(p))


def test_data_source_reads_every_file(spark, databases):
    import pyforge_databricks.spark as pfs

    pfs.register(spark)
    glob = str(databases[0].parent / "shop*.mdb")
    df = spark.read.format("pyforge").option("table", "Orders").load(glob)
    if spark_kind(spark) == "classic":  # Connect DataFrames have no rdd
        assert df.rdd.getNumPartitions() == len(databases)
    ref = pyforge_core.read_table(databases[0], "Orders")
    assert df.count() == ref.num_rows * len(databases)
    # Types: Currency stays decimal(19,4), dates are timestamps, ids ints.
    types = dict(df.dtypes)
    assert types["Freight"] == "decimal(19,4)" and types["OrderID"] == "int" and types["ShipCity"] == "string"
    got = df.where("OrderID = {}".format(ref.column("OrderID")[7].as_py())).collect()
    assert len(got) == len(databases)
    row = got[0].asDict()
    expected = {name: ref.column(name)[7].as_py() for name in ref.column_names}
    assert row == expected


def test_data_source_widens_types_spark_lacks(spark, databases):
    """Products has a Byte (uint8) column: Spark reads it as smallint with every value."""
    import pyforge_databricks.spark as pfs

    pfs.register(spark)
    df = spark.read.format("pyforge").option("table", "Products").load(str(databases[0]))
    ref = pyforge_core.read_table(databases[0], "Products")
    assert ref.schema.field("CategoryID").type == pa.uint8()
    assert dict(df.dtypes)["CategoryID"] == "smallint"
    got = [r.asDict() for r in df.orderBy("ProductID").collect()]
    expected = ref.sort_by("ProductID").to_pylist()
    assert [g["CategoryID"] for g in got] == [e["CategoryID"] for e in expected]
    # Every other column arrives unchanged too (binary OLE objects, decimals, GUID text).
    for g, e in zip(got, expected):
        assert {k: (bytes(v) if isinstance(v, (bytearray, memoryview)) else v) for k, v in g.items()} == e


def test_data_source_csv_and_schema_mismatch(spark, csv_files, tmp_path):
    import pyforge_databricks.spark as pfs

    pfs.register(spark)
    df = spark.read.format("pyforge").load([str(p) for p in csv_files])
    total = sum(len(p.read_text().splitlines()) - 1 for p in csv_files)
    assert df.count() == total
    assert dict(df.dtypes) == {"id": "bigint", "name": "string", "amount": "double", "day": "date"}
    assert sorted(r["id"] for r in df.select("id").collect()) == sorted(
        i for p in csv_files for i in pyforge_core.read_table(p).column("id").to_pylist()
    )
    other = tmp_path / "other.csv"
    other.write_text("id,label\n1,x\n")
    with pytest.raises(Exception, match="does not match the schema"):
        spark.read.format("pyforge").load([str(csv_files[0]), str(other)]).collect()


def test_env_reports_the_session_kind(spark, request):
    env = PyForgeDatabricks(spark=spark).env
    assert env.spark == request.node.callspec.params["spark"]
    assert env.is_spark_connect == (env.spark == "connect")


def test_convert_many_names_and_empty_inputs(spark, samples, tmp_path):
    header_only = tmp_path / "empty.csv"
    header_only.write_text("id,name\n")
    inputs = [samples / "sales.csv", samples / "sales.parquet", header_only]
    results = PyForgeDatabricks(spark=spark).convert_many(inputs, tmp_path / "out")
    assert [r["status"] for r in results] == ["ok"] * 3, results
    assert [Path(r["output"]).name for r in results] == ["sales_csv.parquet", "sales_parquet.parquet", "empty.parquet"]
    assert results[2]["rows"] == 0
    assert pq.read_table(tmp_path / "out" / "sales_csv.parquet").equals(pyforge_core.read_table(samples / "sales.csv"))


def _values_hash(table: pa.Table) -> tuple[int, str]:
    """Row count and a hash of the values: rows as Python values, sorted (Spark's part files
    come in any order), column names included; types Spark widens compare by value."""
    import hashlib

    rows = sorted(repr(sorted(r.items())) for r in table.to_pylist())
    return table.num_rows, hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]


# Every file `pyforge samples` writes, with the table the spark strategy is given for the
# inputs of several tables; report.pdf is text (no writer in Spark): it must fall back.
SAMPLE_TABLES = {
    "sales.csv": None, "sensors.tsv": None, "legacy_cp1252.csv": None, "library.xml": None, "events.jsonl": None,
    "sales.parquet": None, "customers_vfp.dbf": None, "inventory_dbase3.dbf": None, "sales.xlsx": "Orders",
    "stations.ods": None, "northwind_mini.mdb": "Orders",
}
HASHES: dict = {}


def test_every_sample_is_covered(samples):
    written = {p.name for p in samples.iterdir() if p.is_file() and not p.name.startswith(".")}
    assert written - {"report.pdf"} <= set(SAMPLE_TABLES) | {p for p in written if p.endswith((".dbt", ".fpt", ".cdx"))}, written


@pytest.mark.parametrize("name", sorted(SAMPLE_TABLES))
def test_spark_strategy_equals_native_on_every_sample(spark, samples, tmp_path, name):
    table = SAMPLE_TABLES[name]
    tables = [table] if table else None
    forge = PyForgeDatabricks(spark=spark)
    native = forge.convert(samples / name, tmp_path / "native.parquet", tables=tables)
    by_spark = forge.convert(samples / name, tmp_path / "spark_out", strategy="spark", tables=tables)
    assert native["strategy"] == "pyforge" and by_spark["strategy"] == "spark", by_spark
    expected = pq.read_table(native["tables"][0]["output"])
    got = pq.read_table(by_spark["output"])
    assert got.column_names == expected.column_names
    assert by_spark["rows"] == native["tables"][0]["rows"] == expected.num_rows == got.num_rows
    assert _values_hash(got) == _values_hash(expected), name
    HASHES.setdefault(name, {})["native"] = _values_hash(expected)
    HASHES[name][f"spark-{spark_kind(spark)}"] = _values_hash(got)
    report = os.environ.get("PYFORGE_SPARK_HASHES")
    if report:
        import json

        Path(report).write_text(json.dumps(HASHES, indent=1, sort_keys=True))


def test_spark_strategy_falls_back_and_says_why(spark, samples, tmp_path, caplog):
    forge = PyForgeDatabricks(spark=spark)
    r = forge.convert(samples / "northwind_mini.mdb", tmp_path / "shop", strategy="spark")
    assert r["strategy"] == "pyforge" and "tables" in r["strategy_reason"], r
    assert "the native converter runs instead of Spark" in caplog.text
    assert {t["name"] for t in r["tables"]} == {t["name"] for t in pyforge_core.info(samples / "northwind_mini.mdb")["tables"]}
    r = forge.convert(samples / "report.pdf", tmp_path / "report.txt", strategy="spark", format="txt")
    assert r["strategy"] == "pyforge" and "txt" in r["strategy_reason"]
    # An existing output: Python's words.
    forge.convert(samples / "sales.csv", tmp_path / "s", strategy="spark")
    with pytest.raises(pyforge_core.OutputExistsError, match="force=True"):
        forge.convert(samples / "sales.csv", tmp_path / "s", strategy="spark")
    # auto: by size, and the result says which path ran.
    small = forge.convert(samples / "sales.csv", tmp_path / "auto1.parquet", strategy="auto")
    assert small["strategy"] == "pyforge" and "below" in small["strategy_reason"]
    big = forge.convert(samples / "sales.csv", tmp_path / "auto2", strategy="auto", spark_threshold_bytes=1)
    assert big["strategy"] == "spark" and "reaches" in big["strategy_reason"]


def _testdata_csvs() -> list[Path]:
    from pyforge_helpers import TESTDATA

    return sorted((TESTDATA / "csv").rglob("*.csv"))


def test_spark_strategy_on_csv_test_data(spark, tmp_path):
    """Every CSV of testdata/csv that the converter reads: strategy="spark" writes the same
    values (one Spark job per file, so this is the long test; see SPARK_CSV_LIMIT)."""
    files = _testdata_csvs()
    assert len(files) > 100, files[:3]
    limit = int(os.environ.get("SPARK_CSV_LIMIT", "0")) or len(files)
    # An even spread over the corpus when limited (deterministic).
    chosen = files[:: max(1, len(files) // limit)][:limit]
    forge = PyForgeDatabricks(spark=spark)
    compared = 0
    fallbacks: list = []
    for i, f in enumerate(chosen):
        try:
            expected = pyforge_core.read_table(f)
        except pyforge_core.PyForgeError:
            continue  # not readable natively: nothing to compare (the native tests cover errors)
        r = forge.convert(f, tmp_path / f"o{i}", strategy="spark")
        if r["strategy"] != "spark":  # Spark cannot carry it: the native converter ran, said why
            assert r["strategy_reason"].startswith("spark fallback: "), (f, r)
            fallbacks.append((f.name, r["strategy_reason"]))
        got = pq.read_table(r["output"])
        assert got.num_rows == expected.num_rows and _values_hash(got) == _values_hash(expected), f
        compared += 1
    assert compared >= len(chosen) // 2, (compared, len(chosen))
    assert len(fallbacks) <= compared // 10, fallbacks  # the exception, not the rule
