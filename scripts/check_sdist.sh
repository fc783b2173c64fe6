#!/usr/bin/env bash
# The source distribution of pyforge-core, as a user without a matching wheel gets it:
# `maturin sdist`, its contents checked (the workspace crates pyforge-python needs, Cargo.lock,
# the Python package), then a wheel built from the sdist alone in an empty folder (pip's build
# isolation takes maturin from PyPI, cargo the crates from crates.io; locked to Cargo.lock),
# installed into a fresh Python 3.10 venv with pyforge-databricks, and the wheel tests of the
# core API run there (tests/python_pkg/test_core_api.py: samples converted and read back).
# That wheel has no `pyforge` command: maturin builds one Cargo artifact from the sdist (the
# module), and the binary a binary wheel carries is built apart (scripts/test_python_packages.sh).
# So the tests that run the command (marked `console`) are deselected, and this checks instead
# that `python -m pyforge_core` says how to get the command and exits with 1.
# Not part of scripts/test.sh: the wheel from the sdist is a full release build of its own
# (about 20 CPU-minutes, 30 minutes of wall time on 2 busy cores). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

PYENV_ROOT=${PYENV_ROOT:-$HOME/.pyenv}
PY310=$(ls -d "$PYENV_ROOT"/versions/3.10.* 2>/dev/null | sort -V | tail -n1 || true)
PY310=${PY310:+$PY310/bin/python}
PY310=${PY310:-$(command -v python3.10 || true)}
[ -n "$PY310" ] || { echo "Python 3.10 not found (pyenv install 3.10)" >&2; exit 1; }
PIP_QUIET=(--quiet --disable-pip-version-check)

BUILD_VENV=.venv-build
[ -x "$BUILD_VENV/bin/python" ] || python3 -m venv "$BUILD_VENV"
"$BUILD_VENV/bin/python" -m pip install "${PIP_QUIET[@]}" "maturin==1.16.0" "setuptools>=61" wheel

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$BUILD_VENV/bin/maturin" sdist --out "$WORK/sdist"
SDIST=$(ls "$WORK"/sdist/pyforge_core-*.tar.gz)
echo "sdist: $SDIST ($(du -h "$SDIST" | cut -f1))"

# What the build needs, by name (the top folder is pyforge_core-<version>/).
LISTING=$(tar tzf "$SDIST" | cut -d/ -f2- | sort)
MISSING=()
for f in pyproject.toml Cargo.toml Cargo.lock PKG-INFO README.md \
  crates/pyforge-python/Cargo.toml crates/pyforge-python/src/lib.rs \
  crates/pyforge-core/Cargo.toml crates/pyforge-core/src/lib.rs \
  crates/pyforge-databricks/Cargo.toml crates/pyforge-databricks/src/lib.rs \
  crates/pyforge-samples/Cargo.toml crates/pyforge-samples/src/lib.rs \
  python/pyforge_core/__init__.py python/pyforge_core/_native.pyi python/pyforge_core/py.typed; do
  grep -qxF "$f" <<<"$LISTING" || MISSING+=("$f")
done
# Every workspace member's manifest: cargo loads the whole workspace from the sdist's Cargo.toml.
for m in $(sed -nE 's/^members = \[(.*)\]/\1/p' Cargo.toml | tr -d '",'); do
  grep -qxF "$m/Cargo.toml" <<<"$LISTING" || MISSING+=("$m/Cargo.toml")
done
if [ ${#MISSING[@]} -gt 0 ]; then
  echo "FAIL: the sdist lacks: ${MISSING[*]}" >&2
  exit 1
fi

# A wheel from the sdist alone, away from the repository and its target/.
mkdir "$WORK/build"
cp "$SDIST" "$WORK/build/"
START=$(date +%s)
(cd "$WORK/build" && env -u CARGO_TARGET_DIR "$PY310" -m pip wheel "${PIP_QUIET[@]}" --no-deps --wheel-dir "$WORK/wheels" ./"$(basename "$SDIST")")
echo "wheel from the sdist built in $(( $(date +%s) - START )) s: $(ls "$WORK"/wheels)"

"$PY310" -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install "${PIP_QUIET[@]}" pyarrow pytest==8.3.4
rm -rf python/pyforge-databricks/build python/pyforge-databricks/*.egg-info  # no stale copies in the wheel
"$WORK/venv/bin/python" -m pip install "${PIP_QUIET[@]}" "$WORK"/wheels/pyforge_core-*.whl python/pyforge-databricks
"$WORK/venv/bin/python" -c 'import pyforge_databricks, pyforge_core; print("pyforge_core", pyforge_core.__version__, "from", pyforge_core.__file__)'
# No command, and `python -m pyforge_core` a clear error: exit code 1, no traceback.
if [ -e "$WORK/venv/bin/pyforge" ]; then
  echo "FAIL: the wheel from the sdist installed a pyforge command: $WORK/venv/bin/pyforge" >&2
  exit 1
fi
RC=0
MSG=$("$WORK/venv/bin/python" -m pyforge_core --version 2>&1) || RC=$?
if [ "$RC" -ne 1 ] || ! grep -q "cargo install --path crates/pyforge-cli" <<<"$MSG" || grep -q Traceback <<<"$MSG"; then
  echo "FAIL: python -m pyforge_core without the binary: exit code $RC, said: $MSG" >&2
  exit 1
fi
echo "ok: python -m pyforge_core without the binary exits with 1 and says: $MSG"
# The tests that run the `pyforge` command (marked `console`) need the binary this wheel lacks.
"$WORK/venv/bin/python" -m pytest -q -p no:cacheprovider -m "not console" tests/python_pkg/test_core_api.py "$@"
