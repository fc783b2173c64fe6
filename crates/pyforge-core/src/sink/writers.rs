//! The file writers behind [`Sink`].

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, SchemaRef};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression as PqCompression, Encoding, GzipLevel, ZstdLevel};
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
            let props = WriterProperties::builder()
                .set_compression(compression)
                .set_max_row_group_row_count(Some(opts.row_group_size.max(1)))
                .set_created_by(format!("pyforge {}", env!("CARGO_PKG_VERSION")));
            // The writer is made at the first batch, when the data can say which encoding pays
            // for each column (column_encodings).
            Box::new(ParquetSink {
                state: ParquetState::Pending { file, schema, props },
                path,
                rows: 0,
                row_group: opts.row_group_size.max(1),
            })
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
            let writer = arrow::ipc::writer::FileWriter::try_new_with_options(BufWriter::new(file), &schema, options)
                .map_err(|e| Error::arrow(&path, e))?;
            Box::new(IpcSink { writer, path, rows: 0 })
        }
        OutputFormat::Txt => {
            let text_col = schema
                .fields()
                .iter()
                .position(|f| {
                    f.name() == "text"
                        && matches!(f.data_type(), DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
                })
                .ok_or_else(|| Error::InvalidOption("txt output needs a text column, e.g. from PDF".into()))?;
            let page_col = schema.fields().iter().position(|f| f.name() == "page");
            Box::new(TxtSink {
                out: Some(text_stream(file, codec)),
                path,
                rows: 0,
                text_col,
                page_col,
                markers: opts.page_markers,
            })
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
    state: ParquetState,
    path: PathBuf,
    rows: u64,
    /// Rows per row group: a column's dictionary is per row group.
    row_group: usize,
}

enum ParquetState {
    /// Before the first batch: what the writer will be made of.
    Pending {
        file: File,
        schema: SchemaRef,
        props: parquet::file::properties::WriterPropertiesBuilder,
    },
    Open(ArrowWriter<BufWriter<File>>),
    /// Only while switching from `Pending` to `Open`.
    Switching,
}

impl ParquetSink {
    /// The writer, made on first use with each column's encoding chosen from `first` (the
    /// first batch; `None` for a table without rows).
    fn writer(&mut self, first: Option<&RecordBatch>) -> Result<&mut ArrowWriter<BufWriter<File>>> {
        if let ParquetState::Pending { .. } = self.state {
            let ParquetState::Pending { file, schema, mut props } =
                std::mem::replace(&mut self.state, ParquetState::Switching)
            else {
                unreachable!("checked above")
            };
            for (name, choice) in column_encodings(&schema, first, self.row_group) {
                let column = ColumnPath::from(name);
                props = props.set_column_dictionary_enabled(column.clone(), choice == ColumnEncoding::Dictionary);
                if choice == ColumnEncoding::Delta {
                    props = props.set_column_encoding(column, Encoding::DELTA_BINARY_PACKED);
                }
            }
            let writer = ArrowWriter::try_new(BufWriter::with_capacity(1 << 20, file), schema, Some(props.build()))
                .map_err(|e| Error::parquet(&self.path, e))?;
            self.state = ParquetState::Open(writer);
        }
        match &mut self.state {
            ParquetState::Open(w) => Ok(w),
            _ => unreachable!("the writer was made above"),
        }
    }
}

impl Sink for ParquetSink {
    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.rows += batch.num_rows() as u64;
        let path = self.path.clone();
        self.writer(Some(batch))?.write(batch).map_err(|e| Error::parquet(&path, e))
    }
    fn finish(mut self: Box<Self>) -> Result<u64> {
        self.writer(None)?;
        let ParquetState::Open(writer) = self.state else { unreachable!("made by writer()") };
        let mut inner = writer.into_inner().map_err(|e| Error::parquet(&self.path, e))?;
        inner.flush().map_err(|e| Error::io(&self.path, e))?;
        Ok(self.rows)
    }
}

/// Rows of the first batch looked at to judge a column's cardinality.
const DICTIONARY_SAMPLE_ROWS: usize = 16_384;

/// How a column's values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ColumnEncoding {
    /// A dictionary per row group, the pages holding indexes into it.
    Dictionary,
    /// Differences between neighbours, bit-packed (DELTA_BINARY_PACKED).
    Delta,
    Plain,
}

/// The encoding of each top-level number, time or text column, judged on the first batch.
/// A dictionary pays where values repeat within a row group (quantities, dates, status codes,
/// city names), making pages several times smaller; for mostly-distinct columns (ids, amounts,
/// free text) it would only hash values until the dictionary overflows and the writer falls
/// back to plain, leaving larger pages than plain alone. Of those, integer and time columns
/// whose neighbours are close (row numbers, sequence ids, sorted keys and timestamps) are
/// written as differences, a bit or two per value instead of four or eight bytes.
fn column_encodings<'a>(
    schema: &'a SchemaRef,
    first: Option<&RecordBatch>,
    row_group: usize,
) -> Vec<(&'a str, ColumnEncoding)> {
    let mut out = Vec::new();
    for (i, f) in schema.fields().iter().enumerate() {
        let kind = f.data_type();
        if kind.is_primitive() || matches!(kind, DataType::Utf8 | DataType::LargeUtf8) {
            let choice = match first.map(|b| b.column(i).as_ref()) {
                Some(c) if dictionary_pays(c, row_group) => ColumnEncoding::Dictionary,
                Some(c) if delta_pays(c) => ColumnEncoding::Delta,
                _ => ColumnEncoding::Plain,
            };
            out.push((f.name().as_str(), choice));
        }
    }
    out
}

/// Values in a block of the delta encoding that share one bit width (a "miniblock").
const DELTA_MINIBLOCK: usize = 32;

/// Whether a 32- or 64-bit integer column (also dates and timestamps) would take at most a
/// quarter of its width per value as bit-packed differences: the mean, over the sample's
/// miniblocks, of the bits that the spread of their differences needs. Plain pages of such
/// columns compress to about half under Snappy, so this is a clear win where it holds, and a
/// column of unrelated values (random amounts, timestamps in no order) never qualifies.
fn delta_pays(column: &dyn Array) -> bool {
    let width_bits = match column.data_type() {
        DataType::Int32 | DataType::Date32 => 32,
        DataType::Int64 | DataType::Timestamp(..) => 64,
        _ => return false,
    };
    let data = column.to_data();
    let width = width_bits / 8;
    let bytes = &data.buffers()[0].as_slice()[data.offset() * width..];
    let rows = column.len().min(DICTIONARY_SAMPLE_ROWS);
    let values: Vec<i64> = (0..rows)
        .filter(|&i| column.is_valid(i))
        .map(|i| {
            let v = &bytes[i * width..(i + 1) * width];
            if width == 4 {
                i64::from(i32::from_le_bytes(v.try_into().expect("4 bytes")))
            } else {
                i64::from_le_bytes(v.try_into().expect("8 bytes"))
            }
        })
        .collect();
    let deltas: Vec<i64> = values.windows(2).map(|w| w[1].wrapping_sub(w[0])).collect();
    if deltas.len() < 4 * DELTA_MINIBLOCK {
        return false;
    }
    let bits: u64 = deltas
        .chunks(DELTA_MINIBLOCK)
        .map(|m| {
            let (lo, hi) = m.iter().fold((i64::MAX, i64::MIN), |(lo, hi), &d| (lo.min(d), hi.max(d)));
            u64::from(64 - (hi.wrapping_sub(lo) as u64).leading_zeros())
        })
        .sum();
    let blocks = deltas.len().div_ceil(DELTA_MINIBLOCK) as u64;
    bits * 4 <= blocks * width_bits as u64
}

/// Whether a row group of `row_group` rows would hold at most one distinct value per four rows
/// and a dictionary under the writer's 1 MiB page limit. The number of distinct values is
/// estimated from the sample with Chao's estimator (distinct + f1²/2f2, f1 and f2 the values
/// seen once and twice), which sees that 10,000 dates in a sample of 16,000 rows come from a
/// small set, and that 16,000 ids seen once each do not.
fn dictionary_pays(column: &dyn Array, row_group: usize) -> bool {
    let Some(Sample { counts, value_bytes }) = sample(column) else { return false };
    let sampled: u64 = counts.iter().map(|&c| u64::from(c)).sum();
    if sampled < 64 {
        return false;
    }
    let seen_once = counts.iter().filter(|&&c| c == 1).count() as f64;
    let seen_twice = counts.iter().filter(|&&c| c == 2).count() as f64;
    let estimate = counts.len() as f64 + seen_once * (seen_once - 1.0).max(0.0) / (2.0 * (seen_twice + 1.0));
    estimate <= row_group as f64 / 4.0 && estimate * (value_bytes + 4.0) <= f64::from(1u32 << 20)
}

/// What the first rows of a column show: how often each distinct non-null value occurs, and
/// the mean size of a distinct value in bytes.
struct Sample {
    counts: Vec<u32>,
    value_bytes: f64,
}

/// `None` for a type without a flat value buffer.
fn sample(column: &dyn Array) -> Option<Sample> {
    let rows = column.len().min(DICTIONARY_SAMPLE_ROWS);
    let valid = (0..rows).filter(|&i| column.is_valid(i));
    match column.data_type() {
        DataType::Utf8 => Some(count_values(valid.map(|i| column.as_string::<i32>().value(i).as_bytes()))),
        DataType::LargeUtf8 => Some(count_values(valid.map(|i| column.as_string::<i64>().value(i).as_bytes()))),
        kind => {
            let width = kind.primitive_width()?;
            let data = column.to_data();
            let bytes = &data.buffers()[0].as_slice()[data.offset() * width..];
            Some(count_values(valid.map(|i| &bytes[i * width..(i + 1) * width])))
        }
    }
}

fn count_values<'a>(values: impl Iterator<Item = &'a [u8]>) -> Sample {
    let mut counts: std::collections::HashMap<&[u8], u32> = std::collections::HashMap::new();
    for v in values {
        *counts.entry(v).or_insert(0) += 1;
    }
    let value_bytes = counts.keys().map(|k| k.len()).sum::<usize>() as f64 / counts.len().max(1) as f64;
    Sample { counts: counts.into_values().collect(), value_bytes }
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
        let text = arrow::compute::cast(batch.column(self.text_col), &DataType::Utf8)
            .map_err(|e| Error::arrow(&self.path, e))?;
        let text = text.as_string::<i32>();
        let pages = match self.page_col {
            Some(i) if self.markers => {
                Some(arrow::compute::cast(batch.column(i), &DataType::Utf8).map_err(|e| Error::arrow(&self.path, e))?)
            }
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Date32Array, Int64Array, StringArray};
    use arrow::datatypes::{Field, Schema};
    use parquet::file::reader::{FileReader, SerializedFileReader};

    use super::*;

    /// The encodings of each column of the file's first row group, by name.
    fn encodings(path: &Path) -> Vec<(String, Vec<Encoding>)> {
        let reader = SerializedFileReader::new(File::open(path).unwrap()).unwrap();
        let rg = reader.metadata().row_group(0);
        rg.columns().iter().map(|c| (c.column_path().string(), c.encodings().collect())).collect()
    }

    /// The file's first (here only) batch.
    fn read_back(path: &Path) -> RecordBatch {
        parquet::arrow::arrow_reader::ParquetRecordBatchReader::try_new(File::open(path).unwrap(), 1 << 20)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
    }

    #[test]
    fn dictionaries_for_repeating_columns_only() {
        let n = 20_000i64;
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("qty", DataType::Int64, true),
            Field::new("day", DataType::Date32, true),
            Field::new("city", DataType::Utf8, true),
            Field::new("note", DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from_iter_values(0..n)),
                Arc::new(Int64Array::from_iter_values((0..n).map(|i| i * 7919 % 1000))),
                // 15,000 days: each seen about once in this batch, a small set in a row group.
                Arc::new(Date32Array::from_iter_values((0..n).map(|i| (i * 7919 % 15_000) as i32))),
                Arc::new(StringArray::from_iter_values((0..n).map(|i| ["Oslo", "Lima", "Pune"][i as usize % 3]))),
                Arc::new(StringArray::from_iter_values((0..n).map(|i| format!("note {i}")))),
            ],
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let mut sink = open_file_sink(File::create(&path).unwrap(), &path, schema, &WriteOptions::default()).unwrap();
        sink.write(&batch).unwrap();
        assert_eq!(sink.finish().unwrap(), n as u64);
        let dictionary = |col: &str| {
            let all = encodings(&path);
            all.iter().find(|(c, _)| c == col).unwrap().1.contains(&Encoding::RLE_DICTIONARY)
        };
        assert!(dictionary("qty") && dictionary("day") && dictionary("city"), "{:?}", encodings(&path));
        assert!(!dictionary("id") && !dictionary("note"), "{:?}", encodings(&path));
        let encoded = |col: &str, e: Encoding| encodings(&path).iter().any(|(c, all)| c == col && all.contains(&e));
        assert!(encoded("id", Encoding::DELTA_BINARY_PACKED), "{:?}", encodings(&path));
        for col in ["qty", "day", "city", "note"] {
            assert!(!encoded(col, Encoding::DELTA_BINARY_PACKED), "{col}: {:?}", encodings(&path));
        }
        assert_eq!(read_back(&path), batch, "same values whatever the encoding");
    }

    /// splitmix64's finaliser: unrelated neighbours.
    fn scrambled(mut x: u64) -> u64 {
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^ (x >> 31)
    }

    #[test]
    fn differences_only_where_neighbours_are_close() {
        let n = 20_000i64;
        let schema = Arc::new(Schema::new(vec![
            Field::new("sorted_ts", DataType::Timestamp(arrow::datatypes::TimeUnit::Second, None), true),
            Field::new("id32", DataType::Int32, true),
            Field::new("random", DataType::Int64, false),
            Field::new("descending", DataType::Int64, false),
            Field::new("wrapping", DataType::Int64, false),
        ]));
        let ts: arrow::array::TimestampSecondArray =
            (0..n).map(|i| (i % 100 != 0).then_some(1_600_000_000 + i * 37 + i % 5)).collect();
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(ts),
                Arc::new(arrow::array::Int32Array::from_iter((0..n as i32).map(|i| (i % 9 != 0).then_some(i)))),
                Arc::new(Int64Array::from_iter_values((0..n).map(|i| scrambled(i as u64) as i64))),
                Arc::new(Int64Array::from_iter_values((0..n).map(|i| 1_000_000 - 3 * i))),
                // A sequence that runs past i64::MAX to i64::MIN: its differences wrap around.
                Arc::new(Int64Array::from_iter_values((0..n).map(|i| (i64::MAX - n / 2).wrapping_add(i)))),
            ],
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let mut sink = open_file_sink(File::create(&path).unwrap(), &path, schema, &WriteOptions::default()).unwrap();
        sink.write(&batch).unwrap();
        sink.finish().unwrap();
        let delta = |col: &str| {
            encodings(&path).iter().any(|(c, all)| c == col && all.contains(&Encoding::DELTA_BINARY_PACKED))
        };
        assert!(
            delta("sorted_ts") && delta("id32") && delta("descending") && delta("wrapping"),
            "{:?}",
            encodings(&path)
        );
        assert!(!delta("random"), "{:?}", encodings(&path));
        assert_eq!(read_back(&path), batch, "same values whatever the encoding");
    }

    #[test]
    fn a_table_without_rows_is_a_file_with_its_schema() {
        let schema = Arc::new(Schema::new(vec![Field::new("a", DataType::Int64, true)]));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.parquet");
        let sink =
            open_file_sink(File::create(&path).unwrap(), &path, schema.clone(), &WriteOptions::default()).unwrap();
        assert_eq!(sink.finish().unwrap(), 0);
        let reader =
            parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap()).unwrap();
        assert_eq!(reader.schema().fields(), schema.fields());
        assert_eq!(reader.metadata().file_metadata().num_rows(), 0);
    }
}
