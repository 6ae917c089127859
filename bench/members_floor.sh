#!/usr/bin/env bash
# agrupa against its floor (issue 18): the floor server in bench/floor/ runs exactly the SQL
# statements agrupa runs for each request, with no authentication, middleware or logging.
# Both are up together on the same PostgreSQL (the machine's, at 127.0.0.1:5432), first over
# TCP (DATABASE_URL to 127.0.0.1), then over the unix socket; for each request wrk runs them
# in alternating short rounds, and the report gives the median of the rounds' ratios
# agrupa / floor (this shared machine swings by a third from minute to minute, so only
# ratios measured a few seconds apart mean anything).
#   bash bench/members_floor.sh
#   MEMBERS=100000 ROUNDS=4 ROUND_SECS=3 TRANSPORTS="tcp socket" bash bench/members_floor.sh
#   ONLY="member by id" AGRUPA_BIN=/tmp/agrupa.before bash bench/members_floor.sh
#   VERSUS=log ONLY="member by id" TRANSPORTS=tcp ROUNDS=8 bash bench/members_floor.sh
# ONLY (an extended regex) keeps the requests whose name matches; AGRUPA_BIN measures that
# agrupa binary (e.g. a copy kept from before a change) instead of building one (nor the
# floor, when it is built).
# VERSUS=log measures the access log instead of the floor: agrupa at AGRUPA_LOG=info (the
# default: one access line a request, to a file, or through a pipe with LOG_SINK=pipe as under
# a container runtime) against a second agrupa at AGRUPA_LOG=warn, in the same alternating
# rounds; the ratio is info / warn.
# VERSUS=bin OTHER_BIN=path/to/agrupa compares two builds (or a build under two settings,
# through a wrapper script) at AGRUPA_LOG=warn, in the same alternating rounds: the ratio is
# AGRUPA_BIN / OTHER_BIN.
# Needs wrk (installed from Debian when missing) and the PostgreSQL client tools. Prints a
# Markdown report; the raw rounds go to target/bench-floor/rounds.tsv.
set -euo pipefail
cd "$(dirname "$0")/.."
MEMBERS=${MEMBERS:-100000}
ROUNDS=${ROUNDS:-4}
ROUND_SECS=${ROUND_SECS:-3}
CONNECTIONS=${CONNECTIONS:-32}
TRANSPORTS=${TRANSPORTS:-"tcp socket"}
PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
PG_SOCKET_DIR=${PG_SOCKET_DIR:-/var/run/postgresql}
PG_USER=${PG_USER:-postgres}
DB=${DB:-agrupa_bench_floor}
AGRUPA_PORT=${AGRUPA_PORT:-18380}
FLOOR_PORT=${FLOOR_PORT:-18390}
LINES=${LINES:-1000}
ENTRIES=${ENTRIES:-20000}
ONLY=${ONLY:-}
VERSUS=${VERSUS:-floor}
LOG_SINK=${LOG_SINK:-file}
WARN_PORT=${WARN_PORT:-18381}
OTHER_LABEL="agrupa at AGRUPA_LOG=warn"; [ "$VERSUS" = bin ] && OTHER_LABEL="other build"
wants() { [ -z "$ONLY" ] || grep -qE -- "$ONLY" <<<"$1"; }

# The fresh-machine rule: install what is missing.
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | tail -n1)
PSQL=$(command -v psql || echo "$PGBIN/psql")
if ! "$PGBIN/pg_isready" -q -h "$PG_HOST" -p "$PG_PORT"; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | tail -n1)" main start
fi
if [ -z "${AGRUPA_BIN:-}" ] || { [ "$VERSUS" = floor ] && [ ! -x bench/floor/target/release/agrupa-floor ]; }; then
  [ -n "${AGRUPA_BIN:-}" ] || cargo build --release --bin agrupa -q
  [ "$VERSUS" != floor ] || (cd bench/floor && cargo build --release -q)
fi
BIN=${AGRUPA_BIN:-$(pwd)/target/release/agrupa}
FLOOR=$(pwd)/bench/floor/target/release/agrupa-floor
WORK=$(pwd)/target/bench-floor
PASSWORD='contraseña-de-benchmark'
AGRUPA_PID="" FLOOR_PID="" WARN_PID="" TOKEN=""
stop() {
  for p in $AGRUPA_PID $FLOOR_PID $WARN_PID; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  AGRUPA_PID="" FLOOR_PID="" WARN_PID=""
}
trap 'stop; [ -n "${KEEP_DB:-}" ] || "$PSQL" -qAtX -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres \
  -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1' EXIT
rm -rf "$WORK" && mkdir -p "$WORK"

TCP_URL="postgres://$PG_USER@$PG_HOST:$PG_PORT/$DB"
SOCKET_URL="host=$PG_SOCKET_DIR port=$PG_PORT user=$PG_USER dbname=$DB"
ADMIN=(-qAtX -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER")
"$PSQL" "${ADMIN[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
"$PSQL" "${ADMIN[@]}" -d postgres -c "CREATE DATABASE $DB" >/dev/null
SQL=("$PSQL" "${ADMIN[@]}" -d "$DB" -v ON_ERROR_STOP=1)

export AGRUPA_ADDR=127.0.0.1:$AGRUPA_PORT AGRUPA_RATE_LIMIT=0 AGRUPA_TOKEN_RATE_LIMIT=0 \
       AGRUPA_LOG=warn AGRUPA_ACCESS_TOKEN_TTL_SECS=3600 \
       AGRUPA_JWT_KEYS="bench:$(head -c 32 /dev/urandom | base64)"
started=$(date +%s.%N)
DATABASE_URL=$TCP_URL "$BIN" seed synthetic --members "$MEMBERS" >/dev/null
seeded=$(python3 -c "print(f'{$(date +%s.%N) - $started:.0f}')")
DATABASE_URL=$TCP_URL AGRUPA_ADMIN_PASSWORD=$PASSWORD "$BIN" admin create --email bench@agrupa.local >/dev/null

start() { # database url
  if [ "$VERSUS" = log ] && [ -n "${TOKEN:-}" ]; then
    # The access log on (the default level), to a file or through a pipe.
    if [ "$LOG_SINK" = pipe ]; then
      DATABASE_URL=$1 AGRUPA_LOG=info "$BIN" serve > >(cat >"$WORK/agrupa.log") 2>&1 &
    else
      DATABASE_URL=$1 AGRUPA_LOG=info "$BIN" serve >"$WORK/agrupa.log" 2>&1 &
    fi
  else
    DATABASE_URL=$1 "$BIN" serve >"$WORK/agrupa.log" 2>&1 &
  fi
  AGRUPA_PID=$!
  until curl -sf "127.0.0.1:$AGRUPA_PORT/readyz" >/dev/null; do sleep 0.1; done
  if [ "$VERSUS" != floor ] && [ -n "${TOKEN:-}" ]; then
    DATABASE_URL=$1 AGRUPA_ADDR=127.0.0.1:$WARN_PORT AGRUPA_LOG=warn "${OTHER_BIN:-$BIN}" serve >"$WORK/agrupa-warn.log" 2>&1 &
    WARN_PID=$!
    until curl -sf "127.0.0.1:$WARN_PORT/readyz" >/dev/null; do sleep 0.1; done
  elif [ -n "${TOKEN:-}" ]; then
    DATABASE_URL=$1 FLOOR_ADDR=127.0.0.1:$FLOOR_PORT FLOOR_USER_ID=$USER_ID FLOOR_JTI=$JTI \
      "$FLOOR" >"$WORK/floor.log" 2>&1 &
    FLOOR_PID=$!
    until curl -s -o /dev/null "127.0.0.1:$FLOOR_PORT/"; do sleep 0.1; done
  fi
}

# Data the other requests read: a plan (20 actions) through the API, and a budget of
# $LINES lines with $ENTRIES entries (the per-line totals follow by trigger), as in
# bench/budget_report.sh but smaller (the report reads totals, not entries).
start "$TCP_URL"
TOKEN=$(curl -s "127.0.0.1:$AGRUPA_PORT/api/v1/auth/token" -d grant_type=password -d username=bench@agrupa.local \
  --data-urlencode "password=$PASSWORD" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
read -r USER_ID JTI < <(python3 - "$TOKEN" <<'PY'
import base64, json, sys
p = sys.argv[1].split(".")[1]
c = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
print(c["sub"], c["jti"])
PY
)
export TOKEN
python3 - >"$WORK/plan.json" <<'PY'
import json
actions = [{"code": f"E1.1.1.{i}", "title": f"Acción {i}"} for i in range(1, 21)]
print(json.dumps({"title": "Plan de carga", "start_year": 2024, "end_year": 2027,
  "axes": [{"code": "E1", "title": "Eje", "children": [{"code": "E1.1", "title": "Área",
    "children": [{"code": "E1.1.1", "title": "Objetivo", "children": actions}]}]}]}))
PY
AUTH=(-H "Authorization: Bearer $TOKEN")
PLAN=$(curl -s "${AUTH[@]}" -H 'Content-Type: application/json' --data @"$WORK/plan.json" \
  "127.0.0.1:$AGRUPA_PORT/api/v1/plans/import" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
curl -s -o /dev/null "${AUTH[@]}" -H 'Content-Type: application/json' -H 'If-Match: *' \
  -d '{"reference": "Acta"}' "127.0.0.1:$AGRUPA_PORT/api/v1/plans/$PLAN/approval"
# The tree benchmarked is the demo plan's (axes, objectives, actions, indicators, participants).
DEMO_PLAN=$("${SQL[@]}" -c "SELECT id FROM plans WHERE id <> '$PLAN' ORDER BY created_at LIMIT 1")
TREE_PLAN=${DEMO_PLAN:-$PLAN}
BUDGET=$(python3 -c 'import uuid; print(uuid.uuid4())')
"${SQL[@]}" >/dev/null <<SQL
INSERT INTO budgets (id, fiscal_year, plan_id, title) VALUES ('$BUDGET', 2031, '$PLAN', 'Presupuesto de carga');
INSERT INTO budget_lines (id, budget_id, line_key, code, kind, category_id, description, planned_cents, position)
SELECT md5('line-' || n)::uuid, '$BUDGET', md5('line-' || n)::uuid, 'L-' || n,
       CASE WHEN n % 4 = 0 THEN 'income' ELSE 'expense' END,
       (SELECT id FROM budget_categories
         WHERE kind = CASE WHEN n % 4 = 0 THEN 'income' ELSE 'expense' END
         ORDER BY position OFFSET n % 5 LIMIT 1),
       'Línea ' || n, 100000 + n * 37, n
FROM generate_series(1, $LINES) n;
INSERT INTO budget_line_actions (line_id, action_id, share_bp)
SELECT l.id, a.id, 5000
FROM budget_lines l
CROSS JOIN LATERAL (SELECT id FROM plan_nodes WHERE plan_id = '$PLAN' AND kind = 'action'
                    ORDER BY code OFFSET abs(hashtext(l.code)) % 19 LIMIT 2) a
WHERE l.budget_id = '$BUDGET' AND l.kind = 'expense';
UPDATE budgets SET status = 'approved', approved_on = '2031-01-01', approval_reference = 'Carga'
WHERE id = '$BUDGET';
INSERT INTO budget_entries (id, fiscal_year, line_key, line_id, entry_date, kind, amount_cents, description)
SELECT gen_random_uuid(), 2031, x.l, x.l, DATE '2031-01-01' + (n % 365),
       CASE WHEN n % 3 = 0 THEN 'commitment' ELSE 'actual' END, 100 + n % 1000, 'Apunte ' || n
FROM generate_series(1, $ENTRIES) n, LATERAL (SELECT md5('line-' || (1 + n % $LINES))::uuid) AS x(l);
SQL
"${SQL[@]}" -c "VACUUM ANALYZE" >/dev/null
"${SQL[@]}" -c "SELECT id FROM members ORDER BY random() LIMIT 50000" >"$WORK/ids.txt"
export IDS_FILE=$WORK/ids.txt
# A cursor deep in the list (half way, at most 100,000 rows), as bench/members.sh.
PAGES=$(( MEMBERS / 200 < 1000 ? MEMBERS / 200 : 1000 ))
cursor=""
wants "page $((PAGES + 1)) ($((PAGES * 100)) rows deep)" && for _ in $(seq 1 "$PAGES"); do
  cursor=$(curl -s "${AUTH[@]}" "127.0.0.1:$AGRUPA_PORT/api/v1/members?limit=100${cursor:+&cursor=$cursor}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["next_cursor"] or "")')
done
stop

# name | path (after host:port) | servers to compare with agrupa
REQUESTS=(
  "member by id|@random|floor bare"
  "first page, filtered|/api/v1/members?status=active&size=small&municipality=Getafe&limit=25|floor"
  "search q=produccion|/api/v1/members?q=produccion&limit=25|floor"
  "page $((PAGES + 1)) ($((PAGES * 100)) rows deep)|/api/v1/members?limit=100&cursor=$cursor|floor"
  "plan tree|/api/v1/plans/$TREE_PLAN/tree|floor"
  "budget report ($LINES lines)|/api/v1/budgets/$BUDGET/report|floor"
)
CHOSEN=()
for spec in "${REQUESTS[@]}"; do
  [ "$VERSUS" != floor ] && spec="${spec%|*}|warn"
  wants "${spec%%|*}" && CHOSEN+=("$spec")
done
REQUESTS=("${CHOSEN[@]}")
ROUNDS_TSV=$WORK/rounds.tsv
SIZES_TSV=$WORK/sizes.tsv
: >"$ROUNDS_TSV"; : >"$SIZES_TSV"
run_wrk() { # transport request server round port prefix path
  local out
  if [ "$7" = "@random" ]; then
    out=$(PREFIX=$6 wrk -t2 -c"$CONNECTIONS" -d"${ROUND_SECS}s" --latency -s bench/wrk_random_member.lua "http://127.0.0.1:$5")
  else
    out=$(wrk -t2 -c"$CONNECTIONS" -d"${ROUND_SECS}s" --latency "${AUTH[@]}" "http://127.0.0.1:$5$6$7")
  fi
  python3 - "$1" "$2" "$3" "$4" <<PY >>"$ROUNDS_TSV"
import re, sys
out = """$out"""
def ms(v):
    n, u = re.match(r"([0-9.]+)(us|ms|s)", v).groups()
    return float(n) * {"us": 0.001, "ms": 1, "s": 1000}[u]
rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))
p99 = ms(re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1))
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
print("\t".join(sys.argv[1:] + [f"{rps:.1f}", f"{p99:.2f}", bad.group(1) if bad else "0"]))
PY
}
LOADS=()
for transport in $TRANSPORTS; do
  url=$TCP_URL; [ "$transport" = socket ] && url=$SOCKET_URL
  start "$url"
  LOADS+=("$transport: $(cut -d' ' -f1-3 /proc/loadavg)")
  sample=$(head -n1 "$IDS_FILE")
  for spec in "${REQUESTS[@]}"; do
    IFS='|' read -r name path others <<<"$spec"
    probe=$path; [ "$path" = "@random" ] && probe=/api/v1/members/$sample
    # Body sizes, once per transport (the floor's: its rows as JSON).
    a=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' "${AUTH[@]}" "127.0.0.1:$AGRUPA_PORT$probe")
    other_port=$FLOOR_PORT; [ "$VERSUS" != floor ] && other_port=$WARN_PORT
    f=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' "${AUTH[@]}" "127.0.0.1:$other_port$probe")
    printf '%s\t%s\t%s\t%s\n' "$transport" "$name" "$a" "$f" >>"$SIZES_TSV"
    for round in $(seq 1 "$ROUNDS"); do
      # Alternate who goes first.
      servers="agrupa $others"; [ $((round % 2)) = 0 ] && servers="$others agrupa"
      for server in $servers; do
        case $server in
          agrupa) run_wrk "$transport" "$name" agrupa "$round" "$AGRUPA_PORT" "" "$path" ;;
          floor) run_wrk "$transport" "$name" floor "$round" "$FLOOR_PORT" "" "$path" ;;
          bare) run_wrk "$transport" "$name" "floor, member read alone" "$round" "$FLOOR_PORT" /bare "$path" ;;
          warn) run_wrk "$transport" "$name" "$OTHER_LABEL" "$round" "$WARN_PORT" "" "$path" ;;
        esac
      done
    done
  done
  stop
done

if [ "$VERSUS" = log ]; then
  echo "# The access log: agrupa at AGRUPA_LOG=info (to a $LOG_SINK) against agrupa at warn"
  echo "Access lines written: $(grep -c ' access' "$WORK/agrupa.log" || true)."
elif [ "$VERSUS" = bin ]; then
  echo "# Two builds: $BIN against $OTHER_BIN"
else
  echo "# agrupa against its floor"
fi
echo
echo "$(date -u +%Y-%m-%dT%H:%MZ); $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB;" \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(git rev-parse --short HEAD)."
echo "$MEMBERS synthetic members (seeded in ${seeded} s); release builds; wrk -t2 -c$CONNECTIONS --latency,"
if [ "$VERSUS" = log ]; then
  echo "$ROUNDS alternating rounds of $ROUND_SECS s per request and server; \"agrupa\" at AGRUPA_LOG=info, the other at warn; rate limits off."
else
  echo "$ROUNDS alternating rounds of $ROUND_SECS s per request and server; agrupa at AGRUPA_LOG=warn, rate limits off."
fi
echo "Load average (1, 5, 15 min) when each transport started: ${LOADS[*]}; at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
python3 - "$ROUNDS_TSV" "$SIZES_TSV" <<'PY'
import collections, statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
sizes = {(t, n): (a, f) for t, n, a, f in (l.rstrip("\n").split("\t") for l in open(sys.argv[2]))}
by = collections.defaultdict(dict)
for t, name, server, rnd, rps, p99, bad in rows:
    by[(t, name)].setdefault(server, {})[int(rnd)] = (float(rps), float(p99), int(bad))
for transport in dict.fromkeys(t for t, _ in by):
    print(f"\n## Over {'TCP (127.0.0.1)' if transport == 'tcp' else 'the unix socket'}\n")
    print("| request | server | requests/s (median; rounds) | p99 ms (median) | non-2xx | agrupa / this: median of the rounds' ratios (range) | body bytes |")
    print("|---|---|---|---|---|---|---|")
    for (t, name), servers in by.items():
        if t != transport:
            continue
        a = servers["agrupa"]
        size_a, size_f = sizes[(t, name)]
        for server, r in servers.items():
            rps = [r[k][0] for k in sorted(r)]
            p99 = statistics.median(r[k][1] for k in r)
            bad = sum(r[k][2] for k in r)
            if server == "agrupa":
                ratio, size = "", size_a.split()[1]
            else:
                ratios = [a[k][0] / r[k][0] for k in sorted(r) if k in a]
                ratio = f"**{statistics.median(ratios):.2f}** ({min(ratios):.2f}–{max(ratios):.2f})"
                size = size_f.split()[1]
            rounds = ", ".join(f"{x:,.0f}" for x in rps)
            print(f"| {name} | {server} | {statistics.median(rps):,.0f} ({rounds}) | {p99:.1f} | {bad} | {ratio} | {size} |")
PY
