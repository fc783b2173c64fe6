#!/usr/bin/env bash
# Installs what the tests need and runs every test: Rust unit and integration tests, then the
# Python differential tests against reference readers (pyarrow, mdbtools, ...) over the
# repository's testdata/.
# Used by the README's quick start and by CI (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

# Each stage's wall time, printed at the end (also when a stage fails), to keep CI short.
STAGE_NAME="" STAGE_START=$SECONDS STAGE_TIMES=()
stage() {
  [ -n "$STAGE_NAME" ] && STAGE_TIMES+=("$(printf '%6ds  %s' $((SECONDS - STAGE_START)) "$STAGE_NAME")")
  STAGE_NAME=$1 STAGE_START=$SECONDS
  [ -n "$1" ] && echo "== $1"
  return 0
}
trap 'stage ""; printf "%s\n" "== stage times (total ${SECONDS}s):" "${STAGE_TIMES[@]}"' EXIT
stage "system packages"

# Debian packages (reference readers such as mdbtools), installed when missing.
mapfile -t APT < <(grep -v '^#' tests/apt-packages.txt | sed '/^\s*$/d')
MISSING=()
for p in "${APT[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || MISSING+=("$p"); done
if [ ${#MISSING[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${MISSING[@]}"
fi

stage "python test venv"
# Python test dependencies, in a venv of our own so nothing global is touched.
VENV=${PYFORGE_TEST_VENV:-.venv-test}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt

stage "house rules"
# House rules first (seconds): formatting as rustfmt.toml says, and no function in src/ over
# about 80 lines (the ones that were longer are listed there and may only shrink).
cargo fmt --all --check
python3 scripts/check_function_length.py
# ... and no new import circles between modules (the ones left are listed there).
python3 scripts/check_module_cycles.py

stage "release build"
# One release build serves the Python tests and the wheel: the whole workspace in one go, so
# the CLI, `cargo test` and maturin resolve the same features and share every artifact.
cargo build --release --locked --workspace
export PYFORGE_BIN="$PWD/target/release/pyforge"

stage "clippy"
# Lints of every crate and target; a warning fails the run.
cargo clippy --release --locked --workspace --all-targets -- -D warnings

stage "rust tests"
# (pyforge-python has no Rust tests: it is tested as an installed wheel below.)
cargo test --release --locked --workspace

stage "tests/python"
"$VENV/bin/python" -m pytest -q tests/python "$@"

stage "python packages"
# The Python packages (a manylinux2014 abi3 wheel built with maturin from the build above, and
# pyforge-databricks), installed into Python 3.10, 3.12 (PySpark local[2] and Connect for the
# Spark parts) and 3.13 venvs.
PYFORGE_TEST_VENV="$VENV" bash scripts/test_python_packages.sh

stage "fuzz smoke"
# Fuzzing smoke (issue 10): every fuzz target's harness for 40 s on mutated corpus files, two
# at a time, from the release build above (crates/pyforge-core/tests/core/fuzz_smoke.rs says why
# this is not libFuzzer in CI; scripts/fuzz.sh runs the coverage-guided targets).
# PYFORGE_FUZZ_SMOKE_SECONDS=0 skips it.
if [ "${PYFORGE_FUZZ_SMOKE_SECONDS:-40}" != 0 ]; then
  PYFORGE_FUZZ_SMOKE_SECONDS=${PYFORGE_FUZZ_SMOKE_SECONDS:-40} \
    cargo test --release --locked --workspace --test core -- --ignored --nocapture fuzz_smoke::fuzz_smoke_every_target
fi
