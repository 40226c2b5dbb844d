#!/usr/bin/env python3
"""The load generator of bench/mgmt_scale.sh: N simulated devices (real
identities, every request Ed25519-signed by tests/tools/mgmt_device.py's
Device) against one or two subnetra-mgmtd, and an admin API client with a
bearer token.

  mgmt_bench.py --device HOST:PORT[,HOST:PORT] --admin HOST:PORT --cacert PEM
                --email EMAIL --password PW --codes FILE --seeds FILE
                --n N --g G --pids PID[,PID] [--spare K] [--writes SECS]
                [--sqlite DBFILE]

Device i talks to device listener i % (number of listeners) and joins
network i // G with the code on line i // G of FILE; the last line of FILE
is a code of network "spare", which K more devices join (they hold no
long-poll).  Every device fetches its bundle and parks a config long-poll.
Then one API change made through --admin (PUT /api/v1/networks/{net-0}/
devices/{spare 0}: spare device 0 attached to network 0): the time from
sending it until every device of network 0 holds a newer bundle (p50,
p99, max), how many other polls were answered (none should be: on a second
server they are woken, re-check their bundles and park again), and each
server's RSS.  With --writes SECS: K-1 connections each rename a spare
device in a loop (PATCH /api/v1/devices/{id}, one committed change with its
audit row and version bump each) for SECS seconds while the fleet stays
parked: writes per second and the write latency (p50, p99).  With --sqlite:
then a change the server cannot attribute (another process bumps the
version): the time until every parked poll re-checked and parked again.

Prints key=value lines (bench/mgmt_scale.sh records them); exit 0 when
every affected device got the new bundle and no other poll was answered.
"""
import argparse
import asyncio
import json
import os
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mgmt_device import Device, parse_answer, version_of  # noqa: E402


def split_addr(addr):
    host, port = addr.rsplit(":", 1)
    return host, int(port)


async def areq(addr, dev, method, target, body=b""):
    r, w = await asyncio.open_connection(*split_addr(addr))
    w.write(dev.request_bytes(addr, method, target, body))
    await w.drain()
    data = await r.read()
    w.close()
    status, _, b = parse_answer(data)
    return status, b


async def health(addr):
    r, w = await asyncio.open_connection(*split_addr(addr))
    w.write(("GET /healthz HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % addr).encode())
    await w.drain()
    data = await r.read()
    w.close()
    return json.loads(parse_answer(data)[2])


def cpu_ms(pid):
    """User + system CPU time of pid so far (ms)."""
    with open("/proc/%s/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 // os.sysconf("SC_CLK_TCK")


def rss_kib(pid):
    with open("/proc/%s/status" % pid) as f:
        for ln in f:
            if ln.startswith("VmRSS:"):
                return int(ln.split()[1])
    return 0


class Admin:
    """One keep-alive TLS connection to the admin API (a bearer token or a session)."""

    def __init__(self, addr, ctx):
        self.addr, self.ctx = addr, ctx
        self.r = self.w = None
        self.auth = {}

    async def req(self, method, path, body=None):
        if self.w is None:
            self.r, self.w = await asyncio.open_connection(*split_addr(self.addr), ssl=self.ctx)
        data = json.dumps(body).encode() if body is not None else b""
        h = ["%s %s HTTP/1.1" % (method, path), "Host: %s" % self.addr]
        h += ["%s: %s" % kv for kv in self.auth.items()]
        if body is not None:
            h += ["Content-Type: application/json"]
        h += ["Content-Length: %d" % len(data)]
        self.w.write(("\r\n".join(h) + "\r\n\r\n").encode() + data)
        await self.w.drain()
        head = await self.r.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            hdrs.setdefault(k.strip().lower(), v.strip())
        b = await self.r.readexactly(int(hdrs.get("content-length", "0")))
        if hdrs.get("connection", "").lower() == "close":
            self.w.close()
            self.r = self.w = None
        return status, hdrs, json.loads(b) if b else None

    async def login(self, email, pw):
        st, hdrs, b = await self.req("POST", "/api/v1/login", {"email": email, "password": pw})
        if st != 200:
            raise SystemExit("login: %d %s" % (st, b))
        sid = hdrs["set-cookie"].split(";")[0].split("=", 1)[1]
        self.auth = {"Cookie": "snt_session=" + sid, "X-Subnetra-CSRF": b["csrf"]}

    def close(self):
        if self.w is not None:
            self.w.close()


def newer(data, had):
    st, _, b = parse_answer(data)
    return st == 200 and version_of(b)[:2] > had[:2]


def pct(xs, p):
    return xs[min(len(xs) - 1, int(p * len(xs)))] * 1000 if xs else float("nan")


async def bench(a):
    listeners = a.device.split(",")
    pids = a.pids.split(",")
    k = len(listeners)
    n, g = a.n, a.g
    seeds = [ln.strip() for ln in open(a.seeds) if ln.strip()]
    codes = [ln.strip() for ln in open(a.codes) if ln.strip()]
    nets = (n + g - 1) // g
    if len(seeds) < n + a.spare or len(codes) < nets + 1:
        sys.exit("need %d seeds in %s, %d codes in %s" % (n + a.spare, a.seeds, nets + 1,
                                                          a.codes))
    devs = [Device(s) for s in seeds[:n + a.spare]]
    addr_of = [listeners[i % k] for i in range(n + a.spare)]
    address = [None] * (n + a.spare)
    sem = asyncio.Semaphore(16)

    async def join(i):
        code = codes[i // g] if i < n else codes[-1]
        async with sem:
            st, b = await areq(addr_of[i], devs[i], "POST", "/device/v1/join",
                               json.dumps({"code": code}).encode())
        if st != 200:
            raise SystemExit("join: %d %s" % (st, b[:200]))
        address[i] = json.loads(b)["device"]

    t0 = time.monotonic()
    await asyncio.gather(*(join(i) for i in range(n + a.spare)))
    print("devices=%d servers=%d group=%d spare=%d joined_s=%.1f" %
          (n, k, g, a.spare, time.monotonic() - t0))
    have = [None] * n

    async def first(i):
        async with sem:
            st, b = await areq(addr_of[i], devs[i], "GET", "/device/v1/config?wait=0")
        if st != 200:
            raise SystemExit("config: %d %s" % (st, b[:200]))
        have[i] = version_of(b)

    t0 = time.monotonic()
    await asyncio.gather(*(first(i) for i in range(n)))
    print("first_bundles_s=%.1f" % (time.monotonic() - t0))

    done = [None] * n
    change_at = [None]
    opened = [0]
    parked = asyncio.Event()

    async def poll(i):
        e, s, _ = have[i]
        r, w = await asyncio.open_connection(*split_addr(addr_of[i]))
        w.write(devs[i].request_bytes(addr_of[i], "GET",
                                      "/device/v1/config?have=%d.%d&wait=120" % (e, s)))
        await w.drain()
        opened[0] += 1
        if opened[0] == n:
            parked.set()
        data = await r.read()
        t = time.monotonic()
        w.close()
        # Only the time here: parsing 1,000 answers of a big network (the
        # bundles' base64 and JSON) would delay the reads of the others.
        if change_at[0] is not None:
            done[i] = (t - change_at[0], data)

    tasks = [asyncio.create_task(poll(i)) for i in range(n)]
    await parked.wait()
    # Every request written: wait until the servers hold them all (healthz counts).
    for _ in range(1200):
        waiting = [(await health(x))["waiting"] for x in listeners]
        if sum(waiting) >= n:
            break
        await asyncio.sleep(0.05)
    rss_parked = [rss_kib(p) for p in pids]

    ctx = ssl.create_default_context(cafile=a.cacert)
    adm = Admin(a.admin, ctx)
    await adm.login(a.email, a.password)
    st, _, b = await adm.req("POST", "/api/v1/tokens", {"scope": "admin",
                                                         "description": "bench"})
    if st != 201:
        raise SystemExit("token: %d %s" % (st, b))
    adm.close()
    token = {"Authorization": "Bearer " + b["token"]}
    api = Admin(a.admin, ctx)
    api.auth = token
    net0 = await find_id(api, "/api/v1/networks?limit=100", "name", "net-0")

    cpu0 = [cpu_ms(p) for p in pids]
    change_at[0] = time.monotonic()
    st, _, b = await api.req("PUT", "/api/v1/networks/%d/devices/%s" % (net0, address[n]))
    t_change = time.monotonic() - change_at[0]
    if st not in (200, 201, 204):
        raise SystemExit("attach: %d %s" % (st, b))
    affected = min(g, n)
    await asyncio.wait(tasks[:affected], timeout=60)
    cpu1 = [cpu_ms(p) for p in pids]
    # Held: a 200 with a bundle newer than the one the device had.
    held = [x[0] for i, x in enumerate(done[:affected]) if x is not None and newer(x[1], have[i])]
    lat = sorted(held)
    others = sum(1 for x in done[affected:] if x is not None and parse_answer(x[1])[0] == 200)
    print("change_api_ms=%.0f affected=%d got=%d others_woken=%d others=%d" %
          (t_change * 1000, affected, len(lat), others, n - affected))
    print("p50_ms=%.0f p99_ms=%.0f max_ms=%.0f" % (pct(lat, 0.5), pct(lat, 0.99), pct(lat, 1.0)))
    for j, p in enumerate(pids):
        print("rss%d_parked_kib=%d rss%d_after_kib=%d cpu%d_change_ms=%d" %
              (j, rss_parked[j], j, rss_kib(p), j, cpu1[j] - cpu0[j]))
    ok = len(lat) == affected and others == 0

    if a.writes > 0:
        await writes(a, ctx, token, address[n + 1:n + a.spare])
        for j, p in enumerate(pids):
            print("rss%d_writes_kib=%d" % (j, rss_kib(p)))
    if a.sqlite:
        await recheck_all(listeners[0], a.sqlite)
    api.close()
    for t in tasks:
        t.cancel()
    return 0 if ok else 1


async def find_id(api, path, key, value):
    """The id of the item of list path whose key is value (read page by page)."""
    cursor = ""
    while True:
        st, _, b = await api.req("GET", path + cursor)
        if st != 200:
            raise SystemExit("%s: %d %s" % (path, st, b))
        for x in b["items"]:
            if x[key] == value:
                return x["id"]
        if b.get("next_cursor") is None:
            raise SystemExit("%s: no %s %s" % (path, key, value))
        cursor = "&cursor=%s" % b["next_cursor"]


async def writes(a, ctx, token, addresses):
    """len(addresses) connections, each renaming its own device in a loop."""
    ids = []
    probe = Admin(a.admin, ctx)
    probe.auth = token
    for ad in addresses:
        ids.append(await find_id(probe, "/api/v1/devices?limit=100&q=%s" % ad, "address", ad))
    probe.close()
    lat, errors = [], [0]
    end = time.monotonic() + a.writes

    async def writer(j, dev_id):
        c = Admin(a.admin, ctx)
        c.auth = token
        seq = 0
        while time.monotonic() < end:
            seq += 1
            t0 = time.monotonic()
            st, _, b = await c.req("PATCH", "/api/v1/devices/%d" % dev_id,
                                   {"hostname": "w%d-%d" % (j, seq)})
            lat.append(time.monotonic() - t0)
            if st != 200:
                errors[0] += 1
        c.close()

    t0 = time.monotonic()
    await asyncio.gather(*(writer(j, d) for j, d in enumerate(ids)))
    el = time.monotonic() - t0
    lat.sort()
    print("writes=%d writes_s=%.1f writes_per_s=%.0f write_errors=%d writers=%d "
          "write_p50_ms=%.1f write_p99_ms=%.1f" % (len(lat), el, len(lat) / el, errors[0],
                                                   len(ids), pct(lat, 0.5), pct(lat, 0.99)))


async def recheck_all(addr, dbfile):
    """A change whose devices the server cannot know (another process bumps the
    version): every parked poll is woken, re-checks its bundle and parks again."""
    h = await health(addr)
    base, parked = h["devices"]["rebuilt_same"], h["waiting"]
    t0 = time.monotonic()
    subprocess.run(["sqlite3", dbfile, "UPDATE instance_version SET serial = serial + 1"],
                   check=True)
    for _ in range(1200):
        h = await health(addr)
        if h["devices"]["rebuilt_same"] - base >= parked and h["waiting"] >= parked:
            break
        await asyncio.sleep(0.05)
    print("recheck_polls=%d recheck_parked=%d recheck_ms=%.0f" %
          (h["devices"]["rebuilt_same"] - base, parked, (time.monotonic() - t0) * 1000))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for opt in ("--device", "--admin", "--cacert", "--email", "--password", "--codes",
                "--seeds", "--pids"):
        p.add_argument(opt, required=True)
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--g", type=int, required=True)
    p.add_argument("--spare", type=int, default=9)
    p.add_argument("--writes", type=float, default=0)
    p.add_argument("--sqlite")
    a = p.parse_args()
    if a.spare < 2:
        sys.exit("--spare must be at least 2 (one to attach, one to rename)")
    sys.exit(asyncio.run(bench(a)))


if __name__ == "__main__":
    main()
