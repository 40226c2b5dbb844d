#!/usr/bin/env bash
# Several workers under sustained load from several peers at once: each
# worker's cipher state is its own, and each peer's datagrams stay inside the
# receiver's 64-entry replay window whichever worker sealed them.
#
#        a 203.0.113.2     b 203.0.113.3     c 203.0.113.4
#        10.0.0.2          10.0.0.3          10.0.0.4
#             \                 |                 /
#              ======= br0 (namespace net) =======
#                               |
#                    hub 203.0.113.1 (10.0.0.1)
#
# Phase 1: the hub runs two workers; a, b and c each run four TCP flows
# each way with it (iperf3 -P 4 --bidir) while b also sends a relayed TCP
# transfer to c.  The
# flows spread over both hub sockets and both TUN queues, so both workers
# seal and open at once for different peers.  Asserts: the hub survives,
# every transfer completes (the relayed one byte for byte), and no node
# counts a single drop_udp_auth_or_invalid (a datagram sealed under a
# neighbouring thread's key or nonce, or a genuine one pushed out of the
# replay window, would land there).
# Phase 2: a runs two workers, the hub one; a streams four UDP flows, then
# four TCP flows to the hub: the hub counts no replay or authentication drop.
# The throughput of one and of two sender workers is printed as a figure
# (make bench measures it properly), not asserted.
# SECS (default 8; SUBNETRA_SOAK=1: 180) is the length of each load run.
# run.sh: exclusive
# run.sh: openssl
# shellcheck source=tests/netns/lib_fault.sh
. "$(dirname "$0")/lib_fault.sh"

require_fault_env
SECS=${SUBNETRA_STRESS_SECS:-8}
[ "$SOAK" = 1 ] && SECS=${SUBNETRA_STRESS_SECS:-180}
KEY_C=""

# hub_config OUT EXTRA: a hub with three spokes.
hub_config() {
	(
		umask 077
		cat >"$1" <<CONF
{
  "role": "hub",
  "virtual_subnet": "10.0.0.0/24",
  "local_id": 1,
  "local_tun_ip": "10.0.0.1/24",
  "listen_ports": [$HUB_PORT],
  "keepalive_secs": 0,${2:+
  $2,}
  "peers": [
    { "id": 2, "endpoint": "203.0.113.2:18020", "allowed_src": "10.0.0.2/32", "psk": "$KEY_A" },
    { "id": 3, "endpoint": "203.0.113.3:18020", "allowed_src": "10.0.0.3/32", "psk": "$KEY_B" },
    { "id": 4, "endpoint": "203.0.113.4:18020", "allowed_src": "10.0.0.4/32", "psk": "$KEY_C" }
  ]
}
CONF
	)
}

# iperf_server_on NODE IP PORT: one iperf3 server per client (each serves one at a time).
iperf_server_on() {
	ip netns exec "${NODE_NS[$1]}" iperf3 -s -B "$2" -p "$3" </dev/null \
		>"$T/iperf-srv-$1-$3.log" 2>&1 &
	bg_track "$!"
	# shellcheck disable=SC2317 # called through wait_until
	listening() { nsx "$1" ss -Hltn "sport = :$2" | grep -q LISTEN; }
	wait_until 10 listening "$1" "$3" || bail "iperf3 server on $1:$3 did not start"
}
# stream KEY NODE DST PORT [ARGS...]: iperf3 -P 4 for SECS seconds into $T/KEY.json.
stream() {
	local key=$1 node=$2 dst=$3 port=$4
	shift 4
	nsx "$node" timeout $((SECS + 60)) iperf3 -c "$dst" -p "$port" -J --connect-timeout 5000 \
		-P 4 -t "$SECS" "$@" </dev/null >"$T/$key.json" 2>"$T/$key.err"
}
# auth_drops NODE: drop_udp_auth_or_invalid of a live daemon.
auth_drops() { counter "$1" drop_udp_auth_or_invalid; }

topo_init
KEY_C=$(gen_key)
topo_add_node hub 203.0.113.1
topo_add_node a 203.0.113.2
topo_add_node b 203.0.113.3
topo_add_node c 203.0.113.4
for n in a b c; do
	wait_until 10 nsx "$n" ping -c1 -W1 203.0.113.1 || bail "underlay: $n cannot reach the hub"
done
diag "build: $SNR_BUILD"

# ---- phase 1: two hub workers, three spokes streaming at once -------------------------
hub_config "$T/hub.json" '"workers": 2'
write_spoke_config "$T/a.json" 2 "$KEY_A" '"keepalive_secs": 0'
write_spoke_config "$T/b.json" 3 "$KEY_B" '"keepalive_secs": 0'
write_spoke_config "$T/c.json" 4 "$KEY_C" '"keepalive_secs": 0'
start_node hub "$T/hub.json"
cli hub policy add --src 0.0.0.0/0 --dst 10.0.0.1/32 --action forward --target 0 ||
	bail "hub: policy add for its own address failed"
for n in a b c; do start_node "$n" "$T/$n.json"; done
for n in a b c; do
	wait_until 10 ping_ok "$n" 10.0.0.1 || bail "$n cannot reach the hub through the tunnel"
done
wait_until 10 ping_ok b 10.0.0.4 || bail "b cannot reach c through the hub"
ok "hub (two workers) and three spokes ready"

for p in 5201 5202 5203; do iperf_server_on hub 10.0.0.1 "$p"; done
# The relayed transfer: about 1 MiB/s, within the transfer helpers' 120 s limit.
relay_secs=$((SECS < 60 ? SECS : 60))
bytes=$((relay_secs * 1024 * 1024))
head -c "$bytes" /dev/urandom >"$T/blob"
xfer_server relay c 10.0.0.4 7300
pids=()
stream sa a 10.0.0.1 5201 --bidir &
pids+=($!)
stream sb b 10.0.0.1 5202 --bidir &
pids+=($!)
stream sc c 10.0.0.1 5203 --bidir &
pids+=($!)
xfer_send relay b 10.0.0.4 7300 "$T/blob" $((bytes / relay_secs + 1)) &
xpid=$!
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
wait "$xpid"
xrc=$?
check "hub: still running after $SECS s of load from three peers" node_running hub
check_eq "three iperf3 -P 4 runs to the hub completed" 0 "$rc"
for k in sa sb sc; do
	check_ge "$k: the hub received data (Mbit/s)" 1 "$(iperf_mbps "$k")" || diag "$(iperf_error "$k")"
	report "phase1_${k}_mbps" "$(iperf_mbps "$k")"
done
check_eq "relayed transfer b -> hub -> c completed" 0 "$xrc"
check "relayed transfer: SHA-256 equal" same_file "$T/blob" "$T/relay.out"
for n in hub a b c; do
	check_eq "$n: drop_udp_auth_or_invalid = 0" 0 "$(auth_drops "$n")"
done
for n in a b c hub; do stop_node "$n"; done

# ---- phase 2: a two-worker sender, a one-worker receiver --------------------------------
# phase2 KEY WORKERS: a with WORKERS workers streams to a one-worker hub:
# four UDP flows (they have no return traffic to steer them to one TUN
# queue, so the kernel spreads them over both and both workers seal for the
# hub at once) and, with two workers, four TCP flows.
phase2() {
	local key=$1 workers=$2
	hub_config "$T/hub1.json" ""
	write_spoke_config "$T/a$workers.json" 2 "$KEY_A" "\"keepalive_secs\": 0, \"workers\": $workers"
	start_node hub "$T/hub1.json"
	cli hub policy add --src 0.0.0.0/0 --dst 10.0.0.1/32 --action forward --target 0 ||
		bail "hub: policy add for its own address failed"
	start_node a "$T/a$workers.json"
	wait_until 10 ping_ok a 10.0.0.1 || bail "a ($workers workers) cannot reach the hub"
	iperf_server_on hub 10.0.0.1 5210
	stream "$key-udp" a 10.0.0.1 5210 -u -b 0 -l 1400
	check_eq "a ($workers workers) -> hub: iperf3 -u -P 4 completed" 0 "$?" ||
		diag "$(iperf_error "$key-udp")"
	report "phase2_sender_workers${workers}_udp_mbps" "$(iperf_mbps "$key-udp")"
	if [ "$workers" -gt 1 ]; then
		stream "$key-tcp" a 10.0.0.1 5210
		check_eq "a ($workers workers) -> hub: iperf3 -P 4 (TCP) completed" 0 "$?" ||
			diag "$(iperf_error "$key-tcp")"
		report "phase2_sender_workers${workers}_tcp_mbps" "$(iperf_mbps "$key-tcp")"
	fi
	check_eq "hub (one worker): no replay or authentication drop from a $workers-worker sender" \
		0 "$(auth_drops hub)"
	check_eq "a ($workers workers): drop_udp_auth_or_invalid = 0" 0 "$(auth_drops a)"
	stop_node a
	stop_node hub
}
phase2 w1 1
phase2 w2 2
done_testing
