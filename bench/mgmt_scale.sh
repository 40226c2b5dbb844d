#!/usr/bin/env bash
# The management server at scale (issue 14, "Speed and scale"), on loopback;
# `make bench` runs it for its rows mgmt-sqlite and mgmt-pg (bench/mgmt_rows.sh):
#
#   bench/mgmt_scale.sh [--pg] [--servers K] [--writes SECS] [N [G]]
#       (default N=$MGMT_DEVICES or 2000, G=$MGMT_GROUP or 100, K=1)
#
# K subnetra-mgmtd (SQLite, or with --pg one PostgreSQL server that this
# script starts, as tests/netns/lib_pg.sh does, shared by all K), test
# routes on for their join codes; N simulated devices
# (tests/tools/mgmt_bench.py: real identities, every request Ed25519-signed)
# split between the servers join N/G networks of G devices, fetch their
# signed bundles and each hold a config long-poll.  Then one admin API
# change through the first server (a device attached to network 0 with a
# bearer token): the time until every device of network 0, on every
# server, holds the new bundle (p50, p99, max), that no other poll was
# answered, each server's RSS; with --writes, device renames through the
# API for SECS seconds (writes per second, latency); on SQLite then a change
# whose devices the server cannot know (the version bumped by another
# process): the time for every parked poll to re-check its bundle.
#
# Prints mgmt_bench.py's key=value lines on stdout; exit 0 when every
# affected device got the new bundle and no other poll was answered.
# The identities (they must pass the identity filter: some 20-50 ms of CPU
# each) are generated once into $SUBNETRA_BUILD/mgmt-ids.txt on two cores.
# Needs root for --pg (the server runs as user postgres).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${SUBNETRA_BUILD:-$ROOT/build}
PG=0
K=1
WRITES=0
while [ $# -gt 0 ]; do
	case $1 in
	--pg) PG=1 ;;
	--servers) K=$2; shift ;;
	--writes) WRITES=$2; shift ;;
	-*) echo "usage: bench/mgmt_scale.sh [--pg] [--servers K] [--writes SECS] [N [G]]" >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done
N=${1:-${MGMT_DEVICES:-2000}}
G=${2:-${MGMT_GROUP:-100}}
SPARE=9 # spare devices: one attached by the change, eight renamed by --writes
MGMTD=$BUILD/subnetra-mgmtd
DEVTOOL=$BUILD/tests/tools/mgmt_device
die() { echo "mgmt_scale: $*" >&2; exit 1; }
log() { echo "mgmt_scale: $*" >&2; }
bail() { die "$*"; }
[ -x "$MGMTD" ] && [ -x "$DEVTOOL" ] || die "build first: make test-build"
python3 -c 'import cryptography' 2>/dev/null || die "python3-cryptography missing"
[ "$K" = 1 ] || [ "$K" = 2 ] || [ "$PG" = 1 ] || die "--servers $K needs --pg (SQLite serves one)"
ulimit -n $((N * 2 + 2048)) 2>/dev/null || die "cannot raise the open file limit to $((N * 2 + 2048))"

T=$(mktemp -d /tmp/snr-mgmt-scale.XXXXXX)
SRV=()
ALL_LOGS=()
# shellcheck source=tests/netns/lib_pg.sh
. "$ROOT/tests/netns/lib_pg.sh"
cleanup() {
	local p
	for p in "${SRV[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	pg_stop
	rm -rf "$T"
}
trap cleanup EXIT

IDS=$BUILD/mgmt-ids.txt
have=$( (wc -l <"$IDS") 2>/dev/null || echo 0)
if [ "$have" -lt $((N + SPARE)) ]; then
	want=$((N + SPARE - have))
	log "generating $want identities once (cached in $IDS)"
	"$DEVTOOL" keygen $(((want + 1) / 2)) >"$T/ids1" &
	p1=$!
	"$DEVTOOL" keygen $((want / 2)) >"$T/ids2" || die keygen
	wait "$p1" || die keygen
	cat "$T/ids1" "$T/ids2" >>"$IDS"
fi

if [ "$PG" = 1 ]; then
	pg_start
	pg_createdb mgmt || die "createdb failed"
	DB=$(pg_url mgmt)
else
	DB=$T/mgmt.db
fi
out=$("$MGMTD" init --db "$DB" --dir "$T" --admin bench@example.org 2>&1) || die "init: $out"
PW=$(printf '%s\n' "$out" | sed -n 's/^one-time password: *//p')
DEVICES=""
for ((k = 0; k < K; k++)); do
	SUBNETRA_MGMTD_TEST_ROUTES=1 "$MGMTD" serve --db "$DB" --dir "$T" --admin-listen 127.0.0.1:0 \
		--device-listen 127.0.0.1:0 --max-connections $((N + 512)) >"$T/serve$k.log" 2>&1 &
	SRV+=($!)
	for _ in $(seq 400); do grep -qs 'device listener on' "$T/serve$k.log" && break; sleep 0.05; done
	d=$(sed -n 's|.*device listener on http://\(.*\)/$|\1|p' "$T/serve$k.log")
	[ -n "$d" ] || die "serve $k did not start: $(cat "$T/serve$k.log")"
	DEVICES+=${DEVICES:+,}$d
	[ "$k" = 0 ] && ADMIN=$(sed -n 's|.*admin listener on https://\(.*\)/$|\1|p' "$T/serve0.log")
done
for i in $(seq 0 $(((N + G - 1) / G - 1))) spare; do
	[ "$i" = spare ] || i=net-$i
	curl -s --cacert "$T/tls-cert.pem" -H 'Content-Type: application/json' \
		--data "{\"network\":\"$i\",\"reusable\":true}" \
		"https://$ADMIN/api/v1/_test/joincode" | sed -n 's/.*"code":"\(snj_[^"]*\)".*/\1/p'
done >"$T/codes"
args=(--device "$DEVICES" --admin "$ADMIN" --cacert "$T/tls-cert.pem" --email bench@example.org
	--password "$PW" --codes "$T/codes" --seeds "$IDS" --n "$N" --g "$G" --spare "$SPARE"
	--pids "$(IFS=,; echo "${SRV[*]}")" --writes "$WRITES")
[ "$PG" = 1 ] || args+=(--sqlite "$DB")
python3 "$ROOT/tests/tools/mgmt_bench.py" "${args[@]}"
rc=$?
for ((k = 0; k < K; k++)); do
	kill -TERM "${SRV[$k]}"
	wait "${SRV[$k]}"
	src=$?
	grep -E 'device API:|served ' "$T/serve$k.log" | sed "s/^/server $k: /" >&2
	if [ "$src" != 0 ]; then # a crash, or a sanitizer's report
		log "server $k exited with $src: $(tail -n 20 "$T/serve$k.log")"
		rc=1
	fi
done
SRV=()
exit $rc
