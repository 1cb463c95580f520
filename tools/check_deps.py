#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Enforces the module dependency table of STYLE.md §2 / docs/ARCHITECTURE.md.

Every `#include "x/y.h"` in src/<module>/ must name a module that <module> may depend on.
Also rejects includes of another module's private headers (detail/ or *_impl.h).
Exit status 0 when clean; otherwise prints each violation as file:line: reason.
"""
import os
import re
import sys

# module -> modules it may include (itself is always allowed)
ALLOWED = {
    "common": set(),
    "sip": {"common"},
    "sdp": {"common"},
    "sip/transaction": {"common", "sip"},
    "sip/auth": {"common", "sip"},
    "registrar": {"common", "sip", "sip/auth"},
    "routing": {"common"},
    "analytics": {"common"},
    "presence": {"common"},
    "flow": {"common"},
    "media": {"common", "sdp"},
    "store": {"common"},
    "store/sqlite": {"common", "store"},
    "store/postgres": {"common", "store"},
    "sip/transport": {"common", "sip", "sip/transaction"},
    "media/net": {"common", "media"},
    "sim": {"common", "routing", "analytics"},
    "b2bua": {"common", "sip", "sip/transaction", "sip/auth", "sdp", "media"},
    "channels": {"common", "store"},
    "center": {"common", "sip", "sip/transaction", "sip/auth", "registrar", "sdp", "media", "b2bua", "flow", "routing",
               "presence", "analytics", "store", "channels"},
    "notify": {"common", "presence"},
    "oidc": {"common"},
    "api": {"common", "center", "store", "presence", "analytics", "routing", "notify", "oidc"},
    "app": None,  # the composition root may include anything
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def module_of(path):
    """Longest module prefix of a path relative to src/."""
    best = None
    for m in ALLOWED:
        if path == m or path.startswith(m + "/"):
            if best is None or len(m) > len(best):
                best = m
    return best


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
    root = os.path.normpath(root)
    violations = []
    for dirpath, _, files in os.walk(root):
        for name in files:
            if not name.endswith((".h", ".cpp")):
                continue
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            own = module_of(os.path.dirname(rel))
            if own is None:
                violations.append(f"src/{rel}:1: not inside a known module")
                continue
            allowed = ALLOWED[own]
            with open(full, encoding="utf-8", errors="replace") as f:
                for lineno, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    inc = m.group(1)
                    target = module_of(os.path.dirname(inc))
                    if target is None:
                        continue  # same-directory include or a generated file
                    if target == own:
                        continue
                    if "/detail/" in "/" + inc or inc.endswith("_impl.h"):
                        violations.append(f"src/{rel}:{lineno}: includes private header {inc}")
                    if allowed is not None and target not in allowed:
                        violations.append(
                            f"src/{rel}:{lineno}: module '{own}' may not depend on '{target}' ({inc})")
    for v in violations:
        print(v)
    print(f"check_deps: {len(violations)} violation(s)")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
