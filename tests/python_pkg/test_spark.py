"""PyForge with a real local PySpark (local[2], Java 17): convert_many over executors with
mapInArrow, the `pyforge` Python data source, and the spark strategy of convert.

Several Access databases are made by copying the sample database and by the package's own
Access writer under other names; values are checked against pyforge_core.read_table and
mdbtools."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import pyforge_core
from pyforge_databricks import PyForgeDatabricks
from conftest import mdb_export_rows, require


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    require(shutil.which("java") is not None or bool(os.environ.get("JAVA_HOME")), "Java (for PySpark) is not installed")
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        require(False, "pyspark is not installed in this venv")

    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    warehouse = tmp_path_factory.mktemp("spark")
    session = (
        SparkSession.builder.master("local[2]")
        .appName("pyforge-tests")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.warehouse.dir", str(warehouse))
        .config("spark.driver.extraJavaOptions", f"-Djava.io.tmpdir={warehouse}")
        .getOrCreate()
    )
    yield session
    session.stop()


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
    df = PyForgeDatabricks(spark=spark).convert_many(inputs, tmp_path / "out")
    assert df.columns == ["input", "status", "output", "rows", "tables", "error"]
    rows = {Path(r["input"]).name: r.asDict() for r in df.collect()}
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


def test_spark_strategy_writes_the_same_values(spark, csv_files, tmp_path):
    forge = PyForgeDatabricks(spark=spark)
    src = csv_files[1]
    by_spark = forge.convert(src, tmp_path / "spark_out", strategy="spark")
    by_rust = forge.convert(src, tmp_path / "rust_out.parquet", strategy="pyforge")
    assert by_spark["strategy"] == "spark" and by_rust["strategy"] == "pyforge"
    assert by_spark["rows"] == by_rust["rows"] == 201
    a = pq.read_table(by_spark["output"]).sort_by("id")
    b = pq.read_table(by_rust["output"]).sort_by("id")
    assert a.column_names == b.column_names
    for name in b.column_names:
        assert a.column(name).to_pylist() == b.column(name).to_pylist(), name
    # auto picks Spark for a CSV over the threshold, the Rust converter under it.
    assert forge.convert(src, tmp_path / "auto1", strategy="auto", spark_threshold_bytes=1)["strategy"] == "spark"
    assert forge.convert(src, tmp_path / "auto2.parquet", strategy="auto")["strategy"] == "pyforge"
