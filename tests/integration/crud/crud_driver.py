#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""CRUD integration test: the real switchboard binary on loopback ports with a temp data dir.
Over real HTTP: CRUD round trips of skills, flows, wrap-up codes and calendars with `next`
paging, validation errors naming the field, the audit log, foreign tenant -> 404, agent role ->
403, API keys (create -> Bearer works -> revoke -> 401 at once), interaction search and CSV
export after real SIPp calls (an abandoned and an answered one), agents seeing only their own
records, and a restart that keeps every accepted write.
Usage: crud_driver.py SWITCHBOARD SOURCE_DIR"""
import csv
import io
import json
import os
import sys
import tempfile
import time
import urllib.parse

SOURCE = sys.argv[2] if len(sys.argv) > 2 else "."
VOICE_DIR = os.path.join(SOURCE, "tests", "integration", "voice")
sys.path.insert(0, VOICE_DIR)
import voice_driver as vd  # noqa: E402  (register(), Sipp, expect_ok: shared SIP helpers)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import sbtest  # noqa: E402
from sbtest import DOMAIN, expect, fail, free_port  # noqa: E402

DEMO_KEY, ACME_KEY = "sb_demo_admin_key", "sb_acme_admin_key"


def call(base, method, path, token=None, body=None, raw=False):
    """(status, body, headers); raw keeps the body as text."""
    return sbtest.request(base, method, path, token, body, raw=raw, timeout=20)


def expect_field(status, got, field, what):
    body = expect(status, got, what)
    if not isinstance(body, dict) or body.get("error", {}).get("field") != field:
        fail(f"{what}: error should name field {field!r}: {body}")
    if not body["error"].get("code") or not body["error"].get("message"):
        fail(f"{what}: error lacks code/message: {body}")
    return body


class Server:
    def __init__(self, binary, work):
        self.binary, self.work = binary, work
        self.sip, self.http, self.trunk = free_port(), free_port(), free_port()
        self.port = self.sip  # voice_driver.register() reads .port
        self.cfg = os.path.join(work, "switchboard.yaml")
        with open(self.cfg, "w") as f:
            f.write(f"""demo: true
log_level: info
data_dir: {work}/var
sip:
  digest_algorithms: [md5, sha256]
  min_expires: 1
  listen:
    - {{transport: udp, address: 127.0.0.1, port: {self.sip}}}
http:
  address: 127.0.0.1
  port: {self.http}
trunks:
  - {{id: carrier, tenants: [demo], sources: [{{address: 127.0.0.1, port: {self.trunk}}}],
     outbound_address: 127.0.0.1, outbound_port: {self.trunk}}}
tenants:
  - id: demo
    domain: {DOMAIN}
    outbound_trunk: carrier
    demo_admin_key: {DEMO_KEY}
    queues:
      - {{id: support, strategy: leastrecent, skills: {{support: 1}}, wrap_up_s: 0,
         reservation_timeout_s: 5, max_wait_s: 60}}
    numbers:
      - {{number: "+15550100", queue: support}}
    users:
      - {{id: alice, extension: "1001", sip_password: alice-demo, password: alice-api-pass,
         skills: {{support: 9}}, capacity: {{voice: 1}}, queues: [support]}}
      - {{id: admin, role: admin, password: admin-demo}}
  - id: acme
    domain: acme.switchboard.test
    demo_admin_key: {ACME_KEY}
    queues:
      - {{id: helpdesk, strategy: leastrecent}}
""")
        self.base = f"http://127.0.0.1:{self.http}"
        self.proc = None

    def start(self):
        self.proc = sbtest.Server(self.binary, self.cfg, self.work, required=False, log_mode="a")
        for _ in range(100):
            try:
                if call(self.base, "GET", "/api/v1/health")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        fail("server did not start; see " + self.proc.log.name)

    def stop(self):
        if self.proc:
            self.proc.stop(timeout=20)


def list_all(base, path, token, limit=2):
    """Follows `next` cursors; checks every page holds at most `limit` items."""
    items, cursor, pages = [], None, 0
    while True:
        sep = "&" if "?" in path else "?"
        q = f"{path}{sep}limit={limit}" + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else "")
        page = expect(200, call(base, "GET", q, token), f"list {q}")
        if len(page["items"]) > limit:
            fail(f"page larger than limit: {page}")
        items += page["items"]
        pages += 1
        cursor = page.get("next")
        if not cursor:
            return items, pages
        if pages > 50:
            fail("paging does not end")


RESOURCES = {
    "skills": ("skillId",
               [{"id": "billing", "name": "billing", "description": "invoices"},
                {"name": "french"}, {"name": "german"}],
               {"name": "billing-2", "description": "invoices and refunds"},
               [({}, "name"), ({"name": 3}, "name"), ({"name": "x", "description": 5}, "description"),
                ({"id": "bad id", "name": "y"}, "id")]),
    "flows": ("flowId",
              [{"id": "main", "name": "Main IVR", "document": {"steps": [{"play": "welcome"}]}},
               {"name": "After hours", "document": {"nodes": {"start": {"say": "closed"}}}}],
              {"name": "Main IVR", "document": {"steps": [{"play": "welcome"}, {"queue": "support"}]}},
              [({"name": "f"}, "document"), ({"name": "f", "document": []}, "document"),
               ({"name": "f", "document": {"start": 1}}, "document"),
               ({"name": "f", "document": {"steps": "play"}}, "document.steps")]),
    "wrap-up-codes": ("codeId",
                      [{"id": "sold", "code": "sold", "label": "Sale made"},
                       {"code": "callback", "label": "Call back", "active": False},
                       {"code": "spam"}],
                      {"code": "sold", "label": "Sale closed", "active": False},
                      [({"label": "x"}, "code"), ({"code": "has space"}, "code"),
                       ({"code": "ok", "active": "yes"}, "active")]),
    "calendars": ("calendarId",
                  [{"id": "office", "name": "Office hours", "timezone": "Europe/Paris",
                    "definition": {"weekly": {"mon": [{"start": "09:00", "end": "12:00"},
                                                      {"start": "13:00", "end": "17:30"}],
                                              "sat": []},
                                   "holidays": ["2025-12-25"]}},
                   {"name": "24x7", "timezone": "UTC",
                    "definition": {"weekly": {d: [{"start": "00:00", "end": "24:00"}]
                                              for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}}}],
                  {"name": "Office hours", "timezone": "America/New_York",
                   "definition": {"weekly": {"tue": [{"start": "08:00", "end": "16:00"}]}}},
                  [({"name": "c", "timezone": "", "definition": {"weekly": {}}}, "timezone"),
                   ({"name": "c", "timezone": "Not A Zone", "definition": {"weekly": {}}}, "timezone"),
                   ({"name": "c", "timezone": "UTC"}, "definition"),
                   ({"name": "c", "timezone": "UTC", "definition": {"weekly": {"funday": []}}},
                    "definition.weekly.funday"),
                   ({"name": "c", "timezone": "UTC",
                     "definition": {"weekly": {"mon": [{"start": "17:00", "end": "09:00"}]}}},
                    "definition.weekly.mon[0].end"),
                   ({"name": "c", "timezone": "UTC",
                     "definition": {"weekly": {"mon": [{"start": "9am", "end": "10:00"}]}}},
                    "definition.weekly.mon[0].start"),
                   ({"name": "c", "timezone": "UTC",
                     "definition": {"weekly": {}, "holidays": ["2025-02-30"]}},
                    "definition.holidays[0]")]),
}


def check_crud(base):
    t = "/api/v1/tenants/demo"
    kept = {}
    for coll, (id_param, creates, update, invalid) in RESOURCES.items():
        ids = []
        for body in creates:
            created = expect(201, call(base, "POST", f"{t}/{coll}", DEMO_KEY, body), f"create {coll}")
            if "id" in body and created["id"] != body["id"]:
                fail(f"{coll}: chosen id not kept: {created}")
            for k, v in body.items():
                if created.get(k) != v:
                    fail(f"{coll}: {k} {created.get(k)!r} != {v!r}")
            ids.append(created["id"])
        first = ids[0]
        got = expect(200, call(base, "GET", f"{t}/{coll}/{first}", DEMO_KEY), f"get {coll}")
        if got["id"] != first:
            fail(f"get {coll}: {got}")
        if coll == "flows" and got["version"] != 1:
            fail(f"new flow has version {got['version']}")
        # Duplicate id -> 409.
        dup = dict(creates[0])
        expect(409, call(base, "POST", f"{t}/{coll}", DEMO_KEY, dup), f"duplicate {coll}")
        items, pages = list_all(base, f"{t}/{coll}", DEMO_KEY, limit=1)
        if sorted(i["id"] for i in items) != sorted(ids) or pages != len(ids):
            fail(f"list {coll}: {items} in {pages} pages")
        updated = expect(200, call(base, "PUT", f"{t}/{coll}/{first}", DEMO_KEY, update), f"update {coll}")
        for k, v in update.items():
            if updated.get(k) != v:
                fail(f"update {coll}: {k} {updated.get(k)!r} != {v!r}")
        if coll == "flows":
            if updated["version"] != 2:
                fail(f"flow version after one update: {updated}")
            again = expect(200, call(base, "PUT", f"{t}/{coll}/{first}", DEMO_KEY, update), "update flow")
            if again["version"] != 3:
                fail(f"flow version after two updates: {again}")
        got = expect(200, call(base, "GET", f"{t}/{coll}/{first}", DEMO_KEY), f"get {coll} after put")
        if any(got.get(k) != v for k, v in update.items()):
            fail(f"update of {coll} not stored: {got}")
        expect_field(404, call(base, "PUT", f"{t}/{coll}/nope", DEMO_KEY, update), id_param,
                     f"update missing {coll}")
        expect_field(400, call(base, "PUT", f"{t}/{coll}/{first}", DEMO_KEY, {**update, "id": "other"}),
                     "id", f"update {coll} with another id")
        for body, field in invalid:
            expect_field(400, call(base, "POST", f"{t}/{coll}", DEMO_KEY, body), field,
                         f"invalid {coll} {body}")
            expect_field(400, call(base, "PUT", f"{t}/{coll}/{first}", DEMO_KEY, body), field,
                         f"invalid {coll} update {body}")
        expect_field(400, call(base, "POST", f"{t}/{coll}", DEMO_KEY, [1]), "body", f"{coll} array body")
        # Delete the last one; keep the others for the restart check.
        last = ids[-1]
        expect(204, call(base, "DELETE", f"{t}/{coll}/{last}", DEMO_KEY), f"delete {coll}")
        expect_field(404, call(base, "GET", f"{t}/{coll}/{last}", DEMO_KEY), id_param, f"deleted {coll}")
        expect_field(404, call(base, "DELETE", f"{t}/{coll}/{last}", DEMO_KEY), id_param,
                     f"delete {coll} twice")
        # Tenant isolation: the acme admin sees nothing of demo; its own tenant is empty.
        err = expect(404, call(base, "GET", f"{t}/{coll}/{first}", ACME_KEY), f"foreign {coll}")
        if "error" not in err:
            fail(f"foreign {coll}: {err}")
        expect(404, call(base, "POST", f"{t}/{coll}", ACME_KEY, creates[0]), f"foreign create {coll}")
        if expect(200, call(base, "GET", f"/api/v1/tenants/acme/{coll}", ACME_KEY), "acme list")["items"]:
            fail(f"acme sees demo {coll}")
        kept[coll] = {i: expect(200, call(base, "GET", f"{t}/{coll}/{i}", DEMO_KEY), "kept")
                      for i in ids[:-1]}
    expect_field(400, call(base, "GET", f"{t}/skills?limit=0", DEMO_KEY), "limit", "limit 0")
    expect_field(400, call(base, "GET", f"{t}/skills?cursor=zzz", DEMO_KEY), "cursor", "bad cursor")
    return kept


def check_audit(base):
    entries, _ = list_all(base, "/api/v1/tenants/demo/audit", DEMO_KEY, limit=5)
    seqs = [e["seq"] for e in entries]
    if seqs != sorted(seqs) or len(set(seqs)) != len(seqs):
        fail(f"audit order: {seqs}")
    for coll, entity in (("skills", "skill"), ("flows", "flow"), ("wrap-up-codes", "wrap_up_code"),
                         ("calendars", "calendar")):
        mine = [e for e in entries if e["entityType"] == entity]
        actions = [e["action"] for e in mine]
        n_create = len(RESOURCES[coll][1])
        if actions.count("create") != n_create or actions.count("delete") != 1 or "update" not in actions:
            fail(f"audit of {entity}: {actions}")
        for e in mine:
            if e["actor"] != "apikey:demo-demo-admin":
                fail(f"audit actor: {e}")
            if e["action"] == "create" and (e["before"] is not None or e["after"] is None):
                fail(f"audit create: {e}")
            if e["action"] == "update" and (e["before"] is None or e["after"] is None):
                fail(f"audit update: {e}")
            if e["action"] == "delete" and (e["before"] is None or e["after"] is not None):
                fail(f"audit delete: {e}")
    upd = next(e for e in entries if e["entityType"] == "skill" and e["action"] == "update")
    if upd["before"]["name"] != "billing" or upd["after"]["name"] != "billing-2":
        fail(f"audit before/after: {upd}")
    expect(404, call(base, "GET", "/api/v1/tenants/demo/audit", ACME_KEY), "foreign audit")
    return len(entries)


def check_keys(base):
    t = "/api/v1/tenants/demo"
    expect_field(400, call(base, "POST", f"{t}/api-keys", DEMO_KEY, {"name": "x", "roles": ["boss"]}),
                 "roles", "unknown role")
    expect_field(400, call(base, "POST", f"{t}/api-keys", DEMO_KEY, {"roles": ["admin"]}), "name",
                 "key without name")
    made = expect(201, call(base, "POST", f"{t}/api-keys", DEMO_KEY, {"name": "ci", "roles": ["admin"]}),
                  "create key")
    key, key_id = made["key"], made["id"]
    if not key.startswith("sb_") or not key.startswith(made["prefix"]) or len(made["prefix"]) < 10:
        fail(f"key shape: {made}")
    expect(200, call(base, "GET", f"{t}/skills", key), "new key works")
    listed = expect(200, call(base, "GET", f"{t}/api-keys", DEMO_KEY), "list keys")
    if key in json.dumps(listed) or not any(k["id"] == key_id and not k["revoked"] for k in listed["items"]):
        fail(f"key list: {listed}")
    agent = expect(201, call(base, "POST", f"{t}/api-keys", DEMO_KEY, {"name": "bot", "roles": ["agent"]}),
                   "agent key")["key"]
    doomed = expect(201, call(base, "POST", f"{t}/api-keys", DEMO_KEY, {"name": "tmp", "roles": ["admin"]}),
                    "temp key")
    expect(200, call(base, "GET", f"{t}/skills", doomed["key"]), "temp key works")
    expect(204, call(base, "DELETE", f"{t}/api-keys/{doomed['id']}", DEMO_KEY), "revoke")
    expect(401, call(base, "GET", f"{t}/skills", doomed["key"]), "revoked key")
    expect_field(404, call(base, "DELETE", f"{t}/api-keys/nope", DEMO_KEY), "keyId", "revoke missing")
    expect(404, call(base, "DELETE", f"{t}/api-keys/{key_id}", ACME_KEY), "revoke foreign")
    # The agent role is denied admin routes, but reads wrap-up codes.
    for method, path, body in (("GET", f"{t}/skills", None), ("POST", f"{t}/calendars", {}),
                               ("GET", f"{t}/audit", None), ("GET", f"{t}/api-keys", None),
                               ("DELETE", f"{t}/flows/main", None)):
        expect(403, call(base, method, path, agent, body), f"agent {method} {path}")
    expect(200, call(base, "GET", f"{t}/wrap-up-codes", agent), "agent reads wrap-up codes")
    return key, doomed["key"], agent


def sign_in(base, username, password):
    return sbtest.sign_in(base, username, password, timeout=20)


def make_calls(server, work):
    """An abandoned call (nobody registered), then one answered by alice."""
    procs = []
    try:
        def uac(scenario, extra, name):
            p = vd.Sipp(work, os.path.join(VOICE_DIR, scenario),
                        ["-s", "+15550100", f"127.0.0.1:{server.sip}", "-p", server.trunk, "-m", 1,
                         *extra], name)
            procs.append(p)
            return p
        vd.expect_ok(uac("uac-cancel.xml", ["-d", 800], "uac-cancel"))
        port = free_port()
        uas = vd.Sipp(work, os.path.join(VOICE_DIR, "uas-answer.xml"), ["-p", port, "-m", 1], "uas")
        procs.append(uas)
        time.sleep(0.3)
        code, reply = vd.register(server, "alice", "alice-demo", [f"sip:alice@127.0.0.1:{port}"],
                                  algorithm="MD5")
        if code != 200:
            fail(f"alice could not register: {code} {reply}")
        vd.expect_ok(uac("uac-call.xml", ["-d", 300], "uac-call"), uas)
    finally:
        for p in procs:
            p.stop()


def check_interactions(base, work, server):
    t = "/api/v1/tenants/demo"
    make_calls(server, work)
    recs = []
    for _ in range(100):  # records are written in batches, off the SIP thread
        recs = expect(200, call(base, "GET", f"{t}/interactions", DEMO_KEY), "search")["items"]
        if len(recs) >= 2 and all(r["disposition"] for r in recs):
            break
        time.sleep(0.1)
    if len(recs) != 2:
        fail(f"expected 2 records: {recs}")
    by_disp = {r["disposition"]: r for r in recs}
    if set(by_disp) != {"abandoned", "answered"} or by_disp["answered"]["agentId"] != "alice":
        fail(f"records: {recs}")
    ans, ab = by_disp["answered"], by_disp["abandoned"]

    def ids(q, token=DEMO_KEY):
        return sorted(r["id"] for r in list_all(base, f"{t}/interactions{q}", token, limit=1)[0])

    if ids("") != sorted([ans["id"], ab["id"]]):
        fail("paged search differs")
    if ids("?disposition=answered") != [ans["id"]] or ids("?agentId=alice") != [ans["id"]]:
        fail("disposition/agent filter")
    if ids("?disposition=abandoned&queueId=support") != [ab["id"]]:
        fail("queue+disposition filter")
    if ids("?queueId=sales") != [] or ids("?from=2199-01-01T00:00:00Z") != []:
        fail("empty filters")
    if not ab["arrivedAt"] < ans["arrivedAt"]:
        fail(f"the abandoned call came first: {recs}")
    arrived = urllib.parse.quote(ans["arrivedAt"])
    if ids(f"?from={arrived}") != [ans["id"]] or ids(f"?to={arrived}") != [ab["id"]]:
        fail("from is inclusive, to exclusive")
    if ids("?from=2000-01-01&to=2199-01-01T00:00:00%2B02:00") != sorted([ans["id"], ab["id"]]):
        fail("date-only from / offset to")
    for q, field in (("?from=yesterday", "from"), ("?from=2999-01-01", "from"), ("?to=2025-13-01", "to"),
                     ("?from=2025-01-02&to=2025-01-01", "to"), ("?disposition=lost", "disposition"),
                     ("?limit=0", "limit"), ("?limit=5000", "limit"), ("?cursor=%21%21", "cursor"),
                     ("?agentId=a%20b", "agentId"), ("?format=xml", "format")):
        expect_field(400, call(base, "GET", f"{t}/interactions{q}", DEMO_KEY), field, f"search {q}")
    one = expect(200, call(base, "GET", f"{t}/interactions/{ans['id']}", DEMO_KEY), "one record")
    if one != ans:
        fail(f"record by id differs: {one} vs {ans}")
    expect_field(404, call(base, "GET", f"{t}/interactions/nope", DEMO_KEY), "interactionId", "no record")
    expect(404, call(base, "GET", f"{t}/interactions/{ans['id']}", ACME_KEY), "foreign record")

    # CSV: both spellings, parsed with the csv module.
    for path in (f"{t}/interactions.csv", f"{t}/interactions?format=csv"):
        st, text, headers = call(base, "GET", path, DEMO_KEY, raw=True)
        if st != 200 or not headers.get("Content-Type", "").startswith("text/csv"):
            fail(f"csv {path}: {st} {headers.get('Content-Type')}")
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        if sorted(r["id"] for r in rows) != sorted([ans["id"], ab["id"]]):
            fail(f"csv rows: {rows}")
        row = next(r for r in rows if r["id"] == ans["id"])
        if row["agent_id"] != "alice" or row["disposition"] != "answered" or row["queue_id"] != "support":
            fail(f"csv row: {row}")
    st, text, _ = call(base, "GET", f"{t}/interactions.csv?disposition=abandoned", DEMO_KEY, raw=True)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    if [r["id"] for r in rows] != [ab["id"]]:
        fail(f"filtered csv: {rows}")

    # Agents see only their own records.
    alice = sign_in(base, "alice", "alice-api-pass")
    mine = expect(200, call(base, "GET", f"{t}/interactions", alice), "alice search")["items"]
    if [r["id"] for r in mine] != [ans["id"]]:
        fail(f"alice sees {mine}")
    expect_field(403, call(base, "GET", f"{t}/interactions?agentId=bob", alice), "agentId", "alice asks for bob")
    expect(200, call(base, "GET", f"{t}/interactions/{ans['id']}", alice), "alice's record")
    expect(404, call(base, "GET", f"{t}/interactions/{ab['id']}", alice), "someone else's record")
    st, text, _ = call(base, "GET", f"{t}/interactions.csv", alice, raw=True)
    if [r["id"] for r in csv.DictReader(io.StringIO(text, newline=""))] != [ans["id"]]:
        fail(f"alice's csv: {text}")
    expect(403, call(base, "GET", f"{t}/audit", alice), "alice reads audit")
    expect(403, call(base, "POST", f"{t}/skills", alice, {"name": "x"}), "alice writes skills")
    return sorted([ans["id"], ab["id"]])


def main():
    binary = sys.argv[1]
    work = tempfile.mkdtemp(prefix="sb-crud-")
    server = Server(binary, work)
    ok = False
    try:
        server.start()
        base = server.base
        spec = expect(200, call(base, "GET", "/api/v1/openapi.json"), "openapi")
        for p in ("/api/v1/tenants/{tenantId}/skills/{skillId}", "/api/v1/tenants/{tenantId}/flows",
                  "/api/v1/tenants/{tenantId}/wrap-up-codes/{codeId}",
                  "/api/v1/tenants/{tenantId}/calendars/{calendarId}",
                  "/api/v1/tenants/{tenantId}/audit", "/api/v1/tenants/{tenantId}/interactions",
                  "/api/v1/tenants/{tenantId}/interactions.csv",
                  "/api/v1/tenants/{tenantId}/interactions/{interactionId}"):
            if p not in spec["paths"]:
                fail(f"OpenAPI lacks {p}")
        expect(401, call(base, "GET", "/api/v1/tenants/demo/skills"), "anonymous")
        kept = check_crud(base)
        n_audit = check_audit(base)
        key, revoked, agent = check_keys(base)
        records = check_interactions(base, work, server)
        admin = sign_in(base, "admin", "admin-demo")
        expect(200, call(base, "GET", "/api/v1/tenants/demo/audit", admin), "admin account reads audit")

        server.stop()
        server.start()
        t = "/api/v1/tenants/demo"
        for coll, records_kept in kept.items():
            for i, before in records_kept.items():
                got = expect(200, call(base, "GET", f"{t}/{coll}/{i}", DEMO_KEY), f"{coll} after restart")
                if got != before:
                    fail(f"{coll}/{i} changed across a restart: {got} vs {before}")
        expect(200, call(base, "GET", f"{t}/skills", key), "created key after restart")
        expect(401, call(base, "GET", f"{t}/skills", revoked), "revoked key after restart")
        expect(403, call(base, "GET", f"{t}/skills", agent), "agent key after restart")
        entries, _ = list_all(base, f"{t}/audit", DEMO_KEY, limit=100)
        if len(entries) != n_audit:
            fail(f"audit after restart: {len(entries)} entries, had {n_audit}")
        after = sorted(r["id"] for r in expect(200, call(base, "GET", f"{t}/interactions", DEMO_KEY),
                                                 "records after restart")["items"])
        if after != records:
            fail(f"records after restart: {after} vs {records}")
        sign_in(base, "alice", "alice-api-pass")
        ok = True
        print("crud integration: OK")
    finally:
        server.stop()
        sbtest.finish(ok, work)


if __name__ == "__main__":
    main()
