#!/usr/bin/env bash
# Payload confidentiality: an ASCII marker carried in A's pings to B never
# appears on the underlay, but does arrive in B's TUN (so the search works).
#
#    a (10.0.0.2)                 hub                    b (10.0.0.3)
#    ping -p MARKER ---> [eth0 capture: no MARKER] ---> [snr0 capture: MARKER]
#    203.0.113.2            203.0.113.1                  203.0.113.3
#         \____________________ br0 (net) _____________________/
#
# Run twice: header obfuscation on (the default) and off; the payload is
# encrypted either way.  Captures are bounded: each is held open until it has
# seen all the tunnel datagrams of the pings, so "marker absent" cannot pass
# because the capture missed the traffic.
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

require_env
require_inject
topo_standard

MARKER='SUBNETRA-MARKER!' # 16 bytes: ping -p takes up to 16 pattern bytes
PATTERN=$(str_hex "$MARKER")
PINGS=10

# shellcheck disable=SC2317 # called through wait_until
marker_ge() { [ "$(pcap_marker_count "$1" "$MARKER")" -ge "$2" ]; }

run_mode() {
	local mode=$1 extra=$2 got wire_a wire_hub in_b
	write_mesh_configs "$extra" "${extra:+$extra, }\"keepalive_secs\": 0"
	start_node hub "$T/hub.json"
	start_node a "$T/a.json"
	start_node b "$T/b.json"

	cap_start "hub-$mode" hub eth0 udp
	cap_start "a-$mode" a eth0 udp
	cap_start "b-$mode" b "$TUN"
	got=$(ping_received a -n -c "$PINGS" -i 0.05 -W 2 -p "$PATTERN" 10.0.0.3)
	check_eq "$mode: a -> b pings with the marker pattern: $PINGS/$PINGS replies" "$PINGS" "$got"
	# Every echo crosses the hub's eth0 4 times (a->hub, hub->b, b->hub, hub->a)
	# and a's eth0 twice; b's TUN carries the request and the reply.
	wait_until 10 pcap_udp_count_ge "$(cap_file "hub-$mode")" $((4 * PINGS))
	wait_until 10 pcap_udp_count_ge "$(cap_file "a-$mode")" $((2 * PINGS))
	wait_until 10 marker_ge "$(cap_file "b-$mode")" $((2 * PINGS))
	cap_stop "hub-$mode"
	cap_stop "a-$mode"
	cap_stop "b-$mode"

	wire_hub=$(pcap_udp_count "$(cap_file "hub-$mode")")
	wire_a=$(pcap_udp_count "$(cap_file "a-$mode")")
	check_eq "$mode: hub's underlay capture holds all $((4 * PINGS)) tunnel datagrams" \
		"$((4 * PINGS))" "$wire_hub"
	check_eq "$mode: a's underlay capture holds all $((2 * PINGS)) tunnel datagrams" \
		"$((2 * PINGS))" "$wire_a"
	check_eq "$mode: marker absent from the hub's underlay capture" 0 \
		"$(pcap_marker_count "$(cap_file "hub-$mode")" "$MARKER")"
	check_eq "$mode: marker absent from a's underlay capture" 0 \
		"$(pcap_marker_count "$(cap_file "a-$mode")" "$MARKER")"
	# Each 56-byte payload holds the 16-byte pattern at least twice in a row.
	in_b=$(pcap_marker_count "$(cap_file "b-$mode")" "$MARKER")
	check_ge "$mode: marker present in b's TUN capture (>= $((2 * PINGS)) copies)" \
		"$((2 * PINGS))" "$in_b"

	stop_node a
	stop_node b
	stop_node hub
}

run_mode obfs ""
run_mode clear '"obfuscate": false'
done_testing
