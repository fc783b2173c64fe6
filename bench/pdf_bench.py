#!/usr/bin/env python3
"""PDF -> text benchmark: PyForge vs poppler's pdftotext and PyMuPDF.

Input: the 20 largest PDFs of the pdfplumber test data (testdata/pdf/pdfplumber), nothing
generated. Each tool extracts the text of every page of each file into a text file, one
process per file (so start-up cost counts, as it does for a user), best of --repeat runs.
Prints total wall time, peak RSS of the largest single process, and ratio peer/PyForge (above
1 means PyForge is faster).

    python bench/pdf_bench.py [--pyforge target/release/pyforge] [--repeat 3]

Needs pdftotext (apt poppler-utils) and pymupdf (pip) in the running Python; a missing peer is
reported as MISSING.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "python"))
from pyforge_helpers import TESTDATA  # noqa: E402  (the one place that knows where test data is)

CORPUS = TESTDATA / "pdf" / "pdfplumber"

PYMUPDF_SCRIPT = """
import sys, pymupdf
doc = pymupdf.open(sys.argv[1])
with open(sys.argv[2], "w", encoding="utf-8") as f:
    for page in doc:
        f.write(page.get_text())
        f.write("\\f")
"""


def run(cmd: list[str]) -> tuple[float, float, int]:
    """(wall s, peak RSS MB, exit code) of one process."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    return wall, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pyforge", default=str(REPO / "target" / "release" / "pyforge"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--files", type=int, default=20)
    args = ap.parse_args()
    pdfs = sorted(CORPUS.rglob("*.pdf"), key=lambda p: p.stat().st_size, reverse=True)
    pdfs = [p for p in pdfs if p.name != "password-example.pdf"][: args.files]
    total_mb = sum(p.stat().st_size for p in pdfs) / 1e6
    print(f"{len(pdfs)} PDFs, {total_mb:.1f} MB, largest {pdfs[0].name} ({pdfs[0].stat().st_size / 1e6:.1f} MB)")
    # Looked up, not imported: a child forked from a large parent reports the parent's peak RSS
    # as its own (Linux carries the high-water mark across fork and exec).
    have_mupdf = importlib.util.find_spec("pymupdf") is not None
    out = Path(tempfile.mkdtemp(prefix="pdf_bench_"))
    tools = {
        "pyforge": (Path(args.pyforge).is_file(), lambda p, o: [args.pyforge, "-q", "convert", str(p), str(o), "-f", "txt", "--force"]),
        "pdftotext": (shutil.which("pdftotext") is not None, lambda p, o: ["pdftotext", "-enc", "UTF-8", str(p), str(o)]),
        "pymupdf": (have_mupdf, lambda p, o: [sys.executable, "-c", PYMUPDF_SCRIPT, str(p), str(o)]),
    }
    results = {}
    for name, (available, cmd) in tools.items():
        if not available:
            results[name] = None
            continue
        best, peak, failures = None, 0.0, 0
        for _ in range(args.repeat):
            total = 0.0
            failures = 0
            for i, pdf in enumerate(pdfs):
                wall, rss, code = run(cmd(pdf, out / f"{name}-{i}.txt"))
                total += wall
                peak = max(peak, rss)
                failures += code != 0
            best = total if best is None else min(best, total)
        results[name] = (best, peak, failures)
    base = results.get("pyforge")
    print(f"{'tool':<10} {'wall s':>8} {'peak RSS MB':>12} {'failed':>7} {'ratio':>7}")
    for name, r in results.items():
        if r is None:
            print(f"{name:<10} {'MISSING':>8}")
            continue
        ratio = f"{r[0] / base[0]:.2f}" if base else "-"
        print(f"{name:<10} {r[0]:>8.2f} {r[1]:>12.1f} {r[2]:>7} {ratio:>7}")
    print("ratio = tool wall / pyforge wall (above 1: PyForge faster)")
    shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
