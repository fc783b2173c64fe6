//! Input formats, one module each.

pub mod csv;
pub mod parquet;
pub mod pdf;
