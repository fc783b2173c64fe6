//! Helpers shared by the test modules: test files and test data, a table read whole, a column's
//! values, and a test run in a process of its own. Helpers that only one module uses, or whose
//! behaviour differs between modules (a reader that retries on a widened schema, one that must
//! find exactly one table...), stay in their module.

use std::path::{Path, PathBuf};
use std::process::Command;

use arrow::array::{Array, AsArray};
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use pyforge_core::{open, ReadOptions, Source};

/// `dir/name`, written with `bytes`.
pub fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    p
}

/// A database of Jackcess' test suite: `testdata/access/jackcess/test__data__<name>`.
pub fn jackcess(name: &str) -> PathBuf {
    pyforge_testdata::path(&format!("access/jackcess/test__data__{name}"))
}

/// `fuzz/regressions/`: a folder per fuzz target, holding every input the fuzzers ever broke a
/// reader with (see fuzz/README.md).
pub fn fuzz_regressions() -> PathBuf {
    pyforge_testdata::repo_root().join("fuzz/regressions")
}

/// All batches of `table` in `source`, concatenated.
pub fn read_table(source: &dyn Source, table: &str) -> RecordBatch {
    let stream = source.open_table(table).unwrap_or_else(|e| panic!("{table}: {e}"));
    let schema = stream.schema();
    let batches: Vec<RecordBatch> = stream.map(|b| b.unwrap()).collect();
    arrow::compute::concat_batches(&schema, &batches).unwrap()
}

/// All batches of `table` in the file at `path` (default options), concatenated.
pub fn read_file_table(path: &Path, table: &str) -> RecordBatch {
    let source = open(path, &ReadOptions::default()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    read_table(source.as_ref(), table)
}

/// The values of the text (Utf8) column `col`; any other type panics.
pub fn strings(b: &RecordBatch, col: &str) -> Vec<Option<String>> {
    let a = b.column_by_name(col).unwrap_or_else(|| panic!("no column {col}"));
    let a = a.as_string::<i32>();
    (0..a.len()).map(|i| a.is_valid(i).then(|| a.value(i).to_string())).collect()
}

/// The values of column `col` of any type, as Arrow casts them to text.
pub fn cast_strings(b: &RecordBatch, col: &str) -> Vec<Option<String>> {
    let a = b.column_by_name(col).unwrap_or_else(|| panic!("no column {col}: {:?}", b.schema()));
    let a = arrow::compute::cast(a, &DataType::Utf8).unwrap();
    let a = a.as_string::<i32>();
    (0..a.len()).map(|i| a.is_valid(i).then(|| a.value(i).to_string())).collect()
}

/// `v` as column values, none of them null (to compare with [`strings`]).
pub fn some(v: &[&str]) -> Vec<Option<String>> {
    v.iter().map(|s| Some(s.to_string())).collect()
}

/// The name the test harness gives the test `test` of the module whose `module_path!()` is
/// `module` (the path without the crate's name: `fuzz_smoke::one_target`).
pub fn test_name(module: &str, test: &str) -> String {
    match module.split_once("::") {
        Some((_crate, path)) => format!("{path}::{test}"),
        None => test.to_string(),
    }
}

/// Run the test `name` ([`test_name`]) alone in a process of its own: for the tests that drive
/// the fuzz harness, whose panic hook is process-wide and would record (and keep quiet) the
/// panics of the tests running beside them in this binary.
///
/// Returns true in that process, where the caller goes on with the test's body. In the calling
/// process it starts this test binary again for `name` only, passes its output on, fails if the
/// test failed there or did not run, and returns false.
pub fn in_own_process(name: &str) -> bool {
    const VAR: &str = "PYFORGE_TEST_OWN_PROCESS";
    if std::env::var(VAR).is_ok_and(|v| v == name) {
        return true;
    }
    let exe = std::env::current_exe().expect("the test binary");
    let out = Command::new(exe)
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(VAR, name)
        .output()
        .unwrap_or_else(|e| panic!("{name}: cannot start its process: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    print!("{stdout}");
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{name} failed in its own process ({})", out.status);
    assert!(stdout.contains("test result: ok. 1 passed"), "{name}: its process ran no test:\n{stdout}");
    false
}
