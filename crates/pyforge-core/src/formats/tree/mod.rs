//! Tree-shaped inputs (XML, JSON) turned into tables.
//!
//! A parser walks its input and reports a stream of element events to a [`Visitor`]: a
//! document starts, an element opens (with its attributes), text, an element closes. Two
//! visitors consume that stream, each in its own pass over the input (both streaming, constant
//! memory):
//! 1. [`discover::Structure`] records every element path with its counts, how often it repeats
//!    under one parent, its attributes and text, and the type of every value (the CSV type
//!    inference rules, [`crate::infer::ColumnState`]). Because this pass covers the whole input,
//!    the planned types are final: no value can fail to fit later.
//! 2. [`rows::RowBuilder`] turns every occurrence of the record element into one row of the
//!    planned columns ([`plan::Plan`]), sending Arrow batches as they fill.
//!
//! Columns of a record: its attributes and text, and those of every element below it, named by
//! their relative path joined with `_` (`version_epoch`, `format_license`). An element that
//! repeats under one parent makes every column below it a list (one item per occurrence, null
//! where an occurrence lacks the value), so repeated values are never dropped and the items of
//! sibling columns stay aligned.

pub mod discover;
pub mod nest;
pub mod pipeline;
pub mod plan;
pub mod rows;
pub mod source;

use arrow::datatypes::DataType;

use crate::error::Result;

/// One output column: a leaf (attribute or text) of an element path below the record.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub node: usize,
    /// Index into the node's leaves.
    pub leaf: usize,
    /// One item per occurrence of the node in a record (a repeated element is on its path).
    pub list: bool,
    /// Type of the values (of the items, for lists).
    pub item_type: DataType,
}

/// Element name of the top-level values of a JSON input (see [`crate::formats::json`]); here so
/// that record paths given as JSON paths (`$.data.items`) can be turned into element paths.
pub const JSON_ROOT: &str = "value";

/// Receiver of the events of a tree-shaped input.
pub trait Visitor {
    /// A new document starts (a file may hold several concatenated documents).
    fn document(&mut self) -> Result<()>;
    /// An element opens. `name` is the qualified name as written (`rpm:entry`); namespace
    /// declarations are not attributes.
    fn open(&mut self, name: &str, attrs: Attrs<'_>) -> Result<()>;
    /// Character data of the innermost open element (may come in several pieces).
    fn text(&mut self, text: &str);
    /// The innermost open element closes.
    fn close(&mut self) -> Result<()>;
}

/// The attributes of an element, borrowed from the parser's buffer (no allocation per
/// attribute): keys and values end to end in one string.
#[derive(Clone, Copy)]
pub struct Attrs<'a> {
    text: &'a str,
    /// (key end, value end) in `text`; each key starts where the previous value ended.
    ends: &'a [(usize, usize)],
}

impl<'a> Attrs<'a> {
    /// No attributes.
    pub const NONE: Attrs<'static> = Attrs { text: "", ends: &[] };

    /// The (key, value) pairs in document order.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let (text, ends) = (self.text, self.ends);
        let mut start = 0usize;
        ends.iter().map(move |&(k, v)| {
            let pair = (&text[start..k], &text[k..v]);
            start = v;
            pair
        })
    }

    /// The value of attribute `key`.
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// Attributes from their text (keys and values end to end) and the (key end, value end)
    /// pairs in it, as [`Attrs::parts`] gives them.
    pub fn from_parts(text: &'a str, ends: &'a [(usize, usize)]) -> Self {
        Attrs { text, ends }
    }

    /// The text and the (key end, value end) pairs, to store the attributes elsewhere.
    pub fn parts(&self) -> (&'a str, &'a [(usize, usize)]) {
        (self.text, self.ends)
    }

    /// Number of attributes.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// No attribute at all.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

/// Reusable storage for the attributes of one element at a time.
#[derive(Default)]
pub struct AttrBuf {
    text: String,
    ends: Vec<(usize, usize)>,
}

impl AttrBuf {
    /// Forget the attributes of the previous element (the storage is kept).
    pub fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
    }

    /// Add one attribute: `key`, then `value` writes the value into the string it is given.
    /// An error from `value` leaves the buffer without this attribute.
    pub fn push<E>(
        &mut self,
        key: &str,
        value: impl FnOnce(&mut String) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let start = self.text.len();
        self.text.push_str(key);
        let k = self.text.len();
        if let Err(e) = value(&mut self.text) {
            self.text.truncate(start);
            return Err(e);
        }
        self.ends.push((k, self.text.len()));
        Ok(())
    }

    /// The attributes held.
    pub fn attrs(&self) -> Attrs<'_> {
        Attrs { text: &self.text, ends: &self.ends }
    }
}

/// An input that can be walked from the start as many times as needed.
pub trait TreeInput: Send + Sync {
    /// Walk the whole input, reporting its events to `visitor`.
    fn walk(&self, visitor: &mut dyn Visitor) -> Result<()>;

    /// Repairs made in recover mode by the walk that got furthest (every walk meets the same
    /// ones), for `info`, the manifest and the Python result.
    fn repairs(&self) -> u64 {
        0
    }

    /// Build the rows of `job` itself, handing batches to `emit`, when this input has a faster
    /// way than a walk (JSON Lines: chunks of lines on every core); `None` when it has not, and
    /// the rows come from a walk. The rows and errors must be those of the walk.
    fn build_rows(
        &self,
        _job: &rows::RowsJob<'_>,
        _emit: &mut dyn FnMut(arrow::record_batch::RecordBatch) -> Result<()>,
    ) -> Option<Result<()>> {
        None
    }
}
