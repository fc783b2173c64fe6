//! What a table will look like: where its header is, its columns' names and kinds. Settled
//! from a sample of the first rows, and widened (never narrowed) when later rows disagree.

use std::collections::BTreeMap;

use super::rows::Row;
use super::values::{ErrorCells, Kind, Val};
use super::workbook::column_letters;
use crate::column_names::unique_column_names;

/// How the header row is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderMode {
    /// The first non-empty row, if most of its cells are text.
    Auto,
    /// The first non-empty row, whatever it holds.
    First,
    /// This 0-based sheet row; rows above it are skipped.
    Row(u32),
    /// No header: every non-empty row is data, columns are named by their letters.
    None,
}

/// What earlier reads of a sheet learnt (kept across re-reads so each read starts wider).
#[derive(Debug, Clone, Default)]
pub struct Learnt {
    /// Kinds by 0-based sheet column.
    pub kinds: BTreeMap<u32, Kind>,
    /// The file stores rows out of order: read the sheet sorted.
    pub sorted: bool,
}

/// The settled layout of one sheet.
#[derive(Debug, Clone)]
pub struct SheetPlan {
    pub sheet: String,
    /// 0-based sheet row of the header, if any.
    pub header_row: Option<u32>,
    /// Rows before this 0-based sheet row are not data (the header and what is above it).
    pub first_data_row: u32,
    /// Columns: 0-based sheet column, name, kind; in sheet order.
    pub columns: Vec<(u32, String, Kind)>,
    /// Rows above an explicit header row that held cells (not converted).
    pub skipped_rows: u64,
}

/// Collects the header and the sample while rows stream past.
pub struct Sampler {
    mode: HeaderMode,
    errors: ErrorCells,
    header: Option<(u32, BTreeMap<u32, String>)>,
    decided: bool,
    first_data_row: u32,
    kinds: BTreeMap<u32, Kind>,
    pub sampled: usize,
    skipped_rows: u64,
}

/// True when most of the row's cells are text.
fn mostly_text(row: &Row) -> bool {
    let text = row.iter().filter(|(_, v)| matches!(v, Val::Text(_))).count();
    text * 2 > row.len()
}

impl Sampler {
    pub fn new(mode: HeaderMode, errors: ErrorCells) -> Self {
        Sampler {
            mode,
            errors,
            header: None,
            decided: false,
            first_data_row: 0,
            kinds: BTreeMap::new(),
            sampled: 0,
            skipped_rows: 0,
        }
    }

    /// Feed the next row (rows come in order).
    pub fn row(&mut self, r: u32, row: &Row) {
        if !self.decided {
            let is_header = match self.mode {
                HeaderMode::Auto => mostly_text(row),
                HeaderMode::First => true,
                HeaderMode::Row(h) => {
                    if r < h {
                        self.skipped_rows += 1;
                        return;
                    }
                    r == h
                }
                HeaderMode::None => false,
            };
            self.decided = true;
            if is_header {
                let names = row.iter().filter_map(|(c, v)| v.render().map(|s| (*c, s.trim().to_string()))).collect();
                self.header = Some((r, names));
                self.first_data_row = r + 1;
                return;
            }
            self.first_data_row = match self.mode {
                HeaderMode::Row(h) => h + 1,
                _ => 0,
            };
            if let HeaderMode::Row(h) = self.mode {
                // The header row itself is empty: its columns have no names.
                self.header = Some((h, BTreeMap::new()));
            }
        }
        self.sampled += 1;
        for (c, v) in row {
            let k = v.kind(self.errors);
            let e = self.kinds.entry(*c).or_insert(Kind::Null);
            *e = e.merge(k);
        }
    }

    /// The plan: the sample's columns and kinds, widened by what earlier reads learnt.
    pub fn finish(self, sheet: &str, learnt: &Learnt, strings_only: bool) -> SheetPlan {
        let mut kinds = self.kinds;
        for (c, k) in &learnt.kinds {
            let e = kinds.entry(*c).or_insert(Kind::Null);
            *e = e.merge(*k);
        }
        let header_names = self.header.as_ref().map(|(_, n)| n.clone()).unwrap_or_default();
        for c in header_names.keys() {
            kinds.entry(*c).or_insert(Kind::Null);
        }
        let cols: Vec<u32> = kinds.keys().copied().collect();
        let raw: Vec<String> = cols
            .iter()
            .map(|c| match header_names.get(c) {
                Some(n) if !n.is_empty() => n.clone(),
                _ => column_letters(*c),
            })
            .collect();
        let names = unique_column_names(raw);
        let columns = cols
            .iter()
            .zip(names)
            .map(|(c, n)| {
                let k = kinds[c];
                (*c, n, if strings_only && k != Kind::Null { Kind::String } else { k })
            })
            .collect();
        let header_row = self.header.map(|(r, _)| r);
        let first_data_row = match self.mode {
            HeaderMode::Row(h) => h + 1,
            _ => self.first_data_row,
        };
        SheetPlan { sheet: sheet.to_string(), header_row, first_data_row, columns, skipped_rows: self.skipped_rows }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn t(s: &str) -> Val<'static> {
        Val::Text(Cow::Owned(s.to_string()))
    }

    #[test]
    fn auto_header_and_blank_names() {
        let mut s = Sampler::new(HeaderMode::Auto, ErrorCells::Null);
        s.row(2, &[(1, t("id")), (3, t("name"))]);
        s.row(3, &[(1, Val::Float(1.0)), (2, Val::Float(2.5)), (3, t("x"))]);
        let p = s.finish("S", &Learnt::default(), false);
        assert_eq!(p.header_row, Some(2));
        assert_eq!(p.first_data_row, 3);
        let names: Vec<_> = p.columns.iter().map(|c| (c.0, c.1.as_str(), c.2)).collect();
        assert_eq!(names, [(1, "id", Kind::Int), (2, "C", Kind::Float), (3, "name", Kind::String)]);
    }

    #[test]
    fn numeric_first_row_is_data() {
        let mut s = Sampler::new(HeaderMode::Auto, ErrorCells::Null);
        s.row(0, &[(0, Val::Float(1.0)), (1, t("a"))]);
        let p = s.finish("S", &Learnt::default(), false);
        assert_eq!(p.header_row, None);
        assert_eq!(p.columns[0].1, "A");
        assert_eq!(p.columns[1].1, "B");
    }
}
