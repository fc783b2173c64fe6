//! Outputs appear whole or not at all: data goes to a temporary name beside the target and is
//! renamed over it on success; a failure (or a dropped writer) removes the temporary.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Error, Result};

/// Marker in the names of temporaries, so a later run (or a user) can recognise leftovers of
/// a killed conversion.
pub const TEMP_MARKER: &str = ".pyforge-tmp-";

/// Temporaries of this process that exist right now, so an interrupt handler can remove them.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn register(p: &Path) {
    LIVE.lock().unwrap_or_else(|e| e.into_inner()).push(p.to_path_buf());
}

fn unregister(p: &Path) {
    LIVE.lock().unwrap_or_else(|e| e.into_inner()).retain(|x| x != p);
}

/// Remove every temporary this process is writing (for Ctrl-C handlers: the process is about
/// to exit without running destructors).
pub fn remove_live_temporaries() {
    let live = std::mem::take(&mut *LIVE.lock().unwrap_or_else(|e| e.into_inner()));
    for p in live {
        let _ = if p.is_dir() { std::fs::remove_dir_all(&p) } else { std::fs::remove_file(&p) };
    }
}

/// The temporary-name prefix for `target`: it carries our process id so that a later run can
/// tell leftovers of a killed process (SIGKILL leaves them behind) from live work.
fn temp_prefix(target: &Path) -> String {
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    format!(".{name}{TEMP_MARKER}{}-", std::process::id())
}

/// A temporary-file builder whose files get the usual permissions (`mode` less the umask),
/// not the 0600 of temporaries: the output is an ordinary file once renamed.
fn builder(prefix: &str, mode: u32) -> tempfile::Builder<'_, 'static> {
    let mut b = tempfile::Builder::new();
    b.prefix(prefix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        b.permissions(std::fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = mode;
    b
}

/// Remove temporaries in `dir` left by processes that no longer run (Linux: checked in /proc;
/// elsewhere nothing is removed, since liveness cannot be told).
pub fn sweep_stale_temporaries(dir: &Path) {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.split(TEMP_MARKER).nth(1) else { continue };
        let Some(pid) = rest.split('-').next().filter(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        else {
            continue;
        };
        if !proc.join(pid).exists() {
            let p = e.path();
            let _ = if p.is_dir() { std::fs::remove_dir_all(&p) } else { std::fs::remove_file(&p) };
        }
    }
}

/// A file being written under a temporary name in the target's folder.
pub struct AtomicFile {
    /// `None` once committed.
    tmp: Option<tempfile::NamedTempFile>,
    target: PathBuf,
    force: bool,
}

impl AtomicFile {
    /// Start writing `target`. Fails at once if it exists and `force` is false.
    pub fn create(target: &Path, force: bool) -> Result<Self> {
        check_absent(target, force)?;
        let dir = parent_dir(target);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        sweep_stale_temporaries(&dir);
        let prefix = temp_prefix(target);
        let tmp = builder(&prefix, 0o666).tempfile_in(&dir).map_err(|e| Error::io(&dir, e))?;
        register(tmp.path());
        Ok(AtomicFile { tmp: Some(tmp), target: target.to_path_buf(), force })
    }

    /// A second handle on the temporary file, for writers that take ownership.
    pub fn file(&self) -> Result<File> {
        let tmp = self.tmp.as_ref().expect("not yet committed");
        tmp.reopen().map_err(|e| Error::io(tmp.path(), e))
    }

    /// Where the file will appear.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Rename the temporary onto the target.
    pub fn commit(mut self) -> Result<()> {
        let target = self.target.clone();
        let tmp = self.tmp.take().expect("commit once");
        unregister(tmp.path());
        tmp.as_file().sync_all().map_err(|e| Error::io(&target, e))?;
        if self.force {
            tmp.persist(&target).map_err(|e| Error::io(&target, e.error))?;
        } else {
            tmp.persist_noclobber(&target).map_err(|e| {
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

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let Some(t) = &self.tmp {
            unregister(t.path());
        }
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
        sweep_stale_temporaries(&parent);
        let prefix = temp_prefix(target);
        let tmp = builder(&prefix, 0o777).tempdir_in(&parent).map_err(|e| Error::io(&parent, e))?;
        register(tmp.path());
        Ok(StagedDir { tmp: Some(tmp), target: target.to_path_buf(), force })
    }

    /// The temporary folder to write into.
    pub fn path(&self) -> &Path {
        self.tmp.as_ref().expect("staged dir before commit").path()
    }

    /// Move the folder into place (replacing an old one only with `force`).
    pub fn commit(mut self) -> Result<()> {
        let tmp = self.tmp.take().expect("commit once").keep();
        unregister(&tmp);
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

impl Drop for StagedDir {
    fn drop(&mut self) {
        if let Some(t) = &self.tmp {
            unregister(t.path());
        }
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
    fn leftovers_of_dead_processes_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        // No process has pid 4294967 on Linux (pid_max is at most 4194304).
        let dead = dir.path().join(format!(".x.parquet{TEMP_MARKER}4294967-abc"));
        let alive = dir.path().join(format!(".y.parquet{TEMP_MARKER}{}-abc", std::process::id()));
        std::fs::write(&dead, b"partial").unwrap();
        std::fs::write(&alive, b"in progress").unwrap();
        sweep_stale_temporaries(dir.path());
        assert!(!dead.exists());
        assert!(alive.exists());
    }

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
