//! The commands for in-process callers (the Python package `pyforge_core`).
//!
//! Arguments are the command line's own, parsed by the same clap definition, so every option
//! and default is the CLI's; results come back as JSON values instead of printed lines and
//! errors as an [`ApiError`] whose [`ErrorKind`] a caller maps to its own types.
//!
//! ```no_run
//! let result = pyforge_cli::api::convert(&["sales.csv".into(), "--force".into()], None)?;
//! assert_eq!(result["files"][0]["status"], "ok");
//! # Ok::<(), pyforge_cli::api::ApiError>(())
//! ```

use std::path::PathBuf;

use clap::Parser;
use serde_json::{json, Value};

use crate::cli::{Cli, Command, InfoArgs};
use crate::commands::{Collected, Ui};
use crate::remote::{Credentials, StagedInput};

/// What went wrong, coarsely: what a caller needs to choose an exception type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Options that do not parse or do not fit the input.
    Usage,
    /// The input could not be read as its format (corrupt, malformed, undecodable).
    InvalidInput,
    /// No reader for this input.
    UnsupportedFormat,
    /// The requested table or sheet does not exist.
    NoSuchTable,
    /// The output exists (and `force` was not given) or would overwrite the input.
    OutputExists,
    /// A password is needed or was wrong.
    Protected,
    /// The input does not exist.
    NotFound,
    /// A Databricks workspace request failed (auth, permissions, transport).
    Remote,
    /// Anything else (I/O errors, failures of some tables).
    Failed,
}

impl ErrorKind {
    /// A stable name (`usage`, `invalid_input`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Usage => "usage",
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::UnsupportedFormat => "unsupported_format",
            ErrorKind::NoSuchTable => "no_such_table",
            ErrorKind::OutputExists => "output_exists",
            ErrorKind::Protected => "protected",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Remote => "remote",
            ErrorKind::Failed => "failed",
        }
    }
}

/// An error of an in-process command: its kind and the one-line message the CLI would print.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub kind: ErrorKind,
    pub message: String,
}

impl ApiError {
    fn usage(message: impl Into<String>) -> ApiError {
        ApiError { kind: ErrorKind::Usage, message: message.into() }
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> ApiError {
        ApiError { kind: kind_of(&e), message: crate::remote::shown_text(&crate::one_line(&e)) }
    }
}

/// Classify by the first typed error in the chain.
fn kind_of(e: &anyhow::Error) -> ErrorKind {
    use pyforge_core::Error as C;
    use pyforge_databricks::Error as D;
    for cause in e.chain() {
        if let Some(c) = cause.downcast_ref::<C>() {
            return match c {
                C::Usage { .. } | C::InvalidOption(_) => ErrorKind::Usage,
                C::InvalidInput { .. } | C::Encoding { .. } | C::SchemaWidened { .. } => ErrorKind::InvalidInput,
                C::UnsupportedFormat { .. } => ErrorKind::UnsupportedFormat,
                C::NoSuchTable { .. } => ErrorKind::NoSuchTable,
                C::OutputExists { .. } | C::OutputIsInput { .. } => ErrorKind::OutputExists,
                C::Protected { .. } => ErrorKind::Protected,
                C::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => ErrorKind::NotFound,
                _ => ErrorKind::Failed,
            };
        }
        if let Some(d) = cause.downcast_ref::<D>() {
            return match d {
                D::AlreadyExists { .. } => ErrorKind::OutputExists,
                D::NotFound { .. } => ErrorKind::NotFound,
                D::InvalidVolumePath { .. } | D::UnsupportedLocation { .. } | D::Config(_) => ErrorKind::Usage,
                _ => ErrorKind::Remote,
            };
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::NotFound {
                return ErrorKind::NotFound;
            }
        }
    }
    ErrorKind::Failed
}

/// Parse `pyforge <command> <args...>`.
fn parse(command: &str, args: &[String]) -> Result<Command, ApiError> {
    let argv = ["pyforge", command].into_iter().map(str::to_string).chain(args.iter().cloned());
    Cli::try_parse_from(argv).map(|c| c.command).map_err(|e| ApiError::usage(e.render().to_string().trim().replace('\n', " ")))
}

fn quiet_ui() -> Ui {
    Ui { verbose: 0, quiet: true, collect: Some(Collected::default()) }
}

/// `pyforge convert ARGS`: `{"files": [per-file results], "ok", "failed", "skipped"}`; each
/// file result is described at [`Collected`]. A failure of the one input of a single-file
/// conversion is an `Err`; in a folder or glob conversion failures are listed per file.
pub fn convert(args: &[String], credentials: Option<Credentials>) -> Result<Value, ApiError> {
    let Command::Convert(mut a) = parse("convert", args)? else { unreachable!("parsed as convert") };
    a.remote.credentials = credentials;
    let ui = quiet_ui();
    crate::commands::convert(&ui, a)?;
    let files = ui.collect.as_ref().map(Collected::take).unwrap_or_default();
    let count = |s: &str| files.iter().filter(|f| f["status"] == s).count();
    Ok(json!({"ok": count("ok"), "failed": count("failed"), "skipped": count("skipped"), "files": files}))
}

/// `pyforge info --json ARGS`: the same document.
pub fn info(args: &[String], credentials: Option<Credentials>) -> Result<Value, ApiError> {
    let Command::Info(mut a) = parse("info", args)? else { unreachable!("parsed as info") };
    a.remote.credentials = credentials;
    Ok(crate::commands::info_document(&quiet_ui(), a)?)
}

/// One table of an input, open for streaming (keeps a staged Volume copy alive while read).
pub struct OpenTable {
    /// The table's name.
    pub name: String,
    /// Its record batches.
    pub stream: pyforge_core::source::BoxedStream,
    _staged: Option<StagedInput>,
}

/// Open one table of INPUT for reading; `args` are `info`'s (the input and read options).
/// Without `table` the input must have exactly one table (else a usage error lists them).
pub fn open_table(args: &[String], table: Option<&str>, credentials: Option<Credentials>) -> Result<OpenTable, ApiError> {
    let Command::Info(mut a) = parse("info", args)? else { unreachable!("parsed as info") };
    a.remote.credentials = credentials;
    open_parsed(a, table).map_err(ApiError::from)
}

fn open_parsed(a: InfoArgs, table: Option<&str>) -> anyhow::Result<OpenTable> {
    let ui = quiet_ui();
    let (local, staged) = crate::remote::local_input(&ui, &a.input, &a.remote)?;
    let source = pyforge_core::open(&local, &crate::commands::input_read_options(&a)?)?;
    let name = match table {
        Some(t) => t.to_string(),
        None => {
            let tables = source.tables()?;
            match tables.as_slice() {
                [one] => one.name.clone(),
                [] => anyhow::bail!("{}: no tables to read", a.input.display()),
                many => {
                    let names: Vec<&str> = many.iter().map(|t| t.name.as_str()).collect();
                    return Err(pyforge_core::Error::Usage {
                        path: a.input.clone(),
                        message: format!("{} tables; choose one with table= ({})", many.len(), names.join(", ")),
                    }
                    .into());
                }
            }
        }
    };
    let stream = source.open_table(&name)?;
    Ok(OpenTable { name, stream, _staged: staged })
}

/// `pyforge env-info --json`: the environment document.
pub fn env_info(profile: Option<&str>) -> Value {
    let (info, _problem) = pyforge_databricks::env::detect(profile);
    serde_json::to_value(&info).unwrap_or(Value::Null)
}

/// `pyforge formats --json`: `{"inputs": [{name, extensions, description}], "outputs"}`.
pub fn formats() -> Value {
    crate::commands::formats_document()
}

/// `pyforge samples DIR`: the files written.
pub fn samples(dir: &std::path::Path, force: bool) -> Result<Vec<PathBuf>, ApiError> {
    pyforge_core::samples::write_samples(dir, force).map_err(|e| ApiError::from(anyhow::Error::from(e)))
}
