"""PDF text vs poppler's pdftotext over the pdfplumber corpus.

Measure: for each file, the word-multiset overlap |ref & got| / |ref|, where words are the
whitespace-separated tokens of the NFKC-normalised text of all pages and `ref` is pdftotext's
output (``pdftotext -enc UTF-8``). Chinese/Japanese text has no spaces between words, and where
pdftotext and PyForge put a space between a digit and an ideograph differs, so each CJK
character counts as a word of its own (the figure without that rule is printed too). Order and
layout are not compared (pdftotext and PyForge place columns and table cells differently);
missing, merged or split words are.

Acceptance (issue 7): mean overlap >= 0.95, no file below 0.8 unless pdftotext itself fails
on it, and no panic or hang on any file. Per-file figures are printed in the summary. The files
below 0.8 today are listed in KNOWN_LOW with the reason; the test fails if another file drops
below 0.8, or if a listed one rises above it (then take it off the list).
"""
from __future__ import annotations

import collections
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

import pyforge_helpers as H

PDF_DIR = H.TESTDATA / "pdf" / "pdfplumber"
# pdfplumber's encrypted test file and its (documented) user password.
PASSWORDS = {"password-example.pdf": "test"}


# Files below 0.8 and why: in each, pdftotext's own output is wrong, shown by
# test_known_low_files_are_pdftotext_failures.
KNOWN_LOW = {
    # The text is drawn mirrored; pdftotext writes each word reversed ("morf"), PyForge "from".
    "issue-848.pdf": "pdftotext reverses the words of mirrored text",
    # The fonts' ToUnicode maps send almost every glyph to "a", "b" or "A": every reader's
    # text is garbage ("Aabaaaa"), split differently.
    "issue-192-example.pdf": "garbage ToUnicode maps, both outputs are garbage",
    # Every label drawn four times ("fake bold"); pdftotext keeps some copies ("股票代码：" twice),
    # PyForge writes each label once, as printed.
    "issue-842-example.pdf": "pdftotext keeps overprinted copies of labels",
}

_CJK = re.compile(r"([\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef])")


def words(text: str, cjk: bool = True) -> collections.Counter:
    text = unicodedata.normalize("NFKC", text)
    if cjk:
        text = _CJK.sub(r" \1 ", text)
    return collections.Counter(text.split())


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
    rows, plains = [], []
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
        plain = overlap(words(ref, cjk=False), words(got, cjk=False))
        plains.append(plain)
        rows.append((name, overlap(words(ref), words(got)), f"{sum(words(ref).values())} reference words, {plain:.3f} without the CJK rule"))
    H.SUMMARY_LINES.append("pyforge vs pdftotext, word overlap per PDF (pdfplumber corpus):")
    for name, score, note in rows:
        H.SUMMARY_LINES.append(f"  {'  n/a' if score is None else f'{score:.3f}'}  {name}  ({note})")
    scored = [s for _, s, _ in rows if s is not None]
    if scored:
        H.SUMMARY_LINES.append(
            f"  files {len(rows)}, scored {len(scored)}, mean {sum(scored) / len(scored):.4f}, min {min(scored):.3f}"
            f" (without the CJK rule: mean {sum(plains) / len(plains):.4f}, min {min(plains):.3f})"
        )
    return rows


def test_corpus_is_there(figures):
    assert len(figures) >= 50, f"expected the ~56 pdfplumber PDFs, found {len(figures)}"


def test_mean_overlap_at_least_0_95(figures):
    scored = [s for _, s, _ in figures if s is not None]
    mean = sum(scored) / len(scored)
    assert mean >= 0.95, f"mean word overlap with pdftotext {mean:.4f} < 0.95"


def test_no_file_below_0_8(figures):
    low = [(n, s) for n, s, _ in figures if s is not None and s < 0.8 and Path(n).name not in KNOWN_LOW]
    assert not low, f"files below 0.8 overlap with pdftotext: {low}"
    risen = [(n, s) for n, s, _ in figures if s is not None and s >= 0.8 and Path(n).name in KNOWN_LOW]
    assert not risen, f"KNOWN_LOW files now at or above 0.8, take them off the list: {risen}"


def _texts(pyforge, name: str, tmp_path: Path) -> tuple[collections.Counter, collections.Counter, str]:
    pdf = next(p for p in corpus_pdfs() if p.name == name)
    ref = pdftotext(pdf, None)
    assert ref is not None
    out = tmp_path / (name + ".txt")
    run = H.run_cli(pyforge, "convert", pdf, out, "-f", "txt")
    assert run.returncode == 0, run.describe()
    return words(ref), words(out.read_text(encoding="utf-8")), ref


def test_known_low_files_are_pdftotext_failures(pyforge, tmp_path):
    """The evidence for each KNOWN_LOW file: the words pdftotext has and PyForge lacks are
    pdftotext's mistakes, not text PyForge lost."""
    H.require(PDF_DIR.is_dir(), f"corpus folder missing: {PDF_DIR}")
    # issue-848: almost every word pdftotext has and PyForge lacks is one of PyForge's words
    # reversed (NFKC turns the "ffi" ligature into three letters, so "officers" reversed as a
    # ligature does not count).
    ref, got, _ = _texts(pyforge, "issue-848.pdf", tmp_path)
    missing = ref - got
    reversed_words = sum(c for w, c in missing.items() if got[w[::-1]] > 0)
    assert sum(missing.values()) > 500 and reversed_words >= 0.95 * sum(missing.values()), (reversed_words, missing.most_common(20))
    assert got["from"] >= 9 and ref["morf"] >= 9
    # issue-842: every word pdftotext has and PyForge lacks is an extra copy of a word PyForge
    # has; and PyForge has the printed text whole where the copies overlap.
    ref, got, _ = _texts(pyforge, "issue-842-example.pdf", tmp_path)
    missing = ref - got
    assert missing and all(got[w] >= 1 for w in missing), [(w, c, got[w]) for w, c in missing.items()]
    assert ref["股"] > got["股"] >= 1, (ref["股"], got["股"])
    out = (tmp_path / "issue-842-example.pdf.txt").read_text(encoding="utf-8")
    assert "2011" in out and "年年度报告" in out and "27" in out.split("披露日期")[1], out[:600]
    # issue-192: pdftotext's text is garbage from the fonts' maps: over 90% of its letters are
    # "a", "b" or "A" (about 7% in ordinary English text, e.g. issue-848.pdf).
    _, _, ref_text = _texts(pyforge, "issue-192-example.pdf", tmp_path)
    letters = [c for c in ref_text if c.isalpha()]
    assert len(letters) > 500 and sum(c in "abA" for c in letters) / len(letters) > 0.9


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

    pdf = next((p for p in corpus_pdfs() if p.name == "federal-register-2020-17221.pdf"), None)
    H.require(pdf is not None, "federal-register-2020-17221.pdf missing from the corpus")
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


def test_summary_figures(figures):
    """Print the raw figures (also without the CJK rule) and check there is no crash."""
    scored = [s for _, s, _ in figures if s is not None]
    assert len(scored) >= len(figures) - 1, "only the empty file may fail"


def test_sample_pdf_rows_formats_and_blank_page(pyforge, tmp_path):
    """The sample report: 3 pages, page 2 blank; the output format follows the extension."""
    import json

    import pyarrow.parquet as pq

    run = H.run_cli(pyforge, "samples", tmp_path / "s")
    assert run.returncode == 0, run.describe()
    pdf = tmp_path / "s" / "report.pdf"
    info = json.loads(H.run_cli(pyforge, "info", "--json", pdf).stdout)
    d = info["details"]
    assert (d["pages"], d["title"], d["author"], d["encrypted"]) == (3, "Quarterly sales report", "PyForge", False)
    assert d["created"] == "2024-03-15T09:30:00+01:00" and d["modified"] == "2024-03-16T12:00:00Z"
    for name in ("r.parquet", "r.jsonl"):
        run = H.run_cli(pyforge, "convert", pdf, tmp_path / name)
        assert run.returncode == 0, run.describe()
    t = pq.read_table(tmp_path / "r.parquet")
    assert t.column_names == ["page", "text", "chars"]
    rows = t.to_pylist()
    assert [r["page"] for r in rows] == [1, 2, 3]
    assert rows[1]["text"] == "" and rows[1]["chars"] == 0
    assert "Region North: 1,204 units" in rows[0]["text"]
    lines = [json.loads(x) for x in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert lines == rows
    run = H.run_cli(pyforge, "convert", pdf, tmp_path / "r.txt", "--pages", "2-")
    assert run.returncode == 0, run.describe()
    assert (tmp_path / "r.txt").read_text().split("\f") == ["", "Notes\nFigures are preliminary (unaudited).\n", ""]
