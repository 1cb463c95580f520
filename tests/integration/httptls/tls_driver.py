#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""HTTPS for the API: generates a self-signed certificate for 127.0.0.1 with openssl, starts
the real binary with http.tls_certificate/tls_private_key, and checks that a client verifying
the certificate and host name gets the health and an authenticated queue list, that plain HTTP
on the same port gets no HTTP answer, and that a half TLS configuration stops start-up with the
file, line and reason. Usage: tls_driver.py SWITCHBOARD SOURCE_DIR"""
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from sbtest import Server, demo_config, fail, finish, free_port  # noqa: E402


def main():
    binary, source = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="sb-https-")
    cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days",
                    "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    http = free_port()
    path = demo_config(source, work, free_port(), http)
    cfg = open(path).read().replace(f"  port: {http}", f"  port: {http}\n  tls_certificate: {cert}\n"
                                                        f"  tls_private_key: {key}")
    open(path, "w").write(cfg)

    # Half a TLS configuration is a start-up error naming the line.
    half = os.path.join(work, "half.yaml")
    open(half, "w").write(cfg.replace(f"  tls_private_key: {key}\n", ""))
    r = subprocess.run([binary, "check-config", half], capture_output=True, text=True, timeout=20)
    if r.returncode == 0 or "half.yaml:" not in r.stderr or "tls_private_key" not in r.stderr:
        fail(f"half TLS config: rc={r.returncode} {r.stderr}")

    server = Server(binary, path, work, ready="HTTP listening on https://")
    ok = False
    try:
        ctx = ssl.create_default_context(cafile=cert)
        base = f"https://127.0.0.1:{http}"
        with urllib.request.urlopen(base + "/api/v1/health", context=ctx, timeout=10) as resp:
            if resp.status != 200:
                fail(f"health over TLS: {resp.status}")
        req = urllib.request.Request(base + "/api/v1/tenants/demo/queues",
                                     headers={"Authorization": "Bearer sb_demo_admin_key"})
        with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
            queues = json.loads(resp.read())
            if sorted(q["id"] for q in queues["items"]) != ["sales", "support"]:
                fail(f"queues over TLS: {queues}")
        # A client that does not trust the certificate is refused by its own verification.
        try:
            urllib.request.urlopen(base + "/api/v1/health",
                                   context=ssl.create_default_context(), timeout=10)
            fail("an untrusted certificate was accepted")
        except urllib.error.URLError as e:
            if "CERTIFICATE_VERIFY_FAILED" not in str(e):
                fail(f"unexpected TLS error: {e}")
        # Plain HTTP on the TLS port gets no HTTP response.
        s = socket.create_connection(("127.0.0.1", http), timeout=5)
        s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            data = s.recv(100)
        except (ConnectionResetError, socket.timeout):
            data = b""
        s.close()
        if data.startswith(b"HTTP/1.1 200"):
            fail("plain HTTP was served on the TLS port")
        print("https: ok")
        ok = True
    finally:
        server.stop()
        finish(ok, work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
