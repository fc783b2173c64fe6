//! Page selections (`--pages 1-3,7,10-`): syntax checked on its own, ranges checked against the
//! document's page count.

use std::fmt;

/// One item of a page selection: a single page or a range (open-ended when `last` is `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRange {
    /// First page, 1-based.
    pub first: u32,
    /// Last page, inclusive; `None` means "to the end".
    pub last: Option<u32>,
}

impl fmt::Display for PageRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.last {
            Some(l) if l == self.first => write!(f, "{}", self.first),
            Some(l) => write!(f, "{}-{l}", self.first),
            None => write!(f, "{}-", self.first),
        }
    }
}

/// Parse the syntax of a page selection: comma-separated `N`, `A-B` or `A-` items, pages
/// counted from 1. Does not know the page count; see [`resolve_pages`].
///
/// ```
/// use pyforge_core::formats::pdf::pages::parse_page_spec;
/// assert_eq!(parse_page_spec("1-3,7,10-").unwrap().len(), 3);
/// assert!(parse_page_spec("abc").is_err());
/// ```
pub fn parse_page_spec(spec: &str) -> Result<Vec<PageRange>, String> {
    let mut out = Vec::new();
    for item in spec.split(',') {
        let item = item.trim();
        if item.is_empty() {
            return Err(format!("empty item in page selection {spec:?} (expected e.g. 1-3,7,10-)"));
        }
        let num = |s: &str| -> Result<u32, String> {
            let s = s.trim();
            match s.parse::<u32>() {
                Ok(0) => Err(format!("page 0 in {spec:?}: pages are counted from 1")),
                Ok(n) => Ok(n),
                Err(_) => {
                    Err(format!("{s:?} in page selection {spec:?} is not a page number (expected e.g. 1-3,7,10-)"))
                }
            }
        };
        let range = match item.split_once('-') {
            None => {
                let n = num(item)?;
                PageRange { first: n, last: Some(n) }
            }
            Some((a, b)) => {
                let first = num(a)?;
                let last = if b.trim().is_empty() { None } else { Some(num(b)?) };
                if let Some(l) = last {
                    if l < first {
                        return Err(format!("range {item:?} runs backwards (write {l}-{first})"));
                    }
                }
                PageRange { first, last }
            }
        };
        out.push(range);
    }
    Ok(out)
}

/// Check a selection against a document of `page_count` pages and return the selected pages
/// (1-based), in document order, each once. A page past the end is an error naming the valid
/// range; so is any selection of a document without pages.
pub fn resolve_pages(ranges: &[PageRange], page_count: u32) -> Result<Vec<u32>, String> {
    let valid = || match page_count {
        0 => "the document has no pages".to_string(),
        1 => "the document has 1 page (valid: 1)".to_string(),
        n => format!("the document has {n} pages (valid: 1-{n})"),
    };
    let mut pages = Vec::new();
    for r in ranges {
        let last = r.last.unwrap_or(page_count);
        if r.first > page_count || last > page_count {
            return Err(format!("page selection {r} is out of range: {}", valid()));
        }
        pages.extend(r.first..=last);
    }
    pages.sort_unstable();
    pages.dedup();
    Ok(pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(spec: &str, n: u32) -> Result<Vec<u32>, String> {
        resolve_pages(&parse_page_spec(spec)?, n)
    }

    #[test]
    fn ranges_singles_and_open_ends() {
        assert_eq!(sel("1-3,7,10-", 12).unwrap(), vec![1, 2, 3, 7, 10, 11, 12]);
        assert_eq!(sel("5", 5).unwrap(), vec![5]);
        assert_eq!(sel("2-", 3).unwrap(), vec![2, 3]);
        assert_eq!(sel(" 3 , 1-2 ", 3).unwrap(), vec![1, 2, 3], "document order, spaces allowed");
        assert_eq!(sel("1-3,2-4", 4).unwrap(), vec![1, 2, 3, 4], "overlaps counted once");
    }

    #[test]
    fn bad_syntax_is_rejected() {
        for bad in ["abc", "", "1,,2", "0", "3-1", "1-x", "-3", "1.5", "1-2-3"] {
            assert!(parse_page_spec(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn past_the_end_names_the_valid_range() {
        let e = sel("1-3,12", 10).unwrap_err();
        assert!(e.contains("12") && e.contains("valid: 1-10"), "{e}");
        let e = sel("9-11", 10).unwrap_err();
        assert!(e.contains("9-11") && e.contains("1-10"), "{e}");
        assert!(sel("11-", 10).is_err(), "an open range starting past the end selects nothing: an error");
        assert!(sel("1", 0).unwrap_err().contains("no pages"));
    }
}
