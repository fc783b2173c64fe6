//! Remote inputs and outputs of `convert` (and `info`/`validate`): Unity Catalog Volume paths
//! and cloud URLs (`s3://`, `abfss://`, `gs://`).
//!
//! Where `/Volumes` is mounted (Databricks compute) a Volume path is a plain file and is read
//! and written in place. Elsewhere the inputs are downloaded (Files API, or the cloud store)
//! into a staging folder, converted there, and the outputs uploaded only after the local
//! conversion succeeded; an existing remote output is refused without `--force`. The staging
//! folder is removed on success, on failure and on Ctrl-C.
//!
//! Staged files mirror their remote paths below the staging folder, so what the conversion
//! wrote there (minus the downloaded inputs) maps back to exactly one remote path each. Remote
//! folders are filtered by extension (files are not downloaded to be sniffed); `--force` on a
//! folder output overwrites what is written but leaves older files of that folder in place.
//! Volumes and cloud buckets go through the same code ([`RemoteStore`]).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{anyhow, bail, Result};
use clap::Args;
use pyforge_core::convert::ConvertOptions;
use pyforge_databricks::config::Config;
use pyforge_databricks::http::HttpClient;
use pyforge_databricks::stage::Staging;
use pyforge_databricks::store::{RemotePath, RemoteStore};
use pyforge_databricks::stores::Stores;
use pyforge_databricks::Location;

use crate::commands::Ui;

/// Options for Volume paths (dbfs:/Volumes/..., /Volumes/...) off Databricks compute, and for
/// staging cloud URLs (s3://, abfss://, gs://; credentials from the AWS_*, AZURE_*, GOOGLE_*
/// environment variables).
#[derive(Debug, Args, Clone, Default)]
pub struct RemoteArgs {
    /// Profile of ~/.databrickscfg (or DATABRICKS_CONFIG_FILE) for the workspace and
    /// credentials. Default: DATABRICKS_CONFIG_PROFILE, else the DATABRICKS_* variables, else
    /// the DEFAULT profile.
    #[arg(long, value_name = "NAME", help_heading = "Databricks")]
    pub profile: Option<String>,
    /// Folder for staging remote files (Volumes not mounted here, cloud URLs); removed afterwards.
    /// Default: /local_disk0/tmp where it exists, else the system temp folder.
    #[arg(long, value_name = "DIR", help_heading = "Databricks")]
    pub temp_dir: Option<PathBuf>,
    /// Workspace and bearer token handed over in-process (the Python package passes a
    /// notebook's `WorkspaceClient` credentials); never a command-line option.
    #[arg(skip)]
    pub credentials: Option<Credentials>,
}

/// A workspace URL and a bearer token (`Debug` never shows the token).
#[derive(Debug, Clone)]
pub struct Credentials {
    pub host: String,
    pub token: pyforge_databricks::config::Secret,
}

/// The staging folders of this process's recent runs, newest last, so messages show
/// `dbfs:/Volumes/...` or `s3://...` instead of staged paths. Every staging folder has a name of
/// its own, so runs at the same time (Python threads) each find theirs; a run's folder stays
/// listed after it is removed, for the final message.
static STAGE_PREFIXES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Staging folders remembered for messages (the oldest is forgotten first).
const STAGE_PREFIXES_KEPT: usize = 64;

fn remember_stage(path: &Path) {
    let mut prefixes = STAGE_PREFIXES.lock().unwrap_or_else(|e| e.into_inner());
    if prefixes.len() >= STAGE_PREFIXES_KEPT {
        prefixes.remove(0);
    }
    prefixes.push(path.to_path_buf());
}

/// How to show a path in messages: staged files as their remote path.
pub fn shown(p: &Path) -> String {
    shown_text(&p.display().to_string())
}

/// [`shown`] for a message that may contain staged paths.
pub fn shown_text(s: &str) -> String {
    let prefixes = STAGE_PREFIXES.lock().unwrap_or_else(|e| e.into_inner());
    prefixes.iter().rev().fold(s.to_string(), |text, prefix| pyforge_databricks::stage::unstage_text_at(prefix, &text))
}

/// Where an argument leads after parsing.
enum Side {
    /// A local path (plain, or a Volume path on a mounted /Volumes).
    Local(PathBuf),
    /// A Volume path reached through the Files API, or a cloud object.
    Remote(RemotePath),
}

fn side(arg: &str, mount: Option<&Path>) -> Result<Side> {
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

/// The stores `paths` need: a workspace client only when one of them is in a Volume (cloud
/// URLs need no Databricks configuration).
fn stores(ui: &Ui, r: &RemoteArgs, paths: &[&RemotePath]) -> Result<Stores> {
    let http = if paths.iter().any(|p| p.root.is_volume()) { Some(client(ui, r)?) } else { None };
    Ok(Stores::new(http, paths)?)
}

/// A client for the configured workspace. Each retry is reported as it happens with -v, and
/// on a terminal (where a person is waiting and would otherwise see nothing move).
fn client(ui: &Ui, r: &RemoteArgs) -> Result<HttpClient> {
    let config = match &r.credentials {
        Some(c) => Config::with_token(&c.host, c.token.expose()),
        None => Config::resolve(r.profile.as_deref())?,
    };
    let mut http = HttpClient::new(&config)?;
    if ui.verbose > 0 || ui.bars() {
        http = http.with_retry_notice(Arc::new(|m: &str| eprintln!("pyforge: {m}")));
    }
    Ok(http)
}

/// Staging that also publishes its prefix for [`shown`] (kept after the folder is removed, so
/// the final error message still shows Volume paths; the prefix is unique to this run).
struct Stage {
    staging: Option<Staging>,
}

impl Stage {
    fn new(r: &RemoteArgs) -> Result<Stage> {
        let staging = Staging::new(r.temp_dir.as_deref())?;
        remember_stage(staging.path());
        Ok(Stage { staging: Some(staging) })
    }

    fn get(&self) -> &Staging {
        self.staging.as_ref().expect("present until dropped")
    }

    /// Remove the folder (errors reported as a warning: the work itself is done).
    fn finish(mut self) {
        if let Some(s) = self.staging.take() {
            let p = s.path().to_path_buf();
            if let Err(e) = s.close() {
                eprintln!("pyforge: warning: could not remove the staging folder {}: {e}", p.display());
            }
        }
    }
}

fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// True for names `convert` reads from a folder: a known extension, not hidden.
fn supported_name(name: &str) -> bool {
    let lower = name.to_lowercase();
    !name.starts_with('.')
        && pyforge_core::registry().iter().any(|f| f.extensions().iter().any(|e| lower.ends_with(&format!(".{e}"))))
}

/// The remote files an input argument names: one file, a folder's files, or a glob's matches.
fn remote_inputs(files: &dyn RemoteStore, v: &RemotePath, recursive: bool) -> Result<(Vec<RemotePath>, bool)> {
    // A file whose name holds glob characters (`data[1].csv`) is that file, as for local paths.
    let literal = !v.dir_hint && files.exists(v)?;
    if literal {
        return Ok((vec![v.clone()], false));
    }
    if let Some(first_glob) = v.parts.iter().position(|p| is_glob(p)) {
        let mut base = v.clone();
        base.parts.truncate(first_glob);
        base.dir_hint = true;
        let deep = v.parts.len() - first_glob > 1 || v.parts.iter().any(|p| p.contains("**"));
        // Matched on the path below the Volume or bucket (whose own name is never a pattern).
        let pattern = glob::Pattern::new(&v.key()).map_err(|e| anyhow!("{v}: invalid glob pattern: {e}"))?;
        let opts = glob::MatchOptions {
            case_sensitive: true,
            require_literal_separator: true,
            require_literal_leading_dot: true,
        };
        let mut out = Vec::new();
        for e in files.list_files(&base, deep)? {
            if pattern.matches_with(&e.key(), opts) {
                out.push(e);
            }
        }
        if out.is_empty() {
            bail!("{v}: no files match");
        }
        return Ok((out, true));
    }
    if files.dir_exists(v)? {
        let mut out = Vec::new();
        for e in files.list_files(v, recursive)? {
            if e.file_name().is_some_and(supported_name) {
                out.push(e);
            }
        }
        if out.is_empty() {
            bail!("{v}: the folder holds no file of a supported format (see `pyforge formats`)");
        }
        return Ok((out, true));
    }
    bail!("{v}: not found (no such file or folder in {})", v.root.kind_name())
}

/// Files a reader opens beside its input: the memo files of DBF tables (`x.dbt`, `x.fpt`, in
/// any letter case), found by listing the input's folder.
fn sidecars(files: &dyn RemoteStore, inputs: &[RemotePath]) -> Result<Vec<RemotePath>> {
    const MAIN: &[&str] = &["dbf"];
    const SIDE: &[&str] = &["dbt", "fpt"];
    let mut listed: Vec<(RemotePath, Vec<RemotePath>)> = Vec::new();
    let mut out = Vec::new();
    for i in inputs {
        let Some(name) = i.file_name() else { continue };
        let Some((stem, ext)) = name.rsplit_once('.') else { continue };
        if !MAIN.contains(&ext.to_lowercase().as_str()) {
            continue;
        }
        let Some(dir) = i.parent() else { continue };
        if !listed.iter().any(|(d, _)| d == &dir) {
            let names = files.list_files(&dir, false)?;
            listed.push((dir.clone(), names));
        }
        let names = &listed.iter().find(|(d, _)| d == &dir).expect("listed above").1;
        for v in names {
            let n = v.file_name().unwrap_or_default();
            if let Some((s, e)) = n.rsplit_once('.') {
                if s.eq_ignore_ascii_case(stem)
                    && SIDE.contains(&e.to_lowercase().as_str())
                    && !inputs.contains(v)
                    && !out.contains(v)
                {
                    out.push(v.clone());
                }
            }
        }
    }
    Ok(out)
}

/// Transfers at once (downloads, uploads, existence checks): remote storage is I/O bound.
const TRANSFERS: usize = 4;

/// Run `f` over `items` on up to [`TRANSFERS`] threads; the first error stops new work.
fn parallel<T: Sync>(items: &[T], f: impl Fn(&T) -> Result<()> + Sync) -> Result<()> {
    if items.len() <= 1 {
        return items.iter().try_for_each(f);
    }
    use rayon::prelude::*;
    let pool = rayon::ThreadPoolBuilder::new().num_threads(TRANSFERS.min(items.len())).build()?;
    pool.install(|| items.par_iter().try_for_each(&f))
}

/// Every file below `dir`, sorted.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

/// `convert` with Volume paths or cloud URLs on either side. `None`: nothing remote, the
/// caller goes on.
pub fn convert(ui: &Ui, a: &crate::cli::ConvertArgs, opts: &ConvertOptions, started: Instant) -> Result<Option<u8>> {
    let output_arg = a.output.as_ref().map(|o| o.to_string_lossy().into_owned());
    let in_loc = Location::parse(&a.input)?;
    let out_loc = output_arg.as_deref().map(Location::parse).transpose()?;
    if !in_loc.is_remote() && !out_loc.as_ref().is_some_and(Location::is_remote) {
        return Ok(None);
    }
    let mount = pyforge_databricks::env::volumes_root();
    let input = side(&a.input, mount.as_deref())?;
    let output = output_arg.as_deref().map(|o| side(o, mount.as_deref())).transpose()?;
    if let (Side::Local(i), None | Some(Side::Local(_))) = (&input, &output) {
        // Mounted Volumes: plain files.
        let out = match &output {
            Some(Side::Local(o)) => Some(o.clone()),
            _ => None,
        };
        return crate::commands::run_convert(
            ui,
            &i.to_string_lossy(),
            out.as_deref(),
            a.into_dir,
            a.recursive,
            opts,
            started,
        )
        .map(Some);
    }

    let remote_paths: Vec<&RemotePath> = [Some(&input), output.as_ref()]
        .into_iter()
        .flatten()
        .filter_map(|s| match s {
            Side::Remote(p) => Some(p),
            Side::Local(_) => None,
        })
        .collect();
    let files = stores(ui, &a.remote, &remote_paths)?;
    let stage = Stage::new(&a.remote)?;
    // Messages name the remote paths, not the staged copies (mapped while the stage exists).
    let remote = Remote { files: &files, staging: stage.get() };
    let result = convert_staged(ui, a, opts, started, &remote, &input, output.as_ref())
        .map_err(|e| anyhow::Error::new(Shown { text: shown_text(&crate::one_line(&e)), original: e }));
    stage.finish();
    result.map(Some)
}

/// An error of a staged run with its message naming the remote paths instead of the staged
/// copies; the original stays reachable for callers that classify errors (the Python API's
/// exception types). No `source()`, so the message is not repeated with the staged paths.
#[derive(Debug)]
pub struct Shown {
    text: String,
    pub original: anyhow::Error,
}

impl std::fmt::Display for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for Shown {}

/// The remote stores and the staging folder of one run.
struct Remote<'a> {
    files: &'a dyn RemoteStore,
    staging: &'a Staging,
}

fn convert_staged(
    ui: &Ui,
    a: &crate::cli::ConvertArgs,
    opts: &ConvertOptions,
    started: Instant,
    remote: &Remote,
    input: &Side,
    output: Option<&Side>,
) -> Result<u8> {
    let (files, staging) = (remote.files, remote.staging);
    // 1. An explicit remote output that exists is refused before any work.
    let local_out: Option<PathBuf> = match output {
        None => None,
        Some(Side::Local(p)) => Some(p.clone()),
        Some(Side::Remote(v)) => {
            let mirror = staging.mirror_remote(v);
            if !v.dir_hint && !a.into_dir && files.exists(v)? {
                if !opts.force {
                    return Err(pyforge_databricks::Error::AlreadyExists { path: v.to_string() }.into());
                }
            } else if v.dir_hint || a.into_dir || files.dir_exists(v)? {
                // A folder output: make the mirror a folder too, so outputs are named inside it.
                std::fs::create_dir_all(&mirror).map_err(|e| anyhow!("{}: {e}", mirror.display()))?;
            }
            if let Some(parent) = mirror.parent() {
                std::fs::create_dir_all(parent).map_err(|e| anyhow!("{}: {e}", parent.display()))?;
            }
            Some(mirror)
        }
    };

    // 2. Inputs: local as they are, remote ones downloaded into the mirror.
    let mut downloaded: Vec<PathBuf> = Vec::new();
    let code = match input {
        Side::Local(p) => crate::commands::run_convert(
            ui,
            &p.to_string_lossy(),
            local_out.as_deref(),
            a.into_dir,
            a.recursive,
            opts,
            started,
        )?,
        Side::Remote(v) => {
            let (remote, many) = remote_inputs(files, v, a.recursive)?;
            let mut to_fetch = remote.clone();
            to_fetch.extend(sidecars(files, &remote)?);
            let verbose = ui.verbose > 0;
            parallel(&to_fetch, |r| {
                let local = staging.mirror_remote(r);
                if let Some(parent) = local.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| anyhow!("{}: {e}", parent.display()))?;
                }
                let bytes = files.download(r, &local)?;
                if verbose {
                    eprintln!("pyforge: downloaded {r} ({bytes} bytes)");
                }
                Ok(())
            })?;
            downloaded.extend(to_fetch.iter().map(|r| staging.mirror_remote(r)));
            let inputs: Vec<PathBuf> = remote.iter().map(|r| staging.mirror_remote(r)).collect();
            if many {
                crate::commands::convert_batch(ui, &inputs, local_out.as_deref(), opts, started)?
            } else {
                crate::commands::convert_single(ui, &inputs[0], local_out.as_deref(), a.into_dir, opts, started)?
            }
        }
    };

    // 3. Upload what the conversion wrote into the mirror (outputs only appear when complete).
    let mut produced = Vec::new();
    walk(staging.path(), &mut produced).map_err(|e| anyhow!("{}: {e}", staging.path().display()))?;
    let marker = pyforge_core::sink::TEMP_MARKER;
    let uploads: Vec<(PathBuf, RemotePath)> = produced
        .into_iter()
        .filter(|p| !downloaded.contains(p) && !p.to_string_lossy().contains(marker))
        .filter_map(|p| staging.remote_of(&p).map(|v| (p, v)))
        .collect();
    if !opts.force {
        let existing = Mutex::new(Vec::new());
        parallel(&uploads, |(_, v)| {
            if files.exists(v)? {
                existing.lock().unwrap_or_else(|e| e.into_inner()).push(v.to_string());
            }
            Ok(())
        })?;
        let mut existing = existing.into_inner().unwrap_or_else(|e| e.into_inner());
        existing.sort();
        if !existing.is_empty() {
            // Typed, so in-process callers raise their "output exists" error.
            let exists = pyforge_databricks::Error::AlreadyExists { path: existing.join(", ") };
            return Err(anyhow::Error::new(exists).context("nothing was uploaded"));
        }
    }
    let mut dirs: Vec<RemotePath> = Vec::new();
    for d in uploads.iter().filter_map(|(_, v)| v.parent()) {
        if !d.parts.is_empty() && !dirs.contains(&d) {
            dirs.push(d);
        }
    }
    for d in &dirs {
        files.create_dirs(d)?;
    }
    // Data files in parallel, then the manifests (which announce complete folders).
    let is_manifest = |p: &PathBuf| p.file_name().is_some_and(|n| n == pyforge_core::manifest::MANIFEST_NAME);
    let (manifests, data): (Vec<_>, Vec<_>) = uploads.iter().cloned().partition(|(p, _)| is_manifest(p));
    let verbose = ui.verbose > 0;
    let upload = |(local, v): &(PathBuf, RemotePath)| -> Result<()> {
        files.upload(local, v, opts.force)?;
        if verbose {
            eprintln!("pyforge: uploaded {v}");
        }
        Ok(())
    };
    parallel(&data, upload)?;
    for m in &manifests {
        upload(m)?;
    }
    if !ui.quiet && !uploads.is_empty() {
        let place = match output {
            Some(Side::Remote(v)) => v.root.kind_name(),
            _ => "remote storage",
        };
        println!("uploaded {} file{} to {place}", uploads.len(), if uploads.len() == 1 { "" } else { "s" });
    }
    Ok(code)
}

/// A local path for `info`/`validate` of a Volume file or cloud object: the mount path, or a
/// downloaded copy (kept alive by the returned guard).
pub fn local_input(ui: &Ui, arg: &Path, r: &RemoteArgs) -> Result<(PathBuf, Option<StagedInput>)> {
    let s = arg.to_string_lossy();
    let loc = Location::parse(&s)?;
    if !loc.is_remote() {
        return Ok((arg.to_path_buf(), None));
    }
    match side(&s, pyforge_databricks::env::volumes_root().as_deref())? {
        Side::Local(p) => Ok((p, None)),
        Side::Remote(v) => {
            let files = stores(ui, r, &[&v])?;
            let stage = Stage::new(r)?;
            let local = stage.get().mirror_remote(&v);
            if let Some(parent) = local.parent() {
                std::fs::create_dir_all(parent).map_err(|e| anyhow!("{}: {e}", parent.display()))?;
            }
            files.download(&v, &local)?;
            Ok((local, Some(StagedInput { _stage: stage })))
        }
    }
}

/// Keeps a downloaded input until dropped.
pub struct StagedInput {
    _stage: Stage,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two runs staging at the same time (two Python threads) each see their own paths shown as
    /// the remote paths they stand for.
    #[test]
    fn concurrent_stagings_each_show_their_remote_paths() {
        let sep = std::path::MAIN_SEPARATOR;
        let a = std::env::temp_dir().join("pyforge-test-stage-a");
        let b = std::env::temp_dir().join("pyforge-test-stage-ab");
        remember_stage(&a);
        remember_stage(&b);
        let msg = format!(
            "{}{sep}Volumes{sep}c{sep}s{sep}v{sep}x.csv and {}{sep}Volumes{sep}c{sep}s{sep}v{sep}y.csv",
            a.display(),
            b.display()
        );
        let shown = shown_text(&msg);
        assert_eq!(
            shown,
            format!("dbfs:/Volumes{sep}c{sep}s{sep}v{sep}x.csv and dbfs:/Volumes{sep}c{sep}s{sep}v{sep}y.csv")
        );
    }
}
