#!/usr/bin/env bash
# PostgreSQL restarts under load (`pg_ctl restart -m fast` while reads and writes run), on a
# throw-away cluster of its own: every request answers 2xx or 503 with Retry-After (never
# 500, never a hang past the request timeout), the pool recovers by itself within 5 s of the
# database being back, no process panics, and every acknowledged write is in the database.
#   bash ci/faults/pg_restart.sh     (AGRUPA_BIN=/path/to/agrupa skips the release build)
set -euo pipefail
FAULT_NAME=pg-restart
source "$(dirname "$0")/lib.sh"
fault_setup
start_cluster
export AGRUPA_REQUEST_TIMEOUT_SECS=10 AGRUPA_DB_TIMEOUT_MS=1000

PORT="$(free_port)"
log "agrupa on 127.0.0.1:$PORT"
start_agrupa app "$PORT"

log "load for 12 s; PostgreSQL restarted (-m fast) after 4 s"
start_load --base "http://127.0.0.1:$PORT" --seconds 12 --threads 8 \
  --allow-503 --max-latency "$AGRUPA_REQUEST_TIMEOUT_SECS" --recover-within 5
sleep 4
event fault
as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$FAULT_DIR/pg/postgres.log" -m fast -w -s restart
event back
status=0
wait "$LOAD_PID" || status=$?
check_no_panics
stop_agrupa app
[ "$status" = 0 ] || fail "the load generator's rules were broken (above)"
echo "pg_restart: OK"
