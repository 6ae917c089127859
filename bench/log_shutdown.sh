#!/usr/bin/env bash
# No access line is lost at SIGTERM (issue 18): agrupa at AGRUPA_LOG=info, JSON lines, its
# standard output read by a slow reader (about 200 KB/s, slower than the lines come, as a
# loaded container runtime), N requests (default 5,000) from 16 parallel connections, SIGTERM
# as soon as the last is answered; then the access lines in the output must be exactly one
# per answered request, and the exit status 0.
#   bash bench/log_shutdown.sh
#   N=20000 AGRUPA_BIN=target/release/agrupa bash bench/log_shutdown.sh
# Uses a scratch database of the machine's PostgreSQL (127.0.0.1:5432), dropped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-5000}
PORT=${PORT:-18580}
DB=${DB:-agrupa_bench_log}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
if [ -z "${AGRUPA_BIN:-}" ]; then
  cargo build --release --bin agrupa -q
  AGRUPA_BIN=$(pwd)/target/release/agrupa
fi
WORK=$(pwd)/target/bench-log-shutdown
rm -rf "$WORK" && mkdir -p "$WORK"
psql -qAtX "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
trap 'psql -qAtX "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1' EXIT

# The slow reader: 4 KiB every 20 ms.
cat >"$WORK/slow_reader.py" <<'PY'
import sys, time
out = open(sys.argv[1], "wb")
while chunk := sys.stdin.buffer.read1(4096):
    out.write(chunk)
    time.sleep(0.02)
out.close()
PY
DATABASE_URL=$PG/$DB AGRUPA_ADDR=127.0.0.1:$PORT AGRUPA_LOG=info AGRUPA_LOG_FORMAT=json \
  AGRUPA_RATE_LIMIT=0 AGRUPA_JWT_KEYS="bench:$(head -c 32 /dev/urandom | base64)" \
  "$AGRUPA_BIN" serve > >(python3 "$WORK/slow_reader.py" "$WORK/agrupa.log") 2>&1 &
PID=$!
until curl -sf -o /dev/null "127.0.0.1:$PORT/readyz"; do sleep 0.1; done
started=$(date +%s.%N)
curl -s --parallel --parallel-max 16 -o /dev/null -w '%{http_code}\n' \
  "http://127.0.0.1:$PORT/healthz#[1-$N]" >"$WORK/codes.txt"
answered=$(grep -c '^200$' "$WORK/codes.txt" || true)
kill -TERM "$PID"
signalled=$(date +%s.%N)
status=0
wait "$PID" || status=$?
exited=$(date +%s.%N)
# The reader finishes what the pipe still holds.
while pgrep -f "slow_reader.py $WORK/agrupa.log" >/dev/null; do sleep 0.1; done
lines=$(python3 - "$WORK/agrupa.log" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1], encoding="utf-8"):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    n += e.get("message") == "access" and (e.get("span") or {}).get("route") == "/healthz"
print(n)
PY
)
python3 - <<PY
print(f"$N requests in {$signalled - $started:.1f} s: $answered answered 200; SIGTERM, exit status $status"
      f" {$exited - $signalled:.1f} s later; access lines for them in the output: $lines.")
PY
if [ "$lines" != "$answered" ] || [ "$status" != 0 ]; then
  echo "FAILED: lines lost (or the exit status is not 0)"
  exit 1
fi
echo "OK: no access line lost"
