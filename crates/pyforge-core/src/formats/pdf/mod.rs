//! PDF input: the text of each page, one row per page (`page`, `text`, `chars`), with page
//! selection (`--pages`), passwords and document information for `info`.
//!
//! Text comes from the `pdf_oxide` crate (MIT/Apache-2.0), chosen over `pdf-extract` and
//! `lopdf` by word overlap with poppler's `pdftotext` on the pdfplumber corpus (see
//! `tests/python/test_pdf_pdftotext.py`). Every engine call runs in a worker thread behind a
//! panic guard and a time limit ([`guard`]): a hostile PDF is an error, never a crash or a hang.

pub mod engine;
pub mod guard;
pub mod layout;
pub mod meta;
pub mod nesting;
pub mod pages;
pub mod source;
pub mod warnings;

use std::path::Path;

use crate::error::Result;
use crate::format::Format;
use crate::options::ReadOptions;
use crate::source::Source;

pub use source::PdfSource;

/// The PDF format.
pub struct PdfFormat;

impl Format for PdfFormat {
    fn name(&self) -> &'static str {
        "pdf"
    }
    fn description(&self) -> &'static str {
        "PDF documents: text by page (table `pages`: page, text, chars)"
    }
    fn extensions(&self) -> &'static [&'static str] {
        &["pdf"]
    }
    fn sniff(&self, head: &[u8]) -> bool {
        // The header may follow some junk; readers accept it within the first 1024 bytes.
        // (at the start of a line, so a text file that mentions "%PDF-" is not taken for one).
        head.windows(5).enumerate().any(|(i, w)| w == b"%PDF-" && (i == 0 || matches!(head[i - 1], b'\n' | b'\r')))
    }
    fn open(&self, path: &Path, options: &ReadOptions) -> Result<Box<dyn Source>> {
        Ok(Box::new(PdfSource::open(path, options)?))
    }
}
