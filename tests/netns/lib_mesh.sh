# shellcheck shell=bash
# Mesh-mode helpers for the netns scenarios (t_mesh_*.sh), on top of lib.sh:
# a node per namespace with IPv6 and an identity, its LAN-only config, the
# daemon started and polled for [ready], and the peer objects of its status.

declare -A ADDR=() PK=() MESH_EXTRA=() MESH_LAN=() MESH_STATE=()
PORT=5582

# mesh_bridge_init: the "internet" bridge, multicast snooping off (beacons
# reach every port).
mesh_bridge_init() {
	topo_init
	ip -n "$NET_NS" link set br0 type bridge mcast_snooping 0 || bail "cannot turn off mcast_snooping"
}

# mesh_hosts_init NAME: mesh_bridge_init, and HOSTS, the hosts file of NAME's
# namespace (/etc/netns/$RUN-NAME/hosts: ip netns exec bind-mounts it over
# /etc/hosts), its directory made; it is outside $T, so it goes on exit
# whatever happens.  block: the lines of its subnetra block.
mesh_hosts_init() {
	mesh_bridge_init
	HOSTS_DIR=/etc/netns/$RUN-$1
	HOSTS=$HOSTS_DIR/hosts
	trap 'rc=$?; rm -rf "$HOSTS_DIR"; (exit $rc); cleanup' EXIT
	mkdir -p "$HOSTS_DIR"
}
block() { sed -n '/^# BEGIN subnetra mesh hosts/,/^# END subnetra mesh hosts/p' "$HOSTS" | sed '1d;$d'; }
block_has() { block | grep -qx "$1"; }
block_lacks() { ! block | grep -q "$1"; }

# mesh_ipv6_on NS NAME: IPv6 back on in NS (ns_add turns it off), DAD off,
# so that the TUN gets its fc94 address at once.
mesh_ipv6_on() {
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 \
		net.ipv6.conf.default.disable_ipv6=0 net.ipv6.conf.lo.disable_ipv6=0 \
		net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 >/dev/null ||
		bail "$2: cannot enable IPv6"
}

# mesh_identity NAME: `subnetra identity new` into $T/NAME.id (what it
# printed in $T/NAME.id.out); its address in ADDR[NAME], its key in PK[NAME].
mesh_identity() {
	local name=$1
	"$SUBNETRA" identity new --out "$T/$name.id" >"$T/$name.id.out" 2>&1 ||
		bail "$name: identity new failed: $(cat "$T/$name.id.out")"
	ADDR[$name]=$(sed -n 's/^address //p' "$T/$name.id")
	PK[$name]=$(sed -n 's/^public-key //p' "$T/$name.id")
	[ -n "${ADDR[$name]}" ] || bail "$name: no address in its identity file"
}

# mesh_node NAME [IP]: a namespace with IPv6 on, eth0 bridged into the LAN
# with its link-local address (and IP/24 when given); an identity.
mesh_node() {
	local name=$1 ip=${2:-} ns=$RUN-$1
	ns_add "$ns"
	mesh_ipv6_on "$ns" "$name"
	topo_link "$name"
	if [ -n "$ip" ]; then
		ip -n "$ns" addr add "$ip/24" dev eth0
		NODE_IP[$name]=$ip
	fi
	mesh_identity "$name"
}

# mesh_config NAME WHITELISTED...: a mesh config, hostname node-NAME, LAN
# discovery MESH_LAN[NAME] (default true), state_dir MESH_STATE[NAME]
# (default $T/NAME.state: never the host's /var/lib/subnetra);
# MESH_EXTRA[NAME] holds more fields, such as bases (each line ending in ",").
mesh_config() {
	local name=$1 list="" a
	shift
	for a in "$@"; do list+="${list:+, }\"${ADDR[$a]}\""; done
	(
		umask 077
		cat >"$T/$name.json" <<JSON
{
  "mode": "mesh",
  "identity_file": "$T/$name.id",
  "listen_port": $PORT,
  "hostname": "node-$name",
  "lan_discovery": ${MESH_LAN[$name]:-true},
  "state_dir": "${MESH_STATE[$name]:-$T/$name.state}",
  ${MESH_EXTRA[$name]:-}
  "whitelist": [$list]
}
JSON
	)
}

# mesh_base_config NAME: NAME's config as a base server (its identity
# $T/NAME.id, UDP port PORT, the other fields' defaults).
mesh_base_config() {
	(
		umask 077
		printf '{ "mode": "base", "identity_file": "%s", "udp_port": %s }\n' \
			"$T/$1.id" "$PORT" >"$T/$1.json"
	)
}

# start_mesh NAME: the daemon, up when it printed [ready]; its log appended
# to (a restart keeps the first run's lines).
start_mesh() {
	local name=$1 ns=$RUN-$1 log pid before
	log=$T/$name.log
	[ -e "$log" ] || ALL_LOGS+=("$log")
	NODE_LOG[$name]=$log
	touch "$log"
	before=$(grep -c '\[ready\]' "$log")
	ip netns exec "$ns" env SUBNETRA_SOCK="$(node_sock "$name")" SUBNETRA_TUN="$TUN" \
		"$SUBNETRAD" --config "$T/$name.json" </dev/null >>"$log" 2>&1 &
	pid=$!
	NODE_PID[$name]=$pid
	wait_until 10 ready_count_gt "$log" "$before" || {
		diag "$name log:" "$(tail -n 20 "$log")"
		bail "$name: subnetrad did not print [ready]"
	}
}

# ready_count_gt LOG N: LOG holds more than N [ready] lines.
ready_count_gt() { [ "$(grep -c '\[ready\]' "$1")" -gt "$2" ]; }

# linklocal_ready NAME: eth0 has a usable (not tentative) link-local address.
linklocal_ready() {
	ip -n "$RUN-$1" -6 addr show dev eth0 scope link | grep -q 'inet6 fe80' &&
		! ip -n "$RUN-$1" -6 addr show dev eth0 | grep -q tentative
}

# peer_obj NODE PEER: PEER's object in NODE's status --json.
peer_obj() {
	local j
	j=$(status_json "$1") || return 1
	printf '%s' "$j" | grep -o "{\"address\":\"${ADDR[$2]}\"[^}]*}" | head -n 1
}
# peer_up NODE PEER: NODE lists PEER with a completed handshake.
peer_up() { peer_obj "$1" "$2" | grep -q '"last_handshake_age_s":[0-9]'; }
# peer_path NODE PEER PATH: NODE's status gives PEER the path PATH.
peer_path() { peer_obj "$1" "$2" | grep -q "\"path\":\"$3\""; }
# registered NODE: NODE's home base has registered it.
registered() { status_json "$1" | grep -q '"state":"registered","home":true'; }

# ---- the NAT lab (research/mesh-design.md §5.1) ----------------------------------
# Home routers on the "public" bridge (topo_init's br0), each with a LAN of
# its own behind it holding one node: t_mesh_nat.sh and scripts/demo-mesh.sh.
#
#   NODE 10.0.x.2 --lan-- ROUTER 10.0.x.1 | WAN_IP[ROUTER] -- br0 -- the base
#
# Callers set BASE_IP, WAN_IP[ROUTER] and LAN_NET[ROUTER] (e.g. 10.0.1).
declare -A WAN_IP=() LAN_NET=()

# nat_lab_init: the tools, the bridge (multicast snooping off), the
# routers' WAN addresses and LANs (ra, rb).
nat_lab_init() {
	require_env
	command -v nft >/dev/null || bail "nft (nftables) is needed"
	command -v conntrack >/dev/null || bail "conntrack is needed (scripts/deps.sh)"
	mesh_bridge_init
	WAN_IP=([ra]=203.0.113.1 [rb]=203.0.113.2)
	LAN_NET=([ra]=10.0.1 [rb]=10.0.2)
}

# nat_lab_pair: node a behind router rA and node b behind rB, both routers
# home-router NATs (nat_rules) on the public bridge.
nat_lab_pair() {
	nat_router ra
	nat_router rb
	nat_node a ra
	nat_node b rb
	nat_rules ra
	nat_rules rb
}

# nat_lab_up: the whole one-base lab: the base at BASE_IP (203.0.113.10)
# on the public bridge, nodes a and b behind rA and rB (nat_lab_pair), their
# configs (each other on the whitelist) and the base's; both reach the base.
nat_lab_up() {
	BASE_IP=203.0.113.10
	mesh_node base $BASE_IP
	nat_lab_pair
	mesh_base_config base
	nat_lab_config a b
	nat_lab_config b a
	wait_until 10 nsx a ping -c1 -W1 "$BASE_IP" || bail "underlay: a cannot reach the base through rA"
	wait_until 10 nsx b ping -c1 -W1 "$BASE_IP" || bail "underlay: b cannot reach the base through rB"
}

# nat_lab_config NAME PEER...: NAME's config for the NAT lab: the base at
# BASE_IP (its key PK[base]) as its only base, no LAN discovery, PEERs on
# its whitelist.
nat_lab_config() {
	local name=$1
	MESH_LAN[$name]=false
	MESH_EXTRA[$name]="\"bases\": [ { \"host\": \"$BASE_IP\", \"udp_port\": $PORT, \"public_key\": \"${PK[base]}\" } ],"
	mesh_config "$@"
}

# nat_router NAME: namespace $RUN-NAME, eth0 on the WAN bridge with
# WAN_IP[NAME], forwarding on.  nat_rules gives it its NAT and firewall.
nat_router() {
	local name=$1 ns=$RUN-$1
	ns_add "$ns"
	topo_link "$name"
	ip -n "$ns" addr add "${WAN_IP[$name]}/24" dev eth0
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 >/dev/null || bail "$name: no forwarding"
}

# nat_rules NAME [fully-random]: a home router's tables (replacing any
# earlier ones): masquerade out of eth0, and forward and input chains with
# policy drop that let in only what the LAN asked for (ct established,
# related), so unsolicited inbound from the WAN is dropped.
nat_rules() {
	local ns=$RUN-$1
	ip netns exec "$ns" nft delete table ip nat 2>/dev/null
	ip netns exec "$ns" nft delete table inet fw 2>/dev/null
	ip netns exec "$ns" nft -f - <<NFT || bail "$1: nft failed"
table ip nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "eth0" masquerade ${2:-}
	}
}
table inet fw {
	chain filter_fwd {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		iifname "lan" oifname "eth0" counter accept
	}
	chain filter_in {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		iifname "lan" accept
	}
}
NFT
	ip netns exec "$ns" conntrack -F >/dev/null 2>&1
}

# nat_node NAME ROUTER: a node namespace (IPv6 on for the TUN), eth0 a veth
# into ROUTER's "lan", .2 of ROUTER's LAN, default route via .1; an identity.
nat_node() {
	local name=$1 r=$2 ns=$RUN-$1
	ns_add "$ns"
	NODE_NS[$name]=$ns
	mesh_ipv6_on "$ns" "$name"
	ip link add eth0 netns "$ns" type veth peer name lan netns "$RUN-$r" ||
		bail "$name: cannot create its veth"
	wire_segments "$ns" eth0
	wire_segments "$RUN-$r" lan
	ip -n "$RUN-$r" addr add "${LAN_NET[$r]}.1/24" dev lan
	ip -n "$RUN-$r" link set lan up
	ip -n "$ns" addr add "${LAN_NET[$r]}.2/24" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" route add default via "${LAN_NET[$r]}.1" || bail "$name: no default route"
	NODE_IP[$name]=${LAN_NET[$r]}.2
	mesh_identity "$name"
}

# nat_break_on ROUTER PEER_WAN: ROUTER drops the UDP it would forward to
# PEER_WAN (a direct path to the node behind it), not what goes to the
# base; table inet snrbreak.  nat_break_off removes it; nat_break_count
# prints how many datagrams it dropped.
nat_break_on() {
	ip netns exec "$RUN-$1" nft -f - <<NFT || bail "$1: break rule failed"
table inet snrbreak {
	chain fwd_break {
		type filter hook forward priority filter - 10; policy accept;
		ip daddr $2 meta l4proto udp counter drop
	}
}
NFT
}
nat_break_off() { ip netns exec "$RUN-$1" nft delete table inet snrbreak; }
nat_break_count() {
	ip netns exec "$RUN-$1" nft list table inet snrbreak | sed -n 's/.*counter packets \([0-9]*\).*/\1/p'
}

# both_path A B PATH: A gives B the path PATH and B gives A the same.
both_path() { peer_path "$1" "$2" "$3" && peer_path "$2" "$1" "$3"; }
# relayed_because NODE PEER: PEER's "relayed_because" in NODE's status
# --json, as JSON (a quoted string, its spaces kept, or null).
relayed_because() {
	cli "$1" status --json | grep -o "{\"address\":\"${ADDR[$2]}\"[^}]*}" |
		grep -o '"relayed_because":[^,]*' | cut -d: -f2-
}

# max_gap FILE INTERVAL_MS COUNT: the longest time without replies in a ping
# log of COUNT requests (runs of missing icmp_seq, times the interval), in ms.
max_gap() {
	sed -n 's/.*bytes from .*icmp_seq=\([0-9]*\).*/\1/p' "$1" | sort -n | awk -v iv="$2" -v n="$3" '
		BEGIN { prev = 0; gap = 1 }
		$1 - prev > gap { gap = $1 - prev }
		{ prev = $1 }
		END { if (n + 1 - prev > gap) gap = n + 1 - prev; print (gap - 1) * iv }'
}

# ---- a ping across an event: started, stopped, and its gaps ---------------------
# ping_start NODE NAME DST: ping -6 -D -i 0.2 -W 1 DST without end, in the
# background, its log in $T/NAME.ping, its pid in PING_PID.
ping_start() {
	ip netns exec "${NODE_NS[$1]}" ping -6 -D -i 0.2 -W 1 "$3" >"$T/$2.ping" 2>&1 &
	PING_PID=$!
	bg_track "$PING_PID"
}
# ping_stop: end it with SIGINT (it prints its summary).
ping_stop() {
	kill -INT "$PING_PID" 2>/dev/null
	wait "$PING_PID" 2>/dev/null
}
# ping_seqs FILE: the icmp_seq of every reply, sorted, each once.
ping_seqs() { sed -n 's/.*bytes from .*icmp_seq=\([0-9]*\).*/\1/p' "$1" | sort -nu; }
# ping_last FILE: the highest icmp_seq answered (0: none yet).
ping_last() { ping_seqs "$1" | awk '{ l = $1 } END { print l + 0 }'; }
# ping_last_ge FILE N: a request numbered N or later was answered (for wait_until).
ping_last_ge() { [ "$(ping_last "$1")" -ge "$2" ]; }
# ping_resumed FILE SEQ K: after SEQ, K requests answered in a row since the
# last unanswered one (for wait_until: traffic resumed after an event at SEQ).
ping_resumed() {
	ping_seqs "$1" | awk -v e="$2" -v k="$3" '
		$1 > e && prev >= e && $1 != prev + 1 { miss = $1 - 1 }
		{ prev = $1 }
		END { base = miss > e ? miss : e; exit !(prev - base >= k) }'
}
# ping_gaps FILE: "RUNS LONGEST": how many runs of unanswered requests come
# before the last reply, and the longest run's length (requests).
ping_gaps() {
	ping_seqs "$1" | awk 'BEGIN { prev = 0 }
		$1 > prev + 1 { r++; if ($1 - prev - 1 > m) m = $1 - prev - 1 }
		{ prev = $1 }
		END { print r + 0, m + 0 }'
}

# mesh_done NAME...: stop those daemons, check that no log shows a seccomp
# violation, end the TAP output.
mesh_done() {
	local n log
	for n in "$@"; do stop_node "$n"; done
	for log in "${ALL_LOGS[@]}"; do
		check_fails "$(basename "$log"): no seccomp violation" grep -q 'seccomp: forbidden' "$log"
	done
	done_testing
}
