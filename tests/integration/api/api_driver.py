#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""API integration test: starts the real switchboard binary with the demo tenants on free
loopback ports and checks the HTTP API over real HTTP: health, OpenAPI, sign-in, demo API keys,
tenant isolation (foreign tenant -> 404), queue list and statistics, agent state changes with
field-precise errors. Usage: api_driver.py SWITCHBOARD SOURCE_DIR"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from sbtest import (Server, call, demo_config, expect, fail, finish, free_port,  # noqa: E402
                    wait_until)


def main():
    binary, source = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="sb-api-")
    sip, http = free_port(), free_port()
    path = demo_config(source, work, sip, http)
    server = Server(binary, path, work, start_timeout=10, required=False)
    ok = False
    try:
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

        # The state change is in bob's state history in the store (written off the SIP shard).
        def history_has_break():
            got = call(base, "GET", "/api/v1/tenants/demo/agents/bob/state-history", demo)
            return got[0] == 200 and any(c["state"] == "break" and c["reason"] == "training"
                                         for c in got[1]["items"])
        wait_until("bob's break in the state history", history_has_break)
        bad = expect(400, call(base, "GET",
                               "/api/v1/tenants/demo/agents/bob/state-history?limit=0", demo),
                     "bad limit")
        if bad["error"].get("field") != "limit":
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
        rc = server.terminate()
        if ok and rc != 0:
            ok = False
            print(f"server exited with {rc}", file=sys.stderr)
        finish(ok, work)
        if not ok:
            sys.exit(1)


if __name__ == "__main__":
    main()
