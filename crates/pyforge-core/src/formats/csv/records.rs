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

/// The records of one chunk of text, fields stored back to back.
#[derive(Debug, Default)]
pub struct Records {
    /// Field bytes, unquoted and unescaped, concatenated.
    pub data: Vec<u8>,
    /// End offset in `data` of every field, across records.
    pub field_ends: Vec<usize>,
    /// Index into `field_ends` where each record's fields start (plus one final entry).
    pub record_starts: Vec<usize>,
    /// Byte offset in the input where each record starts (for line numbers in errors).
    pub record_offsets: Vec<usize>,
}

impl Records {
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
        let start = if i == 0 { 0 } else { self.field_ends[i - 1] };
        Some(&self.data[start..self.field_ends[i]])
    }

    /// Parse all records of `input` (which ends at a record boundary or at end of file).
    /// At most `limit` records are read; returns the records and the number of input bytes
    /// consumed.
    pub fn parse(input: &[u8], dialect: &Dialect, limit: usize) -> (Records, usize) {
        let mut rdr = dialect.reader();
        let mut rec = Records {
            data: vec![0; input.len() + 1],
            field_ends: Vec::with_capacity(input.len() / 8 + 16),
            record_starts: vec![0],
            record_offsets: Vec::new(),
        };
        let mut ends = vec![0usize; 256];
        let (mut in_pos, mut out_pos, mut rec_out, mut nends) = (0usize, 0usize, 0usize, 0usize);
        let mut rec_start_in = 0usize;
        while rec.len() < limit {
            let (res, nin, nout, nend) =
                rdr.read_record(&input[in_pos..], &mut rec.data[out_pos + rec_out..], &mut ends[nends..]);
            in_pos += nin;
            rec_out += nout;
            nends += nend;
            match res {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => {
                    let l = rec.data.len();
                    rec.data.resize(l * 2 + 16, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let l = ends.len();
                    ends.resize(l * 2, 0);
                }
                ReadRecordResult::Record => {
                    rec.field_ends.extend(ends[..nends].iter().map(|e| e + out_pos));
                    rec.record_starts.push(rec.field_ends.len());
                    // csv-core skips blank lines before a record: find where its text starts.
                    let skipped = input[rec_start_in..in_pos].iter().take_while(|&&b| b == b'\n' || b == b'\r').count();
                    rec.record_offsets.push(rec_start_in + skipped);
                    rec_start_in = in_pos;
                    out_pos += rec_out;
                    rec_out = 0;
                    nends = 0;
                }
                ReadRecordResult::End => break,
            }
        }
        rec.data.truncate(out_pos);
        (rec, in_pos)
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
}
