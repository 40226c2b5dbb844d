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
#   WAN accept), as §5.1 (input drop: §5.2): lib_mesh.sh's NAT lab.
#   lan_discovery false.
#
#   1. endpoint-independent NATs (masquerade): ping6 A -> B works at once
#      through the relay; both sides then show `direct` (the upgrade time
#      is printed) and the base relays nothing for 20 more pings;
#   2. rA drops UDP to rB's WAN address (not to the base): the pings go on
#      (relay fallback; the longest gap is printed), both sides show
#      relay-udp and why;
#   3. per-destination NATs (masquerade fully-random on both): relay-udp,
#      no upgrade; each node finds its NAT per-destination (the base's
#      probe port sees another source port than its UDP port), says so in
#      its endpoint record, and status says both NATs map ports per
#      destination.
#   4. rB forwards the mesh port to B, and the base's RELAYED frames to rB
#      are dropped: A's HS_INIT copies to B's candidates (not the relayed
#      one) make the session, and the path goes direct.
#   In 1 both nodes classify their NAT endpoint-independent; per-peer RTT
#   is measured on the direct path (heartbeats) and on the relay (RTT pings).
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/lib_mesh.sh
. "$(dirname "$0")/lib_mesh.sh"

nat_lab_init
nat_lab_up
check_eq "rA's input policy drops what nobody asked for (B -> rA)" 0 \
	"$(ping_received b -c 1 -W 1 "${WAN_IP[ra]}")"

# ---- 1. endpoint-independent NATs: relay first, then direct -------------------------------
start_mesh base
start_mesh a
start_mesh b
check "A registers with the base" wait_until 15 registered a
check "B registers with the base" wait_until 15 registered b
check_match "A's base sees it behind rA" "\"observed\":\"${WAN_IP[ra]}:" "$(status_json a)"
# nat_is NODE CLASS: NODE's status says its NAT is CLASS.
nat_is() { status_json "$1" | grep -q "\"nat\":\"$2\""; }
check "EIM: A finds its NAT endpoint-independent" wait_until 10 nat_is a endpoint-independent
check "EIM: B finds its NAT endpoint-independent" wait_until 10 nat_is b endpoint-independent
check_ge "EIM: A's probe PINGs answered by the base's probe port" 1 "$(counter a nat_probe_pongs)"
check_ge "EIM: the base answered probes" 2 "$(counter base probe_pongs_sent)"
check_match "status text: nat=endpoint-independent" "peers=[0-9]+ nat=endpoint-independent" "$(cli a status)"
t0=$(now_ms)
check "ping6 A -> B at once (through the relay)" wait_until 10 ping_ok a "${ADDR[b]}"
t1=$(now_ms)
check_ge "the base relayed the first packets" 2 "$(counter base relayed_packets)"
check "both sides go direct" wait_until 30 both_path a b direct
t2=$(now_ms)
diag "first reply after $((t1 - t0)) ms (relay); direct on both sides $((t2 - t1)) ms later"
check_match "A: B's endpoint is rB's WAN address" "\"endpoint\":\"${WAN_IP[rb]}:" "$(peer_obj a b)"
check_match "B: A's endpoint is rA's WAN address" "\"endpoint\":\"${WAN_IP[ra]}:" "$(peer_obj b a)"
check_match "A: not relayed, no reason" '"relayed_because":null' "$(peer_obj a b)"
check_match "A: B's record does not say per-destination" '"peer_nat":null' "$(peer_obj a b)"
check_ge "A: its HS_INIT also went to B's candidates" 1 "$(counter a handshakes_sent_direct)"
check_le "A: at most 4 copies per HS_INIT" $((4 * $(counter a handshakes_sent))) \
	"$(counter a handshakes_sent_direct)"
check_ge "A: one upgrade" 1 "$(counter a path_upgrades)"
check_ge "A: PATH_PONGs received" 1 "$(counter a path_pongs_received)"
check_ge "B: punches sent" 1 "$(counter b punches_sent)"
rel0=$(counter base relayed_packets)
check_eq "ping6 A -> B direct: 20 of 20" 20 "$(ping_received a -6 -c 20 -i 0.2 -W 2 "${ADDR[b]}")"
rel1=$(counter base relayed_packets)
check_le "the base relayed nothing for the 20 direct pings" 0 $((rel1 - rel0))
check "heartbeats keep the path: still direct" both_path a b direct
# rtt_known NODE PEER: NODE's status has a number for PEER's rtt_ms.
rtt_known() { peer_obj "$1" "$2" | grep -Eq '"rtt_ms":[0-9]+\.[0-9]{3}'; }
check "A: B's RTT measured on the direct path" wait_until 10 rtt_known a b
check_match "status text: rtt in ms" "address=${ADDR[b]} .* rtt=[0-9]+\.[0-9]+ms peer_nat=-" "$(cli a status)"
check_match "metrics: B's RTT" "^subnetra_mesh_peer_rtt_seconds\{address=\"${ADDR[b]}\"\} [0-9]+\.[0-9]{9}$" \
	"$(cli a metrics)"
check_match "metrics: B's path" "^subnetra_mesh_peer_path\{address=\"${ADDR[b]}\",path=\"direct\"\} 1$" \
	"$(cli a metrics)"
check_match "metrics: our NAT" '^subnetra_mesh_nat_info\{class="endpoint-independent"\} 1$' "$(cli a metrics)"
check_ge "A: heartbeat PATH_PINGs answered" 2 "$(counter a path_pongs_received)"
check_match "status text: direct, with path counters" \
	"address=${ADDR[b]} hostname=node-b path=direct endpoint=${WAN_IP[rb]}:" "$(cli a status)"

# ---- 2. the direct path breaks: back to the relay without losing the session ---------------
nat_break_on ra "${WAN_IP[rb]}"
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
check_match "A says why" '"the direct path stopped answering"|"no candidate answered"|"probing"' "$(relayed_because a b)"
check_match "B says why" '"the direct path stopped answering"|"no candidate answered"|"probing"' "$(relayed_because b a)"
check_match "status text: relay-udp and why" \
	"path=relay-udp endpoint=[^ ]* handshake=\"[^\"]*\" relayed_because=\"" "$(cli a status)"
check_ge "rA dropped direct datagrams" 1 "$(nat_break_count ra)"

# ---- 3. per-destination NATs on both sides: stays relayed, and says why ----------------------
stop_node a
stop_node b
stop_node base
nat_break_off ra
nat_rules ra fully-random
nat_rules rb fully-random
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
check "EDM: A finds its NAT per-destination" wait_until 10 nat_is a per-destination
check "EDM: B finds its NAT per-destination" wait_until 10 nat_is b per-destination
check_match "EDM: A reads B's record: per-destination" '"peer_nat":"per-destination"' "$(peer_obj a b)"
check_eq "EDM: A says why" '"both NATs map ports per destination"' "$(relayed_because a b)"
check_eq "EDM: B says why" '"both NATs map ports per destination"' "$(relayed_because b a)"
check_match "EDM: status text says why" \
	"path=relay-udp .*relayed_because=\"both NATs map ports per destination\" rtt=[^ ]* peer_nat=per-destination" \
	"$(cli a status)"
check_eq "EDM: no upgrade" 0 "$(counter a path_upgrades)"
check_ge "EDM: A probed (PATH_PINGs sent)" 4 "$(counter a path_pings_sent)"
check_eq "EDM: ping6 A -> B: 5 of 5 (relayed)" 5 "$(ping_received a -6 -c 5 -i 0.2 -W 2 "${ADDR[b]}")"
check "EDM: A: B's RTT measured over the relay" wait_until 10 rtt_known a b


# ---- 4. reachable directly, not through the base: the HS_INIT copies connect ---------------
# rB forwards the mesh port to B (endpoint-independent NATs again), and the
# base's RELAYED frames to rB are dropped: A's HS_INIT through the base never
# arrives, only its copy to B's candidate (rB's WAN address) does.
stop_node a
stop_node b
stop_node base
nat_rules ra
nat_rules rb
ip netns exec "$RUN-rb" nft -f - <<NFT || bail "rB: port forward failed"
table ip portfwd {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "eth0" udp dport $PORT dnat to ${NODE_IP[b]}:$PORT
	}
}
NFT
ip netns exec "$RUN-rb" nft insert rule inet fw filter_fwd ct status dnat accept || bail "rB: forward rule"
ip netns exec "$RUN-base" nft -f - <<NFT || bail "base: RELAYED block failed"
table inet snrnorelay {
	chain out {
		type filter hook output priority filter; policy accept;
		ip daddr ${WAN_IP[rb]} udp sport $PORT @th,64,8 0x06 counter drop
	}
}
NFT
start_mesh base
start_mesh a
start_mesh b
check "no relay to B: A registers" wait_until 15 registered a
check "no relay to B: B registers" wait_until 15 registered b
check "no relay to B: ping6 A -> B connects directly" wait_until 20 ping_ok a "${ADDR[b]}"
check_ge "no relay to B: A's HS_INIT copies went to B's candidates" 1 \
	"$(counter a handshakes_sent_direct)"
check_ge "no relay to B: the base's RELAYED frames to rB were dropped" 1 \
	"$(ip netns exec "$RUN-base" nft list table inet snrnorelay | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')"
check "no relay to B: both sides direct" wait_until 15 both_path a b direct
check_eq "no relay to B: ping6 A -> B: 5 of 5" 5 "$(ping_received a -6 -c 5 -i 0.2 -W 2 "${ADDR[b]}")"

mesh_done a b base
