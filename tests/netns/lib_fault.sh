# shellcheck shell=bash
# Extra helpers for the fault scenarios (tests/netns/t_fault_*.sh), on top of
# lib.sh: point-to-point links between node namespaces (a spoke behind a relay
# or a NAT router), the seeded impairment relay (tests/tools/impair), iperf3,
# and per-process CPU/RSS sampling.  Source it instead of lib.sh.
#
# Environment:
#   SUBNETRA_SOAK=1         long versions (scripts/soak.sh sets it)
#   SUBNETRA_SOAK_SECS=N    t_fault_rss.sh load duration (default 20, soak 300)
#   SUBNETRA_FAULT_SEED=N   impairment seed (default 1; printed by each run)

# shellcheck source=tests/netns/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

IMPAIR=$SNR_BUILD/tests/tools/impair
FAULT_SEED=${SUBNETRA_FAULT_SEED:-1}
# shellcheck disable=SC2034 # read by the scenarios
SOAK=${SUBNETRA_SOAK:-0}
IPERF_PORT=5201
IMPAIR_PID=""
declare -A XFER_PID=()

require_fault_env() {
	require_env
	local t
	for t in iperf3 ss; do
		command -v "$t" >/dev/null || bail "missing tool: $t (run scripts/deps.sh)"
	done
}
require_impair() {
	[ -x "$IMPAIR" ] || bail "test tool not built: $IMPAIR (make test-build)"
}

# report KEY VALUE: a figure of this run, as a TAP comment that tests/run.sh
# shows and docs/reliability.md quotes ("# figure KEY=VALUE").
report() { printf '# figure %s=%s\n' "$1" "$2"; }

# ---- topology -------------------------------------------------------------------

# topo_add_behind NAME IP GW_NODE GW_IP: namespace "$RUN-NAME" whose only link
# (eth0, IP/24) is a veth to GW_NODE's new interface "to-NAME" (GW_IP/24); the
# default route points at GW_IP.  NAME reaches the underlay only through
# GW_NODE (a relay or a NAT router), never directly.
topo_add_behind() {
	local name=$1 ip=$2 gw=$3 gw_ip=$4 ns=$RUN-$1 gwns=${NODE_NS[$3]:?unknown node $3}
	ns_add "$ns"
	ip -n "$gwns" link add "to-$name" type veth peer name eth0 netns "$ns" ||
		bail "cannot create veth $gw <-> $name"
	wire_segments "$gwns" "to-$name"
	wire_segments "$ns" eth0
	ip -n "$gwns" addr add "$gw_ip/24" dev "to-$name"
	ip -n "$gwns" link set "to-$name" up
	ip -n "$ns" addr add "$ip/24" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" route add default via "$gw_ip"
	NODE_NS[$name]=$ns
	NODE_IP[$name]=$ip
}

# set_hub_endpoint FILE IP:PORT: a spoke config whose hub is reached at IP:PORT.
set_hub_endpoint() {
	sed -i "s/\"endpoint\": \"203\.0\.113\.1:$HUB_PORT\"/\"endpoint\": \"$2\"/" "$1"
	grep -q "\"endpoint\": \"$2\"" "$1" || bail "cannot set the hub endpoint in $1"
}

# daemon_pid NODE: the subnetrad PID (ip netns exec and env exec in place).
daemon_pid() {
	local pid=${NODE_PID[$1]:-}
	[ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = subnetrad ] || return 1
	echo "$pid"
}
# cpu_ticks PID: utime + stime in clock ticks (fields 14 and 15 of stat;
# the comm field is stripped first, it may contain spaces).
cpu_ticks() {
	local rest
	rest=$(sed 's/^.*) //' "/proc/$1/stat") || return 1
	# shellcheck disable=SC2086 # split into fields on purpose
	set -- $rest
	echo $((${12} + ${13}))
}
# rss_kb PID: VmRSS in KiB.
rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }

# udp_snmp NODE FIELD: a field of the "Udp:" line of /proc/net/snmp in NODE's
# namespace (e.g. RcvbufErrors: datagrams the kernel dropped before the
# daemon could read them).
udp_snmp() {
	nsx "$1" awk -v f="$2" '$1 == "Udp:" { if (!n) { for (i = 2; i <= NF; i++) h[i] = $i; n = 1 }
		else { for (i = 2; i <= NF; i++) if (h[i] == f) print $i } }' /proc/net/snmp
}

# peer_endpoint NODE ID: the current (learned) endpoint of peer ID.
peer_endpoint() {
	local j
	j=$(status_json "$1") || return 1
	json_get "$(json_peer "$j" "$2")" endpoint | tr -d '"'
}
peer_last_seen() {
	local j
	j=$(status_json "$1") || return 1
	json_get "$(json_peer "$j" "$2")" last_seen_wall_ns
}
peer_endpoint_is() { [ "$(peer_endpoint "$1" "$2")" = "$3" ]; }
peer_endpoint_not() {
	local e
	e=$(peer_endpoint "$1" "$2") && [ -n "$e" ] && [ "$e" != "$3" ]
}
peer_last_seen_after() {
	local v
	v=$(peer_last_seen "$1" "$2") && _is_int "$v" && [ "$v" -gt "$3" ]
}

# ---- the impairment relay ---------------------------------------------------------

# impair_start NODE LISTEN FORWARD [OPTIONS...]: run the relay in NODE's
# namespace, with $T/impair.ctl as its control file and $T/impair.stats as
# its statistics file; ready when it prints its banner.
impair_start() {
	local node=$1 listen=$2 fwd=$3
	shift 3
	: >"$T/impair.ctl"
	# Not through nsx: $! must be the relay itself (ip netns exec execs in place).
	ip netns exec "${NODE_NS[$node]:?unknown node $node}" "$IMPAIR" --listen "$listen" --forward "$fwd" --seed "$FAULT_SEED" \
		--control "$T/impair.ctl" --stats "$T/impair.stats" "$@" \
		</dev/null >"$T/impair.out" 2>"$T/impair.err" &
	IMPAIR_PID=$!
	bg_track "$IMPAIR_PID"
	ALL_LOGS+=("$T/impair.err")
	wait_until 10 grep -q 'impair: ready' "$T/impair.err" ||
		bail "impair did not start: $(cat "$T/impair.err")"
}
_impair_gen() { sed -n 's/^impair stats gen=\([0-9]*\).*/\1/p' "$T/impair.stats" 2>/dev/null; }
_impair_gen_gt() {
	local g
	g=$(_impair_gen)
	[ -n "$g" ] && [ "$g" -gt "$1" ]
}
# _impair_signal SIG: send SIG and wait for the statistics it writes.
_impair_signal() {
	local g
	g=$(_impair_gen)
	kill -"$1" "$IMPAIR_PID" || return 1
	wait_until 5 _impair_gen_gt "${g:-0}"
}
# impair_set OPTIONS...: replace the whole impairment set at run time.
impair_set() {
	printf '%s\n' "$*" >"$T/impair.ctl"
	_impair_signal USR1 || bail "impair did not apply: $*"
	grep -q 'settings unchanged' "$T/impair.err" && bail "impair refused: $*"
	return 0
}
impair_clear() { _impair_signal USR2 || bail "impair did not clear"; }
# impair_stats: refresh $T/impair.stats and print it.
impair_stats() {
	_impair_signal HUP || bail "impair wrote no statistics"
	cat "$T/impair.stats"
}
# impair_stat STATS DIR KEY: one figure (DIR up|down) from impair_stats output.
impair_stat() {
	printf '%s\n' "$1" | sed -n "s/^impair $2 .* $3=\([0-9]*\).*/\1/p"
}
# impair_stop: SIGTERM; asserts exit 0, leaves the final statistics in
# $T/impair.out (last block).
impair_stop() {
	[ -n "$IMPAIR_PID" ] || return 0
	kill -TERM "$IMPAIR_PID"
	wait "$IMPAIR_PID"
	check_eq "impair relay: SIGTERM -> exit 0 with statistics" 0 "$?"
	IMPAIR_PID=""
}

# ---- iperf3 -------------------------------------------------------------------------

# iperf_server NODE BIND_IP: a persistent iperf3 server, ready when listening.
iperf_server() {
	local node=$1 ip=$2
	ip netns exec "${NODE_NS[$node]:?unknown node $node}" iperf3 -s -B "$ip" -p "$IPERF_PORT" </dev/null \
		>"$T/iperf-srv-$node.log" 2>&1 &
	bg_track "$!"
	wait_until 10 iperf_listening "$node" || bail "iperf3 server on $node did not start"
}
iperf_listening() { nsx "$1" ss -Hltn "sport = :$IPERF_PORT" | grep -q LISTEN; }

# iperf_client KEY NODE DST ARGS...: iperf3 -J into $T/KEY.json, killed
# after IPERF_TIMEOUT seconds at most; returns iperf3's status.
IPERF_TIMEOUT=120
[ "$SOAK" = 1 ] && IPERF_TIMEOUT=$((${SUBNETRA_SOAK_SECS:-300} + 600))
iperf_client() {
	local key=$1 node=$2 dst=$3
	shift 3
	nsx "$node" timeout "$IPERF_TIMEOUT" iperf3 -c "$dst" -p "$IPERF_PORT" -J --connect-timeout 5000 "$@" \
		</dev/null >"$T/$key.json" 2>"$T/$key.err"
}
# iperf_get KEY SECTION FIELD: e.g. iperf_get base sum_sent retransmits.
# The JSON is flattened; SECTION is an object of "end" without nested objects.
iperf_get() {
	tr -d ' \t\r\n' <"$T/$1.json" | grep -o "\"$2\":{[^}]*}" | head -n 1 |
		grep -o "\"$3\":[-0-9.e+]*" | head -n 1 | cut -d: -f2
}
# iperf_mbps KEY: receiver throughput in Mbit/s (integer).
iperf_mbps() {
	local b
	b=$(iperf_get "$1" sum_received bits_per_second)
	[ -n "$b" ] || { echo 0; return; }
	awk -v b="$b" 'BEGIN { printf "%d\n", b / 1e6 }'
}
iperf_error() { tr -d '\r\n' <"$T/$1.json" | grep -o '"error":[^}]*' | head -n 1; }

# ---- an exact TCP transfer (perl-base is Essential on Debian) ---------------------------

# xfer_server KEY NODE IP PORT: accept one connection on IP:PORT and write
# everything it carries to $T/KEY.out; ready when it listens.
xfer_server() {
	local key=$1 node=$2
	ip netns exec "${NODE_NS[$node]:?unknown node $node}" timeout 120 perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(LocalAddr => $ARGV[0], LocalPort => $ARGV[1],
			Listen => 1, ReuseAddr => 1) or die "listen: $!\n";
		print STDERR "listening\n";
		my $c = $s->accept or die "accept: $!\n";
		open(my $f, ">", $ARGV[2]) or die "$ARGV[2]: $!\n";
		binmode $f;
		my ($b, $n);
		print $f $b while ($n = sysread($c, $b, 65536));
		die "read: $!\n" unless defined $n;
		close $f or die "close: $!\n";
		print STDERR "done\n";' "$3" "$4" "$T/$key.out" \
		</dev/null >/dev/null 2>"$T/$key.srv.err" &
	XFER_PID[$key]=$!
	bg_track "$!"
	wait_until 10 grep -q listening "$T/$key.srv.err" ||
		bail "transfer server on $node did not start: $(cat "$T/$key.srv.err")"
}
# xfer_send KEY NODE IP PORT FILE [BYTES_PER_SEC]: send FILE (paced to at
# most BYTES_PER_SEC if given, so a transfer lasts long enough to break
# something in the middle of it), half-close, and return once the server has
# closed (everything it will get has arrived).  Non-zero on any failure.
xfer_send() {
	local key=$1 node=$2 rc
	nsx "$node" timeout 120 perl -MIO::Socket::INET -e '
		my $c = IO::Socket::INET->new(PeerAddr => $ARGV[0], PeerPort => $ARGV[1],
			Timeout => 10) or die "connect: $!\n";
		open(my $f, "<", $ARGV[2]) or die "$ARGV[2]: $!\n";
		binmode $f;
		my ($b, $n);
		while (($n = sysread($f, $b, 16384))) {
			for (my $o = 0; $o < $n;) {
				my $w = syswrite($c, $b, $n - $o, $o);
				die "write: $!\n" unless defined $w;
				$o += $w;
			}
			# Pacing with perl-base only: a fixed pause per chunk.
			select(undef, undef, undef, $n / $ARGV[3]) if $ARGV[3];
		}
		shutdown($c, 1);
		sysread($c, $b, 1);' "$3" "$4" "$5" "${6:-0}" </dev/null >/dev/null 2>"$T/$key.cli.err"
	rc=$?
	# The server exits once the sender's FIN is read; a failed sender would
	# leave it in accept(): do not wait for that.  (No `wait`: this may run
	# in a subshell, where the server is not a child.)
	[ "$rc" -eq 0 ] || kill -TERM "${XFER_PID[$key]}" 2>/dev/null
	wait_until 10 not_alive "${XFER_PID[$key]}" || kill -KILL "${XFER_PID[$key]}" 2>/dev/null
	[ "$rc" -eq 0 ] && grep -qx 'done' "$T/$key.srv.err"
}
# same_file A B: identical size and SHA-256.
same_file() {
	[ "$(sha256sum <"$1")" = "$(sha256sum <"$2")" ]
}

not_alive() { ! proc_alive "$1"; }
# time_reached MS: now_ms >= MS (for wait_until).
time_reached() { [ "$(now_ms)" -ge "$1" ]; }

# ---- ICMP sequence numbers seen in a capture ------------------------------------------

# icmp_seqs FILE: the sequence number of every ICMP echo request in FILE.
icmp_seqs() {
	tcpdump -r "$1" -n 2>/dev/null | sed -n 's/.*ICMP echo request, id [0-9]*, seq \([0-9]*\),.*/\1/p'
}
