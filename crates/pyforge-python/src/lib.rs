//! `pyforge_core._native`: the converter for Python. The Python package `pyforge_core` (in
//! `python/pyforge_core/`) is the public API; this module is its engine.
//!
//! Commands take the command line's own arguments (built from keyword arguments in Python), so
//! every option behaves exactly as in the `pyforge` command; results are JSON text the Python
//! side decodes. Tables reach Python through the Arrow C stream interface in a PyCapsule named
//! `arrow_array_stream` (pyarrow 14 and later import it without a copy).
//!
//! Example (Python): `_native.convert(["sales.csv", "--force"])` returns
//! `'{"ok": 1, "failed": 0, "skipped": 0, "files": [...]}'`.

use std::path::PathBuf;

use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use arrow::ffi_stream::FFI_ArrowArrayStream;
use arrow::record_batch::{RecordBatch, RecordBatchReader};
use pyforge_cli::api::{self, ApiError, ErrorKind, OpenTable};
use pyforge_cli::remote::Credentials;
use pyforge_cli::volume_files;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

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

fn to_py(e: ApiError) -> PyErr {
    let m = e.message;
    match e.kind {
        ErrorKind::Usage => UsageError::new_err(m),
        ErrorKind::InvalidInput => InvalidInputError::new_err(m),
        ErrorKind::UnsupportedFormat => UnsupportedFormatError::new_err(m),
        ErrorKind::NoSuchTable => TableNotFoundError::new_err(m),
        ErrorKind::OutputExists => OutputExistsError::new_err(m),
        ErrorKind::Protected => PasswordError::new_err(m),
        ErrorKind::NotFound => InputNotFoundError::new_err(m),
        ErrorKind::Remote => RemoteError::new_err(m),
        ErrorKind::Failed => PyForgeError::new_err(m),
    }
}

fn credentials(host: Option<String>, token: Option<String>) -> PyResult<Option<Credentials>> {
    match (host, token) {
        (Some(host), Some(token)) => {
            Ok(Some(Credentials { host, token: pyforge_databricks::config::Secret::new(token) }))
        }
        (None, None) => Ok(None),
        _ => Err(UsageError::new_err("host and token go together: pass both or neither")),
    }
}

/// Run the `pyforge` command line (`argv[0]` is the program name); returns the exit code.
#[pyfunction]
fn run_cli(py: Python<'_>, argv: Vec<String>) -> u8 {
    py.detach(|| pyforge_cli::run(argv))
}

/// `pyforge convert ARGS` as JSON text (see `pyforge_cli::api::convert`). `progress`, if
/// given, is called with a dict per update (`pyforge_cli::progress::ProgressListener`); the
/// first exception it raises stops further calls and is raised once the conversion ends.
#[pyfunction]
#[pyo3(signature = (args, host=None, token=None, progress=None))]
fn convert(
    py: Python<'_>,
    args: Vec<String>,
    host: Option<String>,
    token: Option<String>,
    progress: Option<Py<PyAny>>,
) -> PyResult<String> {
    let creds = credentials(host, token)?;
    let raised: std::sync::Arc<std::sync::Mutex<Option<PyErr>>> = Default::default();
    let listener = progress.map(|callback| {
        let raised = raised.clone();
        std::sync::Arc::new(move |update: &serde_json::Value| {
            let mut raised = raised.lock().unwrap_or_else(|e| e.into_inner());
            if raised.is_none() {
                *raised = Python::attach(|py| to_dict(py, update).and_then(|d| callback.call1(py, (d,))).err());
            }
        }) as pyforge_cli::progress::ProgressListener
    });
    let v = py.detach(|| api::convert_with_progress(&args, creds, listener)).map_err(to_py)?;
    if let Some(e) = raised.lock().unwrap_or_else(|e| e.into_inner()).take() {
        return Err(e);
    }
    Ok(v.to_string())
}

/// A flat JSON object (progress updates) as a Python dict.
fn to_dict<'py>(py: Python<'py>, v: &serde_json::Value) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
    use pyo3::types::PyDict;
    let d = PyDict::new(py);
    for (k, v) in v.as_object().into_iter().flatten() {
        match v {
            serde_json::Value::Null => d.set_item(k, py.None())?,
            serde_json::Value::Bool(b) => d.set_item(k, b)?,
            serde_json::Value::Number(n) => match n.as_u64() {
                Some(u) => d.set_item(k, u)?,
                None => d.set_item(k, n.as_f64())?,
            },
            serde_json::Value::String(s) => d.set_item(k, s)?,
            other => d.set_item(k, other.to_string())?,
        }
    }
    Ok(d)
}

/// `pyforge info --json ARGS` as JSON text.
#[pyfunction]
#[pyo3(signature = (args, host=None, token=None))]
fn info(py: Python<'_>, args: Vec<String>, host: Option<String>, token: Option<String>) -> PyResult<String> {
    let creds = credentials(host, token)?;
    let v = py.detach(|| api::info(&args, creds)).map_err(to_py)?;
    Ok(v.to_string())
}

/// `pyforge validate ARGS` as JSON text: `{"path", "format", "tables", "rows"}`.
#[pyfunction]
#[pyo3(signature = (args, host=None, token=None))]
fn validate(py: Python<'_>, args: Vec<String>, host: Option<String>, token: Option<String>) -> PyResult<String> {
    let creds = credentials(host, token)?;
    let v = py.detach(|| api::validate(&args, creds)).map_err(to_py)?;
    Ok(v.to_string())
}

/// The output names (without extension) of a batch of inputs going into `output_dir` (or
/// beside each input): the CLI's rule, so Python and Spark name outputs as a folder run does.
#[pyfunction]
#[pyo3(signature = (inputs, output_dir=None))]
fn output_stems(inputs: Vec<PathBuf>, output_dir: Option<PathBuf>) -> Vec<String> {
    api::output_stems(&inputs, output_dir.as_deref())
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
    let data = py.detach(|| volume_files::read(&path, creds)).map_err(to_py)?;
    Ok(pyo3::types::PyBytes::new(py, &data))
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
    py.detach(|| volume_files::write(&path, &data, overwrite, creds)).map_err(to_py)
}

/// The entries of a Volume folder as JSON text.
#[pyfunction]
#[pyo3(signature = (path, host=None, token=None))]
fn volume_list(py: Python<'_>, path: String, host: Option<String>, token: Option<String>) -> PyResult<String> {
    let creds = credentials(host, token)?;
    Ok(py.detach(|| volume_files::list(&path, creds)).map_err(to_py)?.to_string())
}

/// Whether a file or folder exists at a Volume path.
#[pyfunction]
#[pyo3(signature = (path, host=None, token=None))]
fn volume_exists(py: Python<'_>, path: String, host: Option<String>, token: Option<String>) -> PyResult<bool> {
    let creds = credentials(host, token)?;
    py.detach(|| volume_files::exists(&path, creds)).map_err(to_py)
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
    Ok(py.detach(|| volume_files::info(&catalog, &schema, &volume, creds)).map_err(to_py)?.to_string())
}

/// A table being read, as an Arrow record batch reader (errors keep their message).
struct TableReader {
    schema: SchemaRef,
    table: OpenTable,
}

impl Iterator for TableReader {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        // As ApiError: the message in Python's words (`allow_ragged=True`, not `--allow-ragged`).
        self.table.stream.next().map(|r| {
            r.map_err(|e| {
                ArrowError::ExternalError(Box::new(ApiError {
                    kind: ErrorKind::InvalidInput,
                    message: api::python_text(&e.to_string()),
                }))
            })
        })
    }
}

impl RecordBatchReader for TableReader {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

/// Open one table of an input (`args` as for `info`): `(table name, capsule)`, where the
/// capsule holds an Arrow C stream that pyarrow imports (`RecordBatchReader`). Without `table`
/// the input must have exactly one table.
#[pyfunction]
#[pyo3(signature = (args, table=None, host=None, token=None))]
fn open_table<'py>(
    py: Python<'py>,
    args: Vec<String>,
    table: Option<String>,
    host: Option<String>,
    token: Option<String>,
) -> PyResult<(String, Bound<'py, PyCapsule>)> {
    let creds = credentials(host, token)?;
    let opened = py.detach(|| api::open_table(&args, table.as_deref(), creds)).map_err(to_py)?;
    let name = opened.name.clone();
    let schema = opened.stream.schema();
    let stream = FFI_ArrowArrayStream::new(Box::new(TableReader { schema, table: opened }));
    // The capsule owns the stream: pyarrow moves it out on import; if never imported, dropping
    // the capsule releases it (FFI_ArrowArrayStream's Drop calls release when still set).
    let capsule = PyCapsule::new_with_value(py, stream, c"arrow_array_stream")?;
    Ok((name, capsule))
}

/// `pyforge env-info --json` as JSON text.
#[pyfunction]
#[pyo3(signature = (profile=None))]
fn env_info(profile: Option<String>) -> String {
    api::env_info(profile.as_deref()).to_string()
}

/// `pyforge formats --json` as JSON text.
#[pyfunction]
fn formats() -> String {
    api::formats().to_string()
}

/// `pyforge samples DIR`: the paths written.
#[pyfunction]
#[pyo3(signature = (dir, force=false))]
fn samples(py: Python<'_>, dir: PathBuf, force: bool) -> PyResult<Vec<String>> {
    let files = py.detach(|| api::samples(&dir, force)).map_err(to_py)?;
    Ok(files.into_iter().map(|p| p.display().to_string()).collect())
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", pyforge_core::VERSION)?;
    m.add_function(wrap_pyfunction!(run_cli, m)?)?;
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
