//! Streaming one table as Arrow record batches.

use std::path::PathBuf;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use jetdb::{ColumnType, PageReader, RowPosition, TableRows, Value};

use super::catalog::AccessTable;
use super::guard::{calculated_result_is_empty, fixed_text, RawRows};
use super::schema::ColumnKind;
use super::values::ColumnBuilder;
use crate::error::{Error, Result};
use crate::source::TableStream;

/// Rows per batch.
const BATCH_ROWS: usize = 65_536;
/// A batch is also cut when its values reach this many bytes (long memos, OLE objects), so
/// memory stays bounded and Arrow's 32-bit offsets never overflow.
const BATCH_BYTES: usize = 256 << 20;

/// The rows of one table (or of a run of its data pages), read with a reader of its own.
pub struct AccessStream {
    path: PathBuf,
    reader: PageReader,
    table: Arc<AccessTable>,
    raw: RawRows,
    builders: Vec<ColumnBuilder>,
    /// Where the next batch starts.
    position: RowPosition,
    /// Index (in the table's data pages) where this stream stops.
    end_page: u32,
    /// Rows delivered so far (for error messages: 1-based row numbers).
    rows: u64,
    /// The stream starts at the table's first row, so row numbers are the table's.
    numbered: bool,
    done: bool,
}

impl AccessStream {
    /// A stream over `table` read with `reader` (opened for this stream only).
    pub fn new(path: PathBuf, reader: PageReader, table: Arc<AccessTable>) -> Self {
        let builders = table.schema.fields().iter().map(|f| ColumnBuilder::new(f.data_type())).collect();
        let raw = RawRows::new(&reader);
        let end_page = table.def.data_pages.len() as u32;
        AccessStream { path, reader, table, raw, builders, position: RowPosition::default(), end_page, rows: 0, numbered: true, done: false }
    }

    /// A stream over the rows whose slots are on data pages `start..end` (indexes into the
    /// table's data pages).
    pub fn pages(path: PathBuf, reader: PageReader, table: Arc<AccessTable>, start: u32, end: u32) -> Self {
        let mut s = AccessStream::new(path, reader, table);
        s.position = RowPosition { page: start, row: 0 };
        s.end_page = end;
        s.numbered = start == 0;
        s
    }

    /// The reader back, for the next run of pages.
    pub fn into_reader(self) -> PageReader {
        self.reader
    }

    fn error(&self, row: Option<u64>, message: String) -> Error {
        if self.numbered {
            return Error::invalid(&self.path, row, message).with_table(&self.table.name);
        }
        // Row numbers are not known past the first run of pages: name the data page instead.
        let page = self.table.def.data_pages.get(self.position.page as usize).copied().unwrap_or(0);
        Error::invalid(&self.path, None, format!("a row at or after data page {page}: {message}")).with_table(&self.table.name)
    }

    fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        let table = self.table.clone();
        let mut rows = TableRows::new(&table.def, &table.calculated).starting_at(self.position);
        let (mut n, mut bytes) = (0usize, 0usize);
        while n < BATCH_ROWS && bytes < BATCH_BYTES {
            let next = rows.next_row(&mut self.reader);
            if rows.skipped_rows() > 0 {
                let page = table.def.data_pages.get(rows.position().page as usize).copied().unwrap_or(0);
                return Err(self.error(
                    Some(self.rows + 1),
                    format!("a row on data page {page} cannot be decoded (its bytes are inconsistent); refusing to drop it silently"),
                ));
            }
            let row = match next {
                Ok(Some(r)) if r.position.page >= self.end_page => {
                    // The first row of the next run of pages: another stream reads it.
                    self.done = true;
                    break;
                }
                Ok(Some(r)) => r,
                Ok(None) => {
                    self.done = true;
                    break;
                }
                Err(e) => return Err(self.error(Some(self.rows + 1), format!("data page cannot be read: {e}"))),
            };
            self.rows += 1;
            let mut values = row.values;
            for (ci, col) in table.columns.iter().enumerate() {
                let def = &table.def.columns[col.index];
                let v = std::mem::replace(&mut values[col.index], Value::Null);
                let added = match (&col.kind, v) {
                    (ColumnKind::Complex(_, complex), Value::Long(id)) => {
                        let vals = complex
                            .values(&mut self.reader, id)
                            .map_err(|e| self.error(Some(self.rows), format!("column {:?}: complex values cannot be read: {e}", def.name)))?;
                        self.builders[ci].append_complex(vals)
                    }
                    (ColumnKind::Plain(t), Value::Null) if *t != ColumnType::Boolean || !def.is_fixed => {
                        match self.recover_null(&table, col.index, row.position)? {
                            Some(v) => self.builders[ci].append(v),
                            None => {
                                self.builders[ci].append_null();
                                Ok(0)
                            }
                        }
                    }
                    (_, v) => self.builders[ci].append(v),
                };
                bytes += added.map_err(|m| self.error(Some(self.rows), format!("column {:?}: {m}", def.name)))?;
            }
            n += 1;
        }
        self.position = rows.position();
        if n == 0 {
            return Ok(None);
        }
        let arrays = self.builders.iter_mut().map(ColumnBuilder::finish).collect();
        RecordBatch::try_new(table.schema.clone(), arrays).map(Some).map_err(|e| Error::arrow(&self.path, e))
    }

    /// jetdb gave NULL for column `index` of the row at `pos`: confirm it with the row's null
    /// mask. `Ok(None)`: truly NULL. `Ok(Some(v))`: the value, read from the raw row. `Err`: the
    /// value is present but cannot be read.
    fn recover_null(&mut self, table: &AccessTable, index: usize, pos: RowPosition) -> Result<Option<Value>> {
        let col = &table.def.columns[index];
        let row_no = Some(self.rows);
        let encoding = self.reader.text_encoding();
        let raw = match self.raw.row(&mut self.reader, &table.def, pos) {
            Ok(r) => r,
            Err(e) => return Err(Error::invalid(&self.path, row_no, format!("column {:?}: row cannot be re-read: {e}", col.name)).with_table(&table.name)),
        };
        let fail = |m: String| Err(Error::invalid(&self.path, row_no, format!("column {:?}: {m}", col.name)).with_table(&table.name));
        match raw.present(col.col_num) {
            Some(false) => Ok(None),
            None => fail("the row's null mask cannot be read".into()),
            Some(true) if col.is_fixed && col.col_type == ColumnType::Text => match raw.fixed(col) {
                Some(bytes) => fixed_text(bytes, encoding).map(|s| Some(Value::Text(s))).or_else(fail),
                None => fail("fixed-length text lies outside the row".into()),
            },
            Some(true) if col.is_calculated && !table.calculated.contains_key(&col.name.to_ascii_lowercase()) => {
                fail("calculated column whose result type is not recorded in the database; its stored value cannot be decoded".into())
            }
            Some(true) if col.is_calculated && !col.is_fixed => match raw.var_data(col.var_col_num) {
                Some(data) if calculated_result_is_empty(data) => Ok(None),
                _ => fail("the stored result of this calculated column cannot be decoded".into()),
            },
            Some(true) if matches!(col.col_type, ColumnType::Memo | ColumnType::Ole) => {
                fail("the long value (memo/OLE) is marked present but its data pages cannot be read".into())
            }
            Some(true) => fail(format!("the value is marked present in the row but cannot be decoded (type {:?})", col.col_type)),
        }
    }
}

impl Iterator for AccessStream {
    type Item = Result<RecordBatch>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let (path, table) = (self.path.clone(), self.table.name.clone());
        match super::guarded(&path, "reading rows", || self.next_batch()).map_err(|e| e.with_table(&table)) {
            Ok(Some(b)) => Some(Ok(b)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

impl TableStream for AccessStream {
    fn schema(&self) -> SchemaRef {
        self.table.schema.clone()
    }
}
