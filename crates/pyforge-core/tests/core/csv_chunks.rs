//! The parallel chunked CSV reader agrees with BurntSushi's serial `csv` reader on a file of
//! many chunks full of quoted newlines, escaped quotes and literal quotes.

use arrow::array::{Array, AsArray};
use pyforge_core::{open, InferTypes, ReadOptions};

fn all_rows(path: &std::path::Path, opts: &ReadOptions) -> Vec<Vec<Option<String>>> {
    let source = open(path, opts).unwrap();
    let table = source.tables().unwrap()[0].name.clone();
    let (_, _) = pyforge_core::convert::scan_table(source.as_ref(), &table).unwrap();
    let stream = source.open_table(&table).unwrap();
    let mut rows = vec![];
    for b in stream {
        let b = b.unwrap();
        for r in 0..b.num_rows() {
            rows.push(
                (0..b.num_columns())
                    .map(|c| {
                        let col = b.column(c).as_string::<i32>();
                        (!col.is_null(r)).then(|| col.value(r).to_string())
                    })
                    .collect(),
            );
        }
    }
    rows
}

#[test]
fn chunked_reading_matches_a_serial_reader() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.csv");
    let mut text = String::from("id,text,note\n");
    for i in 0..500_000 {
        let t = match i % 5 {
            0 => format!("\"line one\nline two {i}\""),
            1 => format!("\"say \"\"hi\"\", {i}\""),
            2 => format!("plain {i}"),
            3 => "\"\"".to_string(),
            _ => String::new(),
        };
        // A literal quote inside an unquoted field now and then.
        let note = if i % 1000 == 999 { format!("5'{i}\"") } else { format!("n{i}") };
        text.push_str(&format!("{i},{t},{note}\n"));
    }
    std::fs::write(&path, &text).unwrap();
    assert!(text.len() > 9 << 20, "several chunks");

    let opts = ReadOptions { infer_types: InferTypes::No, ..Default::default() };
    let ours = all_rows(&path, &opts);
    let mut rdr = csv::ReaderBuilder::new().from_path(&path).unwrap();
    let theirs: Vec<Vec<String>> = rdr.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect();
    assert_eq!(ours.len(), theirs.len());
    for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
        for (x, y) in a.iter().zip(b) {
            // Unquoted empty fields are null; quoted empty fields are "" (the csv crate
            // reports both as "").
            assert_eq!(x.as_deref().unwrap_or(""), y, "row {i}");
        }
        if i % 5 == 3 {
            assert_eq!(a[1].as_deref(), Some(""), "quoted empty is an empty string, row {i}");
        }
        if i % 5 == 4 {
            assert_eq!(a[1], None, "unquoted empty is null, row {i}");
        }
    }
}
