#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Agent API integration test against the real switchboard binary on loopback: agents register
with digest, SIPp plays the carrier (caller) and the agents' phones, and the HTTP API and the
event WebSocket are checked while the call goes through: the offer is visible in the agent's
reservations, accept of a voice offer is refused with 409, decline via the API makes the next
agent ring, ending wrap-up via the API makes the agent available at once, windowed statistics
count the answered call within the service level, queue.stats arrives every second on the
WebSocket, and /metrics has the per-queue series. Every process started is stopped.
Usage: agent_driver.py SWITCHBOARD SOURCE_DIR"""
import base64
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

SOURCE = sys.argv[2] if len(sys.argv) > 2 else "."
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration", "voice"))
import voice_driver as vd  # noqa: E402  (SIPp wrapper, digest REGISTER, free ports)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import sbtest  # noqa: E402
from sbtest import expect, fail, wait_until  # noqa: E402

KEY = "sb_demo_admin_key"


def call(base, method, path, token=KEY, body=None, form=None):
    """sbtest.call with the demo admin key unless told otherwise."""
    return sbtest.call(base, method, path, token, body, form)


def wait_for(what, fn, timeout=10.0):
    return wait_until(what, fn, timeout)


class WebSocket:
    """Just enough RFC 6455 for a test: handshake, unmasked server text frames, ping/close."""

    def __init__(self, port, path):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
                          .encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                fail("WebSocket handshake: connection closed")
            head += chunk
        head, self.buf = head.split(b"\r\n\r\n", 1)
        if not head.startswith(b"HTTP/1.1 101"):
            fail(f"WebSocket handshake: {head[:200]!r}")
        self.events = []

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def poll(self, timeout):
        """Reads frames for up to `timeout` s, appending decoded events."""
        end = time.time() + timeout
        while time.time() < end:
            self.sock.settimeout(max(0.01, end - time.time()))
            try:
                b0, b1 = self._read(2)
            except socket.timeout:
                return
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            payload = self._read(n)
            op = b0 & 0x0F
            if op == 1:
                self.events.append(json.loads(payload))
            elif op == 8:
                raise ConnectionError("server closed the WebSocket")

    def wait(self, what, pred, timeout=10.0):
        end = time.time() + timeout
        while time.time() < end:
            for e in self.events:
                if pred(e):
                    return e
            self.poll(0.2)
        types = sorted({e["type"] for e in self.events})
        fail(f"no {what} event within {timeout}s (got types {types})")

    def close(self):
        self.sock.close()


def start_server(binary, work, trunk_port):
    sip, http = vd.free_port(), vd.free_port()
    cfg = os.path.join(work, "switchboard.yaml")
    with open(cfg, "w") as f:
        f.write(f"""demo: true
log_level: info
data_dir: {work}/var
sip:
  digest_algorithms: [md5, sha256]
  listen:
    - {{transport: udp, address: 127.0.0.1, port: {sip}}}
http:
  address: 127.0.0.1
  port: {http}
trunks:
  - {{id: carrier, tenants: [demo], sources: [{{address: 127.0.0.1, port: {trunk_port}}}],
     outbound_address: 127.0.0.1, outbound_port: {trunk_port}}}
tenants:
  - id: demo
    domain: {vd.DOMAIN}
    demo_admin_key: {KEY}
    queues:
      - {{id: support, strategy: leastrecent, skills: {{support: 1}}, sl_threshold_s: 20,
         wrap_up_s: 60, reservation_timeout_s: 30, max_wait_s: 120}}
    numbers:
      - {{number: "+15550100", queue: support}}
    users:
      - {{id: alice, extension: "1001", sip_password: alice-demo, password: alice-api,
         skills: {{support: 9}}, capacity: {{voice: 1}}, queues: [support]}}
      - {{id: bob, extension: "1002", sip_password: bob-demo, skills: {{support: 6}},
         capacity: {{voice: 1}}, queues: [support]}}
""")
    log = open(os.path.join(work, "server.log"), "w")
    proc = subprocess.Popen([binary, "serve", "--config", cfg], stdout=subprocess.PIPE,
                            stderr=log, text=True)
    deadline = time.time() + 15
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line or line.startswith("HTTP listening"):
            break

    class S:  # what vd.register() needs
        port = sip
    return proc, S, http


def main():
    binary = sys.argv[1]
    work = tempfile.mkdtemp(prefix="sb-agent-")
    trunk_port = vd.free_port()
    proc, sip, http = start_server(binary, work, trunk_port)
    base = f"http://127.0.0.1:{http}"
    procs, ws = [], None
    try:
        expect(200, call(base, "GET", "/api/v1/health", None), "health")
        spec = expect(200, call(base, "GET", "/api/v1/openapi.json", None), "openapi")
        for p in ("/api/v1/tenants/{tenantId}/agents/{userId}/offers",
                  "/api/v1/tenants/{tenantId}/agents/{userId}/offers/{interactionId}/decline",
                  "/api/v1/tenants/{tenantId}/agents/{userId}/wrap-up/end",
                  "/api/v1/me/offers", "/api/v1/me/state"):
            if p not in spec["paths"]:
                fail(f"OpenAPI lacks {p}")
        ws = WebSocket(http, f"/api/v1/events?access_token={KEY}")

        # queue.stats arrives every second, before any call.
        qs = ws.wait("queue.stats", lambda e: e["type"] == "queue.stats", 5)
        if qs["data"]["queueId"] != "support" or qs["data"]["waiting"] != 0:
            fail(f"queue.stats: {qs}")

        # alice's phone rings and is never answered; bob's answers.
        a_port, b_port = vd.free_port(), vd.free_port()
        a = vd.Sipp(work, os.path.join(SOURCE, "tests/integration/voice/uas-noanswer.xml"),
                    ["-p", a_port, "-m", 1], "alice-phone")
        b = vd.Sipp(work, os.path.join(SOURCE, "tests/integration/voice/uas-answer.xml"),
                    ["-p", b_port, "-m", 1], "bob-phone")
        procs += [a, b]
        time.sleep(0.3)
        for user, port in (("alice", a_port), ("bob", b_port)):
            code, reply = vd.register(sip, user, f"{user}-demo", [f"sip:{user}@127.0.0.1:{port}"],
                                      algorithm="MD5")
            if code != 200:
                fail(f"{user} REGISTER: {code}\n{reply}")
            time.sleep(0.05)  # alice idle longest: offered first
        wait_for("agents available", lambda: all(
            call(base, "GET", f"/api/v1/tenants/demo/agents/{u}/state")[1].get("state") ==
            "available" for u in ("alice", "bob")))

        uac = vd.Sipp(work, os.path.join(SOURCE, "tests/integration/voice/uac-call.xml"),
                      ["-s", "+15550100", f"127.0.0.1:{sip.port}", "-p", trunk_port, "-m", 1,
                       "-d", 1500], "caller")
        procs.append(uac)

        # The offer is in alice's reservations (tenant route and /me with her own token).
        offers = wait_for("alice's offer", lambda: expect(
            200, call(base, "GET", "/api/v1/tenants/demo/agents/alice/offers"), "offers")["items"])
        offer = offers[0]
        if offer["state"] != "offered" or offer["queueId"] != "support" or not offer["offeredAt"]:
            fail(f"offer: {offer}")
        iid = offer["interactionId"]
        tok = expect(200, call(base, "POST", "/api/v1/auth/token", None,
                               form="grant_type=password&username=alice&password=alice-api"),
                     "alice sign-in")["access_token"]
        mine = expect(200, call(base, "GET", "/api/v1/me/offers", tok), "me/offers")
        if [o["interactionId"] for o in mine["items"]] != [iid] or mine["agent"]["state"] != "reserved":
            fail(f"me/offers: {mine}")
        # An agent cannot see a colleague's work.
        expect(403, call(base, "GET", "/api/v1/tenants/demo/agents/bob/offers", tok), "bob's offers")
        created = ws.wait("offer.created", lambda e: e["type"] == "offer.created" and
                          e["data"]["interactionId"] == iid)
        if created["data"]["userId"] != "alice":
            fail(f"offer.created: {created}")

        # Accepting a voice offer from the API is refused with an explanation.
        err = expect(409, call(base, "POST", f"/api/v1/me/offers/{iid}/accept", tok), "accept")
        if "answering the phone" not in err["error"]["message"]:
            fail(f"accept error: {err}")
        expect(404, call(base, "POST", "/api/v1/me/offers/nope/decline", tok), "unknown offer")

        # Decline: alice's phone gets its CANCEL, bob rings and answers.
        d = expect(200, call(base, "POST", f"/api/v1/me/offers/{iid}/decline", tok), "decline")
        if d["state"] != "declined":
            fail(f"decline: {d}")
        ws.wait("offer.declined", lambda e: e["type"] == "offer.declined" and
                e["data"]["userId"] == "alice")
        ws.wait("bob's offer", lambda e: e["type"] == "offer.created" and
                e["data"]["userId"] == "bob")
        ans = ws.wait("call.answered", lambda e: e["type"] == "call.answered", 10)
        if ans["data"]["userId"] != "bob" or ans["data"]["interactionId"] != iid:
            fail(f"call.answered: {ans}")
        work_b = expect(200, call(base, "GET", "/api/v1/tenants/demo/agents/bob/interactions"),
                        "bob interactions")
        if not any(i["interactionId"] == iid and i["state"] == "answered" for i in work_b["items"]):
            fail(f"bob's interactions: {work_b}")
        if expect(200, call(base, "GET", "/api/v1/me/offers", tok), "me/offers")["items"]:
            fail("alice still has an offer after declining")

        vd.expect_ok(uac, a, b)
        ws.wait("call.ended", lambda e: e["type"] == "call.ended" and
                e["data"]["interactionId"] == iid)

        # Wrap-up (60 s) ends at once through the API.
        st = expect(200, call(base, "GET", "/api/v1/tenants/demo/agents/bob/state"), "bob state")
        if st["state"] != "wrap-up":
            fail(f"bob after the call: {st}")
        st = expect(200, call(base, "POST", "/api/v1/tenants/demo/agents/bob/wrap-up/end"),
                    "end wrap-up")
        if st["state"] != "available" or st["wrapUps"] != 0:
            fail(f"bob after ending wrap-up: {st}")
        ws.wait("agent.state available", lambda e: e["type"] == "agent.state" and
                e["data"]["userId"] == "bob" and e["data"]["to"] == "available")

        # Windowed statistics after the real call.
        s = expect(200, call(base, "GET", "/api/v1/tenants/demo/queues/support/stats?window=15m"),
                   "windowed stats")
        if (s["window"] != "15m" or s["enqueued"] != 1 or s["answered"] != 1 or
                s["answeredWithinThreshold"] != 1 or s["serviceLevel"] != 1.0 or
                s["abandoned"] != 0 or s["handled"] != 1 or s["asaSeconds"] is None or
                s["waiting"] != 0):
            fail(f"windowed stats: {s}")
        sl2 = expect(200, call(base, "GET",
                               "/api/v1/tenants/demo/queues/support/stats?window=1h&preset=asterisk-sl"),
                     "asterisk preset")
        if sl2["preset"] != "asterisk-sl" or sl2["answered"] != 1:
            fail(f"preset stats: {sl2}")
        bad = expect(400, call(base, "GET", "/api/v1/tenants/demo/queues/support/stats?window=7m"),
                     "bad window")
        if bad["error"].get("field") != "window":
            fail(f"bad window error: {bad}")
        live = expect(200, call(base, "GET", "/api/v1/tenants/demo/queues/support/stats"), "live")
        if live["waiting"] != 0 or "agentsAvailable" not in live:
            fail(f"live stats: {live}")
        # The per-second event carries the window too.
        ws.wait("queue.stats with the answered call", lambda e: e["type"] == "queue.stats" and
                e["data"]["window"]["answered"] == 1, 5)

        metrics = expect(200, call(base, "GET", "/metrics"), "metrics")
        for series in ('sb_queue_waiting{tenant="demo",queue="support"} 0',
                       'sb_queue_service_level{tenant="demo",queue="support",window="15m"} 1',
                       'sb_queue_answered_total{tenant="demo",queue="support"} 1',
                       'sb_queue_agents_available{tenant="demo",queue="support"}',
                       "sb_calls_active 0", 'sb_event_loop_lag_seconds{loop="sip0"}',
                       "sb_http_requests_total"):
            if series not in metrics:
                fail(f"/metrics lacks {series}")
        print("agent API: OK")
    finally:
        if ws:
            ws.close()
        for p in procs:
            p.stop()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                rc = proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                fail("server did not stop on SIGTERM")
            if rc != 0:
                fail(f"server exited with {rc}; see {work}/server.log")


if __name__ == "__main__":
    main()
