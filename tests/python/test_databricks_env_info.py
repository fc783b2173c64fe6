"""`pyforge env-info`: the JSON keys other tools rely on, and detection of no Databricks,
classic compute, serverless environments v1 and v2, and a mounted /Volumes (simulated with
PYFORGE_VOLUMES_ROOT pointing at a temp folder), where Volume paths are read and written in
place without any credentials.
"""
from __future__ import annotations

import json

import pytest

from databricks_helpers import check_sales_parquet, clean_env, home, run, sales_csv  # noqa: F401

KEYS = {"databricks", "compute", "serverless_env_version", "runtime_version", "python", "volumes_mounted", "auth"}


def env_info(pyforge, env) -> dict:
    r = run(pyforge, env, "env-info", "--json")
    assert r.returncode == 0, r.describe()
    doc = json.loads(r.stdout)
    assert set(doc) == KEYS
    assert set(doc["auth"]) == {"method", "host", "profile"}
    return doc


def test_no_databricks(pyforge, home):
    doc = env_info(pyforge, clean_env(home))
    assert doc["databricks"] is False
    assert doc["compute"] is None and doc["serverless_env_version"] is None and doc["runtime_version"] is None
    assert doc["volumes_mounted"] is False
    assert doc["auth"] == {"method": None, "host": None, "profile": None}
    assert doc["python"] is None or doc["python"].startswith("3.")


def test_classic(pyforge, home):
    doc = env_info(pyforge, clean_env(home, DATABRICKS_RUNTIME_VERSION="15.4"))
    assert (doc["databricks"], doc["compute"], doc["serverless_env_version"], doc["runtime_version"]) == (True, "classic", None, "15.4")


@pytest.mark.parametrize("version,major", [("client.1.13", 1), ("client.2.5", 2)])
def test_serverless(pyforge, home, version, major):
    doc = env_info(pyforge, clean_env(home, DATABRICKS_RUNTIME_VERSION=version))
    assert (doc["databricks"], doc["compute"], doc["serverless_env_version"], doc["runtime_version"]) == (True, "serverless", major, version)


def test_auth_shown_without_secret(pyforge, home):
    env = clean_env(home, DATABRICKS_HOST="adb-1.azuredatabricks.net", DATABRICKS_TOKEN="dapi-test-pat-0123456789")
    r = run(pyforge, env, "env-info", "--json")
    assert "dapi-test-pat" not in r.stdout + r.stderr
    assert json.loads(r.stdout)["auth"] == {"method": "pat", "host": "https://adb-1.azuredatabricks.net", "profile": None}
    r = run(pyforge, env, "env-info")
    assert r.returncode == 0 and "pat" in r.stdout and "dapi-test-pat" not in r.stdout + r.stderr, r.describe()


def test_mounted_volumes_in_place(pyforge, home, tmp_path):
    root = tmp_path / "Volumes"
    (root / "c/s/v/in").mkdir(parents=True)
    (root / "c/s/v/in/sales.csv").write_bytes(sales_csv(12))
    env = clean_env(home, PYFORGE_VOLUMES_ROOT=str(root), DATABRICKS_RUNTIME_VERSION="client.2.5")
    doc = env_info(pyforge, env)
    assert doc["volumes_mounted"] is True
    # No credentials and no server: a mounted Volume is plain files.
    r = run(pyforge, env, "convert", "dbfs:/Volumes/c/s/v/in/sales.csv", "/Volumes/c/s/v/out/sales.parquet")
    assert r.returncode == 0, r.describe()
    check_sales_parquet(root / "c/s/v/out/sales.parquet", 12)
    r = run(pyforge, env, "convert", "/dbfs/Volumes/c/s/v/in/sales.csv")
    assert r.returncode == 0, r.describe()
    check_sales_parquet(root / "c/s/v/in/sales.parquet", 12)
    r = run(pyforge, env, "info", "/Volumes/c/s/v/in/sales.csv", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["tables"][0]["rows"] == 12, r.describe()
