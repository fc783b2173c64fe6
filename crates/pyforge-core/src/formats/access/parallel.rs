//! Reading one large table on every core: its data pages are cut into runs, each run is read
//! by its own [`AccessStream`] (with its own file reader), and the batches come out in table
//! order.
//!
//! A row belongs to the data page its slot is on (an overflow row is reached through that
//! slot), so runs of pages partition the rows exactly. A producer thread reads one run per
//! core at a time and hands the batches over a short queue, so memory is bounded by the runs
//! in flight and the consumer writes while the next runs are read.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use jetdb::PageReader;

use super::catalog::AccessTable;
use super::stream::AccessStream;
use crate::error::{Error, Result};
use crate::source::TableStream;

/// Data pages per run (4 KiB pages: 8 MiB of rows).
pub const RUN_PAGES: u32 = 2048;

/// A table read in runs of data pages on several threads.
pub struct ParallelAccessStream {
    schema: SchemaRef,
    batches: Receiver<Result<RecordBatch>>,
    failed: bool,
}

impl ParallelAccessStream {
    /// Read `table` with `readers` (one per thread, each opened on the file for this stream).
    pub fn new(path: PathBuf, table: Arc<AccessTable>, readers: Vec<PageReader>) -> Result<Self> {
        let schema = table.schema.clone();
        let (tx, rx) = sync_channel(2);
        let name = table.name.clone();
        let error_path = path.clone();
        std::thread::Builder::new()
            .name("pyforge-access".into())
            .spawn(move || {
                if let Err(why) = crate::panic_guard::catch(|| produce(&path, &table, readers, &tx)) {
                    let msg = format!("damaged database or internal error: the table reader stopped ({why})");
                    let _ = tx.send(Err(Error::invalid(&path, None, msg).with_table(&name)));
                }
            })
            .map_err(|e| Error::io(&error_path, e))?;
        Ok(ParallelAccessStream { schema, batches: rx, failed: false })
    }
}

/// Read the runs, as many at a time as there are readers, and send their batches in order.
fn produce(path: &Path, table: &Arc<AccessTable>, mut readers: Vec<PageReader>, tx: &SyncSender<Result<RecordBatch>>) {
    let pages = table.def.data_pages.len() as u32;
    let mut start = 0u32;
    while start < pages {
        let runs: Vec<(u32, u32)> = (0..readers.len() as u32)
            .map(|i| (start + i * RUN_PAGES, (start + (i + 1) * RUN_PAGES).min(pages)))
            .filter(|(a, _)| *a < pages)
            .collect();
        start = runs.last().map_or(pages, |r| r.1);
        let idle: Vec<PageReader> = readers.drain(runs.len()..).collect();
        let results: Vec<(Vec<Result<RecordBatch>>, PageReader)> = std::thread::scope(|scope| {
            let handles: Vec<_> = runs
                .iter()
                .zip(readers.drain(..))
                .map(|(&(a, b), reader)| {
                    scope.spawn(move || {
                        let mut s = AccessStream::pages(path.to_path_buf(), reader, table.clone(), a, b);
                        let mut out = Vec::new();
                        for batch in s.by_ref() {
                            let stop = batch.is_err();
                            out.push(batch);
                            if stop {
                                break;
                            }
                        }
                        (out, s.into_reader())
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("a run reader panicked")).collect()
        });
        for (batches, reader) in results {
            readers.push(reader);
            for b in batches {
                let stop = b.is_err();
                if tx.send(b).is_err() || stop {
                    return;
                }
            }
        }
        readers.extend(idle);
    }
}

impl Iterator for ParallelAccessStream {
    type Item = Result<RecordBatch>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        // The producer ends the queue after the last batch or the first error.
        let item = self.batches.recv().ok()?;
        self.failed = item.is_err();
        Some(item)
    }
}

impl TableStream for ParallelAccessStream {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}
