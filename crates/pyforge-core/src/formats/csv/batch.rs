//! Turning one chunk of CSV text into an Arrow record batch of the planned column types.
//!
//! A value that does not fit its column's planned type is never coerced: the chunk reports a
//! [`ChunkError::Widen`] with what it saw, the reader widens the plan and the table is read
//! again. That is how sampling stays safe.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Decimal128Builder, Float64Builder, Int64Builder, StringBuilder,
    TimestampMicrosecondBuilder, TimestampNanosecondBuilder,
};
use arrow::datatypes::{DataType, SchemaRef, TimeUnit};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};

use super::chunker::Chunk;
use super::records::{Dialect, Records};
use crate::infer::{self, ColumnState, TYPED_NULL_TOKENS};

/// Everything a worker needs to convert chunks; shared read-only between workers.
#[derive(Debug, Clone)]
pub struct ChunkPlan {
    pub dialect: Dialect,
    pub schema: SchemaRef,
    pub states: Vec<ColumnState>,
    /// Extra null strings given by the user (the empty field is always null).
    pub user_nulls: Vec<Vec<u8>>,
    /// Whether the usual NA/NULL tokens are null in typed columns.
    pub typed_null_tokens: bool,
    pub allow_ragged: bool,
}

/// Why a chunk could not become a batch.
#[derive(Debug)]
pub enum ChunkError {
    /// Some columns need wider types (or, with `allow_ragged`, more columns exist).
    Widen { states: Vec<(usize, ColumnState)>, extra_columns: Vec<ColumnState> },
    /// A record with the wrong number of fields.
    Ragged { line: u64, expected: usize, found: usize },
    /// Bytes that are not UTF-8.
    Utf8 { line: u64, detail: String },
}

fn line_of(chunk: &Chunk, offset: usize, line_end: u8) -> u64 {
    chunk.first_line + memchr::memchr_iter(line_end, &chunk.data[..offset]).count() as u64
}

impl ChunkPlan {
    /// Whether field `c` of record `r` was written in quotes: re-walk the record's raw text.
    /// Only asked for empty fields of string columns, so it costs nothing on most data.
    fn field_is_quoted(&self, raw: &[u8], recs: &Records, r: usize, c: usize) -> bool {
        let start = recs.record_offsets[r];
        let end = recs.record_offsets.get(r + 1).copied().unwrap_or(raw.len());
        let rec = &raw[start..end];
        let (q, d) = (self.dialect.quote, self.dialect.delimiter);
        let mut i = 0;
        let mut field = 0;
        loop {
            let quoted = rec.get(i) == Some(&q);
            if field == c {
                return quoted;
            }
            if quoted {
                i += 1;
                while i < rec.len() {
                    if rec[i] == q {
                        if rec.get(i + 1) == Some(&q) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
            }
            match memchr::memchr(d, &rec[i.min(rec.len())..]) {
                Some(p) => {
                    i += p + 1;
                    field += 1;
                }
                None => return false,
            }
        }
    }

    fn is_null(&self, v: &[u8], typed: bool) -> bool {
        v.is_empty()
            || self.user_nulls.iter().any(|n| n.as_slice() == v)
            || (typed && self.typed_null_tokens && TYPED_NULL_TOKENS.iter().any(|t| t.as_bytes() == v))
    }

    /// Convert one chunk.
    pub fn convert(&self, chunk: &Chunk) -> Result<RecordBatch, ChunkError> {
        if let Err(e) = std::str::from_utf8(&chunk.data) {
            let at = e.valid_up_to();
            let bad = &chunk.data[at..(at + e.error_len().unwrap_or(1)).min(chunk.data.len())];
            return Err(ChunkError::Utf8 {
                line: line_of(chunk, at, self.dialect.line_end),
                detail: format!("invalid UTF-8 byte sequence {bad:02X?}"),
            });
        }
        let (recs, _) = Records::parse(&chunk.data, &self.dialect, usize::MAX);
        let ncols = self.schema.fields().len();
        let mut extra: Vec<ColumnState> = Vec::new();
        for r in 0..recs.len() {
            let n = recs.field_count(r);
            if n != ncols {
                if !self.allow_ragged {
                    return Err(ChunkError::Ragged {
                        line: line_of(chunk, recs.record_offsets[r], self.dialect.line_end),
                        expected: ncols,
                        found: n,
                    });
                }
                for c in ncols..n {
                    if extra.len() <= c - ncols {
                        extra.push(ColumnState::default());
                    }
                    let v = recs.field(r, c).unwrap_or_default();
                    if !self.is_null(v, false) {
                        extra[c - ncols].observe(v);
                    }
                }
            }
        }
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(ncols);
        let mut widen = Vec::new();
        for (c, field) in self.schema.fields().iter().enumerate() {
            match self.column(&recs, &chunk.data, c, field.data_type()) {
                Some(a) => columns.push(a),
                None => {
                    let mut state = self.states[c].clone();
                    for r in 0..recs.len() {
                        if let Some(v) = recs.field(r, c) {
                            // NA-style tokens are nulls while the column stays typed, as in the
                            // sample: do not let them decide the type.
                            if !self.is_null(v, true) {
                                state.observe(v);
                            }
                        }
                    }
                    widen.push((c, state));
                }
            }
        }
        if !widen.is_empty() || !extra.is_empty() {
            return Err(ChunkError::Widen { states: widen, extra_columns: extra });
        }
        let options = RecordBatchOptions::new().with_row_count(Some(recs.len()));
        Ok(RecordBatch::try_new_with_options(self.schema.clone(), columns, &options)
            .expect("columns are built to the schema"))
    }

    /// Build column `c` as `dt`; `None` if a value does not fit.
    fn column(&self, recs: &Records, raw: &[u8], c: usize, dt: &DataType) -> Option<ArrayRef> {
        let n = recs.len();
        macro_rules! primitive {
            ($builder:expr, $parse:expr) => {{
                let mut b = $builder;
                for r in 0..n {
                    match recs.field(r, c) {
                        Some(v) if !self.is_null(v, false) => match $parse(v) {
                            Some(x) => b.append_value(x),
                            None if self.is_null(v, true) => b.append_null(),
                            None => return None,
                        },
                        _ => b.append_null(),
                    }
                }
                Some(Arc::new(b.finish()) as ArrayRef)
            }};
        }
        match dt {
            DataType::Utf8 => {
                let bytes: usize = (0..n).map(|r| recs.field(r, c).map_or(0, |v| v.len())).sum();
                let mut b = StringBuilder::with_capacity(n, bytes);
                for r in 0..n {
                    match recs.field(r, c) {
                        Some(v) if !self.is_null(v, false) => {
                            // The chunk was validated as UTF-8 and fields are cut at ASCII
                            // delimiters and quotes, so every field is valid UTF-8 too.
                            b.append_value(unsafe { std::str::from_utf8_unchecked(v) })
                        }
                        // `""` is an empty string; only a field with nothing in it is null.
                        Some(v) if v.is_empty() && self.field_is_quoted(raw, recs, r, c) => b.append_value(""),
                        _ => b.append_null(),
                    }
                }
                Some(Arc::new(b.finish()))
            }
            DataType::Boolean => primitive!(BooleanBuilder::with_capacity(n), infer::parse_bool),
            DataType::Int64 => primitive!(Int64Builder::with_capacity(n), infer::parse_i64),
            DataType::Float64 => primitive!(Float64Builder::with_capacity(n), infer::parse_f64),
            DataType::Date32 => primitive!(Date32Builder::with_capacity(n), infer::parse_date),
            DataType::Decimal128(p, s) => {
                let (p, s) = (*p, *s);
                let b = Decimal128Builder::with_capacity(n);
                let a: Option<ArrayRef> = primitive!(b, |v| infer::parse_decimal(v, p, s));
                a.map(|a| {
                    let a = a.as_any().downcast_ref::<arrow::array::Decimal128Array>().unwrap().clone();
                    Arc::new(a.with_precision_and_scale(p, s).expect("valid precision")) as ArrayRef
                })
            }
            DataType::Timestamp(unit, tz) => {
                let parse =
                    |v: &[u8]| infer::parse_timestamp(v, *unit).filter(|t| t.has_tz == tz.is_some()).map(|t| t.value);
                match unit {
                    TimeUnit::Microsecond => {
                        primitive!(TimestampMicrosecondBuilder::with_capacity(n).with_timezone_opt(tz.clone()), parse)
                    }
                    _ => primitive!(TimestampNanosecondBuilder::with_capacity(n).with_timezone_opt(tz.clone()), parse),
                }
            }
            other => unreachable!("CSV plans only inferred types, not {other}"),
        }
    }
}
