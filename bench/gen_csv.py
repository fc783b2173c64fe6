#!/usr/bin/env python3
"""Deterministic synthetic CSV generator for the PyForge CSV->Parquet benchmark.

Usage:
    python gen_csv.py OUTPUT.csv [--size-mb 1024 | --rows N] [--seed 42]

The data is generated in fixed-size chunks of rows with numpy (one RNG per
chunk, seeded by (seed, chunk index)) and serialised with pyarrow's CSV
writer, so the same arguments always produce byte-identical output
(for a given numpy/pyarrow version), and `--rows N` output is a byte prefix
of any larger output with the same seed.

Columns (header row included):
    id           int64   0..N-1, sequential
    int_small    int64   -1000..1000           (negatives)
    int_big      int64   -2^40..2^40           (negatives, > int32)
    qty          int64   0..999
    price        float64 2 decimals, ~5% empty (null) cells
    score        float64 normal, 6 decimals, ~10% empty (null) cells
    name         string  "Last, First" (always contains a comma -> quoted)
    city         string  low cardinality, one value contains a comma
    comment      string  3 words; ~3% of words contain '"' (escaped as "")
                         and/or ','; ~2% null
    event_date   date    YYYY-MM-DD (1990-01-01 .. ~2030)
    created_at   timestamp YYYY-MM-DD HH:MM:SS (2015 .. 2025)
    active       bool    true/false

Quoting follows RFC 4180: every string value is enclosed in double quotes,
embedded double quotes are doubled. No value contains a line break, so the
number of data rows equals the number of lines minus one. A sidecar file
OUTPUT.meta.json records rows, bytes and the arguments used.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

CHUNK_ROWS = 200_000  # fixed: part of the determinism contract
VOCAB_SEED = 12345

FIRST_NAMES_BASE = [
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael",
    "Linda", "William", "Elizabeth", "David", "Barbara", "Richard", "Susan",
    "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen", "Zoë",
    "José", "Anaïs", "Søren", "Łukasz",
]
CITIES = [
    "New York", "Los Angeles", "Chicago", "Houston", "Phoenix", "Philadelphia",
    "San Antonio", "San Diego", "Dallas", "San Jose", "Austin", "Jacksonville",
    "Washington, D.C.", "Boston", "Seattle", "Denver", "Nashville", "Portland",
    "Las Vegas", "Detroit", "München", "São Paulo", "Zürich", "Kraków",
]
SPECIAL_WORDS = [
    '"quoted"', 'say "hi"', '12" pipe', 'a,b', 'x, y', '"a, b"', 'O"Neil',
    '""', 'end,', ',start', 'he said "no, thanks"',
]


def build_vocab():
    """Fixed pools of words/names, independent of the data seed."""
    rng = np.random.default_rng(VOCAB_SEED)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))

    def words(n, lo, hi, capital=False):
        out = []
        lens = rng.integers(lo, hi + 1, size=n)
        for ln in lens:
            w = "".join(rng.choice(letters, size=ln))
            out.append(w.capitalize() if capital else w)
        return out

    surnames = words(3000, 4, 10, capital=True)
    first = FIRST_NAMES_BASE + words(500, 3, 8, capital=True)
    plain = words(5000, 2, 10)
    # ~3% of the comment vocabulary needs quoting/escaping
    n_special = int(len(plain) * 0.03)
    special = [SPECIAL_WORDS[i % len(SPECIAL_WORDS)] for i in range(n_special)]
    comment_words = plain + special
    return (
        pa.array(surnames, pa.string()),
        pa.array(first, pa.string()),
        pa.array(CITIES, pa.string()),
        pa.array(comment_words, pa.string()),
    )


EPOCH_1990 = 7305          # days from 1970-01-01 to 1990-01-01
EPOCH_2015 = 1420070400    # seconds for 2015-01-01 00:00:00
TEN_YEARS_S = 10 * 365 * 86400


def make_chunk(seed: int, chunk_idx: int, start_row: int, n: int, vocab) -> pa.Table:
    surnames, first, cities, cwords = vocab
    rng = np.random.default_rng([seed, chunk_idx])

    ids = np.arange(start_row, start_row + n, dtype=np.int64)
    int_small = rng.integers(-1000, 1001, size=n, dtype=np.int64)
    int_big = rng.integers(-(2**40), 2**40, size=n, dtype=np.int64)
    qty = rng.integers(0, 1000, size=n, dtype=np.int64)

    price = np.round(rng.uniform(0.01, 10000.0, size=n), 2)
    price_null = rng.random(n) < 0.05
    score = np.round(rng.normal(0.0, 100.0, size=n), 6)
    score_null = rng.random(n) < 0.10

    def take(pool, k):
        return pool.take(pa.array(rng.integers(0, len(pool), size=k, dtype=np.int32)))

    name = pc.binary_join_element_wise(take(surnames, n), take(first, n), ", ")
    city = take(cities, n)
    comment = pc.binary_join_element_wise(take(cwords, n), take(cwords, n), take(cwords, n), " ")
    comment_null = rng.random(n) < 0.02
    comment = pc.if_else(pa.array(comment_null), pa.scalar(None, pa.string()), comment)

    days = rng.integers(EPOCH_1990, EPOCH_1990 + 40 * 365, size=n).astype(np.int32)
    secs = rng.integers(EPOCH_2015, EPOCH_2015 + TEN_YEARS_S, size=n, dtype=np.int64)
    active = rng.random(n) < 0.5

    return pa.table(
        {
            "id": pa.array(ids),
            "int_small": pa.array(int_small),
            "int_big": pa.array(int_big),
            "qty": pa.array(qty),
            "price": pa.array(price, mask=price_null),
            "score": pa.array(score, mask=score_null),
            "name": name,
            "city": city,
            "comment": comment,
            "event_date": pa.array(days, pa.date32()),
            "created_at": pa.array(secs, pa.timestamp("s")),
            "active": pa.array(active),
        }
    )


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("output", help="output CSV path")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--rows", type=int, help="exact number of data rows")
    g.add_argument("--size-mb", type=float, help="target size in MiB (default 1024); output is cut at a row boundary just past it")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    if args.rows is None and args.size_mb is None:
        args.size_mb = 1024.0

    target_bytes = None if args.size_mb is None else int(args.size_mb * 1024 * 1024)
    max_rows = args.rows

    vocab = build_vocab()
    tmp = args.output + ".part"
    t0 = time.time()
    written = 0
    rows = 0
    chunk_idx = 0
    last_report = t0
    with open(tmp, "wb", buffering=0) as f:
        while True:
            n = CHUNK_ROWS
            if max_rows is not None:
                n = min(n, max_rows - rows)
                if n <= 0:
                    break
            # always draw a full chunk so that --rows N output is a prefix of any larger file
            tbl = make_chunk(args.seed, chunk_idx, rows, CHUNK_ROWS, vocab)
            if n < CHUNK_ROWS:
                tbl = tbl.slice(0, n)
            buf = io.BytesIO()
            pacsv.write_csv(tbl, buf, pacsv.WriteOptions(include_header=(chunk_idx == 0), batch_size=65536))
            data = buf.getbuffer()
            done = False
            if target_bytes is not None and written + len(data) >= target_bytes:
                # cut at the first row boundary at/after the target
                need = max(target_bytes - written, 1)
                cut = bytes(data).find(b"\n", need - 1)
                data = data[: cut + 1] if cut >= 0 else data
                done = True
            nl = bytes(data).count(b"\n")
            rows += nl - (1 if chunk_idx == 0 else 0)
            f.write(data)
            written += len(data)
            chunk_idx += 1
            now = time.time()
            if not args.quiet and now - last_report > 5:
                print(f"  gen: {written / 2**20:8.0f} MiB, {rows:,} rows, {now - t0:.0f}s", file=sys.stderr)
                last_report = now
            if done:
                break
    os.replace(tmp, args.output)
    meta = {
        "rows": rows,
        "bytes": written,
        "seed": args.seed,
        "size_mb": args.size_mb,
        "rows_arg": args.rows,
        "chunk_rows": CHUNK_ROWS,
        "pyarrow": pa.__version__,
        "numpy": np.__version__,
    }
    with open(args.output + ".meta.json", "w") as f:
        json.dump(meta, f, indent=1)
    if not args.quiet:
        dt = time.time() - t0
        print(f"wrote {args.output}: {rows:,} rows, {written / 2**20:.1f} MiB in {dt:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
