"""Schemathesis hooks for agrupa's end-to-end check (loaded through SCHEMATHESIS_HOOKS by
ci/e2e/schemathesis.sh).

Deleting is final: with one fixed id, `DELETE /members/{id}/contacts/{contact_id}` or
`DELETE /webhook-endpoints/{id}` succeeds once and then rightly answers 404 for the rest of
the run (and every other operation on that object too), so Schemathesis could only test the
"not found" path. Before each such call that targets the object schemathesis_ids.py gave,
this hook creates a fresh one and sends the call to it instead, so every case reaches the
operation's own logic (the If-Match check, the primary-contact handover, the audit entry).
Cases whose ids were mutated (negative data) are left as generated.
"""
import json
import os
import urllib.error
import urllib.request

import schemathesis

IDS = json.load(open(os.environ["E2E_IDS_FILE"]))
BASE, TOKEN = os.environ["E2E_BASE_URL"], os.environ["E2E_TOKEN"]


def post(path, body):
    req = urllib.request.Request(BASE + path, method="POST", data=json.dumps(body).encode())
    req.add_header("Authorization", "Bearer " + TOKEN)
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req) as res:
        return json.load(res)["id"]


# Operations that destroy their object: (method, path) -> (the parameter naming the object,
# the ids the seeded object has, how to make a fresh one from the case's parameters).
FRESH = {
    ("DELETE", "/api/v1/members/{id}/contacts/{contact_id}"): (
        "contact_id",
        {"id": IDS["members"], "contact_id": IDS["contacts"]},
        lambda p: post(f"/api/v1/members/{p['id']}/contacts",
                       {"name": "Contacto desechable de pruebas"}),
    ),
    ("DELETE", "/api/v1/webhook-endpoints/{id}"): (
        "id",
        {"id": IDS["webhook-endpoints"]},
        lambda p: post("/api/v1/webhook-endpoints",
                       {"url": "http://127.0.0.1:9/agrupa", "description": "Desechable"}),
    ),
}


def publish_spare_year(_params):
    """Publishes 2099 (a year the demo never uses) unless it is published, for a withdrawal
    to take instead of the demo's year, which the public feed's cases need."""
    try:
        post("/api/v1/transparency-publications", {"fiscal_year": 2099})
    except urllib.error.HTTPError as e:
        if e.code != 409:
            raise
    except KeyError:
        pass
    return 2099


FRESH[("DELETE", "/api/v1/transparency-publications/{year}")] = (
    "year",
    {"year": IDS["transparency-year"]},
    publish_spare_year,
)


@schemathesis.hook
def before_call(ctx, case, kwargs):
    fresh = FRESH.get((case.operation.method.upper(), case.operation.path))
    if fresh is None:
        return
    name, seeded, make = fresh
    params = case.path_parameters or {}
    if all(params.get(k) == v for k, v in seeded.items()):
        params[name] = make(params)
