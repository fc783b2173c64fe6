#!/usr/bin/env bash
# One-shot CSV -> Parquet benchmark: sets up the venvs, generates the data if
# missing, runs PyForge and the peers, prints the table. All arguments are
# passed to csv_bench.py (see README.md), e.g.:
#   bench/csv_bench.sh                    # 1 GiB
#   bench/csv_bench.sh --size-mb 50       # quick check
#   PYFORGE=/path/to/pyforge bench/csv_bench.sh --skip-old
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$BENCH_DIR/.venv"
OLD_VENV="$BENCH_DIR/.venv-old"
PY="${BENCH_PYTHON:-python3}"
PEERS="duckdb polars pyarrow pandas numpy psutil"

# GNU time for exact peak RSS (psutil polling is the fallback)
if [ ! -x /usr/bin/time ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing GNU time ..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time) >/dev/null 2>&1 \
      || echo "warning: could not install GNU time; using psutil polling only" >&2
  else
    echo "warning: /usr/bin/time missing; using psutil polling only" >&2
  fi
fi

# main venv with the peers
if [ ! -x "$VENV/bin/python" ]; then
  echo "creating $VENV ..."
  "$PY" -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import duckdb, polars, pyarrow, pandas, numpy, psutil' 2>/dev/null; then
  echo "installing peers into $VENV: $PEERS"
  "$VENV/bin/pip" install -q --upgrade $PEERS
fi

# the old tool: pyforge-cli 1.0.9 pins pyarrow 8 -> needs Python 3.10
want_old=1
prev=""
for a in "$@"; do
  case "$a" in
    --skip-old) want_old=0 ;;
    --tools=*) case "$a" in *pyforge-cli-1.0.9*) ;; *) want_old=0 ;; esac ;;
  esac
  if [ "$prev" = "--tools" ]; then case "$a" in *pyforge-cli-1.0.9*) ;; *) want_old=0 ;; esac; fi
  prev="$a"
done
if [ "$want_old" = 1 ] && [ ! -x "$OLD_VENV/bin/pyforge" ]; then
  OLD_PY="${OLD_PYTHON:-}"
  if [ -z "$OLD_PY" ] && command -v pyenv >/dev/null; then
    OLD_PY="$(pyenv root)/versions/3.10.13/bin/python"
    [ -x "$OLD_PY" ] || OLD_PY="$(ls -d "$(pyenv root)"/versions/3.10.*/bin/python 2>/dev/null | tail -1 || true)"
  fi
  [ -n "$OLD_PY" ] && [ -x "$OLD_PY" ] || OLD_PY="$(command -v python3.10 || true)"
  if [ -n "$OLD_PY" ]; then
    echo "creating $OLD_VENV with $OLD_PY and installing pyforge-cli==1.0.9 ..."
    ( rm -rf "$OLD_VENV" && "$OLD_PY" -m venv "$OLD_VENV" && "$OLD_VENV/bin/pip" install -q pyforge-cli==1.0.9 ) \
      || echo "warning: pyforge-cli 1.0.9 setup failed; it will be reported FAILED" >&2
  else
    echo "warning: no Python 3.10 found (set OLD_PYTHON); pyforge-cli 1.0.9 will be reported FAILED" >&2
  fi
fi

exec "$VENV/bin/python" "$BENCH_DIR/csv_bench.py" "$@"
