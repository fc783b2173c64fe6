//! The Python API's `progress=` callback, told how a run goes.
//!
//! It is called with a dict `{"input", "table", "rows", "bytes_read", "bytes_total",
//! "files_done", "files_total", "done"}`: while a file converts (at most every
//! [`LISTEN_EVERY`]), and once when each file is done (`"done": true`, with its `"status"`).
//! The first exception the callback raises stops further calls; [`Listener::raised`] hands it
//! back once the run has ended.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use pyforge_core::convert::{ConvertReport, Event};
use pyforge_core::run::{process_bytes_read, RunObserver};
use pyforge_databricks::run::PathNames;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::{json, Value};

/// The shortest time between two calls while a file converts.
pub const LISTEN_EVERY: Duration = Duration::from_millis(100);

/// A run's observer that calls the Python callback (if any).
pub(crate) struct Listener {
    callback: Option<Py<PyAny>>,
    names: PathNames,
    raised: Mutex<Option<PyErr>>,
    many: AtomicBool,
    files_total: AtomicUsize,
    files_done: AtomicUsize,
    /// One-file runs: the input's size and the process's bytes read when it started.
    total: AtomicU64,
    baseline: AtomicU64,
    last: Mutex<Option<Instant>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Listener {
    pub(crate) fn new(callback: Option<Py<PyAny>>, names: PathNames) -> Self {
        Listener {
            callback,
            names,
            raised: Mutex::new(None),
            many: AtomicBool::new(false),
            files_total: AtomicUsize::new(0),
            files_done: AtomicUsize::new(0),
            total: AtomicU64::new(0),
            baseline: AtomicU64::new(0),
            last: Mutex::new(None),
        }
    }

    /// The callback's first exception, if it raised one.
    pub(crate) fn raised(&self) -> PyResult<()> {
        lock(&self.raised).take().map_or(Ok(()), Err)
    }

    fn tell(&self, update: Value) {
        let Some(callback) = &self.callback else { return };
        let mut raised = lock(&self.raised);
        if raised.is_none() {
            *raised = Python::attach(|py| to_dict(py, &update).and_then(|d| callback.call1(py, (d,))).err());
        }
    }

    /// A one-file run's update (`done`: the file is done, with `status`).
    fn file_update(&self, input: &Path, table: Option<&str>, rows: u64, status: Option<&str>) -> Value {
        let total = self.total.load(Ordering::Relaxed);
        let done = status.is_some();
        let read = process_bytes_read().map(|b| b.saturating_sub(self.baseline.load(Ordering::Relaxed)).min(total));
        let mut v = json!({
            "input": self.names.path(input), "table": table, "rows": rows,
            "bytes_read": if done { Some(total) } else { read }, "bytes_total": total,
            "files_done": u64::from(done), "files_total": 1, "done": done,
        });
        if let Some(s) = status {
            v["status"] = s.into();
        }
        v
    }

    /// A batch's update for `input` (`done`: one more file is done).
    fn batch_update(&self, input: &Path, done: bool) -> Value {
        let n = self.files_done.fetch_add(usize::from(done), Ordering::Relaxed) + usize::from(done);
        let total = self.files_total.load(Ordering::Relaxed);
        json!({"input": self.names.path(input), "files_done": n, "files_total": total, "done": done})
    }

    /// Whether [`LISTEN_EVERY`] has passed since the last update.
    fn due(&self) -> bool {
        let mut last = lock(&self.last);
        if last.is_some_and(|t| t.elapsed() < LISTEN_EVERY) {
            return false;
        }
        *last = Some(Instant::now());
        true
    }
}

impl RunObserver for Listener {
    fn started(&self, inputs: &[PathBuf], many: bool) {
        self.many.store(many, Ordering::Relaxed);
        self.files_total.store(inputs.len(), Ordering::Relaxed);
        if let (false, Some(input)) = (many, inputs.first()) {
            self.total.store(std::fs::metadata(input).map(|m| m.len()).unwrap_or(0), Ordering::Relaxed);
            self.baseline.store(process_bytes_read().unwrap_or(0), Ordering::Relaxed);
        }
    }

    fn event(&self, event: &Event) {
        if self.callback.is_none() {
            return;
        }
        match (event, self.many.load(Ordering::Relaxed)) {
            (Event::TableStarted { input, .. }, true) => self.tell(self.batch_update(input, false)),
            (Event::Rows { input, table, rows }, false) if self.due() => {
                self.tell(self.file_update(input, Some(table), *rows, None))
            }
            _ => {}
        }
    }

    fn file_done(&self, input: &Path, result: &pyforge_core::Result<ConvertReport>) {
        if self.callback.is_none() {
            return;
        }
        let (status, rows) = match result {
            Ok(rep) => ("ok", rep.tables.iter().map(|t| t.rows).sum::<u64>()),
            Err(_) => ("failed", 0),
        };
        if self.many.load(Ordering::Relaxed) {
            let mut v = self.batch_update(input, true);
            v["status"] = status.into();
            v["rows"] = rows.into();
            self.tell(v);
        } else {
            self.tell(self.file_update(input, None, rows, Some(status)));
        }
    }
}

/// A flat JSON object (progress updates) as a Python dict.
fn to_dict<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (k, v) in v.as_object().into_iter().flatten() {
        match v {
            Value::Null => d.set_item(k, py.None())?,
            Value::Bool(b) => d.set_item(k, b)?,
            Value::Number(n) => match n.as_u64() {
                Some(u) => d.set_item(k, u)?,
                None => d.set_item(k, n.as_f64())?,
            },
            Value::String(s) => d.set_item(k, s)?,
            other => d.set_item(k, other.to_string())?,
        }
    }
    Ok(d)
}
