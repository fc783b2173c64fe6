//! Turning the INPUT of a run into files: one file, a folder's files, or a glob's matches.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// What the INPUT argument names.
pub enum Inputs {
    One(PathBuf),
    Many(Vec<PathBuf>),
}

/// Whether a path holds glob characters (`*`, `?`, `[`).
pub fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

fn inputs_error(subject: impl Into<String>, message: impl Into<String>) -> Error {
    Error::Inputs { subject: subject.into(), message: message.into() }
}

/// Files of a folder whose format this build reads (by extension or signature); hidden files
/// and leftovers of interrupted runs are skipped.
fn folder_files(dir: &Path, recursive: bool, out: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|source| Error::Io { path: dir.to_path_buf(), source })?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        if p.is_dir() {
            if recursive {
                folder_files(&p, true, out)?;
            }
        } else if crate::registry::detect(&p).is_ok() {
            out.push(p);
        }
    }
    Ok(())
}

/// Resolve INPUT.
pub fn resolve(input: &str, recursive: bool) -> Result<Inputs> {
    let path = Path::new(input);
    if path.is_dir() {
        let mut files = Vec::new();
        folder_files(path, recursive, &mut files)?;
        if files.is_empty() {
            return Err(inputs_error(input, "the folder holds no file of a supported format (see `pyforge formats`)"));
        }
        return Ok(Inputs::Many(files));
    }
    if !path.exists() && is_glob(input) {
        let mut files: Vec<PathBuf> = glob::glob(input)
            .map_err(|e| inputs_error(input, format!("invalid glob pattern: {e}")))?
            .filter_map(|p| p.ok())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(inputs_error(input, "no files match"));
        }
        return Ok(Inputs::Many(files));
    }
    Ok(Inputs::One(path.to_path_buf()))
}
