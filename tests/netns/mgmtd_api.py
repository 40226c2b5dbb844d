#!/usr/bin/env python3
"""The admin REST API suite of t_mgmtd_api.sh (standard library only).

  mgmtd_api.py ADDR CAFILE ADMIN_EMAIL ADMIN_PASSWORD DEVICES SERVER_LOG

ADDR is the admin listener (host:port), DEVICES a file of overlay
addresses of devices already in the database (one a line, at least 12),
SERVER_LOG the server's log (searched for secrets at the end).  Prints
"ok - DESC" / "not ok - DESC" lines and "# ..." diagnostics; t_mgmtd_api.sh
turns them into TAP.  Every request goes through req(), which records each
answer, so that the secrets check sees all of them.

Checks: an authorization matrix (routes x anonymous, member, owner, admin,
read token, write token, revoked token, expired token) with expected
statuses, each request followed by a look at the audit log: a 2xx change
left exactly one row (its actor and remote address right), a refusal or a
read none; CSRF; strict bodies; 413; the long-poll woken by a change; login
rate limits (per account, per address); no secret in any answer but its
creation's, nor in the log.
"""
import base64
import hashlib
import hmac
import http.client
import json
import re
import ssl
import struct
import sys
import threading
import time

ADDR, CAFILE, ADMIN_EMAIL, ADMIN_PW, DEVFILE, SRVLOG = sys.argv[1:7]
HOST, PORT = ADDR.rsplit(":", 1)
CTX = ssl.create_default_context(cafile=CAFILE)
CTX.check_hostname = False
FAILS = 0
SECRETS = {}        # secret text -> what it is
ANSWERS = []        # (request, body text, secrets allowed in it)


def report(good, desc, detail=""):
    global FAILS
    print(("ok - " if good else "not ok - ") + desc, flush=True)
    if not good:
        FAILS += 1
        for line in str(detail).splitlines()[:20]:
            print("# " + line, flush=True)
    return good


def req(method, path, body=None, who=None, raw=None, headers=None, allow=(), ctype=True):
    """One request as who (an Actor or None; or as the third argument when there is
    no body): (status, parsed JSON or text, headers)."""
    if isinstance(body, Actor):
        body, who = None, body
    conn = http.client.HTTPSConnection(HOST, int(PORT), context=CTX, timeout=60)
    h = dict(headers or {})
    data = raw if raw is not None else (json.dumps(body) if body is not None else None)
    if data is not None and ctype:
        h.setdefault("Content-Type", "application/json")
    if who is not None:
        who.sign(method, h)
    conn.request(method, path, body=data, headers=h)
    resp = conn.getresponse()
    text = resp.read().decode("utf-8", "replace")
    hdrs = resp.getheaders()
    conn.close()
    ANSWERS.append(("%s %s" % (method, path), text + "\n" + "\n".join(
        "%s: %s" % (k, v) for k, v in hdrs if k.lower() != "set-cookie"), set(allow)))
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        parsed = text
    return resp.status, parsed, hdrs


class Actor:
    def __init__(self, name, token=None, session=None, csrf=None):
        self.name, self.token, self.session, self.csrf = name, token, session, csrf

    def sign(self, method, h):
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        if self.session:
            h["Cookie"] = "snt_session=" + self.session
            if method not in ("GET", "HEAD") and self.csrf:
                h["X-Subnetra-CSRF"] = self.csrf


def login(email, pw):
    st, b, hdrs = req("POST", "/api/v1/login", {"email": email, "password": pw})
    if st != 200:
        return st, None
    cookie = [v for k, v in hdrs if k.lower() == "set-cookie"][0]
    sid = cookie.split(";")[0].split("=", 1)[1]
    SECRETS[sid] = "a session id"
    return st, Actor(email, session=sid, csrf=b["csrf"]), cookie


def must(cond, what, detail=""):
    if not report(cond, what, detail):
        print("Bail out! " + what, flush=True)
        sys.exit(1)


# ---- the cast --------------------------------------------------------------------

r = login(ADMIN_EMAIL, ADMIN_PW)
must(r[0] == 200, "the first admin signs in (200)", r)
admin, cookie = r[1], r[2]
report(all(a in cookie for a in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/")),
       "the session cookie is HttpOnly; Secure; SameSite=Strict", cookie)
SECRETS[ADMIN_PW] = "the admin's password"
st, b, _ = req("POST", "/api/v1/tokens", {"scope": "admin", "description": "auditor"}, admin,
               allow={"tok"})
must(st == 201, "an admin token for the auditor (201)", b)
auditor = Actor("auditor", token=b["token"])
SECRETS[b["token"].rsplit("_", 1)[1]] = "a token secret"
ANSWERS[-1][2].add(b["token"].rsplit("_", 1)[1])


def audit_last():
    """The id of the last audit row (the events cursor's audit part)."""
    return req("GET", "/api/v1/events", auditor)[1]["audit"]


def audit_after(last):
    st, b, _ = req("GET", "/api/v1/audit?limit=500&cursor=%d" % last if last else
                   "/api/v1/audit?limit=500", auditor)
    return b["items"] if st == 200 else None


def account(email, pw, role="member"):
    st, b, _ = req("POST", "/api/v1/accounts", {"email": email, "password": pw, "role": role},
                   admin)
    must(st == 201, "account %s created (201)" % email, b)
    SECRETS[pw] = "a password"
    return b["id"]


owner_id = account("owner@example.org", "owner-password-1")
member_id = account("member@example.org", "member-password-1")
other_id = account("other@example.org", "other-password-1")
owner = login("owner@example.org", "owner-password-1")[1]
member = login("member@example.org", "member-password-1")[1]


def token(scope, who=None, **kw):
    st, b, _ = req("POST", "/api/v1/tokens", dict(scope=scope, **kw), who or owner)
    must(st == 201, "a %s token (201)" % scope, b)
    secret = b["token"].rsplit("_", 1)[1]
    SECRETS[secret] = "a token secret"
    ANSWERS[-1][2].add(secret)
    return b


readt = Actor("read token", token=token("read")["token"])
writet = Actor("write token", token=token("write")["token"])
rv = token("write")
revoked = Actor("revoked token", token=rv["token"])
st, b, _ = req("DELETE", "/api/v1/tokens/%d" % rv["id"], owner)
must(st == 204, "a token revoked (204)", b)
expired = Actor("expired token", token=token("write", expires_at=int(time.time()) + 4)["token"])
ACTORS = [None, member, owner, admin, readt, writet, revoked, expired]
NAMES = ["anonymous", "member", "owner", "admin", "read token", "write token",
         "revoked token", "expired token"]

st, b, _ = req("POST", "/api/v1/networks", {"name": "main"}, owner)
must(st == 201, "the owner's network (201)", b)
N1 = b["id"]
DEVS = [l.strip() for l in open(DEVFILE) if l.strip()]
for d in DEVS:
    st, b, _ = req("PUT", "/api/v1/networks/%d/devices/%s" % (N1, d), admin)
    must(st == 204, "device %s attached to the owner's network (204)" % d, b)
st, b, _ = req("GET", "/api/v1/devices?network=%d&limit=500" % N1, owner)
must(st == 200 and len(b["items"]) == len(DEVS), "the owner lists them", b)
DEV_ID = {d["address"]: d["id"] for d in b["items"]}
D1 = DEVS[0]
POOL = list(DEVS[1:])   # devices to delete, one per allowed actor

# The expired token: valid at first, then 401 once its time passed.
deadline = time.time() + 30
while time.time() < deadline and req("GET", "/api/v1/me", expired)[0] == 200:
    time.sleep(0.2)
report(req("GET", "/api/v1/me", expired)[0] == 401, "the token past its expiry: 401")

# ---- the matrix --------------------------------------------------------------------

SEQ = [0]


def uniq(p):
    SEQ[0] += 1
    return "%s-%d" % (p, SEQ[0])


def fresh_network(with_d1=False):
    st, b, _ = req("POST", "/api/v1/networks", {"name": uniq("n")}, owner)
    if with_d1:
        req("PUT", "/api/v1/networks/%d/devices/%s" % (b["id"], D1), owner)
    return b["id"]


def fresh_token():
    return token("read")["id"]


def fresh_code():
    st, b, _ = req("POST", "/api/v1/join-codes", {"network": N1}, owner, allow={"code"})
    SECRETS[b["code"].split("_")[2]] = "a join code secret"
    ANSWERS[-1][2].add(b["code"].split("_")[2])
    return b["id"]


def pool_device():
    return DEV_ID[POOL[0]]


# (method, path or setup -> path, body, codes per actor in ACTORS order, a label)
A, Mb, Ow, Ad, Rd, Wr, Rv, Ex = range(8)
CASES = [
    ("GET", "/api/v1/me", None, [401, 200, 200, 200, 200, 200, 401, 401]),
    # One's own credentials: sessions; tokens need admin scope to change them.
    # No case changes one (the sign-in limits and later logins must hold):
    # each stops at its missing member, or at a code with no secret to check.
    ("GET", "/api/v1/me/totp", None, [401, 200, 200, 200, 200, 200, 401, 401]),
    ("POST", "/api/v1/me/password", {"password": "long-enough-pw-2"},
     [401, 422, 422, 422, 403, 403, 401, 401]),
    ("POST", "/api/v1/me/totp", {}, [401, 422, 422, 422, 403, 403, 401, 401]),
    ("POST", "/api/v1/me/totp/confirm", {"code": "000000"},
     [401, 409, 409, 409, 403, 403, 401, 401]),
    ("POST", "/api/v1/me/totp/disable", {"code": "000000"},
     [401, 422, 422, 422, 403, 403, 401, 401]),
    ("GET", "/api/v1/accounts", None, [401, 403, 403, 200, 403, 403, 401, 401]),
    ("POST", "/api/v1/accounts", lambda: {"email": uniq("x") + "@example.org",
                                          "password": "long-enough-pw-1"},
     [401, 403, 403, 201, 403, 403, 401, 401]),
    ("PATCH", "/api/v1/accounts/%d" % other_id, {"role": "member"},
     [401, 403, 403, 200, 403, 403, 401, 401]),
    ("GET", "/api/v1/tokens", None, [401, 200, 200, 200, 403, 403, 401, 401]),
    ("POST", "/api/v1/tokens", {"scope": "read"}, [401, 201, 201, 201, 403, 403, 401, 401]),
    ("DELETE", lambda: "/api/v1/tokens/%d" % fresh_token(), None,
     [401, 403, 204, 204, 403, 403, 401, 401]),
    ("GET", "/api/v1/networks", None, [401, 200, 200, 200, 200, 200, 401, 401]),
    ("POST", "/api/v1/networks", lambda: {"name": uniq("net")},
     [401, 201, 201, 201, 403, 201, 401, 401]),
    ("GET", "/api/v1/networks/%d" % N1, None, [401, 403, 200, 200, 200, 200, 401, 401]),
    ("PATCH", lambda: "/api/v1/networks/%d" % fresh_network(), lambda: {"name": uniq("r")},
     [401, 403, 200, 200, 403, 200, 401, 401]),
    ("DELETE", lambda: "/api/v1/networks/%d" % fresh_network(True), None,
     [401, 403, 204, 204, 403, 204, 401, 401]),
    ("PUT", lambda: "/api/v1/networks/%d/shares/%d" % (fresh_network(), other_id),
     {"role": "viewer"}, [401, 403, 204, 204, 403, 403, 401, 401]),
    ("DELETE", lambda: "/api/v1/networks/%d/shares/%d" % (fresh_network(), other_id), None,
     [401, 403, 204, 204, 403, 403, 401, 401]),
    ("PUT", lambda: "/api/v1/networks/%d/devices/%s" % (fresh_network(), D1), None,
     [401, 403, 204, 204, 403, 204, 401, 401]),
    ("DELETE", lambda: "/api/v1/networks/%d/devices/%s" % (fresh_network(True), D1), None,
     [401, 403, 204, 204, 403, 204, 401, 401]),
    ("GET", "/api/v1/devices", None, [401, 200, 200, 200, 200, 200, 401, 401]),
    ("GET", "/api/v1/devices/%d" % DEV_ID[D1], None, [401, 403, 200, 200, 200, 200, 401, 401]),
    ("PATCH", "/api/v1/devices/%d" % DEV_ID[D1], {"blocked": False},
     [401, 403, 200, 200, 403, 200, 401, 401]),
    ("DELETE", lambda: "/api/v1/devices/%d" % pool_device(), None,
     [401, 403, 204, 204, 403, 204, 401, 401]),
    ("GET", "/api/v1/join-codes", None, [401, 200, 200, 200, 200, 200, 401, 401]),
    ("POST", "/api/v1/join-codes", {"network": N1}, [401, 403, 201, 201, 403, 201, 401, 401]),
    ("POST", "/api/v1/join-codes", {}, [401, 201, 201, 201, 403, 201, 401, 401]),
    ("DELETE", lambda: "/api/v1/join-codes/%d" % fresh_code(), None,
     [401, 403, 204, 204, 403, 204, 401, 401]),
    ("POST", "/api/v1/claims", {"secret": "ab" * 32, "network": N1},
     [401, 403, 404, 404, 403, 404, 401, 401]),
    ("GET", "/api/v1/audit", None, [401, 403, 403, 200, 403, 403, 401, 401]),
]

for method, path, body, codes in CASES:
    for i, who in enumerate(ACTORS):
        p = path if isinstance(path, str) else path()
        label = re.sub(r"/(\d+|fc94[^/]*)", "/{..}", p)
        bd = body() if callable(body) else body
        before = audit_last()
        st, b, _ = req(method, p, bd, who, allow={"tok", "code"})
        if method == "POST" and isinstance(b, dict):
            for k in ("token", "code"):   # creation answers: their secret shown once
                if k in b and isinstance(b[k], str) and b[k].count("_") >= 2:
                    s = b[k].split("_")[2] if k == "code" else b[k].rsplit("_", 1)[1]
                    SECRETS[s] = "a secret"
                    ANSWERS[-1][2].add(s)
        rows = audit_after(before)
        changed = 200 <= st < 300 and method != "GET"
        good = st == codes[i] and rows is not None and len(rows) == (1 if changed else 0)
        if good and changed:
            row = rows[0]
            good = row["remote"] == "127.0.0.1" and row["actor"]["kind"] == (
                "token" if who.token else "account")
        if st == 200 and isinstance(b, dict) and "error" in b:
            good = False
        if st >= 400:
            good = good and isinstance(b, dict) and set(b.get("error", {})) == {"code", "message"}
        if method == "DELETE" and "/devices/" in p and "/networks/" not in p and st == 204:
            POOL.pop(0)
        report(good, "%s %s as %s: %d, %s audit row" % (method, label, NAMES[i], codes[i],
                                                          "one" if changed else "no"),
               "got %d %s; audit rows %s" % (st, b, rows))

# ---- CSRF, bodies, sizes: refused with nothing changed ------------------------------------

def refused(desc, method, path, want, code=None, who=None, field=None, **kw):
    before = audit_last()
    st, b, _ = req(method, path, who=who or owner, **kw)
    after = audit_last()
    good = st == want and after == before and isinstance(b, dict)
    if good and code:
        good = b["error"]["code"] == code
    if good and field:
        good = field in b["error"]["message"]
    report(good, desc, "got %d %s (audit %d -> %d)" % (st, b, before, after))


nets = lambda: req("GET", "/api/v1/networks?limit=500", owner)[1]["items"]
before_nets = nets()
nocsrf = Actor("no csrf", session=owner.session)
refused("a session's POST without X-Subnetra-CSRF: 403 csrf, nothing changed", "POST",
        "/api/v1/networks", 403, "csrf", who=nocsrf, body={"name": "sneaky"})
badcsrf = Actor("bad csrf", session=owner.session, csrf="00" * 32)
refused("... with a wrong X-Subnetra-CSRF: 403", "POST", "/api/v1/networks", 403, "csrf",
        who=badcsrf, body={"name": "sneaky"})
refused("... a DELETE without it: 403", "DELETE", "/api/v1/networks/%d" % N1, 403, "csrf",
        who=nocsrf)
report(nets() == before_nets, "... the networks are as they were")
refused("an unknown member: 422 naming it", "POST", "/api/v1/networks", 422,
        "unknown_field", body={"name": "x", "colour": "red"}, field="colour")
refused("a member of the wrong type: 422 naming it", "POST", "/api/v1/networks", 422,
        "invalid_field", body={"name": 7}, field="name")
refused("a missing member: 422 naming it", "POST", "/api/v1/tokens", 422, "invalid_field",
        body={}, field="scope")
refused("an array body: 422", "POST", "/api/v1/networks", 422, body=[1])
refused("malformed JSON: 400", "POST", "/api/v1/networks", 400, "malformed_json",
        raw='{"name":')
refused("a form post: 415", "POST", "/api/v1/networks", 415, raw="name=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"})
refused("a body over 64 KiB: 413", "POST", "/api/v1/networks", 413, "body_too_large",
        raw=json.dumps({"name": "x" * 70000}))
refused("PATCH with two changes at once: 422", "PATCH", "/api/v1/devices/%d" % DEV_ID[D1], 422,
        body={"blocked": True, "hostname": "x"})
refused("a bad host name: 422", "PATCH", "/api/v1/devices/%d" % DEV_ID[D1], 422,
        body={"hostname": "Not A Label"})
refused("a duplicate network name: 409", "POST", "/api/v1/networks", 409, "conflict",
        body={"name": "main"})
refused("an id that is no number: 404", "GET", "/api/v1/networks/x1", 404, "not_found")
refused("a missing network: 404", "GET", "/api/v1/networks/999999", 404, "not_found")
refused("an address outside fc94::/16: 404", "PUT",
        "/api/v1/networks/%d/devices/fd00::1" % N1, 404, "not_found")
refused("?limit=0: 400", "GET", "/api/v1/devices?limit=0", 400, "bad_query")
refused("a bearer that is no token: 401", "GET", "/api/v1/me", 401,
        who=Actor("junk", token="snt_nope"))
refused("a session cookie that is no session: 401", "GET", "/api/v1/me", 401,
        who=Actor("junk", session="00" * 32))

# ---- reads ------------------------------------------------------------------------------

st, b, _ = req("GET", "/api/v1/devices?q=%s" % D1.split(":")[-1], owner)
report(st == 200 and any(d["address"] == D1 for d in b["items"]), "?q= finds a device by address", b)
st, b, _ = req("GET", "/api/v1/devices?network=%d&limit=2" % N1, owner)
report(st == 200 and len(b["items"]) == 2 and b["next_cursor"] is not None, "devices page by limit", b)
st, b, _ = req("GET", "/api/v1/devices", member)
report(st == 200 and b["items"] == [], "a member with no share sees no device", b)
st, b, _ = req("PUT", "/api/v1/networks/%d/shares/%d" % (N1, member_id), {"role": "viewer"}, owner)
st2, b2, _ = req("GET", "/api/v1/networks/%d" % N1, member)
st3, b3, _ = req("PATCH", "/api/v1/networks/%d" % N1, {"name": "mine"}, member)
report(st == 204 and st2 == 200 and st3 == 403, "a viewer's share: reads (200), no rename (403)",
       (st, st2, st3))
st, b, _ = req("GET", "/api/v1/audit?limit=3", auditor)
report(st == 200 and len(b["items"]) == 3 and b["next_cursor"] == str(b["items"][-1]["id"]),
       "audit pages by limit and cursor", b)

# ---- the long-poll wakes on an API change --------------------------------------------------

st, ev, _ = req("GET", "/api/v1/events", owner)
out = {}


def poll():
    out["r"] = req("GET", "/api/v1/events?after=%s&wait=60" % ev["cursor"], owner)


th = threading.Thread(target=poll)
th.start()
deadline = time.time() + 20
while time.time() < deadline and req("GET", "/healthz")[1].get("waiting") != 1:
    time.sleep(0.05)
req("PATCH", "/api/v1/devices/%d" % DEV_ID[D1], {"blocked": True}, owner)
th.join(70)
report(out.get("r", (0,))[0] == 200 and out["r"][1]["cursor"] != ev["cursor"],
       "a parked long-poll wakes on an API change (200, a new cursor)", out)

# ---- sign-out, login limits ----------------------------------------------------------------

st, b, hdrs = req("POST", "/api/v1/logout", who=member)
report(st == 204 and req("GET", "/api/v1/me", member)[0] == 401,
       "logout: 204, and the session is gone (401)", (st, b))
report(req("POST", "/api/v1/logout", who=writet)[0] == 400, "logout with a token: 400")
# A password change ends the account's other sessions, not the one making it;
# an admin disabling an account ends all of its sessions.
pw_id = account("pw@example.org", "pw-password-one-1")
s1 = login("pw@example.org", "pw-password-one-1")[1]
s2 = login("pw@example.org", "pw-password-one-1")[1]
SECRETS["pw-password-two-2"] = "a password"
done0 = req("GET", "/healthz")[1]["password_checks"]["done"]
st, b, _ = req("POST", "/api/v1/me/password",
               {"current": "pw-password-one-1", "password": "pw-password-two-2"}, s1)
report(st == 204 and req("GET", "/api/v1/me", s1)[0] == 200,
       "a password change from one session: 204, that session goes on (200)", (st, b))
done1 = req("GET", "/healthz")[1]["password_checks"]["done"]
report(done1 - done0 == 2, "... its check and its new hash ran in the password pool (2 jobs)",
       (done0, done1))
account("pool@example.org", "pool-password-1")
report(req("GET", "/healthz")[1]["password_checks"]["done"] - done1 == 1,
       "an account's creation hashed its password in the pool (1 job)")


def totp(secret, step):
    """RFC 6238 with HMAC-SHA256, 6 digits (the server's TOTP)."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    h = hmac.new(key, struct.pack(">Q", step), hashlib.sha256).digest()
    o = h[-1] & 15
    return "%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)


# TOTP set up and turned off again, each behind the password (checked in the pool).
sp = login("pool@example.org", "pool-password-1")[1]
st, b, _ = req("POST", "/api/v1/me/totp", {"password": "wrong-password"}, sp)
report(st == 403 and b["error"]["code"] == "wrong_password",
       "TOTP set-up with a wrong password: 403 wrong_password", (st, b))
st, b, _ = req("POST", "/api/v1/me/totp", {"password": "pool-password-1"}, sp)
report(st == 201 and re.match(r"^[A-Z2-7]{32,}$", b.get("secret", "")),
       "TOTP set-up with the password: 201 and a secret", st)
secret = b.get("secret", "")
SECRETS[secret] = "a TOTP secret"
ANSWERS[-1][2].add(secret)  # its creation answer shows it, once
step = int(time.time()) // 30
st, b, _ = req("POST", "/api/v1/me/totp/confirm", {"code": totp(secret, step)}, sp)
report(st == 200 and b["state"] == "on", "... confirmed with a code: on", (st, b))
st, b, _ = req("POST", "/api/v1/me/totp/disable",
               {"password": "wrong-password", "code": totp(secret, step + 1)}, sp)
report(st == 403 and b["error"]["code"] == "wrong_password",
       "turning it off with a wrong password: 403 wrong_password", (st, b))
st, b, _ = req("POST", "/api/v1/me/totp/disable",
               {"password": "pool-password-1", "code": totp(secret, max(step + 1, int(time.time()) // 30))}, sp)
report(st == 200 and b["state"] == "off", "... with the password and a code: off", (st, b))
report(req("GET", "/api/v1/me", s2)[0] == 401, "... the account's other session ended (401)")
s3 = login("pw@example.org", "pw-password-two-2")[1]
report(s3 is not None and req("GET", "/api/v1/me", s3)[0] == 200,
       "... a sign-in with the new password works")
st, b, _ = req("PATCH", "/api/v1/accounts/%d" % pw_id, {"disabled": True}, admin)
report(st == 200 and b["disabled"] is True, "an admin disables the account (200)", (st, b))
report([req("GET", "/api/v1/me", x)[0] for x in (s1, s3)] == [401, 401],
       "... every session of it ended (401)")

st, b, _ = req("POST", "/api/v1/login", {"email": "owner@example.org", "password": "wrong"})
report(st == 401 and b["error"]["code"] == "bad_credentials", "a wrong password: 401", b)
codes = [req("POST", "/api/v1/login", {"email": "other@example.org", "password": "wrong"})[0]
         for _ in range(6)]
report(codes[:5] == [401] * 5 and codes[5] == 429,
       "per account: 5 wrong passwords, then 429", codes)
st = req("POST", "/api/v1/login", {"email": "other@example.org", "password": "other-password-1"})[0]
report(st == 429, "... the right password too while limited (429)", st)
codes = []
while len(codes) < 60 and 429 not in codes:
    codes.append(req("POST", "/api/v1/login",
                     {"email": "nobody%d@example.org" % len(codes), "password": "x"})[0])
report(429 in codes and set(codes) == {401, 429},
       "per address: attempts on many addresses from one client end in 429", codes)

# ---- sign-ins off the event loop ------------------------------------------------------
# 64 sign-ins at once (each from its own 127.0.4.x address, to an unknown address,
# so no rate limit refuses them): the argon2id checks run in worker threads, at most
# 32 in the pool; the rest are refused at once, 503 busy with Retry-After.  While
# checks are in the pool, /healthz is answered (the event loop is not blocked).
def raw_login(i, out):
    c = http.client.HTTPSConnection(HOST, int(PORT), context=CTX, timeout=120,
                                    source_address=("127.0.4.%d" % (i + 1), 0))
    c.request("POST", "/api/v1/login",
              body=json.dumps({"email": "flood%d@example.org" % i, "password": "x" * 12}),
              headers={"Content-Type": "application/json"})
    resp = c.getresponse()
    body = resp.read().decode()
    out.append((resp.status, resp.getheader("Retry-After"), body))
    c.close()


def health():
    c = http.client.HTTPSConnection(HOST, int(PORT), context=CTX, timeout=120)
    c.request("GET", "/healthz")
    b = json.loads(c.getresponse().read())
    c.close()
    return b


flood = []
threads = [threading.Thread(target=raw_login, args=(i, flood)) for i in range(64)]
for t in threads:
    t.start()
seen_busy = None
deadline = time.monotonic() + 60
while time.monotonic() < deadline and len(flood) < 64:
    h = health()
    if h["password_checks"]["busy"] > 0:
        seen_busy = h
        break
    time.sleep(0.01)
for t in threads:
    t.join()
report(seen_busy is not None and seen_busy["password_checks"]["busy"] <= 32,
       "/healthz answered while sign-ins' password checks were in the pool (at most 32)",
       seen_busy)
codes = sorted(set(st for st, _, _ in flood))
busy = [(ra, b) for st, ra, b in flood if st == 503]
report(codes == [401, 503] and all(ra == "1" and '"code":"busy"' in b for ra, b in busy),
       "64 sign-ins at once: 401 bad_credentials, or 503 busy with Retry-After: 1 "
       "(%d of them)" % len(busy), [(st, ra) for st, ra, _ in flood])
h = health()["password_checks"]
report(h["busy"] == 0 and h["refused"] == len(busy) and h["done"] >= 64 - len(busy),
       "... afterwards: the pool empty, the refusals counted", h)

# ---- secrets ---------------------------------------------------------------------------

leaks = []
for what, text, allowed in ANSWERS:
    for s, kind in SECRETS.items():
        if s in text and s not in allowed:
            leaks.append("%s in the answer to %s" % (kind, what))
report(not leaks, "no secret in any answer but its creation's (%d answers, %d secrets)"
       % (len(ANSWERS), len(SECRETS)), "\n".join(leaks[:10]))
log = open(SRVLOG, errors="replace").read()
report(not [k for s, k in SECRETS.items() if s in log], "no secret in the server's log")
print("# %d answers" % len(ANSWERS))
sys.exit(1 if FAILS else 0)
