//! Row layout of a table and the encoding of one row: column count, fixed-length values,
//! variable-length values, their offset table (reversed), the variable column count and the
//! null mask (one bit per column, set when the value is present; Yes/No values are the bit).

use super::long_value::LongValues;
use super::pages::{DataPage, PageFile};
use super::value::{Column, ColumnType, Value};

/// Where each column of a table lives in a row.
pub struct Layout {
    /// The columns, in column-number order.
    pub columns: Vec<Column>,
    /// Offset in the fixed area (fixed columns), or index in the variable columns.
    pub slot: Vec<usize>,
    /// Size of the fixed area.
    pub fixed_len: usize,
    /// Number of variable-length columns.
    pub var_count: usize,
}

impl Layout {
    /// Lay out `columns`; an error when a definition is out of range.
    pub fn new(columns: Vec<Column>) -> Result<Self, String> {
        if columns.is_empty() {
            return Err("a table needs at least one column".into());
        }
        if columns.len() > 255 {
            return Err(format!("{} columns; a Jet4 table has at most 255", columns.len()));
        }
        let (mut fixed_len, mut var_count, mut slot) = (0, 0, Vec::new());
        for (i, c) in columns.iter().enumerate() {
            let n = c.name.chars().count();
            if n == 0 || n > 64 {
                return Err(format!("column {}: a name of 1 to 64 characters is needed, not {:?}", i + 1, c.name));
            }
            if columns[..i].iter().any(|o| o.name.to_lowercase() == c.name.to_lowercase()) {
                return Err(format!("column name {:?} appears twice", c.name));
            }
            match c.kind {
                ColumnType::Text(0) | ColumnType::Binary(0) => return Err(format!("column {:?}: length 0", c.name)),
                ColumnType::Decimal { precision, scale } if precision == 0 || precision > 28 || scale > precision => {
                    return Err(format!("column {:?}: precision {precision} scale {scale} out of range", c.name));
                }
                _ => {}
            }
            match c.kind.fixed_size() {
                Some(size) => {
                    slot.push(fixed_len);
                    fixed_len += size;
                }
                None => {
                    slot.push(var_count);
                    var_count += 1;
                }
            }
        }
        Ok(Layout { columns, slot, fixed_len, var_count })
    }
}

/// Why a row cannot be encoded.
pub enum EncodeError {
    /// Writing long-value pages failed.
    Io(std::io::Error),
    /// A value does not fit its column; the message names the column.
    Value(String),
}

/// Long values up to this many bytes stay in the row when the row still fits its page.
const INLINE_LIMIT: usize = 256;

/// Encode one row of `layout`. Long values that do not stay inline are written to long-value
/// pages through `long_values`.
pub fn encode(
    layout: &Layout,
    values: &[Value],
    long_values: &mut LongValues,
    file: &mut PageFile,
) -> Result<Vec<u8>, EncodeError> {
    let cols = &layout.columns;
    if values.len() != cols.len() {
        return Err(EncodeError::Value(format!("{} values for {} columns", values.len(), cols.len())));
    }
    let mut mask = vec![0u8; cols.len().div_ceil(8)];
    let mut fixed = vec![0u8; layout.fixed_len];
    // Variable values: (bytes, long?) in variable-column order; long values still unplaced.
    let mut vars: Vec<Option<VarValue>> = (0..layout.var_count).map(|_| None).collect();
    for (i, (c, v)) in cols.iter().zip(values).enumerate() {
        if let (ColumnType::Bool, Value::Bool(b)) = (c.kind, v) {
            if *b {
                mask[i / 8] |= 1 << (i % 8);
            }
            continue;
        }
        if matches!(v, Value::Null) {
            if c.kind == ColumnType::Bool {
                return Err(EncodeError::Value(format!("column {:?}: a Yes/No value cannot be NULL", c.name)));
            }
            continue;
        }
        mask[i / 8] |= 1 << (i % 8);
        put_value(c, v, layout.slot[i], &mut fixed, &mut vars)?;
    }
    // Long values: inline when small and the row fits, else on long-value pages.
    let short_len = short_var_len(&vars);
    let overhead = 2 + layout.fixed_len + if layout.var_count > 0 { 2 * layout.var_count + 4 } else { 0 } + mask.len();
    let inline_ok = overhead + short_len <= DataPage::MAX_ROW;
    let var_bytes = place_var_values(vars, inline_ok, long_values, file)?;
    let mut row = Vec::with_capacity(overhead + short_len);
    row.extend_from_slice(&(cols.len() as u16).to_le_bytes());
    row.extend_from_slice(&fixed);
    if layout.var_count > 0 {
        append_var_area(&mut row, &var_bytes);
    }
    row.extend_from_slice(&mask);
    if row.len() > DataPage::MAX_ROW {
        return Err(EncodeError::Value(format!(
            "the row takes {} bytes; a page holds rows of at most {}",
            row.len(),
            DataPage::MAX_ROW
        )));
    }
    Ok(row)
}

/// Put the present, non-Yes/No value `v` of column `c` in its slot `at`: bytes in the fixed
/// area, or a variable value (long values are placed later, once the row's size is known).
fn put_value(
    c: &Column,
    v: &Value,
    at: usize,
    fixed: &mut [u8],
    vars: &mut [Option<VarValue>],
) -> Result<(), EncodeError> {
    let bad = || EncodeError::Value(format!("column {:?} ({:?}): value {} does not fit", c.name, c.kind, describe(v)));
    let mut put = |b: &[u8]| fixed[at..at + b.len()].copy_from_slice(b);
    match (c.kind, v) {
        (ColumnType::Byte, Value::Byte(x)) => put(&[*x]),
        (ColumnType::Integer, Value::Integer(x)) => put(&x.to_le_bytes()),
        (ColumnType::Long, Value::Long(x)) => put(&x.to_le_bytes()),
        (ColumnType::Currency, Value::Currency(x)) => put(&x.to_le_bytes()),
        (ColumnType::Single, Value::Single(x)) => put(&x.to_le_bytes()),
        (ColumnType::Double, Value::Double(x)) => put(&x.to_le_bytes()),
        (ColumnType::DateTime, Value::DateTime(us)) => put(&ole_date(*us).to_le_bytes()),
        (ColumnType::Guid, Value::Guid(g)) => put(&guid_bytes(g)),
        (ColumnType::Decimal { precision, .. }, Value::Decimal(x)) => {
            if x.unsigned_abs() >= 10u128.pow(u32::from(precision)) {
                return Err(bad());
            }
            put(&decimal_bytes(*x))
        }
        (ColumnType::Text(max), Value::Text(s)) => {
            if s.encode_utf16().count() > usize::from(max) {
                return Err(EncodeError::Value(format!(
                    "column {:?}: text of {} characters, the column holds {max}",
                    c.name,
                    s.encode_utf16().count()
                )));
            }
            vars[at] = Some(VarValue::Short(encode_text(s)));
        }
        (ColumnType::Binary(max), Value::Binary(b)) => {
            if b.len() > usize::from(max) {
                return Err(EncodeError::Value(format!(
                    "column {:?}: {} bytes, the column holds {max}",
                    c.name,
                    b.len()
                )));
            }
            vars[at] = Some(VarValue::Short(b.clone()));
        }
        (ColumnType::Memo, Value::Text(s)) => vars[at] = Some(VarValue::Long(encode_memo(s))),
        (ColumnType::Ole, Value::Binary(b)) => vars[at] = Some(VarValue::Long(b.clone())),
        _ => return Err(bad()),
    }
    Ok(())
}

/// Bytes the variable values take in the row if every long value small enough stays inline
/// (each long value has its 12-byte header either way).
fn short_var_len(vars: &[Option<VarValue>]) -> usize {
    vars.iter()
        .flatten()
        .map(|v| match v {
            VarValue::Short(b) => b.len(),
            VarValue::Long(b) => 12 + if b.len() <= INLINE_LIMIT { b.len() } else { 0 },
        })
        .sum()
}

/// The bytes of each variable value in the row, in variable-column order (empty for NULL):
/// long values inline when `inline_ok` and small, else stored on long-value pages and
/// pointed at.
fn place_var_values(
    vars: Vec<Option<VarValue>>,
    inline_ok: bool,
    long_values: &mut LongValues,
    file: &mut PageFile,
) -> Result<Vec<Vec<u8>>, EncodeError> {
    let mut var_bytes: Vec<Vec<u8>> = Vec::with_capacity(vars.len());
    for v in vars {
        var_bytes.push(match v {
            None => Vec::new(),
            Some(VarValue::Short(b)) => b,
            Some(VarValue::Long(b)) if inline_ok && b.len() <= INLINE_LIMIT => {
                long_header(b.len() as u32 | 0x8000_0000, 0, &b)
            }
            Some(VarValue::Long(b)) => {
                if b.len() > 0x3FFF_FFFF {
                    return Err(EncodeError::Value(format!("a long value of {} bytes; at most 1 GiB", b.len())));
                }
                let (flag, ptr) = long_values.store(&b, file).map_err(EncodeError::Io)?;
                long_header(b.len() as u32 | flag, ptr, &[])
            }
        });
    }
    Ok(var_bytes)
}

/// Append the variable values to `row`, then their offsets in the row, last first (with the
/// end of the data before them), then the variable column count.
fn append_var_area(row: &mut Vec<u8>, var_bytes: &[Vec<u8>]) {
    let mut offsets = Vec::with_capacity(var_bytes.len() + 1);
    for b in var_bytes {
        offsets.push(row.len() as u16);
        row.extend_from_slice(b);
    }
    offsets.push(row.len() as u16); // end of data
    for o in offsets.iter().rev() {
        row.extend_from_slice(&o.to_le_bytes());
    }
    row.extend_from_slice(&(var_bytes.len() as u16).to_le_bytes());
}

enum VarValue {
    Short(Vec<u8>),
    Long(Vec<u8>),
}

fn long_header(len_and_flag: u32, ptr: u32, inline: &[u8]) -> Vec<u8> {
    let mut h = Vec::with_capacity(12 + inline.len());
    h.extend_from_slice(&len_and_flag.to_le_bytes());
    h.extend_from_slice(&ptr.to_le_bytes());
    h.extend_from_slice(&[0; 4]);
    h.extend_from_slice(inline);
    h
}

fn describe(v: &Value) -> String {
    let s = format!("{v:?}");
    if s.len() > 60 {
        format!("{}...", &s[..s.char_indices().nth(57).map_or(s.len(), |(i, _)| i)])
    } else {
        s
    }
}

/// Jet4 text: compressed (marker FF FE, one byte per character) when every character is in
/// U+0001..=U+00FF, else UTF-16LE.
pub fn encode_text(s: &str) -> Vec<u8> {
    if !s.is_empty() && s.chars().all(|c| ('\u{1}'..='\u{ff}').contains(&c)) {
        let mut b = Vec::with_capacity(s.len() + 2);
        b.extend_from_slice(&[0xFF, 0xFE]);
        b.extend(s.chars().map(|c| c as u8));
        b
    } else {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }
}

/// Memo text: compressed only up to 1024 characters (longer memos are never compressed).
fn encode_memo(s: &str) -> Vec<u8> {
    if s.chars().count() <= 1024 {
        encode_text(s)
    } else {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }
}

/// Microseconds since 1970 as OLE days since 1899-12-30; before that day, the fraction counts
/// forward from the (negative) whole day, as the format wants.
pub fn ole_date(us: i64) -> f64 {
    const EPOCH_DAYS: i64 = 25_569; // 1899-12-30 .. 1970-01-01
    const DAY_US: i64 = 86_400_000_000;
    let total = us + EPOCH_DAYS * DAY_US;
    let days = total.div_euclid(DAY_US);
    let frac = total.rem_euclid(DAY_US) as f64 / DAY_US as f64;
    if days >= 0 {
        days as f64 + frac
    } else {
        days as f64 - frac
    }
}

/// A GUID in textual byte order to its stored form (first three groups little-endian).
fn guid_bytes(g: &[u8; 16]) -> [u8; 16] {
    let mut b = *g;
    b[0..4].reverse();
    b[4..6].reverse();
    b[6..8].reverse();
    b
}

/// Jet4 decimal: sign byte, then the 128-bit magnitude as four 32-bit little-endian words,
/// most significant word first.
fn decimal_bytes(x: i128) -> [u8; 17] {
    let mut b = [0u8; 17];
    b[0] = if x < 0 { 0x80 } else { 0 };
    let m = x.unsigned_abs();
    for w in 0..4 {
        let word = (m >> (32 * (3 - w))) as u32;
        b[1 + 4 * w..5 + 4 * w].copy_from_slice(&word.to_le_bytes());
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ole_dates_count_back_with_a_forward_fraction() {
        assert_eq!(ole_date(0), 25_569.0); // 1970-01-01
        assert_eq!(ole_date(-25_569 * 86_400_000_000), 0.0); // 1899-12-30
        assert_eq!(ole_date(-25_569 * 86_400_000_000 + 6 * 3_600_000_000), 0.25);
        // 1899-12-29 06:00 is day -1 plus a quarter: stored -1.25.
        assert_eq!(ole_date(-25_570 * 86_400_000_000 + 6 * 3_600_000_000), -1.25);
    }

    #[test]
    fn guids_and_decimals_in_their_stored_order() {
        let g: [u8; 16] = std::array::from_fn(|i| i as u8);
        assert_eq!(guid_bytes(&g), [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15]);
        let d = decimal_bytes(-(1i128 << 32 | 5));
        assert_eq!(d[0], 0x80);
        assert_eq!(&d[1..9], &[0; 8]);
        assert_eq!(&d[9..13], &[1, 0, 0, 0]);
        assert_eq!(&d[13..17], &[5, 0, 0, 0]);
    }

    #[test]
    fn text_is_compressed_only_when_every_character_fits_a_byte() {
        assert_eq!(encode_text("Café"), [0xFF, 0xFE, b'C', b'a', b'f', 0xE9]);
        assert_eq!(encode_text("Ω"), [0xA9, 0x03]);
        assert_eq!(encode_text(""), Vec::<u8>::new());
        assert_eq!(encode_text("a\0"), [b'a', 0, 0, 0]); // a NUL would switch modes: not compressed
    }

    #[test]
    fn row_layout_fixed_then_variable_then_offsets_and_null_mask() {
        let layout = Layout::new(vec![
            Column::new("n", ColumnType::Long),
            Column::new("t", ColumnType::Text(10)),
            Column::new("b", ColumnType::Bool),
            Column::new("u", ColumnType::Text(10)),
        ])
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut file = PageFile::create_encoded(&dir.path().join("x.mdb"), 0).map_err(|e| e.to_string()).unwrap();
        let mut lv = LongValues::default();
        let row = match encode(
            &layout,
            &[Value::Long(7), Value::Text("ab".into()), Value::Bool(true), Value::Null],
            &mut lv,
            &mut file,
        ) {
            Ok(r) => r,
            Err(_) => panic!("encode failed"),
        };
        let expect: Vec<u8> = [
            &[4, 0][..],               // column count
            &[7, 0, 0, 0],             // Long
            &[0xFF, 0xFE, b'a', b'b'], // "ab", compressed
            &[10, 0],                  // end of data
            &[10, 0],                  // u starts (and ends) at 10: NULL
            &[6, 0],                   // t starts at 6
            &[2, 0],                   // 2 variable columns
            &[0b0000_0111],            // n, t present; b true; u NULL
        ]
        .concat();
        assert_eq!(row, expect);
    }
}
