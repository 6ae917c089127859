#!/usr/bin/env bash
# End-to-end: the demo's printable documents, downloaded from the running service with
# `Accept: application/pdf` and turned into PNG pages (`pdftoppm -png -r 60`), kept as CI
# artefacts under target/e2e-artifacts/pdf/: the minutes of a meeting, a certificate, the
# AEI register dossier, the transparency report of the published year, the European profile
# and the justification account of the demo's accepted grant. Fails when a document
# is missing, is not a PDF, or pdftoppm cannot read it.
#   bash ci/e2e/pdf_artefacts.sh
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
E2E_NAME=pdf-artefacts
export SEED_DEMO=1
source "$HERE/service.sh"

log "pdftoppm (Debian poppler-utils)"
if ! command -v pdftoppm >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils
fi
pdftoppm -v 2>&1 | sed -n 1p  # (sed reads it all: head would end it with SIGPIPE)

start_service

OUT="$ARTIFACTS/pdf"
rm -rf "$OUT"
mkdir -p "$OUT"
FAILED=0

# GET a JSON document of the API.
api_json() { curl -sf -H "Authorization: Bearer $TOKEN" -H 'Accept: application/json' "$BASE_URL$1"; }

# The HTTP status of a GET with Accept: application/pdf, the body saved to $2.
get_pdf() {
  curl -s -o "$2" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
    -H 'Accept: application/pdf' "$BASE_URL$1"
}

# Downloads `path` as `name`.pdf and renders its pages as `name`-N.png; a failure is counted.
document() {
  local name="$1" path="$2" file="$OUT/$1.pdf" status
  status="$(get_pdf "$path" "$file")"
  if [ "$status" != 200 ]; then
    echo "FAILED: $name: GET $path answered $status"; FAILED=$((FAILED + 1)); return
  fi
  if [ "$(head -c 5 "$file")" != "%PDF-" ]; then
    echo "FAILED: $name: $path did not answer a PDF"; FAILED=$((FAILED + 1)); return
  fi
  if ! pdftoppm -png -r 60 "$file" "$OUT/$name"; then
    echo "FAILED: $name: pdftoppm could not read $file"; FAILED=$((FAILED + 1)); return
  fi
  local pages
  pages="$(find "$OUT" -maxdepth 1 -name "$name-*.png" | wc -l)"
  if [ "$pages" -lt 1 ]; then
    echo "FAILED: $name: no page rendered"; FAILED=$((FAILED + 1)); return
  fi
  printf '   %-22s %s (%s bytes, %s page(s))\n' "$name" "$path" "$(wc -c <"$file")" "$pages"
}

log "find the demo's records"
# The first meeting with minutes, and the first resolution with a certificate.
read -r MINUTES CERTIFICATE < <(
  BASE_URL="$BASE_URL" TOKEN="$TOKEN" python3 - <<'PY'
import json, os, urllib.error, urllib.request

base, token = os.environ["BASE_URL"], os.environ["TOKEN"]

def get(path):
    req = urllib.request.Request(base + path, headers={
        "Authorization": f"Bearer {token}", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(req) as res:
            return json.load(res)
    except urllib.error.HTTPError:
        return None

minutes = certificate = "-"
for meeting in get("/api/v1/meetings?limit=100")["items"]:
    if minutes == "-" and get(f"/api/v1/meetings/{meeting['id']}/minutes") is not None:
        minutes = f"/api/v1/meetings/{meeting['id']}/minutes"
    for item in get(f"/api/v1/meetings/{meeting['id']}")["agenda"]:
        resolution = item.get("resolution")
        if certificate != "-" or not resolution:
            continue
        found = get(f"/api/v1/resolutions/{resolution['id']}/certificates")
        if found and found["items"]:
            certificate = (f"/api/v1/resolutions/{resolution['id']}"
                           f"/certificates/{found['items'][0]['id']}")
print(minutes, certificate)
PY
)
YEAR="$(api_json /public/v1/transparency | python3 -c 'import json, sys; print(json.load(sys.stdin)["items"][0]["fiscal_year"])')"
echo "   minutes: $MINUTES"
echo "   certificate: $CERTIFICATE"
echo "   published transparency year: $YEAR"

log "download the PDFs and render their pages"
if [ "$MINUTES" = - ]; then echo "FAILED: the demo has no minutes"; FAILED=$((FAILED + 1)); else document minutes "$MINUTES"; fi
if [ "$CERTIFICATE" = - ]; then echo "FAILED: the demo has no certificate"; FAILED=$((FAILED + 1)); else document certificate "$CERTIFICATE"; fi
document aei-register /api/v1/reports/aei-register
document transparency "/api/v1/reports/transparency?year=$YEAR"
document european-profile "/api/v1/reports/european-profile?year=$YEAR"

# The justification account of the demo's accepted AEI 2025 grant.
GRANT="$(api_json '/api/v1/applications?status=accepted&limit=1' | python3 -c '
import json, sys
items = json.load(sys.stdin)["items"]
print(items[0]["id"] if items else "")')"
if [ -z "$GRANT" ]; then
  echo "FAILED: the demo has no accepted grant"; FAILED=$((FAILED + 1))
else
  document justification-account "/api/v1/applications/$GRANT/justification-account"
fi

log "artefacts"
ls -l "$OUT"
if [ "$FAILED" -ne 0 ]; then
  echo "pdf_artefacts: $FAILED document(s) failed"
  exit 1
fi
echo "pdf_artefacts: every document rendered ($OUT)"
