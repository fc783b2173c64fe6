//! Running untrusted-input parsing safely: in a worker thread, behind a panic guard, with a
//! time limit.
//!
//! A PDF engine is a large parser fed with hostile input; a malformed file may make it panic or
//! loop. Each call runs in a fresh thread under [`crate::panic_guard::catch`], and the caller
//! stops waiting once the time limit is reached. A thread that overran cannot be killed: it is
//! abandoned and keeps running (and holding its memory) until it finishes or the process exits.
//! For a command-line run that ends soon after, that is harmless; long-lived hosts should know.

use std::sync::mpsc;
use std::time::Duration;

/// Why a guarded call produced no result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuardError {
    /// The call returned an error.
    Failed(String),
    /// The call panicked (message of the panic).
    Panicked(String),
    /// The call did not finish within the limit.
    TimedOut(Duration),
}

impl std::fmt::Display for GuardError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GuardError::Failed(m) => f.write_str(m),
            GuardError::Panicked(m) => write!(f, "the PDF engine crashed on this input ({m})"),
            GuardError::TimedOut(d) => {
                write!(f, "gave up after {} s (time limit; raise it with --pdf-time-limit)", d.as_secs_f64())
            }
        }
    }
}

/// Name of the worker threads; panics in them are reported as errors, not printed.
pub const WORKER_THREAD: &str = "pyforge-pdf";

/// Stack reserved for [`WORKER_THREAD`] threads. The engine parses nested objects recursively
/// with no depth limit ([`super::nesting`]); address space is reserved, not memory, so a
/// generous stack costs nothing until a deep object uses it.
pub const WORKER_STACK: usize = 256 << 20;

/// Run `f` in a worker thread; return its result, or an error if it fails, panics or takes
/// longer than `limit` (then the thread is abandoned, see the module documentation).
pub fn run_guarded<T, F>(limit: Duration, f: F) -> Result<T, GuardError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, String> + Send + 'static,
{
    let (tx, rx) = mpsc::sync_channel(1);
    let spawned = std::thread::Builder::new().name(WORKER_THREAD.into()).stack_size(WORKER_STACK).spawn(move || {
        let r = match crate::panic_guard::catch(f) {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(GuardError::Failed(e)),
            Err(p) => Err(GuardError::Panicked(p.to_string())),
        };
        let _ = tx.send(r);
    });
    if let Err(e) = spawned {
        return Err(GuardError::Failed(format!("cannot start a worker thread: {e}")));
    }
    match rx.recv_timeout(limit) {
        Ok(r) => r,
        Err(mpsc::RecvTimeoutError::Timeout) => Err(GuardError::TimedOut(limit)),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(GuardError::Panicked("worker ended without a result".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_errors_panics_and_hangs() {
        let limit = Duration::from_secs(5);
        assert_eq!(run_guarded(limit, || Ok(42)), Ok(42));
        assert_eq!(run_guarded::<(), _>(limit, || Err("bad".into())), Err(GuardError::Failed("bad".into())));
        match run_guarded::<(), _>(limit, || panic!("boom")) {
            Err(GuardError::Panicked(m)) => assert!(m.contains("boom")),
            other => panic!("{other:?}"),
        }
        let t = std::time::Instant::now();
        let r = run_guarded::<(), _>(Duration::from_millis(200), || {
            std::thread::sleep(Duration::from_secs(3));
            Ok(())
        });
        assert_eq!(r, Err(GuardError::TimedOut(Duration::from_millis(200))));
        assert!(t.elapsed() < Duration::from_secs(2));
    }
}
