//! One `convert` run of local files: the INPUT resolved into one file or many, the output
//! folder made (and removed again when nothing was written into it), every file converted, and
//! a [`RunReport`] of what became of each. What a person or a program sees on the way is the
//! caller's: the run tells a [`RunObserver`] and prints nothing.
//!
//! Remote locations (Volumes, cloud URLs) are staged into local files by `pyforge-databricks`,
//! which then calls this.

mod inputs;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use inputs::{is_glob, resolve, Inputs};

use crate::convert::{convert_many, convert_to, ConvertOptions, ConvertReport, Destination, Event};
use crate::error::{Error, Result};
use crate::request::ConvertRequest;
use crate::sink::OutputFormat;

/// What a run tells as it goes. Every method has a default that ignores it; callbacks come from
/// the converting threads (files of a batch convert in parallel).
pub trait RunObserver: Sync {
    /// The run starts: one input file (`many` false), or the files of a folder or glob.
    fn started(&self, _inputs: &[PathBuf], _many: bool) {}
    /// The converter's progress (tables started and finished, rows written, tables re-read).
    fn event(&self, _event: &Event) {}
    /// A file is done: converted or failed.
    fn file_done(&self, _input: &Path, _result: &Result<ConvertReport>) {}
    /// The run ended (a one-file run only when it succeeded; a batch also when files failed).
    fn finished(&self, _report: &RunReport) {}
    /// A detail worth telling with `--verbose` (a download, an upload).
    fn detail(&self, _message: &str) {}
    /// Something went wrong that does not fail the run (a staging folder left behind).
    fn warning(&self, _message: &str) {}
    /// The outputs were uploaded: `files` of them, to `place` (`Volume`, `S3`, ...).
    fn uploaded(&self, _files: usize, _place: &str) {}
}

/// An observer that ignores everything.
pub struct Unobserved;

impl RunObserver for Unobserved {}

/// What became of one input file.
#[derive(Debug)]
pub enum Outcome {
    Converted(ConvertReport),
    Failed(Error),
    /// Not started after an earlier failure (`fail_fast`).
    Skipped,
}

/// One input file of a run and what became of it.
#[derive(Debug)]
pub struct FileOutcome {
    pub input: PathBuf,
    pub outcome: Outcome,
}

/// What a run did, file by file. A run of one input that failed is an `Err` instead.
#[derive(Debug)]
pub struct RunReport {
    /// The INPUT named many files (a folder or a glob), even if it matched one.
    pub many: bool,
    /// In input order.
    pub files: Vec<FileOutcome>,
    /// How long the conversion took (for staged runs: without downloads and uploads).
    pub elapsed: Duration,
}

impl RunReport {
    /// Files converted, failed and skipped.
    pub fn counts(&self) -> (usize, usize, usize) {
        let count = |f: fn(&Outcome) -> bool| self.files.iter().filter(|o| f(&o.outcome)).count();
        (
            count(|o| matches!(o, Outcome::Converted(_))),
            count(|o| matches!(o, Outcome::Failed(_))),
            count(|o| matches!(o, Outcome::Skipped)),
        )
    }

    /// Whether any file failed.
    pub fn failed(&self) -> bool {
        self.counts().1 > 0
    }
}

/// The output format when the request names none: the output file's extension if it names one
/// (`out.parquet`, `out.jsonl`), else txt when every input is a PDF, else parquet.
pub fn default_output_format(input: &str, recursive: bool, output: Option<&Path>) -> OutputFormat {
    let named = output
        .filter(|o| !o.is_dir())
        .and_then(|o| o.extension())
        .and_then(|e| OutputFormat::parse(&e.to_string_lossy().to_lowercase()).ok());
    if let Some(f) = named {
        return f;
    }
    let is_pdf = |p: &Path| crate::registry::detect(p).map(|f| f.name() == "pdf").unwrap_or(false);
    // A Volume path that is not mounted here does not resolve: its name decides.
    let all_pdf = match resolve(input, recursive) {
        Ok(Inputs::One(p)) => is_pdf(&p),
        Ok(Inputs::Many(ps)) => !ps.is_empty() && ps.iter().all(|p| is_pdf(p)),
        Err(_) => input.to_lowercase().ends_with(".pdf"),
    };
    if all_pdf {
        OutputFormat::Txt
    } else {
        OutputFormat::Parquet
    }
}

/// The converter's options for a request: its options checked, and its output format (named,
/// or the default for its input and output).
pub fn convert_options(req: &ConvertRequest) -> Result<ConvertOptions> {
    let format = match &req.write.format {
        Some(name) => OutputFormat::parse(name)?,
        None => {
            default_output_format(&req.input, req.recursive, req.output.as_deref().filter(|_| req.output_dir.is_none()))
        }
    };
    req.write.convert_options(&req.read, format)
}

/// Convert a local INPUT (file, folder or glob) into `output`; `into`: `output` is a folder to
/// name outputs in (`output_dir`).
pub fn convert_local(
    input: &str,
    output: Option<&Path>,
    into: bool,
    recursive: bool,
    opts: &ConvertOptions,
    observer: &dyn RunObserver,
) -> Result<RunReport> {
    match resolve(input, recursive)? {
        Inputs::One(input) => convert_file(&input, output, into, opts, observer),
        Inputs::Many(inputs) => convert_files(&inputs, output, opts, observer),
    }
}

/// Convert one file; its failure is the run's `Err`.
pub fn convert_file(
    input: &Path,
    output: Option<&Path>,
    into: bool,
    opts: &ConvertOptions,
    observer: &dyn RunObserver,
) -> Result<RunReport> {
    let mut created = None;
    let dest = match output {
        Some(dir) if into => {
            created = make_dir(dir)?;
            Destination::Auto(Some(dir.to_path_buf()))
        }
        Some(o) => Destination::Path(o.to_path_buf()),
        None => Destination::Auto(None),
    };
    let started = Instant::now();
    observer.started(&[input.to_path_buf()], false);
    let result = convert_to(input, &dest, opts, &|e: &Event| observer.event(e));
    observer.file_done(input, &result);
    if result.is_err() {
        // A failed conversion leaves no output, and a folder made for it is output too.
        if let (Some(top), Some(dir)) = (&created, output) {
            unmake_dir(top, dir);
        }
    }
    let report = result?;
    let report = RunReport {
        many: false,
        files: vec![FileOutcome { input: input.to_path_buf(), outcome: Outcome::Converted(report) }],
        elapsed: started.elapsed(),
    };
    observer.finished(&report);
    Ok(report)
}

/// Convert many files in parallel into the folder `output` (or beside each input); each
/// file's failure is in the report.
pub fn convert_files(
    inputs: &[PathBuf],
    output: Option<&Path>,
    opts: &ConvertOptions,
    observer: &dyn RunObserver,
) -> Result<RunReport> {
    if let Some(o) = output {
        if o.exists() && !o.is_dir() {
            return Err(Error::Inputs {
                subject: o.display().to_string(),
                message: "with many inputs the output must be a folder".into(),
            });
        }
    }
    let created = output.map(make_dir).transpose()?.flatten();
    let started = Instant::now();
    observer.started(inputs, true);
    let items =
        convert_many(inputs, output, opts, &|e: &Event| observer.event(e), &|input, r| observer.file_done(input, r))?;
    let files: Vec<FileOutcome> = items
        .into_iter()
        .map(|i| FileOutcome {
            input: i.input,
            outcome: match i.result {
                Some(Ok(r)) => Outcome::Converted(r),
                Some(Err(e)) => Outcome::Failed(e),
                None => Outcome::Skipped,
            },
        })
        .collect();
    let report = RunReport { many: true, files, elapsed: started.elapsed() };
    if report.failed() {
        // When every file failed the folder made for them is empty: remove it (a folder
        // holding any output stays, remove_dir refuses it).
        if let (Some(top), Some(dir)) = (&created, output) {
            unmake_dir(top, dir);
        }
    }
    observer.finished(&report);
    Ok(report)
}

/// Create the output folder `dir` with its missing parents; return the highest folder this made
/// (None when `dir` existed), so a run that writes nothing can remove what it made.
fn make_dir(dir: &Path) -> Result<Option<PathBuf>> {
    let mut top = None;
    let mut at = Some(dir);
    while let Some(d) = at.filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
        top = Some(d.to_path_buf());
        at = d.parent();
    }
    std::fs::create_dir_all(dir).map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
    Ok(top)
}

/// Remove `dir` and its parents up to `top` (the folders [`make_dir`] made) while they are empty.
fn unmake_dir(top: &Path, dir: &Path) {
    let mut at = Some(dir);
    while let Some(d) = at {
        if std::fs::remove_dir(d).is_err() || d == top {
            break;
        }
        at = d.parent();
    }
}

/// Bytes this process has read so far (`rchar` of `/proc/self/io`), where the system says:
/// progress of readers that do not count their bytes.
pub fn process_bytes_read() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/io").ok()?;
    text.lines().find_map(|l| l.strip_prefix("rchar:")).and_then(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_counts_what_we_read() {
        let Some(before) = process_bytes_read() else {
            #[cfg(target_os = "linux")]
            panic!("/proc/self/io is missing on Linux");
            #[cfg(not(target_os = "linux"))]
            return;
        };
        let data = vec![7u8; 1 << 20];
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.bin");
        std::fs::write(&p, &data).unwrap();
        assert_eq!(std::fs::read(&p).unwrap().len(), data.len());
        assert!(process_bytes_read().unwrap() - before >= 1 << 20);
    }

    #[test]
    fn a_failed_single_file_leaves_no_folder_it_made() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("bad.csv");
        std::fs::write(&input, b"a,b\n1,2\n3,4,5\n").unwrap();
        let out = dir.path().join("new").join("deeper");
        let req =
            ConvertRequest { input: input.display().to_string(), output_dir: Some(out.clone()), ..Default::default() };
        let opts = convert_options(&req).unwrap();
        let err = convert_local(&req.input, Some(&out), true, false, &opts, &Unobserved).unwrap_err();
        assert!(err.to_string().contains("bad.csv"), "{err}");
        assert!(!dir.path().join("new").exists());
    }

    #[test]
    fn a_folder_run_reports_every_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.csv"), b"x\n1\n").unwrap();
        std::fs::write(dir.path().join("b.csv"), b"a,b\n1,2\n3,4,5\n").unwrap();
        let out = dir.path().join("out");
        let req = ConvertRequest { input: dir.path().display().to_string(), ..Default::default() };
        let opts = convert_options(&req).unwrap();
        let report = convert_local(&req.input, Some(&out), false, false, &opts, &Unobserved).unwrap();
        assert!(report.many);
        assert_eq!(report.counts(), (1, 1, 0));
        assert!(out.join("a.parquet").is_file());
        assert!(!out.join("b.parquet").exists());
    }
}
