//! `_manifest.json`: what a folder output holds. Other tools and issues rely on this shape:
//! `{"source", "format", "source_sha256", "tables": [{"name", "file", "rows", "columns": [{"name", "type"}]}]}`.

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::source::ColumnInfo;

/// File name of the manifest inside an output folder.
pub const MANIFEST_NAME: &str = "_manifest.json";

/// The manifest of one converted input.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// The input path as given.
    pub source: String,
    /// Registry name of the input format.
    pub format: String,
    /// SHA-256 of the input file, hex.
    pub source_sha256: String,
    /// Output format of the table files.
    pub output_format: String,
    /// Facts about the whole input, as `info --json` shows them (for Access: version,
    /// relationships, saved queries, linked tables); omitted when there are none.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub details: std::collections::BTreeMap<String, serde_json::Value>,
    pub tables: Vec<ManifestTable>,
    /// Tables that could not be converted, with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<ManifestFailure>,
}

/// A table that failed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ManifestFailure {
    pub name: String,
    pub error: String,
}

/// One converted table.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ManifestTable {
    pub name: String,
    /// Output path relative to the manifest (a folder for partitioned tables).
    pub file: String,
    pub rows: u64,
    pub columns: Vec<ColumnInfo>,
    /// Facts the reader reported for the table after reading it (warnings such as error cells
    /// read as null, the header row used); omitted when there are none.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub details: std::collections::BTreeMap<String, serde_json::Value>,
}

/// SHA-256 of a file, hex-encoded, read in 1 MiB blocks.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}
