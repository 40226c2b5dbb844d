#!/usr/bin/env python3
"""A second, independent mesh peer, for interoperability tests.

Written only from docs/mesh-protocol.md and docs/mesh.md (no C source, no
other Python of this tree), so that a gap in the docs shows up here as a
failure to talk to the real daemons.  It

  - loads a subnetra identity file, or creates one, and derives its address;
  - registers with a base (Noise session, REGISTER with a signed endpoint
    record, PING/PONG) and looks a node up (LOOKUP -> PEER_INFO);
  - makes a Noise_IKpsk2 session with that node, directly or through the
    base's relay, answering a COOKIE_REPLY; the base over UDP or TCP;
  - sends ICMPv6 echo requests inside DATA and decrypts the replies, sends
    one tampered frame on request;
  - answers a node's own handshake and echo requests (responder side),
    directly or relayed, and PATH_PINGs.

It prints one line per event on stdout ("registered ...", "handshake ...",
"echo-reply ...") for tests/netns/t_mesh_interop.sh to assert on, and exits
non-zero with an "error: ..." line when a step it was asked for fails.

Needs python3-cryptography (X25519, Ed25519, ChaCha20-Poly1305); BLAKE2b
comes from hashlib, XChaCha20's HChaCha20 is written out below.
"""

import argparse
import copy
import hashlib
import hmac
import ipaddress
import os
import select
import signal
import socket
import struct
import sys
import time

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey, Ed25519PublicKey)
from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey, X25519PublicKey)
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

RAW = serialization.Encoding.Raw
RAW_PUB = serialization.PublicFormat.Raw
RAW_PRIV = serialization.PrivateFormat.Raw
NO_ENC = serialization.NoEncryption()

# ---- constants from docs/mesh-protocol.md ----------------------------------

PROTOCOL = b"Noise_IKpsk2_25519_ChaChaPoly_SHA256"
PROLOGUE = b"subnetra-mesh v1"
ER_DOMAIN = b"subnetra-mesh-er-v1"

HS_INIT, HS_RESP, COOKIE_REPLY, DATA, RELAY, RELAYED, PUNCH = range(1, 8)
HS_INIT_LEN, HS_RESP_LEN, COOKIE_REPLY_LEN = 184, 96, 64

REGISTER, LOOKUP, PING = 0x10, 0x11, 0x12
REGISTER_OK, PEER_INFO, PONG, NOTICE = 0x20, 0x21, 0x23, 0x24
PATH_PING, PATH_PONG, CALL_ME_MAYBE = 0x01, 0x02, 0x03
LOOKUP_NOTIFY = 0x01
PEER_INFO_REASONS = ("reply", "notify", "changed", "unknown", "denied")

COOKIE_USE_S = 110        # the initiator uses a cookie this long
REKEY_AFTER_S = 120       # we initiated a keypair this long ago: rekey
REJECT_AFTER_S = 180      # a keypair is never used past this age
WINDOW = 8192             # replay window (the node's is 8,129; any >= 2,048 is fine)

P25519 = 2**255 - 19


def log(*words):
    print(" ".join(str(w) for w in words), flush=True)


class Refused(Exception):
    """A received message we drop (the reason is the message)."""


# ---- primitives --------------------------------------------------------------

def blake2b(data, size, key=b""):
    return hashlib.blake2b(data, digest_size=size, key=key).digest()


def hmac_sha256(key, data):
    return hmac.new(key, data, hashlib.sha256).digest()


def hkdf(ck, ikm, n):
    """Noise HKDF with HMAC-SHA256, the chaining key as the HMAC key."""
    temp = hmac_sha256(ck, ikm)
    out, prev = [], b""
    for i in range(1, n + 1):
        prev = hmac_sha256(temp, prev + bytes([i]))
        out.append(prev)
    return out


def aead_nonce(counter):
    # Noise's ChaChaPoly nonce: 4 zero bytes, then the counter little-endian.
    return b"\0" * 4 + struct.pack("<Q", counter)


def hchacha20(key, nonce16):
    """HChaCha20 (the XChaCha20 subkey step), as in draft-irtf-cfrg-xchacha."""
    mask = 0xFFFFFFFF

    def rotl(v, c):
        return ((v << c) & mask) | (v >> (32 - c))

    def quarter(s, a, b, c, d):
        s[a] = (s[a] + s[b]) & mask; s[d] = rotl(s[d] ^ s[a], 16)
        s[c] = (s[c] + s[d]) & mask; s[b] = rotl(s[b] ^ s[c], 12)
        s[a] = (s[a] + s[b]) & mask; s[d] = rotl(s[d] ^ s[a], 8)
        s[c] = (s[c] + s[d]) & mask; s[b] = rotl(s[b] ^ s[c], 7)

    s = list(struct.unpack("<4I", b"expand 32-byte k") + struct.unpack("<8I", key)
             + struct.unpack("<4I", nonce16))
    for _ in range(10):
        quarter(s, 0, 4, 8, 12); quarter(s, 1, 5, 9, 13)
        quarter(s, 2, 6, 10, 14); quarter(s, 3, 7, 11, 15)
        quarter(s, 0, 5, 10, 15); quarter(s, 1, 6, 11, 12)
        quarter(s, 2, 7, 8, 13); quarter(s, 3, 4, 9, 14)
    return struct.pack("<8I", *(s[0:4] + s[12:16]))


def xchacha20poly1305_decrypt(key, nonce24, ct, ad):
    """libsodium's crypto_aead_xchacha20poly1305_ietf: HChaCha20 subkey from
    the first 16 nonce bytes, then the IETF AEAD with 4 zero bytes and the
    last 8 nonce bytes as its nonce."""
    sub = hchacha20(key, nonce24[:16])
    return ChaCha20Poly1305(sub).decrypt(b"\0" * 4 + nonce24[16:], ct, ad)


# The draft's HChaCha20 test vector (section 2.2.1): a wrong HChaCha20 would
# otherwise only show as "cookie reply did not open".
assert hchacha20(bytes(range(32)), bytes.fromhex("000000090000004a0000000031415927")) == \
    bytes.fromhex("82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc")


def x25519_dh(priv, pub_bytes):
    # cryptography refuses an all-zero result (a low-order point) with
    # ValueError, as the docs require of a handshake.
    try:
        return priv.exchange(X25519PublicKey.from_public_bytes(pub_bytes))
    except ValueError as e:
        raise Refused("low-order key") from e


def x25519_pub(priv):
    return priv.public_key().public_bytes(RAW, RAW_PUB)


# ---- identity (docs/mesh.md "Identity") -----------------------------------

def ed_pk_to_x25519(ed_pk):
    """libsodium's crypto_sign_ed25519_pk_to_curve25519: the Montgomery u of
    the Edwards point, u = (1 + y) / (1 - y) mod p."""
    y = int.from_bytes(ed_pk, "little") & ((1 << 255) - 1)
    u = (1 + y) * pow(1 - y, P25519 - 2, P25519) % P25519
    return u.to_bytes(32, "little")


def ed_seed_to_x25519(seed):
    """crypto_sign_ed25519_sk_to_curve25519: the clamped first half of
    SHA-512(seed), the same scalar Ed25519 signs with."""
    h = bytearray(hashlib.sha512(seed).digest()[:32])
    h[0] &= 248
    h[31] &= 127
    h[31] |= 64
    return X25519PrivateKey.from_private_bytes(bytes(h))


def key_acceptable(ed_pk):
    h = hashlib.sha256(ed_pk).digest()
    return h[0] == 0 and h[1] < 50


def address_of(ed_pk):
    """fc94 then h[3..16] of SHA-256(ed_pk) (h[2] is skipped)."""
    return b"\xfc\x94" + hashlib.sha256(ed_pk).digest()[3:17]


def addr_text(addr16):
    return ipaddress.IPv6Address(addr16).compressed


class Identity:
    def __init__(self, seed):
        self.sign_key = Ed25519PrivateKey.from_private_bytes(seed)
        self.ed_pk = self.sign_key.public_key().public_bytes(RAW, RAW_PUB)
        self.static = ed_seed_to_x25519(seed)
        self.static_pub = x25519_pub(self.static)
        self.addr = address_of(self.ed_pk)
        # The X25519 public key derived two ways must agree, or the peer
        # would compute another mac1 key and pre-message than we do.
        assert self.static_pub == ed_pk_to_x25519(self.ed_pk)

    def sign(self, domain, data):
        # Identity signatures cover domain || "\n" || data.
        return self.sign_key.sign(domain + b"\n" + data)

    @classmethod
    def generate(cls):
        while True:  # about one key in 1311 passes the filter
            seed = os.urandom(32)
            pk = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(RAW, RAW_PUB)
            if key_acceptable(pk):
                return cls(seed)

    @classmethod
    def load(cls, path):
        with open(path, "rb") as f:
            text = f.read()
        lines = text.split(b"\n")
        if len(lines) != 5 or lines[4] != b"":
            raise ValueError(f"{path}: not four lines each ending in a newline")
        values = []
        for i, (line, name) in enumerate(zip(lines, ("subnetra-identity", "address", "public-key", "seed")), 1):
            key, sep, value = line.decode("ascii").partition(" ")
            if key != name or not sep:
                raise ValueError(f"{path}: line {i}: expected '{name} ...'")
            values.append(value)
        if values[0] != "1":
            raise ValueError(f"{path}: line 1: version {values[0]!r} is not 1")
        ident = cls(bytes.fromhex(values[3]))
        if bytes.fromhex(values[2]) != ident.ed_pk:
            raise ValueError(f"{path}: line 3: public-key: does not match the seed")
        if not key_acceptable(ident.ed_pk):
            raise ValueError(f"{path}: line 3: public-key: fails the identity filter")
        if ipaddress.IPv6Address(values[1]).packed != ident.addr:
            raise ValueError(f"{path}: line 2: address: not the address of this key")
        return ident

    def save(self, path):
        seed = self.sign_key.private_bytes(RAW, RAW_PRIV, NO_ENC)
        text = (f"subnetra-identity 1\naddress {addr_text(self.addr)}\n"
                f"public-key {self.ed_pk.hex()}\nseed {seed.hex()}\n")
        tmp = path + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.rename(tmp, path)


# ---- endpoints (EP18) -------------------------------------------------------

def ep18(host, port):
    ip = ipaddress.ip_address(host)
    if ip.version == 4:
        ip = ipaddress.IPv6Address("::ffff:" + str(ip))
    return ip.packed + struct.pack(">H", port)


def ep18_sockaddr(ep):
    """EP18 -> (host, port) for our dual-stack socket, which takes an IPv4
    endpoint as the ::ffff:a.b.c.d it is written as."""
    return (ipaddress.IPv6Address(ep[:16]).compressed, struct.unpack(">H", ep[16:18])[0])


def ep18_text(ep):
    ip, port = ipaddress.IPv6Address(ep[:16]), struct.unpack(">H", ep[16:18])[0]
    return f"{ip.ipv4_mapped}:{port}" if ip.ipv4_mapped else f"[{ip}]:{port}"


def sockaddr_key(sa):
    """A received (host, port, ...) as a comparable (ipv6-text, port)."""
    return (ipaddress.IPv6Address(sa[0].split("%")[0]).compressed, sa[1])


# ---- endpoint record (mesh-protocol.md, "The endpoint record") --------------

def er_build(ident, listen_port, endpoints, name):
    body = (ident.ed_pk + struct.pack(">QHBB", int(time.time() * 1000), listen_port, 0,
                                      len(endpoints))
            + b"".join(endpoints) + bytes([len(name)]) + name)
    return body + ident.sign(ER_DOMAIN, body)


def er_parse(er, expect_addr):
    """The fields a peer needs from a record, after checking its length,
    address and signature."""
    if len(er) < 109:
        raise Refused("er too short")
    ed_pk = er[:32]
    _seq, port, _flags, n = struct.unpack(">QHBB", er[32:44])
    name_off = 44 + 18 * n
    if n > 16 or len(er) < name_off + 1 + 64:
        raise Refused("er bad length")
    name_len = er[name_off]
    if len(er) != 109 + 18 * n + name_len:
        raise Refused("er bad length")
    if not key_acceptable(ed_pk) or address_of(ed_pk) != expect_addr:
        raise Refused("er wrong key")
    try:
        Ed25519PublicKey.from_public_bytes(ed_pk).verify(er[-64:], ER_DOMAIN + b"\n" + er[:-64])
    except InvalidSignature as e:
        raise Refused("er bad signature") from e
    return {
        "ed_pk": ed_pk, "listen_port": port,
        "endpoints": [er[44 + 18 * i:62 + 18 * i] for i in range(n)],
        "name": er[name_off + 1:name_off + 1 + name_len].decode("ascii"),
    }


# ---- Noise_IKpsk2 (mesh-protocol.md, "Noise core" and "Handshake") -----------

class Symmetric:
    """Noise SymmetricState for our one protocol."""

    def __init__(self, responder_static):
        # The name is 36 bytes, more than HASHLEN: h starts as its hash.
        self.h = hashlib.sha256(PROTOCOL).digest()
        self.ck = self.h
        self.k = None
        self.n = 0
        self.mix_hash(PROLOGUE)
        self.mix_hash(responder_static)  # IK's pre-message: <- s

    def mix_hash(self, data):
        self.h = hashlib.sha256(self.h + data).digest()

    def mix_key(self, ikm):
        self.ck, self.k = hkdf(self.ck, ikm, 2)
        self.n = 0

    def mix_key_and_hash(self, psk):
        self.ck, t, self.k = hkdf(self.ck, psk, 3)
        self.mix_hash(t)
        self.n = 0

    def mix_e(self, e_pub):
        # In a psk handshake the e token also mixes e into the key.
        self.mix_hash(e_pub)
        self.mix_key(e_pub)

    def encrypt_and_hash(self, plain):
        ct = ChaCha20Poly1305(self.k).encrypt(aead_nonce(self.n), plain, self.h)
        self.n += 1
        self.mix_hash(ct)
        return ct

    def decrypt_and_hash(self, ct):
        try:
            plain = ChaCha20Poly1305(self.k).decrypt(aead_nonce(self.n), ct, self.h)
        except InvalidTag as e:
            raise Refused("handshake decrypt") from e
        self.n += 1
        self.mix_hash(ct)
        return plain

    def split(self):
        return hkdf(self.ck, b"", 2)


def tai64n():
    t = time.time_ns()
    return struct.pack(">QI", 2**62 + t // 10**9, t % 10**9)


def mac1_key(static_pub, psk):
    # An all-zero psk is "no psk": the key derivation is then unkeyed.
    key = psk if any(psk) else b""
    return blake2b(b"mac1----" + static_pub, 32, key)


def cookie_key(static_pub):
    return blake2b(b"cookie--" + static_pub, 32)


def add_macs(msg, receiver_static, psk, cookie):
    """Fill the last 32 bytes (mac1 || mac2) of a handshake message."""
    body = msg[:-32]
    mac1 = blake2b(body, 16, mac1_key(receiver_static, psk))
    mac2 = blake2b(body + mac1, 16, cookie) if cookie else b"\0" * 16
    return body + mac1 + mac2


def mac1_ok(msg, own_static, psk):
    want = blake2b(msg[:-32], 16, mac1_key(own_static, psk))
    return hmac.compare_digest(want, msg[-32:-16])


def random_index():
    while True:
        i = struct.unpack(">I", os.urandom(4))[0]
        if i:
            return i


# ---- sessions ------------------------------------------------------------------

class Keypair:
    def __init__(self, send_key, recv_key, local_index, remote_index, initiator):
        self.send = ChaCha20Poly1305(send_key)
        self.recv = ChaCha20Poly1305(recv_key)
        self.local_index = local_index
        self.remote_index = remote_index
        self.initiator = initiator
        # A responder may send only once the initiator's first DATA arrived
        # under this keypair (key confirmation).
        self.confirmed = initiator
        self.born = time.monotonic()
        self.send_counter = 0
        self.last = -1        # highest counter accepted
        self.seen = set()     # counters accepted within WINDOW of last

    def seal(self, plain, tamper=False):
        header = struct.pack(">B3xIQ", DATA, self.remote_index, self.send_counter)
        self.send_counter += 1
        body = self.send.encrypt(aead_nonce(self.send_counter - 1), plain, header)
        if tamper:  # one flipped bit in the tag: authentic-looking, must fail
            body = body[:-1] + bytes([body[-1] ^ 1])
        return header + body

    def open(self, msg):
        counter = struct.unpack(">Q", msg[8:16])[0]
        # Replay check before the AEAD, mark only after it verified.
        if counter <= self.last - WINDOW or counter in self.seen:
            raise Refused("data replay")
        try:
            plain = self.recv.decrypt(aead_nonce(counter), msg[16:], msg[:16])
        except InvalidTag as e:
            raise Refused("data bad tag") from e
        self.seen.add(counter)
        if counter > self.last:
            self.last = counter
            self.seen = {c for c in self.seen if c > counter - WINDOW}
        return plain


class Peer:
    """A node or a base we hold (or make) a session with."""

    def __init__(self, ed_pk, is_base=False):
        self.ed_pk = ed_pk
        self.static_pub = ed_pk_to_x25519(ed_pk)
        self.addr = address_of(ed_pk)
        self.is_base = is_base
        self.route = None          # ("direct", sockaddr) or ("relay", relay_id)
        self.current = None        # the keypair we send with
        self.keypairs = []         # every keypair we may receive on (newest first)
        self.pending = None        # our initiation waiting for HS_RESP
        self.cookie = None         # (cookie, time received)
        self.last_mac1 = None      # mac1 of the last handshake message we sent
        self.last_tai = b"\0" * 12  # responder: newest TAI64N accepted
        self.relay_id = None       # its relay id on our base (from PEER_INFO)
        self.er = None

    def name(self):
        return "base" if self.is_base else addr_text(self.addr)


class Initiation:
    def __init__(self, sym, e, index, route):
        self.sym, self.e, self.index, self.route = sym, e, index, route
        self.sent = time.monotonic()
        self.first = self.sent
        self.tries = 1


# ---- ICMPv6 (the payload we tunnel) -------------------------------------------

def icmp6_checksum(src, dst, icmp):
    pseudo = src + dst + struct.pack(">I3xB", len(icmp), 58)
    data = pseudo + icmp + (b"\0" if len(icmp) % 2 else b"")
    total = sum(struct.unpack(f">{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def icmp6_echo(src, dst, kind, ident, seq, payload):
    icmp = struct.pack(">BBHHH", kind, 0, 0, ident, seq) + payload
    icmp = icmp[:2] + struct.pack(">H", icmp6_checksum(src, dst, icmp)) + icmp[4:]
    return struct.pack(">IHBB", 6 << 28, len(icmp), 58, 64) + src + dst + icmp


ECHO_REQUEST, ECHO_REPLY = 128, 129


# ---- the peer itself -----------------------------------------------------------

class MeshPeer:
    def __init__(self, ident, args):
        self.ident = ident
        self.psk = bytes.fromhex(args.psk) if args.psk else b"\0" * 32
        self.port = args.port
        self.name = args.name.encode("ascii")
        self.endpoints = [ep18(h, args.port) for h in args.endpoint]
        self.allowed = {ipaddress.IPv6Address(a).packed for a in args.allow}
        self.sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        # One dual-stack socket: an EP18 holds IPv4 as ::ffff:a.b.c.d.
        self.sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        self.sock.bind(("::", args.port))
        self.peers = {}            # address -> Peer
        self.by_index = {}         # our local index -> (Peer, Keypair)
        self.pending = {}          # our initiation's index -> Peer
        self.base = None
        self.base_addr = None
        self.relay_id = None       # ours, from REGISTER_OK
        self.refresh_s = 25
        self.next_ping = None
        self.events = []           # (kind, dict) for the scripted steps to wait on
        self.drops = {}            # reason -> count
        self.flood_index = None    # sender index of cookie_flood()'s junk
        self.tcp = None            # the stream to the base, when over TCP
        self.tcp_in = b""          # bytes of the stream not yet a whole record
        self.echo_ident = os.getpid() & 0xFFFF

    # ---- I/O --------------------------------------------------------------

    def send_raw(self, peer, msg):
        route = peer.route
        if route[0] == "direct":
            self.send_to(route[1], msg)
        else:  # RELAY: our relay id, the destination's, the message itself
            self.send_to(self.base_addr,
                         struct.pack(">B3x", RELAY) + self.relay_id + route[1] + msg)

    def send_to(self, addr, frame):
        if self.tcp and addr == self.base_addr:
            # TCP framing: u16 length, then the frame, as over UDP.
            self.tcp.sendall(struct.pack(">H", len(frame)) + frame)
        else:
            self.sock.sendto(frame, addr)

    def pump(self, until):
        """Handle datagrams, TCP records and timers until the monotonic time
        `until`."""
        while True:
            now = time.monotonic()
            if now >= until:
                return
            self.timers(now)
            inputs = [self.sock] + ([self.tcp] if self.tcp else [])
            ready, _, _ = select.select(inputs, [], [], min(until - now, 0.05))
            if self.sock in ready:
                buf, src = self.sock.recvfrom(2048)
                self.handle(buf, src)
            if self.tcp and self.tcp in ready:
                data = self.tcp.recv(65536)
                if not data:
                    fail("the base closed the TCP connection")
                self.tcp_in += data
                while len(self.tcp_in) >= 2:
                    n = struct.unpack(">H", self.tcp_in[:2])[0]
                    if not 1 <= n <= 1552:
                        fail(f"TCP record length {n}")
                    if len(self.tcp_in) < 2 + n:
                        break
                    frame, self.tcp_in = self.tcp_in[2:2 + n], self.tcp_in[2 + n:]
                    self.handle(frame, self.base_addr)

    def handle(self, buf, src):
        try:
            self.receive(buf, src)
        except Refused as why:
            # Once per reason: a cookie flood draws hundreds of replies to
            # junk we sent, each a drop here.
            self.drops[str(why)] = self.drops.get(str(why), 0) + 1
            if self.drops[str(why)] == 1:
                log("drop", why, "from", src[0])

    def wait_for(self, kind, timeout, match=lambda ev: True):
        deadline = time.monotonic() + timeout
        while True:  # look at least once, even with no time to wait
            for i, (k, ev) in enumerate(self.events):
                if k == kind and match(ev):
                    del self.events[i]
                    return ev
            if time.monotonic() >= deadline:
                return None
            self.pump(min(deadline, time.monotonic() + 0.05))

    def event(self, kind, **ev):
        self.events.append((kind, ev))

    # ---- timers -------------------------------------------------------------

    def timers(self, now):
        for peer in list(self.pending.values()):
            ini = peer.pending
            # Retransmit 1 s after the first try, then every 5 s; give up at 90 s.
            wait = 1 if ini.tries == 1 else 5
            if now - ini.first > 90:
                self.pending.pop(ini.index, None)
                peer.pending = None
                log("handshake-given-up", peer.name())
            elif now - ini.sent >= wait:
                self.initiate(peer, ini.route, retry_of=ini)
        if self.base and self.base.current and self.next_ping and now >= self.next_ping:
            self.send_ping()
        for peer in [*self.peers.values(), self.base]:
            kp = peer and peer.current
            if kp and kp.initiator and now - kp.born >= REKEY_AFTER_S and not peer.pending:
                self.initiate(peer, peer.route)

    # ---- handshake: initiator ------------------------------------------------

    def initiate(self, peer, route, retry_of=None):
        """Send an HS_INIT; a retransmission (retry_of: the initiation it
        repeats) is a new one too, with a new ephemeral and timestamp."""
        if peer.pending:
            self.pending.pop(peer.pending.index, None)
        index = random_index()
        sym = Symmetric(peer.static_pub)
        e = X25519PrivateKey.generate()
        e_pub = x25519_pub(e)
        sym.mix_e(e_pub)
        sym.mix_key(x25519_dh(e, peer.static_pub))                       # es
        enc_s = sym.encrypt_and_hash(self.ident.static_pub)              # s
        sym.mix_key(x25519_dh(self.ident.static, peer.static_pub))       # ss
        enc_payload = sym.encrypt_and_hash(self.ident.ed_pk + tai64n() + b"\0" * 4)
        msg = struct.pack(">B3xI", HS_INIT, index) + e_pub + enc_s + enc_payload + b"\0" * 32
        msg = add_macs(msg, peer.static_pub, self.psk, self.cookie_for(peer))
        assert len(msg) == HS_INIT_LEN
        peer.last_mac1 = msg[-32:-16]
        peer.route = route
        peer.pending = Initiation(sym, e, index, route)
        if retry_of:
            peer.pending.first = retry_of.first
            peer.pending.tries = retry_of.tries + 1
        self.pending[index] = peer
        self.send_raw(peer, msg)

    def cookie_for(self, peer):
        if peer.cookie and time.monotonic() - peer.cookie[1] < COOKIE_USE_S:
            return peer.cookie[0]
        return None

    def on_hs_resp(self, msg, via):
        if len(msg) != HS_RESP_LEN:
            raise Refused("hs_resp length")
        sender, receiver = struct.unpack(">II", msg[4:12])
        peer = self.pending.get(receiver)
        if not peer:
            raise Refused("hs_resp unknown receiver")
        if not mac1_ok(msg, self.ident.static_pub, self.psk):
            raise Refused("hs_resp mac1")
        ini = peer.pending
        # Read message 2 on a copy, so that a forged HS_RESP cannot spoil the
        # pending initiation.
        sym = copy.copy(ini.sym)
        r_e = msg[12:44]
        sym.mix_e(r_e)
        sym.mix_key(x25519_dh(ini.e, r_e))                                # ee
        sym.mix_key(x25519_dh(self.ident.static, r_e))                    # se
        sym.mix_key_and_hash(self.psk)                                    # psk
        flags = sym.decrypt_and_hash(msg[44:64])
        if len(flags) != 4:
            raise Refused("hs_resp payload")
        send, recv = sym.split()  # the initiator sends with the first key
        del self.pending[receiver]
        peer.pending = None
        self.install(peer, Keypair(send, recv, ini.index, sender, True), via)
        log("handshake", peer.name(), "role=initiator", "via=" + via[0])
        self.event("handshake", peer=peer, via=via[0])
        # The responder may not send before our first DATA: a keepalive now.
        if not peer.is_base:
            self.send_raw(peer, peer.current.seal(b""))

    def on_cookie_reply(self, msg, via):
        if len(msg) != COOKIE_REPLY_LEN:
            raise Refused("cookie length")
        receiver = struct.unpack(">I", msg[4:8])[0]
        if receiver == self.flood_index:  # the node is under load now
            self.event("flood_cookie")
            return
        peer = self.pending.get(receiver)
        if not peer or peer.last_mac1 is None:
            raise Refused("cookie unknown receiver")
        try:
            cookie = xchacha20poly1305_decrypt(cookie_key(peer.static_pub), msg[8:32], msg[32:64],
                                               peer.last_mac1)
        except InvalidTag as e:
            raise Refused("cookie does not open") from e
        peer.last_mac1 = None  # one reply per message we sent
        peer.cookie = (cookie, time.monotonic())
        log("cookie-reply", peer.name(), "via=" + via[0])
        self.event("cookie", peer=peer)
        # Answer at once rather than after the retransmit timer.
        self.initiate(peer, peer.pending.route, retry_of=peer.pending)

    # ---- handshake: responder --------------------------------------------------

    def on_hs_init(self, msg, via):
        if len(msg) != HS_INIT_LEN:
            raise Refused("hs_init length")
        if not mac1_ok(msg, self.ident.static_pub, self.psk):
            raise Refused("hs_init mac1")
        # A small peer never reports itself under load, so it sends no
        # cookie replies and ignores mac2.
        sender = struct.unpack(">I", msg[4:8])[0]
        sym = Symmetric(self.ident.static_pub)
        i_e = msg[8:40]
        sym.mix_e(i_e)
        sym.mix_key(x25519_dh(self.ident.static, i_e))                    # es
        i_static = sym.decrypt_and_hash(msg[40:88])                       # s
        sym.mix_key(x25519_dh(self.ident.static, i_static))               # ss
        payload = sym.decrypt_and_hash(msg[88:152])
        ed_pk, tai = payload[:32], payload[32:44]
        if not key_acceptable(ed_pk):
            raise Refused("hs_init bad identity")
        addr = address_of(ed_pk)
        if addr not in self.allowed:
            raise Refused("hs_init not allowed " + addr_text(addr))
        if ed_pk_to_x25519(ed_pk) != i_static:
            raise Refused("hs_init static mismatch")
        peer = self.peers.get(addr) or self.add_peer(ed_pk)
        if tai <= peer.last_tai:
            raise Refused("hs_init stale timestamp")
        e = X25519PrivateKey.generate()
        e_pub = x25519_pub(e)
        sym.mix_e(e_pub)
        sym.mix_key(x25519_dh(e, i_e))                                    # ee
        sym.mix_key(x25519_dh(e, i_static))                               # se
        sym.mix_key_and_hash(self.psk)                                    # psk
        enc = sym.encrypt_and_hash(b"\0" * 4)
        recv, send = sym.split()  # the responder receives with the first key
        peer.last_tai = tai
        index = random_index()
        resp = struct.pack(">B3xII", HS_RESP, index, sender) + e_pub + enc + b"\0" * 32
        resp = add_macs(resp, i_static, self.psk, self.cookie_for(peer))
        assert len(resp) == HS_RESP_LEN
        peer.last_mac1 = resp[-32:-16]
        kp = Keypair(send, recv, index, sender, False)
        self.install(peer, kp, via)
        self.send_raw(peer, resp)
        log("handshake", peer.name(), "role=responder", "via=" + via[0])
        self.event("handshake", peer=peer, via=via[0])

    def install(self, peer, kp, via):
        peer.route = via
        # Keep the two newest keypairs for receiving; an unconfirmed
        # responder keypair does not replace the one we send with.
        for old in peer.keypairs[1:]:
            self.by_index.pop(old.local_index, None)
        peer.keypairs = [kp] + peer.keypairs[:1]
        self.by_index[kp.local_index] = (peer, kp)
        if kp.initiator:
            peer.current = kp

    def add_peer(self, ed_pk):
        peer = Peer(ed_pk)
        self.peers[peer.addr] = peer
        return peer

    # ---- receive --------------------------------------------------------------

    def receive(self, buf, src):
        if len(buf) < 4:
            raise Refused("too short")
        if buf[1:4] != b"\0\0\0":
            raise Refused("reserved bytes")
        if buf[0] == RELAYED:
            # Taken only from our base; the inner message carries the
            # sender's relay id, which is where an answer goes back to.
            if sockaddr_key(src) != sockaddr_key(self.base_addr) or len(buf) < 12 + 32:
                raise Refused("relayed not from our base")
            self.receive_peer(buf[12:], ("relay", buf[4:12]))
        else:
            self.receive_peer(buf, ("direct", src))

    def receive_peer(self, msg, via):
        kind = msg[0]
        if kind == HS_INIT:
            self.on_hs_init(msg, via)
        elif kind == HS_RESP:
            self.on_hs_resp(msg, via)
        elif kind == COOKIE_REPLY:
            self.on_cookie_reply(msg, via)
        elif kind == DATA:
            self.on_data(msg, via)
        elif kind == PUNCH:
            log("punch", "via=" + via[0])
        else:
            raise Refused(f"type {kind}")

    def on_data(self, msg, via):
        if not 32 <= len(msg) <= 1532:
            raise Refused("data length")
        index = struct.unpack(">I", msg[4:8])[0]
        if index not in self.by_index:
            raise Refused("data unknown index")
        peer, kp = self.by_index[index]
        if time.monotonic() - kp.born >= REJECT_AFTER_S:
            raise Refused("data keypair expired")
        plain = kp.open(msg)
        if not kp.confirmed:  # the initiator's first DATA: now we may send on it
            kp.confirmed = True
            peer.current = kp
        # Only an authenticated message moves the peer's route (a relayed
        # one: to its relay id on our base).
        if not peer.is_base:
            peer.route = via
        if not plain:
            return
        first = plain[0]
        if peer.is_base and 0x10 <= first <= 0x2F:
            self.on_base_control(plain)
        elif not peer.is_base and first >> 4 == 6:
            self.on_ipv6(peer, plain, via)
        elif not peer.is_base and 0x01 <= first <= 0x0F:
            self.on_peer_control(peer, plain, via)
        else:
            raise Refused(f"plaintext 0x{first:02x} on this session")

    # ---- base control -----------------------------------------------------------

    def on_base_control(self, m):
        kind = m[0]
        if kind == REGISTER_OK and len(m) == 32:
            status = m[1]
            relay_id, observed, refresh = m[4:12], m[12:30], struct.unpack(">H", m[30:32])[0]
            if status == 0:
                self.relay_id = relay_id
                self.refresh_s = refresh
                self.next_ping = time.monotonic() + refresh
            log("register-ok", f"status={status}", "relay_id=" + relay_id.hex(),
                "observed=" + ep18_text(observed), f"refresh_s={refresh}")
            self.event("register_ok", status=status, observed=observed)
        elif kind == PONG and len(m) == 30:
            log("pong", "txid=" + m[4:12].hex(), "observed=" + ep18_text(m[12:30]))
            self.event("pong", txid=m[4:12], observed=m[12:30])
        elif kind == PEER_INFO and len(m) >= 33:
            self.on_peer_info(m)
        elif kind == NOTICE and len(m) == 4:
            log("notice", f"code={m[1]}")
        else:
            raise Refused(f"base control 0x{kind:02x} length {len(m)}")

    def on_peer_info(self, m):
        reason = PEER_INFO_REASONS[m[1]] if m[1] < len(PEER_INFO_REASONS) else "bad"
        addr, relay_id = m[4:20], m[20:28]
        age, n_obs = struct.unpack(">HB", m[28:31])
        off = 31 + 18 * n_obs
        if len(m) < off + 2:
            raise Refused("peer_info length")
        observed = [m[31 + 18 * i:49 + 18 * i] for i in range(n_obs)]
        er_len = struct.unpack(">H", m[off:off + 2])[0]
        if len(m) != off + 2 + er_len:
            raise Refused("peer_info length")
        info = {"reason": reason, "addr": addr, "observed": observed}
        if er_len:
            # The record must be of the key that gives the address we asked
            # for: a base can refuse to answer, never substitute a key.
            er = er_parse(m[off + 2:], addr)
            peer = self.peers.get(addr) or self.add_peer(er["ed_pk"])
            peer.relay_id, peer.er = relay_id, er
            info.update(peer=peer, relay_id=relay_id, er=er)
            log("peer-info", reason, addr_text(addr), "key=" + er["ed_pk"].hex(),
                "relay_id=" + relay_id.hex(), f"age_s={age}", f"name={er['name'] or '-'}",
                f"listen_port={er['listen_port']}",
                "endpoints=" + ",".join(ep18_text(e) for e in er["endpoints"]),
                "observed=" + ",".join(ep18_text(e) for e in observed))
        else:
            log("peer-info", reason, addr_text(addr))
        self.event("peer_info", **info)

    def send_control(self, msg):
        self.send_raw(self.base, self.base.current.seal(msg))

    def send_ping(self):
        txid = os.urandom(8)
        self.send_control(struct.pack(">B3x", PING) + txid)
        # Refresh well inside the base's 75 s expiry.
        self.next_ping = time.monotonic() + self.refresh_s
        return txid

    # ---- peer control and IP ---------------------------------------------------------

    def on_peer_control(self, peer, m, via):
        if m[0] == PATH_PING and len(m) >= 16:
            log("path-ping", peer.name(), "via=" + via[0])
            # Answered where it came from, with the source we saw; one that
            # came through the base tests no direct path and gets no answer.
            if via[0] == "direct":
                host, port = sockaddr_key(via[1])
                pong = struct.pack(">B3x", PATH_PONG) + m[4:16] + ep18(host, port)
                self.send_raw(peer, peer.current.seal(pong))
        elif m[0] == CALL_ME_MAYBE:
            log("call-me-maybe", peer.name(), f"n={m[1]}")
        else:
            log("peer-control", peer.name(), f"type=0x{m[0]:02x}")

    def on_ipv6(self, peer, pkt, via):
        if len(pkt) < 40:
            raise Refused("inner truncated")
        src, dst, nh = pkt[8:24], pkt[24:40], pkt[6]
        # The inner source must be the authenticated peer's address.
        if src != peer.addr or dst != self.ident.addr:
            raise Refused("inner source or destination")
        icmp = pkt[40:]
        if nh != 58 or len(icmp) < 8 or icmp6_checksum(src, dst, icmp[:2] + b"\0\0" + icmp[4:]) != \
                struct.unpack(">H", icmp[2:4])[0]:
            log("ipv6", peer.name(), f"next_header={nh}", "not an echo we handle")
            return
        kind, ident, seq = icmp[0], *struct.unpack(">HH", icmp[4:8])
        if kind == ECHO_REPLY:
            log("echo-reply", peer.name(), f"seq={seq}", "via=" + via[0])
            self.event("echo_reply", seq=seq, ident=ident, via=via[0])
        elif kind == ECHO_REQUEST:
            reply = icmp6_echo(dst, src, ECHO_REPLY, ident, seq, icmp[8:])
            self.send_raw(peer, peer.current.seal(reply))
            log("echo-request-answered", peer.name(), f"seq={seq}", "via=" + via[0])

    def send_echo(self, peer, seq, tamper=False):
        pkt = icmp6_echo(self.ident.addr, peer.addr, ECHO_REQUEST, self.echo_ident, seq,
                         b"subnetra-interop" * 4)
        self.send_raw(peer, peer.current.seal(pkt, tamper))


# ---- the scripted steps ----------------------------------------------------------

def fail(what):
    log("error:", what)
    sys.exit(1)


def base_steps(mp, args):
    """Session with the base, REGISTER, PING/PONG."""
    host, _, port = args.base.rpartition(":")
    host = host.strip("[]")
    mp.base_addr = (ep18_sockaddr(ep18(host, int(port)))[0], int(port))
    mp.base = Peer(bytes.fromhex(args.base_key), is_base=True)
    if args.base_tcp:
        # The same session over the base's TCP port: every frame we would
        # send the base over UDP goes on the stream, relay frames included.
        mp.tcp = socket.create_connection((host, args.base_tcp), timeout=10)
        mp.tcp.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    mp.initiate(mp.base, ("direct", mp.base_addr))
    if not mp.wait_for("handshake", 15, lambda ev: ev["peer"] is mp.base):
        fail("no handshake with the base")
    er = er_build(mp.ident, mp.port, mp.endpoints, mp.name)
    mp.send_control(struct.pack(">BB2x", REGISTER, 0) + er)
    ev = mp.wait_for("register_ok", 10)
    if not ev or ev["status"] != 0:
        fail("no REGISTER_OK with status OK")
    txid = mp.send_ping()
    if not mp.wait_for("pong", 10, lambda ev: ev["txid"] == txid):
        fail("no PONG")


def lookup(mp, target, notify):
    # With NOTIFY the base tells the target about us, our relay id included:
    # the node then answers even a direct HS_INIT through the relay.
    mp.send_control(struct.pack(">BB2x", LOOKUP, LOOKUP_NOTIFY if notify else 0) + target)
    ev = mp.wait_for("peer_info", 10, lambda ev: ev["addr"] == target and ev["reason"] != "notify")
    if not ev or ev["reason"] != "reply":
        fail("LOOKUP got no REPLY" + (f" ({ev['reason']})" if ev else ""))
    return ev


def direct_route(info):
    """Where to reach a looked-up node directly: the first endpoint of its
    record, else the first the base observed."""
    er = info["er"]
    for ep in er["endpoints"] + info["observed"]:
        return ("direct", ep18_sockaddr(ep))
    fail("the node's record and the base offer no endpoint")


def cookie_flood(mp, peer, most):
    """Valid-mac1 HS_INITs (junk after the macs' key: mac1 is all the load
    detector sees) until the node answers one with a COOKIE_REPLY, which it
    does only under load: then our real HS_INIT, sent next, gets one too.
    In batches, waiting briefly for that answer in between, so that a busy
    node's socket buffer does not drop the flood."""
    mp.flood_index = random_index()
    junk = struct.pack(">B3xI", HS_INIT, mp.flood_index) + os.urandom(144) + b"\0" * 32
    junk = add_macs(junk, peer.static_pub, mp.psk, None)
    sent = 0
    while sent < most:
        for _ in range(64):
            mp.sock.sendto(junk, peer.route[1])
        sent += 64
        if mp.wait_for("flood_cookie", 0.005):
            break
    else:  # a busy node may still be working through what we sent
        if not mp.wait_for("flood_cookie", 2):
            log("flood", f"sent={sent}", "no cookie reply")
            return
    # The node answers at most a burst of 5 cookie replies per source
    # address, then 20/s (mesh-protocol.md, cookie replies): the junk took
    # the burst, so wait for one token before the real HS_INIT, well inside
    # the one-second interval that keeps the node under load.
    time.sleep(0.06)
    log("flood", f"sent={sent}", "under-load")


def connect_steps(mp, args):
    target = ipaddress.IPv6Address(args.connect).packed
    mp.allowed.add(target)
    info = lookup(mp, target, not args.no_notify)
    peer = info["peer"]
    route = ("relay", info["relay_id"]) if args.via == "relay" else direct_route(info)
    attempts = 3 if args.cookie_flood else 1
    for _ in range(attempts):
        if args.cookie_flood:
            peer.route = route
            cookie_flood(mp, peer, args.cookie_flood)
        mp.initiate(peer, route)
        if not mp.wait_for("handshake", 20, lambda ev: ev["peer"] is peer):
            fail("no handshake with " + args.connect)
        if not args.cookie_flood or mp.wait_for("cookie", 0, lambda ev: ev["peer"] is peer):
            break
    else:
        fail("the node never answered with a COOKIE_REPLY")
    for seq in range(1, args.pings + 1):
        mp.send_echo(peer, seq)
        if not mp.wait_for("echo_reply", 5, lambda ev, s=seq: ev["seq"] == s):
            fail(f"no echo reply {seq}")
    for seq in range(1000, 1000 + args.tamper):
        mp.send_echo(peer, seq, tamper=True)
        log("tampered-sent", peer.name(), f"seq={seq}")
    if args.tamper and mp.wait_for("echo_reply", 2, lambda ev: ev["seq"] >= 1000):
        fail("the node answered a tampered frame")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--identity", required=True, help="identity file (created if missing)")
    ap.add_argument("--port", type=int, default=5582, help="our UDP port")
    ap.add_argument("--base", help="HOST:PORT of the base (without it: only the identity)")
    ap.add_argument("--base-key", help="the base's Ed25519 public key, hex")
    ap.add_argument("--base-tcp", type=int, metavar="PORT",
                    help="reach the base over its TCP port instead of UDP")
    ap.add_argument("--psk", help="the mesh-wide psk, 64 hex digits")
    ap.add_argument("--name", default="", help="hostname in our endpoint record")
    ap.add_argument("--endpoint", action="append", default=[],
                    help="a local address to put in our endpoint record")
    ap.add_argument("--allow", action="append", default=[],
                    help="an address whose handshakes we answer")
    ap.add_argument("--connect", help="fc94 address of a node to handshake with")
    ap.add_argument("--via", choices=("direct", "relay"), default="direct")
    ap.add_argument("--no-notify", action="store_true",
                    help="LOOKUP without NOTIFY (the node learns us only from our handshake)")
    ap.add_argument("--pings", type=int, default=3)
    ap.add_argument("--tamper", type=int, default=0, help="tampered DATA frames to send")
    ap.add_argument("--cookie-flood", type=int, default=0, metavar="N",
                    help="first send up to N junk HS_INITs to get a COOKIE_REPLY")
    ap.add_argument("--serve", type=float, default=0, help="then keep answering for SECONDS")
    args = ap.parse_args()

    if os.path.exists(args.identity):
        ident = Identity.load(args.identity)
        log("identity", addr_text(ident.addr), "loaded")
    else:
        ident = Identity.generate()
        ident.save(args.identity)
        log("identity", addr_text(ident.addr), "created")
    if not args.base:
        return
    mp = MeshPeer(ident, args)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    base_steps(mp, args)
    if args.connect:
        connect_steps(mp, args)
    log("ready")
    if args.serve:
        try:
            mp.pump(time.monotonic() + args.serve)
        finally:
            log("drops", *(f"{k.replace(' ', '_')}={v}" for k, v in sorted(mp.drops.items())))


if __name__ == "__main__":
    main()
