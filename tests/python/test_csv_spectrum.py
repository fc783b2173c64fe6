"""csv-spectrum (https://github.com/max-mapper/csv-spectrum): every CSV must read as its JSON.

Two modes per file:
  * --all-strings -f jsonl: the JSON Lines output must equal csv-spectrum's expected JSON exactly
    (a list of objects with string values);
  * typed (default) -> Parquet: every typed value rendered back to text must equal the expected
    string (ints as digits, floats by repr, bools lower-case, dates ISO).

Null normalisation (the only one applied): PyForge reads an *unquoted* empty field as null, which
the expected JSON writes as "". To tell the two empties apart we tokenise the source CSV ourselves
(RFC 4180, see `tokenize`), so a null is accepted for "" only where the source field was an
unquoted empty field. In typed mode a *quoted* empty field ("") may also be null, but only in a
column that is not a string column (an int column has no empty-string value); in a string column
it must stay "".
"""
from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from pathlib import Path

import pytest

import pyforge_helpers as H

SPECTRUM = H.TESTDATA / "csv" / "csv-spectrum"
CSV_DIR = SPECTRUM / "csvs"
JSON_DIR = SPECTRUM / "json"

# Upstream data errors in csv-spectrum's expected JSON, corrected here. Each correction is asserted
# to still be needed (the expected file still holds the old value), so none outlives its cause.
#   location_coordinates: the CSV holds the phone number 2095257564, the JSON 1234567890 (the
#   JSON was anonymised, the CSV was not); the JSON is also a single object rather than a list.
EXPECTED_CORRECTIONS = {
    "location_coordinates": [(0, "Contact Phone Number", "1234567890", "2095257564")],
}


def _names() -> list:
    names = sorted(p.stem for p in CSV_DIR.glob("*.csv")) if CSV_DIR.is_dir() else []
    # An empty list would make pytest skip silently; a sentinel makes the missing corpus visible.
    return names or [pytest.param(None, id="csv-spectrum-missing")]


def tokenize(text: str, delimiter: str = ",") -> list[list[tuple[str, bool]]]:
    """RFC 4180 records as lists of (value, was_quoted). CRLF, LF and quoted newlines handled."""
    records: list[list[tuple[str, bool]]] = []
    rec: list[tuple[str, bool]] = []
    buf: list[str] = []
    quoted = in_quotes = False
    i, n = 0, len(text)
    at_field_start = True
    while i < n:
        c = text[i]
        if in_quotes:
            if c == '"':
                if i + 1 < n and text[i + 1] == '"':
                    buf.append('"')
                    i += 1
                else:
                    in_quotes = False
            else:
                buf.append(c)
        elif c == '"' and at_field_start:
            in_quotes = quoted = True
            at_field_start = False
        elif c == delimiter:
            rec.append(("".join(buf), quoted))
            buf, quoted, at_field_start = [], False, True
        elif c in "\r\n":
            if c == "\r" and i + 1 < n and text[i + 1] == "\n":
                i += 1
            rec.append(("".join(buf), quoted))
            records.append(rec)
            rec, buf, quoted, at_field_start = [], [], False, True
        else:
            buf.append(c)
            at_field_start = False
        i += 1
    if buf or quoted or rec:
        rec.append(("".join(buf), quoted))
        records.append(rec)
    return records


def load_case(name: str) -> tuple[Path, list[dict], list[list[tuple[str, bool]]]]:
    H.require(name is not None and CSV_DIR.is_dir(), f"csv-spectrum corpus missing: {CSV_DIR}")
    csv_path = CSV_DIR / f"{name}.csv"
    json_path = JSON_DIR / f"{name}.json"
    assert json_path.is_file(), f"no expected JSON for {csv_path.name}: {json_path}"
    expected = json.loads(json_path.read_text(encoding="utf-8"))
    if isinstance(expected, dict):  # location_coordinates.json is one object, not a list
        expected = [expected]
    for row, key, old, new in EXPECTED_CORRECTIONS.get(name, []):
        assert expected[row][key] == old, f"correction for {name} no longer needed: drop it"
        expected[row][key] = new
    records = tokenize(csv_path.read_bytes().decode("utf-8"))
    assert len(records) == len(expected) + 1, "tokenizer disagrees with the expected JSON's row count"
    return csv_path, expected, records[1:]


@pytest.mark.parametrize("name", _names())
def test_all_strings_jsonl(pyforge, tmp_path, name):
    csv_path, expected, records = load_case(name)
    out = tmp_path / f"{name}.jsonl"
    r = H.run_cli(pyforge, "convert", csv_path, out, "-f", "jsonl", "--all-strings", "-q")
    H.assert_no_panic(r)
    assert r.returncode == 0, r.describe()
    got = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(got) == len(expected), f"row count {len(got)} != expected {len(expected)}"
    for i, (g, e) in enumerate(zip(got, expected)):
        assert list(g) == list(e), f"row {i}: column names {list(g)} != expected {list(e)}"
        for j, key in enumerate(e):
            value, was_quoted = records[i][j]
            gv = g[key]
            if gv is None and e[key] == "" and value == "" and not was_quoted:
                continue  # unquoted empty field -> null (documented PyForge semantics)
            assert gv == e[key], (
                f"row {i} column {key!r}: pyforge {gv!r} != expected {e[key]!r} "
                f"(source field {'quoted' if was_quoted else 'unquoted'} {value!r})"
            )


def render(v) -> str | None:
    """A typed value back to text the way a CSV writer would: no information added or dropped."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return H.canon_float(v) if not math.isnan(v) else "NaN"
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


@pytest.mark.parametrize("name", _names())
def test_typed_parquet(pyforge, tmp_path, name):
    import pyarrow as pa
    import pyarrow.parquet as pq

    csv_path, expected, records = load_case(name)
    out = tmp_path / f"{name}.parquet"
    r = H.run_cli(pyforge, "convert", csv_path, out, "-q")
    H.assert_no_panic(r)
    assert r.returncode == 0, r.describe()
    table = H.read_parquet(out)
    assert table.num_rows == len(expected), f"row count {table.num_rows} != expected {len(expected)}"
    assert table.column_names == list(expected[0]), f"{table.column_names} != {list(expected[0])}"
    rows = table.to_pylist()
    for j, key in enumerate(table.column_names):
        is_string = pa.types.is_string(table.schema.field(j).type)
        for i, e in enumerate(expected):
            value, was_quoted = records[i][j]
            got = render(rows[i][key])
            if got is None and e[key] == "" and value == "" and (not was_quoted or not is_string):
                continue
            assert got == e[key], (
                f"row {i} column {key!r} ({table.schema.field(j).type}): pyforge {rows[i][key]!r} "
                f"renders as {got!r} != expected {e[key]!r}"
            )


def test_tokenizer_tells_quoted_from_unquoted_empty():
    assert tokenize('a,b,c\r\n1,"",\r\n"x\r\ny",2,""') == [
        [("a", False), ("b", False), ("c", False)],
        [("1", False), ("", True), ("", False)],
        [("x\r\ny", True), ("2", False), ("", True)],
    ]
