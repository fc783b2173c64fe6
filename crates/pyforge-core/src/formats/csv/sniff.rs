//! Dialect sniffing: delimiter, line ending and header, from a sample of decoded text.

use super::records::{Dialect, Records};
use crate::infer::ColumnState;

/// Candidate delimiters in order of preference. `:` comes last and is only taken when no
/// other candidate splits the lines: times (`10:30:00`) are far more common than
/// colon-separated files.
const CANDIDATES: &[u8] = b",\t;|:";
const SNIFF_RECORDS: usize = 200;

/// Pick the line ending: `\r` alone only when the sample has no `\n` at all.
pub fn line_end(sample: &[u8]) -> u8 {
    if memchr::memchr(b'\n', sample).is_none() && memchr::memchr(b'\r', sample).is_some() {
        b'\r'
    } else {
        b'\n'
    }
}

/// Choose the delimiter whose field count is most consistent (and greater than one) across
/// the first records; `preferred` (from the file extension) wins ties.
pub fn delimiter(sample: &[u8], quote: u8, line_end: u8, preferred: u8) -> u8 {
    let mut best: Option<(u8, (usize, bool, usize))> = None;
    for (rank, &d) in CANDIDATES.iter().enumerate() {
        if d == b':' && best.is_some() {
            break;
        }
        let dialect = Dialect { delimiter: d, quote, line_end };
        let (recs, _) = Records::parse(sample, &dialect, SNIFF_RECORDS);
        if recs.is_empty() {
            continue;
        }
        let mut counts: Vec<usize> = (0..recs.len()).map(|r| recs.field_count(r)).collect();
        // A final record cut by the end of the sample may be short: ignore it.
        if counts.len() > 1 {
            counts.pop();
        }
        let mode = most_common(&counts);
        if mode < 2 {
            continue;
        }
        let agree = counts.iter().filter(|&&c| c == mode).count();
        if d == b':' && agree != counts.len() {
            continue; // a colon must split every line alike, the header too
        }
        // Score: share of records agreeing (in thousandths), then the extension's preference,
        // then the candidate order. The number of fields does not count: `10:30:00,a` has
        // more fields by `:` than by `,`.
        let score = (agree * 1000 / counts.len(), d == preferred, CANDIDATES.len() - rank);
        if best.is_none_or(|(_, s)| score > s) {
            best = Some((d, score));
        }
    }
    best.map(|(d, _)| d).unwrap_or(preferred)
}

fn most_common(v: &[usize]) -> usize {
    let mut sorted = v.to_vec();
    sorted.sort_unstable();
    let (mut best, mut best_n, mut i) = (0, 0, 0);
    while i < sorted.len() {
        let j = sorted[i..].iter().take_while(|&&x| x == sorted[i]).count();
        if j > best_n || (j == best_n && sorted[i] > best) {
            best = sorted[i];
            best_n = j;
        }
        i += j;
    }
    best
}

/// Decide whether the first record is a header: it is not when, in some column whose other
/// values are all numbers/dates/booleans, the first value is of that type too; and it is not
/// when one of its cells is empty while the column has values (headers name every column)...
/// unless every column is text, where a header is the common case.
pub fn has_header(records: &Records, null_values: &[String]) -> bool {
    if records.len() < 2 {
        // A lone record: a header if it has no typed value at all.
        return records.len() == 1
            && (0..records.field_count(0)).all(|c| {
                let v = records.field(0, c).unwrap_or_default();
                let mut s = ColumnState::default();
                s.observe(v);
                v.is_empty() || s.resolve() == arrow::datatypes::DataType::Utf8
            });
    }
    let ncols = records.field_count(0);
    let mut typed_columns = 0;
    for c in 0..ncols {
        let mut rest = ColumnState::default();
        for r in 1..records.len() {
            if let Some(v) = records.field(r, c) {
                if !v.is_empty() && !null_values.iter().any(|n| n.as_bytes() == v) {
                    rest.observe(v);
                }
            }
        }
        let rest_type = rest.resolve();
        if rest_type == arrow::datatypes::DataType::Utf8 {
            continue;
        }
        typed_columns += 1;
        let first = records.field(0, c).unwrap_or_default();
        if first.is_empty() {
            continue;
        }
        let mut with_first = rest.clone();
        with_first.observe(first);
        if with_first.resolve() != arrow::datatypes::DataType::Utf8 {
            return false; // the first row's value fits the column: it is data
        }
    }
    let _ = typed_columns;
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_delimiters() {
        assert_eq!(delimiter(b"a;b;c\n1;2;3\n4;5;6\n", b'"', b'\n', b','), b';');
        assert_eq!(delimiter(b"a\tb\n1,5\t2\n", b'"', b'\n', b','), b'\t');
        assert_eq!(delimiter(b"a,b\n\"x;y\",2\n", b'"', b'\n', b','), b',');
        assert_eq!(delimiter(b"single\ncolumn\n", b'"', b'\n', b','), b',');
        assert_eq!(delimiter(b"a\n01:02:03\n01:02:03\n", b'"', b'\n', b','), b',', "times are not split");
        assert_eq!(delimiter(b"00:01:01,a\n00:01:01,b\n", b'"', b'\n', b','), b',');
        assert_eq!(delimiter(b"a:b\n1:2\n", b'"', b'\n', b','), b':', "colon files still work");
    }

    #[test]
    fn detects_headers() {
        let d = Dialect { delimiter: b',', quote: b'"', line_end: b'\n' };
        let (r, _) = Records::parse(b"id,name\n1,x\n2,y\n", &d, 100);
        assert!(has_header(&r, &[]));
        let (r, _) = Records::parse(b"1,x\n2,y\n", &d, 100);
        assert!(!has_header(&r, &[]));
        let (r, _) = Records::parse(b"name,city\nann,paris\n", &d, 100);
        assert!(has_header(&r, &[]));
    }
}
