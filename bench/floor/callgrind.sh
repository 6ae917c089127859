#!/usr/bin/env bash
# Instructions per request of GET /api/v1/members/{id}: agrupa, the floor (agrupa's one
# statement) or the bare floor (the member read alone), under valgrind's callgrind with
# instrumentation on only while wrk -t1 -c4 runs (after a 5 s warm-up).
#   WHO=agrupa|floor|bare SECS=30 bash bench/floor/callgrind.sh
# URL_PATH=/api/v1/plans/ID/tree measures that one request instead (the same path, every
# request; WHO=agrupa or floor).
# BIN=path/to/agrupa measures another agrupa binary (default target/release/agrupa), e.g. a copy
# kept from before a change.
# TOOL=dhat counts heap blocks instead (valgrind's DHAT, from start to exit, no warm-up): then
#   python3 bench/floor/dhat_sizes.py target/dhat.$WHO.json REQUESTS
# lists the allocation sites that run on every request, with their sizes (a block over 1,032
# bytes is not served from glibc's per-thread cache).
# Needs (from a database bench/members.sh or `agrupa seed synthetic` filled): DATABASE_URL,
# AGRUPA_JWT_KEYS (the keys the token was signed with) and TOKEN (a user's access token).
# Prints the requests, the instructions and their quotient; the profile is left in
# target/callgrind.$WHO.out* (callgrind_annotate, or python3 bench/floor/by_crate.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
WHO=${WHO:-agrupa}; SECS=${SECS:-30}; BIN=${BIN:-target/release/agrupa}; TOOL=${TOOL:-callgrind}
command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
if [ "$TOOL" = dhat ]; then
  OUT=$(pwd)/target/dhat.$WHO.json
  VALGRIND=(valgrind --tool=dhat --dhat-out-file="$OUT")
else
  OUT=$(pwd)/target/callgrind.$WHO.out
  VALGRIND=(valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$OUT")
fi
rm -f "$OUT"*
read -r USER_ID JTI < <(python3 - "$TOKEN" <<'PY'
import base64, json, sys
p = sys.argv[1].split(".")[1]
c = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
print(c["sub"], c["jti"])
PY
)
export TOKEN IDS_FILE=$(pwd)/target/callgrind.ids
psql -qAtX "$DATABASE_URL" -c "SELECT id FROM members ORDER BY random() LIMIT 2000" >"$IDS_FILE"
PREFIX=""
if [ "$WHO" = agrupa ]; then
  PORT=18385
  AGRUPA_ADDR=127.0.0.1:$PORT AGRUPA_RATE_LIMIT=0 AGRUPA_TOKEN_RATE_LIMIT=0 AGRUPA_LOG=warn \
    "${VALGRIND[@]}" "$BIN" serve >/dev/null 2>&1 &
else
  PORT=18395
  [ "$WHO" = bare ] && PREFIX=/bare
  FLOOR_ADDR=127.0.0.1:$PORT FLOOR_USER_ID=$USER_ID FLOOR_JTI=$JTI \
    "${VALGRIND[@]}" bench/floor/target/release/agrupa-floor >/dev/null 2>&1 &
fi
VPID=$!
until curl -s -o /dev/null "127.0.0.1:$PORT/"; do sleep 0.5; done
export PREFIX
load() { # seconds
  if [ -n "${URL_PATH:-}" ]; then
    wrk -t1 -c4 -d"$1s" -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$URL_PATH"
  else
    wrk -t1 -c4 -d"$1s" -s bench/wrk_random_member.lua "http://127.0.0.1:$PORT"
  fi
}
if [ "$TOOL" = dhat ]; then
  W=$(load "$SECS")
  grep -q "Non-2xx" <<<"$W" && { echo "answers other than 2xx:"; echo "$W"; exit 1; }
  kill -TERM "$VPID"; wait "$VPID" || true
  REQ=$(awk '/requests in/ {print $1}' <<<"$W")
  echo "$WHO: $REQ requests; python3 bench/floor/dhat_sizes.py $OUT $REQ"
  exit 0
fi
W=$(load 5)
grep -q "Non-2xx" <<<"$W" && { echo "the warm-up got answers other than 2xx:"; echo "$W"; exit 1; }
callgrind_control -i on "$VPID" >/dev/null 2>&1
W=$(load "$SECS")
callgrind_control -i off "$VPID" >/dev/null 2>&1
callgrind_control -d "$VPID" >/dev/null 2>&1
kill -TERM "$VPID"; wait "$VPID" || true
REQ=$(awk '/requests in/ {print $1}' <<<"$W")
TOTAL=$(grep -h '^totals:' "$OUT"* | awk '{s += $2} END {print s}')
echo "$WHO: $REQ requests, $TOTAL instructions, $((TOTAL / REQ)) per request"
