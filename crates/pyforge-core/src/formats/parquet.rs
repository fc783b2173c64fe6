//! Parquet as an input: re-compress, re-partition, or convert to CSV/JSONL/Arrow.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use arrow::record_batch::RecordBatchReader;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::error::{Error, Result};
use crate::format::Format;
use crate::options::ReadOptions;
use crate::source::{BoxedStream, ColumnInfo, IterStream, Source, TableInfo};
use crate::types::type_name;

/// The Parquet format.
pub struct ParquetFormat;

impl Format for ParquetFormat {
    fn name(&self) -> &'static str {
        "parquet"
    }
    fn description(&self) -> &'static str {
        "Apache Parquet: re-compress, re-partition or convert to CSV/JSONL/Arrow"
    }
    fn extensions(&self) -> &'static [&'static str] {
        &["parquet", "parq", "pq"]
    }
    fn sniff(&self, head: &[u8]) -> bool {
        head.starts_with(b"PAR1")
    }
    fn open(&self, path: &Path, _options: &ReadOptions) -> Result<Box<dyn Source>> {
        let builder = builder(path)?;
        let meta = builder.metadata().clone();
        let schema = builder.schema().clone();
        Ok(Box::new(ParquetSource {
            path: path.to_path_buf(),
            table: path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "data".into()),
            rows: meta.file_metadata().num_rows().max(0) as u64,
            row_groups: meta.num_row_groups(),
            created_by: meta.file_metadata().created_by().map(str::to_string),
            columns: schema
                .fields()
                .iter()
                .map(|f| ColumnInfo { name: f.name().clone(), data_type: type_name(f.data_type()) })
                .collect(),
        }))
    }
}

fn builder(path: &Path) -> Result<ParquetRecordBatchReaderBuilder<File>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| Error::parquet(path, e))
}

struct ParquetSource {
    path: PathBuf,
    table: String,
    rows: u64,
    row_groups: usize,
    created_by: Option<String>,
    columns: Vec<ColumnInfo>,
}

impl Source for ParquetSource {
    fn format_name(&self) -> &'static str {
        "parquet"
    }

    fn details(&self) -> BTreeMap<String, serde_json::Value> {
        let mut m = BTreeMap::new();
        m.insert("row_groups".into(), self.row_groups.into());
        if let Some(c) = &self.created_by {
            m.insert("created_by".into(), c.clone().into());
        }
        m
    }

    fn tables(&self) -> Result<Vec<TableInfo>> {
        Ok(vec![TableInfo {
            name: self.table.clone(),
            rows: Some(self.rows),
            columns: self.columns.clone(),
            details: BTreeMap::new(),
        }])
    }

    fn open_table(&self, name: &str) -> Result<BoxedStream> {
        if name != self.table {
            return Err(Error::NoSuchTable {
                path: self.path.clone(),
                wanted: name.into(),
                available: vec![self.table.clone()],
            });
        }
        let reader =
            builder(&self.path)?.with_batch_size(64 * 1024).build().map_err(|e| Error::parquet(&self.path, e))?;
        let schema = reader.schema();
        let path = self.path.clone();
        Ok(Box::new(IterStream::new(schema, reader.map(move |r| r.map_err(|e| Error::arrow(&path, e))))))
    }
}
