#!/usr/bin/env bash
# The management server at scale (issue 14, "Speed and scale"), on loopback:
#
#   bench/mgmt_scale.sh [N [G]]     (default N=$MGMT_DEVICES or 2000, G=100)
#
# One subnetra-mgmtd (SQLite, test routes on for its join codes); N
# simulated devices (tests/tools/mgmt_device.py: real identities, every
# request Ed25519-signed) join N/G networks of G devices, fetch their
# signed bundles and each hold a config long-poll.  Then one change (one
# more device joins network 0): the time from the change until every
# device of network 0 holds the new bundle (p50, p99, max), that no other
# poll was woken, and mgmtd's RSS with everything parked and after.  Then
# a change whose devices the server cannot know (another process bumps the
# version in the database): every poll is woken, re-checks its bundle,
# finds it unchanged and parks again; the time that takes.
#
# The identities (they must pass the identity filter: some 20-50 ms of CPU
# each) are generated once into build/mgmt-ids.txt on two cores and reused.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${SUBNETRA_BUILD:-$ROOT/build}
N=${1:-${MGMT_DEVICES:-2000}}
G=${2:-${MGMT_GROUP:-100}}
MGMTD=$BUILD/subnetra-mgmtd
DEVTOOL=$BUILD/tests/tools/mgmt_device
PYDEV=$ROOT/tests/tools/mgmt_device.py
die() { echo "mgmt_scale: $*" >&2; exit 1; }
log() { echo "mgmt_scale: $*" >&2; }
[ -x "$MGMTD" ] && [ -x "$DEVTOOL" ] || die "build first: make test-build"
python3 -c 'import cryptography' 2>/dev/null || die "python3-cryptography missing"
ulimit -n $((N * 2 + 1024)) 2>/dev/null || die "cannot raise the open file limit to $((N * 2 + 1024))"

T=$(mktemp -d /tmp/snr-mgmt-scale.XXXXXX)
SRV=""
trap '[ -n "$SRV" ] && kill "$SRV" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT

IDS=$BUILD/mgmt-ids.txt
have=$( (wc -l <"$IDS") 2>/dev/null || echo 0)
if [ "$have" -lt $((N + 1)) ]; then
	want=$((N + 1 - have))
	log "generating $want identities once (cached in $IDS)"
	"$DEVTOOL" keygen $(((want + 1) / 2)) >"$T/ids1" &
	p1=$!
	"$DEVTOOL" keygen $((want / 2)) >"$T/ids2" || die keygen
	wait "$p1" || die keygen
	cat "$T/ids1" "$T/ids2" >>"$IDS"
fi

"$MGMTD" init --db "$T/mgmt.db" --admin bench@example.org >/dev/null 2>&1 || die "init"
SUBNETRA_MGMTD_TEST_ROUTES=1 "$MGMTD" serve --db "$T/mgmt.db" --admin-listen 127.0.0.1:0 \
	--device-listen 127.0.0.1:0 --max-connections $((N + 512)) >"$T/serve.log" 2>&1 &
SRV=$!
for _ in $(seq 200); do grep -q 'serving ' "$T/serve.log" && break; sleep 0.05; done
ADMIN=$(sed -n 's|.*admin listener on https://\(.*\)/$|\1|p' "$T/serve.log")
DEVICE=$(sed -n 's|.*device listener on http://\(.*\)/$|\1|p' "$T/serve.log")
[ -n "$DEVICE" ] || die "serve did not start: $(cat "$T/serve.log")"
for i in $(seq 0 $(((N + G - 1) / G - 1))); do
	curl -sk -H 'Content-Type: application/json' --data "{\"network\":\"net-$i\",\"reusable\":true}" \
		"https://$ADMIN/api/v1/_test/joincode" | sed -n 's/.*"code":"\(snj_[^"]*\)".*/\1/p'
done >"$T/codes"
python3 "$PYDEV" bench "$DEVICE" "$T/codes" "$IDS" "$N" "$G" "$SRV" "$T/mgmt.db"
rc=$?
kill -TERM "$SRV"
wait "$SRV"
SRV=""
grep -E 'device API:|served ' "$T/serve.log" >&2
exit $rc
