//! Bytes to UTF-8 text: decompression, then the document's encoding (byte-order mark, the
//! UTF-16 pattern of `<?`, the encoding declared in `<?xml ... encoding="..."?>`, or the user's
//! `--encoding`), decoded to UTF-8 before parsing.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use crate::error::{Error, Result};
use crate::formats::compressed::{self, Compression};
use crate::formats::csv::encoding::{DecodingReader, TextEncoding};

/// How the input will be decoded.
#[derive(Debug, Clone, Copy)]
pub struct TextPlan {
    pub compression: Compression,
    pub encoding: TextEncoding,
    /// "bom", "utf-16 pattern", "declaration", "default", "given".
    pub how: &'static str,
    /// Byte-order mark length to skip.
    pub bom_len: usize,
}

const HEAD: usize = 4096;

fn read_head(r: &mut dyn Read) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(HEAD);
    r.take(HEAD as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// The `encoding` pseudo-attribute of an XML declaration at the start of ASCII-compatible text.
fn declared_encoding(head: &[u8]) -> Option<String> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = memchr::memmem::find(head, b"?>")?;
    let decl = std::str::from_utf8(&head[..end]).ok()?;
    let at = decl.find("encoding")?;
    let rest = decl[at + 8..].trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let rest = &rest[1..];
    Some(rest[..rest.find(quote)?].to_string())
}

/// Decide compression and encoding of `path`.
pub fn plan(path: &Path, given: Option<&str>) -> Result<TextPlan> {
    let (mut r, compression) = compressed::open(path)?;
    let head = read_head(&mut r).map_err(|e| Error::io(path, e))?;
    let (detected, how, bom_len) = if head.starts_with(b"\xEF\xBB\xBF") {
        (TextEncoding::Utf8, "bom", 3)
    } else if head.starts_with(b"\xFF\xFE") {
        (TextEncoding::Other(encoding_rs::UTF_16LE), "bom", 2)
    } else if head.starts_with(b"\xFE\xFF") {
        (TextEncoding::Other(encoding_rs::UTF_16BE), "bom", 2)
    } else if head.starts_with(b"<\0?\0") {
        (TextEncoding::Other(encoding_rs::UTF_16LE), "utf-16 pattern", 0)
    } else if head.starts_with(b"\0<\0?") {
        (TextEncoding::Other(encoding_rs::UTF_16BE), "utf-16 pattern", 0)
    } else {
        match declared_encoding(&head) {
            Some(label) => {
                let enc = TextEncoding::from_label(&label).ok_or_else(|| Error::Encoding {
                    path: path.to_path_buf(),
                    line: Some(1),
                    encoding: label.clone(),
                    detail: "the encoding declared by the document is not supported".into(),
                })?;
                // A declaration cannot switch an ASCII-compatible file to UTF-16.
                let enc = match enc {
                    TextEncoding::Other(e) if e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE => {
                        TextEncoding::Utf8
                    }
                    e => e,
                };
                (enc, "declaration", 0)
            }
            None => (TextEncoding::Utf8, "default", 0),
        }
    };
    Ok(match given {
        Some(label) => {
            let enc = TextEncoding::from_label(label)
                .ok_or_else(|| Error::InvalidOption(format!("unknown encoding {label:?}")))?;
            let bom = if how == "bom" && enc == detected { bom_len } else { 0 };
            TextPlan { compression, encoding: enc, how: "given", bom_len: bom }
        }
        None => TextPlan { compression, encoding: detected, how, bom_len },
    })
}

/// Open `path` as a UTF-8 text stream following `plan`.
pub fn open(path: &Path, plan: &TextPlan) -> Result<Box<dyn BufRead + Send>> {
    let (mut r, _) = compressed::open(path)?;
    std::io::copy(&mut (&mut r).take(plan.bom_len as u64), &mut std::io::sink()).map_err(|e| Error::io(path, e))?;
    Ok(match plan.encoding {
        TextEncoding::Utf8 => Box::new(BufReader::with_capacity(1 << 20, r)),
        enc => Box::new(BufReader::with_capacity(1 << 20, DecodingReader::new(r, enc))),
    })
}

/// Line and column (1-based, columns in characters) of a byte offset of the decoded text.
pub fn line_col(path: &Path, plan: &TextPlan, offset: u64) -> Option<(u64, u64)> {
    let mut r = open(path, plan).ok()?;
    let (mut line, mut col, mut pos) = (1u64, 1u64, 0u64);
    loop {
        let buf = r.fill_buf().ok()?;
        if buf.is_empty() {
            break;
        }
        let take = buf.len().min((offset - pos) as usize);
        for (i, &b) in buf[..take].iter().enumerate() {
            // CR LF, CR and LF each end a line (XML normalises them all to LF).
            if b == b'\n' && !(i > 0 && buf[i - 1] == b'\r') || b == b'\r' {
                line += 1;
                col = 1;
            } else if b != b'\n' && b & 0xC0 != 0x80 {
                col += 1;
            }
        }
        pos += take as u64;
        let n = buf.len();
        r.consume(take.min(n));
        if pos >= offset {
            break;
        }
    }
    Some((line, col))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_declared_encodings() {
        assert_eq!(declared_encoding(b"<?xml version=\"1.0\" encoding=\"koi8-r\"?><a/>").as_deref(), Some("koi8-r"));
        assert_eq!(declared_encoding(b"<?xml version='1.0' encoding = 'Shift_JIS' ?>").as_deref(), Some("Shift_JIS"));
        assert_eq!(declared_encoding(b"<?xml version=\"1.0\"?><a/>"), None);
        assert_eq!(declared_encoding(b"<a/>"), None);
    }
}
