#!/usr/bin/env python3
"""CSV -> Parquet benchmark driver: PyForge vs DuckDB, Polars, pyarrow, pandas and
the old Python pyforge-cli 1.0.9.

Normally started through csv_bench.sh, which creates the virtualenvs first.
Every tool runs in its own subprocess (under /usr/bin/time -v when present,
plus psutil polling of the whole process tree), so wall time and peak RSS are
its own. See README.md.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field, asdict
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DATA = BENCH / "data"
PEERS = BENCH / "peers"
VENV_PY = BENCH / ".venv" / "bin" / "python"
OLD_VENV = BENCH / ".venv-old"
GNU_TIME = "/usr/bin/time"

ALL_TOOLS = ["pyforge", "duckdb", "polars", "pyarrow", "pandas", "pyforge-cli-1.0.9"]
DATE_COL = "event_date"
TS_COL = "created_at"

try:
    import psutil  # noqa: F401
except ImportError:  # driver started outside the venv
    psutil = None


@dataclass
class Result:
    tool: str
    status: str = "ok"          # ok | FAILED | MISSING | ROWS-MISMATCH
    reason: str = ""
    wall_s: float | None = None
    cpu_s: float | None = None
    inner_s: float | None = None
    others_cpu_s: float | None = None   # CPU used by other processes during the run (noise)
    peak_rss_mb: float | None = None
    rows: int | None = None
    expected_rows: int | None = None
    date_type: str | None = None
    ts_type: str | None = None
    out_mb: float | None = None
    version: str = ""
    cmd: list = field(default_factory=list)
    note: str = ""
    extrapolated: bool = False
    raw: dict = field(default_factory=dict)


def log(msg=""):
    print(msg, flush=True)


def peer_env():
    env = dict(os.environ)
    # Set on some machines for old OpenBLAS builds; they slow current numpy.
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    return env


# ----------------------------------------------------------------------------- measuring
class TreePoller(threading.Thread):
    """Polls the RSS sum of a process tree (root excluded if it is /usr/bin/time)."""

    def __init__(self, pid, exclude_root, interval=0.02):
        super().__init__(daemon=True)
        self.pid, self.exclude_root, self.interval = pid, exclude_root, interval
        self.peak = 0
        self._halt = threading.Event()

    def run(self):
        if psutil is None:
            return
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._halt.is_set():
            try:
                procs = root.children(recursive=True)
                if not self.exclude_root:
                    procs.append(root)
                total = 0
                for p in procs:
                    try:
                        total += p.memory_info().rss
                    except psutil.Error:
                        pass
                self.peak = max(self.peak, total)
            except psutil.Error:
                break
            self._halt.wait(self.interval)

    def stop(self):
        self._halt.set()


def _busy_cpu_s():
    """Machine-wide non-idle CPU seconds so far (to see how much other processes ran during a tool)."""
    if psutil is None:
        return None
    t = psutil.cpu_times()
    return sum(v for k, v in t._asdict().items() if k not in ("idle", "iowait", "guest", "guest_nice"))


def parse_gnu_time(path: Path):
    out = {}
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return out
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    if m:
        out["maxrss_kb"] = int(m.group(1))
    u = re.search(r"User time \(seconds\): ([\d.]+)", text)
    s = re.search(r"System time \(seconds\): ([\d.]+)", text)
    if u and s:
        out["cpu_s"] = float(u.group(1)) + float(s.group(1))
    return out


def measure(name, cmd, timeout, logdir: Path, cwd=None):
    """Run cmd in its own process group; return dict(rc, wall_s, peak_rss_mb, cpu_s, stdout, stderr)."""
    logdir.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    out_p, err_p, time_p = logdir / f"{safe}.stdout", logdir / f"{safe}.stderr", logdir / f"{safe}.time"
    use_time = os.path.exists(GNU_TIME)
    full = ([GNU_TIME, "-v", "-o", str(time_p)] if use_time else []) + [str(c) for c in cmd]
    if time_p.exists():
        time_p.unlink()
    sys_before = _busy_cpu_s()
    with open(out_p, "wb") as fo, open(err_p, "wb") as fe:
        t0 = time.perf_counter()
        proc = subprocess.Popen(full, stdout=fo, stderr=fe, stdin=subprocess.DEVNULL,
                                env=peer_env(), cwd=cwd, start_new_session=True)
        poller = TreePoller(proc.pid, exclude_root=use_time)
        poller.start()
        timed_out = False
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            rc = proc.wait()
        wall = time.perf_counter() - t0
        poller.stop()
        poller.join(1)
    sys_after = _busy_cpu_s()
    gt = parse_gnu_time(time_p) if use_time else {}
    others = None
    if sys_before is not None and sys_after is not None and gt.get("cpu_s") is not None:
        others = max(0.0, (sys_after - sys_before) - gt["cpu_s"])
    peak_bytes = max(poller.peak, gt.get("maxrss_kb", 0) * 1024)
    return {
        "rc": rc,
        "timed_out": timed_out,
        "wall_s": wall,
        "cpu_s": gt.get("cpu_s"),
        "peak_rss_mb": peak_bytes / 2**20 if peak_bytes else None,
        "others_cpu_s": others,
        "rss_polled_mb": poller.peak / 2**20,
        "rss_maxrss_mb": gt.get("maxrss_kb", 0) / 1024,
        "stdout": out_p.read_text(errors="replace"),
        "stderr": err_p.read_text(errors="replace"),
    }


# ----------------------------------------------------------------------------- parquet checks
def parquet_info(path: Path):
    """(rows, date type, ts type, size MB) of a parquet file or a directory of them."""
    import pyarrow.parquet as pq

    files = sorted(path.rglob("*.parquet")) if path.is_dir() else [path]
    if not files:
        raise FileNotFoundError(f"no parquet output at {path}")
    rows = 0
    size = 0
    for f in files:
        rows += pq.read_metadata(f).num_rows
        size += f.stat().st_size
    schema = pq.read_schema(files[0])

    def typ(col):
        return str(schema.field(col).type) if col in schema.names else "(missing)"

    return rows, typ(DATE_COL), typ(TS_COL), size / 2**20, schema


def last_json_line(text):
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                pass
    return {}


def tail(text, n=6):
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return " | ".join(lines[-n:])[-600:]


def run_tool(name, cmd, out: Path, expected_rows, timeout, logdir, version=""):
    res = Result(tool=name, expected_rows=expected_rows, version=version, cmd=[str(c) for c in cmd])
    if out.is_dir():
        shutil.rmtree(out)
    elif out.exists():
        out.unlink()
    log(f"--- {name}: {' '.join(res.cmd)}")
    try:
        m = measure(name, cmd, timeout, logdir)
    except (OSError, ValueError) as e:
        res.status, res.reason = "FAILED", f"could not start: {e}"
        log(f"    FAILED: {res.reason}")
        return res
    res.wall_s, res.cpu_s, res.peak_rss_mb = m["wall_s"], m["cpu_s"], m["peak_rss_mb"]
    res.others_cpu_s = m["others_cpu_s"]
    res.raw = {k: m[k] for k in ("rss_polled_mb", "rss_maxrss_mb", "rc")}
    info = last_json_line(m["stdout"])
    res.inner_s = info.get("inner_s")
    res.version = res.version or info.get("version", "")
    if m["timed_out"]:
        res.status, res.reason = "FAILED", f"timed out after {timeout}s"
    elif m["rc"] != 0:
        res.status, res.reason = "FAILED", f"exit {m['rc']}: {tail(m['stderr'] or m['stdout'])}"
    else:
        try:
            res.rows, res.date_type, res.ts_type, res.out_mb, schema = parquet_info(out)
            res.raw["schema"] = str(schema).split("\n-- schema metadata")[0]
            if res.rows != expected_rows:
                res.status = "ROWS-MISMATCH"
                res.reason = f"output has {res.rows:,} rows, input has {expected_rows:,}"
        except Exception as e:  # noqa: BLE001
            res.status, res.reason = "FAILED", f"output unreadable: {type(e).__name__}: {e}"
    if res.status == "ok":
        log(f"    ok: {res.wall_s:.2f}s wall, peak RSS {res.peak_rss_mb:.0f} MB, {res.rows:,} rows, "
            f"{DATE_COL}={res.date_type}")
    elif res.status == "ROWS-MISMATCH":
        log("    " + "!" * 70)
        log(f"    !!! ROW COUNT MISMATCH for {name}: {res.reason}")
        log("    " + "!" * 70)
    else:
        log(f"    FAILED: {res.reason}")
    return res


# ----------------------------------------------------------------------------- data
def ensure_data(args):
    if args.input:
        src = Path(args.input).resolve()
        meta = Path(str(src) + ".meta.json")
        rows = json.loads(meta.read_text())["rows"] if meta.exists() else count_rows(src)
        return src, rows
    DATA.mkdir(parents=True, exist_ok=True)
    if args.rows:
        src = DATA / f"bench_{args.rows}rows_seed{args.seed}.csv"
        gen_args = ["--rows", str(args.rows)]
    else:
        size = f"{args.size_mb:g}"
        src = DATA / f"bench_{size}mb_seed{args.seed}.csv"
        gen_args = ["--size-mb", size]
    meta = Path(str(src) + ".meta.json")
    if not (src.exists() and meta.exists()):
        log(f"generating {src} ...")
        t0 = time.perf_counter()
        subprocess.run([sys.executable, str(BENCH / "gen_csv.py"), str(src), "--seed", str(args.seed)] + gen_args,
                       check=True, env=peer_env())
        log(f"generated in {time.perf_counter() - t0:.1f}s")
    return src, json.loads(meta.read_text())["rows"]


def count_rows(path: Path):
    """Data rows = newlines - header (valid when no field contains a line break)."""
    n = 0
    last = b"\n"
    with open(path, "rb") as f:
        while chunk := f.read(1 << 24):
            n += chunk.count(b"\n")
            last = chunk[-1:]
    if last != b"\n":
        n += 1
    return n - 1


def write_prefix(src: Path, dst: Path, rows: int):
    """Header + first `rows` data lines of src."""
    with open(src, "rb") as fi, open(dst, "wb") as fo:
        for i, line in enumerate(fi):
            if i > rows:
                break
            fo.write(line)


def busy_check(label):
    """Warn when other processes use the CPU (e.g. a cargo build): timings would be unreliable."""
    if psutil is None:
        return None
    busy = psutil.cpu_percent(interval=1.0)
    if busy > 15:
        me = os.getpid()
        hogs = []
        for p in psutil.process_iter(["pid", "name", "cpu_percent"]):
            if p.pid != me:
                try:
                    p.cpu_percent(None)
                except psutil.Error:
                    pass
        time.sleep(0.5)
        for p in psutil.process_iter(["pid", "name"]):
            try:
                c = p.cpu_percent(None)
            except psutil.Error:
                continue
            if c > 10 and p.pid != me:
                hogs.append(f"{p.info['name']}({p.pid}) {c:.0f}%")
        log(f"WARNING ({label}): machine is busy ({busy:.0f}% CPU in use by others: "
            f"{', '.join(hogs) or '?'}); timings are unreliable")
    return busy


def wait_idle(seconds):
    """Wait (at most `seconds`) until the CPU has been <15% busy for 3 consecutive seconds."""
    if psutil is None:
        return
    deadline = time.time() + seconds
    while time.time() < deadline:
        if psutil.cpu_percent(interval=3.0) <= 15:
            return


def warm_cache(path: Path):
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


# ----------------------------------------------------------------------------- report
def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def noisy(r):
    """Other processes used more than 10% of the machine's CPU capacity during this tool's run."""
    wall = r.raw.get("slice_wall_s", r.wall_s)
    return r.others_cpu_s is not None and wall and r.others_cpu_s > 0.10 * wall * (os.cpu_count() or 1)


def print_table(results, base, title):
    cols = ["tool", "status", "wall s", "CPU s", "peak RSS MB", "rows", "ratio", "event_date type", "created_at type",
            "out MB", "other CPU s"]
    ncpu = os.cpu_count() or 1
    rows = []
    for r in results:
        ratio = None
        if base is not None and r.wall_s is not None and r.status == "ok":
            ratio = r.wall_s / base
        name = r.tool + (" (extrapolated)" if r.extrapolated else "")
        rows.append([
            name, r.status, fmt(r.wall_s, ".2f"), fmt(r.cpu_s, ".1f"), fmt(r.peak_rss_mb, ".0f"),
            fmt(r.rows, ","), fmt(ratio, ".2f") + ("x" if ratio is not None else ""),
            r.date_type or "-", r.ts_type or "-", fmt(r.out_mb, ".0f"),
            fmt(r.others_cpu_s, ".1f") + (" !" if noisy(r) else ""),
        ])
    widths = [max(len(c), *(len(x[i]) for x in rows)) for i, c in enumerate(cols)]
    line = "+".join("-" * (w + 2) for w in widths)
    log()
    log(title)
    log(line)
    log("|".join(f" {c:<{w}} " if i == 0 else f" {c:>{w}} " for i, (c, w) in enumerate(zip(cols, widths))))
    log(line)
    for x in rows:
        log("|".join(f" {c:<{w}} " if i == 0 else f" {c:>{w}} " for i, (c, w) in enumerate(zip(x, widths))))
    log(line)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--size-mb", type=float, default=1024.0, help="generated CSV size in MiB (default 1024)")
    g.add_argument("--rows", type=int, help="generate exactly this many rows instead of --size-mb")
    g.add_argument("--input", help="benchmark an existing CSV instead of generating one")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--tools", default=",".join(ALL_TOOLS),
                    help=f"comma-separated subset of: {','.join(ALL_TOOLS)}")
    ap.add_argument("--skip-old", action="store_true", help="do not run pyforge-cli 1.0.9")
    ap.add_argument("--old-fraction", type=float, default=0.02,
                    help="fraction of rows given to pyforge-cli 1.0.9 (default 0.02); its time is extrapolated")
    ap.add_argument("--old-min-rows", type=int, default=100_000,
                    help="but at least this many rows (default 100000; its fixed costs distort tiny slices)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per tool; the fastest run is reported")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per tool run (default 3600)")
    ap.add_argument("--pyforge", default=os.environ.get("PYFORGE", str(REPO / "target" / "release" / "pyforge")),
                    help="PyForge binary (env PYFORGE; default target/release/pyforge)")
    ap.add_argument("--pyforge-args", default=os.environ.get("PYFORGE_ARGS", ""),
                    help="extra arguments appended to the PyForge command (env PYFORGE_ARGS)")
    ap.add_argument("--wait-idle", type=float, default=0,
                    help="wait up to this many seconds for the CPU to be idle (<15%%) before starting")
    ap.add_argument("--retry-noisy", type=int, default=0,
                    help="re-run a tool up to N times when other processes used >10%% of the CPU during its run")
    ap.add_argument("--keep-outputs", action="store_true", help="keep the parquet outputs in bench/data/out/")
    ap.add_argument("--json", default=str(DATA / "last_results.json"), help="where to write the results as JSON")
    args = ap.parse_args(argv)

    if psutil is None:
        log("warning: psutil not importable; peak RSS comes from /usr/bin/time only")
    if not os.path.exists(GNU_TIME):
        log(f"warning: {GNU_TIME} missing; peak RSS comes from psutil polling only (run csv_bench.sh to install it)")

    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = set(tools) - set(ALL_TOOLS)
    if unknown:
        ap.error(f"unknown tools: {sorted(unknown)}")
    if args.skip_old and "pyforge-cli-1.0.9" in tools:
        tools.remove("pyforge-cli-1.0.9")

    src, rows = ensure_data(args)
    size_mb = src.stat().st_size / 2**20
    outdir = DATA / "out"
    logdir = DATA / "logs"
    outdir.mkdir(parents=True, exist_ok=True)
    log(f"input: {src} ({size_mb:.1f} MiB, {rows:,} rows)")
    log(f"machine: {os.cpu_count()} cpus, python {sys.version.split()[0]}")
    warm_cache(src)
    if args.wait_idle > 0:
        wait_idle(args.wait_idle)
    busy_before = busy_check("before")

    py = str(VENV_PY) if VENV_PY.exists() else sys.executable
    peer_cmds = {
        "duckdb": [py, PEERS / "duckdb_peer.py"],
        "polars": [py, PEERS / "polars_peer.py"],
        "pyarrow": [py, PEERS / "pyarrow_peer.py"],
        "pandas": [py, PEERS / "pandas_peer.py"],
    }

    results: list[Result] = []

    def best_of(name, cmd_for, out, exp_rows, version=""):
        best = None
        for i in range(args.repeat):
            label = name if args.repeat == 1 else f"{name} (run {i + 1}/{args.repeat})"
            for attempt in range(args.retry_noisy + 1):
                r = run_tool(label, cmd_for(out), out, exp_rows, args.timeout, logdir, version)
                r.tool = name
                if r.status != "ok" or not noisy(r) or attempt == args.retry_noisy:
                    break
                log(f"    noisy run (other processes used {r.others_cpu_s:.1f} CPU s); "
                    f"waiting up to {max(args.wait_idle, 60):.0f}s for an idle CPU and retrying")
                wait_idle(max(args.wait_idle, 60))
            if r.status != "ok":
                return r
            if best is None or (noisy(best) and not noisy(r)) or \
                    (noisy(best) == noisy(r) and r.wall_s < best.wall_s):
                best = r
        return best

    for tool in tools:
        out = outdir / f"{tool}.parquet"
        if tool == "pyforge":
            exe = args.pyforge
            if not (os.path.isfile(exe) and os.access(exe, os.X_OK)):
                r = Result(tool="pyforge", status="MISSING", reason=f"binary not found: {exe} (build with cargo build --release)",
                           expected_rows=rows)
                log(f"--- pyforge: MISSING ({r.reason})")
                results.append(r)
                continue
            extra = args.pyforge_args.split()
            ver = ""
            try:
                ver = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
                ver = ver.removeprefix("pyforge ").strip()
            except Exception:  # noqa: BLE001
                pass
            results.append(best_of("pyforge", lambda o: [exe, "convert", src, o, "--force", *extra], out, rows, ver))
        elif tool in peer_cmds:
            results.append(best_of(tool, lambda o, t=tool: [*peer_cmds[t], src, o], out, rows))
        elif tool == "pyforge-cli-1.0.9":
            results.append(run_old(args, src, rows, outdir, logdir))

    busy_after = busy_check("after")
    base = next((r.wall_s for r in results if r.tool == "pyforge" and r.status == "ok"), None)
    title = (f"CSV -> Parquet: {src.name}, {size_mb:.0f} MiB, {rows:,} rows, "
             f"{os.cpu_count()} cpus; ratio = tool wall / PyForge wall"
             + ("" if base else " (PyForge missing/failed: no ratios)"))
    print_table(results, base, title)

    for r in results:
        if r.status == "ROWS-MISMATCH":
            log(f"!!! {r.tool}: ROW COUNT MISMATCH - {r.reason} !!!")
        elif r.status != "ok":
            log(f"{r.tool}: {r.status} - {r.reason}")
        if r.note:
            log(f"{r.tool}: {r.note}")
    noisy_tools = [r.tool for r in results if noisy(r)]
    if noisy_tools:
        log(f"WARNING: other processes used >10% of the CPU during: {', '.join(noisy_tools)} "
            f"(column 'other CPU s', marked !); those timings are unreliable")
    for label, b in (("before", busy_before), ("after", busy_after)):
        if b is not None and b > 15:
            log(f"WARNING: CPU was {b:.0f}% busy with other work {label} the runs; re-run on an idle machine")
    vers = ", ".join(f"{r.tool} {r.version}" for r in results if r.version)
    if vers:
        log(f"versions: {vers}")

    pf = next((r for r in results if r.tool == "pyforge"), None)
    duck = next((r for r in results if r.tool == "duckdb"), None)
    if pf is not None:
        log()
        if pf.status == "ok":
            log(f"PyForge schema:\n  " + pf.raw.get("schema", "").replace("\n", "\n  "))
            typed = pf.date_type == "date32[day]"
            log(f"PyForge {DATE_COL} typed as date32: {'YES' if typed else 'NO'} ({pf.date_type}); "
                f"{TS_COL}: {pf.ts_type}")
            log("target: CSV->Parquet with typed dates faster than DuckDB at under 400 MB RSS")
            if duck is not None and duck.status == "ok":
                log(f"  faster than DuckDB: {'YES' if pf.wall_s < duck.wall_s else 'NO'} "
                    f"({pf.wall_s:.2f}s vs {duck.wall_s:.2f}s)")
            else:
                log("  faster than DuckDB: n/a (DuckDB did not run)")
            log(f"  peak RSS < 400 MB: {'YES' if pf.peak_rss_mb < 400 else 'NO'} ({pf.peak_rss_mb:.0f} MB)")
            log(f"  typed dates (date32): {'YES' if typed else 'NO'}")
        else:
            log(f"PyForge {pf.status}: {pf.reason}")

    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"input": str(src), "size_mib": size_mb, "rows": rows,
                   "time": time.strftime("%Y-%m-%dT%H:%M:%S"), "cpu_busy_before_pct": busy_before,
                   "cpu_busy_after_pct": busy_after, "results": [asdict(r) for r in results]},
                  f, indent=1, default=str)
    log(f"results written to {args.json}; logs in {logdir}")
    if not args.keep_outputs:
        shutil.rmtree(outdir, ignore_errors=True)
    return 0


def run_old(args, src: Path, rows: int, outdir: Path, logdir: Path) -> Result:
    """pyforge-cli 1.0.9 (Python 3.10 venv) on a prefix of the file; time extrapolated to all rows."""
    name = "pyforge-cli-1.0.9"
    exe = OLD_VENV / "bin" / "pyforge"
    if not exe.exists():
        r = Result(tool=name, status="FAILED", reason=f"{exe} missing (csv_bench.sh creates it with Python 3.10)",
                   expected_rows=rows)
        log(f"--- {name}: FAILED ({r.reason})")
        return r
    slice_rows = min(rows, max(args.old_min_rows, int(round(rows * args.old_fraction))))
    slice_csv = src if slice_rows == rows else DATA / f"{src.stem}.first{slice_rows}.csv"
    if not slice_csv.exists():
        write_prefix(src, slice_csv, slice_rows)
    tiny_csv = DATA / f"{src.stem}.first10.csv"
    if not tiny_csv.exists():
        write_prefix(src, tiny_csv, 10)
    version = "1.0.9"

    def cmd(i, o):
        return [exe, "convert", i, o, "--format", "parquet", "--force"]

    # fixed start-up cost (imports of pandas, pymupdf, jpype ...), measured on a 10-row file
    tiny_out = outdir / f"{name}.tiny.parquet"
    def run_retrying(label, c, o, n):
        for attempt in range(args.retry_noisy + 1):
            res = run_tool(label, c, o, n, args.timeout, logdir, version)
            if res.status != "ok" or not noisy(res) or attempt == args.retry_noisy:
                return res
            log(f"    noisy run; waiting up to {max(args.wait_idle, 60):.0f}s for an idle CPU and retrying")
            wait_idle(max(args.wait_idle, 60))

    startup = run_retrying(f"{name} (10-row startup probe)", cmd(tiny_csv, tiny_out), tiny_out, 10)
    out = outdir / f"{name}.parquet"
    r = run_retrying(f"{name} (raw, {slice_rows:,} rows)", cmd(slice_csv, out), out, slice_rows)
    r.tool = name
    if r.status != "ok" or slice_rows == rows:
        if r.status == "ok":
            r.note = "ran on the full file (no extrapolation)"
        return r
    scale = rows / slice_rows
    raw_wall, raw_cpu = r.wall_s, r.cpu_s
    fixed = startup.wall_s if startup.status == "ok" and startup.wall_s < raw_wall else 0.0
    fixed_cpu = startup.cpu_s if startup.status == "ok" and startup.cpu_s is not None and raw_cpu is not None \
        and startup.cpu_s < raw_cpu else 0.0
    naive = raw_wall * scale
    r.raw.update({"slice_rows": slice_rows, "slice_wall_s": raw_wall, "slice_cpu_s": raw_cpu,
                  "slice_peak_rss_mb": r.peak_rss_mb, "startup_wall_s": fixed, "naive_extrapolated_wall_s": naive})
    r.extrapolated = True
    r.wall_s = fixed + (raw_wall - fixed) * scale
    if raw_cpu is not None:
        r.cpu_s = fixed_cpu + (raw_cpu - fixed_cpu) * scale
    r.rows = rows  # extrapolated row; real verified count is in the note
    r.out_mb = r.out_mb * scale if r.out_mb is not None else None
    r.note = (f"EXTRAPOLATED from a {slice_rows:,}-row prefix ({slice_rows / rows:.1%}, {slice_csv.name}): "
              f"raw {raw_wall:.2f}s wall, {fmt(raw_cpu, '.1f')}s CPU, peak RSS {r.peak_rss_mb:.0f} MB (RSS NOT scaled; "
              f"it reads the whole file into pandas, so the full file would need far more), "
              f"{slice_rows:,}/{slice_rows:,} rows verified; startup {fixed:.2f}s; "
              f"wall = startup + (raw - startup) x {scale:.1f} = {r.wall_s:.1f}s (naive raw x {scale:.1f} = {naive:.1f}s)")
    return r


if __name__ == "__main__":
    sys.exit(main())
