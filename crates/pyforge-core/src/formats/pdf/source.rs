//! [`PdfSource`]: one table `pages` with a row per selected page.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{ArrayRef, Int32Builder, Int64Builder, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;

use super::engine::{Doc, OpenError};
use super::guard::{run_guarded, GuardError};
use super::pages::{parse_page_spec, resolve_pages};
use crate::error::{Error, Result};
use crate::options::ReadOptions;
use crate::source::{BoxedStream, ColumnInfo, IterStream, Source, TableInfo};
use crate::types::type_name;

/// The name of the one table of a PDF.
pub const TABLE: &str = "pages";

/// Time limit for extracting one file's text (and, separately, for opening it) unless
/// `ReadOptions::pdf_time_limit` says otherwise.
pub const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(120);

/// Pages per record batch (page texts are large rows; memory stays bounded).
const BATCH_PAGES: usize = 256;

/// An opened PDF: page count and document information read, pages selected.
pub struct PdfSource {
    path: PathBuf,
    password: Option<String>,
    limit: Duration,
    pages: Arc<Vec<u32>>,
    details: BTreeMap<String, serde_json::Value>,
}

fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("page", DataType::Int32, false),
        Field::new("text", DataType::Utf8, false),
        Field::new("chars", DataType::Int64, false),
    ]))
}

fn guard_error(path: &Path, e: GuardError) -> Error {
    Error::invalid(path, None, e.to_string())
}

impl PdfSource {
    /// Open `path`: parse it (guarded), count pages, read its information, check `--pages`.
    pub fn open(path: &Path, options: &ReadOptions) -> Result<Self> {
        let limit = options.pdf_time_limit.unwrap_or(DEFAULT_TIME_LIMIT);
        // Syntax first: no need to parse the file for a selection that can never be valid.
        let ranges = match options.pages.as_deref() {
            Some(spec) => Some(parse_page_spec(spec).map_err(|e| Error::InvalidOption(format!("--pages: {e}")))?),
            None => None,
        };
        super::nesting::check(path)?;
        let (p, pw) = (path.to_path_buf(), options.password.clone());
        let opened = run_guarded(limit, move || match Doc::open(&p, pw.as_deref()) {
            Ok(doc) => Ok(Ok((doc.page_count()?, doc.details()))),
            Err(OpenError::Password(m)) => Ok(Err(m)),
            Err(OpenError::Other(m)) => Err(m),
        });
        let (count, mut details) = match opened {
            Ok(Ok(v)) => v,
            Ok(Err(m)) => return Err(Error::Protected { path: path.to_path_buf(), message: m }),
            Err(e) => return Err(guard_error(path, e)),
        };
        details.insert("pages".into(), count.into());
        let pages = match ranges {
            Some(r) => resolve_pages(&r, count)
                .map_err(|e| Error::Usage { path: path.to_path_buf(), message: format!("--pages: {e}") })?,
            None => (1..=count).collect(),
        };
        Ok(PdfSource {
            path: path.to_path_buf(),
            password: options.password.clone(),
            limit,
            pages: Arc::new(pages),
            details,
        })
    }
}

impl Source for PdfSource {
    fn format_name(&self) -> &'static str {
        "pdf"
    }

    fn details(&self) -> BTreeMap<String, serde_json::Value> {
        self.details.clone()
    }

    fn tables(&self) -> Result<Vec<TableInfo>> {
        let columns = schema()
            .fields()
            .iter()
            .map(|f| ColumnInfo { name: f.name().clone(), data_type: type_name(f.data_type()) })
            .collect();
        Ok(vec![TableInfo {
            name: TABLE.into(),
            rows: Some(self.pages.len() as u64),
            columns,
            details: BTreeMap::new(),
        }])
    }

    fn open_table(&self, name: &str) -> Result<BoxedStream> {
        if name != TABLE {
            return Err(Error::NoSuchTable {
                path: self.path.clone(),
                wanted: name.into(),
                available: vec![TABLE.into()],
            });
        }
        let rx = spawn_extractor(self.path.clone(), self.password.clone(), self.pages.clone());
        let batches = PageBatches {
            path: self.path.clone(),
            rx,
            budget: self.limit,
            limit: self.limit,
            done: false,
            expected: self.pages.len(),
            received: 0,
        };
        Ok(Box::new(IterStream::new(schema(), batches)))
    }
}

/// One page's text, or why it has none.
type PageResult = std::result::Result<(u32, String), String>;

/// Extract `pages` in a worker thread, sending each page's text as it is ready. The thread
/// stops when the receiver is dropped; a panic becomes an error message for the page.
fn spawn_extractor(path: PathBuf, password: Option<String>, pages: Arc<Vec<u32>>) -> mpsc::Receiver<PageResult> {
    let (tx, rx) = mpsc::sync_channel::<PageResult>(16);
    let worker = move || {
        let opened = crate::panic_guard::catch(|| Doc::open(&path, password.as_deref()));
        let doc = match opened {
            Ok(Ok(doc)) => doc,
            Ok(Err(OpenError::Password(m) | OpenError::Other(m))) => return drop(tx.send(Err(m))),
            Err(p) => return drop(tx.send(Err(GuardError::Panicked(p.to_string()).to_string()))),
        };
        for &page in pages.iter() {
            let (r, warnings) = super::warnings::capture(|| crate::panic_guard::catch(|| doc.page_text(page)));
            let lost = super::warnings::lost_content(&warnings);
            let r = match r {
                // The engine skipped part of the page's content: its text would be incomplete.
                Ok(Ok(_)) if !lost.is_empty() => Err(format!(
                    "page {page}: part of the page's content cannot be decoded, so its text would be incomplete ({})",
                    lost.join("; ")
                )),
                Ok(Ok(text)) => Ok((page, text)),
                Ok(Err(e)) => Err(format!("page {page}: cannot extract text: {e}")),
                Err(p) => Err(format!("page {page}: {}", GuardError::Panicked(p.to_string()))),
            };
            let failed = r.is_err();
            if tx.send(r).is_err() || failed {
                return;
            }
        }
    };
    if let Err(e) = std::thread::Builder::new()
        .name(super::guard::WORKER_THREAD.into())
        .stack_size(super::guard::WORKER_STACK)
        .spawn(worker)
    {
        let (tx, rx2) = mpsc::sync_channel(1);
        let _ = tx.send(Err(format!("cannot start a worker thread: {e}")));
        return rx2;
    }
    rx
}

/// Batches of page rows from the extractor. `budget` is the extraction time left: only time
/// spent waiting for the engine counts, not time spent writing.
struct PageBatches {
    path: PathBuf,
    rx: mpsc::Receiver<PageResult>,
    budget: Duration,
    limit: Duration,
    done: bool,
    /// Pages selected and pages received so far: a worker that stops early is an error, never
    /// a silently short table.
    expected: usize,
    received: usize,
}

impl PageBatches {
    fn fail(&mut self, message: String) -> Option<Result<RecordBatch>> {
        self.done = true;
        Some(Err(Error::invalid(&self.path, None, message).with_table(TABLE)))
    }
}

impl Iterator for PageBatches {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let (mut page, mut text, mut chars) = (Int32Builder::new(), StringBuilder::new(), Int64Builder::new());
        let mut n = 0;
        while n < BATCH_PAGES {
            let waited = Instant::now();
            let r = self.rx.recv_timeout(self.budget);
            self.budget = self.budget.saturating_sub(waited.elapsed());
            match r {
                Ok(Ok((p, t))) => {
                    let t = if t.trim().is_empty() { String::new() } else { t };
                    page.append_value(p as i32);
                    chars.append_value(t.chars().count() as i64);
                    text.append_value(&t);
                    n += 1;
                }
                Ok(Err(m)) => return self.fail(m),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    return self.fail(GuardError::TimedOut(self.limit).to_string());
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    if self.received + n < self.expected {
                        return self.fail(format!(
                            "text extraction stopped after {} of {} pages",
                            self.received + n,
                            self.expected
                        ));
                    }
                    self.done = true;
                    break;
                }
            }
        }
        if n == 0 {
            return None;
        }
        self.received += n;
        let cols: Vec<ArrayRef> = vec![Arc::new(page.finish()), Arc::new(text.finish()), Arc::new(chars.finish())];
        Some(RecordBatch::try_new(schema(), cols).map_err(|e| Error::arrow(&self.path, e)))
    }
}
