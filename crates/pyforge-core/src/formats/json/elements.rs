//! What the JSON Lines parser ([`super::lines`]) reports its elements to: a [`RowBuilder`], or
//! the typed rows ([`super::typed`]).

use crate::formats::tree::rows::RowBuilder;
use crate::formats::tree::Attrs;

/// What the parser reports its elements to, by path node. `None` from any of these gives the
/// chunk back.
pub(super) trait Elements {
    /// The child of `parent` after the one found there last (or that one again) for which
    /// `is_it` holds.
    fn likely_child(&mut self, parent: usize, is_it: impl Fn(usize) -> bool) -> Option<usize>;
    /// The child of `parent` named `name`.
    fn child(&mut self, parent: usize, name: &str) -> Option<usize>;
    /// An element of `node` opens (an object).
    fn open(&mut self, node: usize) -> Option<()>;
    /// The innermost open element closes.
    fn close(&mut self) -> Option<()>;
    /// An element of `node` holding `text` only (a scalar; `null` is the empty text).
    fn leaf(&mut self, node: usize, text: &str) -> Option<()>;
}

impl Elements for RowBuilder<'_> {
    #[inline]
    fn likely_child(&mut self, parent: usize, is_it: impl Fn(usize) -> bool) -> Option<usize> {
        RowBuilder::likely_child(self, parent, is_it)
    }
    fn child(&mut self, parent: usize, name: &str) -> Option<usize> {
        self.child_node(Some(parent), name).ok()
    }
    fn open(&mut self, node: usize) -> Option<()> {
        self.open_node(node, Attrs::NONE).ok()
    }
    fn close(&mut self) -> Option<()> {
        self.close_with("").ok()
    }
    fn leaf(&mut self, node: usize, text: &str) -> Option<()> {
        self.open_node(node, Attrs::NONE).ok()?;
        self.close_with(text).ok()
    }
}
