#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Encrypted resource data (Graph rich notifications) against the real switchboard binary.

A receiver started here makes its RSA key and self-signed certificate with the `openssl`
command, subscribes to a presence with includeResourceData, and decrypts what arrives the way a
Graph receiver does, using only `openssl` and Python's hmac: RSA-OAEP (SHA-1) unwraps dataKey,
HMAC-SHA256 checks dataSignature, AES-256-CBC (IV = the key's first 16 bytes) opens data. The
batch's validationTokens entry is verified (ES256) against GET /api/v1/auth/jwks, again with
`openssl`, and is refused as a bearer token. Also: a bad certificate gets 400 naming the field,
and after a restart the subscription still encrypts for the same certificate.
Usage: resource_data_driver.py SWITCHBOARD SOURCE_DIR"""
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
import threading
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import sbtest  # noqa: E402
from sbtest import expect, fail, free_port  # noqa: E402

DEMO_KEY = "sb_demo_admin_key"
SESSION = "22553876-f5ab-4529-bffb-cfe50aa89f87"


def openssl(*args, data=None):
    r = subprocess.run(["openssl", *args], input=data, capture_output=True, timeout=30)
    if r.returncode != 0:
        fail(f"openssl {' '.join(args)}: {r.stderr.decode(errors='replace')}")
    return r.stdout


def b64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def iso(minutes):
    t = datetime.now(timezone.utc) + timedelta(minutes=minutes)
    return t.strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


class Receiver:
    def __init__(self):
        self.lock = threading.Lock()
        self.bodies = []
        self.hooks = sbtest.HookServer(self.respond)

    def respond(self, path, query, headers, body):
        token = query.get("validationToken")
        if token:
            return 200, token[0]
        with self.lock:
            self.bodies.append(json.loads(body))
        return 202, ""

    def items(self):
        with self.lock:
            return [(b, item) for b in self.bodies for item in b["value"]]


def decrypt(work, key_pem, content):
    """What a Graph receiver does with encryptedContent, step by step."""
    wrapped = os.path.join(work, "datakey.bin")
    with open(wrapped, "wb") as f:
        f.write(base64.b64decode(content["dataKey"]))
    key = openssl("pkeyutl", "-decrypt", "-inkey", key_pem, "-in", wrapped,
                  "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha1",
                  "-pkeyopt", "rsa_mgf1_md:sha1")
    if len(key) != 32:
        fail(f"dataKey unwrapped to {len(key)} bytes, not 32")
    data = base64.b64decode(content["data"])
    mac = hmac.new(key, data, hashlib.sha256).digest()
    if not hmac.compare_digest(mac, base64.b64decode(content["dataSignature"])):
        fail("dataSignature does not match HMAC-SHA256(dataKey, data)")
    plain = openssl("enc", "-d", "-aes-256-cbc", "-K", key.hex(), "-iv", key[:16].hex(),
                    data=data)
    return json.loads(plain)


def verify_es256(work, jwks, token):
    """Checks a compact JWS (ES256) against a JWK set with `openssl dgst -verify`."""
    head_b64, claims_b64, sig_b64 = token.split(".")
    header = json.loads(b64url(head_b64))
    if header.get("alg") != "ES256":
        fail(f"validation token alg {header}")
    jwk = next((k for k in jwks["keys"] if k.get("kid") == header.get("kid")), None)
    if jwk is None:
        fail(f"no JWK with kid {header.get('kid')} in {jwks}")
    # SubjectPublicKeyInfo of a P-256 point: fixed DER prefix, then 04 || x || y.
    spki = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200") + b"\x04" + \
        b64url(jwk["x"]) + b64url(jwk["y"])
    pub = os.path.join(work, "jwk.pem")
    with open(pub, "w") as f:
        f.write("-----BEGIN PUBLIC KEY-----\n" + base64.b64encode(spki).decode() +
                "\n-----END PUBLIC KEY-----\n")
    raw = b64url(sig_b64)

    def der_int(b):
        b = b.lstrip(b"\x00") or b"\x00"
        if b[0] & 0x80:
            b = b"\x00" + b
        return b"\x02" + bytes([len(b)]) + b
    seq = der_int(raw[:32]) + der_int(raw[32:])
    sig = os.path.join(work, "sig.der")
    with open(sig, "wb") as f:
        f.write(b"\x30" + bytes([len(seq)]) + seq)
    signed = os.path.join(work, "signed.txt")
    with open(signed, "w") as f:
        f.write(f"{head_b64}.{claims_b64}")
    openssl("dgst", "-sha256", "-verify", pub, "-signature", sig, signed)
    return json.loads(b64url(claims_b64))


def main():
    binary, source = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="sb-richhooks-")
    key_pem, cert_pem = os.path.join(work, "key.pem"), os.path.join(work, "cert.pem")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key_pem, "-out", cert_pem,
            "-days", "1", "-subj", "/CN=webhook receiver")
    cert_b64 = base64.b64encode(openssl("x509", "-in", cert_pem, "-outform", "DER")).decode()
    thumbprint = openssl("x509", "-in", cert_pem, "-noout", "-fingerprint", "-sha1").decode()
    thumbprint = thumbprint.strip().split("=", 1)[1].replace(":", "").upper()

    sip, http_port = free_port(), free_port()
    path = sbtest.demo_config(source, work, sip, http_port)
    base = f"http://127.0.0.1:{http_port}"
    rx = Receiver()
    server = sbtest.Server(binary, path, work, required=False, log_mode="a")
    ok = False

    def call(method, p, token=DEMO_KEY, body=None):
        return sbtest.call(base, method, p, token, body, timeout=20)

    def set_presence(availability, activity):
        expect(200, call("POST", "/graph/v1.0/users/alice/presence/setPresence",
                         body={"sessionId": SESSION, "availability": availability,
                               "activity": activity, "expirationDuration": "PT1H"}),
               "setPresence")

    def wait_for(pred, what):
        sbtest.wait_until(what, lambda: any(pred(b, i) for b, i in rx.items()), timeout=10)
        return next((b, i) for b, i in rx.items() if pred(b, i))

    try:
        sub = {"changeType": "updated", "notificationUrl": rx.hooks.url("rich"),
               "resource": "communications/presences/alice", "expirationDateTime": iso(30),
               "clientState": "rich-state", "includeResourceData": True,
               "encryptionCertificate": cert_b64, "encryptionCertificateId": "receiver-1"}
        for bad, reason in (("bm90IGEgY2VydA==", "X.509"), (None, "required")):
            body = dict(sub)
            if bad is None:
                del body["encryptionCertificate"]
            else:
                body["encryptionCertificate"] = bad
            err = expect(400, call("POST", "/graph/v1.0/subscriptions", body=body),
                         f"bad certificate {reason}")
            if "encryptionCertificate" not in json.dumps(err) or reason not in json.dumps(err):
                fail(f"bad certificate error does not name the field and reason: {err}")

        created = expect(201, call("POST", "/graph/v1.0/subscriptions", body=sub), "create")
        if created["includeResourceData"] is not True or \
                created["encryptionCertificateId"] != "receiver-1":
            fail(f"created: {created}")
        audience = created["applicationId"] or created["creatorId"]

        set_presence("Busy", "InACall")
        body, item = wait_for(lambda b, i: "encryptedContent" in i and
                              decrypt(work, key_pem, i["encryptedContent"])["activity"] ==
                              "InACall", "an encrypted Busy/InACall notification")
        if item["resourceData"] != {"@odata.type": "#Microsoft.Graph.presence",
                                    "@odata.id": "communications/presences('alice')",
                                    "id": "alice"}:
            fail(f"resourceData should only name the presence: {item['resourceData']}")
        if item["clientState"] != "rich-state" or item["subscriptionId"] != created["id"]:
            fail(f"item: {item}")
        content = item["encryptedContent"]
        if content["encryptionCertificateId"] != "receiver-1" or \
                content["encryptionCertificateThumbprint"] != thumbprint:
            fail(f"certificate id/thumbprint {content} (openssl says {thumbprint})")
        presence = decrypt(work, key_pem, content)
        if presence["id"] != "alice" or presence["availability"] != "Busy":
            fail(f"decrypted presence: {presence}")

        tokens = body.get("validationTokens")
        if not isinstance(tokens, list) or len(tokens) != 1:
            fail(f"validationTokens: {body}")
        jwks = expect(200, call("GET", "/api/v1/auth/jwks", token=None), "jwks")
        claims = verify_es256(work, jwks, tokens[0])
        if claims.get("aud") != audience or claims.get("tid") != "demo" or \
                claims.get("azp") != "switchboard-change-notifications":
            fail(f"validation token claims: {claims} (audience {audience})")
        expect(401, call("GET", "/api/v1/auth/me", token=tokens[0]),
               "validation token used as a bearer token")

        # Restart: the stored subscription still encrypts for the same certificate.
        if server.terminate() != 0:
            fail("server did not stop cleanly")
        server = sbtest.Server(binary, path, work, required=False, log_mode="a")
        set_presence("DoNotDisturb", "Presenting")
        _, item = wait_for(lambda b, i: "encryptedContent" in i and
                           decrypt(work, key_pem, i["encryptedContent"])["activity"] ==
                           "Presenting", "an encrypted notification after the restart")
        expect(204, call("DELETE", f"/graph/v1.0/subscriptions/{created['id']}"), "delete")
        ok = True
        print("resource data: ok")
    finally:
        server.terminate()
        rx.hooks.close()
        if not ok:
            sys.stderr.write(server.log_tail(4000))


if __name__ == "__main__":
    main()
