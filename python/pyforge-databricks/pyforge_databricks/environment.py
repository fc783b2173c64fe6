"""``PyForgeDatabricks().env``: where this code runs, as attributes and as a dict."""

from __future__ import annotations

import json
import platform
from typing import Any


def spark_kind(spark: Any) -> str | None:
    """``"connect"`` for a Spark Connect session (serverless, ``builder.remote``), ``"classic"``
    for a JVM-backed one, ``None`` without a session. A Connect session has no
    ``sparkContext``; its class lives in ``pyspark.sql.connect``."""
    if spark is None:
        return None
    if type(spark).__module__.startswith("pyspark.sql.connect"):
        return "connect"
    try:
        return "classic" if spark.sparkContext is not None else "connect"
    except Exception:  # Connect sessions raise on sparkContext
        return "connect"


class Environment(dict):
    """The ``pyforge env-info --json`` document (``databricks``, ``compute``,
    ``serverless_env_version``, ``runtime_version``, ``python``, ``volumes_mounted``, ``auth``,
    ``spark``), readable by key as before and by the documented attributes:

    >>> env = PyForgeDatabricks().env                                   # doctest: +SKIP
    >>> env.is_serverless and env.environment_version == 2              # doctest: +SKIP
    """

    @property
    def is_databricks(self) -> bool:
        """Running on Databricks compute (a cluster or serverless)."""
        return bool(self.get("databricks"))

    @property
    def is_serverless(self) -> bool:
        """Running on serverless compute (``DATABRICKS_RUNTIME_VERSION`` is ``client.N...``)."""
        return self.get("compute") == "serverless"

    @property
    def environment_version(self) -> int | None:
        """The serverless environment version (1, 2, ...); ``None`` elsewhere."""
        return self.get("serverless_env_version")

    @property
    def runtime_version(self) -> str | None:
        """``DATABRICKS_RUNTIME_VERSION`` as set by Databricks (``15.4``, ``client.2.5``)."""
        return self.get("runtime_version")

    @property
    def volumes_mounted(self) -> bool:
        """``/Volumes`` is mounted here (files are read in place, not through the Files API)."""
        return bool(self.get("volumes_mounted"))

    @property
    def spark(self) -> str | None:
        """The session given to ``PyForgeDatabricks``: ``"connect"``, ``"classic"`` or ``None``."""
        return self.get("spark")

    @property
    def is_spark_connect(self) -> bool:
        """The session is Spark Connect (serverless or ``SparkSession.builder.remote``)."""
        return self.get("spark") == "connect"

    def __getattr__(self, name: str) -> Any:
        # Every other key of the document reads as an attribute too (env.auth, env.python).
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def detect(spark: Any = None) -> Environment:
    """The environment, with the Spark session's kind."""
    import pyforge_core

    doc = json.loads(pyforge_core._native.env_info())
    doc["python"] = platform.python_version()
    doc["spark"] = spark_kind(spark)
    return Environment(doc)
