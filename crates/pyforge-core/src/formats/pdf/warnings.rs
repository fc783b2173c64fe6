//! The PDF engine's warnings about content it skipped, captured per page.
//!
//! pdf_oxide does not fail a page when one of its content streams cannot be decoded (a flate
//! stream beyond its decompression-bomb limits, a damaged Form XObject): it logs a warning
//! through the `log` crate and goes on without that content, so the page's text would come
//! out incomplete (or empty) with no error. [`capture`] (see [`crate::dependency_log`])
//! collects the engine's warnings emitted on the current thread while a page is extracted;
//! [`lost_content`] picks those that mean text was skipped, which the reader turns into an
//! error for the page.

pub use crate::dependency_log::capture;

/// The warnings that mean some of the page's content (and so possibly text) was skipped.
pub fn lost_content(warnings: &[String]) -> Vec<&str> {
    const SKIPPED: [&str; 3] =
        ["Failed to decode content stream", "Failed to decode Form XObject stream", "Decompression bomb"];
    let mut lost: Vec<&str> =
        warnings.iter().filter(|w| SKIPPED.iter().any(|s| w.contains(s))).map(String::as_str).collect();
    lost.dedup(); // the engine reads a page's content twice (spans, then characters)
    lost
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_skipped_content_counts_as_lost() {
        let got = vec!["Failed to decode content stream element on page 0: boom, skipping".to_string()];
        assert_eq!(lost_content(&got).len(), 1);
        assert!(lost_content(&["Font 'X': missing width".to_string()]).is_empty());
    }
}
