#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Voice integration driver: starts the real switchboard binary on loopback with a temp config
(a demo-like tenant, trunk and queue), registers agents (SIPp with MD5, or this script's own
UAC with SHA-256/MD5 digest), drives calls with SIPp UAC/UAS scenarios (and baresip), then
checks the interaction records in the SQLite store. Every process it starts is stopped; every
wait is bounded. Usage: voice_driver.py SWITCHBOARD SCENARIO_DIR CASE"""
import hashlib
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import sbtest  # noqa: E402
# Re-exported: the agent and crud drivers use vd.free_port, vd.DOMAIN and vd.Sipp.
from sbtest import DOMAIN, Sipp, fail, free_port  # noqa: E402,F401


class Server(sbtest.Server):
    def __init__(self, binary, workdir, trunk_port, digest="[sha256, md5]", reservation_s=3,
                 wrap_up_s=0, max_wait_s=60):
        self.workdir = workdir
        self.port = free_port()
        self.db = os.path.join(workdir, "var", "switchboard.db")
        cfg = os.path.join(workdir, "switchboard.yaml")
        with open(cfg, "w") as f:
            f.write(f"""demo: true
log_level: info
data_dir: {workdir}/var
sip:
  digest_algorithms: {digest}
  min_expires: 1
  listen:
    - {{transport: udp, address: 127.0.0.1, port: {self.port}}}
    - {{transport: tcp, address: 127.0.0.1, port: {self.port}}}
trunks:
  - {{id: carrier, tenants: [demo], sources: [{{address: 127.0.0.1, port: {trunk_port}}}],
     outbound_address: 127.0.0.1, outbound_port: {trunk_port}}}
tenants:
  - id: demo
    domain: {DOMAIN}
    outbound_trunk: carrier
    queues:
      - {{id: support, strategy: leastrecent, skills: {{support: 1}}, wrap_up_s: {wrap_up_s},
         reservation_timeout_s: {reservation_s}, max_wait_s: {max_wait_s}}}
    numbers:
      - {{number: "+15550100", queue: support}}
      - {{number: "+15550104", user: dave}}
    users:
      - {{id: alice, extension: "1001", sip_password: alice-demo, skills: {{support: 9}},
         capacity: {{voice: 1}}, queues: [support]}}
      - {{id: bob, extension: "1002", sip_password: bob-demo, skills: {{support: 6}},
         capacity: {{voice: 1}}, queues: [support]}}
      - {{id: carol, extension: "1003", sip_password: carol-demo, skills: {{support: 4}},
         capacity: {{voice: 1}}, queues: [support]}}
      - {{id: dave, role: sme, extension: "1004", sip_password: dave-demo}}
""")
        super().__init__(binary, cfg, workdir, ready="SIP listening on", ready_count=2,
                         start_timeout=10)

    def records(self):
        c = sqlite3.connect(self.db)
        c.row_factory = sqlite3.Row
        rows = c.execute("SELECT * FROM interactions ORDER BY arrived_at, id").fetchall()
        c.close()
        return [dict(r) for r in rows]


# --- this script's own UAC for REGISTER (SIPp only knows MD5) ---------------------------------

def _header(msg, name):
    for line in msg.split("\r\n"):
        if line.lower().startswith(name.lower() + ":"):
            return line.split(":", 1)[1].strip()
    return None


def register(server, user, password, contacts, expires=300, algorithm="SHA-256", src_port=None):
    """REGISTER `contacts` for `user`; answers the 401 with `algorithm`. Returns (code, reply)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", src_port or 0))
    s.settimeout(3)
    lport = s.getsockname()[1]
    call_id = f"reg-{user}-{time.time_ns()}"

    def send(cseq, auth=""):
        lines = [f"REGISTER sip:{DOMAIN} SIP/2.0",
                 f"Via: SIP/2.0/UDP 127.0.0.1:{lport};branch=z9hG4bK{call_id}{cseq};rport",
                 "Max-Forwards: 70",
                 f"From: <sip:{user}@{DOMAIN}>;tag=t{cseq}",
                 f"To: <sip:{user}@{DOMAIN}>",
                 f"Call-ID: {call_id}", f"CSeq: {cseq} REGISTER",
                 f"Expires: {expires}"]
        lines += [f"Contact: <{c}>" for c in contacts]
        if auth:
            lines.append(auth)
        lines += ["Content-Length: 0", "", ""]
        s.sendto("\r\n".join(lines).encode(), ("127.0.0.1", server.port))
        while True:
            data = s.recv(65535).decode(errors="replace")
            code = int(data.split(" ", 2)[1])
            if code >= 200:
                return code, data

    try:
        code, reply = send(1)
        if code != 401:
            return code, reply
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
        return send(2, auth)
    finally:
        s.close()


def contacts_in(reply):
    return [l.split(":", 1)[1].strip() for l in reply.split("\r\n")
            if l.lower().startswith("contact:")]


# --- SIPp ---------------------------------------------------------------------------------------

def expect_ok(*sipps):
    bad = [p for p in sipps if p.wait() != 0]
    if bad:
        fail("\n".join(p.explain() for p in bad))


class Case:
    def __init__(self, binary, scenario_dir, workdir):
        self.binary = binary
        self.dir = scenario_dir
        self.work = workdir
        self.trunk_port = free_port()
        self.server = None
        self.procs = []

    def start(self, **kw):
        self.server = Server(self.binary, self.work, self.trunk_port, **kw)
        return self.server

    def sc(self, name):
        return os.path.join(self.dir, name)

    def uas(self, scenario, port, calls=1, extra=(), name=None):
        p = Sipp(self.work, self.sc(scenario), ["-p", port, "-m", calls, *extra],
                 name or f"uas{port}")
        self.procs.append(p)
        time.sleep(0.3)  # let it bind before anything is sent to it
        return p

    def uac(self, scenario, calls=1, extra=(), src_port=None, service="+15550100", name="uac",
            template=None):
        p = Sipp(self.work, self.sc(scenario),
                 ["-s", service, f"127.0.0.1:{self.server.port}", "-p",
                  src_port or self.trunk_port, "-m", calls, *extra], name, template)
        self.procs.append(p)
        return p

    def agent(self, user, port, expires=300):
        code, reply = register(self.server, user, f"{user}-demo", [f"sip:{user}@127.0.0.1:{port}"],
                               expires)
        if code != 200:
            fail(f"{user} could not register: {code}\n{reply}")

    def cleanup(self):
        for p in self.procs:
            p.stop()
        if self.server:
            self.server.stop()


def check_record(rec, disposition, agent=None, end_reason=None):
    if rec["disposition"] != disposition:
        fail(f"disposition {rec['disposition']} != {disposition}: {rec}")
    if agent is not None and rec["agent_id"] != agent:
        fail(f"agent {rec['agent_id']} != {agent}: {rec}")
    if end_reason is not None and rec["end_reason"] != end_reason:
        fail(f"end_reason {rec['end_reason']} != {end_reason}: {rec}")
    times = [rec[k] for k in ("arrived_at", "queued_at", "offered_at", "answered_at", "ended_at")
             if rec[k] is not None]
    if times != sorted(times):
        fail(f"timestamps out of order: {rec}")
    if rec["ended_at"] is None:
        fail(f"record without an end: {rec}")


def one_record(case):
    case.server.stop()  # a clean shutdown writes everything queued
    recs = case.server.records()
    if len(recs) != 1:
        fail(f"expected 1 record, got {len(recs)}: {recs}")
    return recs[0]


# --- cases ---------------------------------------------------------------------------------------

def case_register_md5_sipp(c):
    c.start(digest="[md5]")
    tmpl = {"user": "alice", "password": "alice-demo", "contact_port": 5999, "expires": 300,
            "expect": 200}
    ok = Sipp(c.work, c.sc("uac-register.xml"), [f"127.0.0.1:{c.server.port}", "-p", free_port(),
                                                  "-m", 1], "reg-ok", tmpl)
    c.procs.append(ok)
    expect_ok(ok)
    bad = Sipp(c.work, c.sc("uac-register.xml"), [f"127.0.0.1:{c.server.port}", "-p", free_port(),
                                                   "-m", 1], "reg-bad",
               dict(tmpl, password="wrong", expect=403))
    c.procs.append(bad)
    expect_ok(bad)
    # The binding is persisted.
    con = sqlite3.connect(c.server.db)
    rows = con.execute("SELECT aor, contact_uri FROM bindings").fetchall()
    if rows != [("demo/alice", "sip:alice@127.0.0.1:5999")]:
        fail(f"bindings: {rows}")


def case_register_sha256(c):
    c.start()
    code, reply = register(c.server, "alice", "alice-demo", ["sip:alice@127.0.0.1:5998"],
                           algorithm="SHA-256")
    if code != 200 or "sip:alice@127.0.0.1:5998" not in reply:
        fail(f"SHA-256 REGISTER: {code}\n{reply}")
    code, reply = register(c.server, "bob", "bob-demo", ["sip:bob@127.0.0.1:5997"],
                           algorithm="MD5")
    if code != 200:
        fail(f"MD5 REGISTER beside SHA-256: {code}")
    code, _ = register(c.server, "alice", "nope", ["sip:alice@127.0.0.1:5998"])
    if code != 403:
        fail(f"wrong password gave {code}, expected 403")
    # Expiry: a 1 s binding is gone 2.5 s later (a query lists no contact).
    code, reply = register(c.server, "carol", "carol-demo", ["sip:carol@127.0.0.1:5996"], expires=1)
    if code != 200 or not contacts_in(reply):
        fail(f"short registration: {code}\n{reply}")
    time.sleep(2.5)
    code, reply = register(c.server, "carol", "carol-demo", [], expires=300)
    if code != 200 or contacts_in(reply):
        fail(f"binding did not expire: {code}\n{reply}")


def case_call_caller_bye(c):
    c.start()
    port = free_port()
    uas = c.uas("uas-answer.xml", port)
    c.agent("alice", port)
    uac = c.uac("uac-call.xml", extra=["-d", 500])
    expect_ok(uac, uas)
    check_record(one_record(c), "answered", "alice", "caller_hangup")


def case_did_rings_user(c):
    """A number routed to a user (direct inward dialing): the carrier's call rings the SME's
    registered phone directly, without a queue; no phone registered gives 480."""
    c.start()
    rejected = c.uac("uac-rejected.xml", service="+15550104", name="uac-480",
                     template={"expect": 480})
    expect_ok(rejected)
    port = free_port()
    uas = c.uas("uas-answer.xml", port)
    c.agent("dave", port)
    uac = c.uac("uac-call.xml", service="+15550104", extra=["-d", 300])
    expect_ok(uac, uas)
    c.server.stop()
    recs = c.server.records()
    if len(recs) != 2:
        fail(f"expected 2 records, got {recs}")
    missed, answered = recs
    if missed["callee"] != "+15550104" or missed["disposition"] != "rejected" or \
            missed["end_reason"] != "not_registered" or missed["queue_id"] is not None:
        fail(f"record of the call while dave was not registered: {missed}")
    check_record(answered, "answered", "dave", "caller_hangup")
    if answered["callee"] != "+15550104" or answered["queue_id"] is not None:
        fail(f"record of the direct call: {answered}")


def case_call_agent_bye(c):
    c.start()
    port = free_port()
    uas = c.uas("uas-answer-bye.xml", port, extra=["-d", 500])
    c.agent("alice", port)
    uac = c.uac("uac-call-remote-bye.xml")
    expect_ok(uac, uas)
    check_record(one_record(c), "answered", "alice", "callee_hangup")


def case_cancel_queued(c):
    c.start()
    uac = c.uac("uac-cancel.xml", extra=["-d", 1000])  # nobody registered: waits, then CANCEL
    expect_ok(uac)
    rec = one_record(c)
    check_record(rec, "abandoned", end_reason="caller_cancel")
    if rec["answered_at"] is not None or rec["offered_at"] is not None:
        fail(f"a queued-only call was offered/answered: {rec}")


def case_cancel_ringing(c):
    c.start(reservation_s=10)
    port = free_port()
    uas = c.uas("uas-noanswer.xml", port)
    c.agent("alice", port)
    uac = c.uac("uac-cancel.xml", extra=["-d", 1500])  # the agent rings, then the caller gives up
    expect_ok(uac, uas)  # the agent leg got its CANCEL and answered 487
    rec = one_record(c)
    check_record(rec, "abandoned", end_reason="caller_cancel")
    if rec["offered_at"] is None:
        fail(f"the agent was never offered the call: {rec}")


def case_busy_next(c):
    c.start()
    busy, good = free_port(), free_port()
    b = c.uas("uas-busy.xml", busy, name="alice-busy")
    g = c.uas("uas-answer.xml", good, name="bob-answers")
    c.agent("alice", busy)  # registered first: longest idle, offered first
    time.sleep(0.05)
    c.agent("bob", good)
    uac = c.uac("uac-call.xml", extra=["-d", 200])
    expect_ok(uac, b, g)
    check_record(one_record(c), "answered", "bob")


def case_noanswer_next(c):
    c.start(reservation_s=2)
    slow, good = free_port(), free_port()
    s = c.uas("uas-noanswer.xml", slow, name="alice-noanswer")
    g = c.uas("uas-answer.xml", good, name="bob-answers")
    c.agent("alice", slow)
    time.sleep(0.05)
    c.agent("bob", good)
    uac = c.uac("uac-call.xml", extra=["-d", 200])
    expect_ok(uac, s, g)  # alice's leg was cancelled after the 2 s reservation timeout
    rec = one_record(c)
    check_record(rec, "answered", "bob")
    if rec["answered_at"] - rec["offered_at"] < 1_900_000:
        fail(f"answered before alice's reservation could time out: {rec}")


def case_two_contacts(c):
    c.start()
    a, b = free_port(), free_port()
    answers = c.uas("uas-answer.xml", a, name="contact-answers")
    rings = c.uas("uas-noanswer.xml", b, name="contact-rings")
    code, reply = register(c.server, "alice", "alice-demo",
                           [f"sip:alice@127.0.0.1:{a}", f"sip:alice@127.0.0.1:{b}"])
    if code != 200 or len(contacts_in(reply)) != 2:
        fail(f"two-contact REGISTER: {code}\n{reply}")
    uac = c.uac("uac-call.xml", extra=["-d", 300])
    expect_ok(uac, answers, rings)  # the ringing contact got CANCEL after the first 200
    check_record(one_record(c), "answered", "alice")


def case_hold(c):
    c.start()
    port = free_port()
    uas = c.uas("uas-hold.xml", port)
    c.agent("alice", port)
    uac = c.uac("uac-hold.xml")
    expect_ok(uac, uas)
    check_record(one_record(c), "answered", "alice", "caller_hangup")


def case_rejected(c):
    c.start()
    # An INVITE from a source that is no trunk (another port) is refused without detail.
    stranger = c.uac("uac-rejected.xml", src_port=free_port(), name="stranger",
                     template={"expect": 403})
    expect_ok(stranger)
    # From the trunk, a number nobody owns.
    unknown = c.uac("uac-rejected.xml", service="+19995550000", name="unknown-number",
                    template={"expect": 404})
    expect_ok(unknown)
    c.server.stop()
    recs = c.server.records()
    if [r["disposition"] for r in recs] != ["rejected"]:
        # The stranger's INVITE carries a From domain of no tenant: it belongs to nobody, so
        # only the unknown number (a demo-tenant call) is recorded.
        fail(f"records: {recs}")


def case_restart_keeps_binding(c):
    c.start()
    port = free_port()
    c.agent("alice", port)
    c.server.stop()
    c.start()  # same store: alice's binding is restored, she need not register again
    uas = c.uas("uas-answer.xml", port)
    uac = c.uac("uac-call.xml", extra=["-d", 200])
    expect_ok(uac, uas)
    check_record(one_record(c), "answered", "alice")


def case_calls_200(c):
    c.start()
    port = free_port()
    uas = c.uas("uas-answer.xml", port, calls=200)
    for user in ("alice", "bob", "carol"):
        c.agent(user, port)
    uac = c.uac("uac-call.xml", calls=200, extra=["-r", 40, "-d", 0, "-l", 3])
    expect_ok(uac, uas)
    c.server.stop()
    recs = c.server.records()
    answered = [r for r in recs if r["disposition"] == "answered"]
    if len(recs) != 200 or len(answered) != 200:
        fail(f"{len(recs)} records, {len(answered)} answered, expected 200")
    for r in recs:
        check_record(r, "answered")


def case_loss_5pct(c):
    c.start()
    port = free_port()
    uas = c.uas("uas-answer.xml", port, calls=20, extra=["-lost", 5])
    for user in ("alice", "bob", "carol"):
        c.agent(user, port)
    uac = c.uac("uac-call.xml", calls=20, extra=["-r", 5, "-d", 200, "-l", 3, "-lost", 5])
    expect_ok(uac, uas)
    c.server.stop()
    recs = c.server.records()
    if len(recs) != 20 or any(r["disposition"] != "answered" for r in recs):
        fail(f"under 5% loss: {[(r['disposition'], r['end_reason']) for r in recs]}")


def case_baresip(c):
    # Debian 12's baresip 1.0 (libre 1.1) answers only the first challenge and knows only MD5.
    c.start(digest="[md5]")
    sip_port = free_port()
    home = os.path.join(c.work, "baresip")
    os.makedirs(home)
    ctrl = free_port()
    with open(os.path.join(home, "config"), "w") as f:
        f.write(f"""poll_method epoll
sip_listen 127.0.0.1:{sip_port}
net_interface 127.0.0.1
audio_player aubridge,nowhere
audio_source ausine,440
ausrc_srate 48000
ausrc_channels 2
audio_alert aubridge,nowhere
rtp_ports 30100-30199
module_path /usr/lib/baresip/modules
module g711.so
module ausine.so
module aubridge.so
module ctrl_tcp.so
module_tmp uuid.so
module_tmp account.so
module_app menu.so
ctrl_tcp_listen 127.0.0.1:{ctrl}
dns_server 127.0.0.1:53
""")
    with open(os.path.join(home, "accounts"), "w") as f:
        f.write(f'<sip:alice@{DOMAIN};transport=udp>;auth_pass=alice-demo;'
                f'outbound="sip:127.0.0.1:{c.server.port}";regint=300;answermode=auto\n')
    log = open(os.path.join(c.work, "baresip.log"), "w")
    b = subprocess.Popen(["baresip", "-f", home], stdin=subprocess.DEVNULL, stdout=log,
                         stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 15
        registered = False
        while time.time() < deadline and not registered:
            time.sleep(0.3)
            con = sqlite3.connect(c.server.db)
            registered = bool(con.execute(
                "SELECT 1 FROM bindings WHERE aor='demo/alice'").fetchall())
            con.close()
        if not registered:
            fail("baresip did not register; see baresip.log")
        uac = c.uac("uac-call.xml", extra=["-d", 1500])
        expect_ok(uac)
    finally:
        b.send_signal(signal.SIGTERM)
        try:
            b.wait(timeout=5)
        except subprocess.TimeoutExpired:
            b.kill()
            b.wait()
    check_record(one_record(c), "answered", "alice", "caller_hangup")


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}


def main():
    sbtest.run_case(CASES, "voice", Case, dir_arg="SCENARIO_DIR")

if __name__ == "__main__":
    main()
