"""The CLI contract around failures, outputs and a few reading features.

Every failure must: exit 1, print exactly one stderr line `pyforge: error: <path> [line N]: ...`
naming the input (and the line where there is one), and leave neither the output nor a temporary
file (`.*.pyforge-tmp-*`) behind. Usage errors exit 2.
"""
from __future__ import annotations

import json
import re
import stat

import pytest

import pyforge_helpers as H

FORMATS = ["parquet", "csv", "jsonl", "arrow"]


def read_output(path, fmt):
    """An output file of any format as a pyarrow Table."""
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.json as pjson

    if fmt == "parquet":
        return H.read_parquet(path)
    if fmt == "csv":
        return pcsv.read_csv(path)
    if fmt == "jsonl":
        return pjson.read_json(path)
    if fmt == "arrow":
        with open(path, "rb") as f:
            try:
                return pa.ipc.open_file(f).read_all()
            except pa.ArrowInvalid:
                f.seek(0)
                return pa.ipc.open_stream(f).read_all()
    raise ValueError(fmt)


def assert_nothing_left(folder, *outputs):
    for out in outputs:
        assert not out.exists(), f"output {out.name} left behind after a failure"
    left = H.leftovers(folder)
    assert not left, f"temporary files left behind: {left}"


# ------------------------------------------------------------------------------------------------
# Bad input
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_ragged_row_names_file_and_line(pyforge, tmp_path, fmt):
    src = tmp_path / "ragged.csv"
    src.write_bytes(b"a,b\n1,2\n3,4,5\n6,7\n")
    out = tmp_path / "out" / f"ragged.{fmt}"
    out.parent.mkdir()
    r = H.run_cli(pyforge, "convert", src, out, "-f", fmt)
    H.assert_clean_error(r, "ragged.csv", line=3)
    assert_nothing_left(out.parent, out)


def test_ragged_row_line_counts_physical_lines(pyforge, tmp_path):
    # The quoted field spans lines 2-3, so the ragged record is on line 4 of the file.
    src = tmp_path / "ragged_after_newline.csv"
    src.write_bytes(b'a,b\n"x\ny",1\n3,4,5\n')
    out = tmp_path / "o.parquet"
    r = H.run_cli(pyforge, "convert", src, out)
    H.assert_clean_error(r, "ragged_after_newline.csv", line=4)
    assert_nothing_left(tmp_path, out)


@pytest.mark.parametrize("fmt", FORMATS)
def test_failure_late_in_a_large_file_leaves_nothing(pyforge, tmp_path, fmt):
    # 100 000 good rows are read (and partly written) before the bad one is met.
    src = tmp_path / "late.csv"
    with open(src, "w") as f:
        f.write("a,b,c\n")
        f.writelines(f"{i},{2 * i},x{i}\n" for i in range(100_000))
        f.write("1,2,3,4\n")
    outdir = tmp_path / "out"
    outdir.mkdir()
    out = outdir / f"late.{fmt}"
    r = H.run_cli(pyforge, "convert", src, out, "-f", fmt)
    H.assert_clean_error(r, "late.csv", line=100_002)
    assert_nothing_left(outdir, out)


def test_allow_ragged_accepts_the_same_file(pyforge, tmp_path):
    src = tmp_path / "ragged.csv"
    src.write_bytes(b"a,b\n1,2\n3,4,5\n6\n")
    out = tmp_path / "o.parquet"
    r = H.run_cli(pyforge, "convert", src, out, "--allow-ragged", "-q")
    assert r.returncode == 0, r.describe()
    t = H.read_parquet(out)
    assert t.num_rows == 3 and t.num_columns == 3, t
    assert t.column(0).to_pylist() == [1, 3, 6]
    assert t.column(1).to_pylist() == [2, 4, None]  # missing fields become null
    assert t.column(2).to_pylist() == [None, 5, None]  # extra fields become a new column


def test_undecodable_byte_with_explicit_utf8(pyforge, tmp_path):
    src = tmp_path / "latin.csv"
    src.write_bytes(b"a,b\n1,x\n2,caf\xe9\n3,y\n")
    out = tmp_path / "o.parquet"
    r = H.run_cli(pyforge, "convert", src, out, "--encoding", "utf-8")
    H.assert_clean_error(r, "latin.csv", line=3)
    assert_nothing_left(tmp_path, out)


@pytest.mark.parametrize(
    "name,data",
    [("empty.csv", b""), ("blank.csv", b"\n\n\r\n"), ("bom_only.csv", b"\xef\xbb\xbf")],
    ids=["empty", "blank-lines", "bom-only"],
)
def test_empty_file(pyforge, tmp_path, name, data):
    src = tmp_path / name
    src.write_bytes(data)
    out = tmp_path / "o.parquet"
    r = H.run_cli(pyforge, "convert", src, out)
    H.assert_clean_error(r, name)
    assert_nothing_left(tmp_path, out)


@pytest.mark.parametrize("json_flag", [True, False], ids=["json", "text"])
def test_info_on_a_directory(pyforge, tmp_path, json_flag):
    d = tmp_path / "a_folder"
    d.mkdir()
    r = H.run_cli(pyforge, "info", d, *(["--json"] if json_flag else []))
    H.assert_clean_error(r, "a_folder")
    if json_flag:
        assert r.stdout.strip() == "", f"--json must not print anything on stdout on failure\n{r.describe()}"


def test_missing_file(pyforge, tmp_path):
    out = tmp_path / "o.parquet"
    r = H.run_cli(pyforge, "convert", tmp_path / "no_such_file.csv", out)
    H.assert_clean_error(r, "no_such_file.csv")
    assert_nothing_left(tmp_path, out)
    r = H.run_cli(pyforge, "info", tmp_path / "no_such_file.csv", "--json")
    H.assert_clean_error(r, "no_such_file.csv")


# ------------------------------------------------------------------------------------------------
# Outputs: overwrite, --force, atomicity, permissions
# ------------------------------------------------------------------------------------------------
@pytest.fixture
def small_csv(tmp_path):
    src = tmp_path / "small.csv"
    src.write_bytes(b"id,name\n1,ann\n2,bob\n")
    return src


def test_refuses_to_overwrite_without_force(pyforge, tmp_path, small_csv):
    out = tmp_path / "o.parquet"
    out.write_bytes(b"precious")
    r = H.run_cli(pyforge, "convert", small_csv, out)
    H.assert_clean_error(r, "o.parquet")
    assert out.read_bytes() == b"precious", "existing output changed without --force"
    assert H.leftovers(tmp_path) == []


def test_force_overwrites(pyforge, tmp_path, small_csv):
    out = tmp_path / "o.parquet"
    out.write_bytes(b"precious")
    r = H.run_cli(pyforge, "convert", small_csv, out, "--force", "-q")
    assert r.returncode == 0, r.describe()
    t = H.read_parquet(out)
    assert t.to_pylist() == [{"id": 1, "name": "ann"}, {"id": 2, "name": "bob"}]
    assert H.leftovers(tmp_path) == []


def test_failed_force_keeps_the_old_output(pyforge, tmp_path):
    src = tmp_path / "ragged.csv"
    src.write_bytes(b"a,b\n1,2\n3,4,5\n")
    out = tmp_path / "o.parquet"
    out.write_bytes(b"precious")
    r = H.run_cli(pyforge, "convert", src, out, "--force")
    H.assert_clean_error(r, "ragged.csv", line=3)
    assert out.read_bytes() == b"precious", "a failed --force conversion damaged the existing output"
    assert H.leftovers(tmp_path) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_output_permissions_follow_umask(pyforge, tmp_path, small_csv, fmt):
    """An output is an ordinary file: mode 0666 & ~umask, like `touch` or `cp` would create.
    (Writing to a temporary file and renaming it must not leave the temp file's 0600 mode.)"""
    out = tmp_path / f"o.{fmt}"
    r = H.run_cli(pyforge, "convert", small_csv, out, "-f", fmt, "-q")
    assert r.returncode == 0, r.describe()
    reference = tmp_path / "reference"
    reference.touch()  # what a new file gets under this process's umask
    want = stat.S_IMODE(reference.stat().st_mode)
    got = stat.S_IMODE(out.stat().st_mode)
    assert got == want, f"output mode {oct(got)} != {oct(want)} (mode of a newly created file here)"


# ------------------------------------------------------------------------------------------------
# info --json, --version, usage errors
# ------------------------------------------------------------------------------------------------
def test_info_json(pyforge, tmp_path):
    src = tmp_path / "typed.csv"
    src.write_bytes(
        b"id;price;ok;day;name\n1;1.5;true;2024-02-29;ann\n2;2.25;false;2024-03-01;bob\n3;;true;2024-03-02;\n"
    )
    r = H.run_cli(pyforge, "info", src, "--json")
    assert r.returncode == 0, r.describe()
    info = json.loads(r.stdout)  # stdout must be JSON and nothing else
    assert info["path"].endswith("typed.csv")
    assert info["format"] == "csv"
    assert info["size_bytes"] == src.stat().st_size
    details = info["details"]
    assert details["encoding"] in ("utf-8", "UTF-8", "ascii", "us-ascii"), details
    assert H.unescape(details["delimiter"]) == ";", details
    assert len(info["tables"]) == 1
    table = info["tables"][0]
    assert table["rows"] == 3
    assert [(c["name"], c["type"]) for c in table["columns"]] == [
        ("id", "int64"),
        ("price", "double"),
        ("ok", "bool"),
        ("day", "date32[day]"),
        ("name", "string"),
    ]
    assert isinstance(table["name"], str) and table["name"]


def test_version(pyforge):
    r = H.run_cli(pyforge, "--version")
    assert r.returncode == 0, r.describe()
    assert re.fullmatch(r"pyforge \d+\.\d+\.\d+\S*\n?", r.stdout), r.describe()


@pytest.mark.parametrize(
    "args",
    [["convert"], ["convert", "x.csv", "y.parquet", "--no-such-flag"], ["no-such-command"],
     ["convert", "x.csv", "y.out", "-f", "xlsx"]],
    ids=["missing-input", "unknown-flag", "unknown-command", "bad-format"],
)
def test_usage_errors_exit_2(pyforge, tmp_path, args):
    r = H.run_cli(pyforge, *args, cwd=tmp_path)
    H.assert_no_panic(r)
    assert r.returncode == 2, r.describe()
    assert list(tmp_path.iterdir()) == [], "a usage error created files"


# ------------------------------------------------------------------------------------------------
# Encodings and quoted newlines
# ------------------------------------------------------------------------------------------------
CP1252_TEXT = [("José", "Zürich"), ("Renée", "€uro “quoted” – dash")]


@pytest.mark.parametrize("explicit", [False, True], ids=["detected", "explicit"])
def test_cp1252(pyforge, tmp_path, explicit):
    src = tmp_path / "cp1252.csv"
    body = "name,city\n" + "".join(f"{a},{b}\n" for a, b in CP1252_TEXT)
    src.write_bytes(body.encode("cp1252"))
    out = tmp_path / "o.jsonl"
    r = H.run_cli(pyforge, "convert", src, out, "-f", "jsonl", "-q", *(["--encoding", "cp1252"] if explicit else []))
    assert r.returncode == 0, r.describe()
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows == [{"name": a, "city": b} for a, b in CP1252_TEXT]


def test_utf16le_with_bom(pyforge, tmp_path):
    src = tmp_path / "utf16.csv"
    text = "name,n,note\r\nJosé,1,日本語\r\nΑθήνα,2,\"a,b\"\r\n"
    src.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    out = tmp_path / "o.parquet"
    r = H.run_cli(pyforge, "convert", src, out, "-q")
    assert r.returncode == 0, r.describe()
    t = H.read_parquet(out)
    assert t.column_names == ["name", "n", "note"], "BOM or encoding leaked into the header"
    assert t.to_pylist() == [
        {"name": "José", "n": 1, "note": "日本語"},
        {"name": "Αθήνα", "n": 2, "note": "a,b"},
    ]
    info = H.info_json(pyforge, src)
    assert info["details"]["encoding"].lower().replace("_", "-") in ("utf-16le", "utf-16-le", "utf-16"), info


@pytest.mark.parametrize("fmt", FORMATS)
def test_quoted_newlines_preserved(pyforge, tmp_path, fmt):
    src = tmp_path / "nl.csv"
    src.write_bytes(b'id,text\n1,"line one\nline two"\n2,"crlf\r\ninside"\n3,plain\n4,"trailing\n"\n')
    out = tmp_path / f"o.{fmt}"
    r = H.run_cli(pyforge, "convert", src, out, "-f", fmt, "-q")
    assert r.returncode == 0, r.describe()
    t = read_output(out, fmt)
    assert t.column("id").to_pylist() == [1, 2, 3, 4]
    assert t.column("text").to_pylist() == ["line one\nline two", "crlf\r\ninside", "plain", "trailing\n"]


# ------------------------------------------------------------------------------------------------
# --partition-by
# ------------------------------------------------------------------------------------------------
def _canon_rows(rows, columns):
    return sorted(tuple(H.canon_value(r[c]) for c in columns) for r in rows)


@pytest.mark.parametrize(
    "by",
    [["region"], ["region", "year"]],
    ids=["one-column", "two-columns"],
)
def test_partition_by(pyforge, tmp_path, by):
    import pyarrow.dataset as ds

    src = tmp_path / "sales.csv"
    src.write_bytes(
        b"region,year,amount,note\n"
        b"north,2020,1.5,a\n"
        b"south,2020,2.5,b\n"
        b"north,2021,3.5,c\n"
        b"a/b,2021,4.5,slash\n"
        b"x y,2020,5.5,space\n"
        b"50%,2021,6.5,percent\n"
        b",2021,7.5,null region\n"
    )
    out = tmp_path / "sales_parts"
    r = H.run_cli(pyforge, "convert", src, out, "--partition-by", ",".join(by), "-q")
    assert r.returncode == 0, r.describe()
    parts = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.parquet"))
    assert parts, f"no parquet files under {out}"
    for p in parts:
        segs = p.split("/")
        assert [s.split("=", 1)[0] for s in segs[:-1]] == by, f"unexpected layout {p}"
        assert re.fullmatch(r"part-\d{5}\.parquet", segs[-1]), f"unexpected file name {p}"
    assert "region=north/" + ("year=2020/" if len(by) == 2 else "") + "part-00000.parquet" in parts, parts
    t = ds.dataset(out, format="parquet", partitioning="hive").to_table()
    columns = ["region", "year", "amount", "note"]
    assert sorted(t.column_names) == sorted(columns)
    expected = H.read_parquet(_convert_plain(pyforge, src, tmp_path))
    assert t.num_rows == expected.num_rows == 7
    assert _canon_rows(t.to_pylist(), columns) == _canon_rows(expected.to_pylist(), columns)


def _convert_plain(pyforge, src, tmp_path):
    out = tmp_path / "plain.parquet"
    r = H.run_cli(pyforge, "convert", src, out, "-q")
    assert r.returncode == 0, r.describe()
    return out
