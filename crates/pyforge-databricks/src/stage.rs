//! The local staging folder for remote inputs and outputs.
//!
//! Remote files are mirrored below it at their Volume path (`<stage>/Volumes/c/s/v/p`), so a
//! local path in the stage maps back to exactly one remote path, and messages naming a staged
//! file still show the Volume path. The folder is removed when the [`Staging`] is dropped, and
//! [`remove_live_staging`] removes it from an interrupt handler.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Error, Result};
use crate::location::VolumePath;

/// Where staging goes by default: `/local_disk0/tmp` where it exists (Databricks compute's
/// local disk), else the system temp folder.
pub fn default_temp_root() -> PathBuf {
    let d = Path::new("/local_disk0/tmp");
    if d.is_dir() {
        d.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Remove every staging folder of this process (for Ctrl-C handlers).
pub fn remove_live_staging() {
    let live = std::mem::take(&mut *LIVE.lock().unwrap_or_else(|e| e.into_inner()));
    for p in live {
        let _ = std::fs::remove_dir_all(p);
    }
}

/// A staging folder, removed on drop.
pub struct Staging {
    dir: Option<tempfile::TempDir>,
    path: PathBuf,
}

impl Staging {
    /// Create `pyforge-stage-XXXX` in `root` (default [`default_temp_root`]).
    pub fn new(root: Option<&Path>) -> Result<Staging> {
        let root = root.map(Path::to_path_buf).unwrap_or_else(default_temp_root);
        std::fs::create_dir_all(&root).map_err(|e| Error::io(&root, e))?;
        let dir = tempfile::Builder::new().prefix("pyforge-stage-").tempdir_in(&root).map_err(|e| Error::io(&root, e))?;
        let path = dir.path().to_path_buf();
        LIVE.lock().unwrap_or_else(|e| e.into_inner()).push(path.clone());
        Ok(Staging { dir: Some(dir), path })
    }

    /// The staging folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where Volume path `v` is mirrored locally.
    pub fn mirror(&self, v: &VolumePath) -> PathBuf {
        v.mount_path(&self.path.join("Volumes"))
    }

    /// The Volume path a local path in the mirror stands for.
    pub fn volume_of(&self, local: &Path) -> Option<VolumePath> {
        let rel = local.strip_prefix(&self.path).ok()?;
        let s = rel.to_str()?.replace(std::path::MAIN_SEPARATOR, "/");
        VolumePath::from_api_path(&format!("/{s}")).ok()
    }

    /// `text` with staged paths shown as the `dbfs:/Volumes/...` they stand for.
    pub fn unstage_text(&self, text: &str) -> String {
        let prefix = self.path.join("Volumes");
        text.replace(&prefix.display().to_string(), "dbfs:/Volumes")
    }

    /// Remove the folder now, reporting failure.
    pub fn close(mut self) -> Result<()> {
        self.forget();
        match self.dir.take() {
            Some(d) => d.close().map_err(|e| Error::io(&self.path, e)),
            None => Ok(()),
        }
    }

    fn forget(&self) {
        LIVE.lock().unwrap_or_else(|e| e.into_inner()).retain(|p| p != &self.path);
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        self.forget();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirror_round_trip_and_cleanup() {
        let root = tempfile::tempdir().unwrap();
        let s = Staging::new(Some(root.path())).unwrap();
        let v = VolumePath::from_api_path("/Volumes/c/s/v/dir/a b.csv").unwrap();
        let local = s.mirror(&v);
        assert!(local.starts_with(s.path()));
        assert_eq!(s.volume_of(&local).unwrap(), v);
        assert_eq!(s.unstage_text(&format!("{}: bad row", local.display())), "dbfs:/Volumes/c/s/v/dir/a b.csv: bad row");
        std::fs::create_dir_all(local.parent().unwrap()).unwrap();
        std::fs::write(&local, "x").unwrap();
        let p = s.path().to_path_buf();
        drop(s);
        assert!(!p.exists());
        let s = Staging::new(Some(root.path())).unwrap();
        let p = s.path().to_path_buf();
        s.close().unwrap();
        assert!(!p.exists());
    }
}
