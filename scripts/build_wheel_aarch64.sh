#!/usr/bin/env bash
# pyforge-core for aarch64 Linux (Graviton and other Arm machines), cross-built on x86_64:
# a manylinux2014 abi3 wheel in target/wheels/, compiled and linked with zig against glibc 2.17
# (`maturin build --target aarch64-unknown-linux-gnu --zig`) and checked with auditwheel.
# Not part of scripts/test.sh: it is a full release build of its own (about 19 CPU-minutes,
# 21 minutes of wall time on 2 cores), and this machine cannot run the result (tested by hand
# under qemu-aarch64 with Debian's arm64 Python 3.11; see docs/ARCHITECTURE.md).
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=aarch64-unknown-linux-gnu

rustup target list --installed | grep -qx "$TARGET" || rustup target add "$TARGET"
BUILD_VENV=.venv-build
[ -x "$BUILD_VENV/bin/python" ] || python3 -m venv "$BUILD_VENV"
"$BUILD_VENV/bin/python" -m pip install --quiet --disable-pip-version-check "maturin==1.16.0" "ziglang==0.17.1" "auditwheel==6.8.2"
mkdir -p target/wheels
rm -f target/wheels/pyforge_core-*aarch64*.whl
# This wheel has no `pyforge` command yet: the binary would have to be cross-built for aarch64
# the way maturin builds the module (`python -m pyforge_core` in it says how to get one). The
# wheel data folder must not exist here, or the x86_64 binary of a stopped
# scripts/test_python_packages.sh would end up in the aarch64 wheel.
rm -rf pyforge_core._native.data
# maturin finds zig as `python3 -m ziglang` on PATH.
PATH="$PWD/$BUILD_VENV/bin:$PATH" maturin build --release --locked --target "$TARGET" --zig --compatibility manylinux2014 \
  --out target/wheels
bash scripts/check_manylinux2014.sh "$BUILD_VENV/bin/auditwheel" "$(ls target/wheels/pyforge_core-*aarch64*.whl)" --without-command
