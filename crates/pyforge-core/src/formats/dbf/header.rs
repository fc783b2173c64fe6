//! The table header: version byte, record count and sizes, language driver byte, and the field
//! descriptors (32 bytes each for dBase III/IV, FoxPro and Visual FoxPro; 48 bytes for dBase 7).
//!
//! Every number read from the header is checked against the file before it is used to size
//! anything.

/// A parse failure of the header, described for the user (the caller adds the path).
pub type HeaderError = String;

/// One field descriptor.
#[derive(Debug, Clone)]
pub struct FieldDescriptor {
    /// Name as stored (bytes up to the first NUL, decoded as Latin-1 if not ASCII).
    pub name: String,
    /// Type letter (`C`, `N`, `0`, ...).
    pub kind: u8,
    /// Byte offset of the field inside a record (the deletion flag is byte 0).
    pub offset: usize,
    /// Width in bytes.
    pub length: usize,
    /// Decimal places (N, F).
    pub decimals: u8,
    /// Visual FoxPro field flags: 0x01 system (hidden), 0x02 nullable, 0x04 binary,
    /// 0x08/0x0C autoincrement.
    pub flags: u8,
}

impl FieldDescriptor {
    /// Visual FoxPro hidden system column (`_NullFlags`).
    pub fn is_system(&self) -> bool {
        self.flags & 0x01 != 0
    }
    /// The field may be null (Visual FoxPro null flag).
    pub fn is_nullable(&self) -> bool {
        self.flags & 0x02 != 0
    }
    /// Binary content: no code page translation (Visual FoxPro).
    pub fn is_binary(&self) -> bool {
        self.flags & 0x04 != 0
    }
    /// Autoincrement field (Visual FoxPro).
    pub fn is_autoincrement(&self) -> bool {
        self.flags & 0x08 != 0
    }
    /// `C(10)`, `N(12,2)`: the declaration as dBase shows it.
    pub fn declaration(&self) -> String {
        let k = self.kind as char;
        if matches!(self.kind, b'N' | b'F') {
            format!("{k}({},{})", self.length, self.decimals)
        } else {
            format!("{k}({})", self.length)
        }
    }
}

/// The parsed header.
#[derive(Debug, Clone)]
pub struct Header {
    /// Version byte (0x03 dBase III, 0x30 Visual FoxPro, 0x8B dBase IV with memo, ...).
    pub version: u8,
    /// Last update date (year, month, day) as stored; the year is from 1900.
    pub last_update: (u16, u8, u8),
    /// Record count the header claims (deleted records included).
    pub record_count: u32,
    /// Offset of the first record.
    pub header_len: usize,
    /// Bytes per record, deletion flag included.
    pub record_len: usize,
    /// The record length the header declared, when it was too short for the fields (and
    /// `record_len` is the fields' total instead).
    pub declared_record_len: Option<usize>,
    /// Table flags (Visual FoxPro: 0x01 .cdx, 0x02 memo, 0x04 database container).
    pub table_flags: u8,
    /// Language driver id / code page mark.
    pub language_driver: u8,
    /// Field descriptors, in record order.
    pub fields: Vec<FieldDescriptor>,
}

/// Human-readable name of a version byte.
pub fn version_name(v: u8) -> &'static str {
    match v {
        0x02 => "FoxBASE",
        0x03 => "dBase III / FoxBASE+ / FoxPro (no memo)",
        0x04 => "dBase 7 (no memo)",
        0x30 => "Visual FoxPro",
        0x31 => "Visual FoxPro (autoincrement)",
        0x32 => "Visual FoxPro (varchar/varbinary)",
        0x43 => "dBase IV SQL table (no memo)",
        0x63 => "dBase IV SQL system table (no memo)",
        0x83 => "dBase III with memo (.dbt)",
        0x8B => "dBase IV with memo (.dbt)",
        0x8C => "dBase 7 with memo (.dbt)",
        0xCB => "dBase IV SQL table with memo (.dbt)",
        0xE5 => "HiPer-Six / Clipper SMT memo",
        0xF5 => "FoxPro 2.x with memo (.fpt)",
        0xFB => "FoxBASE with memo",
        _ => "unknown",
    }
}

/// True for versions this reader knows.
pub fn is_known_version(v: u8) -> bool {
    version_name(v) != "unknown"
}

impl Header {
    /// Visual FoxPro table (0x30-0x32).
    pub fn is_visual_foxpro(&self) -> bool {
        matches!(self.version, 0x30..=0x32)
    }
    /// dBase 7 layout (48-byte field descriptors, big-endian binary numbers).
    pub fn is_dbase7(&self) -> bool {
        self.version & 0x07 == 0x04
    }
    /// FoxPro family (memo in .fpt).
    pub fn is_foxpro(&self) -> bool {
        matches!(self.version, 0x30..=0x32 | 0xF5 | 0xFB)
    }

    /// Parse the fixed 32 bytes; `head` must hold at least the whole header
    /// (`header_len` bytes, or the whole file if shorter). `file_len` bounds every count.
    pub fn parse(head: &[u8], file_len: u64) -> Result<Header, HeaderError> {
        if head.len() < 32 {
            return Err(format!("too short for a DBF header ({} bytes)", head.len()));
        }
        let version = head[0];
        if !is_known_version(version) {
            return Err(format!("not a DBF file (unknown version byte 0x{version:02X})"));
        }
        let record_count = u32::from_le_bytes(head[4..8].try_into().expect("4 bytes"));
        let header_len = u16::from_le_bytes([head[8], head[9]]) as usize;
        let record_len = u16::from_le_bytes([head[10], head[11]]) as usize;
        let mut h = Header {
            version,
            last_update: (1900 + head[1] as u16, head[2], head[3]),
            record_count,
            header_len,
            record_len,
            declared_record_len: None,
            table_flags: head[28],
            language_driver: head[29],
            fields: Vec::new(),
        };
        let (start, size) = if h.is_dbase7() { (68, 48) } else { (32, 32) };
        if header_len < start + 1 {
            return Err(format!("header length {header_len} is too small"));
        }
        if header_len as u64 > file_len {
            return Err(format!("header length {header_len} is past the end of the file ({file_len} bytes)"));
        }
        if record_len == 0 {
            return Err("record length is 0".into());
        }
        let area = &head[..header_len.min(head.len())];
        let mut pos = start;
        let mut offset = 1usize;
        loop {
            if pos == area.len() && !h.fields.is_empty() {
                // Some writers fill the header exactly and omit the terminator.
                break;
            }
            if pos >= area.len() || pos + size > area.len() && area[pos] != 0x0D {
                return Err("field descriptors run past the header (no 0x0D terminator)".into());
            }
            if area[pos] == 0x0D {
                break;
            }
            let d = &area[pos..pos + size];
            let f = if size == 48 { descriptor7(d, offset) } else { descriptor(d, offset) };
            offset += f.length;
            h.fields.push(f);
            pos += size;
        }
        if h.fields.is_empty() {
            return Err("the table has no fields".into());
        }
        h.fix_lengths()?;
        Ok(h)
    }

    /// Make the field widths add up to the record length: Clipper and FoxPro store character
    /// fields wider than 255 with the decimal count as the high byte of the width.
    fn fix_lengths(&mut self) -> Result<(), HeaderError> {
        let total = |fs: &[FieldDescriptor]| 1 + fs.iter().map(|f| f.length).sum::<usize>();
        if total(&self.fields) != self.record_len {
            let mut wide = self.fields.clone();
            for f in wide.iter_mut().filter(|f| f.kind == b'C' && f.decimals > 0) {
                f.length += 256 * f.decimals as usize;
                f.decimals = 0;
            }
            if total(&wide) == self.record_len {
                self.fields = wide;
                let mut off = 1;
                for f in &mut self.fields {
                    f.offset = off;
                    off += f.length;
                }
            }
        }
        let t = total(&self.fields);
        if t > self.record_len {
            // Some writers forget the deletion flag in the record length; the caller checks
            // the file size against the fields' length before trusting it.
            self.declared_record_len = Some(self.record_len);
            self.record_len = t;
        }
        Ok(())
    }
}

fn name_of(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    bytes[..end].iter().map(|&b| b as char).collect::<String>().trim().to_string()
}

fn descriptor(d: &[u8], offset: usize) -> FieldDescriptor {
    FieldDescriptor {
        name: name_of(&d[..11]),
        kind: d[11].to_ascii_uppercase(),
        offset,
        length: d[16] as usize,
        decimals: d[17],
        flags: d[18],
    }
}

fn descriptor7(d: &[u8], offset: usize) -> FieldDescriptor {
    FieldDescriptor {
        name: name_of(&d[..32]),
        kind: d[32].to_ascii_uppercase(),
        offset,
        length: d[33] as usize,
        decimals: d[34],
        flags: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(version: u8, fields: &[(&str, u8, u8, u8)], record_len: u16) -> Vec<u8> {
        let mut h = vec![0u8; 32];
        h[0] = version;
        h[4] = 2;
        let header_len = 32 + 32 * fields.len() + 1;
        h[8..10].copy_from_slice(&(header_len as u16).to_le_bytes());
        h[10..12].copy_from_slice(&record_len.to_le_bytes());
        h[29] = 0x03;
        for (name, kind, len, dec) in fields {
            let mut d = [0u8; 32];
            d[..name.len()].copy_from_slice(name.as_bytes());
            d[11] = *kind;
            d[16] = *len;
            d[17] = *dec;
            h.extend_from_slice(&d);
        }
        h.push(0x0D);
        h
    }

    #[test]
    fn parses_fields_and_offsets() {
        let h = header(0x03, &[("NAME", b'C', 10, 0), ("AMOUNT", b'N', 8, 2)], 19);
        let p = Header::parse(&h, 10_000).unwrap();
        assert_eq!(p.fields.len(), 2);
        assert_eq!(p.fields[1].name, "AMOUNT");
        assert_eq!(p.fields[1].offset, 11);
        assert_eq!(p.fields[1].declaration(), "N(8,2)");
        assert_eq!(p.language_driver, 0x03);
    }

    #[test]
    fn wide_character_fields_use_the_decimal_byte() {
        let h = header(0x03, &[("NOTE", b'C', 0x2C, 1)], 1 + 300);
        let p = Header::parse(&h, 10_000).unwrap();
        assert_eq!(p.fields[0].length, 300);
    }

    #[test]
    fn rejects_bad_headers() {
        assert!(Header::parse(b"short", 5).is_err());
        let mut h = header(0x03, &[("A", b'C', 10, 0)], 11);
        h[0] = 0x99;
        assert!(Header::parse(&h, 1000).unwrap_err().contains("version"));
        let h = header(0x03, &[("A", b'C', 10, 0)], 5);
        let p = Header::parse(&h, 1000).unwrap();
        assert_eq!((p.record_len, p.declared_record_len), (11, Some(5)));
        let h = header(0x03, &[("A", b'C', 10, 0)], 11);
        assert!(Header::parse(&h, 40).unwrap_err().contains("past the end"));
        let mut h = header(0x03, &[("A", b'C', 10, 0)], 11);
        let n = h.len();
        h[n - 1] = b'X';
        assert!(Header::parse(&h, 1000).is_err());
    }
}
