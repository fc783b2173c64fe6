//! # pyforge-samples
//!
//! Everything in PyForge that writes sample and fixture files, kept out of the shipped readers
//! of pyforge-core: the files of `pyforge samples` ([`write_samples`]), a Jet4 (Access) writer
//! ([`access`]), a DBF writer ([`dbf`]), the sample workbooks ([`excel`]) and PDF ([`pdf`]), and
//! the seedable generator of the property tests and the fuzzing smoke run ([`rng`]).
//!
//! Used by the `pyforge samples` command (pyforge-cli) and by tests, examples and benchmarks;
//! not published.

pub mod access;
pub mod dbf;
pub mod excel;
pub mod pdf;
pub mod rng;
mod samples;

pub use samples::{events_jsonl, library_xml, sales_csv, write_samples};
