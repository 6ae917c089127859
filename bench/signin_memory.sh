#!/usr/bin/env bash
# Memory of a sign-in burst: the release build, N password sign-ins (default 1,000) from C
# concurrent clients (default 16), and the agrupa process's RSS from /proc/PID/status:
# before the burst, its peak (VmHWM) through the burst, and at idle 5 s after it.
#   bash bench/signin_memory.sh
#   N=200 C=32 bash bench/signin_memory.sh
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/agrupa_bench bash bench/signin_memory.sh
# Without DATABASE_URL it uses the embedded PostgreSQL in a throw-away folder. Rate limits and
# the sign-in throttle are raised by environment variables (as ci/e2e/schemathesis.sh does),
# so every request reaches argon2. AGRUPA_BIN=/path/to/agrupa skips the build (LABEL names it
# in the report). Prints Markdown.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000}
C=${C:-16}
PORT=${PORT:-18383}
if [ -z "${AGRUPA_BIN:-}" ]; then
  cargo build --release --bin agrupa -q
  AGRUPA_BIN=$(pwd)/target/release/agrupa
fi
WORK=$(pwd)/target/bench-signin
EMAIL=bench@agrupa.local
PASSWORD='contraseña-de-benchmark'
PID=""
cleanup() { [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
rm -rf "$WORK" && mkdir -p "$WORK"

export AGRUPA_DATA_DIR=$WORK AGRUPA_ADDR=127.0.0.1:$PORT AGRUPA_LOG=warn \
       AGRUPA_RATE_LIMIT=0 AGRUPA_TOKEN_RATE_LIMIT=0 \
       AGRUPA_LOGIN_MAX_FAILURES=1000 AGRUPA_LOGIN_MAX_FAILURES_PER_ACCOUNT=100000 \
       AGRUPA_LOGIN_MAX_FAILURES_PER_ADDRESS=100000
if [ -n "${DATABASE_URL:-}" ]; then
  db=${DATABASE_URL##*/}; admin_url=${DATABASE_URL%/*}/postgres
  psql -qAtX "$admin_url" -c "DROP DATABASE IF EXISTS \"$db\"" -c "CREATE DATABASE \"$db\"" >/dev/null
fi
AGRUPA_ADMIN_PASSWORD=$PASSWORD "$AGRUPA_BIN" admin create --email "$EMAIL" >/dev/null
"$AGRUPA_BIN" serve >"$WORK/serve.log" 2>&1 &
PID=$!
until curl -sf "127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.1; done
sleep 1

kb() { awk -v k="$1:" '$1==k {print $2}' "/proc/$PID/status"; }
mb() { python3 -c "print(f'{$1/1024:.1f}')"; }
before=$(kb VmRSS)
started=$(date +%s.%N)
seq "$N" | xargs -P "$C" -I{} curl -s -o /dev/null -w '%{http_code}\n' \
  "127.0.0.1:$PORT/api/v1/auth/token" -d grant_type=password -d "username=$EMAIL" \
  --data-urlencode "password=$PASSWORD" >"$WORK/codes.txt"
elapsed=$(python3 -c "print(f'{$(date +%s.%N) - $started:.1f}')")
peak=$(kb VmHWM)
during=$(kb VmRSS)
sleep 5
idle=$(kb VmRSS)
codes=$(sort "$WORK/codes.txt" | uniq -c | awk '{printf "%s× %s, ", $1, $2}' | sed 's/, $//')

LABEL=${LABEL:-$(git rev-parse --short HEAD 2>/dev/null || echo '?')}
echo "## Sign-in memory ($(date -u +%Y-%m-%dT%H:%MZ), $LABEL)"
echo
echo "$(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); release build;"
echo "$N password sign-ins from $C concurrent curl clients in ${elapsed} s (answers: $codes)."
echo
echo "| RSS of agrupa | MiB |"
echo "|---|---|"
echo "| before the burst (VmRSS) | $(mb "$before") |"
echo "| peak through the burst (VmHWM) | $(mb "$peak") |"
echo "| right after the burst (VmRSS) | $(mb "$during") |"
echo "| idle, 5 s later (VmRSS) | $(mb "$idle") |"
