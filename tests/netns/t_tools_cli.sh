#!/usr/bin/env bash
# The helper tools end to end: keygen, config-gen, config-lint, wire-decode,
# doctor.sh, and mtu-probe across real links in network namespaces.
#
#   mtu-probe, direct (veth MTU 1400 on both ends):
#
#     [$RUN-a] va 198.18.0.1/30 ===== vb 198.18.0.2/30 [$RUN-b]  listener :47000
#
#   mtu-probe, through a router whose far link is 1280 bytes; with the
#   router's ICMP "fragmentation needed" dropped (a PMTU black hole) the
#   prober must find the same answer from timeouts alone:
#
#     [$RUN-a] a0 198.18.1.1 --1500-- r0 198.18.1.2 [$RUN-r] r1 198.18.2.1 --1280-- b1 198.18.2.2 [$RUN-b]
#
# Every namespace, process and file is this run's own (names carry the PID)
# and removed on exit.  Output is TAP; exit 1 on any failure.  Runs as root.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${SUBNETRA_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
KEYGEN=$BUILD/subnetra-keygen
GEN=$BUILD/subnetra-config-gen
LINT_BIN=$BUILD/subnetra-config-lint
DECODE=$BUILD/subnetra-wire-decode
PROBE=$BUILD/subnetra-mtu-probe
DAEMON=$BUILD/subnetrad
DOCTOR=$ROOT/tools/doctor.sh

RUN=snrt$$
T=""
NAMESPACES=()
BG_PIDS=()
TAP_N=0
TAP_FAIL=0

# The first sender vector ("icmp-echo-request-1-to-2"), its -obfs twin and its psk.
V_PSK=e77d24543b852bdcb6cce43b9ae7d73a1af0c426bf6c46d1926c1eed7af1627b
V1=010001002501ab34c7083e1801000000000000009cb30fa13cf4fbf523d5b7911676ddf7f69839c580844d4bd102490e3b5511727ffc18e8bf293cab90aa8d38b33394ab63469ad9a7aecb7faa27389dc51d3bdb4dce8585e11bed5897f509034b75059eb6bbe40a53b4bb59626023eb77522a5f0308770d
V1_OBFS=fc8a71b81644e2a646f4ec241b8a4a83a4cb84ad9cb30fa13cf4fbf523d5b7911676ddf7f69839c580844d4bd102490e3b5511727ffc18e8bf293cab90aa8d38b33394ab63469ad9a7aecb7faa27389dc51d3bdb4dce8585e11bed5897f509034b75059eb6bbe40a53b4bb59626023eb77522a5f0308770d

# ---- TAP ------------------------------------------------------------------------

diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
ok() {
	TAP_N=$((TAP_N + 1))
	printf 'ok %d - %s\n' "$TAP_N" "$*"
}
not_ok() {
	TAP_N=$((TAP_N + 1))
	TAP_FAIL=$((TAP_FAIL + 1))
	printf 'not ok %d - %s\n' "$TAP_N" "$*"
}
# check_rc DESC WANT CMD...: ok iff CMD exits WANT; output in $OUT.
OUT=""
check_rc() {
	local desc=$1 want=$2 rc
	shift 2
	OUT=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -eq "$want" ]; then
		ok "$desc"
	else
		not_ok "$desc"
		diag "command: $* (exit $rc, want $want)" "$(printf '%s\n' "$OUT" | head -n 15)"
	fi
}
# check_grep DESC PATTERN TEXT: ok iff the extended regex matches a line of TEXT.
check_grep() {
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then
		ok "$1"
	else
		not_ok "$1"
		diag "no line matches: $2" "$(printf '%s\n' "$3" | head -n 15)"
	fi
}
check_nogrep() {
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then
		not_ok "$1"
		diag "a line matches: $2"
	else
		ok "$1"
	fi
}
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		diag "want: $2" "got:  $3"
	fi
}
bail() {
	echo "Bail out! $*"
	exit 1
}

now_ms() { date +%s%3N; }
# wait_until SECONDS CMD...: poll CMD until it succeeds.
wait_until() {
	local deadline=$(($(now_ms) + $1 * 1000))
	shift
	until "$@"; do
		[ "$(now_ms)" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
	local rc=$? p ns
	trap - EXIT INT TERM HUP
	for p in "${BG_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${BG_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	for ns in "${NAMESPACES[@]}"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "$T" ] && rm -rf "$T"
	exit "$rc"
}

ns_add() {
	ip netns add "$1" || bail "cannot create namespace $1"
	NAMESPACES+=("$1")
	ip -n "$1" link set lo up
}

[ "$(id -u)" -eq 0 ] || bail "needs root (network namespaces)"
for b in "$KEYGEN" "$GEN" "$LINT_BIN" "$DECODE" "$PROBE" "$DAEMON"; do
	[ -x "$b" ] || bail "$b is not built (make test-build)"
done
trap cleanup EXIT INT TERM HUP
T=$(mktemp -d /tmp/subnetra-tools.XXXXXX) || bail "mktemp failed"
cd "$T" || bail "cd $T"
VERSION=$("$DAEMON" --version | sed 's/^subnetrad v//')
# config-lint checks a config against the host it runs on (its addresses
# and routes): it runs in a namespace of its own with loopback only, so
# the verdicts below do not depend on the networks of the machine.
ns_add "$RUN-lint"
printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$RUN-lint" "$LINT_BIN" >"$T/lint"
chmod 0755 "$T/lint"
LINT=$T/lint

# ---- every tool: --help, --version, bad arguments -> 2 -------------------------

for t in keygen config-gen config-lint wire-decode mtu-probe; do
	bin=$BUILD/subnetra-$t
	[ "$t" = config-lint ] && bin=$LINT
	check_rc "$t --help exits 0" 0 "$bin" --help
	check_grep "$t --help shows usage and exit codes" '^exit status:' "$OUT"
	check_rc "$t --version exits 0" 0 "$bin" --version
	check_eq "$t --version matches subnetrad" "subnetra-$t v$VERSION" "$OUT"
	check_rc "$t rejects an unknown option with 2" 2 "$bin" --no-such-option
	check_grep "$t prints a usage line on bad arguments" "^usage: subnetra-$t" "$OUT"
done
check_rc "doctor --help exits 0" 0 sh "$DOCTOR" --help
check_rc "doctor --version matches subnetrad" 0 sh "$DOCTOR" --version
check_eq "doctor --version is v$VERSION" "subnetra-doctor v$VERSION" "$OUT"
check_rc "doctor rejects an unknown option with 2" 2 sh "$DOCTOR" --no-such-option
check_grep "doctor prints a usage line" '^usage: subnetra-doctor' "$OUT"

check_rc "keygen -n 0 -> 2" 2 "$KEYGEN" -n 0
check_rc "keygen -n x -> 2" 2 "$KEYGEN" -n x
check_rc "keygen -n (missing) -> 2" 2 "$KEYGEN" -n
check_rc "keygen --force without -o -> 2" 2 "$KEYGEN" --force
check_rc "config-gen without --hub-endpoint -> 2" 2 "$GEN"
check_rc "config-gen --spokes 0 -> 2" 2 "$GEN" --hub-endpoint 203.0.113.1:18020 --spokes 0
check_rc "config-gen bad endpoint -> 2" 2 "$GEN" --hub-endpoint hub.example:18020
check_rc "config-gen subnet too small -> 2" 2 "$GEN" --hub-endpoint 203.0.113.1:1 --subnet 10.0.0.0/30 --spokes 2
check_rc "config-lint without files -> 2" 2 "$LINT"
check_rc "config-lint --json without files -> 2" 2 "$LINT" --json
check_rc "config-lint --path-mtu x -> 2" 2 "$LINT" --path-mtu x gen/hub.json
check_rc "config-lint --path-mtu without a number -> 2" 2 "$LINT" --path-mtu
check_rc "subnetrad --path-mtu without --check or --print-network-plan -> 2" 2 "$DAEMON" --path-mtu 1400
# Endpoints the spokes cannot use (issue 11 item 5): refused, nothing written.
check_rc "config-gen --hub-endpoint 0.0.0.0 -> 2" 2 "$GEN" --hub-endpoint 0.0.0.0:18020 --dir refused
check_grep "config-gen: 0.0.0.0 explained" \
	'^subnetra-config-gen: --hub-endpoint 0\.0\.0\.0:18020: 0\.0\.0\.0 is not an address the others can send to \(0\.0\.0\.0/8 means "this host", what a socket binds to\); give the address they reach it at$' "$OUT"
check_rc "config-gen hub endpoint inside the overlay -> 2" 2 "$GEN" --hub-endpoint 10.0.0.1:18020 --dir refused
check_grep "config-gen: inside the overlay explained" \
	'^subnetra-config-gen: --hub-endpoint 10\.0\.0\.1:18020 is inside the overlay 10\.0\.0\.0/24: its datagrams would be routed into the tunnel that carries them' "$OUT"
check_rc "config-gen hub endpoint inside --subnet -> 2" 2 "$GEN" --hub-endpoint 172.16.5.1:1 --subnet 172.16.0.0/16 --dir refused
check_rc "config-gen hub endpoint = a spoke's -> 2" 2 "$GEN" --hub-endpoint 198.51.100.7:18020 \
	--spoke-endpoint 198.51.100.2:18020 --spoke-endpoint 198.51.100.7:18020 --dir refused
check_grep "config-gen: shared endpoint explained" \
	"^subnetra-config-gen: --hub-endpoint 198\.51\.100\.7:18020 is also spoke 2's endpoint: every node needs an endpoint of its own\$" "$OUT"
check_rc "config-gen hub endpoint = a spoke's placeholder -> 2" 2 "$GEN" --hub-endpoint 192.0.2.3:18020 --dir refused
check_grep "config-gen: placeholder clash explained" "is also spoke 2's endpoint \(its placeholder; give --spoke-endpoint\)" "$OUT"
check_rc "config-gen two spokes on one endpoint -> 2" 2 "$GEN" --hub-endpoint 198.51.100.1:18020 \
	--spoke-endpoint 198.51.100.2:18020 --spoke-endpoint 198.51.100.2:18020 --dir refused
check_grep "config-gen: two spokes on one endpoint explained" "spoke 2's endpoint 198\.51\.100\.2:18020 is also spoke 1's" "$OUT"
check_rc "config-gen spoke endpoint 0.0.0.0 -> 2" 2 "$GEN" --hub-endpoint 198.51.100.1:18020 \
	--spoke-endpoint 0.0.0.0:18020 --dir refused
check_eq "config-gen: nothing written for a refused set" "" "$(ls -A refused 2>/dev/null)"
check_rc "wire-decode --from-id without --config -> 2" 2 "$DECODE" --from-id 1 "$V1"
check_rc "wire-decode --port without --pcap -> 2" 2 "$DECODE" --port 1 "$V1"
check_rc "wire-decode hex and --pcap -> 2" 2 "$DECODE" --pcap x.pcap "$V1"
check_rc "wire-decode missing --config file -> 2" 2 "$DECODE" --config /nonexistent.json "$V1"
check_rc "mtu-probe without a mode -> 2" 2 "$PROBE"
check_rc "mtu-probe --listen 0 -> 2" 2 "$PROBE" --listen 0
check_rc "mtu-probe --probe with a host name -> 2" 2 "$PROBE" --probe hub.example:18020
check_rc "mtu-probe --ceil 67 -> 2" 2 "$PROBE" --probe 198.18.0.2:1 --ceil 67
check_rc "mtu-probe --listen and --probe -> 2" 2 "$PROBE" --listen 1 --probe 198.18.0.2:1

# ---- keygen ------------------------------------------------------------------------

check_rc "keygen prints one key" 0 "$KEYGEN"
check_grep "keygen: 64 lowercase hex characters" '^[0-9a-f]{64}$' "$OUT"
check_eq "keygen: exactly one line" 1 "$(printf '%s\n' "$OUT" | wc -l)"
check_rc "keygen -n 200" 0 "$KEYGEN" -n 200
check_eq "keygen -n 200: 200 well-formed lines" 200 "$(printf '%s\n' "$OUT" | grep -Ec '^[0-9a-f]{64}$')"
check_eq "keygen -n 200: all unique" 200 "$(printf '%s\n' "$OUT" | sort -u | wc -l)"
check_rc "keygen -o keys.txt" 0 "$KEYGEN" -n 3 -o keys.txt
check_eq "keygen -o: mode 0600" 600 "$(stat -c %a keys.txt)"
before=$(md5sum <keys.txt)
check_rc "keygen -o refuses an existing file (1)" 1 "$KEYGEN" -o keys.txt
check_eq "keygen -o: existing file untouched" "$before" "$(md5sum <keys.txt)"
check_rc "keygen -o --force replaces it" 0 "$KEYGEN" -o keys.txt --force
check_eq "keygen --force: one new key" 1 "$(grep -Ec '^[0-9a-f]{64}$' keys.txt)"
check_eq "keygen: no temporary files left" 1 "$(find . -maxdepth 1 -name '*keys*' | wc -l)"

# ---- config-gen ----------------------------------------------------------------------

check_rc "config-gen hub + 3 spokes" 0 "$GEN" --hub-endpoint 203.0.113.1:18020 --spokes 3 --dir gen \
	--spoke-endpoint 198.51.100.2:18020
for f in hub spoke-1 spoke-2 spoke-3; do
	check_eq "config-gen: $f.json is mode 0600" 600 "$(stat -c %a "gen/$f.json")"
	check_rc "config-gen: $f.json passes subnetrad --check" 0 "$DAEMON" --check --config "gen/$f.json"
	check_grep "config-gen: $f.json --check banner" '\[config ok\]$' "$OUT"
done
check_rc "config-gen: the set passes config-lint" 0 "$LINT" gen/hub.json gen/spoke-1.json gen/spoke-2.json gen/spoke-3.json
check_grep "config-lint OK line (hub)" \
	'^config-lint: gen/hub.json: OK \(role=hub, local_id=1, peers=3, mtu=1436, udp_ports=\{ 18020 \}\)$' "$OUT"
check_grep "config-lint OK line (spoke)" \
	'^config-lint: gen/spoke-2.json: OK \(role=spoke, local_id=3, peers=1, mtu=1436, udp_ports=\{ 18020 \}\)$' "$OUT"
psks=$(grep -ho '"psk": "[0-9a-f]*"' gen/*.json | sort)
check_eq "config-gen: 6 psk entries, 3 distinct keys" "6 3" "$(printf '%s\n' "$psks" | wc -l) $(printf '%s\n' "$psks" | sort -u | wc -l)"
for i in 1 2 3; do
	sp=$(grep -o '"psk": "[0-9a-f]*"' "gen/spoke-$i.json")
	check_eq "config-gen: hub and spoke-$i share their link key" 1 "$(grep -c -- "$sp" gen/hub.json)"
done
check_grep "config-gen: spoke-2 overlay address" '"local_tun_ip": "10.0.0.3/24"' "$(cat gen/spoke-2.json)"
sums=$(md5sum gen/*.json)
check_rc "config-gen refuses to overwrite (1)" 1 "$GEN" --hub-endpoint 203.0.113.1:18020 --spokes 3 --dir gen
check_grep "config-gen names the existing file" 'gen/hub.json exists' "$OUT"
check_eq "config-gen: existing files untouched" "$sums" "$(md5sum gen/*.json)"
check_rc "config-gen --force replaces them" 0 "$GEN" --hub-endpoint 203.0.113.1:18020 --spokes 3 --dir gen --force
check_nogrep "config-gen --force: fresh keys" "$(head -c 32 <<<"$sums")" "$(md5sum gen/*.json)"
check_rc "config-gen under umask 000" 0 bash -c "umask 000; '$GEN' --hub-endpoint 203.0.113.1:18020 --spokes 1 --dir gen0"
check_eq "config-gen: 0600 whatever the umask" "600 600" "$(stat -c %a gen0/hub.json gen0/spoke-1.json | tr '\n' ' ' | sed 's/ $//')"
check_eq "config-gen: no temporary files left" "hub.json spoke-1.json" "$(cd gen0 && find . -mindepth 1 -printf '%P\n' | sort | tr '\n' ' ' | sed 's/ $//')"

# ---- config-lint -------------------------------------------------------------------------

sed 's/"psk": "\([0-9a-f]\{10\}\)[0-9a-f]*"/"psk": "\1"/' gen/spoke-1.json >broken-psk.json
sed 's/"endpoint": "203.0.113.1:18020"/"endpoint": "203.0.113.1"/' gen/spoke-1.json >broken-ep.json
check_rc "config-lint: a broken file fails (1)" 1 "$LINT" broken-psk.json
check_grep "config-lint FAILED line names file and error" '^config-lint: broken-psk.json: FAILED \(InvalidPsk\)$' "$OUT"
check_grep "config-lint error line names file, field and error" '^  broken-psk.json: peers\[0\]\.psk: InvalidPsk: ' "$OUT"
check_nogrep "config-lint never prints the (partial) key" "$(grep -o '"psk": "[0-9a-f]*' broken-psk.json | cut -d'"' -f4)" "$OUT"
check_rc "config-lint: bad endpoint fails" 1 "$LINT" broken-ep.json
check_grep "config-lint quotes the offending value" 'peers\[0\]\.endpoint: InvalidEndpoint: .*"203\.0\.113\.1"' "$OUT"
check_rc "config-lint: mixed files -> 1" 1 "$LINT" gen/hub.json broken-psk.json missing.json
check_eq "config-lint: one verdict per file" 3 "$(printf '%s\n' "$OUT" | grep -c '^config-lint: ')"
check_grep "config-lint: unreadable file" '^config-lint: missing.json: FAILED \(FileUnreadable\)$' "$OUT"
check_rc "config-lint --json" 1 "$LINT" --json gen/hub.json broken-psk.json
JSON=$OUT
if command -v python3 >/dev/null 2>&1; then
	check_rc "config-lint --json is valid JSON" 0 python3 -m json.tool <<<"$JSON"
	check_rc "config-lint --json content" 0 python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["ok"] is False and d["schema_version"] == 1
a, b = d["files"]
assert a["ok"] and a["role"] == "hub" and a["peers"] == 3 and a["udp_ports"] == [18020]
e = b["error"]
assert not b["ok"] and e["name"] == "InvalidPsk" and e["field"] == "peers[0].psk"
assert e["file"] == "broken-psk.json" and e["message"].startswith("broken-psk.json: peers[0].psk:")
' <<<"$JSON"
else
	check_grep "config-lint --json: error name" '"name": "InvalidPsk"' "$JSON"
	check_grep "config-lint --json: field path" '"field": "peers\[0\]\.psk"' "$JSON"
fi
chmod 0644 gen/spoke-3.json
check_rc "config-lint: a world-readable file still passes" 0 "$LINT" gen/spoke-3.json
check_grep "config-lint warns about a readable key file" 'warning: readable by other users' "$OUT"
chmod 0600 gen/spoke-3.json

# What start-up would reject (issue 11 item 5): a user that does not
# exist, an MTU above what the given path carries.  A FIFO is refused at once.
(umask 077 && sed 's/"role": "spoke",/"role": "spoke", "user": "no-such-subnetra-user",/' \
	gen/spoke-1.json >nouser.json && sed 's/"role": "spoke",/"role": "spoke", "user": "nobody",/' \
	gen/spoke-1.json >nobody.json)
check_rc "config-lint: a user that does not exist fails (1)" 1 "$LINT" nouser.json
check_grep "config-lint: FAILED (UnknownUser)" '^config-lint: nouser.json: FAILED \(UnknownUser\)$' "$OUT"
check_grep "config-lint: the user error says what to do" \
	'^  nouser.json: user: UnknownUser: "no-such-subnetra-user" is not a user of this host, so subnetrad would not start; create it \(useradd --system no-such-subnetra-user\) or remove "user"$' "$OUT"
check_rc "config-lint --no-host: the user is not looked up (0)" 0 "$LINT" --no-host nouser.json
check_rc "config-lint: an existing user passes" 0 "$LINT" nobody.json
check_rc "subnetrad --check: a user that does not exist fails (1)" 1 "$DAEMON" --check --config nouser.json
check_grep "subnetrad --check names the user" '^subnetrad: nouser.json: user: UnknownUser: "no-such-subnetra-user"' "$OUT"
check_nogrep "subnetrad --check: no [config ok] then" 'config ok' "$OUT"
check_rc "config-lint --path-mtu 1500: 1436 fits (0)" 0 "$LINT" --path-mtu 1500 gen/spoke-1.json
check_rc "config-lint --path-mtu 1420: 1436 does not fit (1)" 1 "$LINT" --path-mtu 1420 gen/spoke-1.json
check_grep "config-lint --path-mtu: names both numbers" \
	'^  gen/spoke-1.json: local_tun_mtu: MtuTooLargeForPath: 1436 exceeds 1356, the most a 1420-byte path carries \(1420 - 64 bytes of tunnel overhead\): set local_tun_mtu to 1356 or less$' "$OUT"
check_rc "config-lint --path-mtu 100: too small for any tunnel (1)" 1 "$LINT" --path-mtu 100 gen/hub.json
check_grep "config-lint --path-mtu 100 says so" 'too small for any tunnel, which needs a path MTU of at least 132' "$OUT"
check_rc "subnetrad --check --path-mtu 1420: fails (1)" 1 "$DAEMON" --check --path-mtu 1420 --config gen/spoke-1.json
check_grep "subnetrad --check --path-mtu names both numbers" \
	'^subnetrad: gen/spoke-1.json: local_tun_mtu: MtuTooLargeForPath: 1436 exceeds 1356' "$OUT"
check_rc "subnetrad --check --path-mtu 1500: passes" 0 "$DAEMON" --check --path-mtu 1500 --config gen/spoke-1.json
mkfifo -m 0600 fifo.json
check_rc "config-lint: a FIFO is refused at once (1)" 1 timeout 5 "$LINT" fifo.json
check_grep "config-lint: the FIFO named as such" 'fifo.json: FileUnreadable: .*FIFO' "$OUT"
check_rc "subnetrad --check: a FIFO is refused at once (1)" 1 timeout 5 "$DAEMON" --check --config fifo.json

# ---- wire-decode ---------------------------------------------------------------------------

cat >vec-spoke.json <<EOF
{
  "role": "spoke", "virtual_subnet": "10.77.0.0/24", "local_id": 2,
  "local_routes": ["10.77.0.2/32"], "obfuscate": false,
  "peers": [ { "id": 1, "name": "hub", "endpoint": "203.0.113.1:18020",
               "allowed_src": "10.77.0.0/24", "psk": "$V_PSK" } ]
}
EOF
sed 's/"obfuscate": false/"obfuscate": true/' vec-spoke.json >vec-spoke-obfs.json
chmod 600 vec-spoke*.json

check_rc "wire-decode: header without a config (0)" 0 "$DECODE" "$V1"
check_grep "wire-decode: epoch as number and UTC" '^  epoch   : 1746843357141467429 \(2025-05-10T02:15:57\.141467429Z\)$' "$OUT"
check_grep "wire-decode: lengths" '^  length  : 120 bytes = header 20 \+ ciphertext 84 \+ tag 16$' "$OUT"
check_rc "wire-decode: sealed vector accepted (0)" 0 "$DECODE" --config vec-spoke.json "$V1"
check_grep "wire-decode: verdict accepted" '^  verdict : accepted \(tun_tx_packets: ' "$OUT"
check_grep "wire-decode: inner IPv4 summary" '^  inner   : IPv4 10\.77\.0\.1 -> 10\.77\.0\.2 proto 1 \(ICMP\) length 84$' "$OUT"
check_nogrep "wire-decode never prints the psk" "$V_PSK" "$OUT"
check_rc "wire-decode: obfuscated vector accepted (0)" 0 "$DECODE" --config vec-spoke-obfs.json --from-id 1 "$V1_OBFS"
check_grep "wire-decode: de-masked header" 'de-masked' "$OUT"
check_rc "wire-decode: flipped tag byte dropped (1)" 1 "$DECODE" --config vec-spoke.json "${V1%??}0c"
check_grep "wire-decode: AEAD failure in counter vocabulary" \
	'^  verdict : dropped \(drop_udp_auth_or_invalid: AEAD failure' "$OUT"
check_rc "wire-decode: cleartext sender at an obfuscating node (1)" 1 "$DECODE" --config vec-spoke-obfs.json "$V1"
check_grep "wire-decode: explains the obfuscate mismatch" 'drop_udp_unknown_peer.*hint    : |hint    : .*obfuscate off' "$OUT"
check_rc "wire-decode: --from-id of a non-peer -> 2" 2 "$DECODE" --config vec-spoke-obfs.json --from-id 7 "$V1_OBFS"
check_rc "wire-decode: non-hex garbage explained (1)" 1 "$DECODE" 'zz!'
check_grep "wire-decode: says where the hex is bad" "invalid character 'z' at offset 0" "$OUT"
check_rc "wire-decode: odd digit count explained (1)" 1 "$DECODE" 0102030
rnd=$(od -An -tx1 -N300 /dev/urandom | tr -d ' \n')
check_rc "wire-decode: random bytes dropped, not crashed (1)" 1 "$DECODE" --config vec-spoke.json "$rnd"
check_grep "wire-decode: random bytes get a verdict" '^  verdict : dropped \(drop_udp_' "$OUT"
check_rc "wire-decode: a 3-byte datagram (1)" 1 "$DECODE" --config vec-spoke.json 010203
check_grep "wire-decode: runt explained" 'too short: 3 bytes' "$OUT"
check_rc "wire-decode: oversized (1)" 1 "$DECODE" --config vec-spoke.json "$(head -c 1489 /dev/zero | od -An -tx1 -v | tr -d ' \n')"
check_grep "wire-decode: oversized counter" 'drop_udp_oversized' "$OUT"
check_rc "wire-decode: stdin, one datagram per line (1)" 1 "$DECODE" --config vec-spoke.json <<<"# comment
$V1

${V1%??}0c"
check_grep "wire-decode: stdin summary" '^summary: 2 datagrams: 1 accepted, 1 dropped' "$OUT"
check_rc "wire-decode: not a capture file (1)" 1 "$DECODE" --pcap vec-spoke.json
check_grep "wire-decode: explains the bad capture" 'not a readable capture' "$OUT"
check_rc "wire-decode: missing capture file -> 2" 2 "$DECODE" --pcap /nonexistent.pcap

# ---- namespaces -------------------------------------------------------------------------------

A=$RUN-a B=$RUN-b R=$RUN-r
ns_add "$A"
ns_add "$B"
ip link add va netns "$A" type veth peer name vb netns "$B" || bail "cannot create veth pair"
ip -n "$A" addr add 198.18.0.1/30 dev va
ip -n "$B" addr add 198.18.0.2/30 dev vb
ip -n "$A" link set dev va mtu 1400 up
ip -n "$B" link set dev vb mtu 1400 up

# ---- wire-decode on a real capture ----------------------------------------------------------------

# One datagram from NS: the bytes go to a file first, then one write(2) by
# cat to bash's connected /dev/udp socket (printf itself may split its output).
hex_to_file() { # HEX FILE
	# shellcheck disable=SC2001 # every byte pair, not one substitution
	printf '%b' "$(sed 's/../\\x&/g' <<<"$1")" >"$2"
}
send_udp() { # NS HEXDATA HOST PORT
	hex_to_file "$2" "$T/dgram.bin"
	ip netns exec "$1" bash -c "cat '$T/dgram.bin' >/dev/udp/$3/$4" 2>/dev/null
}
if command -v tcpdump >/dev/null 2>&1; then
	ip netns exec "$B" tcpdump --immediate-mode -U -n -i vb -w cap.pcap udp 2>tcpdump.log &
	BG_PIDS+=($!)
	TCPDUMP=$!
	wait_until 10 grep -q 'listening on' tcpdump.log || bail "tcpdump did not start"
	send_udp "$A" "$V1" 198.18.0.2 18020
	send_udp "$A" 00112233445566778899 198.18.0.2 18020
	send_udp "$A" "$V1" 198.18.0.2 9999
	# shellcheck disable=SC2016 # expanded by the inner shell, at each poll
	wait_until 5 bash -c '[ "$(stat -c %s cap.pcap)" -gt 300 ]'
	kill -INT "$TCPDUMP"
	wait "$TCPDUMP" 2>/dev/null
	check_rc "wire-decode --pcap: one accepted, one dropped (1)" 1 "$DECODE" --config vec-spoke.json --pcap cap.pcap --port 18020
	check_grep "wire-decode --pcap: frame title with addresses" '^frame 1 \(.*Z, 198\.18\.0\.1:[0-9]+ -> 198\.18\.0\.2:18020\):$' "$OUT"
	check_grep "wire-decode --pcap: frame verdict" '^  verdict : accepted \(tun_tx_packets' "$OUT"
	check_grep "wire-decode --pcap: summary" '^summary: 2 datagrams: 1 accepted, 1 dropped, 0 outgoing, 0 not decodable; 1 other frame skipped$' "$OUT"
	check_rc "wire-decode --pcap from stdin" 1 "$DECODE" --config vec-spoke.json --pcap - <cap.pcap
	head -c 100 cap.pcap >cut.pcap
	check_rc "wire-decode: truncated capture explained (1)" 1 "$DECODE" --pcap cut.pcap
	check_grep "wire-decode: names the damage" 'capture damaged: record 1 .* truncated' "$OUT"
else
	ok "wire-decode --pcap # SKIP tcpdump not installed"
fi

# ---- mtu-probe across a 1400-byte veth ---------------------------------------------------------

# start_listener NS LOGFILE ARGS...: background listener, waits until it listens.
start_listener() {
	local ns=$1 log=$2
	shift 2
	ip netns exec "$ns" "$PROBE" --listen "$@" 2>"$log" &
	BG_PIDS+=($!)
	LISTENER=$!
	wait_until 10 grep -q 'listening on' "$log" || bail "listener did not start: $(cat "$log")"
}
stop_listener() {
	kill -TERM "$LISTENER"
	wait "$LISTENER" 2>/dev/null
}

start_listener "$B" listen-b.log 47000
check_rc "mtu-probe: 1400-byte path measured (0)" 0 ip netns exec "$A" "$PROBE" --probe 198.18.0.2:47000
check_eq "mtu-probe: output exactly as documented" "# underlay path MTU : 1400 bytes (largest UDP payload that round-tripped: 1372 + 28 IPv4/UDP)
# subnetra overhead : 64 bytes
# recommended : local_tun_mtu = 1336" "$OUT"
check_rc "mtu-probe: --ceil 1300 caps the search" 0 ip netns exec "$A" "$PROBE" --probe 198.18.0.2:47000 --ceil 1300
check_grep "mtu-probe: ceiling respected" '^# underlay path MTU : 1300 bytes' "$OUT"
# Junk and replies are never answered.
send_udp "$A" 00112233 198.18.0.2 47000
send_udp "$A" "$(printf 'SNRMTUP1' | od -An -tx1 | tr -d ' \n')02000000000000010000000000000000000000000000000000" 198.18.0.2 47000
stop_listener
check_grep "mtu-probe listener: junk and replies ignored" 'stopped: [0-9]+ answered, [2-9][0-9]* ignored' "$(cat listen-b.log)"

# Rate limit: 60 well-formed requests as fast as the shell sends them, 2 replies/s allowed
# (a burst of 2, then 2 per second of however long the sending took).
start_listener "$B" listen-rate.log 47001 --rate 2
req="$(printf 'SNRMTUP1' | od -An -tx1 | tr -d ' \n')0100000000000001$(printf '%032d' 0)"
hex_to_file "$req" "$T/req.bin"
t0=$(now_ms)
ip netns exec "$A" bash -c "for i in \$(seq 60); do cat '$T/req.bin' >/dev/udp/198.18.0.2/47001; done"
allowed=$((2 + 2 * (($(now_ms) - t0) / 1000 + 1)))
sleep 0.2
stop_listener
answered=$(sed -n 's/.*stopped: \([0-9]*\) answered.*/\1/p' listen-rate.log)
limited=$(sed -n 's/.*ignored, \([0-9]*\) rate-limited.*/\1/p' listen-rate.log)
if [ -n "$answered" ] && [ "$answered" -le "$allowed" ] && [ "$((answered + limited))" -eq 60 ]; then
	ok "mtu-probe listener: rate-limited ($answered answered, at most $allowed allowed, $limited limited)"
else
	not_ok "mtu-probe listener: rate-limited (at most $allowed allowed)"
	diag "$(cat listen-rate.log)"
fi

check_rc "mtu-probe: nobody listening -> 1" 1 ip netns exec "$A" "$PROBE" --probe 198.18.0.2:47002 --timeout 100 --retries 1
check_grep "mtu-probe: says nobody answered" 'refused|no reply' "$OUT"

# ---- mtu-probe through a router: 1280-byte far link, with and without ICMP ----------------------

ns_add "$R"
ip link add a0 netns "$A" type veth peer name r0 netns "$R" || bail "cannot create veth a-r"
ip link add b1 netns "$B" type veth peer name r1 netns "$R" || bail "cannot create veth r-b"
ip -n "$A" addr add 198.18.1.1/30 dev a0
ip -n "$R" addr add 198.18.1.2/30 dev r0
ip -n "$R" addr add 198.18.2.1/30 dev r1
ip -n "$B" addr add 198.18.2.2/30 dev b1
ip -n "$A" link set dev a0 up
ip -n "$R" link set dev r0 up
ip -n "$R" link set dev r1 mtu 1280 up
ip -n "$B" link set dev b1 mtu 1280 up
ip -n "$A" route add 198.18.2.0/30 via 198.18.1.2
ip -n "$B" route add 198.18.1.0/30 via 198.18.2.1
ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1

start_listener "$B" listen-r.log 47010
check_rc "mtu-probe via router (ICMP allowed): 1280 (0)" 0 ip netns exec "$A" "$PROBE" --probe 198.18.2.2:47010 --timeout 300
check_grep "mtu-probe via router: 1280-byte path" '^# underlay path MTU : 1280 bytes \(largest UDP payload that round-tripped: 1252 \+ 28 IPv4/UDP\)$' "$OUT"
check_grep "mtu-probe via router: recommends 1216" '^# recommended : local_tun_mtu = 1216$' "$OUT"

if command -v nft >/dev/null 2>&1; then
	ip netns exec "$R" nft -f - <<'EOF' || bail "nft rules failed"
table inet blackhole {
	chain out {
		type filter hook output priority 0;
		icmp type destination-unreachable drop
	}
}
EOF
	check_rc "mtu-probe through a PMTU black hole: still 1280 (0)" 0 ip netns exec "$A" "$PROBE" --probe 198.18.2.2:47010 --timeout 200 --retries 2 --verbose
	check_grep "mtu-probe black hole: 1280-byte path" '^# underlay path MTU : 1280 bytes' "$OUT"
	check_grep "mtu-probe black hole: found by timeouts" 'no reply \(timeout\)' "$OUT"
	check_nogrep "mtu-probe black hole: no ICMP got through" 'too big' "$OUT"
else
	ok "mtu-probe through a PMTU black hole # SKIP nft not installed"
fi
stop_listener

# ---- a config-gen set, live: hub + 2 spokes, ping through the hub ---------------------------
#
#   [$RUN-s1] e1 198.18.3.2 --+
#                             +-- br0 198.18.3.1 [$RUN-h]  (tcpdump: datagrams to the hub)
#   [$RUN-s2] e2 198.18.3.3 --+
#
# The generated files run as they are (only the plan printed by subnetrad is
# applied); then every datagram the hub received is decoded with hub.json:
# each must be accepted (spoke keepalives, relayed pings).

H=$RUN-h S1=$RUN-s1 S2=$RUN-s2
ns_add "$H"
ns_add "$S1"
ns_add "$S2"
ip -n "$H" link add br0 type bridge
ip -n "$H" addr add 198.18.3.1/24 dev br0
ip -n "$H" link set dev br0 up
i=2
for ns in "$S1" "$S2"; do
	ip link add "e$((i - 1))" netns "$ns" type veth peer name "h$i" netns "$H" || bail "veth for $ns"
	ip -n "$ns" addr add "198.18.3.$i/24" dev "e$((i - 1))"
	ip -n "$ns" link set dev "e$((i - 1))" up
	ip -n "$H" link set dev "h$i" master br0 up
	i=$((i + 1))
done
check_rc "config-gen: a live set" 0 "$GEN" --hub-endpoint 198.18.3.1:18020 --dir live \
	--spoke-endpoint 198.18.3.2:18020 --spoke-endpoint 198.18.3.3:18020

# start_daemon NAME NS CONFIG: subnetrad in NS (it sets up its TUN itself),
# then its printed network plan run twice on top: each run must succeed
# (every command is idempotent).
start_daemon() {
	local name=$1 ns=$2 conf=$3 run
	ip netns exec "$ns" env SUBNETRA_SOCK="$T/$name.sock" SUBNETRA_TUN=snr0 \
		"$DAEMON" --config "$conf" </dev/null >"$T/$name.log" 2>&1 &
	BG_PIDS+=($!)
	wait_until 10 grep -q '\[ready\]' "$T/$name.log" || bail "$name did not start: $(tail -n 5 "$T/$name.log")"
	for run in first second; do
		if "$DAEMON" --print-network-plan --config "$conf" | grep -v '^#' | grep -v '^$' |
			while read -r cmd; do ip netns exec "$ns" sh -c "$cmd" || exit 1; done; then
			ok "$name: the printed network plan runs a $run time"
		else
			not_ok "$name: the printed network plan runs a $run time"
		fi
	done
}
if command -v tcpdump >/dev/null 2>&1 && command -v ping >/dev/null 2>&1; then
	ip netns exec "$H" tcpdump --immediate-mode -U -n -i br0 -w live.pcap udp and dst host 198.18.3.1 \
		2>tcpdump-live.log &
	BG_PIDS+=($!)
	TCPDUMP=$!
	# The same wire in both directions, as an operator captures on the hub.
	ip netns exec "$H" tcpdump --immediate-mode -U -n -i br0 -w both.pcap udp and host 198.18.3.1 \
		2>tcpdump-both.log &
	BG_PIDS+=($!)
	TCPDUMP2=$!
	wait_until 10 grep -q 'listening on' tcpdump-live.log || bail "tcpdump did not start"
	wait_until 10 grep -q 'listening on' tcpdump-both.log || bail "tcpdump did not start"
	start_daemon hub "$H" live/hub.json
	start_daemon s1 "$S1" live/spoke-1.json
	start_daemon s2 "$S2" live/spoke-2.json
	check_rc "live set: spoke-1 pings spoke-2 through the hub" 0 \
		ip netns exec "$S1" ping -c 3 -i 0.2 -W 2 10.0.0.3
	# At least the 3 echo requests and 3 echo replies (about 180 bytes each) are on file.
	# shellcheck disable=SC2016 # expanded by the inner shell, at each poll
	wait_until 5 bash -c '[ "$(stat -c %s live.pcap)" -gt 1000 ]'
	# shellcheck disable=SC2016
	wait_until 5 bash -c '[ "$(stat -c %s both.pcap)" -gt 2000 ]'
	kill -INT "$TCPDUMP" "$TCPDUMP2"
	wait "$TCPDUMP" "$TCPDUMP2" 2>/dev/null
	check_rc "live set: every datagram the hub got is accepted (0)" 0 "$DECODE" --config live/hub.json --pcap live.pcap
	check_grep "live set: pings relayed" 'verdict : accepted \(relay_packets: relayed to peer [23]\)' "$OUT"
	check_grep "live set: obfuscated headers de-masked" 'de-masked with the sender' "$OUT"
	check_grep "live set: summary" '^summary: [0-9]+ datagrams: [0-9]+ accepted, 0 dropped, 0 outgoing, 0 not decodable' "$OUT"
	check_rc "live set: both directions on the hub's wire: nothing counted as dropped (0)" 0 \
		"$DECODE" --config live/hub.json --pcap both.pcap
	check_grep "live set: the hub's own relays shown as outgoing" \
		'verdict : outgoing \(sealed by this node \(local_id 1\) for peer [23]: outgoing, not a receive decision\)' "$OUT"
	check_grep "live set: both directions: summary counts them apart" \
		'^summary: [0-9]+ datagrams: [1-9][0-9]* accepted, 0 dropped, [1-9][0-9]* outgoing, 0 not decodable' "$OUT"
	check_nogrep "live set: no key in the output" "$(grep -o '"psk": "[0-9a-f]*' live/hub.json | head -n 1 | cut -d'"' -f4)" "$OUT"
	check_rc "live set: the hub's capture read with spoke-1's config is refused (1)" 1 "$DECODE" --config live/spoke-1.json --pcap live.pcap
	check_grep "live set: wrong receiver explained" 'drop_udp_unknown_peer' "$OUT"
else
	ok "live set # SKIP tcpdump or ping not installed"
fi

# ---- doctor.sh --------------------------------------------------------------------------------

for shell in sh dash "busybox sh"; do
	# shellcheck disable=SC2086 # "busybox sh" is two words on purpose
	if command -v ${shell%% *} >/dev/null 2>&1; then
		check_rc "doctor under $shell: ready (0)" 0 $shell "$DOCTOR" --config gen/hub.json --subnetrad "$DAEMON"
		check_grep "doctor under $shell: every check ok" '^subnetra-doctor: ready$' "$OUT"
		check_rc "doctor under $shell: missing TUN device (1)" 1 env SUBNETRA_DOCTOR_TUN=/nonexistent/tun $shell "$DOCTOR"
		check_grep "doctor under $shell: names the failure" '^FAIL  tun: /nonexistent/tun is missing' "$OUT"
	else
		ok "doctor under $shell # SKIP not installed"
	fi
done
printf 'Name:\tx\nCapEff:\t0000000000000000\n' >status-nocap
check_rc "doctor: no CAP_NET_ADMIN (1)" 1 env SUBNETRA_DOCTOR_PROC_STATUS="$T/status-nocap" sh "$DOCTOR"
check_grep "doctor: names the missing capability" '^FAIL  cap: no CAP_NET_ADMIN' "$OUT"
check_rc "doctor: a broken config (1)" 1 sh "$DOCTOR" --config broken-psk.json --subnetrad "$DAEMON"
check_grep "doctor: quotes subnetrad's error" '^FAIL  config: .*InvalidPsk' "$OUT"
if command -v shellcheck >/dev/null 2>&1; then
	check_rc "doctor.sh: shellcheck -s sh is clean" 0 shellcheck -s sh "$DOCTOR"
else
	ok "doctor.sh: shellcheck # SKIP not installed"
fi

echo "1..$TAP_N"
[ "$TAP_FAIL" -eq 0 ] || exit 1
exit 0
