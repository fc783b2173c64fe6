//! Small sample inputs of every implemented format, generated locally (no downloads), for
//! trying PyForge out and for the README's quick start.

use std::path::{Path, PathBuf};

use pyforge_core::convert::{convert, no_events, ConvertOptions};
use pyforge_core::error::{Error, Result};
use pyforge_core::sink::AtomicFile;

// The project's one seedable generator: the samples are the same bytes on every run and
// every machine.
use crate::rng::SplitMix64 as Rng;

const CITIES: &[&str] = &["Lisboa", "Zürich", "São Paulo", "Kraków", "Reykjavík", "Montréal", "Ōsaka", "Cork"];
const PRODUCTS: &[&str] =
    &["Widget, large", "Gadget \"Pro\"", "Gizmo", "Doohickey\nwith a second line", "Thingamajig", "Sprocket"];

/// The sales sample as CSV text: ints, floats with nulls, quoted strings with commas, quotes
/// and newlines, dates, timestamps, booleans, non-ASCII text.
pub fn sales_csv(rows: usize) -> String {
    let mut rng = Rng(0x5eed_cafe_f00d);
    let mut s =
        String::from("order_id,customer,city,product,quantity,unit_price,discount,order_date,shipped_at,paid\n");
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
/// let files = pyforge_samples::write_samples("samples".as_ref(), false).unwrap();
/// assert!(files.iter().any(|f| f.ends_with("sales.csv")));
/// ```
pub fn write_samples(dir: &Path, force: bool) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut written = Vec::new();
    // Each file is written whole or not at all; `written` lists them in the order written.
    let put = |name: &str, bytes: &[u8]| -> Result<PathBuf> {
        let path = dir.join(name);
        let f = AtomicFile::create(&path, force)?;
        std::io::Write::write_all(&mut f.file()?, bytes).map_err(|e| Error::io(&path, e))?;
        f.commit()?;
        Ok(path)
    };
    let sales = sales_csv(1000);
    written.push(put("sales.csv", sales.as_bytes())?);
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
    written.push(put("sensors.tsv", tsv.as_bytes())?);
    // A legacy Windows export: cp1252 bytes, semicolons, a preamble line to skip.
    let legacy = "id;name;city;amount\n1;José Müller;Köln;12,50\n2;Françoise Légère;Genève;7,00\n3;Øyvind Åsen;Tromsø;\n4;Zoë “Zed” Smith;Besançon;1.234,75\n";
    let (bytes, _, bad) = encoding_rs::WINDOWS_1252.encode(legacy);
    debug_assert!(!bad);
    written.push(put("legacy_cp1252.csv", &bytes)?);
    // XML and JSON Lines samples: nesting, attributes, repeated children, CDATA, a namespace.
    written.push(put("library.xml", library_xml(60).as_bytes())?);
    written.push(put("events.jsonl", events_jsonl(200).as_bytes())?);
    // Parquet sample made from the CSV sample by the pipeline itself.
    let parquet = dir.join("sales.parquet");
    let opts = ConvertOptions { force, ..Default::default() };
    convert(&dir.join("sales.csv"), Some(&parquet), &opts, &no_events)?;
    written.push(parquet);
    // DBF samples: a Visual FoxPro table with a .fpt memo file, and a dBase III table in the
    // Russian DOS code page with a .dbt memo file.
    for (stem, table) in [("customers_vfp", dbf_sample_vfp()), ("inventory_dbase3", dbf_sample_dbase3())] {
        let (bytes, memo) = crate::dbf::encode(&table.as_table());
        written.push(put(&format!("{stem}.dbf"), &bytes)?);
        if let Some((ext, m)) = memo {
            written.push(put(&format!("{stem}.{ext}"), &m)?);
        }
    }
    // Spreadsheets, the Access database and a PDF.
    written.push(put("sales.xlsx", &crate::excel::sales_xlsx(300)?)?);
    written.push(put("stations.ods", &crate::excel::stations_ods(120)?)?);
    written.push(put("northwind_mini.mdb", &access_sample(dir)?)?);
    // A three-page PDF report; page 2 is blank on purpose (blank pages are kept as empty text).
    let pdf = crate::pdf::sample_pdf(
        &[
            &["Quarterly sales report", "Region North: 1,204 units", "Region South: 987 units"],
            &[],
            &["Notes", "Figures are preliminary (unaudited)."],
        ],
        "Quarterly sales report",
        "PyForge",
    );
    written.push(put("report.pdf", &pdf)?);
    Ok(written)
}

const AUTHORS: &[&str] =
    &["Ada Lovelace", "Grace Hopper", "Alan Turing", "Zoë Müller", "José Saramago", "Ōe Kenzaburō"];
const TAGS: &[&str] = &["history", "computing", "fiction", "science", "poetry"];

/// A library catalogue: `<book id="..">` records with attributes, nested `<publisher>`,
/// repeated `<author>` and `<tag>` children, a CDATA note and a namespaced element.
pub fn library_xml(books: usize) -> String {
    let mut rng = Rng(0xb00c);
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<catalog xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n",
    );
    for i in 0..books {
        let (y, m, d) = (1950 + rng.below(70), 1 + rng.below(12), 1 + rng.below(28));
        s.push_str(&format!("  <book id=\"bk{:03}\" available=\"{}\">\n", 100 + i, rng.below(3) > 0));
        s.push_str(&format!("    <title>Volume {} &amp; more</title>\n", i + 1));
        for _ in 0..1 + rng.below(3) {
            s.push_str(&format!("    <author>{}</author>\n", AUTHORS[rng.below(AUTHORS.len() as u64) as usize]));
        }
        s.push_str(&format!("    <price currency=\"EUR\">{}.{:02}</price>\n", 5 + rng.below(60), rng.below(100)));
        s.push_str(&format!("    <published>{y}-{m:02}-{d:02}</published>\n"));
        s.push_str(&format!(
            "    <publisher country=\"{}\"><name>Press {}</name><city>{}</city></publisher>\n",
            ["PT", "CH", "BR", "PL"][rng.below(4) as usize],
            rng.below(20),
            CITIES[rng.below(CITIES.len() as u64) as usize]
        ));
        for _ in 0..rng.below(3) {
            s.push_str(&format!("    <tag>{}</tag>\n", TAGS[rng.below(TAGS.len() as u64) as usize]));
        }
        if i % 7 == 0 {
            s.push_str("    <note><![CDATA[Signed copy <limited> & numbered]]></note>\n");
        }
        s.push_str(&format!("    <dc:language>{}</dc:language>\n", ["en", "pt", "de", "ja"][rng.below(4) as usize]));
        s.push_str("  </book>\n");
    }
    s.push_str("</catalog>\n");
    s
}

/// JSON Lines events: nested objects, arrays of scalars and of objects, nulls.
pub fn events_jsonl(rows: usize) -> String {
    let mut rng = Rng(0x15_0e);
    let mut s = String::new();
    for i in 0..rows {
        let items: Vec<String> = (0..rng.below(4))
            .map(|_| format!("{{\"sku\":\"S{:03}\",\"qty\":{}}}", rng.below(500), 1 + rng.below(9)))
            .collect();
        let tags: Vec<String> =
            (0..rng.below(3)).map(|_| format!("\"{}\"", TAGS[rng.below(TAGS.len() as u64) as usize])).collect();
        let score =
            if rng.below(10) == 0 { "null".to_string() } else { format!("{:.2}", rng.below(1000) as f64 / 10.0) };
        s.push_str(&format!(
            "{{\"id\":{},\"ts\":\"2024-05-{:02}T{:02}:{:02}:00Z\",\"user\":{{\"name\":\"{}\",\"city\":\"{}\"}},\"score\":{score},\"tags\":[{}],\"items\":[{}]}}\n",
            i + 1,
            1 + rng.below(28),
            rng.below(24),
            rng.below(60),
            AUTHORS[rng.below(AUTHORS.len() as u64) as usize],
            CITIES[rng.below(CITIES.len() as u64) as usize],
            tags.join(","),
            items.join(",")
        ));
    }
    s
}

/// Owned parts of a sample DBF table.
struct DbfSample {
    version: u8,
    language_driver: u8,
    fields: Vec<crate::dbf::FieldSpec>,
    rows: Vec<Vec<crate::dbf::Value>>,
    deleted: Vec<usize>,
    memo: crate::dbf::MemoStyle,
}

impl DbfSample {
    fn as_table(&self) -> crate::dbf::Table<'_> {
        crate::dbf::Table {
            version: self.version,
            language_driver: self.language_driver,
            fields: &self.fields,
            rows: &self.rows,
            deleted: &self.deleted,
            memo: Some(self.memo),
        }
    }
}

fn enc1252(s: &str) -> Vec<u8> {
    encoding_rs::WINDOWS_1252.encode(s).0.into_owned()
}

/// Visual FoxPro (cp1252): C, N, D, L, M, I, B, Y, T and a nullable V, one deleted record.
fn dbf_sample_vfp() -> DbfSample {
    use crate::dbf::{vfp_datetime, FieldSpec as F, MemoStyle};
    let fields = vec![
        F::new("ID", b'I', 4, 0),
        F::new("NAME", b'C', 30, 0),
        F::new("CITY", b'V', 20, 0).nullable(),
        F::new("BALANCE", b'Y', 8, 0),
        F::new("CREDIT", b'N', 10, 2).nullable(),
        F::new("SCORE", b'B', 8, 2),
        F::new("SINCE", b'D', 8, 0),
        F::new("LASTSEEN", b'T', 8, 0),
        F::new("ACTIVE", b'L', 1, 0),
        F::new("NOTES", b'M', 4, 0).nullable(),
    ];
    let mut rng = Rng(7);
    let names = ["José Müller", "Françoise Légère", "Øyvind Åsen", "Zoë Smith", "Ana Conceição", "Lukasz Nowak"];
    let mut rows = Vec::new();
    for i in 0..200i64 {
        let name = names[(i as usize) % names.len()];
        let city = CITIES[rng.below(CITIES.len() as u64) as usize];
        let city = if city.contains('Ō') { "Osaka" } else { city }; // not in cp1252
        let balance = (rng.below(10_000_000) as i64 - 2_000_000) * 10; // ten-thousandths
        rows.push(vec![
            Some((i as i32 + 1).to_le_bytes().to_vec()),
            Some(enc1252(&format!("{name} #{}", i + 1))),
            if i % 9 == 0 { None } else { Some(enc1252(city)) },
            Some(balance.to_le_bytes().to_vec()),
            if i % 7 == 0 { None } else { Some(format!("{:.2}", rng.below(1_000_000) as f64 / 100.0).into_bytes()) },
            Some((rng.below(1000) as f64 / 8.0).to_le_bytes().to_vec()),
            Some(format!("{}{:02}{:02}", 2000 + rng.below(25), 1 + rng.below(12), 1 + rng.below(28)).into_bytes()),
            if i % 11 == 0 {
                Some(vec![0; 8])
            } else {
                Some(vfp_datetime(
                    2024,
                    1 + rng.below(12) as u32,
                    1 + rng.below(28) as u32,
                    rng.below(86_400_000) as u32,
                ))
            },
            Some(vec![if i % 3 == 0 { b'F' } else { b'T' }]),
            match i % 4 {
                0 => None,
                1 => Some(enc1252("Prefers e-mail.\r\nCalls on Tuesdays; café owner.")),
                _ => Some(enc1252(&format!("Customer since {} — note {}", 2000 + i % 20, i))),
            },
        ]);
    }
    DbfSample { version: 0x30, language_driver: 0x03, fields, rows, deleted: vec![5, 50], memo: MemoStyle::Fpt(64) }
}

/// dBase III with memo, Russian DOS code page (cp866).
fn dbf_sample_dbase3() -> DbfSample {
    use crate::dbf::{FieldSpec as F, MemoStyle};
    let enc866 = |s: &str| encoding_rs::IBM866.encode(s).0.into_owned();
    let fields = vec![
        F::new("SKU", b'C', 8, 0),
        F::new("ITEM", b'C', 25, 0),
        F::new("QTY", b'N', 6, 0),
        F::new("PRICE", b'N', 10, 2),
        F::new("RECEIVED", b'D', 8, 0),
        F::new("INSTOCK", b'L', 1, 0),
        F::new("DESCR", b'M', 10, 0),
    ];
    let items = ["Чайник", "Самовар", "Матрёшка", "Валенки", "Балалайка"];
    let mut rng = Rng(99);
    let rows = (0..100)
        .map(|i| {
            vec![
                Some(format!("SKU{i:05}").into_bytes()),
                Some(enc866(items[i % items.len()])),
                Some(format!("{}", rng.below(500)).into_bytes()),
                Some(format!("{:.2}", rng.below(100_000) as f64 / 100.0).into_bytes()),
                if i % 13 == 0 { None } else { Some(format!("2023{:02}{:02}", 1 + i % 12, 1 + i % 28).into_bytes()) },
                Some(vec![if i % 4 == 0 {
                    b'?'
                } else if i % 2 == 0 {
                    b'Y'
                } else {
                    b'N'
                }]),
                if i % 5 == 0 {
                    None
                } else {
                    Some(enc866(&format!("Описание товара {i}: {}", items[i % items.len()])))
                },
            ]
        })
        .collect();
    DbfSample { version: 0x83, language_driver: 0x65, fields, rows, deleted: vec![3], memo: MemoStyle::Dbt3 }
}

/// The Access sample (Jet4), written by the project's own writer to a temporary file first.
fn access_sample(dir: &Path) -> Result<Vec<u8>> {
    let tmp = tempfile::Builder::new().suffix(".mdb").tempfile_in(dir).map_err(|e| Error::io(dir, e))?;
    crate::access::sample::northwind_mini(tmp.path()).map_err(|e| match e {
        crate::access::WriteError::Io { source, .. } => Error::io(tmp.path(), source),
        other => Error::InvalidOption(format!("writing the Access sample: {other}")),
    })?;
    std::fs::read(tmp.path()).map_err(|e| Error::io(tmp.path(), e))
}
