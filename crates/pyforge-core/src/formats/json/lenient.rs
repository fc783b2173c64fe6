//! `--recover` for JSON as people's tools write it: a byte filter in front of the strict parser
//! that turns the common non-JSON into JSON, counting each repair.
//!
//! - `NaN`, `Infinity` and `-Infinity` (JavaScript, Python's `json.dumps`) become the strings
//!   `"NaN"`, `"Infinity"`, `"-Infinity"`: the tree engine sees a scalar's text either way, and
//!   type inference reads these as doubles, so a number column stays a double column;
//! - `// line` and `/* block */` comments become spaces (line breaks kept, so error lines and
//!   JSON Lines stay where they were);
//! - a comma before `]` or `}` becomes a space.
//!
//! Strings are passed through untouched. Nothing else is repaired: what is still not JSON after
//! this is refused by the parser as before. Without `--recover` the filter is not used at all.

use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Where the filter is in the input.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Value,
    String { escaped: bool },
    LineComment,
    BlockComment { star: bool },
}

/// Wraps a reader, rewriting its bytes as the module doc says.
pub struct Lenient<R> {
    inner: R,
    repairs: Arc<AtomicU64>,
    mode: Mode,
    /// A `/` outside strings whose next byte decides whether a comment starts.
    slash: bool,
    /// A `-` outside strings: the sign of a number, or of `-Infinity`.
    minus: bool,
    /// A run of letters outside strings (`true`, `null`, `NaN`, an exponent's `e`, ...).
    word: Vec<u8>,
    /// A comma and what followed it (spaces, comments) until the next token shows whether the
    /// comma was a trailing one.
    comma: Option<Vec<u8>>,
    /// Filtered bytes not yet handed out, from `pos`.
    out: Vec<u8>,
    pos: usize,
    raw: Box<[u8]>,
    eof: bool,
}

impl<R: Read> Lenient<R> {
    /// The filter and the counter of repairs it makes (shared: the reader is moved into the
    /// parser).
    pub fn new(inner: R) -> (Self, Arc<AtomicU64>) {
        let repairs = Arc::new(AtomicU64::new(0));
        let me = Lenient {
            inner,
            repairs: repairs.clone(),
            mode: Mode::Value,
            slash: false,
            minus: false,
            word: Vec::new(),
            comma: None,
            out: Vec::new(),
            pos: 0,
            raw: vec![0; 64 * 1024].into_boxed_slice(),
            eof: false,
        };
        (me, repairs)
    }

    fn repaired(&self) {
        self.repairs.fetch_add(1, Ordering::Relaxed);
    }

    /// Bytes that may belong to a pending trailing comma's gap (white space, blanked comments).
    fn gap(&mut self, b: u8) {
        match &mut self.comma {
            Some(pending) => pending.push(b),
            None => self.out.push(b),
        }
    }

    /// A token starts with `b`: a pending comma was trailing if `b` closes an array or object.
    fn token(&mut self, b: u8) {
        if let Some(mut pending) = self.comma.take() {
            if b == b']' || b == b'}' {
                pending[0] = b' ';
                self.repaired();
            }
            self.out.extend_from_slice(&pending);
        }
    }

    fn end_word(&mut self) {
        if self.word.is_empty() && !self.minus {
            return;
        }
        let word = std::mem::take(&mut self.word);
        let minus = std::mem::take(&mut self.minus);
        let sign: &[u8] = if minus { b"-" } else { b"" };
        if word == b"NaN" && !minus || word == b"Infinity" {
            self.repaired();
            self.out.push(b'"');
            self.out.extend_from_slice(sign);
            self.out.extend_from_slice(&word);
            self.out.push(b'"');
        } else {
            self.out.extend_from_slice(sign);
            self.out.extend_from_slice(&word);
        }
    }

    fn byte(&mut self, b: u8) {
        match self.mode {
            Mode::String { escaped } => {
                self.out.push(b);
                self.mode = match (escaped, b) {
                    (false, b'"') => Mode::Value,
                    (false, b'\\') => Mode::String { escaped: true },
                    _ => Mode::String { escaped: false },
                };
            }
            Mode::LineComment => {
                self.gap(if b == b'\n' { b'\n' } else { b' ' });
                if b == b'\n' {
                    self.mode = Mode::Value;
                }
            }
            Mode::BlockComment { star } => {
                self.gap(if b == b'\n' { b'\n' } else { b' ' });
                self.mode = if star && b == b'/' { Mode::Value } else { Mode::BlockComment { star: b == b'*' } };
            }
            Mode::Value => self.value_byte(b),
        }
    }

    fn value_byte(&mut self, b: u8) {
        if std::mem::take(&mut self.slash) {
            if b == b'/' || b == b'*' {
                self.repaired();
                self.gap(b' ');
                self.gap(b' ');
                self.mode = if b == b'/' { Mode::LineComment } else { Mode::BlockComment { star: false } };
                return;
            }
            self.token(b'/');
            self.out.push(b'/');
        }
        if b.is_ascii_alphabetic() {
            if self.word.is_empty() && !self.minus {
                self.token(b);
            }
            self.word.push(b);
            return;
        }
        self.end_word();
        match b {
            b' ' | b'\t' | b'\r' | b'\n' => self.gap(b),
            b'/' => self.slash = true,
            b',' => {
                self.token(b);
                self.comma = Some(vec![b',']);
            }
            b'-' => {
                self.token(b);
                self.minus = true;
            }
            _ => {
                self.token(b);
                self.out.push(b);
                if b == b'"' {
                    self.mode = Mode::String { escaped: false };
                }
            }
        }
    }

    /// End of input: hand out what is pending; an unterminated block comment is an error.
    fn finish(&mut self) -> io::Result<()> {
        if std::mem::take(&mut self.slash) {
            self.token(b'/');
            self.out.push(b'/');
        }
        self.end_word();
        if let Some(pending) = self.comma.take() {
            self.out.extend_from_slice(&pending);
        }
        if matches!(self.mode, Mode::BlockComment { .. }) {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "a /* comment is not closed before the end"));
        }
        Ok(())
    }

    fn refill(&mut self) -> io::Result<()> {
        self.out.clear();
        self.pos = 0;
        while self.out.is_empty() && !self.eof {
            let n = self.inner.read(&mut self.raw)?;
            if n == 0 {
                self.eof = true;
                self.finish()?;
                break;
            }
            for i in 0..n {
                self.byte(self.raw[i]);
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for Lenient<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.out.len() {
            self.refill()?;
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(text: &str) -> (String, u64) {
        let (mut f, repairs) = Lenient::new(text.as_bytes());
        let mut out = String::new();
        f.read_to_string(&mut out).unwrap();
        let n = repairs.load(Ordering::Relaxed);
        (out, n)
    }

    #[test]
    fn json_passes_unchanged() {
        let text = "[{\"a\": -1.5e-3, \"b\": \"NaN // not a /* comment */, ]\", \"c\": [true, null, false]}]\n";
        assert_eq!(filter(text), (text.to_string(), 0));
        assert_eq!(filter("{\"s\":\"a\\\"b,]\"}"), ("{\"s\":\"a\\\"b,]\"}".to_string(), 0));
    }

    #[test]
    fn each_repair_is_made_and_counted() {
        assert_eq!(filter("[NaN, Infinity, -Infinity, -1]"), ("[\"NaN\", \"Infinity\", \"-Infinity\", -1]".into(), 3));
        assert_eq!(filter("{\"a\":1} // c\n{\"a\":2}"), ("{\"a\":1}     \n{\"a\":2}".into(), 1));
        assert_eq!(filter("[1,/* x\ny */2]"), ("[1,    \n    2]".into(), 1));
        assert_eq!(filter("[1, 2 ,\n]"), ("[1, 2  \n]".into(), 1));
        assert_eq!(filter("{\"a\":[1,],}"), ("{\"a\":[1 ] }".into(), 2));
        // A comma followed by a comment and then the bracket: both repaired.
        assert_eq!(filter("[1, // last\n]"), ("[1".to_string() + &" ".repeat(9) + "\n]", 2));
    }

    #[test]
    fn what_is_not_repairable_stays_for_the_parser_to_refuse() {
        assert_eq!(filter("[nan, -NaN, Inf, 1/2]"), ("[nan, -NaN, Inf, 1/2]".into(), 0));
        assert_eq!(filter("[1,,2]"), ("[1,,2]".into(), 0));
        let (mut f, _) = Lenient::new("[1 /* open".as_bytes());
        let e = f.read_to_string(&mut String::new()).unwrap_err();
        assert!(e.to_string().contains("not closed"), "{e}");
    }
}
