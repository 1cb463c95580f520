# SPDX-License-Identifier: Apache-2.0
"""Shared helpers for the Python integration drivers under tests/integration/: free loopback
ports, failing with a message, JSON HTTP calls, the demo config rewritten onto free ports and a
temp data dir, starting `switchboard serve` and stopping it, SIPp processes, and the
one-case-per-invocation runner. Plain stdlib; single-threaded use by one driver process.
Import with: sys.path.insert(0, <tests/integration/lib>); import sbtest"""
import hashlib
import hmac
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

DOMAIN = "demo.switchboard.test"
DEMO_KEY, ACME_KEY = "sb_demo_admin_key", "sb_acme_admin_key"
SIPP = "/usr/bin/sipp"


def fail(msg):
    raise SystemExit("FAIL: " + msg)


def free_port():
    """A port free for both UDP and TCP on 127.0.0.1."""
    for _ in range(50):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            t.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            t.close()
            u.close()
    raise SystemExit("no free port")


# --- HTTP -----------------------------------------------------------------------------------------

def _decode(raw, ctype, as_text):
    if not as_text and raw and "json" in ctype:
        try:
            return json.loads(raw)
        except ValueError:
            pass
    return raw.decode(errors="replace")


def request(base, method, path, token=None, body=None, form=None, raw=False, timeout=10):
    """One HTTP request. Returns (status, body, headers): body is the parsed JSON when the
    answer is non-empty JSON (and raw is false), else the text."""
    data, headers = None, {}
    if token:
        headers["Authorization"] = "Bearer " + token
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if form is not None:
        data = form.encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            content = r.read()
            return r.status, _decode(content, r.headers.get_content_type(), raw), r.headers
    except urllib.error.HTTPError as e:
        content = e.read()
        return e.code, _decode(content, e.headers.get_content_type(), raw), e.headers


def call(base, method, path, token=None, body=None, form=None, timeout=10):
    """(status, body) of one request; see request()."""
    return request(base, method, path, token, body, form, timeout=timeout)[:2]


def expect(status, got, what):
    if got[0] != status:
        fail(f"{what}: HTTP {got[0]} (expected {status}): {got[1]}")
    return got[1]


def sign_in(base, username, password, timeout=10):
    """Password grant (form encoded); returns the access token or fails."""
    form = urllib.parse.urlencode({"grant_type": "password", "username": username,
                                   "password": password})
    st, body = call(base, "POST", "/api/v1/auth/token", form=form, timeout=timeout)
    if st != 200:
        fail(f"sign-in {username}: {st} {body}")
    return body["access_token"]


def wait_until(what, fn, timeout=5.0):
    """Polls fn until it returns something true (returned); fails after `timeout`."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.05)
    fail(f"timed out waiting for {what} (last: {last})")


# --- the server -----------------------------------------------------------------------------------

def demo_config(source, work, sip, http, extra=""):
    """examples/demo.yaml with SIP/HTTP on the given ports and data under work/var, plus
    `extra` appended; written to work/demo.yaml, whose path is returned."""
    cfg = open(os.path.join(source, "examples", "demo.yaml")).read()
    cfg = cfg.replace("data_dir: ./var/demo", f"data_dir: {work}/var")
    cfg = re.sub(r"port: 5060", f"port: {sip}", cfg)
    cfg = cfg.replace("  port: 8080", f"  port: {http}")
    path = os.path.join(work, "demo.yaml")
    with open(path, "w") as f:
        f.write(cfg + extra)
    return path


class Server:
    """`switchboard serve --config CONFIG [args]`, stderr to work/server.log. Returns from the
    constructor once `ready_count` stdout lines started with `ready` (or stdout ended, or
    `start_timeout` passed); with `required`, not getting there stops it and fails."""

    def __init__(self, binary, config, work, args=(), env=None, ready="HTTP listening",
                 ready_count=1, start_timeout=15, required=True, log_mode="w"):
        self.log = open(os.path.join(work, "server.log"), log_mode)
        self.proc = subprocess.Popen([binary, "serve", "--config", config, *args],
                                     stdout=subprocess.PIPE, stderr=self.log, text=True, env=env)
        deadline = time.time() + start_timeout
        seen = 0
        while seen < ready_count and time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            if line.startswith(ready):
                seen += 1
        if seen < ready_count and required:
            self.stop()
            fail("server did not start; see " + self.log.name)

    def terminate(self, timeout=15):
        """SIGTERM, then kill after `timeout`. Returns the exit code, None if it had to be
        killed, or the earlier exit code if it was not running."""
        if self.proc.poll() is not None:
            return self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None

    def stop(self, timeout=15):
        """Stops a running server; fails unless it exits 0 on SIGTERM in time."""
        if self.proc.poll() is None:
            rc = self.terminate(timeout)
            if rc is None:
                fail("server did not stop on SIGTERM")
            if rc != 0:
                fail(f"server exited with {rc}")

    def log_tail(self, chars):
        self.log.flush()
        return open(self.log.name).read()[-chars:]


def finish(ok, work):
    """Removes the work dir after success; otherwise says where the logs are kept."""
    if ok:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print("work dir kept: " + work, file=sys.stderr)


# --- SIPp ---------------------------------------------------------------------------------------

class Sipp:
    """One SIPp process; `wait()` returns its exit code (0 = every call succeeded). `template`
    replaces [key] in a copy of the scenario."""

    FLAGS = ("-trace_msg", "-timeout", "40s", "-timeout_error", "-max_socket", "100")

    def __init__(self, workdir, scenario, args, name, template=None, flags=FLAGS):
        self.name = name
        self.workdir = os.path.join(workdir, name)
        os.makedirs(self.workdir, exist_ok=True)
        path = scenario
        if template:
            text = open(scenario).read()
            for k, v in template.items():
                text = text.replace(f"[{k}]", str(v))
            path = os.path.join(self.workdir, os.path.basename(scenario))
            with open(path, "w") as f:
                f.write(text)
        cmd = [SIPP, "-sf", path, "-i", "127.0.0.1", "-nostdin", "-trace_err", *flags,
               *map(str, args)]
        self.proc = subprocess.Popen(cmd, cwd=self.workdir, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)

    def wait(self, timeout=45):
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return -1
        return self.proc.returncode

    def explain(self):
        out = [f"{self.name}: rc={self.proc.returncode}"]
        for f in sorted(os.listdir(self.workdir)):
            if f.endswith("_errors.log"):
                out.append(open(os.path.join(self.workdir, f)).read()[-1500:])
        return "\n".join(out)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def run_case(cases, prefix, make_case, dir_arg="SOURCE_DIR"):
    """main() of the one-case-per-run drivers: argv is SWITCHBOARD DIR CASE; runs
    cases[CASE](make_case(binary, dir, work)), then its cleanup(), in a temp work dir kept on
    failure."""
    if len(sys.argv) != 4 or sys.argv[3] not in cases:
        raise SystemExit(f"usage: {sys.argv[0]} SWITCHBOARD {dir_arg} CASE ({', '.join(cases)})")
    binary, directory, case = sys.argv[1:]
    work = tempfile.mkdtemp(prefix=f"sb-{prefix}-{case}-")
    c = make_case(binary, directory, work)
    ok = False
    try:
        cases[case](c)
        ok = True
        print(f"{case}: ok")
    finally:
        c.cleanup()
        if ok:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"{case}: logs kept in {work}", file=sys.stderr)


class HookServer:
    """A webhook receiver on 127.0.0.1: respond(path, query, headers, body) -> (status, text)
    runs for every POST (path without slashes, query as parse_qs, headers lower-cased), on
    the server's own threads."""

    def __init__(self, respond):
        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n).decode()
                url = urllib.parse.urlparse(self.path)
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, text = respond(url.path.strip("/"), urllib.parse.parse_qs(url.query),
                                       headers, body)
                raw = text.encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except OSError:
                    pass  # the sender gave up on us

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}/{path}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def verify_signature(key, header, body):
    """X-Switchboard-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">."""
    m = re.fullmatch(r"t=(\d+),v1=([0-9a-f]{64})", header or "")
    if not m:
        return False
    mac = hmac.new(key.encode(), f"{m.group(1)}.{body}".encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, m.group(2))
