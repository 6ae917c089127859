#!/usr/bin/env python3
"""Prints Schemathesis `[[operations]]` settings that give every operation with path
parameters the ids of real objects from the demo data (`agrupa seed demo`).

OpenAPI links (each create → the operations on what it created) lead the stateful phase
from a create to its object, but random bodies rarely pass a create's rules (a valid tax id,
an open call, a plan's tree), so most `{id}` operations would only ever see 404. With these
ids every operation reaches its own logic. Objects the demo lacks (an API client) are made
here first. Usage: schemathesis_ids.py BASE_URL TOKEN [IDS_JSON] > operations.toml
(IDS_JSON, when given, receives the ids as JSON, for ci/e2e/schemathesis_hooks.py.)
"""
import json
import sys
import urllib.error
import urllib.request

BASE, TOKEN = sys.argv[1], sys.argv[2]


def call(method, path, body=None):
    req = urllib.request.Request(BASE + path, method=method)
    req.add_header("Authorization", "Bearer " + TOKEN)
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, data) as res:
        return json.load(res)


def first(path, key="id"):
    items = call("GET", path + ("&" if "?" in path else "?") + "limit=1")["items"]
    if not items:
        sys.exit(f"schemathesis_ids.py: the demo data has nothing at {path}")
    return items[0][key]


def upload(path, filename, content_type, content):
    boundary = "schemathesis-ids-7d1f"
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
        f"filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
    ).encode() + content + f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(BASE + path, method="POST", data=body)
    req.add_header("Authorization", "Bearer " + TOKEN)
    req.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
    with urllib.request.urlopen(req) as res:
        return json.load(res)["id"]


ids = {}
ids["members"] = first("/api/v1/members")
ids["contacts"] = first(f"/api/v1/members/{ids['members']}/contacts")
ids["dues"] = first(f"/api/v1/members/{ids['members']}/dues", "year")
ids["member-categories"] = first("/api/v1/member-categories")
ids["segments"] = first("/api/v1/segments")
ids["plans"] = first("/api/v1/plans")
ids["axes"] = first(f"/api/v1/plans/{ids['plans']}/axes")
ids["areas"] = first(f"/api/v1/axes/{ids['axes']}/areas")
ids["objectives"] = first(f"/api/v1/areas/{ids['areas']}/objectives")
ids["actions"] = first(f"/api/v1/objectives/{ids['objectives']}/actions")
ids["indicators"] = first(f"/api/v1/indicators?plan_id={ids['plans']}")
ids["budgets"] = first("/api/v1/budgets")
ids["budget-lines"] = first(f"/api/v1/budgets/{ids['budgets']}/lines")
ids["budget-categories"] = first("/api/v1/budget-categories")
ids["funders"] = first("/api/v1/funders")
ids["calls"] = first("/api/v1/calls")
ids["agreements"] = first("/api/v1/agreements")
ids["applications"] = first("/api/v1/applications")
ids["documents"] = upload(
    f"/api/v1/applications/{ids['applications']}/documents",
    "memoria.txt", "text/plain", "Memoria técnica de pruebas.".encode(),
)
# Not the admin Schemathesis signs in as: changing that user would end its session.
ids["users"] = call(
    "POST",
    "/api/v1/users",
    {"email": "schemathesis-target@agrupa.test", "display_name": "Objetivo de pruebas",
     "role": "staff", "password": "Schemathesis-objetivo-1"},
)["id"]
ids["api-clients"] = call(
    "POST",
    "/api/v1/api-clients",
    {"name": "Sistema de pruebas", "funder_id": ids["funders"]},
)["id"]

# A meeting of the demo assemblies and one item of its agenda.
ids["meetings"] = first("/api/v1/meetings")
agenda = call("GET", f"/api/v1/meetings/{ids['meetings']}")["agenda"]
item = agenda[0]["id"] if agenda else None
# A resolution of its agenda (the demo's budget approval, with a voto particular and a
# certificate) and that certificate.
certificate = None
resolutions = [i["resolution"]["id"] for i in agenda if i.get("resolution")]
if resolutions:
    ids["resolutions"] = resolutions[-1]
    certificates = call("GET", f"/api/v1/resolutions/{resolutions[-1]}/certificates")["items"]
    certificate = certificates[0]["id"] if certificates else None

# A body with seats (the Board) and one of its seats; the Assembly has none.
seat = None
for body in call("GET", "/api/v1/bodies")["items"]:
    seats = call("GET", f"/api/v1/bodies/{body['id']}/seats")["items"]
    if seats:
        ids["bodies"], seat = body["id"], seats[0]["id"]
        break

# A webhook endpoint (a local address: development allows loopback receivers; nothing listens
# there, so its deliveries fail and wait for their retries), pinged so that it has a delivery.
ids["webhook-endpoints"] = call(
    "POST", "/api/v1/webhook-endpoints",
    {"url": "http://127.0.0.1:9/agrupa", "description": "Receptor de pruebas"},
)["id"]
call("POST", f"/api/v1/webhook-endpoints/{ids['webhook-endpoints']}/pings", {})
delivery = first(f"/api/v1/webhook-endpoints/{ids['webhook-endpoints']}/deliveries")

# Revocation is final: it gets a client of its own, so the others stay usable.
revoked_client = call(
    "POST",
    "/api/v1/api-clients",
    {"name": "Sistema de pruebas (revocación)", "funder_id": ids["funders"]},
)["id"]

# The demo's published transparency year: the publication routes and the public feed
# (`/public/v1/transparency/{year}...`) are addressed by year, not by id.
published = call("GET", "/api/v1/transparency-publications")["items"]
if not published:
    sys.exit("schemathesis_ids.py: the demo data has no published transparency year")
ids["transparency-year"] = published[0]["fiscal_year"]

# The demo's accepted grant (its justification account) and one of the expenses it lists
# (its payment route).
accepted = first("/api/v1/applications?status=accepted")
account = call("GET", f"/api/v1/applications/{accepted}/justification-account")
if not account["expenses"]:
    sys.exit("schemathesis_ids.py: the demo grant's justification account lists no expense")
ids["budget-entries"] = account["expenses"][0]["entry_id"]

# The second parameter of nested paths, by its name.
second = {"contact_id": ids["contacts"], "year": ids["dues"], "document_id": ids["documents"],
          "item_id": item, "certificate_id": certificate,
          "seat_id": seat, "delivery_id": delivery}

spec = call("GET", "/api-docs/openapi.json")
for path in sorted(spec["paths"]):
    if "{" not in path:
        continue
    if "/transparency" in path and "{year}" in path:
        print("[[operations]]")
        print(f"include-path = {json.dumps(path)}")
        print("parameters = { " + f'"path.year" = {ids["transparency-year"]}' + " }")
        print()
        continue
    collection = path.split("/")[3]
    if collection not in ids:
        # A collection added later: its first item, when it has a top-level list.
        try:
            ids[collection] = first(f"/api/v1/{collection}")
        except (SystemExit, urllib.error.HTTPError, KeyError):
            print(f"# {path}: no object to give (only links reach it)\n")
            continue
    params = {"path.id": ids[collection]}
    if path.endswith("/revocation"):
        params["path.id"] = revoked_client
    if path.endswith("/justification-account"):
        params["path.id"] = accepted
    for name, value in second.items():
        if "{" + name + "}" in path and value is not None:
            params["path." + name] = value
    if path.endswith("/diff"):
        params["query.against"] = ids[collection]  # a version against itself: no changes
    print("[[operations]]")
    print(f"include-path = {json.dumps(path)}")
    print("parameters = { " + ", ".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in params.items()) + " }")
    print()

if len(sys.argv) > 3:
    with open(sys.argv[3], "w") as out:
        json.dump(ids, out)
