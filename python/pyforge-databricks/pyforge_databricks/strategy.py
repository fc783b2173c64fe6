"""``convert(strategy=...)``: the Rust converter here, or the same converter inside Spark.

``strategy="spark"`` does not configure Spark's own CSV or JSON reader (it cannot express every
dialect PyForge reads: cp1252 with a decimal comma, doubled quotes across lines, ...). It reads
the input with PyForge's reader inside a Spark task (the ``pyforge`` data source, Arrow batches
handed over without conversion) and writes with Spark's writer, so the values are the native
converter's by construction; only types Spark lacks are widened without loss (``arrow_spark``).
Spark writes a folder of part files. Where Spark cannot do what was asked (several tables,
an output format or option Spark has no writer for, a Volume path not mounted here) the native
converter runs instead; the result's ``strategy`` says which ran and ``strategy_reason`` why.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from pyforge_core import OutputExistsError, PyForgeCore, UsageError

log = logging.getLogger("pyforge_databricks")

STRATEGIES = ("pyforge", "spark", "auto")
# Options Spark's writer carries out itself; every other option is a read option of the
# converter (passed to the data source) or, if it is not one, a reason to run natively.
_WRITE_OPTIONS = {"format", "compression", "partition_by", "force", "tables"}
_SPARK_FORMATS = ("parquet", "csv", "jsonl")
_NATIVE_ONLY = {"all_strings", "row_group_size", "exclude_tables", "output_dir", "output_stem", "page_markers", "combine", "fail_fast", "recursive"}


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def choose_strategy(strategy: str, input_path, spark: Any, threshold: int) -> tuple[str, str]:
    """``(strategy, reason)``: ``pyforge`` or ``spark`` for this input and why."""
    if strategy not in STRATEGIES:
        raise UsageError(f"strategy must be one of {', '.join(STRATEGIES)}, not {strategy!r}")
    if strategy == "pyforge":
        return "pyforge", "asked for"
    if strategy == "spark":
        if spark is None:
            raise UsageError("strategy='spark' needs a SparkSession (PyForgeDatabricks(spark=spark))")
        return "spark", "asked for"
    if spark is None:
        return "pyforge", "auto: no SparkSession"
    size = _size(os.fspath(input_path))
    if size < threshold:
        return "pyforge", f"auto: {size} bytes is below spark_threshold_bytes={threshold}"
    return "spark", f"auto: {size} bytes reaches spark_threshold_bytes={threshold}"


def _not_in_spark(path: str, options: dict, core: PyForgeCore) -> tuple[str | None, str | None]:
    """``(reason, table)``: why Spark cannot carry this conversion (``None``: it can), and the
    one table to read."""
    fmt = options.get("format", "parquet")
    if fmt not in _SPARK_FORMATS:
        return f"Spark has no {fmt} writer", None
    used = sorted(k for k, v in options.items() if k in _NATIVE_ONLY and v not in (None, False, [], ()))
    if used:
        return f"the option {', '.join(used)} is the native converter's only", None
    if "://" in path or path.startswith("dbfs:") or (path.startswith("/Volumes/") and not os.path.exists(path)):
        return "the input is not a local or mounted file the executors can read", None
    if any(isinstance(v, (list, tuple, set)) for k, v in options.items() if k not in _WRITE_OPTIONS):
        return "a list-valued read option cannot be passed as a Spark option", None
    wanted = options.get("tables") or []
    if len(wanted) > 1:
        return f"{len(wanted)} tables asked for: the spark strategy writes one table", None
    if wanted:
        table = wanted[0]
    else:
        tables = core.info(path, **_read_options(options))["tables"]
        if len(tables) != 1:
            return f"the input has {len(tables)} tables: the spark strategy writes one (choose it with tables=[name])", None
        table = tables[0]["name"]
    reader = core.read_batches(path, table, **_read_options(options))
    names = reader.schema.names
    reader.close()
    if any("\x00" in n for n in names):
        return "a column name holds a NUL character, which Spark's Arrow exchange refuses", None
    # Spark resolves column names case-insensitively: `Id` and `ID` cannot both be written.
    if len({n.lower() for n in names}) != len(names):
        return "the table has column names that differ only in case, which Spark cannot write", None
    return None, table


def _read_options(options: dict) -> dict:
    return {k: v for k, v in options.items() if k not in _WRITE_OPTIONS and v not in (None, False)}


def _default_output(path: str, fmt: str) -> str:
    from pyforge_core import output_stems

    return os.path.join(os.path.dirname(path), output_stems([path])[0] + "." + fmt)


def spark_convert(spark: Any, core: PyForgeCore, input_path, output_path, options: dict, reason: str) -> dict:
    """Convert with PyForge's reader in a Spark task and Spark's writer (see the module), or
    natively with the reason recorded when Spark cannot."""
    path = os.fspath(input_path)
    why_not, table = _not_in_spark(path, options, core)
    if why_not:
        log.warning("pyforge: %s: the native converter runs instead of Spark: %s", path, why_not)
        result = core.convert(path, output_path, **options)
        result.update(strategy="pyforge", strategy_reason=f"spark fallback: {why_not}")
        return result
    fmt = options.get("format", "parquet")
    output = os.fspath(output_path) if output_path is not None else _default_output(path, fmt)
    if os.path.exists(output) and not options.get("force"):
        raise OutputExistsError(f"{output}: output already exists (pass force=True to overwrite)")
    df = _read_in_spark(spark, path, table, _read_options(options))
    _write_micros(spark, df, output, fmt, options)
    # Parquet is counted as written; the text formats by the DataFrame (read once more).
    rows = spark.read.parquet(output).count() if fmt == "parquet" else df.count()
    columns = [{"name": n, "type": t} for n, t in df.dtypes]
    tables = [{"name": table, "output": output, "rows": rows, "columns": columns, "input": path}]
    return {
        "input": path,
        "output": output,
        "format": fmt,
        "rows": rows,
        "tables": tables,
        "files": [{"input": path, "status": "ok", "output": output, "rows": rows}],
        "ok": 1,
        "failed": 0,
        "skipped": 0,
        "strategy": "spark",
        "strategy_reason": reason,
    }


def _read_in_spark(spark: Any, path: str, table: str, read_options: dict):
    from .spark import register

    register(spark)
    reader = spark.read.format("pyforge").option("table", table)
    for k, v in read_options.items():
        reader = reader.option(k, v)
    return reader.load(path)


_TS_CONF = "spark.sql.parquet.outputTimestampType"


def _write_micros(spark: Any, df: Any, output: str, fmt: str, options: dict) -> None:
    """Write with timestamps as UTC-adjusted microseconds (PyForge's instants, read back with
    their time zone) instead of Spark's default INT96; the session's setting is restored."""
    before = spark.conf.get(_TS_CONF, None)
    spark.conf.set(_TS_CONF, "TIMESTAMP_MICROS")
    try:
        _write(df, output, fmt, options)
    finally:
        if before is None:
            spark.conf.unset(_TS_CONF)
        else:
            spark.conf.set(_TS_CONF, before)


def _write(df: Any, output: str, fmt: str, options: dict) -> None:
    # "error" (not "errorifexists"): the spelling Spark Connect accepts too.
    writer = df.write.mode("overwrite" if options.get("force") else "error")
    if options.get("partition_by"):
        writer = writer.partitionBy(*options["partition_by"])
    if options.get("compression"):
        writer = writer.option("compression", options["compression"])
    if fmt == "parquet":
        writer.parquet(output)
    elif fmt == "csv":
        writer.option("header", True).csv(output)
    else:
        writer.json(output)
