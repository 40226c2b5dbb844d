# shellcheck shell=bash
# Shared helpers of `make bench` (bench/run.sh): namespaces, the underlay,
# readiness polling, per-process CPU and memory accounting, the workloads and
# the result log.  Source it; it defines functions and state, runs nothing.
#
# Underlay (RFC 2544 benchmarking range), built fresh by every run:
#
#          ns $RUN-a                ns $RUN-hub               ns $RUN-b
#       eth0 198.18.0.2          eth0 198.18.0.1          eth0 198.18.0.3
#             |                        |                        |
#             +-------- br0 in ns $RUN-net (veth pairs) --------+
#
# Every system runs between these namespaces: the client (iperf3 -c, ping)
# in "a", the server in "hub" (direct) or "b" (relayed through the hub).
# RUN is "snb<pid>", so concurrent runs never collide; cleanup (trap EXIT,
# also on Ctrl-C) kills every process started here, deletes every namespace
# and interface created here and removes the temp dir.  No packet leaves
# these namespaces.

set -u

RUN=snb$$
T=""                 # per-run temp dir: configs, keys, logs, raw results
RESULTS=""           # "round<TAB>system<TAB>metric<TAB>value" lines
NAMESPACES=()
BG_PIDS=()
EXTRA_CLEANUP=()     # commands run at cleanup (e.g. removing a UAPI socket)
DAEMON_PIDS=()       # the tunnel daemons of the system under test
WAIT_STEP=0.05
CLK_TCK=$(getconf CLK_TCK)
UNDERLAY_MTU=1500
# Inner MTU for every tunnel.  1436 = 1500 - 64 (our overhead; WireGuard and
# Nebula need 60, so it fits them too).  The 1420 of the reference table would
# fragment every 1400-byte UDP datagram (a 1428-byte IP packet) in two.
INNER_MTU=${INNER_MTU:-1436}
UDP_LEN=1400

declare -A NODE_NS=() NODE_IP=()

log() { printf 'bench: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

now_ms() {
	local t=${EPOCHREALTIME//[.,]/}
	echo $((t / 1000))
}
# wait_until SECS CMD...: poll CMD every WAIT_STEP until it succeeds; 1 on timeout.
wait_until() {
	local deadline=$(($(now_ms) + ${1%.*} * 1000))
	shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(now_ms)" -ge "$deadline" ] && return 1
		sleep "$WAIT_STEP"
	done
}
proc_alive() {
	local st
	st=$(sed -n 's/^[0-9]* (.*) \([A-Za-z]\) .*/\1/p' "/proc/$1/stat" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
gen_key() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }

# ---- namespaces and the underlay --------------------------------------------

ns_add() {
	ip netns add "$1" || die "ip netns add $1 failed"
	NAMESPACES+=("$1")
	ip -n "$1" link set lo up
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1 || true
}

topo_add_node() {
	local name=$1 ip=$2 ns=$RUN-$1
	ns_add "$ns"
	ip -n "$RUN-net" link add "v-$name" type veth peer name eth0 netns "$ns" ||
		die "cannot create veth for $name"
	ip -n "$RUN-net" link set "v-$name" mtu "$UNDERLAY_MTU" master br0 up
	ip -n "$ns" link set eth0 mtu "$UNDERLAY_MTU" up
	ip -n "$ns" addr add "$ip/24" dev eth0
	NODE_NS[$name]=$ns
	NODE_IP[$name]=$ip
}

nsx() {
	local ns=${NODE_NS[$1]:?unknown node $1}
	shift
	ip netns exec "$ns" "$@"
}

topo_init() {
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM HUP
	T=$(mktemp -d "/tmp/$RUN.XXXXXX") || die "mktemp failed"
	chmod 700 "$T"
	RESULTS=$T/results.tsv
	: >"$RESULTS"
	ns_add "$RUN-net"
	ip -n "$RUN-net" link add br0 type bridge || die "cannot create bridge"
	ip -n "$RUN-net" link set br0 up
	topo_add_node hub 198.18.0.1
	topo_add_node a 198.18.0.2
	topo_add_node b 198.18.0.3
	local n
	for n in a b; do
		wait_until 10 nsx "$n" ping -c1 -W1 "${NODE_IP[hub]}" ||
			die "underlay: $n cannot reach the hub"
	done
}

# bg_track PID: kill it at cleanup (if still running).
bg_track() { BG_PIDS+=("$1"); }

# stop_pids PID...: SIGTERM, up to 5 s grace, then SIGKILL; reaps them.
stop_pids() {
	local p deadline
	for p in "$@"; do kill -TERM "$p" 2>/dev/null; done
	deadline=$(($(now_ms) + 5000))
	for p in "$@"; do
		while proc_alive "$p" && [ "$(now_ms)" -lt "$deadline" ]; do sleep "$WAIT_STEP"; done
		proc_alive "$p" && kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	return 0
}

cleanup() {
	local rc=$? p i ns c
	trap - EXIT INT TERM HUP
	[ ${#BG_PIDS[@]} -gt 0 ] && stop_pids "${BG_PIDS[@]}"
	for c in "${EXTRA_CLEANUP[@]}"; do eval "$c" 2>/dev/null; done
	for ((i = ${#NAMESPACES[@]} - 1; i >= 0; i--)); do
		ns=${NAMESPACES[$i]}
		# Only our uniquely named namespaces: whatever still runs there is ours.
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	if [ -n "$T" ] && [ -d "$T" ]; then
		if [ -n "${BENCH_KEEP:-}" ]; then log "kept $T"; else rm -rf "$T"; fi
	fi
	exit "$rc"
}

# ---- accounting -----------------------------------------------------------------

# cpu_ticks PID...: utime + stime of each process (all its threads), summed.
cpu_ticks() {
	local p sum=0 v
	for p in "$@"; do
		# Fields 14 and 15, counted after the ")" that ends the command name.
		v=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}')
		sum=$((sum + ${v:-0}))
	done
	echo "$sum"
}
# rss_reset PID...: restart each process's peak-RSS (VmHWM) accounting.
rss_reset() {
	local p
	for p in "$@"; do echo 5 >"/proc/$p/clear_refs" 2>/dev/null; done
	return 0
}
# rss_peak_kib PID...: the largest VmHWM among them (KiB).
rss_peak_kib() {
	local p v max=0
	for p in "$@"; do
		v=$(awk '/^VmHWM:/ {print $2}' "/proc/$p/status" 2>/dev/null)
		[ -n "$v" ] && [ "$v" -gt "$max" ] && max=$v
	done
	echo "$max"
}
rss_now_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null; }

# record ROUND SYSTEM METRIC VALUE
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$RESULTS"; }

# ping_ok NODE ADDR: one reply within 1 s (for wait_until).
ping_ok() { nsx "$1" ping -n -c 1 -W 1 "$2" >/dev/null 2>&1; }

# ---- workloads ------------------------------------------------------------------
# Each system's up function sets CLI_NODE, SRV_NODE, SRV_ADDR and DAEMON_PIDS.

# ping_median_us NODE ADDR COUNT: median RTT of the replies, in µs ("" if none).
ping_median_us() {
	nsx "$1" ping -n -i 0.01 -W 1 -c "$3" "$2" 2>/dev/null |
		sed -n 's/.* time=\([0-9.]*\) ms.*/\1/p' | sort -n |
		awk '{v[NR] = $1} END {if (NR) printf "%.0f\n", 1000 * (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}'
}

iperf_port_listening() { nsx "$SRV_NODE" ss -Hltn 'sport = :5201' | grep -q .; }

# iperf_server OUT: a one-shot JSON iperf3 server in SRV_NODE (pid in IPERF_SPID).
IPERF_SPID=""
iperf_server() {
	ip netns exec "${NODE_NS[$SRV_NODE]}" iperf3 -s -1 -J >"$1" 2>&1 </dev/null &
	IPERF_SPID=$!
	bg_track "$IPERF_SPID"
	wait_until 10 iperf_port_listening || die "iperf3 server did not start"
}
iperf_server_gone() { ! proc_alive "$IPERF_SPID"; }

# rss_sampler PID OUT: "ms kib" lines, every 0.25 s, until killed (no forks).
rss_sampler() {
	local pid=$1 k v _
	while :; do
		while read -r k v _; do
			[ "$k" = VmRSS: ] && printf '%s %s\n' "${EPOCHREALTIME//[.,]/}" "$v" && break
		done <"/proc/$pid/status" || return 0
		sleep 0.25
	done
}

# iperf_run ROUND SYSTEM NAME CLIENT_ARGS...: one measured iperf3 run; records
# the daemons' CPU % (utime + stime over the client's wall time, summed over
# the daemons: 100 = one core) and peak RSS (largest VmHWM of any one daemon,
# reset just before), and leaves the server's JSON in $T/srv.json.  With
# MEM_PID set, RSS_GROWTH is how much that daemon's RSS grew over the last
# two thirds of the run (steady load: a leak shows, first-touch does not).
# With RELAY_PID set (the process relaying between client and server: a v1
# hub, a mesh base), also ${name}_relay_cpu_pct, that one process's CPU %.
RSS_GROWTH=""
RELAY_PID=""
iperf_run() {
	local round=$1 sys=$2 name=$3 spid t0 t1 c0 c1 r0 r1 rc sampler=""
	shift 3
	RSS_GROWTH=""
	iperf_server "$T/srv.json"
	spid=$IPERF_SPID
	if [ ${#DAEMON_PIDS[@]} -gt 0 ]; then
		rss_reset "${DAEMON_PIDS[@]}"
		c0=$(cpu_ticks "${DAEMON_PIDS[@]}")
	fi
	[ -n "$RELAY_PID" ] && r0=$(cpu_ticks "$RELAY_PID")
	if [ -n "$MEM_PID" ]; then
		rss_sampler "$MEM_PID" >"$T/rss.txt" &
		sampler=$!
	fi
	t0=$(now_ms)
	timeout $((SECS + 30)) ip netns exec "${NODE_NS[$CLI_NODE]}" \
		iperf3 -c "$SRV_ADDR" --connect-timeout 5000 -t "$SECS" -J "$@" >"$T/cli.json" 2>&1
	rc=$?
	t1=$(now_ms)
	if [ -n "$RELAY_PID" ]; then
		r1=$(cpu_ticks "$RELAY_PID")
		record "$round" "$sys" "${name}_relay_cpu_pct" \
			"$(awk -v d=$((r1 - r0)) -v hz="$CLK_TCK" -v ms=$((t1 - t0)) \
				'BEGIN {printf "%.1f", 100 * d / hz / (ms / 1000)}')"
	fi
	if [ -n "$sampler" ]; then
		kill "$sampler" 2>/dev/null
		wait "$sampler" 2>/dev/null
		RSS_GROWTH=$(awk -v from=$(((t0 + (t1 - t0) / 3) * 1000)) \
			'$1 >= from {if (first == "") first = $2; last = $2} END {if (first != "") print last - first}' "$T/rss.txt")
	fi
	if [ ${#DAEMON_PIDS[@]} -gt 0 ]; then
		c1=$(cpu_ticks "${DAEMON_PIDS[@]}")
		record "$round" "$sys" "${name}_cpu_pct" \
			"$(awk -v d=$((c1 - c0)) -v hz="$CLK_TCK" -v ms=$((t1 - t0)) \
				'BEGIN {printf "%.1f", 100 * d / hz / (ms / 1000)}')"
		record "$round" "$sys" "${name}_rss_mib" \
			"$(awk -v k="$(rss_peak_kib "${DAEMON_PIDS[@]}")" 'BEGIN {printf "%.1f", k / 1024}')"
	fi
	# The server exits after its one test; do not wait forever if it hangs.
	wait_until 10 iperf_server_gone || kill -KILL "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	if [ "$rc" -ne 0 ]; then
		log "$sys: iperf3 $name failed (exit $rc): $(jq -r '.error // empty' "$T/cli.json" 2>/dev/null | head -n 1)"
		return 1
	fi
	return 0
}

# growth_max: the largest RSS_GROWTH of this round's workloads so far.
GROWTH_MAX=""
growth_note() {
	[ -n "$RSS_GROWTH" ] || return 0
	if [ -z "$GROWTH_MAX" ] || [ "$RSS_GROWTH" -gt "$GROWTH_MAX" ]; then
		GROWTH_MAX=$RSS_GROWTH
	fi
}

# run_workloads ROUND SYSTEM: ping idle, UDP flood, TCP 1 stream (with ping
# under load), TCP 4 streams; only TCP 1 stream when WL_ONLY_TCP1 is set.
# The UDP datagrams are WL_UDP_LEN bytes when set (mesh: IPv6 inner
# packets), else UDP_LEN.  Metrics that fail are simply not recorded (the
# report shows them as missing).  With MEM_PID set (the hub, or the
# server-side daemon), also the largest steady-load RSS growth of the three.
MEM_PID=""
WL_UDP_LEN=""
WL_ONLY_TCP1=""
run_workloads() {
	local round=$1 sys=$2 len=${WL_UDP_LEN:-$UDP_LEN}
	GROWTH_MAX=""
	[ -n "$WL_ONLY_TCP1" ] || run_udp_ping "$round" "$sys" "$len"
	run_tcp1 "$round" "$sys"
	[ -n "$WL_ONLY_TCP1" ] || run_tcp4 "$round" "$sys"
	[ -n "$GROWTH_MAX" ] && record "$round" "$sys" rss_growth_kib "$GROWTH_MAX"
	return 0
}

run_udp_ping() {
	local round=$1 sys=$2 len=$3 v rc
	v=$(ping_median_us "$CLI_NODE" "$SRV_ADDR" 50)
	[ -n "$v" ] && record "$round" "$sys" ping_idle_us "$v"

	iperf_run "$round" "$sys" udp -u -l "$len" -b 0
	rc=$?
	growth_note
	if [ "$rc" -eq 0 ]; then
		# Receiver side: datagrams that arrived, over the server's own interval.
		# (iperf3 3.12's server leaves .bytes at 0 for UDP: count datagrams.)
		v=$(jq -r --argjson len "$len" '.end.sum | select(.seconds > 0) |
			((.packets - .lost_packets) / .seconds) as $pps |
			"\($pps) \($pps * $len * 8 / 1e9)"' "$T/srv.json" 2>/dev/null)
		if [ -n "$v" ]; then
			record "$round" "$sys" udp_kpps "$(awk -v p="${v% *}" 'BEGIN {printf "%.1f", p / 1000}')"
			record "$round" "$sys" udp_gbps "$(awk -v g="${v#* }" 'BEGIN {printf "%.3f", g}')"
		fi
	fi
}

run_tcp1() {
	local round=$1 sys=$2 v ppid rc

	# Ping at 100/s alongside the single TCP stream, starting once it runs.
	ip netns exec "${NODE_NS[$CLI_NODE]}" sh -c \
		"sleep 0.5; ping -n -i 0.01 -W 1 -w $((SECS > 2 ? SECS - 1 : 1)) $SRV_ADDR" \
		>"$T/ping_load.txt" 2>&1 &
	ppid=$!
	bg_track "$ppid"
	iperf_run "$round" "$sys" tcp1
	rc=$?
	growth_note
	if [ "$rc" -eq 0 ]; then
		v=$(jq -r '.end.sum_received.bits_per_second / 1e9' "$T/srv.json" 2>/dev/null)
		[ -n "$v" ] && [ "$v" != null ] &&
			record "$round" "$sys" tcp1_gbps "$(awk -v g="$v" 'BEGIN {printf "%.3f", g}')"
	fi
	wait "$ppid" 2>/dev/null
	v=$(sed -n 's/.* time=\([0-9.]*\) ms.*/\1/p' "$T/ping_load.txt" | sort -n |
		awk '{v[NR] = $1} END {if (NR) printf "%.0f\n", 1000 * (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}')
	[ -n "$v" ] && record "$round" "$sys" ping_load_us "$v"
}

run_tcp4() {
	local round=$1 sys=$2 v rc
	iperf_run "$round" "$sys" tcp4 -P 4
	rc=$?
	growth_note
	if [ "$rc" -eq 0 ]; then
		v=$(jq -r '.end.sum_received.bits_per_second / 1e9' "$T/srv.json" 2>/dev/null)
		[ -n "$v" ] && [ "$v" != null ] &&
			record "$round" "$sys" tcp4_gbps "$(awk -v g="$v" 'BEGIN {printf "%.3f", g}')"
	fi
}
