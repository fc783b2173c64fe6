//! Input formats, one module each.

pub mod compressed;
pub mod access;
pub mod csv;
pub mod json;
pub mod dbf;
pub mod excel;
pub mod parquet;
pub mod pdf;
pub mod tree;
pub mod xml;
