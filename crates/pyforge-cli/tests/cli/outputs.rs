//! Snapshots of everything the command shows and writes for the bundled samples: `--help` of
//! every command, the `samples` listing, `info --json` and `convert` (Parquet bytes, JSON Lines
//! values, manifests, the printed lines) of every sample, and the messages of refused runs.
//!
//! A change to any of them is a snapshot diff: a refactor that should change nothing shows that
//! it did not, and a deliberate change is reviewed with `cargo insta review` (or accepted with
//! `INSTA_UPDATE=always`). Runs happen in a temporary folder with relative paths, so the
//! snapshots hold no machine's paths; only elapsed times are replaced.

use std::path::Path;
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

/// `pyforge ARGS` run in `dir`.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pyforge")).current_dir(dir).args(args).output().expect("run pyforge")
}

/// Stdout of a run that must succeed, elapsed times replaced.
fn ok_in(dir: &Path, args: &[&str]) -> String {
    let out = run_in(dir, args);
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    without_times(&String::from_utf8(out.stdout).expect("UTF-8 output"))
}

/// `(0.03 s)` and `(12.5 s)` become `(TIME)`: the only part of a run's lines that varies.
fn without_times(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('(') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let digits = after.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(after.len());
        if digits > 0 && after[digits..].starts_with(" s)") {
            out.push_str("(TIME)");
            rest = &after[digits + 3..];
        } else {
            out.push('(');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// The bundled samples, written into `dir/s`; returns the listing and the readable inputs
/// (memo sidecars are read with their table, not on their own).
fn samples_in(dir: &Path) -> (String, Vec<String>) {
    let listing = ok_in(dir, &["samples", "s"]);
    let mut inputs: Vec<String> = listing
        .lines()
        .filter(|l| !(l.ends_with(".fpt") || l.ends_with(".dbt")))
        .map(|l| l.trim().strip_prefix("s/").expect("listed under s/").to_string())
        .collect();
    inputs.sort();
    (listing, inputs)
}

/// Every file under `root`, sorted, as paths relative to it.
fn files_under(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("read output folder") {
            let path = entry.expect("folder entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push(path.strip_prefix(root).expect("under root").to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

/// One written file: its size and SHA-256; for text, its line count and first lines too
/// (manifests whole), so a snapshot diff shows what changed, not only that something did.
fn describe_file(path: &Path, name: &str) -> String {
    let bytes = std::fs::read(path).expect("read output");
    let mut text = format!("{name}: {} bytes, sha256 {:x}\n", bytes.len(), Sha256::digest(&bytes));
    let Ok(content) = std::str::from_utf8(&bytes) else { return text };
    if name.ends_with("_manifest.json") {
        text.push_str(content);
        text.push('\n');
        return text;
    }
    text.push_str(&format!("  {} lines\n", content.lines().count()));
    for line in content.lines().take(2) {
        let shown: String = line.chars().take(400).collect();
        text.push_str(&format!("  | {shown}\n"));
    }
    text
}

/// `convert` of `input` into `out_dir` with `extra` options: the printed lines, then each file
/// written.
fn converted(dir: &Path, input: &str, out_dir: &str, extra: &[&str]) -> String {
    let mut args = vec!["convert", input, "--output-dir", out_dir];
    args.extend_from_slice(extra);
    let mut text = ok_in(dir, &args);
    let root = dir.join(out_dir);
    for name in files_under(&root) {
        text.push_str(&describe_file(&root.join(&name), &name));
    }
    text
}

#[test]
fn help_of_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let commands: &[&[&str]] = &[
        &[],
        &["convert"],
        &["info"],
        &["validate"],
        &["schema"],
        &["formats"],
        &["samples"],
        &["env-info"],
        &["volumes"],
        &["volumes", "list"],
        &["volumes", "get"],
    ];
    for command in commands {
        let mut args = command.to_vec();
        args.push("--help");
        let name = if command.is_empty() { "pyforge".to_string() } else { command.join("_") };
        insta::assert_snapshot!(format!("help__{name}"), ok_in(dir.path(), &args));
    }
}

#[test]
fn samples_info_and_convert_of_every_sample() {
    let dir = tempfile::tempdir().unwrap();
    let (listing, inputs) = samples_in(dir.path());
    insta::assert_snapshot!("samples_listing", listing);
    assert!(inputs.len() >= 12, "samples: {inputs:?}");
    for input in &inputs {
        let path = format!("s/{input}");
        insta::assert_snapshot!(format!("info__{input}"), ok_in(dir.path(), &["info", "--json", &path]));
        let parquet = converted(dir.path(), &path, &format!("parquet/{input}"), &["--format", "parquet"]);
        insta::assert_snapshot!(format!("convert_parquet__{input}"), parquet);
        let jsonl = converted(dir.path(), &path, &format!("jsonl/{input}"), &["--format", "jsonl"]);
        insta::assert_snapshot!(format!("convert_jsonl__{input}"), jsonl);
    }
}

#[test]
fn messages_of_refused_runs() {
    let dir = tempfile::tempdir().unwrap();
    samples_in(dir.path());
    let d = dir.path();
    std::fs::write(d.join("trailing_comma.json"), "{\"a\": 1,}\n").unwrap();
    std::fs::write(d.join("unclosed.xml"), "<a><b></a>\n").unwrap();
    std::fs::write(d.join("data.xyz"), "x\n").unwrap();
    std::fs::write(d.join("ragged.csv"), "a,b\n1,2\n3,4,5\n").unwrap();
    std::fs::write(d.join("existing.parquet"), "not overwritten").unwrap();
    let cases: &[&[&str]] = &[
        &["convert", "missing.csv"],
        &["convert", "data.xyz"],
        &["convert", "trailing_comma.json", "out.parquet"],
        &["convert", "unclosed.xml", "out.parquet"],
        &["convert", "ragged.csv", "out.parquet"],
        &["convert", "s/sales.csv", "existing.parquet"],
        &["convert", "s/sales.csv", "s/sales.csv", "--force"],
        &["convert", "s/northwind_mini.mdb", "nw", "--tables", "Nope"],
        &["convert", "s/sales.xlsx", "x", "--tables", "Nope"],
        &["convert", "s/report.pdf", "r.txt", "--pages", "9"],
        &["convert", "s/sales.csv", "out.parquet", "--compression", "brotli"],
        &["info", "s/sales.csv", "--encoding", "no-such-encoding"],
        &["convert", "s/sales.csv", "out.parquet", "--format", "frob"],
        &["convert", "--unknown-option", "s/sales.csv"],
    ];
    let mut text = String::new();
    for args in cases {
        let out = run_in(d, args);
        assert!(!out.status.success(), "{args:?} should be refused");
        text.push_str(&format!("$ pyforge {}\nexit {:?}\n", args.join(" "), out.status.code()));
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        text.push('\n');
    }
    assert_eq!(std::fs::read_to_string(d.join("existing.parquet")).unwrap(), "not overwritten");
    insta::assert_snapshot!("refused_runs", text);
}
