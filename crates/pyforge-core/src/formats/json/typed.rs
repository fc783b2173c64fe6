//! Flat JSON Lines records straight into typed Arrow builders.
//!
//! Why: the row builder keeps every value as text and parses it into its column's type when the
//! batch is full. For records of scalars, nested objects and arrays of scalars (what most JSON
//! exports hold) that second pass and the builder's bookkeeping per value were about a quarter
//! of a convert's time. Here each value is parsed into its column's type as it is read, by the
//! parsers the row builder's flush uses ([`crate::infer`]), so the values are the same.
//!
//! Whatever this does not cover gives the chunk back to the row builder, which then gives the
//! same rows or the same error: a plan with struct nesting, lists as JSON text or a document
//! column; a list whose items are objects; a value its column's type cannot hold; a second
//! value where the plan has one; a key or text the plan does not know.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Decimal128Builder, Float64Builder, Int64Builder, ListArray, StringBuilder,
    TimestampMicrosecondBuilder, TimestampNanosecondBuilder,
};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field, TimeUnit};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};

use super::elements::Elements;
use crate::formats::tree::discover::Node;
use crate::formats::tree::plan::Plan;
use crate::formats::tree::rows::{hinted_child, RowsJob, BATCH_ROWS};
use crate::infer;

/// The values of one column, in its type.
enum Values {
    Text(StringBuilder),
    Bool(BooleanBuilder),
    Int(Int64Builder),
    Float(Float64Builder),
    Date(Date32Builder),
    Decimal(Decimal128Builder, u8, i8),
    /// Timestamps, and whether the column has a time zone (the value must say one, or not).
    Micros(TimestampMicrosecondBuilder, bool),
    Nanos(TimestampNanosecondBuilder, bool),
}

impl Values {
    /// Builders for `dt`, as the row builder's flush makes them; `None` for another type.
    fn new(dt: &DataType) -> Option<Values> {
        Some(match dt {
            DataType::Utf8 => Values::Text(StringBuilder::new()),
            DataType::Boolean => Values::Bool(BooleanBuilder::new()),
            DataType::Int64 => Values::Int(Int64Builder::new()),
            DataType::Float64 => Values::Float(Float64Builder::new()),
            DataType::Date32 => Values::Date(Date32Builder::new()),
            DataType::Decimal128(p, s) => {
                Values::Decimal(Decimal128Builder::new().with_precision_and_scale(*p, *s).ok()?, *p, *s)
            }
            DataType::Timestamp(TimeUnit::Microsecond, tz) => {
                Values::Micros(TimestampMicrosecondBuilder::new().with_timezone_opt(tz.clone()), tz.is_some())
            }
            DataType::Timestamp(TimeUnit::Nanosecond, tz) => {
                Values::Nanos(TimestampNanosecondBuilder::new().with_timezone_opt(tz.clone()), tz.is_some())
            }
            _ => return None,
        })
    }

    /// Add the value written `text` (not empty); `None` if the type cannot hold it.
    #[inline]
    fn push(&mut self, text: &str) -> Option<()> {
        let v = text.as_bytes();
        match self {
            Values::Text(b) => b.append_value(text),
            Values::Bool(b) => b.append_value(infer::parse_bool(v)?),
            Values::Int(b) => b.append_value(infer::parse_i64(v)?),
            Values::Float(b) => b.append_value(infer::parse_f64(v)?),
            Values::Date(b) => b.append_value(infer::parse_date(v)?),
            Values::Decimal(b, p, s) => b.append_value(infer::parse_decimal(v, *p, *s)?),
            Values::Micros(b, tz) => b.append_value(timestamp(v, TimeUnit::Microsecond, *tz)?),
            Values::Nanos(b, tz) => b.append_value(timestamp(v, TimeUnit::Nanosecond, *tz)?),
        }
        Some(())
    }

    fn push_null(&mut self) {
        match self {
            Values::Text(b) => b.append_null(),
            Values::Bool(b) => b.append_null(),
            Values::Int(b) => b.append_null(),
            Values::Float(b) => b.append_null(),
            Values::Date(b) => b.append_null(),
            Values::Decimal(b, ..) => b.append_null(),
            Values::Micros(b, _) => b.append_null(),
            Values::Nanos(b, _) => b.append_null(),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Values::Text(b) => Arc::new(b.finish()),
            Values::Bool(b) => Arc::new(b.finish()),
            Values::Int(b) => Arc::new(b.finish()),
            Values::Float(b) => Arc::new(b.finish()),
            Values::Date(b) => Arc::new(b.finish()),
            Values::Decimal(b, ..) => Arc::new(b.finish()),
            Values::Micros(b, _) => Arc::new(b.finish()),
            Values::Nanos(b, _) => Arc::new(b.finish()),
        }
    }
}

/// A timestamp, with a time zone exactly when the column has one (as the flush demands).
fn timestamp(v: &[u8], unit: TimeUnit, tz: bool) -> Option<i64> {
    infer::parse_timestamp(v, unit).filter(|t| t.has_tz == tz).map(|t| t.value)
}

/// One column being built.
struct Column {
    values: Values,
    /// Lists: the end of each row's items in `values`, and the items so far.
    row_ends: Option<Vec<i32>>,
    items: i32,
    /// Scalars: the row (counted from 1) whose value it holds, to find a second one.
    filled: u64,
}

/// The rows of a chunk of JSON Lines, typed as they are read.
pub(super) struct TypedRows<'a> {
    nodes: &'a [Node],
    plan: &'a Plan,
    record: usize,
    /// Per path node: the column of its text, if any.
    text_column: Vec<Option<usize>>,
    /// Per path node: the child found there last (see [`Elements::likely_child`]).
    hints: Vec<usize>,
    columns: Vec<Column>,
    /// Objects open inside the current record.
    depth: usize,
    /// The current row, counted from 1 over the chunk; rows in the batch being built.
    row: u64,
    batch_rows: usize,
    batches: Vec<RecordBatch>,
}

impl<'a> TypedRows<'a> {
    /// Typed rows for `job`'s plan, or `None` if the plan has what they do not cover.
    pub(super) fn new(job: &RowsJob<'a>) -> Option<Self> {
        let (nodes, plan) = (job.nodes, job.plan);
        if plan.nesting.is_some() || plan.arrays_json || plan.document_column {
            return None;
        }
        let mut text_column = vec![None; nodes.len()];
        let mut columns = Vec::with_capacity(plan.columns.len());
        for (c, col) in plan.columns.iter().enumerate() {
            // Text columns only (JSON has no attributes); a list only of its own element's
            // values (an array of scalars), not of the members of repeated objects.
            if nodes[col.node].text_leaf() != Some(col.leaf) || col.list && !plan.anchor_columns[col.node].contains(&c)
            {
                return None;
            }
            text_column[col.node] = Some(c);
            let row_ends = col.list.then(Vec::new);
            columns.push(Column { values: Values::new(&col.item_type)?, row_ends, items: 0, filled: 0 });
        }
        // An element repeated with no column of its own holds objects: their columns would be
        // anchored at it, which is excluded above, unless it has none at all.
        let record = plan.record;
        Some(TypedRows {
            nodes,
            plan,
            record,
            text_column,
            hints: vec![0; nodes.len()],
            columns,
            depth: 0,
            row: 0,
            batch_rows: 0,
            batches: Vec::new(),
        })
    }

    /// The batches of the chunk; `None` if the last one could not be assembled.
    pub(super) fn finish(mut self) -> Option<Vec<RecordBatch>> {
        if self.batch_rows > 0 {
            self.flush()?;
        }
        Some(self.batches)
    }

    fn flush(&mut self) -> Option<()> {
        let mut arrays = Vec::with_capacity(self.columns.len());
        for (col, plan_col) in self.columns.iter_mut().zip(&self.plan.columns) {
            let values = col.values.finish();
            let array: ArrayRef = match &mut col.row_ends {
                None => values,
                Some(ends) => {
                    let mut offsets = Vec::with_capacity(ends.len() + 1);
                    offsets.push(0i32);
                    offsets.extend_from_slice(ends);
                    ends.clear();
                    col.items = 0;
                    let field = Arc::new(Field::new("item", plan_col.item_type.clone(), true));
                    Arc::new(ListArray::try_new(field, OffsetBuffer::new(offsets.into()), values, None).ok()?)
                }
            };
            arrays.push(array);
        }
        let options = RecordBatchOptions::new().with_row_count(Some(self.batch_rows));
        self.batches.push(RecordBatch::try_new_with_options(self.plan.schema.clone(), arrays, &options).ok()?);
        self.batch_rows = 0;
        Some(())
    }

    fn end_row(&mut self) -> Option<()> {
        for col in &mut self.columns {
            match &mut col.row_ends {
                Some(ends) => ends.push(col.items),
                None if col.filled != self.row => col.values.push_null(),
                None => {}
            }
        }
        self.batch_rows += 1;
        if self.batch_rows >= BATCH_ROWS {
            self.flush()?;
        }
        Some(())
    }
}

impl Elements for TypedRows<'_> {
    #[inline]
    fn likely_child(&mut self, parent: usize, is_it: impl Fn(usize) -> bool) -> Option<usize> {
        hinted_child(&self.nodes[parent].children, &mut self.hints[parent], is_it)
    }

    fn child(&mut self, parent: usize, name: &str) -> Option<usize> {
        let list = self.nodes[parent].children.as_slice();
        let i = list.iter().position(|&c| self.nodes[c].name == name)?;
        self.hints[parent] = i;
        Some(list[i])
    }

    fn open(&mut self, node: usize) -> Option<()> {
        if node == self.record && self.depth == 0 {
            self.row += 1;
        } else if self.text_column[node].is_some_and(|c| self.columns[c].row_ends.is_some()) {
            // An object as an item of a list of values: the row builder's.
            return None;
        }
        self.depth += 1;
        Some(())
    }

    fn close(&mut self) -> Option<()> {
        self.depth -= 1;
        if self.depth == 0 {
            self.end_row()?;
        }
        Some(())
    }

    #[inline]
    fn leaf(&mut self, node: usize, text: &str) -> Option<()> {
        if node == self.record {
            return None;
        }
        let Some(c) = self.text_column[node] else {
            // Text where the plan has none (the row builder widens the plan, or fails).
            return text.is_empty().then_some(());
        };
        let col = &mut self.columns[c];
        if col.row_ends.is_some() {
            // One item per element; an empty text (`null`, "") is a null item.
            col.items += 1;
            if text.is_empty() {
                col.values.push_null();
                return Some(());
            }
            return col.values.push(text);
        }
        if text.is_empty() {
            return Some(());
        }
        if col.filled == self.row {
            return None;
        }
        col.filled = self.row;
        col.values.push(text)
    }
}
