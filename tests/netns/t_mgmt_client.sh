#!/usr/bin/env bash
# The node daemon's management client (src/agent/client.c, run on its
# own by tests/tools/mgmt_client) against a real subnetra-mgmtd, on loopback:
#
#   mgmt_client --plain HTTP: license.json, signed join, config long-poll--> [subnetra-mgmtd serve]
#   curl --TLS--> admin listener (test route _test/joincode)
#
# two devices join with one reusable code into one network: each pins the
# license by the code's fingerprint, and ends up holding a verified bundle
# that names the other (the first one's parked long-poll is woken by the
# second join); a restart without the code (trust file and cached bundle)
# applies the cached bundle at once, even with the server stopped; a code
# whose fingerprint names another key is refused (bad_signature) and pins
# nothing.  Not yet: the node daemon itself (whitelist, hosts, status).  TAP.
set -u
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/lib_mgmt.sh
source "$(dirname "$0")/lib_mgmt.sh"

CLIENT=$SNR_BUILD/tests/tools/mgmt_client
DEVTOOL=$SNR_BUILD/tests/tools/mgmt_device
[ -x "$MGMTD" ] || bail "no $MGMTD (make test-build)"
[ -x "$CLIENT" ] || bail "no $CLIENT (make test-build)"
[ -x "$DEVTOOL" ] || bail "no $DEVTOOL (make test-build)"
command -v curl >/dev/null || bail "curl missing"

mgmt_tmp mgmt-client

OUT=$("$MGMTD" init --db "$DB" --admin admin@example.org 2>&1) || bail "init: $OUT"
"$SUBNETRA" identity new --out "$T/base.id" >/dev/null 2>&1 || bail "identity new"
BASE_PK=$("$SUBNETRA" identity show "$T/base.id" | sed -n 's/^public-key //p' | head -1)
"$MGMTD" settings --db "$DB" --base-server "203.0.113.5:5582:443:$BASE_PK" \
	--mgmt-address fc94::4d --name "Acme robots" >/dev/null 2>&1 || bail "settings"
mgmt_serve
URL="http://$DEVICE/"

"$DEVTOOL" keygen 2 >"$T/seeds" || bail "keygen"
S1=$(sed -n 1p "$T/seeds"); S2=$(sed -n 2p "$T/seeds")
A1=$("$DEVTOOL" addr "$S1" | cut -d' ' -f2); A2=$("$DEVTOOL" addr "$S2" | cut -d' ' -f2)
CODE=$(code_of "$(post_admin /api/v1/_test/joincode '{"network":"fleet","reusable":true}')")
[ -n "$CODE" ] || bail "no join code from the test route"

# Device 1 joins first: its first bundle has no peers; it keeps polling for one.
"$CLIENT" "$URL" "$T" dev1 "$S1" 1 60 "$CODE" robot-a >"$T/dev1.out" 2>"$T/dev1.err" &
P1=$!
bg_track "$P1"
wait_until 30 grep -q '^applied .* peers=0' "$T/dev1.out"
check "device 1: license pinned, joined, a first bundle (no peers yet) applied" \
	grep -q '^applied [0-9]*\.[0-9]* peers=0$' "$T/dev1.out"
check "device 1: trust, license and bundle saved" \
	test -s "$T/dev1.mgmt-trust" -a -s "$T/dev1.mgmt-license.json" -a -s "$T/dev1.mgmt-bundle.json"
check_match "... the trust file pins the instance key" '^pinned 1$' "$(cat "$T/dev1.mgmt-trust")"

# Device 2 joins: both hold a bundle naming the other.
timeout 60 "$CLIENT" "$URL" "$T" dev2 "$S2" 1 50 "$CODE" robot-b >"$T/dev2.out" 2>"$T/dev2.err"
check_eq "device 2: joined, a bundle naming device 1 applied" 0 $?
check_match "... with device 1's address and name" "peers=1 $A1=robot-a\$" "$(cat "$T/dev2.out")"
wait "$P1"
check_eq "device 1: its parked poll woken, exits with a peer" 0 $?
check_match "... device 2's address and name" "peers=1 $A2=robot-b\$" "$(tail -1 "$T/dev1.out")"

# Restart without the code, server stopped: the cached bundle at once.
kill -TERM "$SRV_PID"
wait "$SRV_PID" 2>/dev/null
timeout 20 "$CLIENT" "$URL" "$T" dev1 "$S1" 1 5 >"$T/dev1b.out" 2>"$T/dev1b.err"
check_eq "restart, server down: the cached bundle applied from the state files" 0 $?
check_match "... the same peer" "peers=1 $A2=robot-b\$" "$(cat "$T/dev1b.out")"

# The cache edited: refused at start-up, nothing applied (the server is down).
python3 - "$T/dev1.mgmt-bundle.json" <<'PY'
import sys
p = sys.argv[1]; s = open(p).read(); i = s.index('"payload":"') + 40
open(p, 'w').write(s[:i] + ('B' if s[i] == 'A' else 'A') + s[i + 1:])
PY
timeout 20 "$CLIENT" "$URL" "$T" dev1 "$S1" 1 3 >"$T/dev1c.out" 2>"$T/dev1c.err"
check_eq "an edited cache: not applied (gives up after 3 s, server down)" 1 $?
check_eq "... nothing applied" "" "$(cat "$T/dev1c.out")"

# A code whose fingerprint names another key: the license is refused, nothing pinned.
SRV_LOG2=$T/serve2.log
ALL_LOGS+=("$SRV_LOG2")
SUBNETRA_MGMTD_TEST_ROUTES=1 "$MGMTD" serve --db "$DB" --admin-listen 127.0.0.1:0 \
	--device-listen 127.0.0.1:0 >"$SRV_LOG2" 2>&1 &
bg_track $!
mgmtd_wait "$SRV_LOG2" || bail "serve did not restart"
DEVICE=$MGMTD_DEVICE
BAD=${CODE%_*}_$(printf '%026d' 0)
timeout 20 "$CLIENT" "http://$DEVICE/" "$T" dev3 "$S2" 1 3 "$BAD" >"$T/dev3.out" 2>"$T/dev3.err"
check_eq "a code naming another key: gives up" 1 $?
check_match "... the license refused as a bad signature, counted" 'bad_signature=[1-9]' "$(cat "$T/dev3.err")"
check "... nothing pinned" test ! -e "$T/dev3.mgmt-trust"
done_testing
