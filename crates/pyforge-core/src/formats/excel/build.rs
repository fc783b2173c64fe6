//! Arrow arrays from decoded cells: one builder per column, typed by the column's [`Kind`].

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, DurationMillisecondBuilder, Float64Builder, Int64Builder, StringBuilder,
    Time32MillisecondBuilder, TimestampMillisecondBuilder,
};
use arrow::datatypes::{DataType, TimeUnit};

use super::values::{ErrorCells, Kind, Val};

/// The Arrow type of a column kind (columns without any value are strings).
pub fn arrow_type(k: Kind) -> DataType {
    match k {
        Kind::Null | Kind::String => DataType::Utf8,
        Kind::Int => DataType::Int64,
        Kind::Float => DataType::Float64,
        Kind::Bool => DataType::Boolean,
        Kind::Date => DataType::Date32,
        Kind::DateTime => DataType::Timestamp(TimeUnit::Millisecond, None),
        Kind::Time => DataType::Time32(TimeUnit::Millisecond),
        Kind::Duration => DataType::Duration(TimeUnit::Millisecond),
    }
}

/// A value that the column's kind cannot hold: the table must be read again, wider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Misfit(pub Kind);

/// One column being built.
pub enum ColumnBuilder {
    Int(Int64Builder),
    Float(Float64Builder),
    Bool(BooleanBuilder),
    Date(Date32Builder),
    DateTime(TimestampMillisecondBuilder),
    Time(Time32MillisecondBuilder),
    Duration(DurationMillisecondBuilder),
    Str(StringBuilder),
}

impl ColumnBuilder {
    pub fn new(k: Kind, capacity: usize) -> Self {
        match k {
            Kind::Null | Kind::String => ColumnBuilder::Str(StringBuilder::with_capacity(capacity, capacity * 8)),
            Kind::Int => ColumnBuilder::Int(Int64Builder::with_capacity(capacity)),
            Kind::Float => ColumnBuilder::Float(Float64Builder::with_capacity(capacity)),
            Kind::Bool => ColumnBuilder::Bool(BooleanBuilder::with_capacity(capacity)),
            Kind::Date => ColumnBuilder::Date(Date32Builder::with_capacity(capacity)),
            Kind::DateTime => ColumnBuilder::DateTime(TimestampMillisecondBuilder::with_capacity(capacity)),
            Kind::Time => ColumnBuilder::Time(Time32MillisecondBuilder::with_capacity(capacity)),
            Kind::Duration => ColumnBuilder::Duration(DurationMillisecondBuilder::with_capacity(capacity)),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn len(&self) -> usize {
        use arrow::array::ArrayBuilder;
        match self {
            ColumnBuilder::Int(b) => b.len(),
            ColumnBuilder::Float(b) => b.len(),
            ColumnBuilder::Bool(b) => b.len(),
            ColumnBuilder::Date(b) => b.len(),
            ColumnBuilder::DateTime(b) => b.len(),
            ColumnBuilder::Time(b) => b.len(),
            ColumnBuilder::Duration(b) => b.len(),
            ColumnBuilder::Str(b) => b.len(),
        }
    }

    pub fn append_null(&mut self) {
        match self {
            ColumnBuilder::Int(b) => b.append_null(),
            ColumnBuilder::Float(b) => b.append_null(),
            ColumnBuilder::Bool(b) => b.append_null(),
            ColumnBuilder::Date(b) => b.append_null(),
            ColumnBuilder::DateTime(b) => b.append_null(),
            ColumnBuilder::Time(b) => b.append_null(),
            ColumnBuilder::Duration(b) => b.append_null(),
            ColumnBuilder::Str(b) => b.append_null(),
        }
    }

    /// Append one value. Returns `Ok(true)` when an error cell was read as null, and
    /// [`Misfit`] when the value needs a wider column.
    pub fn append(&mut self, v: &Val, errors: ErrorCells) -> Result<bool, Misfit> {
        if let (Val::Error(_), ErrorCells::Null) = (v, errors) {
            self.append_null();
            return Ok(true);
        }
        let misfit = || Misfit(v.kind(errors));
        match self {
            ColumnBuilder::Str(b) => match v.render() {
                Some(s) => b.append_value(s),
                None => b.append_null(),
            },
            ColumnBuilder::Int(b) => match v {
                Val::Int(i) => b.append_value(*i),
                Val::Float(f) if v.kind(errors) == Kind::Int => b.append_value(*f as i64),
                Val::Empty | Val::EmptyText => b.append_null(),
                _ => return Err(misfit()),
            },
            ColumnBuilder::Float(b) => match v {
                Val::Int(i) => b.append_value(*i as f64),
                Val::Float(f) => b.append_value(*f),
                Val::Empty | Val::EmptyText => b.append_null(),
                _ => return Err(misfit()),
            },
            ColumnBuilder::Bool(b) => match v {
                Val::Bool(x) => b.append_value(*x),
                Val::Empty | Val::EmptyText => b.append_null(),
                _ => return Err(misfit()),
            },
            ColumnBuilder::Date(b) => match v {
                Val::Date(d) => b.append_value(*d),
                Val::Empty | Val::EmptyText => b.append_null(),
                _ => return Err(misfit()),
            },
            ColumnBuilder::DateTime(b) => match v {
                Val::Date(d) => b.append_value(*d as i64 * 86_400_000),
                Val::DateTime(ms) => b.append_value(*ms),
                Val::Time(_, ms) => b.append_value(*ms),
                Val::Empty | Val::EmptyText => b.append_null(),
                _ => return Err(misfit()),
            },
            ColumnBuilder::Time(b) => match v {
                Val::Time(ms, _) => b.append_value(*ms),
                Val::Empty | Val::EmptyText => b.append_null(),
                _ => return Err(misfit()),
            },
            ColumnBuilder::Duration(b) => match v {
                Val::Duration(ms) => b.append_value(*ms),
                Val::Empty | Val::EmptyText => b.append_null(),
                _ => return Err(misfit()),
            },
        }
        Ok(false)
    }

    /// Append a value that is the same for every row (the `_sheet` column).
    pub fn append_str(&mut self, s: &str) {
        if let ColumnBuilder::Str(b) = self {
            b.append_value(s);
        }
    }

    pub fn finish(&mut self) -> ArrayRef {
        match self {
            ColumnBuilder::Int(b) => Arc::new(b.finish()),
            ColumnBuilder::Float(b) => Arc::new(b.finish()),
            ColumnBuilder::Bool(b) => Arc::new(b.finish()),
            ColumnBuilder::Date(b) => Arc::new(b.finish()),
            ColumnBuilder::DateTime(b) => Arc::new(b.finish()),
            ColumnBuilder::Time(b) => Arc::new(b.finish()),
            ColumnBuilder::Duration(b) => Arc::new(b.finish()),
            ColumnBuilder::Str(b) => Arc::new(b.finish()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, Int64Array, StringArray};
    use std::borrow::Cow;

    #[test]
    fn int_column_takes_integral_floats_and_refuses_text() {
        let mut b = ColumnBuilder::new(Kind::Int, 4);
        assert_eq!(b.append(&Val::Float(3.0), ErrorCells::Null), Ok(false));
        assert_eq!(b.append(&Val::Error(calamine::CellErrorType::NA), ErrorCells::Null), Ok(true));
        assert_eq!(b.append(&Val::Float(3.5), ErrorCells::Null), Err(Misfit(Kind::Float)));
        assert_eq!(b.append(&Val::Text(Cow::Borrowed("x")), ErrorCells::Null), Err(Misfit(Kind::String)));
        let a = b.finish();
        let a = a.as_any().downcast_ref::<Int64Array>().unwrap();
        assert_eq!(a.value(0), 3);
        assert!(a.is_null(1));
    }

    #[test]
    fn string_column_renders_everything() {
        let mut b = ColumnBuilder::new(Kind::String, 4);
        b.append(&Val::Float(3.0), ErrorCells::Text).unwrap();
        b.append(&Val::Error(calamine::CellErrorType::Div0), ErrorCells::Text).unwrap();
        b.append(&Val::EmptyText, ErrorCells::Text).unwrap();
        let a = b.finish();
        let a = a.as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!((a.value(0), a.value(1), a.value(2)), ("3", "#DIV/0!", ""));
    }
}
