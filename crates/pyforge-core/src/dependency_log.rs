//! Warnings that dependencies log instead of failing, captured per thread.
//!
//! Two readers' engines go on without some of the data when they cannot read it, and say so
//! only through the `log` crate: pdf_oxide skips a content stream it cannot decode, jetdb a
//! complex-column (attachment, multi-value) row it cannot read. [`capture`] collects the
//! warnings of those crates emitted on the current thread while `f` runs, so the reader can
//! turn them into an error instead of writing incomplete data.

use std::cell::RefCell;

/// The crates whose warnings are captured.
const CAPTURED_CRATES: [&str; 2] = ["pdf_oxide", "jetdb"];

thread_local! {
    /// The warnings of the [`capture`] running on this thread (`None`: not capturing).
    static CAPTURED: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
}

/// Routes the engines' warnings to the thread's [`capture`]; everything else is dropped
/// (PyForge reports through its own errors, not a log).
struct EngineWarnings;

impl log::Log for EngineWarnings {
    fn enabled(&self, meta: &log::Metadata) -> bool {
        meta.level() <= log::Level::Warn && CAPTURED_CRATES.iter().any(|c| meta.target().starts_with(c))
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

/// Run `f`, returning its result and the warnings the engines logged on this thread.
///
/// ```
/// let ((), warned) = pyforge_core::dependency_log::capture(|| {
///     log::warn!(target: "jetdb::complex", "MSysComplexType_Attachment: a value could not be read");
/// });
/// assert_eq!(warned.len(), 1);
/// ```
pub fn capture<T>(f: impl FnOnce() -> T) -> (T, Vec<String>) {
    install();
    let outer = CAPTURED.with(|c| c.borrow_mut().replace(Vec::new()));
    let r = f();
    let got = CAPTURED.with(|c| std::mem::replace(&mut *c.borrow_mut(), outer)).unwrap_or_default();
    (r, got)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_warnings_are_captured_on_their_thread_only() {
        let ((), got) = capture(|| {
            log::warn!(target: "pdf_oxide::document", "Failed to decode content stream element on page 0: boom, skipping");
            log::warn!(target: "jetdb::complex", "T: a value could not be read");
            log::warn!(target: "other_crate", "not ours");
            log::info!(target: "pdf_oxide::document", "too quiet");
            std::thread::spawn(|| log::warn!(target: "pdf_oxide::x", "another thread")).join().unwrap();
        });
        assert_eq!(
            got,
            ["Failed to decode content stream element on page 0: boom, skipping", "T: a value could not be read"]
        );
        let ((), none) = capture(|| ());
        assert!(none.is_empty());
    }
}
