#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A tenant created through the API gets voice service although no tenant existed at start-up:
the real switchboard binary starts with no tenant and no trunk in its config; a system operator
(made with `switchboard admin create-user`) creates a tenant, then its trunk, queue, agent and
number over HTTP; the agent registers with digest (this driver's own UAC), and a SIPp call from
the trunk's address to the number reaches the agent's SIPp UAS and is answered. The interaction
record in the store names the agent. Usage: api_tenant_driver.py SWITCHBOARD SCENARIO_DIR"""
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import voice_driver as vd  # noqa: E402  (register(), expect_ok, Sipp)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import sbtest  # noqa: E402
from sbtest import DOMAIN, expect, fail, free_port  # noqa: E402


class NoTenantServer(sbtest.Server):
    """SIP (UDP+TCP) and HTTP on free loopback ports, no tenants, no trunks."""

    def __init__(self, binary, work):
        self.port, self.http = free_port(), free_port()
        self.db = os.path.join(work, "var", "switchboard.db")
        self.config = os.path.join(work, "switchboard.yaml")
        with open(self.config, "w") as f:
            f.write(f"""log_level: info
data_dir: {work}/var
sip:
  digest_algorithms: [sha256, md5]
  listen:
    - {{transport: udp, address: 127.0.0.1, port: {self.port}}}
    - {{transport: tcp, address: 127.0.0.1, port: {self.port}}}
http: {{address: 127.0.0.1, port: {self.http}}}
""")
        made = subprocess.run([binary, "admin", "create-user", "--config", self.config,
                               "--username", "root", "--role", "system_operator"],
                              input="operator-voice-pw\n", text=True, capture_output=True,
                              timeout=30)
        if made.returncode != 0:
            fail(f"admin create-user: {made.stdout} {made.stderr}")
        super().__init__(binary, self.config, work)


def main():
    binary, scenarios = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="sb-api-tenant-voice-")
    trunk_port, agent_port = free_port(), free_port()
    server = NoTenantServer(binary, work)
    procs = []
    ok = False
    try:
        base = f"http://127.0.0.1:{server.http}"

        def call(method, path, token, body=None):
            return sbtest.call(base, method, path, token, body, timeout=20)

        signed = expect(200, call("POST", "/api/v1/auth/token", None, {
            "grant_type": "password", "username": "root@system",
            "password": "operator-voice-pw"}), "operator sign-in")
        op = signed["access_token"]
        # Nothing to call at first: the number is unknown.
        expect(201, call("POST", "/api/v1/tenants", op,
                         {"id": "fresh", "name": "Fresh Co", "domain": DOMAIN}), "tenant")
        expect(201, call("POST", "/api/v1/tenants/fresh/trunks", op, {
            "id": "carrier", "tenants": ["fresh"],
            "sources": [{"address": "127.0.0.1", "port": trunk_port}],
            "outbound_address": "127.0.0.1", "outbound_port": trunk_port}), "trunk")
        expect(200, call("PUT", "/api/v1/tenants/fresh", op,
                         {"name": "Fresh Co", "domain": DOMAIN, "outbound_trunk": "carrier"}),
               "tenant outbound trunk")
        expect(201, call("POST", "/api/v1/tenants/fresh/queues", op, {
            "id": "support", "name": "Support", "strategy": "leastrecent",
            "skills": {"support": 1}, "reservation_timeout_s": 5, "max_wait_s": 60}), "queue")
        expect(201, call("POST", "/api/v1/tenants/fresh/users", op, {
            "username": "alice", "displayName": "Alice Agent", "extension": "1001",
            "password": "alice-api-pw", "skills": {"support": 9}, "capacity": {"voice": 1},
            "queues": ["support"]}), "agent")
        expect(201, call("POST", "/api/v1/tenants/fresh/numbers", op,
                         {"number": "+15550100", "queue": "support"}), "number")

        def registered():
            code, _ = vd.register(server, "alice", "alice-api-pw",
                                  [f"sip:alice@127.0.0.1:{agent_port}"])
            return code == 200
        # The directory swap is posted after each commit: bounded wait for the new user.
        sbtest.wait_until("alice registers", registered, 10)

        uas = vd.Sipp(work, os.path.join(scenarios, "uas-answer.xml"),
                      ["-p", agent_port, "-m", 1], "uas-alice")
        procs.append(uas)
        time.sleep(0.3)  # let it bind
        uac = vd.Sipp(work, os.path.join(scenarios, "uac-call.xml"),
                      ["-s", "+15550100", f"127.0.0.1:{server.port}", "-p", trunk_port,
                       "-m", 1, "-d", 500], "uac")
        procs.append(uac)
        vd.expect_ok(uac, uas)

        server.stop()  # a clean shutdown writes every record
        c = sqlite3.connect(server.db)
        c.row_factory = sqlite3.Row
        recs = [dict(r) for r in c.execute("SELECT * FROM interactions").fetchall()]
        c.close()
        if len(recs) != 1:
            fail(f"expected one interaction record, got {recs}")
        vd.check_record(recs[0], "answered", "alice", "caller_hangup")
        if recs[0]["tenant_id"] != "fresh" or recs[0]["queue_id"] != "support":
            fail(f"record: {recs[0]}")
        ok = True
        print("api tenant voice: ok")
    finally:
        for p in procs:
            p.stop()
        if server.proc.poll() is None:
            server.terminate()
        if not ok:
            sys.stderr.write(server.log_tail(4000))
        sbtest.finish(ok, work)


if __name__ == "__main__":
    main()
