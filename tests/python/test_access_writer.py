"""The Access sample written by PyForge's own Jet4 writer, read back by mdbtools.

`pyforge samples` writes northwind_mini.mdb (3 tables: every common column type, NULLs,
Unicode text, memos inline and on long-value pages, OLE objects). mdbtools must list the same
tables and types, and `mdb-export` of every table must agree value by value with PyForge's
reading of it (same normalisations as test_access_mdbtools.py). One formatting difference is
normalised, not a value: mdbtools prints GUIDs without their 4th hyphen (see test_access_mdbtools).
Random databases (seeded, `crates/pyforge-samples/examples/access_random.rs`, restricted to
what mdbtools prints faithfully: no fixed Binary columns, no zero-length values, dates of
1900..2899 in whole seconds) are compared the same way. The writer's random round trips
against PyForge's reader alone (every type and value) are in
crates/pyforge-core/tests/core/access_writer.rs.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

import pyforge_helpers as H
import access_mdbtools as A

TABLES = {"Customers": 60, "Products": 40, "Orders": 400}


@pytest.fixture(scope="module")
def sample(pyforge: Path, tmp_path_factory) -> Path:
    H.require(shutil.which("mdb-export") is not None, "mdbtools is not installed (tests/apt-packages.txt)")
    d = tmp_path_factory.mktemp("samples")
    subprocess.run([str(pyforge), "samples", str(d), "-q"], check=True, timeout=120)
    db = d / "northwind_mini.mdb"
    assert db.is_file()
    return db


def test_mdbtools_lists_the_tables_and_types(sample: Path) -> None:
    assert A.mdb_tables(sample) == list(TABLES)
    schema = subprocess.run(["mdb-schema", str(sample)], capture_output=True, text=True, check=True).stdout
    for col, kind in [("CompanyName", "Text (40)"), ("Since", "DateTime"), ("Active", "Boolean"),
                      ("CreditLimit", "Currency"), ("Notes", "Memo/Hyperlink"), ("ProductID", "Integer"),
                      ("CategoryID", "Byte"), ("Weight", "Single"), ("TaxRate", "Numeric (10, 4)"),
                      ("ReplicaID", "Replication ID"), ("Picture", "OLE"), ("OrderID", "Long Integer"),
                      ("Discount", "Double")]:
        assert any(line.strip().startswith(f"[{col}]") and kind in line for line in schema.splitlines()), (col, kind)


def _mdb_prop(db: Path, table: str) -> dict:
    """mdbtools' `mdb-prop` of a table: {map name ("" for the table): {property: value}}."""
    out = subprocess.run(["mdb-prop", str(db), table], capture_output=True, text=True, check=True).stdout
    maps: dict = {}
    current = None
    for line in out.splitlines():
        if line.startswith("name: "):
            name = line[len("name: "):]
            current = maps.setdefault("" if name == "(none)" else name, {})
        elif line.startswith("\t") and current is not None and ": " in line:
            key, value = line.strip().split(": ", 1)
            current[key] = value
    return maps


def test_mdbtools_reads_the_descriptions(pyforge: Path, sample: Path) -> None:
    """The tables' and columns' Description properties (LvProp) that the writer stores are
    read alike by mdbtools and by PyForge's info."""
    H.require(shutil.which("mdb-prop") is not None, "mdb-prop (mdbtools) is not installed")
    info = H.info_json(pyforge, sample)
    described = 0
    for t in info["tables"]:
        d = t["details"]
        ours = {"": d.get("description")} | {c: p.get("description") for c, p in d.get("column_properties", {}).items()}
        theirs = {name: props.get("Description") for name, props in _mdb_prop(sample, t["name"]).items()}
        assert {k: v for k, v in ours.items() if v} == {k: v for k, v in theirs.items() if v}, t["name"]
        described += sum(1 for v in ours.values() if v)
    assert described >= len(TABLES) + 3  # every table, and columns of each


def _guid_digits(s: str | None) -> str | None:
    return None if s is None else s.strip("{}").replace("-", "").upper()


GUID = re.compile(r"^\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}$")


def compare_database(pyforge: Path, db: Path, out: Path) -> int:
    """Compare every table of `db`: mdb-export against PyForge. Gives the number of values."""
    ours, err = A.pyforge_tables(pyforge, db, out)
    assert err is None, f"{db.name}: {err}"
    names = A.mdb_tables(db)
    assert list(ours) == names, db.name
    compared = 0
    for name in names:
        cols, rows = A.mdb_export(db, name)
        table = ours[name]
        assert table.num_rows == len(rows), (db.name, name)
        guid_cols = [c for c in cols if str(table.schema.field(c).type) == "string"
                     and (vals := [v for v in table.column(c).to_pylist() if v is not None])
                     and all(GUID.match(v) for v in vals)]
        for g in guid_cols:  # mdbtools drops the 4th hyphen: compare the 32 hex digits
            j = cols.index(g)
            theirs = [_guid_digits(bytes.fromhex(r[j]).decode() if r[j] is not None else None) for r in rows]
            assert [_guid_digits(v) for v in table.column(g).to_pylist()] == theirs, (db.name, name, g)
        keep = [j for j, c in enumerate(cols) if c not in guid_cols]
        diffs = A.compare_table(table.drop_columns(guid_cols), [cols[j] for j in keep],
                                [[r[j] for j in keep] for r in rows])
        assert not diffs, f"{db.name}, table {name}: {diffs}"
        compared += len(rows) * len(cols)
    return compared


def test_mdb_export_agrees_with_pyforge(pyforge: Path, sample: Path, tmp_path: Path) -> None:
    assert compare_database(pyforge, sample, tmp_path) == 60 * 7 + 40 * 9 + 400 * 8


def test_random_databases_agree_with_mdbtools(pyforge: Path, tmp_path: Path) -> None:
    H.require(shutil.which("mdb-export") is not None, "mdbtools is not installed (tests/apt-packages.txt)")
    gen = next((H.REPO_ROOT / "target" / p / "examples" / "access_random" for p in ("release", "debug")
                if (H.REPO_ROOT / "target" / p / "examples" / "access_random").is_file()), None)
    H.require(gen is not None, "target/*/examples/access_random missing (cargo test --release builds it)")
    dbs = subprocess.run([str(gen), str(tmp_path), "25"], capture_output=True, text=True, check=True,
                         timeout=300).stdout.split()
    assert len(dbs) == 25
    values = sum(compare_database(pyforge, Path(db), tmp_path / "out") for db in dbs)
    H.SUMMARY_LINES.append(f"Access writer: 25 random databases, {values} values, mdb-export == PyForge")
    assert values > 20_000


def _rc4(key: bytes, data: bytes) -> bytes:
    s, j = list(range(256)), 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    out, i, j = bytearray(), 0, 0
    for b in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(b ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


def database_key(db: Path) -> int:
    """The database key of a Jet4 file: non-zero when its pages are RC4-encoded. The header
    region from 0x18 is masked with a fixed RC4 key; the key sits at 0x3E."""
    head = db.read_bytes()[:0x18 + 128]
    plain = _rc4(bytes([0xC7, 0xDA, 0x39, 0x6B]), head[0x18:])
    return int.from_bytes(plain[0x3E - 0x18:0x3E - 0x18 + 4], "little")


def test_encoded_databases_agree_with_mdbtools(pyforge: Path, tmp_path: Path) -> None:
    """Access 2000-2003's "Encode Database" (every page RC4-encrypted with a key derived from
    the database key): no such file is in the corpus, so the writer makes them; mdbtools and
    PyForge (through jetdb's page decryption) must read the same values."""
    H.require(shutil.which("mdb-export") is not None, "mdbtools is not installed (tests/apt-packages.txt)")
    gen = next((H.REPO_ROOT / "target" / p / "examples" / "access_random" for p in ("release", "debug")
                if (H.REPO_ROOT / "target" / p / "examples" / "access_random").is_file()), None)
    H.require(gen is not None, "target/*/examples/access_random missing (cargo test --release builds it)")
    dbs = subprocess.run([str(gen), str(tmp_path), "6", "300", "--encode"], capture_output=True, text=True,
                         check=True, timeout=300).stdout.split()
    assert len(dbs) == 6
    for db in dbs:
        assert database_key(Path(db)) != 0, db
        # Encoded: no page after the header starts like a page of the format (type 1-8, then 1).
        data = Path(db).read_bytes()
        plain_pages = sum(1 for at in range(4096, len(data), 4096) if data[at] in range(1, 9) and data[at + 1] == 1)
        assert plain_pages <= len(data) // 4096 // 100, f"{db}: {plain_pages} pages look plain"
    values = sum(compare_database(pyforge, Path(db), tmp_path / "out") for db in dbs)
    H.SUMMARY_LINES.append(f"Access writer: 6 RC4-encoded databases, {values} values, mdb-export == PyForge")
    assert values > 3_000


def test_long_memos_survive(pyforge: Path, sample: Path) -> None:
    cols, rows = A.mdb_export(sample, "Customers")
    notes = [r[cols.index("Notes")] for r in rows]
    assert notes[0] is None
    assert notes[4] == "Ж" * 2500  # on a long-value page (5000 bytes of UCS-2: a chain of 2)
    assert notes[2].startswith("Long history — ") and len(notes[2]) > 4096
    assert notes[1] == 'Prefers e-mail.\r\nCalls on Tuesdays; café owner, "VIP", comma, here.'
