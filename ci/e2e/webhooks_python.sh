#!/usr/bin/env bash
# End-to-end check of the signed webhooks with an implementation we did not write: a Python
# receiver using the reference `standardwebhooks` package from PyPI (ci/e2e/
# webhooks_receiver.py) verifies every delivery of a started service, and checks that an
# empty `v1,` signature is refused. Scenario: an endpoint is created, pinged, its secret
# rotated (both signatures verify for 24 h), and an application submitted to an open call
# arrives as `application.submitted`.
#   bash ci/e2e/webhooks_python.sh        (AGRUPA_BIN=… to use a built binary)
set -euo pipefail
E2E_NAME=webhooks_python
source "$(dirname "$0")/service.sh"

VENV="$ROOT/target/e2e-webhooks-venv"
log "python venv with standardwebhooks (PyPI)"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q "standardwebhooks==1.1.0"

start_service

RECV_DIR="$(mktemp -d)"
RECV_PID=""
cleanup_receiver() { [ -n "$RECV_PID" ] && kill "$RECV_PID" 2>/dev/null; rm -rf "$RECV_DIR"; }
trap 'cleanup_receiver; stop_service' EXIT
: >"$RECV_DIR/secret"
"$VENV/bin/python" "$ROOT/ci/e2e/webhooks_receiver.py" \
  "$RECV_DIR/port" "$RECV_DIR/secret" "$RECV_DIR/log.jsonl" &
RECV_PID=$!
for _ in $(seq 1 50); do [ -s "$RECV_DIR/port" ] && break; sleep 0.1; done
RECV_URL="http://127.0.0.1:$(cat "$RECV_DIR/port")/agrupa"

api() { # method path [json body]
  curl -sf -X "$1" "$BASE_URL$2" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' ${3:+-d "$3"}
}
field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
wait_for() { # type, count
  for _ in $(seq 1 100); do
    n=$(grep -c "\"type\": \"$1\"" "$RECV_DIR/log.jsonl" 2>/dev/null || true)
    [ "${n:-0}" -ge "$2" ] && return 0
    sleep 0.2
  done
  echo "no $1 delivery arrived"; cat "$RECV_DIR/log.jsonl" 2>/dev/null; return 1
}

log "create an endpoint for $RECV_URL"
ENDPOINT=$(api POST /api/v1/webhook-endpoints \
  "{\"url\": \"$RECV_URL\", \"event_types\": [\"application.submitted\"], \"description\": \"Receptor Python\"}")
ID=$(field '["id"]' <<<"$ENDPOINT")
field '["secret"]' <<<"$ENDPOINT" >"$RECV_DIR/secret"

log "ping"
api POST "/api/v1/webhook-endpoints/$ID/pings" >/dev/null
wait_for ping 1

log "rotate the secret (the receiver keeps the old one: the old signature still verifies)"
api POST "/api/v1/webhook-endpoints/$ID/secret-rotations" >/dev/null
api POST "/api/v1/webhook-endpoints/$ID/pings" >/dev/null
wait_for ping 2

log "submit an application to an open call"
FUNDER=$(api POST /api/v1/funders '{"name": "Ministerio de Industria y Turismo", "kind": "ministry"}' | field '["id"]')
OPENS=$(date -u -d '-1 day' +%Y-%m-%dT%H:%M:%SZ); CLOSES=$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)
CALL=$(api POST /api/v1/calls "{\"funder_id\": \"$FUNDER\", \"title\": \"Ayudas AEI\", \"opens_at\": \"$OPENS\", \"closes_at\": \"$CLOSES\", \"max_grant_cents\": 10000000, \"cofinancing_rate_bp\": 8000}" | field '["id"]')
APP=$(api POST /api/v1/applications "{\"call_id\": \"$CALL\", \"title\": \"Dinamización del clúster\", \"eligible_cost_cents\": 1000000, \"requested_cents\": 800000, \"own_funding_cents\": 200000, \"other_aid_cents\": 0}" | field '["id"]')
api POST "/api/v1/applications/$APP/transitions" '{"to": "submitted"}' >/dev/null
wait_for application.submitted 1

log "every delivery verified by standardwebhooks, every empty signature refused"
python3 - "$RECV_DIR/log.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert rows, "nothing received"
for r in rows:
    assert r["verified"], r
    assert r["empty_refused"], r
print(f"{len(rows)} deliveries verified: " + ", ".join(r["type"] for r in rows))
PY
