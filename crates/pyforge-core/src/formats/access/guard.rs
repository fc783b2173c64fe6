//! Independent checks on the rows jetdb decodes, from the raw row bytes.
//!
//! jetdb returns NULL for some values that are present in the file (a fixed-length Text
//! column, a long value whose pages it cannot read, a calculated column whose result type it
//! cannot find). Every row of a Jet/ACE data page ends with a null mask — one bit per column
//! number, set when the column holds a value (mdbtools HACKING.md, "Data Rows") — so a NULL
//! from jetdb is checked against that bit: when the bit says "present", the value is read here
//! if the layout is simple (fixed-length Text: bytes at the column's fixed offset after the
//! column count) or the read fails loudly.

use jetdb::{find_row, ColumnDef, FileError, PageReader, RowPosition, TableDef, TextEncoding};

/// The raw bytes of rows, one data page cached at a time.
pub struct RawRows {
    page: Option<(u32, Vec<u8>)>,
    is_jet3: bool,
}

impl RawRows {
    /// Raw access for a database of the reader's version.
    pub fn new(reader: &PageReader) -> Self {
        RawRows { page: None, is_jet3: reader.header().version.is_jet3() }
    }

    /// The bytes of the row at `pos` of `table`.
    pub fn row<'a>(
        &'a mut self,
        reader: &mut PageReader,
        table: &TableDef,
        pos: RowPosition,
    ) -> Result<RawRow<'a>, FileError> {
        let page_num = *table.data_pages.get(pos.page as usize).ok_or(FileError::InvalidRow {
            page: pos.page,
            row: pos.row,
            reason: "row position past the table's data pages",
        })?;
        if self.page.as_ref().map(|(n, _)| *n) != Some(page_num) {
            self.page = Some((page_num, reader.read_page_copy(page_num)?));
        }
        let data = &self.page.as_ref().expect("page just read").1;
        let (start, size) = find_row(reader.format(), data, page_num, pos.row)?;
        let bytes = data.get(start..start + size).ok_or(FileError::InvalidRow {
            page: page_num,
            row: pos.row,
            reason: "row extends past its page",
        })?;
        Ok(RawRow { bytes, is_jet3: self.is_jet3 })
    }
}

/// One row's bytes, with the layout facts needed to read its null mask and fixed columns.
pub struct RawRow<'a> {
    bytes: &'a [u8],
    is_jet3: bool,
}

impl RawRow<'_> {
    /// Size of the leading column count: one byte in Jet3, two in Jet4 and ACE.
    fn count_size(&self) -> usize {
        if self.is_jet3 {
            1
        } else {
            2
        }
    }

    /// The number of columns the row was written with.
    fn col_count(&self) -> Option<usize> {
        if self.is_jet3 {
            self.bytes.first().map(|&b| b as usize)
        } else {
            self.bytes.get(..2).map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
        }
    }

    /// Start of the null mask (the last `ceil(col_count / 8)` bytes).
    fn mask_start(&self) -> Option<usize> {
        let n = self.col_count()?;
        self.bytes.len().checked_sub(n.div_ceil(8))
    }

    /// Whether the null mask marks column number `col_num` as holding a value. `None` if the
    /// row is too short to say. A column added after the row was written is absent.
    pub fn present(&self, col_num: u16) -> Option<bool> {
        let n = self.col_count()?;
        let col = col_num as usize;
        if col >= n {
            return Some(false);
        }
        let mask = &self.bytes[self.mask_start()?..];
        Some(mask.get(col / 8)? >> (col % 8) & 1 == 1)
    }

    /// The bytes of a fixed-length column, if they lie inside the row's fixed data.
    pub fn fixed(&self, col: &ColumnDef) -> Option<&[u8]> {
        let start = self.count_size() + col.fixed_offset as usize;
        let end = start + col.col_size as usize;
        (end <= self.mask_start()?).then(|| &self.bytes[start..end])
    }
}

impl RawRow<'_> {
    /// The bytes of variable-length column number `var_col_num` (Jet4/ACE layout, from the end
    /// of the row: null mask, the count of variable columns, their start offsets in reverse
    /// order, the end-of-data offset). `None` if the row does not hold it or is inconsistent.
    pub fn var_data(&self, var_col_num: u16) -> Option<&[u8]> {
        if self.is_jet3 {
            return None;
        }
        let b = self.bytes;
        let count_pos = self.mask_start()?.checked_sub(2)?;
        let count = u16::from_le_bytes([b[count_pos], b[count_pos + 1]]) as usize;
        let k = var_col_num as usize;
        if k >= count {
            return None;
        }
        let at = |i: usize| -> Option<usize> {
            let p = count_pos.checked_sub(2 * (i + 1))?;
            Some(u16::from_le_bytes([*b.get(p)?, *b.get(p + 1)?]) as usize)
        };
        // entry i < count: start of column i; entry `count`: end of data.
        let (start, end) = (at(k)?, at(k + 1)?);
        (start <= end && end <= b.len()).then(|| &b[start..end])
    }
}

/// True when the stored value of a calculated column is an empty result: no bytes, or the
/// envelope Access wraps results in (16 zero bytes, a 4-byte length) with length 0.
pub fn calculated_result_is_empty(data: &[u8]) -> bool {
    data.is_empty() || (data.len() >= 20 && data[..16].iter().all(|&x| x == 0) && data[16..20] == [0, 0, 0, 0])
}

/// Decode a fixed-length Text column from its bytes: the database's code page in Jet3, UTF-16LE
/// (or the Jet4 compressed form, which starts with `FF FE`) later. Access pads these values;
/// the padding (spaces, or NULs after the text) is kept as stored except trailing NULs, which
/// are not characters of the value.
pub fn fixed_text(bytes: &[u8], encoding: TextEncoding) -> Result<String, String> {
    let s = jetdb::encoding::decode_text(bytes, encoding)
        .map_err(|e| format!("fixed-length text cannot be decoded: {e}"))?;
    Ok(s.trim_end_matches('\0').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Jet4 row: 3 columns; fixed Long (col 0) = 7, fixed Text(2 bytes) (col 1) = "N" stored
    /// compressed... here raw UTF-16 "N"; variable column 0 (col 2) = bytes [1,2,3].
    fn jet4_row() -> Vec<u8> {
        let mut r = vec![3, 0]; // column count
        r.extend_from_slice(&7i32.to_le_bytes()); // fixed offset 0
        r.extend_from_slice(&[b'N', 0]); // fixed offset 4
        let var_start = r.len() as u16; // 8
        r.extend_from_slice(&[1, 2, 3]);
        let eod = r.len() as u16; // 11
        r.extend_from_slice(&eod.to_le_bytes()); // end of data
        r.extend_from_slice(&var_start.to_le_bytes()); // start of var column 0
        r.extend_from_slice(&1u16.to_le_bytes()); // variable column count
        r.push(0b0000_0111); // null mask: all three present
        r
    }

    fn col(col_num: u16, fixed_offset: u16, col_size: u16) -> ColumnDef {
        ColumnDef {
            name: "c".into(),
            col_type: jetdb::ColumnType::Text,
            col_num,
            var_col_num: 0,
            fixed_offset,
            col_size,
            flags: 0,
            is_fixed: true,
            scale: 0,
            precision: 0,
            is_calculated: false,
            display_index: 0,
            complex_id: None,
        }
    }

    #[test]
    fn null_mask_and_fixed_bytes() {
        let bytes = jet4_row();
        let row = RawRow { bytes: &bytes, is_jet3: false };
        assert_eq!(row.present(0), Some(true));
        assert_eq!(row.present(2), Some(true));
        assert_eq!(row.present(5), Some(false)); // added after the row was written
        assert_eq!(row.fixed(&col(1, 4, 2)), Some(&[b'N', 0][..]));
        assert_eq!(row.fixed(&col(1, 40, 2)), None);
        assert_eq!(row.var_data(0), Some(&[1, 2, 3][..]));
        assert_eq!(row.var_data(1), None);
    }

    #[test]
    fn null_bit_clear_means_null() {
        let mut bytes = jet4_row();
        *bytes.last_mut().unwrap() = 0b0000_0101;
        let row = RawRow { bytes: &bytes, is_jet3: false };
        assert_eq!(row.present(1), Some(false));
        assert_eq!(row.present(2), Some(true));
    }

    #[test]
    fn fixed_text_decodes_utf16_and_drops_trailing_nuls() {
        assert_eq!(fixed_text(&[b'N', 0, 0, 0], TextEncoding::Unicode).unwrap(), "N");
    }

    #[test]
    fn empty_calculated_results() {
        assert!(calculated_result_is_empty(&[]));
        assert!(calculated_result_is_empty(&[0; 20]));
        let mut v = vec![0; 16];
        v.extend_from_slice(&2u32.to_le_bytes());
        v.extend_from_slice(&[1, 2]);
        assert!(!calculated_result_is_empty(&v));
    }
}
