#!/usr/bin/env bash
# CPU time per request of GET /api/v1/members/{id}: agrupa and the floor up together, each
# loaded in turn by wrk -t2 -c32 for SECS seconds (default 5), ROUNDS times (default 3),
# their user and system time read from /proc/PID/stat before and after each round. Where
# callgrind counts instructions, this shows what they cost on this machine (cache misses,
# allocation, moves): a ratio of microseconds a request, measured seconds apart.
#   BIN=path/to/agrupa ROUNDS=3 SECS=5 bash bench/floor/cpu.sh
# Needs the same as bench/floor/callgrind.sh: DATABASE_URL, AGRUPA_JWT_KEYS and TOKEN.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${SECS:-5}; ROUNDS=${ROUNDS:-3}; BIN=${BIN:-target/release/agrupa}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
read -r USER_ID JTI < <(python3 - "$TOKEN" <<'PY'
import base64, json, sys
p = sys.argv[1].split(".")[1]
c = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
print(c["sub"], c["jti"])
PY
)
export TOKEN IDS_FILE=$(pwd)/target/cpu.ids PREFIX=""
mkdir -p target
psql -qAtX "$DATABASE_URL" -c "SELECT id FROM members ORDER BY random() LIMIT 2000" >"$IDS_FILE"
AGRUPA_ADDR=127.0.0.1:18386 AGRUPA_RATE_LIMIT=0 AGRUPA_TOKEN_RATE_LIMIT=0 AGRUPA_LOG=warn \
  "$BIN" serve >/dev/null 2>&1 &
APID=$!
FLOOR_ADDR=127.0.0.1:18396 FLOOR_USER_ID=$USER_ID FLOOR_JTI=$JTI \
  bench/floor/target/release/agrupa-floor >/dev/null 2>&1 &
FPID=$!
trap 'kill -TERM $APID $FPID 2>/dev/null; wait 2>/dev/null' EXIT
for port in 18386 18396; do until curl -s -o /dev/null "127.0.0.1:$port/"; do sleep 0.3; done; done
TICK=$(getconf CLK_TCK)
ticks() { awk '{print $14, $15}' "/proc/$1/stat"; }
run() { # name pid port
  read -r u0 s0 < <(ticks "$2")
  local out; out=$(wrk -t2 -c32 -d"${SECS}s" -s bench/wrk_random_member.lua "http://127.0.0.1:$3")
  read -r u1 s1 < <(ticks "$2")
  grep -q "Non-2xx" <<<"$out" && { echo "$1: answers other than 2xx"; echo "$out"; exit 1; }
  local n; n=$(awk '/requests in/ {print $1}' <<<"$out")
  python3 -c "
n=$n; t=$TICK
print(f'| $1 | {n/$SECS:,.0f} | {($u1-$u0)/t*1e6/n:.1f} | {($s1-$s0)/t*1e6/n:.1f} |')"
}
for port in 18386 18396; do wrk -t2 -c32 -d2s -s bench/wrk_random_member.lua "http://127.0.0.1:$port" >/dev/null; done
echo "| server | requests/s | user µs / request | system µs / request |"
echo "|---|---|---|---|"
for _ in $(seq "$ROUNDS"); do
  run agrupa "$APID" 18386
  run floor "$FPID" 18396
done
