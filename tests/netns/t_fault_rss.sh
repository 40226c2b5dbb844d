#!/usr/bin/env bash
# Memory: under a sustained large-packet load the daemons' resident set does
# not grow (no per-packet allocation, preallocated pools).
#
#              +------------------ br0 ([net]) ------------------+
#              |                      |                          |
#   203.0.113.2 [a] snr0 10.0.0.2   203.0.113.1 [hub]   203.0.113.3 [b] snr0 10.0.0.3
#      iperf3 -u -l 1400 ------------> relay ------------> iperf3 -s
#
# iperf3 UDP with 1400-byte datagrams (1428-byte inner packets, 1464-byte
# tunnel datagrams) A->B for WARMUP + SUBNETRA_SOAK_SECS seconds (default 20;
# scripts/soak.sh: 300).  After the warm-up, VmRSS of the hub (and of both
# spokes) is sampled once a second; asserted: hub max - min <= 64 KiB, and
# the same for the spokes.  Also: the load really went through the hub, and
# nothing was dropped by the tunnel.
# run.sh: exclusive
set -u
. "$(dirname "$0")/lib_fault.sh"

require_fault_env

SECS=${SUBNETRA_SOAK_SECS:-20}
[ "$SOAK" = 1 ] && [ -z "${SUBNETRA_SOAK_SECS:-}" ] && SECS=300
WARMUP=5
MAX_GROWTH_KB=64
RATE=300M

topo_standard
write_mesh_configs "" '"keepalive_secs": 5'
start_node hub "$T/hub.json"
start_node a "$T/a.json"
start_node b "$T/b.json"
wait_until 10 ping_ok a 10.0.0.3 || bail "no tunnel traffic A->B"
iperf_server b 10.0.0.3
declare -A PID=()
for n in hub a b; do
	PID[$n]=$(daemon_pid "$n") || bail "cannot find the $n daemon's pid"
done

h0=$(status_json hub)
# 3 s longer than warm-up + sampling, so the last samples are still under load.
DUR=$((WARMUP + SECS + 3))
( iperf_client load a 10.0.0.3 -u -l 1400 -b "$RATE" -t "$DUR"; echo $? >"$T/load.rc" ) &
IPERF_PID=$!
bg_track "$IPERF_PID"
wait_until 10 counter_ge hub relay_packets $(($(json_get "$h0" relay_packets) + 1000)) ||
	bail "the load did not get going"
t_start=$(now_ms)
# Warm-up: let every pool, buffer and page the data path touches be faulted in.
wait_until $((WARMUP + 5)) time_reached $((t_start + WARMUP * 1000))

declare -A MIN=() MAX=() FIRST=() LAST=()
samples=0
# One sample per second, on a fixed schedule, for SECS seconds (bounded).
for ((s = 0; s < SECS; s++)); do
	proc_alive "$IPERF_PID" || break
	for n in hub a b; do
		v=$(rss_kb "${PID[$n]}")
		_is_int "$v" || bail "$n: cannot read VmRSS"
		[ -z "${FIRST[$n]:-}" ] && FIRST[$n]=$v MIN[$n]=$v MAX[$n]=$v
		[ "$v" -lt "${MIN[$n]}" ] && MIN[$n]=$v
		[ "$v" -gt "${MAX[$n]}" ] && MAX[$n]=$v
		LAST[$n]=$v
	done
	samples=$((samples + 1))
	wait_until 2 time_reached $((t_start + (WARMUP + s + 1) * 1000))
done
wait_until 30 not_alive "$IPERF_PID"
wait "$IPERF_PID"
h1=$(status_json hub)

check_ge "sampled RSS at least $((SECS - 2)) times over ${SECS} s of load" $((SECS - 2)) "$samples"
check_eq "the UDP load ran to completion" 0 "$(cat "$T/load.rc" 2>/dev/null)" ||
	diag "$(iperf_error load)"
relayed=$(delta "$h0" "$h1" relay_packets)
check_ge "the load went through the hub (relayed $relayed datagrams)" $((SECS * 1000)) "$relayed"
check_eq "hub: nothing dropped while relaying" 0 $(($(drop_total "$h1") - $(drop_total "$h0")))
for n in hub a b; do
	growth=$((${MAX[$n]:-0} - ${MIN[$n]:-0}))
	check_le "$n: VmRSS max - min <= $MAX_GROWTH_KB KiB after warm-up (${growth} KiB)" \
		"$MAX_GROWTH_KB" "$growth"
	report "rss_${n}_kb" "first ${FIRST[$n]:-?} last ${LAST[$n]:-?} min ${MIN[$n]:-?} max ${MAX[$n]:-?} (max-min ${growth} KiB, $samples samples)"
done
report rss_load "$relayed datagrams relayed in $DUR s ($((relayed / DUR)) pps; iperf3: $(iperf_mbps load) Mbit/s received, $(iperf_get load sum_received lost_percent)% lost end to end)"

stop_node a
stop_node b
stop_node hub
done_testing
