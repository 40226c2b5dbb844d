#!/usr/bin/env python3
"""Writes mesh/subnetra-mesh-v1.json: known-answer vectors for the mesh
handshake, DATA, COOKIE_REPLY and the receiver's drop cases
(docs/mesh-protocol.md, "Handshake" and "Sessions and timers").

An independent implementation: Noise_IKpsk2_25519_ChaChaPoly_SHA256 from
hashlib/hmac (SHA-256, HKDF) and python3-cryptography (X25519, Ed25519,
ChaCha20-Poly1305); the Ed25519 -> X25519 conversions from their formulas;
BLAKE2b from hashlib; XChaCha20-Poly1305 from an HChaCha20 written here.
Nothing comes from the C code it tests.  Developer tool only: the JSON it
prints is committed, `subnetra-conformance --mesh` checks it.

    python3 tests/vectors/gen-mesh.py > tests/vectors/mesh/subnetra-mesh-v1.json
"""
import hashlib
import hmac
import json
import struct

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import (X25519PrivateKey,
                                                              X25519PublicKey)
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

RAW = serialization.Encoding.Raw
PROTOCOL = b"Noise_IKpsk2_25519_ChaChaPoly_SHA256"
PROLOGUE = b"subnetra-mesh v1"
P25519 = 2**255 - 19
WALL0 = 1767225600 * 10**9 + 123456789  # 2026-01-01T00:00:00.123456789Z


# ---- identities ---------------------------------------------------------

def ed_pk_of(seed):
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(
        RAW, serialization.PublicFormat.Raw)


def acceptable(pk):
    h = hashlib.sha256(pk).digest()
    return h[0] == 0 and h[1] < 50


def address(pk):
    return b"\xfc\x94" + hashlib.sha256(pk).digest()[3:17]


def x25519_secret(seed):
    """crypto_sign_ed25519_sk_to_curve25519: SHA-512(seed)[0:32], clamped."""
    a = bytearray(hashlib.sha512(seed).digest()[:32])
    a[0] &= 248
    a[31] &= 127
    a[31] |= 64
    return bytes(a)


def x25519_public_of_ed(pk):
    """crypto_sign_ed25519_pk_to_curve25519: u = (1 + y) / (1 - y) mod p."""
    y = int.from_bytes(pk, "little") & ((1 << 255) - 1)
    u = (1 + y) * pow((1 - y) % P25519, P25519 - 2, P25519) % P25519
    return u.to_bytes(32, "little")


def x25519_public(priv):
    return X25519PrivateKey.from_private_bytes(priv).public_key().public_bytes(
        RAW, serialization.PublicFormat.Raw)


def dh(priv, pub):
    return X25519PrivateKey.from_private_bytes(priv).exchange(
        X25519PublicKey.from_public_bytes(pub))


def find_seed(label):
    """The first seed SHA-256(label ‖ u32 BE i) whose key passes the filter."""
    i = 0
    while True:
        seed = hashlib.sha256(label + struct.pack(">I", i)).digest()
        if acceptable(ed_pk_of(seed)):
            return seed
        i += 1


class Node:
    def __init__(self, label):
        self.seed = find_seed(label)
        self.ed_pk = ed_pk_of(self.seed)
        self.addr = address(self.ed_pk)
        self.x_priv = x25519_secret(self.seed)
        self.x_pub = x25519_public(self.x_priv)
        assert self.x_pub == x25519_public_of_ed(self.ed_pk)


# ---- Noise IKpsk2 --------------------------------------------------------

def hmac256(k, d):
    return hmac.new(k, d, hashlib.sha256).digest()


def hkdf(ck, ikm, n):
    t = hmac256(ck, ikm)
    out = [hmac256(t, b"\x01")]
    for i in range(2, n + 1):
        out.append(hmac256(t, out[-1] + bytes([i])))
    return out


def aead_nonce(n):
    return b"\x00" * 4 + struct.pack("<Q", n)


class Symmetric:
    def __init__(self):
        self.h = hashlib.sha256(PROTOCOL).digest()  # the name is > 32 bytes
        self.ck = self.h
        self.k = None
        self.n = 0

    def mix_hash(self, d):
        self.h = hashlib.sha256(self.h + d).digest()

    def mix_key(self, ikm):
        self.ck, self.k = hkdf(self.ck, ikm, 2)
        self.n = 0

    def mix_key_and_hash(self, ikm):
        self.ck, t, self.k = hkdf(self.ck, ikm, 3)
        self.mix_hash(t)
        self.n = 0

    def encrypt_and_hash(self, pt):
        ct = ChaCha20Poly1305(self.k).encrypt(aead_nonce(self.n), pt, self.h)
        self.n += 1
        self.mix_hash(ct)
        return ct

    def split(self):
        return hkdf(self.ck, b"", 2)


def tai64n(wall_ns):
    return struct.pack(">QI", (1 << 62) + wall_ns // 10**9, wall_ns % 10**9)


def mac1_key(s_pub, psk):
    if psk == bytes(32):
        return hashlib.blake2b(b"mac1----" + s_pub, digest_size=32).digest()
    return hashlib.blake2b(b"mac1----" + s_pub, key=psk, digest_size=32).digest()


def add_macs(body, receiver_x_pub, psk, cookie=None):
    m1 = hashlib.blake2b(body, key=mac1_key(receiver_x_pub, psk), digest_size=16).digest()
    if cookie is None:
        return body + m1 + bytes(16)
    return body + m1 + hashlib.blake2b(body + m1, key=cookie, digest_size=16).digest()


def handshake(ini, resp, e_i, e_r, idx_i, idx_r, wall_ns, psk=bytes(32),
              init_flags=0, resp_flags=0, claim_ed_pk=None):
    """Both messages and the transport keys.  claim_ed_pk: the payload's
    identity, when it is not the initiator's own (a forgery)."""
    e_i_pub, e_r_pub = x25519_public(e_i), x25519_public(e_r)
    si = Symmetric()
    si.mix_hash(PROLOGUE)
    si.mix_hash(resp.x_pub)
    si.mix_hash(e_i_pub)
    si.mix_key(e_i_pub)
    si.mix_key(dh(e_i, resp.x_pub))
    enc_s = si.encrypt_and_hash(ini.x_pub)
    si.mix_key(dh(ini.x_priv, resp.x_pub))
    payload = (claim_ed_pk or ini.ed_pk) + tai64n(wall_ns) + struct.pack(">I", init_flags)
    enc_p = si.encrypt_and_hash(payload)
    body = b"\x01\x00\x00\x00" + struct.pack(">I", idx_i) + e_i_pub + enc_s + enc_p
    hs_init = add_macs(body, resp.x_pub, psk)
    assert len(hs_init) == 184

    # Message 2, continuing the same transcript (both sides agree on it).
    si.mix_hash(e_r_pub)
    si.mix_key(e_r_pub)
    si.mix_key(dh(e_r, e_i_pub))
    si.mix_key(dh(e_r, ini.x_pub))
    si.mix_key_and_hash(psk)
    enc_f = si.encrypt_and_hash(struct.pack(">I", resp_flags))
    body = b"\x02\x00\x00\x00" + struct.pack(">II", idx_r, idx_i) + e_r_pub + enc_f
    hs_resp = add_macs(body, ini.x_pub, psk)
    assert len(hs_resp) == 96
    k_i2r, k_r2i = si.split()
    return {"hs_init": hs_init, "hs_resp": hs_resp, "k_i2r": k_i2r, "k_r2i": k_r2i,
            "hash": si.h, "idx_i": idx_i, "idx_r": idx_r}


def data(key, receiver, counter, pt):
    header = b"\x04\x00\x00\x00" + struct.pack(">IQ", receiver, counter)
    return header + ChaCha20Poly1305(key).encrypt(aead_nonce(counter), pt, header)


def ipv6(src, dst, payload=b"mesh vector\n"):
    return (b"\x60\x00\x00\x00" + struct.pack(">HBB", len(payload), 17, 64) + src + dst
            + payload)


# ---- XChaCha20-Poly1305 (for COOKIE_REPLY) -------------------------------

def _rotl(v, c):
    return ((v << c) & 0xffffffff) | (v >> (32 - c))


def _qr(s, a, b, c, d):
    s[a] = (s[a] + s[b]) & 0xffffffff; s[d] = _rotl(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & 0xffffffff; s[b] = _rotl(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b]) & 0xffffffff; s[d] = _rotl(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & 0xffffffff; s[b] = _rotl(s[b] ^ s[c], 7)


def hchacha20(key, nonce16):
    s = list(struct.unpack("<4I", b"expand 32-byte k") + struct.unpack("<8I", key)
             + struct.unpack("<4I", nonce16))
    for _ in range(10):
        _qr(s, 0, 4, 8, 12); _qr(s, 1, 5, 9, 13); _qr(s, 2, 6, 10, 14); _qr(s, 3, 7, 11, 15)
        _qr(s, 0, 5, 10, 15); _qr(s, 1, 6, 11, 12); _qr(s, 2, 7, 8, 13); _qr(s, 3, 4, 9, 14)
    return struct.pack("<8I", *(s[0:4] + s[12:16]))


def xchacha_seal(key, nonce24, pt, ad):
    sub = hchacha20(key, nonce24[:16])
    return ChaCha20Poly1305(sub).encrypt(b"\x00" * 4 + nonce24[16:], pt, ad)


def cookie_reply(resp, answered, secret, source, nonce):
    cookie = hashlib.blake2b(source, key=secret, digest_size=16).digest()
    ckey = hashlib.blake2b(b"cookie--" + resp.x_pub, digest_size=32).digest()
    mac1 = answered[-32:-16]
    reply = (b"\x03\x00\x00\x00" + answered[4:8] + nonce
             + xchacha_seal(ckey, nonce, cookie, mac1))
    assert len(reply) == 64
    return cookie, reply


# ---- the file -------------------------------------------------------------

def hx(b):
    return b.hex()


def main():
    alice, bob, mallory = Node(b"subnetra mesh vector alice"), Node(
        b"subnetra mesh vector bob"), Node(b"subnetra mesh vector mallory")
    e_a = hashlib.sha256(b"alice ephemeral").digest()
    e_a2 = hashlib.sha256(b"alice ephemeral 2").digest()
    e_b = hashlib.sha256(b"bob ephemeral").digest()
    e_m = hashlib.sha256(b"mallory ephemeral").digest()
    psk = bytes(range(0xa0, 0xc0))
    IDX_A, IDX_B = 0x1a2b3c4d, 0x5e6f7081

    hs = handshake(alice, bob, e_a, e_b, IDX_A, IDX_B, WALL0)
    hs_psk = handshake(alice, bob, e_a, e_b, IDX_A, IDX_B, WALL0 + 1, psk=psk,
                       init_flags=0, resp_flags=0)

    def hs_vector(name, h, wall, p):
        return {"name": name,
                "input": {"initiator_seed": hx(alice.seed), "responder_seed": hx(bob.seed),
                          "psk": hx(p), "initiator_ephemeral": hx(e_a),
                          "responder_ephemeral": hx(e_b), "initiator_index": IDX_A,
                          "responder_index": IDX_B, "wall_ns": wall,
                          "initiator_flags": 0, "responder_flags": 0},
                "output": {"hs_init": hx(h["hs_init"]), "hs_resp": hx(h["hs_resp"]),
                           "key_i2r": hx(h["k_i2r"]), "key_r2i": hx(h["k_r2i"]),
                           "handshake_hash": hx(h["hash"])}}

    handshakes = [hs_vector("alice-bob", hs, WALL0, bytes(32)),
                  hs_vector("alice-bob-psk", hs_psk, WALL0 + 1, psk)]

    pkt_ab = ipv6(alice.addr, bob.addr)
    pkt_ba = ipv6(bob.addr, alice.addr, b"reply from bob\n")
    datas = []
    for name, frm, key, rcv, ctr, pt in [
            ("i2r-keepalive", "initiator", hs["k_i2r"], IDX_B, 0, b""),
            ("i2r-packet", "initiator", hs["k_i2r"], IDX_B, 1, pkt_ab),
            ("r2i-packet", "responder", hs["k_r2i"], IDX_A, 0, pkt_ba),
            ("i2r-large-counter", "initiator", hs["k_i2r"], IDX_B, 2**60 - 1, pkt_ab)]:
        datas.append({"name": name, "handshake": "alice-bob", "from": frm,
                      "counter": ctr, "plaintext": hx(pt),
                      "datagram": hx(data(key, rcv, ctr, pt))})

    source = bytes([198, 51, 100, 7, 0xca, 0xfe])
    secret = hashlib.sha256(b"cookie secret R").digest()
    nonce = hashlib.sha256(b"cookie nonce").digest()[:24]
    cookie, reply = cookie_reply(bob, hs["hs_init"], secret, source, nonce)
    cookies = [{"name": "bob-answers-alice-hs-init",
                "input": {"responder_seed": hx(bob.seed), "initiator_seed": hx(alice.seed),
                          "psk": hx(bytes(32)),
                          "answered": hx(hs["hs_init"]), "secret": hx(secret),
                          "source": hx(source), "nonce": hx(nonce)},
                "output": {"cookie": hx(cookie), "reply": hx(reply),
                           "hs_init_with_mac2": hx(add_macs(hs["hs_init"][:-32],
                                                            bob.x_pub, bytes(32), cookie))}}]

    # Receiver cases: bob answers; steps are datagrams in order.
    init = hs["hs_init"]
    init_old = handshake(alice, bob, e_a2, e_b, IDX_A + 1, IDX_B, WALL0 - 10**9)["hs_init"]
    forged = handshake(mallory, bob, e_m, e_b, 0x0badf00d, IDX_B, WALL0,
                       claim_ed_pk=alice.ed_pk)["hs_init"]
    stranger = handshake(mallory, bob, e_m, e_b, 0x0badf00d, IDX_B, WALL0)["hs_init"]

    def flip(b, i, bit=0x01):
        b = bytearray(b)
        b[i] ^= bit
        return bytes(b)

    def hs_ok(note="genuine HS_INIT"):
        return {"note": note, "message": hx(init), "expect": "accept", "reason": "ok",
                "reply": hx(hs["hs_resp"]), "plaintext": None}

    def hs_drop(note, msg, reason):
        return {"note": note, "message": hx(msg), "expect": "drop", "reason": reason,
                "reply": None, "plaintext": None}

    def d(note, ctr, pt, reason="packet", msg=None):
        m = msg if msg is not None else data(hs["k_i2r"], IDX_B, ctr, pt)
        acc = reason in ("packet", "keepalive")
        return {"note": note, "message": hx(m), "expect": "accept" if acc else "drop",
                "reason": reason, "reply": None,
                "plaintext": hx(pt) if acc and pt else None}

    tampered_body = add_macs(flip(init, 100)[:-32], bob.x_pub, bytes(32))
    spoofed = ipv6(mallory.addr, bob.addr)
    cases = [
        ("hs-accept-then-data", [alice], [
            hs_ok(), d("keepalive confirms bob's keypair", 0, b"", "keepalive"),
            d("an IPv6 packet from alice", 1, pkt_ab)]),
        ("hs-bad-mac1", [alice], [
            hs_drop("mac1 flipped", flip(init, 152), "bad_mac1"),
            hs_drop("body byte flipped, mac1 not recomputed", flip(init, 60), "bad_mac1"),
            hs_ok("the genuine one is still accepted")]),
        ("hs-bad-reserved", [alice], [
            hs_drop("reserved byte 1 set", flip(init, 1), "bad_reserved"),
            hs_drop("reserved byte 3 set", flip(init, 3, 0x80), "bad_reserved"),
            hs_ok()]),
        ("hs-wrong-length", [alice], [
            hs_drop("one byte short", init[:-1], "bad_length"),
            hs_drop("one byte long", init + b"\x00", "bad_length"),
            hs_drop("an HS_RESP", hs["hs_resp"], "bad_length"),
            hs_ok()]),
        ("hs-bad-type", [alice], [
            hs_drop("type 0x02 at HS_INIT's length", b"\x02" + init[1:], "bad_type")]),
        ("hs-tampered-ciphertext", [alice], [
            hs_drop("payload byte flipped, mac1 recomputed", tampered_body, "decrypt"),
            hs_ok()]),
        ("hs-replayed-timestamp", [alice], [
            hs_ok(), hs_drop("the same HS_INIT again", init, "stale_timestamp"),
            hs_drop("a fresh HS_INIT with an older timestamp", init_old, "stale_timestamp")]),
        ("hs-not-whitelisted", [], [
            hs_drop("alice is not on bob's whitelist", init, "not_allowed")]),
        ("hs-stranger", [alice], [
            hs_drop("mallory, genuine but not whitelisted", stranger, "not_allowed")]),
        ("hs-static-mismatch", [alice], [
            hs_drop("mallory's static key claiming alice's identity", forged,
                    "static_mismatch"),
            hs_ok()]),
        ("data-replayed-counter", [alice], [
            hs_ok(), d("counter 0", 0, pkt_ab), d("counter 0 again", 0, pkt_ab, "replay"),
            d("counter 5", 5, pkt_ab), d("counter 3, in the window", 3, pkt_ab),
            d("counter 5 again", 5, pkt_ab, "replay")]),
        ("data-counter-too-old", [alice], [
            hs_ok(), d("counter 9000", 9000, pkt_ab),
            d("counter 872 = 9000 - 8128, the oldest tracked", 872, pkt_ab),
            d("counter 871, behind the window", 871, pkt_ab, "too_old")]),
        ("data-spoofed-inner-source", [alice], [
            hs_ok(), d("inner source is mallory's address", 0, spoofed, "inner_bad_source"),
            d("inner destination is mallory's", 1, ipv6(alice.addr, mallory.addr),
              "inner_bad_dest"),
            d("the same counter, genuine: the window was not touched", 0, pkt_ab)]),
        ("data-tampered-tag", [alice], [
            hs_ok(),
            d("last tag byte flipped", 0, pkt_ab, "bad_tag",
              msg=flip(data(hs["k_i2r"], IDX_B, 0, pkt_ab), -1)),
            d("header counter changed (AD)", 0, pkt_ab, "bad_tag",
              msg=flip(data(hs["k_i2r"], IDX_B, 0, pkt_ab), 15)),
            d("the genuine one", 0, pkt_ab)]),
        ("data-unknown-index", [alice], [
            hs_ok(), d("another receiver index", 0, pkt_ab, "unknown_index",
                       msg=data(hs["k_i2r"], IDX_B ^ 1, 0, pkt_ab))]),
    ]
    receiver_cases = [{
        "name": name, "responder_seed": hx(bob.seed), "psk": hx(bytes(32)),
        "allowed": [hx(n.ed_pk) for n in allowed],
        "responder_ephemeral": hx(e_b), "responder_index": IDX_B, "responder_flags": 0,
        "steps": steps} for name, allowed, steps in cases]

    out = {"mesh_version": 1, "prologue": hx(PROLOGUE),
           "nodes": [{"name": n, "seed": hx(x.seed), "ed_pk": hx(x.ed_pk),
                      "x25519_pk": hx(x.x_pub), "address": hx(x.addr)}
                     for n, x in (("alice", alice), ("bob", bob), ("mallory", mallory))],
           "handshakes": handshakes, "data": datas, "cookie_replies": cookies,
           "receiver_cases": receiver_cases}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
