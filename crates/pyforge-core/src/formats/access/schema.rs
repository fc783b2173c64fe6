//! Access column types to Arrow types.
//!
//! | Access | Arrow |
//! |---|---|
//! | Yes/No | bool |
//! | Byte, Integer, Long, Large Number (BigInt) | uint8, int16, int32, int64 |
//! | Single, Double | float32, float64 |
//! | Currency | decimal128(19, 4) |
//! | Decimal | decimal128(precision, scale) of the column |
//! | Date/Time | timestamp[us] (no time zone; rounded to the millisecond, Access' resolution) |
//! | Date/Time Extended (Access 2019) | utf8 `YYYY-MM-DD hh:mm:ss.fffffff` (see below) |
//! | Text, Long Text (Memo) | utf8 |
//! | OLE Object, Binary, unknown types | binary |
//! | Replication ID (GUID) | utf8 `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}` |
//! | multiple values (complex) | list<utf8>, each value as text |
//! | attachment (complex) | list<struct<file_name: utf8, file_type: utf8, data: binary>> |
//! | append-only Long Text history (complex) | list<struct<value: utf8, modified: timestamp[us]>> |
//!
//! Date/Time Extended holds 0001-01-01 to 9999-12-31 at 100 ns: no Arrow timestamp holds both
//! (timestamp[ns] ends in 1677/2262, timestamp[us] drops the last digit), so it is exported as
//! its exact ISO text, which also sorts correctly.
//!
//! A calculated column (Access 2010+) has the type of its stored result, except a calculated
//! Decimal, whose values each carry their own scale: utf8 with the exact decimal text.
//! A complex column of a kind that cannot be read is exported as its ComplexID (int32).

use std::collections::HashMap;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Fields, TimeUnit};
use jetdb::{ColumnDef, ColumnType, ComplexColumn, ComplexKind};

/// What a column becomes in Arrow, and how its values are read.
#[derive(Debug, Clone)]
pub enum ColumnKind {
    /// An ordinary column of the (effective) type.
    Plain(ColumnType),
    /// A complex column, whose values live in a hidden flat table.
    Complex(ComplexKind, Arc<ComplexColumn>),
}

/// The Arrow field of an attachment (one file).
pub fn attachment_fields() -> Fields {
    Fields::from(vec![
        Field::new("file_name", DataType::Utf8, true),
        Field::new("file_type", DataType::Utf8, true),
        Field::new("data", DataType::Binary, true),
    ])
}

/// The Arrow fields of one version of an append-only Long Text column.
pub fn version_fields() -> Fields {
    Fields::from(vec![
        Field::new("value", DataType::Utf8, true),
        Field::new("modified", DataType::Timestamp(TimeUnit::Microsecond, None), true),
    ])
}

/// The effective type of `col`: the stored result type for a calculated column.
pub fn effective_type(col: &ColumnDef, calculated: &HashMap<String, ColumnType>) -> ColumnType {
    if col.is_calculated {
        if let Some(t) = calculated.get(&col.name.to_ascii_lowercase()) {
            return *t;
        }
    }
    col.col_type
}

/// Precision and scale of a Decimal column as Arrow takes them.
pub fn decimal_params(col: &ColumnDef) -> (u8, i8) {
    let precision = if (1..=38).contains(&col.precision) { col.precision } else { 28 };
    let scale = col.scale.min(precision);
    (precision, scale as i8)
}

/// The Arrow type of a column.
pub fn arrow_type(col: &ColumnDef, kind: &ColumnKind) -> DataType {
    match kind {
        ColumnKind::Complex(ComplexKind::Attachment, _) => {
            DataType::List(Arc::new(Field::new("item", DataType::Struct(attachment_fields()), true)))
        }
        ColumnKind::Complex(ComplexKind::VersionHistory, _) => {
            DataType::List(Arc::new(Field::new("item", DataType::Struct(version_fields()), true)))
        }
        ColumnKind::Complex(_, _) => DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
        // A calculated Decimal stores a scale with each value (an OLE DECIMAL); it has no
        // column-wide scale, so it is exported as its exact decimal text.
        ColumnKind::Plain(ColumnType::Numeric) if col.is_calculated => DataType::Utf8,
        ColumnKind::Plain(t) => plain_type(col, *t),
    }
}

fn plain_type(col: &ColumnDef, t: ColumnType) -> DataType {
    match t {
        ColumnType::Boolean => DataType::Boolean,
        ColumnType::Byte => DataType::UInt8,
        ColumnType::Int => DataType::Int16,
        ColumnType::Long | ColumnType::ComplexType => DataType::Int32,
        ColumnType::BigInt => DataType::Int64,
        ColumnType::Float => DataType::Float32,
        ColumnType::Double => DataType::Float64,
        ColumnType::Money => DataType::Decimal128(19, 4),
        ColumnType::Numeric => {
            let (p, s) = decimal_params(col);
            DataType::Decimal128(p, s)
        }
        ColumnType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
        ColumnType::Text | ColumnType::Memo | ColumnType::Guid | ColumnType::DateTimeExtended => DataType::Utf8,
        _ => DataType::Binary,
    }
}

/// The Access name of a type, for `info` details.
pub fn access_type_name(t: ColumnType) -> String {
    match t {
        ColumnType::Boolean => "Yes/No".into(),
        ColumnType::Byte => "Byte".into(),
        ColumnType::Int => "Integer".into(),
        ColumnType::Long => "Long Integer".into(),
        ColumnType::BigInt => "Large Number".into(),
        ColumnType::Float => "Single".into(),
        ColumnType::Double => "Double".into(),
        ColumnType::Money => "Currency".into(),
        ColumnType::Numeric => "Decimal".into(),
        ColumnType::Timestamp => "Date/Time".into(),
        ColumnType::DateTimeExtended => "Date/Time Extended".into(),
        ColumnType::Text => "Short Text".into(),
        ColumnType::Memo => "Long Text".into(),
        ColumnType::Ole => "OLE Object".into(),
        ColumnType::Binary => "Binary".into(),
        ColumnType::Guid => "Replication ID".into(),
        ColumnType::ComplexType => "Complex".into(),
        ColumnType::Unknown(b) => format!("unknown type 0x{b:02x}"),
        _ => format!("{t:?}"),
    }
}
