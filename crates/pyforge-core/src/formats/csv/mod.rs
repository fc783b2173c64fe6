//! CSV, TSV and delimited text: encoding detection, dialect sniffing, sampled type inference
//! with safe widening, and parallel chunked parsing with bounded memory.
//!
//! Reading works in two phases. `open` reads a sample (the first MiB) to settle the encoding,
//! the dialect, the header and a first guess of each column's type. `open_table` then streams
//! the file: one thread reads and cuts record-aligned chunks, worker threads turn chunks into
//! record batches, and the stream hands them out in order. If a chunk holds a value its
//! column's type cannot represent, the plan is widened and [`Error::SchemaWidened`] tells the
//! pipeline to start the table again; a value is never coerced or dropped.

mod batch;
mod chunker;
pub mod encoding;
mod records;
mod sniff;

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use arrow::datatypes::{Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use crossbeam_channel::{bounded, Receiver};

use self::batch::{ChunkError, ChunkPlan};
use self::chunker::Chunker;
use self::encoding::{DecodeFailure, DecodingReader, TextEncoding};
use self::records::{last_record_end, Dialect, Records};
use crate::error::{Error, Result};
use crate::format::Format;
use crate::infer::{ColumnState, TYPED_NULL_TOKENS};
use crate::options::{InferTypes, ReadOptions};
use crate::source::{BoxedStream, ColumnInfo, Source, TableInfo, TableStream};
use crate::types::type_name;

/// Bytes read to sniff the dialect and sample the types.
const SAMPLE_BYTES: usize = 1 << 20;
/// Target size of a parallel chunk.
const CHUNK_BYTES: usize = 4 << 20;

/// The CSV/TSV/TXT format.
pub struct CsvFormat;

impl Format for CsvFormat {
    fn name(&self) -> &'static str {
        "csv"
    }
    fn description(&self) -> &'static str {
        "Delimited text (CSV, TSV, TXT): encoding, delimiter and header detected, types inferred"
    }
    fn extensions(&self) -> &'static [&'static str] {
        &["csv", "tsv", "tab", "txt", "psv", "dat"]
    }
    fn open(&self, path: &Path, options: &ReadOptions) -> Result<Box<dyn Source>> {
        Ok(Box::new(CsvSource::open(path, options)?))
    }
}

/// How the file will be read; widened as the data demands.
#[derive(Debug, Clone)]
struct Plan {
    encoding: TextEncoding,
    encoding_how: &'static str,
    bom_len: usize,
    dialect: Dialect,
    header: bool,
    /// Decoded bytes before the first data record (skipped lines and the header).
    data_start: usize,
    first_line: u64,
    names: Vec<String>,
    states: Vec<ColumnState>,
    infer: InferTypes,
    user_nulls: Vec<Vec<u8>>,
    typed_null_tokens: bool,
    allow_ragged: bool,
}

impl Plan {
    fn schema(&self) -> SchemaRef {
        let fields: Vec<Field> = self
            .names
            .iter()
            .zip(&self.states)
            .map(|(n, s)| {
                let dt = if self.infer == InferTypes::No { arrow::datatypes::DataType::Utf8 } else { s.resolve() };
                Field::new(n, dt, true)
            })
            .collect();
        Arc::new(Schema::new(fields))
    }
}

/// An opened CSV file (one table, named after the file's stem).
pub struct CsvSource {
    path: PathBuf,
    table: String,
    plan: Arc<Mutex<Plan>>,
}

fn read_up_to(f: &mut File, n: usize) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(n);
    f.by_ref().take(n as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

fn line_at(text: &[u8], offset: usize) -> u64 {
    1 + memchr::memchr_iter(b'\n', &text[..offset.min(text.len())]).count() as u64
}

impl CsvSource {
    /// Open `path` and settle encoding, dialect, header and sampled types.
    pub fn open(path: &Path, options: &ReadOptions) -> Result<Self> {
        let (head, at_eof) = read_head(path)?;
        let (encoding, encoding_how, bom_len) = choose_encoding(path, &head, at_eof, options)?;
        let (text, bad) = encoding::decode_sample(&head[bom_len..], encoding, at_eof);
        if bad.is_some() {
            return Err(Error::Encoding {
                path: path.to_path_buf(),
                line: Some(line_at(text.as_bytes(), text.len())),
                encoding: encoding.name(),
                detail: "invalid byte sequence".into(),
            });
        }
        let text = text.into_bytes();
        let data_start = skip_preamble(&text, options.skip_rows, at_eof)?;
        let body = &text[data_start..];
        let dialect = choose_dialect(path, body, options);
        // Only whole records of the sample count.
        let sample_len = if at_eof { body.len() } else { last_record_end(body, &dialect).unwrap_or(0) };
        let (records, _) = Records::parse(&body[..sample_len], &dialect, usize::MAX);
        if records.is_empty() {
            return Err(Error::invalid(path, None, "no records found (the file holds only blank lines)"));
        }
        let columns = SampledColumns::new(&records, options);
        // Where data starts: after the header record, or at the first record.
        let start = data_start
            + match (columns.header, records.len()) {
                (true, 1) => sample_len,
                (true, _) => records.record_offsets[1],
                (false, _) => records.record_offsets[0],
            };
        let plan = Plan {
            encoding,
            encoding_how,
            bom_len,
            dialect,
            header: columns.header,
            data_start: start,
            first_line: line_at(&text, start),
            names: columns.names,
            states: columns.states,
            infer: options.infer_types,
            user_nulls: columns.user_nulls,
            typed_null_tokens: columns.typed_null_tokens,
            allow_ragged: options.allow_ragged,
        };
        let table = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "data".into());
        Ok(CsvSource { path: path.to_path_buf(), table, plan: Arc::new(Mutex::new(plan)) })
    }

    fn snapshot(&self) -> Plan {
        self.plan.lock().expect("plan lock").clone()
    }
}

/// The first [`SAMPLE_BYTES`] of the file, and whether that is all of it.
fn read_head(path: &Path) -> Result<(Vec<u8>, bool)> {
    let io = |e| Error::io(path, e);
    let mut file = File::open(path).map_err(io)?;
    if file.metadata().map_err(io)?.is_dir() {
        return Err(Error::invalid(path, None, "is a directory, not a file"));
    }
    let head = read_up_to(&mut file, SAMPLE_BYTES).map_err(io)?;
    if head.is_empty() {
        return Err(Error::invalid(path, None, "file is empty: no header and no records"));
    }
    let at_eof = head.len() < SAMPLE_BYTES;
    Ok((head, at_eof))
}

/// The encoding given or detected, how it was chosen, and the length of the byte-order mark
/// to skip.
fn choose_encoding(
    path: &Path,
    head: &[u8],
    at_eof: bool,
    options: &ReadOptions,
) -> Result<(TextEncoding, &'static str, usize)> {
    let detected = encoding::detect(head, at_eof);
    let Some(label) = &options.encoding else {
        return Ok((detected.encoding, detected.how, detected.bom_len));
    };
    let enc = TextEncoding::from_label(label).ok_or_else(|| Error::Usage {
        path: path.to_path_buf(),
        message: format!("--encoding: unknown encoding {label:?} (utf-8, latin-1, cp1252, utf-16le, ...)"),
    })?;
    // A BOM of the same family is still skipped.
    let bom = if detected.bom_len > 0 && detected.encoding == enc { detected.bom_len } else { 0 };
    Ok((enc, "given", bom))
}

/// Where the text starts after `skip_rows` preamble lines.
fn skip_preamble(text: &[u8], skip_rows: usize, at_eof: bool) -> Result<usize> {
    let mut data_start = 0usize;
    for _ in 0..skip_rows {
        match memchr::memchr(b'\n', &text[data_start..]) {
            Some(p) => data_start += p + 1,
            None if at_eof => data_start = text.len(),
            None => return Err(Error::InvalidOption("--skip-rows goes beyond the first MiB of the file".into())),
        }
    }
    Ok(data_start)
}

/// Delimiter (given, or sniffed with the extension's usual one preferred), quote and line end.
fn choose_dialect(path: &Path, body: &[u8], options: &ReadOptions) -> Dialect {
    let line_end = sniff::line_end(body);
    let quote = options.quote.unwrap_or(b'"');
    let preferred = match path.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase()).as_deref() {
        Some("tsv") | Some("tab") => b'\t',
        Some("psv") => b'|',
        _ => b',',
    };
    let delimiter = options.delimiter.unwrap_or_else(|| sniff::delimiter(body, quote, line_end, preferred));
    Dialect { delimiter, quote, line_end }
}

/// What the sample's records say about the columns: header, names, and the types seen.
struct SampledColumns {
    header: bool,
    names: Vec<String>,
    states: Vec<ColumnState>,
    user_nulls: Vec<Vec<u8>>,
    typed_null_tokens: bool,
}

impl SampledColumns {
    fn new(records: &Records, options: &ReadOptions) -> Self {
        let user_nulls: Vec<Vec<u8>> = options.null_values.iter().flatten().map(|s| s.as_bytes().to_vec()).collect();
        let typed_null_tokens = options.null_values.is_none();
        let null_strings: Vec<String> = options.null_values.clone().unwrap_or_default();
        let header = options.header.unwrap_or_else(|| sniff::has_header(records, &null_strings));
        let ncols = if options.allow_ragged {
            (0..records.len()).map(|r| records.field_count(r)).max().unwrap_or(0)
        } else {
            records.field_count(0)
        };
        let raw_names: Vec<String> = (0..ncols)
            .map(|c| match (header, records.field(0, c)) {
                (true, Some(v)) => String::from_utf8_lossy(v).into_owned(),
                _ => String::new(),
            })
            .collect();
        let is_null = |v: &[u8]| {
            v.is_empty()
                || user_nulls.iter().any(|n| n.as_slice() == v)
                || (typed_null_tokens && TYPED_NULL_TOKENS.iter().any(|t| t.as_bytes() == v))
        };
        let mut states = vec![ColumnState::default(); ncols];
        if options.infer_types == InferTypes::Yes {
            for r in usize::from(header)..records.len() {
                for (c, state) in states.iter_mut().enumerate() {
                    match records.field(r, c) {
                        Some(v) if !is_null(v) => state.observe(v),
                        _ => {}
                    }
                }
            }
        }
        let names = crate::column_names::unique_column_names(raw_names);
        SampledColumns { header, names, states, user_nulls, typed_null_tokens }
    }
}

impl Source for CsvSource {
    fn format_name(&self) -> &'static str {
        "csv"
    }

    fn details(&self) -> BTreeMap<String, serde_json::Value> {
        let p = self.snapshot();
        let mut m = BTreeMap::new();
        let ch = |b: u8| (b as char).to_string();
        m.insert("encoding".into(), p.encoding.name().into());
        m.insert("encoding_detected_by".into(), p.encoding_how.into());
        m.insert("delimiter".into(), ch(p.dialect.delimiter).into());
        m.insert("quote".into(), ch(p.dialect.quote).into());
        m.insert("line_end".into(), ch(p.dialect.line_end).into());
        m.insert("header".into(), p.header.into());
        m
    }

    fn tables(&self) -> Result<Vec<TableInfo>> {
        let schema = self.snapshot().schema();
        Ok(vec![TableInfo {
            name: self.table.clone(),
            rows: None,
            columns: schema
                .fields()
                .iter()
                .map(|f| ColumnInfo { name: f.name().clone(), data_type: type_name(f.data_type()) })
                .collect(),
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
        Ok(Box::new(CsvStream::start(self.path.clone(), self.plan.clone())))
    }
}

type Indexed = (usize, std::result::Result<RecordBatch, StreamFailure>);

/// Failures travelling from the reader and worker threads to the stream.
enum StreamFailure {
    Chunk(ChunkError),
    Io(std::io::Error),
}

/// The ordered batch stream of one CSV table.
struct CsvStream {
    path: PathBuf,
    schema: SchemaRef,
    plan: Arc<Mutex<Plan>>,
    rx: Receiver<Indexed>,
    pending: HashMap<usize, std::result::Result<RecordBatch, StreamFailure>>,
    next: usize,
    /// Chunks the reader cut, set when it reached the end of the input: the stream is
    /// complete only when every one of them came back (a worker that died loses its chunk).
    chunks_cut: Arc<std::sync::atomic::AtomicUsize>,
    done: bool,
}

impl CsvStream {
    fn start(path: PathBuf, plan: Arc<Mutex<Plan>>) -> Self {
        let p = plan.lock().expect("plan lock").clone();
        let schema = p.schema();
        let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).clamp(1, 8);
        let (chunk_tx, chunk_rx) = bounded::<chunker::Chunk>(workers * 2);
        let (result_tx, rx) = bounded::<Indexed>(workers * 2);
        let chunk_plan = Arc::new(ChunkPlan {
            dialect: p.dialect,
            schema: schema.clone(),
            states: p.states.clone(),
            user_nulls: p.user_nulls.clone(),
            typed_null_tokens: p.typed_null_tokens,
            allow_ragged: p.allow_ragged,
        });
        for _ in 0..workers {
            let (chunk_rx, result_tx, chunk_plan) = (chunk_rx.clone(), result_tx.clone(), chunk_plan.clone());
            std::thread::spawn(move || {
                for chunk in chunk_rx {
                    let r = chunk_plan.convert(&chunk).map_err(StreamFailure::Chunk);
                    if result_tx.send((chunk.index, r)).is_err() {
                        return;
                    }
                }
            });
        }
        let reader_path = path.clone();
        let chunks_cut = Arc::new(std::sync::atomic::AtomicUsize::new(usize::MAX));
        let cut = chunks_cut.clone();
        std::thread::spawn(move || {
            let mut index = 0;
            let result = (|| -> std::io::Result<()> {
                let mut file = File::open(&reader_path)?;
                file.seek(SeekFrom::Start(p.bom_len as u64))?;
                let file = std::io::BufReader::with_capacity(1 << 20, file);
                let mut reader: Box<dyn Read + Send> = match p.encoding {
                    TextEncoding::Utf8 => Box::new(file),
                    enc => Box::new(DecodingReader::new(file, enc)),
                };
                std::io::copy(&mut reader.by_ref().take(p.data_start as u64), &mut std::io::sink())?;
                let mut chunker = Chunker::new(reader, p.dialect, CHUNK_BYTES, p.first_line);
                while let Some(chunk) = chunker.next_chunk()? {
                    index = chunk.index + 1;
                    if chunk_tx.send(chunk).is_err() {
                        return Ok(());
                    }
                }
                cut.store(index, std::sync::atomic::Ordering::SeqCst);
                Ok(())
            })();
            if let Err(e) = result {
                let _ = result_tx.send((index, Err(StreamFailure::Io(e))));
            }
        });
        CsvStream { path, schema, plan, rx, pending: HashMap::new(), next: 0, chunks_cut, done: false }
    }

    fn fail(&mut self, failure: StreamFailure) -> Error {
        self.done = true;
        let path = self.path.clone();
        match failure {
            StreamFailure::Io(e) => match e.get_ref().and_then(|i| i.downcast_ref::<DecodeFailure>()) {
                Some(d) => Error::Encoding {
                    path,
                    line: Some(d.line),
                    encoding: self.plan.lock().expect("plan lock").encoding.name(),
                    detail: d.detail.clone(),
                },
                None => Error::io(path, e),
            },
            StreamFailure::Chunk(ChunkError::Ragged { line, expected, found }) => Error::invalid(
                path,
                Some(line),
                format!("expected {expected} fields, found {found} (use --allow-ragged to accept ragged rows)"),
            ),
            StreamFailure::Chunk(ChunkError::Utf8 { line, detail }) => {
                Error::Encoding { path, line: Some(line), encoding: "utf-8".into(), detail }
            }
            StreamFailure::Chunk(ChunkError::Widen { states, extra_columns }) => {
                let mut plan = self.plan.lock().expect("plan lock");
                let mut changed = Vec::new();
                for (c, s) in states {
                    plan.states[c].merge(&s);
                    changed.push(plan.names[c].clone());
                }
                if !extra_columns.is_empty() {
                    let mut names = plan.names.clone();
                    let base = names.len();
                    names.extend((0..extra_columns.len()).map(|i| format!("column_{}", base + i + 1)));
                    plan.names = crate::column_names::unique_column_names(names);
                    plan.states.extend(extra_columns);
                    changed.push(format!("{} extra columns", plan.names.len() - base));
                }
                Error::SchemaWidened { path, reason: format!("widened {}", changed.join(", ")) }
            }
        }
    }
}

impl Iterator for CsvStream {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        loop {
            if let Some(r) = self.pending.remove(&self.next) {
                self.next += 1;
                return Some(r.map_err(|f| self.fail(f)));
            }
            match self.rx.recv() {
                Ok((i, Err(f))) if matches!(f, StreamFailure::Chunk(ChunkError::Widen { .. })) => {
                    // Widening is monotonic: act on it at once, whatever its position.
                    let _ = i;
                    return Some(Err(self.fail(f)));
                }
                Ok((i, r)) => {
                    self.pending.insert(i, r);
                }
                Err(_) => {
                    self.done = true;
                    // Every thread has stopped: complete only if every chunk came back.
                    if self.chunks_cut.load(std::sync::atomic::Ordering::SeqCst) == self.next && self.pending.is_empty()
                    {
                        return None;
                    }
                    return Some(Err(Error::invalid(
                        &self.path,
                        None,
                        "internal error: a reader thread stopped unexpectedly; the output would be incomplete",
                    )));
                }
            }
        }
    }
}

impl TableStream for CsvStream {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}
