//! Code pages of DBF files: the header's language driver byte mapped to a decoder, and strict
//! decoding (an undecodable byte is an error, never a replacement character).
//!
//! The table of language driver ids follows the published dBase / FoxPro documentation
//! ("Code Page Identifiers" of Visual FoxPro, the dBase language driver list). Windows and CJK
//! code pages decode with `encoding_rs`; the DOS (OEM) code pages that `encoding_rs` lacks
//! (437, 737, 850, 852, 857, 860-865) with the tables of the `oem_cp` crate; Mazovia and
//! Kamenický, which no crate provides, are cp437 with the published replacements below.

use encoding_rs::Encoding;
use oem_cp::code_table as oem;

/// A character decoder for DBF text.
#[derive(Clone, Copy)]
pub enum CodePage {
    /// UTF-8 (also used for files without a code page mark: ASCII is UTF-8).
    Utf8,
    /// ISO-8859-1: every byte is the code point of the same number.
    Latin1,
    /// An `encoding_rs` encoding. Windows single-byte code pages reject the bytes they leave
    /// undefined (which WHATWG maps to C1 control characters).
    Whatwg(&'static Encoding),
    /// A single-byte table for bytes 0x80-0xFF (`None`: undefined byte).
    Table(&'static str, SingleByte),
}

/// The upper half of a single-byte code page.
#[derive(Clone, Copy)]
pub enum SingleByte {
    /// Every byte defined.
    Complete(&'static [char; 128]),
    /// Some bytes undefined.
    Partial(&'static [Option<char>; 128]),
    /// cp437 with replacements (Mazovia, Kamenický).
    Patched(&'static [char; 128], &'static [(u8, char)]),
}

impl SingleByte {
    fn get(&self, b: u8) -> Option<char> {
        let i = (b - 0x80) as usize;
        match self {
            SingleByte::Complete(t) => Some(t[i]),
            SingleByte::Partial(t) => t[i],
            SingleByte::Patched(t, patch) => Some(patch.iter().find(|(k, _)| *k == b).map_or(t[i], |(_, c)| *c)),
        }
    }
}

/// Mazovia (code page 620, Polish DOS): cp437 with the Polish letters placed as published.
const MAZOVIA: &[(u8, char)] = &[
    (0x86, 'ą'),
    (0x8D, 'ć'),
    (0x8F, 'Ą'),
    (0x90, 'Ę'),
    (0x91, 'ę'),
    (0x92, 'ł'),
    (0x95, 'Ć'),
    (0x98, 'Ś'),
    (0x9C, 'Ł'),
    (0x9E, 'ś'),
    (0xA0, 'Ź'),
    (0xA1, 'Ż'),
    (0xA3, 'Ó'),
    (0xA4, 'ń'),
    (0xA5, 'Ń'),
    (0xA6, 'ź'),
    (0xA7, 'ż'),
];

/// Kamenický (code page 895, Czech/Slovak DOS): cp437 with 0x80-0xAF replaced as published.
const KAMENICKY: &[(u8, char)] = &[
    (0x80, 'Č'),
    (0x83, 'ď'),
    (0x85, 'Ď'),
    (0x86, 'Ť'),
    (0x87, 'č'),
    (0x88, 'ě'),
    (0x89, 'Ě'),
    (0x8A, 'Ĺ'),
    (0x8B, 'Í'),
    (0x8C, 'ľ'),
    (0x8D, 'ĺ'),
    (0x8F, 'Á'),
    (0x90, 'É'),
    (0x91, 'ž'),
    (0x92, 'Ž'),
    (0x95, 'Ó'),
    (0x96, 'ů'),
    (0x97, 'Ú'),
    (0x98, 'ý'),
    (0x9B, 'Š'),
    (0x9C, 'Ľ'),
    (0x9D, 'Ý'),
    (0x9E, 'Ř'),
    (0x9F, 'ť'),
    (0xA4, 'ň'),
    (0xA5, 'Ň'),
    (0xA6, 'Ů'),
    (0xA7, 'Ô'),
    (0xA8, 'š'),
    (0xA9, 'ř'),
    (0xAA, 'ŕ'),
    (0xAB, 'Ŕ'),
    (0xAC, '¼'),
    (0xAD, '§'),
];

impl std::fmt::Debug for CodePage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

impl CodePage {
    /// The name shown to users (`cp437`, `windows-1251`, `mazovia`, ...).
    pub fn name(&self) -> String {
        match self {
            CodePage::Utf8 => "utf-8".into(),
            CodePage::Latin1 => "iso-8859-1".into(),
            CodePage::Whatwg(e) => e.name().to_lowercase(),
            CodePage::Table(n, _) => (*n).into(),
        }
    }

    /// Resolve a user-given label: `cp437`, `437`, `ibm850`, `mazovia`, `kamenicky`, or anything
    /// `encoding_rs` knows (`cp1251`, `windows-1250`, `cp866`, `shift_jis`, `gbk`, `big5`, ...).
    pub fn from_label(label: &str) -> Option<CodePage> {
        let l = label.trim().to_ascii_lowercase().replace('_', "-");
        match l.as_str() {
            "mazovia" | "cp620" | "620" => {
                return Some(CodePage::Table("mazovia", SingleByte::Patched(&oem::DECODING_TABLE_CP437, MAZOVIA)))
            }
            "kamenicky" | "kamenický" | "cp895" | "895" | "keybcs2" => {
                return Some(CodePage::Table("kamenicky", SingleByte::Patched(&oem::DECODING_TABLE_CP437, KAMENICKY)))
            }
            "ascii" | "us-ascii" | "utf8" | "utf-8" => return Some(CodePage::Utf8),
            "latin-1" | "latin1" | "iso-8859-1" | "iso8859-1" | "l1" => return Some(CodePage::Latin1),
            _ => {}
        }
        let digits =
            l.trim_start_matches("cp").trim_start_matches("ibm").trim_start_matches("windows-").trim_start_matches('-');
        if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
            if let Some(t) = oem_table(digits) {
                return Some(t);
            }
            return crate::formats::csv::encoding::encoding_for_code_page(digits).map(CodePage::from_encoding);
        }
        Encoding::for_label(l.as_bytes()).map(CodePage::from_encoding)
    }

    fn from_encoding(e: &'static Encoding) -> CodePage {
        if e == encoding_rs::UTF_8 {
            CodePage::Utf8
        } else {
            CodePage::Whatwg(e)
        }
    }

    /// The code page a language driver byte names, if the byte is a known one. `0x00` (no mark)
    /// is `None`: the caller decides (a `.cpg` file beside the table, else UTF-8/ASCII).
    pub fn from_language_driver(id: u8) -> Option<CodePage> {
        let label = match id {
            0x01 | 0x09 | 0x0B | 0x0D | 0x0F | 0x11 | 0x15 | 0x18 | 0x19 | 0x1B => "437",
            0x02 | 0x0A | 0x0E | 0x10 | 0x12 | 0x14 | 0x16 | 0x1A | 0x1D | 0x25 | 0x37 => "850",
            0x03 | 0x57 | 0x58 | 0x59 => "1252",
            0x04 => "10000",
            0x08 | 0x17 | 0x66 => "865",
            0x13 | 0x7B => "932",
            0x1C | 0x6C => "863",
            0x1F | 0x22 | 0x23 | 0x40 | 0x64 | 0x87 => "852",
            0x24 => "860",
            0x26 | 0x65 => "866",
            0x4D | 0x7A => "936",
            0x4E | 0x79 => "949",
            0x4F | 0x78 => "950",
            0x50 | 0x7C => "874",
            0x67 => "861",
            0x68 => "kamenicky",
            0x69 => "mazovia",
            0x6A | 0x86 => "737",
            0x6B | 0x88 => "857",
            0x7D => "1255",
            0x7E => "1256",
            0x96 => "10007",
            0xC8 => "1250",
            0xC9 => "1251",
            0xCA => "1254",
            0xCB => "1253",
            0xCC => "1257",
            _ => return None,
        };
        CodePage::from_label(label)
    }

    /// Decode `bytes` into `out` (cleared first). On failure returns the offset of the first
    /// undecodable byte.
    pub fn decode_into(&self, bytes: &[u8], out: &mut String) -> Result<(), usize> {
        out.clear();
        if bytes.is_ascii() {
            // ASCII is ASCII in every code page a DBF uses (the CJK ones included).
            out.push_str(std::str::from_utf8(bytes).map_err(|e| e.valid_up_to())?);
            return Ok(());
        }
        match self {
            CodePage::Utf8 => match std::str::from_utf8(bytes) {
                Ok(s) => out.push_str(s),
                Err(e) => return Err(e.valid_up_to()),
            },
            CodePage::Latin1 => out.extend(bytes.iter().map(|&b| b as char)),
            CodePage::Table(_, t) => {
                out.reserve(bytes.len() * 2);
                for (i, &b) in bytes.iter().enumerate() {
                    if b < 0x80 {
                        out.push(b as char);
                    } else {
                        out.push(t.get(b).ok_or(i)?);
                    }
                }
            }
            CodePage::Whatwg(e) => {
                let mut dec = e.new_decoder_without_bom_handling();
                out.reserve(dec.max_utf8_buffer_length_without_replacement(bytes.len()).unwrap_or(bytes.len() * 3));
                let (res, read) = dec.decode_to_string_without_replacement(bytes, out, true);
                if let encoding_rs::DecoderResult::Malformed(bad, _) = res {
                    return Err(read.saturating_sub(bad as usize));
                }
                // Windows single-byte pages: WHATWG fills their holes with C1 controls, which
                // no real text contains; treat them as the undefined bytes they are.
                if e.is_single_byte() && e.name().starts_with("windows-") {
                    if let Some(pos) = bytes.iter().position(|&b| (0x80..0xA0).contains(&b) && is_c1_hole(e, b)) {
                        return Err(pos);
                    }
                }
            }
        }
        Ok(())
    }
}

/// True if byte `b` (0x80-0x9F) decodes to a C1 control in the single-byte encoding `e`.
fn is_c1_hole(e: &'static Encoding, b: u8) -> bool {
    let byte = [b];
    let (s, _) = e.decode_without_bom_handling(&byte);
    let c1 = s.chars().next().is_some_and(|c| ('\u{80}'..='\u{9F}').contains(&c));
    c1
}

fn oem_table(digits: &str) -> Option<CodePage> {
    use SingleByte::*;
    let (name, t) = match digits {
        "437" => ("cp437", Complete(&oem::DECODING_TABLE_CP437)),
        "737" => ("cp737", Complete(&oem::DECODING_TABLE_CP737)),
        "775" => ("cp775", Complete(&oem::DECODING_TABLE_CP775)),
        "850" => ("cp850", Complete(&oem::DECODING_TABLE_CP850)),
        "852" => ("cp852", Complete(&oem::DECODING_TABLE_CP852)),
        "855" => ("cp855", Complete(&oem::DECODING_TABLE_CP855)),
        "857" => ("cp857", Partial(&oem::DECODING_TABLE_CP857)),
        "858" => ("cp858", Complete(&oem::DECODING_TABLE_CP858)),
        "860" => ("cp860", Complete(&oem::DECODING_TABLE_CP860)),
        "861" => ("cp861", Complete(&oem::DECODING_TABLE_CP861)),
        "862" => ("cp862", Complete(&oem::DECODING_TABLE_CP862)),
        "863" => ("cp863", Complete(&oem::DECODING_TABLE_CP863)),
        "865" => ("cp865", Complete(&oem::DECODING_TABLE_CP865)),
        "869" => ("cp869", Complete(&oem::DECODING_TABLE_CP869)),
        _ => return None,
    };
    Some(CodePage::Table(name, t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(cp: &CodePage, b: &[u8]) -> Result<String, usize> {
        let mut s = String::new();
        cp.decode_into(b, &mut s).map(|_| s)
    }

    #[test]
    fn language_drivers_map_to_code_pages() {
        let name = |id| CodePage::from_language_driver(id).unwrap().name();
        assert_eq!(name(0x01), "cp437");
        assert_eq!(name(0x02), "cp850");
        assert_eq!(name(0x03), "windows-1252");
        assert_eq!(name(0x26), "ibm866");
        assert_eq!(name(0x64), "cp852");
        assert_eq!(name(0xC8), "windows-1250");
        assert_eq!(name(0xC9), "windows-1251");
        assert_eq!(name(0xCC), "windows-1257");
        assert_eq!(name(0x4D), "gbk");
        assert_eq!(name(0x7B), "shift_jis");
        assert_eq!(name(0x4F), "big5");
        assert_eq!(name(0x4E), "euc-kr");
        assert_eq!(name(0x7C), "windows-874");
        assert_eq!(name(0x68), "kamenicky");
        assert_eq!(name(0x69), "mazovia");
        assert!(CodePage::from_language_driver(0x00).is_none());
    }

    #[test]
    fn decodes_dos_and_windows_text() {
        let cp866 = CodePage::from_language_driver(0x65).unwrap();
        assert_eq!(dec(&cp866, &[0x8F, 0xE0, 0xA8, 0xA2, 0xA5, 0xE2]).unwrap(), "Привет");
        let cp437 = CodePage::from_label("cp437").unwrap();
        assert_eq!(dec(&cp437, &[0x81, 0x94]).unwrap(), "üö");
        let cp852 = CodePage::from_label("852").unwrap();
        assert_eq!(dec(&cp852, &[0xA5, 0x88]).unwrap(), "ął");
        let gbk = CodePage::from_language_driver(0x4D).unwrap();
        assert_eq!(dec(&gbk, &[0xB2, 0xE2, 0xCA, 0xD4]).unwrap(), "测试");
        let mazovia = CodePage::from_label("mazovia").unwrap();
        assert_eq!(dec(&mazovia, &[0x8F, 0x92, 0x98, 0x41]).unwrap(), "ĄłŚA");
        let kam = CodePage::from_label("kamenicky").unwrap();
        assert_eq!(dec(&kam, &[0x80, 0x87, 0x9E, 0xA8]).unwrap(), "ČčŘš");
    }

    #[test]
    fn undefined_bytes_are_errors() {
        let cp1252 = CodePage::from_language_driver(0x03).unwrap();
        assert_eq!(dec(&cp1252, b"ab\x81c"), Err(2));
        assert_eq!(dec(&cp1252, b"\xe9t\xe9").unwrap(), "été");
        assert_eq!(dec(&CodePage::Utf8, b"a\xff"), Err(1));
        let sjis = CodePage::from_label("cp932").unwrap();
        assert!(dec(&sjis, b"\x82").is_err());
    }
}
