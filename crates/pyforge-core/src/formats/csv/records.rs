//! Splitting CSV text into records and fields with `csv-core` (BurntSushi's RFC 4180 DFA).

use csv_core::{ReadRecordResult, Reader, ReaderBuilder, Terminator};

/// The syntax of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialect {
    pub delimiter: u8,
    pub quote: u8,
    /// Byte that ends a line: `\n` (also covers `\r\n`) or `\r` for old Mac files.
    pub line_end: u8,
}

impl Dialect {
    /// A `csv-core` reader for this dialect.
    pub fn reader(&self) -> Reader {
        let term = if self.line_end == b'\r' { Terminator::Any(b'\r') } else { Terminator::CRLF };
        ReaderBuilder::new().delimiter(self.delimiter).quote(self.quote).terminator(term).build()
    }
}

/// Marks a [`Records::spans`] start that points into [`Records::data`] rather than the input.
const IN_DATA: usize = 1 << (usize::BITS - 1);

/// The records of one chunk of text. A plain field is a span of the input itself; a field the
/// DFA unquoted or unescaped is a span of `data`, where its bytes were written.
#[derive(Debug, Default)]
pub struct Records<'a> {
    input: &'a [u8],
    /// Field bytes that differ from the input (quotes removed, doubled quotes undone).
    data: Vec<u8>,
    /// (start, end) of every field across records; a start with [`IN_DATA`] set is in `data`.
    spans: Vec<(usize, usize)>,
    /// Index into `spans` where each record's fields start (plus one final entry).
    pub record_starts: Vec<usize>,
    /// Byte offset in the input where each record starts (for line numbers in errors).
    pub record_offsets: Vec<usize>,
}

impl<'a> Records<'a> {
    /// Number of records.
    pub fn len(&self) -> usize {
        self.record_starts.len().saturating_sub(1)
    }

    /// True when there are no records.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of fields of record `r`.
    pub fn field_count(&self, r: usize) -> usize {
        self.record_starts[r + 1] - self.record_starts[r]
    }

    /// Field `c` of record `r`, or `None` if the record is shorter.
    #[inline]
    pub fn field(&self, r: usize, c: usize) -> Option<&[u8]> {
        let i = self.record_starts[r] + c;
        if i >= self.record_starts[r + 1] {
            return None;
        }
        let (start, end) = self.spans[i];
        Some(if start & IN_DATA == 0 { &self.input[start..end] } else { &self.data[start & !IN_DATA..end] })
    }

    /// Parse all records of `input` (which ends at a record boundary or at end of file).
    /// At most `limit` records are read; returns the records and the number of input bytes
    /// consumed.
    ///
    /// A plain line (most lines of most files: fields unquoted, or quoted without doubled quotes
    /// or line ends inside) is split at its delimiters directly, which is several times faster
    /// than the DFA; any other record is read by `csv-core`, from the same position, so both
    /// give the same fields.
    pub fn parse(input: &'a [u8], dialect: &Dialect, limit: usize) -> (Records<'a>, usize) {
        let mut p = Parser::new(input, dialect);
        // Old Mac files (`\r` ends lines) always go through the DFA.
        let fast = dialect.line_end == b'\n';
        while p.rec.len() < limit {
            if fast && p.plain_line() {
                continue;
            }
            if !p.dfa_record() {
                break;
            }
        }
        p.rec.data.truncate(p.out_pos);
        (p.rec, p.in_pos)
    }
}

/// The state of [`Records::parse`]: the records so far and where input and output stand.
struct Parser<'a> {
    input: &'a [u8],
    dialect: Dialect,
    rdr: Reader,
    rec: Records<'a>,
    ends: Vec<usize>,
    in_pos: usize,
    out_pos: usize,
}

impl<'a> Parser<'a> {
    fn new(input: &'a [u8], dialect: &Dialect) -> Self {
        Parser {
            input,
            dialect: *dialect,
            rdr: dialect.reader(),
            rec: Records {
                input,
                // Only fields the DFA unquotes are written here; it grows when they need more.
                data: vec![0; 4096],
                spans: Vec::with_capacity(input.len() / 8 + 16),
                record_starts: vec![0],
                record_offsets: Vec::new(),
            },
            ends: vec![0usize; 256],
            in_pos: 0,
            out_pos: 0,
        }
    }

    /// Read the line at `in_pos` if it is plain: a record split at its delimiters, or a blank
    /// line skipped (as `csv-core` skips them). False, reading nothing, for any other line and
    /// at the end of the input. See [`Parser::split_plain`] for what is plain.
    fn plain_line(&mut self) -> bool {
        let rest = &self.input[self.in_pos..];
        if rest.is_empty() {
            return false;
        }
        let (line, next) = match memchr::memchr(b'\n', rest) {
            Some(i) => (&rest[..i], i + 1),
            None => (rest, rest.len()),
        };
        let body = line.strip_suffix(b"\r").unwrap_or(line);
        if !body.is_empty() {
            if !self.split_plain(body) {
                return false;
            }
            self.rec.record_starts.push(self.rec.spans.len());
            self.rec.record_offsets.push(self.in_pos);
        }
        self.in_pos += next;
        true
    }

    /// Append the fields of `body` (one line without its end) if every field is plain: unquoted
    /// without a quote or a carriage return, or quoted with its closing quote followed by a
    /// delimiter or the end (no doubled quote, no line end inside). Otherwise append nothing
    /// and return false.
    fn split_plain(&mut self, body: &[u8]) -> bool {
        let (quote, delimiter) = (self.dialect.quote, self.dialect.delimiter);
        let fields_before = self.rec.spans.len();
        // `body` lies in the input at `in_pos`.
        let base = self.in_pos;
        let mut i = 0;
        loop {
            let (field, after) = if body.get(i) == Some(&quote) {
                match memchr::memchr(quote, &body[i + 1..]) {
                    Some(close) => ((i + 1, i + 1 + close), i + 2 + close),
                    None => ((0, 0), usize::MAX),
                }
            } else {
                match memchr::memchr3(delimiter, quote, b'\r', &body[i..]) {
                    Some(j) if body[i + j] == delimiter => ((i, i + j), i + j),
                    Some(_) => ((0, 0), usize::MAX),
                    None => ((i, body.len()), body.len()),
                }
            };
            if after != body.len() && body.get(after) != Some(&delimiter) {
                self.rec.spans.truncate(fields_before);
                return false;
            }
            self.rec.spans.push((base + field.0, base + field.1));
            if after == body.len() {
                return true;
            }
            i = after + 1;
        }
    }

    /// Read one record with `csv-core`; false at the end of the input.
    fn dfa_record(&mut self) -> bool {
        let record_start = self.in_pos;
        let (mut rec_out, mut nends) = (0usize, 0usize);
        loop {
            let (res, nin, nout, nend) = self.rdr.read_record(
                &self.input[self.in_pos..],
                &mut self.rec.data[self.out_pos + rec_out..],
                &mut self.ends[nends..],
            );
            self.in_pos += nin;
            rec_out += nout;
            nends += nend;
            match res {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => {
                    let l = self.rec.data.len();
                    self.rec.data.resize(l * 2 + 16, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let l = self.ends.len();
                    self.ends.resize(l * 2, 0);
                }
                ReadRecordResult::Record => {
                    let out_pos = self.out_pos;
                    let mut start = out_pos;
                    self.rec.spans.extend(self.ends[..nends].iter().map(|e| {
                        let span = (start | IN_DATA, out_pos + e);
                        start = out_pos + e;
                        span
                    }));
                    self.rec.record_starts.push(self.rec.spans.len());
                    // csv-core skips blank lines before a record: find where its text starts.
                    let skipped =
                        self.input[record_start..self.in_pos].iter().take_while(|&&b| b == b'\n' || b == b'\r').count();
                    self.rec.record_offsets.push(record_start + skipped);
                    self.out_pos += rec_out;
                    return true;
                }
                ReadRecordResult::End => return false,
            }
        }
    }
}

/// Offset just past the last complete record of `input`, found exactly by `csv-core`; used
/// where counting quotes cannot be trusted (a quote inside an unquoted field).
pub fn last_record_end(input: &[u8], dialect: &Dialect) -> Option<usize> {
    let mut rdr = dialect.reader();
    let mut out = vec![0u8; 64 * 1024];
    let mut ends = vec![0usize; 1024];
    let mut pos = 0;
    let mut last = None;
    loop {
        let (res, nin, _, _) = rdr.read_record(&input[pos..], &mut out, &mut ends);
        pos += nin;
        match res {
            ReadRecordResult::Record => last = Some(pos),
            ReadRecordResult::End => return last,
            ReadRecordResult::InputEmpty if pos >= input.len() => return last,
            // Field bytes are discarded: reuse the buffers.
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: Dialect = Dialect { delimiter: b',', quote: b'"', line_end: b'\n' };

    #[test]
    fn parses_quotes_newlines_and_blank_lines() {
        let text = b"a,b\n\n1,\"x\ny\"\"z\"\r\n3,4";
        let (r, used) = Records::parse(text, &D, usize::MAX);
        assert_eq!(used, text.len());
        assert_eq!(r.len(), 3);
        assert_eq!(r.field(1, 1).unwrap(), b"x\ny\"z");
        assert_eq!(r.field(2, 0).unwrap(), b"3");
        assert_eq!(r.field(2, 2), None);
        assert_eq!(r.record_offsets, vec![0, 5, 17]);
    }

    #[test]
    fn boundaries_are_exact() {
        let text = b"a,\"b\nc\"\nd,e\nf";
        assert_eq!(last_record_end(text, &D), Some(12));
    }

    /// `input` read by `csv-core` alone, record by record: the reference for the plain-line path.
    fn dfa_only<'a>(input: &'a [u8], dialect: &Dialect) -> (Records<'a>, usize) {
        let mut p = Parser::new(input, dialect);
        while p.dfa_record() {}
        p.rec.data.truncate(p.out_pos);
        (p.rec, p.in_pos)
    }

    #[test]
    fn plain_lines_split_as_csv_core_reads_them() {
        // Random texts from pieces that stress the boundary between the two paths: quotes,
        // doubled quotes, quoted line ends, lone and paired carriage returns, blank lines,
        // empty fields, a last line without an end.
        let pieces: &[&[u8]] = &[
            b"a",
            b"bc",
            b"",
            b",",
            b",",
            b",",
            b"\n",
            b"\n",
            b"\r\n",
            b"\r",
            b"\"",
            b"\"x,\ny\"",
            b"\"\"",
            b" ",
            b";",
        ];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for dialect in [D, Dialect { delimiter: b';', quote: b'\'', line_end: b'\n' }] {
            for _ in 0..3000 {
                let len = (next() % 40) as usize;
                let text: Vec<u8> =
                    (0..len).flat_map(|_| pieces[(next() % pieces.len() as u64) as usize].to_vec()).collect();
                let (fast, used) = Records::parse(&text, &dialect, usize::MAX);
                let (reference, reference_used) = dfa_only(&text, &dialect);
                let show = String::from_utf8_lossy(&text);
                assert_eq!(used, reference_used, "{show:?}");
                assert_eq!(fast.len(), reference.len(), "{show:?}");
                for r in 0..fast.len() {
                    assert_eq!(fast.field_count(r), reference.field_count(r), "{show:?} record {r}");
                    for c in 0..fast.field_count(r) {
                        assert_eq!(fast.field(r, c), reference.field(r, c), "{show:?} record {r} field {c}");
                    }
                }
                assert_eq!(fast.record_offsets, reference.record_offsets, "{show:?}");
            }
        }
        // A record limit stops both paths at the same place.
        let (r, used) = Records::parse(b"a,b\n\"c\",d\ne,f\n", &D, 2);
        assert_eq!((r.len(), used), (2, 10));
    }
}
