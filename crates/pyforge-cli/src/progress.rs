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
        let by_bytes = pyforge_core::run::process_bytes_read().is_some() && total > 0;
        let bar = if by_bytes { ProgressBar::new(total) } else { ProgressBar::new_spinner() };
        bar.set_draw_target(ProgressDrawTarget::hidden());
        let template = if by_bytes {
            "{bar:25} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}"
        } else {
            "{spinner} {msg} [{elapsed}]"
        };
        bar.set_style(ProgressStyle::with_template(template).expect("valid template").progress_chars("=> "));
        let baseline = Arc::new(AtomicU64::new(pyforge_core::run::process_bytes_read().unwrap_or(0)));
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
        self.baseline.store(pyforge_core::run::process_bytes_read().unwrap_or(0), Ordering::Relaxed);
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
            let read =
                pyforge_core::run::process_bytes_read().unwrap_or(0).saturating_sub(baseline.load(Ordering::Relaxed));
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
