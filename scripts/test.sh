#!/usr/bin/env bash
# Installs what the tests need and runs every test: Rust unit and integration tests, then the
# Python differential tests against reference readers (pyarrow, ...) over ../shared/corpus.
# Used by the README's quick start and by CI (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages (reference readers such as mdbtools), installed when missing.
mapfile -t APT < <(grep -v '^#' tests/apt-packages.txt | sed '/^\s*$/d')
MISSING=()
for p in "${APT[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || MISSING+=("$p"); done
if [ ${#MISSING[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${MISSING[@]}"
fi

# Python test dependencies, in a venv of our own so nothing global is touched.
VENV=${PYFORGE_TEST_VENV:-.venv-test}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt

# One release build serves the Python tests and the wheel: the whole workspace in one go, so
# the CLI, `cargo test` and maturin resolve the same features and share every artifact.
cargo build --release --locked --workspace
export PYFORGE_BIN="$PWD/target/release/pyforge"

# (pyforge-python has no Rust tests: it is tested as an installed wheel below.)
cargo test --release --locked --workspace

# Fuzzing smoke (issue 10), part 1: the instrumented fuzz targets are built in the background
# (niced) while the Python tests run, which leave a core idle much of the time (subprocesses,
# JVM start-up, package downloads). PYFORGE_FUZZ_SECONDS=0 skips fuzzing.
FUZZ_SECONDS=${PYFORGE_FUZZ_SECONDS:-60}
FUZZ_BUILD_PID=""
if [ "$FUZZ_SECONDS" != 0 ]; then
  mkdir -p fuzz/logs
  rm -f fuzz/logs/ci-build.rc
  # In a session of its own, so that the whole build can be stopped at once.
  setsid bash -c 'rc=0; FUZZ_BUILD_ONLY=1 FUZZ_NICE=10 bash scripts/fuzz.sh 0 >fuzz/logs/ci-build.log 2>&1 || rc=$?
    echo "$rc" >fuzz/logs/ci-build.rc' &
  FUZZ_BUILD_PID=$!
  # Stop the background build if a test stage fails and the script exits early.
  trap '[ -n "$FUZZ_BUILD_PID" ] && kill -- "-$FUZZ_BUILD_PID" 2>/dev/null; true' EXIT
fi

"$VENV/bin/python" -m pytest -q tests/python "$@"

# The Python packages (wheels built with maturin, installed into Python 3.10 and 3.12 venvs,
# PySpark local[2] for the Spark parts).
PYFORGE_TEST_VENV="$VENV" bash scripts/test_python_packages.sh

# Fuzzing smoke, part 2: every reader's target for FUZZ_SECONDS (60) seconds, two at a time,
# from seeds out of ../shared/corpus; any crash, hang or memory blow-up fails the run.
if [ -n "$FUZZ_BUILD_PID" ]; then
  wait "$FUZZ_BUILD_PID" || true
  FUZZ_BUILD_PID=""
  if [ "$(cat fuzz/logs/ci-build.rc 2>/dev/null)" != 0 ]; then
    tail -40 fuzz/logs/ci-build.log >&2
    echo "building the fuzz targets failed (fuzz/logs/ci-build.log)" >&2
    exit 1
  fi
  grep -E "built in|installed in" fuzz/logs/ci-build.log || true
  FUZZ_SKIP_BUILD=1 bash scripts/fuzz.sh "$FUZZ_SECONDS"
fi
