"""``convert(strategy=...)``: the Rust converter, or Spark's own reader and writer.

For large splittable inputs (CSV, JSON Lines, Parquet) Spark can read and write in parallel
across the cluster (the original design's "native" strategy). The column types still come from
PyForge (its reader infers them from the file) and Spark parses with that schema in FAILFAST
mode, so the values written are the same as the Rust converter's, and a value Spark would parse
differently is an error instead of a silent null. Spark writes a folder of part files.
"""

from __future__ import annotations

import os
from typing import Any

from pyforge_core import PyForgeCore, UsageError

from .arrow_spark import spark_schema, to_struct_type

SPARK_INPUTS = {".csv": "csv", ".tsv": "csv", ".jsonl": "json", ".ndjson": "json", ".parquet": "parquet"}
STRATEGIES = ("pyforge", "spark", "auto")


def _kind(path: str) -> str | None:
    return SPARK_INPUTS.get(os.path.splitext(path.lower())[1])


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def choose_strategy(strategy: str, input_path, spark: Any, threshold: int) -> str:
    """``pyforge`` or ``spark`` for this input; ``spark`` without a session is a usage error."""
    if strategy not in STRATEGIES:
        raise UsageError(f"strategy must be one of {', '.join(STRATEGIES)}, not {strategy!r}")
    path = os.fspath(input_path)
    if strategy == "pyforge":
        return "pyforge"
    if strategy == "spark":
        if spark is None:
            raise UsageError("strategy='spark' needs a SparkSession (PyForgeDatabricks(spark=spark))")
        if _kind(path) is None:
            raise UsageError(f"{path}: strategy='spark' reads CSV, TSV, JSON Lines and Parquet only; use strategy='pyforge'")
        return "spark"
    return "spark" if spark is not None and _kind(path) and _size(path) >= threshold else "pyforge"


# Options the Spark strategy understands; anything else is refused rather than ignored.
_SPARK_OPTIONS = {"format", "compression", "partition_by", "force", "delimiter", "encoding"}


def spark_convert(spark: Any, core: PyForgeCore, input_path, output_path, options: dict) -> dict:
    """Convert with Spark; returns a result dict shaped like the Rust converter's."""
    path = os.fspath(input_path)
    unknown = sorted(set(k for k, v in options.items() if v not in (None, False)) - _SPARK_OPTIONS)
    if unknown:
        raise UsageError(f"strategy='spark' does not support the options {', '.join(unknown)}; use strategy='pyforge'")
    fmt = options.get("format", "parquet")
    if fmt not in ("parquet", "csv", "jsonl"):
        raise UsageError(f"strategy='spark' writes parquet, csv or jsonl, not {fmt!r}")
    if output_path is None:
        output_path = os.path.splitext(path)[0] + "." + fmt
    output_path = os.fspath(output_path)
    if os.path.exists(output_path) and not options.get("force"):
        from pyforge_core import OutputExistsError

        raise OutputExistsError(f"{output_path}: output already exists (use force=True to overwrite)")

    kind = _kind(path)
    read_opts = {k: options[k] for k in ("delimiter", "encoding") if options.get(k)}
    arrow = spark_schema(core.read_batches(path, **read_opts).schema)
    struct = to_struct_type(arrow)
    reader = spark.read.schema(struct).option("mode", "FAILFAST")
    if kind == "csv":
        sep = read_opts.get("delimiter") or ("\t" if path.lower().endswith(".tsv") else ",")
        df = (
            reader.option("header", True)
            .option("sep", sep)
            .option("encoding", read_opts.get("encoding", "UTF-8"))
            .option("dateFormat", "yyyy-MM-dd")
            .csv(path)
        )
    elif kind == "json":
        df = reader.json(path)
    else:
        df = spark.read.parquet(path)
    writer = df.write.mode("overwrite" if options.get("force") else "errorifexists")
    if options.get("partition_by"):
        writer = writer.partitionBy(*options["partition_by"])
    if options.get("compression"):
        writer = writer.option("compression", options["compression"])
    if fmt == "parquet":
        writer.parquet(output_path)
    elif fmt == "csv":
        writer.option("header", True).csv(output_path)
    else:
        writer.json(output_path)
    rows = spark.read.parquet(output_path).count() if fmt == "parquet" else df.count()
    name = os.path.splitext(os.path.basename(path))[0]
    table = {"name": name, "output": output_path, "rows": rows, "columns": [{"name": f.name, "type": str(f.type)} for f in arrow], "input": path}
    return {
        "input": path,
        "output": output_path,
        "format": fmt,
        "rows": rows,
        "tables": [table],
        "files": [{"input": path, "status": "ok", "output": output_path, "rows": rows}],
        "ok": 1,
        "failed": 0,
        "skipped": 0,
    }
