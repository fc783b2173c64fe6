"""Hardening (issue 10): every corpus file through `convert` and `info` (exit 0 or a clean
one-line error, no panic, no hang, bounded memory, nothing half-written), conversions killed
with SIGKILL at random moments, Ctrl-C, decompression and entity bombs, hostile table names.
"""
from __future__ import annotations

import bz2
import gzip
import os
import random
import shutil
import signal
import subprocess
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

import pyforge_helpers as H

PER_FILE_SECONDS = 60
PEAK_RSS_MB = 1024


@dataclass
class Measured:
    args: list
    returncode: int | None  # None: killed for taking too long
    stdout: str
    stderr: str
    peak_rss_mb: float
    seconds: float

    def describe(self) -> str:
        return f"command: {' '.join(map(str, self.args))}\nexit: {self.returncode}\nstderr: {self.stderr[-2000:]}"


def run_measured(args, timeout: float = PER_FILE_SECONDS, cwd=None) -> Measured:
    """Run a command; its own peak RSS comes from wait4, a hang is killed after `timeout`."""
    env = dict(os.environ)
    env.pop("RUST_BACKTRACE", None)
    started = time.monotonic()
    proc = subprocess.Popen(
        [str(a) for a in args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, cwd=cwd, env=env
    )
    out: dict[str, bytes] = {}
    readers = [
        threading.Thread(target=lambda k=k, f=f: out.__setitem__(k, f.read()), daemon=True)
        for k, f in (("out", proc.stdout), ("err", proc.stderr))
    ]
    for t in readers:
        t.start()
    killed = False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() - started > timeout:
            proc.kill()
            killed = True
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.01)
    proc.returncode = os.waitstatus_to_exitcode(status)
    for t in readers:
        t.join()
    return Measured(
        list(args),
        None if killed else proc.returncode,
        out.get("out", b"").decode("utf-8", "replace"),
        out.get("err", b"").decode("utf-8", "replace"),
        usage.ru_maxrss / 1024,
        time.monotonic() - started,
    )


def corpus_files() -> list[Path]:
    if not H.TESTDATA.is_dir():
        return []
    return sorted(p for p in H.TESTDATA.rglob("*") if p.is_file() and not p.name.startswith("README"))


def check_outcome(m: Measured, source: Path, problems: list[str]) -> None:
    rel = source.relative_to(H.TESTDATA)
    if m.returncode is None:
        problems.append(f"{rel}: no answer within {PER_FILE_SECONDS} s ({m.args[1]})")
        return
    if "panicked" in m.stderr or "RUST_BACKTRACE" in m.stderr:
        problems.append(f"{rel}: panic\n{m.describe()}")
    if m.peak_rss_mb > PEAK_RSS_MB:
        problems.append(f"{rel}: peak RSS {m.peak_rss_mb:.0f} MB ({m.args[1]})")
    if m.returncode not in (0, 1):
        problems.append(f"{rel}: exit {m.returncode}\n{m.describe()}")
    if m.returncode == 1:
        lines = m.stderr.strip("\n").split("\n")
        last = lines[-1]
        if not last.startswith("pyforge: error: ") or source.name not in last:
            problems.append(f"{rel}: the error does not name the file on one line\n{m.describe()}")


def test_every_corpus_file_converts_or_fails_cleanly(pyforge, testdata, tmp_path):
    files = corpus_files()
    H.require(len(files) > 1000, f"corpus looks incomplete: {len(files)} files")
    problems: list[str] = []
    counts = {"converted": 0, "refused": 0}
    lock = threading.Lock()

    def one(i_src):
        i, src = i_src
        out = tmp_path / f"{i:05d}"
        out.mkdir()
        info = run_measured([pyforge, "info", src, "--json"])
        conv = run_measured([pyforge, "-q", "convert", src, out / "result/"], cwd=out)
        local: list[str] = []
        check_outcome(info, src, local)
        check_outcome(conv, src, local)
        left = H.leftovers(out)
        if left:
            local.append(f"{src.relative_to(H.TESTDATA)}: temporaries left behind: {left}")
        if conv.returncode == 1 and (out / "result").exists() and not (out / "result" / "_manifest.json").exists():
            local.append(f"{src.relative_to(H.TESTDATA)}: failed but left an output folder without a manifest")
        with lock:
            problems.extend(local)
            counts["converted" if conv.returncode == 0 else "refused"] += 1

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(one, enumerate(files)))
    print(f"\nrobustness: {len(files)} corpus files, converted {counts['converted']}, refused with a clean error {counts['refused']}")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:30])


def write_big_csv(path: Path, rows: int) -> None:
    rnd = random.Random(7)
    with open(path, "w") as f:
        f.write("id,name,amount,day,flag\n")
        for i in range(rows):
            f.write(f'{i},"name {rnd.randrange(10**6)}, ltd",{rnd.random() * 1000:.4f},2024-{1 + i % 12:02d}-{1 + i % 28:02d},{i % 2 == 0}\n')


def largest_access_db() -> Path:
    dbs = [p for p in (H.TESTDATA / "access").rglob("*") if p.suffix.lower() in (".mdb", ".accdb")]
    H.require(bool(dbs), "no Access databases in the corpus")
    return max(dbs, key=lambda p: p.stat().st_size)


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("big") / "big.csv"
    write_big_csv(p, 1_000_000)
    return p


def listing(folder: Path, ignore_temporaries: bool = False) -> list[tuple[str, int]]:
    """Every path below `folder` with its size (0 for folders)."""
    return sorted(
        (p.relative_to(folder).as_posix(), p.stat().st_size if p.is_file() else 0)
        for p in folder.rglob("*")
        if not (ignore_temporaries and ".pyforge-tmp-" in p.as_posix())
    )


def kill_trials(pyforge: Path, source: Path, target_name: str, workdir: Path, trials: int) -> None:
    """Kill a conversion with SIGKILL at random moments: the target never exists half-written,
    only recognisable temporaries remain, and the next run removes them and succeeds."""
    rnd = random.Random(1234)
    target = workdir / target_name
    # How long a whole run takes, to spread the kills over it: the fastest of three, and of
    # every later whole run, so that a slow first (cold) run does not let most kills come late.
    span = float("inf")
    for _ in range(3):
        subprocess.run(["rm", "-rf", str(target)], check=True)
        t0 = time.monotonic()
        full = H.run_cli(pyforge, "-q", "convert", source, target)
        assert full.returncode == 0, full.describe()
        span = min(span, time.monotonic() - t0)
    reference = listing(workdir)
    killed_midway = 0
    for _ in range(trials):
        subprocess.run(["rm", "-rf", str(target)], check=True)
        proc = subprocess.Popen([str(pyforge), "-q", "convert", str(source), str(target)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(rnd.uniform(0, span))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if proc.returncode == -signal.SIGKILL:
            killed_midway += 1
            # Killed: the target is absent, or complete if the kill came after the final rename
            # (folders are staged and renamed whole); anything else is a recognisable temporary.
            others = [p.name for p in workdir.iterdir() if p.name not in (source.name, target.name)]
            assert all(".pyforge-tmp-" in n for n in others), f"unrecognisable leftovers: {others}"
            if target.exists():
                assert listing(workdir, ignore_temporaries=True) == reference, "incomplete output after SIGKILL"
                subprocess.run(["rm", "-rf", str(target)], check=True)
        else:
            # The run finished before the kill: start the next one afresh.
            subprocess.run(["rm", "-rf", str(target)], check=True)
        # The next run cleans up after the dead one and succeeds.
        t0 = time.monotonic()
        again = H.run_cli(pyforge, "-q", "convert", source, target)
        assert again.returncode == 0, again.describe()
        span = min(span, time.monotonic() - t0)
        assert H.leftovers(workdir) == [], f"temporaries not swept: {H.leftovers(workdir)}"
        assert listing(workdir) == reference
    assert killed_midway >= trials // 2, f"only {killed_midway} of {trials} kills landed mid-run"


def test_sigkill_at_random_moments_csv(pyforge, big_csv, tmp_path):
    src = tmp_path / big_csv.name
    try:
        os.link(big_csv, src)
    except OSError:
        shutil.copyfile(big_csv, src)
    kill_trials(pyforge, src, "big.parquet", tmp_path, trials=20)


def test_sigkill_at_random_moments_access(pyforge, testdata, tmp_path):
    db = largest_access_db()
    src = tmp_path / db.name
    src.write_bytes(db.read_bytes())
    kill_trials(pyforge, src, "db_out", tmp_path, trials=20)


def test_ctrl_c_stops_and_removes_temporaries(pyforge, big_csv, tmp_path):
    target = tmp_path / "big.parquet"
    proc = subprocess.Popen([str(pyforge), "convert", str(big_csv), str(target)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # Wait until the temporary exists, so the interrupt lands mid-write.
    deadline = time.monotonic() + 30
    while not H.leftovers(tmp_path) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    if proc.returncode == 0:
        pytest.fail("the conversion finished before the interrupt landed; make the input larger")
    assert proc.returncode == 130, err
    assert b"interrupted" in err and b"panicked" not in err
    assert not target.exists()
    assert H.leftovers(tmp_path) == []


def test_decompression_bombs_are_bounded(pyforge, tmp_path):
    # 2 GiB of one CSV line compressed to a few MB: refused (or read) without the memory.
    bomb = tmp_path / "bomb.csv.gz"
    with gzip.open(bomb, "wb", compresslevel=1) as f:
        f.write(b"a,b\n")
        chunk = b"x" * (1 << 20)
        for _ in range(2048):
            f.write(chunk)
    m = run_measured([pyforge, "convert", bomb, tmp_path / "bomb.parquet"], timeout=120)
    assert m.returncode is not None, "no answer within 120 s"
    assert m.peak_rss_mb < 600, f"peak RSS {m.peak_rss_mb:.0f} MB"
    assert m.returncode == 1 and "bomb.csv.gz" in m.stderr and "panicked" not in m.stderr, m.describe()
    assert H.leftovers(tmp_path) == []

    # A JSON Lines bomb: many small records decompress to gigabytes; streamed in bounded memory.
    jbomb = tmp_path / "rows.jsonl.bz2"
    with bz2.open(jbomb, "wb") as f:
        line = b'{"a": 1, "b": "' + b"y" * 200 + b'"}\n'
        for _ in range(2_000_000):
            f.write(line)
    m = run_measured([pyforge, "convert", jbomb, tmp_path / "rows.parquet"], timeout=300)
    assert m.returncode is not None, "no answer within 300 s"
    assert m.peak_rss_mb < 600, f"peak RSS {m.peak_rss_mb:.0f} MB"
    assert m.returncode in (0, 1) and "panicked" not in m.stderr, m.describe()


def test_billion_laughs_is_an_error(pyforge, tmp_path):
    decl = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{("&lol%d;" % (i - 1)) * 10}">' for i in range(1, 10)]
    doc = f'<?xml version="1.0"?><!DOCTYPE r [{"".join(decl)}]><r><row><v>&lol9;</v></row><row><v>x</v></row></r>'
    p = tmp_path / "laughs.xml"
    p.write_text(doc)
    m = run_measured([pyforge, "convert", p, tmp_path / "laughs.parquet"], timeout=60)
    assert m.returncode == 1 and "laughs.xml" in m.stderr, m.describe()
    assert m.peak_rss_mb < 300, f"peak RSS {m.peak_rss_mb:.0f} MB"


def zip_bomb_xlsx(path: Path, rows: int) -> None:
    """A valid workbook whose one sheet is mostly empty rows: tiny compressed, huge inflated."""
    ct = (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>"
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    )
    wb = (
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
        '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    wbrels = (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", ct)
        z.writestr("_rels/.rels", rels)
        z.writestr("xl/workbook.xml", wb)
        z.writestr("xl/_rels/workbook.xml.rels", wbrels)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            f.write(b'<row r="1"><c r="A1" t="inlineStr"><is><t>h</t></is></c></row>')
            pad = b"<!--" + b" " * (1 << 20) + b"-->"
            for _ in range(rows):
                f.write(pad)
            f.write(b'<row r="2"><c r="A2"><v>1</v></c></row></sheetData></worksheet>')


def test_zip_bomb_workbook_is_bounded(pyforge, tmp_path):
    p = tmp_path / "bomb.xlsx"
    zip_bomb_xlsx(p, 3000)  # ~3 GiB inflated from a few MB
    assert p.stat().st_size < 20 << 20
    m = run_measured([pyforge, "convert", p, tmp_path / "bomb.parquet"], timeout=180)
    assert m.returncode is not None, "no answer within 180 s"
    assert m.peak_rss_mb < 600, f"peak RSS {m.peak_rss_mb:.0f} MB"
    assert m.returncode in (0, 1) and "panicked" not in m.stderr, m.describe()
    if m.returncode == 1:
        assert "bomb.xlsx" in m.stderr, m.describe()


HOSTILE = ["../x", "CON", "a/b", "", "n" * 300, "Case", "case", "..", "con", "a\\b"]


def hostile_ods(path: Path) -> None:
    """An OpenDocument spreadsheet whose sheets carry hostile names (ODS allows any name)."""
    from xml.sax.saxutils import quoteattr

    tables = "".join(
        f"<table:table table:name={quoteattr(n)}><table:table-row><table:table-cell office:value-type=\"string\"><text:p>v</text:p></table:table-cell></table:table-row>"
        f"<table:table-row><table:table-cell office:value-type=\"float\" office:value=\"{i}\"><text:p>{i}</text:p></table:table-cell></table:table-row></table:table>"
        for i, n in enumerate(HOSTILE)
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)


def test_hostile_table_names_stay_inside_and_never_collide(pyforge, tmp_path):
    src = tmp_path / "hostile.ods"
    hostile_ods(src)
    out = tmp_path / "out"
    r = H.run_cli(pyforge, "-q", "convert", src, out)
    H.assert_no_panic(r)
    assert r.returncode == 0, r.describe()
    manifest = __import__("json").loads((out / "_manifest.json").read_text())
    written = [t["file"] for t in manifest["tables"]]
    assert len(manifest["tables"]) == len(HOSTILE), manifest
    # Every output file sits directly in the folder, names unique even ignoring case.
    files = sorted(p.name for p in out.iterdir() if p.name != "_manifest.json")
    assert len(files) == len(HOSTILE), files
    assert len({f.lower() for f in files}) == len(files), files
    for f in written:
        assert "/" not in f and "\\" not in f and f not in ("..", "."), f
        assert len(f.encode()) <= 255, f
        assert (out / f).resolve().parent == out.resolve()
    assert not any(tmp_path.glob("x*")) and not (tmp_path / "x.parquet").exists()
    # Values reach the right files: the manifest maps each sheet to its file.
    values = {}
    for t in manifest["tables"]:
        table = H.read_parquet(out / t["file"])
        values[t["name"]] = table.column(0).to_pylist()
    assert sorted(int(float(v[0])) for v in values.values()) == list(range(len(HOSTILE)))


REGRESSIONS = Path(__file__).resolve().parents[2] / "fuzz" / "regressions"


@pytest.mark.parametrize(
    "name, expected",
    [
        ("excel/calamine-formula-length-past-record.xls", "stream /Workbook is cut short"),
        ("pdf/capacity-overflow-in-layout-analyzer.pdf", "the PDF engine crashed on this input (capacity overflow"),
        ("excel/calamine-cell-box-137gb.xls", "damaged workbook"),
        ("access/jetdb-usage-map-page-overflow.mdb", "jetdb-usage-map-page-overflow.mdb"),
    ],
)
def test_a_caught_parser_panic_is_one_clean_error_line(pyforge, tmp_path, name, expected):
    """A dependency's panic caught by a reader's guard is reported once, as an error naming
    the file: no "thread panicked" message, no backtrace (even with RUST_BACKTRACE=1)."""
    env = dict(os.environ, RUST_BACKTRACE="1")
    r = subprocess.run(
        [str(pyforge), "convert", str(REGRESSIONS / name), str(tmp_path / "out")],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert r.returncode == 1, r.stderr
    assert expected in r.stderr, r.stderr
    assert "panicked" not in r.stderr and "backtrace" not in r.stderr, r.stderr
    assert not (tmp_path / "out").exists()


def sparse_xls(path: Path, far_row: int, far_col: int) -> None:
    """An .xls with a 3-column table of 1,000 rows and one note far to the right and below."""
    import xlwt

    wb = xlwt.Workbook()
    ws = wb.add_sheet("data")
    for c, h in enumerate(["id", "name", "amount"]):
        ws.write(0, c, h)
    for r in range(1, 1001):
        ws.write(r, 0, r)
        ws.write(r, 1, f"n{r}")
        ws.write(r, 2, r * 1.25)
    ws.write(far_row, far_col, "far note")
    wb.save(str(path))


def test_valid_sparse_xls_is_read_completely(pyforge, tmp_path):
    """A note in column IV, row 30,000 spans a box of 7.7 M cells for ~3,000 stored: valid
    (the .xls grid is 65,536 x 256), so it is read, every value, as calamine reads it."""
    import pyarrow.parquet as pq
    from python_calamine import CalamineWorkbook

    src = tmp_path / "sparse.xls"
    sparse_xls(src, 29_999, 255)
    m = run_measured([pyforge, "convert", src, tmp_path / "sparse.parquet", "--all-strings"], timeout=180)
    assert m.returncode == 0, m.describe()
    t = pq.read_table(tmp_path / "sparse.parquet")
    ref = CalamineWorkbook.from_path(str(src)).get_sheet_by_name("data").to_python()
    assert len(ref) == 30_000 and len(ref[0]) == 256  # calamine's grid: the whole box
    # Blank rows and columns carry nothing and are left out; every stored cell is there.
    assert t.column_names == ["id", "name", "amount", "IV"]
    assert t.num_rows == 1001
    assert t.column("id").to_pylist()[:3] == ["1", "2", "3"]
    assert t.column("amount").to_pylist()[999] == "1250"
    assert t.column("IV").to_pylist()[-1] == "far note"
    assert t.column("IV").null_count == 1000
    ours = sorted(v for col in t.columns for v in col.to_pylist() if v is not None)
    theirs = sorted(str(v).removesuffix(".0") for row in ref[1:] for v in row if v != "")
    assert ours == theirs


def test_xls_cell_beyond_column_iv_is_a_damaged_file(pyforge, tmp_path):
    """A cell record in column 301 cannot come from a valid .xls (256 columns): refused with
    the file, the row and the column named, before the parser allocates anything."""
    src = tmp_path / "ok.xls"
    sparse_xls(src, 5, 200)
    raw = bytearray(src.read_bytes())
    # The LABELSST record (0x00FD) of the far note: row 5, column 200.
    needle = b"\xfd\x00\x0a\x00" + (5).to_bytes(2, "little") + (200).to_bytes(2, "little")
    at = raw.find(needle)
    assert at > 0, "xlwt wrote the note differently"
    raw[at + 6 : at + 8] = (300).to_bytes(2, "little")
    bad = tmp_path / "bad.xls"
    bad.write_bytes(bytes(raw))
    m = run_measured([pyforge, "convert", bad, tmp_path / "bad.parquet"], timeout=60)
    assert m.returncode == 1, m.describe()
    assert "bad.xls" in m.stderr and "column 301" in m.stderr and "row 6" in m.stderr, m.describe()
    assert not (tmp_path / "bad.parquet").exists()


def flate_bomb_pdf(path: Path, inflated_mib: int) -> None:
    """A one-page PDF whose content stream draws "Hello bomb" and then inflates to
    `inflated_mib` MiB of spaces (a few MB on disk)."""
    import zlib

    co = zlib.compressobj(9)
    parts = [co.compress(b"BT /F1 12 Tf 72 720 Td (Hello bomb) Tj ET\n")]
    block = b" " * (1 << 20)
    parts += [co.compress(block) for _ in range(inflated_mib)]
    parts.append(co.flush())
    data = b"".join(parts)
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, o in enumerate(objs):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % (i + 1) + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    path.write_bytes(bytes(out))


def test_pdf_flate_bomb_is_an_error_not_an_empty_page(pyforge, tmp_path):
    """The PDF engine refuses a content stream that inflates 1000:1 (its decompression-bomb
    limit) and would skip it with only a log warning: the page's text would silently come out
    empty. PyForge fails the run instead, naming the file and the page, in bounded memory."""
    bomb = tmp_path / "bomb.pdf"
    flate_bomb_pdf(bomb, 2048)
    assert bomb.stat().st_size < 4 << 20
    out = tmp_path / "bomb.txt"
    m = run_measured([pyforge, "convert", bomb, out], timeout=120)
    assert m.returncode == 1, m.describe()
    assert "bomb.pdf" in m.stderr and "page 1" in m.stderr and "cannot be decoded" in m.stderr, m.describe()
    # Bounded by the engine's 256 MB cap per stream, not by the 2 GiB the page inflates to: the
    # growing output buffer briefly holds up to about 2.5 times the cap (290-650 MB measured).
    assert m.peak_rss_mb < PEAK_RSS_MB, f"peak RSS {m.peak_rss_mb:.0f} MB"
    assert not out.exists() and H.leftovers(tmp_path) == []

    # The same page without the padding reads normally (the check is not a false alarm).
    small = tmp_path / "small.pdf"
    flate_bomb_pdf(small, 0)
    r = H.run_cli(pyforge, "convert", small, tmp_path / "small.txt")
    assert r.returncode == 0, r.describe()
    assert (tmp_path / "small.txt").read_text().strip() == "Hello bomb"
