//! Small sample inputs of every implemented format, generated locally (no downloads), for
//! trying PyForge out and for the README's quick start.

use std::path::{Path, PathBuf};

use crate::convert::{convert, no_events, ConvertOptions};
use crate::error::{Error, Result};
use crate::sink::AtomicFile;

/// A tiny deterministic pseudo-random generator (xorshift), so samples are identical
/// everywhere without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const CITIES: &[&str] = &["Lisboa", "Zürich", "São Paulo", "Kraków", "Reykjavík", "Montréal", "Ōsaka", "Cork"];
const PRODUCTS: &[&str] =
    &["Widget, large", "Gadget \"Pro\"", "Gizmo", "Doohickey\nwith a second line", "Thingamajig", "Sprocket"];

/// The sales sample as CSV text: ints, floats with nulls, quoted strings with commas, quotes
/// and newlines, dates, timestamps, booleans, non-ASCII text.
pub fn sales_csv(rows: usize) -> String {
    let mut rng = Rng(0x5eed_cafe_f00d);
    let mut s = String::from("order_id,customer,city,product,quantity,unit_price,discount,order_date,shipped_at,paid\n");
    for i in 0..rows {
        let product = PRODUCTS[rng.below(PRODUCTS.len() as u64) as usize];
        let quoted = format!("\"{}\"", product.replace('"', "\"\""));
        let discount = if rng.below(4) == 0 { String::new() } else { format!("{:.2}", rng.below(3000) as f64 / 100.0) };
        let (y, m, d) = (2020 + rng.below(5), 1 + rng.below(12), 1 + rng.below(28));
        let shipped = if rng.below(10) == 0 {
            String::new()
        } else {
            format!("{y}-{m:02}-{:02} {:02}:{:02}:{:02}", (d + 2).min(28), rng.below(24), rng.below(60), rng.below(60))
        };
        s.push_str(&format!(
            "{},C{:04},{},{},{},{:.2},{},{y}-{m:02}-{d:02},{},{}\n",
            10_000 + i,
            rng.below(500),
            CITIES[rng.below(CITIES.len() as u64) as usize],
            quoted,
            1 + rng.below(20),
            rng.below(100_000) as f64 / 100.0,
            discount,
            shipped,
            if rng.below(2) == 0 { "true" } else { "false" },
        ));
    }
    s
}

/// Write the samples into `dir` (created if needed); refuses to overwrite without `force`.
/// Returns the files written.
///
/// ```no_run
/// let files = pyforge_core::samples::write_samples("samples".as_ref(), false).unwrap();
/// assert!(files.iter().any(|f| f.ends_with("sales.csv")));
/// ```
pub fn write_samples(dir: &Path, force: bool) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut written = Vec::new();
    let mut put = |name: &str, bytes: &[u8]| -> Result<()> {
        let path = dir.join(name);
        let f = AtomicFile::create(&path, force)?;
        std::io::Write::write_all(&mut f.file()?, bytes).map_err(|e| Error::io(&path, e))?;
        f.commit()?;
        written.push(path);
        Ok(())
    };
    let sales = sales_csv(1000);
    put("sales.csv", sales.as_bytes())?;
    let tsv: String = {
        let mut rng = Rng(42);
        let mut s = String::from("sensor\ttimestamp\ttemperature_c\thumidity\tok\n");
        for i in 0..500 {
            let t = if i % 37 == 0 { String::new() } else { format!("{:.1}", rng.below(400) as f64 / 10.0 - 5.0) };
            s.push_str(&format!(
                "S{}\t2024-06-{:02}T{:02}:{:02}:00Z\t{t}\t{}\t{}\n",
                1 + i % 4,
                1 + (i / 48) % 28,
                (i / 2) % 24,
                (i % 2) * 30,
                30 + rng.below(60),
                if rng.below(20) == 0 { "false" } else { "true" }
            ));
        }
        s
    };
    put("sensors.tsv", tsv.as_bytes())?;
    // A legacy Windows export: cp1252 bytes, semicolons, a preamble line to skip.
    let legacy = "id;name;city;amount\n1;José Müller;Köln;12,50\n2;Françoise Légère;Genève;7,00\n3;Øyvind Åsen;Tromsø;\n4;Zoë “Zed” Smith;Besançon;1.234,75\n";
    let (bytes, _, bad) = encoding_rs::WINDOWS_1252.encode(legacy);
    debug_assert!(!bad);
    put("legacy_cp1252.csv", &bytes)?;
    // Parquet sample made from the CSV sample by the pipeline itself.
    let parquet = dir.join("sales.parquet");
    let opts = ConvertOptions { force, ..Default::default() };
    convert(&dir.join("sales.csv"), Some(&parquet), &opts, &no_events)?;
    written.push(parquet);
    // Spreadsheets (issue 4).
    let mut put = |name: &str, bytes: &[u8]| -> Result<()> {
        let path = dir.join(name);
        let f = AtomicFile::create(&path, force)?;
        std::io::Write::write_all(&mut f.file()?, bytes).map_err(|e| Error::io(&path, e))?;
        f.commit()?;
        written.push(path);
        Ok(())
    };
    put("sales.xlsx", &crate::formats::excel::sample_files::sales_xlsx(300)?)?;
    put("stations.ods", &crate::formats::excel::sample_files::stations_ods(120)?)?;
    Ok(written)
}
