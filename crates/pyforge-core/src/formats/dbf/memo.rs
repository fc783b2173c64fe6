//! Memo files: `.dbt` (dBase III: 512-byte blocks, text ended by 0x1A; dBase IV: blocks
//! with an `FF FF 08 00` + length prefix) and `.fpt` (FoxPro: big-endian block size in the
//! header, each memo prefixed by a big-endian type and length).
//!
//! Reads go through a window buffer, so memos stored in record order (the usual case) are
//! read sequentially from disk.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Which memo layout a file uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoKind {
    /// dBase III `.dbt`.
    Dbt3,
    /// dBase IV/5/7 `.dbt`.
    Dbt4,
    /// FoxPro `.fpt`.
    Fpt,
}

/// An opened memo file.
pub struct MemoFile {
    path: PathBuf,
    file: File,
    len: u64,
    kind: MemoKind,
    block_size: u64,
    window: Vec<u8>,
    window_start: u64,
}

/// The largest memo accepted (a bound against corrupt length fields).
const MAX_MEMO: u64 = 1 << 30;
const WINDOW: usize = 1 << 20;

/// Find the memo file beside `dbf` whatever the case of its name (`x.dbf` + `X.FPT`). FoxPro
/// tables look for `.fpt` first, others for `.dbt` first.
pub fn find_memo_file(dbf: &Path, foxpro: bool) -> Option<PathBuf> {
    let dir = match dbf.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let stem = dbf.file_stem()?.to_string_lossy().to_lowercase();
    let order: [&str; 2] = if foxpro { ["fpt", "dbt"] } else { ["dbt", "fpt"] };
    let entries: Vec<PathBuf> = std::fs::read_dir(&dir).ok()?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    for ext in order {
        // An exact-case match wins over a case-insensitive one.
        let exact = dir.join(format!("{}.{ext}", dbf.file_stem()?.to_string_lossy()));
        if exact.is_file() {
            return Some(exact);
        }
        if let Some(p) = entries.iter().find(|p| {
            p.is_file()
                && p.file_stem().map(|s| s.to_string_lossy().to_lowercase()) == Some(stem.clone())
                && p.extension().map(|e| e.to_string_lossy().to_lowercase()) == Some(ext.to_string())
        }) {
            return Some(p.clone());
        }
    }
    None
}

impl MemoFile {
    /// Open a memo file of the given kind (`.fpt` files are always [`MemoKind::Fpt`]).
    pub fn open(path: &Path, kind: MemoKind) -> Result<MemoFile, String> {
        let mut file = File::open(path).map_err(|e| format!("cannot open memo file: {e}"))?;
        let len = file.metadata().map_err(|e| e.to_string())?.len();
        let mut head = [0u8; 24];
        let n = file.read(&mut head).map_err(|e| e.to_string())?;
        if n < 24 && len >= 24 {
            return Err("cannot read the memo file header".into());
        }
        let block_size = match kind {
            MemoKind::Fpt => {
                let b = u16::from_be_bytes([head[6], head[7]]) as u64;
                // Some writers leave it 0; FoxPro then used 64 (older) — but the header block
                // is always 512 bytes; a 0 block size cannot address anything.
                if b == 0 {
                    return Err("memo file (.fpt) has block size 0".into());
                }
                b
            }
            MemoKind::Dbt4 => {
                let b = u16::from_le_bytes([head[20], head[21]]) as u64;
                if b == 0 {
                    512
                } else {
                    b
                }
            }
            MemoKind::Dbt3 => 512,
        };
        Ok(MemoFile { path: path.to_path_buf(), file, len, kind, block_size, window: Vec::new(), window_start: 0 })
    }

    /// The memo file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Block size in bytes.
    pub fn block_size(&self) -> u64 {
        self.block_size
    }

    /// The layout.
    pub fn kind(&self) -> MemoKind {
        self.kind
    }

    /// Make `[start, start+len)` available in the window and return it.
    fn bytes(&mut self, start: u64, len: u64) -> Result<&[u8], String> {
        let end = start.checked_add(len).ok_or("memo offset overflows")?;
        if end > self.len {
            return Err(format!("memo at byte {start} runs past the end of the memo file ({} bytes)", self.len));
        }
        let wend = self.window_start + self.window.len() as u64;
        if !(start >= self.window_start && end <= wend) {
            let want = (len as usize).max(WINDOW).min((self.len - start) as usize);
            self.window.resize(want, 0);
            self.file.seek(SeekFrom::Start(start)).map_err(|e| e.to_string())?;
            self.file.read_exact(&mut self.window).map_err(|e| e.to_string())?;
            self.window_start = start;
        }
        let a = (start - self.window_start) as usize;
        Ok(&self.window[a..a + len as usize])
    }

    /// Read the memo stored at `block`. Errors are plain descriptions; the caller adds the
    /// record and field.
    pub fn read(&mut self, block: u64) -> Result<&[u8], String> {
        let start = block.checked_mul(self.block_size).ok_or("memo block number overflows")?;
        if start >= self.len {
            return Err(format!("memo block {block} is past the end of the memo file ({} bytes)", self.len));
        }
        match self.kind {
            MemoKind::Fpt => {
                let h = self.bytes(start, 8)?;
                let len = u32::from_be_bytes([h[4], h[5], h[6], h[7]]) as u64;
                if len > MAX_MEMO {
                    return Err(format!("memo block {block} claims {len} bytes"));
                }
                self.bytes(start + 8, len)
            }
            MemoKind::Dbt4 => {
                let h = self.bytes(start, 8u64.min(self.len - start))?;
                if h.len() == 8 && h[..4] == [0xFF, 0xFF, 0x08, 0x00] {
                    let len = u32::from_le_bytes([h[4], h[5], h[6], h[7]]) as u64;
                    if !(8..=MAX_MEMO).contains(&len) {
                        return Err(format!("memo block {block} claims {len} bytes"));
                    }
                    return self.bytes(start + 8, len - 8);
                }
                self.read_terminated(start)
            }
            MemoKind::Dbt3 => self.read_terminated(start),
        }
    }

    /// dBase III memo: text up to the first 0x1A (or the end of the file).
    fn read_terminated(&mut self, start: u64) -> Result<&[u8], String> {
        let mut len = 0u64;
        loop {
            let chunk = (self.len - start - len).min(WINDOW as u64);
            if chunk == 0 {
                break;
            }
            let b = self.bytes(start + len, chunk)?;
            if let Some(p) = memchr::memchr(0x1A, b) {
                len += p as u64;
                return self.bytes(start, len);
            }
            len += chunk;
            if len > MAX_MEMO {
                return Err("memo without terminator".into());
            }
        }
        self.bytes(start, len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fpt_and_dbt() {
        let dir = tempfile::tempdir().unwrap();
        // FPT with 64-byte blocks: header 512 bytes = 8 blocks, memo at block 8.
        let mut fpt = vec![0u8; 512];
        fpt[6..8].copy_from_slice(&64u16.to_be_bytes());
        fpt.extend_from_slice(&1u32.to_be_bytes());
        fpt.extend_from_slice(&5u32.to_be_bytes());
        fpt.extend_from_slice(b"hello");
        let p = dir.path().join("T.FPT");
        std::fs::write(&p, &fpt).unwrap();
        let mut m = MemoFile::open(&p, MemoKind::Fpt).unwrap();
        assert_eq!(m.read(8).unwrap(), &b"hello"[..]);
        assert!(m.read(9).is_err());
        assert!(m.read(u64::MAX).is_err());

        let mut dbt = vec![0u8; 512];
        dbt.extend_from_slice(b"first memo\x1a\x1a");
        let p = dir.path().join("t.dbt");
        std::fs::write(&p, &dbt).unwrap();
        let mut m = MemoFile::open(&p, MemoKind::Dbt3).unwrap();
        assert_eq!(m.read(1).unwrap(), &b"first memo"[..]);

        let mut dbt4 = vec![0u8; 512];
        dbt4.extend_from_slice(&[0xFF, 0xFF, 0x08, 0x00]);
        dbt4.extend_from_slice(&(8u32 + 3).to_le_bytes());
        dbt4.extend_from_slice(b"abc");
        let p = dir.path().join("u.dbt");
        std::fs::write(&p, &dbt4).unwrap();
        let mut m = MemoFile::open(&p, MemoKind::Dbt4).unwrap();
        assert_eq!(m.read(1).unwrap(), &b"abc"[..]);
    }

    #[test]
    fn finds_memo_files_case_insensitively() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("data.dbf"), b"").unwrap();
        assert!(find_memo_file(&dir.path().join("data.dbf"), true).is_none());
        std::fs::write(dir.path().join("DATA.FPT"), b"").unwrap();
        assert_eq!(find_memo_file(&dir.path().join("data.dbf"), true).unwrap(), dir.path().join("DATA.FPT"));
    }
}
