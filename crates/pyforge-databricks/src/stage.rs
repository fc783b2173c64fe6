//! The local staging folder for remote inputs and outputs.
//!
//! Remote files are mirrored below it at their Volume path (`<stage>/Volumes/c/s/v/p`) or
//! cloud URL (`<stage>/s3/<bucket>/<key>`), so a local path in the stage maps back to exactly
//! one remote path, and messages naming a staged file still show the remote path. The folder is removed when the [`Staging`] is dropped, and
//! [`remove_live_staging`] removes it from an interrupt handler.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Error, Result};
use crate::location::{CloudScheme, VolumePath};
use crate::store::{RemotePath, RemoteRoot, CLOUD_SCHEMES};

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

/// `text` with paths below staging folder `stage` shown as the remote paths they stand for:
/// `<stage>/Volumes/...` as `dbfs:/Volumes/...`, `<stage>/s3/<bucket>/...` as `s3://<bucket>/...`.
pub fn unstage_text_at(stage: &Path, text: &str) -> String {
    let base = stage.display().to_string();
    if !text.contains(&base) {
        return text.to_string();
    }
    let sep = std::path::MAIN_SEPARATOR;
    let mut out = text.replace(&format!("{base}{sep}Volumes"), "dbfs:/Volumes");
    for scheme in CLOUD_SCHEMES {
        out = out.replace(&format!("{base}{sep}{scheme}{sep}"), &format!("{scheme}://"));
    }
    out
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
        let dir =
            tempfile::Builder::new().prefix("pyforge-stage-").tempdir_in(&root).map_err(|e| Error::io(&root, e))?;
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

    /// `text` with staged paths shown as the `dbfs:/Volumes/...` or `s3://...` they stand for.
    pub fn unstage_text(&self, text: &str) -> String {
        unstage_text_at(&self.path, text)
    }

    /// Where remote path `p` (Volume or cloud) is mirrored locally.
    pub fn mirror_remote(&self, p: &RemotePath) -> PathBuf {
        let mut local = self.path.clone();
        local.extend(p.root.mirror_parts());
        local.extend(&p.parts);
        local
    }

    /// The remote path a local path in the mirror stands for (Volume or cloud).
    pub fn remote_of(&self, local: &Path) -> Option<RemotePath> {
        let rel = local.strip_prefix(&self.path).ok()?;
        let parts: Vec<&str> = rel.components().map(|c| c.as_os_str().to_str()).collect::<Option<_>>()?;
        match parts.as_slice() {
            ["Volumes", ..] => self.volume_of(local).map(|v| RemotePath::from_volume(&v)),
            [scheme, bucket, rest @ ..] if CLOUD_SCHEMES.contains(scheme) => {
                let kind = match *scheme {
                    "s3" | "s3a" => CloudScheme::S3,
                    "abfss" | "abfs" => CloudScheme::Azure,
                    _ => CloudScheme::Gcs,
                };
                Some(RemotePath {
                    root: RemoteRoot::Cloud { kind, scheme: scheme.to_string(), bucket: bucket.to_string() },
                    parts: rest.iter().map(|s| s.to_string()).collect(),
                    dir_hint: false,
                })
            }
            _ => None,
        }
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
        assert_eq!(
            s.unstage_text(&format!("{}: bad row", local.display())),
            "dbfs:/Volumes/c/s/v/dir/a b.csv: bad row"
        );
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

    #[test]
    fn cloud_mirror_round_trip() {
        let root = tempfile::tempdir().unwrap();
        let s = Staging::new(Some(root.path())).unwrap();
        for url in [
            "s3://bucket/in/a b.csv",
            "abfss://c@acct.dfs.core.windows.net/x/y.xlsx",
            "gs://g/deep/er/z.dbf",
            "s3a://b/k.csv",
        ] {
            let crate::Location::Cloud(u) = crate::Location::parse(url).unwrap() else { panic!() };
            let r = RemotePath::from_cloud(&u).unwrap();
            let local = s.mirror_remote(&r);
            assert!(local.starts_with(s.path()));
            assert_eq!(s.remote_of(&local).unwrap(), r, "{url}");
            assert_eq!(s.unstage_text(&format!("{}: bad row", local.display())), format!("{url}: bad row"));
        }
        let v = VolumePath::from_api_path("/Volumes/c/s/v/d/x.csv").unwrap();
        let r = RemotePath::from_volume(&v);
        assert_eq!(s.mirror_remote(&r), s.mirror(&v));
        assert_eq!(s.remote_of(&s.mirror(&v)).unwrap(), r);
        assert_eq!(s.remote_of(&s.path().join("other/x")), None);
    }
}
