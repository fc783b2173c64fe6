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

use clap::{CommandFactory, Parser};
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
        ApiError { kind: kind_of(&e), message: python_text(&crate::remote::shown_text(&crate::one_line(&e))) }
    }
}

/// The command's long options: name -> whether it takes a value.
fn long_options() -> std::collections::HashMap<String, bool> {
    let cli = Cli::command();
    let mut out = std::collections::HashMap::new();
    for cmd in std::iter::once(&cli).chain(cli.get_subcommands()) {
        for arg in cmd.get_arguments() {
            if let Some(long) = arg.get_long() {
                out.insert(long.to_string(), arg.get_action().takes_values());
            }
        }
    }
    out
}

/// A message in the words of the Python API: a command option `--name` becomes the keyword
/// argument that sets it (`force=True` for a flag, `encoding=...` for an option with a value,
/// `name` for an unknown one), and `` `pyforge formats` `` the function. Errors are written
/// once, for the command; this is where Python callers get their own spelling.
///
/// ```
/// let t = pyforge_cli::api::python_text("x.parquet: output already exists (use --force to overwrite)");
/// assert_eq!(t, "x.parquet: output already exists (use force=True to overwrite)");
/// ```
pub fn python_text(message: &str) -> String {
    let options = long_options();
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(i) = rest.find("--") {
        let before_ok = rest[..i].chars().last().is_none_or(|c| !c.is_alphanumeric() && c != '-');
        let tail = &rest[i + 2..];
        let len = tail.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-')).unwrap_or(tail.len());
        let name = &tail[..len];
        out.push_str(&rest[..i]);
        if before_ok && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
            let keyword = name.replace('-', "_");
            out.push_str(&match options.get(name) {
                Some(false) => format!("{keyword}=True"),
                Some(true) => format!("{keyword}=..."),
                None => keyword,
            });
        } else {
            out.push_str(&rest[i..i + 2 + len]);
        }
        rest = &tail[len..];
    }
    out.push_str(rest);
    out.replace("`pyforge formats`", "`pyforge_core.formats()`")
}

/// Classify by the first typed error in the chain.
fn kind_of(e: &anyhow::Error) -> ErrorKind {
    use pyforge_core::Error as C;
    use pyforge_databricks::Error as D;
    for cause in e.chain() {
        if let Some(shown) = cause.downcast_ref::<crate::remote::Shown>() {
            return kind_of(&shown.original);
        }
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
    // Only clap's first line: the rest (usage line, `--help` tips) is about the command line.
    Cli::try_parse_from(argv).map(|c| c.command).map_err(|e| {
        let text = e.render().to_string();
        let first = text.lines().next().unwrap_or_default().trim_start_matches("error: ");
        ApiError::usage(python_text(first))
    })
}

fn quiet_ui() -> Ui {
    Ui { verbose: 0, quiet: true, collect: Some(Collected::default()), listener: None }
}

/// `pyforge convert ARGS`: `{"files": [per-file results], "ok", "failed", "skipped"}`; each
/// file result is described at [`Collected`]. A failure of the one input of a single-file
/// conversion is an `Err`; in a folder or glob conversion failures are listed per file.
pub fn convert(args: &[String], credentials: Option<Credentials>) -> Result<Value, ApiError> {
    convert_with_progress(args, credentials, None)
}

/// [`convert`], telling `listener` how it goes (see [`crate::progress::ProgressListener`]).
pub fn convert_with_progress(
    args: &[String],
    credentials: Option<Credentials>,
    listener: Option<crate::progress::ProgressListener>,
) -> Result<Value, ApiError> {
    let Command::Convert(mut a) = parse("convert", args)? else { unreachable!("parsed as convert") };
    a.remote.credentials = credentials;
    let ui = Ui { listener, ..quiet_ui() };
    crate::commands::convert(&ui, a)?;
    let mut files = ui.collect.as_ref().map(Collected::take).unwrap_or_default();
    for f in &mut files {
        if let Some(e) = f["error"].as_str() {
            f["error"] = Value::String(python_text(e));
        }
    }
    let count = |s: &str| files.iter().filter(|f| f["status"] == s).count();
    Ok(json!({"ok": count("ok"), "failed": count("failed"), "skipped": count("skipped"), "files": files}))
}

/// `pyforge info --json ARGS`: the same document.
pub fn info(args: &[String], credentials: Option<Credentials>) -> Result<Value, ApiError> {
    let Command::Info(mut a) = parse("info", args)? else { unreachable!("parsed as info") };
    a.remote.credentials = credentials;
    Ok(crate::commands::info_document(&quiet_ui(), a)?)
}

/// `pyforge validate ARGS`: `{"path", "format", "tables", "rows"}` after reading every table.
pub fn validate(args: &[String], credentials: Option<Credentials>) -> Result<Value, ApiError> {
    let Command::Validate(mut a) = parse("validate", args)? else { unreachable!("parsed as validate") };
    a.remote.credentials = credentials;
    Ok(crate::commands::validate_document(&quiet_ui(), a)?)
}

/// The output names of a batch (see `pyforge_core::naming::output_stems`).
pub fn output_stems(inputs: &[PathBuf], output_dir: Option<&std::path::Path>) -> Vec<String> {
    pyforge_core::naming::output_stems(inputs, output_dir)
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
pub fn open_table(
    args: &[String],
    table: Option<&str>,
    credentials: Option<Credentials>,
) -> Result<OpenTable, ApiError> {
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
    pyforge_samples::write_samples(dir, force).map_err(|e| ApiError::from(anyhow::Error::from(e)))
}
