#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Refresh tokens survive a restart: the real switchboard binary (demo config, temp data dir)
signs a user in and rotates the refresh token once; the server is killed with SIGKILL and
restarted. The current refresh token still works (the new access token too), the database holds
only SHA-256 hashes of the tokens, and presenting a rotated-away token is refused and revokes the
whole family: the token that was just issued stops working as well.
Usage: refresh_restart_driver.py SWITCHBOARD SOURCE_DIR"""
import hashlib
import os
import signal
import sqlite3
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import sbtest  # noqa: E402
from sbtest import expect, fail, free_port  # noqa: E402


def main():
    binary, source = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="sb-refresh-")
    http = free_port()
    path = sbtest.demo_config(source, work, free_port(), http)
    base = f"http://127.0.0.1:{http}"
    server = sbtest.Server(binary, path, work)
    ok = False

    def token(body):
        return sbtest.call(base, "POST", "/api/v1/auth/token", None, body, timeout=20)

    try:
        first = expect(200, token({"grant_type": "password", "username": "sam@demo",
                                   "password": "sam-demo"}), "sign-in")
        second = expect(200, token({"grant_type": "refresh_token",
                                    "refresh_token": first["refresh_token"]}), "rotate")
        # Acknowledged work survives a crash, not just a clean stop.
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait()

        db = sqlite3.connect(os.path.join(work, "var", "switchboard.db"))
        hashes = {r[0] for r in db.execute("SELECT hash_hex FROM refresh_tokens")}
        db.close()
        for t in (first["refresh_token"], second["refresh_token"]):
            if hashlib.sha256(t.encode()).hexdigest() not in hashes:
                fail("a refresh token's hash is not in the store")
            if t in hashes:
                fail("a raw refresh token is stored")

        server = sbtest.Server(binary, path, work, log_mode="a")
        third = expect(200, token({"grant_type": "refresh_token",
                                   "refresh_token": second["refresh_token"]}),
                       "refresh after restart")
        me = expect(200, sbtest.call(base, "GET", "/api/v1/auth/me", third["access_token"]),
                    "me with the new access token")
        if me.get("tenantId", me.get("tenant_id", "demo")) != "demo":
            fail(f"me: {me}")
        # The rotated-away token: refused, and the family is revoked with it.
        reused = expect(400, token({"grant_type": "refresh_token",
                                    "refresh_token": first["refresh_token"]}), "reuse")
        if reused.get("error", {}).get("code") != "invalid_grant":
            fail(f"reuse answer: {reused}")
        expect(400, token({"grant_type": "refresh_token",
                           "refresh_token": third["refresh_token"]}),
               "the family's newest token after the reuse")
        # A fresh sign-in is a new family and works.
        again = expect(200, token({"grant_type": "password", "username": "sam@demo",
                                   "password": "sam-demo"}), "sign-in again")
        expect(200, token({"grant_type": "refresh_token",
                           "refresh_token": again["refresh_token"]}), "new family")
        server.stop()
        ok = True
        print("refresh tokens across a restart: ok")
    finally:
        if server.proc.poll() is None:
            server.terminate()
        if not ok:
            sys.stderr.write(server.log_tail(4000))
        sbtest.finish(ok, work)


if __name__ == "__main__":
    main()
