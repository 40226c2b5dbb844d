#!/usr/bin/env bash
# Recovery: a mesh node's traffic survives NAT state loss, its own address
# changing, every base dying, and its home base dying, each time on the
# same session (docs/mesh.md "Recovery").
#
#   $RUN-a 10.0.1.2 --lan-- $RUN-ra 10.0.1.1 | 203.0.113.1 --\
#                                                              br0 -- $RUN-base1 203.0.113.10
#   $RUN-b 10.0.2.2 --lan-- $RUN-rb 10.0.2.1 | 203.0.113.2 --/      $RUN-base2 203.0.113.11
#
#   Routers: the NAT lab of t_mesh_nat.sh (masquerade, input policy drop).
#   Both nodes list both bases; lan_discovery false.
#
#   1. direct A <-> B; a ping B -> A runs while conntrack -F empties both
#      NATs: the replies resume by themselves, the unanswered requests form
#      at most one run (the gap, printed), no new handshake;
#   2. A's underlay address changes mid-ping (10.0.1.2 -> 10.0.1.3, the
#      default route again): netlink tells A at once, A re-registers with
#      both bases and re-probes; replies resume, at most one gap, no new
#      handshake;
#   3. (new daemons) direct again; both bases are killed and A's network
#      changes (a second address): A finds both bases dead, the direct ping
#      goes on with nothing lost and B stays `direct`;
#   4. both bases back, node <-> node UDP dropped by the routers: relayed
#      ping A -> B; A's home base is killed: the relay moves to the other
#      base (the time it took is printed), at most one gap, no new handshake.
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/lib_mesh.sh
. "$(dirname "$0")/lib_mesh.sh"

nat_lab_init
declare -A BASE_IP=([base1]=203.0.113.10 [base2]=203.0.113.11)

# node_config NAME PEER: a mesh config listing both bases.
node_config() {
	MESH_LAN[$1]=false
	MESH_EXTRA[$1]="\"bases\": [
    { \"host\": \"${BASE_IP[base1]}\", \"udp_port\": $PORT, \"public_key\": \"${PK[base1]}\" },
    { \"host\": \"${BASE_IP[base2]}\", \"udp_port\": $PORT, \"public_key\": \"${PK[base2]}\" } ],"
	mesh_config "$1" "$2"
}
both_path() { peer_path a b "$1" && peer_path b a "$1"; }
# both_registered NODE: NODE is registered with both bases.
both_registered() { [ "$(status_json "$1" | grep -o '"state":"registered"' | wc -l)" -eq 2 ]; }
# home_of NODE: the name (base1 / base2) of NODE's home base.
home_of() {
	local h
	h=$(status_json "$1" | grep -o '"host":"[0-9.]*","udp_port":[0-9]*,"tcp_port":[0-9]*,"transport":"[a-z]*","state":"registered","home":true' |
		sed -n 's/^"host":"\([0-9.]*\)".*/\1/p')
	for n in base1 base2; do [ "${BASE_IP[$n]}" = "$h" ] && echo "$n"; done
}
# bases_dead NODE: NODE's status shows no base registered.
bases_dead() { ! status_json "$1" | grep -q '"state":"registered"'; }
# check_gap NAME FILE: at most one run of unanswered requests (nothing lost
# beyond the gap); prints the gap.
check_gap() {
	local runs longest
	read -r runs longest < <(ping_gaps "$2")
	diag "$1: $(ping_last "$2") requests, $runs gap(s), the longest $((longest * 200)) ms ($longest requests)"
	check_le "$1: nothing lost beyond one gap" 1 "$runs"
}

mesh_node base1 "${BASE_IP[base1]}"
mesh_node base2 "${BASE_IP[base2]}"
nat_lab_pair
mesh_base_config base1
mesh_base_config base2
node_config a b
node_config b a
wait_until 10 nsx a ping -c1 -W1 "${BASE_IP[base1]}" || bail "underlay: A cannot reach base1"
wait_until 10 nsx b ping -c1 -W1 "${BASE_IP[base2]}" || bail "underlay: B cannot reach base2"

# ---- 1. conntrack -F on both NATs mid-transfer --------------------------------------
start_mesh base1
start_mesh base2
start_mesh a
start_mesh b
check "A registers with both bases" wait_until 15 both_registered a
check "B registers with both bases" wait_until 15 both_registered b
check "ping6 A -> B" wait_until 10 ping_ok a "${ADDR[b]}"
check "A and B go direct" wait_until 30 both_path direct
hs_a=$(counter a handshakes_completed)
hs_b=$(counter b handshakes_completed)
ping_start b flush "${ADDR[a]}"
check "flush: the ping runs" wait_until 10 ping_last_ge "$T/flush.ping" 5
e=$(ping_last "$T/flush.ping")
ip netns exec "$RUN-ra" conntrack -F >/dev/null 2>&1
ip netns exec "$RUN-rb" conntrack -F >/dev/null 2>&1
check "flush: replies resume by themselves (10 in a row)" wait_until 30 ping_resumed "$T/flush.ping" "$e" 10
ping_stop
check_gap "flush" "$T/flush.ping"
check_eq "flush: the same session on A (no new handshake)" "$hs_a" "$(counter a handshakes_completed)"
check_eq "flush: the same session on B" "$hs_b" "$(counter b handshakes_completed)"

# ---- 2. A's underlay address changes mid-transfer -------------------------------------
nc0=$(counter a net_changes)
rr0=$(counter a net_reregisters)
ping_start b addr "${ADDR[a]}"
check "address: the ping runs" wait_until 10 ping_last_ge "$T/addr.ping" 5
e=$(ping_last "$T/addr.ping")
ip -n "$RUN-a" addr del 10.0.1.2/24 dev eth0
ip -n "$RUN-a" addr add 10.0.1.3/24 dev eth0
ip -n "$RUN-a" route replace default via 10.0.1.1 || bail "A: no new default route"
check "address: A sees the change (netlink)" wait_until 5 counter_ge a net_changes $((nc0 + 1))
check_ge "address: A re-registered with both bases at once" $((rr0 + 2)) "$(counter a net_reregisters)"
check "address: replies resume by themselves (10 in a row)" wait_until 40 ping_resumed "$T/addr.ping" "$e" 10
ping_stop
check_gap "address" "$T/addr.ping"
check_match "address: A's new record has its one new candidate" \
	"network changed: 1 local candidate" "$(cat "${NODE_LOG[a]}")"
check "address: both bases register A again" wait_until 10 both_registered a
check_eq "address: the same session on A (no new handshake)" "$hs_a" "$(counter a handshakes_completed)"
check_eq "address: the same session on B" "$hs_b" "$(counter b handshakes_completed)"
diag "address: A -> B path $(peer_obj a b | grep -o '"path":"[^"]*"'), B -> A path $(peer_obj b a | grep -o '"path":"[^"]*"')"

# ---- 3. every base killed while the link is direct ----------------------------------------
# rA still maps 10.0.1.2:5582 (the old address) to its port 5582 towards B and
# the bases, so 10.0.1.3 gets another port per destination (an EDM NAT) until
# those entries expire: new daemons start from empty NATs instead.
stop_node a
stop_node b
ip netns exec "$RUN-ra" conntrack -F >/dev/null 2>&1
ip netns exec "$RUN-rb" conntrack -F >/dev/null 2>&1
start_mesh a
start_mesh b
check "restart: A registers with both bases" wait_until 15 both_registered a
check "restart: ping6 A -> B" wait_until 10 ping_ok a "${ADDR[b]}"
check "restart: A and B go direct" wait_until 30 both_path direct
dead0=$(counter a base_dead)
ping_start a nobase "${ADDR[b]}"
check "no base: the ping runs" wait_until 10 ping_last_ge "$T/nobase.ping" 5
stop_node base1
stop_node base2
# A network change makes A check its bases at once (a PING each).
ip -n "$RUN-a" addr add 10.0.1.50/24 dev eth0
check "no base: A finds both bases dead" wait_until 20 counter_ge a base_dead $((dead0 + 2))
check "no base: A's status shows no base registered" bases_dead a
e=$(ping_last "$T/nobase.ping")
check "no base: 10 more replies" wait_until 10 ping_last_ge "$T/nobase.ping" $((e + 10))
ping_stop
read -r runs longest < <(ping_gaps "$T/nobase.ping")
check_eq "no base: not one request lost" "0 0" "$runs $longest"
check "no base: A -> B still direct" peer_path a b direct
check "no base: B -> A still direct" peer_path b a direct

# ---- 4. two bases, the home one killed: the relay moves -----------------------------------
stop_node a
stop_node b
for r in ra rb; do
	o=rb
	[ "$r" = rb ] && o=ra
	ip netns exec "$RUN-$r" nft -f - <<NFT || bail "$r: the no-direct rule failed"
table inet snrnodirect {
	chain nodirect {
		type filter hook forward priority filter - 10; policy accept;
		ip daddr ${WAN_IP[$o]} meta l4proto udp counter drop
	}
}
NFT
done
start_mesh base1
start_mesh base2
start_mesh a
start_mesh b
check "relay: A registers with both bases" wait_until 15 both_registered a
check "relay: B registers with both bases" wait_until 15 both_registered b
check "relay: ping6 A -> B" wait_until 10 ping_ok a "${ADDR[b]}"
check "relay: A -> B is relay-udp" peer_path a b relay-udp
home=$(home_of a)
[ -n "$home" ] || bail "A has no home base: $(status_json a)"
hs_a=$(counter a handshakes_completed)
ping_start a relay "${ADDR[b]}"
check "relay: the ping runs" wait_until 10 ping_last_ge "$T/relay.ping" 5
e=$(ping_last "$T/relay.ping")
t0=$(now_ms)
stop_node "$home"
check "relay: replies resume through the other base (10 in a row)" \
	wait_until 40 ping_resumed "$T/relay.ping" "$e" 10
t1=$(now_ms)
ping_stop
check_gap "relay ($home killed)" "$T/relay.ping"
diag "relay: $home killed; 10 replies in a row again $((t1 - t0)) ms later"
check_ge "relay: A counted its home base dead" 1 "$(counter a base_dead)"
check_eq "relay: the same session (no new handshake)" "$hs_a" "$(counter a handshakes_completed)"
check "relay: A -> B is still relay-udp" peer_path a b relay-udp
check_ge "relay: the routers dropped direct datagrams" 1 \
	"$(ip netns exec "$RUN-ra" nft list table inet snrnodirect | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')"

survivor=base1
[ "$home" = base1 ] && survivor=base2
mesh_done a b "$survivor"
