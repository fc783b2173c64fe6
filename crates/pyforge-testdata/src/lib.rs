//! The one place that knows where PyForge's test data lives.
//!
//! Every test, bench and fuzz helper that reads a stored input asks this crate for its path, so
//! the layout (`testdata/<format>/<origin>/`, described in `testdata/SOURCES.md`) is written
//! down once. A missing file is a panic naming the path: the data ships with the repository,
//! so its absence is a broken checkout, never a reason to skip.

use std::path::{Path, PathBuf};

/// The repository's `testdata/` folder.
pub fn root() -> PathBuf {
    // This crate sits at crates/pyforge-testdata; the data two levels up.
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata").components().collect()
}

/// The repository's root folder (for files listed relative to it, such as
/// `fuzz/seed-folders.txt`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").components().collect()
}

/// `testdata/<relative>`, which must exist.
///
/// # Panics
/// When the path does not exist: the test data is part of the repository.
pub fn path(relative: &str) -> PathBuf {
    let p = root().join(relative);
    assert!(p.exists(), "test data missing: {} (see testdata/SOURCES.md)", p.display());
    p
}

/// Every file under `testdata/<relative>` whose extension (lower-cased, without the dot) is one
/// of `extensions`, or every file when `extensions` is empty; sorted, so runs are repeatable.
pub fn files(relative: &str, extensions: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    collect(&path(relative), extensions, &mut out);
    out.sort();
    out
}

fn collect(dir: &Path, extensions: &[&str], out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    for entry in entries.flatten() {
        let p = entry.path();
        if p.is_dir() {
            collect(&p, extensions, out);
        } else if extensions.is_empty() || has_extension(&p, extensions) {
            out.push(p);
        }
    }
}

fn has_extension(p: &Path, extensions: &[&str]) -> bool {
    let ext = p.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    ext.is_some_and(|e| extensions.iter().any(|x| x.eq_ignore_ascii_case(&e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_sources_table_and_files_by_extension() {
        assert!(path("SOURCES.md").is_file());
        let encrypted = files("access/jackcess-encrypt", &["mdb", "accdb"]);
        assert_eq!(encrypted.len(), 6, "{encrypted:?}");
        assert!(encrypted.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    #[should_panic(expected = "test data missing")]
    fn a_missing_path_is_a_panic_naming_it() {
        path("no/such/folder");
    }
}
