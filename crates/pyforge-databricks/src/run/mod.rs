//! Runs with remote locations: `convert`, `info` and `validate` of Unity Catalog Volume paths
//! and cloud URLs (`s3://`, `abfss://`, `gs://`), and of plain local paths, which go straight
//! to `pyforge_core::run`.
//!
//! Where `/Volumes` is mounted (Databricks compute) a Volume path is a plain file and is read
//! and written in place. Elsewhere the inputs are downloaded (Files API, or the cloud store)
//! into a staging folder, converted there, and the outputs uploaded only after the local
//! conversion succeeded ([`staged`]).
//!
//! Everything one run needs travels with it in [`RemoteOptions`]: the workspace's credentials,
//! the staging folder's parent and the [`PathNames`] that show staged copies as the remote
//! paths they stand for. Nothing is kept in process globals, so runs at the same time (Python
//! threads) do not see each other's paths.

mod inspect;
mod staged;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use pyforge_core::request::ConvertRequest;
use pyforge_core::run::{convert_local, RunObserver, RunReport};

use crate::config::{Config, Secret};
use crate::http::{HttpClient, RetryNotice};
use crate::location::Location;
use crate::store::{RemotePath, RemoteStore};
use crate::stores::Stores;

pub use inspect::{info_document, open_table, validate_document, OpenTable};

/// A workspace URL and a bearer token (`Debug` never shows the token).
#[derive(Debug, Clone)]
pub struct Credentials {
    pub host: String,
    pub token: Secret,
}

/// What a run with remote locations needs besides its request.
#[derive(Clone, Default)]
pub struct RemoteOptions {
    /// Profile of `~/.databrickscfg`; `None`: the usual resolution (see [`Config::resolve`]).
    pub profile: Option<String>,
    /// Parent of the staging folder; `None`: `/local_disk0/tmp` where it exists, else the
    /// system temp folder.
    pub temp_dir: Option<PathBuf>,
    /// Workspace and token handed over in-process (a notebook's `WorkspaceClient`); instead of
    /// the profile.
    pub credentials: Option<Credentials>,
    /// Told of every retried request (the command shows them with -v and on a terminal).
    pub retry_notice: Option<RetryNotice>,
    /// How this run shows paths (shared with whoever prints its messages).
    pub names: PathNames,
}

/// How the paths of one run are shown: staged copies as the remote paths they stand for
/// (`dbfs:/Volumes/...`, `s3://...`). Each run has its own; clones share it, so the observer
/// that prints a run's messages sees the staging folders the run made.
#[derive(Debug, Clone, Default)]
pub struct PathNames(Arc<Mutex<Vec<PathBuf>>>);

impl PathNames {
    fn add(&self, staging: &Path) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(staging.to_path_buf());
    }

    /// `p` as the user knows it.
    pub fn path(&self, p: &Path) -> String {
        self.text(&p.display().to_string())
    }

    /// A message with every staged path in it shown as its remote path.
    pub fn text(&self, s: &str) -> String {
        let prefixes = self.0.lock().unwrap_or_else(|e| e.into_inner());
        prefixes.iter().rev().fold(s.to_string(), |text, prefix| crate::stage::unstage_text_at(prefix, &text))
    }

    /// `e` with its message showing remote paths, once this run has staged anything.
    pub fn error(&self, e: RunError) -> RunError {
        if self.0.lock().unwrap_or_else(|e| e.into_inner()).is_empty() {
            return e;
        }
        RunError::Shown { text: self.text(&one_line(&e)), original: Box::new(e) }
    }
}

/// An error and its causes on one line (causes the message already contains are skipped).
pub fn one_line(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cause = c.source();
    }
    s.replace('\n', " ")
}

/// Why a run failed: the converter's error, a remote request's, or either with its message
/// showing remote paths instead of the staged copies.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Core(#[from] pyforge_core::Error),
    #[error(transparent)]
    Remote(#[from] crate::Error),
    /// Outputs that exist remotely (and `force` was not given): nothing was uploaded.
    #[error("nothing was uploaded: {0}")]
    NothingUploaded(#[source] crate::Error),
    /// An error of a staged run, its message naming the remote paths. No `source()`, so the
    /// message is not repeated with the staged paths; [`RunError::cause`] reaches the original.
    #[error("{text}")]
    Shown { text: String, original: Box<RunError> },
}

/// The error a [`RunError`] stands for, for callers that classify errors.
pub enum Cause<'a> {
    Core(&'a pyforge_core::Error),
    Remote(&'a crate::Error),
}

impl RunError {
    /// The typed error behind this one (behind [`RunError::Shown`] too).
    pub fn cause(&self) -> Cause<'_> {
        match self {
            RunError::Core(e) => Cause::Core(e),
            RunError::Remote(e) | RunError::NothingUploaded(e) => Cause::Remote(e),
            RunError::Shown { original, .. } => original.cause(),
        }
    }

    /// A usage error (options that do not fit the input): the command exits 2 for these.
    pub fn is_usage(&self) -> bool {
        matches!(self.cause(), Cause::Core(pyforge_core::Error::Usage { .. }))
    }
}

/// A core I/O error for `path`.
fn io(path: &Path, source: std::io::Error) -> RunError {
    RunError::Core(pyforge_core::Error::Io { path: path.to_path_buf(), source })
}

/// An error about a remote input (`{v}: {message}`).
fn side_error(v: &RemotePath, message: &str) -> RunError {
    RunError::Core(pyforge_core::Error::Inputs { subject: v.to_string(), message: message.to_string() })
}

/// Where an argument leads after parsing.
enum Side {
    /// A local path (plain, or a Volume path on a mounted /Volumes).
    Local(PathBuf),
    /// A Volume path reached through the Files API, or a cloud object.
    Remote(RemotePath),
}

fn side(arg: &str, mount: Option<&Path>) -> Result<Side, RunError> {
    match Location::parse(arg)? {
        Location::Local(p) => Ok(Side::Local(p)),
        Location::Volume(v) => Ok(match mount {
            Some(root) => {
                let mut s = v.mount_path(root).display().to_string();
                if v.dir_hint && arg.ends_with('/') {
                    s.push('/');
                }
                Side::Local(PathBuf::from(s))
            }
            None => Side::Remote(RemotePath::from_volume(&v)),
        }),
        Location::Cloud(u) => Ok(Side::Remote(RemotePath::from_cloud(&u)?)),
    }
}

/// A client for the configured workspace.
pub fn client(remote: &RemoteOptions) -> Result<HttpClient, RunError> {
    let config = match &remote.credentials {
        Some(c) => Config::with_token(&c.host, c.token.expose()),
        None => Config::resolve(remote.profile.as_deref())?,
    };
    let mut http = HttpClient::new(&config)?;
    if let Some(notice) = &remote.retry_notice {
        http = http.with_retry_notice(notice.clone());
    }
    Ok(http)
}

/// The stores `paths` need: a workspace client only when one of them is in a Volume (cloud
/// URLs need no Databricks configuration).
fn stores(remote: &RemoteOptions, paths: &[&RemotePath]) -> Result<Stores, RunError> {
    let http = if paths.iter().any(|p| p.root.is_volume()) { Some(client(remote)?) } else { None };
    Ok(Stores::new(http, paths)?)
}

/// `convert` of a request whose input and output may be remote. A run of one input that
/// fails is an `Err`; in a folder or glob run failures are in the report, file by file.
pub fn convert(
    req: &ConvertRequest,
    remote: &RemoteOptions,
    observer: &dyn RunObserver,
) -> Result<RunReport, RunError> {
    let opts = pyforge_core::run::convert_options(req)?;
    let (output, into) = req.destination();
    let output_arg = output.map(|o| o.to_string_lossy().into_owned());
    let in_loc = Location::parse(&req.input)?;
    let out_loc = output_arg.as_deref().map(Location::parse).transpose()?;
    if !in_loc.is_remote() && !out_loc.as_ref().is_some_and(Location::is_remote) {
        return Ok(convert_local(&req.input, output, into, req.recursive, &opts, observer)?);
    }
    let mount = crate::env::volumes_root();
    let input = side(&req.input, mount.as_deref())?;
    let output = output_arg.as_deref().map(|o| side(o, mount.as_deref())).transpose()?;
    if let (Side::Local(i), None | Some(Side::Local(_))) = (&input, &output) {
        // Mounted Volumes: plain files.
        let out = match &output {
            Some(Side::Local(o)) => Some(o.clone()),
            _ => None,
        };
        return Ok(convert_local(&i.to_string_lossy(), out.as_deref(), into, req.recursive, &opts, observer)?);
    }
    let plan = staged::Plan { input: &input, output: output.as_ref(), into, recursive: req.recursive, opts: &opts };
    staged::convert(&plan, remote, observer)
}

/// A local path for reading a Volume file or cloud object: the mount path, or a downloaded
/// copy (kept alive by the returned guard).
pub fn local_input(arg: &Path, remote: &RemoteOptions) -> Result<(PathBuf, Option<StagedInput>), RunError> {
    let s = arg.to_string_lossy();
    let loc = Location::parse(&s)?;
    if !loc.is_remote() {
        return Ok((arg.to_path_buf(), None));
    }
    match side(&s, crate::env::volumes_root().as_deref())? {
        Side::Local(p) => Ok((p, None)),
        Side::Remote(v) => {
            let files = stores(remote, &[&v])?;
            let stage = staged::Stage::new(remote)?;
            let local = stage.get().mirror_remote(&v);
            if let Some(parent) = local.parent() {
                std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
            }
            files.download(&v, &local)?;
            Ok((local, Some(StagedInput { _stage: stage })))
        }
    }
}

/// Keeps a downloaded input until dropped.
pub struct StagedInput {
    _stage: staged::Stage,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two runs staging at the same time (two Python threads) each show their own paths as the
    /// remote paths they stand for, and neither knows the other's.
    #[test]
    fn each_run_shows_its_own_staged_paths() {
        let sep = std::path::MAIN_SEPARATOR;
        let a = std::env::temp_dir().join("pyforge-test-stage-a");
        let b = std::env::temp_dir().join("pyforge-test-stage-ab");
        let (run_a, run_b) = (PathNames::default(), PathNames::default());
        run_a.add(&a);
        run_b.add(&b);
        let staged = |stage: &Path, name: &str| format!("{}{sep}Volumes{sep}c{sep}s{sep}v{sep}{name}", stage.display());
        let msg = format!("{} and {}", staged(&a, "x.csv"), staged(&b, "y.csv"));
        let remote = |name: &str| format!("dbfs:/Volumes{sep}c{sep}s{sep}v{sep}{name}");
        assert_eq!(run_a.text(&msg), format!("{} and {}", remote("x.csv"), staged(&b, "y.csv")));
        assert_eq!(run_b.text(&msg), format!("{} and {}", staged(&a, "x.csv"), remote("y.csv")));
        let both = run_a.clone();
        both.add(&b);
        assert_eq!(run_a.text(&msg), format!("{} and {}", remote("x.csv"), remote("y.csv")));
    }
}
