//! The registry of input formats: the readers this build has, in detection order, and the
//! detection of a file's format by magic bytes and extension.

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};
use crate::format::Format;
use crate::options::ReadOptions;
use crate::source::Source;

/// The formats this build can read, in detection order.
pub fn registry() -> &'static [&'static dyn Format] {
    &[
        &crate::formats::parquet::ParquetFormat,
        &crate::formats::access::AccessFormat,
        &crate::formats::excel::ExcelFormat,
        &crate::formats::pdf::PdfFormat,
        &crate::formats::csv::CsvFormat,
        &crate::formats::xml::XmlFormat,
        &crate::formats::json::JsonFormat,
        &crate::formats::dbf::DbfFormat,
    ]
}

/// Output formats every input can be written to.
pub const OUTPUT_FORMATS: &[&str] = &["parquet", "csv", "jsonl", "arrow", "txt"];

/// What `pyforge formats --json` prints and Python's `formats()` returns: `{"inputs": [{name,
/// extensions, description}], "outputs": [...]}`.
pub fn formats_document() -> serde_json::Value {
    let inputs: Vec<serde_json::Value> = registry()
        .iter()
        .map(|f| serde_json::json!({"name": f.name(), "extensions": f.extensions(), "description": f.description()}))
        .collect();
    serde_json::json!({"inputs": inputs, "outputs": OUTPUT_FORMATS})
}

/// Find a format by its registry name.
pub fn by_name(name: &str) -> Option<&'static dyn Format> {
    registry().iter().copied().find(|f| f.name().eq_ignore_ascii_case(name))
}

/// Decide the format of `path`: magic bytes first (they cannot lie about binary formats), then
/// the extension.
pub fn detect(path: &Path) -> Result<&'static dyn Format> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        return Err(Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::IsADirectory, "is a directory, not a file"),
        ));
    }
    let mut head = [0u8; 512];
    let n =
        std::fs::File::open(path).and_then(|mut f| read_up_to(&mut f, &mut head)).map_err(|e| Error::io(path, e))?;
    let head = &head[..n];
    if let Some(f) = registry().iter().find(|f| f.sniff(head)) {
        return Ok(*f);
    }
    let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
    let mut best: Option<(&'static dyn Format, usize)> = None;
    for f in registry() {
        for ext in f.extensions() {
            if name.ends_with(&format!(".{ext}")) && best.is_none_or(|(_, l)| ext.len() > l) {
                best = Some((*f, ext.len()));
            }
        }
    }
    best.map(|(f, _)| f).ok_or_else(|| Error::UnsupportedFormat {
        path: path.to_path_buf(),
        reason: match path.extension() {
            Some(e) => format!("unknown extension .{}", e.to_string_lossy()),
            None => "no extension and no known signature".into(),
        },
    })
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Open `path` with the format detected for it.
///
/// ```no_run
/// let source = pyforge_core::open("data.csv".as_ref(), &Default::default()).unwrap();
/// assert_eq!(source.format_name(), "csv");
/// ```
pub fn open(path: &Path, options: &ReadOptions) -> Result<Box<dyn Source>> {
    detect(path)?.open(path, options)
}
