//! The properties of a table (its MSysObjects row's LvProp): the descriptions of the table and
//! of its columns, as Access shows them in design view and readers (Jackcess, mdbtools'
//! `mdb-prop`, PyForge's `info`) read them. Jet4 layout: the signature `MR2\0`, a chunk naming
//! the properties used (type 0x80), a chunk of the table's own properties (type 0x00, no
//! name) and one chunk per described column (type 0x01, named after the column). A property
//! entry is its length, a DDL flag, its data type, its name's index and its value; a
//! description is a Memo (0x0C) of UTF-16LE text, as Access stores it.

/// Access's limit on a description's length, in characters.
pub const MAX_DESCRIPTION: usize = 255;

const SIGNATURE: &[u8; 4] = b"MR2\0";
const NAMES_CHUNK: u16 = 0x80;
const TABLE_CHUNK: u16 = 0x00;
const COLUMN_CHUNK: u16 = 0x01;
const DESCRIPTION: &str = "Description";
const MEMO: u8 = 0x0C;

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// A chunk: its length (header included), its type, then `body`.
fn chunk(kind: u16, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 6);
    out.extend_from_slice(&((body.len() + 6) as u32).to_le_bytes());
    out.extend_from_slice(&kind.to_le_bytes());
    out.extend_from_slice(body);
    out
}

/// A value chunk for the object `name` ("" for the table) with its description, if any.
fn value_chunk(kind: u16, name: &str, description: Option<&str>) -> Vec<u8> {
    let name = utf16(name);
    let mut body = Vec::new();
    body.extend_from_slice(&((6 + name.len()) as u32).to_le_bytes());
    body.extend_from_slice(&(name.len() as u16).to_le_bytes());
    body.extend_from_slice(&name);
    if let Some(text) = description {
        let value = utf16(text);
        body.extend_from_slice(&((8 + value.len()) as u16).to_le_bytes());
        body.push(0); // not a DDL property
        body.push(MEMO);
        body.extend_from_slice(&0u16.to_le_bytes()); // "Description", the only name of the pool
        body.extend_from_slice(&(value.len() as u16).to_le_bytes());
        body.extend_from_slice(&value);
    }
    chunk(kind, &body)
}

/// Why `text` cannot be a description (empty, or longer than Access allows).
pub fn check_description(text: &str) -> Result<(), String> {
    let n = text.chars().count();
    if n == 0 || n > MAX_DESCRIPTION {
        return Err(format!("a description has 1 to {MAX_DESCRIPTION} characters, not {n}"));
    }
    Ok(())
}

/// The LvProp of a table described by `table` and `columns` (column name, description);
/// `None` when nothing is described.
pub fn lv_prop(table: Option<&str>, columns: &[(String, String)]) -> Option<Vec<u8>> {
    if table.is_none() && columns.is_empty() {
        return None;
    }
    let mut out = SIGNATURE.to_vec();
    let name = utf16(DESCRIPTION);
    let mut pool = (name.len() as u16).to_le_bytes().to_vec();
    pool.extend_from_slice(&name);
    out.extend(chunk(NAMES_CHUNK, &pool));
    out.extend(value_chunk(TABLE_CHUNK, "", table));
    for (column, text) in columns {
        out.extend(value_chunk(COLUMN_CHUNK, column, Some(text)));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_of_a_described_table_and_column() {
        let p = lv_prop(Some("T"), &[("c".into(), "é".into())]).unwrap();
        assert_eq!(&p[..4], b"MR2\0");
        // Names: 6 + 2 + 22 bytes.
        assert_eq!(u32::from_le_bytes(p[4..8].try_into().unwrap()), 30);
        assert_eq!(&p[8..10], &[0x80, 0]);
        // Table chunk: 6 + name block 6 + entry 8 + 2.
        let t = 34;
        assert_eq!(u32::from_le_bytes(p[t..t + 4].try_into().unwrap()), 22);
        assert_eq!(&p[t + 12..t + 20], &[10, 0, 0, MEMO, 0, 0, 2, 0]);
        assert_eq!(&p[t + 20..t + 22], &[b'T', 0]);
        // Column chunk: named "c", holding "é".
        let c = t + 22;
        assert_eq!(u32::from_le_bytes(p[c..c + 4].try_into().unwrap()), 24);
        assert_eq!(&p[c + 4..c + 14], &[1, 0, 8, 0, 0, 0, 2, 0, b'c', 0]);
        assert_eq!(&p[c + 22..c + 24], &[0xE9, 0]);
        assert_eq!(p.len(), c + 24);
        assert!(lv_prop(None, &[]).is_none());
        assert!(check_description("").is_err() && check_description(&"x".repeat(256)).is_err());
        assert!(check_description(&"é".repeat(255)).is_ok());
    }
}
