//! Input formats, one module each.

pub mod csv;
pub mod dbf;
pub mod parquet;
