#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""App registrations against the real binary: an admin registers an OAuth client (the secret
comes back once), the app signs in with the client-credentials grant (form fields and HTTP
Basic), sets and clears presence under its own client id (200) but not under another GUID
(400 naming sessionId), a wrong secret is 401 invalid_client, deleting the app stops its token
at once (401) and its credentials, renaming keeps its token while a role change ends it (401)
until it signs in again, and API keys and users still name any GUID. Also: paging,
validation errors naming the field, the audit log, the secret never listed or stored, and
another tenant's admin seeing nothing. Usage: apps_driver.py SWITCHBOARD SOURCE_DIR"""
import base64
import json
import os
import sqlite3
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import sbtest  # noqa: E402
from sbtest import ACME_KEY, DEMO_KEY, call, expect, fail, free_port  # noqa: E402

APPS = "/api/v1/tenants/demo/apps"
OTHER_GUID = "11111111-2222-4333-8444-555555555555"


def token_form(base, fields, headers=None):
    """POST /api/v1/auth/token form-encoded with optional extra headers; (status, body, hdrs)."""
    data = urllib.parse.urlencode(fields).encode()
    h = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
    req = urllib.request.Request(base + "/api/v1/auth/token", data=data, method="POST", headers=h)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read()), r.headers
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}"), e.headers


def client_grant(base, client_id, secret):
    """The client-credentials grant with form fields; (status, body)."""
    st, body, _ = token_form(base, {"grant_type": "client_credentials",
                                    "client_id": client_id, "client_secret": secret})
    return st, body


def expect_invalid_client(base, client_id, secret, what):
    """The grant fails as RFC 6749 5.2 says for a bad client: 401 invalid_client."""
    st, body = client_grant(base, client_id, secret)
    if st != 401 or body.get("error") != "invalid_client" or "error_description" not in body:
        fail(f"{what}: {st} {body}")


def basic(client_id, secret):
    raw = f"{urllib.parse.quote_plus(client_id)}:{urllib.parse.quote_plus(secret)}"
    return {"Authorization": "Basic " + base64.b64encode(raw.encode()).decode()}


def expect_field(status, got, field, what):
    body = expect(status, got, what)
    if body.get("error", {}).get("field") != field:
        fail(f"{what}: error does not name {field}: {body}")


def graph_400_naming_session(got, what):
    st, body = got
    if st != 400:
        fail(f"{what}: HTTP {st} (expected 400): {body}")
    err = body.get("error", {}) if isinstance(body, dict) else {}
    if not isinstance(err, dict) or "code" not in err or "sessionId" not in err.get("message", ""):
        fail(f"{what}: not a Graph error naming sessionId: {body}")


def main():
    binary, source = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="sb-apps-")
    sip, http = free_port(), free_port()
    path = sbtest.demo_config(source, work, sip, http)
    server = sbtest.Server(binary, path, work)
    ok = False
    try:
        base = f"http://127.0.0.1:{http}"

        spec = expect(200, call(base, "GET", "/api/v1/openapi.json"), "openapi")
        for route, methods in ((APPS.replace("demo", "{tenantId}"), {"get", "post"}),
                               (APPS.replace("demo", "{tenantId}") + "/{clientId}",
                                {"get", "patch", "delete"})):
            if set(spec["paths"].get(route, {})) < methods:
                fail(f"OpenAPI lacks {route}: {spec['paths'].get(route)}")
        grants = spec["paths"]["/api/v1/auth/token"]["post"]
        if "client_credentials" not in json.dumps(spec["components"]["schemas"]["TokenRequest"]):
            fail(f"OpenAPI token request lacks client_credentials: {grants}")

        # --- registration: validation, creation, listing, isolation ---
        expect_field(400, call(base, "POST", APPS, DEMO_KEY, {"roles": ["supervisor"]}),
                     "displayName", "no displayName")
        expect_field(400, call(base, "POST", APPS, DEMO_KEY, {"displayName": "x",
                                                              "roles": ["wizard"]}),
                     "roles", "unknown role")
        expect_field(400, call(base, "POST", APPS, DEMO_KEY, {"displayName": "x",
                                                              "roles": ["system_operator"]}),
                     "roles", "platform role")
        expect_field(400, call(base, "POST", APPS, DEMO_KEY, {"displayName": "x", "roles": ["agent"],
                                                              "clientId": OTHER_GUID}),
                     "clientId", "client id is the server's to pick")
        app = expect(201, call(base, "POST", APPS, DEMO_KEY,
                               {"displayName": "Presence sync", "roles": ["supervisor"]}),
                     "register app")
        client_id, secret = app["clientId"], app.get("clientSecret", "")
        if len(client_id) != 36 or client_id.count("-") != 4 or not secret.startswith("sbs_"):
            fail(f"created app: {app}")
        if app["roles"] != ["supervisor"] or app["createdBy"] != "apikey:demo-demo-admin":
            fail(f"created app: {app}")
        for i in range(3):
            expect(201, call(base, "POST", APPS, DEMO_KEY, {"displayName": f"extra {i}",
                                                             "roles": ["agent"]}), "extra app")
        items, cursor, pages = [], None, 0
        while True:
            q = f"{APPS}?limit=2" + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else "")
            page = expect(200, call(base, "GET", q, DEMO_KEY), "list apps")
            if len(page["items"]) > 2:
                fail(f"page over limit: {page}")
            items += page["items"]
            pages += 1
            cursor = page.get("next")
            if not cursor or pages > 10:
                break
        if len(items) != 4 or pages != 2 or any("clientSecret" in a for a in items):
            fail(f"listing: {pages} pages, {items}")
        one = expect(200, call(base, "GET", f"{APPS}/{client_id}", DEMO_KEY), "get app")
        if one["displayName"] != "Presence sync" or "clientSecret" in one:
            fail(f"get app: {one}")
        expect_field(404, call(base, "GET", f"{APPS}/{OTHER_GUID}", DEMO_KEY), "clientId",
                     "unknown app")
        expect(404, call(base, "GET", f"{APPS}/{client_id}", ACME_KEY), "foreign tenant")
        if expect(200, call(base, "GET", "/api/v1/tenants/acme/apps", ACME_KEY), "acme")["items"]:
            fail("acme sees demo's apps")
        db = sqlite3.connect(os.path.join(work, "var", "switchboard.db"))
        dump = "\n".join(db.iterdump())
        db.close()
        if secret in dump or client_id not in dump:
            fail("the client secret is stored in clear (or the app is not stored)")

        # --- the client-credentials grant ---
        st, body = client_grant(base, client_id, secret)
        if st != 200 or body.get("token_type") != "Bearer" or "refresh_token" in body:
            fail(f"client credentials (form): {st} {body}")
        if body.get("clientId") != client_id or body.get("roles") != ["supervisor"]:
            fail(f"client credentials grant: {body}")
        app_token = body["access_token"]
        st, body, _ = token_form(base, {"grant_type": "client_credentials"},
                                 basic(client_id, secret))
        if st != 200 or "access_token" not in body:
            fail(f"client credentials (Basic): {st} {body}")
        expect_invalid_client(base, client_id, secret + "x", "wrong secret")
        st, body, hdrs = token_form(base, {"grant_type": "client_credentials"},
                                    basic(client_id, "nope"))
        if st != 401 or body.get("error") != "invalid_client" or \
                not (hdrs.get("WWW-Authenticate") or "").startswith("Basic"):
            fail(f"wrong Basic secret: {st} {body} {dict(hdrs)}")
        st, body, _ = token_form(base, {"grant_type": "client_credentials", "client_id": client_id})
        if st != 400 or body.get("error") != "invalid_request":
            fail(f"no secret: {st} {body}")
        st, body, _ = token_form(base, {"grant_type": "implicit"})
        if st != 400 or body.get("error") != "unsupported_grant_type":
            fail(f"unsupported grant: {st} {body}")
        me = expect(200, call(base, "GET", "/api/v1/auth/me", app_token), "app /me")
        if me.get("clientId") != client_id or me.get("tenantId") != "demo":
            fail(f"app /me: {me}")

        # --- the Graph sessionId rule ---
        set_url = "/graph/v1.0/users/alice/presence/setPresence"
        clear_url = "/graph/v1.0/users/alice/presence/clearPresence"

        def presence_body(sid):
            return {"sessionId": sid, "availability": "Busy", "activity": "InACall",
                    "expirationDuration": "PT10M"}

        expect(200, call(base, "POST", set_url, app_token, presence_body(client_id)),
               "app sets its own session")
        expect(200, call(base, "POST", set_url, app_token, presence_body(client_id.upper())),
               "app sets its own session (upper case)")
        graph_400_naming_session(call(base, "POST", set_url, app_token,
                                      presence_body(OTHER_GUID)), "app names another GUID")
        graph_400_naming_session(call(base, "POST", clear_url, app_token,
                                      {"sessionId": OTHER_GUID}), "app clears another session")
        got = expect(200, call(base, "GET", "/graph/v1.0/users/alice/presence", app_token),
                     "read presence")
        if got.get("availability") != "Busy":
            fail(f"presence after the app's session: {got}")
        expect(200, call(base, "POST", clear_url, app_token, {"sessionId": client_id}),
               "app clears its own session")
        # API keys and users keep naming any GUID.
        expect(200, call(base, "POST", set_url, DEMO_KEY, presence_body(OTHER_GUID)),
               "API key names any GUID")
        expect(200, call(base, "POST", clear_url, DEMO_KEY, {"sessionId": OTHER_GUID}),
               "API key clears any GUID")
        sam = sbtest.sign_in(base, "sam@demo", "sam-demo")
        expect(200, call(base, "POST", set_url, sam, presence_body(OTHER_GUID)),
               "user names any GUID")

        # --- rotation: a new secret; the old one and its tokens stop at once ---
        old_secret = secret
        expect(404, call(base, "POST", f"{APPS}/{client_id}/secret", ACME_KEY), "foreign rotation")
        expect_field(404, call(base, "POST", f"{APPS}/{OTHER_GUID}/secret", DEMO_KEY), "clientId",
                     "rotation of an unknown app")
        expect_field(400, call(base, "POST", f"{APPS}/{client_id}/secret", DEMO_KEY,
                               {"clientSecret": "mine"}), "clientSecret", "rotation with a body")
        rotated = expect(200, call(base, "POST", f"{APPS}/{client_id}/secret", DEMO_KEY), "rotate")
        secret = rotated.get("clientSecret", "")
        if not secret.startswith("sbs_") or secret == old_secret or \
                rotated.get("clientId") != client_id:
            fail(f"rotation answer: {rotated}")
        expect(401, call(base, "GET", "/api/v1/auth/me", app_token), "token of the old secret")
        expect_invalid_client(base, client_id, old_secret, "old secret still signs in")
        st, body = client_grant(base, client_id, secret)
        if st != 200:
            fail(f"new secret does not sign in: {st} {body}")
        app_token = body["access_token"]
        me = expect(200, call(base, "GET", "/api/v1/auth/me", app_token), "app /me, new secret")
        if me.get("clientId") != client_id:
            fail(f"app /me after rotation: {me}")

        # --- edit: rename keeps the token; a role change ends tokens with the old roles ---
        expect(404, call(base, "PATCH", f"{APPS}/{client_id}", ACME_KEY, {"displayName": "x"}),
               "foreign edit")
        expect_field(404, call(base, "PATCH", f"{APPS}/{OTHER_GUID}", DEMO_KEY,
                               {"displayName": "x"}), "clientId", "edit of an unknown app")
        expect_field(400, call(base, "PATCH", f"{APPS}/{client_id}", DEMO_KEY, {}), "body",
                     "edit with nothing to change")
        expect_field(400, call(base, "PATCH", f"{APPS}/{client_id}", DEMO_KEY,
                               {"roles": ["wizard"]}), "roles", "edit to an unknown role")
        expect_field(400, call(base, "PATCH", f"{APPS}/{client_id}", DEMO_KEY,
                               {"clientSecret": "mine"}), "clientSecret", "edit of the secret")
        renamed = expect(200, call(base, "PATCH", f"{APPS}/{client_id}", DEMO_KEY,
                                   {"displayName": "Wallboard feed"}), "rename")
        if renamed.get("displayName") != "Wallboard feed" or renamed.get("roles") != ["supervisor"] \
                or "clientSecret" in renamed:
            fail(f"rename answer: {renamed}")
        expect(200, call(base, "GET", "/api/v1/auth/me", app_token), "token after a rename")
        changed = expect(200, call(base, "PATCH", f"{APPS}/{client_id}", DEMO_KEY,
                                   {"roles": ["agent"]}), "role change")
        if changed.get("roles") != ["agent"] or changed.get("displayName") != "Wallboard feed":
            fail(f"role change answer: {changed}")
        got = expect(200, call(base, "GET", f"{APPS}/{client_id}", DEMO_KEY), "app after edits")
        if got != changed:
            fail(f"stored app {got} differs from the answer {changed}")
        expect(401, call(base, "GET", "/api/v1/auth/me", app_token), "token with the old roles")
        st, body = client_grant(base, client_id, secret)
        if st != 200:
            fail(f"the same secret does not sign in after a role change: {st} {body}")
        app_token = body["access_token"]
        me = expect(200, call(base, "GET", "/api/v1/auth/me", app_token), "app /me, new roles")
        if me.get("roles") != ["agent"]:
            fail(f"app /me after the role change: {me}")

        # --- deletion: the token and the credentials stop at once ---
        expect(404, call(base, "DELETE", f"{APPS}/{client_id}", ACME_KEY), "foreign delete")
        expect(204, call(base, "DELETE", f"{APPS}/{client_id}", DEMO_KEY), "delete app")
        st, body = call(base, "POST", set_url, app_token, presence_body(client_id))
        if st != 401:
            fail(f"deleted app's token still works: {st} {body}")
        expect(401, call(base, "GET", "/api/v1/auth/me", app_token), "deleted app /me")
        expect_invalid_client(base, client_id, secret, "deleted app signs in")
        expect_field(404, call(base, "DELETE", f"{APPS}/{client_id}", DEMO_KEY), "clientId",
                     "delete twice")

        # --- audit ---
        entries = expect(200, call(base, "GET", "/api/v1/tenants/demo/audit?limit=200", DEMO_KEY),
                         "audit")["items"]
        mine = [e for e in entries if e["entityType"] == "app" and e["entityId"] == client_id]
        if [e["action"] for e in mine] != ["create", "rotate-secret", "update", "update",
                                           "delete"]:
            fail(f"audit of the app: {mine}")
        if any(s in str(e) for e in entries for s in (secret, old_secret)):
            fail("a secret is in the audit log")
        ok = True
    finally:
        server.stop()
        sbtest.finish(ok, work)
    print("apps: OK")


if __name__ == "__main__":
    main()
