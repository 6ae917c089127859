#!/usr/bin/env bash
# Memory of one agrupa process through a day's kinds of load (issue 18: peak RSS at most
# 64 MB under the read benchmark and through 1,000 sign-ins from 16 clients, and back under
# 64 MB at idle). One release agrupa serves over TCP (DATABASE_URL to 127.0.0.1:5432, a
# scratch database of the machine's PostgreSQL, dropped at the end) with 100,000 synthetic
# members, at the default log level (AGRUPA_LOG=info, the access log on, to a file), and goes
# through these phases, each measured by the process's peak RSS (VmHWM of
# /proc/PID/status, reset at the start of the phase through /proc/PID/clear_refs) and its RSS
# at the end:
#   1. reads: bench/members_floor.sh's member reads at 32 connections (GET member by id at
#      random, then the filtered first page, a search and a page 50,000 rows deep);
#   2. sign-ins: 1,000 password sign-ins from 16 clients;
#   3. mixed: every listed route in turn (lists, CSV exports, the plan tree and export, the
#      budget report, reports, the public transparency pages, the OpenAPI document, the
#      minutes and a certificate as PDF), a few thousand requests;
#   4. idle: the RSS 40 s after the last request (past the 30 s after which unused database
#      connections close).
#   bash bench/memory.sh
#   READ_SECS=10 MIXED_SECS=20 AGRUPA_BIN=/tmp/agrupa.before LABEL=before bash bench/memory.sh
# AGRUPA_BIN measures that binary instead of building one. Prints a Markdown report, with
# where the idle process's memory is (/proc/PID/smaps by kind of mapping); the RSS every
# 0.5 s goes to target/bench-memory/rss.tsv. The environment reaches agrupa, e.g.
# MALLOC_ARENA_MAX=2 (glibc's arenas).
set -euo pipefail
cd "$(dirname "$0")/.."
MEMBERS=${MEMBERS:-100000}
READ_SECS=${READ_SECS:-20}
LIST_SECS=${LIST_SECS:-5}
CONNECTIONS=${CONNECTIONS:-32}
SIGNINS=${SIGNINS:-1000}
SIGNIN_CLIENTS=${SIGNIN_CLIENTS:-16}
MIXED_SECS=${MIXED_SECS:-30}
MIXED_CONNECTIONS=${MIXED_CONNECTIONS:-8}
# Idle: past AGRUPA_DB_IDLE_TIMEOUT_SECS (30 s by default), after which the unused database
# connections close and give back their buffers, and the next quiet interval's trim (2 s).
IDLE_SECS=${IDLE_SECS:-40}
LOG=${LOG:-info}
PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
PG_USER=${PG_USER:-postgres}
DB=${DB:-agrupa_bench_memory}
PORT=${PORT:-18480}

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | tail -n1)
PSQL=$(command -v psql || echo "$PGBIN/psql")
if ! "$PGBIN/pg_isready" -q -h "$PG_HOST" -p "$PG_PORT"; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | tail -n1)" main start
fi
if [ -z "${AGRUPA_BIN:-}" ]; then
  cargo build --release --bin agrupa -q
  AGRUPA_BIN=$(pwd)/target/release/agrupa
fi
LABEL=${LABEL:-$(git rev-parse --short HEAD 2>/dev/null || echo '?')}
WORK=$(pwd)/target/bench-memory
EMAIL=bench@agrupa.local
PASSWORD='contraseña-de-benchmark'
PID="" SAMPLER=""
ADMIN=(-qAtX -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER")
cleanup() {
  [ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null
  [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  [ -n "${KEEP_DB:-}" ] || "$PSQL" "${ADMIN[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
}
trap cleanup EXIT
rm -rf "$WORK" && mkdir -p "$WORK"

"$PSQL" "${ADMIN[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
"$PSQL" "${ADMIN[@]}" -d postgres -c "CREATE DATABASE $DB" >/dev/null
SQL=("$PSQL" "${ADMIN[@]}" -d "$DB" -v ON_ERROR_STOP=1)
export DATABASE_URL="postgres://$PG_USER@$PG_HOST:$PG_PORT/$DB" \
       AGRUPA_ADDR=127.0.0.1:$PORT AGRUPA_LOG=$LOG AGRUPA_RATE_LIMIT=0 AGRUPA_TOKEN_RATE_LIMIT=0 \
       AGRUPA_ACCESS_TOKEN_TTL_SECS=3600 AGRUPA_JWT_KEYS="bench:$(head -c 32 /dev/urandom | base64)" \
       AGRUPA_LOGIN_MAX_FAILURES=1000 AGRUPA_LOGIN_MAX_FAILURES_PER_ACCOUNT=100000 \
       AGRUPA_LOGIN_MAX_FAILURES_PER_ADDRESS=100000
"$AGRUPA_BIN" seed synthetic --members "$MEMBERS" >/dev/null
AGRUPA_ADMIN_PASSWORD=$PASSWORD "$AGRUPA_BIN" admin create --email "$EMAIL" >/dev/null
"${SQL[@]}" -c "VACUUM ANALYZE" >/dev/null
"${SQL[@]}" -c "SELECT id FROM members ORDER BY random() LIMIT 50000" >"$WORK/ids.txt"
export IDS_FILE=$WORK/ids.txt

"$AGRUPA_BIN" serve >"$WORK/agrupa.log" 2>&1 &
PID=$!
until curl -sf "127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.1; done
started_at=$(date +%s.%N)

kb() { awk -v k="$1:" '$1==k {print $2}' "/proc/$PID/status"; }
mib() { python3 -c "print(f'{$1/1024:.1f}')"; }
phase_name=start
( while kill -0 "$PID" 2>/dev/null; do
    printf '%s\t%s\t%s\n' "$(python3 -c "print(f'{$(date +%s.%N) - $started_at:.1f}')")" \
      "$(cat "$WORK/phase" 2>/dev/null || echo start)" "$(kb VmRSS)" >>"$WORK/rss.tsv"
    sleep 0.5
  done ) &
SAMPLER=$!
ROWS=()
# Starts a phase: the peak is reset to the current RSS.
begin() { phase_name=$1; echo "$1" >"$WORK/phase"; echo 5 >"/proc/$PID/clear_refs"; phase_from=$(kb VmRSS); }
# Ends a phase: name, requests, answers.
finish() {
  ROWS+=("| $phase_name | $1 | $2 | $(mib "$phase_from") | **$(mib "$(kb VmHWM)")** | $(mib "$(kb VmRSS)") |")
}
# The RSS by kind of mapping (MiB): the binary's pages, other files, the main heap, other
# anonymous memory (glibc's per-thread arenas, large allocations, thread stacks).
where() {
  python3 - "/proc/$PID/smaps" "$(readlink "/proc/$PID/exe")" <<'PY'
import re, sys
kinds = {}
name = None
for line in open(sys.argv[1]):
    head = re.match(r"^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$", line)
    if head:
        path = head.group(1).strip()
        name = ("the binary (code, data, embedded fonts)" if path.startswith(sys.argv[2])
                else "[heap] (main arena)" if path == "[heap]"
                else "thread stacks" if path.startswith("[stack")
                else "anonymous (other arenas, large blocks, stacks)" if path == ""
                else "other files (libraries)")
        continue
    if line.startswith("Rss:"):
        kinds[name] = kinds.get(name, 0) + int(line.split()[1])
print(", ".join(f"{k} {v / 1024:.1f}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])))
PY
}
sleep 5
idle_start=$(kb VmRSS)
where_start=$(where)
threads_start=$(awk '$1=="Threads:" {print $2}' "/proc/$PID/status")

TOKEN=$(curl -s "127.0.0.1:$PORT/api/v1/auth/token" -d grant_type=password -d "username=$EMAIL" \
  --data-urlencode "password=$PASSWORD" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
export TOKEN
AUTH=(-H "Authorization: Bearer $TOKEN")
wrk_summary() { # wrk output -> "requests|non-2xx"
  python3 -c '
import re, sys
out = sys.stdin.read()
n = int(re.search(r"(\d+) requests in", out).group(1))
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
print(f"{n}|{bad.group(1) if bad else 0}")'
}

# 1. Reads, as bench/members_floor.sh (a cursor half way down the list, at most 100,000 rows).
begin "reads: member by id ($READ_SECS s), filtered page, search, deep page ($LIST_SECS s each); $CONNECTIONS connections"
PAGES=$(( MEMBERS / 200 < 1000 ? MEMBERS / 200 : 1000 ))
cursor=""
for _ in $(seq 1 "$PAGES"); do
  cursor=$(curl -s "${AUTH[@]}" "127.0.0.1:$PORT/api/v1/members?limit=100${cursor:+&cursor=$cursor}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["next_cursor"] or "")')
done
total=0 bad=0
IFS='|' read -r n b < <(wrk -t2 -c"$CONNECTIONS" -d"${READ_SECS}s" -s bench/wrk_random_member.lua "http://127.0.0.1:$PORT" | wrk_summary)
total=$((total + n)) bad=$((bad + b))
for path in "/api/v1/members?status=active&size=small&municipality=Getafe&limit=25" \
            "/api/v1/members?q=produccion&limit=25" "/api/v1/members?limit=100&cursor=$cursor"; do
  IFS='|' read -r n b < <(wrk -t2 -c"$CONNECTIONS" -d"${LIST_SECS}s" "${AUTH[@]}" "http://127.0.0.1:$PORT$path" | wrk_summary)
  total=$((total + n)) bad=$((bad + b))
done
finish "$total" "$((total - bad)) × 2xx, $bad other"

# 2. Sign-ins.
begin "sign-ins: $SIGNINS from $SIGNIN_CLIENTS clients"
seq "$SIGNINS" | xargs -P "$SIGNIN_CLIENTS" -I{} curl -s -o /dev/null -w '%{http_code}\n' \
  "127.0.0.1:$PORT/api/v1/auth/token" -d grant_type=password -d "username=$EMAIL" \
  --data-urlencode "password=$PASSWORD" >"$WORK/codes.txt"
finish "$SIGNINS" "$(sort "$WORK/codes.txt" | uniq -c | awk '{printf "%s × %s, ", $1, $2}' | sed 's/, $//')"

# 3. Mixed: the paths, each checked once first (only those answering 200 go into the mix).
q() { "${SQL[@]}" -c "$1"; }
PLAN=$(q "SELECT id FROM plans ORDER BY created_at LIMIT 1")
BUDGET=$(q "SELECT id FROM budgets ORDER BY fiscal_year DESC LIMIT 1")
LINE=$(q "SELECT id FROM budget_lines WHERE budget_id = '$BUDGET' ORDER BY position LIMIT 1")
BODY=$(q "SELECT id FROM bodies ORDER BY created_at LIMIT 1")
MEETING=$(q "SELECT meeting_id FROM minutes WHERE status = 'approved' ORDER BY created_at LIMIT 1")
read -r RESOLUTION CERTIFICATE < <(q "SELECT resolution_id || ' ' || id FROM certificates ORDER BY created_at LIMIT 1")
MEMBER=$(head -n1 "$IDS_FILE")
YEAR=$(curl -s "127.0.0.1:$PORT/public/v1/transparency" \
  | python3 -c 'import json,sys; d=json.load(sys.stdin); items=d.get("items", d) if isinstance(d, dict) else d; print(items[0]["year"] if items else 2025)' 2>/dev/null || echo 2025)
cat >"$WORK/candidates.tsv" <<EOF
-	/api/v1/members?limit=100
text/csv	/api/v1/members?municipality=Getafe&status=active&size=small
-	/api/v1/members/stats
-	/api/v1/members/$MEMBER
-	/api/v1/members/$MEMBER/contacts
-	/api/v1/members/$MEMBER/dues
-	/api/v1/members/$MEMBER/status-changes
-	/api/v1/member-categories
-	/api/v1/segments
-	/api/v1/users
text/csv	/api/v1/users
-	/api/v1/audit-events?limit=100
text/csv	/api/v1/audit-events
-	/api/v1/plans
-	/api/v1/plans/$PLAN/tree
text/csv	/api/v1/plans/$PLAN/tree
-	/api/v1/plans/$PLAN/progress
-	/api/v1/plans/$PLAN/export
-	/api/v1/actions?limit=100
-	/api/v1/indicators
-	/api/v1/budgets
-	/api/v1/budgets/$BUDGET/lines
-	/api/v1/budgets/$BUDGET/report
text/csv	/api/v1/budgets/$BUDGET/report
-	/api/v1/budget-lines/$LINE/entries
-	/api/v1/funders
-	/api/v1/calls
-	/api/v1/applications
-	/api/v1/agreements
-	/api/v1/deadlines
-	/api/v1/approved-accounts
-	/api/v1/bodies
-	/api/v1/bodies/$BODY/seats
-	/api/v1/bodies/$BODY/meetings
-	/api/v1/meetings
-	/api/v1/meetings/$MEETING
text/calendar	/api/v1/meetings/$MEETING
-	/api/v1/meetings/$MEETING/roll
-	/api/v1/meetings/$MEETING/minutes
application/pdf	/api/v1/meetings/$MEETING/minutes
-	/api/v1/resolutions/$RESOLUTION/certificates
application/pdf	/api/v1/resolutions/$RESOLUTION/certificates/$CERTIFICATE
-	/api/v1/reports/aei-register
text/csv	/api/v1/reports/aei-register
application/pdf	/api/v1/reports/aei-register
-	/api/v1/reports/transparency?year=$YEAR
application/pdf	/api/v1/reports/transparency?year=$YEAR
application/pdf	/api/v1/reports/european-profile?year=$YEAR
-	/api/v1/cluster
-	/api/v1/me
-	/public/v1/transparency
-	/public/v1/transparency/$YEAR
text/html	/public/v1/transparency/$YEAR
text/csv	/public/v1/transparency/$YEAR/budget
-	/public/v1/transparency/$YEAR/governing-bodies
-	/api-docs/openapi.json
EOF
: >"$WORK/paths.tsv"
SKIPPED=()
while IFS=$'\t' read -r accept path; do
  h=(); [ "$accept" = - ] || h=(-H "Accept: $accept")
  read -r code type < <(curl -s -o /dev/null -w '%{http_code} %{content_type}\n' "${AUTH[@]}" "${h[@]}" "127.0.0.1:$PORT$path")
  if [ "$code" = 200 ]; then printf '%s\t%s\n' "$accept" "$path" >>"$WORK/paths.tsv"
  else SKIPPED+=("$path ($accept): $code"); fi
done <"$WORK/candidates.tsv"
export PATHS_FILE=$WORK/paths.tsv
begin "mixed: $(wc -l <"$PATHS_FILE") routes in turn ($MIXED_SECS s, $MIXED_CONNECTIONS connections)"
out=$(wrk -t2 -c"$MIXED_CONNECTIONS" -d"${MIXED_SECS}s" --timeout 10s -s bench/wrk_paths.lua "http://127.0.0.1:$PORT")
IFS='|' read -r n b < <(wrk_summary <<<"$out")
finish "$n" "$(grep '^status' <<<"$out" | sort -k2 | awk '{printf "%s × %s, ", $3, $2}' | sed 's/, $//')"
where_mixed=$(where)

# 4. Idle.
echo idle >"$WORK/phase"
EARLY_SECS=$(( IDLE_SECS < 10 ? IDLE_SECS : 10 ))
sleep "$EARLY_SECS"
idle_early=$(kb VmRSS)
sleep "$(( IDLE_SECS - EARLY_SECS ))"
idle_end=$(kb VmRSS)
where_end=$(where)
threads_end=$(awk '$1=="Threads:" {print $2}' "/proc/$PID/status")
load=$(cut -d' ' -f1-3 /proc/loadavg)
peak_all=$(sort -t$'\t' -k3 -n "$WORK/rss.tsv" | tail -n1 | cut -f3)

echo "## Memory through the phases ($(date -u +%Y-%m-%dT%H:%MZ), $LABEL)"
echo
echo "$(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs);"
echo "release build; $MEMBERS synthetic members; one agrupa over TCP (AGRUPA_LOG=$LOG to a file, rate limits off,"
echo "$(nproc) workers, pool 16); load average at the end (1, 5, 15 min): $load."
echo
echo "| phase | requests | answers | RSS at its start (MiB) | peak RSS, VmHWM (MiB) | RSS at its end (MiB) |"
echo "|---|---|---|---|---|---|"
echo "| idle after start-up (5 s after ready) | | | | | $(mib "$idle_start") |"
for row in "${ROWS[@]}"; do echo "$row"; done
echo "| idle, $EARLY_SECS s after the last request | | | | | $(mib "$idle_early") |"
echo "| idle, $IDLE_SECS s after the last request | | | | | **$(mib "$idle_end")** |"
echo
echo "Highest RSS sampled (every 0.5 s): $(mib "$peak_all") MiB. Threads: $threads_start after start-up, $threads_end at the end."
echo
echo "Where the RSS is (MiB, /proc/PID/smaps):"
echo "- after start-up: $where_start"
echo "- right after the mixed phase: $where_mixed"
echo "- idle at the end: $where_end"
# Each PDF is rendered by a child process (`agrupa render-pdf`), which logs its own peak.
python3 - "$WORK/agrupa.log" <<'PY'
import re, statistics, sys
peaks, times = [], []
for line in open(sys.argv[1], errors="replace"):
    if "PDF rendered" not in line:
        continue
    line = re.sub(r"\x1b\[[0-9;]*m", "", line)  # the pretty format's colours
    p = re.search(r'renderer_peak_rss_kib"?[=:]\s*(\d+)', line)
    t = re.search(r'elapsed_ms"?[=:]\s*(\d+)', line)
    if p: peaks.append(int(p.group(1)))
    if t: times.append(int(t.group(1)))
if times:
    print(f"\nPDFs rendered: {len(times)}, each in a child process: its peak RSS "
          f"{min(peaks) / 1024:.1f}–{max(peaks) / 1024:.1f} MiB (median {statistics.median(peaks) / 1024:.1f}), "
          f"time in the server {min(times)}–{max(times)} ms (median {statistics.median(times):.0f}).")
PY
[ ${#SKIPPED[@]} = 0 ] || { echo; echo "Left out of the mix (not 200 when checked): ${SKIPPED[*]}"; }
