//! Reading one table (a sheet, or every sheet stacked with `--combine`) on a worker thread
//! that owns the workbook and hands record batches over a small channel.
//!
//! The worker first samples each sheet (header and the first rows) to settle the schema, then
//! walks the rows again building batches. A value that does not fit its column's type is
//! never coerced: the worker reads the rest of the sheet only to learn every column's final
//! type, records it, and ends the stream with [`Error::SchemaWidened`] so the pipeline reads
//! the table again, wider. A table is thus read at most twice.

use std::collections::{BTreeMap, HashMap};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use arrow::datatypes::{Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use crossbeam_channel::{bounded, Receiver, Sender};

use super::build::{arrow_type, ColumnBuilder};
use super::plan::{HeaderMode, Learnt, Sampler, SheetPlan};
use super::rows::{walk_rows, Row, WalkEnd};
use super::values::{ErrorCells, Kind};
use super::workbook::Workbook;
use crate::error::{Error, Result};
use crate::source::TableStream;

/// Data rows sampled to settle column types before the first batch.
const SAMPLE_ROWS: usize = 1000;
/// Rows per batch (fewer for very wide sheets).
const BATCH_ROWS: usize = 64 * 1024;
/// Cells per batch, bounding a batch's memory on wide sheets.
const BATCH_CELLS: usize = 4 << 20;
/// Name of the column `--combine` adds.
pub const SHEET_COLUMN: &str = "_sheet";

/// How sheets are read (from [`crate::ReadOptions`]).
#[derive(Debug, Clone, Copy)]
pub struct SheetOptions {
    pub header: HeaderMode,
    pub errors: ErrorCells,
    pub fill_merged: bool,
    pub strings_only: bool,
}

/// Shared state of a source: the opened workbook (lent to one reader at a time), what reads
/// learnt about each sheet, and facts found while reading (for `info` and the manifest).
pub struct Shared {
    pub path: PathBuf,
    pub book: Mutex<Option<Workbook>>,
    /// Signalled when the workbook is given back.
    pub returned: std::sync::Condvar,
    /// Opening the workbook again costs as much as reading it (.xls and .ods are parsed whole
    /// when opened): readers wait for the open one instead.
    pub wait_for_book: bool,
    pub learnt: Mutex<HashMap<String, Learnt>>,
    pub stats: Mutex<HashMap<String, BTreeMap<String, serde_json::Value>>>,
}

impl Shared {
    fn take_book(&self) -> Result<Workbook> {
        let mut slot = self.book.lock().expect("book lock");
        if self.wait_for_book {
            // Bounded, so a reader can never wait forever on a book that is not coming back.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
            while slot.is_none() {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                if left.is_zero() {
                    break;
                }
                slot = self.returned.wait_timeout(slot, left).expect("book lock").0;
            }
        }
        match slot.take() {
            Some(b) => Ok(b),
            None => {
                drop(slot);
                Workbook::open(&self.path)
            }
        }
    }

    fn give_back(&self, wb: Workbook) {
        let mut slot = self.book.lock().expect("book lock");
        if slot.is_none() {
            *slot = Some(wb);
            self.returned.notify_one();
        }
    }
}

enum Msg {
    Schema(SchemaRef),
    Batch(RecordBatch),
    Failed(Error),
}

/// The stream handed to the pipeline.
pub struct ExcelStream {
    schema: SchemaRef,
    rx: Receiver<Msg>,
    done: bool,
}

impl Iterator for ExcelStream {
    type Item = Result<RecordBatch>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.rx.recv() {
            Ok(Msg::Batch(b)) => Some(Ok(b)),
            Ok(Msg::Failed(e)) => {
                self.done = true;
                Some(Err(e))
            }
            Ok(Msg::Schema(_)) | Err(_) => {
                self.done = true;
                None
            }
        }
    }
}

impl TableStream for ExcelStream {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

/// Start reading `sheets` as one table (`table` names it in errors and stats).
pub fn open(
    shared: Arc<Shared>,
    table: String,
    sheets: Vec<String>,
    combine: bool,
    opts: SheetOptions,
) -> Result<ExcelStream> {
    let (tx, rx) = bounded::<Msg>(2);
    std::thread::Builder::new()
        // A fixed name: a sheet's name may hold a NUL, which a thread name may not (found
        // by fuzzing: spawning panicked).
        .name("pyforge-excel".into())
        .spawn(move || {
            let run = crate::panic_guard::catch(|| {
                let mut wb = shared.take_book()?;
                let r = produce(&shared, &mut wb, &table, &sheets, combine, opts, &tx);
                shared.give_back(wb);
                r
            });
            let err = match run {
                Ok(Ok(())) => return,
                Ok(Err(e)) => e.with_table(&table),
                Err(why) => {
                    Error::invalid(&shared.path, None, format!("the spreadsheet reader failed on this file ({why})"))
                        .with_table(&table)
                }
            };
            let _ = tx.send(Msg::Failed(err));
        })
        .map_err(|e| Error::io("<thread>", e))?;
    match rx.recv() {
        Ok(Msg::Schema(schema)) => Ok(ExcelStream { schema, rx, done: false }),
        Ok(Msg::Failed(e)) => Err(e),
        Ok(Msg::Batch(_)) | Err(_) => {
            Err(Error::InvalidOption("internal error: the Excel reader stopped before its schema".into()))
        }
    }
}

/// Sample one sheet and settle its plan.
fn sample(wb: &mut Workbook, shared: &Shared, sheet: &str, opts: SheetOptions) -> Result<(SheetPlan, Learnt)> {
    loop {
        let learnt = shared.learnt.lock().expect("learnt lock").get(sheet).cloned().unwrap_or_default();
        let merged = if opts.fill_merged { Some(wb.merged_regions(sheet)?) } else { None };
        let mut sampler = Sampler::new(opts.header, opts.errors);
        let end = walk_rows(wb, sheet, learnt.sorted, merged, |r, row| {
            sampler.row(r, row);
            Ok(if sampler.sampled >= SAMPLE_ROWS { ControlFlow::Break(()) } else { ControlFlow::Continue(()) })
        })?;
        if end == WalkEnd::OutOfOrder {
            shared.learnt.lock().expect("learnt lock").entry(sheet.to_string()).or_default().sorted = true;
            continue;
        }
        return Ok((sampler.finish(sheet, &learnt, opts.strings_only), learnt));
    }
}

/// The output columns (name, kind) and, per sheet, its sheet column -> output column.
type Layout = (Vec<(String, Kind)>, Vec<HashMap<u32, usize>>);

/// Output columns: for one sheet its own; for `--combine` `_sheet` then the union by name.
fn layout(plans: &[SheetPlan], combine: bool) -> Layout {
    let mut fields: Vec<(String, Kind)> = Vec::new();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    if combine {
        fields.push((SHEET_COLUMN.to_string(), Kind::String));
        by_name.insert(SHEET_COLUMN.to_string(), 0);
    }
    let mut maps = Vec::new();
    for p in plans {
        let mut map = HashMap::new();
        for (c, name, k) in &p.columns {
            let mut name = name.clone();
            if combine && name == SHEET_COLUMN {
                name = format!("{SHEET_COLUMN}_2");
            }
            let idx = match by_name.get(&name) {
                Some(&i) if combine => i,
                _ => {
                    fields.push((name.clone(), Kind::Null));
                    by_name.insert(name, fields.len() - 1);
                    fields.len() - 1
                }
            };
            fields[idx].1 = fields[idx].1.merge(*k);
            map.insert(*c, idx);
        }
        maps.push(map);
    }
    (fields, maps)
}

struct Batcher {
    schema: SchemaRef,
    kinds: Vec<Kind>,
    builders: Vec<ColumnBuilder>,
    rows: usize,
    batch_rows: usize,
}

impl Batcher {
    fn new(schema: SchemaRef, kinds: Vec<Kind>) -> Self {
        let batch_rows = (BATCH_CELLS / kinds.len().max(1)).clamp(1, BATCH_ROWS);
        let builders = kinds.iter().map(|k| ColumnBuilder::new(*k, batch_rows.min(8192))).collect();
        Batcher { schema, kinds, builders, rows: 0, batch_rows }
    }

    fn end_row(&mut self) {
        self.rows += 1;
        for b in &mut self.builders {
            if b.len() < self.rows {
                b.append_null();
            }
        }
    }

    fn take(&mut self, path: &std::path::Path) -> Result<RecordBatch> {
        let cols = self.builders.iter_mut().map(|b| b.finish()).collect();
        self.rows = 0;
        let _ = &self.kinds;
        RecordBatch::try_new(self.schema.clone(), cols).map_err(|e| Error::arrow(path, e))
    }
}

fn produce(
    shared: &Shared,
    wb: &mut Workbook,
    table: &str,
    sheets: &[String],
    combine: bool,
    opts: SheetOptions,
    tx: &Sender<Msg>,
) -> Result<()> {
    let path = shared.path.clone();
    let (plans, learnts): (Vec<SheetPlan>, Vec<Learnt>) =
        sheets.iter().map(|s| sample(wb, shared, s, opts)).collect::<Result<Vec<_>>>()?.into_iter().unzip();
    let (fields, maps) = layout(&plans, combine);
    let schema = output_schema(&path, &fields, combine, opts.header)?;
    if tx.send(Msg::Schema(schema.clone())).is_err() {
        return Ok(());
    }
    let kinds: Vec<Kind> = fields.iter().map(|f| f.1).collect();
    let mut batcher = Batcher::new(schema, kinds.clone());
    let mut error_cells = 0u64;
    let mut widened: Vec<HashMap<u32, Kind>> = vec![HashMap::new(); sheets.len()];
    let mut any_widened = false;
    let mut rows_total = 0u64;
    let mut receiver_gone = false;

    for (si, sheet) in sheets.iter().enumerate() {
        let plan = &plans[si];
        let map = &maps[si];
        let merged = if opts.fill_merged { Some(wb.merged_regions(sheet)?) } else { None };
        let sorted = learnts[si].sorted;
        let wid = &mut widened[si];
        let end = walk_rows(wb, sheet, sorted, merged, |r, row| {
            if r < plan.first_data_row || Some(r) == plan.header_row {
                return Ok(ControlFlow::Continue(()));
            }
            if any_widened {
                survey_row(row, map, &kinds, opts.errors, wid);
                return Ok(ControlFlow::Continue(()));
            }
            if combine {
                batcher.builders[0].append_str(sheet);
            }
            let (errors, widens) = append_row(&mut batcher, row, map, &kinds, opts.errors, wid);
            error_cells += errors;
            any_widened |= widens;
            if any_widened {
                return Ok(ControlFlow::Continue(()));
            }
            batcher.end_row();
            rows_total += 1;
            if batcher.rows >= batcher.batch_rows {
                let b = batcher.take(&path)?;
                if tx.send(Msg::Batch(b)).is_err() {
                    receiver_gone = true;
                    return Ok(ControlFlow::Break(()));
                }
            }
            Ok(ControlFlow::Continue(()))
        })?;
        if receiver_gone {
            return Ok(());
        }
        if end == WalkEnd::OutOfOrder {
            return Err(read_sorted_next_time(shared, sheet, path));
        }
    }
    if any_widened {
        return Err(record_widened(shared, sheets, &widened, path));
    }
    if batcher.rows > 0 {
        let b = batcher.take(&path)?;
        if tx.send(Msg::Batch(b)).is_err() {
            return Ok(());
        }
    }
    record_stats(shared, table, rows_total, error_cells, (!combine).then(|| &plans[0]));
    Ok(())
}

/// The table's schema: the columns of `fields`, all nullable but the sheet name `--combine`
/// adds; an error when there are none.
fn output_schema(path: &Path, fields: &[(String, Kind)], combine: bool, header: HeaderMode) -> Result<SchemaRef> {
    if fields.is_empty() {
        let msg = match header {
            HeaderMode::Row(h) => format!("no cells at or below header row {}", h + 1),
            _ => "the sheet has no cells".to_string(),
        };
        return Err(Error::invalid(path, None, msg));
    }
    Ok(Arc::new(Schema::new(
        fields.iter().map(|(n, k)| Field::new(n, arrow_type(*k), !(combine && n == SHEET_COLUMN))).collect::<Vec<_>>(),
    )))
}

/// Survey only (a column was widened): learn from `row` every column's final kind, in `wid`.
#[inline]
fn survey_row(row: &Row, map: &HashMap<u32, usize>, kinds: &[Kind], errors: ErrorCells, wid: &mut HashMap<u32, Kind>) {
    for (c, v) in row {
        let base = map.get(c).map_or(Kind::Null, |&i| kinds[i]);
        let k = v.kind(errors);
        let cur = wid.get(c).copied().unwrap_or(base);
        let m = cur.merge(k);
        if m != base || !map.contains_key(c) {
            wid.insert(*c, m);
        }
    }
}

/// Append the cells of `row` to the builders; the error cells read as null, and whether a
/// value did not fit its column (or has none): its column's wider kind is then in `wid`.
#[inline]
fn append_row(
    batcher: &mut Batcher,
    row: &Row,
    map: &HashMap<u32, usize>,
    kinds: &[Kind],
    errors: ErrorCells,
    wid: &mut HashMap<u32, Kind>,
) -> (u64, bool) {
    let (mut error_cells, mut widened) = (0u64, false);
    for (c, v) in row {
        let Some(&idx) = map.get(c) else {
            wid.insert(*c, v.kind(errors));
            widened = true;
            continue;
        };
        match batcher.builders[idx].append(v, errors) {
            Ok(true) => error_cells += 1,
            Ok(false) => {}
            Err(m) => {
                let k = kinds[idx].merge(m.0);
                wid.insert(*c, k);
                widened = true;
            }
        }
    }
    (error_cells, widened)
}

/// Record that `sheet` stores rows out of order (the next read sorts them), and the error that
/// asks for that read.
fn read_sorted_next_time(shared: &Shared, sheet: &str, path: PathBuf) -> Error {
    shared.learnt.lock().expect("learnt lock").entry(sheet.to_string()).or_default().sorted = true;
    Error::SchemaWidened { path, reason: format!("sheet {sheet:?} stores rows out of order; reading it sorted") }
}

/// Record the wider kinds found (`widened`, per sheet) for the next read, and the error that
/// asks for it.
fn record_widened(shared: &Shared, sheets: &[String], widened: &[HashMap<u32, Kind>], path: PathBuf) -> Error {
    let mut learnt = shared.learnt.lock().expect("learnt lock");
    let mut reasons = Vec::new();
    for (si, sheet) in sheets.iter().enumerate() {
        let l = learnt.entry(sheet.clone()).or_default();
        for (c, k) in &widened[si] {
            let e = l.kinds.entry(*c).or_insert(Kind::Null);
            *e = e.merge(*k);
            if reasons.len() < 3 {
                reasons.push(format!(
                    "column {} of {sheet:?} holds {} values",
                    super::workbook::column_letters(*c),
                    k.name()
                ));
            }
        }
    }
    Error::SchemaWidened { path, reason: reasons.join(", ") }
}

/// Record the table's facts for `info` and the manifest; `header_plan` is the sheet's plan
/// when the table is one sheet (not `--combine`).
fn record_stats(shared: &Shared, table: &str, rows_total: u64, error_cells: u64, header_plan: Option<&SheetPlan>) {
    let mut stats = BTreeMap::new();
    stats.insert("rows".to_string(), rows_total.into());
    if error_cells > 0 {
        stats.insert("error_cells_as_null".to_string(), error_cells.into());
    }
    if let Some(plan) = header_plan {
        if let Some(h) = plan.header_row {
            stats.insert("header_row".to_string(), (h as u64 + 1).into());
        }
        if plan.skipped_rows > 0 {
            stats.insert("rows_above_header_skipped".to_string(), plan.skipped_rows.into());
        }
    }
    shared.stats.lock().expect("stats lock").insert(table.to_string(), stats);
}
