//! Volume file operations for in-process callers (the Python `volume_handler`): through the
//! mount where `/Volumes` is mounted here, else through the same Files API client the
//! converter uses (same credentials, retries and timeouts).
//!
//! ```no_run
//! let bytes = pyforge_databricks::volume_files::read("/Volumes/main/raw/files/a.csv", None)?;
//! # Ok::<(), pyforge_databricks::run::RunError>(())
//! ```

use std::path::PathBuf;

use serde_json::{json, Value};

use crate::config::Config;
use crate::files_api::FilesApi;
use crate::http::HttpClient;
use crate::location::VolumePath;
use crate::run::{Credentials, RunError};
use crate::volumes::VolumesApi;

/// Where a Volume path is reached.
enum Access {
    /// A plain file below the mount.
    Mounted(PathBuf),
    /// The Files API.
    Api(Box<HttpClient>, VolumePath),
}

fn parse(path: &str) -> Result<VolumePath, RunError> {
    match VolumePath::parse(path) {
        Some(r) => Ok(r?),
        None => Err(pyforge_core::Error::InvalidOption(format!(
            "{path}: not a Volume path (/Volumes/<catalog>/<schema>/<volume>/..., dbfs:/Volumes/... or /dbfs/Volumes/...)"
        ))
        .into()),
    }
}

fn client(credentials: Option<Credentials>) -> Result<HttpClient, RunError> {
    let config = match &credentials {
        Some(c) => Config::with_token(&c.host, c.token.expose()),
        None => Config::resolve(None)?,
    };
    Ok(HttpClient::new(&config)?)
}

fn access(path: &str, credentials: Option<Credentials>) -> Result<Access, RunError> {
    let v = parse(path)?;
    if let Some(root) = crate::env::volumes_root() {
        return Ok(Access::Mounted(v.mount_path(&root)));
    }
    Ok(Access::Api(Box::new(client(credentials)?), v))
}

fn io_error(p: &std::path::Path, e: std::io::Error) -> RunError {
    pyforge_core::Error::io(p, e).into()
}

/// The bytes of a Volume file.
pub fn read(path: &str, credentials: Option<Credentials>) -> Result<Vec<u8>, RunError> {
    match access(path, credentials)? {
        Access::Mounted(p) => std::fs::read(&p).map_err(|e| io_error(&p, e)),
        Access::Api(http, v) => {
            let tmp = tempfile::NamedTempFile::new().map_err(|e| io_error(&std::env::temp_dir(), e))?;
            FilesApi::new(&http).download(&v, tmp.path())?;
            std::fs::read(tmp.path()).map_err(|e| io_error(tmp.path(), e))
        }
    }
}

/// Write `data` to a Volume file; an existing file is an "output exists" error unless
/// `overwrite`. Parent folders are created.
pub fn write(path: &str, data: &[u8], overwrite: bool, credentials: Option<Credentials>) -> Result<(), RunError> {
    match access(path, credentials)? {
        Access::Mounted(p) => {
            if !overwrite && p.exists() {
                return Err(crate::Error::AlreadyExists { path: path.to_string() }.into());
            }
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent).map_err(|e| io_error(parent, e))?;
            }
            std::fs::write(&p, data).map_err(|e| io_error(&p, e))
        }
        Access::Api(http, v) => {
            let mut tmp = tempfile::NamedTempFile::new().map_err(|e| io_error(&std::env::temp_dir(), e))?;
            std::io::Write::write_all(&mut tmp, data).map_err(|e| io_error(tmp.path(), e))?;
            let files = FilesApi::new(&http);
            // The volume itself exists or the upload fails with its own error; folders below it
            // are created as a mounted write would.
            if let Some(parent) = v.parent().filter(|p| !p.parts.is_empty()) {
                files.create_dirs(&parent)?;
            }
            files.upload(tmp.path(), &v, overwrite).map_err(RunError::from)
        }
    }
}

/// The entries of a Volume folder: `[{"path", "name", "is_directory", "size"}]`, sorted.
pub fn list(path: &str, credentials: Option<Credentials>) -> Result<Value, RunError> {
    let mut entries: Vec<Value> = match access(path, credentials)? {
        Access::Mounted(dir) => {
            let shown = parse(path)?.api_path();
            let read = std::fs::read_dir(&dir).map_err(|e| io_error(&dir, e))?;
            let mut out = Vec::new();
            for e in read {
                let e = e.map_err(|err| io_error(&dir, err))?;
                let meta = e.metadata().map_err(|err| io_error(&e.path(), err))?;
                let name = e.file_name().to_string_lossy().into_owned();
                let size = (!meta.is_dir()).then_some(meta.len());
                out.push(json!({"path": format!("{shown}/{name}"), "name": name, "is_directory": meta.is_dir(), "size": size}));
            }
            out
        }
        Access::Api(http, v) => FilesApi::new(&http)
            .list(&v)?
            .into_iter()
            .map(|e| json!({"path": e.path, "name": e.name, "is_directory": e.is_directory, "size": e.file_size}))
            .collect(),
    };
    entries.sort_by(|a, b| a["path"].as_str().cmp(&b["path"].as_str()));
    Ok(Value::Array(entries))
}

/// True if a file or folder exists at the Volume path.
pub fn exists(path: &str, credentials: Option<Credentials>) -> Result<bool, RunError> {
    match access(path, credentials)? {
        Access::Mounted(p) => Ok(p.exists()),
        Access::Api(http, v) => {
            let files = FilesApi::new(&http);
            let found = files.head(&v)?.is_some() || files.dir_exists(&v)?;
            Ok(found)
        }
    }
}

/// Unity Catalog's record of volume `catalog.schema.volume` (always through the API: a mount
/// does not know the volume's type, owner or storage).
pub fn info(catalog: &str, schema: &str, volume: &str, credentials: Option<Credentials>) -> Result<Value, RunError> {
    let http = client(credentials)?;
    let v = VolumesApi::new(&http).get(&format!("{catalog}.{schema}.{volume}"))?;
    Ok(json!({
        "full_name": v.full_name,
        "catalog_name": catalog,
        "schema_name": schema,
        "name": volume,
        "volume_type": v.volume_type,
        "storage_location": v.storage_location,
        "owner": v.owner,
        "comment": v.comment,
    }))
}
