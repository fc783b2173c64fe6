//! PDF reader: page rows, blank pages, page selection, metadata, txt output, hostile inputs.

use std::path::{Path, PathBuf};

use arrow::array::AsArray;
use arrow::datatypes::{Int32Type, Int64Type};
use arrow::record_batch::RecordBatch;
use pyforge_core::convert::{convert, no_events, ConvertOptions};
use pyforge_core::sink::{OutputFormat, WriteOptions};
use pyforge_core::{open, Error, ReadOptions};
use pyforge_samples::pdf::sample_pdf;

use crate::helpers::{fuzz_regressions, write_file};

fn write_pdf(dir: &Path, name: &str, pages: &[&[&str]]) -> PathBuf {
    write_file(dir, name, &sample_pdf(pages, "Test title (draft)", "Ada Lovelace"))
}

const PAGES: &[&[&str]] = &[&["First page", "alpha beta"], &[], &["Third page gamma"], &["Fourth page delta"]];

/// (page, text, chars) rows of the `pages` table.
fn rows(path: &Path, pages: Option<&str>) -> Vec<(i32, String, i64)> {
    let opts = ReadOptions { pages: pages.map(String::from), ..Default::default() };
    let source = open(path, &opts).unwrap();
    let batches: Vec<RecordBatch> = source.open_table("pages").unwrap().map(|b| b.unwrap()).collect();
    let mut out = Vec::new();
    for b in batches {
        let p = b.column(0).as_primitive::<Int32Type>();
        let t = b.column(1).as_string::<i32>();
        let c = b.column(2).as_primitive::<Int64Type>();
        for i in 0..b.num_rows() {
            out.push((p.value(i), t.value(i).to_string(), c.value(i)));
        }
    }
    out
}

#[test]
fn one_row_per_page_blank_pages_kept() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = write_pdf(dir.path(), "doc.pdf", PAGES);
    let r = rows(&pdf, None);
    assert_eq!(r.iter().map(|r| r.0).collect::<Vec<_>>(), vec![1, 2, 3, 4]);
    let words = |t: &str| t.split_whitespace().map(String::from).collect::<Vec<_>>();
    assert_eq!(words(&r[0].1), ["First", "page", "alpha", "beta"]);
    assert_eq!(r[1].1, "", "blank page kept as empty text");
    assert_eq!(r[1].2, 0);
    assert_eq!(words(&r[2].1), ["Third", "page", "gamma"]);
    for (_, text, chars) in &r {
        assert_eq!(*chars, text.chars().count() as i64);
    }
}

#[test]
fn page_selection_and_its_errors() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = write_pdf(dir.path(), "doc.pdf", PAGES);
    let pages = |spec| rows(&pdf, Some(spec)).into_iter().map(|r| r.0).collect::<Vec<_>>();
    assert_eq!(pages("1-2,4"), vec![1, 2, 4]);
    assert_eq!(pages("3-"), vec![3, 4]);
    assert_eq!(pages("2"), vec![2]);
    for bad in ["5", "3-7", "abc", "0", "2-1"] {
        let opts = ReadOptions { pages: Some(bad.into()), ..Default::default() };
        match open(&pdf, &opts) {
            Err(Error::Usage { message, .. }) => {
                assert!(["5", "3-7"].contains(&bad), "{bad}: syntax errors are InvalidOption: {message}");
                assert!(message.contains("valid: 1-4"), "{bad}: {message}");
            }
            Err(Error::InvalidOption(m)) => assert!(["abc", "0", "2-1"].contains(&bad), "{bad}: {m}"),
            Err(e) => panic!("{bad}: unexpected error {e}"),
            Ok(_) => panic!("--pages {bad} accepted"),
        }
    }
}

#[test]
fn metadata_in_details() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = write_pdf(dir.path(), "doc.pdf", PAGES);
    let source = open(&pdf, &ReadOptions::default()).unwrap();
    assert_eq!(source.format_name(), "pdf");
    let d = source.details();
    assert_eq!(d["pages"], 4);
    assert_eq!(d["title"], "Test title (draft)");
    assert_eq!(d["author"], "Ada Lovelace");
    assert_eq!(d["producer"], "PyForge samples");
    assert_eq!(d["created"], "2024-03-15T09:30:00+01:00");
    assert_eq!(d["modified"], "2024-03-16T12:00:00Z");
    assert_eq!(d["pdf_version"], "1.4");
    assert_eq!(d["encrypted"], false);
    let tables = source.tables().unwrap();
    assert_eq!(tables.len(), 1);
    assert_eq!(tables[0].rows, Some(4));
}

#[test]
fn txt_output_separates_pages_with_form_feeds_or_markers() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = write_pdf(dir.path(), "doc.pdf", PAGES);
    let mut opts = ConvertOptions {
        write: WriteOptions { format: OutputFormat::Txt, ..Default::default() },
        ..Default::default()
    };
    let out = dir.path().join("doc.txt");
    convert(&pdf, Some(&out), &opts, &no_events).unwrap();
    let txt = std::fs::read_to_string(&out).unwrap();
    let pages: Vec<&str> = txt.split('\x0c').collect();
    assert_eq!(pages.len(), 5, "four pages, each followed by a form feed: {txt:?}");
    assert_eq!(pages[1], "");
    assert_eq!(pages[4], "");
    assert!(pages[2].contains("Third page gamma"));

    opts.write.page_markers = true;
    opts.read.pages = Some("2-3".into());
    opts.force = true;
    convert(&pdf, Some(&out), &opts, &no_events).unwrap();
    let txt = std::fs::read_to_string(&out).unwrap();
    assert!(txt.starts_with("--- page 2 ---\n--- page 3 ---\n"), "{txt:?}");
    assert!(!txt.contains('\x0c'));
}

#[test]
fn txt_output_needs_a_text_column() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("a.csv");
    std::fs::write(&csv, "x,y\n1,2\n").unwrap();
    let opts = ConvertOptions {
        write: WriteOptions { format: OutputFormat::Txt, ..Default::default() },
        ..Default::default()
    };
    let out = dir.path().join("a.txt");
    let e = convert(&csv, Some(&out), &opts, &no_events).unwrap_err();
    assert!(e.to_string().contains("txt output needs a text column"), "{e}");
    assert!(!out.exists(), "no output on failure");
}

/// What reading `path` whole gave: the row count, or the error. Runs on its own thread and
/// panics if it takes longer than `limit`, so a hang fails the test instead of hanging CI.
fn read_within(path: &Path, limit: std::time::Duration) -> Result<usize, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let p = path.to_path_buf();
    std::thread::spawn(move || {
        let outcome = open(&p, &ReadOptions::default()).map_err(|e| e.to_string()).and_then(|source| {
            let mut rows = 0;
            for b in source.open_table("pages").map_err(|e| e.to_string())? {
                rows += b.map_err(|e| e.to_string())?.num_rows();
            }
            Ok(rows)
        });
        let _ = tx.send(outcome);
    });
    match rx.recv_timeout(limit) {
        Ok(outcome) => outcome,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("{} still reading after {limit:?}: a hang", path.display())
        }
        Err(e) => panic!("{}: the reading thread died (a panic): {e}", path.display()),
    }
}

#[test]
fn hostile_inputs_are_errors_not_crashes() {
    let dir = tempfile::tempdir().unwrap();
    let good = sample_pdf(PAGES, "t", "a");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("header_only.pdf", b"%PDF-1.7\n".to_vec()),
        (
            "garbage.pdf",
            b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF".to_vec(),
        ),
        ("truncated.pdf", good[..good.len() / 2].to_vec()),
        ("empty.pdf", Vec::new()),
    ];
    let limit = std::time::Duration::from_secs(60);
    for (name, bytes) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let outcome = read_within(&p, limit);
        match name {
            // Nothing to read, or a page tree that points nowhere: an error that names the
            // file, never an empty table.
            "header_only.pdf" | "empty.pdf" | "garbage.pdf" => {
                let e = outcome.expect_err(name);
                assert!(e.contains(name), "{name}: {e}");
            }
            // A damaged file may be refused or repaired, but a repaired one has its pages.
            _ => {
                if let Ok(rows) = outcome {
                    assert!(rows > 0, "{name}: read as a PDF without pages");
                }
            }
        }
    }
}

/// A malformed embedded font keeps the PDF engine busy for minutes (a fuzzing finding): the
/// time limit ends the read with its error, naming the file and the option that raises it.
#[test]
fn an_engine_that_runs_too_long_is_stopped_by_the_time_limit() {
    let path = fuzz_regressions().join("pdf/cmap-parse-runs-minutes.pdf");
    let limit = std::time::Duration::from_secs(2);
    let options = ReadOptions { pdf_time_limit: Some(limit), ..Default::default() };
    let started = std::time::Instant::now();
    let source = open(&path, &options).expect("the file opens; its fonts are parsed with the page text");
    let error = source.open_table("pages").unwrap().find_map(|b| b.err()).expect("the read ends in an error");
    let message = error.to_string();
    assert!(message.contains("cmap-parse-runs-minutes.pdf"), "{message}");
    assert!(message.contains("gave up after 2 s") && message.contains("--pdf-time-limit"), "{message}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "took {:?}", started.elapsed());
}

#[test]
fn samples_include_a_multi_page_pdf() {
    let dir = tempfile::tempdir().unwrap();
    let files = pyforge_samples::write_samples(dir.path(), false).unwrap();
    let pdf = files.iter().find(|f| f.extension().is_some_and(|e| e == "pdf")).expect("a PDF sample");
    let r = rows(pdf, None);
    assert_eq!(r.len(), 3);
    assert!(r[0].1.contains("Quarterly sales report"));
    assert_eq!(r[1].1, "");
    assert!(r[2].1.contains("preliminary"));
}
