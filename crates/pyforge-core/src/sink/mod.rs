//! Sinks: consumers of record-batch streams that write one output file each (Parquet, CSV,
//! JSON Lines, Arrow IPC), plus atomic file handling and Hive-style partitioning.
//!
//! Sinks know nothing of input formats; they see only Arrow.

mod atomic;
mod partition;
mod writers;

pub use atomic::{check_absent, remove_live_temporaries, sweep_stale_temporaries, AtomicFile, StagedDir, TEMP_MARKER};
pub use partition::PartitionedSink;
pub use writers::open_file_sink;

use arrow::record_batch::RecordBatch;

use crate::error::{Error, Result};

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    #[default]
    Parquet,
    Csv,
    Jsonl,
    /// Arrow IPC file format (Feather v2).
    Arrow,
    /// Plain text of a table's `text` column (PDF pages), pages separated by form feeds.
    Txt,
}

impl OutputFormat {
    /// Parse a user-given name.
    pub fn parse(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "parquet" | "pq" => Ok(OutputFormat::Parquet),
            "csv" => Ok(OutputFormat::Csv),
            "jsonl" | "ndjson" | "json" => Ok(OutputFormat::Jsonl),
            "arrow" | "ipc" | "feather" => Ok(OutputFormat::Arrow),
            "txt" | "text" => Ok(OutputFormat::Txt),
            other => Err(Error::InvalidOption(format!(
                "unknown output format {other:?}; choose parquet, csv, jsonl, arrow or txt"
            ))),
        }
    }

    /// File extension of outputs in this format (before any compression suffix).
    pub fn extension(&self) -> &'static str {
        match self {
            OutputFormat::Parquet => "parquet",
            OutputFormat::Csv => "csv",
            OutputFormat::Jsonl => "jsonl",
            OutputFormat::Arrow => "arrow",
            OutputFormat::Txt => "txt",
        }
    }

    /// Name as shown to users.
    pub fn name(&self) -> &'static str {
        self.extension()
    }
}

/// Compression codecs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Snappy,
    Zstd,
    Gzip,
    Lz4,
    None,
}

impl Compression {
    /// Parse a user-given codec name.
    pub fn parse(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "snappy" => Ok(Compression::Snappy),
            "zstd" => Ok(Compression::Zstd),
            "gzip" | "gz" => Ok(Compression::Gzip),
            "lz4" => Ok(Compression::Lz4),
            "none" | "uncompressed" => Ok(Compression::None),
            other => Err(Error::InvalidOption(format!(
                "unknown compression {other:?}; choose snappy, zstd, gzip, lz4 or none"
            ))),
        }
    }

    /// The codec used when none is asked for.
    pub fn default_for(format: OutputFormat) -> Self {
        match format {
            OutputFormat::Parquet => Compression::Snappy,
            _ => Compression::None,
        }
    }

    /// Suffix added to text outputs compressed as a whole stream (`.gz`, `.zst`).
    pub fn stream_suffix(&self, format: OutputFormat) -> Option<&'static str> {
        match (format, self) {
            (OutputFormat::Csv | OutputFormat::Jsonl | OutputFormat::Txt, Compression::Gzip) => Some("gz"),
            (OutputFormat::Csv | OutputFormat::Jsonl | OutputFormat::Txt, Compression::Zstd) => Some("zst"),
            _ => None,
        }
    }

    /// Check the codec is available for the format.
    pub fn check(&self, format: OutputFormat) -> Result<()> {
        let ok = match format {
            OutputFormat::Parquet => true,
            OutputFormat::Csv | OutputFormat::Jsonl | OutputFormat::Txt => {
                matches!(self, Compression::Gzip | Compression::Zstd | Compression::None)
            }
            OutputFormat::Arrow => matches!(self, Compression::Lz4 | Compression::Zstd | Compression::None),
        };
        if ok {
            Ok(())
        } else {
            let valid = match format {
                OutputFormat::Csv | OutputFormat::Jsonl | OutputFormat::Txt => "gzip, zstd or none",
                _ => "lz4, zstd or none",
            };
            Err(Error::InvalidOption(
                format!("{self:?} compression is not available for {} output; use {valid}", format.name())
                    .to_lowercase(),
            ))
        }
    }
}

/// How outputs are written.
#[derive(Debug, Clone)]
pub struct WriteOptions {
    pub format: OutputFormat,
    /// `None`: the format's default ([`Compression::default_for`]).
    pub compression: Option<Compression>,
    /// Maximum rows per Parquet row group.
    pub row_group_size: usize,
    /// Txt output: a `--- page N ---` line before each page instead of form feeds between them.
    pub page_markers: bool,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            format: OutputFormat::Parquet,
            compression: None,
            row_group_size: DEFAULT_ROW_GROUP_SIZE,
            page_markers: false,
        }
    }
}

/// Rows per Parquet row group unless `--row-group-size` says otherwise: large enough for good
/// compression and fast scans, small enough to keep the writer's buffer modest.
pub const DEFAULT_ROW_GROUP_SIZE: usize = 512 * 1024;

impl WriteOptions {
    /// The codec in effect.
    pub fn codec(&self) -> Compression {
        self.compression.unwrap_or_else(|| Compression::default_for(self.format))
    }

    /// The extension of an output file, compression suffix included (`parquet`, `csv.gz`).
    pub fn file_extension(&self) -> String {
        match self.codec().stream_suffix(self.format) {
            Some(s) => format!("{}.{s}", self.format.extension()),
            None => self.format.extension().to_string(),
        }
    }
}

/// A consumer of record batches.
pub trait Sink: Send {
    /// Write one batch.
    fn write(&mut self, batch: &RecordBatch) -> Result<()>;
    /// Flush everything and make the output visible; returns the number of rows written.
    fn finish(self: Box<Self>) -> Result<u64>;
}
