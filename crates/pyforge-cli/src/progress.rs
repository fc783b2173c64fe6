//! Progress a person can read during one conversion: bytes read of the input's size, the rate
//! and the time left, plus the table and rows being written.
//!
//! The readers know nothing of progress: the bytes come from the kernel's count of what this
//! process has read (`rchar` in `/proc/self/io`, which counts `read` and `pread` of every
//! reader alike). Where that count does not exist (not Linux) the display is a spinner with
//! the row count. Nothing is drawn in the first second, so quick conversions stay silent.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long a conversion runs before its progress is shown; `PYFORGE_PROGRESS_AFTER_MS`
/// changes it (the tests use 0).
const SHOW_AFTER: Duration = Duration::from_secs(1);
const TICK: Duration = Duration::from_millis(100);

/// The progress display of one conversion; cleared when dropped.
pub(crate) struct ConvertProgress {
    bar: ProgressBar,
    /// Bytes this process had read when the current pass over the input began.
    baseline: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    ticker: Option<JoinHandle<()>>,
}

impl ConvertProgress {
    /// Start showing the progress of reading an input of `total` bytes.
    pub(crate) fn start(total: u64) -> Self {
        let by_bytes = bytes_read().is_some() && total > 0;
        let bar = if by_bytes { ProgressBar::new(total) } else { ProgressBar::new_spinner() };
        bar.set_draw_target(ProgressDrawTarget::hidden());
        let template = if by_bytes {
            "{bar:25} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}"
        } else {
            "{spinner} {msg} [{elapsed}]"
        };
        bar.set_style(ProgressStyle::with_template(template).expect("valid template").progress_chars("=> "));
        let baseline = Arc::new(AtomicU64::new(bytes_read().unwrap_or(0)));
        let stop = Arc::new(AtomicBool::new(false));
        let ticker = {
            let (bar, baseline, stop) = (bar.clone(), baseline.clone(), stop.clone());
            std::thread::Builder::new()
                .name("pyforge-progress".into())
                .spawn(move || tick(&bar, &baseline, &stop, total, by_bytes))
                .ok()
        };
        ConvertProgress { bar, baseline, stop, ticker }
    }

    /// Rows written so far for `table`.
    pub(crate) fn rows(&self, table: &str, rows: u64) {
        self.bar.set_message(format!("{table}: {rows} rows"));
    }

    /// The input is read again from the start (wider column types): count from zero.
    pub(crate) fn restart(&self, table: &str) {
        self.baseline.store(bytes_read().unwrap_or(0), Ordering::Relaxed);
        self.bar.reset_eta();
        self.bar.set_message(format!("{table}: reading again"));
    }

    /// Print a line above the display.
    pub(crate) fn println(&self, line: String) {
        self.bar.println(line);
    }
}

impl Drop for ConvertProgress {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
        self.bar.finish_and_clear();
    }
}

fn tick(bar: &ProgressBar, baseline: &AtomicU64, stop: &AtomicBool, total: u64, by_bytes: bool) {
    let started = Instant::now();
    let show_after = std::env::var("PYFORGE_PROGRESS_AFTER_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(SHOW_AFTER, Duration::from_millis);
    let mut shown = false;
    while !stop.load(Ordering::Relaxed) {
        if by_bytes {
            let read = bytes_read().unwrap_or(0).saturating_sub(baseline.load(Ordering::Relaxed));
            bar.set_position(read.min(total));
        } else {
            bar.tick();
        }
        if !shown && started.elapsed() >= show_after {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            shown = true;
        }
        std::thread::sleep(TICK);
    }
}

/// An in-process caller's progress listener (the Python API's `progress=` callback). It is
/// called with `{"input", "table", "rows", "bytes_read", "bytes_total", "files_done",
/// "files_total", "done"}`: while a file converts (at most every [`LISTEN_EVERY`]), and once
/// when each file is done (`"done": true`, with its `"status"`).
pub type ProgressListener = Arc<dyn Fn(&serde_json::Value) + Send + Sync>;

/// The shortest time between two calls of a listener while a file converts.
pub const LISTEN_EVERY: Duration = Duration::from_millis(100);

/// The progress of one file, told to a listener.
pub(crate) struct ListenedFile {
    listener: ProgressListener,
    input: String,
    total: u64,
    baseline: u64,
    last: std::sync::Mutex<Option<Instant>>,
}

impl ListenedFile {
    pub(crate) fn start(listener: &ProgressListener, input: &std::path::Path) -> Self {
        ListenedFile {
            listener: listener.clone(),
            input: crate::remote::shown(input),
            total: std::fs::metadata(input).map(|m| m.len()).unwrap_or(0),
            baseline: bytes_read().unwrap_or(0),
            last: std::sync::Mutex::new(None),
        }
    }

    /// Rows written so far for `table` (told when [`LISTEN_EVERY`] has passed).
    pub(crate) fn rows(&self, table: &str, rows: u64) {
        {
            let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
            if last.is_some_and(|t| t.elapsed() < LISTEN_EVERY) {
                return;
            }
            *last = Some(Instant::now());
        }
        (self.listener)(&self.update(Some(table), rows, false, None));
    }

    /// The file is done: converted (`rows` in all) or failed.
    pub(crate) fn done(&self, rows: u64, ok: bool) {
        (self.listener)(&self.update(None, rows, true, Some(if ok { "ok" } else { "failed" })));
    }

    fn update(&self, table: Option<&str>, rows: u64, done: bool, status: Option<&str>) -> serde_json::Value {
        let read = bytes_read().map(|b| b.saturating_sub(self.baseline).min(self.total));
        let mut v = serde_json::json!({
            "input": self.input, "table": table, "rows": rows,
            "bytes_read": if done { Some(self.total) } else { read }, "bytes_total": self.total,
            "files_done": u64::from(done), "files_total": 1, "done": done,
        });
        if let Some(s) = status {
            v["status"] = s.into();
        }
        v
    }
}

/// Bytes this process has read so far (`rchar` of `/proc/self/io`), where the system says.
fn bytes_read() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/io").ok()?;
    text.lines().find_map(|l| l.strip_prefix("rchar:")).and_then(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_counts_what_we_read() {
        let Some(before) = bytes_read() else {
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
        assert!(bytes_read().unwrap() - before >= 1 << 20);
    }
}
