#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Config integration test: starts the real switchboard binary with the demo tenants on free
loopback ports (--open-trunk), creates a queue, a user and a number through the API, then
REGISTERs the new user with the new password (SHA-256 and MD5 digest) and sends a trunk INVITE
to the new number, which must be offered to that user, all without a restart. Also checks
field-precise 400s, foreign-tenant 404s, paging, the audit log, and that a restart keeps the
records. Usage: config_driver.py SWITCHBOARD SOURCE_DIR"""
import hashlib
import os
import re
import socket
import sqlite3
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import sbtest  # noqa: E402
from sbtest import DOMAIN, call, expect, fail, free_port, wait_until  # noqa: E402

DEMO, ACME = sbtest.DEMO_KEY, sbtest.ACME_KEY


def expect_field(got, field, what):
    body = expect(400, got, what)
    err = body.get("error", {})
    if err.get("field") != field or not err.get("code") or not err.get("message"):
        fail(f"{what}: error should name field {field!r} with a code and message: {body}")


class Server(sbtest.Server):
    """The demo config with --open-trunk; the log accumulates over restarts."""

    def __init__(self, binary, source, work, sip, http):
        super().__init__(binary, sbtest.demo_config(source, work, sip, http), work,
                         args=["--open-trunk"], log_mode="a")
        self.sip, self.http = sip, http
        self.db = os.path.join(work, "var", "switchboard.db")
        self.base = f"http://127.0.0.1:{http}"


def recv_sip(sock, want, timeout=5.0):
    """The next SIP message whose first line contains `want`; None on timeout."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        sock.settimeout(max(0.05, deadline - time.time()))
        try:
            data = sock.recv(65535).decode(errors="replace")
        except socket.timeout:
            return None
        if want in data.split("\r\n", 1)[0]:
            return data
    return None


def register(sip_port, user, password, contact_sock, algorithm):
    """REGISTER contact_sock's address for `user`, answering the 401 with `algorithm`."""
    lport = contact_sock.getsockname()[1]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    call_id = f"reg-{user}-{time.time_ns()}"

    def send(cseq, auth=""):
        lines = [f"REGISTER sip:{DOMAIN} SIP/2.0",
                 f"Via: SIP/2.0/UDP 127.0.0.1:{s.getsockname()[1]};branch=z9hG4bK{call_id}{cseq}",
                 "Max-Forwards: 70", f"From: <sip:{user}@{DOMAIN}>;tag=t{cseq}",
                 f"To: <sip:{user}@{DOMAIN}>", f"Call-ID: {call_id}", f"CSeq: {cseq} REGISTER",
                 "Expires: 300", f"Contact: <sip:{user}@127.0.0.1:{lport}>"]
        if auth:
            lines.append(auth)
        lines += ["Content-Length: 0", "", ""]
        s.sendto("\r\n".join(lines).encode(), ("127.0.0.1", sip_port))
        reply = recv_sip(s, "SIP/2.0 ")
        while reply is not None and int(reply.split(" ", 2)[1]) < 200:
            reply = recv_sip(s, "SIP/2.0 ")
        if reply is None:
            fail(f"no answer to REGISTER of {user}")
        return int(reply.split(" ", 2)[1]), reply

    try:
        code, reply = send(1)
        if code != 401:
            return code
        challenges = [l.split(":", 1)[1].strip() for l in reply.split("\r\n")
                      if l.lower().startswith("www-authenticate:")]
        ch = next((c for c in challenges if f"algorithm={algorithm}" in c), None)
        if ch is None:
            fail(f"no {algorithm} challenge in {challenges}")
        nonce = re.search(r'nonce="([^"]+)"', ch).group(1)
        h = hashlib.sha256 if algorithm == "SHA-256" else hashlib.md5
        ha1 = h(f"{user}:{DOMAIN}:{password}".encode()).hexdigest()
        ha2 = h(f"REGISTER:sip:{DOMAIN}".encode()).hexdigest()
        resp = h(f"{ha1}:{nonce}:00000001:c0ffee:auth:{ha2}".encode()).hexdigest()
        auth = (f'Authorization: Digest username="{user}", realm="{DOMAIN}", nonce="{nonce}", '
                f'uri="sip:{DOMAIN}", response="{resp}", algorithm={algorithm}, '
                f'cnonce="c0ffee", qop=auth, nc=00000001')
        return send(2, auth)[0]
    finally:
        s.close()


SDP = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")


def trunk_request(method, sip_port, sock, number, call_id, cseq_method=None, body=""):
    lport = sock.getsockname()[1]
    lines = [f"{method} sip:{number}@127.0.0.1:{sip_port} SIP/2.0",
             f"Via: SIP/2.0/UDP 127.0.0.1:{lport};branch=z9hG4bK{call_id}",
             "Max-Forwards: 70", "From: <sip:+15551234@carrier.example>;tag=ct",
             f"To: <sip:{number}@{DOMAIN}>", f"Call-ID: {call_id}",
             f"CSeq: 1 {cseq_method or method}", f"Contact: <sip:carrier@127.0.0.1:{lport}>"]
    if body:
        lines.append("Content-Type: application/sdp")
    lines += [f"Content-Length: {len(body)}", "", body]
    sock.sendto("\r\n".join(lines).encode(), ("127.0.0.1", sip_port))


def reply(sock, request, code, reason, to_tag="frank1"):
    """A response to `request` from sock, back to the address in its top Via."""
    keep = []
    for line in request.split("\r\n")[1:]:
        name = line.split(":", 1)[0].strip().lower()
        if name in ("via", "from", "call-id", "cseq"):
            keep.append(line)
        elif name == "to":
            keep.append(line if ";tag=" in line else line + f";tag={to_tag}")
    via = next(l for l in keep if l.lower().startswith("via"))
    host, port = re.search(r"UDP ([0-9.]+):([0-9]+)", via).groups()
    text = "\r\n".join([f"SIP/2.0 {code} {reason}", *keep, "Content-Length: 0", "", ""])
    sock.sendto(text.encode(), (host, int(port)))


def main():
    binary, source = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="sb-config-")
    sip, http = free_port(), free_port()
    server = Server(binary, source, work, sip, http)
    socks = []
    ok = False
    try:
        b = server.base
        # --- validation: the YAML loader's rules, errors name the field ---
        expect_field(call(b, "POST", "/api/v1/tenants/demo/queues", DEMO,
                          {"id": "billing", "strategy": "fastest-first"}), "strategy", "bad strategy")
        expect_field(call(b, "POST", "/api/v1/tenants/demo/queues", DEMO,
                          {"id": "billing", "max_wait_s": 0}), "max_wait_s", "bad max wait")
        expect_field(call(b, "POST", "/api/v1/tenants/demo/users", DEMO,
                          {"username": "zed", "skills": {"spanish": 11}}), "skills.spanish",
                     "bad skill level")
        for path in ("queues", "trunks"):
            expect_field(call(b, "POST", f"/api/v1/tenants/demo/{path}", DEMO, {"name": "x"}),
                         "id", f"{path}: missing id")
            expect_field(call(b, "POST", f"/api/v1/tenants/demo/{path}", DEMO, {"id": "a b"}),
                         "id", f"{path}: id with a space")

        # --- create a queue, a user (agent profile + password) and a number ---
        q = expect(201, call(b, "POST", "/api/v1/tenants/demo/queues", DEMO,
                             {"id": "billing", "name": "Billing", "strategy": "leastrecent",
                              "skills": {"billing": 1}, "max_wait_s": 120,
                              "reservation_timeout_s": 10}), "create queue")
        if q["strategy"] != "leastrecent" or q["max_wait_s"] != 120 or q["wrap_up_s"] != 0:
            fail(f"queue document: {q}")
        u = expect(201, call(b, "POST", "/api/v1/tenants/demo/users", DEMO,
                             {"username": "frank", "displayName": "Frank Agent",
                              "extension": "1009", "password": "frank-secret-1",
                              "skills": {"billing": 5}, "capacity": {"voice": 1},
                              "queues": ["billing"]}), "create user")
        if u["id"] != "frank" or "password" in u or not u["sipEnabled"] or u["queues"] != ["billing"]:
            fail(f"user document: {u}")
        expect_field(call(b, "POST", "/api/v1/tenants/demo/users", DEMO,
                          {"username": "frank2", "queues": ["nowhere"]}), "queues", "unknown queue")
        expect(409, call(b, "POST", "/api/v1/tenants/demo/users", DEMO, {"username": "frank"}),
               "duplicate user")
        expect(201, call(b, "POST", "/api/v1/tenants/demo/numbers", DEMO,
                         {"number": "+15550199", "queue": "billing"}), "create number")
        expect(409, call(b, "POST", "/api/v1/tenants/acme/numbers", ACME,
                         {"number": "+15550199", "queue": "helpdesk"}), "number taken elsewhere")
        # A direct inward-dialing number: it rings a user's phones, no queue.
        did = expect(201, call(b, "POST", "/api/v1/tenants/demo/numbers", DEMO,
                               {"number": "+15550198", "user": "frank"}), "number to a user")
        if did.get("user") != "frank" or "queue" in did:
            fail(f"number to a user: {did}")
        expect_field(call(b, "POST", "/api/v1/tenants/demo/numbers", DEMO,
                          {"number": "+15550197", "user": "nobody"}), "user", "unknown user")
        expect_field(call(b, "POST", "/api/v1/tenants/demo/numbers", DEMO,
                          {"number": "+15550197", "user": "frank", "queue": "billing"}),
                     "user", "exactly one")
        expect_field(call(b, "POST", "/api/v1/tenants/demo/numbers", DEMO,
                          {"number": "+15550197"}), "queue", "exactly one")
        gone = expect(409, call(b, "DELETE", "/api/v1/tenants/demo/users/frank", DEMO),
                      "delete a user a number rings")
        if gone.get("error", {}).get("field") != "userId" or \
                "+15550198" not in gone["error"].get("message", ""):
            fail(f"deleting a user a number rings: {gone}")

        # --- tenant isolation and permissions ---
        expect(404, call(b, "GET", "/api/v1/tenants/demo/users/frank", ACME), "foreign user")
        expect(404, call(b, "POST", "/api/v1/tenants/demo/queues", ACME,
                         {"id": "x", "strategy": "leastrecent"}), "foreign queue create")
        expect(404, call(b, "GET", "/api/v1/tenants/demo/queues/billing", ACME), "foreign queue")
        expect(403, call(b, "POST", "/api/v1/tenants", DEMO, {"id": "t2", "domain": "t2.test"}),
               "tenant creation needs a system operator")

        # --- paging: limit + next ---
        seen, cursor = [], None
        for _ in range(10):
            path = "/api/v1/tenants/demo/users?limit=3" + (f"&cursor={cursor}" if cursor else "")
            page = expect(200, call(b, "GET", path, DEMO), "users page")
            seen += [x["id"] for x in page["items"]]
            cursor = page.get("next")
            if not cursor:
                break
        if seen != sorted(["admin", "alice", "bob", "carol", "dave", "frank", "sam"]):
            fail(f"paged users: {seen}")

        # --- applied live: the voice path knows the queue, the agent and the number ---
        def has_billing():
            got = call(b, "GET", "/api/v1/tenants/demo/queues", DEMO)
            return got[0] == 200 and "billing" in [x["id"] for x in got[1]["items"]]
        wait_until("the billing queue in the live queue list", has_billing)

        phone = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        phone.bind(("127.0.0.1", 0))
        socks.append(phone)
        if register(sip, "frank", "wrong-password", phone, "SHA-256") != 403:
            fail("a wrong password must not register")
        for algorithm in ("SHA-256", "MD5"):
            code = register(sip, "frank", "frank-secret-1", phone, algorithm)
            if code != 200:
                fail(f"frank could not register with {algorithm}: {code}")
        wait_until("frank available", lambda: call(
            b, "GET", "/api/v1/tenants/demo/agents/frank/state", DEMO)[1].get("state") == "available")

        trunk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        trunk.bind(("127.0.0.1", 0))
        socks.append(trunk)
        trunk_request("INVITE", sip, trunk, "+15550199", "cfg-call-1", body=SDP)
        offer = recv_sip(phone, "INVITE sip:frank@127.0.0.1")
        if offer is None:
            fail("the call to the new number was not offered to the new agent")
        stats = expect(200, call(b, "GET", "/api/v1/tenants/demo/queues/billing/stats", DEMO),
                       "billing stats")
        if stats.get("agentsEligible") != 1:
            fail(f"billing stats: {stats}")
        reply(phone, offer, 180, "Ringing")  # RFC 3261 9.1: no CANCEL before a provisional
        # The caller gives up; the server cancels the offer.
        trunk_request("CANCEL", sip, trunk, "+15550199", "cfg-call-1")
        if recv_sip(phone, "CANCEL") is None:
            fail("the agent's ringing leg was not cancelled")

        # --- a bad update is refused and changes nothing ---
        expect_field(call(b, "PUT", "/api/v1/tenants/demo/queues/billing", DEMO,
                          {"strategy": "nope"}), "strategy", "bad queue update")
        q = expect(200, call(b, "GET", "/api/v1/tenants/demo/queues/billing", DEMO), "get queue")
        if q["strategy"] != "leastrecent":
            fail(f"refused update changed the queue: {q}")

        # --- restart keeps the records (the store wins over the YAML seed) ---
        server.stop()
        con = sqlite3.connect(server.db)
        audit = con.execute("SELECT actor, action, entity_type, entity_id, before_json, after_json "
                            "FROM audit_log WHERE tenant_id = 'demo' ORDER BY seq").fetchall()
        con.close()
        kinds = [(a[1], a[2], a[3]) for a in audit]
        for want in [("create", "queue", "billing"), ("create", "user", "frank"),
                     ("create", "number", "+15550199")]:
            if want not in kinds:
                fail(f"audit lacks {want}: {kinds}")
        for a in audit:
            if a[2] == "user" and ("frank-secret-1" in a[5] or not a[0]):
                fail(f"audit entry leaks the password or lacks the actor: {a}")
        server = Server(binary, source, work, sip, http)
        b = server.base
        expect(200, call(b, "GET", "/api/v1/tenants/demo/users/frank", DEMO), "user after restart")
        expect(200, call(b, "GET", "/api/v1/tenants/demo/numbers/+15550199", DEMO),
               "number after restart")
        if expect(200, call(b, "GET", "/api/v1/tenants/demo/numbers/+15550198", DEMO),
                  "user number after restart").get("user") != "frank":
            fail("the number to a user changed across the restart")
        wait_until("billing after restart", has_billing)
        if register(sip, "frank", "frank-secret-1", phone, "SHA-256") != 200:
            fail("frank could not register after the restart")
        ok = True
    finally:
        for s in socks:
            s.close()
        server.stop()
        sbtest.finish(ok, work)
    print("config integration: OK")


if __name__ == "__main__":
    main()
