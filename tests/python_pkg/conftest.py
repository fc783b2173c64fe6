"""Fixtures for the tests of the Python packages (pyforge-core, pyforge-databricks).

These tests run inside venvs where the built wheels are installed (scripts/test_python_packages.sh:
Python 3.10 with serverless v1's pins pyarrow 14.0.1 / pandas 1.5.3 / numpy 1.23.5, Python 3.12
with current versions and PySpark, and Python 3.13 with current versions and no Spark). They
import the installed packages, never the source tree. With CI=true something missing is a failure, not a skip.
"""
from __future__ import annotations

import functools
import importlib.metadata
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
# The CLI tests' helpers (require: skip when something is missing, fail under CI=true) and the
# minilake server.
sys.path.insert(0, str(REPO_ROOT / "tests" / "python"))
from pyforge_helpers import require  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def installed_not_source():
    """The package under test is the installed wheel, not python/ in the repository."""
    import pyforge_core

    assert "site-packages" in pyforge_core.__file__, pyforge_core.__file__


@pytest.fixture(scope="session")
def samples(tmp_path_factory) -> Path:
    """The sample files of every format, written by the package itself."""
    import pyforge_core

    d = tmp_path_factory.mktemp("samples")
    written = pyforge_core.samples(d)
    assert len(written) >= 12, written
    return d


@pytest.fixture()
def clean_databricks_env(monkeypatch, tmp_path):
    """No Databricks settings of the machine leak in; Volume paths are not mounted."""
    for k in list(os.environ):
        if k.startswith("DATABRICKS_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PYFORGE_VOLUMES_ROOT", str(tmp_path / "no-volumes-mounted"))
    return tmp_path


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "console: runs the installed `pyforge` command (the wheel's binary; a wheel built from "
        "the sdist has none, so scripts/check_sdist.sh deselects these)",
    )


@functools.cache
def console_pyforge() -> str:
    """The venv's `pyforge` command: the Rust binary itself (an ELF executable, not a Python
    entry-point wrapper), installed from the wheel's pyforge_core-<version>.data/scripts/ into
    the venv's scripts folder, as pip's record of the installed pyforge-core lists it."""
    exe = Path(sysconfig.get_path("scripts")) / "pyforge"
    assert exe.is_file(), f"the wheel did not install the pyforge command at {exe}"
    with open(exe, "rb") as f:
        assert f.read(4) == b"\x7fELF", f"{exe} is not the pyforge binary (not an ELF file)"
    recorded = {Path(f.locate()).resolve() for f in importlib.metadata.files("pyforge-core") or []}
    assert exe.resolve() in recorded, f"{exe} is not a file of the installed pyforge-core"
    return str(exe)


def run_console(*args, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([console_pyforge(), *map(str, args)], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def run_module(*args, timeout: float = 120) -> subprocess.CompletedProcess:
    """`python -m pyforge_core ARGS` with this venv's Python (it runs the installed command)."""
    return subprocess.run([sys.executable, "-m", "pyforge_core", *map(str, args)], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def mdb_export_rows(path: Path, table: str) -> list[list[str]]:
    """mdbtools' rows of a table (an independent Access reader), as CSV text fields."""
    import csv
    import io

    exe = shutil.which("mdb-export")
    require(exe is not None, "mdb-export (apt mdbtools) is not installed")
    out = subprocess.run([exe, str(path), table], capture_output=True, check=True, timeout=120).stdout.decode("utf-8")
    rows = list(csv.reader(io.StringIO(out)))
    return rows[1:]


def _spark_session(kind: str, warehouse: Path):
    from pyspark.sql import SparkSession

    if kind == "classic":
        builder = SparkSession.builder.master("local[2]")
    else:
        # pyspark's local Connect server listens on its default port 15002 (the client connects
        # there; an ephemeral port is not picked up outside pyspark's own test mode).
        builder = SparkSession.builder.remote("local[2]")
    return (
        builder.appName(f"pyforge-tests-{kind}")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.connect.grpc.binding.address", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        # Managed tables (saveAsTable) go to this temporary folder, never into the repository.
        .config("spark.sql.warehouse.dir", str(warehouse))
        .config("spark.driver.extraJavaOptions", f"-Djava.io.tmpdir={warehouse}")
        .getOrCreate()
    )


# Every Spark test runs on a classic session (local[2]) and on Spark Connect (remote("local[2]"):
# pyspark starts a local Connect server on 127.0.0.1), as on Databricks serverless. One session
# of each kind serves every module (test_spark.py, test_spark_tables.py): starting one costs
# 10-20 s. pytest runs the tests of one kind, stops that session, then starts the other.
@pytest.fixture(scope="session", params=["classic", "connect"])
def spark(request, tmp_path_factory):
    require(shutil.which("java") is not None or bool(os.environ.get("JAVA_HOME")), "Java (for PySpark) is not installed")
    try:
        import pyspark  # noqa: F401
    except ImportError:
        require(False, "pyspark is not installed in this venv")
    if request.param == "connect":
        try:
            import grpc  # noqa: F401
            import google.rpc  # noqa: F401
            import zstandard  # noqa: F401
        except ImportError as e:
            require(False, f"the Spark Connect client needs {e.name} (pip install grpcio grpcio-status googleapis-common-protos zstandard)")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = _spark_session(request.param, tmp_path_factory.mktemp(f"spark-{request.param}"))
    yield session
    session.stop()  # for a local Connect session this stops its server too


def spark_kind(spark) -> str:
    """"classic" or "connect", as the package itself tells them apart."""
    from pyforge_databricks.environment import spark_kind as kind

    return kind(spark)
