# shellcheck shell=bash
# Shared harness for the network-namespace scenarios (tests/netns/t_*.sh) and
# the demo acts (scripts/demo-v1.sh, demo-mesh.sh).  Source it; it defines
# functions and state, runs nothing.
#
# Topology: one namespace "$RUN-net" holds a bridge (br0); every node gets its
# own namespace "$RUN-<node>" whose eth0 is a veth into that bridge, on the
# 203.0.113.0/24 underlay.  RUN is "snr<pid>", so concurrent runs never
# collide.  Nothing is created outside those namespaces except one temp dir,
# and cleanup (trap EXIT, also on Ctrl-C) kills every process this script
# started, deletes every namespace and removes the temp dir.
#
# Output is TAP: ok/not_ok/check* each print exactly one "ok N - desc" or
# "not ok N - desc" line (plus "# ..." diagnostics on failure).  A scenario
# ends with `done_testing`, which exits 1 if any check failed.
#
# Requires root, iproute2, ping, tcpdump (scripts/deps.sh installs them).

set -u

SNR_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SNR_BUILD=${SUBNETRA_BUILD:-build}
case $SNR_BUILD in /*) ;; *) SNR_BUILD=$SNR_ROOT/$SNR_BUILD ;; esac
SUBNETRAD=$SNR_BUILD/subnetrad
SUBNETRA=$SNR_BUILD/subnetra
UDP_INJECT=$SNR_BUILD/tests/tools/udp_inject
# subnetra-mgmtd's newest schema version: the length of its migration list.
SCHEMA_NEWEST=$(grep -cE '^[[:space:]]*\{ \.version = [0-9]+,' "$SNR_ROOT/src/mgmt/schema.c")

RUN=snr$$
NET_NS=$RUN-net
HUB_PORT=18020
TUN=snr0
TUN_MTU=1436
T=""            # per-run temp dir (configs, logs, sockets, captures)
KEY_A="" KEY_B="" # per-run PSKs: hub<->A and hub<->B

declare -A NODE_NS=() NODE_IP=() NODE_PID=() NODE_LOG=() NODE_STARTS=() CAP_PID=()
NAMESPACES=()
BG_PIDS=()
ALL_LOGS=()
TAP_N=0
TAP_FAIL=0
WAIT_STEP=0.05 # readiness polling interval, seconds

# ---- TAP ------------------------------------------------------------------

# diag LINE...: each argument (may span lines) as "# " comment lines.
diag() {
	local arg line
	for arg in "$@"; do
		while IFS= read -r line; do printf '# %s\n' "$line"; done <<<"$arg"
	done
}
ok() {
	TAP_N=$((TAP_N + 1))
	printf 'ok %d - %s\n' "$TAP_N" "$*"
}
not_ok() {
	TAP_N=$((TAP_N + 1))
	TAP_FAIL=$((TAP_FAIL + 1))
	printf 'not ok %d - %s\n' "$TAP_N" "$*"
}
# check DESC CMD...: ok iff CMD exits 0 (its output is shown on failure).
check() {
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ]; then
		ok "$desc"
	else
		not_ok "$desc"
		diag "command: $* (exit $rc)"
		[ -n "$out" ] && diag "$(printf '%s\n' "$out" | head -n 20)"
	fi
	return "$rc"
}
# check_fails DESC CMD...: ok iff CMD exits non-zero (a negative case).
check_fails() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		not_ok "$desc"
		diag "command unexpectedly succeeded: $*"
		[ -n "$out" ] && diag "$(printf '%s\n' "$out" | head -n 20)"
		return 1
	fi
	ok "$desc"
}
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		diag "expected: '$2'" "got:      '$3'"
		return 1
	fi
}
_is_int() { [[ $1 =~ ^-?[0-9]+$ ]]; }
# check_ge DESC MIN ACTUAL / check_le DESC MAX ACTUAL (integers)
check_ge() {
	if _is_int "$3" && [ "$3" -ge "$2" ]; then
		ok "$1"
	else
		not_ok "$1"
		diag "expected >= $2, got '$3'"
		return 1
	fi
}
check_le() {
	if _is_int "$3" && [ "$3" -le "$2" ]; then
		ok "$1"
	else
		not_ok "$1"
		diag "expected <= $2, got '$3'"
		return 1
	fi
}
# check_match DESC ERE TEXT: some line of TEXT matches ERE.
check_match() {
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then
		ok "$1"
	else
		not_ok "$1"
		diag "no line matches /$2/ in:"
		diag "$(printf '%s\n' "$3" | head -n 30)"
		return 1
	fi
}
# bail MSG: a failure that makes the rest of the scenario meaningless.
bail() {
	not_ok "$*"
	exit 1
}
done_testing() {
	printf '1..%d\n' "$TAP_N"
	[ "$TAP_FAIL" -eq 0 ] || exit 1
	exit 0
}

# tap_relay PREFIX FILE: the ok/not ok lines of a helper's TAP-like output
# (FILE: "ok - D", "not ok - D", anything else a comment) as this
# scenario's checks, each described "PREFIXD".
tap_relay() {
	local line
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "$1${line#ok - }" ;;
		"not ok - "*) not_ok "$1${line#not ok - }" ;;
		*) diag "${line#\# }" ;;
		esac
	done <"$2"
}

# expect_rc DESC WANT CMD...: ok iff CMD exits WANT; its output stays in OUT.
OUT=""
expect_rc() {
	local desc=$1 want=$2 rc
	shift 2
	OUT=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -eq "$want" ]; then
		ok "$desc"
	else
		not_ok "$desc"
		diag "command: $*" "exit $rc, not $want" "$OUT"
	fi
}

# subnetra-mgmtd tests: http URL [CURL ARGS...] prints "CODE BODY" of one
# request (curl's errors in $T/curl.err; run in node HTTP_NODE's namespace
# when that is set); tls PATH [CURL ARGS...] is one on the admin listener
# $ADMIN, trusting the instance's certificate ADMIN_CA (default
# $T/tls-cert.pem).
http() {
	local url=$1
	shift
	${HTTP_NODE:+nsx "$HTTP_NODE"} curl -sS -o "$T/body" -w '%{http_code}' --max-time 20 \
		"$@" "$url" 2>"$T/curl.err"
	printf ' %s' "$(cat "$T/body" 2>/dev/null)"
}
tls() { http "https://$ADMIN$1" --cacert "${ADMIN_CA:-$T/tls-cert.pem}" "${@:2}"; }

# ---- small utilities --------------------------------------------------------

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
# A process that exists and is not a zombie.
proc_alive() {
	local st
	st=$(sed -n 's/^[0-9]* (.*) \([A-Za-z]\) .*/\1/p' "/proc/$1/stat" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
gen_key() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }
# Literal ASCII -> hex (for ping -p).
str_hex() { printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n'; }

# ---- topology -----------------------------------------------------------------

require_env() {
	[ "$(id -u)" -eq 0 ] || bail "netns scenarios need root"
	local t
	for t in ip ping tcpdump od; do
		command -v "$t" >/dev/null || bail "missing tool: $t (run scripts/deps.sh)"
	done
	[ -x "$SUBNETRAD" ] || bail "daemon not built: $SUBNETRAD"
	[ -x "$SUBNETRA" ] || bail "CLI not built: $SUBNETRA"
}
require_inject() {
	[ -x "$UDP_INJECT" ] || bail "test tool not built: $UDP_INJECT (make test-build)"
}

ns_add() {
	ip netns add "$1" || bail "ip netns add $1 failed"
	NAMESPACES+=("$1")
	ip -n "$1" link set lo up
	# No IPv6 at all: no link-local addresses, no ND/MLD chatter in the
	# captures and no stray packets on the TUN to disturb exact counters.
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1 || true
}

# topo_init: temp dir, traps, underlay bridge namespace, fresh keys.
topo_init() {
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM HUP
	T=$(mktemp -d "/tmp/$RUN.XXXXXX") || bail "mktemp failed"
	chmod 700 "$T"
	ns_add "$NET_NS"
	ip -n "$NET_NS" link add br0 type bridge || bail "cannot create bridge"
	ip -n "$NET_NS" link set br0 up
	KEY_A=$(gen_key)
	KEY_B=$(gen_key)
}

# wire_segments NS DEV: like a physical NIC, DEV puts single datagrams on the
# "wire".  A veth would otherwise carry the daemon's UDP GSO batches as one
# super-frame, and a capture would show several datagrams as one packet.
wire_segments() {
	ip -n "$1" link set "$2" gso_max_segs 1 || bail "cannot set gso_max_segs on $1/$2"
}

# topo_link NAME: NAME's existing namespace "$RUN-NAME" gets eth0, a veth
# into the bridge (its bridge end is v-NAME), up, without an address.
topo_link() {
	local name=$1 ns=$RUN-$1
	ip -n "$NET_NS" link add "v-$name" type veth peer name eth0 netns "$ns" ||
		bail "cannot create veth for $name"
	ip -n "$NET_NS" link set "v-$name" master br0 up
	wire_segments "$NET_NS" "v-$name"
	wire_segments "$ns" eth0
	ip -n "$ns" link set eth0 up
	NODE_NS[$name]=$ns
}

# topo_add_node NAME IP: namespace "$RUN-NAME", eth0 = IP/24 bridged into the underlay.
topo_add_node() {
	local name=$1 ip=$2 ns=$RUN-$1
	ns_add "$ns"
	topo_link "$name"
	ip -n "$ns" addr add "$ip/24" dev eth0
	NODE_IP[$name]=$ip
}

# topo_standard [evil]: hub 203.0.113.1, a .2, b .3 (and evil .66), underlay reachable.
# topo_add_isolated NAME: a node namespace with loopback only (no underlay),
# for a daemon that only needs its control socket.
topo_add_isolated() {
	ns_add "$RUN-$1"
	NODE_NS[$1]=$RUN-$1
}

# shellcheck disable=SC2120 # its one argument is optional
topo_standard() {
	local n
	topo_init
	topo_add_node hub 203.0.113.1
	topo_add_node a 203.0.113.2
	topo_add_node b 203.0.113.3
	[ "${1:-}" = evil ] && topo_add_node evil 203.0.113.66
	for n in a b ${1:+evil}; do
		wait_until 10 nsx "$n" ping -c1 -W1 "${NODE_IP[hub]}" ||
			bail "underlay: $n cannot reach the hub at ${NODE_IP[hub]}"
	done
}

nsx() {
	local ns=${NODE_NS[$1]:?unknown node $1}
	shift
	ip netns exec "$ns" "$@"
}

# ---- configs --------------------------------------------------------------------
# EXTRA is a JSON fragment of top-level members without a trailing comma,
# e.g. '"obfuscate": false, "keepalive_secs": 0'.  Files are written 0600.

write_hub_config() {
	local out=$1 extra=${2:-}
	(
		umask 077
		cat >"$out" <<EOF
{
  "role": "hub",
  "virtual_subnet": "10.0.0.0/24",
  "local_id": 1,
  "listen_ports": [$HUB_PORT],${extra:+
  $extra,}
  "peers": [
    { "id": 2, "endpoint": "203.0.113.2:18020", "allowed_src": "10.0.0.2/32", "psk": "$KEY_A" },
    { "id": 3, "endpoint": "203.0.113.3:18020", "allowed_src": "10.0.0.3/32", "psk": "$KEY_B" }
  ]
}
EOF
	)
}

# write_spoke_config OUT ID KEY [EXTRA]: spoke ID owns 10.0.0.ID.
write_spoke_config() {
	local out=$1 id=$2 key=$3 extra=${4:-}
	(
		umask 077
		cat >"$out" <<EOF
{
  "role": "spoke",
  "virtual_subnet": "10.0.0.0/24",
  "local_id": $id,
  "local_tun_ip": "10.0.0.$id/24",
  "local_routes": ["10.0.0.$id/32"],${extra:+
  $extra,}
  "peers": [
    { "id": 1, "endpoint": "203.0.113.1:$HUB_PORT", "allowed_src": "10.0.0.0/24", "psk": "$key" }
  ]
}
EOF
	)
}

# write_mesh_configs [HUB_EXTRA] [SPOKE_EXTRA]: $T/hub.json, $T/a.json, $T/b.json.
write_mesh_configs() {
	write_hub_config "$T/hub.json" "${1:-}"
	write_spoke_config "$T/a.json" 2 "$KEY_A" "${2:-}"
	write_spoke_config "$T/b.json" 3 "$KEY_B" "${2:-}"
}

# ---- daemons ----------------------------------------------------------------------

node_sock() { echo "$T/$1.sock"; }

# node_plan NAME CONFIG: the commands of the network plan subnetrad prints
# for CONFIG (comments and blank lines dropped), one per line.
node_plan() {
	nsx "$1" env SUBNETRA_TUN="$TUN" "$SUBNETRAD" --print-network-plan --config "$2" \
		2>/dev/null | grep -v -e '^#' -e '^$'
}

# iface_matches_plan NAME CONFIG: NAME's TUN is as the printed plan says --
# its MTU, up, the address, every route through it.  Prints each
# difference; 1 if there is any.
iface_matches_plan() {
	local ns=${NODE_NS[$1]:?unknown node $1} conf=$2 link addrs cmd n=0 bad=0
	local up='[<,]UP[,>]'
	local -a w
	link=$(ip -n "$ns" -o link show dev "$TUN" 2>&1) || {
		echo "$TUN: $link"
		return 1
	}
	addrs=$(ip -n "$ns" -4 -o addr show dev "$TUN")
	while read -r cmd; do
		read -ra w <<<"$cmd"
		n=$((n + 1))
		case "${w[1]} ${w[2]}" in
		"link set") # ip link set TUN mtu N up
			[[ $link == *" mtu ${w[5]} "* ]] || { echo "not mtu ${w[5]}: $link"; bad=1; }
			[[ $link =~ $up ]] || { echo "not up: $link"; bad=1; }
			;;
		"addr replace") # ip addr replace A/P dev TUN
			[[ $addrs == *" inet ${w[3]} "* ]] || { echo "no address ${w[3]}: $addrs"; bad=1; }
			;;
		"route replace") # ip route replace DST dev TUN
			[ -n "$(ip -n "$ns" -4 route show exact "${w[3]}" dev "$TUN")" ] ||
				{ echo "no route ${w[3]} dev $TUN: $(ip -n "$ns" -4 route)"; bad=1; }
			;;
		*)
			echo "unexpected plan line: $cmd"
			bad=1
			;;
		esac
	done < <(node_plan "$1" "$conf")
	[ "$n" -gt 0 ] || { echo "no plan printed for $conf"; bad=1; }
	return "$bad"
}

# apply_plan NAME CONFIG: run the printed plan in NAME's namespace, as an
# operator with "configure_interface": false does; 1 if a command failed.
apply_plan() {
	local cmd
	while read -r cmd; do
		nsx "$1" sh -c "$cmd" || return 1
	done < <(node_plan "$1" "$2")
}

# start_node NAME CONFIG: run subnetrad in NAME's namespace and wait for its
# [ready] banner (bail with the log if it dies or times out).  The daemon
# sets up its TUN itself (address, MTU, up, routes); start_node checks that
# the result is what --print-network-plan prints, and bails otherwise.  A
# config with "configure_interface": false gets a bare TUN: the scenario
# applies the plan (apply_plan) if it wants one.
start_node() {
	local name=$1 conf=$2 ns=${NODE_NS[$1]:?unknown node $1} n log pid deadline out
	n=$((${NODE_STARTS[$name]:-0} + 1))
	NODE_STARTS[$name]=$n
	log=$T/$name.$n.log
	NODE_LOG[$name]=$log
	ALL_LOGS+=("$log")
	: >"$log" # exists before the poll below reads it
	ip netns exec "$ns" env SUBNETRA_SOCK="$(node_sock "$name")" SUBNETRA_TUN="$TUN" \
		"$SUBNETRAD" --config "$conf" </dev/null >"$log" 2>&1 &
	pid=$!
	NODE_PID[$name]=$pid
	deadline=$(($(now_ms) + 10000))
	until grep -q '\[ready\]' "$log"; do
		if ! proc_alive "$pid"; then
			wait "$pid"
			local rc=$?
			unset "NODE_PID[$name]"
			diag "$name log:" "$(tail -n 20 "$log")"
			bail "$name: subnetrad exited with status $rc before printing [ready]"
		fi
		if [ "$(now_ms)" -ge "$deadline" ]; then
			diag "$name log:" "$(tail -n 20 "$log")"
			bail "$name: no [ready] banner within 10 s"
		fi
		sleep "$WAIT_STEP"
	done
	# No IPv6 on the overlay: the kernel's router solicitations would land in
	# drop_tun_not_ipv4 at a timing-dependent count and blur exact counters.
	# (ns_add made it the namespace's default before the TUN existed.)
	if [ -e "/proc/sys/net/ipv6/conf/all/disable_ipv6" ]; then
		ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$TUN.disable_ipv6=1" ||
			bail "$name: cannot disable IPv6 on $TUN"
	fi
	grep -Eq '"configure_interface": *false' "$conf" && return 0
	out=$(iface_matches_plan "$name" "$conf") || {
		diag "$name: $TUN differs from its printed plan:" "$out" "$(tail -n 5 "$log")"
		bail "$name: subnetrad did not set up $TUN as --print-network-plan says"
	}
	return 0
}

# sanitizer_check NAME LOG: one check under an ASan build; a report in a log
# of any build is always a failure.
sanitizer_check() {
	local name=$1 log=$2
	if grep -qE 'AddressSanitizer|LeakSanitizer|ThreadSanitizer|runtime error:' "$log"; then
		not_ok "$name: sanitizer report in daemon log"
		diag "$(grep -E -A 12 'AddressSanitizer|LeakSanitizer|ThreadSanitizer|runtime error:' "$log" | head -n 30)"
		return 1
	fi
	case $SNR_BUILD in
	*asan* | *tsan*) ok "$name: no sanitizer report" ;;
	esac
	return 0
}

# stop_node NAME: SIGTERM, wait up to 10 s, assert exit status 0 and a clean log.
stop_node() {
	local name=$1 pid=${NODE_PID[$1]:-} rc deadline
	if [ -z "$pid" ]; then
		not_ok "$name: stop requested but no daemon is running"
		return 1
	fi
	kill -TERM "$pid" 2>/dev/null
	deadline=$(($(now_ms) + 10000))
	while proc_alive "$pid"; do
		if [ "$(now_ms)" -ge "$deadline" ]; then
			kill -KILL "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			unset "NODE_PID[$name]"
			not_ok "$name: still running 10 s after SIGTERM (killed)"
			diag "$(tail -n 20 "${NODE_LOG[$name]}")"
			return 1
		fi
		sleep "$WAIT_STEP"
	done
	wait "$pid"
	rc=$?
	unset "NODE_PID[$name]"
	check_eq "$name: SIGTERM -> clean exit (status 0)" 0 "$rc" ||
		diag "$(tail -n 20 "${NODE_LOG[$name]}")"
	sanitizer_check "$name" "${NODE_LOG[$name]}" && [ "$rc" -eq 0 ]
}

node_running() { [ -n "${NODE_PID[$1]:-}" ] && proc_alive "${NODE_PID[$1]}"; }

# cli NAME ARGS...: the control tool inside NAME's namespace (the client's
# abstract autobind address is per namespace).
cli() {
	local name=$1
	shift
	nsx "$name" env SUBNETRA_SOCK="$(node_sock "$name")" "$SUBNETRA" "$@"
}

# status_json NAME: `status --json` with all whitespace removed (no peer names
# are configured by these tests, so no string contains a space).
status_json() {
	local out
	out=$(cli "$1" status --json) || return 1
	printf '%s' "$out" | tr -d ' \t\r\n'
}
# json_get JSON KEY: the first scalar value of "KEY" (strings keep their quotes).
json_get() {
	printf '%s' "$1" | grep -o "\"$2\":[^,}]*" | head -n 1 | cut -d: -f2-
}
# json_peer JSON ID: the flat peer object {"id":ID,...}.
json_peer() {
	printf '%s' "$1" | grep -o "{\"id\":$2,[^}]*}" | head -n 1
}
# counter NODE NAME: one counter from a live `status --json`.
counter() {
	local j
	j=$(status_json "$1") || return 1
	json_get "$j" "$2"
}
# delta BEFORE AFTER NAME: AFTER[NAME] - BEFORE[NAME] for two status_json snapshots.
delta() {
	local a b
	a=$(json_get "$1" "$3")
	b=$(json_get "$2" "$3")
	if _is_int "$a" && _is_int "$b"; then
		echo $((b - a))
	else
		echo "missing($3)"
	fi
}
# counter_names: every counter, in struct order, from the single source of truth.
counter_names() {
	sed -n 's/^[[:space:]]*X(\([a-z0-9_]*\)).*/\1/p' "$SNR_ROOT/src/core/counters.h"
}
# drop_total JSON: sum of all drop_* counters.
drop_total() {
	local v sum=0
	for v in $(printf '%s' "$1" | grep -o '"drop_[a-z0-9_]*":[0-9]*' | cut -d: -f2); do
		sum=$((sum + v))
	done
	echo "$sum"
}
# counter_ge NODE NAME MIN: for wait_until.
counter_ge() {
	local v
	v=$(counter "$1" "$2") && _is_int "$v" && [ "$v" -ge "$3" ]
}

# ---- traffic and captures ------------------------------------------------------------

# ping_received NODE ARGS...: runs ping, prints the number of replies.
ping_received() {
	local node=$1 out n
	shift
	out=$(nsx "$node" ping "$@" 2>&1)
	n=$(printf '%s\n' "$out" | sed -n 's/.* \([0-9][0-9]*\) \(packets \)\{0,1\}received.*/\1/p')
	echo "${n:-0}"
}
# ping_ok NODE DST: one reply within 1 s (for wait_until).
ping_ok() { nsx "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1; }

# bg_track PID: kill PID at cleanup.  Background real commands (ip netns exec
# ... &), not shell functions, so that PID is the process itself.
bg_track() { BG_PIDS+=("$1"); }

# cap_start KEY NODE IFACE [FILTER...]: tcpdump into $T/KEY.pcap, ready when it listens.
cap_start() {
	local key=$1 node=$2 ifc=$3 pid
	shift 3
	# Not through nsx: $! must be tcpdump itself (ip netns exec execs in
	# place; a backgrounded shell function would be a subshell that never
	# passes SIGINT on).
	ip netns exec "${NODE_NS[$node]:?unknown node $node}" tcpdump --immediate-mode -B 8192 -Z root -n -U -i "$ifc" \
		-w "$T/$key.pcap" "$@" </dev/null >/dev/null 2>"$T/$key.tcpdump.err" &
	pid=$!
	CAP_PID[$key]=$pid
	bg_track "$pid"
	wait_until 10 grep -q 'listening on' "$T/$key.tcpdump.err" ||
		bail "tcpdump on $node/$ifc did not start: $(cat "$T/$key.tcpdump.err")"
}
cap_stop() {
	local key=$1 pid=${CAP_PID[$1]:-} size last=-1 stable=0 deadline
	[ -n "$pid" ] || return 0
	# tcpdump exits on SIGINT without draining what the kernel still holds
	# for it: under load the tail of a capture would be lost.  Wait (at most
	# 3 s) until the file has stopped growing for 200 ms.
	deadline=$(($(now_ms) + 3000))
	while [ "$stable" -lt 4 ] && [ "$(now_ms)" -lt "$deadline" ]; do
		size=$(stat -c %s "$T/$key.pcap" 2>/dev/null || echo 0)
		if [ "$size" = "$last" ]; then stable=$((stable + 1)); else stable=0; fi
		last=$size
		sleep "$WAIT_STEP"
	done
	kill -INT "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	unset "CAP_PID[$key]"
	if grep -q '[1-9][0-9]* packets dropped by kernel' "$T/$key.tcpdump.err"; then
		diag "warning: capture $key dropped packets: $(tr '\n' ' ' <"$T/$key.tcpdump.err")"
	fi
}
cap_file() { echo "$T/$1.pcap"; }
# pcap_marker_count FILE STRING: occurrences of STRING in the raw capture bytes.
pcap_marker_count() {
	LC_ALL=C grep -a -o -F -- "$2" "$1" 2>/dev/null | wc -l
}
# pcap_count FILE: packets of any kind in a capture.
pcap_count() { tcpdump -r "$1" -nn 2>/dev/null | wc -l; }
pcap_count_ge() { [ "$(pcap_count "$1")" -ge "$2" ]; }
# pcap_udp FILE: one line per UDP datagram "SRC:P DST:P LEN HEADER_HEX".
pcap_udp() { "$UDP_INJECT" --pcap-dump "$1"; }
pcap_udp_count() { pcap_udp "$1" 2>/dev/null | wc -l; }
pcap_udp_count_ge() { [ "$(pcap_udp_count "$1")" -ge "$2" ]; }

# inject NODE ARGS...: udp_inject from NODE's namespace.
inject() {
	local node=$1
	shift
	nsx "$node" "$UDP_INJECT" "$@"
}

# ---- cleanup ----------------------------------------------------------------------------

cleanup() {
	local rc=$? p ns i deadline log
	trap - EXIT INT TERM HUP
	for p in "${NODE_PID[@]}" "${BG_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	deadline=$(($(now_ms) + 5000))
	for p in "${NODE_PID[@]}" "${BG_PIDS[@]}"; do
		while proc_alive "$p" && [ "$(now_ms)" -lt "$deadline" ]; do sleep "$WAIT_STEP"; done
		proc_alive "$p" && kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	for ((i = ${#NAMESPACES[@]} - 1; i >= 0; i--)); do
		ns=${NAMESPACES[$i]}
		# Only our uniquely named namespaces: whatever still runs there is ours.
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	if [ "$TAP_FAIL" -gt 0 ] || [ "$rc" -ne 0 ]; then
		for log in "${ALL_LOGS[@]}"; do
			[ -s "$log" ] || continue
			diag "--- $(basename "$log") (last 15 lines) ---" "$(tail -n 15 "$log")"
		done
	fi
	if [ -n "$T" ] && [ -d "$T" ]; then
		if [ -n "${SNR_KEEP:-}" ]; then
			diag "kept $T"
		else
			rm -rf "$T"
		fi
	fi
	exit "$rc"
}
