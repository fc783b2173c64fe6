//! Write seeded random Access (Jet4) databases with the project's writer, restricted to what
//! mdbtools renders faithfully; tests/python/test_access_writer.py compares mdb-export of them
//! with PyForge's reading.
//!
//!     cargo run --release -p pyforge-core --example access_random -- OUT_DIR COUNT [FIRST_SEED]

use pyforge_core::formats::access::writer::random::{random_tables, write_tables, Profile};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(dir), Some(count)) = (args.get(1), args.get(2).and_then(|s| s.parse::<u64>().ok())) else {
        eprintln!("usage: access_random OUT_DIR COUNT [FIRST_SEED]");
        std::process::exit(2);
    };
    let first: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1);
    for seed in first..first + count {
        let path = std::path::Path::new(dir).join(format!("random_{seed}.mdb"));
        if let Err(e) = write_tables(&path, &random_tables(seed, 400, Profile::Mdbtools)) {
            eprintln!("access_random: seed {seed}: {e}");
            std::process::exit(1);
        }
        println!("{}", path.display());
    }
}
