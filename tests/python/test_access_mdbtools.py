"""PyForge's Access reader against mdbtools, over every database of testdata/access.

Every table `mdb-tables` lists is exported with `mdb-export` and compared value by value with
PyForge's Parquet output (see access_mdbtools.py for the only normalisations: float formatting,
date rendering at one-second resolution, decimal formatting, 1/0 for Yes/No).

Where the two disagree, mdbtools must be the one that is wrong: each such table is listed in
MDBTOOLS_WRONG with the independent evidence. A difference not listed fails the test, and so
does a listed one that no longer differs (the list stays true).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pyforge_helpers as H
import access_mdbtools as A

# (database, table) -> why mdbtools' output is wrong, with the independent evidence.
MDBTOOLS_WRONG: dict[str, str] = {
    'jackcess/test__data__V1997__testIndexCodesV1997.mdb:Table1':
        "cp1252 bytes 0x81/0x8D/0x8F/0x90/0x9D have no cp1252 character; mdbtools (iconv) writes '?', losing the byte; PyForge keeps it as U+0081.. (WHATWG windows-1252), so the stored byte survives. Same 5 rows in the _desc copy.",
    'jackcess/test__data__V1997__testIndexCodesV1997.mdb:Table1_desc':
        "as Table1 (undefined cp1252 bytes become '?' in mdbtools).",
    'jackcess/test__data__V1997__testIndexCodesV1997.mdb:Table14':
        "as Table1 (undefined cp1252 bytes become '?' in mdbtools).",
    'jackcess/test__data__V1997__testIndexCodesV1997.mdb:Table14_desc':
        "as Table1 (undefined cp1252 bytes become '?' in mdbtools).",
    'jackcess/test__data__V1997__testIndexCodesV1997.mdb:Table13':
        "GUID column: mdb-export's text (hex-decoded) is '{8E39276A-BCA8-4AC4-891E49911D8438DD}', the canonical 8-4-4-4-12 form without its 4th hyphen; same 32 hex digits as PyForge's '{8E39276A-BCA8-4AC4-891E-49911D8438DD}'.",
    'jackcess/test__data__V1997__testIndexCodesV1997.mdb:Table13_desc':
        'as Table13 (mdbtools drops the 4th hyphen of GUIDs).',
    'jackcess/test__data__V1997__testIndexCodesV1997.mdb:Table6':
        "dates before 1900: mdbtools prints '1900-01-00 00:00:00' (not a date) for every negative OLE day count; PyForge gives e.g. 1899-09-27 10:19:15.",
    'jackcess/test__data__V1997__testIndexCodesV1997.mdb:Table6_desc':
        "as Table6 (pre-1900 dates rendered '1900-01-00' by mdbtools).",
    'jackcess/test__data__V2007__oldDatesV2007.accdb:Table1':
        "pre-1900 dates: mdbtools prints '1900-01-00' for all four; Jackcess' testAncientDates expects 1582-10-15, 1582-10-14, 1492-01-10, 1392-01-10, which PyForge gives.",
    'jackcess/test__data__V2019__extDateTestV2019.accdb:Table1':
        "DateExt (Date/Time Extended, type 20): mdbtools 'unsupported data type 20' -> NULL; PyForge's text equals the DateExtStr copy (e.g. 6/14/2021 10:45:12.3456789 PM -> 2021-06-14 22:45:12.3456789). DateNormal 1265-06-14: mdbtools '1900-01-00'. DateNormalCalc (calculated = DateNormal): mdbtools prints 1899-12-30 (reads the placeholder), PyForge the stored result, equal to DateNormal.",
    'jackcess/test__data__V2010__testEmoticonsV2010.accdb:data':
        "emoji (astral-plane UTF-16 surrogate pairs): mdbtools writes '??'; column key holds each emoji's code point (128512 = U+1F600) and PyForge gives 'a' + that character + 'a' for all 80 rows.",
    'jackcess/test__data__V2010__calcFieldTestV2010.accdb:Table1':
        "calculated columns: mdbtools reads the declared placeholder type instead of the stored result (NULL, 0, 268435456, mojibake 'I䀀夀'); PyForge's values follow the formulas over the row (LastFirst = LastName & ', ' & FirstName -> 'Wayne, Bruce'; LastFirstLen = Len(LastFirst) = 12; MonthlySalary = Salary/12 = 83333.3333).",
    'jackcess/test__data__V2007__complexDataTestV2007.accdb:Table1':
        'complex columns (attachments, multiple values, version history): mdbtools prints the ComplexID (1..4); PyForge exports the values, which match mdb-export of the hidden f_* flat tables (row2: multi-value [value1, value4]; attachment test_data.txt; versions row3-memo, row3-memo-revised, row3-memo-again).',
    'jackcess/test__data__V2010__complexDataTestV2010.accdb:Table1':
        'as complexDataTestV2007 (mdbtools prints the ComplexID instead of the values).',
    'jackcess/test__data__V2007__unsupportedFieldsTestV2007.accdb:Test':
        "columns of unknown type: mdbtools prints NULL ('unsupported data type'); the null mask marks them present and PyForge keeps the bytes (UnknownVar FFFE736F6D6564617461 = compressed text 'somedata').",
    'jackcess/test__data__V2010__binIdxTestV2010.accdb:Test':
        "zero-length binary value: the row's null mask marks it present (not NULL), PyForge gives b''; mdb-export writes every zero-length value as NULL.",
}


def test_pyforge_agrees_with_mdbtools(pyforge: Path, testdata: Path) -> None:
    H.require(shutil.which("mdb-export") is not None, "mdbtools is not installed (tests/apt-packages.txt)")
    report = A.run(pyforge, testdata / "access")
    H.SUMMARY_LINES.append(
        f"Access: {report['agree']} of {report['tables']} tables agree with mdbtools; "
        f"{len(report['differ'])} differ (all mdbtools errors listed in the test)"
    )
    unexplained = {k: v for k, v in report["differ"].items() if k not in MDBTOOLS_WRONG}
    assert not unexplained, f"differences not explained by a known mdbtools error: {unexplained}"
    stale = sorted(k for k in MDBTOOLS_WRONG if k not in report["differ"])
    assert not stale, f"listed as mdbtools errors but no longer different: {stale}"
    # Nothing is left out silently: a database or table either reader fails on fails the test.
    assert not report["mdbtools_failed"], f"mdbtools failed: {report['mdbtools_failed']}"
    assert not report["pyforge_failed"], f"PyForge failed: {report['pyforge_failed']}"
    # The excluded (Office-encrypted) files are all there, so the list stays true ...
    assert report["excluded"] == sorted(A.EXCLUDED), report["excluded"]
    # ... and the RC4 page-encoded ones, which mdbtools decodes, are compared (Table1 each).
    for key in ("jackcess-encrypt/src__test__data__db-enc.mdb", "jackcess-encrypt/src__test__data__db97-enc.mdb"):
        assert report["compared"].get(key) == 1, f"{key} not compared: {report['compared']}"
    # Every table `mdb-tables` lists in testdata/access today (168, counted when the
    # test data lost mdbtools' nwind/DateTest databases and three large Jackcess files).
    assert report["tables"] >= 168
