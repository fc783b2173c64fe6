//! End-to-end tests of the `pyforge` binary: exit codes, messages, outputs read back with
//! arrow-rs's Parquet reader; `outputs` holds the snapshots of help, samples, info, convert and
//! refused runs.

mod outputs;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Date32Type, Float64Type, Int64Type};
use arrow::record_batch::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

fn pyforge(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pyforge")).args(args).output().expect("run pyforge")
}

fn ok(args: &[&str]) -> String {
    let out = pyforge(args);
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn fails(args: &[&str]) -> String {
    let out = pyforge(args);
    assert_eq!(out.status.code(), Some(1), "{args:?} should fail with 1: {}", String::from_utf8_lossy(&out.stdout));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "one-line error expected: {err}");
    assert!(err.starts_with("pyforge: error: "), "{err}");
    err
}

fn read_parquet(path: &Path) -> RecordBatch {
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap().build().unwrap();
    let batches: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
    arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn leftovers(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().contains(".pyforge-tmp-"))
        .collect()
}

#[test]
fn converts_samples_with_native_types() {
    let dir = tempfile::tempdir().unwrap();
    let samples = dir.path().join("samples");
    ok(&["samples", s(&samples)]);
    let out = dir.path().join("sales.parquet");
    ok(&["convert", s(&samples.join("sales.csv")), s(&out)]);
    let batch = read_parquet(&out);
    assert_eq!(batch.num_rows(), 1000);
    let schema = batch.schema();
    let ty = |n: &str| schema.field_with_name(n).unwrap().data_type().clone();
    assert_eq!(ty("order_id"), DataType::Int64);
    assert_eq!(ty("unit_price"), DataType::Float64);
    assert_eq!(ty("order_date"), DataType::Date32);
    assert_eq!(ty("paid"), DataType::Boolean);
    assert!(matches!(ty("shipped_at"), DataType::Timestamp(_, None)));
    // Values compared with the generator's own text.
    let text = pyforge_samples::sales_csv(1000);
    let mut rdr = csv_rows(&text);
    let first = rdr.remove(0);
    let ids = batch.column_by_name("order_id").unwrap().as_primitive::<Int64Type>();
    assert_eq!(ids.value(0).to_string(), first[0]);
    let product = batch.column_by_name("product").unwrap().as_string::<i32>();
    let with_newline = (0..batch.num_rows()).find(|&i| product.value(i).contains('\n')).expect("a multi-line value");
    assert_eq!(product.value(with_newline), "Doohickey\nwith a second line");
    let discount = batch.column_by_name("discount").unwrap().as_primitive::<Float64Type>();
    assert!(discount.null_count() > 0, "empty discounts are nulls");
    let dates = batch.column_by_name("order_date").unwrap().as_primitive::<Date32Type>();
    let d0 = arrow::temporal_conversions::date32_to_datetime(dates.value(0)).unwrap().date();
    assert_eq!(d0.to_string(), first[7]);
}

/// Minimal RFC 4180 splitter for the test's own expectations (independent of the reader).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = vec![];
    let (mut row, mut field, mut quoted, mut chars) = (vec![], String::new(), false, text.chars().peekable());
    let mut header = true;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                if !header {
                    rows.push(std::mem::take(&mut row));
                }
                row.clear();
                header = false;
            }
            (false, c) => field.push(c),
        }
    }
    rows
}

#[test]
fn refuses_to_overwrite_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("a.csv");
    std::fs::write(&input, "x,y\n1,2\n").unwrap();
    let out = dir.path().join("a.parquet");
    std::fs::write(&out, "precious").unwrap();
    let err = fails(&["convert", s(&input)]);
    assert!(err.contains("already exists") && err.contains("a.parquet"), "{err}");
    assert_eq!(std::fs::read(&out).unwrap(), b"precious");
    ok(&["convert", s(&input), "--force"]);
    assert_eq!(read_parquet(&out).num_rows(), 1);
    // The input itself is never the output.
    let err = fails(&["convert", s(&input), s(&input), "-f", "csv", "--force"]);
    assert!(err.contains("overwrite the input"), "{err}");
    assert_eq!(std::fs::read_to_string(&input).unwrap(), "x,y\n1,2\n");
}

#[test]
fn bad_inputs_fail_with_one_line_and_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("ragged.csv"), "a,b\n1,2\n3\n").unwrap();
    let err = fails(&["convert", s(&d.join("ragged.csv"))]);
    assert!(err.contains("ragged.csv") && err.contains("line 3"), "{err}");
    std::fs::write(d.join("bytes.csv"), b"a,b\n1,2\n3,\xff\n").unwrap();
    let err = fails(&["convert", s(&d.join("bytes.csv")), "--encoding", "utf-8"]);
    assert!(err.contains("bytes.csv") && err.contains("line 3"), "{err}");
    std::fs::write(d.join("empty.csv"), "").unwrap();
    assert!(fails(&["convert", s(&d.join("empty.csv"))]).contains("empty.csv"));
    assert!(fails(&["info", s(d)]).contains("directory"));
    assert!(fails(&["convert", s(&d.join("missing.csv"))]).contains("missing.csv"));
    let names: Vec<String> =
        std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
    assert!(names.iter().all(|n| n.ends_with(".csv")), "outputs left behind: {names:?}");
    assert!(leftovers(d).is_empty());
}

#[test]
fn a_late_value_widens_the_column_instead_of_being_lost() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("late.csv");
    // More than the 1 MiB sample of integers, then text and a float in the same columns.
    let mut text = String::from("id,n\n");
    for i in 0..200_000 {
        text.push_str(&format!("{i},{i}\n"));
    }
    text.push_str("oops,2.5\n");
    std::fs::write(&input, text).unwrap();
    let out = dir.path().join("late.parquet");
    ok(&["convert", s(&input), s(&out)]);
    let batch = read_parquet(&out);
    assert_eq!(batch.num_rows(), 200_001);
    assert_eq!(batch.schema().field(0).data_type(), &DataType::Utf8);
    assert_eq!(batch.schema().field(1).data_type(), &DataType::Float64);
    assert_eq!(batch.column(0).as_string::<i32>().value(200_000), "oops");
    assert_eq!(batch.column(0).as_string::<i32>().value(12_345), "12345");
    assert_eq!(batch.column(1).as_primitive::<Float64Type>().value(200_000), 2.5);
}

#[test]
fn folder_output_has_a_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("t.csv");
    std::fs::write(&input, "k,v\na,1\nb,2\n").unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    ok(&["convert", s(&input), s(&out)]);
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("_manifest.json")).unwrap()).unwrap();
    assert_eq!(m["format"], "csv");
    assert_eq!(m["tables"][0]["name"], "t");
    assert_eq!(m["tables"][0]["file"], "t.parquet");
    assert_eq!(m["tables"][0]["rows"], 2);
    assert_eq!(m["tables"][0]["columns"][1], serde_json::json!({"name": "v", "type": "int64"}));
    assert_eq!(m["source_sha256"].as_str().unwrap().len(), 64);
    assert_eq!(read_parquet(&out.join("t.parquet")).num_rows(), 2);
}

#[test]
fn info_json_is_json_alone() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("t.tsv");
    std::fs::write(&input, "a\tb\n1\tx\n2\ty\n").unwrap();
    let v: serde_json::Value = serde_json::from_str(&ok(&["info", s(&input), "--json"])).unwrap();
    assert_eq!(v["format"], "csv");
    assert_eq!(v["details"]["delimiter"], "\t");
    assert_eq!(v["tables"][0]["rows"], 2);
    assert_eq!(v["tables"][0]["columns"][0]["type"], "int64");
    let f: serde_json::Value = serde_json::from_str(&ok(&["formats", "--json"])).unwrap();
    assert!(f["inputs"].as_array().unwrap().iter().any(|x| x["name"] == "csv"));
}

#[test]
fn usage_errors_exit_2_and_flags_go_anywhere() {
    assert_eq!(pyforge(&["convert"]).status.code(), Some(2));
    assert_eq!(pyforge(&["convert", "x.csv", "-f", "xlsx"]).status.code(), Some(2));
    assert!(ok(&["--version"]).starts_with("pyforge "));
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("q.csv");
    std::fs::write(&input, "a\n1\n").unwrap();
    assert_eq!(ok(&["convert", s(&input), "-q"]), "");
    assert_eq!(ok(&["-q", "validate", s(&input)]), "");
}

#[test]
fn partitions_compression_and_text_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("p.csv");
    std::fs::write(&input, "region,v\neu,1\nus,2\neu,3\n,4\n").unwrap();
    let out = dir.path().join("parts");
    ok(&["convert", s(&input), s(&out), "--partition-by", "region", "-c", "zstd"]);
    let eu = read_parquet(&out.join("region=eu/part-00000.parquet"));
    assert_eq!(eu.column(0).as_primitive::<Int64Type>().values().to_vec(), vec![1, 3]);
    assert!(out.join("region=__HIVE_DEFAULT_PARTITION__/part-00000.parquet").exists());
    let gz = dir.path().join("p.csv.gz");
    ok(&["convert", s(&input), s(&gz), "-f", "csv", "-c", "gzip"]);
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(File::open(&gz).unwrap()), &mut text).unwrap();
    assert_eq!(text, "region,v\neu,1\nus,2\neu,3\n,4\n");
    let err = fails(&["convert", s(&input), s(&dir.path().join("x.csv")), "-f", "csv", "-c", "snappy"]);
    assert!(err.contains("not available"), "{err}");
    let jsonl = dir.path().join("p.jsonl");
    ok(&["convert", s(&input), s(&jsonl), "-f", "jsonl", "--all-strings"]);
    let first = std::fs::read_to_string(&jsonl).unwrap().lines().next().unwrap().to_string();
    assert_eq!(first, r#"{"region":"eu","v":"1"}"#);
}

#[test]
fn batch_reports_each_failure_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("in");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(src.join("good.csv"), "a\n1\n").unwrap();
    std::fs::write(src.join("bad.csv"), "a,b\n1\n").unwrap();
    let out = dir.path().join("out");
    let res = pyforge(&["convert", s(&src), s(&out)]);
    assert_eq!(res.status.code(), Some(1));
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(err.contains("bad.csv") && err.contains("1 converted, 1 failed"), "{err}");
    assert_eq!(read_parquet(&out.join("good.parquet")).num_rows(), 1);
    assert!(!out.join("bad.parquet").exists());
}

#[test]
fn output_to_a_closed_pipe_ends_quietly() {
    // `pyforge info big.csv | head -1`: the reader goes away; no panic message, no traceback.
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("wide.csv");
    let header: Vec<String> = (0..20_000).map(|i| format!("column_number_{i}")).collect();
    std::fs::write(&csv, format!("{}\n{}\n", header.join(","), vec!["1"; 20_000].join(","))).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pyforge"))
        .args(["info", s(&csv)])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader closes at once; the output is far beyond a pipe buffer
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked") && !err.contains("Broken pipe"), "{err}");
    assert!(!out.status.success(), "a write to a closed pipe cannot succeed");
}

/// The typed request's list of option names (which Python uses to word messages) is the
/// command line's: every long option of every command, flag or not, exactly as clap has it.
#[test]
fn the_request_options_are_the_command_line_options() {
    use clap::CommandFactory;
    let cli = pyforge_cli::cli::Cli::command();
    let mut seen = std::collections::BTreeMap::new();
    for cmd in [cli.find_subcommand("convert").unwrap(), cli.find_subcommand("info").unwrap()] {
        for arg in cmd.get_arguments() {
            let (Some(long), false) = (arg.get_long(), arg.is_hide_set() && arg.get_id() != "output_stem") else {
                continue;
            };
            if ["help", "version", "verbose", "quiet", "json"].contains(&long) {
                continue;
            }
            seen.insert(long.replace('-', "_"), arg.get_action().takes_values());
        }
    }
    let listed: std::collections::BTreeMap<String, bool> =
        pyforge_core::request::OPTIONS.iter().map(|(n, v)| (n.to_string(), *v)).collect();
    assert_eq!(seen, listed);
}
