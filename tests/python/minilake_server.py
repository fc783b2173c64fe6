"""A minilake server (PyPI: a local Databricks API emulator with Unity Catalog and the Files
API) on 127.0.0.1 for a test run, with the catalog `lake`, schema `raw` and volume `files`.

Shared by the CLI tests (tests/python) and the Python package tests (tests/python_pkg).
"""
from __future__ import annotations

import contextlib
import json
import os
import urllib.error
import urllib.request
from pathlib import Path

from local_server import local_server


def _request(url: str, method: str = "GET", data: bytes | None = None, ctype: str | None = None):
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Authorization", "Bearer any-token")
    if ctype:
        req.add_header("Content-Type", ctype)
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, r.read()


class Minilake:
    def __init__(self, url: str, data_dir: Path):
        self.url = url
        self.data_dir = data_dir

    def post(self, path: str, obj: dict) -> dict:
        status, body = _request(self.url + path, "POST", json.dumps(obj).encode(), "application/json")
        assert status == 200, body
        return json.loads(body)

    def put_file(self, api_path: str, data: bytes) -> None:
        _request(f"{self.url}/api/2.0/fs/files{api_path}?overwrite=true", "PUT", data, "application/octet-stream")

    def get_file(self, api_path: str) -> bytes:
        return _request(f"{self.url}/api/2.0/fs/files{api_path}")[1]

    def exists(self, api_path: str) -> bool:
        try:
            _request(f"{self.url}/api/2.0/fs/files{api_path}", "HEAD")
            return True
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return False
            raise


@contextlib.contextmanager
def running_minilake(exe: str, data_dir: Path, fail):
    """Start minilake, create lake.raw.files, yield a Minilake; `fail(msg)` reports a failed start."""
    env = dict(os.environ, MINILAKE_DATA_DIR=str(data_dir), MINILAKE_SERVICES="files,unity_catalog", MINILAKE_NOTEBOOK="0")
    command = lambda port: [exe, "--host", "127.0.0.1", "--port", str(port)]  # noqa: E731
    ready = lambda url: _request(url + "/_minilake/health")[0] == 200  # noqa: E731
    with local_server(command, env, data_dir / "minilake.log", ready, fail) as url:
        m = Minilake(url, data_dir)
        m.post("/api/2.1/unity-catalog/catalogs", {"name": "lake"})
        m.post("/api/2.1/unity-catalog/schemas", {"name": "raw", "catalog_name": "lake"})
        m.post("/api/2.1/unity-catalog/volumes", {"name": "files", "catalog_name": "lake", "schema_name": "raw", "volume_type": "MANAGED"})
        yield m
