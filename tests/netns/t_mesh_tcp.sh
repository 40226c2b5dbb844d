#!/usr/bin/env bash
# The TCP fallback: a node whose UDP is blocked reaches the base over TCP,
# and the base bridges it to a UDP node; garbage and half-open connections
# on the TCP port do not disturb the relaying.
#
#                         $RUN-net: br0 ("the internet")
#   $RUN-base eth0          $RUN-a eth0                 $RUN-b eth0
#   203.0.113.1             203.0.113.2                 203.0.113.3
#   subnetrad base          snr0 fc94:A  wl: B          snr0 fc94:B  wl: A
#   udp 5582, tcp 18443     nft: no UDP at all (in/out) nft: no UDP to .2
#   lan_discovery false on both nodes.
#
#   1. A registers over TCP (base: A transport tcp, B udp; A's base link
#      transport tcp);
#   2. ping6 A -> B and B -> A: A shows relay-tcp for B, B relay-udp for A,
#      the base's relayed_packets grows; a marker never on the base's wire;
#   3. 100 kB of random bytes to the TCP port and a connection that sends
#      nothing: both closed and counted; pings still go through;
#   4. A's UDP drop removed: A moves back to UDP (relay-udp) within 45 s.
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/lib_mesh.sh
. "$(dirname "$0")/lib_mesh.sh"

require_env
command -v nft >/dev/null || bail "nft (nftables) is needed"
topo_init

BASE_IP=203.0.113.1
TCP_PORT=18443

node_config() {
	MESH_LAN[$1]=false
	MESH_EXTRA[$1]="\"bases\": [ { \"host\": \"$BASE_IP\", \"udp_port\": $PORT, \"tcp_port\": $TCP_PORT, \"public_key\": \"${PK[base]}\" } ],"
	mesh_config "$1" "${@:2}"
}

# nft_table NAME TABLE RULE: an output chain (and an input one) with RULE.
nft_table() {
	ip netns exec "$RUN-$1" nft -f - <<NFT || bail "$1: nft rule failed"
table inet $2 {
	chain out {
		type filter hook output priority 0; policy accept;
		$3 counter drop
	}
	chain in {
		type filter hook input priority 0; policy accept;
		$4 counter drop
	}
}
NFT
}

base_node_obj() { status_json base | grep -o "{\"address\":\"${ADDR[$1]}\"[^}]*}" | head -n 1; }
base_transport() { base_node_obj "$1" | grep -q "\"transport\":\"$2\""; }
link_transport() { status_json "$1" | grep -q "\"transport\":\"$2\",\"state\":\"registered\""; }

# section_diag: after a section with a failure, A's full status, its log and
# its TCP sockets, and the base's counters (once per failing section).
DIAG_FAIL=0
section_diag() {
	[ "$TAP_FAIL" -eq "$DIAG_FAIL" ] && return 0
	DIAG_FAIL=$TAP_FAIL
	diag "A status:" "$(cli a status 2>&1)"
	diag "A log:" "$(tail -n 30 "${NODE_LOG[a]}")"
	diag "A TCP sockets:" "$(ip netns exec "$RUN-a" ss -tnp 2>&1)"
	diag "base status:" "$(cli base status 2>&1)"
}

mesh_node base $BASE_IP
mesh_node a 203.0.113.2
mesh_node b 203.0.113.3
(
	umask 077
	cat >"$T/base.json" <<JSON
{ "mode": "base", "identity_file": "$T/base.id", "udp_port": $PORT, "tcp_port": $TCP_PORT }
JSON
)
node_config a b
node_config b a
nft_table a snrudp "meta l4proto udp" "meta l4proto udp"
nft_table a snrtest "ip daddr 203.0.113.3 meta l4proto udp" "ip saddr 203.0.113.3 meta l4proto udp"
nft_table b snrtest "ip daddr 203.0.113.2 meta l4proto udp" "ip saddr 203.0.113.2 meta l4proto udp"

# ---- 1. A registers over TCP ---------------------------------------------------
start_mesh base
start_mesh a
start_mesh b
check "B registers over UDP" wait_until 15 base_transport b udp
check "A registers over TCP (after 7 s of UDP silence)" wait_until 30 base_transport a tcp
check "A: its base link runs over TCP" wait_until 5 link_transport a tcp
check "B: its base link runs over UDP" link_transport b udp
check_ge "base: one TCP connection or more" 1 "$(counter base tcp_connections)"
check_ge "A counted the fallback" 1 "$(counter a base_tcp_fallbacks)"
check_match "base status text: tcp_port" "tcp_port=$TCP_PORT tcp_connections=" "$(cli base status)"

section_diag

# ---- 2. relaying across TCP and UDP -----------------------------------------------
before=$(status_json base)
check "ping6 A -> B goes through (lookup and handshake first)" wait_until 15 ping_ok a "${ADDR[b]}"
check_eq "ping6 A -> B: 3 of 3" 3 "$(ping_received a -6 -c 3 -W 2 "${ADDR[b]}")"
check_eq "ping6 B -> A: 3 of 3" 3 "$(ping_received b -6 -c 3 -W 2 "${ADDR[a]}")"
after=$(status_json base)
check_ge "base: relayed_packets grew by at least the 12 ping packets" 12 \
	"$(delta "$before" "$after" relayed_packets)"
check_ge "base: frames went out on TCP" 6 "$(delta "$before" "$after" tcp_tx_frames)"
check "A: B's path is relay-tcp" peer_path a b relay-tcp
check "B: A's path is relay-udp" peer_path b a relay-udp
check_match "A status text: relay-tcp" "address=${ADDR[b]} hostname=node-b path=relay-tcp" "$(cli a status)"

MARK=subnetra-tcpmrk # 15 bytes, and ping -p takes 16: one more byte
HEX=$(str_hex "${MARK}!")
cap_start wire base eth0
check_eq "ping6 A -> B with the marker: 3 of 3" 3 \
	"$(ping_received a -6 -c 3 -W 2 -p "$HEX" -s 64 "${ADDR[b]}")"
cap_stop wire
check_ge "the base's wire saw the relayed traffic" 12 "$(pcap_count "$(cap_file wire)")"
check_eq "the marker never appears on the base's wire" 0 \
	"$(pcap_marker_count "$(cap_file wire)" "$MARK")"

section_diag

# ---- 3. garbage and a half-open connection on the TCP port -------------------------
bad0=$(counter base drop_tcp_bad_length)
first0=$(counter base drop_tcp_first_timeout)
ip netns exec "$RUN-b" timeout 10 bash -c \
	"head -c 100000 /dev/urandom >/dev/tcp/$BASE_IP/$TCP_PORT" 2>/dev/null
ip netns exec "$RUN-b" timeout 30 bash -c \
	"exec 3<>/dev/tcp/$BASE_IP/$TCP_PORT; sleep 25" 2>/dev/null &
bg_track $!
bad_grew() { [ "$(counter base drop_tcp_bad_length)" -gt "$bad0" ]; }
first_grew() { [ "$(counter base drop_tcp_first_timeout)" -gt "$first0" ]; }
check "garbage: the connection is closed for a bad record length" wait_until 10 bad_grew
check_eq "pings still go through (A -> B: 3 of 3)" 3 "$(ping_received a -6 -c 3 -W 2 "${ADDR[b]}")"
check "half-open: closed after 10 s without a frame" wait_until 20 first_grew
check_eq "pings still go through (B -> A: 3 of 3)" 3 "$(ping_received b -6 -c 3 -W 2 "${ADDR[a]}")"
check "A is still registered over TCP" base_transport a tcp

section_diag

# ---- 4. UDP comes back ------------------------------------------------------------
ip netns exec "$RUN-a" nft delete table inet snrudp || bail "cannot remove A's UDP drop"
check "A moves back to UDP (base sees udp)" wait_until 45 base_transport a udp
check "A: its base link runs over UDP" wait_until 5 link_transport a udp
check "A: B's path is relay-udp" wait_until 10 peer_path a b relay-udp
check_ge "A counted the return" 1 "$(counter a base_udp_returns)"
check "ping6 A -> B over UDP relaying" wait_until 10 ping_ok a "${ADDR[b]}"
check "ping6 B -> A over UDP relaying" wait_until 10 ping_ok b "${ADDR[a]}"
section_diag

mesh_done a b base
