"""Volume paths through the Files API against our own fake server (databricks_fake.py).

Covers what minilake does not: listing pages (next_page_token), Range-resumed downloads,
retries (503, 429 with Retry-After, dropped connections), OAuth M2M and its token refresh,
401 with a bad token, and that no secret ever reaches the output.
"""
from __future__ import annotations

import json
import time

import pyarrow.parquet as pq
import pytest

from databricks_fake import CLIENT_ID, CLIENT_SECRET, PAT
from databricks_helpers import (  # noqa: F401  (fixtures)
    assert_no_secret,
    check_sales_parquet,
    clean_env,
    fake,
    home,
    run,
    sales_csv,
)

VOL = "dbfs:/Volumes/cat/sch/vol"


def pat_env(home, fake, **extra):
    return clean_env(home, DATABRICKS_HOST=fake.url, DATABRICKS_TOKEN=PAT, **extra)


def test_single_file_round_trip_and_staging_cleaned(pyforge, fake, home, tmp_path):
    (fake.root / "Volumes/cat/sch/vol/in").mkdir()
    (fake.root / "Volumes/cat/sch/vol/in/sales.csv").write_bytes(sales_csv(1000))
    stage = tmp_path / "stage"
    r = run(pyforge, pat_env(home, fake), "convert", f"{VOL}/in/sales.csv", f"{VOL}/out/sales.parquet", "--temp-dir", stage)
    assert r.returncode == 0, r.describe()
    check_sales_parquet(fake.root / "Volumes/cat/sch/vol/out/sales.parquet", 1000)
    assert "dbfs:/Volumes/cat/sch/vol/in/sales.csv -> dbfs:/Volumes/cat/sch/vol/out/sales.parquet" in r.stdout, r.describe()
    assert list(stage.iterdir()) == [], "staging folder left behind"
    # Uploads stream from disk with a Content-Length (no chunked whole-file buffering).
    puts = [h for m, p, h in fake.requests if m == "PUT" and "/fs/files/" in p]
    assert len(puts) == 1 and int(puts[0]["content-length"]) > 0
    assert_no_secret(r)


def test_output_beside_the_remote_input(pyforge, fake, home):
    (fake.root / "Volumes/cat/sch/vol/sales.csv").write_bytes(sales_csv(10))
    r = run(pyforge, pat_env(home, fake), "convert", f"/Volumes/cat/sch/vol/sales.csv")
    assert r.returncode == 0, r.describe()
    check_sales_parquet(fake.root / "Volumes/cat/sch/vol/sales.parquet", 10)


def test_paged_folder_listing(pyforge, fake, home, tmp_path):
    src = fake.root / "Volumes/cat/sch/vol/many"
    (src / "sub").mkdir(parents=True)
    for i in range(5):
        (src / f"part{i}.csv").write_bytes(sales_csv(10 + i))
    (src / "notes.bin").write_bytes(b"\x00\x01")
    (src / "sub/deep.csv").write_bytes(sales_csv(3))
    stage = tmp_path / "stage"
    r = run(pyforge, pat_env(home, fake), "convert", f"{VOL}/many/", f"{VOL}/out/", "--temp-dir", stage)
    assert r.returncode == 0, r.describe()
    for i in range(5):
        check_sales_parquet(fake.root / f"Volumes/cat/sch/vol/out/part{i}.parquet", 10 + i)
    assert not (fake.root / "Volumes/cat/sch/vol/out/deep.parquet").exists()
    listings = [p for m, p, _ in fake.requests if m == "GET" and "/fs/directories/" in p]
    assert any("page_token=2" in p for p in listings) and any("page_token=4" in p for p in listings), listings
    assert "5 converted, 0 failed" in r.stdout, r.describe()
    assert list(stage.iterdir()) == []
    # --recursive takes the subfolder too (its output is named after the file).
    r = run(pyforge, pat_env(home, fake), "convert", f"{VOL}/many", f"{VOL}/out2", "-r")
    assert r.returncode == 0, r.describe()
    check_sales_parquet(fake.root / "Volumes/cat/sch/vol/out2/deep.parquet", 3)


def test_glob_through_listing(pyforge, fake, home, tmp_path):
    src = fake.root / "Volumes/cat/sch/vol/g"
    src.mkdir()
    for n in ["a1.csv", "a2.csv", "b1.csv"]:
        (src / n).write_bytes(sales_csv(4))
    out = tmp_path / "out"
    r = run(pyforge, pat_env(home, fake), "convert", f"{VOL}/g/a*.csv", out)
    assert r.returncode == 0, r.describe()
    assert sorted(p.name for p in out.iterdir()) == ["a1.parquet", "a2.parquet"]
    r = run(pyforge, pat_env(home, fake), "convert", f"{VOL}/g/z*.csv", out)
    assert r.returncode == 1 and "no files match" in r.stderr, r.describe()


def test_dropped_connection_and_two_503s(pyforge, fake, home, tmp_path):
    """The fault test: the connection drops mid-download, then the server answers 503 twice."""
    data = sales_csv(60_000)  # ~1.3 MB
    (fake.root / "Volumes/cat/sch/vol/big.csv").write_bytes(data)
    cut = 300_000
    fake.faults["/Volumes/cat/sch/vol/big.csv"] = [("drop", cut), ("status", 503, None), ("status", 503, None)]
    out = tmp_path / "big.parquet"
    r = run(pyforge, pat_env(home, fake), "convert", f"{VOL}/big.csv", out, "-v")
    assert r.returncode == 0, r.describe()
    check_sales_parquet(out, 60_000)
    gets = [h for m, p, h in fake.requests if m == "GET" and p.endswith("/big.csv")]
    assert len(gets) == 4, [g.get("range") for g in gets]
    assert "range" not in gets[0]
    assert [g.get("range") for g in gets[1:]] == [f"bytes={cut}-"] * 3
    assert "if-range" in gets[3]
    assert "503" in r.stderr and "resuming at byte" in r.stderr, r.describe()


def test_retries_show_on_a_terminal_without_verbose(pyforge, fake, home, tmp_path):
    """A person watching a terminal sees each wait as it happens; a pipe without -v stays quiet."""
    import pyforge_helpers as H

    (fake.root / "Volumes/cat/sch/vol/r.csv").write_bytes(sales_csv(100))
    env = pat_env(home, fake, TERM="xterm")
    fake.faults["/Volumes/cat/sch/vol/r.csv"] = [("status", 503, None), ("status", 503, None)]
    code, screen = H.run_in_terminal([str(pyforge), "convert", f"{VOL}/r.csv", str(tmp_path / "t.parquet")], env)
    assert code == 0, screen
    retries = [line for line in screen.splitlines() if "HTTP 503" in line and "retrying in" in line]
    assert len(retries) == 2, screen
    assert "(attempt 2 of" in retries[0] and "(attempt 3 of" in retries[1], retries
    fake.faults["/Volumes/cat/sch/vol/r.csv"] = [("status", 503, None)]
    r = run(pyforge, env, "convert", f"{VOL}/r.csv", tmp_path / "p.parquet")
    assert r.returncode == 0, r.describe()
    assert "retrying" not in r.stderr + r.stdout, r.describe()
    check_sales_parquet(tmp_path / "p.parquet", 100)


def test_server_ignoring_range_restarts_cleanly(pyforge, fake, home, tmp_path):
    (fake.root / "Volumes/cat/sch/vol/big.csv").write_bytes(sales_csv(30_000))
    fake.ignore_range = True
    fake.faults["/Volumes/cat/sch/vol/big.csv"] = [("drop", 100_000)]
    out = tmp_path / "big.parquet"
    r = run(pyforge, pat_env(home, fake), "convert", f"{VOL}/big.csv", out)
    assert r.returncode == 0, r.describe()
    check_sales_parquet(out, 30_000)


def test_429_honours_retry_after(pyforge, fake, home, tmp_path):
    (fake.root / "Volumes/cat/sch/vol/s.csv").write_bytes(sales_csv(5))
    fake.faults["/Volumes/cat/sch/vol/s.csv"] = [("status", 429, 2)]
    started = time.monotonic()
    r = run(pyforge, pat_env(home, fake), "convert", f"{VOL}/s.csv", tmp_path / "s.parquet")
    assert r.returncode == 0, r.describe()
    assert time.monotonic() - started >= 2.0
    check_sales_parquet(tmp_path / "s.parquet", 5)


def test_persistent_503_gives_up_with_a_clear_error(pyforge, fake, home, tmp_path):
    (fake.root / "Volumes/cat/sch/vol/s.csv").write_bytes(sales_csv(5))
    fake.faults["/Volumes/cat/sch/vol/s.csv"] = [("status", 503, 0)] * 20
    stage = tmp_path / "stage"
    r = run(pyforge, pat_env(home, fake), "convert", f"{VOL}/s.csv", tmp_path / "s.parquet", "--temp-dir", stage)
    assert r.returncode == 1, r.describe()
    assert "GET dbfs:/Volumes/cat/sch/vol/s.csv: HTTP 503" in r.stderr, r.describe()
    assert list(stage.iterdir()) == [], "staging folder left behind after a failure"
    assert not (tmp_path / "s.parquet").exists()


def test_bad_token_is_401_naming_the_path_not_the_token(pyforge, fake, home):
    (fake.root / "Volumes/cat/sch/vol/s.csv").write_bytes(sales_csv(5))
    bad = "dapi-wrong-token-999"
    r = run(pyforge, clean_env(home, DATABRICKS_HOST=fake.url, DATABRICKS_TOKEN=bad), "convert", f"{VOL}/s.csv", f"{VOL}/s.parquet", "-v")
    assert r.returncode == 1, r.describe()
    # The first request checks that the output does not exist yet.
    assert "HEAD dbfs:/Volumes/cat/sch/vol/s.parquet: authentication failed (HTTP 401" in r.stderr, r.describe()
    assert bad not in r.stderr and bad not in r.stdout


def test_missing_file_and_invalid_volume_path(pyforge, fake, home):
    r = run(pyforge, pat_env(home, fake), "convert", f"{VOL}/nope.csv", f"{VOL}/nope.parquet")
    assert r.returncode == 1 and "dbfs:/Volumes/cat/sch/vol/nope.csv: not found" in r.stderr, r.describe()
    r = run(pyforge, pat_env(home, fake), "convert", "dbfs:/Volumes/cat/sch", "x.parquet")
    assert r.returncode == 1, r.describe()
    assert "not a valid Volume path: the volume name is missing" in r.stderr, r.describe()


def test_existing_remote_output_needs_force(pyforge, fake, home):
    (fake.root / "Volumes/cat/sch/vol/s.csv").write_bytes(sales_csv(5))
    out = fake.root / "Volumes/cat/sch/vol/s.parquet"
    out.write_bytes(b"old")
    r = run(pyforge, pat_env(home, fake), "convert", f"{VOL}/s.csv", f"{VOL}/s.parquet")
    assert r.returncode == 1 and "already exists (use --force" in r.stderr, r.describe()
    assert out.read_bytes() == b"old"
    # Output named after the input: found to exist only after converting; still nothing uploaded.
    r = run(pyforge, pat_env(home, fake), "convert", f"{VOL}/s.csv")
    assert r.returncode == 1 and "already exists" in r.stderr and "nothing was uploaded" in r.stderr, r.describe()
    assert out.read_bytes() == b"old"
    r = run(pyforge, pat_env(home, fake), "convert", f"{VOL}/s.csv", f"{VOL}/s.parquet", "--force")
    assert r.returncode == 0, r.describe()
    check_sales_parquet(out, 5)


def test_failed_conversion_uploads_nothing(pyforge, fake, home, tmp_path):
    (fake.root / "Volumes/cat/sch/vol/bad.csv").write_bytes(b"a,b\n1,2\n3,4,5,6\n")
    stage = tmp_path / "stage"
    r = run(pyforge, pat_env(home, fake), "convert", f"{VOL}/bad.csv", f"{VOL}/bad.parquet", "--temp-dir", stage)
    assert r.returncode == 1, r.describe()
    assert "dbfs:/Volumes/cat/sch/vol/bad.csv" in r.stderr, r.describe()
    assert str(stage) not in r.stderr
    assert not (fake.root / "Volumes/cat/sch/vol/bad.parquet").exists()
    assert not [m for m, p, _ in fake.requests if m == "PUT"]
    assert list(stage.iterdir()) == []


def test_oauth_m2m_discovery_and_refresh_before_expiry(pyforge, fake, home, tmp_path):
    fake.token_lifetime = 1  # refreshed 0.1 s before it lapses
    src = fake.root / "Volumes/cat/sch/vol/m2m"
    src.mkdir()
    for i in range(3):
        (src / f"f{i}.csv").write_bytes(sales_csv(5))
    fake.faults["/Volumes/cat/sch/vol/m2m/f1.csv"] = [("status", 429, 2)]
    env = clean_env(home, DATABRICKS_HOST=fake.url, DATABRICKS_CLIENT_ID=CLIENT_ID, DATABRICKS_CLIENT_SECRET=CLIENT_SECRET)
    r = run(pyforge, env, "convert", f"{VOL}/m2m", tmp_path / "out", "-v")
    assert r.returncode == 0, r.describe()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["f0.parquet", "f1.parquet", "f2.parquet"]
    assert fake.token_requests >= 2, "the token was not refreshed"
    assert fake.expired_uses == 0, "an expired token was sent"
    discovery = [p for m, p, _ in fake.requests if "oauth-authorization-server" in p]
    assert len(discovery) == 1
    assert_no_secret(r)
    # A wrong secret: a clear error naming the client, never the secret.
    env["DATABRICKS_CLIENT_SECRET"] = "wrong-secret-xyz"
    r = run(pyforge, env, "convert", f"{VOL}/m2m/f0.csv", tmp_path / "x.parquet")
    assert r.returncode == 1 and f"refused client `{CLIENT_ID}`" in r.stderr, r.describe()
    assert "wrong-secret-xyz" not in r.stderr


def test_config_file_profiles(pyforge, fake, home, tmp_path):
    (fake.root / "Volumes/cat/sch/vol/s.csv").write_bytes(sales_csv(5))
    cfg = f"[DEFAULT]\nhost = {fake.url}\ntoken = wrong\n\n[good]\nhost = {fake.url}\ntoken = {PAT}\n\n[sp]\nhost = {fake.url}\nclient_id = {CLIENT_ID}\nclient_secret = {CLIENT_SECRET}\n"
    (home / ".databrickscfg").write_text(cfg)
    env = clean_env(home)
    r = run(pyforge, env, "convert", f"{VOL}/s.csv", tmp_path / "a.parquet")
    assert r.returncode == 1 and "HTTP 401" in r.stderr, r.describe()
    r = run(pyforge, env, "convert", f"{VOL}/s.csv", tmp_path / "a.parquet", "--profile", "good")
    assert r.returncode == 0, r.describe()
    r = run(pyforge, dict(env, DATABRICKS_CONFIG_PROFILE="sp"), "convert", f"{VOL}/s.csv", tmp_path / "b.parquet")
    assert r.returncode == 0, r.describe()
    other = tmp_path / "other.cfg"
    other.write_text(f"[DEFAULT]\nhost = {fake.url}\ntoken = {PAT}\n")
    r = run(pyforge, dict(env, DATABRICKS_CONFIG_FILE=str(other)), "convert", f"{VOL}/s.csv", tmp_path / "c.parquet")
    assert r.returncode == 0, r.describe()
    r = run(pyforge, env, "convert", f"{VOL}/s.csv", tmp_path / "d.parquet", "--profile", "missing")
    assert r.returncode == 1 and "profile `missing` not found" in r.stderr, r.describe()
    r = run(pyforge, env, "env-info", "--json", "--profile", "sp")
    assert r.returncode == 0, r.describe()
    assert json.loads(r.stdout)["auth"] == {"method": "oauth-m2m", "host": fake.url, "profile": "sp"}
    assert_no_secret(r)


def test_no_credentials_is_a_clear_error(pyforge, home, tmp_path):
    r = run(pyforge, clean_env(home), "convert", "dbfs:/Volumes/c/s/v/x.csv", tmp_path / "x.parquet")
    assert r.returncode == 1, r.describe()
    assert "DATABRICKS_HOST" in r.stderr, r.describe()


def test_info_and_validate_of_a_volume_file(pyforge, fake, home):
    (fake.root / "Volumes/cat/sch/vol/s.csv").write_bytes(sales_csv(7))
    r = run(pyforge, pat_env(home, fake), "info", f"{VOL}/s.csv", "--json")
    assert r.returncode == 0, r.describe()
    doc = json.loads(r.stdout)
    assert doc["path"] == f"{VOL}/s.csv"
    assert doc["tables"][0]["rows"] == 7
    r = run(pyforge, pat_env(home, fake), "validate", f"{VOL}/s.csv")
    assert r.returncode == 0 and f"valid: {VOL}/s.csv" in r.stdout, r.describe()


def test_volumes_list_pages_and_get(pyforge, fake, home):
    r = run(pyforge, pat_env(home, fake), "volumes", "list", "cat.sch", "--json")
    assert r.returncode == 0, r.describe()
    assert [v["full_name"] for v in json.loads(r.stdout)] == [f"cat.sch.v{i}" for i in range(5)]
    lists = [p for m, p, _ in fake.requests if p.startswith("/api/2.1/unity-catalog/volumes?")]
    assert len(lists) == 3, lists
    r = run(pyforge, pat_env(home, fake), "volumes", "list", "cat.sch")
    assert r.returncode == 0 and "cat.sch.v4" in r.stdout and "MANAGED" in r.stdout, r.describe()
    r = run(pyforge, pat_env(home, fake), "volumes", "get", "cat.sch.v3", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["name"] == "v3", r.describe()
    r = run(pyforge, pat_env(home, fake), "volumes", "get", "cat.sch.nope")
    assert r.returncode == 1 and "volume cat.sch.nope: not found" in r.stderr, r.describe()
    r = run(pyforge, pat_env(home, fake), "volumes", "list", "justone")
    assert r.returncode == 1 and "not a CATALOG.SCHEMA name" in r.stderr, r.describe()


def test_info_error_names_the_volume_path(pyforge, fake, home):
    (fake.root / "Volumes/cat/sch/vol/bad.csv").write_bytes(b"a,b\n1,2\n3,4,5,6\n")
    r = run(pyforge, pat_env(home, fake), "validate", f"{VOL}/bad.csv")
    assert r.returncode == 1 and "dbfs:/Volumes/cat/sch/vol/bad.csv" in r.stderr and "pyforge-stage-" not in r.stderr, r.describe()


def test_server_echoing_the_token_is_scrubbed(pyforge, fake, home):
    bad = "dapi-echoed-token-777"
    r = run(pyforge, clean_env(home, DATABRICKS_HOST=fake.url, DATABRICKS_TOKEN=bad), "volumes", "list", "cat.sch", "-vv")
    assert r.returncode == 1, r.describe()
    assert "GET volumes of cat.sch: authentication failed (HTTP 401: UNAUTHENTICATED: Invalid access token: Bearer ***)" in r.stderr, r.describe()
    assert bad not in r.stderr + r.stdout


def test_many_table_output_folder_manifest_last_and_dbf_memo_sidecar(pyforge, fake, home, tmp_path):
    samples = tmp_path / "samples"
    r = run(pyforge, clean_env(home), "samples", samples)
    assert r.returncode == 0, r.describe()
    vol = fake.root / "Volumes/cat/sch/vol"
    (vol / "book.xlsx").write_bytes((samples / "sales.xlsx").read_bytes())
    (vol / "customers.dbf").write_bytes((samples / "customers_vfp.dbf").read_bytes())
    (vol / "customers.FPT").write_bytes((samples / "customers_vfp.fpt").read_bytes())
    r = run(pyforge, pat_env(home, fake), "convert", f"{VOL}/book.xlsx")
    assert r.returncode == 0, r.describe()
    assert sorted(p.name for p in (vol / "book").iterdir()) == ["Notes.parquet", "Orders.parquet", "_manifest.json"]
    manifest = json.loads((vol / "book/_manifest.json").read_text())
    assert {t["name"]: t["rows"] for t in manifest["tables"]} == {"Orders": 301, "Notes": 1}
    assert pq.read_table(vol / "book/Orders.parquet").num_rows == 301
    puts = [p for m, p, _ in fake.requests if m == "PUT" and "/fs/files/" in p]
    assert puts[-1].split("?")[0].endswith("/book/_manifest.json"), puts
    # The DBF's memo file comes along (found by listing the folder); it is not uploaded back.
    local = tmp_path / "cust_local.parquet"
    r0 = run(pyforge, clean_env(home), "convert", samples / "customers_vfp.dbf", local)
    assert r0.returncode == 0, r0.describe()
    r = run(pyforge, pat_env(home, fake), "convert", f"{VOL}/customers.dbf", tmp_path / "cust.parquet")
    assert r.returncode == 0, r.describe()
    assert pq.read_table(tmp_path / "cust.parquet").equals(pq.read_table(local))


def test_partitioned_output_and_literal_bracket_name(pyforge, fake, home, tmp_path):
    vol = fake.root / "Volumes/cat/sch/vol"
    rows = ["region,amount"] + [f"{'north' if i % 3 else 'south'},{i}" for i in range(30)]
    (vol / "data[1].csv").write_text("\n".join(rows) + "\n")
    # `data[1].csv` exists, so it is that file and not a glob pattern.
    r = run(pyforge, pat_env(home, fake), "convert", f"{VOL}/data[1].csv", f"{VOL}/parts", "--partition-by", "region")
    assert r.returncode == 0, r.describe()
    north = list((vol / "parts/region=north").glob("*.parquet"))
    south = list((vol / "parts/region=south").glob("*.parquet"))
    assert len(north) == 1 and len(south) == 1, sorted(str(p) for p in (vol / "parts").rglob("*"))
    assert pq.read_table(north[0]).num_rows == 20 and pq.read_table(south[0]).num_rows == 10


def test_ctrl_c_removes_the_staging_folder(pyforge, fake, home, tmp_path):
    import signal
    import subprocess

    (fake.root / "Volumes/cat/sch/vol/slow.csv").write_bytes(sales_csv(20_000))
    fake.faults["/Volumes/cat/sch/vol/slow.csv"] = [("stall", 50_000, 20)]
    stage = tmp_path / "stage"
    argv = [str(pyforge), "convert", f"{VOL}/slow.csv", str(tmp_path / "slow.parquet"), "--temp-dir", str(stage)]
    p = subprocess.Popen(argv, env=pat_env(home, fake), stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            staged = list(stage.rglob("slow.csv")) if stage.exists() else []
            if staged and staged[0].stat().st_size >= 50_000:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the download never started")
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=15)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 130, err.decode()
    assert list(stage.iterdir()) == [], "staging folder left behind after Ctrl-C"
    assert not (tmp_path / "slow.parquet").exists()
