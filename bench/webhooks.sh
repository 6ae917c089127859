#!/usr/bin/env bash
# Webhook delivery throughput: events per second from the commit of a change to the
# receiver's 200, and the lag from the event's timestamp (written in the change's
# transaction) to its arrival, p50 / p99 / max. The changes are member status moves
# (active ↔ suspended: one `member.status_changed` each) posted by CONCURRENCY clients over
# the API; one endpoint receives every event on a local Python receiver answering 200.
# With LOAD=1, wrk reads random members (bench/members.sh's load) during the run, for the
# outbox lag under load.
#   bash bench/webhooks.sh                       # release build
#   AGRUPA_BIN=target/debug/agrupa EVENTS=500 bash bench/webhooks.sh
# Prints a Markdown report.
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${EVENTS:-2000}
CONCURRENCY=${CONCURRENCY:-8}
MEMBERS=${MEMBERS:-200}
PORT=${PORT:-18283}
LOAD=${LOAD:-0}
POLL_MS=${POLL_MS:-100}
if [ -z "${AGRUPA_BIN:-}" ]; then
  cargo build --release --bin agrupa -q
  AGRUPA_BIN=$(pwd)/target/release/agrupa
fi
BIN=$AGRUPA_BIN
WORK=$(pwd)/target/bench-webhooks
PASSWORD='contraseña-de-benchmark'
PID="" RECV_PID="" WRK_PID=""
cleanup() {
  [ -n "$WRK_PID" ] && kill "$WRK_PID" 2>/dev/null
  [ -n "$RECV_PID" ] && kill "$RECV_PID" 2>/dev/null
  [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
rm -rf "$WORK" && mkdir -p "$WORK" && chmod 755 "$WORK"
export AGRUPA_DATA_DIR=$WORK AGRUPA_ADDR=127.0.0.1:$PORT AGRUPA_RATE_LIMIT=0 AGRUPA_LOG=warn \
       AGRUPA_ACCESS_TOKEN_TTL_SECS=3600 AGRUPA_WEBHOOKS_POLL_MS=$POLL_MS
"$BIN" seed synthetic --members "$MEMBERS" >/dev/null
AGRUPA_ADMIN_PASSWORD=$PASSWORD "$BIN" admin create --email bench@agrupa.local >/dev/null
"$BIN" serve >"$WORK/serve.log" 2>&1 &
PID=$!
until curl -sf "127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.1; done
SOCK="host=$WORK/pg/run port=5432 user=agrupa dbname=agrupa"
TOKEN=$(curl -s "127.0.0.1:$PORT/api/v1/auth/token" -d grant_type=password -d username=bench@agrupa.local \
  --data-urlencode "password=$PASSWORD" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
psql -qAtX "$SOCK" -c "SELECT id FROM members WHERE status = 'active' ORDER BY id LIMIT $MEMBERS" >"$WORK/ids.txt"

# The receiver: answers 200 and notes each message's lag (arrival − event timestamp).
cat >"$WORK/receiver.py" <<'PY'
import datetime, http.server, json, sys, threading
lags, lock = [], threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        now = datetime.datetime.now(datetime.timezone.utc)
        at = datetime.datetime.fromisoformat(body["timestamp"].replace("Z", "+00:00"))
        with lock:
            lags.append(((now - at).total_seconds(), now.timestamp(), self.headers["webhook-id"]))
            with open(sys.argv[2], "a") as f:
                f.write(f"{lags[-1][0]} {lags[-1][1]} {lags[-1][2]}\n")
        self.send_response(200); self.send_header("content-length", "0"); self.end_headers()
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()
PY
python3 "$WORK/receiver.py" "$WORK/port" "$WORK/lags.txt" &
RECV_PID=$!
until [ -s "$WORK/port" ]; do sleep 0.1; done
curl -sf "127.0.0.1:$PORT/api/v1/webhook-endpoints" -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' \
  -d "{\"url\": \"http://127.0.0.1:$(cat "$WORK/port")/hook\", \"event_types\": [\"member.status_changed\"]}" >/dev/null

if [ "$LOAD" = 1 ]; then
  command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
  export TOKEN IDS_FILE=$WORK/ids.txt
  wrk -t1 -c16 -d600s -s bench/wrk_random_member.lua "http://127.0.0.1:$PORT" >"$WORK/wrk.txt" 2>&1 &
  WRK_PID=$!
fi

# The producer: CONCURRENCY threads, each moving its own members active ↔ suspended.
started=$(date +%s.%N)
python3 - "$PORT" "$TOKEN" "$WORK/ids.txt" "$EVENTS" "$CONCURRENCY" <<'PY'
import json, sys, threading, urllib.error, urllib.request
port, token, ids_file, events, conc = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
ids = [l.strip() for l in open(ids_file) if l.strip()]
def worker(k):
    mine = ids[k::conc]
    state = {m: "active" for m in mine}
    for i in range(k, events, conc):
        m = mine[(i // conc) % len(mine)]
        to = "suspended" if state[m] == "active" else "active"
        req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/members/{m}/status-changes",
            data=json.dumps({"to": to, "reason": "Prueba de carga"}).encode(), method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        try:
            urllib.request.urlopen(req).read()
        except urllib.error.HTTPError as e:
            print(f"{m} -> {to}: {e.code} {e.read().decode()}", file=sys.stderr); raise
        state[m] = to
threads = [threading.Thread(target=worker, args=(k,)) for k in range(conc)]
[t.start() for t in threads]; [t.join() for t in threads]
PY
committed=$(date +%s.%N)
for _ in $(seq 1 600); do
  [ "$(wc -l <"$WORK/lags.txt" 2>/dev/null || echo 0)" -ge "$EVENTS" ] && break
  sleep 0.1
done
if [ -n "$WRK_PID" ]; then # SIGINT: wrk stops and prints its summary
  kill -INT "$WRK_PID" 2>/dev/null; wait "$WRK_PID" 2>/dev/null || true; WRK_PID=""
fi

echo "# Webhook delivery benchmark"
echo
echo "$(date -u +%Y-%m-%dT%H:%MZ); $(nproc) cores; $(basename "$(dirname "$BIN")") build; $EVENTS events from $CONCURRENCY clients;"
echo "worker poll ${POLL_MS} ms; receiver: Python http.server on the same machine; load during the run: $([ "$LOAD" = 1 ] && echo "wrk GET /members/{id}, 16 connections, $(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt") requests/s" || echo none); load average $(cut -d' ' -f1 /proc/loadavg)."
echo
python3 - "$WORK/lags.txt" "$started" "$committed" "$EVENTS" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
started, committed, events = float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
lags = sorted(float(r[0]) for r in rows)
last = max(float(r[1]) for r in rows)
ids = {r[2] for r in rows}
q = lambda p: lags[min(len(lags) - 1, int(p * len(lags)))] * 1000
print("| events | received | distinct ids | commits/s | delivered/s (first commit → last 200) | lag p50 ms | p99 ms | max ms |")
print("|---|---|---|---|---|---|---|---|")
print(f"| {events} | {len(rows)} | {len(ids)} | {events / (committed - started):.0f} | {len(rows) / (last - started):.0f} | {q(0.5):.0f} | {q(0.99):.0f} | {lags[-1]*1000:.0f} |")
PY
