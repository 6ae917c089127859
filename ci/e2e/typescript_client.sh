#!/usr/bin/env bash
# End-to-end check of the typed TypeScript client (clients/typescript):
#   1. npm ci (exact versions from package-lock.json);
#   2. drift: openapi/openapi.json regenerated with openapi-typescript must equal the
#      committed src/schema.d.ts (else: cd clients/typescript && npm run generate, and commit);
#   3. tsc --noEmit, strict, over src/ and examples/ (a spec change that breaks the client's
#      or the scenario's types fails here);
#   4. the scenario (examples/scenario.ts, compiled to JavaScript) against a started service.
#   bash ci/e2e/typescript_client.sh        (AGRUPA_BIN=… to use a built binary)
set -euo pipefail
E2E_NAME=typescript_client
source "$(dirname "$0")/service.sh"
CLIENT="$ROOT/clients/typescript"

log "node $(node --version), npm $(npm --version)"
log "npm ci (clients/typescript, pinned in package.json / package-lock.json)"
(cd "$CLIENT" && npm ci --no-audit --no-fund --loglevel=error)

log "schema drift: openapi/openapi.json -> src/schema.d.ts"
GENERATED="$(mktemp --suffix=.d.ts)"
(cd "$CLIENT" && npx --no-install openapi-typescript ../../openapi/openapi.json -o "$GENERATED" >/dev/null)
if ! diff -u "$CLIENT/src/schema.d.ts" "$GENERATED" >"$GENERATED.diff"; then
  head -n 40 "$GENERATED.diff"
  rm -f "$GENERATED" "$GENERATED.diff"
  echo "ERROR: clients/typescript/src/schema.d.ts is out of date with openapi/openapi.json."
  echo "       Run: (cd clients/typescript && npm run generate) and commit the result."
  exit 1
fi
rm -f "$GENERATED" "$GENERATED.diff"
echo "src/schema.d.ts matches the spec"

log "tsc --noEmit (strict: src, examples)"
(cd "$CLIENT" && npx --no-install tsc --noEmit -p .)

log "compile to clients/typescript/dist (already type-checked above: --noCheck)"
# Inside clients/typescript (git-ignored), so the compiled ES modules find node_modules.
rm -rf "$CLIENT/dist"
(cd "$CLIENT" && npx --no-install tsc -p . --noCheck)

start_service

log "scenario against $BASE_URL"
AGRUPA_URL="$BASE_URL" AGRUPA_EMAIL="$ADMIN_EMAIL" AGRUPA_PASSWORD="$ADMIN_PASSWORD" \
  node "$CLIENT/dist/examples/scenario.js"
