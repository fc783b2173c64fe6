//! What an input format is: the trait every reader implements. The list of formats and the
//! detection of a file's format are in [`crate::registry`], which depends on the readers;
//! the readers depend only on this trait.

use std::path::Path;

use crate::error::Result;
use crate::options::ReadOptions;
use crate::source::Source;

/// One input format: how to recognise it and how to open it.
pub trait Format: Send + Sync {
    /// Short registry name (`csv`, `parquet`).
    fn name(&self) -> &'static str;
    /// One-line description for `pyforge formats`.
    fn description(&self) -> &'static str;
    /// File extensions (lower case, without the dot; compound ones like `xml.gz` allowed).
    fn extensions(&self) -> &'static [&'static str];
    /// True if the first bytes of a file prove it is of this format. Formats without magic
    /// bytes (CSV) return false and are chosen by extension.
    fn sniff(&self, _head: &[u8]) -> bool {
        false
    }
    /// Open an input of this format.
    fn open(&self, path: &Path, options: &ReadOptions) -> Result<Box<dyn Source>>;
}
