#!/usr/bin/env bash
# The member register under load.
#
# By default (MODE=floor): agrupa against its floor, the server in bench/floor/ that runs
# exactly agrupa's SQL with nothing around it, over TCP and over the unix socket, in
# alternating rounds (issue 18): see bench/members_floor.sh for its settings.
#   bash bench/members.sh
#   MEMBERS=100000 ROUNDS=4 ROUND_SECS=3 bash bench/members.sh
#
# MODE=pgbench (the earlier benchmark): the release build with N synthetic members (default
# 100,000 and 1,000,000) on the embedded PostgreSQL, loaded by wrk at 32 connections,
# authenticated, and pgbench running the same primary-key lookup on the same PostgreSQL in
# the same run.
#   MODE=pgbench bash bench/members.sh            # both sizes
#   MODE=pgbench SIZES=100000 DURATION=10 bash bench/members.sh
# Needs wrk and pgbench (apt-get install wrk postgresql-contrib). Prints a Markdown report.
set -euo pipefail
if [ "${MODE:-floor}" = floor ]; then
  exec bash "$(dirname "$0")/members_floor.sh"
fi
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"100000 1000000"}
DURATION=${DURATION:-20}
CONNECTIONS=${CONNECTIONS:-32}
PORT=${PORT:-18282}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
PGBENCH=$(command -v pgbench || ls /usr/lib/postgresql/*/bin/pgbench | tail -n1)
cargo build --release --bin agrupa -q
BIN=$(pwd)/target/release/agrupa
WORK=$(pwd)/target/bench-members
PASSWORD='contraseña-de-benchmark'
PID=""
cleanup() { [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

echo "# Member register benchmark"
echo
echo "$(date -u +%Y-%m-%dT%H:%MZ); $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs);"
echo "release build; wrk -t2 -c$CONNECTIONS -d${DURATION}s --latency; pgbench -c$CONNECTIONS -j2 -T$DURATION -n."
echo "agrupa, PostgreSQL, wrk and pgbench share the same 2 cores."

wrk_run() { # label, wrk arguments…
  local label=$1; shift
  local out; out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@")
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx/ {print $5}' <<<"$out"); errors=${errors:-0}
  echo "| $label | $rps | $p50 | $p99 | $errors |"
  LAST_RPS=$rps
}

for N in $SIZES; do
  rm -rf "$WORK" && mkdir -p "$WORK"
  export AGRUPA_DATA_DIR=$WORK AGRUPA_ADDR=127.0.0.1:$PORT AGRUPA_RATE_LIMIT=0 AGRUPA_LOG=warn \
         AGRUPA_ACCESS_TOKEN_TTL_SECS=3600
  started=$(date +%s.%N)
  "$BIN" seed synthetic --members "$N" >/dev/null
  seeded=$(python3 -c "print(f'{$(date +%s.%N) - $started:.0f}')")
  AGRUPA_ADMIN_PASSWORD=$PASSWORD "$BIN" admin create --email bench@agrupa.local >/dev/null
  "$BIN" serve >"$WORK/serve.log" 2>&1 &
  PID=$!
  until curl -sf "127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.1; done
  SOCK="host=$WORK/pg/run port=5432 user=agrupa dbname=agrupa"
  psql -qAtX "$SOCK" -c "ANALYZE" >/dev/null
  TOKEN=$(curl -s "127.0.0.1:$PORT/api/v1/auth/token" -d grant_type=password -d username=bench@agrupa.local \
    --data-urlencode "password=$PASSWORD" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  export TOKEN
  psql -qAtX "$SOCK" -c "SELECT id FROM members ORDER BY random() LIMIT 50000" >"$WORK/ids.txt"
  export IDS_FILE=$WORK/ids.txt
  # A cursor deep in the list (half way, at most 100,000 rows), to compare with the first page.
  PAGES=$(( N / 200 < 1000 ? N / 200 : 1000 ))
  cursor=""
  for _ in $(seq 1 "$PAGES"); do
    cursor=$(curl -s -H "Authorization: Bearer $TOKEN" \
      "127.0.0.1:$PORT/api/v1/members?limit=100${cursor:+&cursor=$cursor}" \
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["next_cursor"] or "")')
  done

  echo
  echo "## $N members (seeded in ${seeded} s)"
  echo
  echo "| request | requests/s | p50 | p99 | non-2xx |"
  echo "|---|---|---|---|---|"
  AUTH=(-H "Authorization: Bearer $TOKEN")
  wrk_run "GET /api/v1/members/{id} (random ids)" -s bench/wrk_random_member.lua "http://127.0.0.1:$PORT"
  by_id=$LAST_RPS
  wrk_run "first page, filtered (status, size, municipality)" "${AUTH[@]}" \
    "http://127.0.0.1:$PORT/api/v1/members?status=active&size=small&municipality=Getafe&limit=25"
  first=$LAST_RPS
  wrk_run "search q=produccion" "${AUTH[@]}" "http://127.0.0.1:$PORT/api/v1/members?q=produccion&limit=25"
  wrk_run "page $((PAGES + 1)) ($((PAGES * 100)) rows deep)" "${AUTH[@]}" \
    "http://127.0.0.1:$PORT/api/v1/members?limit=100&cursor=$cursor"
  deep=$LAST_RPS
  wrk_run "page 1 (same list, no cursor)" "${AUTH[@]}" "http://127.0.0.1:$PORT/api/v1/members?limit=100"
  page1=$LAST_RPS
  printf '\\set n random(1, %s)\nSELECT * FROM members WHERE id = md5(%s || :n)::uuid;\n' "$N" "'agrupa-synthetic-'" >"$WORK/pk.sql"
  pg=$("$PGBENCH" "$SOCK" -c"$CONNECTIONS" -j2 -T"$DURATION" -n -f "$WORK/pk.sql" 2>/dev/null)
  pg_tps=$(awk -F'= ' '/tps/ {split($2, a, " "); print a[1]}' <<<"$pg" | tail -n1)
  pg_lat=$(awk -F'= ' '/latency average/ {print $2}' <<<"$pg")
  echo "| pgbench: the same primary-key lookup | $pg_tps | (average $pg_lat) | | |"
  echo
  python3 - "$by_id" "$pg_tps" "$deep" "$page1" <<'PY'
import sys
by_id, pg, deep, page1 = map(float, sys.argv[1:])
print(f"- GET by id / pgbench: {by_id / pg * 100:.0f}%")
print(f"- deep page / first page (same list): {deep / page1 * 100:.0f}%")
PY
  echo "- agrupa peak RSS (VmHWM) after the runs: $(awk '/VmHWM/ {print $2}' /proc/$PID/status) KiB"
  kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; PID=""
done
