//! Input formats, one module each.

pub mod access;
pub mod csv;
pub mod parquet;
