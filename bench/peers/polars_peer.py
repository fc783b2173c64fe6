"""Polars: lazy scan_csv(...).sink_parquet(...) (streaming).

try_parse_dates=True so that date/timestamp columns come out typed, like
DuckDB, pyarrow and PyForge; set POLARS_PARSE_DATES=0 for polars' plain
default (dates stay strings)."""
import os

import polars as pl
from _common import run

PARSE_DATES = os.environ.get("POLARS_PARSE_DATES", "1") != "0"


def convert(src, dst):
    pl.scan_csv(src, try_parse_dates=PARSE_DATES).sink_parquet(dst)


run(convert, pl.__version__)
