#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Webhooks integration test: the real switchboard binary (demo tenants, free loopback ports,
temp data dir, shortened retry limits through SB_WEBHOOK_* variables) against real HTTP
receivers started here. Checks the validation handshake (echo accepted; wrong echo and silence
give 400 with the Graph error body), signed delivery of queue statistics with clientState, a
receiver failing its first attempts, one that never answers (dead letter + `missed`), renewal
limits, tenant isolation, and that a subscription survives a restart.
Usage: webhooks_driver.py SWITCHBOARD SOURCE_DIR"""
import json
import os
import re
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import sbtest  # noqa: E402
from sbtest import expect, fail, free_port  # noqa: E402


def call(base, method, path, token=None, body=None):
    return sbtest.call(base, method, path, token, body, timeout=20)


class Receivers:
    """One HTTP server; the first path segment picks the behaviour."""

    def __init__(self):
        self.lock = threading.Lock()
        self.got = {}  # path -> list of (headers, body) deliveries (not handshakes)
        self.hooks = sbtest.HookServer(self.respond)
        self.port = self.hooks.port

    def respond(self, path, query, headers, body):
        token = query.get("validationToken")
        if token:
            if path == "wrong":
                return 200, "not-the-token"
            if path == "mute":
                time.sleep(3)
                return 500, ""
            return 200, token[0]
        with self.lock:
            seen = self.got.setdefault(path, [])
            seen.append((headers, body))
            count = len(seen)
        if path == "flaky" and count <= 2:
            return 500, "busy"
        if path == "silent":
            time.sleep(2)  # well past the 0.5 s answer deadline
        return 202, ""

    def url(self, path):
        return self.hooks.url(path)

    def deliveries(self, path):
        with self.lock:
            return list(self.got.get(path, []))

    def wait(self, path, pred, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if pred(self.deliveries(path)):
                return True
            time.sleep(0.05)
        return pred(self.deliveries(path))


def iso(minutes):
    t = datetime.now(timezone.utc) + timedelta(minutes=minutes)
    return t.strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


def start_server(binary, config, work, env):
    return sbtest.Server(binary, config, work, env=env, required=False, log_mode="a")


def main():
    binary, source = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="sb-webhooks-")
    sip, http_port = free_port(), free_port()
    path = sbtest.demo_config(source, work, sip, http_port)
    env = dict(os.environ, SB_WEBHOOK_ANSWER_TIMEOUT_MS="500", SB_WEBHOOK_RETRY_INITIAL_MS="200",
               SB_WEBHOOK_RETRY_MAX_MS="400", SB_WEBHOOK_GIVE_UP_MS="2500",
               SB_WEBHOOK_VALIDATION_TIMEOUT_MS="1000")
    rx = Receivers()
    base = f"http://127.0.0.1:{http_port}"
    demo, acme = "sb_demo_admin_key", "sb_acme_admin_key"
    server = start_server(binary, path, work, env)
    ok = False
    try:
        spec = expect(200, call(base, "GET", "/api/v1/openapi.json"), "openapi")
        for p in ("/graph/v1.0/subscriptions", "/graph/v1.0/subscriptions/{id}",
                  "/graph/v1.0/subscriptions/{id}/deadLetters",
                  "/graph/v1.0/subscriptions/{id}/reauthorize"):
            if p not in spec["paths"]:
                fail(f"OpenAPI lacks {p}")

        def sub(url, resource="api/v1/queues/support/stats", lifecycle=None, minutes=30):
            b = {"changeType": "updated", "notificationUrl": url, "resource": resource,
                 "expirationDateTime": iso(minutes), "clientState": "s3cret-state"}
            if lifecycle:
                b["lifecycleNotificationUrl"] = lifecycle
            return b

        # Handshake failures: 400 with the Graph error body, nothing created.
        for bad in ("wrong", "mute"):
            err = expect(400, call(base, "POST", "/graph/v1.0/subscriptions", demo,
                                   sub(rx.url(bad))), f"handshake {bad}")
            if set(err.get("error", {})) < {"code", "message"} or "notificationUrl" not in \
                    err["error"]["message"]:
                fail(f"handshake error body: {err}")
        err = expect(400, call(base, "POST", "/graph/v1.0/subscriptions", demo,
                               sub(rx.url("ok"), lifecycle=rx.url("wrong"))), "lifecycle handshake")
        if "lifecycleNotificationUrl" not in err["error"]["message"]:
            fail(f"lifecycle handshake error: {err}")
        expect(400, call(base, "POST", "/graph/v1.0/subscriptions", demo,
                         sub(rx.url("ok"), minutes=61)), "beyond 60 minutes")
        listed = expect(200, call(base, "GET", "/graph/v1.0/subscriptions", demo), "list")
        if listed["value"]:
            fail(f"failed handshakes left subscriptions: {listed}")

        # Signed delivery of the queue statistics the server publishes every second.
        created = expect(201, call(base, "POST", "/graph/v1.0/subscriptions", demo,
                                   sub(rx.url("ok"), lifecycle=rx.url("life"))), "create")
        sid, key = created["id"], created["signingKey"]
        if not rx.wait("ok", lambda d: len(d) >= 1, 10):
            fail("no queue statistics notification within 10 s")
        headers, body = rx.deliveries("ok")[0]
        item = json.loads(body)["value"][0]
        if item["subscriptionId"] != sid or item["clientState"] != "s3cret-state" or \
                item["resource"] != "api/v1/queues/support/stats" or \
                item["resourceData"]["queueId"] != "support" or item["tenantId"] != "demo":
            fail(f"notification: {item}")
        if not sbtest.verify_signature(key, headers.get("x-switchboard-signature"), body):
            fail(f"bad signature {headers.get('x-switchboard-signature')}")
        got = expect(200, call(base, "GET", f"/graph/v1.0/subscriptions/{sid}", demo), "get")
        if "signingKey" in got or got["resource"] != "api/v1/queues/support/stats":
            fail(f"get: {got}")
        expect(404, call(base, "GET", f"/graph/v1.0/subscriptions/{sid}", acme), "foreign tenant")
        expect(400, call(base, "PATCH", f"/graph/v1.0/subscriptions/{sid}", demo,
                         {"expirationDateTime": iso(90)}), "renew beyond max")
        # The answer to reauthorizationRequired: 200, expiry unchanged; 404 for others' ids.
        expect(200, call(base, "POST", f"/graph/v1.0/subscriptions/{sid}/reauthorize", demo),
               "reauthorize")
        expect(404, call(base, "POST", f"/graph/v1.0/subscriptions/{sid}/reauthorize", acme),
               "reauthorize a foreign subscription")
        if expect(200, call(base, "GET", f"/graph/v1.0/subscriptions/{sid}", demo),
                  "get after reauthorize")["expirationDateTime"] != got["expirationDateTime"]:
            fail("reauthorize changed the expiry")
        want = iso(55)
        renewed = expect(200, call(base, "PATCH", f"/graph/v1.0/subscriptions/{sid}", demo,
                                   {"expirationDateTime": want}), "renew")
        if renewed["expirationDateTime"][:19] != want[:19]:
            fail(f"renewed: {renewed} (wanted {want})")

        # A receiver that fails its first two attempts still gets the notification.
        flaky = expect(201, call(base, "POST", "/graph/v1.0/subscriptions", demo,
                                 sub(rx.url("flaky"))), "create flaky")
        if not rx.wait("flaky", lambda d: len(d) >= 3, 10):
            fail(f"flaky receiver: {len(rx.deliveries('flaky'))} attempts")
        first = json.loads(rx.deliveries("flaky")[0][1])["value"][0]
        if first["subscriptionId"] != flaky["id"]:
            fail(f"flaky: {first}")

        # One that never answers in time: dead letters and a `missed` lifecycle event, while
        # the healthy subscription keeps getting its updates.
        silent = expect(201, call(base, "POST", "/graph/v1.0/subscriptions", demo,
                                  sub(rx.url("silent"), lifecycle=rx.url("silent-life"))),
                        "create silent")
        before = len(rx.deliveries("ok"))
        if not rx.wait("silent-life", lambda d: any(
                json.loads(b)["value"][0]["lifecycleEvent"] == "missed" for _, b in d), 15):
            fail("no missed lifecycle notification")
        if len(rx.deliveries("ok")) <= before:
            fail("the healthy receiver stalled behind the silent one")
        dead = expect(200, call(base, "GET", f"/graph/v1.0/subscriptions/{silent['id']}/deadLetters",
                                demo), "dead letters")
        if not dead["value"] or dead["value"][0]["item"]["subscriptionId"] != silent["id"] or \
                dead["value"][0]["lastError"] != "timeout":
            fail(f"dead letters: {dead}")

        # Operators see it in /metrics: deliveries by outcome, connections, subscriptions.
        metrics = sbtest.request(base, "GET", "/metrics", raw=True)[1]
        for name in ('sb_webhook_deliveries_total{outcome="ok"}',
                     'sb_webhook_deliveries_total{outcome="failed"}'):
            m = re.search(re.escape(name) + r" (\d+)", metrics)
            if not m or int(m.group(1)) < 1:
                fail(f"/metrics lacks {name} >= 1")
        if not re.search(r"sb_webhook_subscriptions 3\b", metrics) or \
                "sb_webhook_connections_opened_total" not in metrics:
            fail("/metrics lacks the webhook subscriptions or connections")

        # Restart: the subscription is still there and delivery resumes with the same key.
        rc = server.terminate()
        if rc != 0:
            fail(f"server exited with {rc}")
        server = start_server(binary, path, work, env)
        got = expect(200, call(base, "GET", f"/graph/v1.0/subscriptions/{sid}", demo),
                     "get after restart")
        if got["clientState"] != "s3cret-state":
            fail(f"after restart: {got}")
        before = len(rx.deliveries("ok"))
        if not rx.wait("ok", lambda d: len(d) > before, 10):
            fail("no delivery after restart")
        headers, body = rx.deliveries("ok")[-1]
        if not sbtest.verify_signature(key, headers.get("x-switchboard-signature"), body):
            fail("signature after restart")
        for s in (sid, flaky["id"], silent["id"]):
            expect(204, call(base, "DELETE", f"/graph/v1.0/subscriptions/{s}", demo), "delete")
        expect(404, call(base, "GET", f"/graph/v1.0/subscriptions/{sid}", demo), "deleted")
        ok = True
        print("webhooks: ok")
    finally:
        server.terminate()
        rx.hooks.close()
        if not ok:
            sys.stderr.write(server.log_tail(4000))


if __name__ == "__main__":
    main()
