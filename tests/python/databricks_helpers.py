"""Helpers for the Databricks tests: a clean environment for the CLI, the fake server fixture.

The CLI must not see the machine's own Databricks settings: `clean_env` drops every
DATABRICKS_* variable, points HOME at an empty folder (no ~/.databrickscfg) and sets
PYFORGE_VOLUMES_ROOT to a missing folder so Volume paths go through the Files API.
"""
from __future__ import annotations

import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import pyforge_helpers as H
from databricks_fake import FakeDatabricks

SECRET_VALUES = ("dapi-test-pat-0123456789", "test-sp-secret-abcdef")


def clean_env(home: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABRICKS_") and k != "PYFORGE_VOLUMES_ROOT"}
    env["HOME"] = str(home)
    env["PYFORGE_VOLUMES_ROOT"] = str(home / "no-volumes-mounted")
    env.pop("RUST_BACKTRACE", None)
    env.update(extra)
    return env


def run(binary: Path, env: dict, *args, timeout: float = 120) -> H.Run:
    """Run pyforge with exactly `env` (not merged with os.environ)."""
    import subprocess

    argv = [str(binary), *map(str, args)]
    try:
        p = subprocess.run(argv, capture_output=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"pyforge did not finish within {timeout} s: {' '.join(argv)}")
    r = H.Run(argv, p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace"))
    H.assert_no_panic(r)
    return r


def assert_no_secret(r: H.Run) -> None:
    for s in SECRET_VALUES:
        assert s not in r.stdout and s not in r.stderr, f"a secret leaked into the output\n{r.describe()}"


def sales_csv(rows: int) -> bytes:
    lines = ["id,name,amount"]
    lines += [f"{i},name {i},{i * 1.5}" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def check_sales_parquet(path: Path, rows: int) -> None:
    t = pq.read_table(path)
    assert t.num_rows == rows
    assert t.column_names == ["id", "name", "amount"]
    ids = t.column("id").to_pylist()
    assert ids == list(range(rows))
    assert t.column("name").to_pylist()[-1] == f"name {rows - 1}"
    assert t.column("amount").to_pylist()[rows // 2] == (rows // 2) * 1.5


@pytest.fixture()
def fake(tmp_path):
    f = FakeDatabricks(tmp_path / "fake-root").start()
    (f.root / "Volumes/cat/sch/vol").mkdir(parents=True)
    yield f
    f.stop()


@pytest.fixture()
def home(tmp_path) -> Path:
    h = tmp_path / "home"
    h.mkdir()
    return h
