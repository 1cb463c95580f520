#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""API integration test: starts the real switchboard binary with the demo tenants on free
loopback ports and checks the HTTP API over real HTTP: health, OpenAPI, sign-in, demo API keys,
tenant isolation (foreign tenant -> 404), queue list and statistics, agent state changes with
field-precise errors. Usage: api_driver.py SWITCHBOARD SOURCE_DIR"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def fail(msg):
    raise SystemExit("FAIL: " + msg)


def call(base, method, path, token=None, body=None, form=None):
    data, headers = None, {}
    if token:
        headers["Authorization"] = "Bearer " + token
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if form is not None:
        data = form.encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if r.headers.get_content_type() == "application/json"
                              else raw.decode())
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, raw.decode()


def expect(status, got, what):
    if got[0] != status:
        fail(f"{what}: HTTP {got[0]} (expected {status}): {got[1]}")
    return got[1]


def main():
    binary, source = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="sb-api-")
    sip, http = free_port(), free_port()
    cfg = open(os.path.join(source, "examples", "demo.yaml")).read()
    cfg = cfg.replace("data_dir: ./var/demo", f"data_dir: {work}/var")
    cfg = re.sub(r"port: 5060", f"port: {sip}", cfg)
    cfg = cfg.replace("  port: 8080", f"  port: {http}")
    path = os.path.join(work, "demo.yaml")
    open(path, "w").write(cfg)
    log = open(os.path.join(work, "server.log"), "w")
    proc = subprocess.Popen([binary, "serve", "--config", path], stdout=subprocess.PIPE,
                            stderr=log, text=True)
    ok = False
    try:
        deadline = time.time() + 10
        while time.time() < deadline:
            line = proc.stdout.readline()
            if not line or line.startswith("HTTP listening"):
                break
        base = f"http://127.0.0.1:{http}"
        expect(200, call(base, "GET", "/api/v1/health"), "health")
        spec = expect(200, call(base, "GET", "/api/v1/openapi.json"), "openapi")
        for p in ("/api/v1/tenants/{tenantId}/queues", "/api/v1/tenants/{tenantId}/queues/{queueId}/stats",
                  "/api/v1/tenants/{tenantId}/agents/{userId}/state", "/api/v1/auth/token"):
            if p not in spec["paths"]:
                fail(f"OpenAPI lacks {p}")
        expect(401, call(base, "GET", "/api/v1/tenants/demo/queues"), "no credentials")

        demo, acme = "sb_demo_admin_key", "sb_acme_admin_key"
        queues = expect(200, call(base, "GET", "/api/v1/tenants/demo/queues", demo), "queues")
        if sorted(q["id"] for q in queues["items"]) != ["sales", "support"]:
            fail(f"queues: {queues}")
        # Tenant isolation: the acme key sees nothing of demo (404, never data).
        err = expect(404, call(base, "GET", "/api/v1/tenants/demo/queues", acme), "foreign tenant")
        if "error" not in err or "items" in err:
            fail(f"foreign tenant body: {err}")
        expect(200, call(base, "GET", "/api/v1/tenants/acme/queues", acme), "own tenant")

        stats = expect(200, call(base, "GET", "/api/v1/tenants/demo/queues/support/stats", demo),
                       "stats")
        if stats["waiting"] != 0 or stats["agentsEligible"] != 3:
            fail(f"stats: {stats}")
        expect(404, call(base, "GET", "/api/v1/tenants/demo/queues/nope/stats", demo), "no queue")

        st = expect(200, call(base, "PUT", "/api/v1/tenants/demo/agents/bob/state", demo,
                              {"state": "break", "reason": "training"}), "set break")
        if st["state"] != "break" or st["reason"] != "training":
            fail(f"state after break: {st}")
        st = expect(200, call(base, "GET", "/api/v1/tenants/demo/agents/bob/state", demo), "get")
        if st["requested"] != "break" or st["reachable"]:
            fail(f"state: {st}")  # not registered: unreachable
        bad = expect(400, call(base, "PUT", "/api/v1/tenants/demo/agents/bob/state", demo,
                               {"state": "sleepy"}), "bad state")
        if bad["error"].get("field") != "state":
            fail(f"error without the field: {bad}")
        bad = expect(400, call(base, "PUT", "/api/v1/tenants/demo/agents/bob/state", demo,
                               {"state": "away", "reason": 5}), "bad reason")
        if bad["error"].get("field") != "reason":
            fail(f"error without the field: {bad}")

        # Local sign-in: the supervisor sam gets a token that reads demo and nothing of acme.
        tok = expect(200, call(base, "POST", "/api/v1/auth/token",
                               form="grant_type=password&username=sam&password=sam-demo"), "sign-in")
        access = tok["access_token"]
        expect(200, call(base, "GET", "/api/v1/tenants/demo/queues/sales/stats", access), "sam")
        expect(404, call(base, "GET", "/api/v1/tenants/acme/queues", access), "sam foreign")
        expect(400, call(base, "POST", "/api/v1/auth/token",
                         form="grant_type=password&username=sam&password=wrong"), "wrong password")
        ok = True
        print("api: ok")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            rc = -1
        if ok and rc != 0:
            ok = False
            print(f"server exited with {rc}", file=sys.stderr)
        if ok:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"logs kept in {work}", file=sys.stderr)
            sys.exit(1)


if __name__ == "__main__":
    main()
