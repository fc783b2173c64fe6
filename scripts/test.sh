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

# One release build serves the Python tests; cargo test builds its own profile.
cargo build --release --locked -p pyforge-cli
export PYFORGE_BIN="$PWD/target/release/pyforge"

cargo test --release --locked --workspace
"$VENV/bin/python" -m pytest -q tests/python "$@"

# Fuzzing smoke (issue 10): every reader's libFuzzer target for 60 s, two at a time. Not on by
# default: building the instrumented targets from scratch costs more than the CI budget allows
# (figures in fuzz/RESULTS.md). Enable when the CI machine keeps fuzz/target/ between runs or
# has the cores for it.
# bash scripts/fuzz.sh 60
