//! Driving code shared by the fuzz targets (`fuzz/`) and the fuzz regression test
//! (`tests/fuzz_regressions.rs`): write an input to a file, open it with one reader exactly as
//! the CLI does (open → tables → open_table → every batch), and watch for panics.
//!
//! Not part of the public API.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, Once, OnceLock};

use crate::error::Error;
use crate::options::ReadOptions;

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
}

impl PanicRecord {
    /// True if the panic is inside a third-party crate (from the cargo registry or a git
    /// checkout), where a reader's guard is the expected remedy. Anything else (our code, std)
    /// is a bug of ours.
    pub fn in_dependency(&self) -> bool {
        self.location.contains("/registry/src/") || self.location.contains("/git/checkouts/")
    }
}

impl std::fmt::Display for PanicRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "panic in thread '{}' at {}: {}", self.thread, self.location, self.message)
    }
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
        crate::panic_guard::install_quiet_hook();
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !DRIVING.load(Ordering::SeqCst) {
                return previous(info);
            }
            let location = info.location().map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column())).unwrap_or_default();
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let thread = std::thread::current().name().unwrap_or("?").to_string();
            if let Ok(mut p) = PANICS.lock() {
                p.push(PanicRecord { location, message, thread });
            }
        }));
    });
}

/// Open the file at `path` with the reader registered as `format` and read every table to the
/// end, as `pyforge convert` would. The returned outcome carries the first error and the
/// panics seen; a panic escaping the reader is caught and recorded.
pub fn drive_path(format: &str, path: &Path) -> Outcome {
    watch_panics();
    PANICS.lock().map(|mut p| p.clear()).ok();
    let mut outcome = Outcome::default();
    DRIVING.store(true, Ordering::SeqCst);
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_all(format, path, &mut outcome)));
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

fn read_all(format: &str, path: &Path, outcome: &mut Outcome) -> std::result::Result<(), Error> {
    let f = crate::format::by_name(format).ok_or_else(|| Error::InvalidOption(format!("no format named {format}")))?;
    let source = f.open(path, &ReadOptions::default())?;
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
        return Outcome { error: Some(Error::InvalidOption(format!("no fuzz target named {target}"))), ..Outcome::default() };
    };
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let dir = DIR.get_or_init(|| tempfile::Builder::new().prefix("pyforge-fuzz-").tempdir().expect("a temporary folder"));
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
    let finding = outcome.finding().or_else(|| if strict { outcome.panics.first().map(|p| p.to_string()) } else { None });
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
