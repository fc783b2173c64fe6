"""Encrypted Access databases through the CLI (testdata/access/jackcess-encrypt, whose README
gives each file's protection, password and content, from Jackcess-encrypt's
CryptCodecProviderTest).

RC4 page encoding (Jet3/Jet4) needs no password; Office encryption (RC4 CryptoAPI, standard
AES, agile AES, a non-standard provider) opens with `--password`. Without it, or with a wrong
one, `pyforge convert` fails with one line naming the file, exit 1, and writes nothing: no
output file, no output folder, no temporary file.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import pyforge_helpers as H

FOLDER = "access/jackcess-encrypt"

# file -> (password or None, {table: rows}, {table: {column: values}}) from the README.
JET_TABLE1 = {"ID": [1, 2], "col1": ["hello", "world"], "col2": [0, 42]}
OFFICE_TABLE1 = {"ID": [1], "Field1": ["foo"]}
FILES = {
    "db97-enc.mdb": (None, {"Table1": 2}, {"Table1": JET_TABLE1}),
    "db-enc.mdb": (None, {"Table1": 2}, {"Table1": JET_TABLE1}),
    "db2007-oldenc.accdb": ("Test123", {"Table1": 1}, {"Table1": OFFICE_TABLE1}),
    "db2007-enc.accdb": ("Test123", {"Table1": 1}, {"Table1": OFFICE_TABLE1}),
    "db2013-enc.accdb": ("1234", {"Customers": 7},
                         {"Customers": {"ID": [1, 2, 3, 4, 5, 6, 7],
                                        "Field1": ["Test", "Test2", "a", None, "c", "d", "f"]}}),
    # upstream asks only for Table_One and its column ID
    "db-nonstandard.accdb": ("password", {"Table_One": 1}, {"Table_One": {"ID": [1]}}),
}
OFFICE = [name for name, (pw, _, _) in FILES.items() if pw is not None]


def db(testdata: Path, name: str) -> Path:
    p = testdata / FOLDER / f"src__test__data__{name}"
    assert p.is_file(), f"test data missing: {p}"
    return p


def password_args(name: str) -> list[str]:
    pw = FILES[name][0]
    return [] if pw is None else ["--password", pw]


def test_every_file_of_the_folder_is_covered(testdata: Path) -> None:
    on_disk = sorted(p.name.removeprefix("src__test__data__") for p in (testdata / FOLDER).iterdir()
                     if p.suffix in (".mdb", ".accdb"))
    assert on_disk == sorted(FILES)


@pytest.mark.parametrize("name", list(FILES))
def test_opens_and_converts_with_its_password(pyforge: Path, testdata: Path, tmp_path: Path, name: str) -> None:
    _, rows, values = FILES[name]
    src = db(testdata, name)
    r = H.run_cli(pyforge, "info", "--json", src, *password_args(name))
    assert r.returncode == 0, r.describe()
    info = json.loads(r.stdout)
    assert info["format"] == "access"
    assert {t["name"]: t["rows"] for t in info["tables"]} == rows

    # One user table: the output is one Parquet file.
    out = tmp_path / "out.parquet"
    r = H.run_cli(pyforge, "convert", src, out, *password_args(name))
    assert r.returncode == 0, r.describe()
    ((table, want),) = values.items()
    got = pq.read_table(out)
    assert got.num_rows == rows[table]
    for col, vals in want.items():
        assert got.column(col).to_pylist() == vals, f"{name}: {table}.{col}"


@pytest.mark.parametrize("name", OFFICE)
def test_whole_catalog_decrypts(pyforge: Path, testdata: Path, tmp_path: Path, name: str) -> None:
    """mdbtools cannot read these, so the check that every page decrypts is that every system
    table converts with the row count the catalog records, and MSysObjects lists the user table
    as a local table (type 1) beside MSysQueries (which upstream opens)."""
    _, rows, _ = FILES[name]
    (user_table,) = rows
    out = tmp_path / "all"
    r = H.run_cli(pyforge, "convert", db(testdata, name), out, "--include-system", *password_args(name))
    assert r.returncode == 0, r.describe()
    manifest = json.loads((out / "_manifest.json").read_text())
    listed = {t["name"]: t for t in manifest["tables"]}
    assert "MSysQueries" in listed and user_table in listed
    for t in listed.values():
        assert pq.read_table(out / t["file"]).num_rows == t["rows"], f"{name}: {t['name']}"
    objects = pq.read_table(out / listed["MSysObjects"]["file"]).to_pydict()
    types = dict(zip(objects["Name"], objects["Type"]))
    assert types.get(user_table) == 1, f"{name}: {user_table} not a local table in MSysObjects"
    assert "MSysQueries" in types


def _assert_nothing_written(folder: Path, keep: set[str]) -> None:
    left = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.name not in keep)
    assert not left, f"output left behind after a failed conversion: {left}"


@pytest.mark.parametrize("name", OFFICE)
@pytest.mark.parametrize("wrong", [None, "WrongPassword"])
def test_missing_or_wrong_password_is_one_line_and_no_output(pyforge: Path, testdata: Path, tmp_path: Path,
                                                            name: str, wrong: str | None) -> None:
    # A copy in an empty folder, converted without OUTPUT: the default output (a file or folder
    # beside the input) must not appear either.
    src = tmp_path / name
    shutil.copyfile(db(testdata, name), src)
    pw = [] if wrong is None else ["--password", wrong]
    expect = "give it with --password" if wrong is None else "does not open this encrypted database"

    cases = [
        [src],                                            # default output beside the input
        [src, tmp_path / "out.parquet"],                  # an output file
        [src, tmp_path / "outdir", "--include-system"],   # an output folder (many tables)
        [src, "--output-dir", tmp_path / "newdir"],       # a folder to create
        [src, tmp_path / "out.csv", "--format", "csv"],
    ]
    for args in cases:
        r = H.run_cli(pyforge, "convert", *args, *pw)
        msg = H.assert_clean_error(r, name)
        assert expect in msg, r.describe()
        _assert_nothing_written(tmp_path, {name})

    # info and validate fail the same way
    for cmd in ("info", "validate"):
        r = H.run_cli(pyforge, cmd, src, *pw)
        assert expect in H.assert_clean_error(r, name), r.describe()


def test_a_wrong_password_for_a_sibling_file_is_refused(pyforge: Path, testdata: Path, tmp_path: Path) -> None:
    """Each file's own salt and verifier decide: the password of another file does not open it."""
    for name, other in [("db2013-enc.accdb", "Test123"), ("db2007-enc.accdb", "1234"),
                        ("db-nonstandard.accdb", "Password")]:
        r = H.run_cli(pyforge, "convert", db(testdata, name), tmp_path / "o.parquet", "--password", other)
        assert "does not open" in H.assert_clean_error(r, name), r.describe()
        assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("name", ["db97-enc.mdb", "db-enc.mdb"])
def test_rc4_page_encoding_ignores_a_password_given_anyway(pyforge: Path, testdata: Path, tmp_path: Path,
                                                           name: str) -> None:
    out = tmp_path / "o.parquet"
    r = H.run_cli(pyforge, "convert", db(testdata, name), out, "--password", "Test123")
    assert r.returncode == 0, r.describe()
    assert pq.read_table(out).to_pydict() == JET_TABLE1


def test_many_inputs_that_all_fail_leave_no_output_folder(pyforge: Path, testdata: Path, tmp_path: Path) -> None:
    """A glob of the Office-encrypted files without a password: each fails on its own line, the
    run exits 1, and the output folder made for the run is removed again (it would be empty)."""
    for name in OFFICE:
        shutil.copyfile(db(testdata, name), tmp_path / name)
    for out in (["--output-dir", tmp_path / "made" / "deeper"], [tmp_path / "made"]):
        r = H.run_cli(pyforge, "convert", tmp_path / "*.accdb", *out)
        H.assert_no_panic(r)
        assert r.returncode == 1, r.describe()
        failed = [line for line in r.stderr.splitlines() if line.startswith("FAILED ")]
        assert len(failed) == len(OFFICE) and all("give it with --password" in line for line in failed), r.describe()
        for name in OFFICE:
            assert any(name in line for line in failed), f"{name} not named\n{r.describe()}"
        _assert_nothing_written(tmp_path, set(OFFICE))
