//! Building Arrow arrays from jetdb values, with exact conversions: decimals parsed from their
//! text without floating point, OLE dates converted to timestamps for the whole Access range
//! (100-01-01 to 9999-12-31, including negative day counts before 1899-12-30).
//! Date/Time Extended values arrive as exact text and stay text (see [`super::schema`]).

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryBuilder, BooleanBuilder, Decimal128Builder, Float32Builder, Float64Builder, Int16Builder,
    Int32Builder, Int64Builder, ListBuilder, StringBuilder, StructBuilder, TimestampMicrosecondBuilder, UInt8Builder,
};
use arrow::datatypes::DataType;
use jetdb::{Attachment, ComplexValues, Value, Version};

use super::schema::{attachment_fields, version_fields};

/// Days from 1899-12-30 (the OLE date epoch) to 1970-01-01.
const OLE_EPOCH_DAYS: i64 = 25_569;
const MS_PER_DAY: i64 = 86_400_000;

/// An OLE Automation date (days since 1899-12-30; for dates before it the integer part counts
/// back and the fraction still counts forward within the day) as microseconds since 1970-01-01,
/// rounded to the millisecond. `None` if not a date Access can hold.
pub fn ole_to_micros(v: f64) -> Option<i64> {
    if !v.is_finite() || !(-700_000.0..3_000_000.0).contains(&v) {
        return None;
    }
    let days = v.trunc();
    let ms_in_day = ((v - days).abs() * MS_PER_DAY as f64).round() as i64;
    let ms = (days as i64 - OLE_EPOCH_DAYS) * MS_PER_DAY + ms_in_day;
    Some(ms * 1000)
}

/// Parse a decimal text (`-123.4500`) as an integer scaled by `10^scale`. `None` if it is not a
/// number or has non-zero digits beyond `scale`.
pub fn parse_decimal(s: &str, scale: u8) -> Option<i128> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let scale = scale as usize;
    let (kept, dropped) = if frac.len() > scale { frac.split_at(scale) } else { (frac, "") };
    if dropped.bytes().any(|b| b != b'0') {
        return None;
    }
    let mut v: i128 = 0;
    for b in int.bytes().chain(kept.bytes()) {
        v = v.checked_mul(10)?.checked_add((b - b'0') as i128)?;
    }
    for _ in kept.len()..scale {
        v = v.checked_mul(10)?;
    }
    Some(if neg { -v } else { v })
}

/// A value as text, for the items of a multiple-value column.
pub fn value_text(v: &Value) -> Option<String> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(b) => b.to_string(),
        Value::Byte(x) => x.to_string(),
        Value::Int(x) => x.to_string(),
        Value::Long(x) => x.to_string(),
        Value::BigInt(x) => x.to_string(),
        Value::Float(x) => x.to_string(),
        Value::Double(x) => x.to_string(),
        Value::Text(s) | Value::Money(s) | Value::Numeric(s) | Value::Guid(s) | Value::DateTimeExtended(s) => s.clone(),
        Value::Timestamp(t) => match ole_to_micros(*t) {
            Some(us) => micros_to_iso(us),
            None => t.to_string(),
        },
        Value::Binary(b) => b.iter().map(|x| format!("{x:02x}")).collect(),
        other => format!("{other:?}"),
    })
}

fn micros_to_iso(us: i64) -> String {
    let secs = us.div_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let ms = us.rem_euclid(1_000_000) / 1000;
    let mut s = format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}", sod / 3600, sod / 60 % 60, sod % 60);
    if ms != 0 {
        s.push_str(&format!(".{ms:03}"));
    }
    s
}

/// Civil date of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + if m <= 2 { 1 } else { 0 }, m, d)
}

/// An array under construction for one column.
pub enum ColumnBuilder {
    Bool(BooleanBuilder),
    U8(UInt8Builder),
    I16(Int16Builder),
    I32(Int32Builder),
    I64(Int64Builder),
    F32(Float32Builder),
    F64(Float64Builder),
    Decimal(Decimal128Builder, u8),
    Micros(TimestampMicrosecondBuilder),
    Utf8(StringBuilder),
    Binary(BinaryBuilder),
    MultiValue(ListBuilder<StringBuilder>),
    Attachments(ListBuilder<StructBuilder>),
    Versions(ListBuilder<StructBuilder>),
}

impl ColumnBuilder {
    /// A builder for values of `dt` (one of the types of [`super::schema::arrow_type`]).
    pub fn new(dt: &DataType) -> Self {
        use ColumnBuilder as B;
        match dt {
            DataType::Boolean => B::Bool(BooleanBuilder::new()),
            DataType::UInt8 => B::U8(UInt8Builder::new()),
            DataType::Int16 => B::I16(Int16Builder::new()),
            DataType::Int32 => B::I32(Int32Builder::new()),
            DataType::Int64 => B::I64(Int64Builder::new()),
            DataType::Float32 => B::F32(Float32Builder::new()),
            DataType::Float64 => B::F64(Float64Builder::new()),
            DataType::Decimal128(p, s) => B::Decimal(
                Decimal128Builder::new().with_precision_and_scale(*p, *s).expect("valid precision"),
                *s as u8,
            ),
            DataType::Timestamp(arrow::datatypes::TimeUnit::Microsecond, _) => {
                B::Micros(TimestampMicrosecondBuilder::new())
            }
            DataType::Utf8 => B::Utf8(StringBuilder::new()),
            DataType::List(f) => match f.data_type() {
                DataType::Struct(fields) if fields.len() == 3 => {
                    B::Attachments(ListBuilder::new(StructBuilder::from_fields(attachment_fields(), 0)))
                }
                DataType::Struct(_) => B::Versions(ListBuilder::new(StructBuilder::from_fields(version_fields(), 0))),
                _ => B::MultiValue(ListBuilder::new(StringBuilder::new())),
            },
            _ => B::Binary(BinaryBuilder::new()),
        }
    }

    /// Append a null.
    pub fn append_null(&mut self) {
        use ColumnBuilder as B;
        match self {
            B::Bool(b) => b.append_null(),
            B::U8(b) => b.append_null(),
            B::I16(b) => b.append_null(),
            B::I32(b) => b.append_null(),
            B::I64(b) => b.append_null(),
            B::F32(b) => b.append_null(),
            B::F64(b) => b.append_null(),
            B::Decimal(b, _) => b.append_null(),
            B::Micros(b) => b.append_null(),
            B::Utf8(b) => b.append_null(),
            B::Binary(b) => b.append_null(),
            B::MultiValue(b) => b.append_null(),
            B::Attachments(b) | B::Versions(b) => b.append_null(),
        }
    }

    /// Append one plain value; returns the number of payload bytes it added. `Err` says why the
    /// value does not fit the column (never silently nulled).
    pub fn append(&mut self, v: Value) -> Result<usize, String> {
        use ColumnBuilder as B;
        let mismatch = |v: &Value, want: &str| Err(format!("value {v:?} where {want} was expected"));
        match (self, v) {
            (b, Value::Null) => {
                b.append_null();
                Ok(0)
            }
            (B::Bool(b), Value::Bool(x)) => {
                b.append_value(x);
                Ok(1)
            }
            (B::U8(b), Value::Byte(x)) => {
                b.append_value(x);
                Ok(1)
            }
            (B::I16(b), Value::Int(x)) => {
                b.append_value(x);
                Ok(2)
            }
            (B::I32(b), Value::Long(x)) => {
                b.append_value(x);
                Ok(4)
            }
            (B::I64(b), Value::BigInt(x)) => {
                b.append_value(x);
                Ok(8)
            }
            (B::F32(b), Value::Float(x)) => {
                b.append_value(x);
                Ok(4)
            }
            (B::F64(b), Value::Double(x)) => {
                b.append_value(x);
                Ok(8)
            }
            (B::Decimal(b, scale), Value::Money(s) | Value::Numeric(s)) => {
                let x = parse_decimal(&s, *scale).ok_or_else(|| format!("decimal {s:?} does not fit scale {scale}"))?;
                b.append_value(x);
                Ok(16)
            }
            (B::Micros(b), Value::Timestamp(t)) => {
                let us =
                    ole_to_micros(t).ok_or_else(|| format!("date value {t} is outside the range Access can hold"))?;
                b.append_value(us);
                Ok(8)
            }
            (B::Utf8(b), Value::Text(s) | Value::Guid(s) | Value::Numeric(s) | Value::DateTimeExtended(s)) => {
                b.append_value(&s);
                Ok(s.len())
            }
            (B::Binary(b), Value::Binary(x)) => {
                b.append_value(&x);
                Ok(x.len())
            }
            (B::Bool(_), v) => mismatch(&v, "a Yes/No"),
            (B::Decimal(..), v) => mismatch(&v, "a decimal"),
            (B::Micros(_), v) => mismatch(&v, "a date"),
            (B::Utf8(_), v) => mismatch(&v, "text"),
            (B::Binary(_), v) => mismatch(&v, "binary data"),
            (_, v) => mismatch(&v, "a number of the column's type"),
        }
    }

    /// Append the values of a complex column in one row.
    pub fn append_complex(&mut self, values: ComplexValues) -> Result<usize, String> {
        use ColumnBuilder as B;
        let mut bytes = 0;
        match (self, values) {
            (B::MultiValue(b), ComplexValues::MultiValue(items)) => {
                for item in &items {
                    let t = value_text(item);
                    bytes += t.as_ref().map_or(0, String::len);
                    b.values().append_option(t);
                }
                b.append(true);
            }
            (B::Attachments(b), ComplexValues::Attachment(files)) => {
                for Attachment { name, file_type, data, .. } in files {
                    let sb = b.values();
                    let data = match data {
                        Value::Binary(x) => Some(x),
                        Value::Null => None,
                        other => return Err(format!("attachment data {other:?} is not binary")),
                    };
                    bytes += data.as_ref().map_or(0, Vec::len);
                    sb.field_builder::<StringBuilder>(0).expect("file_name").append_option(value_text(&name));
                    sb.field_builder::<StringBuilder>(1).expect("file_type").append_option(value_text(&file_type));
                    sb.field_builder::<BinaryBuilder>(2).expect("data").append_option(data);
                    sb.append(true);
                }
                b.append(true);
            }
            (B::Versions(b), ComplexValues::VersionHistory(versions)) => {
                for Version { value, modified } in versions {
                    let sb = b.values();
                    let text = value_text(&value);
                    bytes += text.as_ref().map_or(0, String::len);
                    let when = match modified {
                        Value::Timestamp(t) => ole_to_micros(t),
                        _ => None,
                    };
                    sb.field_builder::<StringBuilder>(0).expect("value").append_option(text);
                    sb.field_builder::<TimestampMicrosecondBuilder>(1).expect("modified").append_option(when);
                    sb.append(true);
                }
                b.append(true);
            }
            (_, ComplexValues::Unknown) => return Err("complex column of a kind that cannot be read".into()),
            (_, other) => return Err(format!("complex values {other:?} do not match the column's kind")),
        }
        Ok(bytes)
    }

    /// The array built so far (the builder is reset).
    pub fn finish(&mut self) -> ArrayRef {
        use ColumnBuilder as B;
        match self {
            B::Bool(b) => Arc::new(b.finish()),
            B::U8(b) => Arc::new(b.finish()),
            B::I16(b) => Arc::new(b.finish()),
            B::I32(b) => Arc::new(b.finish()),
            B::I64(b) => Arc::new(b.finish()),
            B::F32(b) => Arc::new(b.finish()),
            B::F64(b) => Arc::new(b.finish()),
            B::Decimal(b, _) => Arc::new(b.finish()),
            B::Micros(b) => Arc::new(b.finish()),
            B::Utf8(b) => Arc::new(b.finish()),
            B::Binary(b) => Arc::new(b.finish()),
            B::MultiValue(b) => Arc::new(b.finish()),
            B::Attachments(b) | B::Versions(b) => Arc::new(b.finish()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ole_dates() {
        // 1899-12-30 00:00 is day 0.
        assert_eq!(ole_to_micros(0.0), Some(-OLE_EPOCH_DAYS * MS_PER_DAY * 1000));
        // 1970-01-01 12:00
        assert_eq!(ole_to_micros(25_569.5), Some(12 * 3_600_000_000));
        // Before 1899-12-30: -1.25 is 1899-12-29 06:00 (the fraction counts forward).
        let us = ole_to_micros(-1.25).unwrap();
        assert_eq!(micros_to_iso(us), "1899-12-29 06:00:00");
        // 9999-12-31 23:59:59
        let v = 2_958_465.0 + 86_399.0 / 86_400.0;
        assert_eq!(micros_to_iso(ole_to_micros(v).unwrap()), "9999-12-31 23:59:59");
        // 0100-01-01
        assert_eq!(micros_to_iso(ole_to_micros(-657_434.0).unwrap()), "0100-01-01 00:00:00");
        assert_eq!(ole_to_micros(f64::NAN), None);
    }

    #[test]
    fn decimals() {
        assert_eq!(parse_decimal("12345.6789", 4), Some(123_456_789));
        assert_eq!(parse_decimal("-0.5", 4), Some(-5_000));
        assert_eq!(parse_decimal("7", 2), Some(700));
        assert_eq!(parse_decimal("1.230", 2), Some(123));
        assert_eq!(parse_decimal("1.235", 2), None);
        assert_eq!(parse_decimal("abc", 2), None);
        assert_eq!(parse_decimal("", 2), None);
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-25_569), (1899, 12, 30));
        assert_eq!(civil_from_days(2_932_896), (9999, 12, 31));
    }
}
