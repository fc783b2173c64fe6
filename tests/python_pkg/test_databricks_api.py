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
    assert set(env) == {"databricks", "compute", "serverless_env_version", "runtime_version", "python", "volumes_mounted", "auth"}
    assert env["databricks"] is False and env["compute"] is None
    assert env["python"] == platform.python_version()
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "client.2.5")
    monkeypatch.setenv("DATABRICKS_HOST", "https://adb-1.azuredatabricks.net")
    monkeypatch.setenv("DATABRICKS_TOKEN", "dapi-secret-never-shown")
    env = PyForgeDatabricks().env
    assert env["databricks"] is True and env["compute"] == "serverless" and env["serverless_env_version"] == 2
    assert env["auth"] == {"method": "pat", "host": "https://adb-1.azuredatabricks.net", "profile": None}
    assert "dapi-secret-never-shown" not in repr(env)


def test_convert_many_local_threads(samples, tmp_path):
    inputs = [samples / "sales.csv", samples / "customers_vfp.dbf", samples / "northwind_mini.mdb", samples / "stations.ods"]
    broken = tmp_path / "broken.dbf"
    broken.write_bytes(b"\x03not a dbf at all")
    results = PyForgeDatabricks().convert_many([*inputs, broken], tmp_path / "out", compression="zstd")
    by_name = {Path(r["input"]).name: r for r in results}
    assert [by_name[p.name]["status"] for p in inputs] == ["ok"] * 4, results
    assert by_name["broken.dbf"]["status"] == "failed" and "broken.dbf" in by_name["broken.dbf"]["error"]
    assert by_name["sales.csv"]["rows"] == pyforge_core.read_table(samples / "sales.csv").num_rows
    assert by_name["northwind_mini.mdb"]["tables"] == len(pyforge_core.info(samples / "northwind_mini.mdb")["tables"])
    assert pq.read_table(tmp_path / "out" / "sales.parquet").equals(pyforge_core.read_table(samples / "sales.csv"))


def test_strategy_spark_needs_a_session(samples, tmp_path):
    with pytest.raises(pyforge_core.UsageError, match="SparkSession"):
        PyForgeDatabricks().convert(samples / "sales.csv", strategy="spark")
    with pytest.raises(pyforge_core.UsageError, match="strategy"):
        PyForgeDatabricks().convert(samples / "sales.csv", strategy="fastest")
    # auto without Spark: the Rust converter.
    assert PyForgeDatabricks().convert(samples / "events.jsonl", tmp_path / "e.parquet", strategy="auto")["strategy"] == "pyforge"


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
