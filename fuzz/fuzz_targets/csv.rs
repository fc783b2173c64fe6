//! Fuzz target `csv`: the input bytes as a file read by PyForge's csv reader, every table to
//! the end (see pyforge_fuzz_support).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pyforge_fuzz_support::fuzz_one("csv", data));
