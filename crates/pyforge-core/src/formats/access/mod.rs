//! Microsoft Access (.mdb Jet3/Jet4, .accdb ACE 12-17) reader.
//!
//! Pages, catalog, table definitions and row decoding come from the `jetdb` crate (pure Rust,
//! no JVM, no C library). This module adds what PyForge needs on top of it:
//!
//! * Arrow schemas with faithful types ([`schema`]);
//! * streaming in batches, one [`jetdb::PageReader`] per stream so tables convert in parallel
//!   ([`stream`]);
//! * a fast row decoder for Jet4/ACE tables of the common column types, which reads the row
//!   bytes of each data page straight into Arrow builders instead of through jetdb's per-cell
//!   values, and hands every row it cannot decode with certainty back to jetdb ([`fast`]);
//! * guards that turn every silent loss of the underlying reader into the right value or a loud
//!   error ([`guard`]): rows it cannot decode (it only counts them), values it returns as NULL
//!   although the row's null mask says they are present (fixed-length Text, long values whose
//!   pages cannot be read, calculated columns of unknown result type).

mod catalog;
pub mod ddl;
pub mod dialect;
mod fast;
mod guard;
mod parallel;
pub mod query_sql;
mod schema;
mod stream;
pub mod structure;
mod values;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jetdb::{FileError, PageReader};

use crate::error::{Error, Result};
use crate::format::Format;
use crate::options::ReadOptions;
use crate::source::{BoxedStream, Source, TableInfo};

pub use catalog::AccessCatalog;
use catalog::TableEntry;

/// The Access format of the registry.
pub struct AccessFormat;

impl Format for AccessFormat {
    fn name(&self) -> &'static str {
        "access"
    }
    fn description(&self) -> &'static str {
        "Microsoft Access databases: Jet3 (Access 97), Jet4 (2000-2003), ACE (2007-2019)"
    }
    fn extensions(&self) -> &'static [&'static str] {
        &["mdb", "accdb", "mde", "accde"]
    }
    fn sniff(&self, head: &[u8]) -> bool {
        head.get(4..19).is_some_and(|s| s == b"Standard Jet DB" || s == b"Standard ACE DB")
    }
    fn open(&self, path: &Path, options: &ReadOptions) -> Result<Box<dyn Source>> {
        Ok(Box::new(AccessSource::open(path, options)?))
    }
}

/// An opened Access database. It keeps the catalog and table definitions; every table stream
/// opens the file again, so streams are independent and can run on different threads.
pub struct AccessSource {
    path: PathBuf,
    password: Option<String>,
    catalog: Arc<AccessCatalog>,
}

impl AccessSource {
    /// Open `path`, read its catalog and the definitions of its tables.
    pub fn open(path: &Path, options: &ReadOptions) -> Result<Self> {
        let password = options.password.clone();
        let catalog = guarded(path, "reading the catalog", || {
            let mut reader = open_reader(path, password.as_deref())?;
            AccessCatalog::read(path, &mut reader, options.include_system)
        })?;
        Ok(AccessSource { path: path.to_path_buf(), password, catalog: Arc::new(catalog) })
    }

    /// Keys, indexes, column properties, relationships and saved queries of the database.
    pub fn structure(&self) -> structure::DatabaseStructure {
        self.catalog.structure()
    }
}

impl Source for AccessSource {
    fn format_name(&self) -> &'static str {
        "access"
    }

    fn details(&self) -> BTreeMap<String, serde_json::Value> {
        self.catalog.details()
    }

    fn tables(&self) -> Result<Vec<TableInfo>> {
        Ok(self.catalog.table_infos())
    }

    fn open_table(&self, name: &str) -> Result<BoxedStream> {
        let table = match self.catalog.table(name) {
            Some(TableEntry::Ready(t)) => t.clone(),
            Some(TableEntry::Broken { reason, .. }) => {
                return Err(Error::invalid(&self.path, None, reason.clone()).with_table(name))
            }
            None => {
                return Err(Error::NoSuchTable {
                    path: self.path.clone(),
                    wanted: name.to_string(),
                    available: self.catalog.table_names(),
                })
            }
        };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
        if cores > 1 && table.def.data_pages.len() as u32 > parallel::RUN_PAGES {
            // A large table: runs of its data pages are read on every core.
            let readers =
                (0..cores).map(|_| open_reader(&self.path, self.password.as_deref())).collect::<Result<Vec<_>>>()?;
            return Ok(Box::new(parallel::ParallelAccessStream::new(self.path.clone(), table, readers)?));
        }
        let reader = open_reader(&self.path, self.password.as_deref())?;
        Ok(Box::new(stream::AccessStream::new(self.path.clone(), reader, table)))
    }
}

/// The structure (keys, indexes, properties, relationships, queries) of the Access database
/// at `path`; an error naming the file when it is not an Access database.
pub fn read_structure(path: &Path, options: &ReadOptions) -> Result<structure::DatabaseStructure> {
    let mut head = Vec::with_capacity(512);
    std::fs::File::open(path)
        .and_then(|f| std::io::Read::read_to_end(&mut std::io::Read::take(f, 512), &mut head))
        .map_err(|e| Error::io(path, e))?;
    if !AccessFormat.sniff(&head) {
        return Err(Error::UnsupportedFormat {
            path: path.to_path_buf(),
            reason: "`schema` reads Access databases (.mdb, .accdb); this file is not one".into(),
        });
    }
    Ok(AccessSource::open(path, options)?.structure())
}

/// DDL recreating the Access database at `path` in `dialect` (see [`ddl`]).
pub fn schema_ddl(path: &Path, options: &ReadOptions, dialect: ddl::Dialect) -> Result<String> {
    Ok(ddl::database_ddl(&read_structure(path, options)?, dialect))
}

/// Run `f`, turning a panic inside it (jetdb trusts some page fields, e.g. it adds to a usage
/// map's start page without an overflow check, found by fuzzing) into an error naming the file.
pub(crate) fn guarded<T>(path: &Path, doing: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    crate::panic_guard::catch(f).unwrap_or_else(|why| {
        Err(Error::invalid(path, None, format!("damaged database: the page reader failed while {doing} ({why})")))
    })
}

/// Open the file with jetdb, mapping its errors (in particular the encryption ones) to ours.
fn open_reader(path: &Path, password: Option<&str>) -> Result<PageReader> {
    let r = match password {
        Some(_) => PageReader::open_with_password(path, password),
        None => PageReader::open(path),
    };
    r.map_err(|e| file_error(path, e))
}

/// Map a jetdb error to a PyForge error on `path`.
pub(crate) fn file_error(path: &Path, e: FileError) -> Error {
    match e {
        FileError::Io(io) => Error::io(path, io),
        FileError::PasswordRequired => Error::Protected {
            path: path.to_path_buf(),
            message: "the database is encrypted with Office encryption (a database password was set in Access 2007 or later); give it with --password".into(),
        },
        FileError::InvalidPassword => Error::Protected {
            path: path.to_path_buf(),
            message: "the password given with --password does not open this encrypted database".into(),
        },
        FileError::UnsupportedEncryption { reason } => Error::Protected {
            path: path.to_path_buf(),
            message: format!("the database is encrypted in a way PyForge cannot decrypt: {reason}"),
        },
        other => Error::invalid(path, None, format!("not a readable Access database: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encryption_errors_name_the_protection_and_the_option() {
        let p = Path::new("secret.accdb");
        let e = file_error(p, FileError::PasswordRequired).to_string();
        assert!(e.contains("secret.accdb") && e.contains("encrypted") && e.contains("--password"), "{e}");
        let e = file_error(p, FileError::InvalidPassword).to_string();
        assert!(e.contains("does not open"), "{e}");
        assert!(matches!(
            file_error(p, FileError::UnsupportedEncryption { reason: "x".into() }),
            Error::Protected { .. }
        ));
    }

    #[test]
    fn runs_of_pages_read_in_parallel_give_the_rows_of_one_reader() {
        // A table of several thousand data pages, written by our writer, read both ways.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.mdb");
        let rows = pyforge_samples::access::sample::large(&path, 64).unwrap();
        let source = AccessSource::open(&path, &ReadOptions::default()).unwrap();
        let name = source.catalog.table_names()[0].clone();
        let Some(TableEntry::Ready(table)) = source.catalog.table(&name) else { panic!("table {name}") };
        assert!(table.def.data_pages.len() as u32 > 2 * parallel::RUN_PAGES, "the table spans several runs");
        let collect = |stream: &mut dyn Iterator<Item = Result<arrow::record_batch::RecordBatch>>| {
            let batches: Vec<_> = stream.map(|b| b.unwrap()).collect();
            arrow::compute::concat_batches(&table.schema, &batches).unwrap()
        };
        let one =
            collect(&mut stream::AccessStream::new(path.clone(), open_reader(&path, None).unwrap(), table.clone()));
        let readers = (0..3).map(|_| open_reader(&path, None).unwrap()).collect();
        let many = collect(&mut parallel::ParallelAccessStream::new(path.clone(), table.clone(), readers).unwrap());
        assert_eq!(one.num_rows() as u64, rows.min(1_000_000));
        assert_eq!(one, many);
    }

    #[test]
    fn sniffs_jet_and_ace_signatures() {
        let mut head = vec![0u8, 1, 0, 0];
        head.extend_from_slice(b"Standard Jet DB\0");
        assert!(AccessFormat.sniff(&head));
        head[4..19].copy_from_slice(b"Standard ACE DB");
        assert!(AccessFormat.sniff(&head));
        assert!(!AccessFormat.sniff(b"PK\x03\x04 not access"));
    }
}
