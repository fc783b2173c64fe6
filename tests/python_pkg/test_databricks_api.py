"""pyforge_databricks without Spark: options of the original design, env, local convert_many,
and a notebook's WorkspaceClient credentials reaching a Volume through the Files API (minilake,
a local Databricks API emulator from PyPI, started here on 127.0.0.1)."""
from __future__ import annotations

import os
import platform
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import pyforge_core
from pyforge_databricks import PyForgeDatabricks, core_options
from conftest import require
from minilake_server import running_minilake


def test_original_option_names_translate():
    assert core_options({"overwrite": True}, {"compression": "snappy", "partition_by": ["year", "month"]}, {"combine_sheets": True}) == {
        "force": True,
        "compression": "snappy",
        "partition_by": ["year", "month"],
        "combine": True,
    }
    assert core_options({}, None, {"sheet_name": "Orders"}) == {"sheets": ["Orders"]}
    with pytest.raises(pyforge_core.UsageError, match="compresion"):
        core_options({}, {"compresion": "zstd"})
    with pytest.raises(pyforge_core.UsageError, match="conflicts"):
        core_options({"compression": "zstd"}, {"compression": "snappy"})


def test_convert_with_grouped_options(samples, tmp_path):
    forge = PyForgeDatabricks()
    xlsx = tmp_path / "book.xlsx"
    shutil.copy(samples / "sales.xlsx", xlsx)
    r = forge.convert(xlsx, excel_options={"combine_sheets": True}, format_options={"compression": "zstd"})
    assert r["strategy"] == "pyforge"
    assert len(r["tables"]) == 1, r  # combined: one table, beside the input
    out = Path(r["output"])
    assert out.parent == tmp_path and out.suffix == ".parquet"
    meta = pq.read_metadata(out)
    assert meta.row_group(0).column(0).compression == "ZSTD"
    sheets = pyforge_core.info(xlsx)["tables"]
    assert meta.num_rows == sum(t["rows"] for t in sheets)
    # output_format, and partitioning from format_options.
    r = forge.convert(samples / "sales.csv", tmp_path / "sales_out.csv", "csv")
    assert r["format"] == "csv" and Path(r["output"]).suffix == ".csv"
    r = forge.convert(samples / "sales.csv", tmp_path / "parts", format_options={"partition_by": ["city"]})
    cities = set(pyforge_core.read_table(samples / "sales.csv").column("city").to_pylist())
    made = {p.name for p in Path(r["tables"][0]["output"]).iterdir() if p.is_dir()}
    assert made == {f"city={c}" for c in cities if c is not None} | ({"city=__HIVE_DEFAULT_PARTITION__"} if None in cities else set())


def test_env(monkeypatch, clean_databricks_env):
    env = PyForgeDatabricks().env
    assert set(env) == {"databricks", "compute", "serverless_env_version", "runtime_version", "python", "volumes_mounted", "auth", "spark"}
    assert env["databricks"] is False and env["compute"] is None and env["spark"] is None
    assert env.is_databricks is False and env.is_serverless is False and env.environment_version is None and env.runtime_version is None
    assert env["python"] == platform.python_version() == env.python
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "client.2.5")
    monkeypatch.setenv("DATABRICKS_HOST", "https://adb-1.azuredatabricks.net")
    monkeypatch.setenv("DATABRICKS_TOKEN", "dapi-secret-never-shown")
    env = PyForgeDatabricks().env
    assert env["databricks"] is True and env["compute"] == "serverless" and env["serverless_env_version"] == 2
    assert env.is_databricks and env.is_serverless and env.environment_version == 2 and env.runtime_version == "client.2.5"
    assert env["auth"] == {"method": "pat", "host": "https://adb-1.azuredatabricks.net", "profile": None}
    assert "dapi-secret-never-shown" not in repr(env)
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "15.4")
    env = PyForgeDatabricks().env
    assert env.is_databricks and not env.is_serverless and env.environment_version is None and env.runtime_version == "15.4"
    with pytest.raises(AttributeError):
        env.no_such_fact


def test_convert_many_local_threads(samples, tmp_path):
    inputs = [samples / "sales.csv", samples / "customers_vfp.dbf", samples / "northwind_mini.mdb", samples / "stations.ods"]
    broken = tmp_path / "broken.dbf"
    broken.write_bytes(b"\x03not a dbf at all")
    results = PyForgeDatabricks().convert_many([*inputs, broken], tmp_path / "out", compression="zstd")
    assert isinstance(results, list) and [r["input"] for r in results] == [str(p) for p in [*inputs, broken]]
    by_name = {Path(r["input"]).name: r for r in results}
    assert [by_name[p.name]["status"] for p in inputs] == ["ok"] * 4, results
    assert by_name["broken.dbf"]["status"] == "failed" and "broken.dbf" in by_name["broken.dbf"]["error"]
    assert by_name["sales.csv"]["rows"] == pyforge_core.read_table(samples / "sales.csv").num_rows
    assert by_name["northwind_mini.mdb"]["tables"] == len(pyforge_core.info(samples / "northwind_mini.mdb")["tables"])
    assert pq.read_table(tmp_path / "out" / "sales.parquet").equals(pyforge_core.read_table(samples / "sales.csv"))


def test_convert_many_runs_when_called(samples, tmp_path):
    """Eager: the outputs exist when convert_many returns; names never collide; an input
    without rows is a 0-row result; an existing output is OutputExistsError's text."""
    header_only = tmp_path / "empty.csv"
    header_only.write_text("id,name\n")
    inputs = [samples / "sales.csv", samples / "sales.parquet", header_only]
    out = tmp_path / "out"
    results = PyForgeDatabricks().convert_many(inputs, out)
    assert [r["status"] for r in results] == ["ok"] * 3, results
    assert [Path(r["output"]).name for r in results] == ["sales_csv.parquet", "sales_parquet.parquet", "empty.parquet"]
    assert results[2]["rows"] == 0 and pq.read_table(out / "empty.parquet").num_rows == 0
    assert pq.read_table(out / "sales_parquet.parquet").equals(pyforge_core.read_table(samples / "sales.parquet"))
    again = PyForgeDatabricks().convert_many(inputs, out)
    assert all(r["status"] == "failed" and r["error"].startswith("OutputExistsError") and "force=True" in r["error"] and "--" not in r["error"] for r in again), again
    assert [r["status"] for r in PyForgeDatabricks().convert_many(inputs, out, overwrite=True)] == ["ok"] * 3
    with pytest.raises(pyforge_core.UsageError, match="SparkSession"):
        PyForgeDatabricks().convert_many_lazy(inputs, out)


def test_strategy_spark_needs_a_session(samples, tmp_path):
    with pytest.raises(pyforge_core.UsageError, match="SparkSession"):
        PyForgeDatabricks().convert(samples / "sales.csv", strategy="spark")
    with pytest.raises(pyforge_core.UsageError, match="strategy"):
        PyForgeDatabricks().convert(samples / "sales.csv", strategy="fastest")
    # auto without Spark: the Rust converter.
    r = PyForgeDatabricks().convert(samples / "events.jsonl", tmp_path / "e.parquet", strategy="auto")
    assert r["strategy"] == "pyforge" and "no SparkSession" in r["strategy_reason"]


def test_table_prefix_arguments_in_python_words(samples, tmp_path):
    """convert(table_prefix=...) checks its arguments before it needs Spark (the tables
    themselves: test_spark_tables.py)."""
    from pyforge_databricks.tables import split_prefix

    db = samples / "northwind_mini.mdb"
    forge = PyForgeDatabricks()
    with pytest.raises(pyforge_core.UsageError, match="SparkSession"):
        forge.convert(db, table_prefix="main.raw.")
    with pytest.raises(pyforge_core.UsageError, match="mode must be one of 'error', 'overwrite', not 'append'"):
        forge.convert(db, table_prefix="main.raw.", mode="append")
    with pytest.raises(pyforge_core.UsageError, match='mode="overwrite", not force=True'):
        forge.convert(db, table_prefix="main.raw.", force=True)
    with pytest.raises(pyforge_core.UsageError, match="output_path"):
        forge.convert(db, tmp_path / "out", table_prefix="main.raw.")
    with pytest.raises(pyforge_core.UsageError, match="compression"):
        forge.convert(db, table_prefix="main.raw.", compression="zstd")
    with pytest.raises(pyforge_core.UsageError, match="table_prefix=.*force=True"):
        forge.convert(db, tmp_path / "x", mode="overwrite")
    with pytest.raises(pyforge_core.UsageError, match="not closed"):
        forge.convert(db, table_prefix="main.`raw.")
    assert not (tmp_path / "out").exists() and not (tmp_path / "x").exists()
    # Schema and name prefix; backticks quote a part that holds dots or backticks.
    assert split_prefix("main.raw.") == (["main", "raw"], "")
    assert split_prefix("main.raw.shop_") == (["main", "raw"], "shop_")
    assert split_prefix("") == ([], "")
    assert split_prefix("`my.cat`.`sch``ema`.x") == (["my.cat", "sch`ema"], "x")


@pytest.fixture(scope="module")
def minilake(tmp_path_factory):
    exe = os.environ.get("PYFORGE_MINILAKE") or shutil.which("minilake") or ""
    require(bool(exe) and Path(exe).is_file(), "minilake not found (set PYFORGE_MINILAKE to its executable)")
    with running_minilake(exe, tmp_path_factory.mktemp("minilake").resolve(), pytest.fail) as m:
        yield m


def test_workspace_client_credentials_reach_the_volume(minilake, samples, clean_databricks_env, tmp_path):
    """A databricks-sdk WorkspaceClient's host and token are what the Rust Files API client
    uses: no DATABRICKS_* variable is set, no config file exists."""
    try:
        from databricks.sdk import WorkspaceClient
    except ImportError:
        require(False, "databricks-sdk is not installed")
    minilake.put_file("/Volumes/lake/raw/files/nb/sales.csv", (samples / "sales.csv").read_bytes())
    w = WorkspaceClient(host=minilake.url, token="dapi-from-the-notebook")
    forge = PyForgeDatabricks(workspace_client=w)
    r = forge.convert("dbfs:/Volumes/lake/raw/files/nb/sales.csv", "dbfs:/Volumes/lake/raw/files/nb/sales.parquet")
    assert r["output"] == "dbfs:/Volumes/lake/raw/files/nb/sales.parquet", r
    got = tmp_path / "got.parquet"
    got.write_bytes(minilake.get_file("/Volumes/lake/raw/files/nb/sales.parquet"))
    assert pq.read_table(got).equals(pyforge_core.read_table(samples / "sales.csv"))
    # read_table straight from the Volume, through the same credentials.
    t = pyforge_core.PyForgeCore(host=minilake.url, token="dapi-from-the-notebook").read_table("dbfs:/Volumes/lake/raw/files/nb/sales.csv")
    assert t.num_rows == pq.read_metadata(got).num_rows
    # Without credentials the same call is a clear error, not a hang or a traceback from Rust.
    with pytest.raises(pyforge_core.PyForgeError, match="credentials|DATABRICKS_HOST"):
        PyForgeDatabricks().convert("dbfs:/Volumes/lake/raw/files/nb/sales.csv", "dbfs:/Volumes/lake/raw/files/nb/again.parquet")


def test_volume_handler_through_the_files_api(minilake, samples, clean_databricks_env):
    """forge.volume_handler uses the converter's Files API client with the notebook's
    credentials; writing over a Volume file or output is OutputExistsError with force=True."""
    try:
        from databricks.sdk import WorkspaceClient
    except ImportError:
        require(False, "databricks-sdk is not installed")
    forge = PyForgeDatabricks(workspace_client=WorkspaceClient(host=minilake.url, token="dapi-nb"))
    vh = forge.volume_handler
    data = (samples / "sales.csv").read_bytes()
    vh.write_file("/Volumes/lake/raw/files/vh/sub/a.csv", data)
    assert minilake.get_file("/Volumes/lake/raw/files/vh/sub/a.csv") == data
    assert vh.read_file("dbfs:/Volumes/lake/raw/files/vh/sub/a.csv") == data
    assert vh.file_exists("/Volumes/lake/raw/files/vh/sub/a.csv") and vh.file_exists("/Volumes/lake/raw/files/vh/sub")
    assert not vh.file_exists("/Volumes/lake/raw/files/vh/none.csv")
    listed = vh.list_files("/Volumes/lake/raw/files/vh/sub/")
    assert [(e["name"], e["is_directory"], e["size"]) for e in listed] == [("a.csv", False, len(data))]
    with pytest.raises(pyforge_core.OutputExistsError, match="overwrite=True"):
        vh.write_file("/Volumes/lake/raw/files/vh/sub/a.csv", b"other")
    vh.write_file("/Volumes/lake/raw/files/vh/sub/a.csv", b"other", overwrite=True)
    assert vh.read_file("/Volumes/lake/raw/files/vh/sub/a.csv") == b"other"
    with pytest.raises(pyforge_core.InputNotFoundError, match="none.csv"):
        vh.read_file("/Volumes/lake/raw/files/vh/none.csv")
    info = vh.get_volume_info("lake", "raw", "files")
    assert info["full_name"] == "lake.raw.files" and info["volume_type"] == "MANAGED"
    # A Volume output that exists: the typed error, in Python's words.
    minilake.put_file("/Volumes/lake/raw/files/vh/s.csv", data)
    forge.convert("dbfs:/Volumes/lake/raw/files/vh/s.csv", "dbfs:/Volumes/lake/raw/files/vh/s.parquet")
    with pytest.raises(pyforge_core.OutputExistsError) as e:
        forge.convert("dbfs:/Volumes/lake/raw/files/vh/s.csv", "dbfs:/Volumes/lake/raw/files/vh/s.parquet")
    assert "force=True" in str(e.value) and "--force" not in str(e.value) and "s.parquet" in str(e.value)
    assert forge.convert("dbfs:/Volumes/lake/raw/files/vh/s.csv", "dbfs:/Volumes/lake/raw/files/vh/s.parquet", overwrite=True)["rows"] > 0


def test_volume_handler_on_the_mount(samples, clean_databricks_env, monkeypatch):
    root = clean_databricks_env / "mounted"
    (root / "c" / "s" / "v").mkdir(parents=True)
    monkeypatch.setenv("PYFORGE_VOLUMES_ROOT", str(root))
    vh = PyForgeDatabricks().volume_handler
    vh.write_file("/Volumes/c/s/v/d/x.bin", b"\x00\x01")
    assert (root / "c" / "s" / "v" / "d" / "x.bin").read_bytes() == b"\x00\x01"
    assert vh.read_file("/Volumes/c/s/v/d/x.bin") == b"\x00\x01" and vh.file_exists("/Volumes/c/s/v/d/x.bin")
    assert vh.list_files("/Volumes/c/s/v/") == [{"path": "/Volumes/c/s/v/d", "name": "d", "is_directory": True, "size": None}]
    with pytest.raises(pyforge_core.OutputExistsError, match="overwrite=True"):
        vh.write_file("/Volumes/c/s/v/d/x.bin", b"")
    with pytest.raises(pyforge_core.UsageError, match="not a Volume path"):
        vh.read_file("/tmp/x.bin")
