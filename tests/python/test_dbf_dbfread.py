"""Differential test: pyforge's DBF reader against dbfread 2.0.7, value by value.

Inputs:
  * every .dbf of testdata/dbf (dbfread with the encoding the header names; files it
    cannot read are listed in HAND_CHECKED with what pyforge must do, checked by hand against
    the bytes -- see also crates/pyforge-core/tests/core/dbf_reader.rs);
  * tables written by an independent writer, the `dbf` package (Ethan Furman): dBase III +
    .dbt, Clipper + .dbt, FoxPro 2 + .fpt, Visual FoxPro + .fpt with null flags, in cp866,
    cp1251, cp437 and cp1252, with deleted records.

dbfread knows nothing of Visual FoxPro null flags (it returns the raw `_NullFlags` bytes and
the blank value); a null from pyforge is accepted there only if the field's bit in those bytes
is set, which the test decodes itself from the published layout.
"""
from __future__ import annotations

import datetime as dt
import decimal
import random
from pathlib import Path

import pytest

import pyforge_helpers as H

dbfread = pytest.importorskip("dbfread") if not H.IN_CI else __import__("dbfread")
pq = pytest.importorskip("pyarrow.parquet")

CORPUS_DBF = H.TESTDATA / "dbf"

# Files dbfread cannot read (or reads wrongly), with pyforge's hand-checked behaviour:
# ("error", substring) or ("value", column, row, expected).
HAND_CHECKED = {
    # dbfread: ValueError float('1234. ... \0\0'); the field holds 1234 padded with NULs.
    "dbase-rs/data/contain_null_padded_numeric.dbf": ("value", "number", 0, decimal.Decimal(1234)),
    # The header's record length (1016) forgets the deletion flag; records are 1017 bytes apart
    # (checked in the bytes: record 0 starts with '*', record 1 at +1017 with ' Franconia').
    # dbfread steps by 1016: values gain a leading space, the deleted record is missed and the
    # EOF marker becomes a sixth record. pyforge: 5 live records, first one below.
    "dbase-rs/data/stations_with_deleted.dbf": ("value", "name", 0, "Franconia-Springfield"),
    # Header says cp1252 (0x03) but 0x81 is undefined there: both fail; compared with cp850 below.
    "dbase-rs/data/cp850.dbf": ("error", "cannot decode"),
    # Deliberately invalid date 'NotAYear': both fail.
    "dbfread-sdist/examples/files/invalid_value.dbf": ("error", "invalid date"),
    # Memo fields but no memo file: both fail (dbfread: MissingMemoFile).
    "dbfread-sdist/testcases/no_memofile.dbf": ("error", "memo file not found"),
}
# Read with an explicit encoding on both sides.
ENCODING_OVERRIDE = {"dbase-rs/data/cp850.dbf": "cp850"}


def corpus_files() -> list[Path]:
    if not CORPUS_DBF.is_dir():
        return []
    return sorted(p for p in CORPUS_DBF.rglob("*") if p.suffix.lower() == ".dbf")


def convert(pyforge: Path, src: Path, out: Path, *extra: str):
    r = H.run_cli(pyforge, "convert", src, out, "--force", *extra)
    H.assert_no_panic(r)
    return r


def nullable_flags(path: Path) -> list[tuple[str, int, str]]:
    """(name, flags byte, type) of each field descriptor, read from the raw header."""
    data = path.read_bytes()
    res, pos = [], 32
    while pos + 32 <= len(data) and data[pos] != 0x0D:
        d = data[pos:pos + 32]
        res.append((d[:11].split(b"\0")[0].decode("latin-1"), d[18], chr(d[11])))
        pos += 32
    return res


def null_bit_map(path: Path) -> dict[str, int]:
    data = path.read_bytes()
    if data[0] not in (0x30, 0x31, 0x32):
        return {}
    out, bit = {}, 0
    for name, flags, typ in nullable_flags(path):
        if typ == "0":
            continue
        if typ in ("V", "Q"):
            bit += 1
        if flags & 0x02:
            out[name] = bit
            bit += 1
    return out


def is_flagged_null(record: dict, bit: int | None) -> bool:
    if bit is None:
        return False
    flags = record.get("_NULLFLAGS") or record.get("_NullFlags") or b""
    return len(flags) > bit // 8 and bool(flags[bit // 8] & (1 << (bit % 8)))


def same(ours, theirs) -> bool:
    if isinstance(ours, decimal.Decimal):
        if isinstance(theirs, float):
            return ours == decimal.Decimal(repr(theirs))
        return isinstance(theirs, (int, decimal.Decimal)) and ours == decimal.Decimal(theirs)
    if isinstance(ours, bool) or isinstance(theirs, bool):
        return type(ours) is type(theirs) and ours == theirs
    if isinstance(ours, bytes) and isinstance(theirs, (bytes, bytearray)):
        return ours == bytes(theirs)
    return type(ours) is type(theirs) and ours == theirs


def compare(pyforge: Path, src: Path, tmp: Path, encoding: str | None = None) -> tuple[int, list[str]]:
    """Convert `src` with pyforge and compare with dbfread; returns (values compared, problems)."""
    out = tmp / (src.stem + ".parquet")
    extra = ["--encoding", encoding] if encoding else []
    r = convert(pyforge, src, out, *extra)
    assert r.returncode == 0, r.describe()
    ours = pq.read_table(out).to_pylist()
    kw = {"encoding": encoding} if encoding else {}
    theirs = list(dbfread.DBF(str(src), **kw))
    problems: list[str] = []
    assert len(ours) == len(theirs), f"{src}: {len(ours)} rows vs dbfread {len(theirs)}"
    bits = null_bit_map(src)
    n = 0
    for i, (o, t) in enumerate(zip(ours, theirs)):
        theirs_names = [k for k in t if k.upper() != "_NULLFLAGS"]
        assert list(o) == theirs_names, f"{src}: columns {list(o)} vs {theirs_names}"
        for k in theirs_names:
            n += 1
            ov, tv = o[k], t[k]
            if ov is None and (tv is None or is_flagged_null(t, bits.get(k))):
                continue
            if not same(ov, tv):
                problems.append(f"{src.name} row {i + 1} {k}: pyforge {ov!r} vs dbfread {tv!r}")
    # Deleted records: pyforge --include-deleted flags exactly those dbfread lists as deleted.
    out2 = tmp / (src.stem + "_del.parquet")
    r = convert(pyforge, src, out2, "--include-deleted", *extra)
    assert r.returncode == 0, r.describe()
    with_deleted = pq.read_table(out2).to_pylist()
    deleted_ours = [ {k: v for k, v in row.items() if k != "_deleted"} for row in with_deleted if row["_deleted"]]
    deleted_theirs = list(dbfread.DBF(str(src), **kw).deleted)
    assert len(deleted_ours) == len(deleted_theirs), f"{src}: deleted {len(deleted_ours)} vs {len(deleted_theirs)}"
    for o, t in zip(deleted_ours, deleted_theirs):
        for k, ov in o.items():
            n += 1
            if not (ov is None and (t[k] is None or is_flagged_null(t, bits.get(k)))) and not same(ov, t[k]):
                problems.append(f"{src.name} deleted {k}: pyforge {ov!r} vs dbfread {t[k]!r}")
    return n, problems


@pytest.mark.parametrize("rel", [str(p.relative_to(CORPUS_DBF)) for p in corpus_files()] or ["<no corpus>"])
def test_corpus_file(pyforge, testdata, tmp_path, rel):
    H.require(CORPUS_DBF.is_dir(), f"DBF corpus missing: {CORPUS_DBF}")
    src = CORPUS_DBF / rel
    if rel in HAND_CHECKED:
        kind, *rest = HAND_CHECKED[rel]
        out = tmp_path / "out.parquet"
        r = convert(pyforge, src, out)
        if kind == "error":
            H.assert_clean_error(r, rest[0])
            assert not out.exists()
        else:
            col, row, want = rest
            assert r.returncode == 0, r.describe()
            assert pq.read_table(out).column(col).to_pylist()[row] == want
        if rel in ENCODING_OVERRIDE:
            n, problems = compare(pyforge, src, tmp_path, ENCODING_OVERRIDE[rel])
            assert not problems, "\n".join(problems)
            H.SUMMARY_LINES.append(f"dbf {rel} (--encoding {ENCODING_OVERRIDE[rel]}): {n} values agree")
        return
    n, problems = compare(pyforge, src, tmp_path)
    assert not problems, "\n".join(problems)
    H.SUMMARY_LINES.append(f"dbf {rel}: {n} values agree")


# --------------------------------------------------------------------------------------------
# Tables written by the independent `dbf` package
# --------------------------------------------------------------------------------------------

WORDS = {
    "cp866": ["Привет", "мир", "Ёлка", "щука", "Москва", "data"],
    "cp1251": ["Київ", "Жёлудь", "Србија", "ёж", "Sofia", "Beograd"],
    "cp437": ["Zürich", "façade", "naïve", "Ångström", "über", "résumé"],
    "cp1252": ["São Paulo", "Kraków", "Øre", "œuvre", "€uro", "Ñandú"],
}


def make_table(path: Path, dbf_type: str, codepage: str, rows: int, seed: int) -> Path:
    dbfmod = pytest.importorskip("dbf") if not H.IN_CI else __import__("dbf")
    rnd = random.Random(seed)
    words = WORDS[codepage]
    vfp = dbf_type == "vfp"
    null = " NULL" if vfp else ""
    spec = f"name C(30); qty N(6,0){null}; price N(12,3){null}; born D{null}; ok L{null}; note M{null}"
    if vfp:
        spec += "; cnt I; money Y; ratio B; seen T NULL"
    t = dbfmod.Table(str(path), spec, dbf_type=dbf_type, codepage=codepage)
    t.open(dbfmod.READ_WRITE)
    for i in range(rows):
        def maybe(v, p=0.15):
            # Only Visual FoxPro has nulls; the dbf package refuses None elsewhere.
            return dbfmod.Null if vfp and rnd.random() < p else v
        name = " ".join(rnd.choice(words) for _ in range(rnd.randint(1, 3)))
        row = [
            name,
            maybe(rnd.randint(-99999, 999999)),
            maybe(round(rnd.uniform(-1e6, 1e6), 3)),
            maybe(dt.date(rnd.randint(1900, 2100), rnd.randint(1, 12), rnd.randint(1, 28))),
            maybe(rnd.choice([True, False])),
            maybe("\n".join(rnd.choice(words) * rnd.randint(1, 50) for _ in range(rnd.randint(1, 5)))),
        ]
        if vfp:
            row += [
                rnd.randint(-2**31, 2**31 - 1),
                decimal.Decimal(rnd.randint(-10**12, 10**12)) / 10000,
                rnd.uniform(-1e9, 1e9),
                maybe(dt.datetime(rnd.randint(1990, 2030), rnd.randint(1, 12), rnd.randint(1, 28),
                                  rnd.randint(0, 23), rnd.randint(0, 59), rnd.randint(0, 59))),
            ]
        t.append(tuple(row))
    for i in range(0, rows, 17):
        dbfmod.delete(t[i])
    t.close()
    return path


@pytest.mark.parametrize(
    "dbf_type,codepage",
    [("db3", "cp866"), ("clp", "cp437"), ("fp", "cp1251"), ("vfp", "cp1252"), ("vfp", "cp866")],
)
def test_tables_from_the_dbf_package(pyforge, tmp_path, dbf_type, codepage):
    src = make_table(tmp_path / f"gen_{dbf_type}_{codepage}.dbf", dbf_type, codepage, 400, hash((dbf_type, codepage)) & 0xFFFF)
    # Memo files named in upper case: found case-insensitively.
    for memo in list(tmp_path.glob("gen_*.dbt")) + list(tmp_path.glob("gen_*.fpt")):
        memo.rename(memo.with_name(memo.stem + memo.suffix.upper()))
    n, problems = compare(pyforge, src, tmp_path)
    assert not problems, "\n".join(problems[:20])
    info = H.info_json(pyforge, src)
    enc = info["details"]["encoding"]
    assert codepage[2:] in enc.split(" ")[0], enc
    H.SUMMARY_LINES.append(f"dbf generated {dbf_type}/{codepage}: {n} values agree")


def test_info_and_missing_memo_option(pyforge, tmp_path):
    src = make_table(tmp_path / "m.dbf", "fp", "cp437", 20, 1)
    info = H.info_json(pyforge, src)
    d = info["details"]
    assert d["version"].startswith("0xF5"), d
    assert d["encoding"].startswith("cp437 (language driver"), d
    assert "m.fpt (FoxPro" in d["memo_file"], d
    assert any(f.startswith("NOTE M") for f in info["tables"][0]["details"]["fields"])
    (tmp_path / "m.fpt").unlink()
    r = H.run_cli(pyforge, "convert", src, tmp_path / "o.parquet")
    H.assert_clean_error(r, "memo file not found")
    r = H.run_cli(pyforge, "convert", src, tmp_path / "o.parquet", "--ignore-missing-memo")
    assert r.returncode == 0, r.describe()
    t = pq.read_table(tmp_path / "o.parquet")
    assert set(t.column("NOTE").to_pylist()) == {None}
