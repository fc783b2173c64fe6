//! From a discovered [`Structure`] to a table: which element is the record, which columns it
//! has, their names and types.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use super::discover::{Node, Structure};
use super::nest::Nesting;
pub use super::Column;
use crate::error::{Error, Result};
use crate::options::{ArrayMode, InferTypes, NamespaceMode, NestedMode};

/// Name of the column holding the 1-based document number when a file holds several.
pub const DOCUMENT_COLUMN: &str = "_document";

/// How records become rows.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The record element's path node.
    pub record: usize,
    pub columns: Vec<Column>,
    /// For every path node: its (leaf index, column index) pairs (empty outside the record).
    pub node_columns: Vec<Vec<(usize, usize)>>,
    /// For every path node: the list columns that get one item per occurrence of it (it is the
    /// innermost repeated element above their values), so sibling lists stay aligned.
    pub anchor_columns: Vec<Vec<usize>>,
    /// Add the `_document` column (the input holds several documents).
    pub document_column: bool,
    /// Lists are written as JSON text.
    pub arrays_json: bool,
    /// `--nested struct`: how the flat columns are regrouped into struct columns.
    pub nesting: Option<Nesting>,
    /// The output schema (nested with `--nested struct`).
    pub schema: SchemaRef,
}

fn local(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, l)| l)
}

fn segment(name: &str, mode: NamespaceMode) -> String {
    match mode {
        NamespaceMode::Strip => local(name).to_string(),
        NamespaceMode::Prefix => name.replace(':', "_"),
        NamespaceMode::Preserve => name.to_string(),
    }
}

/// Leaves reachable from `n` without crossing a repeated element: how much scalar data one
/// occurrence of `n` holds.
fn scalar_leaves(nodes: &[Node], n: usize) -> usize {
    let mut total = nodes[n].leaves.len();
    for &c in &nodes[n].children {
        if nodes[c].max_siblings <= 1 {
            total += scalar_leaves(nodes, c);
        }
    }
    total
}

/// All values seen below `n` (and on it), repeated or not: how much data a subtree holds.
fn weight(nodes: &[Node], n: usize) -> u64 {
    nodes[n].leaves.iter().map(|l| l.seen).sum::<u64>()
        + nodes[n].children.iter().map(|&c| weight(nodes, c)).sum::<u64>()
}

fn is_ancestor(nodes: &[Node], a: usize, mut n: usize) -> bool {
    while let Some(p) = nodes[n].parent {
        if p == a {
            return true;
        }
        n = p;
    }
    false
}

/// Find the node named by a user's record path (`/catalog/book`, `catalog/book`); segments
/// match the qualified or the local name.
pub fn find_record_path(s: &Structure, path: &str) -> Result<usize> {
    let segs: Vec<&str> = path.trim().trim_start_matches('/').split('/').filter(|s| !s.is_empty()).collect();
    let matches = |n: &Node, seg: &str| n.name == seg || local(&n.name) == seg;
    let mut level: Vec<usize> = s.roots.clone();
    let mut found = None;
    for (i, seg) in segs.iter().enumerate() {
        let hit = level.iter().copied().find(|&n| matches(&s.nodes[n], seg));
        match hit {
            Some(n) if i + 1 == segs.len() => found = Some(n),
            Some(n) => level = s.nodes[n].children.clone(),
            None => break,
        }
    }
    found.ok_or_else(|| {
        let mut known: Vec<String> =
            (0..s.nodes.len()).filter(|&n| s.nodes[n].max_siblings > 1).map(|n| s.path(n)).collect();
        known.truncate(10);
        Error::InvalidOption(format!(
            "--record-path {path}: no such element path{}",
            if known.is_empty() { String::new() } else { format!("; repeated elements: {}", known.join(", ")) }
        ))
    })
}

/// Choose the record element: the repeated element that holds the data. Among the outermost
/// repeated elements the one holding the most values (its own and below) wins; then, while a repeated element below it
/// holds more scalar values per occurrence than it does (teams holding players), that one is
/// taken instead. Without repetition the root element is the single record.
pub fn auto_record(s: &Structure) -> Option<usize> {
    let nodes = &s.nodes;
    let candidates: Vec<usize> = (0..nodes.len()).filter(|&n| nodes[n].max_siblings > 1).collect();
    let score = |n: usize| weight(nodes, n);
    let tops = candidates.iter().copied().filter(|&c| !candidates.iter().any(|&a| a != c && is_ancestor(nodes, a, c)));
    let mut cur = match tops.max_by_key(|&c| (score(c), std::cmp::Reverse(c))) {
        Some(c) => c,
        None => return s.roots.iter().copied().max_by_key(|&r| (nodes[r].count, std::cmp::Reverse(r))),
    };
    loop {
        let here = scalar_leaves(nodes, cur);
        let better = candidates
            .iter()
            .copied()
            .filter(|&d| {
                is_ancestor(nodes, cur, d) && scalar_leaves(nodes, d) > here && nodes[d].count >= nodes[cur].count
            })
            .max_by_key(|&d| (score(d), std::cmp::Reverse(d)));
        match better {
            Some(d) => cur = d,
            None => return Some(cur),
        }
    }
}

/// Options that shape the plan.
#[derive(Debug, Clone, Copy)]
pub struct PlanOptions {
    pub namespaces: NamespaceMode,
    pub arrays: ArrayMode,
    pub infer: InferTypes,
    pub nested: NestedMode,
}

/// One leaf value (an attribute or text) below the record, before its column is named.
struct RawColumn {
    node: usize,
    leaf: usize,
    list: bool,
    /// Innermost repeated node on the path (lists only).
    anchor: usize,
    /// Qualified path segments below the record, plus the attribute name.
    segs: Vec<String>,
    attr: bool,
}

/// Depth-first from `n` (the record at first, `segs` the path to `n` below it, `anchor` the
/// innermost repeated node so far): a node's attributes and text, then its children.
fn collect_leaves(
    nodes: &[Node],
    n: usize,
    segs: &mut Vec<String>,
    anchor: Option<usize>,
    record: usize,
    out: &mut Vec<RawColumn>,
) {
    let list = anchor.is_some();
    for (i, leaf) in nodes[n].leaves.iter().enumerate() {
        let mut s = segs.clone();
        match &leaf.attr {
            Some(a) => s.push(a.clone()),
            None if s.is_empty() => s.push(nodes[record].name.clone()),
            None => {}
        }
        out.push(RawColumn { node: n, leaf: i, list, anchor: anchor.unwrap_or(n), segs: s, attr: leaf.attr.is_some() });
    }
    for &c in &nodes[n].children {
        segs.push(nodes[c].name.clone());
        let a = if nodes[c].max_siblings > 1 { Some(c) } else { anchor };
        collect_leaves(nodes, c, segs, a, record, out);
        segs.pop();
    }
}

/// The column name of `r`: its path segments joined by `_`, attributes marked `@` when
/// `mark_attr`.
fn raw_name(r: &RawColumn, mode: NamespaceMode, mark_attr: bool) -> String {
    let mut parts: Vec<String> = r.segs.iter().map(|s| segment(s, mode)).collect();
    if mark_attr && r.attr {
        if let Some(last) = parts.last_mut() {
            *last = format!("@{last}");
        }
    }
    parts.join("_")
}

/// For each name: whether another name is the same.
fn duplicated(names: &[String]) -> Vec<bool> {
    let mut count = std::collections::HashMap::new();
    for n in names {
        *count.entry(n.clone()).or_insert(0) += 1;
    }
    names.iter().map(|n| count[n] > 1).collect()
}

/// The names of the columns of `raw`, then the document column's if `document_column`, made
/// unique.
fn column_names(raw: &[RawColumn], namespaces: NamespaceMode, document_column: bool) -> Vec<String> {
    let mut names: Vec<String> = raw.iter().map(|r| raw_name(r, namespaces, false)).collect();
    // An attribute named like a child element: the attribute is marked `@`.
    let d = duplicated(&names);
    for (i, r) in raw.iter().enumerate() {
        if d[i] && r.attr {
            names[i] = raw_name(r, namespaces, true);
        }
    }
    // Stripped names that clash keep their prefixes.
    if namespaces == NamespaceMode::Strip {
        let d = duplicated(&names);
        for (i, r) in raw.iter().enumerate() {
            if d[i] {
                names[i] = raw_name(r, NamespaceMode::Prefix, names[i].contains('@'));
            }
        }
    }
    if document_column {
        names.push(DOCUMENT_COLUMN.to_string());
    }
    crate::column_names::unique_column_names(names)
}

impl Plan {
    /// Plan the columns of records at `record`.
    pub fn new(s: &Structure, record: usize, o: PlanOptions) -> Result<Plan> {
        if o.nested == NestedMode::Struct && o.arrays == ArrayMode::Json {
            return Err(Error::InvalidOption("--nested struct writes repeated elements as lists of structs; it cannot be combined with --arrays json".into()));
        }
        let nodes = &s.nodes;
        let mut raw: Vec<RawColumn> = Vec::new();
        collect_leaves(nodes, record, &mut Vec::new(), None, record, &mut raw);
        let document_column = s.documents > 1;
        let names = column_names(&raw, o.namespaces, document_column);

        let mut node_columns = vec![Vec::new(); nodes.len()];
        let mut anchor_columns = vec![Vec::new(); nodes.len()];
        let mut columns = Vec::new();
        let mut fields = Vec::new();
        for (i, r) in raw.iter().enumerate() {
            let state = &nodes[r.node].leaves[r.leaf].state;
            let item_type = if o.infer == InferTypes::Yes { state.resolve() } else { DataType::Utf8 };
            let dt = if !r.list {
                item_type.clone()
            } else if o.arrays == ArrayMode::Json {
                DataType::Utf8
            } else {
                DataType::List(Arc::new(Field::new("item", item_type.clone(), true)))
            };
            fields.push(Field::new(&names[i], dt, true));
            node_columns[r.node].push((r.leaf, columns.len()));
            if r.list {
                anchor_columns[r.anchor].push(columns.len());
            }
            columns.push(Column { name: names[i].clone(), node: r.node, leaf: r.leaf, list: r.list, item_type });
        }
        let nesting = match o.nested {
            NestedMode::Flatten => None,
            NestedMode::Struct => {
                let n = Nesting::new(s, record, &node_columns, o.namespaces)?;
                fields = n.arrow_fields(&columns);
                Some(n)
            }
        };
        if document_column {
            fields.push(Field::new(names.last().expect("document column"), DataType::Int64, false));
        }
        Ok(Plan {
            record,
            columns,
            node_columns,
            anchor_columns,
            document_column,
            arrays_json: o.arrays == ArrayMode::Json,
            nesting,
            schema: Arc::new(Schema::new(fields)),
        })
    }
}
