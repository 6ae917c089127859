#!/usr/bin/env bash
# End-to-end check: Swagger UI in headless Chromium signs in (OAuth2 password flow) and
# runs GET /api/v1/me through "Try it out". Screenshot: target/e2e-artifacts/swagger-ui.png
#   bash ci/e2e/swagger_ui.sh
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
E2E_NAME=swagger-ui
source "$HERE/service.sh"

setup_browser

start_service

log "swagger_ui.mjs"
mkdir -p "$ARTIFACTS"
BASE_URL="$BASE_URL" ADMIN_EMAIL="$ADMIN_EMAIL" ADMIN_PASSWORD="$ADMIN_PASSWORD" \
  SCREENSHOT="$ARTIFACTS/swagger-ui.png" CHROMIUM=/usr/bin/chromium \
  node "$HERE/swagger_ui.mjs"
