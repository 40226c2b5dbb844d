#!/usr/bin/env bash
# Header obfuscation: off shows the v1 header in a capture, on hides it, and
# a mesh whose nodes disagree fails closed (no delivery, drops counted).
#
#    a (10.0.0.2)  ---->  hub  [tcpdump on eth0: the tunnel headers]  ---->  b (10.0.0.3)
#    203.0.113.2      203.0.113.1                                        203.0.113.3
#         \______________________ br0 (net) ______________________/
#
# 1. obfuscate false everywhere: pings work; every a->hub datagram starts with
#    01 00 0200 (version 1, flags 0, key_id 2 LE), one constant epoch >= the
#    protocol minimum, seq 1..N; hub->b datagrams carry key_id 1.
# 2. obfuscate true everywhere (the default): pings work; no a->hub datagram
#    shows that header and no two share their first 4 bytes.
# 3. hub false, spokes true: 0 replies; the hub drops every datagram of a
#    (unknown_peer or auth_or_invalid), relays nothing.
# 4. hub true, spokes false: 0 replies; the hub drops every datagram of a
#    as auth_or_invalid (from a peer's endpoint, nothing de-masks: a key
#    mismatch), relays nothing.
# 5./6. a wrong PSK on a, obfuscation on and off: every datagram of a lands
#    in auth_or_invalid on the hub (the documented key-mismatch alarm), none
#    in unknown_peer or scan_budget.
# run.sh: long
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

require_env
require_inject
topo_standard
N=5
MIN_EPOCH=1704067200000000000

# le64 HEX16: little-endian u64 from 16 hex chars, in decimal.
le64() {
	local h=$1 out="" i
	for ((i = 14; i >= 0; i -= 2)); do out+=${h:i:2}; done
	printf '%u\n' "0x$out"
}

start_mesh() {
	write_hub_config "$T/hub.json" "$1${1:+, }\"keepalive_secs\": 0"
	write_spoke_config "$T/a.json" 2 "$KEY_A" "$2${2:+, }\"keepalive_secs\": 0"
	write_spoke_config "$T/b.json" 3 "$KEY_B" "$2${2:+, }\"keepalive_secs\": 0"
	start_node hub "$T/hub.json"
	start_node a "$T/a.json"
	start_node b "$T/b.json"
}
stop_mesh() {
	stop_node a
	stop_node b
	stop_node hub
}
# capture_ping KEY: N pings a -> b while capturing the hub's underlay; sets GOT
# to the number of replies.
capture_ping() {
	cap_start "$1" hub eth0 udp
	GOT=$(ping_received a -n -c "$N" -i 0.05 -W 1 10.0.0.3)
	# With replies, 4 datagrams per echo cross the hub's eth0.
	wait_until 5 pcap_udp_count_ge "$(cap_file "$1")" "$((GOT > 0 ? 4 * N : N))"
	cap_stop "$1"
}
# headers KEY SRC DST: the 20-byte header hex of each datagram SRC -> DST.
headers() { pcap_udp "$(cap_file "$1")" | awk -v s="$2" -v d="$3" '$1 == s && $2 == d {print $4}'; }

# ---- 1. cleartext headers ------------------------------------------------------------
start_mesh '"obfuscate": false' '"obfuscate": false'
capture_ping clear
check_eq "off: a -> b $N/$N" "$N" "$GOT"
hdr=$(headers clear 203.0.113.2:18020 203.0.113.1:18020)
check_eq "off: $N a->hub datagrams captured" "$N" "$(grep -c . <<<"$hdr")"
check_eq "off: every a->hub header starts 01 00 0200 (v1, flags 0, key_id 2)" "$N" \
	"$(grep -c '^01000200' <<<"$hdr")"
epochs=$(while read -r h; do le64 "${h:8:16}"; done <<<"$hdr" | sort -u)
check_eq "off: one epoch for the whole session" 1 "$(grep -c . <<<"$epochs")"
check "off: epoch >= the protocol minimum (2024-01-01)" test "${epochs:-0}" -ge "$MIN_EPOCH"
check "off: epoch not in the future" test "${epochs:-0}" -le "$(date +%s%N)"
seqs=$(while read -r h; do le64 "${h:24:16}"; done <<<"$hdr" | tr '\n' ' ')
check_eq "off: seq counts 1..$N" "$(seq -s ' ' 1 "$N") " "$seqs"
hdr=$(headers clear 203.0.113.1:18020 203.0.113.3:18020)
check_eq "off: hub->b relays carry key_id 1 (the hub's id)" "$N" "$(grep -c '^01000100' <<<"$hdr")"
stop_mesh

# ---- 2. obfuscated headers ---------------------------------------------------------------
start_mesh "" ""
capture_ping obfs
check_eq "on: a -> b $N/$N" "$N" "$GOT"
hdr=$(headers obfs 203.0.113.2:18020 203.0.113.1:18020)
check_eq "on: $N a->hub datagrams captured" "$N" "$(grep -c . <<<"$hdr")"
check_eq "on: no a->hub header readable as 01 00 0200" 0 "$(grep -c '^01000200' <<<"$hdr")"
check_eq "on: first 4 header bytes all differ" "$N" "$(cut -c1-8 <<<"$hdr" | sort -u | grep -c .)"
stop_mesh

# ---- 3./4. mismatched meshes fail closed ---------------------------------------------------
mismatch() {
	local name=$1 hubx=$2 spokex=$3 buckets=$4 H0 H1 B0 B1 sum c got
	start_mesh "$hubx" "$spokex"
	H0=$(status_json hub) || bail "status --json on hub failed"
	B0=$(status_json b) || bail "status --json on b failed"
	got=$(ping_received a -n -c "$N" -i 0.05 -W 1 10.0.0.3)
	check_eq "$name: a -> b gets 0 replies" 0 "$got"
	wait_until 5 counter_ge hub udp_rx_packets "$(($(json_get "$H0" udp_rx_packets) + N))"
	H1=$(status_json hub) || bail "status --json on hub failed"
	B1=$(status_json b) || bail "status --json on b failed"
	check_eq "$name: hub received a's $N datagrams" "$N" "$(delta "$H0" "$H1" udp_rx_packets)"
	sum=0
	for c in ${buckets//+/ }; do sum=$((sum + $(delta "$H0" "$H1" "drop_udp_$c"))); done
	check_eq "$name: hub dropped all $N as $buckets" "$N" "$sum"
	check_eq "$name: hub drops rose by exactly $N" "$N" \
		"$(($(drop_total "$H1") - $(drop_total "$H0")))"
	check_eq "$name: hub relayed nothing" 0 "$(delta "$H0" "$H1" relay_packets)"
	check_eq "$name: b received nothing" 0 "$(delta "$B0" "$B1" udp_rx_packets)"
	stop_mesh
}
mismatch "hub off, spokes on" '"obfuscate": false' "" unknown_peer+auth_or_invalid
# From a's own endpoint, a header no key de-masks is a key mismatch.
mismatch "hub on, spokes off" "" '"obfuscate": false' auth_or_invalid

# ---- 5./6. the key-mismatch alarm: a wrong PSK on one end ---------------------------------
# wrong_psk NAME EXTRA: a's config has a PSK the hub does not have for it;
# every datagram of a's lands in drop_udp_auth_or_invalid on the hub (the
# counter the SubnetraAuthFailures alert and troubleshooting.md watch),
# none in unknown_peer or scan_budget.
wrong_psk() {
	local name=$1 x=$2 H0 H1 got
	write_hub_config "$T/hub.json" "$x${x:+, }\"keepalive_secs\": 0"
	write_spoke_config "$T/a.json" 2 "$(gen_key)" "$x${x:+, }\"keepalive_secs\": 0"
	start_node hub "$T/hub.json"
	start_node a "$T/a.json"
	H0=$(status_json hub) || bail "status --json on hub failed"
	got=$(ping_received a -n -c "$N" -i 0.05 -W 1 10.0.0.1)
	check_eq "$name: a gets 0 replies" 0 "$got"
	wait_until 5 counter_ge hub udp_rx_packets "$(($(json_get "$H0" udp_rx_packets) + N))"
	H1=$(status_json hub) || bail "status --json on hub failed"
	check_eq "$name: hub received a's $N datagrams" "$N" "$(delta "$H0" "$H1" udp_rx_packets)"
	check_eq "$name: the alarm counter drop_udp_auth_or_invalid rose by $N" "$N" \
		"$(delta "$H0" "$H1" drop_udp_auth_or_invalid)"
	check_eq "$name: nothing in unknown_peer or scan_budget" 0 \
		"$(($(delta "$H0" "$H1" drop_udp_unknown_peer) + $(delta "$H0" "$H1" drop_udp_scan_budget)))"
	check_match "$name: hub shows a never heard" '"id":2,.*"last_seen_wall_ns":0,' "$(json_peer "$H1" 2)"
	stop_node a
	stop_node hub
}
wrong_psk "wrong psk, obfuscation on" ""
wrong_psk "wrong psk, obfuscation off" '"obfuscate": false'
done_testing
