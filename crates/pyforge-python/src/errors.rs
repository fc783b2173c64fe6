//! Errors as Python exceptions, in the words of the Python API.

use pyforge_databricks::run::{Cause, RunError};
use pyo3::PyErr;

use crate::{
    InputNotFoundError, InvalidInputError, OutputExistsError, PasswordError, PyForgeError, RemoteError,
    TableNotFoundError, UnsupportedFormatError, UsageError,
};

/// The exception for a run's error: its type from the typed error behind it, its message in
/// Python's words.
pub(crate) fn to_py(e: &RunError) -> PyErr {
    use pyforge_core::Error as C;
    use pyforge_databricks::Error as D;
    let m = python_text(&pyforge_databricks::run::one_line(e));
    match e.cause() {
        Cause::Core(c) => match c {
            C::Usage { .. } | C::InvalidOption(_) => UsageError::new_err(m),
            C::InvalidInput { .. } | C::Encoding { .. } | C::SchemaWidened { .. } => InvalidInputError::new_err(m),
            C::UnsupportedFormat { .. } => UnsupportedFormatError::new_err(m),
            C::NoSuchTable { .. } => TableNotFoundError::new_err(m),
            C::OutputExists { .. } | C::OutputIsInput { .. } => OutputExistsError::new_err(m),
            C::Protected { .. } => PasswordError::new_err(m),
            C::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => InputNotFoundError::new_err(m),
            _ => PyForgeError::new_err(m),
        },
        Cause::Remote(d) => match d {
            D::AlreadyExists { .. } => OutputExistsError::new_err(m),
            D::NotFound { .. } => InputNotFoundError::new_err(m),
            D::InvalidVolumePath { .. } | D::UnsupportedLocation { .. } | D::Config(_) => UsageError::new_err(m),
            _ => RemoteError::new_err(m),
        },
    }
}

/// A message in the words of the Python API: a command option `--name` becomes the keyword
/// argument that sets it (`force=True` for a flag, `encoding=...` for an option with a value,
/// `name` for an unknown one), and `` `pyforge formats` `` the function. Errors are written
/// once, for the command; this is where Python callers get their own spelling.
pub(crate) fn python_text(message: &str) -> String {
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
            out.push_str(&match pyforge_core::request::option_takes_value(name) {
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
