"""PyForge on Databricks.

>>> from pyforge_databricks import PyForgeDatabricks
>>> forge = PyForgeDatabricks()                                         # doctest: +SKIP
>>> forge.convert("/Volumes/main/raw/files/shop.mdb")                   # doctest: +SKIP
{'input': '/Volumes/main/raw/files/shop.mdb', 'output': '/Volumes/main/raw/files/shop', ...}
>>> forge.convert_many(paths, "/Volumes/main/raw/out", spark=spark)     # doctest: +SKIP
DataFrame[input: string, status: string, output: string, rows: bigint, tables: int, error: string]

Volume paths (``/Volumes/...``, ``dbfs:/Volumes/...``, ``/dbfs/Volumes/...``) are read and
written in place where ``/Volumes`` is mounted (clusters, serverless) and through the Files API
elsewhere; with a ``WorkspaceClient`` its host and credentials are used for that.
"""

from __future__ import annotations

import json
import os
import platform
from typing import Any, Iterable, Mapping

import pyforge_core
from pyforge_core import PyForgeCore, PyForgeError, UsageError

from .distributed import convert_many as _convert_many
from .options import core_options
from .strategy import choose_strategy, spark_convert

__all__ = ["PyForgeDatabricks", "PyForgeError", "UsageError", "core_options"]
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
    def env(self) -> dict:
        """The ``pyforge env-info --json`` document: ``databricks``, ``compute``,
        ``serverless_env_version``, ``runtime_version``, ``python`` (this interpreter),
        ``volumes_mounted``, ``auth`` ({method, host, profile}; never a secret)."""
        doc = json.loads(pyforge_core._native.env_info())
        doc["python"] = platform.python_version()
        return doc

    def convert(
        self,
        input_path: str | os.PathLike,
        output_path: str | os.PathLike | None = None,
        output_format: str = "parquet",
        *,
        strategy: str = "pyforge",
        format_options: Mapping[str, Any] | None = None,
        excel_options: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> dict:
        """Convert one file (or a folder or glob), as ``pyforge convert``.

        Without ``output_path`` the output goes beside the input. ``strategy``: ``"pyforge"``
        (the Rust converter, every format), ``"spark"`` (Spark's own reader and writer, for CSV,
        JSON Lines and Parquet inputs; the column types are PyForge's, so the values written
        are the same) or ``"auto"`` (``spark`` for such inputs of at least
        ``spark_threshold_bytes``, default 1 GiB, when a Spark session is at hand).
        Returns the result dict of ``pyforge_core.PyForgeCore.convert`` (with ``strategy``).
        """
        threshold = int(options.pop("spark_threshold_bytes", 1 << 30))
        opts = core_options(options, format_options, excel_options)
        opts.setdefault("format", output_format)
        chosen = choose_strategy(strategy, input_path, self.spark, threshold)
        if chosen == "spark":
            result = spark_convert(self.spark, self._core(), input_path, output_path, opts)
        else:
            result = self._core().convert(input_path, output_path, **opts)
        result["strategy"] = chosen
        return result

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
        """Convert many files into ``output_dir``.

        With a Spark session (``spark`` here or given to the constructor) the files are spread
        over the executors (``mapInArrow`` over a DataFrame of paths; works on serverless) and a
        DataFrame ``input, status, output, rows, tables, error`` comes back, one row per file.
        Without Spark the files run on local threads and a list of the same dicts comes back.
        A failed file is a row with ``status == "failed"`` and its error, never dropped.
        """
        opts = core_options(options, format_options, excel_options)
        host, token = _workspace_credentials(self.workspace_client)
        return _convert_many(input_paths, output_dir, spark or self.spark, opts, host, token)
