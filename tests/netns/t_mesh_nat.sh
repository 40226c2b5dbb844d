#!/usr/bin/env bash
# Direct paths through NATs: two mesh nodes behind separate NAT routers
# start relayed through a base and upgrade to a direct path when the NATs
# allow it (research/mesh-design.md §3, §5.1; docs/mesh.md "Direct paths
# through NATs").
#
#   $RUN-a 10.0.1.2 --lan-- $RUN-ra 10.0.1.1 | 203.0.113.1 --\
#                                                              br0 ($RUN-net) -- $RUN-base 203.0.113.10
#   $RUN-b 10.0.2.2 --lan-- $RUN-rb 10.0.2.1 | 203.0.113.2 --/
#
#   Routers: forwarding on, nft masquerade on the WAN side, forward and
#   input chains with policy drop (ct established,related accept; LAN ->
#   WAN accept), as §5.1 (input drop: §5.2).  lan_discovery false.
#
#   1. endpoint-independent NATs (masquerade): ping6 A -> B works at once
#      through the relay; both sides then show `direct` (the upgrade time
#      is printed) and the base relays nothing for 20 more pings;
#   2. rA drops UDP to rB's WAN address (not to the base): the pings go on
#      (relay fallback; the longest gap is printed), both sides show
#      relay-udp and why;
#   3. per-destination NATs (masquerade fully-random on both): relay-udp,
#      no upgrade, and status says no candidate answered.
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/lib_mesh.sh
. "$(dirname "$0")/lib_mesh.sh"

nat_lab_init
BASE_IP=203.0.113.10

node_config() {
	MESH_LAN[$1]=false
	MESH_EXTRA[$1]="\"bases\": [ { \"host\": \"$BASE_IP\", \"udp_port\": $PORT, \"public_key\": \"${PK[base]}\" } ],"
	mesh_config "$1" "$2"
}

both_path() { peer_path a b "$1" && peer_path b a "$1"; }
mesh_node base $BASE_IP
router ra
router rb
nat_node a ra
nat_node b rb
router_nat ra
router_nat rb
(
	umask 077
	cat >"$T/base.json" <<JSON
{ "mode": "base", "identity_file": "$T/base.id", "udp_port": $PORT }
JSON
)
node_config a b
node_config b a
wait_until 10 nsx a ping -c1 -W1 "$BASE_IP" || bail "underlay: A cannot reach the base through rA"
wait_until 10 nsx b ping -c1 -W1 "$BASE_IP" || bail "underlay: B cannot reach the base through rB"
check_eq "rA's input policy drops what nobody asked for (B -> rA)" 0 \
	"$(ping_received b -c 1 -W 1 "${WAN_IP[ra]}")"

# ---- 1. endpoint-independent NATs: relay first, then direct -------------------------------
start_mesh base
start_mesh a
start_mesh b
check "A registers with the base" wait_until 15 registered a
check "B registers with the base" wait_until 15 registered b
check_match "A's base sees it behind rA" "\"observed\":\"${WAN_IP[ra]}:" "$(status_json a)"
t0=$(now_ms)
check "ping6 A -> B at once (through the relay)" wait_until 10 ping_ok a "${ADDR[b]}"
t1=$(now_ms)
check_ge "the base relayed the first packets" 2 "$(counter base relayed_packets)"
check "both sides go direct" wait_until 30 both_path direct
t2=$(now_ms)
diag "first reply after $((t1 - t0)) ms (relay); direct on both sides $((t2 - t1)) ms later"
check_match "A: B's endpoint is rB's WAN address" "\"endpoint\":\"${WAN_IP[rb]}:" "$(peer_obj a b)"
check_match "B: A's endpoint is rA's WAN address" "\"endpoint\":\"${WAN_IP[ra]}:" "$(peer_obj b a)"
check_match "A: not relayed, no reason" '"relayed_because":null' "$(peer_obj a b)"
check_ge "A: one upgrade" 1 "$(counter a path_upgrades)"
check_ge "A: PATH_PONGs received" 1 "$(counter a path_pongs_received)"
check_ge "B: punches sent" 1 "$(counter b punches_sent)"
rel0=$(counter base relayed_packets)
check_eq "ping6 A -> B direct: 20 of 20" 20 "$(ping_received a -6 -c 20 -i 0.2 -W 2 "${ADDR[b]}")"
rel1=$(counter base relayed_packets)
check_le "the base relayed nothing for the 20 direct pings" 0 $((rel1 - rel0))
check "heartbeats keep the path: still direct" both_path direct
check_ge "A: heartbeat PATH_PINGs answered" 2 "$(counter a path_pongs_received)"
check_match "status text: direct, with path counters" \
	"address=${ADDR[b]} hostname=node-b path=direct endpoint=${WAN_IP[rb]}:" "$(cli a status)"

# ---- 2. the direct path breaks: back to the relay without losing the session ---------------
ip netns exec "$RUN-ra" nft -f - <<NFT || bail "rA: break rule failed"
table inet snrbreak {
	chain fwd_break {
		type filter hook forward priority filter - 10; policy accept;
		ip daddr ${WAN_IP[rb]} meta l4proto udp counter drop
	}
}
NFT
hs0=$(counter a handshakes_completed)
nsx a ping -6 -D -i 0.2 -c 150 -W 1 "${ADDR[b]}" >"$T/break.ping" 2>&1 &
ping_pid=$!
bg_track "$ping_pid"
check "A falls back to relay-udp" wait_until 20 peer_path a b relay-udp
check "B falls back to relay-udp" wait_until 20 peer_path b a relay-udp
wait "$ping_pid"
got=$(sed -n 's/.* \([0-9][0-9]*\) received.*/\1/p' "$T/break.ping")
gap=$(max_gap "$T/break.ping" 200 150)
diag "break: $got of 150 replies; longest time without replies ${gap} ms"
check_ge "pings continued: at least 100 of 150" 100 "${got:-0}"
check_le "the gap without replies stays under 12 s" 12000 "$gap"
check_eq "ping6 A -> B through the relay: 5 of 5" 5 "$(ping_received a -6 -c 5 -i 0.2 -W 2 "${ADDR[b]}")"
check_eq "the session survived (no new handshake)" "$hs0" "$(counter a handshakes_completed)"
check_ge "A: a fallback counted" 1 "$(counter a path_fallbacks)"
check_match "A says why" '"the direct path stopped answering"|"no candidate answered"|"probing"' "$(why a b)"
check_match "B says why" '"the direct path stopped answering"|"no candidate answered"|"probing"' "$(why b a)"
check_match "status text: relay-udp and why" \
	"path=relay-udp endpoint=[^ ]* handshake=\"[^\"]*\" relayed_because=\"" "$(cli a status)"
check_ge "rA dropped direct datagrams" 1 \
	"$(ip netns exec "$RUN-ra" nft list table inet snrbreak | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')"

# ---- 3. per-destination NATs on both sides: stays relayed, and says why ----------------------
stop_node a
stop_node b
stop_node base
ip netns exec "$RUN-ra" nft delete table inet snrbreak
router_nat ra fully-random
router_nat rb fully-random
start_mesh base
start_mesh a
start_mesh b
check "EDM: A registers" wait_until 15 registered a
check "EDM: B registers" wait_until 15 registered b
check "EDM: ping6 A -> B through the relay" wait_until 10 ping_ok a "${ADDR[b]}"
check "EDM: A's first round fails" wait_until 20 counter_ge a path_rounds_failed 1
check "EDM: B's first round fails" wait_until 20 counter_ge b path_rounds_failed 1
check "EDM: A: relay-udp" peer_path a b relay-udp
check "EDM: B: relay-udp" peer_path b a relay-udp
check_eq "EDM: A says why" '"no candidate answered"' "$(why a b)"
check_eq "EDM: no upgrade" 0 "$(counter a path_upgrades)"
check_ge "EDM: A probed (PATH_PINGs sent)" 4 "$(counter a path_pings_sent)"
check_eq "EDM: ping6 A -> B: 5 of 5 (relayed)" 5 "$(ping_received a -6 -c 5 -i 0.2 -W 2 "${ADDR[b]}")"

mesh_done a b base
