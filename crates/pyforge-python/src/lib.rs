//! `pyforge_core._native`: the converter for Python. The Python package `pyforge_core` (in
//! `python/pyforge_core/`) is the public API; this module is its engine.
//!
//! Requests arrive as JSON objects of option names and values (the Python keyword arguments,
//! named as the command's long options with `_` for `-`), become the typed requests of
//! `pyforge_core::request` and run through `pyforge_databricks::run`, as the command's do;
//! results are JSON text the Python side decodes. Tables reach Python through the Arrow C
//! stream interface in a PyCapsule named `arrow_array_stream` (pyarrow 14 and later import it
//! without a copy).
//!
//! Example (Python): `_native.convert('{"input": "sales.csv", "force": true}')` returns
//! `'{"ok": 1, "failed": 0, "skipped": 0, "files": [...]}'`.

mod errors;
mod progress;
mod report;

use std::path::PathBuf;

use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use arrow::ffi_stream::FFI_ArrowArrayStream;
use arrow::record_batch::{RecordBatch, RecordBatchReader};
use pyforge_core::request::{ConvertRequest, InputRequest};
use pyforge_databricks::run::{self, Credentials, OpenTable, RemoteOptions};
use pyforge_databricks::volume_files;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;
use serde_json::Value;

use errors::{python_text, to_py};

create_exception!(_native, PyForgeError, PyException, "Base class of every PyForge error.");
create_exception!(_native, UsageError, PyForgeError, "Options that do not parse or do not fit the input.");
create_exception!(_native, InvalidInputError, PyForgeError, "The input could not be read as its format.");
create_exception!(_native, UnsupportedFormatError, PyForgeError, "No reader for this input.");
create_exception!(_native, TableNotFoundError, PyForgeError, "The requested table or sheet does not exist.");
create_exception!(
    _native,
    OutputExistsError,
    PyForgeError,
    "The output exists (pass force=True) or would overwrite the input."
);
create_exception!(_native, PasswordError, PyForgeError, "The input is protected: a password is needed or was wrong.");
create_exception!(_native, InputNotFoundError, PyForgeError, "The input does not exist.");
create_exception!(
    _native,
    RemoteError,
    PyForgeError,
    "A Databricks workspace request failed (auth, permissions, transport)."
);

/// The remote side of one call: its own path names, and the credentials handed over.
fn remote_options(request: &mut Value, host: Option<String>, token: Option<String>) -> PyResult<RemoteOptions> {
    let credentials = match (host, token) {
        (Some(host), Some(token)) => Some(Credentials { host, token: pyforge_databricks::config::Secret::new(token) }),
        (None, None) => None,
        _ => return Err(UsageError::new_err("host and token go together: pass both or neither")),
    };
    // `profile` and `temp_dir` are options of the call, not of the conversion.
    let mut text = |name: &str| match request.as_object_mut().and_then(|o| o.remove(name)) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(UsageError::new_err(format!("{name} must be a string, not {other}"))),
    };
    let profile = text("profile")?;
    let temp_dir = text("temp_dir")?.map(PathBuf::from);
    Ok(RemoteOptions { profile, temp_dir, credentials, ..Default::default() })
}

/// A request's JSON text as a value.
fn parse_request(text: &str) -> PyResult<Value> {
    serde_json::from_str(text).map_err(|e| UsageError::new_err(format!("not a request: {e}")))
}

/// Convert as `pyforge convert` does; `request` is a JSON object (`{"input", "output", ...
/// options}`). Returns `{"files": [per-file results], "ok", "failed", "skipped", "seconds"}` as
/// JSON text (see `report.rs`).
/// `progress`, if given, is called with a dict per update (see `progress.rs`); the first
/// exception it raises stops further calls and is raised once the conversion ends.
#[pyfunction]
#[pyo3(signature = (request, host=None, token=None, progress=None))]
fn convert(
    py: Python<'_>,
    request: &str,
    host: Option<String>,
    token: Option<String>,
    progress: Option<Py<PyAny>>,
) -> PyResult<String> {
    let mut value = parse_request(request)?;
    let remote = remote_options(&mut value, host, token)?;
    let req = ConvertRequest::from_json(&value).map_err(|e| to_py(&run::RunError::from(e)))?;
    let observer = progress::Listener::new(progress, remote.names.clone());
    let report = py.detach(|| run::convert(&req, &remote, &observer)).map_err(|e| to_py(&e))?;
    // The conversion's own error comes first; then the callback's, once the outputs are done.
    observer.raised()?;
    Ok(report::document(&report, &remote.names).to_string())
}

/// A read-only request (`info`, `validate`, a table): its typed form and remote options.
fn input_request(
    request: &str,
    host: Option<String>,
    token: Option<String>,
) -> PyResult<(InputRequest, RemoteOptions)> {
    let mut value = parse_request(request)?;
    let remote = remote_options(&mut value, host, token)?;
    let req = InputRequest::from_json(&value).map_err(|e| to_py(&run::RunError::from(e)))?;
    Ok((req, remote))
}

/// What `pyforge info --json` prints, as JSON text; `request` as for [`convert`] with the read
/// options only.
#[pyfunction]
#[pyo3(signature = (request, host=None, token=None))]
fn info(py: Python<'_>, request: &str, host: Option<String>, token: Option<String>) -> PyResult<String> {
    let (req, remote) = input_request(request, host, token)?;
    let v = py.detach(|| run::info_document(&req, &remote)).map_err(|e| to_py(&e))?;
    Ok(v.to_string())
}

/// `pyforge validate` as JSON text: `{"path", "format", "tables", "rows"}`.
#[pyfunction]
#[pyo3(signature = (request, host=None, token=None))]
fn validate(py: Python<'_>, request: &str, host: Option<String>, token: Option<String>) -> PyResult<String> {
    let (req, remote) = input_request(request, host, token)?;
    let v = py.detach(|| run::validate_document(&req, &remote)).map_err(|e| to_py(&e))?;
    Ok(v.to_string())
}

/// The output names (without extension) of a batch of inputs going into `output_dir` (or
/// beside each input): the CLI's rule, so Python and Spark name outputs as a folder run does.
#[pyfunction]
#[pyo3(signature = (inputs, output_dir=None))]
fn output_stems(inputs: Vec<PathBuf>, output_dir: Option<PathBuf>) -> Vec<String> {
    pyforge_core::naming::output_stems(&inputs, output_dir.as_deref())
}

/// The bytes of a Volume file (mount where mounted, else the Files API).
#[pyfunction]
#[pyo3(signature = (path, host=None, token=None))]
fn volume_read<'py>(
    py: Python<'py>,
    path: String,
    host: Option<String>,
    token: Option<String>,
) -> PyResult<Bound<'py, pyo3::types::PyBytes>> {
    let creds = credentials(host, token)?;
    let data = py.detach(|| volume_files::read(&path, creds)).map_err(|e| to_py(&e))?;
    Ok(pyo3::types::PyBytes::new(py, &data))
}

/// Credentials handed over by the caller (both or neither).
fn credentials(host: Option<String>, token: Option<String>) -> PyResult<Option<Credentials>> {
    let mut none = Value::Null;
    Ok(remote_options(&mut none, host, token)?.credentials)
}

/// Write bytes to a Volume file (an existing file is OutputExistsError unless `overwrite`).
#[pyfunction]
#[pyo3(signature = (path, data, overwrite=false, host=None, token=None))]
fn volume_write(
    py: Python<'_>,
    path: String,
    data: Vec<u8>,
    overwrite: bool,
    host: Option<String>,
    token: Option<String>,
) -> PyResult<()> {
    let creds = credentials(host, token)?;
    py.detach(|| volume_files::write(&path, &data, overwrite, creds)).map_err(|e| to_py(&e))
}

/// The entries of a Volume folder as JSON text.
#[pyfunction]
#[pyo3(signature = (path, host=None, token=None))]
fn volume_list(py: Python<'_>, path: String, host: Option<String>, token: Option<String>) -> PyResult<String> {
    let creds = credentials(host, token)?;
    Ok(py.detach(|| volume_files::list(&path, creds)).map_err(|e| to_py(&e))?.to_string())
}

/// Whether a file or folder exists at a Volume path.
#[pyfunction]
#[pyo3(signature = (path, host=None, token=None))]
fn volume_exists(py: Python<'_>, path: String, host: Option<String>, token: Option<String>) -> PyResult<bool> {
    let creds = credentials(host, token)?;
    py.detach(|| volume_files::exists(&path, creds)).map_err(|e| to_py(&e))
}

/// Unity Catalog's record of a volume as JSON text.
#[pyfunction]
#[pyo3(signature = (catalog, schema, volume, host=None, token=None))]
fn volume_info(
    py: Python<'_>,
    catalog: String,
    schema: String,
    volume: String,
    host: Option<String>,
    token: Option<String>,
) -> PyResult<String> {
    let creds = credentials(host, token)?;
    Ok(py.detach(|| volume_files::info(&catalog, &schema, &volume, creds)).map_err(|e| to_py(&e))?.to_string())
}

/// A table being read, as an Arrow record batch reader (errors keep their message).
struct TableReader {
    schema: SchemaRef,
    table: OpenTable,
    /// Shows a staged copy's path as the remote path it stands for.
    names: run::PathNames,
}

impl Iterator for TableReader {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        // The message in Python's words (`allow_ragged=True`, not `--allow-ragged`).
        let names = &self.names;
        self.table
            .stream
            .next()
            .map(|r| r.map_err(|e| ArrowError::ExternalError(python_text(&names.text(&e.to_string())).into())))
    }
}

impl RecordBatchReader for TableReader {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

/// Open one table of an input (`request` as for `info`): `(table name, capsule)`, where the
/// capsule holds an Arrow C stream that pyarrow imports (`RecordBatchReader`). Without `table`
/// the input must have exactly one table.
#[pyfunction]
#[pyo3(signature = (request, table=None, host=None, token=None))]
fn open_table<'py>(
    py: Python<'py>,
    request: &str,
    table: Option<String>,
    host: Option<String>,
    token: Option<String>,
) -> PyResult<(String, Bound<'py, PyCapsule>)> {
    let (req, remote) = input_request(request, host, token)?;
    let opened = py.detach(|| run::open_table(&req, table.as_deref(), "table=", &remote)).map_err(|e| to_py(&e))?;
    let name = opened.name.clone();
    let schema = opened.stream.schema();
    let stream = FFI_ArrowArrayStream::new(Box::new(TableReader { schema, table: opened, names: remote.names }));
    // The capsule owns the stream: pyarrow moves it out on import; if never imported, dropping
    // the capsule releases it (FFI_ArrowArrayStream's Drop calls release when still set).
    let capsule = PyCapsule::new_with_value(py, stream, c"arrow_array_stream")?;
    Ok((name, capsule))
}

/// `pyforge env-info --json` as JSON text.
#[pyfunction]
#[pyo3(signature = (profile=None))]
fn env_info(profile: Option<String>) -> String {
    let (info, _problem) = pyforge_databricks::env::detect(profile.as_deref());
    serde_json::to_value(&info).unwrap_or(Value::Null).to_string()
}

/// `pyforge formats --json` as JSON text.
#[pyfunction]
fn formats() -> String {
    pyforge_core::registry::formats_document().to_string()
}

/// `pyforge samples DIR`: the paths written.
#[pyfunction]
#[pyo3(signature = (dir, force=false))]
fn samples(py: Python<'_>, dir: PathBuf, force: bool) -> PyResult<Vec<String>> {
    let files =
        py.detach(|| pyforge_samples::write_samples(&dir, force)).map_err(|e| to_py(&run::RunError::from(e)))?;
    Ok(files.into_iter().map(|p| p.display().to_string()).collect())
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", pyforge_core::VERSION)?;
    m.add_function(wrap_pyfunction!(convert, m)?)?;
    m.add_function(wrap_pyfunction!(info, m)?)?;
    m.add_function(wrap_pyfunction!(validate, m)?)?;
    m.add_function(wrap_pyfunction!(output_stems, m)?)?;
    for f in [
        wrap_pyfunction!(volume_read, m)?,
        wrap_pyfunction!(volume_write, m)?,
        wrap_pyfunction!(volume_list, m)?,
        wrap_pyfunction!(volume_exists, m)?,
        wrap_pyfunction!(volume_info, m)?,
    ] {
        m.add_function(f)?;
    }
    m.add_function(wrap_pyfunction!(open_table, m)?)?;
    m.add_function(wrap_pyfunction!(env_info, m)?)?;
    m.add_function(wrap_pyfunction!(formats, m)?)?;
    m.add_function(wrap_pyfunction!(samples, m)?)?;
    m.add("PyForgeError", py.get_type::<PyForgeError>())?;
    m.add("UsageError", py.get_type::<UsageError>())?;
    m.add("InvalidInputError", py.get_type::<InvalidInputError>())?;
    m.add("UnsupportedFormatError", py.get_type::<UnsupportedFormatError>())?;
    m.add("TableNotFoundError", py.get_type::<TableNotFoundError>())?;
    m.add("OutputExistsError", py.get_type::<OutputExistsError>())?;
    m.add("PasswordError", py.get_type::<PasswordError>())?;
    m.add("InputNotFoundError", py.get_type::<InputNotFoundError>())?;
    m.add("RemoteError", py.get_type::<RemoteError>())?;
    Ok(())
}
