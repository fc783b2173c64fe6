"""``PyForgeDatabricks().volume_handler``: Volume files as bytes, through the mount where
``/Volumes`` is mounted and else through the Files API client the converter itself uses (same
credentials, retries and timeouts; see the Rust crate ``pyforge-databricks``)."""

from __future__ import annotations

import json
import os
from typing import Any


class VolumeHandler:
    """Read, write and list Unity Catalog Volume files.

    Paths are ``/Volumes/<catalog>/<schema>/<volume>/...`` (also ``dbfs:/Volumes/...`` and
    ``/dbfs/Volumes/...``). Errors are ``pyforge_core`` exceptions: a missing file is
    ``InputNotFoundError``, an existing one on write without ``overwrite=True`` is
    ``OutputExistsError``, a refused request ``RemoteError``.
    """

    def __init__(self, host: str | None = None, token: str | None = None):
        self._host = host
        self._token = token

    def _auth(self) -> dict:
        return {"host": self._host, "token": self._token}

    def read_file(self, path: str | os.PathLike) -> bytes:
        """The file's bytes."""
        from pyforge_core import _native

        return _native.volume_read(os.fspath(path), **self._auth())

    def write_file(self, path: str | os.PathLike, data: bytes, overwrite: bool = False) -> None:
        """Write ``data`` to ``path`` (parent folders are created). An existing file is kept
        and ``OutputExistsError`` raised unless ``overwrite=True``."""
        from pyforge_core import OutputExistsError, _native

        try:
            _native.volume_write(os.fspath(path), bytes(data), overwrite, **self._auth())
        except OutputExistsError as e:
            # This method's keyword is overwrite, not the converter's force.
            raise OutputExistsError(str(e).replace("force=True", "overwrite=True")) from None

    def list_files(self, path: str | os.PathLike) -> list[dict]:
        """The entries of a folder, sorted: ``[{"path", "name", "is_directory", "size"}]``."""
        from pyforge_core import _native

        return json.loads(_native.volume_list(os.fspath(path), **self._auth()))

    def file_exists(self, path: str | os.PathLike) -> bool:
        """True if a file or folder exists at ``path``."""
        from pyforge_core import _native

        return _native.volume_exists(os.fspath(path), **self._auth())

    def get_volume_info(self, catalog: str, schema: str, volume: str) -> dict[str, Any]:
        """Unity Catalog's record of the volume: ``full_name``, ``catalog_name``,
        ``schema_name``, ``name``, ``volume_type``, ``storage_location``, ``owner``,
        ``comment`` (always through the API)."""
        from pyforge_core import _native

        return json.loads(_native.volume_info(catalog, schema, volume, **self._auth()))
