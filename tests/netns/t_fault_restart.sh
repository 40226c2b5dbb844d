#!/usr/bin/env bash
# Fault: the hub restarts, then spoke A restarts, while A pings B (one such
# round; ten with SUBNETRA_SOAK=1).  Nobody touches the surviving nodes: each
# restarted daemon boots a new epoch, and the peers adopt it from its next
# authenticated datagram.
#
#              +------------------ br0 ([net]) ------------------+
#              |                      |                          |
#   203.0.113.2 [a] snr0 10.0.0.2   203.0.113.1 [hub]   203.0.113.3 [b] snr0 10.0.0.3
#        ping 10.0.0.3 every 50 ms throughout (background)
#
# Asserts, for each restart: clean exit of the old daemon, pings A->B succeed
# again within a bound after the new daemon is ready, the surviving side saw
# the restarted node again (last_seen moved), and nothing was dropped as
# invalid (a newer epoch is adopted, not refused).  Then datagrams A sent in
# its old epoch, replayed from an outsider, are all refused (auth_or_invalid
# or scan budget, never delivered): the old epoch is gone for good.
set -u
. "$(dirname "$0")/lib_fault.sh"

require_fault_env
require_inject

RESUME_SECS=5 # bound for "traffic resumes" after the new daemon is ready
ROUNDS=1      # hub restart + spoke restart cycles
[ "$SOAK" = 1 ] && ROUNDS=10
OUTAGE_MS=0   # sum over the restarts: SIGTERM sent -> first reply again
MAX_RESUME_MS=0

topo_standard evil
write_mesh_configs "" '"keepalive_secs": 2'
start_node hub "$T/hub.json"
start_node a "$T/a.json"
start_node b "$T/b.json"
wait_until 10 ping_ok a 10.0.0.3 || bail "no tunnel traffic A->B"

# Background ping for the whole scenario; -D timestamps each reply.
ip netns exec "${NODE_NS[a]}" ping -D -n -i 0.05 -W 1 10.0.0.3 </dev/null \
	>"$T/ping.log" 2>&1 &
PING_PID=$!
bg_track "$PING_PID"
ping_seq() { sed -n 's/.*icmp_seq=\([0-9]*\).*/\1/p' "$T/ping.log" | tail -n 1; }
ping_seq_gt() {
	local s
	s=$(ping_seq)
	[ -n "$s" ] && [ "$s" -gt "$1" ]
}
wait_until 5 ping_seq_gt 5 || bail "background ping gets no replies"

# Capture A's datagrams to the hub in its first epoch (replayed at the end).
cap_start old hub eth0 udp and src host 203.0.113.2 and dst port "$HUB_PORT"
wait_until 5 pcap_udp_count_ge "$(cap_file old)" 20
cap_stop old

# restart NODE: stop, start with the same config; prints the outage in ms
# (last reply before the stop -> first reply after the start) on success.
restart() {
	local node=$1 peer_node=$2 peer_id=$3 seen0 seq0 t_stop t_ready t_back j0 j1
	j0=$(status_json "$peer_node")
	seen0=$(peer_last_seen "$peer_node" "$peer_id")
	t_stop=$(now_ms)
	stop_node "$node"
	seq0=$(ping_seq)
	start_node "$node" "$T/$node.json"
	t_ready=$(now_ms)
	if wait_until "$RESUME_SECS" ping_seq_gt "$seq0"; then
		t_back=$(now_ms)
		ok "$node restart: pings A->B resume without operator action ($((t_back - t_ready)) ms after [ready])"
		report "${node}_restart_resume_ms" "$((t_back - t_ready))"
		report "${node}_restart_outage_ms" "$((t_back - t_stop))"
		[ "$((t_back - t_ready))" -gt "$MAX_RESUME_MS" ] && MAX_RESUME_MS=$((t_back - t_ready))
		OUTAGE_MS=$((OUTAGE_MS + t_back - t_stop))
	else
		not_ok "$node restart: pings A->B resume within $RESUME_SECS s"
		diag "$(tail -n 5 "$T/ping.log")"
	fi
	check "$node restart: $peer_node saw the restarted node again (last_seen moved)" \
		wait_until 5 peer_last_seen_after "$peer_node" "$peer_id" "${seen0:-0}"
	j1=$(status_json "$peer_node")
	check_eq "$node restart: $peer_node refused nothing (new epoch adopted, not dropped)" \
		0 "$(delta "$j0" "$j1" drop_udp_auth_or_invalid)"
}

# The hub restarts: both spokes see a new hub epoch.  The first datagram of
# the new hub goes to the configured spoke endpoints.
for ((round = 1; round <= ROUNDS; round++)); do
	[ "$ROUNDS" -gt 1 ] && diag "round $round of $ROUNDS"
	b_seen0=$(peer_last_seen b 1)
	b_j0=$(status_json b)
	restart hub a 1
	check "hub restart: b saw the new hub too (last_seen moved)" \
		wait_until 5 peer_last_seen_after b 1 "${b_seen0:-0}"
	check_eq "hub restart: b refused nothing (new epoch adopted, not dropped)" \
		0 "$(delta "$b_j0" "$(status_json b)" drop_udp_auth_or_invalid)"
	wait_until 5 ping_seq_gt $(($(ping_seq) + 20)) # a second of steady traffic

	# Spoke A restarts: the hub adopts A's new epoch from A's next datagram.
	restart a hub 2
	wait_until 5 ping_seq_gt $(($(ping_seq) + 20))
done

kill -INT "$PING_PID"
wait "$PING_PID"
tx=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$T/ping.log")
rx=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$T/ping.log")
report ping_sent_received "$tx/$rx (lost $((tx - rx)) over $((2 * ROUNDS)) restarts, 50 ms interval)"
report max_resume_ms "$MAX_RESUME_MS"
# At most one ping per 50 ms of outage, plus one in flight at each edge.
check_le "pings lost only during the outages ($((tx - rx)) lost, $OUTAGE_MS ms of outage)" \
	$((OUTAGE_MS / 50 + 4)) $((tx - rx))

# Old-epoch datagrams of A, replayed by an outsider, must all be refused
# (the ping is stopped: nothing else may reach B's TUN now).
hub0=$(status_json hub) b0=$(status_json b)
n_old=$(pcap_udp_count "$(cap_file old)")
out=$(inject evil --to "203.0.113.1:$HUB_PORT" --interval-us 2000 --pcap "$(cap_file old)")
sleep 0.2
hub1=$(status_json hub) b1=$(status_json b)
refused=$(($(delta "$hub0" "$hub1" drop_udp_auth_or_invalid) + $(delta "$hub0" "$hub1" drop_udp_scan_budget)))
check_match "replayed $n_old datagrams of A's old epoch" "^sent $n_old " "$out"
check_eq "hub: every old-epoch datagram refused (auth_or_invalid + scan_budget)" "$n_old" "$refused"
check_eq "hub: nothing relayed from the replay" 0 "$(delta "$hub0" "$hub1" relay_packets)"
check_eq "b: nothing delivered from the replay" 0 "$(delta "$b0" "$b1" tun_tx_packets)"
check_eq "hub: A's endpoint not moved by the replay" "203.0.113.2:$HUB_PORT" "$(peer_endpoint hub 2)"


stop_node a
stop_node b
stop_node hub
done_testing
