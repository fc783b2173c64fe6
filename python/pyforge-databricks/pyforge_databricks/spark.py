"""The ``pyforge`` Spark data source (Spark 4 / Databricks Runtime 15.4+ Python data sources).

>>> import pyforge_databricks.spark
>>> pyforge_databricks.spark.register(spark)                                      # doctest: +SKIP
>>> df = (spark.read.format("pyforge").option("table", "Orders")
...       .load("/Volumes/main/raw/files/*.mdb"))                                  # doctest: +SKIP

Every matching file is one partition, read by the Rust converter on an executor and handed to
Spark as Arrow batches. The schema is the first file's (types Spark lacks are widened without
loss, see ``arrow_spark``); a file whose table has other columns or types is a clear error
naming that file. Options other than ``path``/``paths``/``table`` are the converter's read
options (``encoding``, ``delimiter``, ``password``, ``record_path``, ``header_row``, ...).
"""

from __future__ import annotations

import json
from typing import Any, Iterator

from pyspark.sql.datasource import DataSource, DataSourceReader, InputPartition

from .arrow_spark import spark_schema, to_spark_batch, to_struct_type
from .distributed import expand_paths

_RESERVED = {"path", "paths", "table"}


def _paths(options: dict) -> list[str]:
    raw = options.get("paths")
    if raw:
        listed = json.loads(raw) if raw.lstrip().startswith("[") else [raw]
    elif options.get("path"):
        listed = [options["path"]]
    else:
        raise ValueError("pyforge data source: give the input with load(path) or load([paths])")
    return expand_paths(listed)


def _read_options(options: dict) -> dict:
    """The converter's read options from Spark's (all text): ``"true"`` sets a flag such as
    ``allow_ragged``, ``"false"`` leaves it unset."""
    out: dict = {}
    for k, v in options.items():
        k = k.lower()
        if k in _RESERVED or (isinstance(v, str) and v.lower() == "false"):
            continue
        out[k] = True if isinstance(v, str) and v.lower() == "true" else v
    return out


class FilePartition(InputPartition):
    """One input file."""

    def __init__(self, index: int, path: str):
        super().__init__(index)
        self.path = path


class PyForgeDataSource(DataSource):
    """``spark.read.format("pyforge")``."""

    @classmethod
    def name(cls) -> str:
        return "pyforge"

    def __init__(self, options: dict):
        super().__init__(options)
        self.options = {k.lower(): v for k, v in dict(options).items()}
        self._files = _paths(self.options)
        self._arrow = None

    def _arrow_schema(self):
        if self._arrow is None:
            from pyforge_core import read_batches

            reader = read_batches(self._files[0], self.options.get("table"), **_read_options(self.options))
            self._arrow = spark_schema(reader.schema)
            reader.close()
        return self._arrow

    def schema(self):
        return to_struct_type(self._arrow_schema())

    def reader(self, schema) -> "PyForgeReader":
        return PyForgeReader(self._files, self.options, self._arrow_schema())


class PyForgeReader(DataSourceReader):
    """Reads one file per partition."""

    def __init__(self, files: list[str], options: dict, arrow_schema):
        self.files = files
        self.options = options
        self.arrow_schema = arrow_schema

    def partitions(self) -> list[FilePartition]:
        return [FilePartition(i, p) for i, p in enumerate(self.files)]

    def read(self, partition: FilePartition) -> Iterator[Any]:
        from pyforge_core import read_batches

        table = self.options.get("table")
        reader = read_batches(partition.path, table, **_read_options(self.options))
        got = spark_schema(reader.schema)
        if not got.equals(self.arrow_schema):
            reader.close()
            expected = ", ".join(f"{f.name} {f.type}" for f in self.arrow_schema)
            found = ", ".join(f"{f.name} {f.type}" for f in got)
            what = f"table {table!r} of " if table else ""
            raise ValueError(
                f"pyforge data source: {what}{partition.path} does not match the schema of {self.files[0]}: expected ({expected}), found ({found})"
            )
        for batch in reader:
            yield to_spark_batch(batch, self.arrow_schema)


def register(spark) -> None:
    """Make ``spark.read.format("pyforge")`` available in this session."""
    spark.dataSource.register(PyForgeDataSource)
