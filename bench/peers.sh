# shellcheck shell=bash
# Peer scale (sourced by bench/run.sh): one hub with N configured peers,
# driven by tests/tools/loadgen (N simulated spokes, one key each, one source
# port each, round-robin packet by packet), obfuscation on and off.
#
#   ns a: loadgen (CPU 0) --198.18.0.2:2000+i--> ns hub: subnetrad (CPU 1)
#         --> TUN 10.0.0.1/16 --> kernel drops (dst 10.0.255.254, no forwarding)
#
# The hub is the MAX_PEERS=1024 build; the loadgen is the OpenSSL build (its
# sealing is cheaper than the hub's opening, so the hub is the bottleneck).
# For each N the hub's own counters give delivered pps (tun_tx_packets
# delta) and received pps (udp_rx_packets delta) over PEER_SECS after a 1 s
# warm-up, with the hub's CPU share (pps per core = pps / share), RSS (idle,
# under load at the start and at the end of the window) and the datagrams
# its kernel dropped for a full socket buffer (the hub did not keep up), and
# how long the hub waited for its CPU (other load on the machine).
# The loadgen's own pace depends on the machine; pps per core is the figure
# that compares sizes.

PEER_SINK=10.0.255.254
PEER_PORT=18020

# peers_counters: "tun_tx udp_rx drops" from the hub's status.
peers_counters() {
	snr_cli hub "$PEERS_BUILD" status --json 2>/dev/null |
		jq -r '.counters | "\(.tun_tx_packets) \(.udp_rx_packets) \([to_entries[] | select(.key | startswith("drop_")) | .value] | add)"'
}
# kernel_rcvbuf_drops: UDP datagrams the hub's kernel dropped because the
# hub's socket buffer was full (it did not keep up), in the hub namespace.
kernel_rcvbuf_drops() {
	nsx hub cat /proc/net/snmp | awk '$1 == "Udp:" {
		if (!h) {for (i = 2; i <= NF; i++) col[$i] = i; h = 1} else print $col["RcvbufErrors"]}'
}
# run_wait_ns PID: nanoseconds PID has spent waiting for a CPU (schedstat).
run_wait_ns() { awk '{print $2}' "/proc/$1/schedstat" 2>/dev/null || echo 0; }
peers_flowing() {
	local c
	c=$(peers_counters) && [ "${c%% *}" -gt 0 ]
}

# peers_one N MODE(obfs|clear): one measurement; 1 if the hub cannot run it.
peers_one() {
	local n=$1 mode=$2 sys=peers-$2 conf=$T/peers.json flag="" log=$T/peers-hub.log
	local pid lg s0 s1 c0 c1 t0 t1 r0 r1 k0 k1 w0 w1 ridle out err
	[ "$mode" = clear ] && flag=--no-obfuscate
	(umask 077 && "$LOADGEN" --print-config --peers "$n" --from "${NODE_IP[a]}" \
		--hub-port "$PEER_PORT" --seed "$PEER_SEED" $flag >"$conf") || die "loadgen --print-config"
	if ! err=$("$PEERS_BUILD/subnetrad" --check --config "$conf" 2>&1 >/dev/null); then
		err=$(printf '%s\n' "$err" | grep -v warning | head -n 1)
		err=${err##*peers.json: }
		log "peers $n ($mode): the hub refuses the config: $err"
		# shellcheck disable=SC1003 # a backslash inside single quotes, on purpose
		record 1 "$sys" "n${n}_error" "$(printf '%s' "$err" | tr -d '"\t\\')"
		return 1
	fi
	: >"$log"
	ip netns exec "${NODE_NS[hub]}" env SUBNETRA_SOCK="$T/snr-hub.sock" SUBNETRA_TUN="$SNR_TUN" \
		"$PEERS_BUILD/subnetrad" --config "$conf" </dev/null >"$log" 2>&1 &
	pid=$!
	bg_track "$pid"
	wait_until 20 grep -q '\[ready\]' "$log" || die "peers hub: no [ready]: $(tail -n 3 "$log")"
	ip -n "${NODE_NS[hub]}" link set "$SNR_TUN" mtu "$INNER_MTU" up || die "peers hub: TUN up"
	ip -n "${NODE_NS[hub]}" addr replace 10.0.0.1/16 dev "$SNR_TUN" || die "peers hub: TUN address"
	snr_cli hub "$PEERS_BUILD" policy add --src 0.0.0.0/0 --dst "$PEER_SINK/32" \
		--action forward --target 0 >/dev/null || die "peers hub: policy add"
	[ "$(nproc)" -ge 2 ] && taskset -pc 1 "$pid" >/dev/null
	ridle=$(rss_now_kib "$pid")

	ip netns exec "${NODE_NS[a]}" taskset -c 0 "$LOADGEN" --to "${NODE_IP[hub]}:$PEER_PORT" \
		--from "${NODE_IP[a]}" --peers "$n" --seed "$PEER_SEED" $flag \
		--seconds $((PEER_SECS + 3)) >"$T/loadgen.out" 2>&1 &
	lg=$!
	bg_track "$lg"
	wait_until 5 peers_flowing || log "peers $n ($mode): nothing delivered after 5 s"
	sleep 1
	s0=$(peers_counters) c0=$(cpu_ticks "$pid") r0=$(rss_now_kib "$pid") k0=$(kernel_rcvbuf_drops)
	w0=$(run_wait_ns "$pid") t0=$(now_ms)
	sleep "$PEER_SECS"
	s1=$(peers_counters) c1=$(cpu_ticks "$pid") r1=$(rss_now_kib "$pid") k1=$(kernel_rcvbuf_drops)
	w1=$(run_wait_ns "$pid") t1=$(now_ms)
	wait "$lg"
	out=$(cat "$T/loadgen.out")
	stop_pids "$pid"
	local a0 b0 d0 a1 b1 d1
	read -r a0 b0 d0 <<<"$s0"
	read -r a1 b1 d1 <<<"$s1"
	awk -v n="$n" -v sys="$sys" -v d_tun=$((a1 - a0)) -v d_rx=$((b1 - b0)) -v d_drop=$((d1 - d0)) \
		-v ticks=$((c1 - c0)) -v hz="$CLK_TCK" -v ms=$((t1 - t0)) -v ridle="$ridle" \
		-v r0="$r0" -v r1="$r1" -v kdrop=$((k1 - k0)) -v wait_ns=$((w1 - w0)) -v sent="$(printf '%s' "$out" | sed -n 's/.*: \([0-9]*\) pps.*/\1/p')" '
	BEGIN {
		s = ms / 1000; cpu = 100 * ticks / hz / s; pps = d_tun / s
		printf "1\t%s\tn%d_pps\t%.0f\n", sys, n, pps
		printf "1\t%s\tn%d_rx_pps\t%.0f\n", sys, n, d_rx / s
		printf "1\t%s\tn%d_drop_pps\t%.0f\n", sys, n, d_drop / s
		printf "1\t%s\tn%d_kernel_drop_pps\t%.0f\n", sys, n, kdrop / s
		printf "1\t%s\tn%d_cpu_pct\t%.1f\n", sys, n, cpu
		printf "1\t%s\tn%d_runq_wait_pct\t%.1f\n", sys, n, wait_ns / 1e7 / s
		printf "1\t%s\tn%d_pps_per_core\t%.0f\n", sys, n, (cpu > 0 ? pps / (cpu / 100) : 0)
		printf "1\t%s\tn%d_sent_pps\t%.0f\n", sys, n, sent
		printf "1\t%s\tn%d_rss_idle_kib\t%d\n", sys, n, ridle
		printf "1\t%s\tn%d_rss_kib\t%d\n", sys, n, r1
		printf "1\t%s\tn%d_rss_growth_kib\t%d\n", sys, n, r1 - r0
	}' >>"$RESULTS"
	log "peers $n ($mode): $(awk -F'\t' -v s="$sys" -v n="n${n}_" '$2 == s && index($3, n) == 1 {sub(n, "", $3); printf "%s=%s ", $3, $4}' "$RESULTS")"
	return 0
}

# peers_run: every size, obfuscation on then off.  A size whose config the
# hub refuses is recorded as an error, and then the largest size the hub
# does accept (found by halving the step) is measured in its place, so the
# run still says how far it scales.
peers_run() {
	local mode n lo hi mid
	ip netns exec "${NODE_NS[hub]}" sysctl -qw net.ipv4.ip_forward=0 ||
		die "cannot disable forwarding in the hub namespace"
	for mode in obfs clear; do
		for n in $PEERS; do
			peers_one "$n" "$mode" && continue
			# Largest accepted count below n: binary search on --check alone.
			lo=2 hi=$n
			while [ $((hi - lo)) -gt 8 ]; do
				mid=$(((lo + hi) / 2))
				(umask 077 && "$LOADGEN" --print-config --peers "$mid" \
					--from "${NODE_IP[a]}" --seed "$PEER_SEED" >"$T/probe.json")
				if "$PEERS_BUILD/subnetrad" --check --config "$T/probe.json" >/dev/null 2>&1; then
					lo=$mid
				else
					hi=$mid
				fi
			done
			record 1 "peers-$mode" "n${n}_fallback" "$lo"
			log "peers $n ($mode): measuring $lo peers instead (the most the hub accepts)"
			peers_one "$lo" "$mode" || true
		done
	done
}
