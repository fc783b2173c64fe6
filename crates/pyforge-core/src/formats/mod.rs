//! Input formats, one module each.

pub mod csv;
pub mod excel;
pub mod parquet;
