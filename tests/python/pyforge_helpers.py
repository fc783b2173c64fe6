"""Shared helpers for the PyForge differential tests.

Nothing here is a test: it locates the binary and the test data, runs the CLI with a timeout, and
renders Arrow values to canonical text so two readers' outputs can be compared value by value.
"""
from __future__ import annotations

import datetime as _dt
import decimal
import json
import math
import os
import re
import select
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parent.parent
# The repository's test data (testdata/SOURCES.md says where each folder comes from). This is the
# one Python definition of its place: tests take it from the `testdata` fixture or from here,
# benches import it from here.
TESTDATA = REPO_ROOT / "testdata"

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# Lines for the terminal summary (see conftest.pytest_terminal_summary), filled by test modules.
SUMMARY_LINES: list[str] = []

# A per-call limit: no single CSV conversion in this suite should get anywhere near it, a hang will.
CLI_TIMEOUT = 60


def require(condition: bool, message: str) -> None:
    """Skip when something the test needs is missing -- but fail when running under CI=true."""
    if condition:
        return
    import pytest  # here, not at the top: the benches import this module without pytest

    if IN_CI:
        pytest.fail(f"required for this test but missing (CI=true, so not skipping): {message}")
    pytest.skip(message)


def find_binary() -> Path | None:
    env = os.environ.get("PYFORGE_BIN")
    if env:
        return Path(env).absolute()  # tests run the CLI from other working directories
    for profile in ("release", "debug"):
        cand = REPO_ROOT / "target" / profile / "pyforge"
        if cand.is_file() and os.access(cand, os.X_OK):
            return cand
    return None


@dataclass
class Run:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    def describe(self) -> str:
        return (
            f"command: {' '.join(map(str, self.args))}\n"
            f"exit: {self.returncode}\nstdout:\n{self.stdout[-3000:]}\nstderr:\n{self.stderr[-3000:]}"
        )


class CliTimeout(Exception):
    pass


def run_cli_raw(binary: Path, *args, timeout: float = CLI_TIMEOUT, cwd=None, env=None) -> Run:
    """Run pyforge; raise CliTimeout when it does not finish in time (safe in worker threads)."""
    argv = [str(binary), *map(str, args)]
    full_env = dict(os.environ)
    full_env.pop("RUST_BACKTRACE", None)
    if env:
        full_env.update(env)
    try:
        proc = subprocess.run(
            argv,
            capture_output=True,
            timeout=timeout,
            cwd=cwd,
            env=full_env,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as e:
        raise CliTimeout(f"pyforge did not finish within {timeout} s: {' '.join(argv)}") from e
    return Run(
        argv,
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
    )


def run_cli(binary: Path, *args, timeout: float = CLI_TIMEOUT, cwd=None, env=None) -> Run:
    """Run pyforge; a timeout fails the test."""
    try:
        return run_cli_raw(binary, *args, timeout=timeout, cwd=cwd, env=env)
    except CliTimeout as e:
        import pytest

        pytest.fail(str(e))


def run_in_terminal(args: list[str], env: dict, timeout: float = 120) -> tuple[int, str]:
    """Run with stdout and stderr on a pseudo-terminal; everything it drew, and the exit code."""
    master, slave = os.openpty()
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # the other side closed
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    os.close(master)
    code = proc.wait(timeout=10)
    return code, b"".join(chunks).decode("utf-8", "replace")


def assert_no_panic(run: Run) -> None:
    bad = [s for s in ("panicked", "RUST_BACKTRACE") if s in run.stderr]
    assert not bad, f"pyforge panicked:\n{run.describe()}"


def assert_clean_error(run: Run, names: str, *, line: int | None = None) -> str:
    """Exit 1 with exactly one stderr line `pyforge: error: ...` that names `names`."""
    assert_no_panic(run)
    assert run.returncode == 1, f"expected exit 1\n{run.describe()}"
    lines = run.stderr.strip("\n").split("\n")
    assert len(lines) == 1, f"expected exactly one stderr line, got {len(lines)}\n{run.describe()}"
    msg = lines[0]
    assert msg.startswith("pyforge: error: "), f"stderr does not start with 'pyforge: error: '\n{run.describe()}"
    assert names in msg, f"error message does not name {names!r}\n{run.describe()}"
    if line is not None:
        assert re.search(rf"\bline {line}\b", msg), f"error message does not give 'line {line}'\n{run.describe()}"
    return msg


def leftovers(folder: Path) -> list[str]:
    """Temporary files PyForge may leave behind when it fails (.NAME.pyforge-tmp-*)."""
    return sorted(p.name for p in folder.rglob("*") if ".pyforge-tmp-" in p.name)


def info_json(binary: Path, path: Path) -> dict:
    r = run_cli(binary, "info", path, "--json")
    assert r.returncode == 0, r.describe()
    return json.loads(r.stdout)


# --------------------------------------------------------------------------------------------
# Canonical text forms
# --------------------------------------------------------------------------------------------

_NUM_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_INT_RE = re.compile(r"^[+-]?\d+$")
_TIME_RE = re.compile(r"^\d\d:\d\d(:\d\d(\.\d+)?)?$")


def canon_float(f: float) -> str:
    if math.isnan(f):
        return "nan"
    if math.isinf(f):
        return "inf" if f > 0 else "-inf"
    if f.is_integer() and abs(f) < 2**63:
        return str(int(f))
    return repr(f)


def canon_decimal(d: decimal.Decimal) -> str:
    if d == d.to_integral_value():
        return str(int(d))
    # Same canonical form a double with this value would get, so decimal vs double compare.
    return canon_float(float(d))


def canon_datetime(v: _dt.datetime) -> str:
    if v.tzinfo is not None:
        v = v.astimezone(_dt.timezone.utc).replace(tzinfo=None)
        return v.isoformat() + "Z"
    return v.isoformat()


def canon_text(s: str) -> str:
    """Canonical form of a string that may hold a number, bool, date or timestamp."""
    t = s.strip()
    if _INT_RE.match(t):
        return str(int(t))
    if _NUM_RE.match(t):
        return canon_float(float(t))
    low = t.lower()
    if low in ("true", "false"):
        return low
    if low in ("nan", "inf", "-inf", "+inf", "infinity", "-infinity"):
        return canon_float(float(low))
    if _TIME_RE.match(t):
        try:
            return _dt.time.fromisoformat(t if len(t) > 5 else t + ":00").isoformat()
        except ValueError:
            pass
    if len(t) >= 10 and t[4:5] == "-" and t[7:8] == "-":
        try:
            if len(t) == 10:
                return _dt.date.fromisoformat(t).isoformat()
            tt = t[:-1] + "+00:00" if t.endswith("Z") else t
            return canon_datetime(_dt.datetime.fromisoformat(tt))
        except ValueError:
            pass
    return s


def canon_value(v) -> str:
    """Canonical text of one Python value as produced by pyarrow's to_pylist()."""
    if v is None:
        return ""  # null and "" compare equal in text comparisons
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return canon_float(v)
    if isinstance(v, decimal.Decimal):
        return canon_decimal(v)
    if isinstance(v, _dt.datetime):
        return canon_datetime(v)
    if isinstance(v, _dt.date):
        return v.isoformat()
    if isinstance(v, _dt.time):
        return v.isoformat()
    if isinstance(v, bytes):
        return canon_text(v.decode("utf-8", "replace"))
    if isinstance(v, str):
        return canon_text(v)
    return str(v)


# --------------------------------------------------------------------------------------------
# Column-by-column comparison of two Arrow tables
# --------------------------------------------------------------------------------------------

_TS_FACTOR = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}


def _kind(t) -> str:
    import pyarrow as pa

    if pa.types.is_boolean(t):
        return "bool"
    if pa.types.is_integer(t):
        return "int"
    if pa.types.is_floating(t):
        return "float"
    if pa.types.is_decimal(t):
        return "decimal"
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "string"
    if pa.types.is_timestamp(t):
        return "timestamp"
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_null(t):
        return "null"
    return str(t)


def _ts_ns(col):
    """Timestamps as Python ints in nanoseconds (no overflow for any unit)."""
    import pyarrow as pa

    f = _TS_FACTOR[col.type.unit]
    ints = col.cast(pa.int64()).to_pylist()
    return [None if v is None else v * f for v in ints]


def _floats_equal(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0)


def compare_column(ref, got, *, null_equals_empty: bool = True, max_report: int = 5) -> list[str]:
    """Compare two Arrow arrays of equal length; return human-readable differences (empty: equal).

    Same kind of type: values compared directly (floats NaN-aware with a 1e-12 relative tolerance,
    timestamps in nanoseconds, decimals exactly, numbers across int/decimal exactly and against
    double with the float tolerance). Other pairs: canonical text forms (see canon_value).
    A null equals "" when null_equals_empty (PyForge reads an unquoted empty string field as null,
    pyarrow as "").
    """
    import pyarrow as pa

    ref = ref.combine_chunks() if isinstance(ref, pa.ChunkedArray) else ref
    got = got.combine_chunks() if isinstance(got, pa.ChunkedArray) else got
    kr, kg = _kind(ref.type), _kind(got.type)
    numeric = {"int", "float", "decimal"}
    if kr == kg == "timestamp":
        if (ref.type.tz is None) != (got.type.tz is None):
            rv, gv = [canon_value(v) for v in ref.to_pylist()], [canon_value(v) for v in got.to_pylist()]
            eq = lambda a, b: a == b  # noqa: E731
        else:
            rv, gv = _ts_ns(ref), _ts_ns(got)
            eq = lambda a, b: a == b  # noqa: E731
    elif kr in numeric and kg in numeric:
        rv, gv = ref.to_pylist(), got.to_pylist()
        if "float" in (kr, kg):
            eq = _floats_equal
        else:
            eq = lambda a, b: (a is None and b is None) or (  # noqa: E731
                a is not None and b is not None and decimal.Decimal(a) == decimal.Decimal(b)
            )
    elif kr == kg and kr in ("bool", "date", "string"):
        rv, gv = ref.to_pylist(), got.to_pylist()
        if null_equals_empty:
            rv = ["" if v is None else v for v in rv]
            gv = ["" if v is None else v for v in gv]
        eq = lambda a, b: a == b  # noqa: E731
    else:
        rv, gv = [canon_value(v) for v in ref.to_pylist()], [canon_value(v) for v in got.to_pylist()]
        if not null_equals_empty:
            rv = [None if v is None else c for v, c in zip(ref.to_pylist(), rv)]
            gv = [None if v is None else c for v, c in zip(got.to_pylist(), gv)]
        eq = lambda a, b: a == b  # noqa: E731
    diffs = []
    n_bad = 0
    for i, (a, b) in enumerate(zip(rv, gv)):
        if not eq(a, b):
            n_bad += 1
            if len(diffs) < max_report:
                diffs.append(f"row {i}: reference {ref[i].as_py()!r} ({ref.type}) != pyforge {got[i].as_py()!r} ({got.type})")
    if n_bad > len(diffs):
        diffs.append(f"... {n_bad} differing rows in all")
    return diffs


def compare_tables(ref, got) -> list[str]:
    """Row count, column count, then every column by position. Returns differences."""
    problems = []
    if ref.num_rows != got.num_rows:
        problems.append(f"row count: reference {ref.num_rows} != pyforge {got.num_rows}")
    if ref.num_columns != got.num_columns:
        problems.append(
            f"column count: reference {ref.num_columns} {_names(ref)} != "
            f"pyforge {got.num_columns} {_names(got)}"
        )
    if problems:
        return problems
    # pyarrow keeps undecodable header bytes as they are, and then cannot hand out the column by
    # name: address columns by position under neutral names.
    names = [f"c{i}" for i in range(ref.num_columns)]
    ref_cols, got_cols = ref.rename_columns(names).columns, got.rename_columns(names).columns
    for i in range(ref.num_columns):
        d = compare_column(ref_cols[i], got_cols[i])
        if d:
            problems.append(f"column {i} ({_name(ref, i)!r} / {_name(got, i)!r}):\n    " + "\n    ".join(d))
    return problems


def _name(table, i) -> str:
    try:
        return table.schema.names[i]
    except UnicodeDecodeError:  # pyarrow keeps undecodable header bytes as they are
        return "<undecodable name>"


def _names(table, limit: int = 8) -> list[str]:
    names = [_name(table, i) for i in range(min(limit, table.num_columns))]
    return names + (["..."] if table.num_columns > limit else [])


_ESCAPES = {"\\t": "\t", "\\n": "\n", "\\r": "\r", "\\r\\n": "\r\n", "tab": "\t"}


def unescape(s: str) -> str:
    """`info --json` shows control characters escaped (a tab delimiter is the text \\t)."""
    return _ESCAPES.get(s, s)


def sniffed_dialect(info: dict) -> dict:
    """PyForge's view of a CSV file's dialect, from `info --json`."""
    d = info.get("details", {})
    return {
        "delimiter": unescape(d.get("delimiter", ",")),
        "header": bool(d.get("header", True)),
        "encoding": d.get("encoding", "utf-8"),
        "quote": unescape(d.get("quote", '"')),
    }


def read_parquet(path: Path):
    """One Parquet file as written (pq.read_table on a path inside a `k=v` folder would add a hive
    partition column taken from the path)."""
    import pyarrow.parquet as pq

    return pq.read_table(path, partitioning=None)
