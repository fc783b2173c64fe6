//! Remote inputs and outputs of `convert` (and `info`/`validate`): Unity Catalog Volume paths.
//!
//! Where `/Volumes` is mounted (Databricks compute) a Volume path is a plain file and is read
//! and written in place. Elsewhere the inputs are downloaded through the Files API into a
//! staging folder, converted there, and the outputs uploaded only after the local conversion
//! succeeded; an existing remote output is refused without `--force`. The staging folder is
//! removed on success, on failure and on Ctrl-C.
//!
//! Staged files mirror their Volume paths below the staging folder, so what the conversion
//! wrote there (minus the downloaded inputs) maps back to exactly one remote path each. Remote
//! folders are filtered by extension (files are not downloaded to be sniffed); `--force` on a
//! folder output overwrites what is written but leaves older files of that folder in place.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{anyhow, bail, Result};
use clap::Args;
use pyforge_core::convert::ConvertOptions;
use pyforge_databricks::config::Config;
use pyforge_databricks::files_api::FilesApi;
use pyforge_databricks::http::HttpClient;
use pyforge_databricks::stage::Staging;
use pyforge_databricks::{Location, VolumePath};

use crate::commands::Ui;

/// Options for Volume paths (dbfs:/Volumes/..., /Volumes/...) off Databricks compute.
#[derive(Debug, Args, Clone, Default)]
pub struct RemoteArgs {
    /// Profile of ~/.databrickscfg (or DATABRICKS_CONFIG_FILE) for the workspace and
    /// credentials. Default: DATABRICKS_CONFIG_PROFILE, else the DATABRICKS_* variables, else
    /// the DEFAULT profile.
    #[arg(long, value_name = "NAME", help_heading = "Databricks")]
    pub profile: Option<String>,
    /// Folder for staging Volume files that are not mounted here (removed afterwards).
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

/// The staging folder in use, so messages show `dbfs:/Volumes/...` instead of staged paths.
static STAGE_PREFIX: Mutex<Option<PathBuf>> = Mutex::new(None);

/// How to show a path in messages: staged Volume files as their `dbfs:/Volumes/...` path.
pub fn shown(p: &Path) -> String {
    shown_text(&p.display().to_string())
}

/// [`shown`] for a message that may contain staged paths.
pub fn shown_text(s: &str) -> String {
    match STAGE_PREFIX.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
        Some(prefix) => s.replace(&prefix.display().to_string(), "dbfs:/Volumes"),
        None => s.to_string(),
    }
}

/// Where an argument leads after parsing.
enum Side {
    /// A local path (plain, or a Volume path on a mounted /Volumes).
    Local(PathBuf),
    /// A Volume path reached through the Files API.
    Remote(VolumePath),
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
            None => Side::Remote(v),
        }),
        Location::Cloud(u) => bail!("{}: cloud storage URLs are not supported by this build yet (copy the file to a Volume or a local path)", u.url),
    }
}

/// A client for the configured workspace; retries are reported with -v.
fn client(ui: &Ui, r: &RemoteArgs) -> Result<HttpClient> {
    let config = match &r.credentials {
        Some(c) => Config::with_token(&c.host, c.token.expose()),
        None => Config::resolve(r.profile.as_deref())?,
    };
    let mut http = HttpClient::new(&config)?;
    if ui.verbose > 0 {
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
        *STAGE_PREFIX.lock().unwrap_or_else(|e| e.into_inner()) = Some(staging.path().join("Volumes"));
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
    !name.starts_with('.') && pyforge_core::registry().iter().any(|f| f.extensions().iter().any(|e| lower.ends_with(&format!(".{e}"))))
}

/// The remote files an input argument names: one file, a folder's files, or a glob's matches.
fn remote_inputs(files: &FilesApi, v: &VolumePath, recursive: bool) -> Result<(Vec<VolumePath>, bool)> {
    // A file whose name holds glob characters (`data[1].csv`) is that file, as for local paths.
    let literal = !v.dir_hint && files.head(v)?.is_some();
    if literal {
        return Ok((vec![v.clone()], false));
    }
    if let Some(first_glob) = v.parts.iter().position(|p| is_glob(p)) {
        let mut base = v.clone();
        base.parts.truncate(first_glob);
        let deep = v.parts.len() - first_glob > 1 || v.parts.iter().any(|p| p.contains("**"));
        let pattern = glob::Pattern::new(&v.api_path()).map_err(|e| anyhow!("{v}: invalid glob pattern: {e}"))?;
        let opts = glob::MatchOptions { case_sensitive: true, require_literal_separator: true, require_literal_leading_dot: true };
        let mut out = Vec::new();
        for e in files.list_files(&base, deep)? {
            if pattern.matches_with(&e.path, opts) {
                out.push(VolumePath::from_api_path(&e.path)?);
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
            let name = e.path.rsplit('/').next().unwrap_or_default();
            if supported_name(name) {
                out.push(VolumePath::from_api_path(&e.path)?);
            }
        }
        if out.is_empty() {
            bail!("{v}: the folder holds no file of a supported format (see `pyforge formats`)");
        }
        return Ok((out, true));
    }
    bail!("{v}: not found (no such file or folder in the Volume)")
}

/// Files a reader opens beside its input: the memo files of DBF tables (`x.dbt`, `x.fpt`, in
/// any letter case), found by listing the input's folder.
fn sidecars(files: &FilesApi, inputs: &[VolumePath]) -> Result<Vec<VolumePath>> {
    const MAIN: &[&str] = &["dbf"];
    const SIDE: &[&str] = &["dbt", "fpt"];
    let mut listed: Vec<(VolumePath, Vec<String>)> = Vec::new();
    let mut out = Vec::new();
    for i in inputs {
        let Some(name) = i.file_name() else { continue };
        let Some((stem, ext)) = name.rsplit_once('.') else { continue };
        if !MAIN.contains(&ext.to_lowercase().as_str()) {
            continue;
        }
        let Some(dir) = i.parent() else { continue };
        if !listed.iter().any(|(d, _)| d == &dir) {
            let names = files.list(&dir)?.into_iter().filter(|e| !e.is_directory).map(|e| e.path).collect();
            listed.push((dir.clone(), names));
        }
        let names = &listed.iter().find(|(d, _)| d == &dir).expect("listed above").1;
        for path in names {
            let n = path.rsplit('/').next().unwrap_or_default();
            if let Some((s, e)) = n.rsplit_once('.') {
                if s.eq_ignore_ascii_case(stem) && SIDE.contains(&e.to_lowercase().as_str()) {
                    let v = VolumePath::from_api_path(path)?;
                    if !inputs.contains(&v) && !out.contains(&v) {
                        out.push(v);
                    }
                }
            }
        }
    }
    Ok(out)
}

/// Transfers at once (downloads, uploads, existence checks): the Files API is I/O bound.
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

/// `convert` with Volume paths on either side. `None`: nothing remote, the caller goes on.
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
        return crate::commands::run_convert(ui, &i.to_string_lossy(), out.as_deref(), a.into_dir, a.recursive, opts, started).map(Some);
    }

    let http = client(ui, &a.remote)?;
    let files = FilesApi::new(&http);
    let stage = Stage::new(&a.remote)?;
    // Messages name the Volume paths, not the staged copies (mapped while the stage exists).
    let remote = Remote { files: &files, staging: stage.get() };
    let result = convert_staged(ui, a, opts, started, &remote, &input, output.as_ref()).map_err(|e| anyhow!(shown_text(&crate::one_line(&e))));
    stage.finish();
    result.map(Some)
}

/// The Files API and the staging folder of one run.
struct Remote<'a> {
    files: &'a FilesApi<'a>,
    staging: &'a Staging,
}

fn convert_staged(ui: &Ui, a: &crate::cli::ConvertArgs, opts: &ConvertOptions, started: Instant, remote: &Remote, input: &Side, output: Option<&Side>) -> Result<u8> {
    let (files, staging) = (remote.files, remote.staging);
    // 1. An explicit remote output that exists is refused before any work.
    let local_out: Option<PathBuf> = match output {
        None => None,
        Some(Side::Local(p)) => Some(p.clone()),
        Some(Side::Remote(v)) => {
            let mirror = staging.mirror(v);
            if !v.dir_hint && !a.into_dir && files.head(v)?.is_some() {
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
        Side::Local(p) => crate::commands::run_convert(ui, &p.to_string_lossy(), local_out.as_deref(), a.into_dir, a.recursive, opts, started)?,
        Side::Remote(v) => {
            let (remote, many) = remote_inputs(files, v, a.recursive)?;
            let mut to_fetch = remote.clone();
            to_fetch.extend(sidecars(files, &remote)?);
            let verbose = ui.verbose > 0;
            parallel(&to_fetch, |r| {
                let local = staging.mirror(r);
                if let Some(parent) = local.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| anyhow!("{}: {e}", parent.display()))?;
                }
                let bytes = files.download(r, &local)?;
                if verbose {
                    eprintln!("pyforge: downloaded {r} ({bytes} bytes)");
                }
                Ok(())
            })?;
            downloaded.extend(to_fetch.iter().map(|r| staging.mirror(r)));
            let inputs: Vec<PathBuf> = remote.iter().map(|r| staging.mirror(r)).collect();
            if many {
                crate::commands::convert_batch(ui, &inputs, local_out.as_deref(), opts, started)?
            } else {
                crate::commands::convert_single(ui, &inputs[0], local_out.as_deref(), a.into_dir, opts, started)?
            }
        }
    };

    // 3. Upload what the conversion wrote into the mirror (outputs only appear when complete).
    let mut produced = Vec::new();
    walk(&staging.path().join("Volumes"), &mut produced).map_err(|e| anyhow!("{}: {e}", staging.path().display()))?;
    let marker = pyforge_core::sink::TEMP_MARKER;
    let uploads: Vec<(PathBuf, VolumePath)> = produced
        .into_iter()
        .filter(|p| !downloaded.contains(p) && !p.to_string_lossy().contains(marker))
        .filter_map(|p| staging.volume_of(&p).map(|v| (p, v)))
        .collect();
    if !opts.force {
        let existing = Mutex::new(Vec::new());
        parallel(&uploads, |(_, v)| {
            if files.head(v)?.is_some() {
                existing.lock().unwrap_or_else(|e| e.into_inner()).push(v.to_string());
            }
            Ok(())
        })?;
        let mut existing = existing.into_inner().unwrap_or_else(|e| e.into_inner());
        existing.sort();
        if !existing.is_empty() {
            bail!("{}: already exists (use --force to overwrite); nothing was uploaded", existing.join(", "));
        }
    }
    let mut dirs: Vec<VolumePath> = Vec::new();
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
    let upload = |(local, v): &(PathBuf, VolumePath)| -> Result<()> {
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
        println!("uploaded {} file{} to the Volume", uploads.len(), if uploads.len() == 1 { "" } else { "s" });
    }
    Ok(code)
}

/// A local path for `info`/`validate` of a Volume file: the mount path, or a downloaded copy
/// (kept alive by the returned guard).
pub fn local_input(ui: &Ui, arg: &Path, r: &RemoteArgs) -> Result<(PathBuf, Option<StagedInput>)> {
    let s = arg.to_string_lossy();
    let loc = Location::parse(&s)?;
    if !loc.is_remote() {
        return Ok((arg.to_path_buf(), None));
    }
    match side(&s, pyforge_databricks::env::volumes_root().as_deref())? {
        Side::Local(p) => Ok((p, None)),
        Side::Remote(v) => {
            let http = client(ui, r)?;
            let files = FilesApi::new(&http);
            let stage = Stage::new(r)?;
            let local = stage.get().mirror(&v);
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
