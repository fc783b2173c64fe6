//! Property test of the Jet4 writer against our Access reader: random tables (every column
//! type the writer knows, NULLs, empty and Unicode text, long values inline, on shared
//! long-value pages and on page chains) are written, read back and compared value by value.
//! A seeded generator makes every failure reproducible (the seed is in the message).

use std::path::Path;

use arrow::array::{Array, AsArray};
use arrow::datatypes::*;
use arrow::record_batch::RecordBatch;
use pyforge_core::formats::access::writer::{Column, ColumnType, JetWriter, Value};
use pyforge_core::{open, ReadOptions};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn random_type(rng: &mut Rng) -> ColumnType {
    match rng.below(14) {
        0 => ColumnType::Bool,
        1 => ColumnType::Byte,
        2 => ColumnType::Integer,
        3 => ColumnType::Long,
        4 => ColumnType::Currency,
        5 => ColumnType::Single,
        6 => ColumnType::Double,
        7 => ColumnType::DateTime,
        8 => ColumnType::Binary(1 + rng.below(255) as u8),
        9 => ColumnType::Text(1 + rng.below(255) as u8),
        10 => ColumnType::Ole,
        11 => ColumnType::Memo,
        12 => ColumnType::Guid,
        _ => {
            let precision = 1 + rng.below(28) as u8;
            ColumnType::Decimal { precision, scale: rng.below(u64::from(precision) + 1) as u8 }
        }
    }
}

/// Text of up to `max` UTF-16 units: ASCII, Latin-1, Greek/Cyrillic/CJK (no surrogates).
fn random_text(rng: &mut Rng, max: usize) -> String {
    let len = if max == 0 { 0 } else { rng.below(max as u64 + 1) as usize };
    let alphabet = rng.below(4);
    (0..len)
        .map(|_| match alphabet {
            0 => (b' ' + rng.below(95) as u8) as char,
            1 => char::from_u32(1 + rng.below(0xFF) as u32).unwrap(),
            2 => ['a', 'é', 'Ω', 'Ж', '東', '京', '\n', '"', ',', 'ß'][rng.below(10) as usize],
            _ => char::from_u32(0x20 + rng.below(0xD7FF - 0x20) as u32).unwrap(),
        })
        .collect()
}

fn long_len(rng: &mut Rng) -> usize {
    match rng.below(10) {
        0..=4 => rng.below(200) as usize,  // inline
        5..=7 => rng.below(4000) as usize, // one long-value page
        _ => 4000 + rng.below(20_000) as usize, // a chain of pages
    }
}

fn random_value(rng: &mut Rng, t: ColumnType) -> Value {
    if t != ColumnType::Bool && rng.chance(15) {
        return Value::Null;
    }
    match t {
        ColumnType::Bool => Value::Bool(rng.chance(50)),
        ColumnType::Byte => Value::Byte(rng.next() as u8),
        ColumnType::Integer => Value::Integer(rng.next() as i16),
        ColumnType::Long => Value::Long(rng.next() as i32),
        ColumnType::Currency => Value::Currency(rng.next() as i64 >> rng.below(40)),
        ColumnType::Single => Value::Single((rng.next() as i32) as f32 / 1024.0),
        ColumnType::Double => Value::Double(f64::from_bits(rng.next() & 0xBFEF_FFFF_FFFF_FFFF)),
        // Years 100..9999 at millisecond resolution (the reader's resolution).
        ColumnType::DateTime => Value::DateTime((-59_011_459_200_000 + rng.below(313_524_000_000_000) as i64) * 1000),
        ColumnType::Binary(n) => Value::Binary((0..rng.below(u64::from(n) + 1)).map(|_| rng.next() as u8).collect()),
        ColumnType::Text(n) => Value::Text(random_text(rng, usize::from(n))),
        ColumnType::Ole => {
            let n = long_len(rng);
            Value::Binary((0..n).map(|_| rng.next() as u8).collect())
        }
        ColumnType::Memo => {
            let n = long_len(rng);
            Value::Text(random_text(rng, n))
        }
        ColumnType::Guid => Value::Guid(std::array::from_fn(|_| rng.next() as u8)),
        ColumnType::Decimal { precision, .. } => {
            let limit = 10u128.pow(u32::from(precision));
            let m = (u128::from(rng.next()) << 64 | u128::from(rng.next())) % limit;
            Value::Decimal(if rng.chance(50) { -(m as i128) } else { m as i128 })
        }
    }
}

fn read(path: &Path, table: &str) -> RecordBatch {
    let source = open(path, &ReadOptions::default()).unwrap();
    let stream = source.open_table(table).unwrap();
    let schema = stream.schema();
    let batches: Vec<RecordBatch> = stream.map(|b| b.unwrap()).collect();
    arrow::compute::concat_batches(&schema, &batches).unwrap()
}

fn guid_text(g: &[u8; 16]) -> String {
    let h = |r: std::ops::Range<usize>| g[r].iter().map(|b| format!("{b:02X}")).collect::<String>();
    format!("{{{}-{}-{}-{}-{}}}", h(0..4), h(4..6), h(6..8), h(8..10), h(10..16))
}

/// Check one column of what was read against what was written.
fn check(seed: u64, name: &str, t: ColumnType, col: &dyn Array, written: &[Value]) {
    assert_eq!(col.len(), written.len(), "seed {seed} column {name}: row count");
    for (i, v) in written.iter().enumerate() {
        let at = format!("seed {seed}, column {name} ({t:?}), row {}", i + 1);
        if matches!(v, Value::Null) {
            assert!(col.is_null(i), "{at}: expected NULL");
            continue;
        }
        assert!(col.is_valid(i), "{at}: NULL read, {v:?} written");
        match v {
            Value::Bool(b) => assert_eq!(col.as_boolean().value(i), *b, "{at}"),
            Value::Byte(x) => assert_eq!(col.as_primitive::<UInt8Type>().value(i), *x, "{at}"),
            Value::Integer(x) => assert_eq!(col.as_primitive::<Int16Type>().value(i), *x, "{at}"),
            Value::Long(x) => assert_eq!(col.as_primitive::<Int32Type>().value(i), *x, "{at}"),
            Value::Currency(x) => assert_eq!(col.as_primitive::<Decimal128Type>().value(i), i128::from(*x), "{at}"),
            Value::Single(x) => assert_eq!(col.as_primitive::<Float32Type>().value(i).to_bits(), x.to_bits(), "{at}"),
            Value::Double(x) => assert_eq!(col.as_primitive::<Float64Type>().value(i).to_bits(), x.to_bits(), "{at}"),
            Value::DateTime(us) => assert_eq!(col.as_primitive::<TimestampMicrosecondType>().value(i), *us, "{at}"),
            Value::Text(s) => assert_eq!(col.as_string::<i32>().value(i), s, "{at}"),
            Value::Binary(b) => assert_eq!(col.as_binary::<i32>().value(i), &b[..], "{at}"),
            Value::Guid(g) => assert_eq!(col.as_string::<i32>().value(i), guid_text(g), "{at}"),
            Value::Decimal(x) => assert_eq!(col.as_primitive::<Decimal128Type>().value(i), *x, "{at}"),
            Value::Null => unreachable!(),
        }
    }
}

/// One random database of 1 to 3 tables, written and read back.
fn round_trip(seed: u64, max_rows: u64) -> u64 {
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("random.mdb");
    let mut db = JetWriter::create(&path).unwrap();
    let mut tables = Vec::new();
    for t in 0..1 + rng.below(3) {
        let ncols = 1 + rng.below(12) as usize;
        let columns: Vec<Column> = (0..ncols).map(|c| Column::new(&format!("c{c}_{}", random_text(&mut Rng(seed + c as u64), 3).replace(['\n'], "")), random_type(&mut rng))).collect();
        // Names may repeat after lower-casing; make them unique with the index.
        let columns: Vec<Column> = columns.into_iter().enumerate().map(|(c, col)| Column::new(&format!("c{c}"), col.kind)).collect();
        let nrows = rng.below(max_rows + 1);
        let rows: Vec<Vec<Value>> = (0..nrows).map(|_| columns.iter().map(|c| random_value(&mut rng, c.kind)).collect()).collect();
        let name = format!("T{t} {}", ["Ωmega", "données", "表", "plain"][rng.below(4) as usize]);
        let mut w = db.table(&name, columns.clone()).unwrap();
        for r in &rows {
            w.push(r).unwrap();
        }
        w.finish().unwrap();
        tables.push((name, columns, rows));
    }
    db.finish().unwrap();
    let mut values = 0;
    for (name, columns, rows) in &tables {
        let batch = read(&path, name);
        assert_eq!(batch.num_rows(), rows.len(), "seed {seed} table {name}: rows");
        assert_eq!(batch.num_columns(), columns.len(), "seed {seed} table {name}: columns");
        for (j, c) in columns.iter().enumerate() {
            assert_eq!(batch.schema().field(j).name(), &c.name);
            let written: Vec<Value> = rows.iter().map(|r| r[j].clone()).collect();
            check(seed, &c.name, c.kind, batch.column(j).as_ref(), &written);
            values += written.len() as u64;
        }
    }
    values
}

#[test]
fn random_tables_round_trip() {
    let mut values = 0;
    for seed in 1..=60 {
        values += round_trip(seed, 300);
    }
    assert!(values > 10_000, "{values}");
}

#[test]
fn many_pages_round_trip() {
    // Thousands of rows: many data pages, long-value chains between them.
    for seed in [1001, 1002] {
        round_trip(seed, 6000);
    }
}

#[test]
fn wide_span_uses_reference_usage_map() {
    // A table whose pages span more than one inline usage map covers (long values between its
    // data pages push it past 4096 pages): the reference map (type 1) must list every page.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wide.mdb");
    let mut db = JetWriter::create(&path).unwrap();
    let mut w = db.table("Wide", vec![Column::new("n", ColumnType::Long), Column::new("m", ColumnType::Memo)]).unwrap();
    let memo = "x".repeat(3000); // one long-value page per two rows
    for i in 0..12_000 {
        w.push(&[Value::Long(i), if i % 2 == 0 { Value::Text(memo.clone()) } else { Value::Null }]).unwrap();
    }
    w.finish().unwrap();
    db.finish().unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() > 4096 * 4096);
    let b = read(&path, "Wide");
    assert_eq!(b.num_rows(), 12_000);
    let n = b.column(0).as_primitive::<Int32Type>();
    assert!((0..12_000).all(|i| n.value(i) == i as i32));
    let m = b.column(1).as_string::<i32>();
    assert_eq!(m.value(11_998), memo);
    assert!(m.is_null(11_999));
}

#[test]
fn bad_rows_fail_loudly() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = JetWriter::create(&dir.path().join("bad.mdb")).unwrap();
    let mut w = db.table("T", vec![Column::new("t", ColumnType::Text(3)), Column::new("b", ColumnType::Bool)]).unwrap();
    let e = w.push(&[Value::Text("four".into()), Value::Bool(true)]).unwrap_err().to_string();
    assert!(e.contains("row 1") && e.contains("\"t\"") && e.contains("4 characters"), "{e}");
    let e = w.push(&[Value::Null, Value::Null]).unwrap_err().to_string();
    assert!(e.contains("Yes/No") && e.contains("NULL"), "{e}");
    let e = w.push(&[Value::Long(1), Value::Bool(true)]).unwrap_err().to_string();
    assert!(e.contains("does not fit"), "{e}");
    let e = w.push(&[Value::Null]).unwrap_err().to_string();
    assert!(e.contains("1 values for 2 columns"), "{e}");
}

#[test]
fn sample_database_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nw.mdb");
    pyforge_core::formats::access::writer::sample::northwind_mini(&path).unwrap();
    let source = open(&path, &ReadOptions::default()).unwrap();
    let names: Vec<String> = source.tables().unwrap().iter().map(|t| t.name.clone()).collect();
    assert_eq!(names, ["Customers", "Products", "Orders"]);
    let c = read(&path, "Customers");
    assert_eq!(c.num_rows(), 60);
    let names = c.column(1).as_string::<i32>();
    assert_eq!(names.value(9), "東京トレーディング 1");
    let notes = c.column(6).as_string::<i32>();
    assert!(notes.is_null(0));
    assert_eq!(notes.value(4), "Ж".repeat(2500));
    assert!(notes.value(2).starts_with("Long history — order placed") && notes.value(2).len() > 4096);
    assert_eq!(read(&path, "Orders").num_rows(), 400);
}
