//! The table definition page (type 0x02): header, column descriptors, column names.
//! No indexes are written.

use super::pages::{put_u16, put_u32, PAGE_SIZE};
use super::row::Layout;
use super::value::ColumnType;

/// Column flags.
const FIXED: u8 = 0x01;
const NULLABLE: u8 = 0x02;
/// Misc flags: compressed unicode allowed.
const COMPRESSED_UNICODE: u8 = 0x01;

/// The definition of the table laid out as `layout`, with `rows` rows, the usage map of its
/// pages at data pointer `used` and its free-space map at `free`. An error when it does not fit
/// one page.
pub fn table_definition(layout: &Layout, rows: u64, used: u32, free: u32, system: bool) -> Result<Vec<u8>, String> {
    let rows = u32::try_from(rows).map_err(|_| format!("{rows} rows; a table holds at most {}", u32::MAX))?;
    let mut p = vec![0u8; 0x3F];
    p[0] = 0x02;
    p[1] = 0x01;
    put_u32(&mut p, 0x10, rows);
    p[0x18] = 0x01; // autonumbers enabled
    p[0x28] = if system { 0x53 } else { 0x4E };
    let n = layout.columns.len() as u16;
    put_u16(&mut p, 0x29, n); // max columns
    put_u16(&mut p, 0x2B, layout.var_count as u16);
    put_u16(&mut p, 0x2D, n);
    // 0x2F: logical indexes, 0x33: index entries: none.
    put_u32(&mut p, 0x37, used);
    put_u32(&mut p, 0x3B, free);
    for (i, c) in layout.columns.iter().enumerate() {
        let mut d = [0u8; 25];
        d[0] = c.kind.code();
        d[5..7].copy_from_slice(&(i as u16).to_le_bytes());
        let fixed = c.kind.fixed_size().is_some();
        let var_index = if fixed { 0 } else { layout.slot[i] as u16 };
        d[7..9].copy_from_slice(&var_index.to_le_bytes());
        d[9..11].copy_from_slice(&(i as u16).to_le_bytes());
        match c.kind {
            ColumnType::Decimal { precision, scale } => {
                d[11] = precision;
                d[12] = scale;
            }
            ColumnType::Text(_) | ColumnType::Memo => {
                d[11..13].copy_from_slice(&0x0409u16.to_le_bytes()); // General sort order
                d[16] = COMPRESSED_UNICODE;
            }
            _ => {}
        }
        d[15] = NULLABLE | if fixed { FIXED } else { 0 };
        let fixed_offset = if fixed { layout.slot[i] as u16 } else { 0 };
        d[21..23].copy_from_slice(&fixed_offset.to_le_bytes());
        d[23..25].copy_from_slice(&c.kind.declared_len().to_le_bytes());
        p.extend_from_slice(&d);
    }
    for c in &layout.columns {
        let name: Vec<u8> = c.name.encode_utf16().flat_map(u16::to_le_bytes).collect();
        p.extend_from_slice(&(name.len() as u16).to_le_bytes());
        p.extend_from_slice(&name);
    }
    // Per-variable-column usage maps: none (terminator).
    p.extend_from_slice(&[0xFF, 0xFF]);
    if p.len() > PAGE_SIZE {
        return Err(format!(
            "the definition of {} columns takes {} bytes; more than one page is not written",
            n,
            p.len()
        ));
    }
    let len = p.len() as u32;
    put_u32(&mut p, 0x08, len);
    put_u16(&mut p, 0x02, (PAGE_SIZE - len as usize) as u16 - 8);
    p.resize(PAGE_SIZE, 0);
    Ok(p)
}
