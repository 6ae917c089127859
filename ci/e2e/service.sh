# Shared by the end-to-end checks (source it, don't run it): builds agrupa, starts it on a
# free port with a throw-away embedded PostgreSQL and an admin, and stops it on exit.
#
# After `start_service` these are set:
#   BASE_URL        http://127.0.0.1:PORT
#   ADMIN_EMAIL     the admin's e-mail
#   ADMIN_PASSWORD  its password
#   TOKEN           an access token for the admin (password grant)
# With SEED_DEMO=1 the demo data (`agrupa seed demo`) is loaded before the service starts.
# The service's log (JSON lines) is kept as target/e2e-artifacts/$E2E_NAME-agrupa.log.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ARTIFACTS="$ROOT/target/e2e-artifacts"
E2E_NAME="${E2E_NAME:-e2e}"
ADMIN_EMAIL="e2e-admin@agrupa.test"
ADMIN_PASSWORD="e2e-Password-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
E2E_DIR=""
SERVER_PID=""

log() { printf '\n== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

# Debian's Chromium and playwright-core (pinned in package.json / package-lock.json) for the
# browser checks (browser.mjs).
setup_browser() {
  log "chromium"
  if [ ! -x /usr/bin/chromium ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
  fi
  /usr/bin/chromium --version
  log "npm ci (playwright-core)"
  # Playwright must not try to download a browser of its own: we use Debian's chromium.
  export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
  (cd "$(dirname "${BASH_SOURCE[0]}")" && npm ci --no-audit --no-fund)
}

# PostgreSQL server binaries for the embedded database (as in .ci/run).
ensure_postgres() {
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
  fi
}

# AGRUPA_BIN=/path/to/agrupa runs that binary instead of building target/release/agrupa.
build_service() {
  if [ -n "${AGRUPA_BIN:-}" ]; then
    log "using $AGRUPA_BIN (no build)"
    return
  fi
  log "cargo build --release --bin agrupa"
  (cd "$ROOT" && cargo build --release --bin agrupa)
  AGRUPA_BIN="$ROOT/target/release/agrupa"
}

stop_service() {
  local rc=$?
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID"
    # Graceful shutdown also stops the embedded PostgreSQL; give it time.
    for _ in $(seq 1 60); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$SERVER_PID" 2>/dev/null && kill -KILL "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ -n "$E2E_DIR" ] && [ -f "$E2E_DIR/agrupa.log" ]; then
    mkdir -p "$ARTIFACTS" && cp "$E2E_DIR/agrupa.log" "$ARTIFACTS/$E2E_NAME-agrupa.log"
    if [ "$rc" -ne 0 ]; then
      echo "--- last lines of the service log ($ARTIFACTS/$E2E_NAME-agrupa.log) ---"
      tail -n 20 "$E2E_DIR/agrupa.log" || true
    fi
  fi
  [ -n "$E2E_DIR" ] && rm -rf "$E2E_DIR"
  return "$rc"
}

start_service() {
  ensure_postgres
  build_service
  trap stop_service EXIT
  trap 'exit 130' INT TERM

  # Under target/, not /tmp: the embedded PostgreSQL runs as `postgres` and must be able to
  # enter every folder above its data folder (mktemp makes 0700 folders).
  mkdir -p "$ROOT/target"
  E2E_DIR="$(mktemp -d "$ROOT/target/e2e-XXXXXX")"
  chmod 755 "$E2E_DIR"
  export AGRUPA_DATA_DIR="$E2E_DIR/data"
  export AGRUPA_RATE_LIMIT=0
  export AGRUPA_LOG_FORMAT=json
  # One access token serves a whole check. Its default lifetime (15 minutes) is shorter than
  # Schemathesis takes on a busy 2-core machine (one CI run took 43 minutes, and every call
  # after the 15th minute answered 401), so the checks' tokens live for 4 hours.
  export AGRUPA_ACCESS_TOKEN_TTL_SECS="${AGRUPA_ACCESS_TOKEN_TTL_SECS:-14400}"
  local port
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  export AGRUPA_ADDR="127.0.0.1:$port"
  BASE_URL="http://127.0.0.1:$port"
  local bin="$AGRUPA_BIN"

  log "create the admin"
  AGRUPA_ADMIN_PASSWORD="$ADMIN_PASSWORD" "$bin" admin create --email "$ADMIN_EMAIL" </dev/null
  if [ "${SEED_DEMO:-0}" = 1 ]; then
    log "load the demo data (SEED_DEMO=1)"
    "$bin" seed demo </dev/null
  fi

  log "start agrupa on $BASE_URL"
  "$bin" serve </dev/null >"$E2E_DIR/agrupa.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 120); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE_URL/readyz")" = 200 ]; then break; fi
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "agrupa exited during start-up"; return 1; }
    sleep 0.5
  done
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE_URL/readyz")" = 200 ] \
    || { echo "agrupa not ready after 60 s"; return 1; }

  log "sign in as $ADMIN_EMAIL"
  TOKEN="$(curl -sf "$BASE_URL/api/v1/auth/token" -d grant_type=password \
    --data-urlencode "username=$ADMIN_EMAIL" --data-urlencode "password=$ADMIN_PASSWORD" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')"
  [ -n "$TOKEN" ] || { echo "no access token"; return 1; }
}
