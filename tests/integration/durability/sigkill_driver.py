#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Accepted writes survive a crash: four clients create skills through the real API as fast as
they can; the server is killed with SIGKILL in the middle of the burst; after a restart every
skill whose POST got a 2xx must be there (writes that got no answer may or may not be), and
nothing that was never sent appears. Usage: sigkill_driver.py SWITCHBOARD SOURCE_DIR"""
import os
import signal
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from sbtest import Server, call, demo_config, fail, finish, free_port  # noqa: E402

KEY = "sb_demo_admin_key"
CLIENTS = 4
MAX_PER_CLIENT = 2000  # bounded: the kill comes long before


def main():
    binary, source = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="sb-sigkill-")
    http = free_port()
    config = demo_config(source, work, free_port(), http)
    base = f"http://127.0.0.1:{http}"
    ok = False
    server = Server(binary, config, work)
    try:
        acked = [[] for _ in range(CLIENTS)]
        stop = threading.Event()

        def burst(n):
            for i in range(MAX_PER_CLIENT):
                if stop.is_set():
                    return
                sid = f"k{n}-{i}"
                try:
                    st, _ = call(base, "POST", "/api/v1/tenants/demo/skills", KEY,
                                 {"id": sid, "name": sid}, timeout=5)
                except OSError:
                    return  # the server is gone
                if 200 <= st < 300:
                    acked[n].append(sid)

        threads = [threading.Thread(target=burst, args=(n,)) for n in range(CLIENTS)]
        for t in threads:
            t.start()
        deadline = time.time() + 20
        while sum(map(len, acked)) < 400 and time.time() < deadline:
            time.sleep(0.02)
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait()
        stop.set()
        for t in threads:
            t.join(timeout=10)
        total = sum(map(len, acked))
        if total < 400:
            fail(f"only {total} writes were acknowledged before the kill")

        server = Server(binary, config, work, log_mode="a")
        present = set()
        cursor = ""
        for _ in range(1000):
            st, page = call(base, "GET", "/api/v1/tenants/demo/skills?limit=500" +
                            (f"&cursor={cursor}" if cursor else ""), KEY)
            if st != 200:
                fail(f"list skills after restart: {st} {page}")
            present.update(item["id"] for item in page["items"])
            cursor = page.get("next") or ""
            if not cursor:
                break
        missing = [s for ids in acked for s in ids if s not in present]
        if missing:
            fail(f"{len(missing)} of {total} acknowledged writes lost, e.g. {missing[:5]}")
        sent_ids = {f"k{n}-{i}" for n in range(CLIENTS) for i in range(MAX_PER_CLIENT)}
        strays = [s for s in present if s.startswith("k") and s not in sent_ids]
        if strays:
            fail(f"records that were never written: {strays[:5]}")
        print(f"durability: ok ({total} acknowledged writes, all present after SIGKILL)")
        ok = True
    finally:
        server.terminate()
        finish(ok, work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
