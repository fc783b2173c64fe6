#!/bin/sh
# The linker of pyforge_core._native and of the pyforge binary for a manylinux2014 wheel:
# `zig cc` against glibc 2.17's symbol versions, through maturin's own zig wrapper (the argument
# handling of `maturin build --zig`). scripts/test_python_packages.sh passes it to the final crate
# only (`maturin build ... -- -C linker=THIS`, `cargo rustc -p pyforge-cli --bin pyforge -- -C
# linker=THIS`), so every other artifact of the workspace's release build is reused as it is.
# PYFORGE_BUILD_VENV is the venv with maturin and ziglang.
set -e
: "${PYFORGE_BUILD_VENV:?PYFORGE_BUILD_VENV (the venv with maturin and ziglang) is not set}"
# maturin finds zig as `python3 -m ziglang` on PATH.
PATH="$PYFORGE_BUILD_VENV/bin:$PATH"
export PATH
exec "$PYFORGE_BUILD_VENV/bin/maturin" zig cc -- -target "$(uname -m)-linux-gnu.2.17" "$@"
