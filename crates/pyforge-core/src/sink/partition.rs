//! Hive-style partitioned output: `col=value/part-00000.parquet`, partition columns in the
//! path rather than in the files, as Spark, DuckDB and pyarrow datasets expect.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{Array, StringArray, UInt32Array};
use arrow::datatypes::{DataType, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;

use super::{open_file_sink, Sink, WriteOptions};
use crate::error::{Error, Result};

/// Hive's name for the partition of nulls (and empty strings).
pub const NULL_PARTITION: &str = "__HIVE_DEFAULT_PARTITION__";

/// Most partitions one output may have; past it the user most likely picked the wrong column,
/// and thousands of open writers would exhaust memory and file handles.
pub const MAX_PARTITIONS: usize = 10_000;

/// Writes each row into the file of its partition.
pub struct PartitionedSink {
    dir: PathBuf,
    part_cols: Vec<usize>,
    part_names: Vec<String>,
    data_cols: Vec<usize>,
    data_schema: SchemaRef,
    opts: WriteOptions,
    writers: HashMap<Vec<String>, Box<dyn Sink>>,
}

impl PartitionedSink {
    /// Partition `schema`-shaped batches by `columns` into folder `dir`.
    pub fn new(dir: PathBuf, schema: SchemaRef, columns: &[String], opts: WriteOptions) -> Result<Self> {
        let mut part_cols = Vec::new();
        for c in columns {
            let i = schema.index_of(c).map_err(|_| {
                let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
                Error::InvalidOption(format!("--partition-by: no column {c:?}; columns are: {}", names.join(", ")))
            })?;
            part_cols.push(i);
        }
        let data_cols: Vec<usize> = (0..schema.fields().len()).filter(|i| !part_cols.contains(i)).collect();
        if data_cols.is_empty() {
            return Err(Error::InvalidOption("--partition-by: at least one column must remain in the files".into()));
        }
        let data_schema = Arc::new(Schema::new(data_cols.iter().map(|&i| schema.field(i).clone()).collect::<Vec<_>>()));
        Ok(PartitionedSink {
            dir,
            part_cols,
            part_names: columns.to_vec(),
            data_cols,
            data_schema,
            opts,
            writers: HashMap::new(),
        })
    }
}

/// Escape a partition value the way Hive does (percent-encoding path-hostile characters).
pub fn escape_value(v: &str) -> String {
    if v.is_empty() {
        return NULL_PARTITION.to_string();
    }
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        if c.is_control() || "\"#%'*/:=?\\{}[]^".contains(c) {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    if out == "." || out == ".." {
        out = out.replace('.', "%2E");
    }
    out
}

impl Sink for PartitionedSink {
    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let keys: Vec<StringArray> = self
            .part_cols
            .iter()
            .map(|&i| {
                let a =
                    arrow::compute::cast(batch.column(i), &DataType::Utf8).map_err(|e| Error::arrow(&self.dir, e))?;
                Ok(a.as_any().downcast_ref::<StringArray>().expect("cast to utf8").clone())
            })
            .collect::<Result<_>>()?;
        let mut groups: HashMap<Vec<String>, Vec<u32>> = HashMap::new();
        for row in 0..batch.num_rows() {
            let key: Vec<String> = keys
                .iter()
                .map(|k| if k.is_null(row) { NULL_PARTITION.into() } else { escape_value(k.value(row)) })
                .collect();
            groups.entry(key).or_default().push(row as u32);
        }
        let data = batch.project(&self.data_cols).map_err(|e| Error::arrow(&self.dir, e))?;
        for (key, rows) in groups {
            if !self.writers.contains_key(&key) {
                if self.writers.len() >= MAX_PARTITIONS {
                    return Err(Error::InvalidOption(format!(
                        "--partition-by {} makes more than {MAX_PARTITIONS} partitions; choose a column with fewer values",
                        self.part_names.join(",")
                    )));
                }
                let mut dir = self.dir.clone();
                for (name, value) in self.part_names.iter().zip(&key) {
                    dir.push(format!("{}={value}", escape_value(name)));
                }
                std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
                let path = dir.join(format!("part-00000.{}", self.opts.file_extension()));
                let file = std::fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
                let sink = open_file_sink(file, &path, self.data_schema.clone(), &self.opts)?;
                self.writers.insert(key.clone(), sink);
            }
            let indices = UInt32Array::from(rows);
            let part = arrow::compute::take_record_batch(&data, &indices).map_err(|e| Error::arrow(&self.dir, e))?;
            self.writers.get_mut(&key).expect("writer created").write(&part)?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<u64> {
        let mut rows = 0;
        for (_, w) in self.writers {
            rows += w.finish()?;
        }
        Ok(rows)
    }
}
