//! Typed errors of the core library.
//!
//! Every error names the file it concerns and, where known, the table and the line or row,
//! so the CLI can print one self-explanatory line and Python can raise a precise exception.

use std::path::{Path, PathBuf};

/// Result alias used throughout the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while reading, converting or writing.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The operating system refused an operation on a path.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The input is not valid for its format (corrupt, malformed, inconsistent).
    #[error("{}", located(path, table.as_deref(), *line, message))]
    InvalidInput {
        path: PathBuf,
        table: Option<String>,
        /// 1-based physical line (text formats) or row number (binary formats).
        line: Option<u64>,
        message: String,
    },

    /// Bytes that cannot be decoded in the input's character encoding.
    #[error("{}", located(path, None, *line, &format!("cannot decode bytes as {encoding}: {detail} (use --encoding to choose another encoding)")))]
    Encoding { path: PathBuf, line: Option<u64>, encoding: String, detail: String },

    /// No registered format can read this input.
    #[error("{path}: unsupported input format ({reason}); run `pyforge formats` for the list")]
    UnsupportedFormat { path: PathBuf, reason: String },

    /// A table or sheet that was asked for does not exist.
    #[error("{path}: no table named {wanted:?}; available: {}", available.join(", "))]
    NoSuchTable { path: PathBuf, wanted: String, available: Vec<String> },

    /// An output exists and `--force` was not given.
    #[error("{path}: output already exists (use --force to overwrite)")]
    OutputExists { path: PathBuf },

    /// The output would overwrite the input.
    #[error("{path}: refusing to overwrite the input file with the output")]
    OutputIsInput { path: PathBuf },

    /// An option value that cannot be honoured.
    #[error("{0}")]
    InvalidOption(String),

    /// An option that is well-formed but does not fit this input (a page past the end of the
    /// document); the message names what is valid. The CLI exits 2, as for other usage errors.
    #[error("{path}: {message}")]
    Usage { path: PathBuf, message: String },

    /// Arrow failed while building or casting data.
    #[error("{path}: {source}")]
    Arrow {
        path: PathBuf,
        #[source]
        source: arrow::error::ArrowError,
    },

    /// Parquet failed while reading or writing.
    #[error("{path}: {source}")]
    Parquet {
        path: PathBuf,
        #[source]
        source: parquet::errors::ParquetError,
    },

    /// Some tables of a many-table input failed; the others were written (with a manifest
    /// that lists the failures).
    #[error("{path}: {} of {total} tables failed ({}); the others were written to {}", failed.len(), failed.iter().map(|(t, e)| format!("{t:?}: {e}")).collect::<Vec<_>>().join("; "), output.display())]
    TablesFailed { path: PathBuf, total: usize, failed: Vec<(String, String)>, output: PathBuf },
    /// The input is encrypted or password-protected and cannot be read as given (no password,
    /// a wrong one, or a protection this build cannot remove). `message` names the protection.
    #[error("{path}: {message}")]
    Protected { path: PathBuf, message: String },

    /// The inputs of a run cannot be found or do not fit the output: a folder with no file of a
    /// supported format, a glob that matches nothing, many inputs into one file.
    #[error("{subject}: {message}")]
    Inputs { subject: String, message: String },

    /// Internal signal: a reader learnt something about its input that invalidates what it has
    /// produced so far (a column type widened). The pipeline discards the partial output and
    /// reads the table again; it never reaches a user.
    #[error("{path}: schema changed while reading ({reason})")]
    SchemaWidened { path: PathBuf, reason: String },

    /// Internal signal: a sampling pass has seen enough of its input and stops the walk; it
    /// never reaches a user.
    #[error("sample complete")]
    SampleFull,
}

fn located(path: &Path, table: Option<&str>, line: Option<u64>, message: &str) -> String {
    let mut s = path.display().to_string();
    if let Some(t) = table {
        s.push_str(&format!(" [table {t:?}]"));
    }
    if let Some(l) = line {
        s.push_str(&format!(" line {l}"));
    }
    s.push_str(": ");
    s.push_str(message);
    s
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }

    /// Malformed input at an optional line.
    pub fn invalid(path: impl Into<PathBuf>, line: Option<u64>, message: impl Into<String>) -> Self {
        Error::InvalidInput { path: path.into(), table: None, line, message: message.into() }
    }

    /// An Arrow error while processing `path`.
    pub fn arrow(path: impl Into<PathBuf>, source: arrow::error::ArrowError) -> Self {
        Error::Arrow { path: path.into(), source }
    }

    /// A Parquet error while processing `path`.
    pub fn parquet(path: impl Into<PathBuf>, source: parquet::errors::ParquetError) -> Self {
        Error::Parquet { path: path.into(), source }
    }

    /// Attach a table name to an input error that lacks one.
    pub fn with_table(self, name: &str) -> Self {
        match self {
            Error::InvalidInput { path, table: None, line, message } => {
                Error::InvalidInput { path, table: Some(name.to_string()), line, message }
            }
            other => other,
        }
    }

    /// True for the internal "read again" signal.
    pub fn is_schema_widened(&self) -> bool {
        matches!(self, Error::SchemaWidened { .. })
    }
}
