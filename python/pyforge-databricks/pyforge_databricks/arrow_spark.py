"""Arrow types Spark cannot hold, widened to ones it can, losslessly.

PyForge writes faithful Arrow types; Spark lacks some of them. Each is mapped to a Spark type
that holds every value exactly: unsigned integers to the next wider signed type (uint64 to
decimal(20,0)), half floats to float, timestamps to microseconds, date64 to date32, times of
day and decimals wider than 38 digits to text, large strings and binaries to their plain forms,
dictionaries to their values.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.types as t


def spark_type(dt: pa.DataType) -> pa.DataType:
    """The Arrow type Spark reads for values of ``dt`` (``dt`` itself when Spark has it)."""
    if t.is_dictionary(dt):
        return spark_type(dt.value_type)
    if t.is_uint8(dt):
        return pa.int16()
    if t.is_uint16(dt):
        return pa.int32()
    if t.is_uint32(dt):
        return pa.int64()
    if t.is_uint64(dt):
        return pa.decimal128(20, 0)
    if t.is_float16(dt):
        return pa.float32()
    if t.is_timestamp(dt) and dt.unit != "us":
        # Spark holds microseconds only: seconds and milliseconds widen exactly; a nanosecond
        # value that is not a whole microsecond fails the (safe) cast instead of changing.
        return pa.timestamp("us", dt.tz)
    if t.is_date64(dt):
        return pa.date32()
    if t.is_time(dt) or t.is_null(dt):
        return pa.string()
    if t.is_decimal(dt) and dt.precision > 38:
        return pa.string()
    if t.is_large_string(dt):
        return pa.string()
    if t.is_large_binary(dt) or t.is_fixed_size_binary(dt):
        return pa.binary()
    if t.is_large_list(dt) or t.is_list(dt) or t.is_fixed_size_list(dt):
        return pa.list_(pa.field(dt.value_field.name, spark_type(dt.value_type), dt.value_field.nullable))
    if t.is_struct(dt):
        return pa.struct([pa.field(f.name, spark_type(f.type), f.nullable) for f in dt])
    if t.is_map(dt):
        return pa.map_(spark_type(dt.key_type), spark_type(dt.item_type))
    return dt


def spark_schema(schema: pa.Schema) -> pa.Schema:
    """``schema`` with every field's type replaced by :func:`spark_type`."""
    return pa.schema([pa.field(f.name, spark_type(f.type), f.nullable) for f in schema])


def to_spark_batch(batch: pa.RecordBatch, target: pa.Schema) -> pa.RecordBatch:
    """``batch`` cast to ``target`` (a :func:`spark_schema`); the casts are lossless by design,
    and a value that would not survive a cast raises instead of changing."""
    if batch.schema.equals(target):
        return batch
    columns = []
    for column, field in zip(batch.columns, target):
        if t.is_time(column.type):
            column = pa.array([None if v is None else v.isoformat() for v in column.to_pylist()], pa.string())
        elif t.is_null(column.type):
            column = pa.nulls(len(column), pa.string())
        columns.append(column.cast(field.type, safe=True))
    return pa.RecordBatch.from_arrays(columns, schema=target)


def to_struct_type(schema: pa.Schema):
    """The Spark ``StructType`` of a :func:`spark_schema` (naive timestamps stay naive)."""
    from pyspark.sql.pandas.types import from_arrow_type
    from pyspark.sql.types import StructField, StructType, TimestampNTZType

    fields = []
    for f in schema:
        if t.is_timestamp(f.type) and f.type.tz is None:
            fields.append(StructField(f.name, TimestampNTZType(), f.nullable))
        else:
            fields.append(StructField(f.name, from_arrow_type(f.type), f.nullable))
    return StructType(fields)
