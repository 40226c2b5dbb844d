#!/usr/bin/env python3
"""Helpers of t_mgmtd_http.sh (standard library + python3-cryptography + python3-yaml).

  mgmtd_http.py longpoll HOST PORT CAFILE N AFTER WAIT READY OUT
      N TLS connections, each GET /api/v1/events?after=AFTER&wait=WAIT
      (at most 100 handshakes at once); writes "sent N" to READY once
      every request is out, then waits for every answer and writes a JSON
      summary to OUT: {"n", "status": {code: count}, "cursors": {cursor:
      count}, "errors", "first_s", "last_s"} (seconds from the moment the
      READY file was written to the first and last answers).

  mgmtd_http.py verify-license FILE PUBKEYHEX
      An independent check of license.json: the envelope's key id is
      BLAKE2b-64 of the key, the Ed25519 signature verifies over
      "subnetra/license/v1" NUL payload, and the payload is a license;
      prints the payload's members as NAME=VALUE lines.  Exit 1 if not.

  mgmtd_http.py check-openapi YAMLFILE ROUTES_C
      A structural check of the OpenAPI document (Debian has no
      openapi-spec-validator package): openapi 3.0.x, info, paths whose
      operations each have an operationId and responses with valid status
      codes, path templates whose parameters are declared, every $ref
      resolving; and its (method, path) set equal to the non-test routes
      of http_routes.c.  Also runs openapi_spec_validator when importable.
"""
import asyncio
import base64
import hashlib
import json
import re
import ssl
import sys
import time


async def one(host, port, ctx, target, sem, results):
    try:
        async with sem:
            reader, writer = await asyncio.open_connection(host, port, ssl=ctx)
        writer.write(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                      % (target, host)).encode())
        await writer.drain()
        return reader, writer
    except Exception as e:  # noqa: BLE001 -- counted, reported
        results["errors"] += 1
        results["why"] = repr(e)
        return None


async def answer(rw, results, t0):
    reader, writer = rw
    try:
        data = await reader.read()
    except Exception as e:  # noqa: BLE001
        results["errors"] += 1
        results["why"] = repr(e)
        return
    finally:
        writer.close()
    now = time.monotonic() - t0
    results["first_s"] = min(results.get("first_s", now), now)
    results["last_s"] = max(results.get("last_s", 0), now)
    head, _, body = data.partition(b"\r\n\r\n")
    try:
        code = head.split(b" ", 2)[1].decode()
    except IndexError:
        code = "none"
    results["status"][code] = results["status"].get(code, 0) + 1
    if code == "200":
        try:
            cur = json.loads(body)["cursor"]
        except (ValueError, KeyError):
            cur = "unparsable"
        results["cursors"][cur] = results["cursors"].get(cur, 0) + 1


async def longpoll(host, port, cafile, n, after, wait, ready, out):
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = False
    sem = asyncio.Semaphore(100)
    results = {"n": n, "status": {}, "cursors": {}, "errors": 0}
    target = "/api/v1/events?after=%s&wait=%s" % (after, wait)
    conns = await asyncio.gather(*(one(host, port, ctx, target, sem, results) for _ in range(n)))
    t0 = time.monotonic()
    with open(ready, "w") as f:
        f.write("sent %d\n" % n)
    await asyncio.gather(*(answer(c, results, t0) for c in conns if c is not None))
    with open(out, "w") as f:
        json.dump(results, f)


def b64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def verify_license(path, pkhex):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.exceptions import InvalidSignature

    env = json.load(open(path))
    pk = bytes.fromhex(pkhex)
    if sorted(env) != ["key", "payload", "sig"]:
        print("envelope members: %s" % sorted(env))
        return 1
    if env["key"] != hashlib.blake2b(pk, digest_size=8).hexdigest():
        print("key id %s is not BLAKE2b-64 of the instance key" % env["key"])
        return 1
    payload = b64url(env["payload"])
    try:
        Ed25519PublicKey.from_public_bytes(pk).verify(b64url(env["sig"]),
                                                      b"subnetra/license/v1\0" + payload)
    except InvalidSignature:
        print("bad signature")
        return 1
    lic = json.loads(payload)
    want = ["type", "v", "instance", "name", "serial", "issued", "valid_until",
            "dashboard_url", "websetup_host", "api_servers", "base_servers",
            "max_devices", "signing_keys"]
    if list(lic) != want or lic["type"] != "license" or lic["v"] != 1:
        print("payload members: %s" % list(lic))
        return 1
    for k in want:
        v = lic[k]
        if k == "base_servers":
            v = ",".join("%s:%d:%d:%s" % (b["host"], b["udp_port"], b["tcp_port"],
                                          b["public_key"]) for b in v)
        elif isinstance(v, list):
            v = ",".join(v)
        print("%s=%s" % (k, v))
    return 0


def check_openapi(path, routes_c):
    import yaml

    doc = yaml.safe_load(open(path))
    errs = []
    if not str(doc.get("openapi", "")).startswith("3.0."):
        errs.append("openapi: want 3.0.x")
    if not doc.get("info", {}).get("title") or not doc.get("info", {}).get("version"):
        errs.append("info: title and version")

    def resolve(ref):
        node = doc
        for part in ref.lstrip("#/").split("/"):
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return True

    def walk(node, where):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "$ref" and not resolve(v):
                    errs.append("%s: $ref %s does not resolve" % (where, v))
                walk(v, where + "." + str(k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, "%s[%d]" % (where, i))

    walk(doc, "")
    documented = set()
    op_ids = set()
    for p, item in doc.get("paths", {}).items():
        names = set(re.findall(r"\{([^}]+)\}", p))
        for method, op in item.items():
            if method not in ("get", "put", "post", "delete", "patch", "head", "options"):
                continue
            documented.add((method.upper(), p))
            oid = op.get("operationId")
            if not oid or oid in op_ids:
                errs.append("%s %s: a unique operationId" % (method, p))
            op_ids.add(oid)
            codes = op.get("responses", {})
            if not codes or not all(re.fullmatch(r"[1-5][0-9][0-9]|default", str(c)) for c in codes):
                errs.append("%s %s: responses" % (method, p))
            declared = {q["name"] for q in op.get("parameters", []) + item.get("parameters", [])
                        if q.get("in") == "path"}
            if declared != names:
                errs.append("%s %s: path parameters %s declared %s" % (method, p, names, declared))
    served = set()
    for m, p, flags in re.findall(r'\{"([A-Z]+)", "([^"]+)", ([A-Z| ]+),', open(routes_c).read()):
        # TEST: served only to the tests; UI: the dashboard's files, not the API.
        if "TEST" not in flags and flags.strip() != "UI":
            served.add((m, p))
    if served != documented:
        errs.append("routes served but not documented: %s; documented but not served: %s"
                    % (sorted(served - documented), sorted(documented - served)))
    try:
        from openapi_spec_validator import validate
        validate(doc)
        print("openapi_spec_validator: valid")
    except ImportError:
        print("openapi_spec_validator: not installed (structural check only)")
    except Exception as e:  # noqa: BLE001
        errs.append("openapi_spec_validator: %s" % e)
    for e in errs:
        print(e)
    print("%d operations, %d errors" % (len(documented), len(errs)))
    return 1 if errs else 0


def main(argv):
    if argv[1] == "longpoll":
        host, port, cafile, n, after, wait, ready, out = argv[2:10]
        asyncio.run(longpoll(host, int(port), cafile, int(n), after, wait, ready, out))
        return 0
    if argv[1] == "verify-license":
        return verify_license(argv[2], argv[3])
    if argv[1] == "check-openapi":
        return check_openapi(argv[2], argv[3])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
