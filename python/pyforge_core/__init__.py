"""PyForge: convert Access, Excel, DBF, CSV, XML, JSON and PDF files to Parquet.

The converter is the Rust program behind the ``pyforge`` command, running in this process: the
same readers, the same options, the same output layout, and no Java.

>>> from pyforge_core import PyForgeCore
>>> result = PyForgeCore().convert("sales.csv")                # doctest: +SKIP
>>> result["output"], result["rows"]                            # doctest: +SKIP
('sales.parquet', 1000)
>>> table = PyForgeCore().read_table("shop.mdb", table="Orders")  # doctest: +SKIP

Options are the command's long options with ``_`` for ``-``: ``convert(path, format="csv",
compression="zstd", tables=["Orders"], force=True)`` asks what ``pyforge convert path
--format=csv --compression=zstd --tables=Orders --force`` does. ``True`` sets a flag; a list
(or a comma-separated string) gives the values of a repeated option. They travel as one typed
request to the converter, the same request the command builds from its arguments.
"""

from __future__ import annotations

import json
import os
from typing import Any, Mapping

from . import _native
from ._native import (
    InputNotFoundError,
    InvalidInputError,
    OutputExistsError,
    PasswordError,
    PyForgeError,
    RemoteError,
    TableNotFoundError,
    UnsupportedFormatError,
    UsageError,
)

__version__: str = _native.__version__

__all__ = [
    "PyForgeCore",
    "convert",
    "read_table",
    "read_batches",
    "info",
    "validate",
    "output_stems",
    "formats",
    "samples",
    "PyForgeError",
    "UsageError",
    "InvalidInputError",
    "UnsupportedFormatError",
    "TableNotFoundError",
    "OutputExistsError",
    "PasswordError",
    "InputNotFoundError",
    "RemoteError",
    "ConversionFailed",
    "__version__",
]


class ConversionFailed(PyForgeError):
    """Some files of a folder or glob conversion failed; ``result`` lists every file's outcome."""

    def __init__(self, message: str, result: dict):
        super().__init__(message)
        self.result = result


def _value(value: Any) -> Any:
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_value(v) for v in value]
    return value


def _request(input_path: Any, options: Mapping[str, Any], **fields: Any) -> str:
    """The converter's request as JSON: the input, ``fields`` and the keyword options
    (``None`` leaves an option at its default; ``no_header=True`` is ``header=False``)."""
    request: dict[str, Any] = {"input": os.fspath(input_path)}
    for key, value in {**options, **fields}.items():
        if value is None:
            continue
        if key == "no_header":
            key, value = "header", not value
        request[key] = _value(value)
    return json.dumps(request)


def _import_stream(capsule: Any):
    import pyarrow as pa

    importer = getattr(pa.RecordBatchReader, "_import_from_c_capsule", None)
    if importer is None:  # pragma: no cover - pyarrow < 14 is excluded by the requirements
        raise PyForgeError(f"pyarrow {pa.__version__} is too old: pyforge-core needs pyarrow 14 or later")
    return importer(capsule)


class _ReadErrors:
    """Errors raised while pyarrow pulls batches keep PyForge's message and become ours."""

    def __enter__(self):
        return self

    def __exit__(self, kind, error, tb):
        import pyarrow as pa

        if error is not None and isinstance(error, pa.lib.ArrowException):
            raise InvalidInputError(str(error).replace("External error: ", "")) from error
        return False


class PyForgeCore:
    """The converter. ``host`` and ``token`` (both or neither) authenticate Volume paths that
    are not mounted here (``dbfs:/Volumes/...`` from a laptop); otherwise the usual
    ``DATABRICKS_*`` variables and ``~/.databrickscfg`` apply, as for the command."""

    def __init__(self, *, host: str | None = None, token: str | None = None):
        if (host is None) != (token is None):
            raise UsageError("host and token go together: pass both or neither")
        self._host = host
        self._token = token

    def convert(self, input_path: str | os.PathLike, output_path: str | os.PathLike | None = None, **options: Any) -> dict:
        """Convert a file, a folder or a glob, as ``pyforge convert``.

        ``output_path`` is the output file (one table) or folder (many); ``output_dir=DIR``
        instead names the outputs after the input inside ``DIR`` (``DIR/sales.parquet``,
        ``DIR/shop/``), as for many inputs.

        Returns ``{"input", "output", "format", "rows", "tables": [{"name", "output", "rows",
        "columns", "details", "rereads"}], "files": [per-file results], "ok", "failed",
        "skipped", "seconds"}``. ``rereads`` counts the times a table was read again because a
        value past the type sample needed a wider column type (nothing is lost either way).
        ``output`` and ``format`` are those of the only file converted (``None`` for several
        files); ``seconds`` is the conversion's time (without Volume downloads and uploads). Raises a
        :class:`PyForgeError` subclass when a single input fails, and :class:`ConversionFailed`
        (with ``.result``) when files of a folder or glob failed.

        ``progress=callable`` is called with a dict as the conversion goes: ``{"input", "table",
        "rows", "bytes_read", "bytes_total", "files_done", "files_total", "done"}`` (at most
        every 0.1 s while a file converts, and once when each file is done, then with
        ``"status"``). It runs on the converting threads; an exception it raises stops the calls
        and is raised when the conversion ends (the outputs are complete by then).

        >>> PyForgeCore().convert("orders.dbf", "out/orders.parquet", compression="zstd")  # doctest: +SKIP
        >>> PyForgeCore().convert("big.csv", progress=lambda p: print(p["bytes_read"], p["bytes_total"]))  # doctest: +SKIP
        """
        progress = options.pop("progress", None)
        if progress is not None and not callable(progress):
            raise TypeError(f"progress must be callable, not {type(progress).__name__}")
        request = _request(input_path, options, output=None if output_path is None else os.fspath(output_path))
        raw = json.loads(_native.convert(request, self._host, self._token, progress))
        files = raw["files"]
        tables = [dict(t, input=f["input"]) for f in files if f["status"] == "ok" for t in f["tables"]]
        single = files[0] if len(files) == 1 else None
        result = {
            "input": os.fspath(input_path),
            "output": single.get("output") if single else None,
            "format": single.get("format") if single else None,
            "rows": sum(t["rows"] for t in tables),
            "tables": tables,
            "files": files,
            "ok": raw["ok"],
            "failed": raw["failed"],
            "skipped": raw["skipped"],
            "seconds": raw["seconds"],
        }
        if raw["failed"]:
            failures = "; ".join(f"{f['input']}: {f['error']}" for f in files if f["status"] == "failed")
            raise ConversionFailed(f"{raw['failed']} of {len(files)} files failed: {failures}", result)
        return result

    def read_batches(self, path: str | os.PathLike, table: str | None = None, **options: Any):
        """One table of ``path`` as a ``pyarrow.RecordBatchReader`` (streamed, zero-copy).

        ``table`` names the table or sheet; it may be left out when there is only one. The
        options are the read options of ``pyforge info`` (``encoding``, ``delimiter``,
        ``password``, ``record_path``, ``header_row``, ...).
        """
        _name, capsule = _native.open_table(_request(path, options), table, self._host, self._token)
        return _import_stream(capsule)

    def read_table(self, path: str | os.PathLike, table: str | None = None, **options: Any):
        """One table of ``path`` as a ``pyarrow.Table`` (see :meth:`read_batches`).

        >>> PyForgeCore().read_table("shop.accdb", table="Orders").num_rows  # doctest: +SKIP
        830
        """
        reader = self.read_batches(path, table, **options)
        with _ReadErrors():
            return reader.read_all()

    def info(self, path: str | os.PathLike, **options: Any) -> dict:
        """What ``pyforge info --json`` shows: format, details, tables with rows and columns."""
        return json.loads(_native.info(_request(path, options), self._host, self._token))

    def validate(self, path: str | os.PathLike, **options: Any) -> dict:
        """Read every table of ``path`` to the end, as ``pyforge validate``; returns
        ``{"path", "format", "tables", "rows"}`` or raises the :class:`PyForgeError` subclass
        that names the problem (a corrupt file is :class:`InvalidInputError`).

        >>> PyForgeCore().validate("shop.mdb")                       # doctest: +SKIP
        {'path': 'shop.mdb', 'format': 'access', 'tables': 8, 'rows': 3120}
        """
        return json.loads(_native.validate(_request(path, options), self._host, self._token))

    @staticmethod
    def formats() -> dict:
        """``{"inputs": [{"name", "extensions", "description"}], "outputs": [...]}``."""
        return json.loads(_native.formats())

    @staticmethod
    def samples(directory: str | os.PathLike, force: bool = False) -> list[str]:
        """Write the sample files of every input format into ``directory``; returns their paths."""
        return _native.samples(os.fspath(directory), force)


_default = PyForgeCore()


def convert(input_path: str | os.PathLike, output_path: str | os.PathLike | None = None, **options: Any) -> dict:
    """:meth:`PyForgeCore.convert` with the default configuration."""
    return _default.convert(input_path, output_path, **options)


def read_table(path: str | os.PathLike, table: str | None = None, **options: Any):
    """:meth:`PyForgeCore.read_table` with the default configuration."""
    return _default.read_table(path, table, **options)


def read_batches(path: str | os.PathLike, table: str | None = None, **options: Any):
    """:meth:`PyForgeCore.read_batches` with the default configuration."""
    return _default.read_batches(path, table, **options)


def info(path: str | os.PathLike, **options: Any) -> dict:
    """:meth:`PyForgeCore.info` with the default configuration."""
    return _default.info(path, **options)


def validate(path: str | os.PathLike, **options: Any) -> dict:
    """:meth:`PyForgeCore.validate` with the default configuration."""
    return _default.validate(path, **options)


def output_stems(paths: "list[str | os.PathLike]", output_dir: str | os.PathLike | None = None) -> list[str]:
    """The output names (without extension) that a conversion of all ``paths`` into
    ``output_dir`` (``None``: beside each input) gives them: the input's name without its
    format extension, and for inputs whose names would meet (``sales.csv``, ``sales.parquet``)
    the name with the extension (``sales_csv``, ``sales_parquet``). The command, the Python
    API and Spark all use this one rule; see the README's "Output layout".

    >>> output_stems(["d/sales.csv", "d/sales.parquet", "d/shop.mdb"])
    ['sales_csv', 'sales_parquet', 'shop']
    """
    out = None if output_dir is None else os.fspath(output_dir)
    return _native.output_stems([os.fspath(p) for p in paths], out)


def formats() -> dict:
    """:meth:`PyForgeCore.formats`."""
    return PyForgeCore.formats()


def samples(directory: str | os.PathLike, force: bool = False) -> list[str]:
    """:meth:`PyForgeCore.samples`."""
    return PyForgeCore.samples(directory, force)

