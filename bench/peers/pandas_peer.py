"""pandas: read_csv (default C engine) + DataFrame.to_parquet (pyarrow engine). Defaults otherwise."""
import pandas as pd
from _common import run


def convert(src, dst):
    df = pd.read_csv(src)
    df.to_parquet(dst)


run(convert, pd.__version__)
