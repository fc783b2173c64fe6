"""CSV type inference and null semantics, as the CLI documents them (convert --help, README):

  int64, double, decimal128 for >15 significant digits, bool (true/false), ISO date -> date32,
  ISO timestamps -> timestamp[us] (timestamp[us, tz=UTC] with an offset); integers with leading
  zeros stay strings; an unquoted empty field is null, a quoted "" in a string column is "";
  NA, N/A, NULL, null, None, nan, NaN are null only in columns that are otherwise typed.

Each case is checked in the Parquet output and against `info --json` (both must agree).
"""
from __future__ import annotations

import datetime as dt
import decimal
import math

import pytest

import pyforge_helpers as H


def convert(pyforge, tmp_path, body: bytes, name="t.csv"):
    src = tmp_path / name
    src.write_bytes(body)
    out = tmp_path / (name + ".parquet")
    r = H.run_cli(pyforge, "convert", src, out, "-q")
    assert r.returncode == 0, r.describe()
    table = H.read_parquet(out)
    info = H.info_json(pyforge, src)
    info_types = [c["type"] for c in info["tables"][0]["columns"]]
    assert info_types == [str(t) for t in table.schema.types], "info --json types != Parquet schema"
    assert info["tables"][0]["rows"] == table.num_rows
    return table


UTC = dt.timezone.utc

# column name -> (cells, expected type, expected values)
CASES = {
    "int": (["1", "-5", "+7", ""], "int64", [1, -5, 7, None]),
    "double": (["1.5", "-0.25", "1e5", "2.5E-3"], "double", [1.5, -0.25, 100000.0, 0.0025]),
    # 22 significant digits: no double prints back as this number, so a decimal it is.
    "decimal": (["1234567890.123456789012", "0.5", "", "-1"], "decimal128",
                [decimal.Decimal("1234567890.123456789012"), decimal.Decimal("0.5"), None, decimal.Decimal(-1)]),
    "bigint": (["12345678901234567890", "1", "2", "3"], "decimal128",
               [decimal.Decimal("12345678901234567890"), 1, 2, 3]),
    "bool": (["true", "false", "", "true"], "bool", [True, False, None, True]),
    "date": (["2020-01-31", "2024-02-29", "", "1999-12-31"], "date32[day]",
             [dt.date(2020, 1, 31), dt.date(2024, 2, 29), None, dt.date(1999, 12, 31)]),
    "ts": (["2020-01-31 10:11:12", "2021-12-01T00:00:00.123456", "", "1970-01-01 00:00:00"], "timestamp[us]",
           [dt.datetime(2020, 1, 31, 10, 11, 12), dt.datetime(2021, 12, 1, 0, 0, 0, 123456), None,
            dt.datetime(1970, 1, 1)]),
    "tsz": (["2020-01-31T10:11:12Z", "2021-12-01T00:00:00+02:00", "", "2000-01-01T00:00:00-05:00"],
            "timestamp[us, tz=UTC]",
            [dt.datetime(2020, 1, 31, 10, 11, 12, tzinfo=UTC), dt.datetime(2021, 11, 30, 22, tzinfo=UTC), None,
             dt.datetime(2000, 1, 1, 5, tzinfo=UTC)]),
    "leading_zeros": (["007", "010", "1", "2"], "string", ["007", "010", "1", "2"]),
    "string_nulls": (["x", "NA", "null", '""'], "string", ["x", "NA", "null", ""]),
}


@pytest.fixture(scope="module")
def typed(pyforge, tmp_path_factory):
    names = list(CASES)
    rows = [",".join(CASES[n][0][i] for n in names) for i in range(4)]
    body = (",".join(names) + "\n" + "\n".join(rows) + "\n").encode()
    return convert(pyforge, tmp_path_factory.mktemp("types"), body)


@pytest.mark.parametrize("column", list(CASES))
def test_inferred_type_and_values(typed, column):
    _cells, want_type, want_values = CASES[column]
    got_type = str(typed.schema.field(column).type)
    if want_type == "decimal128":
        assert got_type.startswith("decimal128("), f"{column}: {got_type}"
    else:
        assert got_type == want_type, f"{column}: type {got_type} != {want_type}"
    got = typed.column(column).to_pylist()
    assert got == want_values, f"{column}: {got} != {want_values}"


@pytest.mark.parametrize(
    "cells",
    [
        ["3.6140969876899156e-08", "4.156211535843403e-06"],  # 17 significant digits with exponent
        ["1.2345678901234567e+20", "1.5"],
        ["1.0000000000000002", "2.5"],  # 17 significant digits, no exponent
    ],
    ids=["sci-17-digits", "sci-17-digits-positive-exp", "plain-17-digits"],
)
def test_long_floats_are_numeric(pyforge, tmp_path, cells):
    """A number is never a string because it has many digits: double or decimal128 both preserve
    it (a decimal128 needs scale >= the digits after the point once the exponent is applied)."""
    body = ("x\n" + "\n".join(cells) + "\n").encode()
    t = convert(pyforge, tmp_path, body)
    ty = str(t.schema.types[0])
    assert ty == "double" or ty.startswith("decimal128("), f"{cells} read as {ty}"
    got = [float(v) for v in t.column(0).to_pylist()]
    assert got == [float(c) for c in cells]


NULL_TOKENS = ["NA", "N/A", "NULL", "null", "None", "nan", "NaN"]


@pytest.mark.parametrize("token", NULL_TOKENS)
@pytest.mark.parametrize("kind,other", [("int", "7"), ("double", "1.5"), ("date", "2020-01-01")])
def test_null_tokens_in_typed_columns(pyforge, tmp_path, token, kind, other):
    body = f"id,v\n1,{other}\n2,{token}\n3,{other}\n".encode()
    t = convert(pyforge, tmp_path, body)
    want = {"int": "int64", "double": "double", "date": "date32[day]"}[kind]
    assert str(t.schema.field("v").type) == want, f"{token!r} in a {kind} column made it {t.schema.field('v').type}"
    v = t.column("v").to_pylist()[1]
    if kind == "double" and token.lower() == "nan":
        # Documented: in a double column NaN is the float NaN (a value, not a missing one).
        assert isinstance(v, float) and math.isnan(v), f"{token!r} in a double column read as {v!r}"
        return
    assert v is None, f"{token!r} in a {kind} column read as {v!r}, not null"


@pytest.mark.parametrize("token", NULL_TOKENS)
def test_null_tokens_stay_text_in_string_columns(pyforge, tmp_path, token):
    body = f"id,v\n1,apple\n2,{token}\n3,\n".encode()
    t = convert(pyforge, tmp_path, body)
    assert str(t.schema.field("v").type) == "string"
    assert t.column("v").to_pylist() == ["apple", token, None]


def test_quoted_empty_is_empty_string_unquoted_is_null(pyforge, tmp_path):
    t = convert(pyforge, tmp_path, b'id,s\n1,""\n2,\n3,"x"\n')
    assert t.column("s").to_pylist() == ["", None, "x"]


def test_all_strings_keeps_text_as_written(pyforge, tmp_path):
    src = tmp_path / "t.csv"
    src.write_bytes(b"i,f,b,d\n007,1.50,true,2020-01-31\n,NaN,NA,\"\"\n")
    out = tmp_path / "t.parquet"
    r = H.run_cli(pyforge, "convert", src, out, "--all-strings", "-q")
    assert r.returncode == 0, r.describe()
    t = H.read_parquet(out)
    assert [str(x) for x in t.schema.types] == ["string"] * 4
    assert t.to_pylist() == [
        {"i": "007", "f": "1.50", "b": "true", "d": "2020-01-31"},
        {"i": None, "f": "NaN", "b": "NA", "d": ""},
    ]

