//! The discovery pass: every element path of the input with its counts, repetition, attributes,
//! text and value types.

use crate::error::{Error, Result};
use crate::infer::ColumnState;

use super::{Attrs, Visitor};

/// Distinct element paths allowed before the input is judged not to be record-shaped.
pub const MAX_PATHS: usize = 100_000;

/// One value slot of an element path: an attribute or the element's text.
#[derive(Debug, Clone)]
pub struct Leaf {
    /// Attribute name as written; `None` for the element's text.
    pub attr: Option<String>,
    /// Occurrences with a value.
    pub seen: u64,
    /// Types of the non-empty values.
    pub state: ColumnState,
}

/// One distinct element path (`/rss/channel/item/title`).
#[derive(Debug, Clone)]
pub struct Node {
    /// Qualified element name as written (`rpm:entry`).
    pub name: String,
    pub parent: Option<usize>,
    /// 1 for root elements.
    pub depth: usize,
    /// Child paths in order of first appearance.
    pub children: Vec<usize>,
    /// Occurrences of this path.
    pub count: u64,
    /// Most occurrences under one occurrence of the parent (for roots: in the whole input).
    pub max_siblings: u64,
    last_parent: u64,
    run: u64,
    /// Attributes (in order of first appearance), then the text leaf if any text was seen.
    pub leaves: Vec<Leaf>,
}

impl Node {
    /// The leaf holding the element's text, if any.
    pub fn text_leaf(&self) -> Option<usize> {
        self.leaves.iter().position(|l| l.attr.is_none())
    }
    fn leaf_mut(&mut self, attr: Option<&str>) -> &mut Leaf {
        let i = match self.leaves.iter().position(|l| l.attr.as_deref() == attr) {
            Some(i) => i,
            None => {
                self.leaves.push(Leaf { attr: attr.map(str::to_string), seen: 0, state: ColumnState::default() });
                self.leaves.len() - 1
            }
        };
        &mut self.leaves[i]
    }
}

/// The decision about an element's text once it closes: whitespace between child elements is
/// layout, not data; a leaf element keeps its text exactly (even if it is only spaces).
pub fn element_text(text: &str, had_child: bool) -> Option<&str> {
    if text.is_empty() || (had_child && text.trim().is_empty()) {
        None
    } else {
        Some(text)
    }
}

/// Find the child path `name` of `parent` (`None`: root elements).
pub fn find_child(nodes: &[Node], roots: &[usize], parent: Option<usize>, name: &str) -> Option<usize> {
    let list = match parent {
        Some(p) => &nodes[p].children,
        None => roots,
    };
    list.iter().copied().find(|&c| nodes[c].name == name)
}

struct Frame {
    node: usize,
    instance: u64,
    /// Where this element's text starts in the structure's `text` buffer.
    text_start: usize,
    had_child: bool,
}

/// Structure of a whole input, built by walking it once.
#[derive(Default)]
pub struct Structure {
    pub nodes: Vec<Node>,
    /// Root element paths.
    pub roots: Vec<usize>,
    /// Documents seen (concatenated documents in one file).
    pub documents: u64,
    /// Observe value types (false with `--all-strings`).
    pub infer: bool,
    stack: Vec<Frame>,
    /// Text of the open elements, end to end (no allocation per element).
    text: String,
    instances: u64,
    /// Stop the walk (with [`Error::SampleFull`]) after this many elements.
    limit: Option<u64>,
}

impl Structure {
    /// An empty structure; `infer` decides whether value types are observed.
    pub fn new(infer: bool) -> Self {
        Structure { infer, ..Default::default() }
    }

    /// A structure that stops the walk after `elements` elements (a sample of the input).
    pub fn sampling(infer: bool, elements: u64) -> Self {
        Structure { infer, limit: Some(elements), ..Default::default() }
    }

    /// Absolute path of a node, `/a/b/c`.
    pub fn path(&self, mut n: usize) -> String {
        let mut parts = vec![self.nodes[n].name.as_str()];
        while let Some(p) = self.nodes[n].parent {
            parts.push(self.nodes[p].name.as_str());
            n = p;
        }
        parts.reverse();
        format!("/{}", parts.join("/"))
    }

    fn observe(&mut self, node: usize, attr: Option<&str>, value: &str) {
        let infer = self.infer;
        let leaf = self.nodes[node].leaf_mut(attr);
        leaf.seen += 1;
        if infer && !value.is_empty() {
            leaf.state.observe(value.as_bytes());
        }
    }
}

impl Visitor for Structure {
    fn document(&mut self) -> Result<()> {
        self.documents += 1;
        Ok(())
    }

    fn open(&mut self, name: &str, attrs: Attrs<'_>) -> Result<()> {
        if self.limit.is_some_and(|l| self.instances >= l) {
            return Err(Error::SampleFull);
        }
        let parent = self.stack.last().map(|f| f.node);
        let parent_instance = self.stack.last().map_or(0, |f| f.instance);
        if let Some(f) = self.stack.last_mut() {
            f.had_child = true;
        }
        let node = match find_child(&self.nodes, &self.roots, parent, name) {
            Some(n) => n,
            None => {
                if self.nodes.len() >= MAX_PATHS {
                    return Err(Error::InvalidOption(format!(
                        "the input has more than {MAX_PATHS} distinct element paths; it does not look like records"
                    )));
                }
                let depth = parent.map_or(1, |p| self.nodes[p].depth + 1);
                self.nodes.push(Node {
                    name: name.to_string(),
                    parent,
                    depth,
                    children: Vec::new(),
                    count: 0,
                    max_siblings: 0,
                    last_parent: u64::MAX,
                    run: 0,
                    leaves: Vec::new(),
                });
                let id = self.nodes.len() - 1;
                match parent {
                    Some(p) => self.nodes[p].children.push(id),
                    None => self.roots.push(id),
                }
                id
            }
        };
        self.instances += 1;
        let n = &mut self.nodes[node];
        n.count += 1;
        if n.last_parent == parent_instance {
            n.run += 1;
        } else {
            n.last_parent = parent_instance;
            n.run = 1;
        }
        n.max_siblings = n.max_siblings.max(n.run);
        for (k, v) in attrs.iter() {
            self.observe(node, Some(k), v);
        }
        self.stack.push(Frame { node, instance: self.instances, text_start: self.text.len(), had_child: false });
        Ok(())
    }

    fn text(&mut self, text: &str) {
        if !self.stack.is_empty() {
            self.text.push_str(text);
        }
    }

    fn close(&mut self) -> Result<()> {
        if let Some(f) = self.stack.pop() {
            let text = std::mem::take(&mut self.text);
            if let Some(t) = element_text(&text[f.text_start.min(text.len())..], f.had_child) {
                self.observe(f.node, None, t);
            }
            self.text = text;
            self.text.truncate(f.text_start);
        }
        Ok(())
    }
}
