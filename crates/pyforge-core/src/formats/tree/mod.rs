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
pub mod pipe;
pub mod plan;
pub mod rows;
pub mod source;

use crate::error::Result;

/// Receiver of the events of a tree-shaped input.
pub trait Visitor {
    /// A new document starts (a file may hold several concatenated documents).
    fn document(&mut self) -> Result<()>;
    /// An element opens. `name` is the qualified name as written (`rpm:entry`); namespace
    /// declarations are not attributes.
    fn open(&mut self, name: &str, attrs: &[(String, String)]) -> Result<()>;
    /// Character data of the innermost open element (may come in several pieces).
    fn text(&mut self, text: &str);
    /// The innermost open element closes.
    fn close(&mut self) -> Result<()>;
}

/// An input that can be walked from the start as many times as needed.
pub trait TreeInput: Send + Sync {
    /// Walk the whole input, reporting its events to `visitor`.
    fn walk(&self, visitor: &mut dyn Visitor) -> Result<()>;
}
