//! Input formats, one module each.

pub mod access;
pub mod compressed;
pub mod csv;
pub mod dbf;
pub mod excel;
pub mod json;
pub mod parquet;
pub mod pdf;
pub mod tree;
pub mod xml;
