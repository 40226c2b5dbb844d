#!/usr/bin/env python3
"""A signed device client of subnetra-mgmtd's device API, written from
docs/management-protocol.md ("Device requests", "Device API"), for
tests/netns/t_mgmtd_device.sh and tests/tools/mgmt_bench.py (bench/mgmt_scale.sh).

  mgmt_device.py req HOST:PORT SEEDHEX METHOD TARGET [options]
      --body JSON       the body (POST; Content-Type: application/json)
      --skew MS         sign with the clock off by MS
      --badsig          flip a bit of the signature
      --save FILE       also write the raw request bytes to FILE
      --out FILE        write the answer's body to FILE
    prints "<status> <ms> <Subnetra-Time or -> <body>" on one line
  mgmt_device.py raw HOST:PORT FILE      send saved bytes again; prints as req
"""
import base64
import hashlib
import json
import os
import socket
import sys
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

DOMAIN = b"subnetra/device-req/v1"


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Device:
    def __init__(self, seed_hex):
        self.sk = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed_hex))
        self.pk = self.sk.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    def headers(self, method, target, body=b"", skew_ms=0, badsig=False):
        t = str(int(time.time() * 1000) + skew_ms)
        nonce = b64(os.urandom(16))
        msg = b"".join([DOMAIN, b"\0", method.encode(), b"\n", target.encode(), b"\n",
                        t.encode(), b"\n", nonce.encode(), b"\n",
                        hashlib.blake2b(body, digest_size=32).digest()])
        sig = bytearray(self.sk.sign(msg))
        if badsig:
            sig[5] ^= 1
        return {"Subnetra-Key": b64(self.pk), "Subnetra-Time": t,
                "Subnetra-Nonce": nonce, "Subnetra-Sig": b64(bytes(sig))}

    def request_bytes(self, host, method, target, body=b"", **kw):
        h = self.headers(method, target, body, **kw)
        lines = ["%s %s HTTP/1.1" % (method, target), "Host: %s" % host,
                 "Connection: close"]
        lines += ["%s: %s" % kv for kv in h.items()]
        if body:
            lines += ["Content-Type: application/json", "Content-Length: %d" % len(body)]
        elif method == "POST":
            lines += ["Content-Length: 0"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def parse_answer(data):
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return status, hdrs, body


def send(addr, raw, timeout=400):
    host, port = addr.rsplit(":", 1)
    t0 = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(raw)
        chunks = []
        while True:
            c = s.recv(65536)
            if not c:
                break
            chunks.append(c)
    ms = int((time.monotonic() - t0) * 1000)
    return (*parse_answer(b"".join(chunks)), ms)


def cmd_req(argv):
    addr, seed, method, target = argv[:4]
    opts = {"--body": None, "--skew": "0", "--save": None, "--out": None}
    badsig = False
    i = 4
    while i < len(argv):
        if argv[i] == "--badsig":
            badsig = True
            i += 1
            continue
        opts[argv[i]] = argv[i + 1]
        i += 2
    body = opts["--body"].encode() if opts["--body"] is not None else b""
    raw = Device(seed).request_bytes(addr, method, target, body,
                                     skew_ms=int(opts["--skew"]), badsig=badsig)
    if opts["--save"]:
        open(opts["--save"], "wb").write(raw)
    show(addr, raw, opts["--out"])


def show(addr, raw, out=None):
    status, hdrs, body, ms = send(addr, raw)
    if out:
        open(out, "wb").write(body)
    # one line: the body's own newline (if any) ends it
    print(status, ms, hdrs.get("subnetra-time", "-"), body.decode(errors="replace").rstrip("\n"))


def version_of(env):
    """(epoch, serial, number of peers) of a config envelope's payload."""
    p = json.loads(env)["payload"]
    payload = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
    return payload["epoch"], payload["serial"], len(payload["peers"])


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    cmd, argv = sys.argv[1], sys.argv[2:]
    if cmd == "req":
        cmd_req(argv)
    elif cmd == "raw":
        show(argv[0], open(argv[1], "rb").read())
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
