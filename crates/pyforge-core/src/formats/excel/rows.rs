//! Cells grouped into rows, in row order, with merged regions optionally filled.

use std::ops::ControlFlow;

use calamine::Dimensions;

use super::values::{decode, Val};
use super::workbook::Workbook;
use crate::error::Result;

/// Merged regions larger than this many cells are not filled (a region covering a whole sheet
/// would otherwise create millions of cells from one).
pub const MAX_FILL_CELLS: u64 = 1_000_000;

/// How a walk over a sheet ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalkEnd {
    /// Every row was seen (or the row callback stopped the walk).
    Done,
    /// The file stores rows out of order: walk again with `sorted`.
    OutOfOrder,
}

/// One sheet row: its 0-based index and its non-empty cells as (column, value), by column.
pub type Row<'w> = [(u32, Val<'w>)];

struct Filler<'w> {
    /// Regions not yet reached, by start row.
    pending: Vec<Dimensions>,
    /// Regions whose top-left value is known.
    active: Vec<(Dimensions, Val<'w>)>,
}

impl<'w> Filler<'w> {
    fn new(mut regions: Vec<Dimensions>) -> Self {
        regions.retain(|d| d.len() > 1 && d.len() <= MAX_FILL_CELLS && d.end.0 >= d.start.0 && d.end.1 >= d.start.1);
        regions.sort_by_key(|d| std::cmp::Reverse(d.start));
        Filler { pending: regions, active: Vec::new() }
    }

    /// The next row after `row` that an active region covers, if any.
    fn next_covered(&self, after: Option<u32>) -> Option<u32> {
        let from = after.map_or(0, |r| r + 1);
        self.active.iter().filter(|(d, _)| d.end.0 >= from).map(|(d, _)| d.start.0.max(from)).min()
    }

    /// Add region values to `row` (index `r`).
    fn fill(&mut self, r: u32, cells: &mut Vec<(u32, Val<'w>)>) {
        // Regions starting on this row take their value from their top-left cell.
        while let Some(d) = self.pending.last() {
            if d.start.0 > r {
                break;
            }
            let d = self.pending.pop().expect("checked");
            if d.start.0 == r {
                if let Some((_, v)) = cells.iter().find(|(c, _)| *c == d.start.1) {
                    self.active.push((d, v.clone()));
                }
            }
        }
        self.active.retain(|(d, _)| d.end.0 >= r);
        let mut added = false;
        for (d, v) in &self.active {
            if d.start.0 > r {
                continue;
            }
            for c in d.start.1..=d.end.1 {
                if !cells.iter().any(|(cc, _)| *cc == c) {
                    cells.push((c, v.clone()));
                    added = true;
                }
            }
        }
        if added {
            cells.sort_by_key(|(c, _)| *c);
        }
    }
}

/// Walk the rows of `sheet`, calling `on_row` for each row that holds at least one cell.
pub fn walk_rows<'w>(
    wb: &'w mut Workbook,
    sheet: &str,
    sorted: bool,
    merged: Option<Vec<Dimensions>>,
    mut on_row: impl FnMut(u32, &Row<'w>) -> Result<ControlFlow<()>>,
) -> Result<WalkEnd> {
    let is_1904 = wb.is_1904;
    let mut filler = merged.map(Filler::new);
    let mut cur: Option<u32> = None;
    let mut cells: Vec<(u32, Val<'w>)> = Vec::new();
    let mut out_of_order = false;
    let mut stopped = false;

    let mut last_emitted: Option<u32> = None;
    wb.for_each_cell(sheet, sorted, |r, c, d| {
        let v = decode(&d, is_1904);
        if v.is_empty() {
            return Ok(ControlFlow::Continue(()));
        }
        match cur {
            Some(cr) if cr == r => {}
            Some(cr) => {
                if r < cr {
                    out_of_order = true;
                    return Ok(ControlFlow::Break(()));
                }
                if flush_row(cr, &mut cells, &mut filler, &mut last_emitted, &mut on_row)?.is_break() {
                    stopped = true;
                    return Ok(ControlFlow::Break(()));
                }
                cells.clear();
                cur = Some(r);
            }
            None => cur = Some(r),
        }
        cells.push((c, v));
        Ok(ControlFlow::Continue(()))
    })?;
    if out_of_order {
        return Ok(WalkEnd::OutOfOrder);
    }
    if stopped {
        return Ok(WalkEnd::Done);
    }
    if let Some(cr) = cur {
        if flush_row(cr, &mut cells, &mut filler, &mut last_emitted, &mut on_row)?.is_break() {
            return Ok(WalkEnd::Done);
        }
    }
    // Rows below the last cell that merged regions still cover.
    if let Some(f) = filler.as_mut() {
        while let Some(g) = f.next_covered(last_emitted) {
            let mut gap = Vec::new();
            f.fill(g, &mut gap);
            last_emitted = Some(g);
            if !gap.is_empty() && on_row(g, &gap)?.is_break() {
                break;
            }
        }
    }
    Ok(WalkEnd::Done)
}

/// Finish row `r` (its `cells`), first emitting the rows before it that only merged regions
/// cover; `last` is the last row emitted.
fn flush_row<'w>(
    r: u32,
    cells: &mut Vec<(u32, Val<'w>)>,
    filler: &mut Option<Filler<'w>>,
    last: &mut Option<u32>,
    on_row: &mut impl FnMut(u32, &Row<'w>) -> Result<ControlFlow<()>>,
) -> Result<ControlFlow<()>> {
    if let Some(f) = filler.as_mut() {
        while let Some(g) = f.next_covered(*last) {
            if g >= r {
                break;
            }
            let mut gap = Vec::new();
            f.fill(g, &mut gap);
            *last = Some(g);
            if !gap.is_empty() && on_row(g, &gap)?.is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
        f.fill(r, cells);
    }
    if !cells.windows(2).all(|w| w[0].0 < w[1].0) {
        // Cells out of column order, or one cell stored twice (the last one wins).
        cells.reverse();
        cells.sort_by_key(|(c, _)| *c);
        cells.dedup_by_key(|(c, _)| *c);
    }
    *last = Some(r);
    on_row(r, cells)
}
