# Shared by the fault scripts (source it, don't run it): a throw-away PostgreSQL cluster on
# a port of its own (never the machine's service on 5432), agrupa instances against it, an
# admin, and the load generator (load.py). Everything goes on exit; the logs are kept in
# target/e2e-artifacts/faults/ when a check fails.
#
#   AGRUPA_BIN=/path/to/agrupa   the binary to run (default: cargo build --release)

FAULT_NAME="${FAULT_NAME:-fault}"
E2E_NAME="$FAULT_NAME"
# ROOT, ARTIFACTS, ADMIN_EMAIL, ADMIN_PASSWORD, log, ensure_postgres, build_service.
source "$(dirname "${BASH_SOURCE[0]}")/../e2e/service.sh"
HERE="$ROOT/ci/faults"
ARTIFACTS="$ARTIFACTS/faults"
# The same signing key for every replica: a token from one is good on the other.
export AGRUPA_JWT_KEYS="fault:$(head -c 32 /dev/urandom | base64 | tr -d '\n')"
export AGRUPA_RATE_LIMIT=0 AGRUPA_TOKEN_RATE_LIMIT=0 AGRUPA_LOG_FORMAT=json
FAULT_DIR=""
PG_DATA=""
declare -A AGRUPA_PIDS=()
EXTRA_CLEANUP=()

fail() { echo "FAIL: $*"; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# apt packages whose command is missing (idempotent: nothing when all are there).
need() {
  local missing=() cmd pkg
  for pair in "$@"; do
    cmd="${pair%%:*}" pkg="${pair#*:}"
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return
  log "apt-get install ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

fault_setup() {
  ensure_postgres
  need python3:python3 curl:curl
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
  build_service
  FAULT_DIR="$(mktemp -d /tmp/agrupa-fault.XXXXXX)"
  chmod 755 "$FAULT_DIR"   # the postgres user enters it to reach its cluster
  trap fault_cleanup EXIT
  trap 'exit 130' INT TERM
}

# Runs a command as the user PostgreSQL runs as (postgres when we are root).
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_cluster() {
  PG_DATA="$FAULT_DIR/pg/data"
  mkdir -p "$FAULT_DIR/pg"
  [ "$(id -u)" = 0 ] && chown postgres: "$FAULT_DIR/pg"
  PG_PORT="$(free_port)"
  log "throw-away PostgreSQL on 127.0.0.1:$PG_PORT ($PG_DATA)"
  as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U agrupa --auth=trust -E UTF8 --locale=C.UTF-8 \
    --no-instructions >/dev/null
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$FAULT_DIR/pg/postgres.log" -w -s \
    -o "-p $PG_PORT -k $FAULT_DIR/pg -c listen_addresses=127.0.0.1 -c max_connections=100" start
  export DATABASE_URL="postgres://agrupa@127.0.0.1:$PG_PORT/agrupa"
  "$PG_BIN/psql" -q "postgres://agrupa@127.0.0.1:$PG_PORT/postgres" -c "CREATE DATABASE agrupa"
  AGRUPA_ADMIN_PASSWORD="$ADMIN_PASSWORD" "$AGRUPA_BIN" admin create --email "$ADMIN_EMAIL" \
    </dev/null >/dev/null
}

psql_db() { "$PG_BIN/psql" -Atq "$DATABASE_URL" "$@"; }

# start_agrupa NAME PORT: serves on 127.0.0.1:PORT until /readyz answers 200.
start_agrupa() {
  local name="$1" port="$2"
  AGRUPA_ADDR="127.0.0.1:$port" "$AGRUPA_BIN" serve </dev/null >>"$FAULT_DIR/$name.log" 2>&1 &
  AGRUPA_PIDS[$name]=$!
  local started=$SECONDS
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" = 200 ]; do
    kill -0 "${AGRUPA_PIDS[$name]}" 2>/dev/null || fail "$name exited during start-up"
    [ $((SECONDS - started)) -lt 60 ] || fail "$name not ready after 60 s"
    sleep 0.2
  done
}

# stop_agrupa NAME: SIGTERM, then wait_exit.
stop_agrupa() {
  kill -TERM "${AGRUPA_PIDS[$1]}"
  wait_exit "$1"
}

# wait_exit NAME: waits for the process, whose exit status must be 0.
wait_exit() {
  local name="$1" status=0
  wait "${AGRUPA_PIDS[$name]}" || status=$?
  unset "AGRUPA_PIDS[$name]"
  [ "$status" = 0 ] || fail "$name exited with status $status"
}

# No agrupa process may have panicked (they are all still running or ended cleanly).
check_no_panics() {
  local logs=("$FAULT_DIR"/*.log)
  if grep -l "panicked" "${logs[@]}" 2>/dev/null; then fail "a process panicked (logs above)"; fi
  for name in "${!AGRUPA_PIDS[@]}"; do
    kill -0 "${AGRUPA_PIDS[$name]}" 2>/dev/null || fail "$name is gone"
  done
  echo "panics: 0"
}

# Runs the load generator in the background; `wait $LOAD_PID` for its verdict.
start_load() {
  python3 "$HERE/load.py" --admin-email "$ADMIN_EMAIL" --admin-password "$ADMIN_PASSWORD" \
    --psql "$PG_BIN/psql" --database-url "$DATABASE_URL" --events "$FAULT_DIR/events" "$@" &
  LOAD_PID=$!
}

# event NAME: a timestamp the load generator's figures refer to (fault start, database back).
event() { echo "$1 $(date +%s.%N)" >>"$FAULT_DIR/events"; }

fault_cleanup() {
  local rc=$?
  for pid in "${AGRUPA_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  for cmd in "${EXTRA_CLEANUP[@]}"; do eval "$cmd" || true; done
  if [ -n "$PG_DATA" ] && [ -f "$PG_DATA/postmaster.pid" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w -s stop >/dev/null 2>&1 || true
  fi
  if [ -n "$FAULT_DIR" ]; then
    if [ "$rc" -ne 0 ]; then
      mkdir -p "$ARTIFACTS/$FAULT_NAME"
      cp "$FAULT_DIR"/*.log "$FAULT_DIR"/pg/postgres.log "$ARTIFACTS/$FAULT_NAME/" 2>/dev/null || true
      echo "logs kept in $ARTIFACTS/$FAULT_NAME/"
    fi
    rm -rf "$FAULT_DIR"
  fi
  exit "$rc"
}
