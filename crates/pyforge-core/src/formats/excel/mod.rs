//! Excel and OpenDocument spreadsheets (`.xlsx .xlsm .xlsb .xls .ods`), read with calamine.
//!
//! One table per sheet (or every sheet stacked into one with `--combine`). The header row is
//! found (the first non-empty row, if most of its cells are text), given (`--header-row N`) or
//! absent (`--no-header`: columns are named by their letters). Columns span the sheet columns
//! that hold a cell, so a blank header cell or an empty leading column never shifts data; rows
//! without any cell are not data. Each column's type is merged over all its cells; a column of
//! mixed kinds becomes text with every value rendered faithfully.
//!
//! Modules: [`workbook`] opens files and walks cells, [`rows`] groups them into rows (filling
//! merged regions on request), [`values`] decodes a cell, [`plan`] settles header and types,
//! [`build`] makes Arrow arrays, [`stream`] runs a table's read on a worker thread.

pub mod build;
pub mod plan;
pub mod rows;
pub mod stream;
pub mod values;
pub mod workbook;

use std::collections::{BTreeMap, HashMap};
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::{Arc, Mutex};

use self::plan::HeaderMode;
use self::stream::{Shared, SheetOptions};
use self::values::ErrorCells;
use self::workbook::{SheetMeta, Workbook};
use crate::error::{Error, Result};
use crate::format::Format;
use crate::options::{InferTypes, ReadOptions};
use crate::source::{BoxedStream, Source, TableInfo};

/// The spreadsheet format.
pub struct ExcelFormat;

const CFB_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const ODS_MIMETYPE: &[u8] = b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet";

impl Format for ExcelFormat {
    fn name(&self) -> &'static str {
        "excel"
    }
    fn description(&self) -> &'static str {
        "Excel and OpenDocument spreadsheets: one table per sheet, typed columns, header found or given"
    }
    fn extensions(&self) -> &'static [&'static str] {
        &["xlsx", "xlsm", "xltx", "xltm", "xlam", "xlsb", "xls", "xla", "ods", "ots"]
    }
    fn sniff(&self, head: &[u8]) -> bool {
        // OLE2 compound files (.xls; other OLE2 documents get a clear error when opened) and
        // zips whose first entry declares an OpenDocument spreadsheet.
        head.starts_with(CFB_MAGIC)
            || (head.starts_with(b"PK\x03\x04") && head.len() > 30 && head[30..].starts_with(ODS_MIMETYPE))
    }
    fn open(&self, path: &Path, options: &ReadOptions) -> Result<Box<dyn Source>> {
        Ok(Box::new(ExcelSource::open(path, options)?))
    }
}

/// How `--errors` reads error cells.
pub fn parse_error_mode(s: &str) -> Result<bool> {
    match s {
        "null" => Ok(false),
        "text" => Ok(true),
        other => Err(Error::InvalidOption(format!("--errors must be null or text, not {other:?}"))),
    }
}

/// An opened workbook.
pub struct ExcelSource {
    shared: Arc<Shared>,
    container: &'static str,
    is_1904: bool,
    sheets: Vec<SheetMeta>,
    /// Sheets that hold at least one cell, in workbook order.
    tables: Vec<String>,
    empty: Vec<String>,
    combine: bool,
    combined_name: String,
    opts: SheetOptions,
    fill_unsupported: bool,
}

impl ExcelSource {
    /// Open `path` and list its sheets (and which are empty).
    pub fn open(path: &Path, options: &ReadOptions) -> Result<Self> {
        let header = match (options.excel_header_row, options.header) {
            (Some(0), _) => return Err(Error::InvalidOption("--header-row counts from 1".into())),
            (Some(n), Some(false)) => {
                return Err(Error::InvalidOption(format!("--header-row {n} and --no-header contradict each other")))
            }
            (Some(n), _) => HeaderMode::Row(n - 1),
            (None, Some(false)) => HeaderMode::None,
            (None, Some(true)) => HeaderMode::First,
            (None, None) => HeaderMode::Auto,
        };
        let opts = SheetOptions {
            header,
            errors: if options.excel_errors_as_text { ErrorCells::Text } else { ErrorCells::Null },
            fill_merged: options.excel_fill_merged,
            strings_only: options.infer_types == InferTypes::No,
        };
        // calamine trusts some record lengths of damaged files (a formula's token length
        // slices past its record, found by fuzzing): a panic while parsing becomes an error.
        let probe = || -> Result<_> {
            let mut wb = Workbook::open(path)?;
            let sheets = wb.sheets.clone();
            let mut tables = Vec::new();
            let mut empty = Vec::new();
            for s in sheets.iter().filter(|s| s.has_cells()) {
                let mut any = false;
                wb.for_each_cell(&s.name, false, |_, _, _| {
                    any = true;
                    Ok(ControlFlow::Break(()))
                })
                .map_err(|e| e.with_table(&s.name))?;
                if any {
                    tables.push(s.name.clone());
                } else {
                    empty.push(s.name.clone());
                }
            }
            Ok((wb, sheets, tables, empty))
        };
        let (wb, sheets, mut tables, empty) = crate::panic_guard::catch(probe).unwrap_or_else(|why| {
            Err(Error::invalid(
                path,
                None,
                format!("damaged workbook: the spreadsheet parser failed while opening it ({why})"),
            ))
        })?;
        if options.excel_combine {
            tables = combine_selection(path, &sheets, tables, options)?;
        }
        let combined_name =
            path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "sheets".into());
        Ok(ExcelSource {
            container: wb.container,
            is_1904: wb.is_1904,
            fill_unsupported: options.excel_fill_merged && !wb.knows_merged_regions(),
            shared: Arc::new(Shared {
                path: path.to_path_buf(),
                wait_for_book: matches!(wb.container, "xls" | "ods"),
                book: Mutex::new(Some(wb)),
                returned: std::sync::Condvar::new(),
                learnt: Mutex::new(HashMap::new()),
                stats: Mutex::new(HashMap::new()),
            }),
            sheets,
            tables,
            empty,
            combine: options.excel_combine,
            combined_name,
            opts,
        })
    }
}

/// The sheets `--combine` stacks: those named by `--sheets` (in workbook order), less those
/// named by `--exclude-sheets`. Every name must be a sheet of the workbook.
fn combine_selection(
    path: &Path,
    sheets: &[SheetMeta],
    with_cells: Vec<String>,
    options: &ReadOptions,
) -> Result<Vec<String>> {
    let named = options.excel_combine_only.iter().flatten().chain(&options.excel_combine_exclude);
    for name in named {
        if !sheets.iter().any(|s| &s.name == name) {
            return Err(Error::NoSuchTable {
                path: path.to_path_buf(),
                wanted: name.clone(),
                available: sheets.iter().map(|s| s.name.clone()).collect(),
            });
        }
    }
    Ok(with_cells
        .into_iter()
        .filter(|t| options.excel_combine_only.as_ref().is_none_or(|only| only.contains(t)))
        .filter(|t| !options.excel_combine_exclude.contains(t))
        .collect())
}

impl Source for ExcelSource {
    fn format_name(&self) -> &'static str {
        "excel"
    }

    fn details(&self) -> BTreeMap<String, serde_json::Value> {
        let mut m = BTreeMap::new();
        m.insert("container".into(), self.container.into());
        m.insert("date_system".into(), (if self.is_1904 { "1904" } else { "1900" }).into());
        m.insert("sheets".into(), self.sheets.len().into());
        let hidden: Vec<&str> =
            self.sheets.iter().filter(|s| s.visibility != "visible").map(|s| s.name.as_str()).collect();
        if !hidden.is_empty() {
            m.insert("hidden_sheets".into(), hidden.into());
        }
        if !self.empty.is_empty() {
            m.insert("empty_sheets".into(), self.empty.clone().into());
        }
        let other: Vec<String> =
            self.sheets.iter().filter(|s| !s.has_cells()).map(|s| format!("{} ({})", s.name, s.kind)).collect();
        if !other.is_empty() {
            m.insert("sheets_without_cells".into(), other.into());
        }
        if self.combine {
            m.insert("combined".into(), true.into());
        }
        if self.fill_unsupported {
            m.insert(
                "fill_merged".into(),
                format!("not available for .{} files (merged regions are not read)", self.container).into(),
            );
        }
        m
    }

    fn tables(&self) -> Result<Vec<TableInfo>> {
        let stats = self.shared.stats.lock().expect("stats lock");
        if self.combine {
            let mut details: BTreeMap<String, serde_json::Value> =
                stats.get(&self.combined_name).cloned().unwrap_or_default();
            details.insert("sheets".into(), self.tables.clone().into());
            return Ok(vec![TableInfo { name: self.combined_name.clone(), rows: None, columns: Vec::new(), details }]);
        }
        Ok(self
            .tables
            .iter()
            .map(|name| {
                let meta = self.sheets.iter().find(|s| &s.name == name).expect("listed sheet");
                let mut details: BTreeMap<String, serde_json::Value> = stats.get(name).cloned().unwrap_or_default();
                details.remove("rows");
                details.insert("visibility".into(), meta.visibility.into());
                if meta.visibility != "visible" {
                    details.insert("hidden".into(), true.into());
                }
                TableInfo { name: name.clone(), rows: None, columns: Vec::new(), details }
            })
            .collect())
    }

    fn open_table(&self, name: &str) -> Result<BoxedStream> {
        let (sheets, combine) = if self.combine && name == self.combined_name {
            (self.tables.clone(), true)
        } else if !self.combine && self.tables.iter().any(|t| t == name) {
            (vec![name.to_string()], false)
        } else {
            let available = if self.combine { vec![self.combined_name.clone()] } else { self.tables.clone() };
            return Err(Error::NoSuchTable { path: self.shared.path.clone(), wanted: name.into(), available });
        };
        Ok(Box::new(stream::open(self.shared.clone(), name.to_string(), sheets, combine, self.opts)?))
    }
}
