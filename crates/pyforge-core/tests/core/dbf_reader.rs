//! DBF reader: tables written with the test writer (every type, memo layouts, code pages,
//! null flags, deleted records), the corpus files with hand-checked values, and a few hundred
//! truncated or mutated corpus files that must fail cleanly, never panic.

use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray};
use arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Float64Type, Int32Type, Int64Type, TimestampMillisecondType,
};
use arrow::record_batch::RecordBatch;
use pyforge_core::{ReadOptions, Source};
use pyforge_samples::dbf::{self as writer, vfp_datetime, FieldSpec as F, MemoStyle, Table, Value};

use crate::helpers::strings;

fn corpus() -> PathBuf {
    pyforge_testdata::path("dbf")
}

fn read(path: &Path, opts: &ReadOptions) -> pyforge_core::Result<RecordBatch> {
    let src = pyforge_core::open(path, opts)?;
    read_source(src.as_ref())
}

fn read_source(src: &dyn Source) -> pyforge_core::Result<RecordBatch> {
    let tables = src.tables()?;
    let stream = src.open_table(&tables[0].name)?;
    let schema = pyforge_core::TableStream::schema(stream.as_ref());
    let batches: Vec<RecordBatch> = stream.collect::<pyforge_core::Result<_>>()?;
    Ok(arrow::compute::concat_batches(&schema, &batches).unwrap())
}

fn s(v: &str) -> Value {
    Some(v.as_bytes().to_vec())
}

fn vfp_table(dir: &Path) -> PathBuf {
    let fields = vec![
        F::new("ID", b'I', 4, 0),
        F::new("NAME", b'C', 12, 0),
        F::new("NICK", b'V', 10, 0).nullable(),
        F::new("RAW", b'Q', 6, 0),
        F::new("AMOUNT", b'N', 10, 2).nullable(),
        F::new("COUNT", b'N', 5, 0),
        F::new("PRICE", b'Y', 8, 0),
        F::new("RATIO", b'B', 8, 3),
        F::new("BORN", b'D', 8, 0),
        F::new("SEEN", b'T', 8, 0).nullable(),
        F::new("OK", b'L', 1, 0),
        F::new("NOTE", b'M', 4, 0),
        F::new("PIC", b'G', 4, 0),
    ];
    let rows: Vec<Vec<Value>> = vec![
        vec![
            Some(1i32.to_le_bytes().to_vec()),
            Some(b"Caf\xe9".to_vec()),
            s("ab"),
            Some(vec![1, 2, 3]),
            s("-12.50"),
            s("42"),
            Some(123_456i64.to_le_bytes().to_vec()),
            Some(0.125f64.to_le_bytes().to_vec()),
            s("20240229"),
            Some(vfp_datetime(2024, 2, 29, 12 * 3_600_000 + 1)),
            s("T"),
            Some(b"memo \xe9t\xe9".to_vec()),
            Some(vec![0, 1, 2, 255]),
        ],
        vec![
            Some((-7i32).to_le_bytes().to_vec()),
            s("  lead"),
            None,
            Some(vec![9; 6]),
            None,
            s(""),
            Some((-1i64).to_le_bytes().to_vec()),
            Some((-2.5f64).to_le_bytes().to_vec()),
            s(""),
            None,
            s("?"),
            None,
            None,
        ],
        vec![
            Some(3i32.to_le_bytes().to_vec()),
            s("deleted"),
            s("full len x"),
            Some(vec![]),
            s("0.01"),
            s("-1"),
            Some(0i64.to_le_bytes().to_vec()),
            Some(0f64.to_le_bytes().to_vec()),
            s("19991231"),
            Some(vec![0; 8]),
            s("n"),
            s(""),
            None,
        ],
    ];
    let p = dir.join("vfp.DBF");
    writer::write(
        &p,
        &Table {
            version: 0x30,
            language_driver: 0x03,
            fields: &fields,
            rows: &rows,
            deleted: &[2],
            memo: Some(MemoStyle::Fpt(64)),
        },
    )
    .unwrap();
    // Upper-case memo file name: must be found on a case-sensitive file system.
    std::fs::rename(dir.join("vfp.fpt"), dir.join("VFP.FPT")).unwrap();
    p
}

#[test]
fn visual_foxpro_types_nulls_and_memos() {
    let dir = tempfile::tempdir().unwrap();
    let p = vfp_table(dir.path());
    let b = read(&p, &ReadOptions::default()).unwrap();
    assert_eq!(b.num_rows(), 2, "the deleted record is skipped");
    let schema = b.schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(
        names,
        ["ID", "NAME", "NICK", "RAW", "AMOUNT", "COUNT", "PRICE", "RATIO", "BORN", "SEEN", "OK", "NOTE", "PIC"]
    );
    let ids = b.column_by_name("ID").unwrap().as_primitive::<Int32Type>();
    assert_eq!(ids.values().to_vec(), [1, -7]);
    assert_eq!(strings(&b, "NAME"), [Some("Café".into()), Some("  lead".into())]);
    assert_eq!(strings(&b, "NICK"), [Some("ab".into()), None]);
    let raw = b.column_by_name("RAW").unwrap().as_binary::<i32>();
    assert_eq!(raw.value(0), [1, 2, 3]);
    assert_eq!(raw.value(1), [9; 6]);
    let amount = b.column_by_name("AMOUNT").unwrap();
    assert_eq!(amount.data_type(), &DataType::Decimal128(10, 2));
    let amount = amount.as_primitive::<Decimal128Type>();
    assert_eq!(amount.value(0), -1250);
    assert!(amount.is_null(1));
    let count = b.column_by_name("COUNT").unwrap().as_primitive::<Int64Type>();
    assert_eq!(count.value(0), 42);
    assert!(count.is_null(1));
    let price = b.column_by_name("PRICE").unwrap();
    assert_eq!(price.data_type(), &DataType::Decimal128(19, 4));
    assert_eq!(price.as_primitive::<Decimal128Type>().values().to_vec(), [123_456, -1]);
    let ratio = b.column_by_name("RATIO").unwrap().as_primitive::<Float64Type>();
    assert_eq!(ratio.values().to_vec(), [0.125, -2.5]);
    let born = b.column_by_name("BORN").unwrap().as_primitive::<Date32Type>();
    assert_eq!(born.value(0), 19782);
    assert!(born.is_null(1));
    let seen = b.column_by_name("SEEN").unwrap().as_primitive::<TimestampMillisecondType>();
    assert_eq!(seen.value(0), 19782 * 86_400_000 + 12 * 3_600_000 + 1);
    assert!(seen.is_null(1));
    let ok = b.column_by_name("OK").unwrap().as_boolean();
    assert!(ok.value(0));
    assert!(ok.is_null(1));
    assert_eq!(strings(&b, "NOTE"), [Some("memo été".into()), None]);
    let pic = b.column_by_name("PIC").unwrap().as_binary::<i32>();
    assert_eq!(pic.value(0), [0, 1, 2, 255]);
    assert!(pic.is_null(1));
}

#[test]
fn include_deleted_adds_a_flag_column() {
    let dir = tempfile::tempdir().unwrap();
    let p = vfp_table(dir.path());
    let opts = ReadOptions { include_deleted: true, ..Default::default() };
    let b = read(&p, &opts).unwrap();
    assert_eq!(b.num_rows(), 3);
    let d = b.column_by_name("_deleted").unwrap().as_boolean();
    assert_eq!(d.iter().collect::<Vec<_>>(), [Some(false), Some(false), Some(true)]);
    assert_eq!(strings(&b, "NICK")[2], Some("full len x".into()));
    // An empty memo written as an empty value reads back as empty text, not as null.
    assert_eq!(strings(&b, "NOTE")[2], Some(String::new()));
}

#[test]
fn missing_memo_file_is_an_error_or_nulls_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let p = vfp_table(dir.path());
    std::fs::remove_file(dir.path().join("VFP.FPT")).unwrap();
    let e = pyforge_core::open(&p, &ReadOptions::default()).err().expect("must fail").to_string();
    assert!(e.contains("memo file not found"), "{e}");
    let opts = ReadOptions { ignore_missing_memo: true, ..Default::default() };
    let src = pyforge_core::open(&p, &opts).unwrap();
    assert!(src.details()["warnings"].to_string().contains("not found"));
    let b = read_source(src.as_ref()).unwrap();
    assert_eq!(strings(&b, "NOTE"), [None, None]);
    assert_eq!(strings(&b, "NAME")[0], Some("Café".into()));
}

#[test]
fn dbase_memo_layouts_and_code_pages() {
    let dir = tempfile::tempdir().unwrap();
    let cyr = encoding_rs::IBM866.encode("Привет, мир").0.into_owned();
    for (version, style) in [(0x83u8, MemoStyle::Dbt3), (0x8B, MemoStyle::Dbt4)] {
        let fields = vec![F::new("TXT", b'C', 20, 0), F::new("MEMO", b'M', 10, 0), F::new("BIG", b'N', 20, 0)];
        let rows = vec![
            vec![
                Some(cyr.clone()),
                Some([cyr.clone(), b"\r\n".to_vec(), vec![b'x'; 700]].concat()),
                s("12345678901234567890"),
            ],
            vec![s("plain"), None, s("-5")],
        ];
        let p = dir.path().join(format!("d{version:x}.dbf"));
        writer::write(
            &p,
            &Table { version, language_driver: 0x65, fields: &fields, rows: &rows, deleted: &[], memo: Some(style) },
        )
        .unwrap();
        let b = read(&p, &ReadOptions::default()).unwrap();
        assert_eq!(strings(&b, "TXT"), [Some("Привет, мир".into()), Some("plain".into())]);
        let memo = strings(&b, "MEMO");
        assert_eq!(memo[0].as_deref().unwrap().chars().count(), 11 + 2 + 700);
        assert!(memo[0].as_deref().unwrap().starts_with("Привет, мир\r\nxxx"));
        assert_eq!(memo[1], None);
        let big = b.column_by_name("BIG").unwrap();
        assert_eq!(big.data_type(), &DataType::Decimal128(20, 0));
        assert_eq!(big.as_primitive::<Decimal128Type>().value(0), 12345678901234567890);
        // --encoding overrides the header: cp1251 reads the same bytes differently, still
        // without error (every byte is defined there).
        let b = read(&p, &ReadOptions { encoding: Some("cp1251".into()), ..Default::default() }).unwrap();
        assert_ne!(strings(&b, "TXT")[0], Some("Привет, мир".into()));
    }
}

#[test]
fn undecodable_bytes_name_the_record_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let fields = vec![F::new("A", b'C', 5, 0)];
    let rows = vec![vec![s("ok")], vec![Some(b"x\x81y".to_vec())]];
    let p = dir.path().join("bad.dbf");
    writer::write(
        &p,
        &Table { version: 0x03, language_driver: 0x03, fields: &fields, rows: &rows, deleted: &[], memo: None },
    )
    .unwrap();
    let e = read(&p, &ReadOptions::default()).unwrap_err().to_string();
    assert!(e.contains("record 2") && e.contains("field A") && e.contains("0x81") && e.contains("windows-1252"), "{e}");
    let b = read(&p, &ReadOptions { encoding: Some("cp437".into()), ..Default::default() }).unwrap();
    assert_eq!(strings(&b, "A")[1], Some("xüy".into()));
    // Mazovia and Kamenický through the language driver byte.
    for (ldid, bytes, want) in [(0x69u8, b"\x8f\x92".to_vec(), "Ął"), (0x68, b"\x80\x9e".to_vec(), "ČŘ")] {
        let rows = vec![vec![Some(bytes)]];
        writer::write(
            &p,
            &Table { version: 0x03, language_driver: ldid, fields: &fields, rows: &rows, deleted: &[], memo: None },
        )
        .unwrap();
        assert_eq!(strings(&read(&p, &ReadOptions::default()).unwrap(), "A")[0].as_deref(), Some(want));
    }
}

#[test]
fn values_that_do_not_fit_are_errors_not_rounding() {
    let dir = tempfile::tempdir().unwrap();
    let fields = vec![F::new("N", b'N', 6, 1)];
    let rows = vec![vec![s("1.25")]];
    let p = dir.path().join("n.dbf");
    writer::write(
        &p,
        &Table { version: 0x03, language_driver: 0, fields: &fields, rows: &rows, deleted: &[], memo: None },
    )
    .unwrap();
    let e = read(&p, &ReadOptions::default()).unwrap_err().to_string();
    assert!(e.contains("decimal places") && e.contains("field N"), "{e}");
}

#[test]
fn many_batches_stream() {
    let dir = tempfile::tempdir().unwrap();
    let fields = vec![F::new("I", b'N', 9, 0)];
    let rows: Vec<Vec<Value>> = (0..150_000).map(|i| vec![s(&i.to_string())]).collect();
    let p = dir.path().join("big.dbf");
    writer::write(
        &p,
        &Table { version: 0x03, language_driver: 0, fields: &fields, rows: &rows, deleted: &[7], memo: None },
    )
    .unwrap();
    let src = pyforge_core::open(&p, &ReadOptions::default()).unwrap();
    let batches: Vec<RecordBatch> = src.open_table("big").unwrap().collect::<Result<_, _>>().unwrap();
    assert!(batches.len() >= 3);
    let all: Vec<i64> =
        batches.iter().flat_map(|b| b.column(0).as_primitive::<Int64Type>().values().to_vec()).collect();
    assert_eq!(all.len(), 149_999);
    assert_eq!(all[6..8], [6, 8]);
}

// ---- corpus files, values checked by hand against the bytes ----

#[test]
fn corpus_files_hand_checked() {
    let c = corpus();
    let d = ReadOptions::default();
    // dbfread fails here (float('1234. ...\0')); the bytes say 1234 followed by padding.
    let b = read(&c.join("dbase-rs/data/contain_null_padded_numeric.dbf"), &d).unwrap();
    assert_eq!(b.column(0).as_primitive::<Decimal128Type>().value(0), 1234);
    // Language driver 0x03 says cp1252 but the bytes are cp850 (0x81 is undefined in cp1252).
    let p = c.join("dbase-rs/data/cp850.dbf");
    let e = read(&p, &d).unwrap_err().to_string();
    assert!(e.contains("0x81") && e.contains("--encoding"), "{e}");
    let b = read(&p, &ReadOptions { encoding: Some("cp850".into()), ..Default::default() }).unwrap();
    assert!(
        strings(&b, "TEXT").iter().any(|v| v.as_deref().is_some_and(|t| t.contains('ü'))),
        "{:?}",
        strings(&b, "TEXT")
    );
    let b = read(&c.join("dbase-rs/data/cp936.dbf"), &d).unwrap();
    assert_eq!(strings(&b, "TEST"), [Some("测试中文".into())]);
    let b = read(&c.join("dbfread-sdist/testcases/memotest.dbf"), &d).unwrap();
    assert_eq!(strings(&b, "MEMO"), [Some("Alice memo".into()), Some("Bob memo".into())]);
    let e = pyforge_core::open(&c.join("dbfread-sdist/testcases/no_memofile.dbf"), &d).err().unwrap().to_string();
    assert!(e.contains("memo file not found"), "{e}");
    let e = read(&c.join("dbfread-sdist/examples/files/invalid_value.dbf"), &d).unwrap_err().to_string();
    assert!(e.contains("invalid date") && e.contains("BIRTHDATE"), "{e}");
    let b = read(&c.join("dbase-rs/data/KUNDEN-schema-only.DBF"), &d).unwrap();
    assert_eq!(b.num_rows(), 0);
}

fn corpus_dbf_files() -> Vec<PathBuf> {
    pyforge_testdata::files("dbf", &["dbf", "bin"])
}

#[test]
fn fuzz_cases_and_mutations_never_panic() {
    let files = corpus_dbf_files();
    assert!(files.len() >= 15, "{} DBF files in the test data", files.len());
    let dir = tempfile::tempdir().unwrap();
    let mut seeds: Vec<(Vec<u8>, Option<Vec<u8>>)> = files
        .iter()
        .map(|p| {
            let memo = ["FPT", "fpt", "dbt"].iter().map(|e| p.with_extension(e)).find(|m| m.is_file());
            (std::fs::read(p).unwrap(), memo.map(|m| std::fs::read(m).unwrap()))
        })
        .collect();
    // A writer table with every type and a memo file is a seed too.
    let vfp = vfp_table(dir.path());
    seeds.push((std::fs::read(&vfp).unwrap(), Some(std::fs::read(dir.path().join("VFP.FPT")).unwrap())));
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut cases = 0;
    let mut ok = 0;
    for (bytes, memo) in &seeds {
        for round in 0..30 {
            let mut b = bytes.clone();
            let mut m = memo.clone();
            match round % 5 {
                0 => b.truncate((next() as usize) % (b.len() + 1)),
                1 | 2 => {
                    // Mutate the header and field descriptors where it hurts most.
                    for _ in 0..(1 + next() % 4) {
                        let limit = b.len().clamp(1, 400);
                        let i = (next() as usize) % limit;
                        if i < b.len() {
                            b[i] = next() as u8;
                        }
                    }
                }
                3 => {
                    for _ in 0..8 {
                        if !b.is_empty() {
                            let i = (next() as usize) % b.len();
                            b[i] = next() as u8;
                        }
                    }
                }
                _ => {
                    if let Some(m) = m.as_mut() {
                        for _ in 0..6 {
                            if !m.is_empty() {
                                let i = (next() as usize) % m.len().min(1024);
                                m[i] = next() as u8;
                            }
                        }
                        m.truncate((next() as usize) % (m.len() + 1));
                    } else {
                        b.truncate(b.len().saturating_sub(1 + (next() as usize) % 8));
                    }
                }
            }
            let p = dir.path().join("case.dbf");
            std::fs::write(&p, &b).unwrap();
            let _ = std::fs::remove_file(dir.path().join("case.fpt"));
            if let Some(m) = &m {
                std::fs::write(dir.path().join("case.fpt"), m).unwrap();
            }
            cases += 1;
            let r = std::panic::catch_unwind(|| {
                let src = pyforge_core::formats::dbf::DbfSource::open(&p, &ReadOptions::default())?;
                read_source(&src)
            });
            match r {
                Ok(Ok(_)) => ok += 1,
                Ok(Err(e)) => assert!(!e.to_string().is_empty()),
                Err(_) => panic!("panic on mutation case {cases} (seed of {} bytes, round {round})", bytes.len()),
            }
        }
    }
    assert!(cases >= 300, "{cases} cases");
    eprintln!("{cases} mutated cases: {ok} read, {} failed cleanly", cases - ok);
}

#[test]
fn corpus_fuzz_files_fail_cleanly() {
    // dbase-rs' fuzzing finds: broken headers that must be refused with the reason, naming the
    // file, never read as a table or a panic.
    let expected = [
        ("empty-logical-field.bin", "field descriptors run past the header"),
        ("invalid-time-word.bin", "field descriptors run past the header"),
        ("julian-day-overflow.bin", "field descriptors run past the header"),
        ("oob-memo-field-bytes.bin", "field descriptors run past the header"),
        ("reader-new-overflow.bin", "not a DBF file"),
    ];
    let files: Vec<PathBuf> = corpus_dbf_files().into_iter().filter(|p| p.to_string_lossy().contains("fuzz")).collect();
    let names: Vec<String> = files.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, expected.map(|(n, _)| n.to_string()));
    for (p, (name, reason)) in files.iter().zip(expected) {
        let r = pyforge_core::formats::dbf::DbfSource::open(p, &ReadOptions::default()).and_then(|s| read_source(&s));
        let e = r.err().unwrap_or_else(|| panic!("{name}: read as a table")).to_string();
        assert!(e.contains(reason) && e.contains(name), "{name}: {e}");
    }
}

/// A varchar flagged binary (NOCPTRANS) holds text stored without code-page translation: read
/// as text like dbfread and the dbf gem do, with its exact length; only varbinary is bytes.
#[test]
fn binary_flagged_varchar_is_text_varbinary_is_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let fields = vec![F::new("CODE", b'V', 8, 0).binary().nullable(), F::new("BLOB", b'Q', 6, 0).binary()];
    let rows = vec![
        vec![Some(b"Caf\xe9 ".to_vec()), Some(vec![0, 1, 2])],
        vec![Some(b"12345678".to_vec()), Some(vec![0xFF; 6])],
        vec![None, Some(vec![])],
    ];
    let p = dir.path().join("nocptrans.dbf");
    let t = Table { version: 0x30, language_driver: 0x03, fields: &fields, rows: &rows, deleted: &[], memo: None };
    writer::write(&p, &t).unwrap();
    let b = read(&p, &ReadOptions::default()).unwrap();
    assert_eq!(b.column_by_name("CODE").unwrap().data_type(), &DataType::Utf8);
    // The trailing space is part of the value: the varlength bit gives the exact length.
    assert_eq!(strings(&b, "CODE"), [Some("Café ".into()), Some("12345678".into()), None]);
    let blob = b.column_by_name("BLOB").unwrap().as_binary::<i32>();
    assert_eq!(blob.value(0), [0, 1, 2]);
    assert_eq!(blob.value(1), [0xFF; 6]);
    assert!(blob.value(2).is_empty());
}
