//! Every input the fuzzers ever broke a reader with (`fuzz/regressions/<target>/`) is read
//! again through the fuzz targets' own driving code: it must end (Ok or a clear error) within
//! a time bound, with no panic outside a guarded dependency. See fuzz/README.md.
//!
//! Each test runs alone in a process of its own ([`in_own_process`]): the harness's panic
//! watch is process-wide, and would take the panics of the tests beside it in this binary for
//! the fuzz inputs' (and keep them quiet).

use std::path::PathBuf;
use std::sync::{mpsc, Mutex};
use std::time::Duration;

use pyforge_fuzz_support::{drive, TARGETS};

use crate::helpers::{fuzz_regressions, in_own_process, test_name};

/// Generous: the fuzzers allow 10 s per input in an instrumented build.
const PER_INPUT: Duration = Duration::from_secs(60);

/// Drive `bytes` through `target` in a thread; `Err` describes a finding or a hang.
/// One input at a time: the panic watch is process-wide.
fn check(target: &'static str, bytes: Vec<u8>) -> Result<String, String> {
    static SERIAL: Mutex<()> = Mutex::new(());
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let outcome = drive(target, &bytes);
        let _ = tx.send(match outcome.finding() {
            Some(why) => Err(why),
            None => Ok(match &outcome.error {
                Some(e) => format!("error: {e}"),
                None => format!("ok: {} tables, {} rows", outcome.tables, outcome.rows),
            }),
        });
    });
    rx.recv_timeout(PER_INPUT).unwrap_or_else(|_| Err(format!("no answer within {PER_INPUT:?}")))
}

#[test]
fn fuzz_regressions_end_cleanly() {
    if !in_own_process(&test_name(module_path!(), "fuzz_regressions_end_cleanly")) {
        return;
    }
    let mut failures = Vec::new();
    let mut checked = 0;
    for &(target, _, _) in TARGETS {
        let dir = fuzz_regressions().join(target);
        let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
            Ok(entries) => entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect(),
            Err(_) => Vec::new(),
        };
        files.sort();
        for file in files {
            let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            checked += 1;
            match check(target, bytes) {
                Ok(what) => eprintln!("{target} {}: {what}", file.display()),
                Err(why) => failures.push(format!("{target} {}: {why}", file.display())),
            }
        }
    }
    eprintln!("{checked} regression inputs checked");
    assert!(failures.is_empty(), "fuzz regressions failing:\n{}", failures.join("\n"));
}

/// The driver itself: trivial inputs reach every reader and end cleanly.
#[test]
fn every_target_survives_trivial_inputs() {
    if !in_own_process(&test_name(module_path!(), "every_target_survives_trivial_inputs")) {
        return;
    }
    for &(target, _, _) in TARGETS {
        for bytes in [&b""[..], b"\0", b"a,b\n1,2\n", b"PK\x03\x04", b"%PDF-1.4\n", b"<a><b>1</b></a>", b"[{\"a\":1}]"]
        {
            if let Err(why) = check(target, bytes.to_vec()) {
                panic!("{target} {bytes:?}: {why}");
            }
        }
    }
}
