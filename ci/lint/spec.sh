#!/usr/bin/env bash
# The OpenAPI linters integrators run, on the committed document (no service needed):
# - Redocly CLI, recommended rules: must report no error;
# - Spectral with the OWASP API Security ruleset (ci/lint/.spectral.yaml, where every rule narrowed
#   or turned off says why): its findings are printed by rule, and any error fails.
set -euo pipefail
cd "$(dirname "$0")"
SPEC=../../openapi/openapi.json
npm ci --no-audit --no-fund --loglevel=error

echo "== redocly lint (recommended)"
npx --no-install redocly lint "$SPEC" --format=stylish

echo "== spectral lint (OWASP API Security ruleset), findings by rule"
out="$(mktemp)"
npx --no-install spectral lint "$SPEC" --ruleset .spectral.yaml -f json -q >"$out" || true
status=0
python3 - "$out" <<'PY' || status=$?
import collections, json, sys
findings = json.load(open(sys.argv[1]))
severity = {0: "error", 1: "warning", 2: "info", 3: "hint"}
by_rule = collections.Counter((f["code"], severity[f["severity"]]) for f in findings)
for (code, sev), n in by_rule.most_common():
    print(f"{n:6d}  {sev:7s}  {code}")
errors = sum(n for (code, sev), n in by_rule.items() if sev == "error")
print(f"spectral: {errors} errors, {len(findings) - errors} other findings")
for f in findings:
    if f["severity"] == 0:
        print(f"  {f['code']}: {'.'.join(map(str, f['path']))}: {f['message']}")
sys.exit(1 if errors else 0)
PY
rm -f "$out"
exit $status
