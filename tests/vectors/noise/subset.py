#!/usr/bin/env python3
"""Keeps the vectors of a published Noise test-vector file whose protocol
subnetra speaks, each vector object byte for byte as published:

    python3 tests/vectors/noise/subset.py < cacophony.txt > cacophony-ik.json

Only the wrapper ({"vectors": [ ... ]}) and the separators between the
kept objects are ours; every kept object is the exact span of the input."""
import json
import re
import sys

KEEP = {f"Noise_{p}_25519_ChaChaPoly_SHA256" for p in ("IK", "IKpsk1", "IKpsk2")}

text = sys.stdin.read()
dec = json.JSONDecoder()
i = re.compile(r'\{\s*"vectors"\s*:\s*\[').match(text).end()
kept = []
while True:
    i = re.compile(r"[\s,]*").match(text, i).end()
    if text[i] == "]":
        break
    obj, end = dec.raw_decode(text, i)
    if obj.get("protocol_name") in KEEP:
        kept.append(text[i:end])
    i = end
if not kept:
    sys.exit("subset.py: no vector of " + ", ".join(sorted(KEEP)))
sys.stdout.write('{\n"vectors": [\n' + ",\n".join(kept) + "\n]\n}\n")
