//! JSON input: JSON Lines, a top-level array, or one document whose records sit under a path
//! (`--record-path $.data.items`), all streamed (no document is loaded whole).
//!
//! The JSON is reported to the tree engine ([`crate::formats::tree`]) as elements: every value
//! is an element named after its key (the top-level values are `value` elements), an object's
//! members are child elements, an array is the element repeated once per item (an array inside
//! an array is an element holding repeated `item` elements), a scalar is text and `null` an
//! element without text. So nested objects become `a_b` columns and arrays become list columns,
//! by the same rules as XML. Repeated top-level values (JSON Lines, a top-level array) are the
//! records; otherwise the record element is detected, or given with `--record-path`.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor as SerdeVisitor};

use crate::error::{Error, Result};
use crate::format::Format;
use crate::formats::compressed;
use crate::formats::tree::pipeline::{map_chunks_ordered, walk_chunks_parallel};
use crate::formats::tree::rows::RowsJob;
use crate::formats::tree::source::{RecordChoice, TreeSource};
use crate::formats::tree::{Attrs, TreeInput, Visitor};
use crate::options::ReadOptions;
use crate::source::Source;

mod elements;
mod lenient;
mod lines;
mod typed;

/// Element name of top-level JSON values.
pub const ROOT: &str = crate::formats::tree::JSON_ROOT;
/// Element name of the items of an array inside an array.
pub const ITEM: &str = "item";

/// The map key under which serde_json (feature `arbitrary_precision`, enabled in the workspace
/// manifest) hands over a number's text instead of a rounded `f64`/`u64`.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// The JSON format.
pub struct JsonFormat;

impl Format for JsonFormat {
    fn name(&self) -> &'static str {
        "json"
    }
    fn description(&self) -> &'static str {
        "JSON Lines, JSON arrays and documents (also .gz/.bz2/.zst): nested objects flattened"
    }
    fn extensions(&self) -> &'static [&'static str] {
        &[
            "json",
            "jsonl",
            "ndjson",
            "json.gz",
            "jsonl.gz",
            "ndjson.gz",
            "json.bz2",
            "jsonl.bz2",
            "json.zst",
            "jsonl.zst",
        ]
    }
    fn open(&self, path: &Path, options: &ReadOptions) -> Result<Box<dyn Source>> {
        let (_, compression) = compressed::open(path)?;
        let mut details = BTreeMap::new();
        details.insert("compression".into(), compression.name().into());
        let input =
            Arc::new(JsonInput { path: path.to_path_buf(), recover: options.recover, repairs: Default::default() });
        Ok(Box::new(TreeSource::open("json", path, input, options, RecordChoice::PreferRoots, details)?))
    }
}

/// A JSON file ready to be walked.
pub struct JsonInput {
    pub path: PathBuf,
    /// Keep the first value of a repeated key (counted) instead of failing.
    pub recover: bool,
    /// Repairs made by the walk that got furthest (see [`TreeInput::repairs`]).
    pub repairs: AtomicU64,
}

/// Shared state of one walk: the visitor and the first error it returned (serde can only carry
/// its own error type, so ours waits here).
struct Walk<'v> {
    visitor: &'v mut dyn Visitor,
    failed: Option<Error>,
    /// Keys of the objects being read, innermost last, end to end in one string (`key_ends`
    /// holds where each ends, `frames` where each object's keys start in `key_ends`), to find a
    /// key repeated within one object without an allocation per key.
    key_text: String,
    key_ends: Vec<usize>,
    frames: Vec<usize>,
    /// Keep the first of repeated keys instead of failing.
    recover: bool,
    /// Repairs made (repeated keys dropped).
    repairs: u64,
}

impl<'v> Walk<'v> {
    fn new(visitor: &'v mut dyn Visitor, recover: bool) -> Self {
        Walk {
            visitor,
            failed: None,
            key_text: String::new(),
            key_ends: Vec::new(),
            frames: Vec::new(),
            recover,
            repairs: 0,
        }
    }
}

/// What to do with one member of an object.
enum KeyUse {
    Read,
    /// A repeat of a key of the same object, dropped in recover mode.
    Skip,
}

/// Note `key` in the innermost object. A repeated key is an error: read as elements, a second
/// value would become a second row or turn the column into a list. In recover mode the first
/// value is kept and the repeat counted.
fn note_key<E: serde::de::Error>(w: Cell, key: &str) -> std::result::Result<KeyUse, E> {
    let mut walk = w.borrow_mut();
    let first = walk.frames.last().copied().unwrap_or(0);
    let mut start = if first == 0 { 0 } else { walk.key_ends[first - 1] };
    let repeated = walk.key_ends[first..].iter().any(|&end| {
        let seen = &walk.key_text[start..end];
        start = end;
        seen == key
    });
    if !repeated {
        walk.key_text.push_str(key);
        let end = walk.key_text.len();
        walk.key_ends.push(end);
        return Ok(KeyUse::Read);
    }
    if walk.recover {
        walk.repairs += 1;
        return Ok(KeyUse::Skip);
    }
    Err(E::custom(format!("duplicate key {key:?} in one object (use --recover to keep the first value)")))
}

type Cell<'a, 'v> = &'a RefCell<Walk<'v>>;

fn call<E: serde::de::Error>(w: Cell, f: impl FnOnce(&mut dyn Visitor) -> Result<()>) -> std::result::Result<(), E> {
    let mut walk = w.borrow_mut();
    if let Err(e) = f(walk.visitor) {
        walk.failed = Some(e);
        return Err(E::custom("stopped"));
    }
    Ok(())
}

/// One JSON value reported as element `name` (arrays: an element holding `item` elements).
struct Element<'a, 'v> {
    name: &'a str,
    walk: Cell<'a, 'v>,
}

/// One member value reported as element `name`, once per item if it is an array.
struct Member<'a, 'v> {
    name: &'a str,
    walk: Cell<'a, 'v>,
}

macro_rules! scalars {
    () => {
        fn visit_bool<E: serde::de::Error>(self, v: bool) -> std::result::Result<(), E> {
            self.scalar(Some(if v { "true" } else { "false" }))
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<(), E> {
            self.scalar(Some(&v.to_string()))
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<(), E> {
            self.scalar(Some(&v.to_string()))
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> std::result::Result<(), E> {
            self.scalar(Some(&v.to_string()))
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<(), E> {
            self.scalar(Some(v))
        }
        fn visit_unit<E: serde::de::Error>(self) -> std::result::Result<(), E> {
            self.scalar(None)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
            let walk = self.walk;
            let Some(first) = map.next_key::<std::borrow::Cow<'de, str>>()? else {
                return call(walk, |v| {
                    v.open(self.name, Attrs::NONE)?;
                    v.close()
                });
            };
            if first == NUMBER_TOKEN {
                // A number, handed over as written (serde_json's `arbitrary_precision`): its
                // digits reach type inference intact, so integers beyond 64 bits become
                // decimals and long fractions are not rounded to a double on the way in.
                return map.next_value_seed(NumberDigits(Element { name: self.name, walk }));
            }
            call(walk, |v| v.open(self.name, Attrs::NONE))?;
            {
                let mut w = walk.borrow_mut();
                let at = w.key_ends.len();
                w.frames.push(at);
            }
            let mut key = Some(first);
            while let Some(k) = key {
                match note_key(walk, &k)? {
                    KeyUse::Read => map.next_value_seed(Member { name: &k, walk })?,
                    KeyUse::Skip => {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                key = map.next_key::<std::borrow::Cow<'de, str>>()?;
            }
            {
                let mut w = walk.borrow_mut();
                let at = w.frames.pop().unwrap_or(0);
                w.key_ends.truncate(at);
                let text_end = if at == 0 { 0 } else { w.key_ends[at - 1] };
                w.key_text.truncate(text_end);
            }
            call(walk, |v| v.close())
        }
    };
}

/// The digits of a number (see [`NUMBER_TOKEN`]) reported as the text of an element, read
/// without copying them into a `String` of their own.
struct NumberDigits<'a, 'v>(Element<'a, 'v>);

impl<'de> DeserializeSeed<'de> for NumberDigits<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> SerdeVisitor<'de> for NumberDigits<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the digits of a number")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<(), E> {
        self.0.scalar(Some(v))
    }
}

impl<'a, 'v> Element<'a, 'v> {
    fn scalar<E: serde::de::Error>(self, text: Option<&str>) -> std::result::Result<(), E> {
        call(self.walk, |v| {
            v.open(self.name, Attrs::NONE)?;
            if let Some(t) = text {
                v.text(t);
            }
            v.close()
        })
    }
}

impl<'a, 'v> Member<'a, 'v> {
    fn scalar<E: serde::de::Error>(self, text: Option<&str>) -> std::result::Result<(), E> {
        Element { name: self.name, walk: self.walk }.scalar(text)
    }
}

impl<'de, 'a, 'v> SerdeVisitor<'de> for Element<'a, 'v> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    scalars!();
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        let walk = self.walk;
        call(walk, |v| v.open(self.name, Attrs::NONE))?;
        while seq.next_element_seed(Element { name: ITEM, walk })?.is_some() {}
        call(walk, |v| v.close())
    }
}

impl<'de, 'a, 'v> SerdeVisitor<'de> for Member<'a, 'v> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    scalars!();
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        while seq.next_element_seed(Element { name: self.name, walk: self.walk })?.is_some() {}
        Ok(())
    }
}

impl<'de, 'a, 'v> DeserializeSeed<'de> for Element<'a, 'v> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, 'a, 'v> DeserializeSeed<'de> for Member<'a, 'v> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl JsonInput {
    fn err(&self, e: serde_json::Error, line_base: u64, walk: &RefCell<Walk>) -> Error {
        if let Some(f) = walk.borrow_mut().failed.take() {
            return f;
        }
        if e.is_io() {
            return Error::io(&self.path, std::io::Error::other(e.to_string()));
        }
        let line = line_base + e.line() as u64;
        let msg = e.to_string();
        let msg = msg.rsplit_once(" at line ").map_or(msg.as_str(), |(m, _)| m).to_string();
        if msg == "recursion limit exceeded" {
            // serde_json's own limit (128 levels) keeps deep input from exhausting the stack.
            let msg = "arrays and objects nested more than 128 levels deep (the nesting limit)";
            return Error::invalid(&self.path, Some(line), format!("column {}: {msg}", e.column()));
        }
        // What people's tools write that is not JSON fails with one of these; say how to read it.
        let hint = if !self.recover
            && ["expected value", "invalid number", "trailing comma", "trailing characters", "key must be a string"]
                .iter()
                .any(|m| msg.starts_with(m))
        {
            " (NaN, Infinity, comments and trailing commas are not JSON: --recover reads them)"
        } else {
            ""
        };
        Error::invalid(&self.path, Some(line), format!("column {}: malformed JSON: {msg}{hint}", e.column()))
    }
}

/// What a JSON input holds, seen from its first value.
enum Layout {
    /// One document: a top-level array, or one object.
    Document,
    /// JSON Lines: one value per line.
    Lines,
}

/// An input opened for reading: decompressed, made strict in recover mode (with the count of
/// its repairs), past a byte-order mark and leading white space.
struct Opened {
    reader: std::io::BufReader<Box<dyn std::io::Read + Send>>,
    lenient_repairs: Option<Arc<AtomicU64>>,
    layout: Layout,
}

impl JsonInput {
    fn open_input(&self) -> Result<Opened> {
        let (r, _) = compressed::open(&self.path)?;
        let (r, lenient_repairs): (Box<dyn std::io::Read + Send>, _) = if self.recover {
            let (r, repairs) = lenient::Lenient::new(r);
            (Box::new(r), Some(repairs))
        } else {
            (r, None)
        };
        let mut reader = std::io::BufReader::with_capacity(1 << 20, r);
        // Skip a UTF-8 byte-order mark and leading white space to see what the file holds.
        let first = loop {
            let buf = reader.fill_buf().map_err(|e| Error::io(&self.path, e))?;
            if buf.is_empty() {
                return Err(Error::invalid(&self.path, None, "the file holds no JSON value"));
            }
            let skip = if buf.starts_with(b"\xEF\xBB\xBF") {
                3
            } else {
                buf.iter().take_while(|b| b.is_ascii_whitespace()).count()
            };
            if skip == 0 {
                break buf[0];
            }
            reader.consume(skip);
        };
        let document = first == b'[' || first == b'{' && self.single_document(&mut reader)?;
        let layout = if document { Layout::Document } else { Layout::Lines };
        Ok(Opened { reader, lenient_repairs, layout })
    }
}

impl TreeInput for JsonInput {
    fn walk(&self, visitor: &mut dyn Visitor) -> Result<()> {
        let Opened { reader, lenient_repairs, layout } = self.open_input()?;
        visitor.document()?;
        let repairs = match layout {
            Layout::Document => {
                // One document: a top-level array's items (or the object) are `value` elements.
                let walk = RefCell::new(Walk::new(visitor, self.recover));
                let mut de = serde_json::Deserializer::from_reader(reader);
                Member { name: ROOT, walk: &walk }.deserialize(&mut de).map_err(|e| self.err(e, 0, &walk))?;
                de.end().map_err(|e| self.err(e, 0, &walk))?;
                let repairs = walk.borrow().repairs;
                repairs
            }
            Layout::Lines => {
                // JSON Lines: one value per line, chunks of lines parsed on every core.
                let repairs = AtomicU64::new(0);
                let chunks = LineChunks::new(reader, &self.path, WALK_CHUNK_BYTES);
                walk_chunks_parallel(chunks, |chunk, v| self.parse_lines(&chunk, v, &repairs), visitor)?;
                repairs.into_inner()
            }
        };
        let repairs = repairs + lenient_repairs.map_or(0, |r| r.load(Ordering::Relaxed));
        self.repairs.fetch_max(repairs, Ordering::Relaxed);
        Ok(())
    }

    /// JSON Lines (not in recover mode): chunks of lines built into rows on every core by
    /// [`lines::decode`], or walked where it gives a chunk back.
    fn build_rows(&self, job: &RowsJob<'_>, emit: &mut dyn FnMut(RecordBatch) -> Result<()>) -> Option<Result<()>> {
        if self.recover {
            return None;
        }
        let Opened { reader, layout, .. } = match self.open_input() {
            Ok(opened) => opened,
            Err(e) => return Some(Err(e)),
        };
        if !matches!(layout, Layout::Lines) {
            return None;
        }
        let chunks = LineChunks::new(reader, &self.path, ROWS_CHUNK_BYTES);
        let mut rebatch = lines::Rebatch::new(&self.path, emit);
        let built = map_chunks_ordered(
            chunks,
            |chunk| self.chunk_rows(job, &chunk),
            |batches| batches?.into_iter().try_for_each(|b| rebatch.push(b)),
        );
        Some(built.and_then(|_| rebatch.finish()))
    }

    fn repairs(&self) -> u64 {
        self.repairs.load(Ordering::Relaxed)
    }
}

impl JsonInput {
    /// The rows of one chunk of lines: built directly, or (given back) from a walk of the chunk,
    /// which also gives the error a whole walk would meet there.
    fn chunk_rows(&self, job: &RowsJob<'_>, chunk: &LineChunk) -> Result<Vec<RecordBatch>> {
        if let Some(batches) = lines::decode(job, &chunk.bytes) {
            return Ok(batches);
        }
        let mut batches = Vec::new();
        let mut emit = |b: RecordBatch| -> Result<()> {
            batches.push(b);
            Ok(())
        };
        let mut rows = job.builder(&mut emit);
        rows.document()?;
        self.parse_lines(chunk, &mut rows, &AtomicU64::new(0))?;
        rows.finish()?;
        drop(rows);
        Ok(batches)
    }
}

/// Bytes of JSON Lines handed to one parser at a time (whole lines; a longer line is one
/// chunk): for a walk (whose events are copied), and for [`lines::decode`] (which builds rows,
/// cheaper per byte, so a larger chunk keeps the hand-overs few).
const WALK_CHUNK_BYTES: usize = 256 << 10;
const ROWS_CHUNK_BYTES: usize = 4 << 20;

/// Whole lines of a JSON Lines input and the number (0-based) of the first.
struct LineChunk {
    bytes: Vec<u8>,
    first_line: u64,
}

/// The input cut into [`LineChunk`]s, in order.
struct LineChunks<'a, R> {
    reader: R,
    path: &'a Path,
    next_line: u64,
    /// Bytes after which a chunk ends (at the end of a line).
    size: usize,
    /// Read past the last chunk's end: the start of the next one.
    rest: Vec<u8>,
}

impl<'a, R> LineChunks<'a, R> {
    fn new(reader: R, path: &'a Path, size: usize) -> Self {
        LineChunks { reader, path, next_line: 0, size, rest: Vec::new() }
    }
}

impl<R: BufRead> Iterator for LineChunks<'_, R> {
    type Item = Result<LineChunk>;

    fn next(&mut self) -> Option<Result<LineChunk>> {
        // Whole buffers are read, and the chunk cut after its last line feed once it is full;
        // the partial line after it starts the next chunk.
        let mut bytes = Vec::with_capacity(self.size + (1 << 20));
        bytes.append(&mut self.rest);
        loop {
            if bytes.len() >= self.size {
                if let Some(end) = memchr::memrchr(b'\n', &bytes) {
                    self.rest.extend_from_slice(&bytes[end + 1..]);
                    bytes.truncate(end + 1);
                    break;
                }
            }
            // Read straight into the chunk (a large read passes the reader's own buffer by).
            let want = (self.size + 4096).saturating_sub(bytes.len()).max(1 << 16) as u64;
            match std::io::Read::read_to_end(&mut std::io::Read::take(&mut self.reader, want), &mut bytes) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => return Some(Err(Error::io(self.path, e))),
            }
        }
        if bytes.is_empty() {
            return None;
        }
        let first_line = self.next_line;
        self.next_line += memchr::memchr_iter(b'\n', &bytes).count() as u64;
        Some(Ok(LineChunk { bytes, first_line }))
    }
}

impl JsonInput {
    /// Report the values of `chunk`'s lines (one per line; blank lines skipped) to `visitor`.
    fn parse_lines(&self, chunk: &LineChunk, visitor: &mut dyn Visitor, repairs: &AtomicU64) -> Result<()> {
        let walk = RefCell::new(Walk::new(visitor, self.recover));
        let mut line_no = chunk.first_line;
        let result = chunk.bytes.split_inclusive(|&b| b == b'\n').try_for_each(|line| {
            line_no += 1;
            if line.iter().all(|b| b.is_ascii_whitespace()) {
                return Ok(());
            }
            let mut de = serde_json::Deserializer::from_slice(line);
            Element { name: ROOT, walk: &walk }.deserialize(&mut de).map_err(|e| self.err(e, line_no - 1, &walk))?;
            de.end().map_err(|e| self.err(e, line_no - 1, &walk))
        });
        repairs.fetch_add(walk.borrow().repairs, Ordering::Relaxed);
        result
    }

    /// An object at the start: one document (pretty-printed, or one line and nothing after it)
    /// rather than JSON Lines. Decided from the first line: JSON Lines objects end on it.
    fn single_document(&self, r: &mut impl BufRead) -> Result<bool> {
        let buf = r.fill_buf().map_err(|e| Error::io(&self.path, e))?;
        let line = match memchr::memchr(b'\n', buf) {
            Some(p) => &buf[..p],
            None => return Ok(true),
        };
        Ok(serde_json::from_slice::<serde::de::IgnoredAny>(line).is_err())
    }
}
