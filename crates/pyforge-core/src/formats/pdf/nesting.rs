//! A bound on how deeply a PDF's objects nest, checked before the engine parses them.
//!
//! pdf_oxide 0.3 parses arrays and dictionaries recursively without a depth limit (its
//! `ParserConfig::max_nesting` is not consulted by the parser), so an object such as
//! `[[[[...` a few hundred thousand levels deep overflows the worker thread's stack, which
//! aborts the whole process: no guard can catch that. Found by fuzzing.
//!
//! This scan reads the file once, tracking the nesting of `[`/`]` and `<<`/`>>` outside
//! comments, strings and stream data (ISO 32000-1 §7.2–7.3), and refuses a file nesting deeper
//! than [`MAX_NESTING`] — far beyond real documents, far below what the worker stack holds.
//! Nesting hidden in compressed object streams is not seen here; the worker's large stack
//! ([`super::guard::WORKER_STACK`]) is the remaining defence for those.

use std::io::{BufReader, Read};
use std::path::Path;

use crate::error::{Error, Result};

/// Deepest array/dictionary nesting accepted.
pub const MAX_NESTING: usize = 1000;

/// Scanner state between bytes.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Normal,
    Comment,
    /// Inside a literal string, with its parenthesis depth.
    Literal(usize),
    LiteralEscape(usize),
    Hex,
    /// Inside stream data, until `endstream`.
    Stream,
}

/// Fail if the file at `path` nests arrays or dictionaries deeper than [`MAX_NESTING`].
pub fn check(path: &Path) -> Result<()> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let mut buf = [0u8; 1 << 16];
    let mut scan = Scan::default();
    loop {
        let n = reader.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            return Ok(());
        }
        if let Some(offset) = scan.feed(&buf[..n]) {
            return Err(Error::invalid(
                path,
                None,
                format!(
                    "objects nest more than {MAX_NESTING} levels deep (byte {offset}): \
                     refusing a damaged or hostile PDF that would exhaust the parser's stack"
                ),
            ));
        }
    }
}

/// The incremental scanner: `depth` of open arrays/dictionaries, the last bytes of the
/// current word (to spot `stream`, `endstream`, `endobj`), the previous byte (for `<<`/`>>`).
struct Scan {
    mode: Mode,
    depth: usize,
    word: Vec<u8>,
    prev: u8,
    offset: u64,
}

impl Default for Scan {
    fn default() -> Self {
        Scan { mode: Mode::Normal, depth: 0, word: Vec::with_capacity(16), prev: b' ', offset: 0 }
    }
}

fn is_delimiter_or_space(b: u8) -> bool {
    matches!(
        b,
        b'\0'
            | b'\t'
            | b'\n'
            | b'\x0c'
            | b'\r'
            | b' '
            | b'('
            | b')'
            | b'<'
            | b'>'
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'/'
            | b'%'
    )
}

impl Scan {
    /// Scan `bytes`; `Some(offset)` where the nesting first exceeds the bound.
    fn feed(&mut self, bytes: &[u8]) -> Option<u64> {
        for &b in bytes {
            self.offset += 1;
            match self.mode {
                Mode::Comment => {
                    if b == b'\n' || b == b'\r' {
                        self.mode = Mode::Normal;
                    }
                }
                Mode::Literal(d) => match b {
                    b'\\' => self.mode = Mode::LiteralEscape(d),
                    b'(' => self.mode = Mode::Literal(d + 1),
                    b')' if d == 0 => self.mode = Mode::Normal,
                    b')' => self.mode = Mode::Literal(d - 1),
                    _ => {}
                },
                Mode::LiteralEscape(d) => self.mode = Mode::Literal(d),
                Mode::Hex => {
                    if b == b'>' {
                        self.mode = Mode::Normal;
                    }
                }
                Mode::Stream => {
                    self.push_word(b);
                    if self.word.ends_with(b"endstream") {
                        self.word.clear();
                        self.mode = Mode::Normal;
                    }
                }
                Mode::Normal => {
                    if is_delimiter_or_space(b) {
                        self.end_word();
                        if self.mode == Mode::Stream {
                            self.prev = b;
                            continue;
                        }
                    } else {
                        self.push_word(b);
                    }
                    match b {
                        b'%' => self.mode = Mode::Comment,
                        b'(' => self.mode = Mode::Literal(0),
                        b'[' => self.depth += 1,
                        b']' => self.depth = self.depth.saturating_sub(1),
                        b'<' if self.prev == b'<' => {
                            self.depth += 1;
                            self.prev = b' '; // `<<<` is `<<` then `<`
                            if self.depth > MAX_NESTING {
                                return Some(self.offset);
                            }
                            continue;
                        }
                        b'>' if self.prev == b'>' => {
                            self.depth = self.depth.saturating_sub(1);
                            self.prev = b' ';
                            continue;
                        }
                        _ => {}
                    }
                    // A `<` not followed by `<` opens a hex string.
                    if self.prev == b'<' && b != b'<' {
                        self.mode = if b == b'>' { Mode::Normal } else { Mode::Hex };
                    }
                    if self.depth > MAX_NESTING {
                        return Some(self.offset);
                    }
                }
            }
            self.prev = b;
        }
        None
    }

    fn push_word(&mut self, b: u8) {
        if self.word.len() == 16 {
            self.word.remove(0);
        }
        self.word.push(b);
    }

    /// A word ended: `stream` starts stream data, `endobj` closes whatever an unbalanced
    /// object left open (damaged files must not accumulate depth across objects).
    fn end_word(&mut self) {
        match self.word.as_slice() {
            b"stream" => self.mode = Mode::Stream,
            b"endobj" => self.depth = 0,
            _ => {}
        }
        self.word.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deepest_ok(bytes: &[u8]) -> bool {
        Scan::default().feed(bytes).is_none()
    }

    #[test]
    fn real_structures_pass() {
        assert!(deepest_ok(b"1 0 obj << /Kids [3 0 R] /A << /B [ [1 2] (a[[[[ \\) (x)) <5b5b> ] >> >> endobj"));
        let deep_but_fine = format!("{}{}", "[".repeat(MAX_NESTING), "]".repeat(MAX_NESTING));
        assert!(deepest_ok(deep_but_fine.as_bytes()));
    }

    #[test]
    fn deep_nesting_is_refused() {
        assert!(!deepest_ok("[".repeat(MAX_NESTING + 1).as_bytes()));
        assert!(!deepest_ok("<<".repeat(MAX_NESTING + 1).as_bytes()));
    }

    #[test]
    fn strings_comments_and_streams_do_not_count() {
        let many = "[".repeat(MAX_NESTING * 2);
        for wrapped in [
            format!("({many})"),
            format!("% {many}\n"),
            format!("<< /Length 5 >> stream\n{many}\nendstream endobj"),
            format!("<{}>", "5b".repeat(MAX_NESTING * 2)),
        ] {
            assert!(deepest_ok(wrapped.as_bytes()), "{}", &wrapped[..20]);
        }
    }

    #[test]
    fn endobj_resets_unbalanced_objects() {
        let one = format!("1 0 obj {} endobj\n", "[".repeat(MAX_NESTING / 2));
        assert!(deepest_ok(one.repeat(10).as_bytes()));
    }
}
