#!/usr/bin/env python3
"""Load generator for the fault scripts (standard library only).

Threads, each on its own keep-alive connection, send reads (GET /api/v1/me, a page of
member categories) and writes (POST /api/v1/member-categories with a unique name) for
--seconds. Then it prints its figures, checks that every acknowledged write (201) is in
the database, and exits non-zero when a rule is broken:

  * every answer is a 2xx, or (with --allow-503) a 503 carrying Retry-After;
  * no request fails at the client (reset, refused, timed out);
  * no request takes longer than --max-latency seconds;
  * with --recover-within S: the last failure ends at most S seconds after the `back`
    event (the fault scripts write events to --events: `NAME unix-time` lines).
"""

import argparse
import http.client
import json
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True, help="http://host:port")
    p.add_argument("--admin-email", required=True)
    p.add_argument("--admin-password", required=True)
    p.add_argument("--psql", required=True)
    p.add_argument("--database-url", required=True)
    p.add_argument("--events", required=True)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--allow-503", action="store_true")
    p.add_argument("--max-latency", type=float, default=30)
    p.add_argument("--recover-within", type=float)
    a = p.parse_args()

    url = urllib.parse.urlsplit(a.base)
    token = sign_in(url, a.admin_email, a.admin_password)
    prefix = "load-" + uuid.uuid4().hex[:8]
    results = []  # (start, end, kind, status, retry_after, error)
    acked = []
    lock = threading.Lock()
    deadline = time.time() + a.seconds

    def worker(n):
        conn = None
        i = 0
        while time.time() < deadline:
            i += 1
            write = i % 4 == 0
            name = f"{prefix}-{n}-{i}"
            if write:
                method, path = "POST", "/api/v1/member-categories"
                body = json.dumps({"name": name, "annual_fee_cents": 100})
            else:
                method, body = "GET", None
                path = "/api/v1/me" if i % 2 else "/api/v1/member-categories?limit=5"
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            start = time.time()
            status, retry_after, error = 0, False, None
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=a.max_latency + 5)
                conn.request(method, path, body=body, headers=headers)
                res = conn.getresponse()
                res.read()
                status = res.status
                retry_after = res.getheader("Retry-After") is not None
                if res.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except Exception as e:  # noqa: BLE001 - every client-side failure counts
                error = f"{type(e).__name__}: {e}"
                if conn is not None:
                    conn.close()
                conn = None
            end = time.time()
            with lock:
                results.append((start, end, "write" if write else "read", status, retry_after, error))
                if write and status == 201:
                    acked.append(name)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(a.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    events = {}
    try:
        for line in open(a.events):
            name, at = line.split()
            events[name] = float(at)
    except FileNotFoundError:
        pass

    ok = [r for r in results if 200 <= r[3] < 300]
    unavailable = [r for r in results if r[3] == 503]
    with_retry = [r for r in unavailable if r[4]]
    other = [r for r in results if not (200 <= r[3] < 300) and not (a.allow_503 and r[3] == 503 and r[4])]
    failures = [r for r in results if not (200 <= r[3] < 300)]
    slowest = max((r[1] - r[0] for r in results), default=0)
    found = set(
        subprocess.run(
            [a.psql, "-Atq", a.database_url, "-c",
             f"SELECT name FROM member_categories WHERE name LIKE '{prefix}-%'"],
            check=True, capture_output=True, text=True,
        ).stdout.split()
    )
    lost = [n for n in acked if n not in found]
    t0 = min((r[0] for r in results), default=0)
    elapsed = max((r[1] for r in results), default=0) - t0

    print(f"requests sent:        {len(results)} in {elapsed:.1f} s ({len(results) / max(elapsed, 0.001):.0f}/s, {a.threads} threads)")
    print(f"  2xx:                {len(ok)}")
    print(f"  503:                {len(unavailable)} ({len(with_retry)} with Retry-After)")
    print(f"  other errors:       {len(other)}")
    for r in other[:10]:
        print(f"    {r[2]} at +{r[0] - t0:.2f} s ({r[1] - r[0]:.2f} s): status {r[3]} {r[5] or ''}")
    print(f"slowest answer:       {slowest:.2f} s")
    if "fault" in events:
        during = [r for r in failures if r[1] >= events["fault"]]
        print(f"failures from the fault on: {len(during)}")
    recovery = None
    if "back" in events:
        last_failure = max((r[1] for r in failures), default=events["back"])
        recovery = max(0.0, last_failure - events["back"])
        print(f"time to recover:      {recovery:.2f} s after the database was back"
              + (f" (outage {events['back'] - events['fault']:.2f} s)" if "fault" in events else ""))
    print(f"writes acknowledged:  {len(acked)}; found in the database: {len(found)}; lost: {len(lost)}")

    broken = []
    if other:
        broken.append(f"{len(other)} answers other than 2xx" + (" or 503 with Retry-After" if a.allow_503 else ""))
    if lost:
        broken.append(f"{len(lost)} acknowledged writes missing, e.g. {lost[:3]}")
    if slowest > a.max_latency:
        broken.append(f"an answer took {slowest:.1f} s (limit {a.max_latency} s)")
    if a.recover_within is not None and (recovery is None or recovery > a.recover_within):
        broken.append(f"recovery took {recovery} s (limit {a.recover_within} s)")
    if not ok:
        broken.append("no request succeeded")
    for b in broken:
        print(f"FAIL: {b}")
    sys.exit(1 if broken else 0)


def sign_in(url, email, password):
    body = urllib.parse.urlencode({"grant_type": "password", "username": email, "password": password})
    deadline = time.time() + 30
    while True:
        try:
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
            conn.request("POST", "/api/v1/auth/token", body=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
            res = conn.getresponse()
            data = res.read()
            if res.status == 200:
                return json.loads(data)["access_token"]
            last = f"status {res.status}: {data[:200]!r}"
        except OSError as e:
            last = str(e)
        if time.time() > deadline:
            sys.exit(f"cannot sign in: {last}")
        time.sleep(0.5)


if __name__ == "__main__":
    main()
