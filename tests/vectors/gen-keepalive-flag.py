#!/usr/bin/env python3
"""Writes subnetra-v1-keepalive-flag.json: receiver cases for the KEEPALIVE
flag on a datagram with a body (issue 10, item 7), in the schema of
shared/vectors (README there).

A second, independent implementation of the v1 sender (hashlib's BLAKE2b and
python3-cryptography's ChaCha20-Poly1305), so the vectors do not come from the
code they test.  Developer tool only: the JSON it prints is committed, and
neither `make test` nor CI runs this script.

    python3 tests/vectors/gen-keepalive-flag.py > tests/vectors/subnetra-v1-keepalive-flag.json
"""
import hashlib
import json
import struct

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

PSK = bytes(range(0x40, 0x60))  # fixed, so the file is reproducible
FROM_ID, TO_ID = 2, 1
EPOCH = 1767225600000000000  # 2026-01-01T00:00:00Z in ns
NEXT_EPOCH = EPOCH + 1000
ALLOWED = "10.77.0.2/32"


def link_key(psk, f, t):
    return hashlib.blake2b(b"subnetra-v1-link" + struct.pack(">II", f, t),
                           key=psk, digest_size=32).digest()


def session_key(lk, epoch):
    return hashlib.blake2b(b"subnetra-v1-session" + struct.pack(">Q", epoch),
                           key=lk, digest_size=32).digest()


def seal(epoch, seq, pt, flags=None):
    """The datagram a v1 sender emits; flags overrides the header byte after sealing."""
    sk = session_key(link_key(PSK, FROM_ID, TO_ID), epoch)
    f = 0x01 if len(pt) == 0 else 0x00
    header = struct.pack("<BBHQQ", 1, f if flags is None else flags, FROM_ID, epoch, seq)
    nonce = struct.pack("<Q", seq) + b"\0" * 4
    return header + ChaCha20Poly1305(sk).encrypt(nonce, pt, b"")


def ipv4(src, dst, payload):
    """A minimal IPv4/UDP packet (checksums are not the receiver's concern)."""
    total = 20 + 8 + len(payload)
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, total, 0, 0, 64, 17, 0,
                     bytes(map(int, src.split("."))), bytes(map(int, dst.split("."))))
    return ip + struct.pack(">HHHH", 40000, 9, 8 + len(payload), 0) + payload


def step(note, dgram, accept, pt, epoch_after):
    return {"note": note, "datagram": dgram.hex(), "expect": "accept" if accept else "drop",
            "plaintext": pt.hex() if pt is not None else None, "epoch_after": epoch_after}


def case(name, init_epoch, steps):
    return {"name": name, "link": {"psk": PSK.hex(), "from_id": FROM_ID, "to_id": TO_ID},
            "allowed_src": ALLOWED, "init_epoch": init_epoch, "steps": steps}


pkt = ipv4("10.77.0.2", "10.77.0.1", b"keepalive-flag test")
data10 = seal(EPOCH, 10, pkt)
flagged10 = seal(EPOCH, 10, pkt, flags=0x01)
one_byte = seal(EPOCH, 11, b"\x45", flags=0x01)
fresh = seal(NEXT_EPOCH, 1, pkt, flags=0x01)
fresh_ka = seal(NEXT_EPOCH, 2, b"")

cases = [
    case("keepalive-flag-on-data-dropped-before-state", EPOCH, [
        step("data datagram (seq 10) with the KEEPALIVE flag set on the wire -> drop "
             "(a keepalive has no body); nothing is consumed", flagged10, False, None, EPOCH),
        step("the same datagram with its real flags (0x00) -> accept: seq 10 was not "
             "consumed by the flagged copy", data10, True, pkt, EPOCH),
        step("the flagged copy again -> drop", flagged10, False, None, EPOCH),
        step("seq 10 again with real flags -> drop (replay)", data10, False, None, EPOCH),
    ]),
    case("keepalive-flag-one-byte-body", EPOCH, [
        step("37 bytes (1-byte body) flagged KEEPALIVE -> drop", one_byte, False, None, EPOCH),
    ]),
    case("keepalive-flag-does-not-commit-epoch", 0, [
        step("fresh link: a newer-epoch data datagram flagged KEEPALIVE -> drop, "
             "epoch not adopted", fresh, False, None, 0),
        step("a genuine 36-byte keepalive of that epoch -> accept, epoch adopted",
             fresh_ka, True, None, NEXT_EPOCH),
    ]),
]

print(json.dumps({"wire_version": 1, "max_plaintext": 1452, "vectors": [],
                  "obfuscated_vectors": [], "receiver_cases": cases}, indent=1))
