#!/usr/bin/env bash
# A newcomer as root in their home folder: `git clone … ~/agrupa && cd ~/agrupa && cargo run`
# must work, although the `postgres` user (who runs the embedded PostgreSQL for root) cannot
# enter a home folder of mode 700. Makes a fresh clone in a mode-700 folder, starts the
# binary there with nothing configured until /readyz answers, checks that the folder kept
# its mode and that the log says where the cluster went, takes a backup while it serves,
# stops it with SIGTERM (clean exit, no PostgreSQL left), starts it once more to see the data
# kept, and restores the backup into a fresh data folder.
#   bash ci/e2e/root_home.sh          (AGRUPA_BIN=/path/to/agrupa skips the release build)
set -euo pipefail
E2E_NAME=root-home
source "$(dirname "$0")/service.sh"

if [ "$(id -u)" != 0 ]; then
  echo "skipped: this check is about running as root"
  exit 0
fi
ensure_postgres
build_service
command -v git >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq git; }

HOME_DIR="$(mktemp -d /tmp/agrupa-root-home.XXXXXX)"   # mktemp makes it 0700, like /root
RESTORED="$(mktemp -d /tmp/agrupa-restored.XXXXXX)" && chmod 755 "$RESTORED"
LOCATION=""
PID=""
cleanup() {
  local rc=$?
  if [ -n "$PID" ]; then kill -KILL "$PID" 2>/dev/null || true; fi
  if [ "$rc" -ne 0 ] && [ -f "$HOME_DIR/agrupa.log" ]; then
    echo "--- agrupa's log ---"; tail -n 30 "$HOME_DIR/agrupa.log"
  fi
  rm -rf "$HOME_DIR" "$RESTORED"
  # The cluster this check made (never another one: the name is this clone's).
  case "$LOCATION" in /var/lib/agrupa/?*) rm -rf "$LOCATION" ;; esac
  exit "$rc"
}
trap cleanup EXIT

log "git clone into $HOME_DIR/agrupa (mode $(stat -c %a "$HOME_DIR"))"
git clone -q "$ROOT" "$HOME_DIR/agrupa"

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
run() {  # the README's first command, minus the build: nothing configured
  (cd "$HOME_DIR/agrupa" && exec env -u DATABASE_URL -u AGRUPA_DATA_DIR -u AGRUPA_ENV \
     HOME="$HOME_DIR" AGRUPA_ADDR="127.0.0.1:$PORT" "$AGRUPA_BIN") \
     </dev/null >"$HOME_DIR/agrupa.log" 2>&1 &
  PID=$!
  local started=$SECONDS
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz")" = 200 ]; do
    kill -0 "$PID" 2>/dev/null || { echo "FAIL: agrupa exited during start-up"; return 1; }
    [ $((SECONDS - started)) -lt 90 ] || { echo "FAIL: not ready after 90 s"; return 1; }
    sleep 0.3
  done
  echo "ready in $((SECONDS - started)) s"
}
stop() {
  kill -TERM "$PID"
  local status=0
  wait "$PID" || status=$?
  PID=""
  [ "$status" = 0 ] || { echo "FAIL: exit status $status after SIGTERM"; return 1; }
  if pgrep -f "postgres.*$LOCATION" >/dev/null; then
    echo "FAIL: PostgreSQL left running on $LOCATION"; return 1
  fi
  [ ! -e "$LOCATION/data/postmaster.pid" ] || { echo "FAIL: PostgreSQL did not shut down cleanly"; return 1; }
  echo "stopped cleanly"
}

log "first start"
run
LOCATION="$(grep -o '/var/lib/agrupa/[A-Za-z0-9._-]*' "$HOME_DIR/agrupa.log" | head -n1)"
[ -n "$LOCATION" ] || { echo "FAIL: the log does not say where the cluster is"; exit 1; }
echo "the log says: cluster in $LOCATION"
[ "$(stat -c %a "$HOME_DIR")" = 700 ] || { echo "FAIL: $HOME_DIR is now $(stat -c %a "$HOME_DIR")"; exit 1; }
[ "$(stat -c %U "$LOCATION/data")" = postgres ] || { echo "FAIL: $LOCATION/data is not postgres's"; exit 1; }
grep -q "Development admin created" "$HOME_DIR/agrupa.log" || { echo "FAIL: no first-start admin"; exit 1; }
log "agrupa backup while it serves (on its embedded server)"
(cd "$HOME_DIR/agrupa" && env -u DATABASE_URL -u AGRUPA_DATA_DIR AGRUPA_LOG=warn \
  "$AGRUPA_BIN" backup --out "$HOME_DIR/agrupa.dump") | tee "$HOME_DIR/backup.out"
grep -q "Backup written" "$HOME_DIR/backup.out" || { echo "FAIL: no backup"; exit 1; }
stop

log "second start: the same cluster, data kept"
run
grep -q "$LOCATION" "$HOME_DIR/agrupa.log" || { echo "FAIL: another location the second time"; exit 1; }
! grep -q "Development admin created" "$HOME_DIR/agrupa.log" || { echo "FAIL: data not kept"; exit 1; }
stop
[ "$(stat -c %a "$HOME_DIR")" = 700 ] || { echo "FAIL: $HOME_DIR changed mode"; exit 1; }

log "agrupa restore into a fresh data folder"
AGRUPA_DATA_DIR="$RESTORED" AGRUPA_LOG=warn "$AGRUPA_BIN" restore "$HOME_DIR/agrupa.dump" \
  | tee "$HOME_DIR/restore.out"
grep -q "every table matches" "$HOME_DIR/restore.out" || { echo "FAIL: restore not verified"; exit 1; }
echo "root_home: OK (home folder mode 700 kept; cluster in $LOCATION)"
