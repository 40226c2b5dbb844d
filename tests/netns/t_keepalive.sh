#!/usr/bin/env bash
# Spoke -> hub NAT keepalives: sent on schedule, counted on both sides, never
# delivered to a TUN, never relayed.
#
#    a (keepalive_secs 1) ---- 36-byte keepalives ---->  hub  <---- b (keepalive_secs 1)
#    203.0.113.2                               203.0.113.1 [tcpdump eth0, snr0]  203.0.113.3
#         \___________________________ br0 (net) ____________________________/
#
# No data traffic at all.  Asserts, with obfuscation on (default) and off:
# a's and b's keepalive_tx and the hub's keepalive_rx rise within a bounded
# wait and no faster than the interval allows; every datagram the hub got was
# a keepalive (udp_rx = keepalive_rx, 36 bytes each); the hub's TUN sees
# nothing (tun_tx 0 and an empty capture on its snr0); nothing is relayed or
# dropped; both spokes show online on the hub.  Cleartext: each keepalive
# header reads 01 01 <key_id> (flags = KEEPALIVE).
# run.sh: long
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

require_env
require_inject
topo_standard
WANT=4 # keepalives per spoke to wait for

run_mode() {
	local mode=$1 extra=$2 t0 el H A B sent_a sent_b hdr
	write_mesh_configs "$extra" "${extra:+$extra, }\"keepalive_secs\": 1"
	start_node hub "$T/hub.json"
	cap_start "ka-$mode" hub eth0 udp
	cap_start "tun-$mode" hub "$TUN"
	t0=$(now_ms)
	start_node a "$T/a.json"
	start_node b "$T/b.json"

	wait_until 15 counter_ge a keepalive_tx "$WANT"
	wait_until 15 counter_ge b keepalive_tx "$WANT"
	wait_until 15 counter_ge hub keepalive_rx $((2 * WANT))
	el=$(($(now_ms) - t0))
	A=$(status_json a) || bail "status --json on a failed"
	B=$(status_json b) || bail "status --json on b failed"
	H=$(status_json hub) || bail "status --json on hub failed"
	sent_a=$(json_get "$A" keepalive_tx)
	sent_b=$(json_get "$B" keepalive_tx)
	check_ge "$mode: a sent >= $WANT keepalives" "$WANT" "$sent_a"
	check_ge "$mode: b sent >= $WANT keepalives" "$WANT" "$sent_b"
	check_ge "$mode: hub received >= $((2 * WANT)) keepalives" $((2 * WANT)) \
		"$(json_get "$H" keepalive_rx)"
	# Interval 1 s, randomised down to 0.5 s with obfuscation: at most one
	# per 0.5 s since start, plus the one a spoke may send at start-up.
	check_le "$mode: a is not flooding (<= 2/s over $el ms)" $((el / 500 + 2)) "$sent_a"
	check_eq "$mode: every datagram the hub got was a keepalive" \
		"$(json_get "$H" udp_rx_packets)" "$(json_get "$H" keepalive_rx)"
	check_eq "$mode: keepalives are 36 bytes on the wire" \
		"$(($(json_get "$H" udp_rx_packets) * 36))" "$(json_get "$H" udp_rx_bytes)"
	check_eq "$mode: hub tun_tx_packets 0 (keepalives never reach the TUN)" 0 \
		"$(json_get "$H" tun_tx_packets)"
	check_eq "$mode: hub relay_packets 0" 0 "$(json_get "$H" relay_packets)"
	check_eq "$mode: hub drops 0" 0 "$(drop_total "$H")"
	check_eq "$mode: b's TUN got nothing" 0 "$(json_get "$B" tun_tx_packets)"
	check_eq "$mode: a's TUN got nothing" 0 "$(json_get "$A" tun_tx_packets)"
	check_eq "$mode: no keepalive reached b (b udp_rx 0)" 0 "$(json_get "$B" udp_rx_packets)"
	check_match "$mode: hub sees a online" '"online":true' "$(json_peer "$H" 2)"
	check_match "$mode: hub sees b online" '"online":true' "$(json_peer "$H" 3)"
	check_match "$mode: status keepalive line (hub: rx only)" \
		'^  keepalive rx=[1-9][0-9]* tx=0$' "$(cli hub status)"
	check_match "$mode: status keepalive line (spoke: tx only)" \
		'^  keepalive rx=0 tx=[1-9][0-9]*$' "$(cli a status)"

	cap_stop "ka-$mode"
	cap_stop "tun-$mode"
	check_eq "$mode: capture on the hub's $TUN is empty" 0 "$(pcap_count "$(cap_file "tun-$mode")")"
	hdr=$(pcap_udp "$(cap_file "ka-$mode")")
	check_ge "$mode: keepalives seen on the hub's underlay" $((2 * WANT)) "$(grep -c . <<<"$hdr")"
	check_eq "$mode: every underlay datagram is 36 bytes" "" "$(awk '$3 != 36' <<<"$hdr")"
	if [ "$mode" = cleartext ]; then
		check_eq "$mode: a's keepalives read 01 01 0200 (v1, KEEPALIVE, key_id 2)" "" \
			"$(awk '$1 == "203.0.113.2:18020" && $4 !~ /^01010200/' <<<"$hdr")"
		check_eq "$mode: b's keepalives read 01 01 0300" "" \
			"$(awk '$1 == "203.0.113.3:18020" && $4 !~ /^01010300/' <<<"$hdr")"
	else
		check_eq "$mode: no keepalive header readable in the clear" "" \
			"$(awk '$4 ~ /^0101/' <<<"$hdr")"
	fi

	stop_node a
	stop_node b
	stop_node hub
}

run_mode obfuscated ""
run_mode cleartext '"obfuscate": false'
done_testing
