//! Outputs appear whole or not at all: data goes to a temporary name beside the target and is
//! renamed over it on success; a failure (or a dropped writer) removes the temporary.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Marker in the names of temporaries, so a later run (or a user) can recognise leftovers of
/// a killed conversion.
pub const TEMP_MARKER: &str = ".pyforge-tmp-";

/// A file being written under a temporary name in the target's folder.
pub struct AtomicFile {
    tmp: tempfile::NamedTempFile,
    target: PathBuf,
    force: bool,
}

impl AtomicFile {
    /// Start writing `target`. Fails at once if it exists and `force` is false.
    pub fn create(target: &Path, force: bool) -> Result<Self> {
        check_absent(target, force)?;
        let dir = parent_dir(target);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}{TEMP_MARKER}"))
            .tempfile_in(&dir)
            .map_err(|e| Error::io(&dir, e))?;
        Ok(AtomicFile { tmp, target: target.to_path_buf(), force })
    }

    /// A second handle on the temporary file, for writers that take ownership.
    pub fn file(&self) -> Result<File> {
        self.tmp.reopen().map_err(|e| Error::io(self.tmp.path(), e))
    }

    /// Where the file will appear.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Rename the temporary onto the target.
    pub fn commit(self) -> Result<()> {
        let target = self.target.clone();
        self.tmp.as_file().sync_all().map_err(|e| Error::io(&target, e))?;
        if self.force {
            self.tmp.persist(&target).map_err(|e| Error::io(&target, e.error))?;
        } else {
            self.tmp.persist_noclobber(&target).map_err(|e| {
                if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                    Error::OutputExists { path: target.clone() }
                } else {
                    Error::io(&target, e.error)
                }
            })?;
        }
        Ok(())
    }
}

/// A folder (partitioned output) built under a temporary name and renamed into place.
pub struct StagedDir {
    tmp: Option<tempfile::TempDir>,
    target: PathBuf,
    force: bool,
}

impl StagedDir {
    /// Start building the folder `target`.
    pub fn create(target: &Path, force: bool) -> Result<Self> {
        check_absent(target, force)?;
        let parent = parent_dir(target);
        std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
        let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}{TEMP_MARKER}"))
            .tempdir_in(&parent)
            .map_err(|e| Error::io(&parent, e))?;
        Ok(StagedDir { tmp: Some(tmp), target: target.to_path_buf(), force })
    }

    /// The temporary folder to write into.
    pub fn path(&self) -> &Path {
        self.tmp.as_ref().expect("staged dir before commit").path()
    }

    /// Move the folder into place (replacing an old one only with `force`).
    pub fn commit(mut self) -> Result<()> {
        let tmp = self.tmp.take().expect("commit once").keep();
        if self.target.exists() {
            if !self.force {
                let _ = std::fs::remove_dir_all(&tmp);
                return Err(Error::OutputExists { path: self.target.clone() });
            }
            let old = tmp.with_extension("old");
            std::fs::rename(&self.target, &old).map_err(|e| Error::io(&self.target, e))?;
            std::fs::rename(&tmp, &self.target).map_err(|e| Error::io(&self.target, e))?;
            let _ = if old.is_dir() { std::fs::remove_dir_all(&old) } else { std::fs::remove_file(&old) };
        } else {
            std::fs::rename(&tmp, &self.target).map_err(|e| Error::io(&self.target, e))?;
        }
        Ok(())
    }
}

/// Error if `target` exists and may not be replaced.
pub fn check_absent(target: &Path, force: bool) -> Result<()> {
    if !force && std::fs::symlink_metadata(target).is_ok() {
        return Err(Error::OutputExists { path: target.to_path_buf() });
    }
    Ok(())
}

fn parent_dir(p: &Path) -> PathBuf {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn commit_renames_and_drop_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.txt");
        let a = AtomicFile::create(&target, false).unwrap();
        a.file().unwrap().write_all(b"hi").unwrap();
        a.commit().unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"hi");
        assert!(matches!(AtomicFile::create(&target, false), Err(Error::OutputExists { .. })));
        {
            let b = AtomicFile::create(&dir.path().join("other"), false).unwrap();
            b.file().unwrap().write_all(b"x").unwrap();
        }
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("out.txt")]);
    }
}
