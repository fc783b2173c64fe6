"""DuckDB: COPY (SELECT * FROM read_csv('in')) TO 'out' (FORMAT parquet). Defaults otherwise
(all cores, default memory_limit, snappy)."""
import duckdb
from _common import run


def lit(s):
    return "'" + s.replace("'", "''") + "'"


def convert(src, dst):
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM read_csv({lit(src)})) TO {lit(dst)} (FORMAT parquet)")
    con.close()


run(convert, duckdb.__version__)
