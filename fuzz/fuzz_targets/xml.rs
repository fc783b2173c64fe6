//! Fuzz target `xml`: the input bytes as a file read by PyForge's xml reader, every table to
//! the end (see pyforge_fuzz_support).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pyforge_fuzz_support::fuzz_one("xml", data));
