#!/usr/bin/env bash
# The routing and anti-spoofing drops, each counted exactly where documented.
#
#   a: 10.0.0.2/24 (+10.0.0.50/32)      hub (rules: .2 -> 2, .3 -> 3)      b: 10.0.0.3
#   route 10.9.9.0/24 dev snr0
#        |                                   |                                |
#   203.0.113.2 ---------------------- br0 (net) ----------------------- 203.0.113.3
#                                       203.0.113.1
#
# 1. a pings 10.9.9.9: a's policy (10.0.0.2/32 local, 10.0.0.0/24 -> hub) has
#    no rule -> a: drop_tun_no_route, nothing sent.
# 2. a pings 10.0.0.77: a sends it to the hub, which has no rule for it ->
#    hub: drop_udp_no_route, nothing relayed.
# 3. a pings 10.0.0.3 from 10.0.0.50 (outside a's allowed_src 10.0.0.2/32) ->
#    hub: drop_udp_spoof; b receives nothing.
# Then a genuine ping still works, and its counters are exact.
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

require_env
topo_standard
write_mesh_configs "" '"keepalive_secs": 0'
start_node hub "$T/hub.json"
start_node a "$T/a.json"
start_node b "$T/b.json"
N=3

# Every datagram counted in this scenario is caused by its own pings.
snapshot() {
	A=$(status_json a) || bail "status --json on a failed"
	H=$(status_json hub) || bail "status --json on hub failed"
	B=$(status_json b) || bail "status --json on b failed"
}

# ---- 1. unrouted destination on a --------------------------------------------------
nsx a ip route add 10.9.9.0/24 dev "$TUN" || bail "cannot add 10.9.9.0/24 route on a"
snapshot
A0=$A H0=$H
got=$(ping_received a -n -c "$N" -i 0.05 -W 1 10.9.9.9)
check_eq "no route: 10.9.9.9 gets no reply" 0 "$got"
wait_until 5 counter_ge a drop_tun_no_route "$N"
snapshot
check_eq "no route: a tun_rx_packets +$N" "$N" "$(delta "$A0" "$A" tun_rx_packets)"
check_eq "no route: a drop_tun_no_route +$N" "$N" "$(delta "$A0" "$A" drop_tun_no_route)"
check_eq "no route: a sent nothing (udp_tx_packets +0)" 0 "$(delta "$A0" "$A" udp_tx_packets)"
check_eq "no route: hub received nothing" 0 "$(delta "$H0" "$H" udp_rx_packets)"
check_eq "no route: no other drop on a" "$N" "$(($(drop_total "$A") - $(drop_total "$A0")))"

# ---- 2. inside the overlay, but no hub rule --------------------------------------------
A0=$A H0=$H B0=$B
got=$(ping_received a -n -c "$N" -i 0.05 -W 1 10.0.0.77)
check_eq "hub no route: 10.0.0.77 gets no reply" 0 "$got"
wait_until 5 counter_ge hub drop_udp_no_route "$N"
snapshot
check_eq "hub no route: a sent $N datagrams to the hub" "$N" "$(delta "$A0" "$A" udp_tx_packets)"
check_eq "hub no route: hub udp_rx_packets +$N" "$N" "$(delta "$H0" "$H" udp_rx_packets)"
check_eq "hub no route: hub drop_udp_no_route +$N" "$N" "$(delta "$H0" "$H" drop_udp_no_route)"
check_eq "hub no route: no other drop on the hub" "$N" "$(($(drop_total "$H") - $(drop_total "$H0")))"
check_eq "hub no route: nothing relayed" 0 "$(delta "$H0" "$H" relay_packets)"
check_eq "hub no route: nothing written to the hub's TUN" 0 "$(delta "$H0" "$H" tun_tx_packets)"
check_eq "hub no route: b received nothing" 0 "$(delta "$B0" "$B" udp_rx_packets)"

# ---- 3. spoofed inner source ----------------------------------------------------------
nsx a ip addr add 10.0.0.50/32 dev "$TUN" || bail "cannot add 10.0.0.50 on a"
A0=$A H0=$H B0=$B
got=$(ping_received a -n -c "$N" -i 0.05 -W 1 -I 10.0.0.50 10.0.0.3)
check_eq "spoof: ping from 10.0.0.50 gets no reply" 0 "$got"
wait_until 5 counter_ge hub drop_udp_spoof "$N"
snapshot
check_eq "spoof: a sealed and sent all $N (a does not police its own sources)" "$N" \
	"$(delta "$A0" "$A" udp_tx_packets)"
check_eq "spoof: hub udp_rx_packets +$N" "$N" "$(delta "$H0" "$H" udp_rx_packets)"
check_eq "spoof: hub drop_udp_spoof +$N" "$N" "$(delta "$H0" "$H" drop_udp_spoof)"
check_eq "spoof: no other drop on the hub" "$N" "$(($(drop_total "$H") - $(drop_total "$H0")))"
check_eq "spoof: nothing relayed" 0 "$(delta "$H0" "$H" relay_packets)"
check_eq "spoof: b received nothing (udp_rx +0)" 0 "$(delta "$B0" "$B" udp_rx_packets)"
check_eq "spoof: b's TUN got nothing (tun_tx +0)" 0 "$(delta "$B0" "$B" tun_tx_packets)"

# ---- the genuine path still works ------------------------------------------------------
A0=$A H0=$H B0=$B
got=$(ping_received a -n -c "$N" -i 0.05 -W 2 10.0.0.3)
check_eq "genuine: a -> b $N/$N replies" "$N" "$got"
snapshot
check_eq "genuine: hub relayed exactly $((2 * N))" "$((2 * N))" "$(delta "$H0" "$H" relay_packets)"
check_eq "genuine: b tun_tx_packets +$N" "$N" "$(delta "$B0" "$B" tun_tx_packets)"
check_eq "genuine: no drops anywhere" 0 \
	"$(($(drop_total "$A") - $(drop_total "$A0") + $(drop_total "$H") - $(drop_total "$H0") + $(drop_total "$B") - $(drop_total "$B0")))"

txt=$(cli hub status)
check_match "status: the udp drop line shows no_route and spoof" \
	"^  udp: unknown_peer=0 auth_or_invalid=0 not_ipv4=0 spoof=$N no_route=$N drop_rule=0 " "$txt"
txt=$(cli a status)
check_match "status: a's tun drop line shows no_route" "^  tun: not_ipv4=0 no_route=$N drop_rule=0 " "$txt"

stop_node a
stop_node b
stop_node hub
done_testing
