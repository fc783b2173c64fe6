#!/usr/bin/env bash
# Builds the Python distributions and tests them installed, as users get them:
#   pyforge-core       (maturin, the Rust converter as pyforge_core._native and the pyforge
#                       binary as its command; one abi3 wheel, manylinux2014 = glibc 2.17,
#                       checked with auditwheel and readelf)
#   pyforge-databricks (pure Python)
# into three venvs: Python 3.10 with Databricks serverless v1's pins (pyarrow 14.0.1, pandas
# 1.5.3, numpy 1.23.5), Python 3.12 with current versions and PySpark (local[2] on Java 17), and
# Python 3.13 with current versions (the API tests, no Spark).
# Called by scripts/test.sh (after the Rust build, whose artifacts the wheel build reuses);
# runs alone too. Extra arguments go to pytest. SPARK_CSV_LIMIT (default 8) is how many files of
# testdata/csv the spark-strategy test converts per session kind (0: all of them, ~1000).
set -euo pipefail
cd "$(dirname "$0")/.."

PYENV_ROOT=${PYENV_ROOT:-$HOME/.pyenv}
python_for() {  # the newest pyenv CPython of a minor version, else pythonX.Y on PATH
  local v=$1 found
  found=$(ls -d "$PYENV_ROOT"/versions/"$v".* 2>/dev/null | sort -V | tail -n1 || true)
  if [ -n "$found" ] && [ -x "$found/bin/python" ]; then echo "$found/bin/python"; return; fi
  command -v "python$v" || { echo "Python $v not found (pyenv install $v)" >&2; exit 1; }
}
PIP_QUIET=(--quiet --disable-pip-version-check)
mark() { echo "-- python packages at ${SECONDS}s: $1"; }

# 1. Wheels.
BUILD_VENV=.venv-build
[ -x "$BUILD_VENV/bin/python" ] || python3 -m venv "$BUILD_VENV"
"$BUILD_VENV/bin/python" -m pip install "${PIP_QUIET[@]}" "maturin==1.16.0" "ziglang==0.17.1" "auditwheel==6.8.2" \
  "setuptools>=61" wheel
WHEELS=target/wheels
rm -rf "$WHEELS" && mkdir -p "$WHEELS"
# pyforge-core for manylinux2014 (glibc 2.17 and later). Linked as cargo links it, the module
# takes this machine's newest symbol versions (pthread_create@GLIBC_2.34, pow@GLIBC_2.29,
# hypotf@GLIBC_2.35 on Debian 12): a manylinux_2_35 wheel. `maturin build --zig` links against
# glibc 2.17 instead, but passes an explicit --target, so every crate is built a second time
# (a full release build, ~20 CPU-minutes). Only the final link needs zig: -C linker after `--`
# reaches the pyforge-python crate alone, the other artifacts are the workspace build's.
# maturin refuses the wheel if a symbol is newer than the policy; auditwheel checks it below.
# The wheel's `pyforge` command is the binary of crates/pyforge-cli, linked the same way (its
# final link alone with zig), then copied into maturin's wheel data folder (pyproject.toml):
# the wheel carries it as pyforge_core-<version>.data/scripts/pyforge, which pip installs into
# the environment's bin/. The folder is removed once the wheel is built, so that no later build
# (`maturin build`, `pip install .`) picks up a stale binary. (This link replaces
# target/release/pyforge, the same program; the next `cargo build` links it again its own way.)
WHEEL_DATA=pyforge_core._native.data
CARGO_TARGET=${CARGO_TARGET_DIR:-target}
rm -rf "$WHEEL_DATA"
trap 'rm -rf "$WHEEL_DATA"' EXIT
PYFORGE_BUILD_VENV="$PWD/$BUILD_VENV" cargo rustc --release --locked -p pyforge-cli --bin pyforge \
  -- -C linker="$PWD/scripts/zig-cc-manylinux2014.sh"
mkdir -p "$WHEEL_DATA/scripts"
cp "$CARGO_TARGET/release/pyforge" "$WHEEL_DATA/scripts/pyforge"
PYFORGE_BUILD_VENV="$PWD/$BUILD_VENV" "$BUILD_VENV/bin/maturin" build --release --locked --compatibility manylinux2014 \
  --out "$WHEELS" --interpreter "$(python_for 3.10)" -- -C linker="$PWD/scripts/zig-cc-manylinux2014.sh" \
  2>&1 | tee target/maturin-build.log
# maturin builds pyforge-python alone; its dependencies must resolve to the workspace build's
# features (crates/pyforge-python/Cargo.toml says how), or the shared crates compile again.
if grep -E "Compiling (libc|arrow-array|parquet|tokio) " target/maturin-build.log; then
  echo "the wheel's build compiled shared crates again: their features differ from the workspace build's" >&2
  exit 1
fi
rm -rf "$WHEEL_DATA"
rm -rf python/pyforge-databricks/build python/pyforge-databricks/*.egg-info  # no stale copies in the wheel
"$BUILD_VENV/bin/python" -m pip wheel "${PIP_QUIET[@]}" --no-deps --no-build-isolation --wheel-dir "$WHEELS" python/pyforge-databricks
CORE_WHEEL=$(ls "$WHEELS"/pyforge_core-*.whl)
DBX_WHEEL=$(ls "$WHEELS"/pyforge_databricks-*.whl)
echo "wheels: $CORE_WHEEL $DBX_WHEEL"
ls -l "$CORE_WHEEL"
# auditwheel's verdict: manylinux2014 (glibc 2.17) and abi3, and the pyforge binary in the wheel,
# needing glibc 2.17 at most; or the run fails.
bash scripts/check_manylinux2014.sh "$BUILD_VENV/bin/auditwheel" "$CORE_WHEEL"
mark "wheels built and checked"

# minilake (a local Databricks API emulator) comes from the CLI tests' venv.
export PYFORGE_MINILAKE=${PYFORGE_MINILAKE:-$PWD/${PYFORGE_TEST_VENV:-.venv-test}/bin/minilake}

# 2. Python 3.10, serverless v1 pins; the API and Databricks tests (no Spark there: the Spark
#    modules test_spark.py and test_spark_tables.py run in 3.12).
V310=.venv-py310
[ -x "$V310/bin/python" ] || "$(python_for 3.10)" -m venv "$V310"
"$V310/bin/python" -m pip install "${PIP_QUIET[@]}" pyarrow==14.0.1 pandas==1.5.3 numpy==1.23.5 pytest==8.3.4 databricks-sdk==0.150.0
"$V310/bin/python" -m pip install "${PIP_QUIET[@]}" --force-reinstall --no-deps "$CORE_WHEEL" "$DBX_WHEEL"
"$V310/bin/python" -m pytest -q -p no:cacheprovider tests/python_pkg --deselect tests/python_pkg/test_spark.py \
  --deselect tests/python_pkg/test_spark_tables.py "$@"

# 3. Python 3.13, current versions: the wheels installed and the API tests (samples converted
#    and read back with pyarrow, pyforge_databricks imported and used; no Spark).
mark "Python 3.10 done"
V313=.venv-py313
[ -x "$V313/bin/python" ] || "$(python_for 3.13)" -m venv "$V313"
"$V313/bin/python" -m pip install "${PIP_QUIET[@]}" pyarrow pytest==8.3.4 databricks-sdk==0.150.0
"$V313/bin/python" -m pip install "${PIP_QUIET[@]}" --force-reinstall --no-deps "$CORE_WHEEL" "$DBX_WHEEL"
"$V313/bin/python" -m pytest -q -p no:cacheprovider tests/python_pkg --deselect tests/python_pkg/test_spark.py \
  --deselect tests/python_pkg/test_spark_tables.py "$@"

# 4. Python 3.12, current versions and PySpark, classic (local[2]) and Spark Connect
#    (remote("local[2]"), whose client needs grpcio, grpcio-status, googleapis-common-protos,
#    zstandard and pandas).
mark "Python 3.13 done"
V312=.venv-py312
[ -x "$V312/bin/python" ] || "$(python_for 3.12)" -m venv "$V312"
"$V312/bin/python" -m pip install "${PIP_QUIET[@]}" pyarrow pandas pyspark==4.0.1 pytest==8.3.4 databricks-sdk==0.150.0 \
  grpcio grpcio-status googleapis-common-protos zstandard
"$V312/bin/python" -m pip install "${PIP_QUIET[@]}" --force-reinstall --no-deps "$CORE_WHEEL" "$DBX_WHEEL"
SPARK_CSV_LIMIT=${SPARK_CSV_LIMIT:-8} "$V312/bin/python" -m pytest -q -p no:cacheprovider tests/python_pkg "$@"
mark "Python 3.12 (Spark) done"
