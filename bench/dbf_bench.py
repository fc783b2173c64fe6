#!/usr/bin/env python3
"""DBF -> Parquet benchmark: PyForge vs dbfread -> pyarrow, and dbfread + pandas (the old
pyforge-cli's approach).

The input is generated locally and deterministically: a Visual FoxPro table (cp1252) of
--rows records (default 1,000,000) with an integer, character, numeric (decimal and integer),
date, logical and memo field, and its .fpt memo file (a memo on every second record).

    cargo build --release -p pyforge-cli
    python3 -m venv bench/.venv-dbf && bench/.venv-dbf/bin/pip install dbfread pyarrow pandas
    bench/.venv-dbf/bin/python bench/dbf_bench.py            # 1M records
    bench/.venv-dbf/bin/python bench/dbf_bench.py --rows 100000

Each tool runs in its own process; wall time and peak RSS (ru_maxrss from wait4) are its own.
The ratio column is the peer's time over PyForge's. All outputs are checked for the row count.
"""
from __future__ import annotations

import argparse
import os
import random
import struct
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DATA = BENCH / "data"

FIELDS = [  # name, type, length, decimals
    ("ID", "I", 4, 0),
    ("NAME", "C", 30, 0),
    ("CITY", "C", 20, 0),
    ("AMOUNT", "N", 12, 2),
    ("QTY", "N", 6, 0),
    ("ORDERED", "D", 8, 0),
    ("PAID", "L", 1, 0),
    ("NOTE", "M", 4, 0),
]
CITIES = ["Lisboa", "Zürich", "São Paulo", "Kraków", "Reykjavík", "Montréal", "Köln", "Cork"]
NAMES = ["José Müller", "Françoise Légère", "Øyvind Åsen", "Zoë Smith", "Ana Conceição", "Lukas Novak"]


def generate(path: Path, rows: int) -> None:
    rnd = random.Random(42)
    block = 64
    record_len = 1 + sum(f[2] for f in FIELDS)
    header_len = 32 + 32 * len(FIELDS) + 1 + 263
    hdr = bytearray(32)
    hdr[0] = 0x30
    hdr[1:4] = bytes([124, 1, 1])
    struct.pack_into("<IHH", hdr, 4, rows, header_len, record_len)
    hdr[28] = 0x02
    hdr[29] = 0x03
    off = 1
    for name, typ, length, dec in FIELDS:
        d = bytearray(32)
        d[: len(name)] = name.encode()
        d[11] = ord(typ)
        struct.pack_into("<I", d, 12, off)
        d[16] = length
        d[17] = dec
        hdr += d
        off += length
    hdr += b"\r" + bytes(263)
    memo = bytearray(512)
    next_block = 512 // block
    with open(path, "wb") as f:
        f.write(hdr)
        buf = bytearray()
        for i in range(rows):
            name = f"{rnd.choice(NAMES)} {i}".encode("cp1252").ljust(30)
            city = rnd.choice(CITIES).encode("cp1252").ljust(20)
            amount = f"{rnd.randint(-10**8, 10**9) / 100:.2f}".encode().rjust(12)
            qty = str(rnd.randint(0, 99999)).encode().rjust(6)
            date = f"{rnd.randint(1990, 2030)}{rnd.randint(1, 12):02}{rnd.randint(1, 28):02}".encode()
            paid = rnd.choice(b"TF?")
            if i % 2 == 0:
                text = (f"Order {i}: " + "deliver to " + rnd.choice(CITIES) + "; " * rnd.randint(1, 5)).encode("cp1252")
                ref = next_block
                m = struct.pack(">II", 1, len(text)) + text
                m += bytes(-len(m) % block)
                memo += m
                next_block += len(m) // block
            else:
                ref = 0
            buf += b" " + struct.pack("<i", i) + name + city + amount + qty + date + bytes([paid]) + struct.pack("<I", ref)
            if len(buf) > 1 << 22:
                f.write(buf)
                buf.clear()
        f.write(buf + b"\x1a")
    struct.pack_into(">I", memo, 0, next_block)
    struct.pack_into(">H", memo, 6, block)
    path.with_suffix(".fpt").write_bytes(memo)


PEER_DBFREAD_ARROW = r"""
import sys, dbfread, pyarrow as pa, pyarrow.parquet as pq
src, out = sys.argv[1], sys.argv[2]
t = dbfread.DBF(src, encoding="cp1252")
cols = {f.name: [] for f in t.fields}
for r in t:
    for k, v in r.items():
        cols[k].append(v)
table = pa.table(cols)
pq.write_table(table, out)
print(table.num_rows)
"""

PEER_DBFREAD_PANDAS = r"""
import sys, dbfread, pandas as pd
src, out = sys.argv[1], sys.argv[2]
df = pd.DataFrame(iter(dbfread.DBF(src, encoding="cp1252")))
df.to_parquet(out)
print(len(df))
"""


def run(cmd: list[str]) -> tuple[float, float, str]:
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    out = p.stdout.read().decode()
    err = p.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{cmd[0]} failed:\n{out}\n{err}")
    return wall, usage.ru_maxrss / 1024, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--pyforge", default=os.environ.get("PYFORGE", str(REPO / "target/release/pyforge")))
    ap.add_argument("--skip-peers", action="store_true")
    a = ap.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    src = DATA / f"dbf_bench_{a.rows}.dbf"
    if not src.exists() or not src.with_suffix(".fpt").exists():
        t0 = time.perf_counter()
        generate(src, a.rows)
        print(f"generated {src} ({src.stat().st_size / 1e6:.1f} MB + {src.with_suffix('.fpt').stat().st_size / 1e6:.1f} MB memo) in {time.perf_counter() - t0:.1f} s")
    import pyarrow.parquet as pq

    results = []
    out = DATA / "out_pyforge.parquet"
    wall, rss, _ = run([a.pyforge, "convert", str(src), str(out), "--force", "-q"])
    rows = pq.read_metadata(out).num_rows
    assert rows == a.rows, rows
    results.append(("pyforge", wall, rss, rows))
    if not a.skip_peers:
        for name, code in [("dbfread->pyarrow", PEER_DBFREAD_ARROW), ("dbfread+pandas", PEER_DBFREAD_PANDAS)]:
            o = DATA / f"out_{name.replace('>', '').replace('+', '_')}.parquet"
            wall, rss, printed = run([sys.executable, "-c", code, str(src), str(o)])
            assert int(printed.strip()) == a.rows, printed
            results.append((name, wall, rss, a.rows))
    base = results[0][1]
    print(f"\n{'tool':<18} {'wall s':>8} {'peak RSS MB':>12} {'rows':>10} {'time / pyforge':>15}")
    for name, wall, rss, rows in results:
        print(f"{name:<18} {wall:>8.2f} {rss:>12.0f} {rows:>10} {wall / base:>14.1f}x")


if __name__ == "__main__":
    main()
