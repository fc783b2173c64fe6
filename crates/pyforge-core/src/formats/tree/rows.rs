//! The row pass: every occurrence of the record element becomes one row of the planned
//! columns; rows are sent as Arrow batches as they fill.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Decimal128Builder, Float64Builder, Int64Array, Int64Builder, ListArray,
    StringBuilder, TimestampMicrosecondBuilder, TimestampNanosecondBuilder,
};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field, TimeUnit};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};

use super::discover::{element_text, Node};
use super::plan::Plan;
use super::{Attrs, Visitor};
use crate::error::{Error, Result};
use crate::infer;

/// Rows per batch.
pub const BATCH_ROWS: usize = 65_536;

/// The values of one column for the rows of the current batch.
#[derive(Default)]
struct ColBuf {
    data: String,
    /// One item per value (scalar columns: one per row; lists: one per occurrence).
    items: Vec<Option<(usize, usize)>>,
    /// Lists: end of each row's items.
    row_ends: Vec<i32>,
}

impl ColBuf {
    fn set(&mut self, item: usize, v: &str) {
        let start = self.data.len();
        self.data.push_str(v);
        self.items[item] = Some((start, self.data.len()));
    }
    fn item(&self, i: usize) -> Option<&str> {
        self.items[i].map(|(a, b)| &self.data[a..b])
    }
    fn clear(&mut self) {
        self.data.clear();
        self.items.clear();
        self.row_ends.clear();
    }
}

struct Frame {
    node: usize,
    /// Where this element's text starts in the builder's `text` (one buffer for all frames).
    text_start: usize,
    had_child: bool,
}

/// What a row pass needs: the discovered paths, the plan, and whether the plan was sampled.
pub struct RowsJob<'a> {
    pub path: &'a std::path::Path,
    pub nodes: &'a [Node],
    pub roots: &'a [usize],
    pub plan: &'a Plan,
    /// Set when the plan comes from a sample (see [`RowBuilder::sampled`]).
    pub sampled: Option<Arc<AtomicBool>>,
}

impl RowsJob<'_> {
    /// A row builder for this job, handing its batches to `emit`.
    pub fn builder<'b>(&'b self, emit: &'b mut dyn FnMut(RecordBatch) -> Result<()>) -> RowBuilder<'b> {
        let mut b = RowBuilder::new(self.path, self.nodes, self.roots, self.plan, emit);
        b.sampled = self.sampled.clone();
        b
    }
}

/// Builds rows from the events of a walk and hands full batches to `emit`.
///
/// Besides the [`Visitor`] events (elements by name, text in pieces), a parser that resolves
/// names itself may report elements by path node: [`RowBuilder::child_node`] (or
/// [`RowBuilder::likely_child`]), [`RowBuilder::open_node`] and [`RowBuilder::close_with`]
/// (the JSON Lines reader does). Both ways run the same code, so they give the same rows.
pub struct RowBuilder<'a> {
    nodes: &'a [Node],
    roots: &'a [usize],
    plan: &'a Plan,
    stack: Vec<Frame>,
    /// Text of the open elements, end to end (each frame knows where its own starts).
    text: String,
    /// Stack depth of the open record element (its frame index).
    record_at: Option<usize>,
    document: i64,
    documents: Vec<i64>,
    cols: Vec<ColBuf>,
    /// Per column: the item the current occurrence's value goes to.
    current: Vec<usize>,
    /// Per path node: the column of its text, if any.
    text_column: Vec<Option<usize>>,
    /// Per path node: its attribute columns (attribute name, column).
    attr_columns: Vec<Vec<(&'a str, usize)>>,
    /// Per path node: where in its children list the last child was found (records repeat
    /// the same children in the same order, so the next one is usually just after it).
    child_hint: Vec<usize>,
    /// The list columns, for the end of each record, and the others.
    list_columns: Vec<usize>,
    scalar_columns: Vec<usize>,
    /// `--nested struct` only: per path node, the repeated elements whose nearest repeated
    /// ancestor (or the record) it is; when it closes, their occurrence counts so far are
    /// the ends of their lists for that occurrence.
    enclosed: Vec<Vec<usize>>,
    /// Per path node: occurrences in this batch (repeated elements inside records).
    occurrences: Vec<i32>,
    /// Per path node: list ends of its occurrences (see `enclosed`).
    occurrence_ends: Vec<Vec<i32>>,
    rows: usize,
    emit: &'a mut dyn FnMut(RecordBatch) -> Result<()>,
    path: &'a std::path::Path,
    /// The plan comes from a sample: anything it does not cover sets this flag and ends the
    /// pass with [`Error::SchemaWidened`] (the source then discovers the whole input).
    pub sampled: Option<Arc<AtomicBool>>,
}

impl<'a> RowBuilder<'a> {
    pub fn new(
        path: &'a std::path::Path,
        nodes: &'a [Node],
        roots: &'a [usize],
        plan: &'a Plan,
        emit: &'a mut dyn FnMut(RecordBatch) -> Result<()>,
    ) -> Self {
        RowBuilder {
            nodes,
            roots,
            plan,
            stack: Vec::new(),
            text: String::new(),
            record_at: None,
            document: 0,
            documents: Vec::new(),
            cols: (0..plan.columns.len()).map(|_| ColBuf::default()).collect(),
            current: vec![0; plan.columns.len()],
            text_column: (0..nodes.len())
                .map(|n| {
                    let leaf = nodes[n].text_leaf()?;
                    plan.node_columns.get(n)?.iter().find(|(l, _)| *l == leaf).map(|&(_, c)| c)
                })
                .collect(),
            attr_columns: (0..nodes.len())
                .map(|n| {
                    plan.node_columns
                        .get(n)
                        .map(|cols| {
                            cols.iter()
                                .filter_map(|&(l, c)| nodes[n].leaves[l].attr.as_deref().map(|a| (a, c)))
                                .collect()
                        })
                        .unwrap_or_default()
                })
                .collect(),
            child_hint: vec![0; nodes.len() + 1],
            list_columns: (0..plan.columns.len()).filter(|&c| plan.columns[c].list).collect(),
            scalar_columns: (0..plan.columns.len()).filter(|&c| !plan.columns[c].list).collect(),
            enclosed: if plan.nesting.is_some() { enclosed_repeats(nodes, plan.record) } else { Vec::new() },
            occurrences: vec![0; nodes.len()],
            occurrence_ends: vec![Vec::new(); nodes.len()],
            rows: 0,
            emit,
            path,
            sampled: None,
        }
    }

    /// The signal to read again with a full discovery, or `None` if the plan is final.
    fn widen(&self, reason: impl FnOnce() -> String) -> Option<Error> {
        let flag = self.sampled.as_ref()?;
        flag.store(true, Ordering::SeqCst);
        Some(Error::SchemaWidened {
            path: self.path.to_path_buf(),
            reason: format!("{} (the structure was sampled)", reason()),
        })
    }

    /// Send the rows not yet sent.
    pub fn finish(&mut self) -> Result<()> {
        if self.rows > 0 {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.cols.len() + 1);
        for (c, col) in self.plan.columns.iter().enumerate() {
            let buf = &self.cols[c];
            let values = match typed_array(&col.item_type, buf.items.len(), |i| buf.item(i)) {
                Some(v) => v,
                None => {
                    return Err(self.widen(|| format!("column {:?} holds a value its type cannot", col.name)).unwrap_or_else(|| {
                        Error::invalid(self.path, None, format!("column {:?}: a value does not fit the type found by the first pass (the input changed while reading?)", col.name))
                    }))
                }
            };
            let array: ArrayRef = if !col.list {
                values
            } else if self.plan.arrays_json {
                json_lists(&col.item_type, buf)
            } else {
                let mut offsets = Vec::with_capacity(buf.row_ends.len() + 1);
                offsets.push(0i32);
                offsets.extend_from_slice(&buf.row_ends);
                let field = Arc::new(Field::new("item", col.item_type.clone(), true));
                Arc::new(ListArray::new(field, OffsetBuffer::new(offsets.into()), values, None))
            };
            arrays.push(array);
        }
        if let Some(n) = &self.plan.nesting {
            let offsets = Occurrences(&self.occurrence_ends);
            arrays = n.assemble(&self.plan.columns, &arrays, &offsets).map_err(|e| Error::arrow(self.path, e))?;
        }
        if self.plan.document_column {
            arrays.push(Arc::new(Int64Array::from(std::mem::take(&mut self.documents))));
        }
        let options = RecordBatchOptions::new().with_row_count(Some(self.rows));
        let batch = RecordBatch::try_new_with_options(self.plan.schema.clone(), arrays, &options)
            .map_err(|e| Error::arrow(self.path, e))?;
        for c in &mut self.cols {
            c.clear();
        }
        self.documents.clear();
        for n in 0..self.occurrences.len() {
            self.occurrences[n] = 0;
            self.occurrence_ends[n].clear();
        }
        self.rows = 0;
        (self.emit)(batch)
    }

    fn end_record(&mut self) -> Result<()> {
        for &c in &self.list_columns {
            let n = self.cols[c].items.len() as i32;
            self.cols[c].row_ends.push(n);
        }
        self.documents.push(self.document);
        self.rows += 1;
        if self.rows >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }
}

/// For every path node, the repeated elements below `record` whose nearest repeated ancestor
/// (or the record itself) it is.
fn enclosed_repeats(nodes: &[Node], record: usize) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new(); nodes.len()];
    for n in 0..nodes.len() {
        if nodes[n].max_siblings <= 1 || n == record {
            continue;
        }
        // The nearest repeated ancestor below the record, if `n` is below the record at all.
        let mut p = nodes[n].parent;
        let mut around = None;
        while let Some(a) = p {
            if around.is_none() && (a == record || nodes[a].max_siblings > 1) {
                around = Some(a);
            }
            if a == record {
                break;
            }
            p = nodes[a].parent;
        }
        if let (Some(a), Some(_)) = (around, p) {
            out[a].push(n);
        }
    }
    out
}

/// The list offsets the row pass counted, for [`super::nest::Nesting::assemble`].
struct Occurrences<'a>(&'a [Vec<i32>]);

impl super::nest::ListOffsets for Occurrences<'_> {
    fn offsets(&self, node: usize) -> OffsetBuffer<i32> {
        let ends = &self.0[node];
        let mut offsets = Vec::with_capacity(ends.len() + 1);
        offsets.push(0i32);
        offsets.extend_from_slice(ends);
        OffsetBuffer::new(offsets.into())
    }
}

/// Lists as JSON text: numbers and booleans bare, everything else as strings.
fn json_lists(item_type: &DataType, buf: &ColBuf) -> ArrayRef {
    let bare = matches!(item_type, DataType::Int64 | DataType::Float64 | DataType::Boolean | DataType::Decimal128(..));
    let mut b = StringBuilder::with_capacity(buf.row_ends.len(), buf.data.len() + 8 * buf.items.len());
    let mut start = 0usize;
    for &end in &buf.row_ends {
        let mut s = String::from("[");
        for i in start..end as usize {
            if i > start {
                s.push(',');
            }
            match buf.item(i) {
                Some(v) if bare && !v.is_empty() => {
                    // Values that are not valid JSON numbers (nan, inf) are quoted.
                    if serde_json::from_str::<serde_json::Value>(v).is_ok() {
                        s.push_str(v)
                    } else {
                        s.push_str(&serde_json::Value::from(v).to_string())
                    }
                }
                Some(v) if !bare => s.push_str(&serde_json::Value::from(v).to_string()),
                _ => s.push_str("null"),
            }
        }
        s.push(']');
        b.append_value(s);
        start = end as usize;
    }
    Arc::new(b.finish())
}

/// Build an array of `dt` from `n` text items; an empty text is null in typed columns and the
/// empty string in string columns. `None` if an item does not parse as `dt`.
pub fn typed_array<'v>(dt: &DataType, n: usize, item: impl Fn(usize) -> Option<&'v str>) -> Option<ArrayRef> {
    macro_rules! primitive {
        ($builder:expr, $parse:expr) => {{
            let mut b = $builder;
            for i in 0..n {
                match item(i) {
                    Some(v) if !v.is_empty() => b.append_value($parse(v.as_bytes())?),
                    _ => b.append_null(),
                }
            }
            Some(Arc::new(b.finish()) as ArrayRef)
        }};
    }
    match dt {
        DataType::Utf8 => {
            let mut b = StringBuilder::with_capacity(n, n * 8);
            for i in 0..n {
                b.append_option(item(i));
            }
            Some(Arc::new(b.finish()))
        }
        DataType::Boolean => primitive!(BooleanBuilder::with_capacity(n), infer::parse_bool),
        DataType::Int64 => primitive!(Int64Builder::with_capacity(n), infer::parse_i64),
        DataType::Float64 => primitive!(Float64Builder::with_capacity(n), infer::parse_f64),
        DataType::Date32 => primitive!(Date32Builder::with_capacity(n), infer::parse_date),
        DataType::Decimal128(p, s) => {
            let (p, s) = (*p, *s);
            let b = Decimal128Builder::with_capacity(n).with_precision_and_scale(p, s).ok()?;
            primitive!(b, |v| infer::parse_decimal(v, p, s))
        }
        DataType::Timestamp(unit, tz) => {
            let parse =
                |v: &[u8]| infer::parse_timestamp(v, *unit).filter(|t| t.has_tz == tz.is_some()).map(|t| t.value);
            match unit {
                TimeUnit::Microsecond => {
                    primitive!(TimestampMicrosecondBuilder::with_capacity(n).with_timezone_opt(tz.clone()), parse)
                }
                _ => primitive!(TimestampNanosecondBuilder::with_capacity(n).with_timezone_opt(tz.clone()), parse),
            }
        }
        _ => None,
    }
}

impl Visitor for RowBuilder<'_> {
    fn document(&mut self) -> Result<()> {
        self.document += 1;
        if self.document > 1 && !self.plan.document_column {
            if let Some(e) = self.widen(|| "a second document".into()) {
                return Err(e);
            }
        }
        Ok(())
    }

    fn open(&mut self, name: &str, attrs: Attrs<'_>) -> Result<()> {
        let parent = self.stack.last().map(|f| f.node);
        let node = self.child_node(parent, name)?;
        self.open_node(node, attrs)
    }

    fn text(&mut self, text: &str) {
        if self.record_at.is_some() && !self.stack.is_empty() {
            self.text.push_str(text);
        }
    }

    fn close(&mut self) -> Result<()> {
        let Some(f) = self.stack.pop() else { return Ok(()) };
        if self.record_at.is_none() {
            self.text.truncate(f.text_start);
            return Ok(());
        }
        // The text buffer is set aside while the value is stored (no copy), then cut back.
        let mut buf = std::mem::take(&mut self.text);
        let stored = self.store_text(&f, &buf[f.text_start.min(buf.len())..]);
        buf.truncate(f.text_start);
        self.text = buf;
        stored?;
        self.closed(&f)
    }
}

impl RowBuilder<'_> {
    /// The path node of element `name` inside `parent` (`None`: a root element); an element the
    /// plan does not know is the signal to widen (sampled plan) or an error.
    pub fn child_node(&mut self, parent: Option<usize>, name: &str) -> Result<usize> {
        match self.child(parent, name) {
            Some(n) => Ok(n),
            None => {
                Err(self.widen(|| format!("element <{name}> first appears after the sample")).unwrap_or_else(|| {
                    Error::invalid(
                        self.path,
                        None,
                        format!("element <{name}> was not seen by the first pass (the input changed while reading?)"),
                    )
                }))
            }
        }
    }

    /// The child of path node `parent` that the last one found there, or the one after it, is
    /// and for which `is_it` holds (records repeat their members in order, so this is usually
    /// the next one); `None` if neither is.
    #[inline]
    pub fn likely_child(&mut self, parent: usize, is_it: impl Fn(usize) -> bool) -> Option<usize> {
        let nodes = self.nodes;
        hinted_child(&nodes[parent].children, &mut self.child_hint[parent], is_it)
    }

    /// An element of path node `node` opens inside the innermost open one.
    pub fn open_node(&mut self, node: usize, attrs: Attrs<'_>) -> Result<()> {
        if let Some(f) = self.stack.last_mut() {
            f.had_child = true;
        }
        let nodes = self.nodes;
        let name = nodes[node].name.as_str();
        if node == self.plan.record {
            if self.record_at.is_some() {
                return Err(Error::invalid(self.path, None, "record element nested in itself"));
            }
            self.record_at = Some(self.stack.len());
            // Scalar columns get their one item now; lists one per occurrence of their anchor.
            for &c in &self.scalar_columns {
                self.cols[c].items.push(None);
                self.current[c] = self.cols[c].items.len() - 1;
            }
        }
        if self.record_at.is_some() {
            self.occurrences[node] += 1;
            for &c in &self.plan.anchor_columns[node] {
                self.cols[c].items.push(None);
                self.current[c] = self.cols[c].items.len() - 1;
            }
            if self.sampled.is_some() {
                let leaves = &self.nodes[node].leaves;
                if let Some((k, _)) = attrs.iter().find(|(k, _)| !leaves.iter().any(|l| l.attr.as_deref() == Some(*k)))
                {
                    let e = self.widen(|| format!("attribute {k:?} of <{name}> first appears after the sample"));
                    return Err(e.expect("sampled"));
                }
            }
            if !attrs.is_empty() {
                for &(attr, c) in &self.attr_columns[node] {
                    if let Some(v) = attrs.get(attr) {
                        let item = self.current[c];
                        if self.sampled.is_some() && self.cols[c].items[item].is_some() {
                            return Err(self
                                .widen(|| format!("<{name}> repeats where the sample saw it once"))
                                .expect("sampled"));
                        }
                        self.cols[c].set(item, v);
                    }
                }
            }
        }
        self.stack.push(Frame { node, text_start: self.text.len(), had_child: false });
        Ok(())
    }

    /// The innermost open element closes, `text` being all its text (given whole, not in
    /// [`Visitor::text`] pieces).
    pub fn close_with(&mut self, text: &str) -> Result<()> {
        let Some(f) = self.stack.pop() else { return Ok(()) };
        if self.record_at.is_none() {
            return Ok(());
        }
        self.store_text(&f, text)?;
        self.closed(&f)
    }

    /// After the element of `f` closed and its text was stored.
    fn closed(&mut self, f: &Frame) -> Result<()> {
        if let Some(inner) = self.enclosed.get(f.node) {
            for &r in inner {
                let n = self.occurrences[r];
                self.occurrence_ends[r].push(n);
            }
        }
        if self.record_at == Some(self.stack.len()) {
            self.record_at = None;
            self.end_record()?;
        }
        Ok(())
    }
}

impl RowBuilder<'_> {
    /// The path node of child `name` of `parent` (`None`: a root element), trying first the
    /// child after the one found last time.
    fn child(&mut self, parent: Option<usize>, name: &str) -> Option<usize> {
        let (list, slot) = match parent {
            Some(p) => (self.nodes[p].children.as_slice(), p),
            None => (self.roots, self.nodes.len()),
        };
        let nodes = self.nodes;
        if let Some(c) = hinted_child(list, &mut self.child_hint[slot], |c| same_name(&nodes[c].name, name)) {
            return Some(c);
        }
        let i = list.iter().position(|&c| self.nodes[c].name == name)?;
        self.child_hint[slot] = i;
        Some(list[i])
    }

    /// Store the text of the element of frame `f` that just closed in its column.
    fn store_text(&mut self, f: &Frame, text: &str) -> Result<()> {
        if let Some(t) = element_text(text, f.had_child) {
            match self.text_column[f.node] {
                Some(c) => {
                    let item = self.current[c];
                    if self.sampled.is_some() && self.cols[c].items[item].is_some() {
                        let name = &self.nodes[f.node].name;
                        return Err(self
                            .widen(|| format!("<{name}> repeats where the sample saw it once"))
                            .expect("sampled"));
                    }
                    self.cols[c].set(item, t);
                }
                None if self.sampled.is_some() => {
                    let name = &self.nodes[f.node].name;
                    return Err(self
                        .widen(|| format!("text of <{name}> first appears after the sample"))
                        .expect("sampled"));
                }
                None => {}
            }
        }
        Ok(())
    }
}

/// The child in `children` at `*hint`, or just after it, for which `is_it` holds; the hint
/// moves to it. Records repeat their members in the same order, so the next member is usually
/// the one after the last found.
#[inline]
pub fn hinted_child(children: &[usize], hint: &mut usize, is_it: impl Fn(usize) -> bool) -> Option<usize> {
    for i in [*hint, *hint + 1] {
        if let Some(&c) = children.get(i) {
            if is_it(c) {
                *hint = i;
                return Some(c);
            }
        }
    }
    None
}

/// `a == b`, for the short names of elements: compared in line, without a call to `memcmp`.
#[inline]
fn same_name(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}
