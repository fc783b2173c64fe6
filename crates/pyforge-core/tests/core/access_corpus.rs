//! Access reader on the known tricky files of the test data (testdata/access), and on
//! databases the Jet writer makes where no redistributable file has the case.

use arrow::array::{Array, AsArray};
use arrow::datatypes::*;
use arrow::record_batch::RecordBatch;
use pyforge_core::{open, ReadOptions};

use crate::helpers::{jackcess, read_file_table, strings};

fn timestamps_us(b: &RecordBatch, col: &str) -> Vec<Option<String>> {
    let a = b.column_by_name(col).unwrap().as_primitive::<TimestampMicrosecondType>();
    (0..a.len())
        .map(|i| {
            a.is_valid(i).then(|| {
                arrow::temporal_conversions::as_datetime::<TimestampMicrosecondType>(a.value(i)).unwrap().to_string()
            })
        })
        .collect()
}

#[test]
fn fixed_length_text_is_read_not_nulled() {
    for v in [
        "V2000__fixedTextTestV2000.mdb",
        "V2003__fixedTextTestV2003.mdb",
        "V2007__fixedTextTestV2007.accdb",
        "V2010__fixedTextTestV2010.accdb",
    ] {
        let p = jackcess(v);
        let b = read_file_table(&p, "users");
        let flags = strings(&b, "c_flag_");
        assert!(!flags.is_empty(), "{v}");
        assert!(flags.iter().all(|f| f.as_deref() == Some("N")), "{v}: {flags:?}");
    }
}

#[test]
fn dates_before_1900_are_right() {
    // oldDatesV2007: Jackcess' test table of dates around the 1899-12-30 epoch; mdbtools prints
    // every one as "1900-01-00".
    let p = jackcess("V2007__oldDatesV2007.accdb");
    let b = read_file_table(&p, "Table1");
    let d = timestamps_us(&b, "DateField");
    assert!(d.iter().all(Option::is_some));
    // Jackcess' testAncientDates expects these four (proleptic Gregorian, as Access stores them).
    let want = ["1582-10-15 00:00:00", "1582-10-14 00:00:00", "1492-01-10 00:00:00", "1392-01-10 00:00:00"];
    assert_eq!(d, want.map(|s| Some(s.to_string())).to_vec());
}

#[test]
fn extended_dates_are_exact_text() {
    // DateExtStr is a text copy Access wrote of each DateExt value.
    let p = jackcess("V2019__extDateTestV2019.accdb");
    let b = read_file_table(&p, "Table1");
    assert_eq!(b.schema().field_with_name("DateExt").unwrap().data_type(), &DataType::Utf8);
    let ext = strings(&b, "DateExt");
    let ids = b.column_by_name("ID").unwrap().as_primitive::<Int32Type>();
    let by_id = |id: i32| ext[(0..b.num_rows()).find(|&i| ids.value(i) == id).unwrap()].clone();
    assert_eq!(by_id(1).as_deref(), Some("2020-06-17")); // "6/17/2020"
    assert_eq!(by_id(6).as_deref(), Some("2021-06-14 22:45:12.3456789")); // "6/14/2021 10:45:12.3456789 PM"
    assert_eq!(by_id(9).as_deref(), Some("1265-06-14 12:45:00")); // "6/14/1265 12:45:00.0000000 PM"
}

#[test]
fn year_9999_and_pre_1000_dates() {
    // The dates at the ends of Access' range and a memo with line breaks (mdbtools' DateTest
    // database had these; it has no licence, so the Jet writer makes the same rows here).
    use pyforge_samples::access::{Column, ColumnType, JetWriter, Value};
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("dates.mdb");
    let micros = |y: i32, m: u32, d: u32| {
        let date = days_from_civil(y, m, d);
        Value::DateTime(date * 86_400_000_000)
    };
    let mut w = JetWriter::create(&p).unwrap();
    let cols = vec![Column::new("DateTimeCol", ColumnType::DateTime), Column::new("LongTextCol", ColumnType::Memo)];
    let mut t = w.table("DateTest", cols).unwrap();
    t.push(&[micros(9999, 12, 31), Value::Text("Year 9999".into())]).unwrap();
    t.push(&[micros(1898, 1, 1), Value::Text("Pre-1900 years".into())]).unwrap();
    t.push(&[micros(632, 1, 1), Value::Text("Pre-1000 years".into())]).unwrap();
    t.push(&[micros(100, 1, 1), Value::Text("line one\r\nline two\nline three".into())]).unwrap();
    t.finish().unwrap();
    w.finish().unwrap();

    let b = read_file_table(&p, "DateTest");
    let d = timestamps_us(&b, "DateTimeCol");
    let want = ["9999-12-31 00:00:00", "1898-01-01 00:00:00", "0632-01-01 00:00:00", "0100-01-01 00:00:00"];
    assert_eq!(d, want.map(|s| Some(s.to_string())).to_vec());
    assert_eq!(b.num_rows(), 4, "one memo value with line breaks is one row");
    assert_eq!(strings(&b, "LongTextCol")[3].as_deref(), Some("line one\r\nline two\nline three"));
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil).
fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[test]
fn emoticons_survive() {
    // key holds the code point of the emoji stored in data between two "a"s.
    let p = jackcess("V2010__testEmoticonsV2010.accdb");
    let b = read_file_table(&p, "data");
    let keys = b.column_by_name("key").unwrap();
    let data = strings(&b, "data");
    assert!(b.num_rows() > 0);
    for (i, value) in data.iter().enumerate() {
        let k = arrow::util::display::array_value_to_string(keys, i).unwrap();
        let c = char::from_u32(k.parse::<f64>().unwrap() as u32).unwrap();
        assert_eq!(value.as_deref(), Some(format!("a{c}a").as_str()), "row {i}");
    }
}

#[test]
fn calculated_columns_hold_their_stored_results() {
    let p = jackcess("V2010__calcFieldTestV2010.accdb");
    let b = read_file_table(&p, "Table1");
    // LastFirst = [LastName] & ", " & [FirstName]
    let last = strings(&b, "LastName");
    let first = strings(&b, "FirstName");
    let lf = strings(&b, "LastFirst");
    for i in 0..b.num_rows() {
        assert_eq!(lf[i], Some(format!("{}, {}", last[i].as_ref().unwrap(), first[i].as_ref().unwrap())));
    }
}

#[test]
fn every_corpus_table_reads_or_fails_loudly_without_panic() {
    let mut files = 0;
    let mut tables = 0;
    for entry in pyforge_testdata::files("access", &["mdb", "accdb"]) {
        files += 1;
        let opts = ReadOptions { include_system: true, ..Default::default() };
        let source = match open(&entry, &opts) {
            Ok(s) => s,
            Err(e) => {
                assert!(!e.to_string().is_empty());
                continue;
            }
        };
        for t in source.tables().unwrap() {
            tables += 1;
            if let Ok(stream) = source.open_table(&t.name) {
                for batch in stream {
                    if batch.is_err() {
                        break;
                    }
                }
            }
        }
    }
    assert!(files >= 80 && tables >= 300, "{files} files, {tables} tables");
}
