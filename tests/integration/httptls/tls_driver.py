#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""HTTPS for the API: generates a self-signed certificate for 127.0.0.1 with openssl, starts
the real binary with http.tls_certificate/tls_private_key, and checks that a client verifying
the certificate and host name gets the health and an authenticated queue list, that plain HTTP
on the same port gets no HTTP answer, and that a half TLS configuration stops start-up with the
file, line and reason. Usage: tls_driver.py SWITCHBOARD SOURCE_DIR"""
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request


def fail(msg):
    raise SystemExit("FAIL: " + msg)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def main():
    binary, source = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="sb-https-")
    cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days",
                    "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    sip, http = free_port(), free_port()
    cfg = open(os.path.join(source, "examples", "demo.yaml")).read()
    cfg = cfg.replace("data_dir: ./var/demo", f"data_dir: {work}/var")
    cfg = re.sub(r"port: 5060", f"port: {sip}", cfg)
    cfg = cfg.replace("  port: 8080", f"  port: {http}\n  tls_certificate: {cert}\n"
                                      f"  tls_private_key: {key}")
    path = os.path.join(work, "demo.yaml")
    open(path, "w").write(cfg)

    # Half a TLS configuration is a start-up error naming the line.
    half = os.path.join(work, "half.yaml")
    open(half, "w").write(cfg.replace(f"  tls_private_key: {key}\n", ""))
    r = subprocess.run([binary, "check-config", half], capture_output=True, text=True, timeout=20)
    if r.returncode == 0 or "half.yaml:" not in r.stderr or "tls_private_key" not in r.stderr:
        fail(f"half TLS config: rc={r.returncode} {r.stderr}")

    log = open(os.path.join(work, "server.log"), "w")
    proc = subprocess.Popen([binary, "serve", "--config", path], stdout=subprocess.PIPE,
                            stderr=log, text=True)
    ok = False
    try:
        line = ""
        deadline = time.time() + 15
        while time.time() < deadline:
            line = proc.stdout.readline()
            if not line or line.startswith("HTTP listening"):
                break
        if not line.startswith("HTTP listening on https://"):
            fail(f"listening line: {line!r}")
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
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        if not ok:
            sys.stdout.write(open(os.path.join(work, "server.log")).read()[-3000:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
