//! Write the large Access (Jet4) benchmark database with the project's writer.
//!
//!     cargo run --release -p pyforge-samples --example access_gen -- OUT.mdb 500
//!
//! Tables `Orders1`, `Orders2`... of one million order rows each (numbers, dates, currency,
//! text, Yes/No, a memo column) until the file reaches about the given number of MB.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(out), Some(mb)) = (args.get(1), args.get(2).and_then(|s| s.parse::<u64>().ok())) else {
        eprintln!("usage: access_gen OUT.mdb MEGABYTES");
        std::process::exit(2);
    };
    match pyforge_samples::access::sample::large(std::path::Path::new(out), mb) {
        Ok(rows) => println!("{out}: {rows} rows"),
        Err(e) => {
            eprintln!("access_gen: {e}");
            std::process::exit(1);
        }
    }
}
