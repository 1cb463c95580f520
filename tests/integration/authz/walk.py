#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Authorization walk: starts the real binary with the demo tenants, creates a platform
operator with `switchboard admin create-user`, signs in as admin, supervisor, agent and system
operator, and calls EVERY route of the OpenAPI document as each of them (and anonymously), on
its own tenant and on the foreign one. The expected outcome comes from the permission table in
docs/security.md (not from the code): foreign tenant -> 404 naming tenantId and carrying no
data, no grant -> 403, Own scope on someone else's {userId} -> 403, no credentials -> 401,
anything granted -> neither 401, 403 nor the tenant 404. Non-tenant path parameters name
records that do not exist, so granted writes change nothing; tenant-level writes of the
operator go to a scratch tenant. Usage: walk.py SWITCHBOARD SOURCE_DIR"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import sbtest  # noqa: E402
from sbtest import call, fail, free_port  # noqa: E402

ROLES = ["admin", "supervisor", "agent", "system_operator"]


def permission_table(source):
    """docs/security.md: | `perm` | admin | supervisor | agent | system_operator |"""
    table = {}
    text = open(os.path.join(source, "docs", "security.md")).read()
    for line in text.splitlines():
        m = re.match(r"^\|\s*`([a-z.]+)`[^|]*\|(.*)\|\s*$", line)
        if not m:
            continue
        cells = [c.strip() for c in m.group(2).split("|")]
        if len(cells) != 4:
            continue
        table[m.group(1)] = dict(zip(ROLES, cells))
    if "tenants.manage" not in table or "agent.state" not in table:
        fail(f"permission table not found in docs/security.md: {sorted(table)}")
    return table


def main():
    binary, source = sys.argv[1], sys.argv[2]
    table = permission_table(source)
    work = tempfile.mkdtemp(prefix="sb-authz-")
    sip, http = free_port(), free_port()
    path = sbtest.demo_config(source, work, sip, http)

    # The platform operator, created from the command line before the server runs.
    made = subprocess.run([binary, "admin", "create-user", "--config", path, "--username", "root",
                           "--role", "system_operator"], input="operator-walk-pw\n", text=True,
                          capture_output=True, timeout=30)
    if made.returncode != 0 or "root@system" not in made.stdout:
        fail(f"admin create-user: rc={made.returncode} {made.stdout} {made.stderr}")
    again = subprocess.run([binary, "admin", "create-user", "--config", path, "--username", "root",
                            "--role", "system_operator"], input="operator-walk-pw\n", text=True,
                           capture_output=True, timeout=30)
    if again.returncode == 0 or "already" not in again.stderr:
        fail(f"duplicate create-user must fail clearly: {again.stderr}")
    short = subprocess.run([binary, "admin", "create-user", "--config", path, "--username", "x",
                            "--tenant", "demo", "--role", "admin"], input="short\n", text=True,
                           capture_output=True, timeout=30)
    if short.returncode == 0 or "password" not in short.stderr:
        fail(f"short password must be refused: {short.stderr}")

    server = sbtest.Server(binary, path, work, required=False)
    ok = False
    try:
        base = f"http://127.0.0.1:{http}"
        demo_key = "sb_demo_admin_key"

        def sign_in(username, password):
            st, body = call(base, "POST", "/api/v1/auth/token", None,
                            {"grant_type": "password", "username": username,
                             "password": password})
            if st != 200:
                fail(f"sign-in {username}: {st} {body}")
            return body["access_token"]

        # An agent account: alice gets a sign-in password from the tenant admin.
        st, body = call(base, "PUT", "/api/v1/tenants/demo/users/alice", demo_key,
                        {"password": "alice-walk-pw"})
        if st != 200:
            fail(f"set alice's password: {st} {body}")
        tokens = {
            "admin": sign_in("admin@demo", "admin-demo"),
            "supervisor": sign_in("sam@demo", "sam-demo"),
            "agent": sign_in("alice@demo", "alice-walk-pw"),
            "system_operator": sign_in("root@system", "operator-walk-pw"),
        }
        self_id = {"admin": "admin", "supervisor": "sam", "agent": "alice",
                   "system_operator": "root"}
        # Tenant-level writes of the operator go here, never to demo or acme.
        st, body = call(base, "POST", "/api/v1/tenants", tokens["system_operator"],
                        {"id": "walkscratch", "name": "Walk scratch",
                         "domain": "walkscratch.switchboard.test"})
        if st not in (200, 201):
            fail(f"operator creates a tenant: {st} {body}")

        spec = call(base, "GET", "/api/v1/openapi.json")[1]
        checked = 0
        problems = []

        def check(route, method, who, url, expect, token, body):
            nonlocal checked
            st, resp = call(base, method, url, token, body)
            checked += 1
            tenant_404 = (st == 404 and isinstance(resp, dict)
                          and resp.get("error", {}).get("field") == "tenantId")
            desc = f"{method} {route} as {who} -> {url}: {st} {str(resp)[:160]}"
            if expect == "allow":
                if st in (401, 403) or tenant_404:
                    problems.append("expected allow: " + desc)
            elif expect == "401":
                if st != 401:
                    problems.append("expected 401: " + desc)
            elif expect == "403":
                if st != 403:
                    problems.append("expected 403: " + desc)
            elif expect == "404":
                if not tenant_404:
                    problems.append("expected tenant 404: " + desc)
                elif any(k in resp for k in ("items", "value", "id")):
                    problems.append("404 with data: " + desc)

        order = {"get": 0, "post": 1, "put": 2, "patch": 3, "delete": 4}  # deletes last
        for route, ops in sorted(spec["paths"].items()):
            for method, op in sorted(ops.items(), key=lambda kv: order.get(kv[0], 9)):
                method = method.upper()
                if method not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
                    continue
                perm = op.get("x-permission")
                if perm is None:
                    fail(f"{method} {route} has no x-permission")
                if perm not in table:
                    fail(f"{method} {route}: permission {perm} missing from docs/security.md")
                params = re.findall(r"\{([^}]+)\}", route)
                has_tenant = "tenantId" in params
                has_user = "userId" in params
                body = {} if method in ("POST", "PUT", "PATCH") else None

                def url_for(tenant, user):
                    u = route
                    for p in params:
                        if p == "tenantId":
                            v = tenant
                        elif p == "userId":
                            v = user
                        else:
                            v = "walk-missing-" + p.lower()
                        u = u.replace("{" + p + "}", v)
                    return u

                # Anonymous.
                anon = "allow" if perm == "public" else "401"
                check(route, method, "anonymous", url_for("demo", "walk-missing-user"), anon,
                      None, body)
                for role in ROLES:
                    grant = table[perm][role]
                    tok = tokens[role]
                    if role == "system_operator":
                        tenant = "walkscratch" if route == "/api/v1/tenants/{tenantId}" else "acme"
                        check(route, method, role, url_for(tenant, "walk-missing-user"),
                              "allow" if grant else "403", tok, body)
                        continue
                    if not has_tenant:
                        exp = "allow" if grant else "403"
                        if grant == "Own" and has_user:
                            check(route, method, role, url_for("demo", self_id[role]), "allow",
                                  tok, body)
                            exp = "403"
                        check(route, method, role, url_for("demo", "bob"), exp, tok, body)
                        continue
                    # Foreign tenant first: 404 before any role check.
                    check(route, method, role, url_for("acme", "erin"), "404", tok, body)
                    if not grant:
                        check(route, method, role, url_for("demo", "walk-missing-user"), "403",
                              tok, body)
                    elif grant == "Own" and has_user:
                        check(route, method, role, url_for("demo", self_id[role]), "allow", tok,
                              body)
                        check(route, method, role, url_for("demo", "bob"), "403", tok, body)
                    else:
                        check(route, method, role, url_for("demo", "walk-missing-user"), "allow",
                              tok, body)

        # The walk changed nothing it should not have: both tenants still serve their queues.
        for tenant, key in (("demo", demo_key), ("acme", "sb_acme_admin_key")):
            st, body = call(base, "GET", f"/api/v1/tenants/{tenant}/queues", key)
            if st != 200 or not body.get("items"):
                fail(f"{tenant} after the walk: {st} {body}")
        if problems:
            for p in problems[:40]:
                print(p)
            fail(f"{len(problems)} of {checked} checks disagree with docs/security.md")
        routes = sum(len(v) for v in spec["paths"].values())
        print(f"authz: ok ({checked} checks over {routes} operations)")
        ok = True
    finally:
        server.terminate()
        if not ok:
            sys.stdout.write(server.log_tail(3000))
        server.log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
