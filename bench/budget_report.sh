#!/usr/bin/env bash
# The budget report under load: a budget with 1,000 lines (three in four expense lines,
# each shared between two plan actions) and 1,000,000 execution entries, read through
# `GET /api/v1/budgets/{id}/report` by wrk at 1 and at 32 connections, authenticated, on the
# release build. The report reads one totals row per line (kept by the entry insert in the
# same transaction), never the entries, so its cost follows the lines, not the entries.
#   bash bench/budget_report.sh
#   LINES=1000 ENTRIES=1000000 DURATION=15 bash bench/budget_report.sh
# Needs wrk (apt-get install wrk). Prints a Markdown report.
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=${LINES:-1000}
ENTRIES=${ENTRIES:-1000000}
DURATION=${DURATION:-15}
PORT=${PORT:-18283}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
PSQL=$(command -v psql || ls /usr/lib/postgresql/*/bin/psql | tail -n1)
cargo build --release --bin agrupa -q
BIN=$(pwd)/target/release/agrupa
WORK=$(pwd)/target/bench-budget
PASSWORD='contraseña-de-benchmark'
PID=""
cleanup() { [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
rm -rf "$WORK" && mkdir -p "$WORK"
export AGRUPA_DATA_DIR=$WORK AGRUPA_ADDR=127.0.0.1:$PORT AGRUPA_RATE_LIMIT=0 AGRUPA_LOG=warn \
       AGRUPA_ACCESS_TOKEN_TTL_SECS=3600
AGRUPA_ADMIN_PASSWORD=$PASSWORD "$BIN" admin create --email bench@agrupa.local >/dev/null
"$BIN" serve >"$WORK/serve.log" 2>&1 &
PID=$!
until curl -sf "127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.1; done
SOCK="host=$WORK/pg/run port=5432 user=agrupa dbname=agrupa"
TOKEN=$(curl -s "127.0.0.1:$PORT/api/v1/auth/token" -d grant_type=password -d username=bench@agrupa.local \
  --data-urlencode "password=$PASSWORD" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

# A plan with 20 actions, approved, through the API.
python3 - >"$WORK/plan.json" <<'PY'
import json
actions = [{"code": f"E1.1.1.{i}", "title": f"Acción {i}"} for i in range(1, 21)]
print(json.dumps({"title": "Plan de carga", "start_year": 2024, "end_year": 2027,
  "axes": [{"code": "E1", "title": "Eje", "children": [{"code": "E1.1", "title": "Área",
    "children": [{"code": "E1.1.1", "title": "Objetivo", "children": actions}]}]}]}))
PY
PLAN=$(curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  --data @"$WORK/plan.json" "127.0.0.1:$PORT/api/v1/plans/import" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -H 'If-Match: *' \
  -d '{"reference": "Acta"}' "127.0.0.1:$PORT/api/v1/plans/$PLAN/approval"

# The budget, its lines and shares, approved; then the entries (the per-line totals follow
# by trigger, as for entries recorded through the API).
BUDGET=$(python3 -c 'import uuid; print(uuid.uuid4())')
started=$(date +%s.%N)
"$PSQL" -qAtX "$SOCK" -v ON_ERROR_STOP=1 <<SQL
INSERT INTO budgets (id, fiscal_year, plan_id, title) VALUES ('$BUDGET', 2025, '$PLAN', 'Presupuesto de carga');
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
UPDATE budgets SET status = 'approved', approved_on = '2025-01-01', approval_reference = 'Carga'
WHERE id = '$BUDGET';
INSERT INTO budget_entries (id, fiscal_year, line_key, line_id, entry_date, kind, amount_cents, description)
SELECT gen_random_uuid(), 2025, x.l, x.l, DATE '2025-01-01' + (n % 365),
       CASE WHEN n % 3 = 0 THEN 'commitment' ELSE 'actual' END, 100 + n % 1000, 'Apunte ' || n
FROM generate_series(1, $ENTRIES) n, LATERAL (SELECT md5('line-' || (1 + n % $LINES))::uuid) AS x(l);
SQL
# Loaded in one transaction, the 1,000 totals rows were updated a million times and left a
# million dead row versions, which nothing could prune before the commit. Entries recorded
# one per transaction (the API) leave pruned pages behind, and autovacuum does the rest;
# VACUUM stands for that steady state here.
"$PSQL" -qAtX "$SOCK" -v ON_ERROR_STOP=1 -c "VACUUM ANALYZE"
seeded=$(python3 -c "print(f'{$(date +%s.%N) - $started:.0f}')")
counts=$("$PSQL" -qAtX "$SOCK" -c "SELECT (SELECT count(*) FROM budget_lines WHERE budget_id = '$BUDGET') || ' lines, ' || (SELECT count(*) FROM budget_entries) || ' entries'")

URL="http://127.0.0.1:$PORT/api/v1/budgets/$BUDGET/report"
curl -sf -H "Authorization: Bearer $TOKEN" "$URL" >"$WORK/report.json"
bytes=$(wc -c <"$WORK/report.json")
echo "# Budget report benchmark"
echo
echo "$(date -u +%Y-%m-%dT%H:%MZ); $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs);"
echo "release build; $counts (loaded in ${seeded} s); report body $bytes bytes; wrk -t1/-t2 -d${DURATION}s --latency."
echo
echo "| connections | requests/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|"
for c in 1 32; do
  t=$(( c < 2 ? 1 : 2 ))
  out=$(wrk -t"$t" -c"$c" -d"${DURATION}s" --latency -H "Authorization: Bearer $TOKEN" "$URL")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx/ {print $5}' <<<"$out"); errors=${errors:-0}
  echo "| $c | $rps | $p50 | $p99 | $errors |"
done
python3 - "$WORK/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
t = r["totals"]
lines = sum(l["actual_cents"] for l in r["lines"])
print()
print(f"- reconciles: sum of line actuals {lines} = income + expense actuals "
      f"{t['income']['actual_cents'] + t['expense']['actual_cents']}: "
      f"{lines == t['income']['actual_cents'] + t['expense']['actual_cents']}")
PY
