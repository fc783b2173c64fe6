#!/usr/bin/env bash
# Fails unless a pyforge-core wheel is what pip on any glibc 2.17+ Linux accepts: auditwheel
# finds it consistent with manylinux_2_17 (or an older policy) for its architecture, and its
# name carries the cp310-abi3 and manylinux2014_<arch> tags. Then the `pyforge` command in it:
# the wheel must carry the binary as pyforge_core-<version>.data/scripts/pyforge, an ELF
# executable for the wheel's architecture that needs no glibc symbol version newer than 2.17.
# (auditwheel's verdict counts that binary's symbols too, but it skips an ELF file of another
# architecture with a mere warning, and a wheel without the binary passes it.)
# Usage: check_manylinux2014.sh AUDITWHEEL WHEEL [--without-command]
#   AUDITWHEEL: the auditwheel executable; --without-command: the wheel is meant to have no
#   `pyforge` binary (the aarch64 wheel, scripts/build_wheel_aarch64.sh), and must not have one.
set -euo pipefail
AUDITWHEEL=$1
WHEEL=$2
WITH_COMMAND=yes
[ "${3:-}" = --without-command ] && WITH_COMMAND=no
AUDIT=$("$AUDITWHEEL" show "$WHEEL" | tr -s '[:space:]' ' ')
echo "auditwheel: $AUDIT"
# auditwheel wraps its lines; squeezed, the verdict reads
#   ... is consistent with the following platform tag: "manylinux_2_17_x86_64". ...
VERDICT=$(sed -nE 's/.*consistent with the following platform tag: "manylinux_2_([0-9]+)_([a-z0-9_]+)".*/\1 \2/p' <<<"$AUDIT")
GLIBC_MINOR=${VERDICT%% *}
ARCH=${VERDICT#* }
NAME=$(basename "$WHEEL")
TAG="manylinux_2_${GLIBC_MINOR}_$ARCH"
[ -n "$VERDICT" ] || TAG="no manylinux tag"
if [ -z "$VERDICT" ] || [ "$GLIBC_MINOR" -gt 17 ] || [[ "$NAME" != *-cp310-abi3-manylinux2014_"$ARCH".* ]]; then
  echo "FAIL: $NAME is not a manylinux2014 abi3 wheel (auditwheel: $TAG)" >&2
  exit 1
fi
echo "ok: $NAME is abi3 and consistent with $TAG"

# The `pyforge` binary (the wheel's only file under .data/scripts/, the command pip installs).
SCRIPTS=$(unzip -Z1 "$WHEEL" | grep -E '^pyforge_core-[^/]+\.data/scripts/.*[^/]$' || true)
if [ "$WITH_COMMAND" = no ]; then
  if [ -n "$SCRIPTS" ]; then
    echo "FAIL: $NAME is meant to have no pyforge command but carries: $SCRIPTS" >&2
    exit 1
  fi
  echo "ok: $NAME has no pyforge command, as meant"
  exit 0
fi
if ! grep -qxE 'pyforge_core-[^/]+\.data/scripts/pyforge' <<<"$SCRIPTS"; then
  echo "FAIL: $NAME lacks the pyforge command (pyforge_core-<version>.data/scripts/pyforge); it has: ${SCRIPTS:-no scripts}" >&2
  exit 1
fi
command -v readelf >/dev/null || { echo "FAIL: readelf (binutils) is needed to check the pyforge binary" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
unzip -q -d "$WORK" "$WHEEL" 'pyforge_core-*.data/scripts/pyforge'
BIN=$(ls "$WORK"/pyforge_core-*.data/scripts/pyforge)
# ELF header: an executable (EXEC, or DYN for a PIE) for the wheel's machine.
HEADER=$(readelf -h "$BIN" 2>/dev/null || true)
MACHINE=$(sed -nE 's/^ *Machine: *(.*)$/\1/p' <<<"$HEADER")
case "$ARCH" in
  x86_64) WANT_MACHINE="Advanced Micro Devices X86-64" ;;
  aarch64) WANT_MACHINE="AArch64" ;;
  *) WANT_MACHINE="(unknown for $ARCH)" ;;
esac
if ! grep -qE '^ *Type: *(EXEC|DYN)' <<<"$HEADER" || [ "$MACHINE" != "$WANT_MACHINE" ]; then
  echo "FAIL: the pyforge in $NAME is not an ELF executable for $ARCH (machine: ${MACHINE:-not ELF})" >&2
  exit 1
fi
# Every glibc symbol version it needs (the version-needs and symbol-version sections).
VERSIONS=$(readelf -V -W "$BIN" | grep -oE 'GLIBC_[0-9]+(\.[0-9]+)+' | sort -uV)
NEWEST=$(tail -n1 <<<"$VERSIONS")
if [ -z "$NEWEST" ]; then
  echo "FAIL: found no GLIBC_ symbol versions in the pyforge of $NAME (not a glibc binary?)" >&2
  exit 1
fi
if [ "$(printf '%s\n' "${NEWEST#GLIBC_}" 2.17 | sort -V | tail -n1)" != 2.17 ]; then
  NEWER=$(awk -F_ '{ split($2, v, "."); if (v[1] > 2 || (v[1] == 2 && v[2] > 17)) print }' <<<"$VERSIONS" | tr '\n' ' ')
  echo "FAIL: the pyforge in $NAME needs glibc newer than 2.17: $NEWER" >&2
  exit 1
fi
echo "ok: the pyforge command in $NAME is an ELF executable for $ARCH, $(du -h "$BIN" | cut -f1), needing glibc $NEWEST at most"
