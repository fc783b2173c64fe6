#!/usr/bin/env python3
"""Access -> Parquet benchmark: PyForge vs mdbtools + pyarrow.

The peer is what a user without PyForge does: `mdb-export DB TABLE` for every table
`mdb-tables` lists, each CSV read by pyarrow (`pyarrow.csv.read_csv`) and written as Parquet.
PyForge converts the whole database in one command (tables in parallel).

Inputs: the largest databases of the test data (testdata/access), or the files given, and
with --generate-mb N a generated Jet4 database of about N MB, written by the project's own writer
(`crates/pyforge-samples/examples/access_gen.rs`: tables of one million order rows each with
numbers, dates, currency, text, Yes/No and a memo column; built here if missing).
Needs: mdbtools (apt-get install mdbtools), pyarrow, a release build of pyforge.

    cargo build --release -p pyforge-cli
    python bench/access_bench.py [--repeat 3] [--top 5] [--generate-mb 500] [DB ...]

Prints, per database, wall time and peak RSS of each tool and the ratio peer/PyForge.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "python"))
from pyforge_helpers import TESTDATA  # noqa: E402  (the one place that knows where test data is)

CORPUS = TESTDATA / "access"

PEER = r"""
import io, json, resource, subprocess, sys
import pyarrow.csv as pc, pyarrow.parquet as pq
db, out = sys.argv[1], sys.argv[2]
tables = [t for t in subprocess.run(["mdb-tables", "-1", db], capture_output=True, text=True, check=True).stdout.split("\n") if t]
for i, t in enumerate(tables):
    csv = subprocess.run(["mdb-export", db, t], capture_output=True, check=True).stdout
    table = pc.read_csv(io.BytesIO(csv))
    pq.write_table(table, f"{out}/{i}.parquet")
kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"tables": len(tables), "maxrss_kb": max(kids, me)}))
"""


def run_measured(cmd: list[str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (KiB) of the process itself, stdout."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    out = p.stdout.read().decode()
    err = p.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{cmd[0]} failed: {err.strip()[:500]}")
    return wall, usage.ru_maxrss, out


def bench_one(pyforge: Path, db: Path, repeat: int) -> dict:
    best = {}
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            w, rss, _ = run_measured([str(pyforge), "convert", str(db), f"{tmp}/out", "--force", "-q"])
            if "pyforge" not in best or w < best["pyforge"][0]:
                best["pyforge"] = (w, rss)
        with tempfile.TemporaryDirectory() as tmp:
            w, rss, out = run_measured([sys.executable, "-c", PEER, str(db), tmp])
            rss = max(rss, json.loads(out)["maxrss_kb"])
            if "peer" not in best or w < best["peer"][0]:
                best["peer"] = (w, rss)
    return best


def generate(path: Path, mb: int) -> Path:
    """Write the generated database with the project's writer (the access_gen example)."""
    gen = REPO / "target/release/examples/access_gen"
    if not gen.is_file():
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "pyforge-samples", "--example", "access_gen"],
                       cwd=REPO, check=True)
    start = time.perf_counter()
    out = subprocess.run([str(gen), str(path), str(mb)], capture_output=True, text=True, check=True).stdout
    print(f"generated {path.name}: {path.stat().st_size / 1e6:.0f} MB, {out.split(': ')[-1].strip()} "
          f"in {time.perf_counter() - start:.1f} s", flush=True)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dbs", nargs="*", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--top", type=int, default=5, help="how many of the largest corpus databases")
    ap.add_argument("--generate-mb", type=int, default=0,
                    help="also benchmark a generated database of about this many MB (the project's Jet4 writer)")
    ap.add_argument("--only-generated", action="store_true", help="skip the corpus databases")
    ap.add_argument("--pyforge", type=Path, default=Path(os.environ.get("PYFORGE", REPO / "target/release/pyforge")))
    a = ap.parse_args()
    if not shutil.which("mdb-export"):
        sys.exit("mdbtools is missing: apt-get install mdbtools")
    dbs = a.dbs or sorted((p for p in CORPUS.rglob("*") if p.suffix.lower() in (".mdb", ".accdb")),
                          key=lambda p: p.stat().st_size, reverse=True)[: a.top]
    if a.only_generated:
        dbs = []
    gen_dir = None
    if a.generate_mb:
        gen_dir = tempfile.TemporaryDirectory(prefix="access_bench_")
        dbs.append(generate(Path(gen_dir.name) / f"generated_{a.generate_mb}mb.mdb", a.generate_mb))
    print(f"{'database':52} {'MB':>6} {'pyforge s':>9} {'MiB':>6} {'peer s':>8} {'MiB':>6} {'ratio':>6}")
    for db in dbs:
        r = bench_one(a.pyforge, db, a.repeat)
        (pw, pr), (ew, er) = r["pyforge"], r["peer"]
        print(f"{db.name[-52:]:52} {db.stat().st_size / 1e6:6.1f} {pw:9.3f} {pr / 1024:6.1f} {ew:8.3f} {er / 1024:6.1f} {ew / pw:6.1f}x")


if __name__ == "__main__":
    main()
