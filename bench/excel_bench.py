#!/usr/bin/env python3
"""Excel -> Parquet benchmark: PyForge vs fastexcel (-> pyarrow -> Parquet), polars
`read_excel` (calamine engine) and pandas + openpyxl (xlrd for .xls).

Generates (once, into bench/data/) a 200,000-row x 12-column workbook with ints, floats,
text, dates, datetimes and booleans:
  * .xlsx: one sheet of 200,000 rows (written with xlsxwriter, constant-memory mode);
  * .xls: BIFF8 allows 65,536 rows per sheet, so 4 sheets of 50,000 rows (written with xlwt).
Every tool reads every sheet and writes Parquet; each runs in its own process under
/usr/bin/time, which gives wall time and peak RSS. Prints a table with the ratio
peer time / PyForge time (above 1: PyForge is faster).

Run:
  cargo build --release -p pyforge-cli
  python3 -m venv bench/.venv-excel && bench/.venv-excel/bin/pip install xlsxwriter xlwt xlrd \
      fastexcel polars pyarrow pandas openpyxl
  bench/.venv-excel/bin/python bench/excel_bench.py [--rows 200000] [--repeat 1]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DATA = BENCH / "data"

PEERS = {
    "fastexcel": """
import sys, fastexcel, pyarrow as pa, pyarrow.parquet as pq
r = fastexcel.read_excel(sys.argv[1])
tables = [r.load_sheet(n).to_arrow() for n in r.sheet_names]
# fastexcel >= 0.12 returns a RecordBatch
tables = [pa.Table.from_batches([t]) if isinstance(t, pa.RecordBatch) else t for t in tables]
for i, t in enumerate(tables):
    pq.write_table(t, f"{sys.argv[2]}.{i}.parquet")
print(sum(t.num_rows for t in tables))
""",
    "polars": """
import sys, polars as pl
d = pl.read_excel(sys.argv[1], sheet_id=0)
for i, df in enumerate(d.values()):
    df.write_parquet(f"{sys.argv[2]}.{i}.parquet")
print(sum(df.height for df in d.values()))
""",
    "pandas": """
import sys, pandas as pd
engine = "xlrd" if sys.argv[1].endswith(".xls") else "openpyxl"
d = pd.read_excel(sys.argv[1], sheet_name=None, engine=engine)
for i, df in enumerate(d.values()):
    df.to_parquet(f"{sys.argv[2]}.{i}.parquet")
print(sum(len(df) for df in d.values()))
""",
}

WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "Zürich", "São Paulo", "Kraków"]


def row(i: int):
    base = dt.datetime(2020, 1, 1)
    return [
        i,
        (i * 7919) % 1_000_003,
        (i % 10_000) / 7.0,
        round((i * 31) % 100_000 / 100.0, 2),
        WORDS[i % len(WORDS)],
        f"customer {i % 5000:05d}",
        (base + dt.timedelta(days=i % 3000)).date(),
        base + dt.timedelta(seconds=i * 37),
        i % 3 == 0,
        -(i % 977),
        f"note {i}" if i % 5 else "",
        float(i % 100),
    ]


HEADER = ["id", "code", "ratio", "price", "word", "customer", "day", "stamp", "flag", "neg", "note", "pct"]


def make_xlsx(path: Path, rows: int) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("data")
    dfmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    tfmt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    ws.write_row(0, 0, HEADER)
    for i in range(rows):
        r = row(i)
        for c, v in enumerate(r):
            if c == 6:
                ws.write_datetime(i + 1, c, dt.datetime.combine(v, dt.time()), dfmt)
            elif c == 7:
                ws.write_datetime(i + 1, c, v, tfmt)
            elif v == "":
                continue
            else:
                ws.write(i + 1, c, v)
    wb.close()


def make_xls(path: Path, rows: int) -> None:
    import xlwt

    wb = xlwt.Workbook()
    dstyle = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    tstyle = xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm:ss")
    per = 50_000
    for s in range(0, rows, per):
        ws = wb.add_sheet(f"data{s // per + 1}")
        for c, h in enumerate(HEADER):
            ws.write(0, c, h)
        for j, i in enumerate(range(s, min(rows, s + per))):
            for c, v in enumerate(row(i)):
                if c == 6:
                    ws.write(j + 1, c, v, dstyle)
                elif c == 7:
                    ws.write(j + 1, c, v, tstyle)
                elif v == "":
                    continue
                else:
                    ws.write(j + 1, c, v)
    wb.save(str(path))


def timed(cmd: list[str]) -> tuple[float, float, str, int]:
    """(wall seconds, peak RSS MiB, stdout, exit code) of one command under /usr/bin/time."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        full = ["/usr/bin/time", "-f", "%e %M", "-o", tf.name, *cmd]
        p = subprocess.run(full, capture_output=True, text=True)
        wall, rss = tf.read().strip().split()[-2:]
    return float(wall), int(rss) / 1024, (p.stdout + p.stderr).strip(), p.returncode


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--formats", default="xlsx,xls")
    ap.add_argument("--pyforge", default=os.environ.get("PYFORGE", str(REPO / "target/release/pyforge")))
    a = ap.parse_args()
    DATA.mkdir(exist_ok=True)
    results = []
    for fmt in a.formats.split(","):
        src = DATA / f"bench_{a.rows}x12.{fmt}"
        if not src.exists():
            print(f"generating {src} ...", flush=True)
            (make_xlsx if fmt == "xlsx" else make_xls)(src, a.rows)
        out = Path(tempfile.mkdtemp(prefix="excel-bench-"))
        try:
            tools = {"pyforge": [a.pyforge, "-q", "convert", str(src), str(out / "pyforge") + "/", "--force"]}
            for name, code in PEERS.items():
                tools[name] = [sys.executable, "-c", code, str(src), str(out / name)]
            times = {}
            for name, cmd in tools.items():
                best = None
                for _ in range(a.repeat):
                    wall, rss, text, rc = timed(cmd)
                    if rc != 0:
                        print(f"{fmt} {name}: FAILED ({text[-300:]})", flush=True)
                        best = None
                        break
                    if best is None or wall < best[0]:
                        best = (wall, rss)
                if best:
                    times[name] = best
                    print(f"{fmt:5} {name:10} {best[0]:7.2f} s  {best[1]:8.1f} MiB", flush=True)
            base = times.get("pyforge")
            for name, (wall, rss) in times.items():
                ratio = wall / base[0] if base else float("nan")
                results.append((fmt, name, wall, rss, ratio))
        finally:
            shutil.rmtree(out, ignore_errors=True)
    print()
    print(f"{'input':6} {'tool':10} {'wall s':>8} {'peak MiB':>9} {'peer/pyforge':>13}")
    for fmt, name, wall, rss, ratio in results:
        print(f"{fmt:6} {name:10} {wall:8.2f} {rss:9.1f} {ratio:13.2f}")


if __name__ == "__main__":
    main()
