//! Write seeded random Access (Jet4) databases with the project's writer, restricted to what
//! mdbtools renders faithfully; tests/python/test_access_writer.py compares mdb-export of them
//! with PyForge's reading.
//!
//!     cargo run --release -p pyforge-samples --example access_random -- OUT_DIR COUNT [FIRST_SEED] [--encode]
//!
//! `--encode` writes RC4-encoded databases (Access's "Encode Database"), each with its own key.

use pyforge_samples::access::random::{random_tables, write_tables_encoded, Profile};

fn main() {
    let mut args: Vec<String> = std::env::args().collect();
    let encode = args.iter().any(|a| a == "--encode");
    args.retain(|a| a != "--encode");
    let (Some(dir), Some(count)) = (args.get(1), args.get(2).and_then(|s| s.parse::<u64>().ok())) else {
        eprintln!("usage: access_random OUT_DIR COUNT [FIRST_SEED] [--encode]");
        std::process::exit(2);
    };
    let first: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1);
    for seed in first..first + count {
        let path = std::path::Path::new(dir).join(format!("random_{seed}.mdb"));
        let db_key = if encode { (seed as u32).wrapping_mul(0x9E37_79B9) | 1 } else { 0 };
        if let Err(e) = write_tables_encoded(&path, &random_tables(seed, 400, Profile::Mdbtools), db_key) {
            eprintln!("access_random: seed {seed}: {e}");
            std::process::exit(1);
        }
        println!("{}", path.display());
    }
}
