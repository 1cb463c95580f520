#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Presence integration driver: starts the real switchboard binary on loopback ports with a temp
config and data dir, then checks the Graph presence routes over HTTP, SIP SUBSCRIBE/NOTIFY and
PUBLISH with this script's own digest-authenticating UDP UA, and presence-aware routing with
SIPp (the voice tests' scenarios). Every process it starts is stopped; every wait is bounded.
Usage: presence_driver.py SWITCHBOARD SOURCE_DIR CASE"""
import hashlib
import os
import re
import socket
import sqlite3
import sys
import time
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import sbtest  # noqa: E402
from sbtest import ACME_KEY, DEMO_KEY, DOMAIN, fail, free_port  # noqa: E402

wait_for = sbtest.wait_until
SESSION = "22553876-f5ab-4529-bffb-cfe50aa89f87"


class Server(sbtest.Server):
    def __init__(self, binary, workdir, trunk_port, port=None, http=None, log_mode="w"):
        self.workdir = workdir
        self.port = port or free_port()
        self.http = http or free_port()
        self.db = os.path.join(workdir, "var", "switchboard.db")
        cfg = os.path.join(workdir, "switchboard.yaml")
        with open(cfg, "w") as f:
            f.write(f"""demo: true
log_level: info
data_dir: {workdir}/var
sip:
  listen:
    - {{transport: udp, address: 127.0.0.1, port: {self.port}}}
    - {{transport: tcp, address: 127.0.0.1, port: {self.port}}}
http:
  address: 127.0.0.1
  port: {self.http}
trunks:
  - {{id: carrier, tenants: [demo], sources: [{{address: 127.0.0.1, port: {trunk_port}}}],
     outbound_address: 127.0.0.1, outbound_port: {trunk_port}}}
tenants:
  - id: demo
    domain: {DOMAIN}
    demo_admin_key: {DEMO_KEY}
    queues:
      - {{id: support, strategy: leastrecent, skills: {{support: 1}}, wrap_up_s: 0,
         reservation_timeout_s: 5, max_wait_s: 60}}
    numbers:
      - {{number: "+15550100", queue: support}}
    users:
      - {{id: alice, extension: "1001", sip_password: alice-demo, password: alice-web,
         skills: {{support: 9}}, capacity: {{voice: 1}}, queues: [support]}}
      - {{id: bob, extension: "1002", sip_password: bob-demo, skills: {{support: 6}},
         capacity: {{voice: 1}}, queues: [support]}}
      - {{id: dave, role: sme, extension: "1004", sip_password: dave-demo}}
      - {{id: sam, role: supervisor, password: sam-demo}}
  - id: acme
    domain: acme.switchboard.test
    demo_admin_key: {ACME_KEY}
    queues:
      - {{id: helpdesk, strategy: leastrecent}}
    users:
      - {{id: erin, extension: "2001", sip_password: erin-demo, capacity: {{voice: 1}},
         queues: [helpdesk]}}
""")
        super().__init__(binary, cfg, workdir, log_mode=log_mode)

    # --- HTTP ---
    def call(self, method, path, token=DEMO_KEY, body=None, form=None):
        return sbtest.call(f"http://127.0.0.1:{self.http}", method, path, token, body, form)

    def expect(self, status, method, path, what, **kw):
        got = self.call(method, path, **kw)
        if got[0] != status:
            fail(f"{what}: HTTP {got[0]} (expected {status}): {got[1]}")
        return got[1]

    def presence(self, user, token=DEMO_KEY):
        return self.expect(200, "GET", f"/graph/v1.0/users/{user}/presence", f"GET {user}",
                           token=token)

    def set_presence(self, user, availability, activity, duration="PT1H", token=DEMO_KEY):
        self.expect(200, "POST", f"/graph/v1.0/users/{user}/presence/setPresence",
                    f"setPresence {user}", token=token,
                    body={"sessionId": SESSION, "availability": availability,
                          "activity": activity, "expirationDuration": duration})


def graph_error(body, what, code=None):
    """Graph error body: {"error": {"code", "message", ...}}."""
    if not isinstance(body, dict) or "error" not in body or set(body) != {"error"}:
        fail(f"{what}: not a Graph error body: {body}")
    err = body["error"]
    if not isinstance(err.get("code"), str) or not isinstance(err.get("message"), str):
        fail(f"{what}: error without code/message: {body}")
    if code is not None and err["code"] != code:
        fail(f"{what}: error code {err['code']} != {code}: {body}")
    return err


# --- this script's own SIP UA (UDP, digest) --------------------------------------------------------

class SipMsg:
    def __init__(self, raw):
        self.raw = raw
        head, _, self.body = raw.partition("\r\n\r\n")
        lines = head.split("\r\n")
        self.start = lines[0]
        self.headers = []
        for l in lines[1:]:
            if ":" in l:
                n, v = l.split(":", 1)
                self.headers.append((n.strip().lower(), v.strip()))
        self.is_request = not self.start.startswith("SIP/2.0")
        self.code = 0 if self.is_request else int(self.start.split(" ", 2)[1])
        self.method = self.start.split(" ", 1)[0] if self.is_request else None

    def get(self, name):
        return next((v for n, v in self.headers if n == name.lower()), None)

    def all(self, name):
        return [v for n, v in self.headers if n == name.lower()]


class Ua:
    def __init__(self, server, user, password):
        self.server, self.user, self.password = server, user, password
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.notifies = []
        self.n = 0

    def close(self):
        self.sock.close()

    def _recv(self, timeout):
        self.sock.settimeout(timeout)
        data, _ = self.sock.recvfrom(65535)
        m = SipMsg(data.decode(errors="replace"))
        if m.is_request:
            if m.method == "NOTIFY":
                self.notifies.append(m)
            # 200 OK for whatever the server sends us (RFC 6665 §4.1.3).
            lines = ["SIP/2.0 200 OK"] + [f"Via: {v}" for v in m.all("via")]
            lines += [f"{h}: {m.get(h)}" for h in ("From", "To", "Call-ID", "CSeq")]
            lines += ["Content-Length: 0", "", ""]
            self.sock.sendto("\r\n".join(lines).encode(), ("127.0.0.1", self.server.port))
        return m

    def send(self, method, ruri, headers, call_id, from_tag, cseq, to_tag=None, body="",
             ctype=None, auth=None):
        self.n += 1
        lines = [f"{method} {ruri} SIP/2.0",
                 f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch=z9hG4bK{call_id}-{cseq}-{self.n};rport",
                 "Max-Forwards: 70",
                 f"From: <sip:{self.user}@{DOMAIN}>;tag={from_tag}",
                 f"To: <{ruri}>" + (f";tag={to_tag}" if to_tag else ""),
                 f"Call-ID: {call_id}", f"CSeq: {cseq} {method}",
                 f"Contact: <sip:{self.user}@127.0.0.1:{self.port}>"] + headers
        if auth:
            lines.append(auth)
        if ctype:
            lines.append(f"Content-Type: {ctype}")
        lines += [f"Content-Length: {len(body.encode())}", "", body]
        self.sock.sendto("\r\n".join(lines).encode(), ("127.0.0.1", self.server.port))
        deadline = time.time() + 5
        while time.time() < deadline:
            m = self._recv(max(0.1, deadline - time.time()))
            if not m.is_request and m.get("call-id") == call_id and \
                    m.get("cseq") == f"{cseq} {method}" and m.code >= 200:
                return m
        fail(f"no final response to {method}")

    def request(self, method, ruri, headers=(), call_id=None, from_tag="ft", cseq=1,
                to_tag=None, body="", ctype=None, password=None):
        """Sends; answers a 407 once with SHA-256 digest. Returns (final response, next cseq)."""
        call_id = call_id or f"{method.lower()}-{self.user}-{time.time_ns()}"
        r = self.send(method, ruri, list(headers), call_id, from_tag, cseq, to_tag, body, ctype)
        cseq += 1
        if r.code != 407:
            return r, cseq, call_id
        ch = next((c for c in r.all("proxy-authenticate") if "algorithm=SHA-256" in c), None)
        if ch is None:
            fail(f"no SHA-256 challenge: {r.raw}")
        nonce = re.search(r'nonce="([^"]+)"', ch).group(1)
        h = hashlib.sha256
        ha1 = h(f"{self.user}:{DOMAIN}:{password or self.password}".encode()).hexdigest()
        ha2 = h(f"{method}:{ruri}".encode()).hexdigest()
        resp = h(f"{ha1}:{nonce}:00000001:c0ffee:auth:{ha2}".encode()).hexdigest()
        auth = (f'Proxy-Authorization: Digest username="{self.user}", realm="{DOMAIN}", '
                f'nonce="{nonce}", uri="{ruri}", response="{resp}", algorithm=SHA-256, '
                f'cnonce="c0ffee", qop=auth, nc=00000001')
        r = self.send(method, ruri, list(headers), call_id, from_tag, cseq, to_tag, body, ctype,
                      auth)
        return r, cseq + 1, call_id

    def next_notify(self, timeout=5.0):
        deadline = time.time() + timeout
        while not self.notifies and time.time() < deadline:
            try:
                self._recv(max(0.05, deadline - time.time()))
            except socket.timeout:
                break
        if not self.notifies:
            fail("no NOTIFY arrived")
        return self.notifies.pop(0)

    def no_notify(self, wait=0.5):
        try:
            self._recv(wait)
        except socket.timeout:
            pass
        if self.notifies:
            fail(f"unexpected NOTIFY: {self.notifies[0].raw}")


def register(server, user, password, port):
    """REGISTER sip:user@127.0.0.1:port (401 answered with SHA-256 digest)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(3)
    lport = s.getsockname()[1]
    call_id = f"reg-{user}-{time.time_ns()}"

    def send(cseq, auth=""):
        lines = [f"REGISTER sip:{DOMAIN} SIP/2.0",
                 f"Via: SIP/2.0/UDP 127.0.0.1:{lport};branch=z9hG4bK{call_id}{cseq};rport",
                 "Max-Forwards: 70", f"From: <sip:{user}@{DOMAIN}>;tag=t{cseq}",
                 f"To: <sip:{user}@{DOMAIN}>", f"Call-ID: {call_id}", f"CSeq: {cseq} REGISTER",
                 "Expires: 300", f"Contact: <sip:{user}@127.0.0.1:{port}>"]
        if auth:
            lines.append(auth)
        lines += ["Content-Length: 0", "", ""]
        s.sendto("\r\n".join(lines).encode(), ("127.0.0.1", server.port))
        while True:
            m = SipMsg(s.recv(65535).decode(errors="replace"))
            if m.code >= 200:
                return m

    try:
        r = send(1)
        ch = next(c for c in r.all("www-authenticate") if "algorithm=SHA-256" in c)
        nonce = re.search(r'nonce="([^"]+)"', ch).group(1)
        h = hashlib.sha256
        ha1 = h(f"{user}:{DOMAIN}:{password}".encode()).hexdigest()
        ha2 = h(f"REGISTER:sip:{DOMAIN}".encode()).hexdigest()
        resp = h(f"{ha1}:{nonce}:00000001:c0ffee:auth:{ha2}".encode()).hexdigest()
        r = send(2, f'Authorization: Digest username="{user}", realm="{DOMAIN}", nonce="{nonce}", '
                    f'uri="sip:{DOMAIN}", response="{resp}", algorithm=SHA-256, cnonce="c0ffee", '
                    f'qop=auth, nc=00000001')
        if r.code != 200:
            fail(f"{user} could not register: {r.raw}")
    finally:
        s.close()


def pidf(entity, activity=None, basic="open"):
    act = f"<dm:person id=\"p\"><rpid:activities><rpid:{activity}/></rpid:activities></dm:person>" \
        if activity else ""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<presence xmlns="urn:ietf:params:xml:ns:pidf" '
            'xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" '
            f'xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="{entity}">'
            f'<tuple id="t1"><status><basic>{basic}</basic></status></tuple>{act}</presence>')


# --- cases ---------------------------------------------------------------------------------------

def case_graph_api(c):
    s = c.start()
    spec = s.expect(200, "GET", "/api/v1/openapi.json", "openapi", token=None)
    for p in ("/graph/v1.0/users/{userId}/presence", "/graph/v1.0/me/presence",
              "/graph/v1.0/communications/getPresencesByUserId",
              "/graph/v1.0/users/{userId}/presence/setPresence",
              "/graph/v1.0/users/{userId}/presence/clearPresence",
              "/graph/v1.0/users/{userId}/presence/setUserPreferredPresence",
              "/graph/v1.0/users/{userId}/presence/clearUserPreferredPresence",
              "/graph/v1.0/me/presence/setPresence"):
        if p not in spec["paths"]:
            fail(f"OpenAPI lacks {p}")

    p = s.presence("alice")
    if p["id"] != "alice" or p["availability"] != "Offline" or p["activity"] != "Offline":
        fail(f"unregistered alice: {p}")
    if not isinstance(p.get("sequenceNumber"), str) or "outOfOfficeSettings" not in p:
        fail(f"presence resource shape: {p}")

    # Unauthenticated, unknown and foreign users.
    graph_error(s.expect(401, "GET", "/graph/v1.0/users/alice/presence", "anonymous", token=None),
                "anonymous")
    graph_error(s.expect(404, "GET", "/graph/v1.0/users/mallory/presence", "unknown"), "unknown",
                "itemNotFound")
    graph_error(s.expect(404, "GET", "/graph/v1.0/users/alice/presence", "foreign", token=ACME_KEY),
                "foreign", "itemNotFound")
    graph_error(s.expect(404, "POST", "/graph/v1.0/users/alice/presence/setPresence",
                         "foreign set", token=ACME_KEY,
                         body={"sessionId": SESSION, "availability": "Available",
                               "activity": "Available"}), "foreign set")

    # Invalid requests: 400 with the Graph error body naming the culprit.
    url = "/graph/v1.0/users/alice/presence/setPresence"
    for body, word in (
            ({"sessionId": SESSION, "availability": "Available", "activity": "InACall"}, "activity"),
            ({"sessionId": SESSION, "availability": "Busy", "activity": "InACall",
              "expirationDuration": "PT1M"}, "expirationDuration"),
            ({"sessionId": SESSION, "availability": "Busy", "activity": "InACall",
              "expirationDuration": "PT5H"}, "expirationDuration"),
            ({"sessionId": "not-a-guid", "availability": "Busy", "activity": "InACall"}, "sessionId"),
            ({"sessionId": SESSION, "availability": "Sleepy", "activity": "InACall"}, "availability"),
            ({"sessionId": SESSION, "availability": "Busy"}, "activity")):
        err = graph_error(s.expect(400, "POST", url, f"bad {body}", body=body), f"bad {body}",
                          "invalidRequest")
        if word not in err["message"]:
            fail(f"error for {body} does not name {word}: {err}")
    graph_error(s.expect(400, "POST", "/graph/v1.0/users/alice/presence/setUserPreferredPresence",
                         "bad preferred", body={"availability": "Busy", "activity": "InACall"}),
                "bad preferred", "invalidRequest")
    got = s.call("POST", url, body=None)
    if got[0] != 400:
        fail(f"empty body: {got}")

    # A session: Busy/InACall, visible in the single and batch reads with a growing sequence.
    s.set_presence("alice", "Busy", "InACall", "PT10M")
    p2 = s.presence("alice")
    if (p2["availability"], p2["activity"]) != ("Busy", "InACall"):
        fail(f"after setPresence: {p2}")
    if not p2["sequenceNumber"] > p["sequenceNumber"]:
        fail(f"sequenceNumber did not grow: {p['sequenceNumber']} -> {p2['sequenceNumber']}")
    batch = s.expect(200, "POST", "/graph/v1.0/communications/getPresencesByUserId", "batch",
                     body={"ids": ["alice", "bob"]})
    got = {x["id"]: (x["availability"], x["activity"]) for x in batch["value"]}
    if got != {"alice": ("Busy", "InACall"), "bob": ("Offline", "Offline")}:
        fail(f"batch: {batch}")
    graph_error(s.expect(404, "POST", "/graph/v1.0/communications/getPresencesByUserId",
                         "foreign batch", token=ACME_KEY, body={"ids": ["alice"]}), "foreign batch")
    graph_error(s.expect(400, "POST", "/graph/v1.0/communications/getPresencesByUserId",
                         "empty batch", body={"ids": []}), "empty batch")

    # Preferred presence beats the session while it exists.
    s.expect(200, "POST", "/graph/v1.0/users/alice/presence/setUserPreferredPresence", "preferred",
             body={"availability": "DoNotDisturb", "activity": "DoNotDisturb",
                   "expirationDuration": "PT8H"})
    if s.presence("alice")["availability"] != "DoNotDisturb":
        fail("preferred presence not shown")
    s.expect(200, "POST", "/graph/v1.0/users/alice/presence/clearUserPreferredPresence",
             "clear preferred")
    if s.presence("alice")["availability"] != "Busy":
        fail("clearing the preferred presence did not restore the session")

    # clearPresence: unknown session 404, then the real one; alice is Offline again.
    graph_error(s.expect(404, "POST", "/graph/v1.0/users/alice/presence/clearPresence",
                         "clear unknown",
                         body={"sessionId": "00000000-0000-0000-0000-000000000001"}),
                "clear unknown", "itemNotFound")
    s.expect(200, "POST", "/graph/v1.0/users/alice/presence/clearPresence", "clear",
             body={"sessionId": SESSION})
    if s.presence("alice")["availability"] != "Offline":
        fail("clearPresence left a session")

    # An agent signed in: /me works, own presence may be set, a colleague's not.
    tok = s.expect(200, "POST", "/api/v1/auth/token", "agent sign-in", token=None,
                   form="grant_type=password&username=alice&password=alice-web")["access_token"]
    me = s.expect(200, "GET", "/graph/v1.0/me/presence", "me", token=tok)
    if me["id"] != "alice":
        fail(f"/me/presence: {me}")
    s.expect(200, "POST", "/graph/v1.0/me/presence/setPresence", "me set", token=tok,
             body={"sessionId": SESSION, "availability": "Away", "activity": "Away"})
    if s.presence("alice", token=tok)["availability"] != "Away":
        fail("agent's own setPresence not applied")
    s.set_presence("alice", "Available", "Available", "PT5M", token=tok)
    graph_error(s.expect(403, "POST", "/graph/v1.0/users/bob/presence/setPresence",
                         "agent sets colleague", token=tok,
                         body={"sessionId": SESSION, "availability": "Away", "activity": "Away"}),
                "agent sets colleague")
    if s.presence("bob", token=tok)["availability"] != "Offline":
        fail("agent could not read a colleague's presence")
    # A supervisor sets anyone's in the tenant.
    sam = s.expect(200, "POST", "/api/v1/auth/token", "supervisor sign-in", token=None,
                   form="grant_type=password&username=sam&password=sam-demo")["access_token"]
    s.set_presence("bob", "DoNotDisturb", "Presenting", token=sam)
    if s.presence("bob")["activity"] != "Presenting":
        fail("supervisor's setPresence not applied")


def case_sip_subscribe(c):
    s = c.start()
    dave = c.ua("dave", "dave-demo")
    target = f"sip:alice@{DOMAIN}"
    ev = ["Event: presence", "Accept: application/pidf+xml"]

    r, _, _ = dave.request("SUBSCRIBE", target, ["Event: dialog", "Expires: 600"])
    if r.code != 489 or "presence" not in (r.get("allow-events") or ""):
        fail(f"other event package: {r.raw}")
    r, _, _ = dave.request("SUBSCRIBE", target, ev + ["Expires: 600"], password="wrong")
    if r.code != 403:
        fail(f"wrong password: {r.code}")
    r, _, _ = dave.request("SUBSCRIBE", f"sip:nobody@{DOMAIN}", ev + ["Expires: 600"])
    if r.code != 404:
        fail(f"unknown presentity: {r.code}")
    r, _, _ = dave.request("SUBSCRIBE", target, ev + ["Expires: 5"])
    if r.code != 423 or r.get("min-expires") is None:
        fail(f"too brief: {r.raw}")

    r, cseq, call_id = dave.request("SUBSCRIBE", target, ev + ["Expires: 600"], from_tag="sub1")
    if r.code != 200 or int(r.get("expires")) > 600:
        fail(f"SUBSCRIBE: {r.raw}")
    to_tag = re.search(r";tag=([^;>\s]+)", r.get("to")).group(1)
    n = dave.next_notify()
    if not (n.get("subscription-state") or "").startswith("active") or \
            n.get("event") != "presence" or n.get("content-type") != "application/pidf+xml":
        fail(f"first NOTIFY: {n.raw}")
    if "<basic>closed</basic>" not in n.body or "entity=\"sip:alice@" not in n.body:
        fail(f"offline alice in PIDF: {n.body}")

    # A Graph change reaches the watcher.
    s.set_presence("alice", "DoNotDisturb", "Presenting")
    n = dave.next_notify()
    if "<basic>open</basic>" not in n.body or "<rpid:presentation/>" not in n.body:
        fail(f"NOTIFY after setPresence: {n.body}")

    # Registering alice gives her an Available own session; DND still wins: no change, no NOTIFY.
    register(s, "alice", "alice-demo", free_port())
    dave.no_notify(0.5)
    s.expect(200, "POST", "/graph/v1.0/users/alice/presence/clearPresence", "clear",
             body={"sessionId": SESSION})
    n = dave.next_notify()
    if "<basic>open</basic>" not in n.body or "Available" not in n.body or \
            "presentation" in n.body:
        fail(f"NOTIFY after clearPresence: {n.body}")

    # Refresh in the dialog, then unsubscribe: final NOTIFY terminated.
    r = dave.send("SUBSCRIBE", target, ev + ["Expires: 300"], call_id, "sub1", cseq, to_tag)
    cseq += 1
    if r.code != 200:
        fail(f"refresh: {r.raw}")
    n = dave.next_notify()
    if not n.get("subscription-state").startswith("active"):
        fail(f"NOTIFY after refresh: {n.raw}")
    r = dave.send("SUBSCRIBE", target, ev + ["Expires: 0"], call_id, "sub1", cseq, to_tag)
    cseq += 1
    if r.code != 200:
        fail(f"unsubscribe: {r.raw}")
    n = dave.next_notify()
    if not n.get("subscription-state").startswith("terminated"):
        fail(f"final NOTIFY: {n.raw}")
    r = dave.send("SUBSCRIBE", target, ev + ["Expires: 300"], call_id, "sub1", cseq, to_tag)
    if r.code != 481:
        fail(f"SUBSCRIBE after the end: {r.code}")
    s.set_presence("alice", "Busy", "InACall")
    dave.no_notify(0.5)


def case_sip_subscribe_survives_restart(c):
    c.start()
    dave = c.ua("dave", "dave-demo")
    target = f"sip:alice@{DOMAIN}"
    ev = ["Event: presence", "Accept: application/pidf+xml"]
    r, cseq, call_id = dave.request("SUBSCRIBE", target, ev + ["Expires: 600"], from_tag="keep")
    if r.code != 200:
        fail(f"SUBSCRIBE: {r.raw}")
    to_tag = re.search(r";tag=([^;>\s]+)", r.get("to")).group(1)
    first = dave.next_notify()

    def notify_cseq(n, before, what):
        """The NOTIFY is in the watcher's dialog, with a CSeq above `before`; returns it."""
        got = int(n.get("cseq").split()[0])
        if n.get("call-id") != call_id or f"tag={to_tag}" not in n.get("from") or \
                "tag=keep" not in n.get("to") or got <= before:
            fail(f"{what}: NOTIFY outside the dialog or CSeq {got} <= {before}: {n.raw}")
        if not (n.get("subscription-state") or "").startswith("active"):
            fail(f"{what}: {n.raw}")
        return got

    last = notify_cseq(first, 0, "first NOTIFY")
    time.sleep(0.3)  # the store writer keeps the subscription

    # A clean restart keeps the subscription (no final NOTIFY) and resumes it with the state.
    s = c.restart()
    last = notify_cseq(dave.next_notify(), last, "NOTIFY after a restart")
    s.set_presence("alice", "Busy", "InACall")
    n = dave.next_notify()
    last = notify_cseq(n, last, "NOTIFY after setPresence")
    if "InACall" not in n.body:
        fail(f"state after the restart: {n.body}")

    # So does a crash: the kept copy's CSeq is behind, the restored one is ahead of both.
    time.sleep(0.3)
    s = c.restart(crash=True)
    last = notify_cseq(dave.next_notify(), last, "NOTIFY after a crash")
    r = dave.send("SUBSCRIBE", target, ev + ["Expires: 300"], call_id, "keep", cseq, to_tag)
    cseq += 1
    if r.code != 200:
        fail(f"refresh after the restarts: {r.raw}")
    last = notify_cseq(dave.next_notify(), last, "NOTIFY after the refresh")

    # Unsubscribed: gone from the store, nothing comes back after the next restart.
    r = dave.send("SUBSCRIBE", target, ev + ["Expires: 0"], call_id, "keep", cseq, to_tag)
    cseq += 1
    if r.code != 200 or not dave.next_notify().get("subscription-state").startswith("terminated"):
        fail(f"unsubscribe: {r.raw}")
    time.sleep(0.3)
    s = c.restart()
    dave.no_notify(1.0)
    r = dave.send("SUBSCRIBE", target, ev + ["Expires: 300"], call_id, "keep", cseq, to_tag)
    if r.code != 481:
        fail(f"SUBSCRIBE after unsubscribe and restart: {r.code}")


class TcpWatcher:
    """dave over TCP: SUBSCRIBEs on a connection of his own; his Contact is a listening socket,
    where a server that lost the connection (a restart) connects to send NOTIFYs."""

    def __init__(self, server):
        self.server = server
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.port = self.listener.getsockname()[1]
        self.conn = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        self.no_listener = free_port()
        self.buf = {}

    def close(self):
        for s in (self.conn, self.listener):
            s.close()

    def read(self, sock, timeout=5.0):
        sock.settimeout(timeout)
        data = self.buf.pop(sock, b"")
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65535)
            if not chunk:
                fail("TCP connection closed")
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        length = int(re.search(rb"(?im)^content-length:\s*(\d+)", head).group(1))
        while len(rest) < length:
            rest += sock.recv(65535)
        self.buf[sock] = rest[length:]
        return SipMsg((head + b"\r\n\r\n" + rest[:length]).decode(errors="replace"))

    def ok(self, sock, m):
        lines = ["SIP/2.0 200 OK"] + [f"Via: {v}" for v in m.all("via")]
        lines += [f"{h}: {m.get(h)}" for h in ("From", "To", "Call-ID", "CSeq")]
        sock.sendall("\r\n".join(lines + ["Content-Length: 0", "", ""]).encode())

    def subscribe(self, cseq, call_id, to_tag=None, auth=None):
        target = f"sip:alice@{DOMAIN}"
        lines = [f"SUBSCRIBE {target} SIP/2.0",
                 # sent-by names no listener (as with a phone's ephemeral source port): only
                 # the Contact can be connected to.
                 f"Via: SIP/2.0/TCP 127.0.0.1:{self.no_listener};branch=z9hG4bKtcp{cseq}"
                 f"{time.time_ns()}",
                 "Max-Forwards: 70", f"From: <sip:dave@{DOMAIN}>;tag=tcpsub",
                 f"To: <{target}>" + (f";tag={to_tag}" if to_tag else ""),
                 f"Call-ID: {call_id}", f"CSeq: {cseq} SUBSCRIBE",
                 f"Contact: <sip:dave@127.0.0.1:{self.port};transport=tcp>",
                 "Event: presence", "Accept: application/pidf+xml", "Expires: 600"]
        if auth:
            lines.append(auth)
        self.conn.sendall("\r\n".join(lines + ["Content-Length: 0", "", ""]).encode())
        while True:
            m = self.read(self.conn)
            if not m.is_request and m.code >= 200:
                return m

    def authorized_subscribe(self, call_id):
        r = self.subscribe(1, call_id)
        if r.code != 407:
            return r
        ch = next(c for c in r.all("proxy-authenticate") if "algorithm=SHA-256" in c)
        nonce = re.search(r'nonce="([^"]+)"', ch).group(1)
        h = hashlib.sha256
        uri = f"sip:alice@{DOMAIN}"
        ha1 = h(f"dave:{DOMAIN}:dave-demo".encode()).hexdigest()
        ha2 = h(f"SUBSCRIBE:{uri}".encode()).hexdigest()
        resp = h(f"{ha1}:{nonce}:00000001:c0ffee:auth:{ha2}".encode()).hexdigest()
        return self.subscribe(2, call_id, auth=(
            f'Proxy-Authorization: Digest username="dave", realm="{DOMAIN}", nonce="{nonce}", '
            f'uri="{uri}", response="{resp}", algorithm=SHA-256, cnonce="c0ffee", qop=auth, '
            f'nc=00000001'))


def case_tcp_subscription_survives_restart(c):
    c.start()
    w = TcpWatcher(c.server)
    try:
        call_id = f"tcp-watch-{time.time_ns()}"
        r = w.authorized_subscribe(call_id)
        if r.code != 200:
            fail(f"SUBSCRIBE over TCP: {r.raw}")
        to_tag = re.search(r";tag=([^;>\s]+)", r.get("to")).group(1)
        n = w.read(w.conn)
        if n.method != "NOTIFY":
            fail(f"expected a NOTIFY on the connection: {n.raw}")
        w.ok(w.conn, n)
        before = int(n.get("cseq").split()[0])
        time.sleep(0.3)  # the store writer
        c.restart(crash=True)
        # The old connection is gone: the server connects to the Contact.
        w.listener.settimeout(5)
        try:
            accepted, _ = w.listener.accept()
        except socket.timeout:
            fail("the restarted server did not connect to the watcher's Contact")
        with accepted:
            n = w.read(accepted)
            if n.method != "NOTIFY" or n.get("call-id") != call_id or \
                    f"tag={to_tag}" not in n.get("from") or \
                    int(n.get("cseq").split()[0]) <= before:
                fail(f"NOTIFY after the restart: {n.raw}")
            w.ok(accepted, n)
    finally:
        w.close()


def case_agent_state_survives_restart(c):
    s = c.start()
    register(s, "alice", "alice-demo", free_port())
    register(s, "bob", "bob-demo", free_port())
    state_url = "/api/v1/tenants/demo/agents/{}/state"

    def state(user):
        return s.expect(200, "GET", state_url.format(user), f"{user}'s state")

    if state("alice")["state"] != "available":
        fail(f"registered alice: {state('alice')}")
    s.expect(200, "PUT", state_url.format("alice"), "alice takes a break",
             body={"state": "break", "reason": "lunch"})
    time.sleep(0.3)  # the store writer's group commit
    for crash in (False, True):
        s = c.restart(crash=crash)
        # Presence follows the restored registrations on the shard's next turn.
        wait_for("bob routable", lambda: state("bob")["routable"])
        alice, bob = state("alice"), state("bob")
        # Her restored registration does not log her back in; bob's does.
        if alice["state"] != "break" or alice["reason"] != "lunch" or not alice["reachable"]:
            fail(f"alice after a {'crash' if crash else 'restart'}: {alice}")
        if bob["state"] != "available" or not bob["routable"]:
            fail(f"bob after a {'crash' if crash else 'restart'}: {bob}")
    s.expect(200, "PUT", state_url.format("alice"), "alice is back", body={"state": "available"})
    time.sleep(0.3)
    s = c.restart()
    if state("alice")["state"] != "available":
        fail(f"alice after coming back and a restart: {state('alice')}")


def case_presence_survives_restart(c):
    s = c.start()
    register(s, "alice", "alice-demo", free_port())
    state_url = "/api/v1/tenants/demo/agents/alice/state"
    # Presence follows a registration on the shard's next turn (changes are coalesced), so
    # routability may lag the 200 by a moment.
    wait_for("registered alice routable",
             lambda: s.expect(200, "GET", state_url, "alice")["routable"])
    # alice sets Do Not Disturb for the day; an app puts bob in a call for an hour.
    s.expect(200, "POST", "/graph/v1.0/users/alice/presence/setUserPreferredPresence", "DND",
             body={"availability": "DoNotDisturb", "activity": "DoNotDisturb",
                   "expirationDuration": "PT8H"})
    s.set_presence("bob", "Busy", "InACall")
    time.sleep(0.3)  # the store writer
    for crash in (False, True):
        s = c.restart(crash=crash)
        what = "a crash" if crash else "a restart"
        alice, bob = s.presence("alice"), s.presence("bob")
        if alice["availability"] != "DoNotDisturb":
            fail(f"alice after {what}: {alice}")
        if bob["availability"] != "Busy" or bob["activity"] != "InACall":
            fail(f"bob after {what}: {bob}")
        # The routing engine sees it too: no offers for alice while she is DND.
        if s.expect(200, "GET", state_url, "alice")["routable"]:
            fail(f"DND alice is routable after {what}")
    # Cleared, it stays cleared.
    s.expect(200, "POST", "/graph/v1.0/users/alice/presence/clearUserPreferredPresence", "clear")
    s.expect(200, "POST", "/graph/v1.0/users/bob/presence/clearPresence", "clear bob",
             body={"sessionId": SESSION})
    time.sleep(0.3)
    s = c.restart()
    if s.presence("alice")["availability"] == "DoNotDisturb" or \
            s.presence("bob")["activity"] == "InACall":
        fail(f"cleared presence came back: {s.presence('alice')} {s.presence('bob')}")
    wait_for("alice routable after clearing DND and a restart",
             lambda: s.expect(200, "GET", state_url, "alice")["routable"])


def case_status_message(c):
    """Graph setStatusMessage: shown with the presence, field-precise 400s, an expiry that
    clears it, and a restart (clean, then a crash) that keeps it."""
    s = c.start()
    tok = s.expect(200, "POST", "/api/v1/auth/token", "agent sign-in", token=None,
                   form="grant_type=password&username=alice&password=alice-web")["access_token"]
    s.set_presence("alice", "Busy", "InACall")
    until = (datetime.now(timezone.utc) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S")
    s.expect(200, "POST", "/graph/v1.0/me/presence/setStatusMessage", "set message", token=tok,
             body={"statusMessage": {"message": {"content": "Back at 3", "contentType": "text"},
                                     "expiryDateTime": {"dateTime": until, "timeZone": "UTC"}}})
    msg = s.presence("alice")["statusMessage"]
    if msg["message"] != {"content": "Back at 3", "contentType": "text"} or \
            not msg["expiryDateTime"]["dateTime"].startswith(until) or \
            msg["expiryDateTime"]["timeZone"] != "UTC" or not msg["publishedDateTime"]:
        fail(f"statusMessage: {msg}")
    err = graph_error(s.expect(400, "POST", "/graph/v1.0/users/bob/presence/setStatusMessage",
                               "PST expiry", body={"statusMessage": {
                                   "message": {"content": "x"},
                                   "expiryDateTime": {"dateTime": until,
                                                      "timeZone": "Pacific Standard Time"}}}),
                      "PST expiry")
    if "timeZone" not in err["message"]:
        fail(f"time-zone error does not name the field: {err}")
    graph_error(s.expect(403, "POST", "/graph/v1.0/users/bob/presence/setStatusMessage",
                         "agent sets a colleague's message", token=tok,
                         body={"statusMessage": {"message": {"content": "x"}}}),
                "colleague")
    time.sleep(0.3)  # the store writer
    for crash in (False, True):
        s = c.restart(crash=crash)
        got = s.presence("alice")["statusMessage"]
        if not got or got["message"]["content"] != "Back at 3" or \
                got["publishedDateTime"] != msg["publishedDateTime"]:
            fail(f"status message after {'a crash' if crash else 'a restart'}: {got}")
    # A message with a near expiry disappears on its own; empty content clears at once.
    soon = (datetime.now(timezone.utc) + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%S.%f")
    s.expect(200, "POST", "/graph/v1.0/users/bob/presence/setStatusMessage", "bob message",
             body={"statusMessage": {"message": {"content": "Gone in a moment"},
                                     "expiryDateTime": {"dateTime": soon, "timeZone": "UTC"}}})
    if s.presence("bob")["statusMessage"]["message"]["content"] != "Gone in a moment":
        fail(f"bob's message: {s.presence('bob')}")
    sbtest.wait_until("bob's message to expire",
                      lambda: s.presence("bob")["statusMessage"] is None, timeout=6)
    s.expect(200, "POST", "/graph/v1.0/users/alice/presence/setStatusMessage", "clear",
             body={"statusMessage": {"message": {"content": ""}}})
    if s.presence("alice")["statusMessage"] is not None:
        fail("empty content did not clear the message")
    time.sleep(0.3)
    s = c.restart()
    if s.presence("alice")["statusMessage"] is not None:
        fail("a cleared status message came back after a restart")


def case_break_chosen_in_call_survives_crash(c):
    """An agent asks for a break while on a call: the break waits for the call's end. If the
    process dies first, the agent is on that break after the restart, not offered calls."""
    s = c.start()
    pa = free_port()
    c.sipp("uas-answer.xml", ["-p", pa, "-m", 1], "alice-uas")
    time.sleep(0.3)
    register(s, "alice", "alice-demo", pa)
    state_url = "/api/v1/tenants/demo/agents/alice/state"
    wait_for("alice available",
             lambda: s.expect(200, "GET", state_url, "alice")["state"] == "available")
    c.sipp("uac-call.xml", ["-s", "+15550100", f"127.0.0.1:{s.port}", "-p", c.trunk_port,
                            "-m", 1, "-d", 30000], "caller")
    wait_for("alice busy on the call",
             lambda: s.expect(200, "GET", state_url, "alice")["state"] == "busy", timeout=10)
    s.expect(200, "PUT", state_url, "break during the call",
             body={"state": "break", "reason": "after-call-work"})
    if s.expect(200, "GET", state_url, "alice")["state"] != "busy":
        fail("the break took effect during the call")
    time.sleep(0.3)  # the store writer's group commit
    s = c.restart(crash=True)
    got = s.expect(200, "GET", state_url, "alice after the crash")
    if got["state"] != "break" or got["reason"] != "after-call-work" or got["routable"]:
        fail(f"alice after a crash during her call: {got}")


def publisher(c):
    """alice's own UA publishing her presence: (ua, her AOR, PUBLISH headers, PIDF type)."""
    return (c.ua("alice", "alice-demo"), f"sip:alice@{DOMAIN}",
            ["Event: presence", "Expires: 600"], "application/pidf+xml")


def case_sip_publish_survives_restart(c):
    s = c.start()
    alice, me, ev, xml = publisher(c)
    r, _, _ = alice.request("PUBLISH", me, ev, body=pidf(me, "on-the-phone"), ctype=xml)
    if r.code != 200:
        fail(f"PUBLISH: {r.raw}")
    etag = r.get("sip-etag")
    time.sleep(0.3)  # the store writer
    for crash in (False, True):
        s = c.restart(crash=crash)
        p = s.presence("alice")
        if (p["availability"], p["activity"]) != ("Busy", "InACall"):
            fail(f"PUBLISHed state after {'a crash' if crash else 'a restart'}: {p}")
        # The publisher's refresh with its entity-tag still works (no 412).
        r, _, _ = alice.request("PUBLISH", me, ev + [f"SIP-If-Match: {etag}"])
        if r.code != 200:
            fail(f"refresh after {'a crash' if crash else 'a restart'}: {r.raw}")
        etag = r.get("sip-etag")
        time.sleep(0.3)
    r, _, _ = alice.request("PUBLISH", me, ["Event: presence", "Expires: 0",
                                            f"SIP-If-Match: {etag}"])
    if r.code != 200:
        fail(f"removal: {r.raw}")
    time.sleep(0.3)
    s = c.restart()
    if s.presence("alice")["activity"] == "InACall":
        fail("a removed publication came back")
    r, _, _ = alice.request("PUBLISH", me, ev + [f"SIP-If-Match: {etag}"])
    if r.code != 412:
        fail(f"the removed entity-tag after a restart: {r.code}")


def case_sip_publish(c):
    s = c.start()
    alice, me, ev, xml = publisher(c)

    r, _, _ = alice.request("PUBLISH", me, ev, body=pidf(me, "on-the-phone"), ctype=xml)
    if r.code != 200 or not r.get("sip-etag") or r.get("expires") != "600":
        fail(f"initial PUBLISH: {r.raw}")
    etag = r.get("sip-etag")
    p = s.presence("alice")
    if (p["availability"], p["activity"]) != ("Busy", "InACall"):
        fail(f"Graph after PUBLISH: {p}")

    r, _, _ = alice.request("PUBLISH", me, ev + ["SIP-If-Match: nosuchtag"])
    if r.code != 412:
        fail(f"unknown entity-tag: {r.code}")
    r, _, _ = alice.request("PUBLISH", me, ev, body="hello", ctype="text/plain")
    if r.code != 415:
        fail(f"wrong body type: {r.code}")
    r, _, _ = alice.request("PUBLISH", me, ev, body="<presence", ctype=xml)
    if r.code != 400:
        fail(f"malformed PIDF: {r.code}")
    r, _, _ = alice.request("PUBLISH", me, ["Event: dialog", "Expires: 600"],
                            body=pidf(me, "away"), ctype=xml)
    if r.code != 489:
        fail(f"other event package: {r.code}")
    dave = c.ua("dave", "dave-demo")
    r, _, _ = dave.request("PUBLISH", me, ev, body=pidf(me, "away"), ctype=xml)
    if r.code != 403:
        fail(f"publishing someone else's presence: {r.code}")

    # Refresh without a body keeps the state under a new entity-tag; then modify, then remove.
    r, _, _ = alice.request("PUBLISH", me, ev + [f"SIP-If-Match: {etag}"])
    if r.code != 200 or r.get("sip-etag") in (None, etag):
        fail(f"refresh: {r.raw}")
    old, etag = etag, r.get("sip-etag")
    if s.presence("alice")["activity"] != "InACall":
        fail("refresh changed the state")
    r, _, _ = alice.request("PUBLISH", me, ev + [f"SIP-If-Match: {old}"])
    if r.code != 412:
        fail(f"a replaced entity-tag still works: {r.code}")
    r, _, _ = alice.request("PUBLISH", me, ev + [f"SIP-If-Match: {etag}"],
                            body=pidf(me, "away"), ctype=xml)
    if r.code != 200:
        fail(f"modify: {r.raw}")
    etag = r.get("sip-etag")
    p = s.presence("alice")
    if (p["availability"], p["activity"]) != ("Away", "Away"):
        fail(f"Graph after modify: {p}")
    r, _, _ = alice.request("PUBLISH", me, ["Event: presence", "Expires: 0",
                                            f"SIP-If-Match: {etag}"])
    if r.code != 200:
        fail(f"remove: {r.raw}")
    if s.presence("alice")["availability"] != "Offline":
        fail(f"Graph after remove: {s.presence('alice')}")


def case_dnd_skipped(c):
    s = c.start()
    pa, pb = free_port(), free_port()
    a = c.sipp("uas-answer.xml", ["-p", pa, "-m", 1], "alice-uas")
    b = c.sipp("uas-answer.xml", ["-p", pb, "-m", 1], "bob-uas")
    time.sleep(0.3)
    register(s, "alice", "alice-demo", pa)  # first: longest idle, would be offered first
    time.sleep(0.05)
    register(s, "bob", "bob-demo", pb)
    wait_for("alice Available",
             lambda: s.presence("alice")["availability"] == "Available")
    s.set_presence("alice", "DoNotDisturb", "Presenting")
    state = s.expect(200, "GET", "/api/v1/tenants/demo/agents/alice/state", "alice state")
    if state["routable"]:
        fail(f"a DoNotDisturb agent is routable: {state}")

    uac = c.sipp("uac-call.xml", ["-s", "+15550100", f"127.0.0.1:{s.port}", "-p", c.trunk_port,
                                  "-m", 1, "-d", 2000], "caller")
    # While bob talks his own session says Busy/InACall.
    wait_for("bob Busy/InACall",
             lambda: (s.presence("bob")["availability"], s.presence("bob")["activity"]) ==
             ("Busy", "InACall"), timeout=10)
    if uac.wait() != 0 or b.wait() != 0:
        fail("the call failed:\n" + uac.explain() + "\n" + b.explain())
    wait_for("bob Available after the call",
             lambda: s.presence("bob")["availability"] == "Available", timeout=10)
    s.stop()
    con = sqlite3.connect(s.db)
    rows = con.execute("SELECT agent_id, disposition FROM interactions").fetchall()
    con.close()
    if rows != [("bob", "answered")]:
        fail(f"records: {rows} (alice was DoNotDisturb and must have been skipped)")
    if a.proc.poll() is not None:
        fail("alice's phone got a call")  # uas-answer exits after its one call


class Sipp(sbtest.Sipp):
    def __init__(self, workdir, scenario, args, name):
        super().__init__(workdir, scenario, args, name, flags=("-timeout", "40s", "-timeout_error"))


class Case:
    def __init__(self, binary, source, workdir):
        self.binary = binary
        self.scenarios = os.path.join(source, "tests", "integration", "voice")
        self.work = workdir
        self.trunk_port = free_port()
        self.server = None
        self.uas_list = []
        self.procs = []

    def start(self):
        self.server = Server(self.binary, self.work, self.trunk_port)
        return self.server

    def restart(self, crash=False):
        """The same ports and data dir: SIGTERM (or SIGKILL with crash), then start again."""
        old = self.server
        if crash:
            old.proc.kill()
            old.proc.wait()
        else:
            old.stop()
        self.server = Server(self.binary, self.work, self.trunk_port, old.port, old.http, "a")
        for u in self.uas_list:
            u.server = self.server
        return self.server

    def ua(self, user, password):
        u = Ua(self.server, user, password)
        self.uas_list.append(u)
        return u

    def sipp(self, scenario, args, name):
        p = Sipp(self.work, os.path.join(self.scenarios, scenario), args, name)
        self.procs.append(p)
        return p

    def cleanup(self):
        for u in self.uas_list:
            u.close()
        for p in self.procs:
            p.stop()
        if self.server:
            self.server.stop()


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}


def main():
    sbtest.run_case(CASES, "presence", Case)

if __name__ == "__main__":
    main()
