//! # pyforge-core
//!
//! Formats, the Arrow table model, sinks and the conversion pipeline of PyForge.
//!
//! Every input format is a [`Format`] that opens a [`Source`]: one or more named tables, each
//! read as a stream of Arrow record batches. Every output is a [`sink::Sink`]. The
//! [`convert`](convert::convert) pipeline joins them: it names outputs, writes them under
//! temporary names and makes them visible only when everything succeeded.
//!
//! ```no_run
//! use pyforge_core::convert::{convert, ConvertOptions, no_events};
//! let report = convert("sales.csv".as_ref(), Some("sales.parquet".as_ref()), &ConvertOptions::default(), &no_events)?;
//! assert_eq!(report.tables.len(), 1);
//! # Ok::<(), pyforge_core::Error>(())
//! ```
//!
//! The core knows no network and no Databricks: remote inputs are staged locally first.

pub mod column_names;
pub mod convert;
pub mod dependency_log;
pub mod error;
pub mod format;
pub mod formats;
pub mod infer;
pub mod manifest;
pub mod naming;
pub mod options;
pub mod panic_guard;
pub mod registry;
pub mod request;
pub mod run;
pub mod sink;
pub mod source;
pub mod types;

pub use error::{Error, Result};
pub use format::Format;
pub use options::{ArrayMode, InferTypes, NamespaceMode, NestedMode, ReadOptions};
pub use registry::{detect, open, registry};
pub use source::{ColumnInfo, Source, TableInfo, TableStream};

/// The PyForge version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
