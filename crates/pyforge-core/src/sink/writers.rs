//! The file writers behind [`Sink`].

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, SchemaRef};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression as PqCompression, GzipLevel, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

use super::{Compression, OutputFormat, Sink, WriteOptions};
use crate::error::{Error, Result};

/// Open a sink writing `schema`-shaped batches into `file` (named `path` in errors).
pub fn open_file_sink(file: File, path: &Path, schema: SchemaRef, opts: &WriteOptions) -> Result<Box<dyn Sink>> {
    let codec = opts.codec();
    codec.check(opts.format)?;
    let path = path.to_path_buf();
    Ok(match opts.format {
        OutputFormat::Parquet => {
            let compression = match codec {
                Compression::Snappy => PqCompression::SNAPPY,
                Compression::Zstd => PqCompression::ZSTD(ZstdLevel::default()),
                Compression::Gzip => PqCompression::GZIP(GzipLevel::default()),
                Compression::Lz4 => PqCompression::LZ4_RAW,
                Compression::None => PqCompression::UNCOMPRESSED,
            };
            let mut props = WriterProperties::builder()
                .set_compression(compression)
                .set_max_row_group_row_count(Some(opts.row_group_size.max(1)))
                .set_created_by(format!("pyforge {}", env!("CARGO_PKG_VERSION")));
            // Dictionary encoding pays off for text (repeated names, codes); for numbers and
            // times it mostly hashes values until the dictionary overflows and is dropped.
            for f in schema.fields() {
                let text = matches!(f.data_type(), DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View);
                if !text && f.data_type().is_primitive() {
                    props = props.set_column_dictionary_enabled(ColumnPath::from(f.name().as_str()), false);
                }
            }
            let props = props.build();
            let writer = ArrowWriter::try_new(BufWriter::with_capacity(1 << 20, file), schema, Some(props))
                .map_err(|e| Error::parquet(&path, e))?;
            Box::new(ParquetSink { writer, path, rows: 0 })
        }
        OutputFormat::Csv => {
            let out = text_stream(file, codec);
            let writer = arrow::csv::WriterBuilder::new().with_header(true).build(out);
            Box::new(CsvSink { writer: Some(writer), path, rows: 0 })
        }
        OutputFormat::Jsonl => {
            let out = text_stream(file, codec);
            let writer = arrow::json::WriterBuilder::new()
                .with_explicit_nulls(true)
                .build::<_, arrow::json::writer::LineDelimited>(out);
            Box::new(JsonlSink { writer: Some(writer), path, rows: 0 })
        }
        OutputFormat::Arrow => {
            let ipc_codec = match codec {
                Compression::Lz4 => Some(arrow::ipc::CompressionType::LZ4_FRAME),
                Compression::Zstd => Some(arrow::ipc::CompressionType::ZSTD),
                _ => None,
            };
            let options = arrow::ipc::writer::IpcWriteOptions::default()
                .try_with_compression(ipc_codec)
                .map_err(|e| Error::arrow(&path, e))?;
            let writer =
                arrow::ipc::writer::FileWriter::try_new_with_options(BufWriter::new(file), &schema, options)
                    .map_err(|e| Error::arrow(&path, e))?;
            Box::new(IpcSink { writer, path, rows: 0 })
        }
        OutputFormat::Txt => {
            let text_col = schema
                .fields()
                .iter()
                .position(|f| f.name() == "text" && matches!(f.data_type(), DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View))
                .ok_or_else(|| Error::InvalidOption("txt output needs a text column, e.g. from PDF".into()))?;
            let page_col = schema.fields().iter().position(|f| f.name() == "page");
            Box::new(TxtSink { out: Some(text_stream(file, codec)), path, rows: 0, text_col, page_col, markers: opts.page_markers })
        }
    })
}

/// A byte stream for text outputs, compressed as a whole when asked.
fn text_stream(file: File, codec: Compression) -> Box<dyn FinishWrite> {
    let buffered = BufWriter::with_capacity(1 << 20, file);
    match codec {
        Compression::Gzip => Box::new(flate2::write::GzEncoder::new(buffered, flate2::Compression::default())),
        Compression::Zstd => Box::new(zstd::stream::write::Encoder::new(buffered, 3).expect("zstd level 3")),
        _ => Box::new(buffered),
    }
}

/// A writer that must be told the stream is complete (compressors write a trailer).
trait FinishWrite: Write + Send {
    fn finish_stream(self: Box<Self>) -> std::io::Result<()>;
}

impl FinishWrite for BufWriter<File> {
    fn finish_stream(mut self: Box<Self>) -> std::io::Result<()> {
        self.flush()
    }
}

impl FinishWrite for flate2::write::GzEncoder<BufWriter<File>> {
    fn finish_stream(self: Box<Self>) -> std::io::Result<()> {
        (*self).finish()?.flush()
    }
}

impl FinishWrite for zstd::stream::write::Encoder<'static, BufWriter<File>> {
    fn finish_stream(self: Box<Self>) -> std::io::Result<()> {
        (*self).finish()?.flush()
    }
}

struct ParquetSink {
    writer: ArrowWriter<BufWriter<File>>,
    path: PathBuf,
    rows: u64,
}

impl Sink for ParquetSink {
    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.rows += batch.num_rows() as u64;
        self.writer.write(batch).map_err(|e| Error::parquet(&self.path, e))
    }
    fn finish(self: Box<Self>) -> Result<u64> {
        let mut inner = self.writer.into_inner().map_err(|e| Error::parquet(&self.path, e))?;
        inner.flush().map_err(|e| Error::io(&self.path, e))?;
        Ok(self.rows)
    }
}

struct CsvSink {
    writer: Option<arrow::csv::Writer<Box<dyn FinishWrite>>>,
    path: PathBuf,
    rows: u64,
}

impl Sink for CsvSink {
    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.rows += batch.num_rows() as u64;
        self.writer.as_mut().expect("open writer").write(batch).map_err(|e| Error::arrow(&self.path, e))
    }
    fn finish(mut self: Box<Self>) -> Result<u64> {
        let out = self.writer.take().expect("open writer").into_inner();
        out.finish_stream().map_err(|e| Error::io(&self.path, e))?;
        Ok(self.rows)
    }
}

struct JsonlSink {
    writer: Option<arrow::json::Writer<Box<dyn FinishWrite>, arrow::json::writer::LineDelimited>>,
    path: PathBuf,
    rows: u64,
}

impl Sink for JsonlSink {
    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.rows += batch.num_rows() as u64;
        self.writer.as_mut().expect("open writer").write(batch).map_err(|e| Error::arrow(&self.path, e))
    }
    fn finish(mut self: Box<Self>) -> Result<u64> {
        let mut w = self.writer.take().expect("open writer");
        w.finish().map_err(|e| Error::arrow(&self.path, e))?;
        w.into_inner().finish_stream().map_err(|e| Error::io(&self.path, e))?;
        Ok(self.rows)
    }
}

struct IpcSink {
    writer: arrow::ipc::writer::FileWriter<BufWriter<File>>,
    path: PathBuf,
    rows: u64,
}

impl Sink for IpcSink {
    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.rows += batch.num_rows() as u64;
        self.writer.write(batch).map_err(|e| Error::arrow(&self.path, e))
    }
    fn finish(mut self: Box<Self>) -> Result<u64> {
        self.writer.finish().map_err(|e| Error::arrow(&self.path, e))?;
        let mut inner = self.writer.into_inner().map_err(|e| Error::arrow(&self.path, e))?;
        inner.flush().map_err(|e| Error::io(&self.path, e))?;
        Ok(self.rows)
    }
}

/// Plain text: each row's `text` followed by a form feed (as `pdftotext` separates pages), or
/// preceded by a `--- page N ---` line with page markers. A text not ending in a newline gets
/// one, so the separator starts a line. Nulls are written as empty pages.
struct TxtSink {
    out: Option<Box<dyn FinishWrite>>,
    path: PathBuf,
    rows: u64,
    text_col: usize,
    page_col: Option<usize>,
    markers: bool,
}

impl Sink for TxtSink {
    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let text = arrow::compute::cast(batch.column(self.text_col), &DataType::Utf8).map_err(|e| Error::arrow(&self.path, e))?;
        let text = text.as_string::<i32>();
        let pages = match self.page_col {
            Some(i) if self.markers => Some(
                arrow::compute::cast(batch.column(i), &DataType::Utf8).map_err(|e| Error::arrow(&self.path, e))?,
            ),
            _ => None,
        };
        let out = self.out.as_mut().expect("open writer");
        let mut buf = String::new();
        for row in 0..batch.num_rows() {
            buf.clear();
            let t = if text.is_null(row) { "" } else { text.value(row) };
            if self.markers {
                let n = match &pages {
                    Some(p) if !p.is_null(row) => p.as_string::<i32>().value(row).to_string(),
                    _ => (self.rows + row as u64 + 1).to_string(),
                };
                buf.push_str(&format!("--- page {n} ---\n"));
            }
            buf.push_str(t);
            if !t.is_empty() && !t.ends_with('\n') {
                buf.push('\n');
            }
            if !self.markers {
                buf.push('\x0c');
            }
            out.write_all(buf.as_bytes()).map_err(|e| Error::io(&self.path, e))?;
        }
        self.rows += batch.num_rows() as u64;
        Ok(())
    }
    fn finish(mut self: Box<Self>) -> Result<u64> {
        self.out.take().expect("open writer").finish_stream().map_err(|e| Error::io(&self.path, e))?;
        Ok(self.rows)
    }
}
