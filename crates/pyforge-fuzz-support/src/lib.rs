//! Driving code shared by the fuzz targets (`fuzz/`), the fuzz regression test and the fuzzing
//! smoke run (`crates/pyforge-core/tests/core/fuzz_regressions.rs`, `fuzz_smoke.rs`): write an input
//! to a file, open it with one reader exactly as the CLI does (open → tables → open_table →
//! every batch), and watch for panics.
//!
//! A crate of its own, outside pyforge-core, because [`watch_panics`] installs a process-wide
//! panic hook: only the fuzz targets and tests link it, never the shipped library. Not
//! published.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, Once, OnceLock};

use pyforge_core::{Error, ReadOptions};

/// The reader targets: fuzz target name, registry format, file extension the input is
/// written with. The extension matters where a reader chooses by it (`.xlsx` lets the Excel
/// reader try xlsx, then ods, then xlsb for a zip; OLE2 `.xls` is recognised by content).
pub const TARGETS: &[(&str, &str, &str)] = &[
    ("csv", "csv", "csv"),
    ("access", "access", "mdb"),
    ("dbf", "dbf", "dbf"),
    ("xml", "xml", "xml"),
    ("json", "json", "json"),
    ("excel", "excel", "xlsx"),
    ("pdf", "pdf", "pdf"),
];

/// The PDF engine's time limit while fuzzing (opening and extracting, each). A malformed
/// embedded font can keep `pdf_oxide` busy for minutes in its cmap parsing
/// (`fuzz/regressions/pdf/cmap-parse-runs-minutes.pdf`); `pyforge` then ends with the
/// time-limit error after `--pdf-time-limit` (120 s by default). The harness wants that same
/// error well inside its own per-input bound, so it lowers the limit.
pub const PDF_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(5);

/// What one input did to its reader.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Tables listed by `tables()`.
    pub tables: usize,
    /// Rows read over all tables.
    pub rows: u64,
    /// The first error met (open, tables, or any table's stream); later tables are still read.
    pub error: Option<Error>,
    /// Panics raised while driving, in any thread, whether or not a guard caught them.
    pub panics: Vec<PanicRecord>,
    /// Set when a panic escaped the reader to the caller (what the CLI would die of).
    pub escaped: bool,
}

/// One panic seen by the watch hook.
#[derive(Debug, Clone)]
pub struct PanicRecord {
    /// `file:line:column` of the panic.
    pub location: String,
    /// The panic message.
    pub message: String,
    /// Name of the panicking thread.
    pub thread: String,
    /// For a panic located in the standard library (a capacity overflow in `alloc`, say), the
    /// first function outside it on the stack: the code that made the call.
    pub caller: Option<String>,
}

impl PanicRecord {
    /// True if the panic is inside a third-party crate (from the cargo registry or a git
    /// checkout), where a reader's guard is the expected remedy. Anything else (our code, std)
    /// is a bug of ours.
    ///
    /// A panic located in the standard library belongs to its caller: a dependency's if
    /// [`caller`](Self::caller) is outside this workspace, ours otherwise (or if unknown).
    pub fn in_dependency(&self) -> bool {
        self.location.contains("/registry/src/")
            || self.location.contains("/git/checkouts/")
            || self.caller.as_deref().is_some_and(|c| !c.starts_with("pyforge"))
    }
}

impl std::fmt::Display for PanicRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "panic in thread '{}' at {}: {}", self.thread, self.location, self.message)?;
        match &self.caller {
            Some(caller) => write!(f, " (called from {caller})"),
            None => Ok(()),
        }
    }
}

/// True for a source location inside the standard library (`…/library/alloc/src/…`).
fn in_std(location: &str) -> bool {
    ["library/alloc/", "library/core/", "library/std/"].iter().any(|l| location.contains(l))
}

/// The crate a backtrace frame's function belongs to: `pdf_oxide` for
/// `pdf_oxide::layout::X::analyze`, `alloc` for `<T as alloc::vec::SpecFromElem>::from_elem`
/// (a generic `T` says nothing; its trait does).
fn frame_crate(function: &str) -> &str {
    let mut f = function.trim_start_matches(['<', '&']).trim_start_matches("mut ");
    if let Some((ty, rest)) = f.split_once(" as ") {
        if !ty.contains("::") {
            f = rest;
        }
    }
    f.split("::").next().unwrap_or(f)
}

/// The first function outside the standard library below the panic machinery in a rendered
/// [`std::backtrace::Backtrace`] (frames read `  12: crate::module::function`).
fn first_caller_outside_std(backtrace: &str) -> Option<String> {
    let frames: Vec<&str> = backtrace
        .lines()
        .filter_map(|l| {
            l.trim_start()
                .split_once(": ")
                .filter(|(n, _)| n.chars().all(|c| c.is_ascii_digit()))
                .map(|(_, f)| f.trim())
        })
        .collect();
    let panicking = frames.iter().rposition(|f| f.contains("panicking::") || f.contains("rust_begin_unwind"))?;
    frames[panicking + 1..]
        .iter()
        .find(|f| !matches!(frame_crate(f), "std" | "core" | "alloc") && !f.starts_with("__r"))
        .map(|f| f.to_string())
}

impl Outcome {
    /// Why this outcome is a finding (a bug to fix), if it is: a panic outside a dependency,
    /// or a dependency panic that did not end as an error (a guard that swallowed it).
    pub fn finding(&self) -> Option<String> {
        if self.escaped {
            let p = self.panics.last().map(|p| p.to_string()).unwrap_or_else(|| "a panic".into());
            return Some(format!("{p} (escaped the reader)"));
        }
        if let Some(p) = self.panics.iter().find(|p| !p.in_dependency()) {
            return Some(p.to_string());
        }
        if self.error.is_none() {
            if let Some(p) = self.panics.first() {
                return Some(format!("{p} (and the read still succeeded)"));
            }
        }
        None
    }
}

static PANICS: Mutex<Vec<PanicRecord>> = Mutex::new(Vec::new());
static DRIVING: AtomicBool = AtomicBool::new(false);

/// Install (once) a panic hook that, while [`drive_path`] runs, records every panic quietly
/// instead of passing it to the previous hook (libFuzzer's aborts on any panic), so that
/// panics a reader's guard turns into an error are judged by [`Outcome::finding`]. Outside a
/// drive the previous hook runs as before.
pub fn watch_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Let the PDF reader install its own hook first, so ours is outermost and sees its
        // worker threads' panics too.
        pyforge_core::panic_guard::install_quiet_hook();
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !DRIVING.load(Ordering::SeqCst) {
                return previous(info);
            }
            let location =
                info.location().map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column())).unwrap_or_default();
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let thread = std::thread::current().name().unwrap_or("?").to_string();
            // Rare (most std panics are reported at their caller's line), so the cost of a
            // symbolised backtrace is paid only here.
            let caller = if in_std(&location) {
                first_caller_outside_std(&std::backtrace::Backtrace::force_capture().to_string())
            } else {
                None
            };
            if let Ok(mut p) = PANICS.lock() {
                p.push(PanicRecord { location, message, thread, caller });
            }
        }));
    });
}

/// Open the file at `path` with the reader registered as `format` and read every table to the
/// end, as `pyforge convert` would; an input it refuses is read again with `recover`. The
/// returned outcome carries the strict run's first error and the panics of both runs; a panic
/// escaping the reader is caught and recorded.
pub fn drive_path(format: &str, path: &Path) -> Outcome {
    watch_panics();
    PANICS.lock().map(|mut p| p.clear()).ok();
    let mut outcome = Outcome::default();
    DRIVING.store(true, Ordering::SeqCst);
    let strict_options = ReadOptions { pdf_time_limit: Some(PDF_TIME_LIMIT), ..Default::default() };
    // The PDF reader has no repairs: reading a refused PDF again would only repeat the error.
    let has_repairs = format != "pdf";
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let strict = read_all(format, path, &strict_options, &mut outcome);
        if has_repairs && (strict.is_err() || outcome.error.is_some()) {
            // What strict reading refuses goes through the `--recover` repairs too; only their
            // panics count (the outcome keeps the strict run's error and tables).
            let recover = ReadOptions { recover: true, ..strict_options.clone() };
            let _ = read_all(format, path, &recover, &mut Outcome::default());
        }
        strict
    }));
    DRIVING.store(false, Ordering::SeqCst);
    match run {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            outcome.error.get_or_insert(e);
        }
        Err(_) => outcome.escaped = true,
    }
    outcome.panics = PANICS.lock().map(|mut p| std::mem::take(&mut *p)).unwrap_or_default();
    outcome
}

fn read_all(format: &str, path: &Path, options: &ReadOptions, outcome: &mut Outcome) -> std::result::Result<(), Error> {
    let f = pyforge_core::registry::by_name(format)
        .ok_or_else(|| Error::InvalidOption(format!("no format named {format}")))?;
    let source = f.open(path, options)?;
    let _ = source.details();
    let tables = source.tables()?;
    outcome.tables = tables.len();
    for t in &tables {
        let stream = match source.open_table(&t.name) {
            Ok(s) => s,
            Err(e) => {
                outcome.error.get_or_insert(e);
                continue;
            }
        };
        let _ = stream.schema();
        for batch in stream {
            match batch {
                Ok(b) => outcome.rows += b.num_rows() as u64,
                Err(e) => {
                    outcome.error.get_or_insert(e);
                    break;
                }
            }
        }
    }
    Ok(())
}

/// Write `bytes` to a fresh file named for `target` (see [`TARGETS`]) in this process's
/// temporary folder and [`drive_path`] it. Each input gets a new name and is unlinked after,
/// so a reader thread still holding the previous input never sees its file rewritten.
pub fn drive(target: &str, bytes: &[u8]) -> Outcome {
    let Some(&(_, format, ext)) = TARGETS.iter().find(|(t, _, _)| *t == target) else {
        return Outcome {
            error: Some(Error::InvalidOption(format!("no fuzz target named {target}"))),
            ..Outcome::default()
        };
    };
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let dir =
        DIR.get_or_init(|| tempfile::Builder::new().prefix("pyforge-fuzz-").tempdir().expect("a temporary folder"));
    let path = dir.path().join(format!("input-{}.{ext}", SEQ.fetch_add(1, Ordering::Relaxed)));
    if let Err(e) = std::fs::write(&path, bytes) {
        return Outcome { error: Some(Error::io(&path, e)), ..Outcome::default() };
    }
    let outcome = drive_path(format, &path);
    let _ = std::fs::remove_file(&path);
    outcome
}

/// The fuzz target body: drive `bytes` and abort the process (a libFuzzer finding) if the
/// outcome is a bug. Dependency panics that a guard turned into an error are reported once
/// per location on stderr and are not findings.
///
/// `PYFORGE_FUZZ_VERBOSE=1` prints what each input gave (tables, rows, error).
/// With `PYFORGE_FUZZ_STRICT=1` every panic is a finding, guarded or not: the way to minimise
/// an input that makes a dependency panic (`-minimize_crash=1`) once its guard is in place.
pub fn fuzz_one(target: &str, bytes: &[u8]) {
    static STRICT: OnceLock<bool> = OnceLock::new();
    let strict = *STRICT.get_or_init(|| std::env::var_os("PYFORGE_FUZZ_STRICT").is_some_and(|v| v == "1"));
    let outcome = drive(target, bytes);
    let finding =
        outcome.finding().or_else(|| if strict { outcome.panics.first().map(|p| p.to_string()) } else { None });
    if let Some(why) = finding {
        eprintln!("pyforge fuzz finding ({target}): {why}");
        if let Some(e) = &outcome.error {
            eprintln!("error returned: {e}");
        }
        std::process::abort();
    }
    if std::env::var_os("PYFORGE_FUZZ_VERBOSE").is_some() {
        match &outcome.error {
            Some(e) => eprintln!("pyforge fuzz: {} tables, {} rows, error: {e}", outcome.tables, outcome.rows),
            None => eprintln!("pyforge fuzz: {} tables, {} rows, ok", outcome.tables, outcome.rows),
        }
    }
    static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());
    for p in &outcome.panics {
        if let Ok(mut seen) = SEEN.lock() {
            if !seen.contains(&p.location) {
                seen.push(p.location.clone());
                eprintln!("pyforge fuzz: guarded dependency {p}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_belongs_to_the_crate_of_its_type_or_of_its_trait_for_a_generic() {
        assert_eq!(frame_crate("pdf_oxide::layout::document_analyzer::DocumentProperties::analyze"), "pdf_oxide");
        assert_eq!(frame_crate("<T as alloc::vec::spec_from_elem::SpecFromElem>::from_elem"), "alloc");
        assert_eq!(frame_crate("<calamine::xls::Xls<RS> as calamine::Reader<RS>>::new"), "calamine");
        assert_eq!(frame_crate("<&mut pyforge_core::Foo as core::fmt::Display>::fmt"), "pyforge_core");
    }

    /// A capacity overflow raised in `alloc` on behalf of a dependency, as `Backtrace` renders
    /// it without debug info (the PDF fuzz smoke finding of the fourth session).
    const OVERFLOW_IN_DEPENDENCY: &str = "   0: std::backtrace::Backtrace::force_capture
   1: pyforge_fuzz_support::watch_panics::{{closure}}::{{closure}}
   2: std::panicking::panic_with_hook
   3: std::panicking::panic_handler::{{closure}}
   4: __rustc::rust_begin_unwind
   5: core::panicking::panic_fmt
   6: alloc::raw_vec::capacity_overflow
   7: alloc::raw_vec::handle_error
   8: pdf_oxide::layout::document_analyzer::DocumentProperties::analyze
   9: pdf_oxide::document::PdfDocument::extract_words_inner
  10: pyforge_core::formats::pdf::engine::Doc::page_text_physical
";

    #[test]
    fn a_std_panic_is_charged_to_the_first_caller_outside_std() {
        assert_eq!(
            first_caller_outside_std(OVERFLOW_IN_DEPENDENCY).as_deref(),
            Some("pdf_oxide::layout::document_analyzer::DocumentProperties::analyze")
        );
        let ours = OVERFLOW_IN_DEPENDENCY.replace(
            "pdf_oxide::layout::document_analyzer::DocumentProperties::analyze",
            "pyforge_core::formats::pdf::layout::lines",
        );
        assert_eq!(first_caller_outside_std(&ours).as_deref(), Some("pyforge_core::formats::pdf::layout::lines"));
        assert_eq!(first_caller_outside_std("   0: <unknown>\n"), None, "no panic machinery: no caller");
    }

    #[test]
    fn only_a_dependency_caller_makes_a_std_panic_guarded() {
        let record = |caller: Option<&str>| PanicRecord {
            location: "/rustc/abc/library/alloc/src/raw_vec/mod.rs:28:5".into(),
            message: "capacity overflow".into(),
            thread: "pyforge-pdf".into(),
            caller: caller.map(str::to_string),
        };
        assert!(in_std(&record(None).location));
        assert!(record(Some("pdf_oxide::layout::X::analyze")).in_dependency());
        assert!(!record(Some("pyforge_core::formats::pdf::layout::lines")).in_dependency());
        assert!(!record(None).in_dependency(), "an unknown caller is a finding");
    }
}
