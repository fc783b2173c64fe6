//! The PDF engine's warnings about content it skipped, captured per page.
//!
//! pdf_oxide does not fail a page when one of its content streams cannot be decoded (a flate
//! stream beyond its decompression-bomb limits, a damaged Form XObject): it logs a warning
//! through the `log` crate and goes on without that content, so the page's text would come
//! out incomplete (or empty) with no error. [`capture`] collects the engine's warnings emitted
//! on the current thread while a page is extracted; [`lost_content`] picks those that mean
//! text was skipped, which the reader turns into an error for the page.

use std::cell::RefCell;

thread_local! {
    /// The warnings of the [`capture`] running on this thread (`None`: not capturing).
    static CAPTURED: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
}

/// Routes the engine's warnings to the thread's [`capture`]; everything else is dropped
/// (PyForge reports through its own errors, not a log).
struct EngineWarnings;

impl log::Log for EngineWarnings {
    fn enabled(&self, meta: &log::Metadata) -> bool {
        meta.level() <= log::Level::Warn && meta.target().starts_with("pdf_oxide")
    }
    fn log(&self, record: &log::Record) {
        if self.enabled(record.metadata()) {
            CAPTURED.with(|c| {
                if let Some(v) = c.borrow_mut().as_mut() {
                    if v.len() < 64 {
                        v.push(record.args().to_string());
                    }
                }
            });
        }
    }
    fn flush(&self) {}
}

/// Install the logger once. If the host process already set one (an embedding application),
/// that one stays and nothing is captured.
fn install() {
    static LOGGER: EngineWarnings = EngineWarnings;
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if log::set_logger(&LOGGER).is_ok() {
            log::set_max_level(log::LevelFilter::Warn);
        }
    });
}

/// Run `f`, returning its result and the engine warnings it logged on this thread.
pub fn capture<T>(f: impl FnOnce() -> T) -> (T, Vec<String>) {
    install();
    let outer = CAPTURED.with(|c| c.borrow_mut().replace(Vec::new()));
    let r = f();
    let got = CAPTURED.with(|c| std::mem::replace(&mut *c.borrow_mut(), outer)).unwrap_or_default();
    (r, got)
}

/// The warnings that mean some of the page's content (and so possibly text) was skipped.
pub fn lost_content(warnings: &[String]) -> Vec<&str> {
    const SKIPPED: [&str; 3] = ["Failed to decode content stream", "Failed to decode Form XObject stream", "Decompression bomb"];
    let mut lost: Vec<&str> = warnings.iter().filter(|w| SKIPPED.iter().any(|s| w.contains(s))).map(String::as_str).collect();
    lost.dedup(); // the engine reads a page's content twice (spans, then characters)
    lost
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_warnings_are_captured_on_their_thread_only() {
        let ((), got) = capture(|| {
            log::warn!(target: "pdf_oxide::document", "Failed to decode content stream element on page 0: boom, skipping");
            log::warn!(target: "other_crate", "not ours");
            log::info!(target: "pdf_oxide::document", "too quiet");
            std::thread::spawn(|| log::warn!(target: "pdf_oxide::x", "another thread")).join().unwrap();
        });
        assert_eq!(got, vec!["Failed to decode content stream element on page 0: boom, skipping".to_string()]);
        assert_eq!(lost_content(&got).len(), 1);
        assert!(lost_content(&["Font 'X': missing width".to_string()]).is_empty());
        let ((), none) = capture(|| ());
        assert!(none.is_empty());
    }
}
