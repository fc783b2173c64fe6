//! The table model: a [`Source`] is an opened input holding one or more named tables, each read
//! as a stream of Arrow record batches.

use std::collections::BTreeMap;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use serde::Serialize;

use crate::error::Result;

/// A stream of record batches sharing one schema.
pub trait TableStream: Iterator<Item = Result<RecordBatch>> + Send {
    /// The schema of every batch the stream yields.
    fn schema(&self) -> SchemaRef;
}

/// A boxed, sendable [`TableStream`].
pub type BoxedStream = Box<dyn TableStream>;

/// What a source knows about one of its tables before reading it.
#[derive(Debug, Clone, Serialize)]
pub struct TableInfo {
    /// Table, sheet or record-set name, as the input spells it.
    pub name: String,
    /// Row count if the format records it (or it was counted); `None` if unknown without a scan.
    pub rows: Option<u64>,
    /// Column names and types (pyarrow-style type names), possibly inferred from a sample.
    pub columns: Vec<ColumnInfo>,
    /// Free-form facts worth showing (hidden sheet, linked table, ...).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub details: BTreeMap<String, serde_json::Value>,
}

/// A column's name and type name.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct ColumnInfo {
    pub name: String,
    #[serde(rename = "type")]
    pub data_type: String,
}

/// An opened input.
///
/// ```no_run
/// use pyforge_core::{open, ReadOptions};
/// let source = open("sales.csv".as_ref(), &ReadOptions::default()).unwrap();
/// for table in source.tables().unwrap() {
///     let mut stream = source.open_table(&table.name).unwrap();
///     while let Some(batch) = stream.next() {
///         println!("{} rows", batch.unwrap().num_rows());
///     }
/// }
/// ```
pub trait Source: Send + Sync {
    /// The registry name of the format (`csv`, `parquet`, ...).
    fn format_name(&self) -> &'static str;

    /// Facts about the whole input (version, encoding, dialect, ...), for `info`.
    fn details(&self) -> BTreeMap<String, serde_json::Value> {
        BTreeMap::new()
    }

    /// The tables this input holds, in the input's own order.
    fn tables(&self) -> Result<Vec<TableInfo>>;

    /// Start reading one table. Calling it again restarts from the beginning.
    fn open_table(&self, name: &str) -> Result<BoxedStream>;
}

/// Wrap a schema and an iterator into a [`TableStream`].
pub struct IterStream<I> {
    schema: SchemaRef,
    iter: I,
}

impl<I> IterStream<I> {
    pub fn new(schema: SchemaRef, iter: I) -> Self {
        IterStream { schema, iter }
    }
}

impl<I: Iterator<Item = Result<RecordBatch>> + Send> Iterator for IterStream<I> {
    type Item = Result<RecordBatch>;
    fn next(&mut self) -> Option<Self::Item> {
        self.iter.next()
    }
}

impl<I: Iterator<Item = Result<RecordBatch>> + Send> TableStream for IterStream<I> {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}
