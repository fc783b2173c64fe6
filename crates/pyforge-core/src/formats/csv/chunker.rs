//! Cutting a CSV stream into chunks that end on record boundaries, so that chunks can be
//! parsed in parallel.
//!
//! Boundaries are found by counting quotes: a line end outside quotes ends a record. That is
//! exact for well-formed CSV and far cheaper than parsing. It is wrong only when a quote
//! appears inside an unquoted field (`5'10"`), which `csv-core` reads literally; the chunker
//! notices such a quote (one that would open a quoted region anywhere but at a field start)
//! and from then on finds boundaries with `csv-core` itself.

use std::io::{self, Read};

use super::records::{last_record_end, Dialect};

/// A piece of the input that starts and ends on record boundaries.
#[derive(Debug)]
pub struct Chunk {
    /// Position of the chunk in the input (0, 1, 2, ...).
    pub index: usize,
    pub data: Vec<u8>,
    /// 1-based line number of the chunk's first byte.
    pub first_line: u64,
}

/// Produces [`Chunk`]s from a UTF-8 byte stream.
pub struct Chunker<R> {
    reader: R,
    dialect: Dialect,
    target: usize,
    buf: Vec<u8>,
    /// Bytes of `buf` already scanned, and the quote state after them.
    scanned: usize,
    in_quote: bool,
    /// Offset just past the last record boundary found in `buf`.
    boundary: usize,
    exact: bool,
    eof: bool,
    index: usize,
    line: u64,
}

impl<R: Read> Chunker<R> {
    /// Chunks of about `target` bytes; `first_line` is the line number of the first byte.
    pub fn new(reader: R, dialect: Dialect, target: usize, first_line: u64) -> Self {
        Chunker {
            reader,
            dialect,
            target,
            buf: Vec::with_capacity(target + target / 4),
            scanned: 0,
            in_quote: false,
            boundary: 0,
            exact: false,
            eof: false,
            index: 0,
            line: first_line,
        }
    }

    /// The next chunk, or `None` at the end of the input.
    pub fn next_chunk(&mut self) -> io::Result<Option<Chunk>> {
        loop {
            let full = self.boundary > 0 && self.buf.len() >= self.target;
            if full || (self.eof && !self.buf.is_empty()) {
                let cut = if full { self.boundary } else { self.buf.len() };
                let rest = self.buf.split_off(cut);
                let data = std::mem::replace(&mut self.buf, rest);
                self.scanned -= cut.min(self.scanned);
                self.boundary = 0;
                let chunk = Chunk { index: self.index, first_line: self.line, data };
                self.index += 1;
                self.line += memchr::memchr_iter(self.dialect.line_end, &chunk.data).count() as u64;
                if self.exact && !self.buf.is_empty() {
                    self.scanned = 0;
                }
                return Ok(Some(chunk));
            }
            if self.eof {
                return Ok(None);
            }
            self.fill()?;
            self.scan();
        }
    }

    fn fill(&mut self) -> io::Result<()> {
        let want = self.target.max(1);
        let old = self.buf.len();
        self.buf.resize(old + want, 0);
        let mut n = 0;
        while n < want {
            match self.reader.read(&mut self.buf[old + n..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.buf.truncate(old + n);
                    return Err(e);
                }
            }
        }
        self.buf.truncate(old + n);
        Ok(())
    }

    fn scan(&mut self) {
        if self.exact {
            if let Some(end) = last_record_end(&self.buf, &self.dialect) {
                self.boundary = end;
            }
            self.scanned = self.buf.len();
            return;
        }
        let (q, nl, d) = (self.dialect.quote, self.dialect.line_end, self.dialect.delimiter);
        let start = self.scanned;
        for pos in memchr::memchr2_iter(q, nl, &self.buf[start..]).map(|p| p + start) {
            if self.buf[pos] == q {
                if !self.in_quote && pos > 0 {
                    let prev = self.buf[pos - 1];
                    // `prev == q` is the second quote of an escaped `""` pair.
                    if prev != d && prev != q && prev != b'\n' && prev != b'\r' {
                        // A literal quote inside an unquoted field: counting is unreliable.
                        self.exact = true;
                        self.scan();
                        return;
                    }
                }
                self.in_quote = !self.in_quote;
            } else if !self.in_quote {
                self.boundary = pos + 1;
            }
        }
        self.scanned = self.buf.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(text: &[u8], target: usize) -> Vec<Vec<u8>> {
        let d = Dialect { delimiter: b',', quote: b'"', line_end: b'\n' };
        let mut c = Chunker::new(text, d, target, 1);
        let mut out = vec![];
        while let Some(ch) = c.next_chunk().unwrap() {
            out.push(ch.data);
        }
        out
    }

    #[test]
    fn splits_on_record_boundaries_only() {
        let text = b"a,\"x\ny\"\nb,c\nd,\"e\n\nf\"\ng,h\n";
        for target in 1..text.len() + 2 {
            let parts = chunks(text, target);
            assert_eq!(parts.concat(), text.to_vec());
            for p in &parts {
                let quotes = p.iter().filter(|&&b| b == b'"').count();
                assert_eq!(quotes % 2, 0, "target {target}: {:?}", String::from_utf8_lossy(p));
            }
        }
    }

    #[test]
    fn literal_quotes_switch_to_exact_mode() {
        let text = b"h,w\nann,5'10\"\nbob,\"6\n\"\ncy,7\n";
        for target in 1..text.len() + 2 {
            let parts = chunks(text, target);
            assert_eq!(parts.concat(), text.to_vec());
            // Every part must parse to whole records: no part starts inside bob's quoted value.
            assert!(parts.iter().all(|p| !p.starts_with(b"\"")), "target {target}");
        }
    }
}
