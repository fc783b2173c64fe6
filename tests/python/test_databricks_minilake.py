"""Volume round trips against minilake (PyPI: a local Databricks API emulator with Unity
Catalog and the Files API), started by this test module on 127.0.0.1.

minilake accepts any token, answers listings in one page and ignores Range: the bad-token,
paging and resume tests run against our own server (test_databricks_files_api.py).
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

import pyforge_helpers as H
from minilake_server import Minilake, running_minilake  # noqa: F401
from databricks_helpers import check_sales_parquet, clean_env, home, run, sales_csv  # noqa: F401

VOL = "dbfs:/Volumes/lake/raw/files"


@pytest.fixture(scope="module")
def minilake(tmp_path_factory):
    exe = shutil.which("minilake") or str(Path(sys.executable).parent / "minilake")
    H.require(Path(exe).is_file(), "minilake is not installed (pip install -r tests/python/requirements.txt)")
    with running_minilake(exe, tmp_path_factory.mktemp("minilake").resolve(), pytest.fail) as m:
        yield m


def env_for(m: Minilake, home: Path) -> dict:
    return clean_env(home, DATABRICKS_HOST=m.url, DATABRICKS_TOKEN="dapi-minilake-token")


def test_volume_round_trip(pyforge, minilake, home, tmp_path):
    minilake.put_file("/Volumes/lake/raw/files/in/sales.csv", sales_csv(2500))
    stage = tmp_path / "stage"
    r = run(pyforge, env_for(minilake, home), "convert", f"{VOL}/in/sales.csv", f"{VOL}/out/sales.parquet", "--temp-dir", stage)
    assert r.returncode == 0, r.describe()
    got = tmp_path / "got.parquet"
    got.write_bytes(minilake.get_file("/Volumes/lake/raw/files/out/sales.parquet"))
    check_sales_parquet(got, 2500)
    assert list(stage.iterdir()) == []
    # The /Volumes and /dbfs/Volumes spellings reach the same file.
    r = run(pyforge, env_for(minilake, home), "convert", "/dbfs/Volumes/lake/raw/files/in/sales.csv", "/Volumes/lake/raw/files/out/sales.jsonl", "-f", "jsonl")
    assert r.returncode == 0, r.describe()
    lines = minilake.get_file("/Volumes/lake/raw/files/out/sales.jsonl").decode().splitlines()
    assert len(lines) == 2500 and json.loads(lines[3]) == {"id": 3, "name": "name 3", "amount": 4.5}


def test_folder_listing(pyforge, minilake, home, tmp_path):
    for i in range(3):
        minilake.put_file(f"/Volumes/lake/raw/files/batch/p{i}.csv", sales_csv(20 + i))
    minilake.put_file("/Volumes/lake/raw/files/batch/readme.bin", b"\x00")
    r = run(pyforge, env_for(minilake, home), "convert", f"{VOL}/batch", f"{VOL}/batch_out")
    assert r.returncode == 0, r.describe()
    assert "3 converted, 0 failed" in r.stdout, r.describe()
    for i in range(3):
        got = tmp_path / f"p{i}.parquet"
        got.write_bytes(minilake.get_file(f"/Volumes/lake/raw/files/batch_out/p{i}.parquet"))
        check_sales_parquet(got, 20 + i)


def test_force(pyforge, minilake, home, tmp_path):
    minilake.put_file("/Volumes/lake/raw/files/f/a.csv", sales_csv(5))
    args = ["convert", f"{VOL}/f/a.csv", f"{VOL}/f/a.parquet"]
    assert run(pyforge, env_for(minilake, home), *args).returncode == 0
    minilake.put_file("/Volumes/lake/raw/files/f/a.csv", sales_csv(9))
    r = run(pyforge, env_for(minilake, home), *args)
    assert r.returncode == 1 and f"{VOL}/f/a.parquet: already exists (use --force" in r.stderr, r.describe()
    got = tmp_path / "a.parquet"
    got.write_bytes(minilake.get_file("/Volumes/lake/raw/files/f/a.parquet"))
    check_sales_parquet(got, 5)
    r = run(pyforge, env_for(minilake, home), *args, "--force")
    assert r.returncode == 0, r.describe()
    got.write_bytes(minilake.get_file("/Volumes/lake/raw/files/f/a.parquet"))
    check_sales_parquet(got, 9)


def test_missing_file(pyforge, minilake, home):
    r = run(pyforge, env_for(minilake, home), "convert", f"{VOL}/nothing/here.csv", f"{VOL}/x.parquet")
    assert r.returncode == 1, r.describe()
    assert f"{VOL}/nothing/here.csv: not found" in r.stderr, r.describe()
    assert not minilake.exists("/Volumes/lake/raw/files/x.parquet")


def test_bad_token_and_missing_credentials(pyforge, minilake, home):
    # minilake accepts every token ("no real authentication"), so a wrong token cannot fail
    # here; the 401 path is tested against our own server. What we can check: a run with no
    # credentials fails before any request, naming what to set.
    r = run(pyforge, clean_env(home, DATABRICKS_HOST=minilake.url), "convert", f"{VOL}/in/sales.csv", f"{VOL}/x.parquet")
    assert r.returncode == 1 and "no credentials" in r.stderr and "DATABRICKS_TOKEN" in r.stderr, r.describe()


def test_volumes_list_and_get(pyforge, minilake, home):
    r = run(pyforge, env_for(minilake, home), "volumes", "list", "lake.raw", "--json")
    assert r.returncode == 0, r.describe()
    assert [v["full_name"] for v in json.loads(r.stdout)] == ["lake.raw.files"]
    r = run(pyforge, env_for(minilake, home), "volumes", "get", "lake.raw.files")
    assert r.returncode == 0 and "lake.raw.files" in r.stdout and "MANAGED" in r.stdout, r.describe()
