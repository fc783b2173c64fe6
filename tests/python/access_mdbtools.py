"""Differential comparison of PyForge's Access reader with mdbtools (mdb-tables, mdb-export).

Used by test_access_mdbtools.py; runnable on its own for the figures:

    python tests/python/access_mdbtools.py [PYFORGE_BIN]

For every database of the corpus and every table `mdb-tables` lists, `mdb-export` (NULL as an
unquoted marker, dates as ISO text, binary as hex) is compared value by value with PyForge's
Parquet output of the same table. Normalised: float formatting (compared as numbers at the
precision mdbtools prints), date rendering (compared at mdbtools' one-second resolution),
decimal formatting (compared as decimals), Yes/No (1/0). Nothing else.
"""
from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

NULL = "\x01NULL\x01"  # what mdb-export writes for NULL (never quoted)
DATE_FMT = "%Y-%m-%d %H:%M:%S"


def mdb_tables(db: Path) -> list[str]:
    out = subprocess.run(["mdb-tables", "-1", str(db)], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError(f"mdb-tables failed: {out.stderr.strip()}")
    return [t for t in out.stdout.split("\n") if t]


def parse_export(text: str) -> list[list[str | None]]:
    """Parse mdb-export's CSV, telling quoted text from the unquoted NULL marker."""
    rows, row, field, quoted, i, n = [], [], [], False, 0, len(text)
    in_q = False
    while i < n:
        c = text[i]
        if in_q:
            if c == '"':
                if i + 1 < n and text[i + 1] == '"':
                    field.append('"')
                    i += 1
                else:
                    in_q = False
            else:
                field.append(c)
        elif c == '"':
            in_q, quoted = True, True
        elif c == ",":
            row.append(_cell(field, quoted))
            field, quoted = [], False
        elif c == "\n":
            row.append(_cell(field, quoted))
            rows.append(row)
            row, field, quoted = [], [], False
        else:
            field.append(c)
        i += 1
    if field or row:
        row.append(_cell(field, quoted))
        rows.append(row)
    return rows


def _cell(chars: list[str], quoted: bool) -> str | None:
    s = "".join(chars)
    if not quoted and s == NULL:
        return None
    return s


def mdb_export(db: Path, table: str) -> tuple[list[str], list[list[str | None]]]:
    out = subprocess.run(
        ["mdb-export", "-0", NULL, "-D", DATE_FMT, "-T", DATE_FMT, "-b", "hex", str(db), table],
        capture_output=True, timeout=300,
    )
    if out.returncode != 0:
        raise RuntimeError(f"mdb-export failed: {out.stderr.decode(errors='replace').strip()}")
    rows = parse_export(out.stdout.decode("utf-8", errors="surrogateescape"))
    return rows[0], rows[1:]


def pyforge_tables(pyforge: Path, db: Path, out_dir: Path, extra: list[str] = ()) -> tuple[dict, str | None]:
    """Convert `db` (plus `extra` options); return ({table: pyarrow.Table}, error text or None)."""
    import pyarrow.parquet as pq

    target = out_dir / (db.stem + ("_sys" if extra else ""))
    proc = subprocess.run([str(pyforge), "convert", str(db), str(target), "--force", "-q", *extra],
                          capture_output=True, text=True, timeout=600)
    tables = {}
    manifest = target / "_manifest.json"
    if target.is_file():
        # a one-table database is written as one file
        info = json.loads(subprocess.run([str(pyforge), "info", "--json", *extra[:1], str(db)],
                                         capture_output=True, text=True, timeout=60).stdout)
        names = [t["name"] for t in info["tables"]]
        if len(extra) > 1:
            names = [n for n in names if n in extra[-1].split(",")]
        tables[names[0]] = pq.read_table(target)
    elif manifest.is_file():
        m = json.loads(manifest.read_text())
        for t in m["tables"]:
            tables[t["name"]] = pq.read_table(target / t["file"])
    return tables, (proc.stderr.strip() if proc.returncode != 0 else None)


def norm_ours(v, typ) -> object:
    """Our value in a form comparable with mdbtools' text."""
    import pyarrow as pa

    if v is None:
        return None
    if pa.types.is_boolean(typ):
        return "1" if v else "0"
    if pa.types.is_timestamp(typ):
        return v.strftime(DATE_FMT) if isinstance(v, dt.datetime) else str(v)
    if pa.types.is_binary(typ):
        return v.hex().upper()
    if pa.types.is_list(typ):
        return ("LIST", v)
    return v


def same(ours, theirs: str | None, typ) -> bool:
    import pyarrow as pa

    if ours is None or theirs is None:
        return ours is None and theirs is None
    if pa.types.is_floating(typ):
        try:
            t = float(theirs)
        except ValueError:
            return False
        if math.isnan(ours) or math.isnan(t):
            return math.isnan(ours) and math.isnan(t)
        # mdbtools prints floats with limited digits; compare at that precision
        tol = 1e-6 if pa.types.is_float32(typ) else 1e-9
        return abs(ours - t) <= tol * max(1.0, abs(t)) or _printed_equal(ours, theirs)
    if pa.types.is_decimal(typ):
        try:
            return decimal.Decimal(theirs) == ours
        except decimal.InvalidOperation:
            return False
    if pa.types.is_integer(typ):
        try:
            return int(theirs) == ours
        except ValueError:
            return False
    if pa.types.is_binary(typ):
        return theirs.upper().replace(" ", "") == ours
    # rendering: with -b hex, mdb-export also hex-encodes the text of Jet3 GUID columns
    return str(ours) == theirs or (isinstance(ours, str) and ours.startswith("{")
                                   and theirs == ours.encode().hex().upper())


def _printed_equal(ours: float, theirs: str) -> bool:
    digits = len(theirs.split(".")[1]) if "." in theirs and "e" not in theirs.lower() else None
    return digits is not None and f"{ours:.{digits}f}" == theirs


def compare_table(ours, cols: list[str], rows: list[list]) -> list[str]:
    """Differences between PyForge's table and mdbtools' export, as short messages."""
    diffs = []
    names = ours.column_names
    missing = [c for c in cols if c not in names]
    if missing:
        diffs.append(f"columns only in mdbtools: {missing}")
    extra = [c for c in names if c not in cols]
    if extra:
        diffs.append(f"columns only in PyForge: {extra}")
    if ours.num_rows != len(rows):
        diffs.append(f"row count: PyForge {ours.num_rows}, mdbtools {len(rows)}")
        return diffs
    for j, c in enumerate(cols):
        if c not in names:
            continue
        col = ours.column(c)
        typ = col.type
        vals = [norm_ours(v, typ) for v in col.to_pylist()]
        bad = [(i, vals[i], r[j] if j < len(r) else "<missing>") for i, r in enumerate(rows)
               if not same(vals[i], r[j] if j < len(r) else None, typ)]
        if bad:
            i, a, b = bad[0]
            diffs.append(f"column {c!r} ({typ}): {len(bad)} of {len(rows)} values differ, "
                         f"first at row {i + 1}: PyForge {a!r} vs mdbtools {b!r}")
    return diffs


# Databases left out of the comparison, with the reason. mdbtools cannot decrypt Office
# encryption (mdb-tables: "Page 2 ... is not a valid table definition page", "File does not appear
# to be an Access database"), so there is nothing to compare with; PyForge's reading of them is
# tested against the values Jackcess-encrypt's own tests expect in
# crates/pyforge-core/tests/core/access_encrypted.rs and tests/python/test_access_encrypted.py.
# The RC4 page-encoded db-enc.mdb and db97-enc.mdb are compared: mdbtools decodes RC4.
EXCLUDED: dict[str, str] = {
    f"jackcess-encrypt/src__test__data__{name}": "Office encryption, which mdbtools cannot decrypt"
    for name in ("db2007-oldenc.accdb", "db2007-enc.accdb", "db2013-enc.accdb", "db-nonstandard.accdb")
}


def run(pyforge: Path, corpus: Path) -> dict:
    """Compare every table of every database under `corpus` except EXCLUDED; return a report
    (`excluded`: the keys of EXCLUDED met; `compared`: tables compared per database)."""
    report = {"tables": 0, "agree": 0, "differ": {}, "mdbtools_failed": {}, "pyforge_failed": {},
              "excluded": [], "compared": {}}
    dbs = sorted(p for p in corpus.rglob("*") if p.suffix.lower() in (".mdb", ".accdb"))
    with tempfile.TemporaryDirectory() as tmp:
        for db in dbs:
            key = f"{db.parent.name}/{db.name}"
            if key in EXCLUDED:
                report["excluded"].append(key)
                continue
            try:
                names = mdb_tables(db)
            except Exception as e:  # noqa: BLE001
                report["mdbtools_failed"][key] = str(e)
                continue
            if not names:
                continue
            ours, error = pyforge_tables(pyforge, db, Path(tmp))
            if error:
                report["pyforge_failed"][key] = error
            # mdbtools lists MSys* tables without the system flag (MSysCompactError); PyForge
            # converts those on request only
            msys = [t for t in names if t.lower().startswith("msys")]
            if msys:
                more, error = pyforge_tables(pyforge, db, Path(tmp), ["--include-system", "--tables", ",".join(msys)])
                ours.update(more)
                if error:
                    report["pyforge_failed"][key + " (MSys)"] = error
            for t in names:
                try:
                    cols, rows = mdb_export(db, t)
                except Exception as e:  # noqa: BLE001
                    report["mdbtools_failed"][f"{key}:{t}"] = str(e)
                    continue
                report["tables"] += 1
                report["compared"][key] = report["compared"].get(key, 0) + 1
                if t not in ours:
                    report["differ"][f"{key}:{t}"] = ["PyForge wrote no output for this table"]
                    continue
                d = compare_table(ours[t], cols, rows)
                if d:
                    report["differ"][f"{key}:{t}"] = d
                else:
                    report["agree"] += 1
    return report


if __name__ == "__main__":
    here = Path(__file__).resolve()
    binary = Path(sys.argv[1]) if len(sys.argv) > 1 else here.parents[2] / "target/debug/pyforge"
    sys.path.insert(0, str(here.parent))
    from pyforge_helpers import TESTDATA

    r = run(binary, TESTDATA / "access")
    print(json.dumps(r, indent=1, ensure_ascii=False))
    print(f"agree {r['agree']} / {r['tables']}")
