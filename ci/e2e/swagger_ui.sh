#!/usr/bin/env bash
# End-to-end check: Swagger UI in headless Chromium signs in (OAuth2 password flow) and
# runs GET /api/v1/me through "Try it out". Screenshot: target/e2e-artifacts/swagger-ui.png
#   bash ci/e2e/swagger_ui.sh
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
E2E_NAME=swagger-ui
source "$HERE/service.sh"

log "chromium"
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi
/usr/bin/chromium --version

log "npm ci (playwright-core, pinned in package.json / package-lock.json)"
# Playwright must not try to download a browser of its own: we use Debian's chromium.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
(cd "$HERE" && npm ci --no-audit --no-fund)

start_service

log "swagger_ui.mjs"
mkdir -p "$ARTIFACTS"
BASE_URL="$BASE_URL" ADMIN_EMAIL="$ADMIN_EMAIL" ADMIN_PASSWORD="$ADMIN_PASSWORD" \
  SCREENSHOT="$ARTIFACTS/swagger-ui.png" CHROMIUM=/usr/bin/chromium \
  node "$HERE/swagger_ui.mjs"
