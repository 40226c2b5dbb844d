# shellcheck shell=bash disable=SC2034 # sets the variables lib.sh reads
# Systems "mesh-direct" and "mesh-relay": mesh mode (fc94 IPv6 overlay,
# Noise sessions), on the same underlay and with the same workloads as the
# v1 systems.
#
#   mesh-direct:  node a --> node hub, introduced by a base in ns b; the
#                 run starts once a's status shows the peer "direct" (over
#                 the IPv4 underlay, like the v1 systems; LAN discovery is
#                 off: its beacons would make the path IPv6 link-local).
#   mesh-relay:   node a --> base (in ns hub) --> node b; nft in a and b
#                 drops every UDP datagram between them, so the path stays
#                 "relay-udp" (checked before and after the workloads).
#   mesh-flood:   mesh-direct, TCP 1 stream only, while meshload in ns b
#                 sends MESH_FLOOD_RATE (default 50,000) forged HS_INITs per
#                 second (valid mac1) at hub's node; records the node's
#                 cookie_replies_sent and drop_mesh_hs_* counters.  Its
#                 tcp1_gbps over mesh-direct's is the flood row.
#
# Every node gets a fresh identity each time a system comes up, lists the
# other on its whitelist, and has "mtu": 1400 (the mesh maximum).  Inner
# packets are IPv6, so the UDP flood sends MESH_UDP_LEN = 1352-byte
# datagrams (1400 - 48: one unfragmented inner packet), not 1400.
# IPv6 (off in every bench namespace) is turned on in a, hub and b while a
# mesh system runs, and off again after.

MESH_PORT=5582
MESH_MTU=1400
MESH_UDP_LEN=$((MESH_MTU - 48))
declare -A MESH_ADDR=() MESH_PID=()
BG_BASE_PID="" # mesh-direct's base: not a daemon of the data path

mesh_ipv6() {
	local n v=$1
	for n in a hub b; do
		# DAD off first: the link-local address is usable at once.
		nsx "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.eth0.accept_dad=0 net.ipv6.conf.all.disable_ipv6="$v" \
			net.ipv6.conf.default.disable_ipv6="$v" net.ipv6.conf.lo.disable_ipv6="$v" \
			net.ipv6.conf.eth0.disable_ipv6="$v" >/dev/null || die "$n: cannot set disable_ipv6=$v"
	done
	[ "$v" = 1 ] && return 0
	# LAN beacons go from the link-local address (the underlay's 198.18/15
	# is not private, so the IPv4 beacons are refused by design).
	for n in a hub b; do
		wait_until 10 mesh_linklocal_ready "$n" || die "$n: no link-local IPv6 address on eth0"
	done
}
mesh_linklocal_ready() {
	nsx "$1" ip -6 addr show dev eth0 scope link | grep -q 'inet6 fe80' &&
		! nsx "$1" ip -6 addr show dev eth0 | grep -q tentative
}

# mesh_identity NODE: a fresh identity in $T/mesh-NODE.id; MESH_ADDR[NODE].
mesh_identity() {
	"$SNR_BUILD/subnetra" identity new --force --out "$T/mesh-$1.id" >/dev/null 2>&1 ||
		die "subnetra identity new failed"
	MESH_ADDR[$1]=$(sed -n 's/^address //p' "$T/mesh-$1.id")
	[ -n "${MESH_ADDR[$1]}" ] || die "no address in $T/mesh-$1.id"
}

# mesh_node_config NODE LAN PEER [BASES_JSON]: PEER on the whitelist (with
# MESH_WHITELIST_OFF set: the whitelist off, any node may connect).
mesh_node_config() {
	local node=$1 lan=$2 peer=$3 bases=${4:-}
	[ -n "${MESH_WHITELIST_OFF:-}" ] && bases+='"whitelist_enabled": false,'
	(
		umask 077
		cat >"$T/mesh-$node.json" <<JSON
{
  "mode": "mesh",
  "identity_file": "$T/mesh-$node.id",
  "listen_port": $MESH_PORT,
  "hostname": "bench-$node",
  "lan_discovery": $lan,
  "mtu": $MESH_MTU,
  "hosts_file": "$T/mesh-$node.hosts",
  ${bases}
  "whitelist": ["${MESH_ADDR[$peer]}"]
}
JSON
	)
}

# mesh_start NODE: subnetrad with $T/mesh-NODE.json, up at [ready].
mesh_start() {
	snr_daemon "$1" "$T/mesh-$1.json" "$SNR_BUILD" "$T/mesh-$1.log"
	MESH_PID[$1]=$SNR_DAEMON_PID
}

# mesh_status NODE: status --json of NODE's daemon, on one line.
mesh_status() { snr_cli "$1" "$SNR_BUILD" status --json 2>/dev/null | tr -d ' \t\r\n'; }
# mesh_path_is NODE PEER PATH
mesh_path_is() {
	mesh_status "$1" | grep -o "{\"address\":\"${MESH_ADDR[$2]}\"[^}]*}" | grep -q "\"path\":\"$3\""
}
# mesh_counter NODE NAME: the first integer "NAME" of NODE's status.
mesh_counter() { mesh_status "$1" | grep -o "\"$2\":[0-9]*" | head -n 1 | cut -d: -f2; }
mesh_ping6_ok() { nsx "$1" ping -6 -n -c 1 -W 1 "$2" >/dev/null 2>&1; }

# mesh_relay_blocked: nft in a and b drops UDP between them (either way).
mesh_relay_block() {
	local n peer
	for n in a b; do
		peer=${NODE_IP[b]}
		[ "$n" = b ] && peer=${NODE_IP[a]}
		nsx "$n" nft -f - <<NFT || die "$n: nft rule failed (is nftables installed?)"
table inet snrbench {
	chain out {
		type filter hook output priority 0; policy accept;
		ip daddr $peer meta l4proto udp counter drop
	}
}
NFT
	done
}

# sys_mesh_up NAME: NAME is mesh-direct or mesh-relay.
# mesh_base NODE: a fresh base identity; NODE's config is a base on
# MESH_PORT; MESH_BASES is the "bases" field of the nodes' configs.
MESH_BASES=""
mesh_base() {
	mesh_identity "$1"
	(
		umask 077
		printf '{ "mode": "base", "identity_file": "%s", "udp_port": %s }\n' \
			"$T/mesh-$1.id" "$MESH_PORT" >"$T/mesh-$1.json"
	)
	MESH_BASES="\"bases\": [ { \"host\": \"${NODE_IP[$1]}\", \"udp_port\": $MESH_PORT, \"public_key\": \"$(sed -n 's/^public-key //p' "$T/mesh-$1.id")\" } ],"
}

# sys_mesh_up NAME: NAME is mesh-direct, mesh-relay or mesh-flood.
sys_mesh_up() {
	local name=$1
	command -v nft >/dev/null || die "$name needs nft (nftables)"
	mesh_ipv6 0
	MESH_PID=()
	case $name in
	mesh-direct | mesh-flood)
		# The base (in b) only introduces a and hub: they go direct over
		# the IPv4 underlay, as the v1 systems do.
		mesh_base b
		mesh_identity a
		mesh_identity hub
		mesh_node_config a false hub "$MESH_BASES"
		mesh_node_config hub false a "$MESH_BASES"
		mesh_start b
		mesh_start hub
		mesh_start a
		SRV_NODE=hub
		DAEMON_PIDS=("${MESH_PID[a]}" "${MESH_PID[hub]}")
		BG_BASE_PID=${MESH_PID[b]}
		;;
	mesh-relay)
		mesh_base hub
		mesh_identity a
		mesh_identity b
		mesh_node_config a false b "$MESH_BASES"
		mesh_node_config b false a "$MESH_BASES"
		mesh_relay_block
		mesh_start hub
		mesh_start a
		mesh_start b
		SRV_NODE=b
		DAEMON_PIDS=("${MESH_PID[a]}" "${MESH_PID[hub]}" "${MESH_PID[b]}")
		BG_BASE_PID=""
		;;
	*) die "unknown mesh system '$name'" ;;
	esac
	CLI_NODE=a
	SRV_ADDR=${MESH_ADDR[$SRV_NODE]}
	MEM_PID=${MESH_PID[hub]}
	RELAY_PID=""
	[ "$name" = mesh-relay ] && RELAY_PID=${MESH_PID[hub]}
	WL_UDP_LEN=$MESH_UDP_LEN
	wait_until 20 mesh_ping6_ok a "$SRV_ADDR" || die "$name: no ping6 through the mesh"
	case $name in
	mesh-relay) mesh_path_is a b relay-udp || die "$name: the path is not relay-udp" ;;
	*) wait_until 10 mesh_path_is a hub direct || die "$name: the path never became direct" ;;
	esac
	[ "$name" = mesh-flood ] && mesh_flood_start
	return 0
}

MESH_FLOOD_PID=""
mesh_flood_start() {
	local pk
	pk=$(sed -n 's/^public-key //p' "$T/mesh-hub.id")
	WL_ONLY_TCP1=1
	MESH_FLOOD_C0=$(mesh_counter hub cookie_replies_sent)
	ip netns exec "${NODE_NS[b]}" "$MESHLOAD" flood --to "${NODE_IP[hub]}:$MESH_PORT" --pk "$pk" \
		--rate "${MESH_FLOOD_RATE:-50000}" --seconds $((SECS + 60)) </dev/null >"$T/flood.txt" 2>&1 &
	MESH_FLOOD_PID=$!
	bg_track "$MESH_FLOOD_PID"
	# The node is under load (cookie replies flow) before the measurement starts.
	wait_until 10 mesh_cookies_flow || die "mesh-flood: the node sends no cookie replies"
}
mesh_cookies_flow() { [ "$(mesh_counter hub cookie_replies_sent)" -gt "${MESH_FLOOD_C0:-0}" ]; }

# After the workloads, before the daemons stop: the path held.
sys_mesh_check() {
	local name=$1 round=$2
	case $name in
	mesh-direct) mesh_path_is a hub direct || log "$name: WARNING: path not direct after the workloads" ;;
	mesh-flood)
		mesh_path_is a hub direct || log "$name: WARNING: path not direct after the workloads"
		stop_pids "$MESH_FLOOD_PID"
		local j c
		j=$(mesh_status hub)
		for c in cookie_replies_sent drop_mesh_hs_under_load drop_mesh_hs_rate_limited \
			drop_mesh_hs_ratelimit_full drop_mesh_hs_bad_mac1 drop_mesh_hs_decrypt; do
			record "$round" "$name" "flood_$c" "$(printf '%s' "$j" | grep -o "\"$c\":[0-9]*" | head -n 1 | cut -d: -f2)"
		done
		record "$round" "$name" flood_sent_pps "$(tr ' ' '\n' <"$T/flood.txt" | sed -n 's/^sent_pps=//p')"
		;;
	mesh-relay)
		mesh_path_is a b relay-udp || log "$name: WARNING: path not relay-udp after the workloads"
		record "$round" "$name" base_relayed_packets "$(mesh_counter hub relayed_packets)"
		;;
	esac
}

sys_mesh_down() {
	[ ${#DAEMON_PIDS[@]} -gt 0 ] && stop_pids "${DAEMON_PIDS[@]}"
	[ -n "$BG_BASE_PID" ] && stop_pids "$BG_BASE_PID"
	BG_BASE_PID=""
	DAEMON_PIDS=()
	MESH_PID=()
	RELAY_PID=""
	WL_UDP_LEN=""
	WL_ONLY_TCP1=""
	MESH_FLOOD_PID=""
	local n
	for n in a b; do nsx "$n" nft delete table inet snrbench 2>/dev/null; done
	mesh_ipv6 1
}
