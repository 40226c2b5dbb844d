#!/usr/bin/env bash
# Fault: a lossy, slow, reordering, duplicating underlay between spoke A and
# the hub.  A's only way to the hub is the seeded impairment relay (impair).
#
#   [a] 198.51.100.2 ----veth---- 198.51.100.1 [imp] 203.0.113.4 ---+
#   snr0 10.0.0.2/24               impair --listen 198.51.100.1:18020 |
#                                         --forward 203.0.113.1:18020 |
#                                   +---------------- br0 ([net]) ---+
#                                   |                   |
#                      203.0.113.1 [hub]         203.0.113.3 [b] snr0 10.0.0.3/24
#
# 1. Unimpaired baseline: TCP A->B (iperf3) through the relay.
# 2. Impairment on (both directions, seeded): 10% loss, 20 ms delay +-5 ms
#    jitter, 5% reordered by 10 ms, 5% duplicated.
#    - pings A->B: no echo request reaches B's TUN twice (tcpdump on B's
#      snr0), B's tun_tx delta == requests seen there <= requests sent, A sees
#      no duplicate replies; every duplicate the relay made towards the hub
#      (towards A) is exactly one drop_udp_auth_or_invalid at the hub (at A):
#      dropped as a replay, never delivered;
#    - a fixed-size TCP transfer A->B completes with every byte delivered.
# 3. Impairment removed: 0% ping loss, and TCP throughput back within the
#    order of the baseline.
# run.sh: exclusive
set -u
. "$(dirname "$0")/lib_fault.sh"

require_fault_env
require_impair

PINGS=300
TCP_BYTES=$((2 * 1024 * 1024))
SECS=4
[ "$SOAK" = 1 ] && { PINGS=2000; TCP_BYTES=$((16 * 1024 * 1024)); SECS=20; }

topo_init
topo_add_node hub 203.0.113.1
topo_add_node b 203.0.113.3
topo_add_node imp 203.0.113.4
topo_add_behind a 198.51.100.2 imp 198.51.100.1
wait_until 10 nsx imp ping -c1 -W1 203.0.113.1 || bail "underlay: relay cannot reach the hub"
wait_until 10 nsx a ping -c1 -W1 198.51.100.1 || bail "link: a cannot reach the relay"
check_fails "a has no direct route to the hub (only through the relay)" \
	nsx a ping -c1 -W1 203.0.113.1

write_mesh_configs "" '"keepalive_secs": 2'
set_hub_endpoint "$T/a.json" "198.51.100.1:$HUB_PORT"
impair_start imp "198.51.100.1:$HUB_PORT" "203.0.113.1:$HUB_PORT"
diag "impairment seed $FAULT_SEED (SUBNETRA_FAULT_SEED)"
start_node hub "$T/hub.json"
start_node b "$T/b.json"
start_node a "$T/a.json"

wait_until 15 ping_ok a 10.0.0.3 || bail "no tunnel traffic A->B through the relay"
ep=$(peer_endpoint hub 2)
check_match "hub learned A's endpoint as the relay's address ($ep)" '^203\.0\.113\.4:' "$ep"
iperf_server b 10.0.0.3

# ---- 1. baseline ----------------------------------------------------------------------
iperf_client base a 10.0.0.3 -t "$SECS"
check_eq "baseline TCP transfer through the unimpaired relay" 0 "$?" || diag "$(iperf_error base)"
base_mbps=$(iperf_mbps base)
report baseline_mbps "$base_mbps"
report baseline_retransmits "$(iperf_get base sum_sent retransmits)"

# ---- 2. impaired: pings, duplicates ----------------------------------------------------
impair_set --seed "$FAULT_SEED" --loss 10 --delay 20 --jitter 5 --reorder 5 --gap 10 --dup 5
cap_start echo b "$TUN" icmp and 'icmp[icmptype] == icmp-echo'
hub0=$(status_json hub) a0=$(status_json a) b0=$(status_json b)
st0=$(impair_stats)
pout=$(nsx a ping -n -c "$PINGS" -i 0.01 -W 2 10.0.0.3 2>&1)
# Let the last (delayed) datagrams land before the snapshot: nothing is
# left in the relay's queue and no counter moves any more.
sleep 0.2
st1=$(impair_stats)
hub1=$(status_json hub) a1=$(status_json a) b1=$(status_json b)
cap_stop echo

replies=$(printf '%s\n' "$pout" | sed -n 's/.* \([0-9]*\) received.*/\1/p')
seqs=$(icmp_seqs "$(cap_file echo)")
seen=$(printf '%s\n' "$seqs" | grep -c .)
distinct=$(printf '%s\n' "$seqs" | grep . | sort -n | uniq | wc -l)
b_tun=$(delta "$b0" "$b1" tun_tx_packets)
dup_up=$(($(impair_stat "$st1" up duplicated) - $(impair_stat "$st0" up duplicated)))
dup_down=$(($(impair_stat "$st1" down duplicated) - $(impair_stat "$st0" down duplicated)))
lost_up=$(($(impair_stat "$st1" up lost) - $(impair_stat "$st0" up lost)))
lost_down=$(($(impair_stat "$st1" down lost) - $(impair_stat "$st0" down lost)))
hub_inv=$(delta "$hub0" "$hub1" drop_udp_auth_or_invalid)
a_inv=$(delta "$a0" "$a1" drop_udp_auth_or_invalid)
kd=$(($(impair_stat "$st1" up kernel_drop) + $(impair_stat "$st1" down kernel_drop) -
	$(impair_stat "$st0" up kernel_drop) - $(impair_stat "$st0" down kernel_drop)))
check_eq "the relay's sockets dropped nothing (every loss is a seeded decision)" 0 "$kd"
check_eq "no echo request delivered twice on B's TUN ($seen seen, $distinct distinct)" \
	"$distinct" "$seen"
check_eq "B's tun_tx delta == echo requests seen on its TUN" "$seen" "$b_tun"
check_le "B's TUN got at most the $PINGS requests sent" "$PINGS" "$b_tun"
check_ge "the relay lost some requests (the impairment is on)" 1 "$lost_up"
check_fails "A saw no duplicate echo reply" grep -q duplicates <<<"$pout"
check_ge "the relay duplicated datagrams towards the hub" 1 "$dup_up"
check_ge "the relay duplicated datagrams towards A" 1 "$dup_down"
check_eq "hub: every duplicate dropped as a replay (auth_or_invalid == duplicates)" \
	"$dup_up" "$hub_inv"
check_eq "A: every duplicate dropped as a replay (auth_or_invalid == duplicates)" \
	"$dup_down" "$a_inv"
check_eq "hub: no datagram of A's dropped for any other reason" \
	"$hub_inv" "$(($(drop_total "$hub1") - $(drop_total "$hub0")))"
check_ge "most pings still answered (${replies:-0}/$PINGS)" $((PINGS * 6 / 10)) "${replies:-0}"
report impaired_ping_replies "${replies:-0}/$PINGS"
report impaired_requests_delivered "$seen/$PINGS"
report relay_lost_up_down "$lost_up/$lost_down"
report duplicates_dropped_hub_a "$hub_inv/$a_inv"

# ---- 2b. impaired: TCP ----------------------------------------------------------------
head -c "$TCP_BYTES" /dev/urandom >"$T/payload"
xfer_server lossy b 10.0.0.3 5300
hub0=$(status_json hub) a0=$(status_json a)
st0=$(impair_stats)
t0=$(now_ms)
xfer_send lossy a 10.0.0.3 5300 "$T/payload"
rc=$?
t1=$(now_ms)
check_eq "TCP transfer of $TCP_BYTES bytes completes over the impaired underlay" 0 "$rc" ||
	diag "$(cat "$T/lossy.cli.err" "$T/lossy.srv.err" 2>/dev/null)"
check "every byte delivered intact (size and SHA-256 match)" same_file "$T/payload" "$T/lossy.out"
sleep 0.2
st1=$(impair_stats)
hub1=$(status_json hub) a1=$(status_json a)
dup_up=$(($(impair_stat "$st1" up duplicated) - $(impair_stat "$st0" up duplicated)))
dup_down=$(($(impair_stat "$st1" down duplicated) - $(impair_stat "$st0" down duplicated)))
hub_inv=$(delta "$hub0" "$hub1" drop_udp_auth_or_invalid)
a_inv=$(delta "$a0" "$a1" drop_udp_auth_or_invalid)
# Under TCP load a datagram may also be reordered out of the 64-entry
# window (counted in the same bucket): at least one drop per duplicate.
check_ge "hub: duplicates during TCP dropped as replays ($hub_inv >= $dup_up)" "$dup_up" "$hub_inv"
check_ge "A: duplicates during TCP dropped as replays ($a_inv >= $dup_down)" "$dup_down" "$a_inv"
check_ge "the relay duplicated datagrams during the transfer" 1 "$dup_up"
ms=$((t1 - t0))
report impaired_tcp "$TCP_BYTES bytes in $ms ms ($((TCP_BYTES * 8 / (ms > 0 ? ms : 1) / 1000)) Mbit/s)"
report impaired_tcp_duplicates_up_down "$dup_up/$dup_down"

# ---- 3. recovery -------------------------------------------------------------------------
impair_clear
sleep 0.1 # what the relay still holds leaves within delay + jitter + gap (35 ms)
n=$(ping_received a -n -c 100 -i 0.01 -W 1 10.0.0.3)
check_eq "impairment removed: 0% loss (100/100 pings)" 100 "$n"
iperf_client recovered a 10.0.0.3 -t "$SECS"
check_eq "TCP transfer after recovery" 0 "$?" || diag "$(iperf_error recovered)"
rec_mbps=$(iperf_mbps recovered)
check_ge "throughput recovered to the order of the baseline ($rec_mbps vs $base_mbps Mbit/s)" \
	$((base_mbps / 4)) "$rec_mbps"
report recovered_mbps "$rec_mbps"
report recovered_retransmits "$(iperf_get recovered sum_sent retransmits)"

stop_node a
stop_node b
stop_node hub
impair_stop
diag "$(tail -n 3 "$T/impair.out")"
done_testing
