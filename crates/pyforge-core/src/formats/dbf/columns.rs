//! From field descriptors to Arrow columns: the type mapping, the Visual FoxPro null-flag bits,
//! and one Arrow builder per column.
//!
//! | DBF | Arrow |
//! |---|---|
//! | C | string, trailing spaces and NULs trimmed (binary-flagged C: binary, untrimmed) |
//! | N, F with 0 decimals and width <= 18 | int64 |
//! | N, F otherwise | decimal128(width, decimals) (width capped at 38); never rounded |
//! | D | date32 (blank or zeros: null) |
//! | L | bool (`?` or blank: null) |
//! | M | string (binary-flagged M: binary) |
//! | G, P, W, dBase B (memo) | binary |
//! | I, dBase 7 `+` | int32 |
//! | Visual FoxPro B, dBase 7 O | float64 |
//! | Y | decimal128(19, 4) |
//! | T | timestamp[ms] |
//! | V | string (exact length from the null-flag bits, not trimmed); binary-flagged (NOCPTRANS) V too |
//! | Q | binary (exact length from the null-flag bits) |
//! | 0 (`_NullFlags`) | hidden; marks nulls and varchar lengths |
//! | anything else (dBase 7 `@` included) | binary (the raw bytes) |

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryBuilder, BooleanBuilder, Date32Builder, Decimal128Builder, Float64Builder, Int32Builder,
    Int64Builder, StringBuilder, TimestampMillisecondBuilder,
};
use arrow::datatypes::{DataType, TimeUnit};

use super::header::{FieldDescriptor, Header};

/// How a field's bytes become a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text decoded with the code page; `trim` removes trailing spaces and NULs.
    Text { trim: bool },
    /// Raw bytes.
    Bytes,
    /// Integer text (N/F with no decimals).
    Int64,
    /// Decimal text.
    Decimal { precision: u8, scale: u8 },
    /// Visual FoxPro currency: little-endian i64 in ten-thousandths.
    Currency,
    /// `YYYYMMDD`.
    Date,
    /// One-letter logical.
    Logical,
    /// Little-endian i32.
    Int32,
    /// dBase 7 big-endian, sign-flipped i32.
    Int32Dbase7,
    /// Little-endian f64.
    Double,
    /// dBase 7 big-endian, sign-flipped f64.
    DoubleDbase7,
    /// Visual FoxPro Julian day + milliseconds.
    DateTime,
    /// Memo block reference read as text.
    MemoText,
    /// Memo block reference read as bytes.
    MemoBytes,
}

impl Kind {
    /// The Arrow type of the column.
    pub fn data_type(&self) -> DataType {
        match self {
            Kind::Text { .. } | Kind::MemoText => DataType::Utf8,
            Kind::Bytes | Kind::MemoBytes => DataType::Binary,
            Kind::Int64 => DataType::Int64,
            Kind::Decimal { precision, scale } => DataType::Decimal128(*precision, *scale as i8),
            Kind::Currency => DataType::Decimal128(19, 4),
            Kind::Date => DataType::Date32,
            Kind::Logical => DataType::Boolean,
            Kind::Int32 | Kind::Int32Dbase7 => DataType::Int32,
            Kind::Double | Kind::DoubleDbase7 => DataType::Float64,
            Kind::DateTime => DataType::Timestamp(TimeUnit::Millisecond, None),
        }
    }

    /// True for memo references.
    pub fn is_memo(&self) -> bool {
        matches!(self, Kind::MemoText | Kind::MemoBytes)
    }
}

/// One output column.
#[derive(Debug, Clone)]
pub struct Column {
    /// The field it comes from.
    pub field: FieldDescriptor,
    /// Decoding.
    pub kind: Kind,
    /// Visual FoxPro varchar/varbinary: bit set when the value is shorter than the field (its
    /// length is then in the field's last byte).
    pub var_bit: Option<usize>,
    /// Visual FoxPro nullable field: bit set when the value is null.
    pub null_bit: Option<usize>,
}

/// The columns of a table (hidden system fields left out) and the `_NullFlags` field, if any.
#[derive(Debug, Clone)]
pub struct Layout {
    pub columns: Vec<Column>,
    pub null_flags: Option<FieldDescriptor>,
}

/// Decide the columns of a table.
pub fn layout(h: &Header) -> Result<Layout, String> {
    let null_flags = h.fields.iter().find(|f| f.kind == b'0').cloned();
    let mut bit = 0usize;
    let mut columns = Vec::new();
    for f in &h.fields {
        if f.kind == b'0' {
            continue;
        }
        let kind = kind_of(f, h)?;
        let mut var_bit = None;
        let mut null_bit = None;
        if null_flags.is_some() && h.is_visual_foxpro() {
            if matches!(f.kind, b'V' | b'Q') {
                var_bit = Some(bit);
                bit += 1;
            }
            if f.is_nullable() {
                null_bit = Some(bit);
                bit += 1;
            }
        }
        columns.push(Column { field: f.clone(), kind, var_bit, null_bit });
    }
    if let Some(nf) = &null_flags {
        if bit > nf.length * 8 {
            return Err(format!("the _NullFlags field has {} bits but {bit} are needed", nf.length * 8));
        }
    }
    Ok(Layout { columns, null_flags })
}

fn kind_of(f: &FieldDescriptor, h: &Header) -> Result<Kind, String> {
    let vfp = h.is_visual_foxpro();
    let dbase7 = h.is_dbase7();
    Ok(match f.kind {
        b'C' if f.is_binary() && vfp => Kind::Bytes,
        b'C' => Kind::Text { trim: true },
        b'N' | b'F' => {
            if f.decimals as usize > 38 {
                return Err(format!("field {} declares {} decimals", f.name, f.decimals));
            }
            if f.decimals == 0 && f.length <= 18 {
                Kind::Int64
            } else {
                let p = f.length.max(f.decimals as usize).clamp(1, 38) as u8;
                Kind::Decimal { precision: p, scale: f.decimals }
            }
        }
        b'D' => Kind::Date,
        b'L' => Kind::Logical,
        b'M' if f.is_binary() => Kind::MemoBytes,
        b'M' => Kind::MemoText,
        b'G' | b'P' | b'W' => Kind::MemoBytes,
        b'B' if vfp || f.length == 8 => Kind::Double,
        b'B' => Kind::MemoBytes,
        b'I' if dbase7 => Kind::Int32Dbase7,
        b'+' if dbase7 => Kind::Int32Dbase7,
        b'I' if f.length == 4 => Kind::Int32,
        b'O' if dbase7 && f.length == 8 => Kind::DoubleDbase7,
        // dBase 7 '@' timestamps: no sample file to verify the layout against, so the raw
        // bytes are kept (binary) rather than risk wrong instants.
        b'Y' if f.length == 8 => Kind::Currency,
        b'T' if f.length == 8 => Kind::DateTime,
        // A varchar flagged binary (0x04, NOCPTRANS) is still text: the flag only says the
        // bytes were stored without code-page translation. dbfread and the dbf gem read it as
        // text too; only varbinary ('Q') and the blob types hold bytes.
        b'V' => Kind::Text { trim: false },
        b'Q' => Kind::Bytes,
        _ => Kind::Bytes,
    })
}

/// An Arrow builder for one column.
pub enum Builder {
    Str(StringBuilder),
    Bin(BinaryBuilder),
    I64(Int64Builder),
    I32(Int32Builder),
    F64(Float64Builder),
    Dec(Decimal128Builder),
    Date(Date32Builder),
    Bool(BooleanBuilder),
    Ts(TimestampMillisecondBuilder),
}

impl Builder {
    /// A builder for `kind` with room for `rows` values.
    pub fn new(kind: Kind, rows: usize) -> Builder {
        match kind.data_type() {
            DataType::Utf8 => Builder::Str(StringBuilder::with_capacity(rows, rows * 8)),
            DataType::Binary => Builder::Bin(BinaryBuilder::with_capacity(rows, rows * 8)),
            DataType::Int64 => Builder::I64(Int64Builder::with_capacity(rows)),
            DataType::Int32 => Builder::I32(Int32Builder::with_capacity(rows)),
            DataType::Float64 => Builder::F64(Float64Builder::with_capacity(rows)),
            DataType::Decimal128(p, s) => Builder::Dec(
                Decimal128Builder::with_capacity(rows)
                    .with_precision_and_scale(p, s)
                    .expect("valid precision and scale"),
            ),
            DataType::Date32 => Builder::Date(Date32Builder::with_capacity(rows)),
            DataType::Boolean => Builder::Bool(BooleanBuilder::with_capacity(rows)),
            _ => Builder::Ts(TimestampMillisecondBuilder::with_capacity(rows)),
        }
    }

    /// Append a null.
    pub fn null(&mut self) {
        match self {
            Builder::Str(b) => b.append_null(),
            Builder::Bin(b) => b.append_null(),
            Builder::I64(b) => b.append_null(),
            Builder::I32(b) => b.append_null(),
            Builder::F64(b) => b.append_null(),
            Builder::Dec(b) => b.append_null(),
            Builder::Date(b) => b.append_null(),
            Builder::Bool(b) => b.append_null(),
            Builder::Ts(b) => b.append_null(),
        }
    }

    /// Finish into an array.
    pub fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Str(b) => Arc::new(b.finish()),
            Builder::Bin(b) => Arc::new(b.finish()),
            Builder::I64(b) => Arc::new(b.finish()),
            Builder::I32(b) => Arc::new(b.finish()),
            Builder::F64(b) => Arc::new(b.finish()),
            Builder::Dec(b) => Arc::new(b.finish()),
            Builder::Date(b) => Arc::new(b.finish()),
            Builder::Bool(b) => Arc::new(b.finish()),
            Builder::Ts(b) => Arc::new(b.finish()),
        }
    }
}
