"""Tiny helper shared by the peer scripts: time the conversion and print one JSON line."""
import json
import sys
import time


def run(convert, version: str):
    if len(sys.argv) != 3:
        print(f"usage: {sys.argv[0]} INPUT.csv OUTPUT.parquet", file=sys.stderr)
        sys.exit(2)
    src, dst = sys.argv[1], sys.argv[2]
    t0 = time.perf_counter()
    convert(src, dst)
    inner = time.perf_counter() - t0
    print(json.dumps({"inner_s": inner, "version": version}))
