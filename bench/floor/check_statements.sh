#!/usr/bin/env bash
# Checks that the floor still runs exactly agrupa's statements: sends each benchmarked request
# once to agrupa and once to the floor, with PostgreSQL logging every statement of the
# database (`log_statement = all`, this database only, reset at the end), and compares the
# two sequences of statement texts and parameters per request. Run it after changing any
# query these requests run; a difference means bench/floor/src/sql.rs needs the new text.
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/DB AGRUPA_JWT_KEYS=… TOKEN=… \
#     PLAN=<plan id> BUDGET=<budget id> bash bench/floor/check_statements.sh
# Needs a superuser connection (to set log_statement) and the server's log readable at
# $PG_LOG. Exits 1 when a request's statements differ.
set -euo pipefail
cd "$(dirname "$0")/../.."
PG_LOG=${PG_LOG:-/var/log/postgresql/postgresql-15-main.log}
DB=$(psql -qAtX "$DATABASE_URL" -c "SELECT current_database()")
read -r USER_ID JTI < <(python3 - "$TOKEN" <<'PY'
import base64, json, sys
p = sys.argv[1].split(".")[1]
c = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
print(c["sub"], c["jti"])
PY
)
sep='?'; [[ $DATABASE_URL == *\?* ]] && sep='&'
psql -qAtX "$DATABASE_URL" -c "ALTER DATABASE \"$DB\" SET log_statement = 'all'"
PIDS=""
cleanup() {
  for p in $PIDS; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  psql -qAtX "$DATABASE_URL" -c "ALTER DATABASE \"$DB\" RESET log_statement" || true
}
trap cleanup EXIT
DATABASE_URL="$DATABASE_URL${sep}application_name=agrupa" AGRUPA_ADDR=127.0.0.1:18386 \
  AGRUPA_RATE_LIMIT=0 AGRUPA_TOKEN_RATE_LIMIT=0 AGRUPA_LOG=warn target/release/agrupa serve >/dev/null 2>&1 &
PIDS="$PIDS $!"
DATABASE_URL="$DATABASE_URL${sep}application_name=floor" FLOOR_ADDR=127.0.0.1:18396 \
  FLOOR_USER_ID=$USER_ID FLOOR_JTI=$JTI bench/floor/target/release/agrupa-floor >/dev/null 2>&1 &
PIDS="$PIDS $!"
until curl -sf 127.0.0.1:18386/readyz >/dev/null && curl -s -o /dev/null 127.0.0.1:18396/; do sleep 0.2; done
ID=$(psql -qAtX "$DATABASE_URL" -c "SELECT id FROM members ORDER BY legal_name OFFSET 500 LIMIT 1")
CURSOR=$(curl -s -H "Authorization: Bearer $TOKEN" "127.0.0.1:18386/api/v1/members?limit=100" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["next_cursor"])')
status=0
for path in "/api/v1/members/$ID" \
  "/api/v1/members?status=active&size=small&municipality=Getafe&limit=25" \
  "/api/v1/members?q=produccion&limit=25" "/api/v1/members?limit=100" \
  "/api/v1/members?limit=100&cursor=$CURSOR" "/api/v1/plans/$PLAN/tree" "/api/v1/budgets/$BUDGET/report"; do
  for port in 18386 18396; do
    # Twice: the first request of a connection may prepare what the second finds cached.
    curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" "127.0.0.1:$port$path"
    before=$(stat -c %s "$PG_LOG")
    curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" "127.0.0.1:$port$path"
    sleep 0.3
    tail -c +$((before + 1)) "$PG_LOG" >"target/check.$port.log"
  done
  psql -qAtX "$DATABASE_URL" -c "SELECT pid, application_name FROM pg_stat_activity WHERE datname = current_database()" >target/check.pids
  python3 - "$path" <<'PY' || status=1
import re, sys
apps = dict(l.strip().split("|", 1) for l in open("target/check.pids") if "|" in l)
def statements(f, app):
    out, last = [], None
    for line in open(f):
        m = re.search(r"\[(\d+)\] \S+ (LOG|DETAIL):  (.*)$", line)
        if not m or apps.get(m.group(1)) != app:
            continue
        text = m.group(3)
        if m.group(2) == "LOG":
            text = re.sub(r"^execute s\d+: |^statement: ", "", text)
            if "webhook_deliveries" in text or text.startswith("SELECT 1"):
                last = None
                continue
            out.append([text, ""]); last = out[-1]
        elif last is not None:
            last[1] = text
    return out
a, f = statements("target/check.18386.log", "agrupa"), statements("target/check.18396.log", "floor")
# Parameter lists from HashMaps may come in another order: compare them as sets.
norm = lambda s: [(t, sorted(re.split(r"[,{}]", p))) for t, p in s]
same = norm(a) == norm(f)
print(f"{'same' if same else 'DIFFERENT'}: {len(a)} statements from agrupa, {len(f)} from the floor: {sys.argv[1][:60]}")
if not same:
    for i, (x, y) in enumerate(zip(a + [["", ""]] * len(f), f + [["", ""]] * len(a))):
        if norm([x]) != norm([y]):
            print(f"  #{i}\n  agrupa: {x[0][:200]} {x[1][:200]}\n  floor:  {y[0][:200]} {y[1][:200]}")
            break
    sys.exit(1)
PY
done
exit $status
