//! The Files API 2.0 (`/api/2.0/fs/...`) for Unity Catalog Volumes.
//!
//! - downloads stream to a local file and resume with `Range: bytes=N-` (guarded by
//!   `If-Range`) after a dropped connection; a server that ignores `Range` (answers 200) is
//!   read again from the start, and a changed file restarts the download, so the local copy is
//!   always one whole version of the file;
//! - uploads stream from disk with `Content-Length` (no whole-file buffering);
//! - listings follow `next_page_token` until the last page.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::Path;

use ureq::http::Response;

use crate::error::{Error, Result};
use crate::http::{encode_path, encode_query, Body, HttpClient, Request};
use crate::location::VolumePath;

/// Facts about a remote file (from `HEAD`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMeta {
    /// Size in bytes, when the server says.
    pub size: Option<u64>,
    /// The `Last-Modified` header.
    pub last_modified: Option<String>,
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct DirEntry {
    /// The full path (`/Volumes/c/s/v/...`).
    pub path: String,
    /// The last component.
    #[serde(default)]
    pub name: String,
    /// A folder, not a file.
    #[serde(default)]
    pub is_directory: bool,
    /// Size in bytes (files).
    #[serde(default)]
    pub file_size: Option<u64>,
    /// Milliseconds since the epoch.
    #[serde(default)]
    pub last_modified: Option<i64>,
}

#[derive(serde::Deserialize)]
struct ListPage {
    #[serde(default)]
    contents: Vec<DirEntry>,
    #[serde(default)]
    next_page_token: Option<String>,
}

/// A Files API client over an [`HttpClient`].
pub struct FilesApi<'a> {
    http: &'a HttpClient,
}

const COPY_BUFFER: usize = 256 * 1024;
/// Resumes of one download in total, whatever progress each makes (a server that keeps
/// dropping the connection must not keep us forever).
const MAX_RESUMES: u32 = 200;

impl<'a> FilesApi<'a> {
    /// Use `http` (which knows the workspace and credentials).
    pub fn new(http: &'a HttpClient) -> Self {
        FilesApi { http }
    }

    fn file_url(p: &VolumePath) -> String {
        format!("/api/2.0/fs/files{}", encode_path(&p.api_path()))
    }

    fn dir_url(p: &VolumePath) -> String {
        format!("/api/2.0/fs/directories{}", encode_path(&p.api_path()))
    }

    /// Metadata of a file, `None` if there is no file at `p`.
    pub fn head(&self, p: &VolumePath) -> Result<Option<FileMeta>> {
        match self.http.send(&Request::new("HEAD", Self::file_url(p), p.to_string())) {
            Ok(resp) => {
                let h = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
                Ok(Some(FileMeta {
                    size: h("content-length").and_then(|s| s.parse().ok()),
                    last_modified: h("last-modified"),
                }))
            }
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// True if `p` is an existing folder.
    pub fn dir_exists(&self, p: &VolumePath) -> Result<bool> {
        match self.http.send(&Request::new("HEAD", Self::dir_url(p), p.to_string())) {
            Ok(_) => Ok(true),
            Err(Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The entries of folder `p` (every page).
    pub fn list(&self, p: &VolumePath) -> Result<Vec<DirEntry>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut url = Self::dir_url(p);
            if let Some(t) = &token {
                url.push_str("?page_token=");
                url.push_str(&encode_query(t));
            }
            let doc = self.http.json(&Request::new("GET", url, p.to_string()))?;
            let page: ListPage = serde_json::from_value(doc).map_err(|e| Error::Protocol {
                method: "GET".into(),
                path: p.to_string(),
                message: format!("unexpected listing: {e}"),
            })?;
            out.extend(page.contents);
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(t) if Some(&t) == token.as_ref() => {
                    return Err(Error::Protocol {
                        method: "GET".into(),
                        path: p.to_string(),
                        message: "the listing returned the same page token twice".into(),
                    })
                }
                Some(t) => token = Some(t),
                None => break,
            }
        }
        Ok(out)
    }

    /// Every file below folder `p` (subfolders included when `recursive`), sorted by path.
    pub fn list_files(&self, p: &VolumePath, recursive: bool) -> Result<Vec<DirEntry>> {
        let mut files = Vec::new();
        let mut todo = vec![p.clone()];
        while let Some(dir) = todo.pop() {
            for e in self.list(&dir)? {
                if e.is_directory {
                    if recursive {
                        todo.push(VolumePath::from_api_path(&e.path)?);
                    }
                } else {
                    files.push(e);
                }
            }
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }

    /// Create folder `p` and its parents (no error if it exists).
    pub fn create_dirs(&self, p: &VolumePath) -> Result<()> {
        self.http.send(&Request::new("PUT", Self::dir_url(p), p.to_string())).map(|_| ())
    }

    /// Delete file `p`.
    pub fn delete(&self, p: &VolumePath) -> Result<()> {
        self.http.send(&Request::new("DELETE", Self::file_url(p), p.to_string())).map(|_| ())
    }

    /// Upload local file `src` to `p`, streamed from disk. With `overwrite` false an existing
    /// file is an [`Error::AlreadyExists`].
    ///
    /// A retried upload (after a dropped connection) may find the file its own earlier attempt
    /// wrote: "already exists" is then accepted when the remote size equals the local one.
    pub fn upload(&self, src: &Path, p: &VolumePath, overwrite: bool) -> Result<()> {
        let url = format!("{}?overwrite={overwrite}", Self::file_url(p));
        let attempts = std::cell::Cell::new(0u32);
        let req = Request::new("PUT", url, p.to_string()).body(Body::File(src));
        let result = self.http.with_retries("PUT", &req.shown, || {
            attempts.set(attempts.get() + 1);
            self.http.attempt(&req)
        });
        match result {
            Ok(_) => Ok(()),
            Err(Error::AlreadyExists { path }) if !overwrite && attempts.get() > 1 => {
                let local = std::fs::metadata(src).map_err(|e| Error::io(src, e))?.len();
                match self.head(p)? {
                    Some(FileMeta { size: Some(n), .. }) if n == local => Ok(()),
                    _ => Err(Error::AlreadyExists { path }),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Download `p` into local file `dest` (created or truncated); returns the bytes written.
    pub fn download(&self, p: &VolumePath, dest: &Path) -> Result<u64> {
        let url = Self::file_url(p);
        let file = File::create(dest).map_err(|e| Error::io(dest, e))?;
        let mut d =
            Download { http: self.http, shown: p.to_string(), dest, file, written: 0, total: None, validator: None };
        let policy = self.http.retry_policy();
        let mut stalls = 0u32;
        let mut resumes = 0u32;
        let mut buf = vec![0u8; COPY_BUFFER];
        loop {
            let resp = self.http.send(&d.request(&url))?;
            d.start_response(&resp)?;
            let before = d.written;
            let outcome = d.copy_body(resp, &mut buf)?;
            let Some(problem) = d.problem(outcome)? else { break };
            stalls = if d.written > before { 0 } else { stalls + 1 };
            resumes += 1;
            let (shown, written) = (&d.shown, d.written);
            if stalls >= policy.max_attempts || resumes > MAX_RESUMES {
                let of = d.total.map(|t| format!(" of {t}")).unwrap_or_default();
                return Err(Error::Transport {
                    method: "GET".into(),
                    path: d.shown,
                    message: format!("download failed after {written}{of} bytes: {problem}"),
                });
            }
            let wait = policy.backoff(stalls.max(1));
            self.http
                .notify(&format!("GET {shown}: {problem}; resuming at byte {written} in {:.1} s", wait.as_secs_f64()));
            std::thread::sleep(wait);
        }
        d.file.flush().and_then(|_| d.file.sync_all()).map_err(|e| Error::io(dest, e))?;
        Ok(d.written)
    }
}

/// One download under way: the local file, and how much of which version of the remote file
/// it holds.
struct Download<'a> {
    http: &'a HttpClient,
    /// The remote path, for messages.
    shown: String,
    dest: &'a Path,
    file: File,
    /// Bytes written to `file`.
    written: u64,
    /// The remote file's size, when the server says.
    total: Option<u64>,
    /// The `ETag` (else `Last-Modified`) of the version being downloaded, for `If-Range`.
    validator: Option<String>,
}

impl Download<'_> {
    /// The next GET: the whole file, or (once bytes are written) the rest of it, provided the
    /// file is still the version begun.
    fn request(&self, url: &str) -> Request<'static> {
        let mut req = Request::new("GET", url.to_string(), self.shown.clone());
        if self.written > 0 {
            req = req.header("Range", format!("bytes={}-", self.written));
            if let Some(v) = &self.validator {
                req = req.header("If-Range", v.clone());
            }
        }
        req
    }

    /// Take in a response's headers: a partial one (206) must start at byte `written`; a whole
    /// file starts the local copy over and says its size and version.
    fn start_response(&mut self, resp: &Response<ureq::Body>) -> Result<()> {
        let written = self.written;
        let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        if resp.status().as_u16() == 206 {
            let range = header("content-range").unwrap_or_default();
            match parse_content_range(&range) {
                Some((start, t)) if start == written => {
                    if t.is_some() {
                        self.total = t;
                    }
                }
                _ => {
                    return Err(Error::Protocol {
                        method: "GET".into(),
                        path: self.shown.clone(),
                        message: format!("asked for bytes {written}- but got Content-Range {range:?}"),
                    })
                }
            }
        } else {
            if written > 0 {
                // The server ignored Range, or the file changed (If-Range): start over.
                self.http.notify(&format!(
                    "GET {}: the server sent the whole file again; restarting the download",
                    self.shown
                ));
                self.file.set_len(0).and_then(|_| self.file.rewind()).map_err(|e| Error::io(self.dest, e))?;
                self.written = 0;
            }
            self.total = header("content-length").and_then(|s| s.parse().ok());
            self.validator = header("etag").or_else(|| header("last-modified"));
        }
        Ok(())
    }

    /// Copy the response's body to the file through `buf`. A local write error is an error;
    /// a dropped connection is the inner `Err`, its message scrubbed of secrets.
    fn copy_body(&mut self, resp: Response<ureq::Body>, buf: &mut [u8]) -> Result<std::result::Result<(), String>> {
        let mut reader = resp.into_body().into_reader();
        loop {
            match reader.read(buf) {
                Ok(0) => return Ok(Ok(())),
                Ok(n) => {
                    self.file.write_all(&buf[..n]).map_err(|e| Error::io(self.dest, e))?;
                    self.written += n as u64;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Ok(Err(self.http.scrub(&e.to_string()))),
            }
        }
    }

    /// After a body: `None` when the file is whole, else why the download must resume; more
    /// bytes than announced is an error.
    fn problem(&self, outcome: std::result::Result<(), String>) -> Result<Option<String>> {
        let written = self.written;
        match (outcome, self.total) {
            (Err(e), _) => Ok(Some(e)),
            (Ok(()), Some(t)) if written < t => Ok(Some(format!("the connection closed after {written} of {t} bytes"))),
            (Ok(()), Some(t)) if written > t => Err(Error::Protocol {
                method: "GET".into(),
                path: self.shown.clone(),
                message: format!("received {written} bytes, more than the {t} announced"),
            }),
            (Ok(()), _) => Ok(None),
        }
    }
}

/// `bytes START-END/TOTAL` (TOTAL may be `*`) -> (START, TOTAL).
fn parse_content_range(s: &str) -> Option<(u64, Option<u64>)> {
    let rest = s.trim().strip_prefix("bytes ")?;
    let (range, total) = rest.split_once('/')?;
    let (start, _end) = range.split_once('-')?;
    let total = if total.trim() == "*" { None } else { Some(total.trim().parse().ok()?) };
    Some((start.trim().parse().ok()?, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range() {
        assert_eq!(parse_content_range("bytes 100-199/200"), Some((100, Some(200))));
        assert_eq!(parse_content_range("bytes 5-9/*"), Some((5, None)));
        assert_eq!(parse_content_range("bytes */200"), None);
        assert_eq!(parse_content_range(""), None);
    }

    #[test]
    fn listing_page_parses_with_missing_fields() {
        let p: ListPage = serde_json::from_str(
            r#"{"contents":[{"path":"/Volumes/c/s/v/a","is_directory":true}],"next_page_token":"t"}"#,
        )
        .unwrap();
        assert_eq!(p.contents[0].path, "/Volumes/c/s/v/a");
        assert!(p.contents[0].is_directory);
        assert_eq!(p.next_page_token.as_deref(), Some("t"));
        let empty: ListPage = serde_json::from_str("{}").unwrap();
        assert!(empty.contents.is_empty());
    }
}
