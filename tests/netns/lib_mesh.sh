# shellcheck shell=bash
# Mesh-mode helpers for the netns scenarios (t_mesh_*.sh), on top of lib.sh:
# a node per namespace with IPv6 and an identity, its LAN-only config, the
# daemon started and polled for [ready], and the peer objects of its status.

declare -A ADDR=() PK=() MESH_EXTRA=() MESH_LAN=()
PORT=5582

# mesh_node NAME [IP]: a namespace with IPv6 on (ns_add turns it off), DAD
# off, eth0 bridged into the LAN with its link-local address (and IP/24 when
# given); an identity (its address in ADDR[NAME], its key in PK[NAME]).
mesh_node() {
	local name=$1 ip=${2:-} ns=$RUN-$1
	ns_add "$ns"
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 \
		net.ipv6.conf.default.disable_ipv6=0 net.ipv6.conf.lo.disable_ipv6=0 \
		net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 >/dev/null ||
		bail "$name: cannot enable IPv6"
	topo_link "$name"
	if [ -n "$ip" ]; then
		ip -n "$ns" addr add "$ip/24" dev eth0
		NODE_IP[$name]=$ip
	fi
	"$SUBNETRA" identity new --out "$T/$name.id" >"$T/$name.id.out" 2>&1 ||
		bail "$name: identity new failed: $(cat "$T/$name.id.out")"
	ADDR[$name]=$(sed -n 's/^address //p' "$T/$name.id")
	PK[$name]=$(sed -n 's/^public-key //p' "$T/$name.id")
	[ -n "${ADDR[$name]}" ] || bail "$name: no address in its identity file"
}

# mesh_config NAME WHITELISTED...: a mesh config, hostname node-NAME, LAN
# discovery MESH_LAN[NAME] (default true); MESH_EXTRA[NAME] holds more
# fields, such as bases (each line ending in ",").
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
  ${MESH_EXTRA[$name]:-}
  "whitelist": [$list]
}
JSON
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
