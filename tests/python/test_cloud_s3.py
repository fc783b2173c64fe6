"""s3:// inputs and outputs against moto_server (PyPI `moto[server]`: a local AWS emulator),
started by this module on 127.0.0.1 with a free port and always stopped.

The CLI reaches moto through the standard variables (AWS_ENDPOINT_URL, AWS_ALLOW_HTTP,
AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_REGION). moto accepts any credentials by default;
the bad-credentials test switches moto's IAM checks on (`POST /moto-api/reset-auth` with 0) for
its duration, so unknown keys are refused with 403 InvalidAccessKeyId.

Outputs are compared with a local conversion of the same input (table by table, value by value)
and, for the CSV round trip, with the values written.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import urllib.request
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import pyforge_helpers as H
from local_server import local_server
from databricks_helpers import check_sales_parquet, clean_env, home, run, sales_csv  # noqa: F401

BUCKET = "pyforge-test"
KEY_ID = "AKIAPYFORGETEST0001"
SECRET = "pyforge-test-secret-key-abcdefghijklmnop"


class Moto:
    """A running moto_server and a boto3 S3 client for it."""

    def __init__(self, url: str):
        import boto3

        self.url = url
        self.s3 = boto3.client(
            "s3",
            endpoint_url=url,
            aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET,
            region_name="us-east-1",
        )

    def put(self, key: str, data: bytes) -> None:
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=data)

    def get(self, key: str) -> bytes:
        return self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()

    def exists(self, key: str) -> bool:
        import botocore.exceptions

        try:
            self.s3.head_object(Bucket=BUCKET, Key=key)
            return True
        except botocore.exceptions.ClientError as e:
            if e.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return False
            raise

    def keys(self, prefix: str) -> list[str]:
        out = self.s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
        return sorted(o["Key"] for o in out.get("Contents", []))

    def set_auth(self, initial_no_auth_count: str) -> None:
        """`0`: every request from now on is authenticated against moto's IAM; `inf`: none is."""
        req = urllib.request.Request(f"{self.url}/moto-api/reset-auth", data=initial_no_auth_count.encode(), method="POST")
        req.add_header("Content-Type", "text/plain")  # not a form: moto reads the raw body
        with urllib.request.urlopen(req, timeout=30) as r:
            assert r.status == 200


@contextlib.contextmanager
def running_moto(exe: str, log_dir: Path):
    env = dict(os.environ)
    env.pop("INITIAL_NO_AUTH_ACTION_COUNT", None)

    def ready(url: str) -> bool:
        with urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=5) as r:
            return r.status == 200

    command = lambda port: [exe, "-H", "127.0.0.1", "-p", str(port)]  # noqa: E731
    with local_server(command, env, log_dir / "moto.log", ready, pytest.fail) as url:
        m = Moto(url)
        m.s3.create_bucket(Bucket=BUCKET)
        yield m


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    exe = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
    H.require(Path(exe).is_file(), "moto_server is not installed (pip install -r tests/python/requirements.txt)")
    try:
        import boto3  # noqa: F401
    except ImportError:
        H.require(False, "boto3 is not installed (it comes with moto)")
    with running_moto(exe, tmp_path_factory.mktemp("moto")) as m:
        yield m


def env_for(m: Moto, home: Path, **extra: str) -> dict:
    env = clean_env(home)
    for k in list(env):
        if k.startswith(("AWS_", "AZURE_", "GOOGLE_")):
            del env[k]
    env.update(
        AWS_ACCESS_KEY_ID=KEY_ID,
        AWS_SECRET_ACCESS_KEY=SECRET,
        AWS_REGION="us-east-1",
        AWS_ENDPOINT_URL=m.url,
        AWS_ALLOW_HTTP="true",
    )
    env.update(extra)
    return env


def assert_no_secret(r: H.Run) -> None:
    for s in (SECRET, KEY_ID):
        assert s not in r.stdout and s not in r.stderr, f"a credential leaked into the output\n{r.describe()}"


def tables_equal(a: Path, b: Path) -> None:
    ta, tb = pq.read_table(a), pq.read_table(b)
    assert ta.schema.equals(tb.schema), f"{a} vs {b}:\n{ta.schema}\n{tb.schema}"
    assert ta.num_rows == tb.num_rows
    assert ta.to_pylist() == tb.to_pylist(), f"{a} and {b} differ"


def test_csv_round_trip_s3_to_s3(pyforge, moto, home, tmp_path):
    moto.put("in/sales.csv", sales_csv(3000))
    stage = tmp_path / "stage"
    r = run(pyforge, env_for(moto, home), "convert", f"s3://{BUCKET}/in/sales.csv", f"s3://{BUCKET}/out/sales.parquet", "--temp-dir", stage)
    assert r.returncode == 0, r.describe()
    assert "uploaded 1 file to the bucket" in r.stdout, r.describe()
    got = tmp_path / "got.parquet"
    got.write_bytes(moto.get("out/sales.parquet"))
    check_sales_parquet(got, 3000)
    # The staging folder is gone; nothing but the output was written to the bucket.
    assert list(stage.iterdir()) == []
    assert moto.keys("out/") == ["out/sales.parquet"]
    assert_no_secret(r)


def test_s3_to_local_and_local_to_s3(pyforge, moto, home, tmp_path):
    moto.put("mixed/a.csv", sales_csv(40))
    local_out = tmp_path / "a.parquet"
    r = run(pyforge, env_for(moto, home), "convert", f"s3://{BUCKET}/mixed/a.csv", local_out)
    assert r.returncode == 0, r.describe()
    check_sales_parquet(local_out, 40)
    src = tmp_path / "b.csv"
    src.write_bytes(sales_csv(55))
    r = run(pyforge, env_for(moto, home), "convert", src, f"s3://{BUCKET}/mixed/b.jsonl", "-f", "jsonl")
    assert r.returncode == 0, r.describe()
    lines = moto.get("mixed/b.jsonl").decode().splitlines()
    assert len(lines) == 55 and json.loads(lines[7]) == {"id": 7, "name": "name 7", "amount": 10.5}
    # s3a:// names the same objects.
    r = run(pyforge, env_for(moto, home), "convert", f"s3a://{BUCKET}/mixed/a.csv", f"s3a://{BUCKET}/mixed/a2.parquet")
    assert r.returncode == 0, r.describe()
    got = tmp_path / "a2.parquet"
    got.write_bytes(moto.get("mixed/a2.parquet"))
    check_sales_parquet(got, 40)


def test_multi_table_access_to_prefix(pyforge, moto, home, tmp_path):
    samples = tmp_path / "samples"
    r = H.run_cli(pyforge, "samples", samples)
    assert r.returncode == 0, r.describe()
    mdb = samples / "northwind_mini.mdb"
    assert mdb.is_file()
    moto.put("access/northwind_mini.mdb", mdb.read_bytes())
    # The reference: the same conversion done locally.
    ref = tmp_path / "ref"
    r = H.run_cli(pyforge, "convert", mdb, ref)
    assert r.returncode == 0, r.describe()
    manifests = list(ref.rglob("_manifest.json"))
    assert len(manifests) == 1, manifests
    ref = manifests[0].parent
    ref_files = sorted(p.name for p in ref.iterdir())
    assert "_manifest.json" in ref_files and len(ref_files) >= 3, ref_files
    r = run(pyforge, env_for(moto, home), "convert", f"s3://{BUCKET}/access/northwind_mini.mdb", f"s3://{BUCKET}/access_out/")
    assert r.returncode == 0, r.describe()
    keys = moto.keys("access_out/")
    names = sorted(k.split("/")[-1] for k in keys)
    assert names == ref_files, (keys, ref_files)
    folder = keys[0].rsplit("/", 1)[0]
    got = tmp_path / "got"
    got.mkdir()
    compared = 0
    for k in keys:
        name = k.split("/")[-1]
        (got / name).write_bytes(moto.get(k))
        if name.endswith(".parquet"):
            tables_equal(got / name, ref / name)
            compared += 1
    assert compared == len(ref_files) - 1
    manifest = json.loads((got / "_manifest.json").read_text())
    assert json.dumps(manifest).count(".parquet") >= compared
    assert folder == "access_out"  # the tables straight into the given folder, as locally


def test_glob_and_prefix_inputs(pyforge, moto, home, tmp_path):
    for i in range(3):
        moto.put(f"globbed/p{i}.csv", sales_csv(10 + i))
    moto.put("globbed/notes.bin", b"\x00not an input")
    moto.put("globbed/sub/deeper.csv", sales_csv(4))
    r = run(pyforge, env_for(moto, home), "convert", f"s3://{BUCKET}/globbed/p*.csv", f"s3://{BUCKET}/glob_out/")
    assert r.returncode == 0, r.describe()
    assert "3 converted, 0 failed" in r.stdout, r.describe()
    assert moto.keys("glob_out/") == [f"glob_out/p{i}.parquet" for i in range(3)]
    for i in range(3):
        got = tmp_path / f"p{i}.parquet"
        got.write_bytes(moto.get(f"glob_out/p{i}.parquet"))
        check_sales_parquet(got, 10 + i)
    # A prefix ("folder"): its files of a supported format, not below it unless --recursive.
    r = run(pyforge, env_for(moto, home), "convert", f"s3://{BUCKET}/globbed/", f"s3://{BUCKET}/dir_out/")
    assert r.returncode == 0, r.describe()
    assert moto.keys("dir_out/") == [f"dir_out/p{i}.parquet" for i in range(3)]
    r = run(pyforge, env_for(moto, home), "convert", f"s3://{BUCKET}/globbed", f"s3://{BUCKET}/rec_out/", "--recursive")
    assert r.returncode == 0, r.describe()
    assert "deeper" in " ".join(moto.keys("rec_out/")), (moto.keys("rec_out/"), r.describe())
    r = run(pyforge, env_for(moto, home), "convert", f"s3://{BUCKET}/globbed/q*.csv", f"s3://{BUCKET}/none/")
    assert r.returncode == 1 and "no files match" in r.stderr, r.describe()


def test_force(pyforge, moto, home, tmp_path):
    moto.put("f/a.csv", sales_csv(5))
    args = ["convert", f"s3://{BUCKET}/f/a.csv", f"s3://{BUCKET}/f/a.parquet"]
    r = run(pyforge, env_for(moto, home), *args)
    assert r.returncode == 0, r.describe()
    moto.put("f/a.csv", sales_csv(9))
    stage = tmp_path / "stage"
    r = run(pyforge, env_for(moto, home), *args, "--temp-dir", stage)
    H.assert_clean_error(r, f"s3://{BUCKET}/f/a.parquet: already exists (use --force")
    # Refused before any work: nothing was downloaded or converted, the old output is intact.
    assert list(stage.iterdir()) == []
    got = tmp_path / "a.parquet"
    got.write_bytes(moto.get("f/a.parquet"))
    check_sales_parquet(got, 5)
    r = run(pyforge, env_for(moto, home), *args, "--force")
    assert r.returncode == 0, r.describe()
    got.write_bytes(moto.get("f/a.parquet"))
    check_sales_parquet(got, 9)


def test_missing_object(pyforge, moto, home, tmp_path):
    r = run(pyforge, env_for(moto, home), "convert", f"s3://{BUCKET}/nothing/here.csv", f"s3://{BUCKET}/x.parquet")
    H.assert_clean_error(r, f"s3://{BUCKET}/nothing/here.csv: not found")
    assert not moto.exists("x.parquet")
    r = run(pyforge, env_for(moto, home), "info", f"s3://{BUCKET}/nothing/here.csv")
    H.assert_clean_error(r, f"s3://{BUCKET}/nothing/here.csv")
    r = run(pyforge, env_for(moto, home), "convert", "s3://no-such-bucket-pyforge/a.csv", tmp_path / "out.parquet")
    assert r.returncode == 1 and "no-such-bucket-pyforge" in r.stderr, r.describe()
    assert_no_secret(r)


def test_bad_credentials(pyforge, moto, home):
    moto.put("auth/a.csv", sales_csv(3))
    moto.set_auth("0")  # from now on moto checks keys against its (empty) IAM
    try:
        r = run(pyforge, env_for(moto, home), "convert", f"s3://{BUCKET}/auth/a.csv", f"s3://{BUCKET}/auth/a.parquet")
    finally:
        moto.set_auth("inf")
    H.assert_clean_error(r, f"s3://{BUCKET}/auth/")  # the output check comes first: a.parquet
    assert "access denied" in r.stderr and "AWS_ACCESS_KEY_ID" in r.stderr, r.describe()
    assert_no_secret(r)
    assert not moto.exists("auth/a.parquet")


def test_info_and_validate(pyforge, moto, home):
    moto.put("info/sales.csv", sales_csv(123))
    r = run(pyforge, env_for(moto, home), "info", f"s3://{BUCKET}/info/sales.csv", "--json")
    assert r.returncode == 0, r.describe()
    doc = json.loads(r.stdout)
    assert doc["format"] == "csv", doc
    assert [c["name"] for c in doc["tables"][0]["columns"]] == ["id", "name", "amount"]
    assert doc["tables"][0]["rows"] in (None, 123)
    r = run(pyforge, env_for(moto, home), "validate", f"s3://{BUCKET}/info/sales.csv")
    assert r.returncode == 0, r.describe()
