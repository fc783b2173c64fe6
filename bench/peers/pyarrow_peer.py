"""pyarrow: streaming pyarrow.csv.open_csv -> pyarrow.parquet.ParquetWriter (default options).

Types are inferred from the first block (1 MiB by default)."""
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from _common import run


def convert(src, dst):
    reader = pacsv.open_csv(src)
    with pq.ParquetWriter(dst, reader.schema) as writer:
        for batch in reader:
            writer.write_batch(batch)


run(convert, pa.__version__)
