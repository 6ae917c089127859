"""Schemathesis hooks for agrupa's end-to-end check (loaded through SCHEMATHESIS_HOOKS by
ci/e2e/schemathesis.sh).

Deleting is final: with one fixed contact id, `DELETE /members/{id}/contacts/{contact_id}`
succeeds once and then rightly answers 404 for the rest of the run, so Schemathesis could
only test its "not found" path. Before each call that targets the demo contact given by
schemathesis_ids.py, this hook creates a fresh contact on the same member and sends the
call to it instead, so every case reaches the operation's own logic (the If-Match check,
the primary-contact handover, the audit entry). Cases whose ids were mutated (negative
data) are left as generated.
"""
import json
import os
import urllib.request

import schemathesis

IDS = json.load(open(os.environ["E2E_IDS_FILE"]))
BASE, TOKEN = os.environ["E2E_BASE_URL"], os.environ["E2E_TOKEN"]
DELETE_CONTACT = "/api/v1/members/{id}/contacts/{contact_id}"


def fresh_contact(member_id):
    req = urllib.request.Request(
        f"{BASE}/api/v1/members/{member_id}/contacts",
        method="POST",
        data=json.dumps({"name": "Contacto desechable de pruebas"}).encode(),
    )
    req.add_header("Authorization", "Bearer " + TOKEN)
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req) as res:
        return json.load(res)["id"]


@schemathesis.hook
def before_call(ctx, case, kwargs):
    if case.operation.method.upper() != "DELETE" or case.operation.path != DELETE_CONTACT:
        return
    params = case.path_parameters or {}
    if params.get("id") == IDS["members"] and params.get("contact_id") == IDS["contacts"]:
        params["contact_id"] = fresh_contact(IDS["members"])
