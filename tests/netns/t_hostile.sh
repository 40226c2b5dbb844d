#!/usr/bin/env bash
# A hostile host on the underlay: every datagram it sends is dropped, counted
# in exactly the documented bucket, and answered with nothing at all.
#
#    a (10.0.0.2)             hub (udp 18020)            b (10.0.0.3)
#    203.0.113.2                203.0.113.1               203.0.113.3
#         \______________________ br0 (net) ______________________/
#                                    |
#                               evil 203.0.113.66
#                               udp_inject: junk, runts, forged headers,
#                               oversized, replays of a captured a->hub datagram,
#                               unseen a->hub datagrams with the KEEPALIVE flag set
#                               + tcpdump "ip src 203.0.113.1" (must stay empty)
#
# Run twice: cleartext headers ("obfuscate": false) and obfuscated (default).
# Per category the hub's udp_rx_packets/bytes rise by exactly what was sent
# and the drop counters account for every datagram:
#   category                     cleartext            obfuscated
#   junk (random, 100 B)         unknown_peer+auth*   unknown_peer+scan_budget
#   runts (0..35 B)              auth_or_invalid      auth_or_invalid
#   forged, real key_id 2        auth_or_invalid      unknown_peer+scan_budget
#   forged, key_id 2, epoch 1    auth_or_invalid      unknown_peer+scan_budget
#   forged, unknown key_id 999   unknown_peer         unknown_peer+scan_budget
#   oversized (1600 B)           oversized            oversized
#   replayed genuine a->hub      auth_or_invalid      auth_or_invalid
#   unseen genuine a->hub with
#   the KEEPALIVE flag flipped   auth_or_invalid      auth_or_invalid
# (* random junk: which of the two depends on whether the version byte is
#  checked before the key_id lookup; the sum is exact.)
# Nothing reaches a TUN or is relayed, no keepalive is counted, no endpoint is
# learned (a flagged datagram from evil's address must not move a's), the
# daemon stays up and a <-> b traffic works afterwards.
# run.sh: long
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

require_env
require_inject
topo_standard evil

HUB_EP=203.0.113.1:$HUB_PORT
EVIL_PORT=40000
TOTAL=0 TOTAL_BYTES=0 REPLIES=0

# evil_send ARGS...: one udp_inject run from evil; sets SENT/SENT_BYTES and
# waits until the hub has counted every datagram sent so far.
evil_send() {
	local out recv
	out=$(inject evil --to "$HUB_EP" --from-port "$EVIL_PORT" --interval-us 500 \
		--listen-ms 100 --seed "$RANDOM" "$@") || bail "udp_inject $* failed: $out"
	SENT=$(sed -n 's/^sent \([0-9]*\) bytes [0-9]*$/\1/p' <<<"$out")
	SENT_BYTES=$(sed -n 's/^sent [0-9]* bytes \([0-9]*\)$/\1/p' <<<"$out")
	recv=$(sed -n 's/^received \([0-9]*\)$/\1/p' <<<"$out")
	TOTAL=$((TOTAL + SENT))
	TOTAL_BYTES=$((TOTAL_BYTES + SENT_BYTES))
	REPLIES=$((REPLIES + recv))
	wait_until 10 counter_ge hub udp_rx_packets $((RX_BASE + TOTAL)) ||
		diag "hub counted $(($(counter hub udp_rx_packets) - RX_BASE)) of $TOTAL datagrams" \
			"$(nsx hub grep -A1 '^Udp:' /proc/net/snmp)"
}

# phase MODE DESC ARGS... -- BUCKET_SPEC...: send, then assert udp_rx/bytes
# and every drop bucket.  A spec "a+b=N" means the deltas of those drop
# counters add up to N; all drops together must equal the datagrams sent.
phase() {
	local mode=$1 desc=$2 args=() spec names n sum c before after
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		args+=("$1")
		shift
	done
	shift
	before=$(status_json hub) || bail "status --json on hub failed"
	evil_send "${args[@]}"
	after=$(status_json hub) || bail "status --json on hub failed"
	check_eq "$mode $desc: hub udp_rx_packets +$SENT" "$SENT" "$(delta "$before" "$after" udp_rx_packets)"
	check_eq "$mode $desc: hub udp_rx_bytes +$SENT_BYTES" "$SENT_BYTES" \
		"$(delta "$before" "$after" udp_rx_bytes)"
	for spec in "$@"; do
		names=${spec%=*}
		n=${spec#*=}
		sum=0
		for c in ${names//+/ }; do
			sum=$((sum + $(delta "$before" "$after" "drop_udp_$c")))
		done
		check_eq "$mode $desc: $names +$n" "$n" "$sum"
	done
	check_eq "$mode $desc: every datagram dropped, in no other bucket" "$SENT" \
		"$(($(drop_total "$after") - $(drop_total "$before")))"
}

run_mode() {
	local mode=$1 extra=$2 got H0 H1 B0 B1 R p c unknown
	write_mesh_configs "$extra" "${extra:+$extra, }\"keepalive_secs\": 0"
	start_node hub "$T/hub.json"
	start_node a "$T/a.json"
	start_node b "$T/b.json"

	# A genuine a->hub datagram to replay later.
	cap_start "genuine-$mode" hub eth0 udp and src host 203.0.113.2 and dst port "$HUB_PORT"
	got=$(ping_received a -n -c 3 -i 0.05 -W 2 10.0.0.3)
	check_eq "$mode: a -> b works before the attack (3/3)" 3 "$got"
	wait_until 10 pcap_udp_count_ge "$(cap_file "genuine-$mode")" 3
	cap_stop "genuine-$mode"
	R=$(pcap_udp_count "$(cap_file "genuine-$mode")")
	check_eq "$mode: captured the 3 genuine a->hub datagrams" 3 "$R"

	# Genuine a->hub datagrams the hub has never seen: held back by a
	# firewall rule on the hub while its wire is captured.  Resent later
	# from evil with the KEEPALIVE flag flipped on (an on-path edit: the
	# flags byte is outside the AEAD, and the obfuscation pad is XORed, so
	# the bit flips under the mask too).
	cap_start "held-$mode" hub eth0 udp and src host 203.0.113.2 and dst port "$HUB_PORT"
	nsx hub iptables -I INPUT -p udp -s 203.0.113.2 --dport "$HUB_PORT" -j DROP ||
		bail "$mode: iptables on the hub failed"
	got=$(ping_received a -n -c 3 -i 0.05 -W 1 10.0.0.3)
	check_eq "$mode: while held back, a -> b gets no reply" 0 "$got"
	wait_until 10 pcap_udp_count_ge "$(cap_file "held-$mode")" 3
	cap_stop "held-$mode"
	nsx hub iptables -D INPUT -p udp -s 203.0.113.2 --dport "$HUB_PORT" -j DROP
	HELD=$(pcap_udp_count "$(cap_file "held-$mode")")
	check_eq "$mode: captured the 3 held-back a->hub datagrams" 3 "$HELD"

	cap_start "evil-$mode" evil eth0 ip src host 203.0.113.1
	TOTAL=0 TOTAL_BYTES=0 REPLIES=0
	H0=$(status_json hub) || bail "status --json on hub failed"
	B0=$(status_json b) || bail "status --json on b failed"
	RX_BASE=$(json_get "$H0" udp_rx_packets)

	if [ "$mode" = cleartext ]; then
		unknown=unknown_peer
		phase "$mode" "junk" --junk 60 --len 100 -- unknown_peer+auth_or_invalid=60
	else
		unknown=unknown_peer+scan_budget
		phase "$mode" "junk" --junk 60 --len 100 -- "$unknown=60" auth_or_invalid=0
	fi
	phase "$mode" "runts" --runts 36 -- auth_or_invalid=36
	if [ "$mode" = cleartext ]; then
		phase "$mode" "forged key_id 2" --forge 30 --key-id 2 -- auth_or_invalid=30
		phase "$mode" "forged key_id 2, stale epoch" --forge 5 --key-id 2 --epoch 1 -- \
			auth_or_invalid=5
	else
		phase "$mode" "forged key_id 2" --forge 30 --key-id 2 -- "$unknown=30" auth_or_invalid=0
		phase "$mode" "forged key_id 2, stale epoch" --forge 5 --key-id 2 --epoch 1 -- \
			"$unknown=5" auth_or_invalid=0
	fi
	phase "$mode" "forged unknown key_id 999" --forge 30 --key-id 999 -- "$unknown=30" \
		auth_or_invalid=0
	phase "$mode" "oversized 1600 B" --forge 4 --key-id 2 --len 1600 -- oversized=4
	phase "$mode" "replayed genuine datagrams" --pcap "$(cap_file "genuine-$mode")" -- \
		auth_or_invalid="$R"
	phase "$mode" "unseen genuine datagrams flagged KEEPALIVE" \
		--pcap "$(cap_file "held-$mode")" --flip-flags 1 -- auth_or_invalid="$HELD"

	H1=$(status_json hub) || bail "status --json on hub failed"
	B1=$(status_json b) || bail "status --json on b failed"
	check_eq "$mode: hub udp_rx_packets rose by exactly the $TOTAL sent" "$TOTAL" \
		"$(delta "$H0" "$H1" udp_rx_packets)"
	check_eq "$mode: hub udp_rx_bytes rose by exactly $TOTAL_BYTES" "$TOTAL_BYTES" \
		"$(delta "$H0" "$H1" udp_rx_bytes)"
	check_eq "$mode: drops account for all $TOTAL" "$TOTAL" \
		"$(($(drop_total "$H1") - $(drop_total "$H0")))"
	for c in tun_tx_packets relay_packets udp_tx_packets keepalive_rx udp_endpoint_learned; do
		check_eq "$mode: hub $c +0" 0 "$(delta "$H0" "$H1" "$c")"
	done
	check_eq "$mode: b received nothing (udp_rx +0)" 0 "$(delta "$B0" "$B1" udp_rx_packets)"
	p=$(json_peer "$H1" 2)
	check_match "$mode: replays did not move a's endpoint" '"endpoint":"203.0.113.2:18020"' "$p"

	check_eq "$mode: udp_inject's socket got no reply" 0 "$REPLIES"
	# A sentinel: once the hub's reply to this ping is in the capture, anything
	# the hub sent earlier (wrongly) is in it too.
	nsx evil ping -c 1 -W 1 203.0.113.1 >/dev/null
	wait_until 5 pcap_count_ge "$(cap_file "evil-$mode")" 1
	cap_stop "evil-$mode"
	p=$(tcpdump -r "$(cap_file "evil-$mode")" -nn 2>/dev/null)
	check_eq "$mode: evil's capture has the sentinel echo reply" 1 \
		"$(grep -c 'ICMP echo reply' <<<"$p")"
	check_eq "$mode: evil's capture saw nothing else from the hub" "" \
		"$(grep -v 'ICMP echo reply' <<<"$p")"

	check "$mode: hub daemon still running" node_running hub
	got=$(ping_received a -n -c 5 -i 0.05 -W 2 10.0.0.3)
	check_eq "$mode: a -> b still works after the attack (5/5)" 5 "$got"

	stop_node a
	stop_node b
	stop_node hub
}

run_mode cleartext '"obfuscate": false'
run_mode obfuscated ""
done_testing
