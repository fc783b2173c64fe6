//! JSON Lines straight into rows, a chunk of lines per core.
//!
//! Why: read as tree events, a JSON Lines record costs a serde visit per value, an event copied
//! into a batch, a replay and a lookup by name, and the rows are built on one thread; DuckDB
//! converted the bench file twice as fast. Here every chunk of lines is parsed by a small
//! parser of its own, on every core, and the chunks' batches are handed on in input order.
//!
//! The parser reports elements by path node ([`Elements`]) to one of two builders:
//! - the typed rows ([`super::typed`]), which parse each value into its column's type as it is
//!   read, where the plan is flat (scalars, nested objects, arrays of scalars);
//! - else a [`crate::formats::tree::rows::RowBuilder`] of the chunk, the walk's own builder,
//!   told the same elements by path node instead of by name.
//!
//! The rows are the walk's: the row builder by construction, the typed rows by using the row
//! builder's parsers, and both are checked against the walk by a differential test. The parser
//! knows the common shape only: every line an object whose members are strings, numbers,
//! `true`, `false`, `null`, objects or arrays of those. Anything else (a line that is not an
//! object, an array in an array, malformed JSON, a duplicate key, an element or value the plan
//! does not cover, nesting deeper than [`MAX_DEPTH`]) makes a builder give the chunk back: the
//! typed rows to the row builder, the row builder to the walk, which gives the same rows or the
//! same error the whole walk would.

use arrow::record_batch::RecordBatch;

use super::elements::Elements;
use crate::error::{Error, Result};
use crate::formats::tree::discover::Node;
use crate::formats::tree::rows::RowsJob;
use crate::formats::tree::Visitor;

/// Objects and arrays nested deeper than this are given back (the walk has serde_json's limit
/// of 128 and its message).
const MAX_DEPTH: usize = 64;

/// Build the rows of the lines in `bytes` (whole lines, as a [`super::LineChunk`] holds them)
/// into batches: typed as they are read where the plan allows ([`super::typed`]), else through
/// a [`RowBuilder`]; `None` if the parser met something it leaves to the walk.
pub(super) fn decode(job: &RowsJob<'_>, bytes: &[u8]) -> Option<Vec<RecordBatch>> {
    let text = std::str::from_utf8(bytes).ok()?;
    let record = *job.roots.first()?;
    if job.plan.record != record || job.nodes[record].name != super::ROOT {
        return None;
    }
    if let Some(mut typed) = super::typed::TypedRows::new(job) {
        if parse_lines(&mut typed, job.nodes, text, record).is_some() {
            return typed.finish();
        }
    }
    let mut batches = Vec::new();
    let mut emit = |b: RecordBatch| -> Result<()> {
        batches.push(b);
        Ok(())
    };
    let mut rows = job.builder(&mut emit);
    rows.document().ok()?;
    parse_lines(&mut rows, job.nodes, text, record)?;
    rows.finish().ok()?;
    drop(rows);
    Some(batches)
}

/// Report every line of `text` (blank lines skipped) to `rows`.
fn parse_lines<E: Elements>(rows: &mut E, nodes: &[Node], text: &str, record: usize) -> Option<()> {
    let bytes = text.as_bytes();
    // A control character other than the line feed may sit inside a string, where JSON does not
    // allow it raw: only then are strings checked one by one.
    let check_controls = bytes.iter().fold(false, |any, &b| any | (b < 0x20 && b != b'\n'));
    let mut parser = Parser {
        rows,
        text,
        bytes,
        pos: 0,
        end: 0,
        scratch: String::new(),
        seen: vec![0; nodes.len()],
        objects: 0,
        check_controls,
        nodes,
        plain_names: nodes.iter().map(|n| !n.name.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20)).collect(),
    };
    while parser.pos < bytes.len() {
        parser.end = memchr::memchr(b'\n', &bytes[parser.pos..]).map_or(bytes.len(), |i| parser.pos + i + 1);
        if !bytes[parser.pos..parser.end].iter().all(|b| b.is_ascii_whitespace()) {
            parser.line(record)?;
        }
        parser.pos = parser.end;
    }
    Some(())
}

/// Rows below which a chunk's batch waits to be joined with the next ones: the Parquet writer
/// judges each column's encoding from its first batch (on up to 16,384 rows), and every batch
/// costs a little on its own. Larger batches pass on as they are, without a copy.
const MIN_BATCH_ROWS: usize = 16_384;

/// Hands the chunks' batches on in input order, small ones joined (see [`MIN_BATCH_ROWS`]).
pub(super) struct Rebatch<'e> {
    pending: Vec<RecordBatch>,
    rows: usize,
    emit: &'e mut dyn FnMut(RecordBatch) -> Result<()>,
    path: &'e std::path::Path,
}

impl<'e> Rebatch<'e> {
    pub(super) fn new(path: &'e std::path::Path, emit: &'e mut dyn FnMut(RecordBatch) -> Result<()>) -> Self {
        Rebatch { pending: Vec::new(), rows: 0, emit, path }
    }

    pub(super) fn push(&mut self, batch: RecordBatch) -> Result<()> {
        if self.pending.is_empty() && batch.num_rows() >= MIN_BATCH_ROWS {
            return (self.emit)(batch);
        }
        self.rows += batch.num_rows();
        self.pending.push(batch);
        if self.rows >= MIN_BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    pub(super) fn finish(mut self) -> Result<()> {
        self.flush()
    }

    fn flush(&mut self) -> Result<()> {
        let joined = match self.pending.len() {
            0 => return Ok(()),
            1 => self.pending.pop().expect("one batch"),
            _ => {
                let schema = self.pending[0].schema();
                arrow::compute::concat_batches(&schema, &self.pending).map_err(|e| Error::arrow(self.path, e))?
            }
        };
        self.pending.clear();
        self.rows = 0;
        (self.emit)(joined)
    }
}

/// A string just read: where its text is.
#[derive(Clone, Copy)]
enum Str {
    /// In the input, between these byte offsets (no escapes).
    Input(usize, usize),
    /// In the parser's scratch string (escapes decoded).
    Scratch,
}

/// The parser of one chunk. Every method returns `None` to give the chunk back.
struct Parser<'p, E> {
    rows: &'p mut E,
    text: &'p str,
    bytes: &'p [u8],
    /// Next byte to read, and the end of the current line.
    pos: usize,
    end: usize,
    scratch: String,
    /// Per path node: the object it was last a member of (a number from `objects`), to find a
    /// key repeated within one object.
    seen: Vec<u32>,
    objects: u32,
    check_controls: bool,
    nodes: &'p [Node],
    /// Per path node: its name is written in JSON as it is (no character that must be escaped),
    /// so it can be compared with the input's bytes.
    plain_names: Vec<bool>,
}

impl<E: Elements> Parser<'_, E> {
    /// One line: an object, the record, and nothing else but white space.
    fn line(&mut self, record: usize) -> Option<()> {
        self.ws();
        if !self.eat(b'{') {
            return None;
        }
        self.rows.open(record)?;
        self.members(record, 1)?;
        self.rows.close()?;
        self.ws();
        (self.pos == self.end).then_some(())
    }

    /// The members of an object of path node `node`, its `{` read.
    fn members(&mut self, node: usize, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.objects = self.objects.checked_add(1)?;
        let object = self.objects;
        self.ws();
        if self.eat(b'}') {
            return Some(());
        }
        loop {
            if !self.eat(b'"') {
                return None;
            }
            let child = self.key(node)?;
            if self.seen[child] == object {
                return None;
            }
            self.seen[child] = object;
            self.ws();
            if !self.eat(b':') {
                return None;
            }
            self.ws();
            self.member(child, depth)?;
            self.ws();
            match self.next()? {
                b',' => self.ws(),
                b'}' => return Some(()),
                _ => return None,
            }
        }
    }

    /// The child of `node` that the key at the read position (its opening quote read) names.
    /// The one after the last found is tried first, straight on the input bytes.
    fn key(&mut self, node: usize) -> Option<usize> {
        let (bytes, at, end, plain) = (self.bytes, self.pos, self.end, &self.plain_names);
        let nodes = self.nodes;
        let written_here = |c: usize| {
            let name = nodes[c].name.as_bytes();
            let close = at + name.len();
            // Compared in line: a call to `memcmp` costs more than these few bytes.
            plain[c] && close < end && bytes[close] == b'"' && bytes[at..close].iter().zip(name).all(|(a, b)| a == b)
        };
        if let Some(c) = self.rows.likely_child(node, written_here) {
            self.pos = at + nodes[c].name.len() + 1;
            return Some(c);
        }
        let key = match self.string()? {
            Str::Input(a, b) => &self.text[a..b],
            Str::Scratch => self.scratch.as_str(),
        };
        self.rows.child(node, key)
    }

    /// A member's value: an array is its element once per item.
    fn member(&mut self, node: usize, depth: usize) -> Option<()> {
        if !self.eat(b'[') {
            return self.element(node, depth);
        }
        self.ws();
        if self.eat(b']') {
            return Some(());
        }
        loop {
            if self.peek()? == b'[' {
                // An array in an array holds `item` elements: left to the walk.
                return None;
            }
            self.element(node, depth + 1)?;
            self.ws();
            match self.next()? {
                b',' => self.ws(),
                b']' => return Some(()),
                _ => return None,
            }
        }
    }

    /// One value that is not an array, as an element of path node `node`.
    fn element(&mut self, node: usize, depth: usize) -> Option<()> {
        let input = self.text;
        let text: &str = match self.peek()? {
            b'{' => {
                self.pos += 1;
                self.rows.open(node)?;
                self.members(node, depth + 1)?;
                return self.rows.close();
            }
            b'"' => {
                self.pos += 1;
                let text = match self.string()? {
                    Str::Input(a, b) => &input[a..b],
                    Str::Scratch => self.scratch.as_str(),
                };
                return self.rows.leaf(node, text);
            }
            b't' => self.literal("true", "true")?,
            b'f' => self.literal("false", "false")?,
            // `null` is an element without text, as the walk reports it.
            b'n' => self.literal("null", "")?,
            _ => match self.number()? {
                Str::Input(a, b) => &input[a..b],
                Str::Scratch => return self.rows.leaf(node, &self.scratch),
            },
        };
        self.rows.leaf(node, text)
    }

    /// `word` at the read position: its text is `text`.
    fn literal(&mut self, word: &str, text: &'static str) -> Option<&'static str> {
        let at = self.pos + word.len();
        (at <= self.end && &self.bytes[self.pos..at] == word.as_bytes()).then(|| {
            self.pos = at;
            text
        })
    }

    /// A number, as serde_json hands its digits to the walk: as written, but for the exponent,
    /// which is written `e` and always signed (`1E5` is `1e+5`).
    fn number(&mut self) -> Option<Str> {
        let start = self.pos;
        self.eat(b'-');
        match self.next()? {
            b'0' => {}
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.eat(b'.') && self.digits() == 0 {
            return None;
        }
        let mantissa_end = self.pos;
        if !(self.eat(b'e') || self.eat(b'E')) {
            return Some(Str::Input(start, mantissa_end));
        }
        let sign = match self.peek() {
            Some(s @ (b'+' | b'-')) => {
                self.pos += 1;
                s as char
            }
            _ => '+',
        };
        let digits_start = self.pos;
        if self.digits() == 0 {
            return None;
        }
        self.scratch.clear();
        self.scratch.push_str(&self.text[start..mantissa_end]);
        self.scratch.push('e');
        self.scratch.push(sign);
        self.scratch.push_str(&self.text[digits_start..self.pos]);
        Some(Str::Scratch)
    }

    /// Skip ASCII digits; how many.
    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.pos < self.end && self.bytes[self.pos].is_ascii_digit() {
            self.pos += 1;
        }
        self.pos - start
    }

    /// A string, its opening quote read.
    fn string(&mut self) -> Option<Str> {
        let start = self.pos;
        let at = self.quote_or_escape(start)?;
        if self.bytes[at] == b'"' {
            if self.check_controls && has_control(&self.bytes[start..at]) {
                return None;
            }
            self.pos = at + 1;
            return Some(Str::Input(start, at));
        }
        self.scratch.clear();
        let mut from = start;
        loop {
            let at = self.quote_or_escape(from)?;
            if self.check_controls && has_control(&self.bytes[from..at]) {
                return None;
            }
            self.scratch.push_str(&self.text[from..at]);
            if self.bytes[at] == b'"' {
                self.pos = at + 1;
                return Some(Str::Scratch);
            }
            from = self.escape(at + 1)?;
        }
    }

    /// The first `"` or `\\` at or after `from` on this line. Keys and most values are short:
    /// a plain loop finds their end sooner than a vector search would start.
    #[inline]
    fn quote_or_escape(&self, from: usize) -> Option<usize> {
        let line = &self.bytes[from..self.end];
        let near = line.len().min(16);
        match line[..near].iter().position(|&b| b == b'"' || b == b'\\') {
            Some(i) => Some(from + i),
            None => memchr::memchr2(b'"', b'\\', &line[near..]).map(|i| from + near + i),
        }
    }

    /// Decode the escape after the backslash at `at - 1` into the scratch string; where the
    /// string goes on.
    fn escape(&mut self, at: usize) -> Option<usize> {
        let c = match *self.bytes[..self.end].get(at)? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => return self.unicode(at + 1),
            _ => return None,
        };
        self.scratch.push(c);
        Some(at + 1)
    }

    /// A `\u` escape, its four digits at `at` (a surrogate pair is two escapes); where the
    /// string goes on. A lone surrogate is left to the walk, which refuses it.
    fn unicode(&mut self, at: usize) -> Option<usize> {
        let first = self.hex4(at)?;
        let (code, next) = match first {
            0xD800..=0xDBFF => {
                if self.bytes[..self.end].get(at + 4..at + 6)? != b"\\u" {
                    return None;
                }
                let low = self.hex4(at + 6)?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return None;
                }
                (0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00), at + 10)
            }
            0xDC00..=0xDFFF => return None,
            _ => (first, at + 4),
        };
        self.scratch.push(char::from_u32(code)?);
        Some(next)
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let digits = self.bytes[..self.end].get(at..at + 4)?;
        digits.iter().try_fold(0u32, |v, &d| Some(v * 16 + (d as char).to_digit(16)?))
    }

    fn ws(&mut self) {
        while self.pos < self.end && matches!(self.bytes[self.pos], b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        (self.pos < self.end).then(|| self.bytes[self.pos])
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        self.pos += hit as usize;
        hit
    }
}

/// A control character (JSON allows them in strings only escaped).
fn has_control(bytes: &[u8]) -> bool {
    bytes.iter().fold(false, |any, &b| any | (b < 0x20))
}
