//! The file of pages, the database header page (page 0) and data pages (rows stored from the
//! end of the page backwards, an offset table after the header).

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::{WriteError, WriteResult};

/// Jet4 page size.
pub const PAGE_SIZE: usize = 4096;
/// Size of a Jet4 data page header: type, 1, free space, owner, 4 unknown bytes, row count.
pub const DATA_HEADER: usize = 14;

/// The output file, written page by page (pages can be written out of order).
pub struct PageFile {
    path: PathBuf,
    out: BufWriter<File>,
    /// Pages allocated so far.
    count: u32,
    /// The page the buffered writer is positioned at.
    position: u32,
    written: Vec<bool>,
    /// The database key of an encoded database (0: plain). Every page but the header is then
    /// RC4-encrypted with the key `db_key XOR page number` (little-endian bytes), as Access's
    /// "Encode Database" writes it.
    db_key: u32,
    /// A page being encrypted (the caller's page stays as it is).
    scratch: Vec<u8>,
}

impl PageFile {
    /// Create (truncate) `path` for a database whose pages are encoded with `db_key` (0: plain).
    pub fn create_encoded(path: &Path, db_key: u32) -> WriteResult<Self> {
        let file = File::create(path).map_err(|source| io(path, source))?;
        Ok(PageFile {
            path: path.into(),
            out: BufWriter::with_capacity(1 << 20, file),
            count: 1,
            position: 0,
            written: vec![false],
            db_key,
            scratch: Vec::new(),
        })
    }

    /// The path, for error messages.
    pub fn path(&self) -> String {
        self.path.display().to_string()
    }

    /// Allocate the next page number.
    pub fn alloc(&mut self) -> u32 {
        self.count += 1;
        self.written.push(false);
        self.count - 1
    }

    /// The number the next [`PageFile::alloc`] will give.
    pub fn next_page(&self) -> u32 {
        self.count
    }

    /// Write page `n` (allocated before).
    pub fn write_page(&mut self, n: u32, page: &[u8]) -> WriteResult<()> {
        debug_assert_eq!(page.len(), PAGE_SIZE);
        debug_assert!(n < self.count);
        let r = (|| {
            if n != self.position {
                self.out.seek(SeekFrom::Start(u64::from(n) * PAGE_SIZE as u64))?;
            }
            if self.db_key != 0 && n != 0 {
                self.scratch.clear();
                self.scratch.extend_from_slice(page);
                rc4(&(self.db_key ^ n).to_le_bytes(), &mut self.scratch);
                self.out.write_all(&self.scratch)?;
            } else {
                self.out.write_all(page)?;
            }
            self.position = n + 1;
            Ok(())
        })();
        self.written[n as usize] = true;
        r.map_err(|source| io(&self.path, source))
    }

    /// Write every allocated page not written yet as an empty page, and flush.
    pub fn finish(mut self) -> WriteResult<()> {
        for n in 0..self.count {
            if !self.written[n as usize] {
                let mut empty = vec![0u8; PAGE_SIZE];
                empty[0] = 0x01;
                empty[1] = 0x01;
                put_u16(&mut empty, 2, (PAGE_SIZE - DATA_HEADER) as u16);
                self.write_page(n, &empty)?;
            }
        }
        self.out.flush().map_err(|source| io(&self.path, source))?;
        self.out.get_ref().sync_all().map_err(|source| io(&self.path, source))
    }
}

fn io(path: &Path, source: std::io::Error) -> WriteError {
    WriteError::Io { path: path.display().to_string(), source }
}

/// Little-endian u16 at `at`.
pub fn put_u16(buf: &mut [u8], at: usize, v: u16) {
    buf[at..at + 2].copy_from_slice(&v.to_le_bytes());
}

/// Little-endian u32 at `at`.
pub fn put_u32(buf: &mut [u8], at: usize, v: u32) {
    buf[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

/// Page 0: signature, Jet4 version, and the RC4-masked header region (code page 1252, the
/// database key `db_key` (0: no page is encrypted), General sort order).
pub fn header_page(db_key: u32) -> Vec<u8> {
    let mut p = vec![0u8; PAGE_SIZE];
    p[0..4].copy_from_slice(&[0x00, 0x01, 0x00, 0x00]);
    p[4..20].copy_from_slice(b"Standard Jet DB\0");
    put_u32(&mut p, 0x14, 1); // Jet4
    put_u16(&mut p, 0x3C, 1252); // code page
    put_u32(&mut p, 0x3E, db_key); // database key
    put_u32(&mut p, 0x6E, 0x0409); // sort order: General
    rc4(&[0xC7, 0xDA, 0x39, 0x6B], &mut p[0x18..0x18 + 128]);
    p
}

/// RC4 (the format masks the header region with a fixed key).
fn rc4(key: &[u8], data: &mut [u8]) {
    let mut s: [u8; 256] = std::array::from_fn(|i| i as u8);
    let mut j = 0u8;
    for i in 0..256 {
        j = j.wrapping_add(s[i]).wrapping_add(key[i % key.len()]);
        s.swap(i, j as usize);
    }
    let (mut i, mut j) = (0u8, 0u8);
    for b in data {
        i = i.wrapping_add(1);
        j = j.wrapping_add(s[i as usize]);
        s.swap(i as usize, j as usize);
        *b ^= s[s[i as usize].wrapping_add(s[j as usize]) as usize];
    }
}

/// A data page being filled: rows are kept in order and laid out from the end of the page.
pub struct DataPage {
    owner: [u8; 4],
    rows: Vec<Vec<u8>>,
    used: usize,
}

impl DataPage {
    /// A data page of the table whose definition is on page `tdef_page` (0 for system pages).
    pub fn new(tdef_page: u32) -> Self {
        DataPage { owner: tdef_page.to_le_bytes(), rows: Vec::new(), used: DATA_HEADER }
    }

    /// A long-value page (its owner field reads `LVAL`).
    pub fn long_values() -> Self {
        DataPage { owner: *b"LVAL", rows: Vec::new(), used: DATA_HEADER }
    }

    /// The largest row a data page holds.
    pub const MAX_ROW: usize = PAGE_SIZE - DATA_HEADER - 2;

    /// Whether a row of `len` bytes fits in the free space.
    pub fn fits(&self, len: usize) -> bool {
        self.used + len + 2 <= PAGE_SIZE
    }

    /// Add a row (check [`DataPage::fits`] first); gives its row number.
    pub fn add(&mut self, row: &[u8]) -> usize {
        debug_assert!(self.fits(row.len()));
        self.used += row.len() + 2;
        self.rows.push(row.to_vec());
        self.rows.len() - 1
    }

    /// Rows so far.
    pub fn rows(&self) -> usize {
        self.rows.len()
    }

    /// The page's bytes.
    pub fn finish(&self, page_size: usize) -> Vec<u8> {
        let mut p = vec![0u8; page_size];
        p[0] = 0x01;
        p[1] = 0x01;
        put_u16(&mut p, 2, (page_size - self.used) as u16);
        p[4..8].copy_from_slice(&self.owner);
        put_u16(&mut p, 12, self.rows.len() as u16);
        let mut end = page_size;
        for (i, r) in self.rows.iter().enumerate() {
            let start = end - r.len();
            p[start..end].copy_from_slice(r);
            put_u16(&mut p, DATA_HEADER + 2 * i, start as u16);
            end = start;
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_region_unmasks_to_the_plain_fields() {
        let mut p = header_page(0);
        assert_eq!(&p[4..19], b"Standard Jet DB");
        rc4(&[0xC7, 0xDA, 0x39, 0x6B], &mut p[0x18..0x18 + 128]);
        assert_eq!(u16::from_le_bytes([p[0x3C], p[0x3D]]), 1252);
        assert_eq!(&p[0x3E..0x42], &[0; 4]); // no database key: pages are not encrypted
    }

    #[test]
    fn rows_are_laid_out_from_the_end() {
        let mut d = DataPage::new(7);
        assert_eq!(d.add(b"abc"), 0);
        assert_eq!(d.add(b"de"), 1);
        let p = d.finish(PAGE_SIZE);
        assert_eq!(&p[0..2], &[1, 1]);
        assert_eq!(&p[4..8], &7u32.to_le_bytes());
        assert_eq!(u16::from_le_bytes([p[12], p[13]]), 2);
        assert_eq!(u16::from_le_bytes([p[14], p[15]]), 4093);
        assert_eq!(u16::from_le_bytes([p[16], p[17]]), 4091);
        assert_eq!(&p[4091..], b"deabc");
        assert_eq!(u16::from_le_bytes([p[2], p[3]]) as usize, PAGE_SIZE - DATA_HEADER - 4 - 5);
    }
}
