"""A small Databricks API server for the tests of what minilake does not do.

minilake (the Databricks emulator the round-trip tests use) accepts any token, answers every
listing in one page and ignores Range. This server covers the rest, on 127.0.0.1:

- auth: a fixed personal access token, and OAuth M2M (discovery document at
  /oidc/.well-known/oauth-authorization-server, client-credentials grant with HTTP Basic
  client authentication, short-lived tokens); anything else is 401;
- Files API 2.0: GET (Range and If-Range honoured: 206 with Content-Range), HEAD, PUT with
  overwrite=, directory listing in pages of PAGE_SIZE entries with next_page_token, PUT
  directories;
- Unity Catalog volumes list (paged) and get;
- faults, armed per path through FakeDatabricks.faults: drop the connection after N body
  bytes, answer 503 (or 429 with Retry-After) a number of times.

Every request is recorded (method, path, headers with lower-case names) so tests can check what the client sent.
"""
from __future__ import annotations

import base64
import json
import secrets
import socket
import threading
import time
import urllib.parse
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PAT = "dapi-test-pat-0123456789"
CLIENT_ID = "test-sp-client"
CLIENT_SECRET = "test-sp-secret-abcdef"
PAGE_SIZE = 2


class FakeDatabricks:
    def __init__(self, root: Path, token_lifetime: int = 3600):
        self.root = root
        self.token_lifetime = token_lifetime
        self.oauth_tokens: dict[str, float] = {}
        self.token_requests = 0
        self.expired_uses = 0
        self.requests: list[tuple[str, str, dict]] = []
        # path -> list of actions for the next GETs: ("drop", nbytes) | ("status", code, retry_after)
        # | ("stall", nbytes, seconds)
        self.faults: dict[str, list[tuple]] = {}
        self.ignore_range = False
        self.volumes = [
            {"name": f"v{i}", "catalog_name": "cat", "schema_name": "sch", "full_name": f"cat.sch.v{i}",
             "volume_type": "MANAGED", "owner": "someone"} for i in range(5)
        ]
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> "FakeDatabricks":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def local(self, api_path: str) -> Path:
        return self.root / api_path.lstrip("/")

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            # -- helpers -------------------------------------------------------------------
            def _send(self, code: int, body: bytes = b"", headers: dict | None = None, ctype="application/json"):
                self.send_response(code)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                if code != 204:
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body and self.command != "HEAD":
                    self.wfile.write(body)

            def _json(self, code: int, obj) -> None:
                self._send(code, json.dumps(obj).encode())

            def _error(self, code: int, error_code: str, message: str, headers=None) -> None:
                self._send(code, json.dumps({"error_code": error_code, "message": message}).encode(), headers)

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    out = b""
                    while True:
                        size = int(self.rfile.readline().strip() or b"0", 16)
                        if size == 0:
                            self.rfile.readline()
                            return out
                        out += self.rfile.read(size)
                        self.rfile.readline()
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n) if n else b""

            def _authorized(self) -> bool:
                h = self.headers.get("Authorization", "")
                if h == f"Bearer {PAT}":
                    return True
                if h.startswith("Bearer "):
                    exp = fake.oauth_tokens.get(h[7:])
                    if exp is not None and exp > time.time():
                        return True
                    if exp is not None:
                        with fake.lock:
                            fake.expired_uses += 1
                # Echo what was presented, as a careless server might: the client must scrub it.
                self._error(401, "UNAUTHENTICATED", f"Invalid access token: {h}")
                return False

            def _split(self):
                u = urllib.parse.urlsplit(self.path)
                return urllib.parse.unquote(u.path), urllib.parse.parse_qs(u.query)

            def _record(self):
                with fake.lock:
                    fake.requests.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))

            # -- dispatch ------------------------------------------------------------------
            def do_GET(self):
                self._record()
                path, q = self._split()
                if path == "/oidc/.well-known/oauth-authorization-server":
                    return self._json(200, {"issuer": f"{fake.url}/oidc", "token_endpoint": f"{fake.url}/oidc/v1/token"})
                if not self._authorized():
                    return
                if path.startswith("/api/2.0/fs/files/"):
                    return self._get_file(path[len("/api/2.0/fs/files"):])
                if path.startswith("/api/2.0/fs/directories/"):
                    return self._list(path[len("/api/2.0/fs/directories"):], q)
                if path == "/api/2.1/unity-catalog/volumes":
                    return self._volumes(q)
                if path.startswith("/api/2.1/unity-catalog/volumes/"):
                    name = path.rsplit("/", 1)[1]
                    for v in fake.volumes:
                        if v["full_name"] == name:
                            return self._json(200, v)
                    return self._error(404, "VOLUME_DOES_NOT_EXIST", f"Volume '{name}' does not exist.")
                return self._error(404, "ENDPOINT_NOT_FOUND", "no such endpoint")

            def do_HEAD(self):
                self._record()
                path, _ = self._split()
                if not self._authorized():
                    return
                if path.startswith("/api/2.0/fs/files/"):
                    f = fake.local(path[len("/api/2.0/fs/files"):])
                    if not f.is_file():
                        return self._send(404)
                    self.send_response(200)
                    self.send_header("Content-Length", str(f.stat().st_size))
                    self.send_header("Last-Modified", formatdate(f.stat().st_mtime, usegmt=True))
                    self.end_headers()
                    return
                if path.startswith("/api/2.0/fs/directories/"):
                    d = fake.local(path[len("/api/2.0/fs/directories"):])
                    self.send_response(200 if d.is_dir() else 404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self._send(404)

            def do_PUT(self):
                self._record()
                path, q = self._split()
                body = self._body()
                if not self._authorized():
                    return
                if path.startswith("/api/2.0/fs/files/"):
                    f = fake.local(path[len("/api/2.0/fs/files"):])
                    overwrite = q.get("overwrite", ["false"])[0] == "true"
                    if f.exists() and not overwrite:
                        return self._error(409, "ALREADY_EXISTS", f"The file being created already exists.")
                    f.parent.mkdir(parents=True, exist_ok=True)
                    f.write_bytes(body)
                    return self._send(204)
                if path.startswith("/api/2.0/fs/directories/"):
                    fake.local(path[len("/api/2.0/fs/directories"):]).mkdir(parents=True, exist_ok=True)
                    return self._send(204)
                self._error(404, "ENDPOINT_NOT_FOUND", "no such endpoint")

            def do_POST(self):
                self._record()
                path, _ = self._split()
                body = self._body()
                if path == "/oidc/v1/token":
                    form = urllib.parse.parse_qs(body.decode())
                    expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
                    if self.headers.get("Authorization") != expected:
                        return self._json(401, {"error": "invalid_client", "error_description": "Client authentication failed"})
                    if form.get("grant_type") != ["client_credentials"] or form.get("scope") != ["all-apis"]:
                        return self._json(400, {"error": "invalid_request"})
                    token = "oauth-" + secrets.token_hex(8)
                    with fake.lock:
                        fake.token_requests += 1
                        fake.oauth_tokens[token] = time.time() + fake.token_lifetime
                    return self._json(200, {"access_token": token, "token_type": "Bearer", "expires_in": fake.token_lifetime, "scope": "all-apis"})
                self._error(404, "ENDPOINT_NOT_FOUND", "no such endpoint")

            # -- endpoints -----------------------------------------------------------------
            def _get_file(self, api_path: str):
                f = fake.local(api_path)
                if not f.is_file():
                    return self._error(404, "NOT_FOUND", f"The file {api_path} does not exist.")
                with fake.lock:
                    actions = fake.faults.get(api_path)
                    action = actions.pop(0) if actions else None
                if action and action[0] == "status":
                    _, code, retry_after = action
                    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
                    return self._error(code, "TEMPORARILY_UNAVAILABLE", "try again", headers)
                data = f.read_bytes()
                mtime = formatdate(f.stat().st_mtime, usegmt=True)
                start = 0
                rng = self.headers.get("Range")
                if_range = self.headers.get("If-Range")
                partial = bool(rng) and not fake.ignore_range and (if_range is None or if_range == mtime)
                if partial:
                    start = int(rng.split("=")[1].split("-")[0])
                body = data[start:]
                self.send_response(206 if partial else 200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Last-Modified", mtime)
                if partial:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.end_headers()
                if action and action[0] == "stall":
                    # Send some bytes, then hold the connection (for interrupt tests).
                    self.wfile.write(body[: action[1]])
                    self.wfile.flush()
                    time.sleep(action[2])
                    self.close_connection = True
                    return
                if action and action[0] == "drop":
                    self.wfile.write(body[: action[1]])
                    self.wfile.flush()
                    self.close_connection = True
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return
                self.wfile.write(body)

            def _list(self, api_path: str, q):
                d = fake.local(api_path.rstrip("/"))
                if not d.is_dir():
                    return self._error(404, "NOT_FOUND", f"The directory {api_path} does not exist.")
                entries = sorted(d.iterdir())
                start = int(q.get("page_token", ["0"])[0])
                page = entries[start:start + PAGE_SIZE]
                contents = []
                for e in page:
                    item = {"path": api_path.rstrip("/") + "/" + e.name, "name": e.name, "is_directory": e.is_dir()}
                    if e.is_file():
                        item["file_size"] = e.stat().st_size
                        item["last_modified"] = int(e.stat().st_mtime * 1000)
                    contents.append(item)
                out = {"contents": contents}
                if start + PAGE_SIZE < len(entries):
                    out["next_page_token"] = str(start + PAGE_SIZE)
                self._json(200, out)

            def _volumes(self, q):
                if q.get("catalog_name") != ["cat"] or q.get("schema_name") != ["sch"]:
                    return self._json(200, {"volumes": []})
                start = int(q.get("page_token", ["0"])[0])
                out = {"volumes": fake.volumes[start:start + PAGE_SIZE]}
                if start + PAGE_SIZE < len(fake.volumes):
                    out["next_page_token"] = str(start + PAGE_SIZE)
                self._json(200, out)

        return Handler
