//! Character encodings of text inputs: detection (BOM, then statistics) and a streaming
//! decoder that turns any supported encoding into UTF-8, failing loudly on undecodable bytes.

use std::io::{self, Read};

use encoding_rs::{CoderResult, DecoderResult, Encoding, UTF_16BE, UTF_16LE, UTF_8};

/// A text encoding PyForge can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8; bytes pass through and are validated where they are used.
    Utf8,
    /// True ISO-8859-1 (every byte is the code point of the same number). WHATWG, and so
    /// `encoding_rs`, maps the label "latin1" to windows-1252, which differs in 0x80-0x9F.
    Latin1,
    /// Any other encoding `encoding_rs` knows (windows-125x, cp866, Shift_JIS, UTF-16, ...).
    Other(&'static Encoding),
}

impl TextEncoding {
    /// The canonical name shown to users.
    pub fn name(&self) -> String {
        match self {
            TextEncoding::Utf8 => "utf-8".into(),
            TextEncoding::Latin1 => "iso-8859-1".into(),
            TextEncoding::Other(e) => e.name().to_lowercase(),
        }
    }

    /// Resolve a user-given label (`utf-8`, `cp1252`, `latin-1`, `utf-16le`, `cp866`, ...).
    pub fn from_label(label: &str) -> Option<TextEncoding> {
        let l = label.trim().to_ascii_lowercase().replace('_', "-");
        match l.as_str() {
            "utf8" | "utf-8" | "utf-8-sig" => return Some(TextEncoding::Utf8),
            "latin-1" | "latin1" | "iso-8859-1" | "iso8859-1" | "l1" => return Some(TextEncoding::Latin1),
            "utf16" | "utf-16" => return Some(TextEncoding::Other(UTF_16LE)),
            _ => {}
        }
        // Windows code page numbers: cp1252 / windows-1252 / 1252, cp866, cp932 ...
        let digits = l.trim_start_matches("cp").trim_start_matches("windows-").trim_start_matches("ibm");
        if digits.chars().all(|c| c.is_ascii_digit()) && !digits.is_empty() {
            if let Some(e) = encoding_for_code_page(digits) {
                return Some(TextEncoding::Other(e));
            }
        }
        Encoding::for_label(l.as_bytes()).map(|e| if e == UTF_8 { TextEncoding::Utf8 } else { TextEncoding::Other(e) })
    }
}

/// The `encoding_rs` encoding of a Windows/IBM code page number (`"1252"`, `"866"`, `"932"`,
/// `"10000"` for Mac Roman), where it has one. Shared by every reader that takes code pages.
///
/// ```
/// use pyforge_core::formats::csv::encoding::encoding_for_code_page;
/// assert_eq!(encoding_for_code_page("1251").unwrap().name(), "windows-1251");
/// assert_eq!(encoding_for_code_page("932").unwrap().name(), "Shift_JIS");
/// ```
pub fn encoding_for_code_page(number: &str) -> Option<&'static Encoding> {
    let alias = match number {
        "932" => "shift_jis".to_string(),
        "936" => "gbk".to_string(),
        "949" => "euc-kr".to_string(),
        "950" => "big5".to_string(),
        "874" => "windows-874".to_string(),
        "866" => "ibm866".to_string(),
        "10000" => "macintosh".to_string(),
        "10007" => "x-mac-cyrillic".to_string(),
        d if d.starts_with("125") => format!("windows-{d}"),
        d => format!("cp{d}"),
    };
    Encoding::for_label(alias.as_bytes())
}

/// Result of looking at the head of a file.
#[derive(Debug, Clone, Copy)]
pub struct Detected {
    pub encoding: TextEncoding,
    /// Length of a byte-order mark to skip.
    pub bom_len: usize,
    /// How it was decided ("bom", "utf-8 valid", "statistics", "given").
    pub how: &'static str,
}

/// Detect the encoding of a file from its first bytes: a BOM decides; otherwise valid UTF-8 is
/// UTF-8; a NUL-byte pattern means UTF-16; anything else is guessed statistically (chardetng).
pub fn detect(head: &[u8], at_eof: bool) -> Detected {
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Detected { encoding: TextEncoding::Utf8, bom_len: 3, how: "bom" };
    }
    if head.starts_with(&[0xFF, 0xFE]) {
        return Detected { encoding: TextEncoding::Other(UTF_16LE), bom_len: 2, how: "bom" };
    }
    if head.starts_with(&[0xFE, 0xFF]) {
        return Detected { encoding: TextEncoding::Other(UTF_16BE), bom_len: 2, how: "bom" };
    }
    // UTF-16 without BOM: mostly-ASCII text has a NUL in every other byte.
    let pairs = head.len() / 2;
    if pairs >= 2 {
        let even_nul = head.chunks_exact(2).filter(|p| p[0] == 0 && p[1] != 0).count();
        let odd_nul = head.chunks_exact(2).filter(|p| p[1] == 0 && p[0] != 0).count();
        if odd_nul * 10 >= pairs * 7 {
            return Detected { encoding: TextEncoding::Other(UTF_16LE), bom_len: 0, how: "statistics" };
        }
        if even_nul * 10 >= pairs * 7 {
            return Detected { encoding: TextEncoding::Other(UTF_16BE), bom_len: 0, how: "statistics" };
        }
    }
    match std::str::from_utf8(head) {
        Ok(_) => return Detected { encoding: TextEncoding::Utf8, bom_len: 0, how: "utf-8 valid" },
        // A multi-byte character cut by the end of the sample is still UTF-8.
        Err(e) if e.error_len().is_none() && !at_eof => {
            return Detected { encoding: TextEncoding::Utf8, bom_len: 0, how: "utf-8 valid" }
        }
        Err(_) => {}
    }
    let mut det = chardetng::EncodingDetector::new();
    det.feed(head, at_eof);
    let enc = det.guess(None, true);
    let encoding = if enc == UTF_8 { TextEncoding::Utf8 } else { TextEncoding::Other(enc) };
    Detected { encoding, bom_len: 0, how: "statistics" }
}

/// Decode the whole of `bytes` (a sample), without replacement characters; on error, the
/// decoded prefix is returned with the byte offset of the first bad byte.
pub fn decode_sample(bytes: &[u8], enc: TextEncoding, at_eof: bool) -> (String, Option<usize>) {
    match enc {
        TextEncoding::Utf8 => match std::str::from_utf8(bytes) {
            Ok(s) => (s.to_string(), None),
            Err(e) => {
                let ok = &bytes[..e.valid_up_to()];
                let s = String::from_utf8(ok.to_vec()).unwrap_or_default();
                if e.error_len().is_none() && !at_eof {
                    (s, None)
                } else {
                    (s, Some(e.valid_up_to()))
                }
            }
        },
        TextEncoding::Latin1 => (bytes.iter().map(|&b| b as char).collect(), None),
        TextEncoding::Other(e) => {
            let mut dec = e.new_decoder_without_bom_handling();
            let mut out = String::with_capacity(bytes.len() * 2 + 16);
            let mut pos = 0;
            loop {
                out.reserve(bytes.len() * 2 + 16);
                let (res, read) = dec.decode_to_string_without_replacement(&bytes[pos..], &mut out, at_eof);
                pos += read;
                match res {
                    DecoderResult::InputEmpty => return (out, None),
                    DecoderResult::OutputFull => continue,
                    DecoderResult::Malformed(_, _) => return (out, Some(pos)),
                }
            }
        }
    }
}

/// Error payload carried inside an `io::Error` when decoding fails; the line is 1-based.
#[derive(Debug)]
pub struct DecodeFailure {
    pub line: u64,
    pub detail: String,
}

impl std::fmt::Display for DecodeFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.detail)
    }
}
impl std::error::Error for DecodeFailure {}

/// A reader that yields UTF-8 from an input in another encoding.
pub struct DecodingReader<R> {
    inner: R,
    encoding: TextEncoding,
    decoder: Option<encoding_rs::Decoder>,
    raw: Vec<u8>,
    raw_pos: usize,
    raw_len: usize,
    eof: bool,
    pending: Vec<u8>,
    pending_pos: usize,
    lines: u64,
}

impl<R: Read> DecodingReader<R> {
    /// Wrap `inner`, positioned after any BOM.
    pub fn new(inner: R, encoding: TextEncoding) -> Self {
        let decoder = match encoding {
            TextEncoding::Other(e) => Some(e.new_decoder_without_bom_handling()),
            _ => None,
        };
        DecodingReader {
            inner,
            encoding,
            decoder,
            raw: vec![0; 1 << 20],
            raw_pos: 0,
            raw_len: 0,
            eof: false,
            pending: Vec::with_capacity(3 << 20),
            pending_pos: 0,
            lines: 1,
        }
    }

    fn fill(&mut self) -> io::Result<()> {
        self.pending.clear();
        self.pending_pos = 0;
        while self.pending.is_empty() {
            if self.raw_pos == self.raw_len && !self.eof {
                self.raw_pos = 0;
                self.raw_len = self.inner.read(&mut self.raw)?;
                if self.raw_len == 0 {
                    self.eof = true;
                }
            }
            let input = &self.raw[self.raw_pos..self.raw_len];
            match self.encoding {
                TextEncoding::Latin1 => {
                    for &b in input {
                        let mut buf = [0u8; 2];
                        self.pending.extend_from_slice((b as char).encode_utf8(&mut buf).as_bytes());
                    }
                    self.raw_pos = self.raw_len;
                }
                TextEncoding::Utf8 => {
                    self.pending.extend_from_slice(input);
                    self.raw_pos = self.raw_len;
                }
                TextEncoding::Other(_) => {
                    let dec = self.decoder.as_mut().expect("decoder for other encodings");
                    let cap =
                        dec.max_utf8_buffer_length_without_replacement(input.len()).unwrap_or(input.len() * 3 + 16);
                    self.pending.resize(cap, 0);
                    let (res, read, written) =
                        dec.decode_to_utf8_without_replacement(input, &mut self.pending, self.eof);
                    self.pending.truncate(written);
                    let bad_at = self.raw_pos + read;
                    self.raw_pos += read;
                    if let DecoderResult::Malformed(len, _) = res {
                        let lines = self.lines + memchr::memchr_iter(b'\n', &self.pending).count() as u64;
                        let bad = &self.raw[bad_at.saturating_sub(len as usize)..bad_at];
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            DecodeFailure { line: lines, detail: format!("invalid byte sequence {bad:02X?}") },
                        ));
                    }
                    let _ = CoderResult::InputEmpty;
                }
            }
            if self.eof && self.raw_pos == self.raw_len {
                break;
            }
        }
        self.lines += memchr::memchr_iter(b'\n', &self.pending).count() as u64;
        Ok(())
    }
}

impl<R: Read> Read for DecodingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pending_pos == self.pending.len() {
            if self.eof && self.raw_pos == self.raw_len {
                return Ok(0);
            }
            self.fill()?;
        }
        let n = buf.len().min(self.pending.len() - self.pending_pos);
        buf[..n].copy_from_slice(&self.pending[self.pending_pos..self.pending_pos + n]);
        self.pending_pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_boms_and_statistics() {
        assert_eq!(detect(b"\xEF\xBB\xBFa,b", true).encoding, TextEncoding::Utf8);
        assert_eq!(detect(b"\xFF\xFEa\0,\0b\0", true).encoding, TextEncoding::Other(UTF_16LE));
        assert_eq!(detect(b"a\0,\0b\0\n\0", true).encoding, TextEncoding::Other(UTF_16LE));
        assert_eq!(detect("naïve,café\n".as_bytes(), true).encoding, TextEncoding::Utf8);
        let cp1252 = b"name,city\nJos\xe9,M\xfcnchen\nFran\xe7ois,K\xf6ln\n";
        assert_eq!(detect(cp1252, true).encoding.name(), "windows-1252");
    }

    #[test]
    fn labels_resolve() {
        assert_eq!(TextEncoding::from_label("latin-1"), Some(TextEncoding::Latin1));
        assert_eq!(TextEncoding::from_label("cp1252").unwrap().name(), "windows-1252");
        assert_eq!(TextEncoding::from_label("CP866").unwrap().name(), "ibm866");
        assert_eq!(TextEncoding::from_label("utf-16le").unwrap().name(), "utf-16le");
        assert!(TextEncoding::from_label("klingon").is_none());
    }

    #[test]
    fn decoding_reader_transcodes_and_fails_loudly() {
        let mut out = String::new();
        DecodingReader::new(&b"a\x80\n"[..], TextEncoding::Latin1).read_to_string(&mut out).unwrap();
        assert_eq!(out, "a\u{80}\n");
        let mut out = String::new();
        let utf16: Vec<u8> = "x,é\n".encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        DecodingReader::new(&utf16[..], TextEncoding::Other(UTF_16LE)).read_to_string(&mut out).unwrap();
        assert_eq!(out, "x,é\n");
        let sjis = TextEncoding::from_label("shift_jis").unwrap();
        let mut out = Vec::new();
        let err = DecodingReader::new(&b"ok\n\x81"[..], sjis).read_to_end(&mut out).unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }
}
