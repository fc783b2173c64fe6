//! Usage maps: which pages a table owns. Type 0 (inline): a start page and a bitmap; type 1
//! (reference): pointers to usage-bitmap pages (type 0x05), each covering a fixed run of pages.

use super::pages::{put_u32, PAGE_SIZE};

/// Largest inline bitmap written (bytes); wider spans use a reference map.
const INLINE_MAX: usize = 512;
/// Pages one usage-bitmap page covers.
const PER_BITMAP_PAGE: u32 = ((PAGE_SIZE - 4) * 8) as u32;

/// The usage map of `pages` (ascending), and the usage-bitmap pages it needs, numbered from
/// `next_page` on (the caller allocates and writes them).
pub fn owned_pages(pages: &[u32], next_page: u32) -> (Vec<u8>, Vec<(u32, Vec<u8>)>) {
    let (Some(&first), Some(&last)) = (pages.first(), pages.last()) else {
        return (empty(), Vec::new());
    };
    if ((last - first) as usize) < INLINE_MAX * 8 {
        let mut rec = vec![0u8; 5 + (last - first) as usize / 8 + 1];
        put_u32(&mut rec, 1, first);
        for &p in pages {
            let bit = (p - first) as usize;
            rec[5 + bit / 8] |= 1 << (bit % 8);
        }
        return (rec, Vec::new());
    }
    let slots = (last / PER_BITMAP_PAGE) as usize + 1;
    let mut rec = vec![0u8; 1 + 4 * slots];
    rec[0] = 0x01;
    let mut out: Vec<(u32, Vec<u8>)> = Vec::new();
    let mut slot_page = vec![None; slots];
    for &p in pages {
        let slot = (p / PER_BITMAP_PAGE) as usize;
        let idx = *slot_page[slot].get_or_insert_with(|| {
            let mut page = vec![0u8; PAGE_SIZE];
            page[0] = 0x05;
            page[1] = 0x01;
            out.push((next_page + out.len() as u32, page));
            out.len() - 1
        });
        let bit = (p % PER_BITMAP_PAGE) as usize;
        out[idx].1[4 + bit / 8] |= 1 << (bit % 8);
    }
    for (slot, idx) in slot_page.iter().enumerate() {
        if let Some(i) = idx {
            put_u32(&mut rec, 1 + 4 * slot, out[*i].0);
        }
    }
    (rec, out)
}

/// An inline map of no pages.
pub fn empty() -> Vec<u8> {
    vec![0u8; 6]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_map_from_the_first_page() {
        let (rec, pages) = owned_pages(&[10, 11, 13, 20], 99);
        assert!(pages.is_empty());
        assert_eq!(rec, [0, 10, 0, 0, 0, 0b0000_1011, 0b0000_0100]);
    }

    #[test]
    fn reference_map_for_wide_spans() {
        let far = PER_BITMAP_PAGE + 5;
        let (rec, pages) = owned_pages(&[3, far], 500);
        assert_eq!(rec[0], 1);
        assert_eq!(rec.len(), 1 + 4 * 2);
        assert_eq!(&rec[1..5], &500u32.to_le_bytes());
        assert_eq!(&rec[5..9], &501u32.to_le_bytes());
        assert_eq!(pages.len(), 2);
        assert_eq!((pages[0].1[0], pages[0].1[4]), (0x05, 0b1000));
        assert_eq!(pages[1].1[4], 0b10_0000);
    }
}
