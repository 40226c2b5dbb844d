#!/usr/bin/env bash
# "mode": "mesh" and "mode": "base" configs through the real binaries:
# subnetrad --check, --print-network-plan and a start, and config-lint.
#
#    (no topology: nothing here binds, creates a TUN or needs root; every
#     file is in this run's temp dir)
#
# Asserts: a good mesh and a good base config pass --check (exit 0, the
# banner with the identity's address; for base, no note that TCP is not
# served: it is); the mesh plan is the exact text (address /16, fc94::/16 route, MTU
# 1400 = 1500 - 100, stated); the base plan says there is no TUN; starting
# a base or a mesh node whose identity is missing is exit 1 naming it,
# before any socket or TUN; a missing,
# a malformed identity and a base with the node's own key fail --check and
# config-lint naming the file, the field and the error; bad fields fail with
# file: field: ErrorName; the psk and the seed are never printed; a v1
# config's config-lint --json has no "mode".
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

LINT=$SNR_BUILD/subnetra-config-lint
[ -x "$SUBNETRAD" ] && [ -x "$SUBNETRA" ] && [ -x "$LINT" ] ||
	bail "not built: $SUBNETRAD, $SUBNETRA, $LINT (make test-build)"
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
umask 077
T=$(mktemp -d /tmp/subnetra-meshcfg.XXXXXX) || bail "mktemp failed"
cd "$T" || bail "cd $T"
# Not a namespace test: a TUN name no real interface has, just in case.
export SUBNETRA_TUN=snrmcfg0 SUBNETRA_SOCK=$T/never.sock

OUT="" ERR="" RC=0
run() {
	"$@" >"$T/out" 2>"$T/err"
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
}

"$SUBNETRA" identity new --out node.id >/dev/null || bail "identity new (node)"
"$SUBNETRA" identity new --out base.id >/dev/null || bail "identity new (base)"
ADDR=$(sed -n 's/^address //p' node.id)
BASE_ADDR=$(sed -n 's/^address //p' base.id)
NODE_PK=$(sed -n 's/^public-key //p' node.id)
BASE_PK=$(sed -n 's/^public-key //p' base.id)
SEED=$(sed -n 's/^seed //p' node.id)
PSK=$(gen_key)

cat >mesh.json <<JSON
{
  "mode": "mesh",
  "identity_file": "$T/node.id",
  "bases": [ { "host": "base1.example.net", "public_key": "$BASE_PK" },
             { "host": "192.0.2.7", "udp_port": 6000, "tcp_port": 8443, "public_key": "$NODE_PK" } ],
  "whitelist": [ "$BASE_ADDR" ],
  "hostname": "node-a",
  "psk": "$PSK"
}
JSON
sed "s/\"public_key\": \"$NODE_PK\"/\"public_key\": \"$BASE_PK\"/; s/\"192.0.2.7\"/\"base2.example.net\"/" \
	mesh.json >mesh-dup.json
# the good one: a node does not list itself as a base
cat >good.json <<JSON
{
  "mode": "mesh",
  "identity_file": "$T/node.id",
  "bases": [ { "host": "base1.example.net", "public_key": "$BASE_PK" } ],
  "whitelist": [ "$BASE_ADDR" ],
  "hostname": "node-a",
  "rekey_interval": 30,
  "state_dir": "$T/state",
  "psk": "$PSK"
}
JSON
cat >base.json <<JSON
{ "mode": "base", "identity_file": "$T/base.id", "tcp_port": 8443 }
JSON

run "$SUBNETRAD" --check --config good.json
check_eq "mesh --check: exit 0" 0 "$RC"
check_match "mesh --check: the banner with the identity's address" \
	"^subnetra v[0-9.]+ \(mode=mesh, address=$ADDR, mtu=1400, udp_port=5582, bases=1, whitelist=on \(1 entries\), lan_discovery=on, rekey_interval=30, psk=set, state_dir=$T/state\) \[config ok\]$" "$ERR"
check_fails "mesh --check: the state dir is not created by a check" test -e "$T/state"
check_fails "mesh --check: no 'does not run' note (mesh mode runs)" \
	grep -q 'does not run' <<<"$ERR"
run "$SUBNETRAD" --check --config base.json
check_eq "base --check: exit 0" 0 "$RC"
check_match "base --check: banner" \
	"^subnetra v[0-9.]+ \(mode=base, address=$BASE_ADDR, udp_port=5582, probe_port=5583, tcp_port=8443, psk=none\) \[config ok\]$" "$ERR"
check_fails "base --check: no 'not served' note (the base serves TCP too)" \
	grep -q 'not served' <<<"$ERR"

run "$SUBNETRAD" --print-network-plan --config good.json
check_eq "mesh plan: exit 0" 0 "$RC"
want=$(cat <<PLAN
# subnetra network plan for interface 'snrmcfg0' (mode "mesh")
# underlay path MTU assumed: 1500 (override with --path-mtu N)
# mesh overhead: 100 bytes on the worst path, a relay frame to a base
#   (outer IPv6 40 + UDP 8 + DATA header 16 + AEAD tag 16 + RELAY header 20)
# max TUN MTU for this path: 1500 - 100 = 1400
# subnetrad applies this plan itself at start-up (unless "configure_interface" is false).
# whitelist and host-name changes are kept in $T/state (state_dir;
#   created 0700 at start-up, for "user" when set).

ip link set snrmcfg0 mtu 1400 up
ip -6 addr replace $ADDR/16 dev snrmcfg0 nodad noprefixroute
# every mesh address is in fc94::/16, reached through the TUN:
ip -6 route replace fc94::/16 dev snrmcfg0
PLAN
)
check_eq "mesh plan: the exact commands and the MTU computation" "$want" "$(printf '%s\n' "$OUT" | sed -n '1,13p')"
run "$SUBNETRAD" --print-network-plan --path-mtu 1420 --config good.json
check_match "mesh plan --path-mtu 1420: warns" '^# WARNING: configured mtu 1400 exceeds the max 1320;$' "$OUT"
run "$SUBNETRAD" --print-network-plan --config base.json
check_eq "base plan: exit 0" 0 "$RC"
check_match "base plan: no TUN" '^# a base has no TUN' "$OUT"
check_match "base plan: its ports" '^# it listens on UDP 5582, UDP 5583 \(the NAT probe\) and TCP 8443' "$OUT"

# Base mode runs (tests/netns/t_mesh_base.sh); here only a start that the
# identity refuses, before any socket.
sed "s|$T/base.id|$T/missing.id|" base.json >noid-base.json
run timeout 5 "$SUBNETRAD" --config noid-base.json
check_eq "start a base without its identity: exit 1" 1 "$RC"
check_match "... names the file and the problem" \
	"^subnetrad: noid-base.json: identity_file: IdentityUnreadable: $T/missing.id: cannot open" "$ERR"
# Mesh mode runs (tests/netns/t_mesh_lan.sh); here only a start that the
# identity refuses, before any socket or TUN.
sed "s|$T/node.id|$T/missing.id|" good.json >noid-start.json
run timeout 5 "$SUBNETRAD" --config noid-start.json
check_eq "start a mesh node without its identity: exit 1" 1 "$RC"
check_match "... names the file and the problem" \
	"^subnetrad: noid-start.json: identity_file: IdentityUnreadable: $T/missing.id: cannot open" "$ERR"
check_fails "... and no TUN was made" ip link show snrmcfg0
check_eq "no control socket was made" "" "$(ls "$T"/never.sock* 2>/dev/null)"
# A state_dir that would be made where another user could replace it: the
# start fails before the TUN, with one line, and leaves nothing behind.
mkdir -m 0777 "$T/ww"
chmod 0777 "$T/ww"
sed "s|\"state_dir\": \"$T/state\"|\"state_dir\": \"$T/ww/state\"|" good.json >ww.json
grep -q "$T/ww/state" ww.json || bail "ww.json has no state_dir in $T/ww"
run timeout 5 "$SUBNETRAD" --config ww.json
check_eq "start with state_dir under a world-writable directory: exit 1" 1 "$RC"
check_match "... one line naming it" \
	"^subnetrad: state_dir: not creating directories in $T/ww \(uid 0, mode 0777\): another user could replace them; create state_dir yourself" "$ERR"
check_fails "... no state_dir made" test -e "$T/ww/state"
check_fails "... and no TUN" ip link show snrmcfg0
check_eq "... and no control socket left" "" "$(ls "$T"/never.sock* 2>/dev/null)"

# failures: file: field: ErrorName: detail, exit 1, no [config ok]
run "$SUBNETRAD" --check --config mesh.json
check_eq "a base with the node's own key: exit 1" 1 "$RC"
check_match "... names it" "^subnetrad: mesh.json: bases\[1\]\.public_key: SelfReference: this is the node's own key \($T/node.id\)" "$ERR"
run "$SUBNETRAD" --check --config mesh-dup.json
check_match "a base listed twice" '^subnetrad: mesh-dup.json: bases\[1\]\.public_key: DuplicateBase: the same key as bases\[0\]' "$ERR"
sed "s|$T/node.id|$T/missing.id|" good.json >noid.json
run "$SUBNETRAD" --check --config noid.json
check_eq "missing identity: exit 1" 1 "$RC"
check_match "missing identity: file and problem" \
	"^subnetrad: noid.json: identity_file: IdentityUnreadable: $T/missing.id: cannot open: No such file or directory" "$ERR"
run "$SUBNETRAD" --print-network-plan --config noid.json
check_eq "missing identity: no plan either (exit 1)" "1:" "$RC:$OUT"
# The first hex digit of the public key, changed whatever it was (0 -> 1, else -> 0).
sed '3s/^public-key 0/public-key X/; 3s/^public-key [1-9a-f]/public-key 0/; 3s/^public-key X/public-key 1/' \
	node.id >bad.id
cmp -s node.id bad.id && bail "bad.id is not different from node.id"
sed "s|$T/node.id|$T/bad.id|" good.json >badid.json
run "$SUBNETRAD" --check --config badid.json
check_match "invalid identity: line and field" \
	"^subnetrad: badid.json: identity_file: InvalidIdentity: $T/bad.id: line 3: public-key: " "$ERR"

declare -A bad=(
	[mode]='{"mode": "mesh2"}|^subnetrad: b.json: mode: InvalidMode: "mesh2": expected "mesh" or "base"'
	[unknown]='{"mode": "mesh", "peers": []}|^subnetrad: b.json: peers: UnknownField: unknown field "peers" in a mesh config$'
	[type]='{"mode": "mesh", "lan_discovery": "yes"}|^subnetrad: b.json: lan_discovery: WrongType: expected boolean, got string "yes"$'
	[range]='{"mode": "base", "tcp_port": 0}|^subnetrad: b.json: tcp_port: OutOfRange: 0 is not a usable port'
	[mtu]='{"mode": "mesh", "mtu": 1450}|^subnetrad: b.json: mtu: MtuOutOfRange: 1450 is outside 1280..1400'
	[host]='{"mode": "mesh", "bases": [{"host": "b:1", "public_key": "'"$BASE_PK"'"}]}|^subnetrad: b.json: bases\[0\]\.host: InvalidBaseHost: "b:1": '
	[key]='{"mode": "mesh", "bases": [{"host": "b", "public_key": "abc"}]}|^subnetrad: b.json: bases\[0\]\.public_key: InvalidBaseKey: expected 64 hex characters, got 3$'
	[hostname]='{"mode": "mesh", "hostname": "-a"}|^subnetrad: b.json: hostname: InvalidHostname: "-a": '
	[whitelist]='{"mode": "mesh", "whitelist": ["fd00::1"]}|^subnetrad: b.json: whitelist\[0\]: NotMeshAddress: "fd00::1" is not in fc94::/16'
	[dup]='{"mode": "mesh", "whitelist": ["fc94::1", "fc94:0::1"]}|^subnetrad: b.json: whitelist\[1\]: DuplicateWhitelistEntry: '
	[probe]='{"mode": "base", "udp_port": 6000, "probe_port": 6000}|^subnetrad: b.json: probe_port: ProbePortIsUdpPort: 6000 is also the UDP port; the NAT probe needs a second port \(0: none\)$'
	[probe_range]='{"mode": "mesh", "bases": [{"host": "b", "probe_port": 65536, "public_key": "'"$BASE_PK"'"}]}|^subnetrad: b.json: bases\[0\]\.probe_port: OutOfRange: '
	[rekey]='{"mode": "mesh", "rekey_interval": 5}|^subnetrad: b.json: rekey_interval: RekeyIntervalOutOfRange: 5 is outside 10\.\.120 seconds \(10: '
	[state_dir]='{"mode": "mesh", "state_dir": "state"}|^subnetrad: b.json: state_dir: InvalidPath: "state": expected an absolute directory path of at most 255 bytes$'
	[state_identity]='{"mode": "mesh", "state_dir": "/var/lib/subnetra"}|^subnetrad: b.json: state_dir: StateDirHoldsIdentity: /var/lib/subnetra holds identity_file /var/lib/subnetra/identity: '
	[psk]='{"mode": "mesh", "psk": "'"${PSK:0:20}"'"}|^subnetrad: b.json: psk: InvalidPsk: expected 64 hex characters, got 20$'
)
for k in "${!bad[@]}"; do
	printf '%s\n' "${bad[$k]%%|*}" >b.json
	run "$SUBNETRAD" --check --config b.json
	check_eq "bad $k: exit 1" 1 "$RC"
	check_match "bad $k: file, field, error" "${bad[$k]#*|}" "$ERR"
	run "$LINT" b.json
	check_match "bad $k: config-lint agrees" "^config-lint: b.json: FAILED \(" "$OUT"
done

# config-lint
run "$LINT" good.json base.json
check_eq "config-lint: both OK" 0 "$RC"
check_match "config-lint: mesh line" "^config-lint: good.json: OK \(mode=mesh, address=$ADDR, mtu=1400, udp_port=5582, bases=1\)$" "$OUT"
check_match "config-lint: base line" "^config-lint: base.json: OK \(mode=base, address=$BASE_ADDR, udp_port=5582, probe_port=5583, tcp_port=8443\)$" "$OUT"
run "$LINT" --no-host noid.json
check_match "config-lint --no-host: the identity is another machine's" '^config-lint: noid.json: OK \(mode=mesh, mtu=1400' "$OUT"
run "$LINT" noid.json
check_match "config-lint: missing identity" '^  noid.json: identity_file: IdentityUnreadable: ' "$OUT"
run "$LINT" --json good.json
check "config-lint --json: mode and address" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
f = d["files"][0]
assert f["ok"] and f["mode"] == "mesh" and f["address"] == sys.argv[2] and f["mtu"] == 1400, f
' "$OUT" "$ADDR"
cat >v1.json <<JSON
{"local_id": 1, "peers": [{"id": 2, "endpoint": "203.0.113.2:18020", "psk": "$PSK"}]}
JSON
run "$LINT" --no-host --json v1.json
check "config-lint --json: a v1 result has no mode" python3 -c '
import json, sys
f = json.loads(sys.argv[1])["files"][0]
assert f["ok"] and "mode" not in f and f["role"] == "manual", f
' "$OUT"

all=$(cat "$T"/out "$T"/err; for f in good.json base.json mesh.json noid.json badid.json; do
	"$SUBNETRAD" --check --config "$f" 2>&1; "$SUBNETRAD" --print-network-plan --config "$f" 2>&1
	"$LINT" --json "$f" 2>&1; done)
check_eq "the psk is never printed" "" "$(grep -F -- "${PSK:8:24}" <<<"$all")"
check_eq "the seed is never printed" "" "$(grep -F -- "${SEED:8:24}" <<<"$all")"

done_testing
