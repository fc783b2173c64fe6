"""Many files at once: over Spark executors (``mapInArrow``) or over local threads.

Each file is converted by the Rust converter where it runs (an executor, or this process) into
``output_dir``; every file yields one result row, so a failure is reported, never lost.
"""

from __future__ import annotations

import glob
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterable

RESULT_FIELDS = ("input", "status", "output", "rows", "tables", "error")
RESULT_DDL = "input string, status string, output string, rows long, tables int, error string"


def expand_paths(input_paths: Iterable[str | os.PathLike] | str | os.PathLike) -> list[str]:
    """Paths as strings; local globs (``/Volumes/.../*.mdb`` where mounted) expanded, sorted.
    A glob that matches nothing is an error (a typo must not look like an empty success)."""
    if isinstance(input_paths, (str, os.PathLike)):
        input_paths = [input_paths]
    out: list[str] = []
    for p in input_paths:
        s = os.fspath(p)
        if any(c in s for c in "*?[") and "://" not in s and not s.startswith("dbfs:"):
            matches = sorted(glob.glob(s))
            if not matches:
                from pyforge_core import InputNotFoundError

                raise InputNotFoundError(f"{s}: no file matches")
            out.extend(matches)
        else:
            out.append(s)
    return out


def convert_one(core: Any, path: str, output_dir: str, options: dict, stem: str | None = None) -> dict:
    """Convert ``path`` into ``output_dir`` under the batch name ``stem``; a result row
    whatever happens. An input without rows (a CSV header only) is a result with 0 rows."""
    from pyforge_core import PyForgeError

    try:
        r = core.convert(path, output_dir=output_dir, output_stem=stem, **options)
        return {"input": path, "status": "ok", "output": r["output"], "rows": r["rows"], "tables": len(r["tables"]), "error": None}
    except PyForgeError as e:
        return {"input": path, "status": "failed", "output": None, "rows": None, "tables": None, "error": f"{type(e).__name__}: {e}"}


def _ensure_dir(output_dir: str) -> None:
    if "://" in output_dir or output_dir.startswith("dbfs:"):
        return  # a remote folder: the converter creates it
    os.makedirs(output_dir, exist_ok=True)


def _plan(input_paths, output_dir) -> tuple[list[str], str, list[str]]:
    """Paths, the output folder, and each path's output name (one rule for every caller:
    ``pyforge_core.output_stems``, so ``sales.csv`` and ``sales.parquet`` never collide)."""
    from pyforge_core import output_stems

    paths = expand_paths(input_paths)
    output_dir = os.fspath(output_dir)
    _ensure_dir(output_dir)
    stems = output_stems(paths, output_dir)
    # A remote glob left unexpanded is a batch of its own: the converter names its files.
    stems = [None if any(c in p for c in "*?[") else s for p, s in zip(paths, stems)]
    return paths, output_dir, stems


def convert_many(input_paths, output_dir, spark, options: dict, host: str | None, token: str | None) -> list[dict]:
    """See ``PyForgeDatabricks.convert_many``: runs now, returns the computed rows."""
    if spark is not None:
        paths = expand_paths(input_paths)
        rows = [r.asDict() for r in convert_many_lazy(paths, output_dir, spark, options, host, token).collect()]
        order = {p: i for i, p in enumerate(paths)}
        return sorted(rows, key=lambda r: order.get(r["input"], len(order)))
    from pyforge_core import PyForgeCore

    paths, output_dir, stems = _plan(input_paths, output_dir)
    core = PyForgeCore(host=host, token=token)
    # The converter releases the GIL, so threads run files in parallel.
    with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
        return list(pool.map(lambda ps: convert_one(core, ps[0], output_dir, options, ps[1]), zip(paths, stems)))


def convert_many_lazy(input_paths, output_dir, spark, options: dict, host: str | None, token: str | None):
    """See ``PyForgeDatabricks.convert_many_lazy``: a DataFrame that converts when an action
    (``collect``, ``write``, ``count``) runs it; nothing is written before."""
    paths, output_dir, stems = _plan(input_paths, output_dir)
    if not paths:
        return spark.createDataFrame([], RESULT_DDL)
    # One path per partition, so files spread over the executors' task slots.
    df = spark.createDataFrame(list(zip(paths, stems)), "input string, stem string").repartition(len(paths))

    def run(batches):
        import pyarrow as pa
        from pyforge_core import PyForgeCore

        core = PyForgeCore(host=host, token=token)
        schema = pa.schema(
            [("input", pa.string()), ("status", pa.string()), ("output", pa.string()), ("rows", pa.int64()), ("tables", pa.int32()), ("error", pa.string())]
        )
        for batch in batches:
            pairs = zip(batch.column("input").to_pylist(), batch.column("stem").to_pylist())
            rows = [convert_one(core, p, output_dir, options, stem) for p, stem in pairs]
            yield pa.RecordBatch.from_pylist(rows, schema=schema)

    return df.mapInArrow(run, RESULT_DDL)
