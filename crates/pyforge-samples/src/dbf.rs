//! A minimal DBF writer for the samples and the tests: it lays out already-formatted field
//! bytes, allocates memo blocks (.fpt, dBase III or dBase IV .dbt) and computes the Visual
//! FoxPro `_NullFlags` bits. It is not a general-purpose writer (no validation of values).

use std::path::Path;

/// One field of a table to write.
#[derive(Debug, Clone)]
pub struct FieldSpec {
    pub name: String,
    /// Type letter.
    pub kind: u8,
    pub length: usize,
    pub decimals: u8,
    /// Visual FoxPro nullable flag.
    pub nullable: bool,
    /// Visual FoxPro binary flag (0x04, NOCPTRANS).
    pub binary: bool,
}

impl FieldSpec {
    /// A field.
    pub fn new(name: &str, kind: u8, length: usize, decimals: u8) -> FieldSpec {
        FieldSpec { name: name.into(), kind, length, decimals, nullable: false, binary: false }
    }
    /// The same field, nullable (Visual FoxPro).
    pub fn nullable(mut self) -> FieldSpec {
        self.nullable = true;
        self
    }
    /// The same field, flagged binary (Visual FoxPro NOCPTRANS).
    pub fn binary(mut self) -> FieldSpec {
        self.binary = true;
        self
    }
}

/// One value: `None` is null (blank where the format has no nulls). For C/D/L the bytes are
/// left-aligned and padded with spaces, for N/F right-aligned; for memo fields they are the
/// memo's content; for I/B/Y/T the exact binary bytes; for V/Q the content (shorter than the
/// field: stored with its length).
pub type Value = Option<Vec<u8>>;

/// Memo file layout to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoStyle {
    /// FoxPro `.fpt` with this block size.
    Fpt(u16),
    /// dBase III `.dbt`.
    Dbt3,
    /// dBase IV `.dbt`.
    Dbt4,
}

/// A table to write.
pub struct Table<'a> {
    pub version: u8,
    pub language_driver: u8,
    pub fields: &'a [FieldSpec],
    pub rows: &'a [Vec<Value>],
    /// Records marked deleted (by index).
    pub deleted: &'a [usize],
    pub memo: Option<MemoStyle>,
}

fn is_memo(kind: u8, vfp: bool) -> bool {
    matches!(kind, b'M' | b'G' | b'P' | b'W') || (kind == b'B' && !vfp)
}

/// Write `t` to `dbf` (and its memo file beside it, `.fpt` or `.dbt` with the same stem).
pub fn write(dbf: &Path, t: &Table) -> std::io::Result<()> {
    let (table, memo) = encode(t);
    std::fs::write(dbf, table)?;
    if let Some((ext, bytes)) = memo {
        std::fs::write(dbf.with_extension(ext), bytes)?;
    }
    Ok(())
}

/// The table file's bytes, and the memo file's extension and bytes if the table has one.
pub fn encode(t: &Table) -> (Vec<u8>, Option<(&'static str, Vec<u8>)>) {
    let vfp = matches!(t.version, 0x30..=0x32);
    let layout = Layout::new(t.fields, vfp);
    let mut out = encode_header(t, &layout, vfp);
    let mut memo = MemoFile::new(t.memo);
    for (i, row) in t.rows.iter().enumerate() {
        out.extend_from_slice(&encode_record(t, &layout, &mut memo, vfp, i, row));
    }
    out.push(0x1A);
    (out, memo.finish())
}

/// The fields as they are written, and where each field's Visual FoxPro `_NullFlags` bits are.
struct Layout {
    /// The table's fields, then `_NullFlags` if any field has a bit in it.
    fields: Vec<FieldSpec>,
    /// For each of the table's fields: its varlength bit (V/Q) and its null bit, if it has them.
    bits: Vec<(Option<usize>, Option<usize>)>,
    /// Length of the `_NullFlags` field (0: there is none).
    null_flags_len: usize,
    /// Record length, with the deletion flag byte.
    record_len: usize,
}

impl Layout {
    fn new(specs: &[FieldSpec], vfp: bool) -> Layout {
        let mut fields: Vec<FieldSpec> = specs.to_vec();
        // Null-flag bits: varlength bit then null bit, in field order.
        let mut bits = Vec::new();
        let mut n = 0usize;
        for f in &fields {
            let var = vfp && matches!(f.kind, b'V' | b'Q');
            let vb = var.then(|| {
                n += 1;
                n - 1
            });
            let nb = (vfp && f.nullable).then(|| {
                n += 1;
                n - 1
            });
            bits.push((vb, nb));
        }
        let null_flags_len = n.div_ceil(8);
        if null_flags_len > 0 {
            fields.push(FieldSpec {
                name: "_NullFlags".into(),
                kind: b'0',
                length: null_flags_len,
                decimals: 0,
                nullable: false,
                binary: false,
            });
        }
        let record_len = 1 + fields.iter().map(|f| f.length).sum::<usize>();
        Layout { fields, bits, null_flags_len, record_len }
    }
}

/// The header: the fixed 32 bytes, the field descriptors, the terminator and (Visual FoxPro)
/// the 263-byte backlink area.
fn encode_header(t: &Table, layout: &Layout, vfp: bool) -> Vec<u8> {
    let header_len = 32 + 32 * layout.fields.len() + 1 + if vfp { 263 } else { 0 };
    let mut out = vec![0u8; 32];
    out[0] = t.version;
    // Last update: 2024-05-17 (YY since 1900, MM, DD), fixed so the files are reproducible.
    out[1] = 124;
    out[2] = 5;
    out[3] = 17;
    out[4..8].copy_from_slice(&(t.rows.len() as u32).to_le_bytes());
    out[8..10].copy_from_slice(&(header_len as u16).to_le_bytes());
    out[10..12].copy_from_slice(&(layout.record_len as u16).to_le_bytes());
    out[28] = if vfp && t.memo.is_some() { 0x02 } else { 0 };
    out[29] = t.language_driver;
    let mut off = 1;
    for f in &layout.fields {
        out.extend_from_slice(&field_descriptor(f, off, vfp));
        off += f.length;
    }
    out.push(0x0D);
    if vfp {
        out.extend_from_slice(&[0u8; 263]);
    }
    out
}

/// The 32-byte descriptor of field `f`, which starts at byte `off` of the record.
fn field_descriptor(f: &FieldSpec, off: usize, vfp: bool) -> [u8; 32] {
    let mut d = [0u8; 32];
    let nb = f.name.as_bytes();
    d[..nb.len().min(10)].copy_from_slice(&nb[..nb.len().min(10)]);
    d[11] = f.kind;
    if vfp {
        d[12..16].copy_from_slice(&(off as u32).to_le_bytes());
    }
    d[16] = f.length as u8;
    d[17] = f.decimals;
    // Field flags: `_NullFlags` is a hidden system field; others may be nullable and binary.
    d[18] = if f.kind == b'0' {
        0x05
    } else if vfp {
        (if f.nullable { 0x02 } else { 0 }) | (if f.binary { 0x04 } else { 0 })
    } else {
        0
    };
    d
}

/// Record `index` of the table: the deletion flag, the field values and the `_NullFlags`
/// bits; memo values are appended to `memo` and the record points at their first block.
fn encode_record(t: &Table, layout: &Layout, memo: &mut MemoFile, vfp: bool, index: usize, row: &[Value]) -> Vec<u8> {
    let mut rec = vec![b' '; layout.record_len];
    if t.deleted.contains(&index) {
        rec[0] = b'*';
    }
    let mut flags = vec![0u8; layout.null_flags_len];
    let mut off = 1;
    for (j, f) in t.fields.iter().enumerate() {
        let slot = &mut rec[off..off + f.length];
        let (vb, nb) = layout.bits[j];
        match row.get(j).cloned().flatten() {
            None => {
                if let Some(b) = nb {
                    set_bit(&mut flags, b);
                }
                if vfp && (matches!(f.kind, b'I' | b'B' | b'Y' | b'T' | b'Q' | b'V' | b'0') || is_memo(f.kind, vfp)) {
                    slot.fill(0);
                }
            }
            Some(v) if is_memo(f.kind, vfp) => {
                let block = memo.append(f.kind, &v);
                // Binary pointer in 4-byte fields (Visual FoxPro), else the block number as text.
                if f.length == 4 {
                    slot.copy_from_slice(&(block as u32).to_le_bytes());
                } else {
                    let s = format!("{block:>width$}", width = f.length);
                    slot.copy_from_slice(s.as_bytes());
                }
            }
            Some(v) => match f.kind {
                b'N' | b'F' => slot[f.length - v.len()..].copy_from_slice(&v),
                b'V' | b'Q' if v.len() < f.length => {
                    // Shorter than the field: zero-padded, its length in the last byte, and
                    // (Visual FoxPro) the varlength bit says so.
                    slot.fill(0);
                    slot[..v.len()].copy_from_slice(&v);
                    slot[f.length - 1] = v.len() as u8;
                    if let Some(b) = vb {
                        set_bit(&mut flags, b);
                    }
                }
                _ => slot[..v.len()].copy_from_slice(&v),
            },
        }
        off += f.length;
    }
    if layout.null_flags_len > 0 {
        rec[layout.record_len - layout.null_flags_len..].copy_from_slice(&flags);
    }
    rec
}

/// Set bit `b` (little-endian bit order) of the `_NullFlags` bytes.
fn set_bit(flags: &mut [u8], b: usize) {
    flags[b / 8] |= 1 << (b % 8);
}

/// The memo file being built: its header block, then each memo in whole blocks.
struct MemoFile {
    style: Option<MemoStyle>,
    block_size: usize,
    bytes: Vec<u8>,
}

impl MemoFile {
    /// The memo file's header (empty without a memo style).
    fn new(style: Option<MemoStyle>) -> MemoFile {
        let (block_size, bytes) = match style {
            Some(MemoStyle::Fpt(bs)) => {
                let mut h = vec![0u8; 512];
                h[6..8].copy_from_slice(&bs.to_be_bytes());
                (bs as usize, h)
            }
            Some(MemoStyle::Dbt3) => {
                let mut h = vec![0u8; 512];
                h[16] = 0x03;
                (512, h)
            }
            Some(MemoStyle::Dbt4) => {
                let mut h = vec![0u8; 512];
                h[20..22].copy_from_slice(&512u16.to_le_bytes());
                (512, h)
            }
            None => (512, Vec::new()),
        };
        MemoFile { style, block_size, bytes }
    }

    /// Append the memo `v` of a field of type `kind`; returns its first block.
    fn append(&mut self, kind: u8, v: &[u8]) -> usize {
        let memo = &mut self.bytes;
        let block = memo.len() / self.block_size;
        match self.style.expect("memo style for memo fields") {
            MemoStyle::Fpt(_) => {
                // Block type: 1 is text (M), 0 is picture/binary (G, P, W, B).
                memo.extend_from_slice(&(if kind == b'M' { 1u32 } else { 0 }).to_be_bytes());
                memo.extend_from_slice(&(v.len() as u32).to_be_bytes());
                memo.extend_from_slice(v);
            }
            MemoStyle::Dbt3 => {
                memo.extend_from_slice(v);
                memo.extend_from_slice(&[0x1A, 0x1A]);
            }
            MemoStyle::Dbt4 => {
                memo.extend_from_slice(&[0xFF, 0xFF, 0x08, 0x00]);
                memo.extend_from_slice(&(v.len() as u32 + 8).to_le_bytes());
                memo.extend_from_slice(v);
            }
        }
        memo.resize(memo.len().div_ceil(self.block_size) * self.block_size, 0);
        block
    }

    /// The memo file's extension and bytes, its header now pointing at the next free block;
    /// `None` without a memo style.
    fn finish(mut self) -> Option<(&'static str, Vec<u8>)> {
        let style = self.style?;
        let next = (self.bytes.len() / self.block_size) as u32;
        if let MemoStyle::Fpt(_) = style {
            self.bytes[0..4].copy_from_slice(&next.to_be_bytes());
        } else {
            self.bytes[0..4].copy_from_slice(&next.to_le_bytes());
        }
        let ext = if matches!(style, MemoStyle::Fpt(_)) { "fpt" } else { "dbt" };
        Some((ext, self.bytes))
    }
}

/// Visual FoxPro datetime bytes (Julian day, milliseconds) for a civil date and time.
pub fn vfp_datetime(y: i64, m: u32, d: u32, ms_of_day: u32) -> Vec<u8> {
    let jd = pyforge_core::formats::dbf::values::days_from_civil(y, m, d) + 2_440_588;
    let mut v = (jd as u32).to_le_bytes().to_vec();
    v.extend_from_slice(&ms_of_day.to_le_bytes());
    v
}
