//! dBase III/IV/5/7, FoxPro and Visual FoxPro tables (`.dbf`) with their memo files.
//!
//! Our own reader (the `dbase` crate rejects Visual FoxPro null flags and varchar fields, fails
//! on blank FoxPro datetimes and misses `.FPT` files on case-sensitive file systems):
//! [`header`] parses the header and field descriptors, [`codepage`] maps the language driver
//! byte to a decoder, [`memo`] reads `.dbt`/`.fpt` files, [`values`] decodes single values,
//! [`columns`] maps field types to Arrow, and [`reader`] streams records in batches.
//!
//! Decisions worth knowing: character fields lose their trailing spaces (and NUL padding);
//! numbers are int64 or exact decimals, never floats; deleted records are skipped unless
//! `include_deleted` (then a `_deleted` column flags them); a byte the code page does not
//! define is an error naming the record and field, never a replacement character. Files without
//! a code page mark are read as UTF-8 (ASCII included) unless a `.cpg` file beside them or
//! `--encoding` says otherwise.

pub mod codepage;
pub mod columns;
pub mod header;
pub mod memo;
pub mod reader;
pub mod values;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::datatypes::{Field, Schema, SchemaRef};

use crate::error::{Error, Result};
use crate::format::Format;
use crate::options::ReadOptions;
use crate::source::{BoxedStream, ColumnInfo, Source, TableInfo};
use crate::types::type_name;

use codepage::CodePage;
use columns::Layout;
use header::Header;
use memo::{MemoFile, MemoKind};

/// The DBF format.
pub struct DbfFormat;

impl Format for DbfFormat {
    fn name(&self) -> &'static str {
        "dbf"
    }
    fn description(&self) -> &'static str {
        "dBase III/IV/7, FoxPro, Visual FoxPro tables with .dbt/.fpt memo files"
    }
    fn extensions(&self) -> &'static [&'static str] {
        &["dbf"]
    }
    fn sniff(&self, head: &[u8]) -> bool {
        sniff(head)
    }
    fn open(&self, path: &Path, options: &ReadOptions) -> Result<Box<dyn Source>> {
        Ok(Box::new(DbfSource::open(path, options)?))
    }
}

/// A DBF has no magic number; accept a head only if the version byte, the sizes and the first
/// field descriptor are all plausible (and, for version bytes that are printable characters,
/// the reserved bytes are zero, which no text file has).
fn sniff(head: &[u8]) -> bool {
    if head.len() < 64 || !header::is_known_version(head[0]) {
        return false;
    }
    if head[0] & 0x07 == 0x04 {
        return false; // dBase 7: chosen by extension only
    }
    if head[0].is_ascii_graphic() && (head[30] != 0 || head[31] != 0) {
        return false;
    }
    let header_len = u16::from_le_bytes([head[8], head[9]]) as usize;
    let record_len = u16::from_le_bytes([head[10], head[11]]);
    let kind = head[32 + 11].to_ascii_uppercase();
    header_len >= 65
        && record_len > 1
        && head[2] <= 12
        && head[3] <= 31
        && b"CNFDLMIBYTVQG0@+OPW".contains(&kind)
        && (head[32].is_ascii_alphanumeric() || head[32] == b'_')
}

/// An opened DBF file.
pub struct DbfSource {
    path: PathBuf,
    table: String,
    header: Header,
    layout: Layout,
    code_page: CodePage,
    code_page_origin: String,
    memo_path: Option<PathBuf>,
    memo_kind: Option<MemoKind>,
    memo_block_size: Option<u64>,
    include_deleted: bool,
    schema: SchemaRef,
    warnings: Vec<String>,
}

fn read_head(path: &Path) -> Result<(Vec<u8>, u64)> {
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let len = f.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut head = Vec::new();
    // The header is at most 65535 bytes (a u16 length).
    (&mut f).take(65_536).read_to_end(&mut head).map_err(|e| Error::io(path, e))?;
    Ok((head, len))
}

/// A `.cpg` file beside the table (shapefile convention) naming its encoding.
fn cpg_label(path: &Path) -> Option<String> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let stem = path.file_stem()?.to_string_lossy().to_lowercase();
    let entry = std::fs::read_dir(dir).ok()?.filter_map(|e| e.ok()).find(|e| {
        let p = e.path();
        p.file_stem().map(|s| s.to_string_lossy().to_lowercase()).as_deref() == Some(stem.as_str())
            && p.extension().map(|x| x.to_string_lossy().to_lowercase()).as_deref() == Some("cpg")
    })?;
    let text = std::fs::read_to_string(entry.path()).ok()?;
    let l = text.trim();
    (!l.is_empty() && l.len() < 40).then(|| l.to_string())
}

/// The code page given, else the header's language driver, else a `.cpg` file, else UTF-8;
/// and where it came from (shown by `info`).
fn choose_code_page(path: &Path, header: &Header, options: &ReadOptions) -> Result<(CodePage, String)> {
    if let Some(label) = &options.encoding {
        let cp = CodePage::from_label(label).ok_or_else(|| Error::Usage {
            path: path.to_path_buf(),
            message: format!(
                "--encoding: unknown encoding {label:?} (try cp437, cp850, cp866, cp1251, cp1252, utf-8, mazovia, kamenicky)"
            ),
        })?;
        return Ok((cp, "--encoding".to_string()));
    }
    let driver = header.language_driver;
    if let Some(cp) = CodePage::from_language_driver(driver) {
        return Ok((cp, format!("language driver 0x{driver:02X}")));
    }
    Ok(match cpg_label(path).and_then(|l| CodePage::from_label(&l).map(|cp| (cp, l))) {
        Some((cp, l)) => (cp, format!(".cpg file ({l})")),
        None if driver == 0 => (CodePage::Utf8, "no code page mark: ASCII/UTF-8".into()),
        None => (CodePage::Utf8, format!("unknown language driver 0x{driver:02X}: ASCII/UTF-8 (use --encoding)")),
    })
}

/// Field names are stored in the table's code page: decode the non-ASCII ones.
fn decode_field_names(header: &mut Header, code_page: CodePage) {
    for f in &mut header.fields {
        if !f.name.is_ascii() {
            let raw: Vec<u8> = f.name.chars().map(|c| c as u32 as u8).collect();
            let mut s = String::new();
            if code_page.decode_into(&raw, &mut s).is_ok() {
                f.name = s;
            }
        }
    }
}

/// The memo file of a table with memo fields: its path, kind and block size; `None` (with a
/// warning) when it is missing and `--ignore-missing-memo` allows that.
fn find_memo(
    path: &Path,
    table: &str,
    header: &Header,
    options: &ReadOptions,
    warnings: &mut Vec<String>,
) -> Result<Option<(PathBuf, MemoKind, u64)>> {
    let Some(p) = memo::find_memo_file(path, header.is_foxpro()) else {
        if options.ignore_missing_memo {
            warnings
                .push("memo file (.dbt/.fpt) not found: memo fields read as null (--ignore-missing-memo)".to_string());
            return Ok(None);
        }
        return Err(Error::invalid(
            path,
            None,
            "memo file not found: the table has memo fields but no .dbt/.fpt file of the same name is beside it \
             (use --ignore-missing-memo to read memo fields as null)",
        )
        .with_table(table));
    };
    let kind = if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("fpt")) {
        MemoKind::Fpt
    } else if header.version == 0x83 {
        MemoKind::Dbt3
    } else {
        MemoKind::Dbt4
    };
    let m = MemoFile::open(&p, kind).map_err(|e| Error::invalid(&p, None, e))?;
    let block = m.block_size();
    Ok(Some((p, kind, block)))
}

/// The Arrow schema of the table's columns (unique names), plus `_deleted` when asked for.
fn schema_of(layout: &Layout, include_deleted: bool) -> SchemaRef {
    let mut names: Vec<String> = layout.columns.iter().map(|c| c.field.name.clone()).collect();
    if include_deleted {
        names.push("_deleted".into());
    }
    let names = crate::column_names::unique_column_names(names);
    let mut fields: Vec<Field> =
        layout.columns.iter().zip(&names).map(|(c, n)| Field::new(n, c.kind.data_type(), true)).collect();
    if include_deleted {
        fields.push(Field::new(names.last().expect("_deleted"), arrow::datatypes::DataType::Boolean, false));
    }
    Arc::new(Schema::new(fields))
}

impl DbfSource {
    /// Open `path`: parse and check the header, choose the code page, find the memo file.
    pub fn open(path: &Path, options: &ReadOptions) -> Result<DbfSource> {
        let (head, file_len) = read_head(path)?;
        let bad = |m: String| Error::invalid(path, None, m);
        let mut header = Header::parse(&head, file_len).map_err(bad)?;
        let table = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "data".into());
        let (code_page, code_page_origin) = choose_code_page(path, &header, options)?;
        decode_field_names(&mut header, code_page);
        // Never trust the record count: the records must be in the file.
        let need = header.header_len as u64 + header.record_count as u64 * header.record_len as u64;
        if need > file_len {
            let have = file_len.saturating_sub(header.header_len as u64) / header.record_len as u64;
            return Err(bad(format!(
                "truncated file: the header announces {} records of {} bytes but the file holds {have}",
                header.record_count, header.record_len
            ))
            .with_table(&table));
        }
        let layout = columns::layout(&header).map_err(bad)?;
        let mut warnings = Vec::new();
        if let Some(declared) = header.declared_record_len {
            // The file size (checked above) agrees with the fields, not with the header.
            warnings.push(format!(
                "the header's record length {declared} is shorter than the fields ({} bytes with the deletion flag); the fields' length is used",
                header.record_len
            ));
        }
        let memo = if layout.columns.iter().any(|c| c.kind.is_memo()) {
            find_memo(path, &table, &header, options, &mut warnings)?
        } else {
            None
        };
        let schema = schema_of(&layout, options.include_deleted);
        let (memo_path, memo_kind, memo_block_size) = match memo {
            Some((p, kind, block)) => (Some(p), Some(kind), Some(block)),
            None => (None, None, None),
        };
        Ok(DbfSource {
            path: path.to_path_buf(),
            table,
            header,
            layout,
            code_page,
            code_page_origin,
            memo_path,
            memo_kind,
            memo_block_size,
            include_deleted: options.include_deleted,
            schema,
            warnings,
        })
    }

    fn no_such_table(&self, name: &str) -> Error {
        Error::NoSuchTable { path: self.path.clone(), wanted: name.into(), available: vec![self.table.clone()] }
    }
}

impl Source for DbfSource {
    fn format_name(&self) -> &'static str {
        "dbf"
    }

    fn details(&self) -> BTreeMap<String, serde_json::Value> {
        let h = &self.header;
        let mut m = BTreeMap::new();
        m.insert("version".into(), format!("0x{:02X} ({})", h.version, header::version_name(h.version)).into());
        m.insert("encoding".into(), format!("{} ({})", self.code_page.name(), self.code_page_origin).into());
        m.insert("language_driver".into(), format!("0x{:02X}", h.language_driver).into());
        let (y, mo, d) = h.last_update;
        m.insert("last_update".into(), format!("{y:04}-{mo:02}-{d:02}").into());
        m.insert("records".into(), h.record_count.into());
        m.insert("record_length".into(), h.record_len.into());
        let memo = match (&self.memo_path, self.memo_kind) {
            (Some(p), Some(k)) => format!(
                "{} ({}, {}-byte blocks)",
                p.display(),
                match k {
                    MemoKind::Dbt3 => "dBase III",
                    MemoKind::Dbt4 => "dBase IV",
                    MemoKind::Fpt => "FoxPro",
                },
                self.memo_block_size.unwrap_or(0)
            ),
            _ if self.layout.columns.iter().any(|c| c.kind.is_memo()) => "missing".into(),
            _ => "none".into(),
        };
        m.insert("memo_file".into(), memo.into());
        if !self.warnings.is_empty() {
            m.insert("warnings".into(), self.warnings.clone().into());
        }
        m
    }

    fn tables(&self) -> Result<Vec<TableInfo>> {
        let columns = self
            .schema
            .fields()
            .iter()
            .map(|f| ColumnInfo { name: f.name().clone(), data_type: type_name(f.data_type()) })
            .collect();
        let mut details = BTreeMap::new();
        let fields: Vec<serde_json::Value> = self
            .header
            .fields
            .iter()
            .map(|f| {
                let mut s = format!("{} {}", f.name, f.declaration());
                if f.is_system() {
                    s.push_str(" system");
                }
                if f.is_nullable() {
                    s.push_str(" null");
                }
                if f.is_binary() && self.header.is_visual_foxpro() {
                    s.push_str(" binary");
                }
                if f.is_autoincrement() && self.header.is_visual_foxpro() {
                    s.push_str(" autoincrement");
                }
                s.into()
            })
            .collect();
        details.insert("fields".into(), fields.into());
        Ok(vec![TableInfo {
            name: self.table.clone(),
            // Deleted records are only known after a scan.
            rows: self.include_deleted.then_some(self.header.record_count as u64),
            columns,
            details,
        }])
    }

    fn open_table(&self, name: &str) -> Result<BoxedStream> {
        if name != self.table {
            return Err(self.no_such_table(name));
        }
        let memo = match (&self.memo_path, self.memo_kind) {
            (Some(p), Some(k)) => Some(MemoFile::open(p, k).map_err(|e| Error::invalid(p, None, e))?),
            _ => None,
        };
        let plan = reader::Plan {
            path: self.path.clone(),
            table: self.table.clone(),
            header_len: self.header.header_len,
            record_len: self.header.record_len,
            record_count: self.header.record_count as u64,
            layout: self.layout.clone(),
            code_page: self.code_page,
            include_deleted: self.include_deleted,
            schema: self.schema.clone(),
        };
        Ok(Box::new(reader::DbfStream::new(plan, memo)?))
    }
}
