#!/usr/bin/env bash
# Memory of a CSV export: peak RSS of the release build while streaming 1,000 and then
# 100,000 users as CSV. Constant-memory streaming means the second peak is no higher than
# the first. Usage: bash bench/csv_export.sh  (results printed; nothing is kept)
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-100000}
PORT=${PORT:-18181}
DIR=$(pwd)/target/bench-csv
rm -rf "$DIR" && mkdir -p "$DIR"
cargo build --release --bin agrupa -q
BIN=./target/release/agrupa
PASSWORD='contraseña-de-benchmark'
export AGRUPA_DATA_DIR=$DIR AGRUPA_ADDR=127.0.0.1:$PORT AGRUPA_RATE_LIMIT=0 AGRUPA_LOG=warn
AGRUPA_ADMIN_PASSWORD=$PASSWORD $BIN admin create --email bench@agrupa.local >/dev/null
$BIN serve >"$DIR/serve.log" 2>&1 &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$DIR"' EXIT
until curl -sf "127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.1; done
psql_() { psql -q -X "host=$DIR/pg/run port=5432 user=agrupa dbname=agrupa" "$@"; }
command -v psql >/dev/null || { echo "psql is needed (apt-get install postgresql-client)"; exit 1; }
TOKEN=$(curl -s "127.0.0.1:$PORT/api/v1/auth/token" -d grant_type=password -d username=bench@agrupa.local \
  --data-urlencode "password=$PASSWORD" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
hwm() { awk '/VmHWM/ {print $2}' /proc/$PID/status; }
rss() { awk '/VmRSS/ {print $2}' /proc/$PID/status; }
export_csv() {
  curl -s -o "$DIR/out.csv" -w '%{time_total} %{size_download}\n' -H "Authorization: Bearer $TOKEN" \
    -H 'Accept: text/csv' "127.0.0.1:$PORT/api/v1/users?sort=email"
}
psql_ -c "INSERT INTO users (id, email, display_name, role, password_hash)
  SELECT gen_random_uuid(), 'persona' || i || '@cluster.es', 'Persona Núñez ' || i, 'staff', 'x'
  FROM generate_series(1, 999) AS i"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB; $(date -u +%Y-%m-%dT%H:%MZ)"
echo "idle: RSS $(rss) KiB, peak $(hwm) KiB"
read -r t s < <(export_csv); echo "1,000 rows: ${t}s, $s bytes, $(($(wc -l < "$DIR/out.csv") - 1)) rows; peak RSS $(hwm) KiB"
psql_ -c "INSERT INTO users (id, email, display_name, role, password_hash)
  SELECT gen_random_uuid(), 'masiva' || i || '@cluster.es', 'Persona Masiva ' || i, 'staff', 'x'
  FROM generate_series(1, $ROWS - 1000) AS i"
read -r t s < <(export_csv); echo "$ROWS rows: ${t}s, $s bytes, $(($(wc -l < "$DIR/out.csv") - 1)) rows; peak RSS $(hwm) KiB"
echo "after: RSS $(rss) KiB"
