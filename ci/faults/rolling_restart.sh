#!/usr/bin/env bash
# SIGTERM under load: two replicas on one (throw-away) database behind haproxy, which
# health-checks /readyz, are restarted one after the other while the load generator sends
# reads and writes through haproxy. Zero failed requests allowed. On SIGTERM a replica
# answers /readyz with 503 and serves on for AGRUPA_SHUTDOWN_DRAIN_SECS (haproxy takes it
# out), then refuses new connections and finishes what is in flight. Checked on the first
# replica with a write held up by a table lock past the drain: it must answer 201 while new
# connections are refused, and the replica must exit 0.
#   bash ci/faults/rolling_restart.sh     (AGRUPA_BIN=/path/to/agrupa skips the release build)
set -euo pipefail
FAULT_NAME=rolling-restart
source "$(dirname "$0")/lib.sh"
fault_setup
need haproxy:haproxy
start_cluster
export AGRUPA_SHUTDOWN_TIMEOUT_SECS=15
# Above haproxy's time to mark a replica down (2 failed checks, 300 ms apart).
export AGRUPA_SHUTDOWN_DRAIN_SECS=2

declare -A PORTS=([a]="$(free_port)" [b]="$(free_port)")
LB_PORT="$(free_port)"
log "replicas a (:${PORTS[a]}) and b (:${PORTS[b]}); haproxy on :$LB_PORT"
start_agrupa a "${PORTS[a]}"
start_agrupa b "${PORTS[b]}"
cat >"$FAULT_DIR/haproxy.cfg" <<CFG
global
    stats socket $FAULT_DIR/haproxy.sock mode 600 level admin
    log stdout format raw local0
defaults
    mode http
    log global
    option httplog
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    # A connection refused by a replica that is stopping is tried on the other one.
    retries 3
    option redispatch 1
frontend api
    bind 127.0.0.1:$LB_PORT
    default_backend replicas
backend replicas
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 300ms fall 2 rise 2
    server a 127.0.0.1:${PORTS[a]} check
    server b 127.0.0.1:${PORTS[b]} check
CFG
haproxy -f "$FAULT_DIR/haproxy.cfg" -db >"$FAULT_DIR/haproxy.log" 2>&1 &
HAPROXY_PID=$!
EXTRA_CLEANUP+=('kill "$HAPROXY_PID"')

# haproxy's view of a replica: UP, DOWN…
lb_state() {
  python3 - "$FAULT_DIR/haproxy.sock" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"show stat\n")
data = b""
while chunk := s.recv(65536):
    data += chunk
for line in data.decode().splitlines():
    f = line.split(",")
    if len(f) > 17 and f[0] == "replicas" and f[1] == sys.argv[2]:
        print(f[17])
PY
}
wait_lb() {  # wait_lb NAME STATE
  local started=$SECONDS
  until [ "$(lb_state "$1")" = "$2" ]; do
    [ $((SECONDS - started)) -lt 30 ] || fail "haproxy never saw $1 $2"
    sleep 0.1
  done
}
wait_lb a UP
wait_lb b UP

log "load for 14 s through haproxy; a, then b, restarted with SIGTERM"
start_load --base "http://127.0.0.1:$LB_PORT" --seconds 14 --threads 8 --max-latency 10
sleep 2

# A write in flight on a when it gets SIGTERM, held up by a lock until after the drain.
"$PG_BIN/psql" -q "$DATABASE_URL" \
  -c "BEGIN; LOCK TABLE member_categories; SELECT pg_sleep(5); COMMIT" >/dev/null &
LOCK_PID=$!
sleep 0.3
TOKEN="$(curl -sf "http://127.0.0.1:${PORTS[a]}/api/v1/auth/token" -d grant_type=password \
  --data-urlencode "username=$ADMIN_EMAIL" --data-urlencode "password=$ADMIN_PASSWORD" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')"
curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' -d '{"name": "in-flight at SIGTERM", "annual_fee_cents": 1}' \
  "http://127.0.0.1:${PORTS[a]}/api/v1/member-categories" >"$FAULT_DIR/in-flight" &
IN_FLIGHT_PID=$!
sleep 0.5

for name in a b; do
  event "stop-$name"
  sigterm_at="$(date +%s.%N)"
  kill -TERM "${AGRUPA_PIDS[$name]}"
  if [ "$name" = a ]; then
    sleep 0.3
    ready="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${PORTS[a]}/readyz")"
    [ "$ready" = 503 ] || fail "/readyz of a draining replica answered $ready"
    echo "/readyz of the draining replica: 503"
    sleep "$AGRUPA_SHUTDOWN_DRAIN_SECS"
    refused=0
    curl -s -o /dev/null --max-time 2 "http://127.0.0.1:${PORTS[a]}/healthz" || refused=$?
    [ "$refused" = 7 ] || fail "a new connection to a stopping replica was not refused (curl $refused)"
    kill -0 "$IN_FLIGHT_PID" 2>/dev/null || fail "the write meant to be in flight has already ended"
    echo "after the drain, a new connection to it: refused (a write still in flight)"
  fi
  wait_exit "$name"
  echo "$name exited 0, $(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $sigterm_at }") s after SIGTERM"
  if [ "$name" = a ]; then
    wait "$IN_FLIGHT_PID" "$LOCK_PID"
    [ "$(cat "$FAULT_DIR/in-flight")" = 201 ] || fail "the in-flight write answered $(cat "$FAULT_DIR/in-flight")"
    echo "the write in flight at SIGTERM: 201"
  fi
  start_agrupa "$name" "${PORTS[$name]}"
  wait_lb "$name" UP
  event "up-$name"
  echo "$name back and UP in haproxy"
done

status=0
wait "$LOAD_PID" || status=$?
check_no_panics
[ "$status" = 0 ] || fail "requests failed during the rolling restart (above)"
echo "rolling_restart: OK"
