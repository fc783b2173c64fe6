//! The subcommands. Each returns an exit code or an error; `main` prints errors.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use pyforge_core::convert::{ConvertReport, Event};
use pyforge_core::run::{FileOutcome, Outcome, RunObserver, RunReport};
use pyforge_core::ReadOptions;
use pyforge_databricks::http::RetryNotice;
use pyforge_databricks::run::{PathNames, RemoteOptions};

use crate::cli::{ConvertArgs, FormatsArgs, InfoArgs, RemoteArgs, SamplesArgs, ValidateArgs};
use crate::progress::ConvertProgress;

/// How chatty to be.
pub struct Ui {
    pub verbose: u8,
    pub quiet: bool,
}

impl Ui {
    /// Progress bars only for a person at a terminal.
    pub(crate) fn bars(&self) -> bool {
        !self.quiet && std::io::stdout().is_terminal() && std::io::stderr().is_terminal()
    }

    /// The remote side of a run: `--profile`, `--temp-dir`, and retries told with -v and on a
    /// terminal (where a person is waiting and would otherwise see nothing move).
    pub(crate) fn remote(&self, r: &RemoteArgs) -> RemoteOptions {
        let notice: Option<RetryNotice> =
            (self.verbose > 0 || self.bars()).then(|| Arc::new(|m: &str| eprintln!("pyforge: {m}")) as RetryNotice);
        RemoteOptions {
            profile: r.profile.clone(),
            temp_dir: r.temp_dir.clone(),
            retry_notice: notice,
            ..Default::default()
        }
    }
}

pub fn convert(ui: &Ui, a: ConvertArgs) -> Result<u8> {
    let remote = ui.remote(&a.remote);
    let printer = Printer::new(ui, remote.names.clone());
    let report = pyforge_databricks::run::convert(&a.request(), &remote, &printer)?;
    Ok(u8::from(report.failed()))
}

/// What a person sees of a `convert` run: progress on a terminal, a line per file, a summary.
struct Printer<'a> {
    ui: &'a Ui,
    names: PathNames,
    started: Instant,
    /// The run converts a folder or glob.
    many: AtomicBool,
    /// The progress of a one-file run (on a terminal).
    progress: Mutex<Option<ConvertProgress>>,
    /// The files-done bar of a batch (on a terminal).
    bar: Mutex<Option<ProgressBar>>,
    /// Lines of files finishing at once are printed whole.
    print: Mutex<()>,
}

impl<'a> Printer<'a> {
    fn new(ui: &'a Ui, names: PathNames) -> Self {
        Printer {
            ui,
            names,
            started: Instant::now(),
            many: AtomicBool::new(false),
            progress: Mutex::new(None),
            bar: Mutex::new(None),
            print: Mutex::new(()),
        }
    }

    fn shown(&self, p: &Path) -> String {
        self.names.path(p)
    }

    /// A line for stderr, above the progress display when there is one.
    fn note(&self, line: String) {
        match &*lock(&self.progress) {
            Some(p) => p.println(line),
            None => eprintln!("{line}"),
        }
    }

    fn print_single(&self, report: &ConvertReport) {
        let rows: u64 = report.tables.iter().map(|t| t.rows).sum();
        println!(
            "{} -> {}: {} table{}, {rows} rows ({:.2} s)",
            self.shown(&report.input),
            self.shown(&report.output),
            report.tables.len(),
            if report.tables.len() == 1 { "" } else { "s" },
            self.started.elapsed().as_secs_f64()
        );
        if self.ui.verbose > 0 {
            for t in &report.tables {
                println!("  {} -> {} ({} rows)", t.name, self.shown(&t.output), t.rows);
                for c in &t.columns {
                    println!("    {}: {}", c.name, c.data_type);
                }
            }
        }
    }

    fn print_batch_file(&self, input: &Path, result: &pyforge_core::Result<ConvertReport>) {
        let _guard = lock(&self.print);
        let line = match result {
            Ok(_) if self.ui.quiet => None,
            Ok(rep) => {
                let rows: u64 = rep.tables.iter().map(|t| t.rows).sum();
                Some(format!("ok     {} -> {} ({rows} rows)", self.shown(input), self.shown(&rep.output)))
            }
            Err(e) => Some(format!("FAILED {}", self.names.text(&e.to_string().replace('\n', " ")))),
        };
        let bar = lock(&self.bar);
        if let Some(b) = &*bar {
            b.inc(1);
        }
        if let Some(l) = line {
            match (&*bar, result.is_err()) {
                (Some(b), _) => b.println(l),
                (None, true) => eprintln!("{l}"),
                (None, false) => println!("{l}"),
            }
        }
    }

    fn print_summary(&self, report: &RunReport) {
        if let Some(b) = lock(&self.bar).take() {
            b.finish_and_clear();
        }
        let (ok, failed, skipped) = report.counts();
        let summary = format!(
            "{ok} converted, {failed} failed{} ({:.2} s)",
            if skipped > 0 { format!(", {skipped} skipped after the first failure") } else { String::new() },
            self.started.elapsed().as_secs_f64()
        );
        if failed > 0 {
            eprintln!("{summary}");
        } else if !self.ui.quiet {
            println!("{summary}");
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl RunObserver for Printer<'_> {
    fn started(&self, inputs: &[PathBuf], many: bool) {
        self.many.store(many, Ordering::Relaxed);
        if !self.ui.bars() {
            return;
        }
        if many {
            let b = ProgressBar::new(inputs.len() as u64);
            b.set_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} files [{elapsed}] {msg}").expect("valid template"),
            );
            *lock(&self.bar) = Some(b);
        } else if let Some(input) = inputs.first() {
            let size = std::fs::metadata(input).map(|m| m.len()).unwrap_or(0);
            *lock(&self.progress) = Some(ConvertProgress::start(size));
        }
    }

    fn event(&self, event: &Event) {
        match event {
            Event::TableStarted { input, .. } => {
                // The bar's message names the file most recently started (files convert in parallel).
                if let Some(b) = &*lock(&self.bar) {
                    b.set_message(self.shown(input));
                }
            }
            Event::Rows { table, rows, .. } => {
                if let Some(p) = &*lock(&self.progress) {
                    p.rows(table, *rows);
                }
            }
            Event::Reread { table, reason, .. } => {
                if let Some(p) = &*lock(&self.progress) {
                    p.restart(table);
                }
                if self.ui.verbose > 0 {
                    self.note(format!("{table}: reading again ({reason})"));
                }
            }
            _ => {}
        }
    }

    fn file_done(&self, input: &Path, result: &pyforge_core::Result<ConvertReport>) {
        if self.many.load(Ordering::Relaxed) {
            return self.print_batch_file(input, result);
        }
        // One file: its progress display goes; its line is printed once the run ends well.
        lock(&self.progress).take();
    }

    fn finished(&self, report: &RunReport) {
        if report.many {
            return self.print_summary(report);
        }
        if let (false, Some(FileOutcome { outcome: Outcome::Converted(r), .. })) = (self.ui.quiet, report.files.first())
        {
            self.print_single(r);
        }
    }

    fn detail(&self, message: &str) {
        if self.ui.verbose > 0 {
            eprintln!("pyforge: {message}");
        }
    }

    fn warning(&self, message: &str) {
        eprintln!("pyforge: warning: {message}");
    }

    fn uploaded(&self, files: usize, place: &str) {
        if !self.ui.quiet {
            println!("uploaded {files} file{} to {place}", if files == 1 { "" } else { "s" });
        }
    }
}

pub fn info(ui: &Ui, a: InfoArgs) -> Result<u8> {
    let doc = pyforge_databricks::run::info_document(&a.request(), &ui.remote(&a.remote))?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(0);
    }
    let text = |v: &serde_json::Value| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
    println!("File:    {}", text(&doc["path"]));
    println!("Format:  {}", text(&doc["format"]));
    println!("Size:    {} bytes", doc["size_bytes"]);
    if let Some(details) = doc["details"].as_object() {
        for (k, v) in details {
            // Control characters (a tab delimiter) are shown escaped.
            let shown = v.as_str().map(|s| s.escape_debug().to_string()).unwrap_or_else(|| v.to_string());
            println!("{:<8} {shown}", format!("{k}:"));
        }
    }
    for t in doc["tables"].as_array().into_iter().flatten() {
        println!();
        println!("Table {}: {} rows", t["name"].as_str().unwrap_or_default(), t["rows"]);
        if let Some(d) = t["details"].as_object() {
            for (k, v) in d {
                println!("  ({k}: {})", text(v));
            }
        }
        if let Some(cols) = t["columns"].as_array() {
            let width = cols.iter().filter_map(|c| c["name"].as_str()).map(|n| n.chars().count()).max().unwrap_or(0);
            for c in cols {
                println!(
                    "  {:<width$}  {}",
                    c["name"].as_str().unwrap_or_default(),
                    c["type"].as_str().unwrap_or_default()
                );
            }
        }
    }
    Ok(0)
}

/// `pyforge schema`: the core writes the DDL (or the structure), this prints it.
pub fn schema(a: crate::cli::SchemaArgs) -> Result<u8> {
    use pyforge_core::formats::access;
    // Named here, where the registry is at hand: the Access reader itself knows only Access.
    let format = pyforge_core::detect(&a.input)?;
    if format.name() != "access" {
        return Err(pyforge_core::Error::UnsupportedFormat {
            path: a.input.clone(),
            reason: format!("`schema` reads Access databases (.mdb, .accdb); this is {}", format.name()),
        }
        .into());
    }
    let options = ReadOptions {
        password: a.access.password.clone(),
        include_system: a.access.include_system,
        ..Default::default()
    };
    if a.json {
        let structure = access::read_structure(&a.input, &options)?;
        println!("{}", serde_json::to_string_pretty(&structure)?);
    } else {
        let dialect = a.dialect.parse::<access::ddl::Dialect>().map_err(|e| anyhow::anyhow!(e))?;
        print!("{}", access::schema_ddl(&a.input, &options, dialect)?);
    }
    Ok(0)
}

pub fn validate(ui: &Ui, a: ValidateArgs) -> Result<u8> {
    let doc = pyforge_databricks::run::validate_document(&a.request(), &ui.remote(&a.remote))?;
    if !ui.quiet {
        let tables = doc["tables"].as_u64().unwrap_or(0);
        let text = |k: &str| doc[k].as_str().unwrap_or_default().to_string();
        println!(
            "valid: {} ({}, {tables} table{}, {} rows)",
            text("path"),
            text("format"),
            if tables == 1 { "" } else { "s" },
            doc["rows"]
        );
    }
    Ok(0)
}

pub fn formats(a: FormatsArgs) -> Result<u8> {
    if a.json {
        println!("{}", serde_json::to_string_pretty(&pyforge_core::registry::formats_document())?);
        return Ok(0);
    }
    println!("Input formats:");
    for f in pyforge_core::registry() {
        let exts: Vec<String> = f.extensions().iter().map(|e| format!(".{e}")).collect();
        println!("  {:<8} {:<32} {}", f.name(), exts.join(" "), f.description());
    }
    println!();
    println!("Output formats: {}", pyforge_core::registry::OUTPUT_FORMATS.join(", "));
    Ok(0)
}

pub fn samples(ui: &Ui, a: SamplesArgs) -> Result<u8> {
    let files = pyforge_samples::write_samples(&a.dir, a.force)?;
    if !ui.quiet {
        for f in files {
            println!("{}", f.display());
        }
    }
    Ok(0)
}
