#!/usr/bin/env bash
# Mesh mode's managed set (docs/mesh.md, "Managed entries"), as the
# management agent drives it: two nodes on one LAN, the whitelist on and
# both manual lists empty; what lets them talk is only the file
# <state_dir>/managed that the test writes (as the agent would: a tmp file
# renamed, mode 0644, owned by root) and `subnetra managed reload`.
#
#                 $RUN-net: br0 (mcast_snooping 0)
#                 v-a /                  \ v-b
#     $RUN-a eth0                          $RUN-b eth0      IPv6 link-local only
#     snr0 fc94:A  user nobody,            snr0 fc94:B      root
#                  hosts_file /etc/netns/$RUN-a/hosts
#     whitelist: [] (enabled)              whitelist: [] (enabled)
#     managed: peer B node-b b-alias,      managed: peer A node-a
#              server fc94::5
#
#   1. no managed file: empty set (version 0.0) everywhere (managed ls,
#      status text and JSON, metrics); B's beacons are refused by A;
#   2. the files written, managed reload on both: "ok version ..." with the
#      counts; A and B complete a handshake; ping6 node-b and b-alias from A
#      through the hosts block, which marks them managed (hosts ls);
#      whitelist ls marks B and the server "managed"; managed ls lists the
#      set; status and metrics count it;
#   3. whitelist rm B and hosts rm node-b: refused (exit 2), managed;
#   4. a malformed file: reload refused (exit 2) with its line, one log
#      line, managed_refused counted, the set in force stays (ping works);
#   5. B taken out of A's file, reload: B's session ends at once
#      (peers_removed), node-b leaves the block, pings fail;
#   6. B restarted: its managed set comes from its file; its new handshakes
#      are refused by A and counted (drop_mesh_hs_not_allowed);
#   7. B put back, reload: they talk again; A restarted: its set comes from
#      the file and they talk again.
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/lib_mesh.sh
. "$(dirname "$0")/lib_mesh.sh"

require_env
id nobody >/dev/null 2>&1 || bail "no user nobody"
mesh_hosts_init a
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n' >"$HOSTS"
chmod 644 "$HOSTS"

for n in a b; do mesh_node "$n"; done
for n in a b; do
	wait_until 10 linklocal_ready "$n" || bail "$n: no link-local address on eth0"
done
MESH_EXTRA[a]="\"user\": \"nobody\", \"hosts_file\": \"$HOSTS\","
mesh_config a
mesh_config b
MF_A=$T/a.state/managed
MF_B=$T/b.state/managed
SERVER=fc94::5

# write_managed NODE TEXT: the agent's way (tmp in the same directory, rename), mode 0644.
write_managed() {
	local f=$T/$1.state/managed
	printf '%s' "$2" >"$f.tmp.$$" && chmod 644 "$f.tmp.$$" && mv "$f.tmp.$$" "$f"
}
counter() { json_get "$(status_json "$1")" "$2"; }
counter_gt() { [ "$(counter "$1" "$2")" -gt "$3" ]; }
not_listed() { ! status_json "$1" | grep -q "\"address\":\"${ADDR[$2]}\""; }
# hs_refused_since N: B pings A once; A has refused more than N handshakes.
hs_refused_since() {
	ping_received b -6 -c 1 -W 1 "${ADDR[a]}" >/dev/null
	counter_gt a drop_mesh_hs_not_allowed "$1"
}

start_mesh a
start_mesh b

# ---- 1. no file: the empty set -------------------------------------------------------------
check_eq "managed ls without a file: version 0.0 only" "version 0.0" "$(cli a managed ls)"
check_match "status: managed: version 0.0, 0 peers, 0 servers" \
	"^managed: version 0\.0, 0 peers, 0 servers$" "$(cli a status)"
check_match "status --json: the managed object" \
	'"managed":\{"version":"0.0","peers":0,"servers":0\}' "$(status_json a)"
check_eq "managed reload without a file: the empty set" \
	"ok version 0.0 peers 0 servers 0 names 0" "$(cli b managed reload)"
check "A refuses B's beacons (empty lists)" wait_until 40 counter_gt a drop_beacon_not_allowed 0
check_fails "A and B have no session" peer_up a b

# ---- 2. the files, reload ---------------------------------------------------------------------
write_managed a "subnetra-managed 1
version 1.1
server $SERVER
peer ${ADDR[b]} node-b b-alias
"
write_managed b "subnetra-managed 1
version 7.3
peer ${ADDR[a]} node-a
"
check_eq "managed reload on B" "ok version 7.3 peers 1 servers 0 names 1" "$(cli b managed reload)"
check_eq "managed reload on A" "ok version 1.1 peers 1 servers 1 names 2" "$(cli a managed reload)"
check "A and B complete a handshake" wait_until 40 peer_up a b
check "A's block holds node-b" wait_until 5 block_has "${ADDR[b]} node-b"
check "... and b-alias" block_has "${ADDR[b]} b-alias"
check_eq "ping6 node-b from A (the hosts block): 2 of 2" 2 "$(ping_received a -6 -c 2 -W 2 node-b)"
check_eq "ping6 b-alias from A: 1 of 1" 1 "$(ping_received a -6 -c 1 -W 2 b-alias)"
check_eq "ping6 B -> A by address: 1 of 1" 1 "$(ping_received b -6 -c 1 -W 2 "${ADDR[a]}")"
ls=$(cli a hosts ls)
check_match "hosts ls: node-b managed" "^${ADDR[b]} node-b managed$" "$ls"
check_match "hosts ls: b-alias managed" "^${ADDR[b]} b-alias managed$" "$ls"
check_match "hosts ls: the count" "0 manual .*, 2 managed$" "$ls"
ls=$(cli a whitelist ls)
check_match "whitelist ls: 0 manual, 2 managed" \
	"^whitelist enabled, 0 address\(es\), saved in .*; 2 managed" "$ls"
check_match "whitelist ls: B marked managed" "^${ADDR[b]} managed$" "$ls"
check_match "whitelist ls: the server marked managed" "^$SERVER managed$" "$ls"
check_eq "managed ls: the set" "$(printf 'version 1.1\nserver %s\npeer %s node-b b-alias' \
	"$SERVER" "${ADDR[b]}")" "$(cli a managed ls)"
check_match "status: managed: version 1.1, 1 peers, 1 servers" \
	"^managed: version 1\.1, 1 peers, 1 servers$" "$(cli a status)"
check_match "status --json: the managed object" \
	'"managed":\{"version":"1.1","peers":1,"servers":1\}' "$(status_json a)"
m=$(cli a metrics)
check_match "metrics: subnetra_mesh_managed_peers 1" "^subnetra_mesh_managed_peers 1$" "$m"
check_match "metrics: subnetra_mesh_managed_servers 1" "^subnetra_mesh_managed_servers 1$" "$m"
check_eq "A counts the set taken (managed_loaded)" 1 "$(counter a managed_loaded)"

# ---- 3. managed entries cannot be removed by hand -------------------------------------------
cli a whitelist rm "${ADDR[b]}" >/dev/null 2>"$T/err"
check_eq "whitelist rm of a managed address: exit 2" 2 "$?"
check_match "... because it is managed" "refused: ${ADDR[b]} is managed by the management server" \
	"$(cat "$T/err")"
cli a hosts rm node-b >/dev/null 2>"$T/err"
check_eq "hosts rm of a managed name: exit 2" 2 "$?"
check_match "... because it is managed" "refused: node-b is managed by the management server" \
	"$(cat "$T/err")"
check "a manual whitelist add of a managed address is taken" cli a whitelist add "${ADDR[b]}"
check_match "whitelist ls: managed, also manual" "^${ADDR[b]} managed, also manual$" \
	"$(cli a whitelist ls)"
check_match "whitelist rm of it: removed, still allowed" "still allowed: it is managed" \
	"$(cli a whitelist rm "${ADDR[b]}")"
check "the session stays" peer_up a b

# ---- 4. a malformed file changes nothing ------------------------------------------------------
write_managed a "subnetra-managed 1
version 1.2
server $SERVER
peer fd00::1 nope
"
before=$(status_json a)
cli a managed reload >"$T/out" 2>"$T/err"
check_eq "managed reload of a malformed file: exit 2" 2 "$?"
check_match "... the file and line 4, why" \
	"refused: $MF_A:4: not an fc94::/16 address \(the managed set stays at version 1\.1\)" \
	"$(cat "$T/err")"
check_eq "... nothing on stdout" "" "$(cat "$T/out")"
check_match "one log line" "managed reload refused, version 1.1 stays: $MF_A:4:" \
	"$(cat "${NODE_LOG[a]}")"
check_eq "managed_refused counted" 1 "$(delta "$before" "$(status_json a)" managed_refused)"
check_match "managed ls: still version 1.1 with B" "^peer ${ADDR[b]} node-b b-alias$" \
	"$(cli a managed ls)"
check_eq "ping6 node-b still works: 1 of 1" 1 "$(ping_received a -6 -c 1 -W 2 node-b)"
write_managed a "subnetra-managed 1
version 1.2
peer ${ADDR[b]} node-b node-b2
peer ${ADDR[b]} again
"
cli a managed reload >/dev/null 2>"$T/err"
check_match "a repeated peer: refused at line 4" "$MF_A:4: the peer is listed twice" "$(cat "$T/err")"

# ---- 5. B taken out: cut off at once ------------------------------------------------------------
write_managed a "subnetra-managed 1
version 1.3
server $SERVER
"
before=$(status_json a)
check_eq "managed reload without B" "ok version 1.3 peers 0 servers 1 names 0" \
	"$(cli a managed reload)"
after=$(status_json a)
check_eq "B's session ended (peers_removed)" 1 "$(delta "$before" "$after" peers_removed)"
check "A no longer lists B" not_listed a b
check_eq "A -> B: nothing gets through" 0 "$(ping_received a -6 -c 2 -W 1 "${ADDR[b]}")"
check "node-b left A's block" wait_until 5 block_lacks node-b
check_fails "whitelist ls: B is gone" grep -q "${ADDR[b]}" <<<"$(cli a whitelist ls)"

# ---- 6. B restarted: its set from its file; A refuses its handshakes ------------------------------
stop_node b
start_mesh b
check_match "B's log: the managed set from its file" \
	"managed set from $MF_B: version 7\.3 peers 1 servers 0 names 1" "$(cat "${NODE_LOG[b]}")"
check_match "B's managed ls: A" "^peer ${ADDR[a]} node-a$" "$(cli b managed ls)"
n=$(counter a drop_mesh_hs_not_allowed)
# B learns A's endpoint from A's next beacon (20-30 s), then handshakes on traffic.
check "B's new handshakes are refused by A and counted" wait_until 60 hs_refused_since "$n"
check_fails "no session" peer_up a b

# ---- 7. back in; A restarted loads its file ------------------------------------------------------
write_managed a "subnetra-managed 1
version 1.4
peer ${ADDR[b]} node-b
"
check_eq "managed reload with B again" "ok version 1.4 peers 1 servers 0 names 1" \
	"$(cli a managed reload)"
check "A and B complete a handshake again" wait_until 40 peer_up a b
check_eq "ping6 node-b: 1 of 1" 1 "$(ping_received a -6 -c 1 -W 2 node-b)"
stop_node a
start_mesh a
check_match "A's log: the managed set from its file" \
	"managed set from $MF_A: version 1\.4 peers 1 servers 0 names 1" "$(cat "${NODE_LOG[a]}")"
check_match "status after the restart: version 1.4" \
	'"managed":\{"version":"1.4","peers":1,"servers":0\}' "$(status_json a)"
check "A and B complete a handshake after A's restart" wait_until 40 peer_up a b
check_eq "ping6 node-b after the restart: 1 of 1" 1 "$(ping_received a -6 -c 1 -W 2 node-b)"

# ---- a world-writable file is not trusted at start-up ---------------------------------------------
stop_node a
chmod 666 "$MF_A"
start_mesh a
check_match "one log line: ignored" "managed file ignored, no managed entries: $MF_A is writable" \
	"$(cat "${NODE_LOG[a]}")"
check_eq "managed ls: the empty set" "version 0.0" "$(cli a managed ls)"

mesh_done a b
