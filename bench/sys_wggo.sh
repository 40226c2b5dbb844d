# shellcheck shell=bash disable=SC2034 # sets the variables lib.sh reads
# System "wggo": wireguard-go between a (10.1.0.2) and the hub (10.1.0.1),
# configured with `wg` and `ip` from wireguard-tools.  The binary is Debian's
# wireguard-go, or $WGGO (e.g. the upstream build in ../shared/bench/).
# "wggo-debian" is always Debian's, for running both side by side.
#
# wireguard-go's control socket lives in /var/run/wireguard/IFNAME.sock,
# outside any namespace: the interface names carry this run's id, and the
# sockets are removed at cleanup.

WG_PORT=51820

wg_start() {
	local node=$1 bin=$2 ifc=${RUN}w$1 pid
	ifc=${ifc:0:15}
	ip netns exec "${NODE_NS[$node]}" env WG_PROCESS_FOREGROUND=1 \
		"$bin" -f "$ifc" </dev/null >"$T/wg-$node.log" 2>&1 &
	pid=$!
	bg_track "$pid"
	EXTRA_CLEANUP+=("rm -f /var/run/wireguard/$ifc.sock")
	wait_until 10 test -S "/var/run/wireguard/$ifc.sock" ||
		die "wireguard-go ($node) did not start: $(tail -n 5 "$T/wg-$node.log")"
	WG_IF[$node]=$ifc
	WG_PID[$node]=$pid
}

declare -A WG_IF=() WG_PID=()

# wg_conf NODE ADDR PRIV PEER_PUB PEER_OVERLAY PEER_NODE
wg_conf() {
	local node=$1 addr=$2 priv=$3 pub=$4 peer_ov=$5 peer_node=$6 ifc=${WG_IF[$1]}
	nsx "$node" wg set "$ifc" private-key "$priv" listen-port "$WG_PORT" \
		peer "$pub" allowed-ips "$peer_ov/32" endpoint "${NODE_IP[$peer_node]}:$WG_PORT" ||
		die "wg set on $node failed"
	ip -n "${NODE_NS[$node]}" link set "$ifc" mtu "$INNER_MTU" up || die "$node: wg up"
	ip -n "${NODE_NS[$node]}" addr add "$addr/24" dev "$ifc" || die "$node: wg address"
}

sys_wggo_up() {
	local name=$1 bin=${WGGO:-wireguard-go}
	[ "$name" = wggo-debian ] && bin=/usr/bin/wireguard-go
	(umask 077 && wg genkey >"$T/wg-hub.key" && wg genkey >"$T/wg-a.key") ||
		die "wg genkey failed"
	wg_start hub "$bin"
	wg_start a "$bin"
	wg_conf hub 10.1.0.1 "$T/wg-hub.key" "$(wg pubkey <"$T/wg-a.key")" 10.1.0.2 a
	wg_conf a 10.1.0.2 "$T/wg-a.key" "$(wg pubkey <"$T/wg-hub.key")" 10.1.0.1 hub
	CLI_NODE=a
	SRV_NODE=hub
	SRV_ADDR=10.1.0.1
	DAEMON_PIDS=("${WG_PID[a]}" "${WG_PID[hub]}")
	MEM_PID=${WG_PID[hub]}
	wait_until 10 ping_ok a "$SRV_ADDR" || die "$name: no ping through the tunnel"
}

sys_wggo_down() {
	[ ${#DAEMON_PIDS[@]} -gt 0 ] && stop_pids "${DAEMON_PIDS[@]}"
	DAEMON_PIDS=()
	WG_PID=()
}
