"""Differential test of PyForge's CSV reader against pyarrow.csv over DuckDB's CSV test corpus.

For every .csv/.tsv file under <corpus>/csv/duckdb (recursively):

* pyarrow.csv.read_csv(path) with default options reads it  ->  PyForge must convert it to Parquet
  (exit 0) with the same number of rows and columns and the same values column by column
  (see pyforge_helpers.compare_column for the rules: direct comparison where the types agree,
  canonical text forms where they do not, null == "").
  pyarrow has no dialect detection: it always assumes ',' UTF-8 and a header row. Where the default
  read disagrees with PyForge, the file is read again by pyarrow with the dialect PyForge sniffed
  (delimiter, header yes/no, encoding, from `pyforge info --json`); agreement then counts as
  agreement "with PyForge's dialect" and is reported separately in the summary. (The sniffed
  dialects of all such files were reviewed by hand when this test was written: no header in files
  of data rows only, ';' '|' tab where those are the real delimiters, legacy code pages.)
  Where the values agree, one stricter check follows: in columns both readers type as string,
  PyForge's nulls must be exactly the unquoted empty fields (pyarrow re-read with
  null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=False marks exactly
  those), i.e. a quoted "" stays the empty string and "NA" & co. stay text in string columns.
* pyarrow refuses it  ->  PyForge either converts it (and the output is a readable Parquet file) or
  exits 1 with one `pyforge: error:` line naming the file. Where PyForge converts and pyarrow can
  read the file when given PyForge's sniffed dialect, the values must agree as above.

Always: no panic, exit code 0 or 1, done within 60 s, no output (nor temp file) left on failure.

Files where PyForge and pyarrow differ for a genuine, documented reason are listed in
KNOWN_DIFFERENCES with that reason; they xfail only if the difference is of the recorded kind
(and XPASS-fail when it disappears). Everything else that disagrees fails.

The conversions run in a thread pool once for the whole module (the parametrized tests then
check one file each) so the ~1000 files take well under a minute.
"""
from __future__ import annotations

import codecs
import io
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import pyforge_helpers as H

ROOT = H.TESTDATA / "csv" / "duckdb"
WORKERS = max(2, min(8, (os.cpu_count() or 2) * 2))


def _files() -> list[str]:
    out = []
    if ROOT.is_dir():
        for d, _dirs, names in os.walk(ROOT):  # does not follow symlinked folders
            for n in names:
                if n.lower().endswith((".csv", ".tsv")):
                    out.append(str((Path(d) / n).relative_to(ROOT)))
    return sorted(out)


FILES = _files()

# ------------------------------------------------------------------------------------------------
# Known, genuine differences. kind:
#   "values"  PyForge converts; values differ from pyarrow (default and PyForge's dialect)
#   "nulls"   values agree, but in a string column PyForge's nulls are not the unquoted empty fields
#   "exit1"   pyarrow reads the file; PyForge refuses it with a clean error
#   "dialect" PyForge converts; pyarrow's default read differs and pyarrow refuses to read the file
#             with the dialect PyForge sniffed, so no comparison is possible
# ------------------------------------------------------------------------------------------------
_NULL_TOKEN_STRING_COLUMN = (
    "column holding only null tokens ('null', 'NULL'): pyarrow makes it an all-null column; PyForge "
    "keeps the text because null tokens are null only in columns that are otherwise typed"
)
_NONE_TOKEN = (
    "'none' in a double column: PyForge treats None/none as a null token, pyarrow's null list has no "
    "'none' and so keeps the whole column as strings"
)
_COMMENTS = (
    "file with '#' comment lines; neither reader supports comments. pyarrow reads every line as one "
    "','-less column; PyForge sniffs ';' (the data's delimiter) and reports the comment line as a "
    "ragged record (exit 1, line number given)"
)
_FUZZ_RAGGED = (
    "fuzzer-made garbage: pyarrow finds no ',' pattern problem and reads one column; PyForge sniffs "
    "another delimiter under which the file is ragged and refuses it with a clean error"
)
_OTHER_QUOTE = (
    "fields quoted with ' (or backslash-escaped) rather than \"; PyForge's quote is \" (not sniffed), so "
    "under its sniffed delimiter the file is ragged and it refuses it cleanly; pyarrow's default read "
    "is a one-column misread"
)
_FOOTER = (
    "'|' file with a free-text footer line: ragged under '|', refused with a clean error; pyarrow's "
    "default read is a one-column misread (no ',' in the file)"
)
_MALFORMED_QUOTES = (
    "malformed quoting (quote characters inside quoted fields, unterminated quotes): ragged under the "
    "sniffed delimiter, refused cleanly; pyarrow's default read is a one-column misread"
)
_FUZZ_DIALECT = (
    "fuzzer-made garbage: pyarrow reads it as one column with ','; PyForge sniffs another delimiter "
    "under which pyarrow itself refuses the file (unterminated quote / empty block), so there is "
    "nothing to compare with"
)

KNOWN_DIFFERENCES: dict[str, tuple[str, str]] = {
    "test/test_incompatible_type_with_nullable.csv": ("values", _NULL_TOKEN_STRING_COLUMN),
    "test/test_null_option.csv": ("values", _NULL_TOKEN_STRING_COLUMN),
    "null/multiple_nulls.csv": ("values", _NONE_TOKEN),
    "null/multiple_quoted_nulls.csv": ("values", _NONE_TOKEN),
    **{f"comments/{n}.csv": ("exit1", _COMMENTS) for n in (
        "big", "empty_space", "error", "mid_line", "mid_line_header", "mid_line_invalid",
        "mid_line_null", "mid_line_quote", "midline_empty_space", "only_midline", "simple",
        "simple_mid_line")},
    "afl/23.csv": ("exit1", _COMMENTS),
    **{f: ("exit1", _FUZZ_RAGGED) for f in (
        "afl/3977/case_37.csv", "afl/3977/case_40.csv", "afl/3977/case_41.csv",
        "afl/4793/crashes/case_1.csv", "afl/null_padding/10.csv", "afl/null_padding/11.csv",
        "afl/null_padding/28.csv", "afl/null_padding/29.csv", "afl/null_padding/30.csv",
        "afl/null_padding/34.csv", "afl/null_padding/39.csv", "afl/null_padding/41.csv",
        "afl/null_padding/7.csv", "afl/null_padding/8.csv", "afl/skip/1.csv",
        "fuzzing/0.csv", "fuzzing/1.csv", "fuzzing/2.csv", "fuzzing/20.csv", "fuzzing/4.csv",
        "evil_nullpadding.csv", "evil_nullpadding_2.csv", "error/mid_null.csv")},
    **{f: ("exit1", _OTHER_QUOTE) for f in (
        "auto/tab_single_quote.csv", "auto/tab_single_quote_varchar.csv",
        "validator/quoted_new_value.csv", "no_quote.csv", "unquoted_escape/basic.tsv")},
    **{f: ("exit1", _MALFORMED_QUOTES) for f in (
        "unescaped_quotes/unescaped_quote.csv", "unescaped_quotes/unescaped_quote_new_line.csv",
        "unescaped_quotes/unescaped_quote_new_line_rn.csv")},
    "unionbyname_21248_1.csv": ("exit1", _FOOTER),
    "unionbyname_21248_2.csv": ("exit1", _FOOTER),
    **{f: ("dialect", _FUZZ_DIALECT) for f in (
        "afl/no_parameter/20.csv", "afl/null_padding/24.csv", "afl/null_padding/31.csv")},
}


# ------------------------------------------------------------------------------------------------
# Decoding for pyarrow's re-read with PyForge's encoding
# ------------------------------------------------------------------------------------------------
def _whatwg_fallback(err: UnicodeDecodeError):
    """windows-1252 as browsers and encoding_rs decode it: the 5 bytes Python's cp1252 leaves
    undefined (0x81 0x8D 0x8F 0x90 0x9D) map to the C1 control of the same number."""
    if isinstance(err, UnicodeDecodeError):
        b = err.object[err.start]
        return chr(b), err.start + 1
    raise err


codecs.register_error("pyforge-test-c1", _whatwg_fallback)


def _transcode(path: Path, encoding: str) -> io.BytesIO:
    raw = path.read_bytes()
    errors = "pyforge-test-c1" if codecs.lookup(encoding).name == "cp1252" else "strict"
    text = raw.decode(encoding, errors=errors)
    if text.startswith("\ufeff"):
        text = text[1:]
    return io.BytesIO(text.encode("utf-8"))


# ------------------------------------------------------------------------------------------------
# One file: run both readers and compare (in a worker thread)
# ------------------------------------------------------------------------------------------------
@dataclass
class Outcome:
    rel: str
    pa_error: str | None = None
    run: H.Run | None = None
    timed_out: bool = False
    output_left: bool = False
    temp_left: list[str] = field(default_factory=list)
    diffs: list[str] = field(default_factory=list)  # vs pyarrow default read
    dialect: dict | None = None
    dialect_diffs: list[str] | None = None  # vs pyarrow read with PyForge's dialect (None: not tried)
    dialect_error: str | None = None
    output_error: str | None = None  # PyForge exit 0 but output unreadable
    null_diffs: list[str] = field(default_factory=list)  # string columns: null != unquoted empty
    internal_error: str | None = None

    @property
    def agrees(self) -> bool:
        return self.run is not None and self.run.returncode == 0 and not self.diffs

    @property
    def agrees_with_dialect(self) -> bool:
        return self.run is not None and self.run.returncode == 0 and self.dialect_diffs == []


def _pa_read(src: Path, dialect: dict | None, **convert):
    """pyarrow.csv.read_csv with defaults, or with PyForge's sniffed dialect."""
    import pyarrow.csv as pcsv

    convert_options = pcsv.ConvertOptions(**convert) if convert else None
    if dialect is None:
        return pcsv.read_csv(src, convert_options=convert_options)
    d = dialect
    utf8 = d["encoding"].lower().replace("_", "-") in ("utf-8", "utf8")
    return pcsv.read_csv(
        src if utf8 else _transcode(src, d["encoding"]),
        read_options=pcsv.ReadOptions(autogenerate_column_names=not d["header"]),
        parse_options=pcsv.ParseOptions(delimiter=d["delimiter"], quote_char=d["quote"] or False),
        convert_options=convert_options,
    )


def _null_mask_diffs(src: Path, dialect: dict | None, got) -> list[str]:
    """In columns both readers type as string, PyForge's nulls must be exactly the unquoted empty
    fields: pyarrow marks those (and only those) as null with null_values=[""],
    strings_can_be_null=True, quoted_strings_can_be_null=False."""
    import pyarrow as pa

    ref = _pa_read(src, dialect, null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=False)
    if ref.num_rows != got.num_rows or ref.num_columns != got.num_columns:
        return []  # typing changed the shape (cannot happen for CSV) -- nothing to compare
    names = [f"c{i}" for i in range(ref.num_columns)]  # header bytes may not be UTF-8
    ref, got = ref.rename_columns(names), got.rename_columns(names)
    diffs = []
    for i in range(ref.num_columns):
        rt, gt = ref.schema.types[i], got.schema.types[i]
        if not (pa.types.is_string(rt) and pa.types.is_string(gt)):
            continue
        rn = ref.column(i).is_null().to_pylist()
        gn = got.column(i).is_null().to_pylist()
        bad = [k for k, (a, b) in enumerate(zip(rn, gn)) if a != b]
        if bad:
            k = bad[0]
            diffs.append(
                f"column {i}: {len(bad)} rows where null-ness differs, first row {k}: unquoted-empty "
                f"{rn[k]}, pyforge value {got.column(i)[k].as_py()!r}"
            )
    return diffs


def _compute(binary: Path, rel: str, workdir: Path) -> Outcome:
    import pyarrow.csv as pcsv

    o = Outcome(rel)
    src = ROOT / rel
    try:
        ref = None
        try:
            ref = pcsv.read_csv(src)
        except Exception as e:  # noqa: BLE001 - any refusal counts
            o.pa_error = f"{type(e).__name__}: {str(e)[:200]}"
        outdir = workdir / rel.replace("/", "__").replace("=", "-")
        outdir.mkdir(parents=True)
        out = outdir / "out.parquet"
        try:
            o.run = H.run_cli_raw(binary, "convert", src, out, "-q")
        except H.CliTimeout:
            o.timed_out = True
            return o
        o.output_left = out.exists() and o.run.returncode != 0
        o.temp_left = H.leftovers(outdir)
        if o.run.returncode != 0:
            return o
        try:
            got = H.read_parquet(out)
        except Exception as e:  # noqa: BLE001
            o.output_error = f"{type(e).__name__}: {e}"
            return o
        if ref is not None:
            o.diffs = H.compare_tables(ref, got)
            if not o.diffs:
                o.null_diffs = _null_mask_diffs(src, None, got)
                return o
        # pyarrow refused the file or read it differently: read it again with PyForge's dialect.
        try:
            info = H.run_cli_raw(binary, "info", src, "--json")
        except H.CliTimeout:
            o.timed_out = True
            return o
        if info.returncode != 0:
            o.dialect_error = f"pyforge info failed: {info.stderr.strip()}"
            return o
        o.dialect = d = H.sniffed_dialect(json.loads(info.stdout))
        try:
            ref2 = _pa_read(src, d)
        except Exception as e:  # noqa: BLE001
            o.dialect_error = f"pyarrow with PyForge's dialect {d}: {type(e).__name__}: {str(e)[:200]}"
            return o
        o.dialect_diffs = H.compare_tables(ref2, got)
        if not o.dialect_diffs:
            o.null_diffs = _null_mask_diffs(src, d, got)
    except Exception as e:  # noqa: BLE001 - reported by the test of this file
        o.internal_error = f"{type(e).__name__}: {e}"
    return o


_OUTCOMES: dict[str, Outcome] = {}


@pytest.fixture(scope="module")
def outcomes(request, pyforge, tmp_path_factory):
    """Run every selected file once, in parallel; the tests then look up their own file."""
    selected = [
        item.callspec.params["rel"]
        for item in request.session.items
        if item.module is request.module and hasattr(item, "callspec") and "rel" in item.callspec.params
    ]
    selected = [r for r in selected if r is not None]
    workdir = tmp_path_factory.mktemp("duckdb")
    with ThreadPoolExecutor(WORKERS) as pool:
        for o in pool.map(lambda r: _compute(pyforge, r, workdir), selected):
            _OUTCOMES[o.rel] = o
    yield _OUTCOMES
    _summarise(selected)


def _summarise(selected: list[str]) -> None:
    outs = [_OUTCOMES[r] for r in selected if r in _OUTCOMES]
    reads = [o for o in outs if o.pa_error is None]
    refuses = [o for o in outs if o.pa_error is not None]
    agree = [o for o in reads if _hard_failure(o) is None and _difference(o) is None]
    direct = sum(o.agrees for o in agree)
    known = [o for o in reads if o not in agree and o.rel in KNOWN_DIFFERENCES]
    pf_ok = sum(o.run is not None and o.run.returncode == 0 for o in refuses)
    pf_err = sum(o.run is not None and o.run.returncode == 1 for o in refuses)
    re_read = [o for o in refuses if o.run is not None and o.run.returncode == 0 and o.dialect_diffs is not None]
    re_agree = sum(o.dialect_diffs == [] and not o.null_diffs for o in re_read)
    bad = sum(_hard_failure(o) is not None for o in outs)
    H.SUMMARY_LINES[:] = [
        f"files: {len(outs)} (no panic / exit code / timeout / leftover / message problems in {len(outs) - bad})",
        f"pyarrow reads: {len(reads)}; PyForge agrees: {len(agree)} "
        f"({direct} with pyarrow's defaults, {len(agree) - direct} once pyarrow is given PyForge's sniffed "
        f"dialect); known differences (xfail): {len(known)}; other disagreements: "
        f"{len(reads) - len(agree) - len(known)}",
        f"pyarrow refuses: {len(refuses)}; PyForge clear error: {pf_err}; PyForge converts: {pf_ok}; "
        f"other: {len(refuses) - pf_err - pf_ok}",
        f"  of those PyForge converts, pyarrow reads {len(re_read)} when given PyForge's sniffed dialect; "
        f"values agree in {re_agree}",
    ]


def _hard_failure(o: Outcome) -> str | None:
    """What must never happen, whatever pyarrow thinks of the file."""
    if o.internal_error is not None:
        return f"test harness error: {o.internal_error}"
    if o.timed_out:
        return f"pyforge did not finish within {H.CLI_TIMEOUT} s"
    r = o.run
    if any(s in r.stderr for s in ("panicked", "RUST_BACKTRACE")):
        return f"pyforge panicked\n{r.describe()}"
    if r.returncode not in (0, 1):
        return f"exit code must be 0 or 1\n{r.describe()}"
    if o.output_left:
        return f"output file left behind after a failure\n{r.describe()}"
    if o.temp_left:
        return f"temporary files left behind: {o.temp_left}\n{r.describe()}"
    if r.returncode == 1:
        try:
            H.assert_clean_error(r, Path(o.rel).name)
        except AssertionError as e:
            return str(e)
    elif o.output_error is not None:
        return f"pyforge exit 0 but its output is unreadable: {o.output_error}"
    return None


def _difference(o: Outcome) -> tuple[str, str] | None:
    """(kind, details) of a disagreement with pyarrow, or None. Kinds as in KNOWN_DIFFERENCES."""
    r = o.run
    nulls = ("nulls", "string columns: nulls are not exactly the unquoted empty fields:\n  "
             + "\n  ".join(o.null_diffs))
    if o.pa_error is not None:
        # pyarrow refuses (with its defaults): converting or a clean error are both fine. Where
        # PyForge converts and pyarrow can read the file with PyForge's sniffed dialect, the values
        # must still agree.
        if r.returncode == 0 and o.dialect_diffs:
            return ("values", f"vs pyarrow with PyForge's dialect {o.dialect}:\n  " + "\n  ".join(o.dialect_diffs))
        return nulls if r.returncode == 0 and o.null_diffs else None
    if r.returncode == 1:
        return ("exit1", f"pyarrow reads this file, PyForge refuses it:\n{r.stderr.strip()}")
    if o.agrees or o.agrees_with_dialect:
        return nulls if o.null_diffs else None
    if o.dialect_error is not None:
        return ("dialect", "default read differs:\n  " + "\n  ".join(o.diffs) + f"\nand {o.dialect_error}")
    return (
        "values",
        "vs pyarrow defaults:\n  " + "\n  ".join(o.diffs)
        + (f"\nvs pyarrow with PyForge's dialect {o.dialect}:\n  " + "\n  ".join(o.dialect_diffs or [])
           if o.dialect is not None else ""),
    )


def _params():
    if not FILES:
        return [pytest.param(None, id="duckdb-corpus-missing")]
    return FILES


@pytest.mark.parametrize("rel", _params())
def test_duckdb_csv(outcomes, rel):
    H.require(rel is not None and ROOT.is_dir(), f"DuckDB CSV corpus missing: {ROOT}")
    o = outcomes[rel]
    hard = _hard_failure(o)
    assert hard is None, f"{rel}: {hard}"
    problem = _difference(o)
    known = KNOWN_DIFFERENCES.get(rel)
    if known is None:
        assert problem is None, f"{rel}: {problem[1]}"
        return
    kind, reason = known
    assert problem is not None, f"{rel} is listed in KNOWN_DIFFERENCES ({kind}) but now agrees: remove it"
    assert problem[0] == kind, f"{rel}: known difference is {kind!r} but now fails as {problem[0]!r}:\n{problem[1]}"
    pytest.xfail(reason)
