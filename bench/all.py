#!/usr/bin/env python3
"""Every benchmark in one run, one table: each format, its peer, both times, the ratio and the
brief's target, with the machine named.

Usage:
    cargo build --release
    bench/csv_bench.sh --size-mb 1 --tools pyforge   # once: creates bench/.venv with the peers
    bench/.venv/bin/python bench/all.py              # installs the other peers it lacks
    bench/.venv/bin/python bench/all.py --quick      # small inputs, to check the plumbing

Each format's own script (csv_bench.py, json_bench.py, ...) runs as it would alone; this
script reads the numbers it prints. Run it on an otherwise idle machine: the scripts start
PyForge and its peers one after the other, so load from elsewhere changes the ratios.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PY = sys.executable
PEER_PACKAGES = {
    "duckdb": "duckdb", "polars": "polars", "pyarrow": "pyarrow", "pandas": "pandas", "lxml": "lxml",
    "dbfread": "dbfread", "fastexcel": "fastexcel", "xlsxwriter": "xlsxwriter", "xlwt": "xlwt",
    "xlrd": "xlrd", "openpyxl": "openpyxl", "psutil": "psutil",
}


def ensure_peers() -> None:
    missing = []
    for module, package in PEER_PACKAGES.items():
        try:
            __import__(module)
        except ImportError:
            missing.append(package)
    if missing:
        print(f"installing {' '.join(missing)} ...", flush=True)
        subprocess.run([PY, "-m", "pip", "install", "-q", *missing], check=True)


def run(args: list[str]) -> str:
    """A bench script's printed output (it must succeed)."""
    print("$ " + " ".join(args), flush=True)
    p = subprocess.run([PY, *args], cwd=REPO, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"{args[0]} failed ({p.returncode}):\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    return p.stdout


def number_after(pattern: str, text: str) -> float:
    m = re.search(pattern, text, re.MULTILINE)
    if not m:
        raise SystemExit(f"no match for {pattern!r} in:\n{text[-2000:]}")
    return float(m.group(1))


def markdown_row(text: str, tool: str) -> list[str]:
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0] == tool:
            return cells
    raise SystemExit(f"no row for {tool} in:\n{text[-2000:]}")


def bench_csv(quick: bool) -> dict:
    size = ["--size-mb", "50"] if quick else []
    run(["bench/csv_bench.py", "--tools", "pyforge,duckdb", "--skip-old", *size])
    res = json.loads((HERE / "data" / "last_results.json").read_text())
    by = {r["tool"]: r for r in res["results"]}
    p, d = by["pyforge"], by["duckdb"]
    return {"format": "CSV → Parquet (typed)", "input": f"{res['size_mib']:.0f} MiB, {res['rows']:,} rows",
            "pyforge_s": p["wall_s"], "pyforge_mb": p["peak_rss_mb"], "peer": "DuckDB", "peer_s": d["wall_s"],
            "target": 1.5, "extra": f"output {p['out_mb']:.0f} MB vs {d['out_mb']:.0f} MB; RSS target 256 MB"}


def bench_json(quick: bool) -> dict:
    out = run(["bench/json_bench.py", "--records", "100000" if quick else "1500000"])
    p, d = markdown_row(out, "pyforge"), markdown_row(out, "duckdb")
    return {"format": "JSON Lines → Parquet", "input": "100k records" if quick else "1.5 M records",
            "pyforge_s": float(p[1]), "pyforge_mb": float(p[2]), "peer": "DuckDB read_json_auto",
            "peer_s": float(d[1]), "target": 1.5, "extra": f"output {p[3]} MB vs {d[3]} MB"}


def bench_xml(quick: bool) -> dict:
    out = run(["bench/xml_bench.py", "--skip", "ET", "--size-mb", "20" if quick else "300"])
    p, d = markdown_row(out, "pyforge"), markdown_row(out, "pandas")
    return {"format": "XML → Parquet", "input": "20 MB" if quick else "300 MB",
            "pyforge_s": float(p[1]), "pyforge_mb": float(p[2]), "peer": "pandas.read_xml",
            "peer_s": float(d[1]), "target": 20, "extra": "RSS target 200 MB"}


def bench_dbf(quick: bool) -> dict:
    out = run(["bench/dbf_bench.py", "--rows", "100000" if quick else "1000000"])
    p = re.search(r"^pyforge\s+([\d.]+)\s+([\d.]+)", out, re.MULTILINE)
    d = re.search(r"^dbfread->pyarrow\s+([\d.]+)", out, re.MULTILINE)
    return {"format": "DBF (VFP) → Parquet", "input": "100k rows" if quick else "1 M rows",
            "pyforge_s": float(p.group(1)), "pyforge_mb": float(p.group(2)), "peer": "dbfread → pyarrow",
            "peer_s": float(d.group(1)), "target": 30, "extra": ""}


def bench_access(quick: bool) -> dict:
    mb = "50" if quick else "500"
    out = run(["bench/access_bench.py", "--generate-mb", mb, "--only-generated", "--repeat", "1"])
    m = re.search(r"generated_\d+mb\.mdb\s+[\d.]+\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", out)
    return {"format": "Access (Jet4) → Parquet", "input": f"{mb} MB generated",
            "pyforge_s": float(m.group(1)), "pyforge_mb": float(m.group(2)), "peer": "mdb-export + pyarrow",
            "peer_s": float(m.group(3)), "target": 20, "extra": ""}


def bench_excel(quick: bool) -> dict:
    out = run(["bench/excel_bench.py", "--formats", "xlsx", "--rows", "20000" if quick else "200000"])
    p = re.search(r"^xlsx\s+pyforge\s+([\d.]+)\s+([\d.]+)", out, re.MULTILINE)
    d = re.search(r"^xlsx\s+fastexcel\s+([\d.]+)", out, re.MULTILINE)
    return {"format": "Excel xlsx → Parquet", "input": "20k rows" if quick else "200k rows × 12",
            "pyforge_s": float(p.group(1)), "pyforge_mb": float(p.group(2)), "peer": "fastexcel → pyarrow",
            "peer_s": float(d.group(1)), "target": 1.2, "extra": ""}


def bench_version() -> dict:
    exe = os.environ.get("PYFORGE", str(REPO / "target" / "release" / "pyforge"))
    best = min(timed([exe, "--version"]) for _ in range(20))
    return {"format": "`pyforge --version`", "input": "best of 20", "pyforge_s": best, "pyforge_mb": None,
            "peer": "", "peer_s": None, "target": None, "extra": f"{best * 1000:.1f} ms"}


def timed(argv: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    return time.perf_counter() - t0


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.node()}: {os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, {platform.platform()}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small inputs (checks the plumbing, not the speed)")
    ap.add_argument("--only", action="append", default=[], help="csv, json, xml, dbf, access, excel")
    a = ap.parse_args()
    ensure_peers()
    benches = {"csv": bench_csv, "json": bench_json, "xml": bench_xml, "dbf": bench_dbf,
               "access": bench_access, "excel": bench_excel}
    load_before = os.getloadavg()[0]
    started = time.strftime("%Y-%m-%d %H:%M")
    rows = [f(a.quick) for name, f in benches.items() if not a.only or name in a.only]
    rows.append(bench_version())
    load_after = os.getloadavg()[0]
    print(f"\nMachine: {machine()}; {started}, load average {load_before:.1f} before, {load_after:.1f} after.\n")
    print("| format | input | PyForge s | PyForge peak MiB | peer | peer s | peer / PyForge | target | met | notes |")
    print("|---|---|---:|---:|---|---:|---:|---:|---|---|")
    for r in rows:
        if r["peer_s"] is None:
            print(f"| {r['format']} | {r['input']} | {r['pyforge_s']:.4f} | | | | | milliseconds | "
                  f"{'yes' if r['pyforge_s'] < 0.05 else 'no'} | {r['extra']} |")
            continue
        ratio = r["peer_s"] / r["pyforge_s"]
        met = "yes" if ratio >= r["target"] else "no"
        print(f"| {r['format']} | {r['input']} | {r['pyforge_s']:.2f} | {r['pyforge_mb']:.0f} | {r['peer']} | "
              f"{r['peer_s']:.2f} | {ratio:.2f}x | {r['target']}x | {met} | {r['extra']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
