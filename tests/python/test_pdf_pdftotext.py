"""PDF text vs poppler's pdftotext over the pdfplumber corpus.

Measure: for each file, the word-multiset overlap |ref & got| / |ref|, where words are the
whitespace-separated tokens of the NFKC-normalised text of all pages and `ref` is pdftotext's
output (``pdftotext -enc UTF-8``). Order and layout are not compared (pdftotext and PyForge
place columns and table cells differently); missing, merged or split words are.

Acceptance (issue 7): mean overlap >= 0.95, no file below 0.8 unless pdftotext itself fails
on it, and no panic or hang on any file. Per-file figures are printed in the summary.
"""
from __future__ import annotations

import collections
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

import pyforge_helpers as H

PDF_DIR = H.CORPUS / "pdf" / "pdfplumber"
# pdfplumber's encrypted test file and its (documented) user password.
PASSWORDS = {"password-example.pdf": "test"}


def words(text: str) -> collections.Counter:
    return collections.Counter(unicodedata.normalize("NFKC", text).split())


def overlap(ref: collections.Counter, got: collections.Counter) -> float:
    total = sum(ref.values())
    if total == 0:
        return 1.0
    return sum((ref & got).values()) / total


def pdftotext(path: Path, password: str | None) -> str | None:
    args = ["pdftotext", "-enc", "UTF-8"]
    if password:
        args += ["-upw", password]
    proc = subprocess.run([*args, str(path), "-"], capture_output=True, timeout=120)
    if proc.returncode != 0:
        return None
    return proc.stdout.decode("utf-8", "replace")


def corpus_pdfs() -> list[Path]:
    return sorted(PDF_DIR.rglob("*.pdf")) if PDF_DIR.is_dir() else []


@pytest.fixture(scope="module")
def figures(pyforge, tmp_path_factory) -> list[tuple[str, float | None, str]]:
    """(file, overlap or None, note) for every corpus PDF."""
    H.require(PDF_DIR.is_dir(), f"corpus folder missing: {PDF_DIR}")
    H.require(shutil.which("pdftotext") is not None, "pdftotext (apt poppler-utils) not installed")
    out_dir = tmp_path_factory.mktemp("pdf")
    rows = []
    for i, pdf in enumerate(corpus_pdfs()):
        name = str(pdf.relative_to(PDF_DIR))
        password = PASSWORDS.get(pdf.name)
        out = out_dir / f"{i}.txt"
        args = ["convert", pdf, out, "-f", "txt"] + (["--password", password] if password else [])
        run = H.run_cli(pyforge, *args, timeout=180)
        H.assert_no_panic(run)
        assert run.returncode in (0, 1), f"crash (exit {run.returncode})\n{run.describe()}"
        ref = pdftotext(pdf, password)
        if run.returncode != 0:
            rows.append((name, None, "pyforge error: " + run.stderr.strip()[-200:] + ("" if ref is not None else " (pdftotext fails too)")))
            continue
        if ref is None:
            rows.append((name, None, "pdftotext fails on it"))
            continue
        got = out.read_text(encoding="utf-8")
        rows.append((name, overlap(words(ref), words(got)), f"{sum(words(ref).values())} reference words"))
    H.SUMMARY_LINES.append("pyforge vs pdftotext, word overlap per PDF (pdfplumber corpus):")
    for name, score, note in rows:
        H.SUMMARY_LINES.append(f"  {'  n/a' if score is None else f'{score:.3f}'}  {name}  ({note})")
    scored = [s for _, s, _ in rows if s is not None]
    if scored:
        H.SUMMARY_LINES.append(
            f"  files {len(rows)}, scored {len(scored)}, mean {sum(scored) / len(scored):.4f}, min {min(scored):.3f}"
        )
    return rows


def test_corpus_is_there(figures):
    assert len(figures) >= 50, f"expected the ~56 pdfplumber PDFs, found {len(figures)}"


def test_mean_overlap_at_least_0_95(figures):
    scored = [s for _, s, _ in figures if s is not None]
    mean = sum(scored) / len(scored)
    assert mean >= 0.95, f"mean word overlap with pdftotext {mean:.4f} < 0.95"


def test_no_file_below_0_8(figures):
    low = [(n, s) for n, s, _ in figures if s is not None and s < 0.8]
    assert not low, f"files below 0.8 overlap with pdftotext: {low}"


def test_pyforge_fails_only_where_pdftotext_fails(figures):
    bad = [(n, note) for n, s, note in figures if s is None and "pdftotext fails" not in note]
    assert not bad, f"pyforge failed on files pdftotext reads: {bad}"


def test_encrypted_pdf_needs_its_password(pyforge, tmp_path):
    pdf = next((p for p in corpus_pdfs() if p.name == "password-example.pdf"), None)
    H.require(pdf is not None, "password-example.pdf missing from the corpus")
    run = H.run_cli(pyforge, "convert", pdf, tmp_path / "x.txt")
    msg = H.assert_clean_error(run, "password")
    assert "--password" in msg
    run = H.run_cli(pyforge, "convert", pdf, tmp_path / "y.txt", "--password", "wrong")
    H.assert_clean_error(run, "password")
    assert not (tmp_path / "x.txt").exists() and not (tmp_path / "y.txt").exists()


def test_pages_past_the_end_and_bad_syntax(pyforge, tmp_path):
    pdf = next((p for p in corpus_pdfs() if p.name == "nics-background-checks-2015-11.pdf"), None) or corpus_pdfs()[0]
    run = H.run_cli(pyforge, "info", "--json", pdf)
    n = int(__import__("json").loads(run.stdout)["details"]["pages"])
    run = H.run_cli(pyforge, "convert", pdf, tmp_path / "o.txt", "--pages", f"{n + 1}")
    H.assert_no_panic(run)
    # A usage error (exit 2, like clap's), one line naming the valid range.
    assert run.returncode == 2, run.describe()
    assert run.stderr.strip().count("\n") == 0 and run.stderr.startswith("pyforge: error: "), run.describe()
    assert (f"valid: 1-{n}" if n > 1 else "valid: 1") in run.stderr, run.describe()
    assert not (tmp_path / "o.txt").exists()
    run = H.run_cli(pyforge, "convert", pdf, tmp_path / "o.txt", "--pages", "abc")
    assert run.returncode == 2 and "abc" in run.stderr, run.describe()


def test_pages_rows_in_parquet_match_pdftotext_pages(pyforge, tmp_path):
    """Per-page split agrees with pdftotext's form feeds on a multi-page file."""
    import pyarrow.parquet as pq

    pdfs = [p for p in corpus_pdfs() if p.name not in PASSWORDS]
    pdf = max(pdfs, key=lambda p: p.stat().st_size)
    out = tmp_path / "p.parquet"
    run = H.run_cli(pyforge, "convert", pdf, out, "-f", "parquet", "--pages", "1-3")
    assert run.returncode == 0, run.describe()
    t = pq.read_table(out)
    assert t.column_names == ["page", "text", "chars"]
    assert t.column("page").to_pylist() == [1, 2, 3]
    ref_pages = pdftotext(pdf, None).split("\f")
    for i, text in enumerate(t.column("text").to_pylist()):
        assert overlap(words(ref_pages[i]), words(text)) >= 0.8, f"page {i + 1}"
    assert t.column("chars").to_pylist() == [len(s) for s in t.column("text").to_pylist()]
