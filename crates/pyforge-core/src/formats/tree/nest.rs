//! `--nested struct`: the record's nested elements as Arrow struct columns instead of
//! `parent_child` columns, and repeated elements as lists of structs.
//!
//! The row pass builds the flat columns as always ([`super::plan::Plan`]); [`Nesting`] then
//! regroups each batch's arrays without copying values: an element with attributes or children
//! becomes a struct of them (its own text, if any, in a field `_text`), an element holding only
//! text stays a scalar field, and a repeated element becomes a list whose items are its
//! occurrences. The columns of one repeated element are anchored at it, so they share list
//! offsets and their items line up into one struct per occurrence.
//!
//! A repeated element inside a repeated element is a list inside the struct of each outer
//! occurrence (`list<struct<..., inner: list<struct<...>>>>`): the row pass counts the
//! occurrences of every repeated element per occurrence of the repeated element (or record)
//! around it, and those counts are the offsets of its lists ([`ListOffsets`]).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, ListArray, StructArray};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field, Fields};

use super::discover::{Node, Structure};
use super::Column;
use crate::error::Result;
use crate::options::NamespaceMode;

/// Field of a struct that holds the text of an element that also has attributes or children.
pub const TEXT_FIELD: &str = "_text";

/// Where a value of the output comes from.
#[derive(Debug, Clone)]
pub enum Shape {
    /// A flat column (inside a list: the items of that list column).
    Column(usize),
    /// An element with attributes or children.
    Struct(Vec<(String, Shape)>),
    /// A repeated element (its path node): one item per occurrence.
    List(usize, Box<Shape>),
}

/// The nested layout of a record: its top-level fields.
#[derive(Debug, Clone)]
pub struct Nesting {
    pub fields: Vec<(String, Shape)>,
}

/// One candidate field of a struct before naming.
struct Entry {
    qualified: String,
    attr: bool,
    shape: Shape,
}

impl Nesting {
    /// Lay out the record `record` of `s`; `node_columns` maps each node's leaves to the flat
    /// columns (as in the plan).
    pub fn new(
        s: &Structure,
        record: usize,
        node_columns: &[Vec<(usize, usize)>],
        mode: NamespaceMode,
    ) -> Result<Nesting> {
        let builder = Builder { nodes: &s.nodes, node_columns, mode };
        let entries = builder.entries(record, false, true)?;
        Ok(Nesting { fields: builder.name(entries) })
    }

    /// The Arrow fields of the top level.
    pub fn arrow_fields(&self, columns: &[Column]) -> Vec<Field> {
        self.fields.iter().map(|(n, s)| Field::new(n, data_type(s, columns, false), true)).collect()
    }

    /// Regroup the flat arrays of one batch (one per plan column) into the top-level arrays;
    /// `offsets` gives the list offsets of each repeated element's occurrences.
    pub fn assemble(
        &self,
        columns: &[Column],
        flat: &[ArrayRef],
        offsets: &dyn ListOffsets,
    ) -> std::result::Result<Vec<ArrayRef>, arrow::error::ArrowError> {
        self.fields.iter().map(|(_, s)| build(s, columns, flat, offsets, false)).collect()
    }
}

/// The list offsets of a repeated element in one batch: for each occurrence of the repeated
/// element around it (or of the record), where its own occurrences end.
pub trait ListOffsets {
    /// Offsets of path node `node` (starting at 0).
    fn offsets(&self, node: usize) -> OffsetBuffer<i32>;
}

struct Builder<'a> {
    nodes: &'a [Node],
    node_columns: &'a [Vec<(usize, usize)>],
    mode: NamespaceMode,
}

impl Builder<'_> {
    fn column_of(&self, n: usize, leaf: usize) -> Option<usize> {
        self.node_columns[n].iter().find(|(l, _)| *l == leaf).map(|&(_, c)| c)
    }

    /// The fields of element `n`: attributes, its text, then its child elements.
    fn entries(&self, n: usize, in_list: bool, is_record: bool) -> Result<Vec<Entry>> {
        let node = &self.nodes[n];
        let mut out = Vec::new();
        for (i, leaf) in node.leaves.iter().enumerate() {
            if let (Some(attr), Some(c)) = (&leaf.attr, self.column_of(n, i)) {
                out.push(Entry { qualified: attr.clone(), attr: true, shape: Shape::Column(c) });
            }
        }
        if let Some(c) = node.text_leaf().and_then(|l| self.column_of(n, l)) {
            // The record's own text is named after the record, as when flattening.
            let name = if is_record { node.name.clone() } else { TEXT_FIELD.to_string() };
            out.push(Entry { qualified: name, attr: false, shape: Shape::Column(c) });
        }
        for &c in &node.children {
            let repeated = self.nodes[c].max_siblings > 1;
            if let Some(shape) = self.element(c, in_list || repeated)? {
                let shape = if repeated { Shape::List(c, Box::new(shape)) } else { shape };
                out.push(Entry { qualified: self.nodes[c].name.clone(), attr: false, shape });
            }
        }
        Ok(out)
    }

    /// An element below the record: a scalar if it holds only text, else a struct; `None` if
    /// it holds no value at all.
    fn element(&self, n: usize, in_list: bool) -> Result<Option<Shape>> {
        let entries = self.entries(n, in_list, false)?;
        Ok(match entries.as_slice() {
            [] => None,
            [only] if !only.attr && only.qualified == TEXT_FIELD => Some(only.shape.clone()),
            _ => Some(Shape::Struct(self.name(entries))),
        })
    }

    /// Field names within one struct: attributes that clash with another field get `@`,
    /// stripped namespace prefixes come back where two names would clash, then names are
    /// made unique.
    fn name(&self, entries: Vec<Entry>) -> Vec<(String, Shape)> {
        let seg = |q: &str, mode: NamespaceMode| match mode {
            NamespaceMode::Strip => q.rsplit_once(':').map_or(q, |(_, l)| l).to_string(),
            NamespaceMode::Prefix => q.replace(':', "_"),
            NamespaceMode::Preserve => q.to_string(),
        };
        let clashes = |names: &[String]| -> Vec<bool> {
            names.iter().map(|n| names.iter().filter(|m| *m == n).count() > 1).collect()
        };
        let mut names: Vec<String> = entries.iter().map(|e| seg(&e.qualified, self.mode)).collect();
        let c = clashes(&names);
        for (i, e) in entries.iter().enumerate() {
            if c[i] && e.attr {
                names[i] = format!("@{}", names[i]);
            }
        }
        if self.mode == NamespaceMode::Strip {
            let c = clashes(&names);
            for (i, e) in entries.iter().enumerate() {
                if c[i] {
                    let p = seg(&e.qualified, NamespaceMode::Prefix);
                    names[i] = if e.attr && names[i].starts_with('@') { format!("@{p}") } else { p };
                }
            }
        }
        let names = crate::column_names::unique_column_names(names);
        names.into_iter().zip(entries.into_iter().map(|e| e.shape)).collect()
    }
}

/// The Arrow type of a shape (`in_list`: its columns are list columns and the shape describes
/// one item).
fn data_type(s: &Shape, columns: &[Column], in_list: bool) -> DataType {
    match s {
        Shape::Column(c) => {
            let col = &columns[*c];
            debug_assert_eq!(col.list, in_list, "list columns sit exactly below a repeated element");
            col.item_type.clone()
        }
        Shape::Struct(fields) => DataType::Struct(struct_fields(fields, columns, in_list)),
        Shape::List(_, inner) => DataType::List(Arc::new(Field::new("item", data_type(inner, columns, true), true))),
    }
}

fn struct_fields(fields: &[(String, Shape)], columns: &[Column], in_list: bool) -> Fields {
    fields.iter().map(|(n, s)| Field::new(n, data_type(s, columns, in_list), true)).collect()
}

fn build(
    s: &Shape,
    columns: &[Column],
    flat: &[ArrayRef],
    offsets: &dyn ListOffsets,
    in_list: bool,
) -> std::result::Result<ArrayRef, arrow::error::ArrowError> {
    Ok(match s {
        Shape::Column(c) if in_list => flat[*c].as_list::<i32>().values().clone(),
        Shape::Column(c) => flat[*c].clone(),
        Shape::Struct(fields) => {
            let arrays = fields
                .iter()
                .map(|(_, f)| build(f, columns, flat, offsets, in_list))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            Arc::new(StructArray::try_new(struct_fields(fields, columns, in_list), arrays, None)?)
        }
        Shape::List(node, inner) => {
            let items = build(inner, columns, flat, offsets, true)?;
            let field = Arc::new(Field::new("item", items.data_type().clone(), true));
            Arc::new(ListArray::try_new(field, offsets.offsets(*node), items, None)?)
        }
    })
}
