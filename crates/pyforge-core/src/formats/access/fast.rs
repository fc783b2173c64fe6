//! The fast path: rows of Jet4/ACE data pages decoded straight into Arrow builders.
//!
//! jetdb turns every cell into a [`jetdb::Value`] (an owned `String` per text value) that is
//! then copied into a builder; on large tables that allocation and copying is most of the
//! time. This module reads the row bytes itself, from the public description of the format
//! (mdbtools' HACKING.md, "Data Rows" and "LVAL pages"):
//!
//! * a data page (type byte `0x01`) holds a row count and a table of 16-bit row offsets; the
//!   flag `0x4000` of an offset marks a deleted row, `0x8000` a lookup (overflow) row; a row
//!   ends where the previous one (in table order) starts, the first one at the page end;
//! * a Jet4 row is: its column count (u16), the fixed-length columns at their fixed offsets,
//!   the variable-length data, then, from the end: the null mask (one bit per column number,
//!   set when the column holds a value; for Yes/No the bit is the value), the count of
//!   variable-length columns (u16) and before it their start offsets in reverse order, the
//!   entry after the last column being the end of the variable data;
//! * text is UTF-16LE, or "compressed" when it starts with `FF FE`: then one byte per
//!   character (Latin-1), a `00` byte switching to two-byte characters and back;
//! * a Memo/OLE value starts with a 12-byte header: its length in the low 30 bits of a u32,
//!   the top bits saying where the data is (`0x80..`: inline after the header; `0x40..`: the
//!   whole row of a long-value page named by the next u32, page number << 8 | row;
//!   `0x00..`: a chain of long-value rows, each starting with the pointer to the next).
//!
//! jetdb keeps doing what it does well: catalog, table definitions, the list of data pages,
//! page decryption (every page is read through [`PageReader::read_page`]). Whatever the fast
//! path does not handle is not guessed: a table with columns of other types (or a Jet3
//! database) is read by jetdb entirely ([`FastPlan::new`] gives `None`), and a row the fast
//! path cannot decode with certainty (lookup rows, rows whose bytes are inconsistent, values
//! its simple decoders do not cover) is handed back as [`Decoded::Slow`] and read by jetdb,
//! so the fast path never gives a value jetdb would not.

use arrow::array::{BinaryBuilder, StringBuilder};
use jetdb::format::row as row_flags;
use jetdb::{find_row, ColumnType, JetFormat, PageReader, TextEncoding};

use super::catalog::AccessTable;
use super::schema::ColumnKind;
use super::values::{ole_to_micros, ColumnBuilder};

/// How one output column is read from the row bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// Yes/No: the null-mask bit is the value.
    Bool,
    Byte,
    Int,
    Long,
    BigInt,
    Float,
    Double,
    /// Currency: a 64-bit integer in units of 1/10,000.
    Money,
    /// Date/Time: an OLE date (f64 days since 1899-12-30).
    Timestamp,
    /// Short Text (variable length).
    Text,
    /// Binary (variable length).
    Binary,
    /// Long Text: a long value holding text.
    Memo,
    /// OLE Object: a long value holding bytes.
    Ole,
}

impl Kind {
    /// Bytes of a fixed-length value of this kind.
    fn size(self) -> usize {
        match self {
            Kind::Bool => 0,
            Kind::Byte => 1,
            Kind::Int => 2,
            Kind::Long | Kind::Float => 4,
            Kind::BigInt | Kind::Double | Kind::Money | Kind::Timestamp => 8,
            Kind::Text | Kind::Binary | Kind::Memo | Kind::Ole => 0,
        }
    }
}

/// One output column of the plan.
#[derive(Debug, Clone)]
struct FastColumn {
    kind: Kind,
    col_num: usize,
    /// Offset of a fixed-length value from the row start (after the column count).
    fixed_at: usize,
    /// Index of a variable-length column among the row's variable columns.
    var_col: usize,
}

/// How to decode the rows of one table; `None` from [`FastPlan::new`] when the table has
/// anything the fast path does not read.
#[derive(Debug, Clone)]
pub struct FastPlan {
    columns: Vec<FastColumn>,
    /// The table declares variable-length columns, so rows carry the variable-column table.
    has_var: bool,
    format: &'static JetFormat,
}

/// A value decoded from the row, waiting for the whole row to succeed.
#[derive(Debug, Clone, Copy)]
enum Cell {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// Currency in units of 1/10,000.
    Money(i64),
    /// Date/Time in microseconds since 1970.
    Micros(i64),
    /// A range of the row's text buffer.
    Text(usize, usize),
    /// A range of the row's byte buffer.
    Bytes(usize, usize),
}

/// The outcome of decoding one row.
pub enum Decoded {
    /// The row's values were appended; the payload bytes they added.
    Appended(usize),
    /// The fast path cannot decode this row with certainty: read it with jetdb.
    Slow,
}

/// Reusable buffers of the decoder (one per stream), so rows allocate nothing.
#[derive(Default)]
pub struct Scratch {
    cells: Vec<Cell>,
    /// The text of the row's text cells.
    text: String,
    bytes: Vec<u8>,
    chain: Vec<u8>,
}

/// Why a row goes to the slow path (never shown: the slow path gives the real outcome).
struct Slow;

impl FastPlan {
    /// The plan for `table` in a database of `reader`'s version, or `None` when the table has
    /// a column the fast path does not decode (complex, calculated, Decimal, GUID, fixed-length
    /// text, Date/Time Extended, unknown types) or the database is Jet3.
    pub fn new(table: &AccessTable, reader: &PageReader) -> Option<FastPlan> {
        if reader.header().version.is_jet3() || reader.text_encoding() != TextEncoding::Unicode {
            return None;
        }
        let mut columns = Vec::with_capacity(table.columns.len());
        for planned in &table.columns {
            let def = &table.def.columns[planned.index];
            let ColumnKind::Plain(t) = planned.kind else { return None };
            if def.is_calculated || t != def.col_type {
                return None;
            }
            let kind = match (t, def.is_fixed) {
                (ColumnType::Boolean, true) => Kind::Bool,
                (ColumnType::Byte, true) => Kind::Byte,
                (ColumnType::Int, true) => Kind::Int,
                (ColumnType::Long, true) => Kind::Long,
                (ColumnType::BigInt, true) => Kind::BigInt,
                (ColumnType::Float, true) => Kind::Float,
                (ColumnType::Double, true) => Kind::Double,
                (ColumnType::Money, true) => Kind::Money,
                (ColumnType::Timestamp, true) => Kind::Timestamp,
                (ColumnType::Text, false) => Kind::Text,
                (ColumnType::Binary, false) => Kind::Binary,
                (ColumnType::Memo, false) => Kind::Memo,
                (ColumnType::Ole, false) => Kind::Ole,
                _ => return None,
            };
            columns.push(FastColumn {
                kind,
                col_num: def.col_num as usize,
                fixed_at: 2 + def.fixed_offset as usize,
                var_col: def.var_col_num as usize,
            });
        }
        let has_var = table.def.columns.iter().any(|c| !c.is_fixed);
        Some(FastPlan { columns, has_var, format: reader.format() })
    }

    /// The number of row slots on a data page (0 if it is not a data page).
    pub fn row_count(&self, page: &[u8]) -> u16 {
        let at = self.format.data_row_count_pos;
        if page.first() != Some(&0x01) {
            return 0;
        }
        page.get(at..at + 2).map_or(0, |b| u16::from_le_bytes([b[0], b[1]]))
    }

    /// The offset-table entry of slot `row` (with its flags).
    fn slot(&self, page: &[u8], row: u16) -> Option<u16> {
        let at = self.format.data_row_count_pos + 2 + 2 * row as usize;
        page.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }

    /// Whether slot `row` of `page` is a deleted row (passed over by every reader).
    pub fn is_deleted(&self, page: &[u8], row: u16) -> bool {
        self.slot(page, row).is_some_and(|s| s & row_flags::DELETE_FLAG != 0)
    }

    /// Whether slot `row` is a lookup row whose offsets do not locate a row: a stale pointer
    /// every reader passes over.
    pub fn is_stale_lookup(&self, page: &[u8], page_num: u32, row: u16) -> bool {
        self.slot(page, row).is_some_and(|s| s & row_flags::LOOKUP_FLAG != 0)
            && find_row(self.format, page, page_num, row).is_err()
    }

    /// Decode row `row` of the data page `page` (number `page_num`) and append its values to
    /// `builders` (one per output column, in order). Nothing is appended unless the whole row
    /// decodes. Long values on other pages are read with `reader`.
    pub fn decode(
        &self,
        reader: &mut PageReader,
        page: &[u8],
        page_num: u32,
        row: u16,
        builders: &mut [ColumnBuilder],
        scratch: &mut Scratch,
    ) -> Decoded {
        match self.slot(page, row) {
            Some(s) if s & (row_flags::DELETE_FLAG | row_flags::LOOKUP_FLAG) == 0 => {}
            _ => return Decoded::Slow,
        }
        let Ok((start, size)) = find_row(self.format, page, page_num, row) else { return Decoded::Slow };
        let bytes = &page[start..start + size];
        scratch.cells.clear();
        scratch.text.clear();
        scratch.bytes.clear();
        if self.cells(reader, bytes, scratch).is_err() {
            return Decoded::Slow;
        }
        match self.append(builders, scratch) {
            Ok(n) => Decoded::Appended(n),
            // The plan matches the builders by construction; if it ever did not, jetdb's path
            // reads the row (before anything of it was appended).
            Err(Slow) => Decoded::Slow,
        }
    }

    /// Decode every planned column of the row `b` into `scratch.cells`.
    fn cells(&self, reader: &mut PageReader, b: &[u8], scratch: &mut Scratch) -> Result<(), Slow> {
        if b.len() < 2 {
            return Err(Slow);
        }
        let col_count = u16::from_le_bytes([b[0], b[1]]) as usize;
        let mask_len = col_count.div_ceil(8);
        let mask_start = b.len().checked_sub(mask_len).filter(|&m| m >= 2).ok_or(Slow)?;
        let mask = &b[mask_start..];
        // The variable-column table: its count just before the mask, entries before it.
        let (var_count, var_table_end) = if self.has_var {
            let at = mask_start.checked_sub(2).filter(|&a| a >= 2).ok_or(Slow)?;
            (u16::from_le_bytes([b[at], b[at + 1]]) as usize, at)
        } else {
            (0, mask_start)
        };
        let var_entry = |i: usize| -> Option<usize> {
            let p = var_table_end.checked_sub(2 * (i + 1))?;
            Some(u16::from_le_bytes([b[p], b[p + 1]]) as usize)
        };
        for col in &self.columns {
            if col.col_num >= col_count {
                // A column added after the row was written: leave it to jetdb's rules.
                return Err(Slow);
            }
            let present = mask[col.col_num / 8] >> (col.col_num % 8) & 1 == 1;
            if col.kind == Kind::Bool {
                scratch.cells.push(Cell::Bool(present));
                continue;
            }
            if !present {
                scratch.cells.push(Cell::Null);
                continue;
            }
            let cell = match col.kind {
                Kind::Text | Kind::Binary | Kind::Memo | Kind::Ole => {
                    if col.var_col >= var_count {
                        return Err(Slow);
                    }
                    let (start, end) = (var_entry(col.var_col).ok_or(Slow)?, var_entry(col.var_col + 1).ok_or(Slow)?);
                    if start > end || end > var_table_end.saturating_sub(2 * (var_count + 1)) {
                        return Err(Slow);
                    }
                    self.var_cell(reader, col.kind, &b[start..end], scratch)?
                }
                kind => {
                    let v = b
                        .get(col.fixed_at..col.fixed_at + kind.size())
                        .filter(|_| col.fixed_at + kind.size() <= mask_start)
                        .ok_or(Slow)?;
                    fixed_cell(kind, v)?
                }
            };
            scratch.cells.push(cell);
        }
        Ok(())
    }

    /// The cell of a variable-length column of type `kind` whose row bytes are `data`: text and
    /// bytes go to `scratch`, memo and OLE values read from their long-value pages.
    #[inline]
    fn var_cell(&self, reader: &mut PageReader, kind: Kind, data: &[u8], scratch: &mut Scratch) -> Result<Cell, Slow> {
        Ok(match kind {
            Kind::Text => {
                let from = scratch.text.len();
                push_text(&mut scratch.text, data)?;
                Cell::Text(from, scratch.text.len())
            }
            Kind::Binary => {
                let from = scratch.bytes.len();
                scratch.bytes.extend_from_slice(data);
                Cell::Bytes(from, scratch.bytes.len())
            }
            Kind::Memo if data.is_empty() => Cell::Text(scratch.text.len(), scratch.text.len()),
            Kind::Ole if data.is_empty() => Cell::Bytes(scratch.bytes.len(), scratch.bytes.len()),
            Kind::Memo => {
                let from = scratch.text.len();
                let Scratch { text, chain, .. } = scratch;
                long_value(reader, self.format, data, chain, |d| push_text(text, d))?;
                Cell::Text(from, scratch.text.len())
            }
            _ => {
                let from = scratch.bytes.len();
                let Scratch { bytes, chain, .. } = scratch;
                long_value(reader, self.format, data, chain, |d| {
                    bytes.extend_from_slice(d);
                    Ok(())
                })?;
                Cell::Bytes(from, scratch.bytes.len())
            }
        })
    }

    /// Append the decoded cells to the builders; the payload bytes added.
    fn append(&self, builders: &mut [ColumnBuilder], scratch: &Scratch) -> Result<usize, Slow> {
        use ColumnBuilder as B;
        // Check every pairing first, so a mismatch appends nothing.
        if scratch.cells.len() != builders.len() || !scratch.cells.iter().zip(builders.iter()).all(|(c, b)| fits(c, b))
        {
            return Err(Slow);
        }
        let text = scratch.text.as_str();
        for cell in &scratch.cells {
            if let Cell::Text(a, z) = *cell {
                if text.get(a..z).is_none() {
                    return Err(Slow);
                }
            }
        }
        let mut added = 0;
        for (cell, builder) in scratch.cells.iter().zip(builders.iter_mut()) {
            match (*cell, builder) {
                (Cell::Null, b) => b.append_null(),
                (Cell::Bool(x), B::Bool(b)) => b.append_value(x),
                (Cell::Int(x), B::U8(b)) => b.append_value(x as u8),
                (Cell::Int(x), B::I16(b)) => b.append_value(x as i16),
                (Cell::Int(x), B::I32(b)) => b.append_value(x as i32),
                (Cell::Int(x), B::I64(b)) => b.append_value(x),
                (Cell::Float(x), B::F32(b)) => b.append_value(x as f32),
                (Cell::Float(x), B::F64(b)) => b.append_value(x),
                (Cell::Money(x), B::Decimal(b, _)) => b.append_value(x as i128),
                (Cell::Micros(x), B::Micros(b)) => b.append_value(x),
                (Cell::Text(a, z), B::Utf8(b)) => append_str(b, text.get(a..z).unwrap_or_default(), &mut added),
                (Cell::Bytes(a, z), B::Binary(b)) => append_bytes(b, &scratch.bytes[a..z], &mut added),
                // Never reached: every pairing was checked by `fits` above.
                (_, b) => b.append_null(),
            }
            added += match cell {
                Cell::Bool(_) => 1,
                Cell::Int(_) | Cell::Float(_) | Cell::Money(_) | Cell::Micros(_) => 8,
                _ => 0,
            };
        }
        Ok(added)
    }
}

/// Whether `cell` can be appended to `builder`.
fn fits(cell: &Cell, builder: &ColumnBuilder) -> bool {
    use ColumnBuilder as B;
    matches!(
        (cell, builder),
        (Cell::Null, _)
            | (Cell::Bool(_), B::Bool(_))
            | (Cell::Int(_), B::U8(_) | B::I16(_) | B::I32(_) | B::I64(_))
            | (Cell::Float(_), B::F32(_) | B::F64(_))
            | (Cell::Money(_), B::Decimal(_, 4))
            | (Cell::Micros(_), B::Micros(_))
            | (Cell::Text(..), B::Utf8(_))
            | (Cell::Bytes(..), B::Binary(_))
    )
}

fn append_str(b: &mut StringBuilder, s: &str, added: &mut usize) {
    b.append_value(s);
    *added += s.len();
}

fn append_bytes(b: &mut BinaryBuilder, s: &[u8], added: &mut usize) {
    b.append_value(s);
    *added += s.len();
}

/// The cell of a fixed-size column of type `kind` whose bytes are `v` (`kind.size()` of them).
#[inline]
fn fixed_cell(kind: Kind, v: &[u8]) -> Result<Cell, Slow> {
    let mut x = [0u8; 8];
    x[..v.len()].copy_from_slice(v);
    Ok(match kind {
        Kind::Byte => Cell::Int(v[0] as i64),
        Kind::Int => Cell::Int(i16::from_le_bytes([v[0], v[1]]) as i64),
        Kind::Long => Cell::Int(i32::from_le_bytes([v[0], v[1], v[2], v[3]]) as i64),
        Kind::BigInt => Cell::Int(i64::from_le_bytes(x)),
        Kind::Money => Cell::Money(i64::from_le_bytes(x)),
        Kind::Float => Cell::Float(f32::from_le_bytes([v[0], v[1], v[2], v[3]]) as f64),
        Kind::Double => Cell::Float(f64::from_le_bytes(x)),
        // A date outside Access' range: jetdb's path reports it.
        _ => Cell::Micros(ole_to_micros(f64::from_le_bytes(x)).ok_or(Slow)?),
    })
}

/// Append the Jet4 text `data` to `out`: compressed (`FF FE`, one byte per character) or
/// UTF-16LE. Anything but the plain forms (compressed text switching to two-byte characters,
/// an odd length, unpaired surrogates) is decoded by jetdb's decoder, whose outcome (including
/// a failure, which its path reports) is the reference.
fn push_text(out: &mut String, data: &[u8]) -> Result<(), Slow> {
    if let [0xFF, 0xFE, rest @ ..] = data {
        // One pass: is every byte ASCII, is there a mode switch (a 00 byte)?
        let (mut high, mut zero) = (0u8, false);
        for &c in rest {
            high |= c;
            zero |= c == 0;
        }
        if !zero {
            match std::str::from_utf8(rest) {
                Ok(ascii) if high < 0x80 => out.push_str(ascii),
                _ => out.extend(rest.iter().map(|&c| c as char)),
            }
            return Ok(());
        }
    } else if data.len().is_multiple_of(2) {
        return push_utf16(out, data);
    }
    let s = jetdb::encoding::decode_text(data, TextEncoding::Unicode).map_err(|_| Slow)?;
    out.push_str(&s);
    Ok(())
}

/// Append UTF-16LE `data` (an even number of bytes) to `out`; an unpaired surrogate is left to
/// jetdb's decoder.
fn push_utf16(out: &mut String, data: &[u8]) -> Result<(), Slow> {
    out.reserve(data.len() / 2);
    let n = data.len();
    let mut i = 0;
    let mut ascii = [0u8; 64];
    while i < n {
        // A run of ASCII characters, four at a time, gathered and appended at once.
        let mut run = 0;
        while run + 4 <= ascii.len() {
            let Some(w) = data.get(i..i + 8) else { break };
            let w = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
            if w & 0xFF80_FF80_FF80_FF80 != 0 {
                break;
            }
            ascii[run..run + 4].copy_from_slice(&[data[i], data[i + 2], data[i + 4], data[i + 6]]);
            run += 4;
            i += 8;
        }
        if run > 0 {
            out.push_str(std::str::from_utf8(&ascii[..run]).map_err(|_| Slow)?);
            continue;
        }
        let u = u16::from_le_bytes([data[i], data[i + 1]]) as u32;
        i += 2;
        let c = match u {
            0xD800..=0xDBFF => match data.get(i..i + 2).map(|b| u16::from_le_bytes([b[0], b[1]]) as u32) {
                Some(low @ 0xDC00..=0xDFFF) => {
                    i += 2;
                    char::from_u32(0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00))
                }
                _ => None,
            },
            _ => char::from_u32(u),
        };
        out.push(c.ok_or(Slow)?);
    }
    Ok(())
}

/// Resolve the long value whose in-row header is `head` and hand its bytes to `sink`: inline,
/// one row of a long-value page, or a chain of long-value rows (collected in `chain`).
fn long_value(
    reader: &mut PageReader,
    format: &'static JetFormat,
    head: &[u8],
    chain: &mut Vec<u8>,
    mut sink: impl FnMut(&[u8]) -> Result<(), Slow>,
) -> Result<(), Slow> {
    if head.len() < 12 {
        return Err(Slow);
    }
    let word = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
    let len = (word & 0x3FFF_FFFF) as usize;
    let mut pointer = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
    match word & 0xC000_0000 {
        0x8000_0000 => sink(head.get(12..12 + len).ok_or(Slow)?),
        0x4000_0000 => {
            let data = lval_row(reader, format, pointer)?;
            if data.len() != len {
                return Err(Slow);
            }
            sink(data)
        }
        0 => {
            chain.clear();
            let mut hops = 0u32;
            while pointer != 0 && chain.len() < len {
                hops += 1;
                if hops > reader.page_count() {
                    return Err(Slow); // a loop
                }
                let data = lval_row(reader, format, pointer)?;
                let next = data.get(..4).ok_or(Slow)?;
                pointer = u32::from_le_bytes([next[0], next[1], next[2], next[3]]);
                chain.extend_from_slice(&data[4..]);
            }
            if chain.len() < len {
                return Err(Slow);
            }
            sink(&chain[..len])
        }
        _ => Err(Slow),
    }
}

/// The bytes of the long-value row `pointer` (page number << 8 | row index).
fn lval_row<'r>(reader: &'r mut PageReader, format: &'static JetFormat, pointer: u32) -> Result<&'r [u8], Slow> {
    let (page_num, row) = (pointer >> 8, (pointer & 0xFF) as u16);
    let page = reader.read_page(page_num).map_err(|_| Slow)?;
    let (start, size) = find_row(format, page, page_num, row).map_err(|_| Slow)?;
    Ok(&page[start..start + size])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_forms() {
        let mut s = String::new();
        push_text(&mut s, &[0xFF, 0xFE, b'H', b'i', 0xE9]).ok().unwrap();
        assert_eq!(s, "Hié");
        s.clear();
        push_text(&mut s, &[b'H', 0, 0x3D, 0xD8, 0x00, 0xDE]).ok().unwrap(); // "H😀"
        assert_eq!(s, "H\u{1F600}");
        s.clear();
        // Compressed text with a two-byte run: "A日B".
        push_text(&mut s, &[0xFF, 0xFE, b'A', 0, 0xE5, 0x65, 0, b'B']).ok().unwrap();
        assert_eq!(s, "A日B");
        // An unpaired surrogate is not decoded by the fast path.
        assert!(push_text(&mut String::new(), &[0x00, 0xD8]).is_err());
        assert!(push_text(&mut String::new(), &[0x00, 0xDC, b'a', 0]).is_err());
        assert!(push_text(&mut String::new(), &[0x3D, 0xD8, b'a', 0]).is_err());
        s.clear();
        // BMP characters of every UTF-8 length, and a pair at the end.
        let text =
            "aé€東\u{FFFD}z\u{10348} and a longer run of plain ASCII text, more than sixty-four characters long.";
        let bytes: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        push_text(&mut s, &bytes).ok().unwrap();
        assert_eq!(s, text);
        s.clear();
        push_text(&mut s, &[]).ok().unwrap();
        assert_eq!(s, "");
    }
}
