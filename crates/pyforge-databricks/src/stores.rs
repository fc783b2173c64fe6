//! The stores of one run: the Files API for Volume paths and one object store per cloud root
//! ([`crate::cloud`], feature `cloud`), behind the one [`RemoteStore`] interface. Apart from
//! [`crate::store`] (the interface and the Files API's side of it), which the cloud store
//! implements.

use std::path::Path;

use crate::error::{Error, Result};
use crate::files_api::FilesApi;
use crate::http::HttpClient;
use crate::store::{RemotePath, RemoteRoot, RemoteStore};

/// A store for a cloud root: [`crate::cloud::CloudStore`] with the `cloud` feature.
#[cfg(feature = "cloud")]
pub fn cloud_store(root: &RemoteRoot) -> Result<Box<dyn RemoteStore + Send>> {
    Ok(Box::new(crate::cloud::CloudStore::from_env(root)?))
}

/// Without the `cloud` feature cloud URLs are a clear error.
#[cfg(not(feature = "cloud"))]
pub fn cloud_store(root: &RemoteRoot) -> Result<Box<dyn RemoteStore + Send>> {
    Err(Error::UnsupportedLocation {
        location: root.prefix(),
        reason: "this build of pyforge has no cloud storage support (built without the `cloud` feature); copy the file to a Volume or a local path".into(),
    })
}

/// The stores of one run: the Files API (when a Volume is involved) and one store per cloud root.
pub struct Stores {
    http: Option<HttpClient>,
    cloud: Vec<(RemoteRoot, Box<dyn RemoteStore + Send>)>,
}

impl Stores {
    /// Stores for `paths`: `http` must be given if one of them is in a Volume.
    pub fn new(http: Option<HttpClient>, paths: &[&RemotePath]) -> Result<Stores> {
        let mut cloud: Vec<(RemoteRoot, Box<dyn RemoteStore + Send>)> = Vec::new();
        for p in paths {
            if !p.root.is_volume() && !cloud.iter().any(|(r, _)| r == &p.root) {
                cloud.push((p.root.clone(), cloud_store(&p.root)?));
            }
        }
        Ok(Stores { http, cloud })
    }

    fn with<T>(&self, p: &RemotePath, f: impl FnOnce(&dyn RemoteStore) -> Result<T>) -> Result<T> {
        if p.root.is_volume() {
            let http = self
                .http
                .as_ref()
                .ok_or_else(|| Error::Config(format!("{p}: no workspace client for this Volume path")))?;
            return f(&FilesApi::new(http));
        }
        match self.cloud.iter().find(|(r, _)| r == &p.root) {
            Some((_, s)) => f(s.as_ref()),
            None => Err(Error::UnsupportedLocation {
                location: p.to_string(),
                reason: "no store was opened for this bucket (internal)".into(),
            }),
        }
    }
}

impl RemoteStore for Stores {
    fn exists(&self, p: &RemotePath) -> Result<bool> {
        self.with(p, |s| s.exists(p))
    }

    fn dir_exists(&self, p: &RemotePath) -> Result<bool> {
        self.with(p, |s| s.dir_exists(p))
    }

    fn list_files(&self, dir: &RemotePath, recursive: bool) -> Result<Vec<RemotePath>> {
        self.with(dir, |s| s.list_files(dir, recursive))
    }

    fn download(&self, p: &RemotePath, dest: &Path) -> Result<u64> {
        self.with(p, |s| s.download(p, dest))
    }

    fn upload(&self, src: &Path, p: &RemotePath, overwrite: bool) -> Result<()> {
        self.with(p, |s| s.upload(src, p, overwrite))
    }

    fn create_dirs(&self, dir: &RemotePath) -> Result<()> {
        self.with(dir, |s| s.create_dirs(dir))
    }
}
