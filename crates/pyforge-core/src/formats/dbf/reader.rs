//! The record stream: reads records in batches, skips (or flags) deleted ones, and decodes
//! every field into its column builder.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanBuilder};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;

use super::codepage::CodePage;
use super::columns::{Builder, Column, Kind, Layout};
use super::memo::MemoFile;
use super::values;
use crate::error::{Error, Result};

/// Everything a stream needs to know about its table.
pub struct Plan {
    pub path: PathBuf,
    pub table: String,
    pub header_len: usize,
    pub record_len: usize,
    pub record_count: u64,
    pub layout: Layout,
    pub code_page: CodePage,
    pub include_deleted: bool,
    pub schema: SchemaRef,
}

/// Why one value could not be decoded.
enum FieldError {
    /// Bytes that are not a value of the type.
    Value(String),
    /// Undecodable byte at this offset of the text.
    Encoding(usize, Vec<u8>),
}

/// Streams a table's records as record batches.
///
/// Records have a fixed length, so a producer thread reads the file in raw chunks and decodes
/// them in parallel (each decoder with its own memo-file handle) while the consumer writes the
/// previous batches; batches come out in record order, and the first failing record in that
/// order is the error reported. Memory is bounded by the chunks in flight (one per core, at
/// most ~32 MiB of records each) and a two-batch queue.
pub struct DbfStream {
    schema: SchemaRef,
    batches: std::sync::mpsc::Receiver<Result<RecordBatch>>,
    failed: bool,
}

impl DbfStream {
    /// Open the table file (and memo file) and start reading from the first record.
    pub fn new(plan: Plan, memo: Option<MemoFile>) -> Result<DbfStream> {
        let schema = plan.schema.clone();
        let (path, table) = (plan.path.clone(), plan.table.clone());
        let spawn_failed = path.clone();
        let mut producer = Producer::new(plan, memo)?;
        let (tx, rx) = std::sync::mpsc::sync_channel(2);
        std::thread::Builder::new()
            .name("pyforge-dbf".into())
            .spawn(move || {
                // A panic must not look like the end of the table: it becomes an error.
                if let Err(why) = crate::panic_guard::catch(|| producer.run(&tx)) {
                    let msg = format!("internal error: the DBF reader stopped unexpectedly ({why})");
                    let _ = tx.send(Err(Error::invalid(&path, None, msg).with_table(&table)));
                }
            })
            .map_err(|e| Error::io(&spawn_failed, e))?;
        Ok(DbfStream { schema, batches: rx, failed: false })
    }
}

/// The reading side of a [`DbfStream`].
struct Producer {
    plan: Plan,
    file: BufReader<File>,
    /// One memo-file handle per decoder (`None` without a memo file).
    memos: Vec<Option<MemoFile>>,
    next_record: u64,
    batch_rows: usize,
}

/// Raw records of one batch: the number of the first and their bytes.
struct RawChunk {
    first_record: u64,
    bytes: Vec<u8>,
}

impl Producer {
    fn new(plan: Plan, memo: Option<MemoFile>) -> Result<Producer> {
        let mut f = File::open(&plan.path).map_err(|e| Error::io(&plan.path, e))?;
        f.seek(SeekFrom::Start(plan.header_len as u64)).map_err(|e| Error::io(&plan.path, e))?;
        // Batches of up to 64k records, smaller for wide records (at most ~32 MiB of input).
        let batch_rows = ((32usize << 20) / plan.record_len).clamp(1, 64 * 1024);
        let decoders = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
        let mut memos = vec![memo];
        for _ in 1..decoders {
            let extra = match &memos[0] {
                Some(m) => Some(MemoFile::open(m.path(), m.kind()).map_err(|e| Error::invalid(m.path(), None, e))?),
                None => None,
            };
            memos.push(extra);
        }
        Ok(Producer { file: BufReader::with_capacity(1 << 20, f), memos, next_record: 0, batch_rows, plan })
    }

    /// Send every batch in order, then stop; stop at the first error (sent) or when the
    /// consumer has gone away.
    fn run(&mut self, tx: &std::sync::mpsc::SyncSender<Result<RecordBatch>>) {
        while self.next_record < self.plan.record_count {
            for result in self.fill() {
                let stop = result.is_err();
                // A batch of only deleted records: nothing to hand out.
                if matches!(&result, Ok(b) if b.num_rows() == 0) {
                    continue;
                }
                if tx.send(result).is_err() || stop {
                    return;
                }
            }
        }
    }

    /// Read the next chunk of raw records (`None` at the end of the table).
    fn read_raw(&mut self) -> Result<Option<RawChunk>> {
        let remaining = self.plan.record_count - self.next_record;
        if remaining == 0 {
            return Ok(None);
        }
        let n = (remaining as usize).min(self.batch_rows);
        let mut bytes = vec![0u8; n * self.plan.record_len];
        if let Err(e) = self.file.read_exact(&mut bytes) {
            return Err(if e.kind() == std::io::ErrorKind::UnexpectedEof {
                Error::invalid(
                    &self.plan.path,
                    Some(self.next_record + 1),
                    format!(
                        "the file ends before record {} of the {} the header announces (truncated file)",
                        self.next_record + 1,
                        self.plan.record_count
                    ),
                )
                .with_table(&self.plan.table)
            } else {
                Error::io(&self.plan.path, e)
            });
        }
        let chunk = RawChunk { first_record: self.next_record, bytes };
        self.next_record += n as u64;
        Ok(Some(chunk))
    }

    /// Read up to one chunk per decoder and decode them in parallel; results in record order.
    fn fill(&mut self) -> Vec<Result<RecordBatch>> {
        let mut chunks = Vec::new();
        while chunks.len() < self.memos.len() {
            match self.read_raw() {
                Ok(Some(c)) => chunks.push(c),
                Ok(None) => break,
                Err(e) => {
                    // What was read before the failure comes first.
                    let mut done = decode_all(&self.plan, chunks, &mut self.memos);
                    done.push(Err(e));
                    self.next_record = self.plan.record_count;
                    return done;
                }
            }
        }
        decode_all(&self.plan, chunks, &mut self.memos)
    }
}

/// Decode `chunks` in parallel, one per memo handle; results in chunk order.
fn decode_all(plan: &Plan, chunks: Vec<RawChunk>, memos: &mut [Option<MemoFile>]) -> Vec<Result<RecordBatch>> {
    if chunks.len() <= 1 {
        return chunks.into_iter().map(|c| decode(plan, &c, &mut memos[0])).collect();
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> =
            chunks.iter().zip(memos.iter_mut()).map(|(c, m)| scope.spawn(move || decode(plan, c, m))).collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(Error::invalid(&plan.path, None, "a DBF decoder thread panicked").with_table(&plan.table))
                })
            })
            .collect()
    })
}

/// Decode one chunk of raw records into a batch (deleted records skipped or flagged).
fn decode(plan: &Plan, chunk: &RawChunk, memo: &mut Option<MemoFile>) -> Result<RecordBatch> {
    let rl = plan.record_len;
    let n = chunk.bytes.len() / rl;
    let mut builders: Vec<Builder> = plan.layout.columns.iter().map(|c| Builder::new(c.kind, n)).collect();
    let mut deleted = plan.include_deleted.then(|| BooleanBuilder::with_capacity(n));
    let mut scratch = String::new();
    let mut rows = 0usize;
    for (i, rec) in chunk.bytes.chunks_exact(rl).enumerate() {
        let recno = chunk.first_record + i as u64 + 1;
        let is_deleted = rec[0] == b'*';
        match &mut deleted {
            None if is_deleted => continue,
            None => {}
            Some(d) => d.append_value(is_deleted),
        }
        rows += 1;
        let flags: &[u8] = match &plan.layout.null_flags {
            Some(nf) => &rec[nf.offset..nf.offset + nf.length],
            None => &[],
        };
        for (col, b) in plan.layout.columns.iter().zip(builders.iter_mut()) {
            append(col, b, rec, flags, &plan.code_page, memo, &mut scratch)
                .map_err(|e| field_error(plan, col, recno, e))?;
        }
    }
    let mut arrays: Vec<ArrayRef> = builders.iter_mut().map(Builder::finish).collect();
    if let Some(d) = &mut deleted {
        arrays.push(Arc::new(d.finish()));
    }
    let opts = arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(rows));
    RecordBatch::try_new_with_options(plan.schema.clone(), arrays, &opts).map_err(|e| Error::arrow(&plan.path, e))
}

fn field_error(plan: &Plan, col: &Column, recno: u64, e: FieldError) -> Error {
    let what = format!("record {recno}, field {} {}", col.field.name, col.field.declaration());
    match e {
        FieldError::Value(m) => Error::invalid(&plan.path, Some(recno), format!("{what}: {m}")).with_table(&plan.table),
        FieldError::Encoding(pos, bytes) => Error::Encoding {
            path: plan.path.clone(),
            line: Some(recno),
            encoding: plan.code_page.name(),
            detail: format!(
                "{what}: byte 0x{:02X} at offset {pos} of {}",
                bytes.get(pos).copied().unwrap_or(0),
                values::show(&bytes)
            ),
        },
    }
}

fn bit(flags: &[u8], n: usize) -> bool {
    flags.get(n / 8).is_some_and(|b| b & (1 << (n % 8)) != 0)
}

fn text(b: &mut Builder, cp: &CodePage, bytes: &[u8], scratch: &mut String) -> Result<(), FieldError> {
    let Builder::Str(s) = b else { unreachable!("text column has a string builder") };
    if bytes.is_ascii() {
        // ASCII is valid UTF-8; checked above, so this cannot fail.
        s.append_value(std::str::from_utf8(bytes).map_err(|_| FieldError::Encoding(0, bytes.to_vec()))?);
        return Ok(());
    }
    cp.decode_into(bytes, scratch).map_err(|pos| FieldError::Encoding(pos, bytes.to_vec()))?;
    s.append_value(scratch.as_str());
    Ok(())
}

fn trim_end(b: &[u8]) -> &[u8] {
    let end = b.iter().rposition(|&c| c != b' ' && c != 0).map_or(0, |e| e + 1);
    &b[..end]
}

fn append(
    col: &Column,
    b: &mut Builder,
    rec: &[u8],
    flags: &[u8],
    cp: &CodePage,
    memo: &mut Option<MemoFile>,
    scratch: &mut String,
) -> Result<(), FieldError> {
    let f = &col.field;
    let mut raw = &rec[f.offset..f.offset + f.length];
    if col.null_bit.is_some_and(|n| bit(flags, n)) {
        b.null();
        return Ok(());
    }
    if col.var_bit.is_some_and(|n| bit(flags, n)) {
        let len = raw.last().copied().unwrap_or(0) as usize;
        if len >= raw.len() {
            return Err(FieldError::Value(format!("variable length {len} does not fit the field")));
        }
        raw = &raw[..len];
    }
    let v = FieldError::Value;
    match (col.kind, b) {
        (Kind::Text { trim }, b) => text(b, cp, if trim { trim_end(raw) } else { raw }, scratch)?,
        (Kind::Bytes, Builder::Bin(b)) => b.append_value(raw),
        (Kind::Int64, Builder::I64(b)) => match values::decimal(raw, 19, 0).map_err(v)? {
            Some(x) => {
                b.append_value(i64::try_from(x).map_err(|_| FieldError::Value("number too large for int64".into()))?)
            }
            None => b.append_null(),
        },
        (Kind::Decimal { precision, scale }, Builder::Dec(b)) => {
            b.append_option(values::decimal(raw, precision, scale).map_err(v)?)
        }
        (Kind::Currency, Builder::Dec(b)) => {
            b.append_value(i64::from_le_bytes(raw.try_into().map_err(|_| v("bad currency width".into()))?) as i128)
        }
        (Kind::Date, Builder::Date(b)) => b.append_option(values::date(raw).map_err(v)?),
        (Kind::Logical, Builder::Bool(b)) => b.append_option(values::logical(raw).map_err(v)?),
        (Kind::Int32, Builder::I32(b)) => {
            b.append_value(i32::from_le_bytes(raw.try_into().map_err(|_| v("bad integer width".into()))?))
        }
        (Kind::Int32Dbase7, Builder::I32(b)) => b.append_option(values::dbase7_i32(raw)),
        (Kind::Double, Builder::F64(b)) => {
            b.append_value(f64::from_le_bytes(raw.try_into().map_err(|_| v("bad double width".into()))?))
        }
        (Kind::DoubleDbase7, Builder::F64(b)) => b.append_option(values::dbase7_f64(raw)),
        (Kind::DateTime, Builder::Ts(b)) => b.append_option(values::datetime(raw).map_err(v)?),
        (Kind::MemoText | Kind::MemoBytes, b) => {
            let Some(block) = values::memo_block(raw).map_err(v)? else {
                b.null();
                return Ok(());
            };
            let Some(m) = memo.as_mut() else {
                // Missing memo file accepted with --ignore-missing-memo.
                b.null();
                return Ok(());
            };
            let data = m.read(block).map_err(v)?;
            match b {
                Builder::Bin(bb) => bb.append_value(data),
                b => text(b, cp, data, scratch)?,
            }
        }
        (k, _) => unreachable!("builder does not match kind {k:?}"),
    }
    Ok(())
}

impl Iterator for DbfStream {
    type Item = Result<RecordBatch>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        // The producer ends the channel after the last batch (or after an error).
        let item = self.batches.recv().ok()?;
        self.failed = item.is_err();
        Some(item)
    }
}

impl crate::source::TableStream for DbfStream {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}
