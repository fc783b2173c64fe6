"""Fixtures for the tests of the Python packages (pyforge-core, pyforge-databricks).

These tests run inside venvs where the built wheels are installed (scripts/test_python_packages.sh:
Python 3.10 with serverless v1's pins pyarrow 14.0.1 / pandas 1.5.3 / numpy 1.23.5, Python 3.12
with current versions and PySpark, and Python 3.13 with current versions and no Spark). They
import the installed packages, never the source tree. With CI=true something missing is a failure, not a skip.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
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


def console_pyforge() -> str:
    """The venv's `pyforge` console command (from the wheel)."""
    exe = Path(sys.executable).parent / "pyforge"
    assert exe.is_file(), f"the wheel did not install the pyforge console command at {exe}"
    return str(exe)


def run_console(*args, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([console_pyforge(), *map(str, args)], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def mdb_export_rows(path: Path, table: str) -> list[list[str]]:
    """mdbtools' rows of a table (an independent Access reader), as CSV text fields."""
    import csv
    import io

    exe = shutil.which("mdb-export")
    require(exe is not None, "mdb-export (apt mdbtools) is not installed")
    out = subprocess.run([exe, str(path), table], capture_output=True, check=True, timeout=120).stdout.decode("utf-8")
    rows = list(csv.reader(io.StringIO(out)))
    return rows[1:]
