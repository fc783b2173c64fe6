"""PyForge on Databricks.

>>> from pyforge_databricks import PyForgeDatabricks
>>> forge = PyForgeDatabricks()                                         # doctest: +SKIP
>>> forge.convert("/Volumes/main/raw/files/shop.mdb")                   # doctest: +SKIP
{'input': '/Volumes/main/raw/files/shop.mdb', 'output': '/Volumes/main/raw/files/shop', ...}
>>> PyForgeDatabricks(spark=spark).convert("/Volumes/main/raw/files/shop.mdb",
...                                        table_prefix="main.shop.")   # doctest: +SKIP
{'input': ..., 'tables': [{'name': 'Orders', 'table': '`main`.`shop`.`Orders`', 'rows': 830, ...}],
 'comments': [...], 'constraints': [...], ...}
>>> forge.convert_many(paths, "/Volumes/main/raw/out", spark=spark)     # doctest: +SKIP
[{'input': '/Volumes/main/raw/files/a.mdb', 'status': 'ok', 'output': ..., 'rows': 830, ...}, ...]
>>> forge.env.is_serverless, forge.env.environment_version             # doctest: +SKIP
(True, 2)
>>> forge.volume_handler.read_file("/Volumes/main/raw/files/a.csv")     # doctest: +SKIP
b'id,name\n...'

Volume paths (``/Volumes/...``, ``dbfs:/Volumes/...``, ``/dbfs/Volumes/...``) are read and
written in place where ``/Volumes`` is mounted (clusters, serverless) and through the Files API
elsewhere; with a ``WorkspaceClient`` its host and credentials are used for that.
"""

from __future__ import annotations

import os
from typing import Any, Iterable, Mapping

from pyforge_core import OutputExistsError, PyForgeCore, PyForgeError, UsageError

from .distributed import convert_many as _convert_many
from .distributed import convert_many_lazy as _convert_many_lazy
from .environment import Environment, detect
from .options import core_options
from .strategy import _WRITE_OPTIONS, choose_strategy, spark_convert
from .tables import write_tables
from .volumes import VolumeHandler

__all__ = ["PyForgeDatabricks", "PyForgeError", "UsageError", "OutputExistsError", "Environment", "VolumeHandler", "core_options"]
__version__ = "0.1.0"


def _workspace_credentials(workspace_client: Any) -> tuple[str | None, str | None]:
    """Host and bearer token of a ``databricks.sdk.WorkspaceClient`` (notebook context, PAT,
    OAuth: whatever the SDK resolved), for the Files API calls made by the Rust client."""
    if workspace_client is None:
        return None, None
    config = workspace_client.config
    headers = config.authenticate() or {}
    auth = headers.get("Authorization") or headers.get("authorization") or ""
    if not auth.startswith("Bearer "):
        raise UsageError("the WorkspaceClient's credentials are not a bearer token; pyforge needs a token-based authentication")
    return config.host, auth[len("Bearer "):]


class PyForgeDatabricks:
    """Conversions on Databricks.

    ``workspace_client``: a ``databricks.sdk.WorkspaceClient`` whose credentials reach Volume
    paths that are not mounted here (else the ``DATABRICKS_*`` variables and
    ``~/.databrickscfg`` apply). ``spark``: a ``SparkSession`` for ``convert_many`` and for the
    ``spark`` strategy of ``convert``.
    """

    def __init__(self, workspace_client: Any = None, spark: Any = None):
        self.workspace_client = workspace_client
        self.spark = spark

    def _core(self) -> PyForgeCore:
        host, token = _workspace_credentials(self.workspace_client)
        return PyForgeCore(host=host, token=token)

    @property
    def env(self) -> Environment:
        """Where this runs: attributes ``is_databricks``, ``is_serverless``,
        ``environment_version`` (serverless), ``runtime_version``, ``volumes_mounted``,
        ``is_spark_connect``; as a dict the ``pyforge env-info --json`` document
        (``databricks``, ``compute``, ``serverless_env_version``, ``runtime_version``,
        ``python``, ``volumes_mounted``, ``auth`` (never a secret), ``spark``)."""
        return detect(self.spark)

    @property
    def volume_handler(self) -> VolumeHandler:
        """Volume files as bytes (``read_file``, ``write_file``, ``list_files``,
        ``file_exists``, ``get_volume_info``) with this object's credentials."""
        host, token = _workspace_credentials(self.workspace_client)
        return VolumeHandler(host, token)

    def convert(
        self,
        input_path: str | os.PathLike,
        output_path: str | os.PathLike | None = None,
        output_format: str = "parquet",
        *,
        strategy: str = "pyforge",
        format_options: Mapping[str, Any] | None = None,
        excel_options: Mapping[str, Any] | None = None,
        table_prefix: str | None = None,
        mode: str | None = None,
        **options: Any,
    ) -> dict:
        """Convert one file (or a folder or glob), as ``pyforge convert``; with
        ``table_prefix``, every table of a database into the Spark catalog (see below).

        Without ``output_path`` the output goes beside the input. ``strategy``: ``"pyforge"``
        (the Rust converter here, every format), ``"spark"`` (the same reader inside a Spark
        task and Spark's writer: the same values, a folder of part files; it falls back to
        the Rust converter, with a log line, where Spark cannot: several tables, an output
        format other than parquet, csv or jsonl, a native-only option, a Volume path not
        mounted here) or ``"auto"`` (``spark`` for inputs of at least
        ``spark_threshold_bytes``, default 1 GiB, when a Spark session is at hand).
        Returns the result dict of ``pyforge_core.PyForgeCore.convert`` with ``strategy``
        (what ran) and ``strategy_reason`` (why).

        **Into tables** (``table_prefix="catalog.schema."``, needs the SparkSession given to
        the constructor): each table of the input (an Access database: its user tables; an
        Excel workbook: its sheets; ``tables=[...]`` chooses some) becomes the managed table
        ``catalog.schema.<table>`` (``table_prefix="main.raw.shop_"`` names them
        ``shop_<table>``; ``""`` uses the current schema), written by ``saveAsTable`` in the
        session's default table format (Delta on Databricks; Parquet in open-source Spark).
        The rows are read by PyForge's reader inside Spark tasks (the ``pyforge`` data
        source), so they are the values of a native convert, types Spark lacks widened without
        loss; the input must be a file the executors can open (``/Volumes/...`` on Databricks,
        or local). Access descriptions become table and column comments; the primary keys,
        required columns and enforced relationships become NOT NULL, PRIMARY KEY and FOREIGN
        KEY constraints where the catalog has them (Unity Catalog); elsewhere they are
        reported as skipped with the catalog's answer. An existing table is refused
        (``OutputExistsError``, before anything is written) unless ``mode="overwrite"``.
        Other keyword options are read options (``password=...``). Returns the report::

            {"input", "format", "table_prefix", "mode", "rows",
             "tables": [{"name", "table", "rows", "columns", "format"}],
             "comments": [{"table", "column" (None: the table's), "comment", "sql",
                           "status" ("applied" or "failed"), "reason"}],
             "constraints": [{"table", "kind" ("not_null", "primary_key", "foreign_key"),
                              "name", "columns", "references" ({"table", "columns"} or None),
                              "sql", "status" ("added", "skipped" or "failed"), "reason"}]}
        """
        if table_prefix is not None:
            return self._to_tables(input_path, output_path, output_format, table_prefix, mode, format_options, excel_options, options)
        if mode is not None:
            raise UsageError('mode= applies to tables written with table_prefix=...; for files pass force=True to overwrite')
        threshold = int(options.pop("spark_threshold_bytes", 1 << 30))
        opts = core_options(options, format_options, excel_options)
        opts.setdefault("format", output_format)
        chosen, reason = choose_strategy(strategy, input_path, self.spark, threshold)
        if chosen == "spark":
            return spark_convert(self.spark, self._core(), input_path, output_path, opts, reason)
        result = self._core().convert(input_path, output_path, **opts)
        result.update(strategy="pyforge", strategy_reason=reason)
        return result

    def _to_tables(self, input_path, output_path, output_format, table_prefix, mode, format_options, excel_options, options) -> dict:
        if output_path is not None or output_format != "parquet":
            raise UsageError("table_prefix writes tables in the catalog's format, not files: leave output_path and output_format out")
        opts = core_options(options, format_options, excel_options)
        if opts.get("force"):
            raise UsageError('table_prefix replaces existing tables with mode="overwrite", not force=True')
        tables = opts.pop("tables", None)
        writing = sorted(k for k in opts if k in _WRITE_OPTIONS and k != "format")
        if writing or opts.pop("format", "parquet") != "parquet":
            raise UsageError(f"table_prefix writes in the catalog's table format; the file options {', '.join(writing) or 'format'} do not apply")
        read_options = {k: v for k, v in opts.items() if v not in (None, False)}
        return write_tables(
            self.spark, self._core(), input_path, table_prefix, mode=mode or "error", tables=tables, read_options=read_options
        )

    def convert_many(
        self,
        input_paths: Iterable[str | os.PathLike] | str,
        output_dir: str | os.PathLike,
        spark: Any = None,
        *,
        format_options: Mapping[str, Any] | None = None,
        excel_options: Mapping[str, Any] | None = None,
        **options: Any,
    ):
        """Convert many files into ``output_dir`` now; returns one dict per input, in input
        order: ``{"input", "status" ("ok" or "failed"), "output", "rows", "tables", "error"}``.

        With a Spark session (``spark`` here or given to the constructor) the files are spread
        over the executors (``mapInArrow``; works on Spark Connect and serverless), else they
        run on local threads. A failed file is a row with its error, never dropped; an input
        without rows (a CSV header only) is ``ok`` with 0 rows. Output names follow the
        command's rule (``pyforge_core.output_stems``): ``sales.csv`` and ``sales.parquet``
        become ``sales_csv.parquet`` and ``sales_parquet.parquet``.
        """
        opts = core_options(options, format_options, excel_options)
        host, token = _workspace_credentials(self.workspace_client)
        return _convert_many(input_paths, output_dir, spark or self.spark, opts, host, token)

    def convert_many_lazy(
        self,
        input_paths: Iterable[str | os.PathLike] | str,
        output_dir: str | os.PathLike,
        spark: Any = None,
        *,
        format_options: Mapping[str, Any] | None = None,
        excel_options: Mapping[str, Any] | None = None,
        **options: Any,
    ):
        """:meth:`convert_many` as a Spark DataFrame that has not run yet: nothing is converted
        until an action (``collect()``, ``count()``, a write) runs it. Needs a SparkSession."""
        spark = spark or self.spark
        if spark is None:
            raise UsageError("convert_many_lazy needs a SparkSession (PyForgeDatabricks(spark=spark)); convert_many runs without one")
        opts = core_options(options, format_options, excel_options)
        host, token = _workspace_credentials(self.workspace_client)
        return _convert_many_lazy(input_paths, output_dir, spark, opts, host, token)
