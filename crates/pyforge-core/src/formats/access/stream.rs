//! Streaming one table as Arrow record batches.

use std::path::PathBuf;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use jetdb::{ColumnType, PageReader, RowPosition, TableRows, Value};

use super::catalog::AccessTable;
use super::fast::{Decoded, FastPlan, Scratch};
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
    /// The fast row decoder, when it reads this table ([`FastPlan::new`]).
    fast: Option<FastPlan>,
    scratch: Scratch,
    /// The data page the fast path is reading (index into the table's data pages) and its bytes.
    page_index: Option<u32>,
    page: Vec<u8>,
    /// Rows the fast path decoded, and rows it handed to jetdb (for tests).
    fast_rows: u64,
    slow_rows: u64,
}

impl AccessStream {
    /// A stream over `table` read with `reader` (opened for this stream only).
    pub fn new(path: PathBuf, reader: PageReader, table: Arc<AccessTable>) -> Self {
        let builders = table.schema.fields().iter().map(|f| ColumnBuilder::new(f.data_type())).collect();
        let raw = RawRows::new(&reader);
        let end_page = table.def.data_pages.len() as u32;
        let fast = FastPlan::new(&table, &reader);
        AccessStream {
            path,
            reader,
            table,
            raw,
            builders,
            position: RowPosition::default(),
            end_page,
            rows: 0,
            numbered: true,
            done: false,
            fast,
            scratch: Scratch::default(),
            page_index: None,
            page: Vec::new(),
            fast_rows: 0,
            slow_rows: 0,
        }
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

    #[cfg(test)]
    /// The same stream read by jetdb alone, without the fast row decoder (to check one against
    /// the other).
    pub fn without_fast_path(mut self) -> Self {
        self.fast = None;
        self
    }

    #[cfg(test)]
    /// Whether the fast row decoder reads this table.
    pub fn uses_fast_path(&self) -> bool {
        self.fast.is_some()
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
        Error::invalid(&self.path, None, format!("a row at or after data page {page}: {message}"))
            .with_table(&self.table.name)
    }

    fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        if self.fast.is_some() {
            return self.next_batch_fast();
        }
        let table = self.table.clone();
        let mut rows = TableRows::new(&table.def, &table.calculated).starting_at(self.position);
        let (mut n, mut bytes) = (0usize, 0usize);
        while n < BATCH_ROWS && bytes < BATCH_BYTES {
            let next = rows.next_row(&mut self.reader);
            if rows.skipped_rows() > 0 {
                return Err(self.unreadable_row(rows.position()));
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
            bytes += self.append_jetdb_row(&table, row.values, row.position)?;
            n += 1;
        }
        self.position = rows.position();
        self.finish_batch(n)
    }

    /// The error for a row jetdb passed over because it cannot decode it.
    fn unreadable_row(&self, at: RowPosition) -> Error {
        let page = self.table.def.data_pages.get(at.page as usize).copied().unwrap_or(0);
        self.error(
            Some(self.rows + 1),
            format!("a row on data page {page} cannot be decoded (its bytes are inconsistent); refusing to drop it silently"),
        )
    }

    /// The batch of the `n` rows in the builders, if any.
    fn finish_batch(&mut self, n: usize) -> Result<Option<RecordBatch>> {
        if n == 0 {
            return Ok(None);
        }
        let arrays = self.builders.iter_mut().map(ColumnBuilder::finish).collect();
        RecordBatch::try_new(self.table.schema.clone(), arrays).map(Some).map_err(|e| Error::arrow(&self.path, e))
    }

    /// The next batch read by the fast path ([`FastPlan`]): a data page at a time, each row
    /// decoded from its bytes, the rows it cannot decode with certainty read by jetdb.
    fn next_batch_fast(&mut self) -> Result<Option<RecordBatch>> {
        let table = self.table.clone();
        let plan = self.fast.take().expect("fast plan");
        let (mut n, mut bytes) = (0usize, 0usize);
        let result = loop {
            if n >= BATCH_ROWS || bytes >= BATCH_BYTES {
                break Ok(());
            }
            let pos = self.position;
            if pos.page >= self.end_page {
                self.done = true;
                break Ok(());
            }
            let Some(&page_num) = table.def.data_pages.get(pos.page as usize) else {
                self.done = true;
                break Ok(());
            };
            if self.page_index != Some(pos.page) {
                self.page.clear();
                match self.reader.read_page(page_num) {
                    Ok(p) => self.page.extend_from_slice(p),
                    Err(e) => break Err(self.error(Some(self.rows + 1), format!("data page cannot be read: {e}"))),
                }
                self.page_index = Some(pos.page);
            }
            if pos.row >= plan.row_count(&self.page) {
                self.position = RowPosition { page: pos.page + 1, row: 0 };
                continue;
            }
            self.position.row += 1;
            if plan.is_deleted(&self.page, pos.row) {
                continue;
            }
            match plan.decode(&mut self.reader, &self.page, page_num, pos.row, &mut self.builders, &mut self.scratch) {
                Decoded::Appended(added) => {
                    self.rows += 1;
                    self.fast_rows += 1;
                    bytes += added;
                    n += 1;
                }
                Decoded::Slow => match self.slow_row(&table, &plan, pos) {
                    Ok(Some(added)) => {
                        self.slow_rows += 1;
                        bytes += added;
                        n += 1;
                    }
                    Ok(None) => {}
                    Err(e) => break Err(e),
                },
            }
        };
        self.fast = Some(plan);
        result?;
        self.finish_batch(n)
    }

    /// Read the row in slot `pos` with jetdb, exactly as its own row iteration would: `None`
    /// when jetdb passes over the slot (a lookup pointer to a row that is not there), an error
    /// when it cannot decode the row, else the payload bytes appended.
    fn slow_row(&mut self, table: &AccessTable, plan: &FastPlan, pos: RowPosition) -> Result<Option<usize>> {
        let page_num = table.def.data_pages[pos.page as usize];
        if plan.is_stale_lookup(&self.page, page_num, pos.row) {
            return Ok(None);
        }
        let mut rows = TableRows::new(&table.def, &table.calculated).starting_at(pos);
        match rows.next_row(&mut self.reader) {
            Ok(Some(row)) if row.position == pos => {
                self.rows += 1;
                self.append_jetdb_row(table, row.values, pos).map(Some)
            }
            // jetdb passed over this slot although it holds a row: it cannot decode it.
            Ok(_) => Err(self.unreadable_row(pos)),
            Err(e) => Err(self.error(Some(self.rows + 1), format!("data page cannot be read: {e}"))),
        }
    }

    /// Append one row decoded by jetdb (`values` in the order of the table definition's
    /// columns), checking every NULL against the row's null mask; the payload bytes added.
    fn append_jetdb_row(
        &mut self,
        table: &AccessTable,
        mut values: Vec<Value>,
        position: RowPosition,
    ) -> Result<usize> {
        let mut bytes = 0;
        for (ci, col) in table.columns.iter().enumerate() {
            let def = &table.def.columns[col.index];
            let v = std::mem::replace(&mut values[col.index], Value::Null);
            let added = match (&col.kind, v) {
                (ColumnKind::Complex(_, complex), Value::Long(id)) => {
                    // jetdb leaves out a value row of the hidden table it cannot read, saying
                    // so only in a log warning: that is an error here, not a shorter list.
                    let (vals, warned) = crate::dependency_log::capture(|| complex.values(&mut self.reader, id));
                    let vals = vals.map_err(|e| {
                        self.error(
                            Some(self.rows),
                            format!("column {:?}: complex values cannot be read: {e}", def.name),
                        )
                    })?;
                    if let Some(w) = warned.first() {
                        return Err(self.error(
                            Some(self.rows),
                            format!("column {:?}: complex values cannot be read: {w}", def.name),
                        ));
                    }
                    self.builders[ci].append_complex(vals)
                }
                (ColumnKind::Plain(t), Value::Null) if *t != ColumnType::Boolean || !def.is_fixed => {
                    match self.recover_null(table, col.index, position)? {
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
        Ok(bytes)
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
            Err(e) => {
                return Err(Error::invalid(
                    &self.path,
                    row_no,
                    format!("column {:?}: row cannot be re-read: {e}", col.name),
                )
                .with_table(&table.name))
            }
        };
        let fail = |m: String| {
            Err(Error::invalid(&self.path, row_no, format!("column {:?}: {m}", col.name)).with_table(&table.name))
        };
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

#[cfg(test)]
mod tests {
    //! The fast row decoder checked against jetdb's path (an independent reader of the same
    //! rows): identical batches, or the same failure, on every table it reads.

    use std::path::Path;

    use arrow::compute::concat_batches;

    use super::*;
    use crate::formats::access::catalog::TableEntry;
    use crate::formats::access::{open_reader, AccessSource};
    use crate::options::ReadOptions;
    use pyforge_samples::access::random::{random_tables, write_tables, Profile};

    /// Outcome of reading a whole table: all rows, or the failure.
    fn read_all(mut stream: AccessStream, counts: &mut [u64; 2]) -> std::result::Result<RecordBatch, String> {
        let schema = stream.schema();
        let batches: Result<Vec<RecordBatch>> = stream.by_ref().collect();
        counts[0] += stream.fast_rows;
        counts[1] += stream.slow_rows;
        batches.map(|b| concat_batches(&schema, &b).unwrap()).map_err(|e| e.to_string())
    }

    /// Compare both paths on every table of `path`; (tables read by the fast path, tables).
    /// `rows` counts the rows the fast path decoded and those it handed to jetdb.
    fn compare_file(path: &Path, rows: &mut [u64; 2]) -> (usize, usize) {
        let Ok(source) = AccessSource::open(path, &ReadOptions { include_system: true, ..ReadOptions::default() })
        else {
            return (0, 0);
        };
        let (mut fast, mut total) = (0, 0);
        for entry in &source.catalog.tables {
            let TableEntry::Ready(table) = entry else { continue };
            let Ok(reader) = open_reader(path, None) else { return (fast, total) };
            let stream = AccessStream::new(path.to_path_buf(), reader, table.clone());
            total += 1;
            if !stream.uses_fast_path() {
                continue;
            }
            fast += 1;
            let slow = AccessStream::new(path.to_path_buf(), open_reader(path, None).unwrap(), table.clone())
                .without_fast_path();
            let (a, b) = (read_all(stream, rows), read_all(slow, &mut [0; 2]));
            assert_eq!(a, b, "{} table {}: fast path and jetdb differ", path.display(), table.name);
        }
        (fast, total)
    }

    #[test]
    fn fast_path_equals_jetdb_on_every_corpus_table() {
        let all = pyforge_testdata::files("access", &["mdb", "accdb", "mde", "accde"]);
        let (mut fast, mut total, mut rows) = (0, 0, [0; 2]);
        for f in &all {
            let (a, b) = compare_file(f, &mut rows);
            fast += a;
            total += b;
        }
        eprintln!(
            "fast path: {fast} of {total} tables in {} files identical to jetdb; rows decoded by it {}, handed to jetdb {}",
            all.len(),
            rows[0],
            rows[1]
        );
        assert!(fast >= 50, "the fast path read only {fast} tables");
        assert!(rows[0] > 10 * rows[1], "the fast path decoded {} rows and handed {} to jetdb", rows[0], rows[1]);
    }

    #[test]
    fn fast_path_equals_jetdb_on_random_tables() {
        let dir = tempfile::tempdir().unwrap();
        let mut fast = 0;
        for seed in 0..40 {
            let path = dir.path().join(format!("r{seed}.mdb"));
            write_tables(&path, &random_tables(seed, 300, Profile::Full)).unwrap();
            fast += compare_file(&path, &mut [0; 2]).0;
        }
        assert!(fast >= 20, "the fast path read only {fast} random tables");
    }

    #[test]
    fn fast_path_reads_the_generated_orders_table() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orders.mdb");
        pyforge_samples::access::sample::large(&path, 8).unwrap();
        let mut rows = [0; 2];
        let (fast, total) = compare_file(&path, &mut rows);
        assert!(fast >= 1 && fast == total, "{fast} of {total} tables read by the fast path");
        // Every row, its long memos on long-value pages included, is decoded by the fast path.
        assert!(rows[0] > 10_000 && rows[1] == 0, "rows: {rows:?}");
    }
}
