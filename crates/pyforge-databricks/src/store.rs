//! Remote storage behind one small interface, so staging, listing, `--force` and uploads are
//! written once for Unity Catalog Volumes and cloud object stores alike.
//!
//! - [`RemotePath`]: a file or folder below a [`RemoteRoot`] (a Volume, a bucket or container);
//! - [`RemoteStore`]: what the CLI needs of a store (exists, folder exists, list, download,
//!   upload, create folders), implemented by the Files API client ([`FilesApi`]) and, with the
//!   `cloud` feature, by [`crate::cloud::CloudStore`];
//! - [`crate::stores::Stores`]: the stores of one run, picked by each path's root.

use std::fmt;
use std::path::Path;

use crate::error::{Error, Result};
use crate::files_api::FilesApi;
use crate::location::{CloudScheme, CloudUrl, VolumePath};

/// The top of a remote namespace: a Unity Catalog Volume or a cloud bucket (container).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteRoot {
    /// `/Volumes/<catalog>/<schema>/<volume>`.
    Volume {
        /// Catalog name.
        catalog: String,
        /// Schema name.
        schema: String,
        /// Volume name.
        volume: String,
    },
    /// A bucket (S3, GCS) or `container@account.host` (Azure).
    Cloud {
        /// The kind of store.
        kind: CloudScheme,
        /// The URL scheme as written, lower case (`s3`, `s3a`, `abfss`, `abfs`, `gs`).
        scheme: String,
        /// Bucket, or `container@account.host`.
        bucket: String,
    },
}

/// URL schemes a cloud root can have (also the names of their staging folders).
pub const CLOUD_SCHEMES: &[&str] = &["s3", "s3a", "abfss", "abfs", "gs"];

impl RemoteRoot {
    /// How the root is written in messages: `dbfs:/Volumes/c/s/v`, `s3://bucket`.
    pub fn prefix(&self) -> String {
        match self {
            RemoteRoot::Volume { catalog, schema, volume } => format!("dbfs:/Volumes/{catalog}/{schema}/{volume}"),
            RemoteRoot::Cloud { scheme, bucket, .. } => format!("{scheme}://{bucket}"),
        }
    }

    /// The folders a staged copy of this root lives in, below the staging folder:
    /// `Volumes/c/s/v`, `s3/bucket`.
    pub fn mirror_parts(&self) -> Vec<&str> {
        match self {
            RemoteRoot::Volume { catalog, schema, volume } => vec!["Volumes", catalog, schema, volume],
            RemoteRoot::Cloud { scheme, bucket, .. } => vec![scheme, bucket],
        }
    }

    /// True for a Unity Catalog Volume.
    pub fn is_volume(&self) -> bool {
        matches!(self, RemoteRoot::Volume { .. })
    }

    /// What messages call the place: "the Volume", "the bucket", "the container".
    pub fn kind_name(&self) -> &'static str {
        match self {
            RemoteRoot::Volume { .. } => "the Volume",
            RemoteRoot::Cloud { kind: CloudScheme::Azure, .. } => "the container",
            RemoteRoot::Cloud { .. } => "the bucket",
        }
    }
}

/// A file or folder in remote storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemotePath {
    /// The Volume or bucket.
    pub root: RemoteRoot,
    /// Path components below the root (empty for the root itself); never empty, `.` or `..`.
    pub parts: Vec<String>,
    /// The argument ended with `/` (or named the root): it names a folder.
    pub dir_hint: bool,
}

/// Check one path component of an object key: it becomes a local file name when staged.
fn check_part(part: &str, whole: &str) -> Result<()> {
    let bad = |reason: &str| Error::UnsupportedLocation { location: whole.to_string(), reason: reason.to_string() };
    if part == "." || part == ".." {
        return Err(bad("`.` and `..` are not allowed as path components"));
    }
    if part.chars().any(|c| c.is_control()) {
        return Err(bad("control characters are not allowed in a path"));
    }
    Ok(())
}

impl RemotePath {
    /// The same file as a [`VolumePath`] names.
    pub fn from_volume(v: &VolumePath) -> RemotePath {
        RemotePath {
            root: RemoteRoot::Volume { catalog: v.catalog.clone(), schema: v.schema.clone(), volume: v.volume.clone() },
            parts: v.parts.clone(),
            dir_hint: v.dir_hint,
        }
    }

    /// The object (or prefix) a cloud URL names. The key is taken as written (no
    /// percent-decoding, like the cloud providers' own command-line tools); empty components
    /// (`a//b`) collapse, and `.`/`..` are refused (staged copies must stay in the staging folder).
    ///
    /// ```
    /// use pyforge_databricks::{Location, store::RemotePath};
    /// let Location::Cloud(u) = Location::parse("s3://bucket/in/sales.csv").unwrap() else { panic!() };
    /// let p = RemotePath::from_cloud(&u).unwrap();
    /// assert_eq!(p.key(), "in/sales.csv");
    /// assert_eq!(p.to_string(), "s3://bucket/in/sales.csv");
    /// ```
    pub fn from_cloud(u: &CloudUrl) -> Result<RemotePath> {
        let scheme = u.url.split_once("://").map(|(s, _)| s.to_ascii_lowercase()).unwrap_or_default();
        let parts: Vec<String> = u.key.split('/').filter(|s| !s.is_empty()).map(str::to_string).collect();
        for p in &parts {
            check_part(p, &u.url)?;
        }
        Ok(RemotePath {
            root: RemoteRoot::Cloud { kind: u.scheme, scheme, bucket: u.bucket.clone() },
            dir_hint: parts.is_empty() || u.key.ends_with('/'),
            parts,
        })
    }

    /// The [`VolumePath`] of a path in a Volume (`None` for cloud paths).
    pub fn to_volume(&self) -> Option<VolumePath> {
        match &self.root {
            RemoteRoot::Volume { catalog, schema, volume } => Some(VolumePath {
                catalog: catalog.clone(),
                schema: schema.clone(),
                volume: volume.clone(),
                parts: self.parts.clone(),
                dir_hint: self.dir_hint,
            }),
            RemoteRoot::Cloud { .. } => None,
        }
    }

    /// The path below the root, `/`-separated (the object key for cloud stores).
    pub fn key(&self) -> String {
        self.parts.join("/")
    }

    /// A file below the same root, from a `/`-separated key (as a listing returns it).
    pub fn with_key(&self, key: &str) -> Result<RemotePath> {
        let parts: Vec<String> = key.split('/').filter(|s| !s.is_empty()).map(str::to_string).collect();
        let shown = format!("{}/{key}", self.root.prefix());
        for p in &parts {
            check_part(p, &shown)?;
        }
        Ok(RemotePath { root: self.root.clone(), parts, dir_hint: false })
    }

    /// The last path component (`None` for the root).
    pub fn file_name(&self) -> Option<&str> {
        self.parts.last().map(String::as_str)
    }

    /// The folder holding this path (`None` for the root).
    pub fn parent(&self) -> Option<RemotePath> {
        if self.parts.is_empty() {
            return None;
        }
        let mut p = self.clone();
        p.parts.pop();
        p.dir_hint = true;
        Some(p)
    }
}

impl fmt::Display for RemotePath {
    /// `dbfs:/Volumes/c/s/v/p`, `s3://bucket/key` (a folder ends with `/`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.root.prefix())?;
        if !self.parts.is_empty() {
            write!(f, "/{}", self.key())?;
            if self.dir_hint {
                f.write_str("/")?;
            }
        } else if matches!(self.root, RemoteRoot::Cloud { .. }) {
            f.write_str("/")?;
        }
        Ok(())
    }
}

/// What `convert`, `info` and `validate` need of a remote store. Every method names the path in
/// its errors, never a credential.
pub trait RemoteStore: Sync {
    /// True if a file (object) exists at `p`.
    fn exists(&self, p: &RemotePath) -> Result<bool>;
    /// True if `p` is an existing folder (for object stores: a prefix holding objects).
    fn dir_exists(&self, p: &RemotePath) -> Result<bool>;
    /// The files below folder `dir` (subfolders included when `recursive`), sorted by key.
    fn list_files(&self, dir: &RemotePath, recursive: bool) -> Result<Vec<RemotePath>>;
    /// Stream `p` into local file `dest` (created or truncated); returns the bytes written.
    fn download(&self, p: &RemotePath, dest: &Path) -> Result<u64>;
    /// Stream local file `src` to `p`; with `overwrite` false an existing file is an
    /// [`Error::AlreadyExists`].
    fn upload(&self, src: &Path, p: &RemotePath, overwrite: bool) -> Result<()>;
    /// Create folder `dir` and its parents (a no-op for object stores).
    fn create_dirs(&self, dir: &RemotePath) -> Result<()>;
}

fn volume_of(p: &RemotePath) -> Result<VolumePath> {
    p.to_volume().ok_or_else(|| Error::UnsupportedLocation {
        location: p.to_string(),
        reason: "not a Volume path (internal: wrong store)".into(),
    })
}

impl RemoteStore for FilesApi<'_> {
    fn exists(&self, p: &RemotePath) -> Result<bool> {
        Ok(self.head(&volume_of(p)?)?.is_some())
    }

    fn dir_exists(&self, p: &RemotePath) -> Result<bool> {
        FilesApi::dir_exists(self, &volume_of(p)?)
    }

    fn list_files(&self, dir: &RemotePath, recursive: bool) -> Result<Vec<RemotePath>> {
        let entries = FilesApi::list_files(self, &volume_of(dir)?, recursive)?;
        entries.iter().map(|e| VolumePath::from_api_path(&e.path).map(|v| RemotePath::from_volume(&v))).collect()
    }

    fn download(&self, p: &RemotePath, dest: &Path) -> Result<u64> {
        FilesApi::download(self, &volume_of(p)?, dest)
    }

    fn upload(&self, src: &Path, p: &RemotePath, overwrite: bool) -> Result<()> {
        FilesApi::upload(self, src, &volume_of(p)?, overwrite)
    }

    fn create_dirs(&self, dir: &RemotePath) -> Result<()> {
        FilesApi::create_dirs(self, &volume_of(dir)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Location;

    fn remote(s: &str) -> RemotePath {
        match Location::parse(s).unwrap() {
            Location::Volume(v) => RemotePath::from_volume(&v),
            Location::Cloud(u) => RemotePath::from_cloud(&u).unwrap(),
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn cloud_keys_map_to_parts_and_back() {
        let p = remote("s3://bucket/in/sales.csv");
        assert_eq!(p.parts, vec!["in", "sales.csv"]);
        assert_eq!(p.key(), "in/sales.csv");
        assert!(!p.dir_hint);
        assert_eq!(p.to_string(), "s3://bucket/in/sales.csv");
        assert_eq!(p.file_name(), Some("sales.csv"));
        assert_eq!(p.parent().unwrap().to_string(), "s3://bucket/in/");
        assert_eq!(p.parent().unwrap().parent().unwrap().to_string(), "s3://bucket/");
        assert_eq!(p.root.mirror_parts(), vec!["s3", "bucket"]);
        assert_eq!(p.root.kind_name(), "the bucket");
        // Keys are taken as written: no percent-decoding, glob and special characters kept.
        assert_eq!(remote("s3://b/a%20b/[x] y.csv").parts, vec!["a%20b", "[x] y.csv"]);
        // Folders: a trailing slash or the bucket itself.
        assert!(remote("s3://b/in/").dir_hint);
        let root = remote("gs://b");
        assert!(root.dir_hint && root.parts.is_empty());
        assert_eq!(root.to_string(), "gs://b/");
        // The scheme is kept as written (s3a stays s3a, lower case).
        assert_eq!(remote("S3A://b/k").to_string(), "s3a://b/k");
        let az = remote("abfss://c@acct.dfs.core.windows.net/dir/x.xlsx");
        assert_eq!(az.root.mirror_parts(), vec!["abfss", "c@acct.dfs.core.windows.net"]);
        assert_eq!(az.root.kind_name(), "the container");
        assert_eq!(az.to_string(), "abfss://c@acct.dfs.core.windows.net/dir/x.xlsx");
        assert!(az.to_volume().is_none());
    }

    #[test]
    fn unsafe_keys_are_refused() {
        for s in ["s3://b/../x.csv", "s3://b/a/./x.csv", "gs://b/a\u{1}b"] {
            let Location::Cloud(u) = Location::parse(s).unwrap() else { panic!() };
            let e = RemotePath::from_cloud(&u).unwrap_err();
            assert!(matches!(e, Error::UnsupportedLocation { .. }), "{s}: {e:?}");
            assert!(e.to_string().starts_with(s), "{e}");
        }
        let base = remote("s3://b/in/");
        assert_eq!(base.with_key("in/x.csv").unwrap().to_string(), "s3://b/in/x.csv");
        assert!(base.with_key("in/../../etc/passwd").is_err());
    }

    #[test]
    fn volume_paths_round_trip() {
        let p = remote("dbfs:/Volumes/c/s/v/dir/a.csv");
        assert_eq!(p.to_string(), "dbfs:/Volumes/c/s/v/dir/a.csv");
        assert_eq!(p.root.mirror_parts(), vec!["Volumes", "c", "s", "v"]);
        let v = p.to_volume().unwrap();
        assert_eq!(v.api_path(), "/Volumes/c/s/v/dir/a.csv");
        assert_eq!(RemotePath::from_volume(&v), p);
        assert_eq!(p.parent().unwrap().to_string(), "dbfs:/Volumes/c/s/v/dir/");
        assert_eq!(remote("/Volumes/c/s/v").to_string(), "dbfs:/Volumes/c/s/v");
        assert_eq!(p.parent().unwrap().to_string(), v.parent().unwrap().to_string());
    }

    #[test]
    fn stores_need_a_client_for_volumes() {
        let p = remote("/Volumes/c/s/v/a.csv");
        let stores = crate::stores::Stores::new(None, &[&p]).unwrap();
        let e = stores.exists(&p).unwrap_err();
        assert!(matches!(e, Error::Config(_)), "{e:?}");
    }
}
