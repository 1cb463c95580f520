#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""OIDC integration test: a real OpenID provider (npm oidc-provider, started here on loopback)
and the real switchboard binary. Drives the whole authorization code flow over HTTP (login
redirect -> provider login form -> consent -> callback), checks the issued Switchboard tokens
work as the mapped user, the error paths (replayed state, unmapped user, foreign tenant), and
key rotation: the provider restarts with a new key (RSA -> EC, new kid) and sign-in still works
because Switchboard refreshes the JWKS on the unknown kid; and a Switchboard restart between the
login and the callback does not lose the sign-in.
Usage: oidc_driver.py SWITCHBOARD SOURCE_DIR"""
import html
import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import sbtest  # noqa: E402
from sbtest import call, expect, fail, free_port  # noqa: E402


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Browser:
    """A cookie-keeping client that does not follow redirects by itself."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  NoRedirect())

    def request(self, url, data=None, headers=None):
        req = urllib.request.Request(url, data=data, headers=headers or {})
        try:
            with self.opener.open(req, timeout=15) as r:
                return r.status, dict(r.headers), r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read().decode()


def submit_form(browser, page_url, body, fields):
    """Posts the first form of an HTML page with its hidden inputs plus `fields`."""
    m = re.search(r'<form[^>]*action="([^"]+)"', body)
    if not m:
        fail(f"no form on {page_url}: {body[:300]}")
    action = urllib.parse.urljoin(page_url, html.unescape(m.group(1)))
    data = {}
    for inp in re.finditer(r"<input[^>]*>", body):
        tag = inp.group(0)
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and 'type="hidden"' in tag:
            data[name.group(1)] = html.unescape(value.group(1)) if value else ""
    data.update(fields)
    return action, browser.request(action, urllib.parse.urlencode(data).encode(),
                                   {"Content-Type": "application/x-www-form-urlencoded"})


def sign_in(base, account, tenant=None, before_callback=None):
    """The browser's part of the code flow. Returns (status, body) of Switchboard's callback.
    before_callback() runs when the provider has sent the browser back, before it arrives."""
    browser = Browser()
    url = base + "/api/v1/auth/oidc/login" + (f"?tenant={tenant}" if tenant else "")
    status, headers, body = browser.request(url)
    if status != 302:
        fail(f"login: HTTP {status}: {body}")
    cookie = headers.get("Set-Cookie", "")
    if not cookie.startswith("sb_oidc_state=") or "HttpOnly" not in cookie:
        fail(f"login did not set the state cookie: {headers}")
    location = headers["Location"]
    query = urllib.parse.parse_qs(urllib.parse.urlparse(location).query)
    for key, want in (("response_type", "code"), ("code_challenge_method", "S256"),
                      ("client_id", "switchboard")):
        if query.get(key) != [want]:
            fail(f"authorization URL lacks {key}={want}: {location}")
    for key in ("state", "nonce", "code_challenge"):
        if not query.get(key) or len(query[key][0]) < 20:
            fail(f"authorization URL lacks a strong {key}: {location}")
    callback_prefix = base + "/api/v1/auth/oidc/callback"
    forms = 0
    for _ in range(20):
        if location.startswith(callback_prefix):
            if before_callback is not None:
                before_callback()
            # The callback is the same browser: it carries the state cookie set at login.
            status, headers, body = browser.request(location)
            if not re.search(r"sb_oidc_state=;.*Max-Age=0", headers.get("Set-Cookie", "")) \
                    and status == 200:
                fail(f"callback did not clear the state cookie: {headers}")
            try:
                return status, json.loads(body)
            except ValueError:
                return status, body
        status, headers, body = browser.request(location)
        if status in (302, 303):
            location = urllib.parse.urljoin(location, headers["Location"])
            continue
        if status != 200:
            fail(f"provider page {location}: HTTP {status}: {body[:300]}")
        forms += 1
        # devInteractions: first the login form (login = account id), then consent.
        fields = {"login": account, "password": "any"} if 'name="login"' in body else {}
        action, (status, headers, body) = submit_form(browser, location, body, fields)
        if status not in (302, 303):
            fail(f"form {action}: HTTP {status}: {body[:300]}")
        location = urllib.parse.urljoin(action, headers["Location"])
    fail("the code flow did not reach the callback")


class Op:
    """The OpenID provider process."""

    def __init__(self, port, redirect_uri, work):
        self.port, self.redirect_uri, self.work, self.proc = port, redirect_uri, work, None

    def start(self, kid, kty):
        log = open(os.path.join(self.work, f"op-{kid}.log"), "w")
        self.proc = subprocess.Popen(["node", os.path.join(HERE, "provider.mjs"), str(self.port),
                                      kid, kty, self.redirect_uri], stdout=subprocess.PIPE,
                                     stderr=log, text=True, cwd=HERE)
        line = self.proc.stdout.readline()
        if not line.startswith("OP listening"):
            fail(f"provider did not start: {line!r} (see {log.name})")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def main():
    binary, source = sys.argv[1], sys.argv[2]
    if not os.path.isdir(os.path.join(HERE, "node_modules", "oidc-provider")):
        fail("oidc-provider is not installed: run scripts/install-deps")
    work = tempfile.mkdtemp(prefix="sb-oidc-")
    sip, http_port, op_port = free_port(), free_port(), free_port()
    base = f"http://127.0.0.1:{http_port}"
    issuer = f"http://127.0.0.1:{op_port}"
    redirect_uri = base + "/api/v1/auth/oidc/callback"
    path = sbtest.demo_config(source, work, sip, http_port, extra=f"""
oidc:
  issuer: {issuer}
  client_id: switchboard
  client_secret: sb-test-secret
  redirect_uri: {redirect_uri}
  tenant_claim: tid
  jwks_min_refresh_s: 0
""")
    op = Op(op_port, redirect_uri, work)
    server = None
    ok = False
    try:
        op.start("key-1", "RSA")
        server = sbtest.Server(binary, path, work, required=False)
        expect(200, call(base, "GET", "/api/v1/health"), "health")
        spec = expect(200, call(base, "GET", "/api/v1/openapi.json"), "openapi")
        for p in ("/api/v1/auth/oidc/login", "/api/v1/auth/oidc/callback"):
            if p not in spec["paths"]:
                fail(f"OpenAPI lacks {p}")

        # 1. alice (tid demo) signs in through the provider and gets Switchboard tokens.
        tok = expect(200, sign_in(base, "u-alice"), "alice sign-in")
        if tok.get("tenantId") != "demo" or tok.get("roles") != ["agent"] or \
                tok.get("subject") != "u-alice" or tok.get("issuer") != issuer:
            fail(f"alice's grant: {tok}")
        me = expect(200, call(base, "GET", "/api/v1/auth/me", tok["access_token"]), "me")
        if me["tenantId"] != "demo" or me["userId"] != tok["userId"] or me["roles"] != ["agent"]:
            fail(f"/auth/me as alice: {me}")
        expect(404, call(base, "GET", "/api/v1/tenants/acme/queues", tok["access_token"]),
               "alice on a foreign tenant")
        # The refresh token is a real Switchboard refresh token (rotates).
        ref = expect(200, call(base, "POST", "/api/v1/auth/token",
                               form="grant_type=refresh_token&refresh_token=" +
                               urllib.parse.quote(tok["refresh_token"])), "refresh")
        expect(200, call(base, "GET", "/api/v1/auth/me", ref["access_token"]), "me after refresh")

        # 2. The same flow with ?tenant=demo, then replaying the callback (state is single-use).
        browser_status = sign_in(base, "u-alice", tenant="demo")
        expect(200, browser_status, "alice with ?tenant=demo")

        # 3. Errors are JSON with code/message/field. A callback reached from a browser that
        # did not start the sign-in (login CSRF: the attacker's code and state) is refused.
        other = Browser()
        status, headers, body = other.request(base + "/api/v1/auth/oidc/login")
        csrf_state = urllib.parse.parse_qs(urllib.parse.urlparse(headers["Location"]).query)["state"][0]
        err = expect(400, call(base, "GET", "/api/v1/auth/oidc/callback?code=x&state=" + csrf_state),
                     "callback without the state cookie")
        if err["error"].get("field") != "state":
            fail(f"cookie-less callback error: {err}")
        err = expect(400, call(base, "GET", "/api/v1/auth/oidc/callback?code=x&state=forged"),
                     "forged state")
        if err["error"].get("field") != "state" or err["error"].get("code") != "invalid_state":
            fail(f"forged state error: {err}")
        err = expect(403, sign_in(base, "u-mallory"), "unmapped user")
        if err["error"].get("field") != "user":
            fail(f"unmapped user error: {err}")
        err = expect(403, sign_in(base, "u-alice", tenant="acme"), "alice into acme")
        if err["error"].get("field") != "tenant":
            fail(f"tenant mismatch error: {err}")
        # erin's identity says acme; erin is an acme user.
        erin = expect(200, sign_in(base, "u-erin"), "erin sign-in")
        if erin["tenantId"] != "acme":
            fail(f"erin's grant: {erin}")
        expect(200, call(base, "GET", "/api/v1/auth/me", erin["access_token"]), "me as erin")

        # 4. Key rotation: the provider comes back with a new EC key (kid key-2, ES256). The
        # cached JWKS lacks key-2: Switchboard must refresh it and still verify.
        op.stop()
        op.start("key-2", "EC")
        tok2 = expect(200, sign_in(base, "u-alice"), "sign-in after key rotation")
        expect(200, call(base, "GET", "/api/v1/auth/me", tok2["access_token"]), "me after rotation")

        metrics = expect(200, call(base, "GET", "/metrics"), "metrics")
        m = re.search(r'sb_oidc_callbacks_total\{outcome="ok"\} (\d+)', metrics)
        if not m or int(m.group(1)) != 4:
            fail(f"metrics: ok sign-ins should be 4: {m.group(0) if m else metrics[:2000]}")

        # 5. Switchboard restarts while the user is at the provider: the sign-in in progress is
        # kept in the store, so the callback still completes (once).
        def restart():
            nonlocal server
            if server.terminate(timeout=10) != 0:
                fail("server did not stop cleanly")
            server = sbtest.Server(binary, path, work, required=False, log_mode="a")
        tok3 = expect(200, sign_in(base, "u-alice", before_callback=restart),
                      "sign-in across a restart")
        expect(200, call(base, "GET", "/api/v1/auth/me", tok3["access_token"]),
               "me after a sign-in across a restart")
        ok = True
        print("oidc integration: 1 passed, 0 failed")
    finally:
        if server is not None:
            server.terminate(timeout=10)
        op.stop()
        if ok:
            shutil.rmtree(work, ignore_errors=True)
        else:
            sys.stderr.write(f"logs kept in {work}\n")


if __name__ == "__main__":
    main()
