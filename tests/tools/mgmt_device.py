#!/usr/bin/env python3
"""A signed device client of subnetra-mgmtd's device API, written from
docs/management-protocol.md ("Device requests", "Device API"), for
tests/netns/t_mgmtd_device.sh and bench/mgmt_scale.sh.

  mgmt_device.py req HOST:PORT SEEDHEX METHOD TARGET [options]
      --body JSON       the body (POST; Content-Type: application/json)
      --skew MS         sign with the clock off by MS
      --badsig          flip a bit of the signature
      --save FILE       also write the raw request bytes to FILE
      --out FILE        write the answer's body to FILE
    prints "<status> <ms> <Subnetra-Time or -> <body>" on one line
  mgmt_device.py raw HOST:PORT FILE      send saved bytes again; prints as req
  mgmt_device.py bench HOST:PORT CODEFILE SEEDFILE N G PID [DBFILE]
      N devices (seeds from SEEDFILE) join, device i with the code on line
      i // G of CODEFILE (one network per code: networks of G devices),
      fetch their bundle, hold a long-poll each; then one more device joins
      network 0 (the change): the time until every device of network 0
      holds a newer bundle (p50/p99/max), how many other polls were woken
      (none should be), and mgmtd's RSS (PID); with DBFILE, then a change
      made by another process (the version bumped in SQLite): the time for
      every parked poll to re-check its bundle and park again.
"""
import asyncio
import base64
import hashlib
import json
import os
import socket
import subprocess
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


# ---- bench ----------------------------------------------------------------------------

async def areq(addr, dev, method, target, body=b""):
    host, port = addr.rsplit(":", 1)
    r, w = await asyncio.open_connection(host, int(port))
    w.write(dev.request_bytes(addr, method, target, body))
    await w.drain()
    data = await r.read()
    w.close()
    status, hdrs, b = parse_answer(data)
    return status, b


def version_of(env):
    p = json.loads(env)["payload"]
    payload = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
    return payload["epoch"], payload["serial"], len(payload["peers"])


def rss_kib(pid):
    for ln in open("/proc/%s/status" % pid):
        if ln.startswith("VmRSS:"):
            return int(ln.split()[1])
    return 0


async def bench(addr, codefile, seedfile, n, g, pid, dbfile=None):
    seeds = [ln.strip() for ln in open(seedfile) if ln.strip()]
    codes = [ln.strip() for ln in open(codefile) if ln.strip()]
    if len(seeds) < n + 1 or len(codes) < (n + g - 1) // g:
        sys.exit("need %d seeds in %s, %d codes in %s" % (n + 1, seedfile,
                                                          (n + g - 1) // g, codefile))
    devs = [Device(s) for s in seeds[:n + 1]]
    sem = asyncio.Semaphore(16)

    def body(i):
        return json.dumps({"code": codes[i // g if i < n else 0]}).encode()

    async def join(i):
        async with sem:
            st, b = await areq(addr, devs[i], "POST", "/device/v1/join", body(i))
            if st != 200:
                raise SystemExit("join: %d %s" % (st, b[:200]))

    t0 = time.monotonic()
    await asyncio.gather(*(join(i) for i in range(n)))
    t_join = time.monotonic() - t0
    have = [None] * n

    async def first(i):
        async with sem:
            st, b = await areq(addr, devs[i], "GET", "/device/v1/config?wait=0")
            if st != 200:
                raise SystemExit("config: %d %s" % (st, b[:200]))
            have[i] = version_of(b)

    t0 = time.monotonic()
    await asyncio.gather(*(first(i) for i in range(n)))
    t_first = time.monotonic() - t0
    done = [None] * n
    change_at = [None]
    parked = asyncio.Event()
    opened = [0]

    async def poll(i):
        e, s, _ = have[i]
        host, port = addr.rsplit(":", 1)
        r, w = await asyncio.open_connection(host, int(port))
        target = "/device/v1/config?have=%d.%d&wait=120" % (e, s)
        w.write(devs[i].request_bytes(addr, "GET", target))
        await w.drain()
        opened[0] += 1
        if opened[0] == n:
            parked.set()
        data = await r.read()
        t = time.monotonic()
        w.close()
        st, _, b = parse_answer(data)
        if st == 200 and change_at[0] is not None:
            done[i] = (t - change_at[0], version_of(b))

    tasks = [asyncio.create_task(poll(i)) for i in range(n)]
    await parked.wait()
    # every request written: let the server take them all in (its healthz counts)
    for _ in range(600):
        st, b = await health(addr)
        if json.loads(b).get("waiting", 0) >= n:
            break
        await asyncio.sleep(0.05)
    rss_parked = rss_kib(pid)
    change_at[0] = time.monotonic()
    st, b = await areq(addr, devs[n], "POST", "/device/v1/join", body(n))
    t_change = time.monotonic() - change_at[0]
    affected = min(g, n)
    await asyncio.wait(tasks[:affected], timeout=60)
    lat = sorted(x[0] for x in done[:affected] if x is not None)
    got = len(lat)
    others = sum(1 for x in done[affected:] if x is not None)
    def pct(p):
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")
    print("devices=%d joined_in_s=%.1f first_bundles_in_s=%.1f" % (n, t_join, t_first))
    print("change: join of one more device into network 0 (%d ms); affected polls "
          "answered with a newer bundle: %d/%d; others woken: %d/%d" %
          (t_change * 1000, got, affected, others, n - affected))
    print("latency_ms p50=%.0f p99=%.0f max=%.0f" % (pct(0.5), pct(0.99), pct(1.0)))
    print("mgmtd_rss_kib parked=%d after=%d" % (rss_parked, rss_kib(pid)))
    if dbfile:
        await recheck_all(addr, dbfile, n)
    for t in tasks:
        t.cancel()
    return 0 if got == affected and others == 0 else 1


async def recheck_all(addr, dbfile, n):
    """A change whose affected set the server cannot know (another process
    bumps the version): every parked poll is woken and re-checks its
    bundle; measure until all of them did (rebuilt_same) and parked again."""
    st, b = await health(addr)
    base = json.loads(b)["devices"]["rebuilt_same"]
    parked = json.loads(b)["waiting"]
    t0 = time.monotonic()
    subprocess.run(["sqlite3", dbfile, "UPDATE instance_version SET serial = serial + 1"],
                   check=True)
    for _ in range(1200):
        st, b = await health(addr)
        h = json.loads(b)
        if h["devices"]["rebuilt_same"] - base >= parked and h["waiting"] >= parked:
            break
        await asyncio.sleep(0.05)
    print("unknown change (version bumped by another process): %d of %d parked polls "
          "re-checked and parked again in %.0f ms (incl. the 200 ms change poll)" %
          (h["devices"]["rebuilt_same"] - base, parked, (time.monotonic() - t0) * 1000))


async def health(addr):
    host, port = addr.rsplit(":", 1)
    r, w = await asyncio.open_connection(host, int(port))
    w.write(("GET /healthz HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % addr).encode())
    await w.drain()
    data = await r.read()
    w.close()
    st, _, b = parse_answer(data)
    return st, b


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    cmd, argv = sys.argv[1], sys.argv[2:]
    if cmd == "req":
        cmd_req(argv)
    elif cmd == "raw":
        show(argv[0], open(argv[1], "rb").read())
    elif cmd == "bench":
        sys.exit(asyncio.run(bench(argv[0], argv[1], argv[2], int(argv[3]), int(argv[4]),
                                   argv[5], argv[6] if len(argv) > 6 else None)))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
