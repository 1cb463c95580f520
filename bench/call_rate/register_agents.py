#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Registers agents agent1..agentN (password pw-agentK) with MD5 digest, all with one contact
(the SIPp UAS port). Usage: register_agents.py SERVER_PORT DOMAIN N CONTACT_PORT [EXPIRES]
Exits 0 only if every REGISTER got a 200. Bounded: 3 tries per agent, 2 s per reply."""
import hashlib
import re
import socket
import sys
import time


def main():
    server_port, domain, n, contact_port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    expires = int(sys.argv[5]) if len(sys.argv) > 5 else 3600
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(2)
    lport = s.getsockname()[1]
    server = ("127.0.0.1", server_port)

    def transact(user, call_id, cseq, auth):
        branch = f"z9hG4bK{call_id}-{cseq}"
        msg = "\r\n".join([
            f"REGISTER sip:{domain} SIP/2.0",
            f"Via: SIP/2.0/UDP 127.0.0.1:{lport};branch={branch};rport",
            "Max-Forwards: 70",
            f"From: <sip:{user}@{domain}>;tag=b{cseq}",
            f"To: <sip:{user}@{domain}>",
            f"Call-ID: {call_id}", f"CSeq: {cseq} REGISTER",
            f"Contact: <sip:{user}@127.0.0.1:{contact_port}>",
            f"Expires: {expires}"] + ([auth] if auth else []) + ["Content-Length: 0", "", ""])
        s.sendto(msg.encode(), server)
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            try:
                data = s.recv(65535).decode(errors="replace")
            except socket.timeout:
                return None, ""
            if branch not in data:
                continue  # a late reply to an earlier try
            code = int(data.split(" ", 2)[1])
            if code >= 200:
                return code, data
        return None, ""

    def register(k):
        user, password = f"agent{k}", f"pw-agent{k}"
        call_id = f"bench-reg-{k}-{time.time_ns()}"
        code, reply = transact(user, call_id, 1, "")
        if code != 401:
            return code
        ch = next((l.split(":", 1)[1].strip() for l in reply.split("\r\n")
                   if l.lower().startswith("www-authenticate:") and "MD5" in l.upper()), None)
        if ch is None:
            return "no-md5-challenge"
        nonce = re.search(r'nonce="([^"]+)"', ch).group(1)
        realm = re.search(r'realm="([^"]+)"', ch).group(1)
        md5 = lambda x: hashlib.md5(x.encode()).hexdigest()
        ha1 = md5(f"{user}:{realm}:{password}")
        ha2 = md5(f"REGISTER:sip:{domain}")
        qop = "qop=" in ch
        if qop:
            resp = md5(f"{ha1}:{nonce}:00000001:0bench0:auth:{ha2}")
            extra = ', cnonce="0bench0", qop=auth, nc=00000001'
        else:
            resp = md5(f"{ha1}:{nonce}:{ha2}")
            extra = ""
        auth = (f'Authorization: Digest username="{user}", realm="{realm}", nonce="{nonce}", '
                f'uri="sip:{domain}", response="{resp}", algorithm=MD5{extra}')
        code, _ = transact(user, call_id, 2, auth)
        return code

    bad = []
    for k in range(1, n + 1):
        for _ in range(3):
            code = register(k)
            if code is not None:
                break
        if code != 200:
            bad.append((k, code))
    s.close()
    if bad:
        print(f"registration failed for {len(bad)} of {n} agents, first: {bad[:5]}", file=sys.stderr)
        return 1
    print(f"registered {n} agents")
    return 0


if __name__ == "__main__":
    sys.exit(main())
