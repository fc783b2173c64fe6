//! XML input: a streaming reader on `quick-xml` that turns the repeated record element into
//! rows (see [`crate::formats::tree`] for the table rules).
//!
//! - Input: plain, .gz, .bz2 or .zst (recognised by magic bytes); the encoding from the
//!   byte-order mark, the UTF-16 shape of `<?`, the XML declaration, or `--encoding`.
//! - Records: detected, or `--record-path /catalog/book`; `info` lists the element paths with
//!   their counts so a user can choose.
//! - Columns: attributes by their plain name (`id`; `@id` when a child element has the same
//!   name), element text by the element's path below the record joined with `_`. Namespace
//!   prefixes: `--namespaces strip|prefix|preserve`. Namespace declarations are not columns.
//! - Security: no external entity or DTD is ever fetched; internal entities expand within hard
//!   limits ([`entities`]).

pub mod dtd;
pub mod entities;
pub mod input;
pub mod parser;
pub mod wf;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::error::Result;
use crate::format::Format;
use crate::formats::tree::source::{RecordChoice, TreeSource};
use crate::options::ReadOptions;
use crate::source::Source;

/// The XML format.
pub struct XmlFormat;

impl Format for XmlFormat {
    fn name(&self) -> &'static str {
        "xml"
    }
    fn description(&self) -> &'static str {
        "XML documents (also .gz/.bz2/.zst): repeated elements to rows, streaming"
    }
    fn extensions(&self) -> &'static [&'static str] {
        &["xml", "xml.gz", "xml.bz2", "xml.zst", "rss", "atom"]
    }
    fn sniff(&self, head: &[u8]) -> bool {
        let h = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        h.starts_with(b"<?xml")
            || h.starts_with(b"<\0?\0x\0m\0l\0")
            || h.starts_with(b"\0<\0?\0x\0m\0l")
            || h.starts_with(b"\xFF\xFE<\0?\0x\0")
            || h.starts_with(b"\xFE\xFF\0<\0?\0x")
    }
    fn open(&self, path: &Path, options: &ReadOptions) -> Result<Box<dyn Source>> {
        let plan = input::plan(path, options.encoding.as_deref())?;
        let mut details = BTreeMap::new();
        details.insert("encoding".into(), plan.encoding.name().into());
        details.insert("encoding_detected_by".into(), plan.how.into());
        details.insert("compression".into(), plan.compression.name().into());
        let input = Arc::new(parser::XmlInput {
            path: path.to_path_buf(),
            plan,
            recover: options.recover,
            repairs: Default::default(),
        });
        Ok(Box::new(TreeSource::open("xml", path, input, options, RecordChoice::Detect, details)?))
    }
}
