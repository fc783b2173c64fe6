"""Progress of a conversion: bytes read of the total, rate and time left on a terminal; nothing
when the output is not a terminal or with -q."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pyforge_helpers as H

# "12.50 MiB/60.00 MiB" then "3.20 MiB/s" then "ETA 2s": what a person reads.
BYTES = re.compile(r"\d+(\.\d+)? [KMG]?i?B/\d+(\.\d+)? [KMG]iB")
RATE = re.compile(r"\d+(\.\d+)? [KMG]?i?B/s")
ETA = re.compile(r"ETA \d+[smh]")


def _big_csv(path: Path, mib: int) -> Path:
    """A CSV of about `mib` MiB, quick to write (one block of lines repeated)."""
    block = "".join(f"{i},name {i % 97},{i * 0.25},2024-01-{1 + i % 28:02d}\n" for i in range(20_000)).encode()
    with path.open("wb") as f:
        f.write(b"id,name,amount,day\n")
        for _ in range(max(1, (mib << 20) // len(block))):
            f.write(block)
    return path


def test_terminal_shows_bytes_rate_and_eta(pyforge, tmp_path):
    src = _big_csv(tmp_path / "big.csv", 48)
    env = {**os.environ, "PYFORGE_PROGRESS_AFTER_MS": "0", "TERM": "xterm"}
    code, screen = H.run_in_terminal([str(pyforge), "convert", str(src), str(tmp_path / "big.parquet")], env)
    assert code == 0, screen
    assert BYTES.search(screen), screen[-2000:]
    assert RATE.search(screen), screen[-2000:]
    assert ETA.search(screen), screen[-2000:]
    total = f"/{src.stat().st_size / 2**20:.2f} MiB"  # the input's size is the total
    assert total in screen, (total, screen[-2000:])


def test_no_progress_without_a_terminal_or_with_quiet(pyforge, tmp_path):
    src = _big_csv(tmp_path / "big.csv", 16)
    env = {**os.environ, "PYFORGE_PROGRESS_AFTER_MS": "0"}
    piped = H.run_cli(pyforge, "convert", src, tmp_path / "a.parquet", env=env)
    assert piped.returncode == 0, piped.describe()
    for text in (piped.stdout, piped.stderr):
        assert not BYTES.search(text) and not RATE.search(text) and "ETA" not in text, text
    code, screen = H.run_in_terminal([str(pyforge), "-q", "convert", str(src), str(tmp_path / "b.parquet")], env)
    assert code == 0, screen
    assert not BYTES.search(screen) and not RATE.search(screen) and "ETA" not in screen, screen


def test_batch_shows_files_done_of_total_and_the_current_file(pyforge, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a", "b", "c"):
        _big_csv(folder / f"{name}.csv", 8)
    code, screen = H.run_in_terminal([str(pyforge), "convert", str(folder), str(tmp_path / "out")], dict(os.environ))
    assert code == 0, screen
    assert re.search(r"\d/3 files", screen), screen[-2000:]
    assert re.search(r"files \[[^\]]*\] \S*[abc]\.csv", screen), screen[-2000:]
