"""pyforge_core's Python API on the sample files of every format.

Values are checked against independent readers where one is at hand in the venv (pyarrow's own
CSV and Parquet readers, mdbtools for Access) and against the command's Parquet output for the
rest (the C stream hand-off and the Parquet writer are separate paths out of the converter).
"""
from __future__ import annotations

import decimal
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

import pyforge_core
from pyforge_core import PyForgeCore
from conftest import mdb_export_rows, run_console, run_module

EVERY_SAMPLE = [
    ("sales.csv", None),
    ("sensors.tsv", None),
    ("legacy_cp1252.csv", None),
    ("library.xml", None),
    ("events.jsonl", None),
    ("sales.parquet", None),
    ("customers_vfp.dbf", None),
    ("inventory_dbase3.dbf", None),
    ("sales.xlsx", "Orders"),
    ("stations.ods", None),
    ("northwind_mini.mdb", "Orders"),
    ("report.pdf", None),
]


def test_version_and_formats():
    assert pyforge_core.__version__.count(".") == 2
    f = pyforge_core.formats()
    names = {i["name"] for i in f["inputs"]}
    assert {"csv", "excel", "access", "dbf", "xml", "json", "pdf", "parquet"} <= names, names
    assert "parquet" in f["outputs"]


@pytest.mark.parametrize("name,table", EVERY_SAMPLE)
def test_read_table_matches_converted_parquet(samples, tmp_path, name, table):
    """read_table (Arrow C stream) gives exactly what convert writes to Parquet."""
    got = pyforge_core.read_table(samples / name, table)
    assert isinstance(got, pa.Table) and got.num_rows > 0
    out = tmp_path / "out"
    result = pyforge_core.convert(samples / name, out, format="parquet", tables=[table] if table else None)
    assert result["ok"] == 1 and result["failed"] == 0
    written = [t for t in result["tables"] if table is None or t["name"] == table]
    assert len(written) == 1, result
    expected = pq.read_table(written[0]["output"])
    assert got.schema.equals(expected.schema, check_metadata=False), (got.schema, expected.schema)
    assert got.equals(expected), name
    assert written[0]["rows"] == got.num_rows


def test_csv_values_match_pyarrow_csv(samples):
    got = pyforge_core.read_table(samples / "sales.csv")
    ref = pacsv.read_csv(samples / "sales.csv")
    assert got.num_rows == ref.num_rows > 0
    assert got.column_names == ref.column_names
    for col in ("order_id", "quantity", "unit_price", "customer", "city", "product"):
        assert got.column(col).to_pylist() == ref.column(col).to_pylist(), col
    # Typed dates, not strings.
    assert got.schema.field("order_date").type == pa.date32()
    assert got.column("order_date").to_pylist() == ref.column("order_date").to_pylist()


def test_parquet_input_matches_pyarrow(samples):
    got = pyforge_core.read_table(samples / "sales.parquet")
    ref = pq.read_table(samples / "sales.parquet")
    assert got.num_rows == ref.num_rows
    for col in ref.column_names:
        assert got.column(col).to_pylist() == ref.column(col).to_pylist(), col


def test_access_matches_mdbtools(samples):
    mdb = samples / "northwind_mini.mdb"
    info = pyforge_core.info(mdb)
    assert info["format"] == "access"
    tables = {t["name"]: t for t in info["tables"]}
    assert set(tables) >= {"Customers", "Products", "Orders"}
    orders = pyforge_core.read_table(mdb, "Orders")
    assert orders.schema.field("Freight").type == pa.decimal128(19, 4)
    ref = mdb_export_rows(mdb, "Orders")
    assert orders.num_rows == len(ref) == tables["Orders"]["rows"]
    ids = orders.column("OrderID").to_pylist()
    freight = orders.column("Freight").to_pylist()
    cities = orders.column("ShipCity").to_pylist()
    for i, row in enumerate(ref):
        assert ids[i] == int(row[0])
        assert freight[i] == (decimal.Decimal(row[5]) if row[5] else None), (i, row)  # mdb-export: NULL is empty
        assert (cities[i] or "") == row[7]


def test_read_batches_streams(samples):
    reader = pyforge_core.read_batches(samples / "northwind_mini.mdb", "Orders")
    assert isinstance(reader, pa.RecordBatchReader)
    rows = sum(b.num_rows for b in reader)
    assert rows == 400


@pytest.mark.console
def test_info_matches_the_command(samples):
    doc = pyforge_core.info(samples / "sales.xlsx")
    r = run_console("info", "--json", samples / "sales.xlsx")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == doc


def test_convert_result_and_layout(samples, tmp_path):
    mdb = tmp_path / "shop.mdb"
    shutil.copy(samples / "northwind_mini.mdb", mdb)
    r = PyForgeCore().convert(mdb)
    assert r["output"] == str(tmp_path / "shop") and r["format"] == "access"
    assert isinstance(r["seconds"], float) and r["seconds"] > 0
    names = sorted(t["name"] for t in r["tables"])
    assert names == sorted(t["name"] for t in pyforge_core.info(mdb)["tables"])
    manifest = json.loads((tmp_path / "shop" / "_manifest.json").read_text())
    assert manifest  # the same layout as the command: a folder with a manifest
    for t in r["tables"]:
        assert pq.read_metadata(t["output"]).num_rows == t["rows"]
    # Keyword options are the command's long options.
    out = tmp_path / "orders.csv"
    r = pyforge_core.convert(mdb, out, format="csv", tables=["Orders"])
    assert [t["name"] for t in r["tables"]] == ["Orders"] and r["tables"][0]["output"] == str(out)
    assert len(out.read_text().splitlines()) == 401  # header + 400 rows
    # output_dir names outputs after the input inside the folder, as for many inputs.
    into = tmp_path / "into"
    assert pyforge_core.convert(mdb, output_dir=into)["output"] == str(into / "shop")
    assert pyforge_core.convert(samples / "sales.csv", output_dir=into)["output"] == str(into / "sales.parquet")


def test_the_result_counts_tables_read_again(tmp_path):
    """A value past the type sample widens its column: the table is read again, and said so."""
    late = tmp_path / "late.csv"
    late.write_text("id,n\n" + "".join(f"{i},{i}\n" for i in range(200_000)) + "oops,2.5\n")
    r = pyforge_core.convert(late, tmp_path / "late.parquet")
    assert [t["rereads"] for t in r["tables"]] == [1], r["tables"]
    table = pq.read_table(tmp_path / "late.parquet")
    assert table.num_rows == 200_001 and table.column("id")[200_000].as_py() == "oops"
    plain = tmp_path / "plain.csv"
    plain.write_text("a\n1\n2\n")
    assert pyforge_core.convert(plain)["tables"][0]["rereads"] == 0


def test_errors_are_typed(samples, tmp_path):
    with pytest.raises(pyforge_core.InputNotFoundError, match="missing.csv"):
        pyforge_core.convert(tmp_path / "missing.csv")
    with pytest.raises(pyforge_core.UsageError, match="no_such_option") as e:
        pyforge_core.convert(samples / "sales.csv", tmp_path / "x.parquet", no_such_option=True)
    assert "--" not in str(e.value) and "Usage:" not in str(e.value), e.value
    # Values of the wrong kind and options of another call are refused by name, not guessed at.
    with pytest.raises(pyforge_core.UsageError, match="expected usize"):
        pyforge_core.convert(samples / "sales.csv", tmp_path / "x.parquet", skip_rows="many")
    with pytest.raises(pyforge_core.UsageError, match='unknown option "force"'):
        pyforge_core.info(samples / "sales.csv", force=True)
    with pytest.raises(pyforge_core.UsageError, match="delimiter=... must be a single ASCII character"):
        pyforge_core.read_table(samples / "sales.csv", delimiter=";;")
    assert not (tmp_path / "x.parquet").exists()
    target = tmp_path / "sales.parquet"
    pyforge_core.convert(samples / "sales.csv", target)
    with pytest.raises(pyforge_core.OutputExistsError, match=r"force=True") as e:
        pyforge_core.convert(samples / "sales.csv", target)
    assert "--force" not in str(e.value)
    assert pyforge_core.convert(samples / "sales.csv", target, force=True)["rows"] > 0
    bad = tmp_path / "broken.mdb"
    bad.write_bytes(b"\x00\x01\x00\x00Standard Jet DB\x00" + b"\xff" * 3000)
    with pytest.raises(pyforge_core.PyForgeError, match="broken.mdb"):
        pyforge_core.read_table(bad)
    with pytest.raises(pyforge_core.UsageError, match="Orders"):
        pyforge_core.read_table(samples / "northwind_mini.mdb")  # several tables: which one?
    with pytest.raises(pyforge_core.TableNotFoundError, match="Nope"):
        pyforge_core.read_table(samples / "northwind_mini.mdb", "Nope")
    # Every error class is a PyForgeError.
    for cls in (pyforge_core.UsageError, pyforge_core.InvalidInputError, pyforge_core.OutputExistsError, pyforge_core.TableNotFoundError):
        assert issubclass(cls, pyforge_core.PyForgeError)


def test_folder_with_a_failure_reports_every_file(samples, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(samples / "sales.csv", src / "a.csv")
    shutil.copy(samples / "sensors.tsv", src / "b.tsv")
    (src / "c.xlsx").write_bytes(b"PK\x03\x04 this is not a workbook")
    with pytest.raises(pyforge_core.ConversionFailed) as e:
        pyforge_core.convert(src, tmp_path / "out")
    result = e.value.result
    status = {Path(f["input"]).name: f["status"] for f in result["files"]}
    assert status == {"a.csv": "ok", "b.tsv": "ok", "c.xlsx": "failed"}, result
    assert result["ok"] == 2 and result["failed"] == 1
    assert "c.xlsx" in str(e.value)


@pytest.mark.console
def test_console_command(samples, tmp_path):
    """`pyforge` is the wheel's binary (run_console checks that), of this very version; and
    `python -m pyforge_core` runs it, arguments and exit code passed through."""
    r = run_console("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"pyforge {pyforge_core.__version__}", r.stdout
    r = run_console("convert", samples / "events.jsonl", tmp_path / "e.parquet")
    assert r.returncode == 0, r.stderr
    assert pq.read_table(tmp_path / "e.parquet").num_rows == pyforge_core.read_table(samples / "events.jsonl").num_rows
    r = run_console("convert", tmp_path / "missing.csv")
    assert r.returncode == 1 and "missing.csv" in r.stderr and "Traceback" not in r.stderr
    r = run_console("convert", "--no-such-flag", "x.csv")
    assert r.returncode == 2
    m = run_module("--version")
    assert m.returncode == 0 and m.stdout.strip() == f"pyforge {pyforge_core.__version__}", (m.stdout, m.stderr)
    m = run_module("convert", tmp_path / "missing.csv")
    assert m.returncode == 1 and "missing.csv" in m.stderr and "Traceback" not in m.stderr
    assert run_module("convert", "--no-such-flag", "x.csv").returncode == 2


def test_errors_speak_python(samples, tmp_path):
    """Messages written for the command name keyword arguments when they reach Python."""
    with pytest.raises(pyforge_core.UsageError) as e:
        pyforge_core.convert(samples / "sales.csv", tmp_path / "p", partition_by=["nope"])
    assert "partition_by=..." in str(e.value) and "--" not in str(e.value), e.value
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b\n1,2\n3,4,5\n")
    with pytest.raises(pyforge_core.InvalidInputError) as e:
        pyforge_core.read_table(ragged)
    assert "allow_ragged=True" in str(e.value) and "--" not in str(e.value), e.value
    assert pyforge_core.read_table(ragged, allow_ragged=True).num_rows == 2
    # Per-file errors of a folder run too.
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(samples / "sales.csv", folder / "a.csv")
    pyforge_core.convert(folder, tmp_path / "out")
    with pytest.raises(pyforge_core.ConversionFailed) as e:
        pyforge_core.convert(folder, tmp_path / "out")
    errors = [f["error"] for f in e.value.result["files"]]
    assert errors and all("force=True" in m and "--force" not in m for m in errors), errors


@pytest.mark.console
def test_validate_matches_the_command(samples, tmp_path):
    doc = PyForgeCore().validate(samples / "northwind_mini.mdb")
    info = pyforge_core.info(samples / "northwind_mini.mdb")
    assert doc["format"] == "access" and doc["tables"] == len(info["tables"])
    assert doc["rows"] == sum(t["rows"] for t in info["tables"])
    r = run_console("validate", samples / "northwind_mini.mdb")
    assert r.returncode == 0 and f"{doc['rows']} rows" in r.stdout, r.stdout
    bad = tmp_path / "broken.mdb"
    bad.write_bytes(b"\x00\x01\x00\x00Standard Jet DB\x00" + b"\xff" * 3000)
    with pytest.raises(pyforge_core.PyForgeError, match="broken.mdb"):
        pyforge_core.validate(bad)


@pytest.mark.console
def test_output_names_never_collide(samples, tmp_path):
    """One rule (Rust naming.rs) for the command, the Python API and Spark: inputs whose names
    would meet carry their extension; inner dots are kept."""
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(samples / "sales.csv", src / "sales.csv")
    shutil.copy(samples / "sales.parquet", src / "sales.parquet")
    shutil.copy(samples / "sales.csv", src / "sales.2023.csv")
    shutil.copy(samples / "sales.csv", src / "sales.2024.csv")
    shutil.copy(samples / "events.jsonl", src / "events.jsonl")
    expected = {"sales.csv": "sales_csv.parquet", "sales.parquet": "sales_parquet.parquet", "sales.2023.csv": "sales.2023.parquet",
                "sales.2024.csv": "sales.2024.parquet", "events.jsonl": "events.parquet"}
    paths = sorted(src.iterdir())
    assert pyforge_core.output_stems(paths, tmp_path / "x") == [expected[p.name][: -len(".parquet")] for p in paths]
    r = pyforge_core.convert(src, tmp_path / "py")
    got = {Path(f["input"]).name: Path(f["output"]).name for f in r["files"]}
    assert got == expected and r["ok"] == 5
    c = run_console("convert", src, tmp_path / "cli")
    assert c.returncode == 0, c.stderr
    assert sorted(p.name for p in (tmp_path / "cli").iterdir()) == sorted(expected.values())
    for name, out in expected.items():
        assert pq.read_table(tmp_path / "py" / out).equals(pq.read_table(tmp_path / "cli" / out)), name
    assert pq.read_table(tmp_path / "py" / "sales_parquet.parquet").equals(pyforge_core.read_table(src / "sales.parquet"))
    # A file converted alone keeps its plain name.
    assert Path(pyforge_core.convert(src / "sales.csv", output_dir=tmp_path / "one")["output"]).name == "sales.parquet"


def test_recover_repairs_reach_the_result(tmp_path):
    """Without recover a repeated JSON key is an error; with it, each repair is counted in the
    result (and in info), never made silently."""
    src = tmp_path / "dup.json"
    src.write_text('[{"a": 1, "a": 2}, {"a": 3, "b": {"x": 1, "x": 2}}]')
    with pytest.raises(pyforge_core.InvalidInputError, match="duplicate key"):
        PyForgeCore().convert(src, tmp_path / "strict.parquet")
    r = PyForgeCore().convert(src, tmp_path / "out.parquet", recover=True)
    assert r["rows"] == 2 and r["tables"][0]["details"]["repairs"] == 2
    assert pq.read_table(tmp_path / "out.parquet").column("a").to_pylist() == [1, 3]


def _csv_of(path: Path, rows: int) -> Path:
    path.write_text("id,name,amount\n" + "".join(f"{i},name {i % 13},{i * 0.5}\n" for i in range(rows)))
    return path


def test_progress_callback_reports_bytes_rows_and_files(tmp_path):
    """`progress=` hears how a conversion goes: bytes of the input, rows, and files of a batch."""
    src = _csv_of(tmp_path / "big.csv", 400_000)
    updates: list[dict] = []
    result = pyforge_core.convert(src, tmp_path / "big.parquet", progress=updates.append)
    assert updates, "no progress update"
    last = updates[-1]
    assert last["done"] is True and last["status"] == "ok", last
    assert last["rows"] == result["rows"] == 400_000
    assert last["bytes_read"] == last["bytes_total"] == src.stat().st_size
    assert (last["files_done"], last["files_total"]) == (1, 1)
    for u in updates[:-1]:
        assert u["done"] is False and u["table"] == "big" and 0 < u["rows"] <= 400_000, u
        assert 0 <= u["bytes_read"] <= u["bytes_total"], u
    rows = [u["rows"] for u in updates[:-1]]
    assert rows == sorted(rows), rows

    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(3):
        _csv_of(folder / f"part{n}.csv", 10 + n)
    batch: list[dict] = []
    pyforge_core.convert(folder, output_dir=tmp_path / "out", progress=batch.append)
    done = [u for u in batch if u["done"]]
    assert sorted(u["files_done"] for u in done) == [1, 2, 3], batch
    assert {u["files_total"] for u in batch} == {3}
    assert sorted((Path(u["input"]).name, u["rows"]) for u in done) == [("part0.csv", 10), ("part1.csv", 11), ("part2.csv", 12)]
    assert {Path(u["input"]).name for u in batch if not u["done"]} == {"part0.csv", "part1.csv", "part2.csv"}


def test_progress_callback_errors_reach_the_caller(tmp_path):
    src = _csv_of(tmp_path / "s.csv", 100)
    calls = []

    def fails(update):
        calls.append(update)
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        pyforge_core.convert(src, tmp_path / "s.parquet", progress=fails)
    assert len(calls) == 1, "calls stop after the first exception"
    assert pq.read_table(tmp_path / "s.parquet").num_rows == 100, "the conversion itself completed"
    with pytest.raises(TypeError, match="callable"):
        pyforge_core.convert(src, tmp_path / "t.parquet", progress="yes")
