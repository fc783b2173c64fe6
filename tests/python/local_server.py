"""A server program started for a test run on 127.0.0.1 (minilake, moto_server): a free port,
wait until it answers, stop it always (terminate, then kill)."""
from __future__ import annotations

import contextlib
import socket
import subprocess
import time
import urllib.error
from pathlib import Path
from typing import Callable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def local_server(command: Callable[[int], list[str]], env: dict, log_path: Path, ready: Callable[[str], bool], fail: Callable[[str], None]):
    """Run `command(port)`, yield its URL once `ready(url)` is true (60 s at most; `fail` with
    the log's tail otherwise), and stop the server on the way out."""
    port = free_port()
    log = open(log_path, "wb")
    proc = subprocess.Popen(command(port), env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if ready(url):
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                fail(f"{Path(command(port)[0]).name} did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
