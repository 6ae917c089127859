#!/usr/bin/env bash
# End-to-end: the public transparency page of the demo's published year, opened in headless
# Chromium without any token, as a visitor from the cluster's website would: the headings
# and figures are there, nothing asks to sign in, no resource is blocked.
# Screenshot: target/e2e-artifacts/transparency-page.png
#   bash ci/e2e/transparency_page.sh
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
E2E_NAME=transparency-page
export SEED_DEMO=1
source "$HERE/service.sh"

setup_browser

start_service

# The published year and the figures the page must show, from the public JSON feed.
log "the published year, from the public feed"
YEAR="$(curl -sf "$BASE_URL/public/v1/transparency" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["items"][0]["fiscal_year"])')"
echo "   year: $YEAR"

log "transparency_page.mjs"
mkdir -p "$ARTIFACTS"
BASE_URL="$BASE_URL" YEAR="$YEAR" SCREENSHOT="$ARTIFACTS/transparency-page.png" \
  CHROMIUM=/usr/bin/chromium node "$HERE/transparency_page.mjs"
