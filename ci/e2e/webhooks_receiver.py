"""A webhook receiver for the end-to-end check: the reference `standardwebhooks` package
(PyPI) verifies every request agrupa sends; an empty `v1,` signature must be refused.

    python3 webhooks_receiver.py PORT_FILE SECRET_FILE LOG_FILE

Listens on 127.0.0.1 (a free port, written to PORT_FILE), reads the endpoint's secret from
SECRET_FILE at each request (it is known only after the endpoint is created), and appends
one JSON line per request to LOG_FILE: {"id", "type", "verified", "empty_refused", "error"}.
"""

import http.server
import json
import sys

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

PORT_FILE, SECRET_FILE, LOG_FILE = sys.argv[1:4]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        headers = {k.lower(): v for k, v in self.headers.items()}
        with open(SECRET_FILE, encoding="utf-8") as f:
            secret = f.read().strip()
        hook = Webhook(secret)
        record = {"id": headers.get("webhook-id"), "verified": False, "error": None}
        try:
            payload = hook.verify(body, headers)
            record["verified"] = True
            record["type"] = payload.get("type")
        except WebhookVerificationError as e:
            record["error"] = str(e)
        empty = dict(headers, **{"webhook-signature": "v1,"})
        try:
            hook.verify(body, empty)
            record["empty_refused"] = False
        except WebhookVerificationError:
            record["empty_refused"] = True
        with open(LOG_FILE, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        self.send_response(200 if record["verified"] else 400)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(PORT_FILE, "w", encoding="utf-8") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
