//! Long values (Memo, OLE Object) that do not stay in their row: values that fit one page go to
//! a shared long-value page (a row of it, flag 0x40); longer ones to a chain of long-value pages,
//! each row starting with the pointer to the next (flag 0x00).

use super::pages::{DataPage, PageFile, PAGE_SIZE};
use super::WriteError;

/// The long-value pages of one table being written.
#[derive(Default)]
pub struct LongValues {
    /// The shared page being filled and its (allocated) page number.
    current: Option<(u32, DataPage)>,
}

impl LongValues {
    /// Store `data`; gives the flag of the long-value header and the data pointer.
    pub fn store(&mut self, data: &[u8], file: &mut PageFile) -> std::io::Result<(u32, u32)> {
        if data.len() <= DataPage::MAX_ROW {
            if !self.current.as_ref().is_some_and(|(_, p)| p.fits(data.len())) {
                self.flush(file)?;
                self.current = Some((file.alloc(), DataPage::long_values()));
            }
            let (n, page) = self.current.as_mut().expect("a page was just set");
            let row = page.add(data);
            return Ok((0x4000_0000, *n << 8 | row as u32));
        }
        // A chain: each page holds one row of a 4-byte pointer and a piece of the value.
        let piece = DataPage::MAX_ROW - 4;
        let pieces: Vec<&[u8]> = data.chunks(piece).collect();
        let first = file.next_page();
        let pages: Vec<u32> = pieces.iter().map(|_| file.alloc()).collect();
        debug_assert_eq!(pages[0], first);
        for (i, chunk) in pieces.iter().enumerate() {
            let next = pages.get(i + 1).map_or(0, |n| n << 8);
            let mut row = Vec::with_capacity(4 + chunk.len());
            row.extend_from_slice(&next.to_le_bytes());
            row.extend_from_slice(chunk);
            let mut page = DataPage::long_values();
            page.add(&row);
            file.write_page(pages[i], &page.finish(PAGE_SIZE)).map_err(into_io)?;
        }
        Ok((0, pages[0] << 8))
    }

    /// Write the shared page being filled, if any.
    pub fn flush(&mut self, file: &mut PageFile) -> std::io::Result<()> {
        if let Some((n, page)) = self.current.take() {
            file.write_page(n, &page.finish(PAGE_SIZE)).map_err(into_io)?;
        }
        Ok(())
    }
}

fn into_io(e: WriteError) -> std::io::Error {
    match e {
        WriteError::Io { source, .. } => source,
        other => std::io::Error::other(other.to_string()),
    }
}
