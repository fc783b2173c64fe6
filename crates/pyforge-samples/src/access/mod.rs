//! A small Jet4 (Access 2000-2003 `.mdb`, 4096-byte pages) writer.
//!
//! Written from the public format descriptions (mdbtools' HACKING.md, Jackcess' documentation)
//! for PyForge's samples, property tests and benchmarks: it writes tables of the common column
//! types (Yes/No, Byte, Integer, Long Integer, Currency, Single, Double, Date/Time, Binary, Text,
//! OLE Object, Memo, Replication ID, Decimal), NULLs, Unicode text (plain UCS-2, or Jet4's
//! compressed form when every character fits in one byte), and long values stored inline, on a
//! shared long-value page or on a chain of long-value pages. Tables may have any number of rows;
//! the pages a table owns are listed in an inline usage map, or in a reference map (type 1) when
//! they span more pages than one inline map can cover.
//!
//! The Description property of tables and columns is written ([`TableWriter::describe`],
//! [`Column::described`]). Not written: indexes (a table without a primary key has none),
//! relationships, queries, the other properties (`LvProp`), passwords, the database-wide usage map of page 1. Pages can be
//! RC4-encoded (Access's "Encode Database", [`JetWriter::create_encoded`]). mdbtools and
//! `jetdb` read the files as written (checked by the tests); Microsoft Access itself was not
//! tried. A file stops at 2 GB (the Jet4 limit) with an error naming the table and row.
//!
//! ```no_run
//! use pyforge_samples::access::{Column, ColumnType, JetWriter, Value};
//! let mut db = JetWriter::create(std::path::Path::new("out.mdb")).unwrap();
//! let mut t = db.table("People", vec![
//!     Column::new("Id", ColumnType::Long),
//!     Column::new("Name", ColumnType::Text(50)),
//! ]).unwrap();
//! t.push(&[Value::Long(1), Value::Text("Zoë".into())]).unwrap();
//! t.finish().unwrap();
//! db.finish().unwrap();
//! ```

mod catalog;
mod long_value;
mod pages;
mod properties;
pub mod random;
mod row;
pub mod sample;
mod tdef;
mod usage_map;
mod value;

use std::path::Path;

pub use value::{Column, ColumnType, Value};

use long_value::LongValues;
use pages::{DataPage, PageFile};

/// Why a database could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// Reading or writing the file failed.
    #[error("{path}: {source}")]
    Io {
        /// The database file.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A table definition cannot be written (too many columns, a bad name...).
    #[error("table {table:?}: {message}")]
    Table {
        /// The table.
        table: String,
        /// What is wrong.
        message: String,
    },
    /// A row cannot be written (wrong number of values, a value of the wrong type, too long...).
    #[error("table {table:?}, row {row}: {message}")]
    Row {
        /// The table.
        table: String,
        /// The row, counted from 1.
        row: u64,
        /// What is wrong.
        message: String,
    },
}

/// Result of the writer.
pub type WriteResult<T> = std::result::Result<T, WriteError>;

/// What the catalog needs to know about a finished table.
struct TableRecord {
    name: String,
    tdef_page: u32,
    /// The table's LvProp (its descriptions), if it has any.
    properties: Option<Vec<u8>>,
}

/// A Jet4 database being written. Tables are written one after the other
/// ([`JetWriter::table`]); [`JetWriter::finish`] writes the catalog. A writer dropped without
/// `finish` leaves an incomplete file behind: write to a temporary path and rename.
pub struct JetWriter {
    file: PageFile,
    /// Rows of usage maps (one system data page after another).
    maps: DataPage,
    maps_page: u32,
    tables: Vec<TableRecord>,
}

/// Pages of a 2 GB database, the size limit of Jet4 (data pointers could address more, but
/// Access and other readers would not open the file).
const MAX_PAGES: u32 = (2u64 * 1024 * 1024 * 1024 / pages::PAGE_SIZE as u64) as u32;

/// The page of the catalog's (MSysObjects') table definition, fixed by the format.
const CATALOG_TDEF_PAGE: u32 = 2;

impl JetWriter {
    /// Create (or truncate) the database file at `path`.
    pub fn create(path: &Path) -> WriteResult<Self> {
        Self::create_encoded(path, 0)
    }

    /// Create (or truncate) a database whose pages are RC4-encoded with the database key
    /// `db_key` (Access 2000-2003's "Encode Database"; 0 writes a plain database). Readers need
    /// no password: the key is in the header.
    pub fn create_encoded(path: &Path, db_key: u32) -> WriteResult<Self> {
        let mut file = PageFile::create_encoded(path, db_key)?;
        file.write_page(0, &pages::header_page(db_key))?;
        let maps_page = file.alloc(); // page 1: usage maps
        let catalog = file.alloc(); // page 2: the catalog's table definition
        debug_assert_eq!((maps_page, catalog), (1, CATALOG_TDEF_PAGE));
        Ok(JetWriter { file, maps: DataPage::new(0), maps_page, tables: Vec::new() })
    }

    /// Start a new table; write its rows with [`TableWriter::push`], then call
    /// [`TableWriter::finish`].
    pub fn table(&mut self, name: &str, columns: Vec<Column>) -> WriteResult<TableWriter<'_>> {
        if self.tables.iter().any(|t| t.name.eq_ignore_ascii_case(name)) || name.eq_ignore_ascii_case("MSysObjects") {
            return Err(WriteError::Table {
                table: name.into(),
                message: "a table of this name was already written".into(),
            });
        }
        let tdef_page = self.file.alloc();
        TableWriter::new(self, name, columns, tdef_page, false)
    }

    /// Write the catalog and close the file.
    pub fn finish(mut self) -> WriteResult<()> {
        let columns = catalog::columns();
        let rows = catalog::rows(&self.tables, CATALOG_TDEF_PAGE);
        let mut t = TableWriter::new(&mut self, "MSysObjects", columns, CATALOG_TDEF_PAGE, true)?;
        for r in &rows {
            t.push(r)?;
        }
        t.finish()?;
        let page = self.maps.finish(4096);
        self.file.write_page(self.maps_page, &page)?;
        self.file.finish()
    }

    /// Bytes of the file so far (pages allocated times the page size).
    pub fn bytes_written(&self) -> u64 {
        u64::from(self.file.next_page()) * pages::PAGE_SIZE as u64
    }

    /// Store a usage-map record and give its data pointer (page << 8 | row).
    fn store_map(&mut self, record: &[u8]) -> WriteResult<u32> {
        if !self.maps.fits(record.len()) {
            let full = std::mem::replace(&mut self.maps, DataPage::new(0));
            self.file.write_page(self.maps_page, &full.finish(4096))?;
            self.maps_page = self.file.alloc();
        }
        let row = self.maps.add(record);
        Ok(self.maps_page << 8 | row as u32)
    }
}

/// Rows of one table being written.
pub struct TableWriter<'a> {
    db: &'a mut JetWriter,
    name: String,
    layout: row::Layout,
    tdef_page: u32,
    system: bool,
    page: DataPage,
    data_pages: Vec<u32>,
    long_values: LongValues,
    rows: u64,
    description: Option<String>,
    column_descriptions: Vec<(String, String)>,
}

impl<'a> TableWriter<'a> {
    fn new(db: &'a mut JetWriter, name: &str, columns: Vec<Column>, tdef_page: u32, system: bool) -> WriteResult<Self> {
        let mut column_descriptions = Vec::new();
        for c in &columns {
            if let Some(text) = &c.description {
                properties::check_description(text).map_err(|message| WriteError::Table {
                    table: name.into(),
                    message: format!("column {:?}: {message}", c.name),
                })?;
                column_descriptions.push((c.name.clone(), text.clone()));
            }
        }
        let layout = row::Layout::new(columns).map_err(|message| WriteError::Table { table: name.into(), message })?;
        // Check the definition fits its page before any row is written.
        tdef::table_definition(&layout, 0, 0, 0, system)
            .map_err(|message| WriteError::Table { table: name.into(), message })?;
        Ok(TableWriter {
            db,
            name: name.to_string(),
            layout,
            tdef_page,
            system,
            page: DataPage::new(tdef_page),
            data_pages: Vec::new(),
            long_values: LongValues::default(),
            rows: 0,
            description: None,
            column_descriptions,
        })
    }

    /// Give the table the description `text` (its Description property, 1 to 255 characters).
    pub fn describe(&mut self, text: &str) -> WriteResult<()> {
        properties::check_description(text)
            .map_err(|message| WriteError::Table { table: self.name.clone(), message })?;
        self.description = Some(text.to_string());
        Ok(())
    }

    /// Append one row: one value per column, in column order.
    pub fn push(&mut self, values: &[Value]) -> WriteResult<()> {
        let row_no = self.rows + 1;
        let bytes =
            row::encode(&self.layout, values, &mut self.long_values, &mut self.db.file).map_err(|e| match e {
                row::EncodeError::Io(source) => WriteError::Io { path: self.db.file.path(), source },
                row::EncodeError::Value(message) => WriteError::Row { table: self.name.clone(), row: row_no, message },
            })?;
        if self.db.file.next_page() >= MAX_PAGES - 64 {
            return Err(WriteError::Row {
                table: self.name.clone(),
                row: row_no,
                message: "the database would grow past 2 GB, the limit of a Jet4 file".into(),
            });
        }
        if !self.page.fits(bytes.len()) {
            self.flush_page()?;
        }
        self.page.add(&bytes);
        self.rows += 1;
        Ok(())
    }

    fn flush_page(&mut self) -> WriteResult<()> {
        if self.page.rows() == 0 {
            return Ok(());
        }
        let full = std::mem::replace(&mut self.page, DataPage::new(self.tdef_page));
        let n = self.db.file.alloc();
        self.db.file.write_page(n, &full.finish(4096))?;
        self.data_pages.push(n);
        Ok(())
    }

    /// Bytes of the file so far.
    pub fn bytes_written(&self) -> u64 {
        self.db.bytes_written()
    }

    /// Write the last pages and the table definition.
    pub fn finish(mut self) -> WriteResult<()> {
        self.flush_page()?;
        self.long_values
            .flush(&mut self.db.file)
            .map_err(|source| WriteError::Io { path: self.db.file.path(), source })?;
        let (used, map_pages) = usage_map::owned_pages(&self.data_pages, self.db.file.next_page());
        for (n, page) in map_pages {
            let at = self.db.file.alloc();
            debug_assert_eq!(at, n);
            self.db.file.write_page(n, &page)?;
        }
        let used_ptr = self.db.store_map(&used)?;
        let free_ptr = self.db.store_map(&usage_map::empty())?;
        let page = tdef::table_definition(&self.layout, self.rows, used_ptr, free_ptr, self.system)
            .map_err(|message| WriteError::Table { table: self.name.clone(), message })?;
        self.db.file.write_page(self.tdef_page, &page)?;
        if !self.system {
            let properties = properties::lv_prop(self.description.as_deref(), &self.column_descriptions);
            self.db.tables.push(TableRecord { name: self.name.clone(), tdef_page: self.tdef_page, properties });
        }
        Ok(())
    }
}
