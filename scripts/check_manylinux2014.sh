#!/usr/bin/env bash
# Fails unless a pyforge-core wheel is what pip on any glibc 2.17+ Linux accepts: auditwheel
# finds it consistent with manylinux_2_17 (or an older policy) for its architecture, and its
# name carries the cp310-abi3 and manylinux2014_<arch> tags.
# Usage: check_manylinux2014.sh AUDITWHEEL WHEEL (AUDITWHEEL: the auditwheel executable).
set -euo pipefail
AUDITWHEEL=$1
WHEEL=$2
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
