#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Queued webhook notifications survive a crash: the real switchboard binary (demo tenants,
free loopback ports, temp data dir) delivers queue statistics to a real HTTP receiver that
answers 503. After two failed attempts of the same batch the server is killed with SIGKILL
and restarted, and the receiver starts answering 202. The first request after the restart must
be that batch, byte for byte, signed with the subscription's key, sent no earlier than the
retry schedule stored before the crash allows, and delivered once (at-least-once allows a
repeat only of a batch whose success the server did not record; here none succeeded before
the kill). Queue statistics repeat byte for byte while nothing changes, so before the kill
the subscription is renewed: every notification queued after that carries the new
subscriptionExpirationDateTime, and only the restored batch still has the old one.
Usage: pending_driver.py SWITCHBOARD SOURCE_DIR"""
import json
import os
import signal
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import sbtest  # noqa: E402
from sbtest import expect, fail, free_port  # noqa: E402

RETRY_MS = 8000  # initial and maximum backoff: a retry comes 4..8 s after a failure
WEBHOOKS_YAML = f"""
webhooks:
  answer_timeout_ms: 1000
  retry_initial_ms: {RETRY_MS}
  retry_max_ms: {RETRY_MS}
  give_up_after_ms: 120000
"""


class Receiver:
    """Echoes validation handshakes; records every delivery as (time, headers, body) and
    answers 503 until `up` is set, then 202."""

    def __init__(self):
        self.lock = threading.Lock()
        self.got = []
        self.up = threading.Event()
        self.hooks = sbtest.HookServer(self.respond)
        self.url = self.hooks.url("hook")

    def respond(self, path, query, headers, body):
        token = query.get("validationToken")
        if token:
            return 200, token[0]
        status = 202 if self.up.is_set() else 503
        with self.lock:
            self.got.append((time.time(), headers, body, status))
        return status, ""

    def deliveries(self):
        with self.lock:
            return list(self.got)


def main():
    binary, source = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="sb-webhook-pending-")
    http_port = free_port()
    path = sbtest.demo_config(source, work, free_port(), http_port, extra=WEBHOOKS_YAML)
    base = f"http://127.0.0.1:{http_port}"
    demo = "sb_demo_admin_key"
    rx = Receiver()
    server = sbtest.Server(binary, path, work)
    ok = False
    try:
        exp = (datetime.now(timezone.utc) + timedelta(minutes=30)).strftime(
            "%Y-%m-%dT%H:%M:%S.0000000Z")
        created = expect(201, sbtest.call(base, "POST", "/graph/v1.0/subscriptions", demo, {
            "changeType": "updated", "notificationUrl": rx.url,
            "resource": "api/v1/queues/support/stats", "expirationDateTime": exp,
            "clientState": "pending-state"}, timeout=20), "create")
        sid, key = created["id"], created["signingKey"]
        sbtest.wait_until("two failed attempts", lambda: len(rx.deliveries()) >= 2, 15)
        time.sleep(0.3)  # the second 503 is recorded and its retry state committed
        failed = rx.deliveries()
        batch = failed[0][2]
        for _, _, body, status in failed:
            if body != batch or status != 503:
                fail(f"a failing batch changed between attempts: {batch} / {body}")
        item = json.loads(batch)["value"][0]
        if item["subscriptionId"] != sid or item["clientState"] != "pending-state":
            fail(f"notification: {item}")
        last_failure = failed[-1][0]
        renewed = (datetime.now(timezone.utc) + timedelta(minutes=45)).strftime(
            "%Y-%m-%dT%H:%M:%S.0000000Z")
        expect(200, sbtest.call(base, "PATCH", f"/graph/v1.0/subscriptions/{sid}", demo,
                                {"expirationDateTime": renewed}, timeout=20), "renew")
        # Statistics published now (every second) replace the queued item behind the batch.
        time.sleep(1.5)
        if len(rx.deliveries()) != len(failed):
            fail("the batch was retried before its schedule")

        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait()
        rx.up.set()
        server = sbtest.Server(binary, path, work, log_mode="a")
        sbtest.wait_until("a delivery after the restart",
                          lambda: len(rx.deliveries()) > len(failed), 15)
        at, headers, body, status = rx.deliveries()[len(failed)]
        if body != batch:
            fail(f"first request after the restart is not the queued batch:\n{body}\nvs\n{batch}")
        if status != 202 or not sbtest.verify_signature(key, headers.get("x-switchboard-signature"), body):
            fail(f"restored batch: status {status}, signature "
                 f"{headers.get('x-switchboard-signature')}")
        # A fresh queue would have sent the next statistics about a second after start-up; the
        # restored batch waited for its stored next attempt (4..8 s after the last failure).
        if at - last_failure < RETRY_MS / 2000 - 0.2:
            fail(f"retry schedule not kept: {at - last_failure:.2f} s after the last failure")
        # Newer statistics follow (renewed expiry); the restored batch is not delivered again.
        sbtest.wait_until("newer statistics",
                          lambda: len(rx.deliveries()) >= len(failed) + 3, 10)
        after = [b for _, _, b, s in rx.deliveries()[len(failed):] if s == 202]
        if after.count(batch) != 1:
            fail(f"restored batch delivered {after.count(batch)} times")
        for b in after[1:]:
            if json.loads(b)["value"][0]["subscriptionExpirationDateTime"][:19] != renewed[:19]:
                fail(f"a notification after the restored batch is not a new one: {b}")
        expect(204, sbtest.call(base, "DELETE", f"/graph/v1.0/subscriptions/{sid}", demo),
               "delete")
        server.stop()
        ok = True
        print("webhook pending deliveries: ok")
    finally:
        if server.proc.poll() is None:
            server.terminate()
        rx.hooks.close()
        if not ok:
            sys.stderr.write(server.log_tail(4000))
        sbtest.finish(ok, work)


if __name__ == "__main__":
    main()
