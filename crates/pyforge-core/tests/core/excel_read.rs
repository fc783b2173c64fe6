//! Spreadsheet reader tests on workbooks generated here with rust_xlsxwriter (and the ODS sample
//! writer): header detection, blank header cells, types, errors, widening, combine, merged cells,
//! huge declared dimensions.

use std::path::Path;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Date32Type, Float64Type, Int64Type, TimeUnit, TimestampMillisecondType};
use arrow::record_batch::RecordBatch;
use pyforge_core::{open, ReadOptions};
use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};

use crate::helpers::cast_strings;

fn read(path: &Path, opts: &ReadOptions) -> Vec<(String, RecordBatch)> {
    let source = open(path, opts).unwrap();
    let mut out = Vec::new();
    for t in source.tables().unwrap() {
        let mut tries = 0;
        let batch = loop {
            let stream = source.open_table(&t.name).unwrap();
            let schema = stream.schema();
            let batches: Result<Vec<_>, _> = stream.collect();
            match batches {
                Ok(b) => break arrow::compute::concat_batches(&schema, &b).unwrap(),
                Err(e) if e.is_schema_widened() && tries < 3 => tries += 1,
                Err(e) => panic!("{e}"),
            }
        };
        out.push((t.name.clone(), batch));
    }
    out
}

fn names(b: &RecordBatch) -> Vec<String> {
    b.schema().fields().iter().map(|f| f.name().clone()).collect()
}

fn save(wb: &mut Workbook, dir: &Path, name: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    wb.save(&p).unwrap();
    p
}

#[test]
fn blank_header_cell_never_shifts_data() {
    let dir = tempfile::tempdir().unwrap();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    // Header in row 3 starting at column B; column C has no header.
    ws.write_string(2, 1, "id").unwrap();
    ws.write_string(2, 3, "name").unwrap();
    for i in 0..3u32 {
        ws.write_number(3 + i, 1, i + 1).unwrap();
        ws.write_number(3 + i, 2, 10.5 + i as f64).unwrap();
        ws.write_string(3 + i, 3, format!("n{i}")).unwrap();
    }
    let p = save(&mut wb, dir.path(), "blank.xlsx");
    let t = read(&p, &ReadOptions::default());
    assert_eq!(t.len(), 1);
    let b = &t[0].1;
    assert_eq!(names(b), ["id", "C", "name"]);
    assert_eq!(b.column(0).data_type(), &DataType::Int64);
    assert_eq!(b.column(0).as_primitive::<Int64Type>().values().to_vec(), vec![1i64, 2, 3]);
    assert_eq!(b.column(1).as_primitive::<Float64Type>().values().to_vec(), vec![10.5f64, 11.5, 12.5]);
    assert_eq!(cast_strings(b, "name"), [Some("n0".into()), Some("n1".into()), Some("n2".into())]);
}

#[test]
fn types_dates_errors_and_mixed_columns() {
    let dir = tempfile::tempdir().unwrap();
    let mut wb = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let stamp = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let ws = wb.add_worksheet();
    for (c, h) in ["d", "ts", "flag", "mixed", "calc"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_datetime_with_format(1, 0, ExcelDateTime::from_ymd(2024, 2, 29).unwrap(), &date).unwrap();
    ws.write_datetime_with_format(2, 0, ExcelDateTime::from_ymd(1999, 12, 31).unwrap(), &date).unwrap();
    let t = ExcelDateTime::from_ymd(2024, 3, 1).unwrap().and_hms(13, 30, 0).unwrap();
    ws.write_datetime_with_format(1, 1, &t, &stamp).unwrap();
    ws.write_boolean(1, 2, true).unwrap();
    ws.write_boolean(2, 2, false).unwrap();
    ws.write_number(1, 3, 3.0).unwrap();
    ws.write_string(2, 3, "three").unwrap();
    ws.write_formula(1, 4, Formula::new("=1/0").set_result("#DIV/0!")).unwrap();
    ws.write_formula(2, 4, Formula::new("=2*21").set_result("42")).unwrap();
    let p = save(&mut wb, dir.path(), "types.xlsx");

    let source = open(&p, &ReadOptions::default()).unwrap();
    let tables_1 = read(&p, &ReadOptions::default());
    let b = &tables_1[0].1;
    assert_eq!(b.column(0).data_type(), &DataType::Date32);
    let days: Vec<i32> = b.column(0).as_primitive::<Date32Type>().values().to_vec();
    assert_eq!(days, [19_782, 10_956]); // 2024-02-29, 1999-12-31
    assert_eq!(b.column(1).data_type(), &DataType::Timestamp(TimeUnit::Millisecond, None));
    assert_eq!(b.column(1).as_primitive::<TimestampMillisecondType>().value(0), 1_709_299_800_000);
    assert!(b.column(1).is_null(1));
    assert_eq!(b.column(2).data_type(), &DataType::Boolean);
    assert_eq!(cast_strings(b, "mixed"), [Some("3".into()), Some("three".into())]);
    assert_eq!(b.column(4).data_type(), &DataType::Int64);
    assert!(b.column(4).is_null(0));
    assert_eq!(b.column(4).as_primitive::<Int64Type>().value(1), 42);
    // The error cell is counted once the table has been read.
    let _ = read(&p, &ReadOptions::default());
    drop(source);
    let source = open(&p, &ReadOptions::default()).unwrap();
    let name = source.tables().unwrap()[0].name.clone();
    let _: Vec<_> = source.open_table(&name).unwrap().collect();
    let listed = source.tables().unwrap();
    assert_eq!(listed[0].details["error_cells_as_null"], 1);

    let opts = ReadOptions { excel_errors_as_text: true, ..Default::default() };
    let tables_2 = read(&p, &opts);
    let b = &tables_2[0].1;
    assert_eq!(cast_strings(b, "calc"), [Some("#DIV/0!".into()), Some("42".into())]);
}

#[test]
fn late_text_widens_an_int_column_without_loss() {
    let dir = tempfile::tempdir().unwrap();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "v").unwrap();
    for i in 0..3000u32 {
        ws.write_number(i + 1, 0, i).unwrap();
    }
    ws.write_string(3001, 0, "n/a").unwrap();
    ws.write_number(3002, 0, 2.5).unwrap();
    let p = save(&mut wb, dir.path(), "widen.xlsx");
    let tables_3 = read(&p, &ReadOptions::default());
    let b = &tables_3[0].1;
    assert_eq!(b.num_rows(), 3002);
    let v = cast_strings(b, "v");
    assert_eq!(v[0].as_deref(), Some("0"));
    assert_eq!(v[2999].as_deref(), Some("2999"));
    assert_eq!(v[3000].as_deref(), Some("n/a"));
    assert_eq!(v[3001].as_deref(), Some("2.5"));
}

#[test]
fn no_header_and_header_row() {
    let dir = tempfile::tempdir().unwrap();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "Report of 2024").unwrap();
    ws.write_string(2, 0, "k").unwrap();
    ws.write_string(2, 1, "v").unwrap();
    ws.write_string(3, 0, "a").unwrap();
    ws.write_number(3, 1, 1).unwrap();
    let p = save(&mut wb, dir.path(), "hdr.xlsx");

    let tables_4 = read(&p, &ReadOptions { header: Some(false), ..Default::default() });
    let b = &tables_4[0].1;
    assert_eq!(names(b), ["A", "B"]);
    assert_eq!(b.num_rows(), 3);
    assert_eq!(cast_strings(b, "A"), [Some("Report of 2024".into()), Some("k".into()), Some("a".into())]);

    let tables_5 = read(&p, &ReadOptions { excel_header_row: Some(3), ..Default::default() });
    let b = &tables_5[0].1;
    assert_eq!(names(b), ["k", "v"]);
    assert_eq!(b.num_rows(), 1);
    assert_eq!(b.column(1).as_primitive::<Int64Type>().value(0), 1);
}

#[test]
fn huge_declared_dimensions_do_not_allocate_the_grid() {
    let dir = tempfile::tempdir().unwrap();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "first").unwrap();
    ws.write_string(1_048_575, 16_383, "last").unwrap();
    let p = save(&mut wb, dir.path(), "huge.xlsx");
    let started = std::time::Instant::now();
    let tables_6 = read(&p, &ReadOptions { header: Some(false), ..Default::default() });
    let b = &tables_6[0].1;
    assert_eq!(names(b), ["A", "XFD"]);
    assert_eq!(b.num_rows(), 2);
    assert_eq!(cast_strings(b, "XFD"), [None, Some("last".into())]);
    assert!(started.elapsed().as_secs() < 10);
}

#[test]
fn combine_stacks_sheets_by_column_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut wb = Workbook::new();
    let a = wb.add_worksheet();
    a.set_name("Jan").unwrap();
    a.write_string(0, 0, "id").unwrap();
    a.write_string(0, 1, "qty").unwrap();
    a.write_number(1, 0, 1).unwrap();
    a.write_number(1, 1, 5).unwrap();
    let b = wb.add_worksheet();
    b.set_name("Feb").unwrap();
    b.write_string(0, 0, "qty").unwrap();
    b.write_string(0, 1, "note").unwrap();
    b.write_number(1, 0, 7.5).unwrap();
    b.write_string(1, 1, "late").unwrap();
    b.set_hidden(true);
    let p = save(&mut wb, dir.path(), "two.xlsx");

    let sep = read(&p, &ReadOptions::default());
    assert_eq!(sep.len(), 2);
    let source = open(&p, &ReadOptions::default()).unwrap();
    let feb = source.tables().unwrap().into_iter().find(|t| t.name == "Feb").unwrap();
    assert_eq!(feb.details["hidden"], true);

    let t = read(&p, &ReadOptions { excel_combine: true, ..Default::default() });
    assert_eq!(t.len(), 1);
    let b = &t[0].1;
    assert_eq!(names(b), ["_sheet", "id", "qty", "note"]);
    assert_eq!(cast_strings(b, "_sheet"), [Some("Jan".into()), Some("Feb".into())]);
    assert_eq!(cast_strings(b, "id"), [Some("1".into()), None]);
    assert_eq!(b.column(2).as_primitive::<Float64Type>().values().to_vec(), vec![5.0f64, 7.5]);
    assert_eq!(cast_strings(b, "note"), [None, Some("late".into())]);

    // --sheets / --exclude-sheets choose the sheets that are stacked.
    let only_feb =
        ReadOptions { excel_combine: true, excel_combine_only: Some(vec!["Feb".into()]), ..Default::default() };
    let t = read(&p, &only_feb);
    assert_eq!(cast_strings(&t[0].1, "_sheet"), [Some("Feb".into())]);
    assert_eq!(names(&t[0].1), ["_sheet", "qty", "note"]);
    let t =
        read(&p, &ReadOptions { excel_combine: true, excel_combine_exclude: vec!["Feb".into()], ..Default::default() });
    assert_eq!(cast_strings(&t[0].1, "_sheet"), [Some("Jan".into())]);
    let bad = ReadOptions { excel_combine: true, excel_combine_only: Some(vec!["Mar".into()]), ..Default::default() };
    let e = open(&p, &bad).err().expect("unknown sheet is an error").to_string();
    assert!(e.contains("Mar") && e.contains("Jan") && e.contains("Feb"), "{e}");
}

#[test]
fn merged_cells_top_left_or_filled() {
    let dir = tempfile::tempdir().unwrap();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "group").unwrap();
    ws.write_string(0, 1, "item").unwrap();
    ws.merge_range(1, 0, 3, 0, "fruit", &Format::new()).unwrap();
    for (i, s) in ["apple", "pear", "plum"].iter().enumerate() {
        ws.write_string(1 + i as u32, 1, *s).unwrap();
    }
    let p = save(&mut wb, dir.path(), "merged.xlsx");
    let tables_7 = read(&p, &ReadOptions::default());
    let b = &tables_7[0].1;
    assert_eq!(cast_strings(b, "group"), [Some("fruit".into()), None, None]);
    let tables_8 = read(&p, &ReadOptions { excel_fill_merged: true, ..Default::default() });
    let b = &tables_8[0].1;
    assert_eq!(cast_strings(b, "group"), [Some("fruit".into()), Some("fruit".into()), Some("fruit".into())]);
}

#[test]
fn samples_read_back_typed() {
    let dir = tempfile::tempdir().unwrap();
    let files = pyforge_samples::write_samples(dir.path(), false).unwrap();
    let xlsx = files.iter().find(|f| f.extension().unwrap() == "xlsx").unwrap();
    let t = read(xlsx, &ReadOptions::default());
    assert_eq!(t.iter().map(|t| t.0.as_str()).collect::<Vec<_>>(), ["Orders", "Notes"]);
    let b = &t[0].1;
    assert_eq!(names(b), ["order_id", "region", "order_date", "shipped_at", "amount", "paid", "G", "doubled"]);
    assert_eq!(b.num_rows(), 301);
    assert_eq!(b.column(0).data_type(), &DataType::Int64);
    assert_eq!(b.column(2).data_type(), &DataType::Date32);
    assert_eq!(b.column(5).data_type(), &DataType::Boolean);
    assert_eq!(b.column(7).data_type(), &DataType::Float64);
    assert!(b.column(7).is_null(300));

    let ods = files.iter().find(|f| f.extension().unwrap() == "ods").unwrap();
    let t = read(ods, &ReadOptions::default());
    let b = &t[0].1;
    assert_eq!(names(b), ["station", "reading", "day", "ok"]);
    assert_eq!(b.num_rows(), 120);
    assert_eq!(b.column(1).data_type(), &DataType::Float64);
    assert_eq!(b.column(2).data_type(), &DataType::Date32);
    assert_eq!(b.column(3).data_type(), &DataType::Boolean);
    assert!(b.column(1).is_null(5));
}
