//! The CI fuzzing smoke run (issue 10): every fuzz target's harness
//! ([`pyforge_fuzz_support::drive`], the code the libFuzzer targets in `fuzz/` call) fed
//! with mutated corpus files for a fixed time.
//!
//! Why not libFuzzer in CI: its coverage-instrumented build of every dependency costs about
//! 20 CPU-minutes from scratch (fuzz/RESULTS.md), more than the CI budget has room for. This
//! run reuses the release build `cargo test` already made; its mutations are blind (no coverage
//! feedback), so it catches regressions on inputs near the corpus — panics outside a guarded
//! dependency, hangs, process deaths — while the coverage-guided campaigns are run with
//! `scripts/fuzz.sh` (see fuzz/README.md).
//!
//! Run (ignored by a plain `cargo test`):
//!
//! ```sh
//! PYFORGE_FUZZ_SMOKE_SECONDS=60 cargo test --release -p pyforge-core --test core -- --ignored --nocapture fuzz_smoke::fuzz_smoke_every_target
//! ```
//!
//! `PYFORGE_FUZZ_SMOKE_JOBS` targets run at a time (default 2), each in a process of its own
//! (the harness's panic watch is process-wide, and a hung or dying reader must not take the
//! others with it). `PYFORGE_FUZZ_SMOKE_SEED` replays a run's mutations (printed per target).
//! A finding's input is written to `fuzz/artifacts/<target>/smoke-*`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use pyforge_fuzz_support::{drive, TARGETS};
use pyforge_samples::rng::SplitMix64 as Rng;

use crate::helpers::{fuzz_regressions, test_name};

/// Longest time one input may take (libFuzzer runs use 10 s in an instrumented build).
const PER_INPUT: Duration = Duration::from_secs(20);
/// Largest seed used: large seeds make few executions.
const SEED_MAX_BYTES: u64 = 256 << 10;

fn repo() -> PathBuf {
    pyforge_testdata::repo_root()
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Corpus folders and extensions `target` is seeded from: the lines of
/// `fuzz/seed-folders.txt` (the list `scripts/fuzz.sh` seeds libFuzzer from).
fn seed_sources(target: &str) -> Vec<(String, Vec<String>)> {
    let list = repo().join("fuzz/seed-folders.txt");
    let text = std::fs::read_to_string(&list).unwrap_or_else(|e| panic!("{}: {e}", list.display()));
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            (words.next() == Some(target))
                .then(|| (words.next().unwrap_or_default().to_string(), words.map(String::from).collect()))
        })
        .collect()
}

/// Files below `dir` with one of the extensions `exts` (every file if `exts` is `None`).
fn files_under(dir: &Path, exts: Option<&[String]>, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, exts, out);
        } else if exts.is_none_or(|exts| {
            p.extension().and_then(|x| x.to_str()).is_some_and(|x| exts.iter().any(|e| e.eq_ignore_ascii_case(x)))
        }) {
            out.push(p);
        }
    }
}

/// The seeds of `target`: corpus files up to [`SEED_MAX_BYTES`] plus the fuzz regressions.
fn seeds(target: &str) -> Vec<Vec<u8>> {
    let mut paths = Vec::new();
    for (folder, exts) in seed_sources(target) {
        let dir = repo().join(&folder);
        assert!(dir.is_dir(), "seed folder {folder} of fuzz/seed-folders.txt is missing");
        files_under(&dir, Some(&exts), &mut paths);
    }
    // Every regression input, as scripts/fuzz.sh takes them.
    files_under(&fuzz_regressions().join(target), None, &mut paths);
    paths.sort();
    paths
        .iter()
        .filter(|p| p.metadata().is_ok_and(|m| m.len() <= SEED_MAX_BYTES))
        .filter_map(|p| std::fs::read(p).ok())
        .collect()
}

/// Values that find off-by-one and overflow bugs in length and count fields.
const INTERESTING: [u32; 10] = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFF_FFFF, 0xFFFF_FFFF, 0x100];

/// One to eight stacked mutations of `input` (bytes, fields, ranges, splices with `other`).
fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..1 + rng.index(8) {
        let n = v.len();
        match rng.index(9) {
            0 if n > 0 => {
                let i = rng.index(n);
                v[i] ^= 1 << rng.index(8);
            }
            1 if n > 0 => {
                let i = rng.index(n);
                v[i] = rng.next() as u8;
            }
            2 if n >= 4 => {
                let i = rng.index(n - 3);
                let value = INTERESTING[rng.index(INTERESTING.len())];
                let width = [1usize, 2, 4][rng.index(3)];
                v[i..i + width].copy_from_slice(&value.to_le_bytes()[..width]);
            }
            3 if n > 1 => {
                let a = rng.index(n);
                let len = 1 + rng.index((n - a).min(256));
                v.drain(a..a + len);
            }
            4 if n > 1 => {
                let a = rng.index(n);
                let len = 1 + rng.index((n - a).min(256));
                let copy = v[a..a + len].to_vec();
                let at = rng.index(n);
                v.splice(at..at, copy);
            }
            5 => {
                let at = rng.index(n + 1);
                let bytes: Vec<u8> = (0..1 + rng.index(16)).map(|_| rng.next() as u8).collect();
                v.splice(at..at, bytes);
            }
            6 if n > 0 && !other.is_empty() => {
                let cut = rng.index(n);
                let from = rng.index(other.len());
                v.truncate(cut);
                v.extend_from_slice(&other[from..]);
            }
            7 if n > 1 => v.truncate(rng.index(n)),
            _ if n > 0 => {
                // A byte run repeated: long fields, deep nesting, many separators.
                let i = rng.index(n);
                let run = vec![v[i]; 1 + rng.index(64)];
                v.splice(i..i, run);
            }
            _ => v.push(rng.next() as u8),
        }
    }
    v
}

/// Keep a finding's input where fuzz/README.md says findings go; returns its path.
fn save(target: &str, exec: u64, bytes: &[u8]) -> PathBuf {
    let dir = repo().join("fuzz/artifacts").join(target);
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("smoke-{}-{exec}", std::process::id()));
    let _ = std::fs::write(&path, bytes);
    path
}

/// Where a child process keeps the input it is driving, rewritten before each one, so that an
/// input that kills the process (an allocation failure aborts, it cannot be caught) is kept.
fn current_input_path(target: &str, pid: u32) -> PathBuf {
    repo().join("fuzz/artifacts").join(target).join(format!("smoke-{pid}-current"))
}

/// The child process: fuzz `PYFORGE_FUZZ_SMOKE_TARGET` until the time is up.
#[test]
#[ignore = "run by fuzz_smoke_every_target in a process of its own"]
fn one_target() {
    let Ok(target) = std::env::var("PYFORGE_FUZZ_SMOKE_TARGET") else { return };
    let target: &'static str = TARGETS.iter().map(|t| t.0).find(|t| *t == target).expect("a known fuzz target");
    let seconds = env_u64("PYFORGE_FUZZ_SMOKE_SECONDS", 60);
    let clock = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let seed = env_u64("PYFORGE_FUZZ_SMOKE_SEED", clock ^ u64::from(std::process::id()) << 20);
    // Printed first: a process that dies prints no summary, and the seed replays its inputs.
    println!("fuzz-smoke {target}: seed {seed}");
    let seeds = seeds(target);
    assert!(!seeds.is_empty(), "no seeds for {target}");
    let current_path = current_input_path(target, std::process::id());
    std::fs::create_dir_all(current_path.parent().expect("a folder")).expect("create fuzz/artifacts");
    let current = std::fs::File::create(&current_path).expect("create the current-input file");
    let mut rng = Rng(seed);
    let (mut execs, mut errors) = (0u64, 0u64);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    // Every seed once as it is, alternating with mutations (so a large seed set does not take
    // the whole run), then mutations only.
    let mut pending: Vec<Vec<u8>> = seeds.clone();
    while Instant::now() < deadline {
        let input = match pending.pop() {
            Some(seed) if execs % 2 == 0 => seed,
            other => {
                pending.extend(other);
                let a = &seeds[rng.index(seeds.len())];
                let b = &seeds[rng.index(seeds.len())];
                mutate(&mut rng, a, b)
            }
        };
        {
            use std::os::unix::fs::FileExt;
            current
                .set_len(input.len() as u64)
                .and_then(|()| current.write_all_at(&input, 0))
                .expect("write the current input");
        }
        let (tx, rx) = mpsc::channel();
        let bytes = input.clone();
        std::thread::spawn(move || {
            let outcome = drive(target, &bytes);
            let _ = tx.send((outcome.finding(), outcome.error.is_some()));
        });
        execs += 1;
        match rx.recv_timeout(PER_INPUT) {
            Ok((None, failed)) => errors += u64::from(failed),
            Ok((Some(why), _)) => {
                let _ = std::fs::remove_file(&current_path);
                let path = save(target, execs, &input);
                panic!("{target}: finding after {execs} executions (seed {seed}): {why}\ninput: {}", path.display());
            }
            Err(_) => {
                let _ = std::fs::remove_file(&current_path);
                let path = save(target, execs, &input);
                // The reader's thread cannot be stopped: end the process.
                eprintln!("{target}: no answer within {PER_INPUT:?} (seed {seed})\ninput: {}", path.display());
                std::process::exit(3);
            }
        }
    }
    let _ = std::fs::remove_file(&current_path);
    println!(
        "fuzz-smoke {target}: {execs} executions in {seconds} s ({} errors, {} ok), {} seeds, seed {seed}",
        errors,
        execs - errors,
        seeds.len()
    );
}

/// Every target for `PYFORGE_FUZZ_SMOKE_SECONDS` each, `PYFORGE_FUZZ_SMOKE_JOBS` at a time.
#[test]
#[ignore = "the CI fuzzing smoke run: minutes long"]
fn fuzz_smoke_every_target() {
    let seconds = env_u64("PYFORGE_FUZZ_SMOKE_SECONDS", 60);
    let jobs = env_u64("PYFORGE_FUZZ_SMOKE_JOBS", 2).max(1) as usize;
    let exe = std::env::current_exe().expect("the test binary");
    // The child processes run `one_target` of this module, by its full name.
    let one_target = test_name(module_path!(), "one_target");
    let mut failures = Vec::new();
    for group in TARGETS.chunks(jobs) {
        let children: Vec<_> = group
            .iter()
            .map(|&(target, _, _)| {
                let child = Command::new(&exe)
                    .args(["--ignored", "--exact", &one_target, "--nocapture", "--test-threads=1"])
                    .env("PYFORGE_FUZZ_SMOKE_TARGET", target)
                    .env("PYFORGE_FUZZ_SMOKE_SECONDS", seconds.to_string())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("start a fuzzing process");
                (target, child)
            })
            .collect();
        for (target, mut child) in children {
            // The run, the last input's time limit, and start-up.
            let limit = Instant::now() + Duration::from_secs(seconds) + PER_INPUT + Duration::from_secs(60);
            let status = loop {
                match child.try_wait() {
                    Ok(Some(status)) => break Some(status),
                    Ok(None) if Instant::now() < limit => std::thread::sleep(Duration::from_millis(200)),
                    _ => {
                        let _ = child.kill();
                        let _ = child.wait();
                        break None;
                    }
                }
            };
            let mut out = String::new();
            let mut err = String::new();
            child.stdout.take().map(|mut s| s.read_to_string(&mut out));
            child.stderr.take().map(|mut s| s.read_to_string(&mut err));
            let summary: Vec<&str> = out.lines().filter_map(|l| l.find("fuzz-smoke").map(|i| &l[i..])).collect();
            eprintln!(
                "{}",
                if summary.is_empty() { format!("fuzz-smoke {target}: no summary") } else { summary.join("\n") }
            );
            let current = current_input_path(target, child.id());
            if status.is_none_or(|s| !s.success()) {
                if current.exists() {
                    failures.push(format!(
                        "{target}: the input being driven when the process ended: {}",
                        current.display()
                    ));
                }
                let tail: String =
                    err.lines().rev().take(30).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
                failures.push(format!(
                    "{target}: {}\n{tail}",
                    status.map_or("killed: the run did not end".to_string(), |s| s.to_string())
                ));
            } else if summary.is_empty() {
                // A process that ends well without a word ran no test: `--exact` matched none.
                failures.push(format!("{target}: no test named {one_target} ran\n{out}"));
            }
        }
    }
    assert!(failures.is_empty(), "fuzzing smoke run found problems:\n{}", failures.join("\n\n"));
}

#[test]
fn mutations_change_inputs_and_stay_reproducible() {
    let (mut a, mut b) = (Rng(7), Rng(7));
    let seed = b"name,age\nAda,36\n".to_vec();
    let (x, y) = (mutate(&mut a, &seed, b"<r/>"), mutate(&mut b, &seed, b"<r/>"));
    assert_eq!(x, y, "same seed, same mutation");
    let mut r = Rng(1);
    let changed = (0..100).filter(|_| mutate(&mut r, &seed, b"<r/>") != seed).count();
    assert!(changed >= 90, "only {changed} of 100 mutations changed the input");
}

#[test]
fn every_seed_folder_gives_seeds() {
    // A renamed test-data folder or a wrong extension in fuzz/seed-folders.txt would leave a
    // target fuzzing nothing but its regressions; each listed folder must give files.
    for &(target, _, _) in TARGETS {
        let sources = seed_sources(target);
        assert!(!sources.is_empty(), "{target}: no seed folder in fuzz/seed-folders.txt");
        for (folder, exts) in sources {
            let mut found = Vec::new();
            files_under(&repo().join(&folder), Some(&exts), &mut found);
            assert!(!found.is_empty(), "{target}: no {exts:?} file under {folder}");
        }
    }
    // The big folders stay big: the CSV and XML seeds are most of the test data's files.
    assert!(seeds("csv").len() >= 900, "{} csv seeds", seeds("csv").len());
    assert!(seeds("xml").len() >= 1000, "{} xml seeds", seeds("xml").len());
}
