//! The errors of this crate. None of them ever carries a secret: messages name the method, the
//! path and the status, and server messages are scrubbed of the credentials in use.

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong talking to (or configuring access to) Databricks and remote storage.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A `/Volumes/...` path that does not name catalog, schema and volume, or that is unsafe.
    #[error("{path}: not a valid Volume path: {reason} (expected dbfs:/Volumes/<catalog>/<schema>/<volume>/<path>)")]
    InvalidVolumePath { path: String, reason: String },
    /// A location this build cannot use (unknown scheme, malformed URL, DBFS root path...).
    #[error("{location}: {reason}")]
    UnsupportedLocation { location: String, reason: String },
    /// The workspace or its credentials are not configured, or configured inconsistently.
    #[error("Databricks configuration: {0}")]
    Config(String),
    /// HTTP 401: the credentials were refused.
    #[error("{method} {path}: authentication failed (HTTP 401{}); check DATABRICKS_TOKEN, the OAuth client or the profile in use", message_suffix(.message))]
    Unauthorized { method: String, path: String, message: String },
    /// HTTP 403: the credentials are valid but lack the permission.
    #[error("{method} {path}: permission denied (HTTP 403{})", message_suffix(.message))]
    Forbidden { method: String, path: String, message: String },
    /// HTTP 404.
    #[error("{path}: not found (HTTP 404{})", message_suffix(.message))]
    NotFound { path: String, message: String },
    /// The remote output exists and overwriting was not asked for.
    #[error("{path}: already exists (use --force to overwrite)")]
    AlreadyExists { path: String },
    /// Another HTTP error status (after the retries for transient ones).
    #[error("{method} {path}: HTTP {status}{}", message_suffix(.message))]
    Http { method: String, path: String, status: u16, message: String },
    /// The connection failed (after the retries for transient failures).
    #[error("{method} {path}: {message}")]
    Transport { method: String, path: String, message: String },
    /// A response that does not follow the API (bad JSON, a wrong Content-Range...).
    #[error("{method} {path}: unexpected response: {message}")]
    Protocol { method: String, path: String, message: String },
    /// Cloud storage refused the request (HTTP 401/403): missing, wrong or insufficient
    /// credentials. `hint` names the environment variables that hold them (never their values).
    #[error("{op} {url}: access denied by the cloud store{}; check the credentials in the environment ({hint})", message_suffix(.message))]
    CloudDenied { op: String, url: String, message: String, hint: String },
    /// Another cloud storage failure (after `object_store`'s retries).
    #[error("{op} {url}: {message}")]
    Cloud { op: String, url: String, message: String },
    /// A local file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

fn message_suffix(m: &str) -> String {
    if m.is_empty() {
        String::new()
    } else {
        format!(": {m}")
    }
}

impl Error {
    /// An I/O error on a local path.
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        Error::Io { path: path.as_ref().display().to_string(), source }
    }

    /// True for HTTP 404.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }
}
