//! Conversions through a staging folder, for Volumes not mounted here and cloud URLs.
//!
//! Staged files mirror their remote paths below the staging folder, so what the conversion
//! wrote there (minus the downloaded inputs) maps back to exactly one remote path each. Remote
//! folders are filtered by extension (files are not downloaded to be sniffed); `force` on a
//! folder output overwrites what is written but leaves older files of that folder in place. An
//! existing remote output is refused without `force`, and nothing is uploaded before the local
//! conversion succeeded. The staging folder is removed on success, on failure and on Ctrl-C.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use pyforge_core::convert::ConvertOptions;
use pyforge_core::run::{convert_file, convert_files, convert_local, is_glob, RunObserver, RunReport};

use super::{io, side_error, stores, RemoteOptions, RunError, Side};
use crate::stage::Staging;
use crate::store::{RemotePath, RemoteStore};

/// What one staged conversion does.
pub(super) struct Plan<'a> {
    pub input: &'a Side,
    pub output: Option<&'a Side>,
    /// `output` is a folder to name outputs in.
    pub into: bool,
    pub recursive: bool,
    pub opts: &'a ConvertOptions,
}

/// A staging folder whose prefix the run's [`super::PathNames`] know (kept after the folder is
/// removed, so the final error message still shows remote paths).
pub(super) struct Stage {
    staging: Option<Staging>,
}

impl Stage {
    pub(super) fn new(remote: &RemoteOptions) -> Result<Stage, RunError> {
        let staging = Staging::new(remote.temp_dir.as_deref())?;
        remote.names.add(staging.path());
        Ok(Stage { staging: Some(staging) })
    }

    pub(super) fn get(&self) -> &Staging {
        self.staging.as_ref().expect("present until dropped")
    }

    /// Remove the folder (a failure is a warning: the work itself is done).
    fn finish(mut self, observer: &dyn RunObserver) {
        if let Some(s) = self.staging.take() {
            let p = s.path().to_path_buf();
            if let Err(e) = s.close() {
                observer.warning(&format!("could not remove the staging folder {}: {e}", p.display()));
            }
        }
    }
}

/// Convert with a remote input or output: stage, convert locally, upload.
pub(super) fn convert(plan: &Plan, remote: &RemoteOptions, observer: &dyn RunObserver) -> Result<RunReport, RunError> {
    let remote_paths: Vec<&RemotePath> = [Some(plan.input), plan.output]
        .into_iter()
        .flatten()
        .filter_map(|s| match s {
            Side::Remote(p) => Some(p),
            Side::Local(_) => None,
        })
        .collect();
    let files = stores(remote, &remote_paths)?;
    let stage = Stage::new(remote)?;
    let run = Run { files: &files, staging: stage.get(), plan, observer };
    // Messages name the remote paths, not the staged copies (mapped while the stage exists).
    let result = run.convert().map_err(|e| remote.names.error(e));
    stage.finish(observer);
    result
}

/// One staged conversion under way.
struct Run<'a> {
    files: &'a dyn RemoteStore,
    staging: &'a Staging,
    plan: &'a Plan<'a>,
    observer: &'a dyn RunObserver,
}

impl Run<'_> {
    fn convert(&self) -> Result<RunReport, RunError> {
        let local_out = self.local_output()?;
        let (report, downloaded) = self.convert_inputs(local_out.as_deref())?;
        self.upload(&downloaded)?;
        Ok(report)
    }

    /// The local place of the output: itself, or its mirror in the staging folder. An explicit
    /// remote output that exists is refused before any work.
    fn local_output(&self) -> Result<Option<PathBuf>, RunError> {
        let (files, plan) = (self.files, self.plan);
        match plan.output {
            None => Ok(None),
            Some(Side::Local(p)) => Ok(Some(p.clone())),
            Some(Side::Remote(v)) => {
                let mirror = self.staging.mirror_remote(v);
                if !v.dir_hint && !plan.into && files.exists(v)? {
                    if !plan.opts.force {
                        return Err(crate::Error::AlreadyExists { path: v.to_string() }.into());
                    }
                } else if v.dir_hint || plan.into || files.dir_exists(v)? {
                    // A folder output: make the mirror a folder too, so outputs are named inside it.
                    std::fs::create_dir_all(&mirror).map_err(|e| io(&mirror, e))?;
                }
                if let Some(parent) = mirror.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
                }
                Ok(Some(mirror))
            }
        }
    }

    /// Convert the inputs (local as they are, remote ones downloaded into the mirror); also
    /// returns the downloaded files, which are not outputs.
    fn convert_inputs(&self, local_out: Option<&Path>) -> Result<(RunReport, Vec<PathBuf>), RunError> {
        let plan = self.plan;
        let v = match plan.input {
            Side::Local(p) => {
                let report = convert_local(
                    &p.to_string_lossy(),
                    local_out,
                    plan.into,
                    plan.recursive,
                    plan.opts,
                    self.observer,
                )?;
                return Ok((report, Vec::new()));
            }
            Side::Remote(v) => v,
        };
        let (remote, many) = remote_inputs(self.files, v, plan.recursive)?;
        let mut to_fetch = remote.clone();
        to_fetch.extend(sidecars(self.files, &remote)?);
        parallel(&to_fetch, |r| {
            let local = self.staging.mirror_remote(r);
            if let Some(parent) = local.parent() {
                std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
            }
            let bytes = self.files.download(r, &local)?;
            self.observer.detail(&format!("downloaded {r} ({bytes} bytes)"));
            Ok(())
        })?;
        let downloaded = to_fetch.iter().map(|r| self.staging.mirror_remote(r)).collect();
        let inputs: Vec<PathBuf> = remote.iter().map(|r| self.staging.mirror_remote(r)).collect();
        let report = if many {
            convert_files(&inputs, local_out, plan.opts, self.observer)?
        } else {
            convert_file(&inputs[0], local_out, plan.into, plan.opts, self.observer)?
        };
        Ok((report, downloaded))
    }

    /// Upload what the conversion wrote into the mirror (outputs only appear when complete):
    /// data files in parallel, then the manifests, which announce complete folders.
    fn upload(&self, downloaded: &[PathBuf]) -> Result<(), RunError> {
        let uploads = self.outputs(downloaded)?;
        let force = self.plan.opts.force;
        if !force {
            self.refuse_existing(&uploads)?;
        }
        let mut dirs: Vec<RemotePath> = Vec::new();
        for d in uploads.iter().filter_map(|(_, v)| v.parent()) {
            if !d.parts.is_empty() && !dirs.contains(&d) {
                dirs.push(d);
            }
        }
        for d in &dirs {
            self.files.create_dirs(d)?;
        }
        let is_manifest = |p: &PathBuf| p.file_name().is_some_and(|n| n == pyforge_core::manifest::MANIFEST_NAME);
        let (manifests, data): (Vec<_>, Vec<_>) = uploads.iter().cloned().partition(|(p, _)| is_manifest(p));
        let upload = |(local, v): &(PathBuf, RemotePath)| -> Result<(), RunError> {
            self.files.upload(local, v, force)?;
            self.observer.detail(&format!("uploaded {v}"));
            Ok(())
        };
        parallel(&data, upload)?;
        manifests.iter().try_for_each(upload)?;
        if !uploads.is_empty() {
            let place = match self.plan.output {
                Some(Side::Remote(v)) => v.root.kind_name(),
                _ => "remote storage",
            };
            self.observer.uploaded(uploads.len(), place);
        }
        Ok(())
    }

    /// What the conversion wrote into the staging folder, with the remote path of each.
    fn outputs(&self, downloaded: &[PathBuf]) -> Result<Vec<(PathBuf, RemotePath)>, RunError> {
        let mut produced = Vec::new();
        walk(self.staging.path(), &mut produced).map_err(|e| io(self.staging.path(), e))?;
        let marker = pyforge_core::sink::TEMP_MARKER;
        Ok(produced
            .into_iter()
            .filter(|p| !downloaded.contains(p) && !p.to_string_lossy().contains(marker))
            .filter_map(|p| self.staging.remote_of(&p).map(|v| (p, v)))
            .collect())
    }

    /// Fail, naming them all, when outputs exist remotely.
    fn refuse_existing(&self, uploads: &[(PathBuf, RemotePath)]) -> Result<(), RunError> {
        let existing = Mutex::new(Vec::new());
        parallel(uploads, |(_, v)| {
            if self.files.exists(v)? {
                existing.lock().unwrap_or_else(|e| e.into_inner()).push(v.to_string());
            }
            Ok(())
        })?;
        let mut existing = existing.into_inner().unwrap_or_else(|e| e.into_inner());
        existing.sort();
        if existing.is_empty() {
            return Ok(());
        }
        // Typed, so in-process callers raise their "output exists" error.
        Err(RunError::NothingUploaded(crate::Error::AlreadyExists { path: existing.join(", ") }))
    }
}

/// True for names `convert` reads from a folder: a known extension, not hidden.
fn supported_name(name: &str) -> bool {
    let lower = name.to_lowercase();
    !name.starts_with('.')
        && pyforge_core::registry().iter().any(|f| f.extensions().iter().any(|e| lower.ends_with(&format!(".{e}"))))
}

/// The remote files an input argument names: one file, a folder's files, or a glob's matches;
/// and whether it names many.
fn remote_inputs(
    files: &dyn RemoteStore,
    v: &RemotePath,
    recursive: bool,
) -> Result<(Vec<RemotePath>, bool), RunError> {
    // A file whose name holds glob characters (`data[1].csv`) is that file, as for local paths.
    let literal = !v.dir_hint && files.exists(v)?;
    if literal {
        return Ok((vec![v.clone()], false));
    }
    if let Some(first_glob) = v.parts.iter().position(|p| is_glob(p)) {
        return glob_matches(files, v, first_glob).map(|m| (m, true));
    }
    if files.dir_exists(v)? {
        let out: Vec<RemotePath> =
            files.list_files(v, recursive)?.into_iter().filter(|e| e.file_name().is_some_and(supported_name)).collect();
        if out.is_empty() {
            return Err(side_error(v, "the folder holds no file of a supported format (see `pyforge formats`)"));
        }
        return Ok((out, true));
    }
    Err(side_error(v, &format!("not found (no such file or folder in {})", v.root.kind_name())))
}

/// The files matching a glob whose first pattern part is `first_glob`.
fn glob_matches(files: &dyn RemoteStore, v: &RemotePath, first_glob: usize) -> Result<Vec<RemotePath>, RunError> {
    let mut base = v.clone();
    base.parts.truncate(first_glob);
    base.dir_hint = true;
    let deep = v.parts.len() - first_glob > 1 || v.parts.iter().any(|p| p.contains("**"));
    // Matched on the path below the Volume or bucket (whose own name is never a pattern).
    let pattern = glob::Pattern::new(&v.key()).map_err(|e| side_error(v, &format!("invalid glob pattern: {e}")))?;
    let opts =
        glob::MatchOptions { case_sensitive: true, require_literal_separator: true, require_literal_leading_dot: true };
    let out: Vec<RemotePath> =
        files.list_files(&base, deep)?.into_iter().filter(|e| pattern.matches_with(&e.key(), opts)).collect();
    if out.is_empty() {
        return Err(side_error(v, "no files match"));
    }
    Ok(out)
}

/// Files a reader opens beside its input: the memo files of DBF tables (`x.dbt`, `x.fpt`, in
/// any letter case), found by listing the input's folder.
fn sidecars(files: &dyn RemoteStore, inputs: &[RemotePath]) -> Result<Vec<RemotePath>, RunError> {
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
fn parallel<T: Sync>(items: &[T], f: impl Fn(&T) -> Result<(), RunError> + Sync) -> Result<(), RunError> {
    if items.len() <= 1 {
        return items.iter().try_for_each(f);
    }
    use rayon::prelude::*;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(TRANSFERS.min(items.len()))
        .build()
        .map_err(|e| io(Path::new("transfer threads"), std::io::Error::other(e)))?;
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
