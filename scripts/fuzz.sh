#!/usr/bin/env bash
# Fuzz PyForge's readers with libFuzzer (see fuzz/README.md).
#
#   scripts/fuzz.sh SECONDS [TARGET...]
#
# Installs cargo-fuzz if missing (into fuzz/tools/), builds every target in one cargo
# invocation on the stable toolchain (RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its few unstable
# flags), seeds each target's working corpus fuzz/corpus/<target>/ from the folders of
# fuzz/seed-folders.txt (the test data under testdata/) and
# fuzz/regressions/<target>/, runs each target for SECONDS (FUZZ_JOBS at a time, default 2),
# prints executions and coverage per target, and exits non-zero if any target found a crash,
# timeout or memory blow-up (the input stays in fuzz/artifacts/<target>/).
#
# Environment: FUZZ_JOBS (default 2),
# FUZZ_SEED_MAX_BYTES (largest seed copied, default 1 MiB), FUZZ_NICE (nice level, default 0),
# FUZZ_SKIP_BUILD=1 (run the targets already built), FUZZ_BUILD_ONLY=1 (build, then stop),
# FUZZ_BUILD_ARGS (extra cargo-fuzz build options).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

ALL_TARGETS=(csv access dbf xml json excel pdf)
if [ $# -lt 1 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
  echo "usage: $0 SECONDS [TARGET...]   (targets: ${ALL_TARGETS[*]})" >&2
  exit 2
fi
SECS=$1
shift
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=("${ALL_TARGETS[@]}")
for t in "${TARGETS[@]}"; do
  [[ " ${ALL_TARGETS[*]} " == *" $t "* ]] || { echo "unknown fuzz target: $t (targets: ${ALL_TARGETS[*]})" >&2; exit 2; }
done
JOBS=${FUZZ_JOBS:-2}
SEED_MAX=${FUZZ_SEED_MAX_BYTES:-1048576}
NICE=(nice -n "${FUZZ_NICE:-0}")
CARGO_FUZZ_VERSION=0.13.2

# cargo-fuzz: the one on PATH, else our own copy (about a minute to build).
if ! cargo fuzz --version >/dev/null 2>&1; then
  if [ ! -x fuzz/tools/bin/cargo-fuzz ]; then
    echo "== installing cargo-fuzz $CARGO_FUZZ_VERSION into fuzz/tools"
    t0=$(date +%s)
    "${NICE[@]}" cargo install --quiet --locked --root fuzz/tools --version "$CARGO_FUZZ_VERSION" cargo-fuzz
    echo "   installed in $(( $(date +%s) - t0 )) s"
  fi
  export PATH="$ROOT/fuzz/tools/bin:$PATH"
fi

# One build for all targets: release profile of fuzz/Cargo.toml (opt-level 1, overflow checks
# and debug assertions on), coverage instrumentation, no sanitizer.
# FUZZ_BUILD_ARGS adds cargo-fuzz build options, e.g. "--codegen-units 16" (cargo-fuzz forces
# 1 otherwise) to trade fuzzing speed for build time; see fuzz/README.md.
if [ "${FUZZ_SKIP_BUILD:-}" != 1 ]; then
  echo "== building fuzz targets"
  t0=$(date +%s)
  # shellcheck disable=SC2086
  (cd fuzz && RUSTC_BOOTSTRAP=1 "${NICE[@]}" cargo fuzz build -s none --release ${FUZZ_BUILD_ARGS:-})
  echo "   built in $(( $(date +%s) - t0 )) s"
fi
BIN_DIR=fuzz/target/x86_64-unknown-linux-gnu/release
[ "${FUZZ_BUILD_ONLY:-}" = 1 ] && exit 0

# Seeds: the corpus files each reader should see, up to SEED_MAX bytes, plus the regressions.
# One line per corpus folder: the folder, then the extensions taken from it (from
# fuzz/seed-folders.txt, which the CI smoke run reads too).
seed_dirs() {
  awk -v t="$1" '$1 == t { $1 = ""; sub(/^ +/, ""); print }' fuzz/seed-folders.txt
}
seed() {
  local t=$1 dst=fuzz/corpus/$1 n=0 folder exts e f rel
  mkdir -p "$dst" "fuzz/artifacts/$t"
  while read -r folder exts; do
    [ -d "$folder" ] || { echo "seed folder $folder (fuzz/seed-folders.txt) is missing" >&2; exit 1; }
    for e in $exts; do
      while IFS= read -r -d '' f; do
        rel=${f#"$folder/"}
        cp -n "$f" "$dst/${folder//\//__}__${rel//\//__}"
        n=$((n + 1))
      done < <(find "$folder" -type f -iname "*.$e" -size -"$((SEED_MAX + 1))"c -print0)
    done
  done < <(seed_dirs "$t")
  if [ -d "fuzz/regressions/$t" ]; then
    for f in "fuzz/regressions/$t"/*; do
      [ -f "$f" ] && cp -n "$f" "$dst/regression-$(basename "$f")" && n=$((n + 1))
    done
  fi
  echo "   $t: $n seeds"
}
echo "== seeding fuzz/corpus/"
for t in "${TARGETS[@]}"; do seed "$t"; done

mkdir -p fuzz/logs
run_one() {
  local t=$1 log=fuzz/logs/$1.log rc=0
  "${NICE[@]}" "$BIN_DIR/$t" "fuzz/corpus/$t" \
    -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="fuzz/artifacts/$t/" >"$log" 2>&1 || rc=$?
  echo "$rc" >"fuzz/logs/$t.rc"
}

echo "== fuzzing ${TARGETS[*]}: $SECS s each, $JOBS at a time"
t0=$(date +%s)
running=0
for t in "${TARGETS[@]}"; do
  rm -f "fuzz/logs/$t.rc"
  if [ "$running" -ge "$JOBS" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  run_one "$t" &
  running=$((running + 1))
done
wait || true
echo "   fuzzed in $(( $(date +%s) - t0 )) s"

# Per target: executions, speed, coverage (libFuzzer's last status line and final stats).
failed=()
printf '%-8s %12s %9s %8s %8s %8s  %s\n' target execs exec/s cov ft corpus result
for t in "${TARGETS[@]}"; do
  log=fuzz/logs/$t.log
  rc=$(cat "fuzz/logs/$t.rc" 2>/dev/null || echo "?")
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1 || true)
  cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.*corp: \([0-9]*\).*/\1/p' <<<"$last")
  if [ "$rc" = 0 ]; then
    result=ok
  else
    result="FAILED (exit $rc; log $log)"
    failed+=("$t")
  fi
  printf '%-8s %12s %9s %8s %8s %8s  %s\n' "$t" "${execs:-?}" "${speed:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result"
done
if [ ${#failed[@]} -gt 0 ]; then
  for t in "${failed[@]}"; do
    echo "---- $t: end of fuzz/logs/$t.log"
    grep -E 'pyforge fuzz finding|ERROR: libFuzzer|panicked|SUMMARY|Test unit written|deadly signal|timeout|out-of-memory' "fuzz/logs/$t.log" | head -20 || true
    ls -l "fuzz/artifacts/$t/" 2>/dev/null || true
  done
  echo "fuzzing found problems in: ${failed[*]} (inputs in fuzz/artifacts/<target>/; see fuzz/README.md)" >&2
  exit 1
fi
