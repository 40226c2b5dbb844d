#!/usr/bin/env bash
# Hub relay between two spokes, from role configs only (the Quick Start mesh).
#
#            10.0.0.2                                    10.0.0.3
#         +-----------+                               +-----------+
#         |  a  snr0  |                               |  b  snr0  |
#         |   eth0    |       +---------------+       |   eth0    |
#         +-----+-----+       |  hub   snr0   |       +-----+-----+
#    203.0.113.2|             | (no overlay IP)|             |203.0.113.3
#               |             |     eth0      |             |
#               |             +-------+-------+             |
#               |                     |203.0.113.1          |
#         ======+=========== br0 (namespace net) ===========+======
#
# A pings B 20 times: every echo goes a -> hub -> b and back.  Asserts 0 %
# loss, the exact counters on all three nodes (packets and bytes: an echo is
# 84 bytes inside, 120 on the wire), that nothing was dropped, the status
# text layout, the JSON peers (online, integer age, endpoint), and that every
# counter of src/core/counters.h appears in the JSON.
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

require_env
topo_standard
# No keepalives: every datagram in the counters below is one of the pings.
write_mesh_configs "" '"keepalive_secs": 0'
start_node hub "$T/hub.json"
start_node a "$T/a.json"
start_node b "$T/b.json"
ok "hub and two spokes ready"

PINGS=20
got=$(ping_received a -n -c "$PINGS" -i 0.05 -W 2 10.0.0.3)
check_eq "a -> b (10.0.0.3) through the hub: $PINGS/$PINGS replies" "$PINGS" "$got"

ha=$(status_json a) || bail "status --json on a failed"
hh=$(status_json hub) || bail "status --json on hub failed"
hb=$(status_json b) || bail "status --json on b failed"

# Inner echo = 84 bytes (20 IP + 8 ICMP + 56 data); on the wire +20 header +16 tag.
IN=84 WIRE=120
for node in a b; do
	case $node in a) j=$ha ;; b) j=$hb ;; esac
	check_eq "$node: tun_rx_packets = $PINGS" "$PINGS" "$(json_get "$j" tun_rx_packets)"
	check_eq "$node: tun_rx_bytes = $((PINGS * IN))" "$((PINGS * IN))" "$(json_get "$j" tun_rx_bytes)"
	check_eq "$node: udp_tx_packets = $PINGS" "$PINGS" "$(json_get "$j" udp_tx_packets)"
	check_eq "$node: udp_tx_bytes = $((PINGS * WIRE))" "$((PINGS * WIRE))" "$(json_get "$j" udp_tx_bytes)"
	check_eq "$node: udp_rx_packets = $PINGS" "$PINGS" "$(json_get "$j" udp_rx_packets)"
	check_eq "$node: udp_rx_bytes = $((PINGS * WIRE))" "$((PINGS * WIRE))" "$(json_get "$j" udp_rx_bytes)"
	check_eq "$node: tun_tx_packets = $PINGS" "$PINGS" "$(json_get "$j" tun_tx_packets)"
	check_eq "$node: tun_tx_bytes = $((PINGS * IN))" "$((PINGS * IN))" "$(json_get "$j" tun_tx_bytes)"
	check_eq "$node: relay_packets = 0 (spokes never relay)" 0 "$(json_get "$j" relay_packets)"
	check_eq "$node: no drops" 0 "$(drop_total "$j")"
done

check_eq "hub: udp_rx_packets = $((2 * PINGS))" "$((2 * PINGS))" "$(json_get "$hh" udp_rx_packets)"
check_eq "hub: udp_rx_bytes = $((2 * PINGS * WIRE))" "$((2 * PINGS * WIRE))" "$(json_get "$hh" udp_rx_bytes)"
check_eq "hub: relay_packets = $((2 * PINGS))" "$((2 * PINGS))" "$(json_get "$hh" relay_packets)"
check_eq "hub: relay_bytes = $((2 * PINGS * WIRE))" "$((2 * PINGS * WIRE))" "$(json_get "$hh" relay_bytes)"
check_eq "hub: udp_tx_packets = 0 (relays are not locally originated)" 0 "$(json_get "$hh" udp_tx_packets)"
check_eq "hub: tun_tx_packets = 0 (pure relay)" 0 "$(json_get "$hh" tun_tx_packets)"
check_eq "hub: tun_rx_packets = 0" 0 "$(json_get "$hh" tun_rx_packets)"
check_eq "hub: no drops" 0 "$(drop_total "$hh")"
check_eq "hub: endpoint not re-learned (configured endpoints are right)" 0 \
	"$(json_get "$hh" udp_endpoint_learned)"

# Every counter of the single source of truth is in the JSON, in order.
expected_order=$(counter_names | tr '\n' ' ')
actual_order=$(printf '%s' "$hh" | sed 's/.*"counters":{//' | grep -o '"[a-z0-9_]*":' |
	tr -d '":' | tr '\n' ' ')
check_eq "hub: JSON counters = every counter of src/core/counters.h, in order" \
	"$expected_order" "$actual_order"
check_match "hub: JSON schema_version 1" '"schema_version":1,' "$hh"
check_match "hub: JSON mode/local_id/listen_port/listen_ports/tun" \
	'"mode":"raw_direct","local_id":1,"listen_port":18020,"listen_ports":\[18020\],"tun":"snr0"' "$hh"

# JSON peers: online with an integer age, current endpoint.
for id in 2 3; do
	p=$(json_peer "$hh" "$id")
	check_match "hub: peer $id online with an integer last_seen_age_seconds" \
		'"last_seen_age_seconds":[0-9]+,"online":true' "$p"
	check_match "hub: peer $id endpoint 203.0.113.$id:18020" \
		"\"endpoint\":\"203.0.113.$id:18020\"" "$p"
	ns=$(json_get "$p" last_seen_wall_ns)
	check_ge "hub: peer $id last_seen_wall_ns is a recent wall clock" \
		"$(($(date +%s) - 60))000000000" "$ns"
done
p=$(json_peer "$ha" 1)
check_match "a: hub peer online" '"online":true' "$p"

# Human status: documented sections and the peer line.
txt=$(cli hub status)
check_eq "hub: status exits 0" 0 "$?"
check_match "status: banner line" '^subnetra v[0-9]+\.[0-9]+\.[0-9]+ \[running\]$' "$txt"
check_match "status: identity line" '^mode=raw_direct local_id=1 udp_port=18020 udp_ports=18020 tun=snr0 peers=2$' "$txt"
check_match "status: peers: section" '^peers:$' "$txt"
check_match "status: peer line for a with its endpoint, online, heard seconds ago" \
	'^  id=2 endpoint=203\.0\.113\.2:18020 allowed_src=10\.0\.0\.2/32 last_seen_wall_ns=[1-9][0-9]* online=yes last_heard="[0-9]+s ago"$' "$txt"
check_match "status: peer line for b" \
	'^  id=3 endpoint=203\.0\.113\.3:18020 allowed_src=10\.0\.0\.3/32 last_seen_wall_ns=[1-9][0-9]* online=yes last_heard="[0-9]+s ago"$' "$txt"
check_match "status: traffic: section" '^traffic:$' "$txt"
check_match "status: relay line (two spaces) shows the relayed packets" \
	"^  relay  packets=$((2 * PINGS)) bytes=$((2 * PINGS * WIRE))\$" "$txt"
check_match "status: udp_rx line" "^  udp_rx packets=$((2 * PINGS)) bytes=[0-9]+\$" "$txt"
check_match "status: endpoint_learned line" '^  endpoint_learned=[0-9]+$' "$txt"
check_match "status: keepalive line" '^  keepalive rx=[0-9]+ tx=[0-9]+$' "$txt"
check_match "status: drops: section" '^drops:$' "$txt"
check_match "status: tun drop line" \
	'^  tun: not_ipv4=0 no_route=0 drop_rule=0 local_loop=0 unknown_target=0 oversized=0 egress_err=0 send_err=0$' "$txt"
check_match "status: udp drop line" \
	'^  udp: unknown_peer=0 auth_or_invalid=0 not_ipv4=0 spoof=0 no_route=0 drop_rule=0 unknown_target=0 no_reflect=0 oversized=0 send_err=0$' "$txt"
txt=$(cli a status)
check_match "a: status identity line" '^mode=raw_direct local_id=2 udp_port=18020 udp_ports=18020 tun=snr0 peers=1$' "$txt"
check_match "a: status udp_tx line" "^  udp_tx packets=$PINGS bytes=$((PINGS * WIRE))\$" "$txt"

# Secrets never appear in status.
check_fails "status text and JSON never contain a PSK" \
	grep -qiE "$KEY_A|$KEY_B" <<<"$(cli hub status; cli hub status --json)"

stop_node a
stop_node b
stop_node hub
check_fails "CLI exits non-zero once the daemon is down" cli hub status
done_testing
