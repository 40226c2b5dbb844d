#!/usr/bin/env python3
"""How a sign-in's argon2id check affects everything else subnetra-mgmtd serves
(docs/performance.md, "Management server": "Sign-ins and the event loop").

  bench/mgmt_login_latency.py MGMTD [--logins N] [--secs S]

Makes a throw-away instance (SQLite, in a temp dir), serves it on loopback,
keeps N sign-ins in flight for S seconds (N threads, each from its own
127.0.0.x source address so the per-address limit does not refuse them; each
signs in to an unknown address: the server verifies against its decoy hash,
the same argon2id work as a real check), and meanwhile asks the device
listener's /healthz every 20 ms.  Prints one line: the argon2id time of one
sign-in alone, the /healthz latency p50/p99/max under the load and without
it, and how many sign-ins were answered (and how: 401, 503).
"""
import http.client
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))] if xs else float("nan")


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__)
        return 2
    mgmtd, n, secs = args[0], 20, 10.0
    if "--logins" in args:
        n = int(args[args.index("--logins") + 1])
    if "--secs" in args:
        secs = float(args[args.index("--secs") + 1])
    tmp = tempfile.mkdtemp(prefix="snr-mgmt-login.")
    srv = None
    try:
        db = os.path.join(tmp, "mgmt.db")
        subprocess.run([mgmtd, "init", "--db", db, "--admin", "admin@example.org",
                        "--dir", os.path.join(tmp, "state")], check=True,
                       capture_output=True)
        log = open(os.path.join(tmp, "serve.log"), "w+")
        srv = subprocess.Popen([mgmtd, "serve", "--db", db, "--admin-listen", "127.0.0.1:0",
                                "--device-listen", "127.0.0.1:0"], stdout=log, stderr=log)
        admin = device = None
        for _ in range(200):
            text = open(log.name).read()
            a = re.search(r"admin listener on https://([^/]*)/", text)
            d = re.search(r"device listener on http://([^/]*)/", text)
            if a and d:
                admin, device = a.group(1), d.group(1)
                break
            time.sleep(0.05)
        if not admin:
            print("mgmtd did not start:", open(log.name).read())
            return 1
        ctx = ssl.create_default_context(cafile=os.path.join(tmp, "state", "tls-cert.pem"))
        ah, ap = admin.rsplit(":", 1)
        dh, dp = device.rsplit(":", 1)

        def login(src):
            c = http.client.HTTPSConnection(ah, int(ap), context=ctx, timeout=120,
                                            source_address=(src, 0))
            c.request("POST", "/api/v1/login",
                      body=json.dumps({"email": "nobody@%s.example.org" % src.replace(".", "-"),
                                       "password": "not-the-password"}),
                      headers={"Content-Type": "application/json"})
            st = c.getresponse()
            st.read()
            c.close()
            return st.status

        def healthz():
            c = http.client.HTTPConnection(dh, int(dp), timeout=120)
            t = time.monotonic()
            c.request("GET", "/healthz")
            c.getresponse().read()
            c.close()
            return (time.monotonic() - t) * 1000

        def probe(until, out):
            while time.monotonic() < until:
                out.append(healthz())
                time.sleep(0.02)

        # One sign-in alone: the argon2id check's time (plus a TLS handshake).
        alone = []
        for i in range(3):
            t = time.monotonic()
            login("127.0.1.%d" % (i + 1))
            alone.append((time.monotonic() - t) * 1000)
        idle = []
        probe(time.monotonic() + 2, idle)

        stop = time.monotonic() + secs
        statuses = []
        lock = threading.Lock()

        def worker(i):
            src = "127.0.2.%d" % (i + 1)
            while time.monotonic() < stop:
                s = login(src)
                with lock:
                    statuses.append(s)
                if s == 503:
                    time.sleep(0.2)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        time.sleep(0.3)  # all of them sent
        loaded = []
        probe(stop, loaded)
        for t in threads:
            t.join()
        counts = {s: statuses.count(s) for s in sorted(set(statuses))}
        print("sign-in alone %.0f ms (median of 3); /healthz idle p50 %.1f p99 %.1f ms; "
              "with %d sign-ins in flight for %.0f s: /healthz p50 %.1f p99 %.1f max %.1f ms "
              "(%d probes); sign-ins answered %s"
              % (sorted(alone)[1], pct(idle, 50), pct(idle, 99), n, secs, pct(loaded, 50),
                 pct(loaded, 99), max(loaded), len(loaded),
                 ", ".join("%d x %d" % (v, k) for k, v in counts.items())))
        return 0
    finally:
        if srv is not None:
            srv.terminate()
            srv.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
