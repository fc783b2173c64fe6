//! Catching panics of the parsers we depend on.
//!
//! Third-party parsers (calamine, jetdb, pdf_oxide) still panic on some damaged inputs (slices
//! past a record, unchecked arithmetic; fuzzing found several, see `fuzz/RESULTS.md`). Every
//! reader runs them under [`catch`], which turns the panic into a [`CaughtPanic`] that the
//! reader reports as a clear error naming the file. While a [`catch`] is active on a thread,
//! the process's panic hook stays quiet for that thread: the user sees one error line, not a
//! "thread panicked" message and a backtrace followed by the same error. Panics outside any
//! [`catch`] (bugs elsewhere) still go to the previous hook unchanged.
//!
//! ```
//! let caught = pyforge_core::panic_guard::catch(|| -> u32 { panic!("slice past record") }).unwrap_err();
//! assert_eq!(caught.message, "slice past record");
//! assert!(!caught.location.is_empty());
//! ```

use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    /// How many [`catch`] calls are active on this thread.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    /// Where the last quiet panic on this thread happened (`file:line:column`).
    static LOCATION: RefCell<String> = const { RefCell::new(String::new()) };
}

/// A panic caught by [`catch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaughtPanic {
    /// The panic's message (`"panic without a message"` when it carried none).
    pub message: String,
    /// `file:line:column` of the panic, empty if unknown.
    pub location: String,
}

impl std::fmt::Display for CaughtPanic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.location.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{} at {}", self.message, self.location)
        }
    }
}

/// Install (once per process) the hook that keeps panics inside [`catch`] quiet. [`catch`]
/// calls it; hooks installed later (the fuzz harness's) wrap this one.
pub fn install_quiet_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if DEPTH.with(Cell::get) > 0 {
                let at = info.location().map(|l| format!("{}:{}:{}", short_path(l.file()), l.line(), l.column()));
                LOCATION.with(|s| *s.borrow_mut() = at.unwrap_or_default());
            } else {
                previous(info);
            }
        }));
    });
}

/// Run `f`; a panic inside it becomes `Err(CaughtPanic)` and prints nothing.
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, CaughtPanic> {
    install_quiet_hook();
    DEPTH.with(|d| d.set(d.get() + 1));
    let run = catch_unwind(AssertUnwindSafe(f));
    DEPTH.with(|d| d.set(d.get() - 1));
    run.map_err(|payload| CaughtPanic {
        message: panic_message(payload.as_ref()),
        location: LOCATION.with(|s| std::mem::take(&mut *s.borrow_mut())),
    })
}

/// The message of a caught panic payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic without a message".to_string()
    }
}

/// `…/calamine-0.38.0/src/xls.rs` rather than the whole registry path.
fn short_path(file: &str) -> &str {
    match file.rfind("/src/") {
        Some(i) => {
            let crate_start = file[..i].rfind('/').map(|j| j + 1).unwrap_or(0);
            &file[crate_start..]
        }
        None => file,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caught_panic_carries_message_and_location() {
        let caught = catch(|| {
            let v: Vec<u8> = Vec::new();
            v[3]
        })
        .unwrap_err();
        assert!(caught.message.contains("index out of bounds"), "{caught:?}");
        assert!(caught.location.starts_with("pyforge-core/src/panic_guard.rs:"), "{caught:?}");
        assert_eq!(catch(|| 7).unwrap(), 7);
    }

    #[test]
    fn nested_catches_unwind_to_the_innermost() {
        let outer = catch(|| catch(|| -> () { panic!("inner") }).unwrap_err().message);
        assert_eq!(outer.unwrap(), "inner");
        assert_eq!(DEPTH.with(Cell::get), 0);
    }

    #[test]
    fn short_paths_keep_crate_and_file() {
        assert_eq!(short_path("/root/.cargo/registry/src/x/calamine-0.38.0/src/xls.rs"), "calamine-0.38.0/src/xls.rs");
        assert_eq!(short_path("lib.rs"), "lib.rs");
    }
}
