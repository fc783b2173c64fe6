//! The read-only runs: `info`, `validate` and one table opened for reading, of a local path,
//! a Volume path or a cloud URL (downloaded first where it is not mounted).

use pyforge_core::convert::scan_table;
use pyforge_core::request::InputRequest;
use pyforge_core::types::type_name;
use serde_json::{json, Value};

use super::{local_input, RemoteOptions, RunError, StagedInput};

/// What `info --json` prints: `{path, format, size_bytes, details, tables: [{name, rows,
/// columns, details}]}`.
pub fn info_document(req: &InputRequest, remote: &RemoteOptions) -> Result<Value, RunError> {
    info_of(req, remote).map_err(|e| remote.names.error(e))
}

fn info_of(req: &InputRequest, remote: &RemoteOptions) -> Result<Value, RunError> {
    let (local, _staged) = local_input(&req.input, remote)?;
    let source = pyforge_core::open(&local, &req.read.read_options()?)?;
    let size = std::fs::metadata(&local).map(|m| m.len()).unwrap_or(0);
    let mut tables = Vec::new();
    for t in source.tables()? {
        // Formats that do not record row counts (CSV) are scanned, so the counts and types
        // shown are exactly what `convert` would write.
        let (rows, columns) = match t.rows {
            Some(r) => (r, t.columns.clone()),
            None => {
                let (schema, rows) = scan_table(source.as_ref(), &t.name)?;
                let cols = schema
                    .fields()
                    .iter()
                    .map(|f| pyforge_core::ColumnInfo { name: f.name().clone(), data_type: type_name(f.data_type()) })
                    .collect();
                (rows, cols)
            }
        };
        tables.push(json!({"name": t.name, "rows": rows, "columns": columns, "details": t.details}));
    }
    // Readers may learn facts while reading (warnings such as error cells read as null).
    if let Ok(after) = source.tables() {
        for (t, a) in tables.iter_mut().zip(after) {
            if !a.details.is_empty() {
                t["details"] = json!(a.details);
            }
        }
    }
    Ok(json!({
        "path": req.input.display().to_string(),
        "format": source.format_name(),
        "size_bytes": size,
        "details": source.details(),
        "tables": tables,
    }))
}

/// What `validate` checks, as `{"path", "format", "tables", "rows"}`: every table is read to
/// the end (an error names the file).
pub fn validate_document(req: &InputRequest, remote: &RemoteOptions) -> Result<Value, RunError> {
    validate_of(req, remote).map_err(|e| remote.names.error(e))
}

fn validate_of(req: &InputRequest, remote: &RemoteOptions) -> Result<Value, RunError> {
    let (local, _staged) = local_input(&req.input, remote)?;
    let source = pyforge_core::open(&local, &req.read.read_options()?)?;
    let mut rows = 0;
    let tables = source.tables()?;
    for t in &tables {
        rows += scan_table(source.as_ref(), &t.name)?.1;
    }
    Ok(
        json!({"path": req.input.display().to_string(), "format": source.format_name(), "tables": tables.len(), "rows": rows}),
    )
}

/// One table of an input, open for streaming (keeps a staged copy alive while read).
pub struct OpenTable {
    /// The table's name.
    pub name: String,
    /// Its record batches.
    pub stream: pyforge_core::source::BoxedStream,
    _staged: Option<StagedInput>,
}

/// Open one table of the input for reading. Without `table` the input must have exactly one
/// table (else a usage error lists them; `choose` says how to name one, e.g. `table=`).
pub fn open_table(
    req: &InputRequest,
    table: Option<&str>,
    choose: &str,
    remote: &RemoteOptions,
) -> Result<OpenTable, RunError> {
    open_of(req, table, choose, remote).map_err(|e| remote.names.error(e))
}

fn open_of(
    req: &InputRequest,
    table: Option<&str>,
    choose: &str,
    remote: &RemoteOptions,
) -> Result<OpenTable, RunError> {
    let (local, staged) = local_input(&req.input, remote)?;
    let source = pyforge_core::open(&local, &req.read.read_options()?)?;
    let name = match table {
        Some(t) => t.to_string(),
        None => only_table(&req.input, source.tables()?, choose)?,
    };
    let stream = source.open_table(&name)?;
    Ok(OpenTable { name, stream, _staged: staged })
}

fn only_table(input: &std::path::Path, tables: Vec<pyforge_core::TableInfo>, choose: &str) -> Result<String, RunError> {
    let usage = |message: String| RunError::Core(pyforge_core::Error::Usage { path: input.to_path_buf(), message });
    match tables.as_slice() {
        [one] => Ok(one.name.clone()),
        [] => Err(RunError::Core(pyforge_core::Error::Inputs {
            subject: input.display().to_string(),
            message: "no tables to read".into(),
        })),
        many => {
            let names: Vec<&str> = many.iter().map(|t| t.name.as_str()).collect();
            Err(usage(format!("{} tables; choose one with {choose} ({})", many.len(), names.join(", "))))
        }
    }
}
