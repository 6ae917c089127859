#!/usr/bin/env bash
# End-to-end check: Schemathesis fuzzes the running service against its own OpenAPI
# document (every check, every phase, stateful included). Exits non-zero on any failure.
#   bash ci/e2e/schemathesis.sh [extra `schemathesis run` options, e.g. --report har]
set -euo pipefail
E2E_NAME=schemathesis
source "$(dirname "$0")/service.sh"

SCHEMATHESIS_VERSION=4.32.5        # pinned: the version this check was written against
MAX_EXAMPLES="${E2E_MAX_EXAMPLES:-100}"   # ~20 s of requests on 2 cores
SEED="${E2E_SEED:-20240601}"
VENV="$ROOT/target/e2e-venv"
REPORTS="$ARTIFACTS/schemathesis"

log "schemathesis $SCHEMATHESIS_VERSION in $VENV"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/schemathesis" --version 2>/dev/null | grep -qF "$SCHEMATHESIS_VERSION" \
  || "$VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"

# Schemathesis sends hundreds of requests a minute to the token and revocation endpoints,
# many with wrong passwords. With the default limits (60 a minute per address; a lock
# after 20 failed sign-ins per address) nearly all of them answer 429 and those two
# endpoints go untested. So the token rate limit is off and the sign-in throttle raised
# to its maximum (AGRUPA_RATE_LIMIT=0 is set by service.sh for the same reason); the
# limits themselves are covered by the Rust tests.
export AGRUPA_TOKEN_RATE_LIMIT=0
export AGRUPA_LOGIN_MAX_FAILURES=1000
export AGRUPA_LOGIN_MAX_FAILURES_PER_ADDRESS=1000
export AGRUPA_LOGIN_MAX_FAILURES_PER_ACCOUNT=1000

export SEED_DEMO=1
start_service

# Ids of real objects for every operation with path parameters (see the script), added to a
# copy of the settings.
CONFIG="$(mktemp)"
cp "$ROOT/ci/e2e/schemathesis.toml" "$CONFIG"
export E2E_IDS_FILE="$(mktemp)" E2E_BASE_URL="$BASE_URL" E2E_TOKEN="$TOKEN"
python3 "$ROOT/ci/e2e/schemathesis_ids.py" "$BASE_URL" "$TOKEN" "$E2E_IDS_FILE" >>"$CONFIG"
# Fresh objects for operations that destroy theirs (see the hooks module).
export PYTHONPATH="$ROOT/ci/e2e${PYTHONPATH:+:$PYTHONPATH}" SCHEMATHESIS_HOOKS=schemathesis_hooks

rm -rf "$REPORTS" && mkdir -p "$REPORTS"
log "schemathesis run (max $MAX_EXAMPLES examples per operation, seed $SEED)"
# Run inside the report folder: schemathesis keeps a .schemathesis/ cache of past failures
# in its working directory (replayed first next time); a fresh one keeps runs repeatable
# and the work tree clean.
cd "$REPORTS"
status=0
"$VENV/bin/schemathesis" --config-file "$CONFIG" \
  run "$BASE_URL/api-docs/openapi.json" \
  --header "Authorization: Bearer $TOKEN" \
  --checks all \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "$MAX_EXAMPLES" \
  --continue-on-failure \
  --seed "$SEED" \
  --generation-database none \
  --workers 1 \
  --request-timeout 10 \
  --report junit,ndjson --report-dir "$REPORTS" \
  --no-color \
  "$@" || status=$?

# Schemathesis could end its own session on the way: PATCH /api/v1/users/{id} on the admin
# with a new password, another role or active=false ends that user's sessions (it can
# demote the admin once it has created a second one). Every later call would then answer
# 401 and test nothing behind authentication. Fail loudly if that happened.
me="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE_URL/api/v1/me")"
if [ "$me" != 200 ]; then
  echo "ERROR: the admin's access token no longer works after the run (GET /api/v1/me -> $me);"
  echo "       requests after that point were not really tested. See $REPORTS and"
  echo "       $ARTIFACTS/$E2E_NAME-agrupa.log ('user changed' lines)."
  status=1
fi
exit "$status"
