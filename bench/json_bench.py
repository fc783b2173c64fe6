#!/usr/bin/env python3
"""JSON Lines -> Parquet benchmark: PyForge vs DuckDB (read_json_auto) and polars (scan_ndjson).

Usage:
    cargo build --release
    bench/.venv/bin/python bench/json_bench.py                 # 1.5 M records, generated once
    bench/.venv/bin/python bench/json_bench.py --records 200000  # quick check
    PYFORGE=/path/to/pyforge bench/.venv/bin/python bench/json_bench.py --repeat 3

Records have flat fields (int, text, double, bool, date, timestamp, a nullable int), a list of
strings and a nested object, like the events people export from APIs. Each tool runs in its own
process, reading the same file and writing snappy Parquet; the table shows wall time, peak RSS
(wait4), output size and the ratio peer time / PyForge time. Every output's row count is read
back with pyarrow and must equal the input's lines. Needs duckdb, polars and pyarrow (the
bench venv of csv_bench.sh has them).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = HERE / "data"

# The sibling XML bench's words and its process runner (wall time and peak RSS from wait4).
sys.path.insert(0, str(HERE))
from xml_bench import CITIES, WORDS, run  # noqa: E402


def generate(path: Path, records: int, seed: int = 11) -> None:
    rnd = random.Random(seed)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        for i in range(records):
            rec = {
                "id": i,
                "user": f"user{rnd.randint(1, 10**6)}",
                "city": rnd.choice(CITIES),
                "amount": round(rnd.random() * 10_000, 2),
                "paid": rnd.random() < 0.7,
                "day": f"20{rnd.randint(10, 24)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
                "at": f"2024-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}T{rnd.randint(0, 23):02d}:"
                f"{rnd.randint(0, 59):02d}:{rnd.randint(0, 59):02d}",
                "score": None if rnd.random() < 0.2 else rnd.randint(0, 100),
                "tags": [rnd.choice(WORDS) for _ in range(rnd.randint(0, 3))],
                "device": {"os": rnd.choice(["linux", "ios", "android"]), "version": rnd.randint(1, 17)},
            }
            f.write(json.dumps(rec, ensure_ascii=False))
            f.write("\n")
    tmp.rename(path)


def peer_duckdb(src: str, out: str) -> None:
    import duckdb

    duckdb.sql(f"COPY (SELECT * FROM read_json_auto('{src}')) TO '{out}' (FORMAT parquet, COMPRESSION snappy)")


def peer_polars(src: str, out: str) -> None:
    import polars as pl

    pl.scan_ndjson(src).sink_parquet(out, compression="snappy")


def rows_of(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=1_500_000)
    ap.add_argument("--skip", action="append", default=[], help="skip a peer: duckdb, polars")
    ap.add_argument("--repeat", type=int, default=1, help="runs of every tool (the best is reported)")
    ap.add_argument("--peer", nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.peer:
        {"duckdb": peer_duckdb, "polars": peer_polars}[a.peer[0]](a.peer[1], a.peer[2])
        return 0
    src = DATA / f"events_{a.records}.jsonl"
    if not src.exists():
        src.parent.mkdir(parents=True, exist_ok=True)
        print(f"generating {src} ...", flush=True)
        generate(src, a.records)
    pyforge = os.environ.get("PYFORGE", str(REPO / "target" / "release" / "pyforge"))
    out = DATA / "out"
    out.mkdir(parents=True, exist_ok=True)
    tools = [("pyforge", [pyforge, "convert", str(src), str(out / "json_pyforge.parquet"), "--force", "-q"])]
    for peer in ("duckdb", "polars"):
        if peer not in a.skip:
            target = out / f"json_{peer}.parquet"
            tools.append((peer, [sys.executable, __file__, "--peer", peer, str(src), str(target)]))
    print(f"input: {src} ({src.stat().st_size / 1e6:.0f} MB, {a.records} records)")
    # Read once so that every tool starts with the file in the page cache.
    with open(src, "rb") as f:
        while f.read(1 << 24):
            pass
    results = {}
    failed = False
    for name, argv in tools:
        wall, rss, code = min(run(argv) for _ in range(a.repeat))
        target = out / f"json_{name}.parquet"
        rows = rows_of(target) if code == 0 else -1
        if rows != a.records:
            print(f"  {name}: {rows} rows written, {a.records} expected", file=sys.stderr)
            failed = True
        size = target.stat().st_size if code == 0 else 0
        results[name] = (wall, rss, size, code)
        print(f"  {name:8} {wall:8.2f} s  peak RSS {rss / 2**20:6.0f} MiB  {size / 1e6:7.1f} MB", flush=True)
    base = results["pyforge"][0]
    print("\n| tool | wall s | peak RSS MiB | output MB | peer time / PyForge |\n|---|---:|---:|---:|---:|")
    for name, (wall, rss, size, code) in results.items():
        line = f"| {name} | {wall:.2f} | {rss / 2**20:.0f} | {size / 1e6:.1f} | {wall / base:.2f}x |"
        print(line + ("" if code == 0 else " FAILED"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
