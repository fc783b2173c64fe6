//! The integration tests of pyforge-core: one test binary (`cargo test -p pyforge-core --test
//! core`), one module per reader or topic, and the helpers they share in [`helpers`]. Test names
//! are `module::test`, e.g. `cargo test -p pyforge-core --test core -- xml_json::` runs the
//! XML and JSON tests only.

mod helpers;

mod access_corpus;
mod access_encrypted;
mod access_schema;
mod access_writer;
mod csv_chunks;
mod dbf_reader;
mod excel_read;
mod fuzz_regressions;
mod fuzz_smoke;
mod pdf_pages;
mod xml_conformance;
mod xml_json;
