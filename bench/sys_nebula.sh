# shellcheck shell=bash disable=SC2034 # sets the variables lib.sh reads
# System "nebula": Debian's Nebula between a (10.2.0.2) and the hub
# (10.2.0.1, also the lighthouse), certificates from nebula-cert made fresh
# for every run, default cipher (AES-GCM), firewall open inside the overlay.

NEB_PORT=4242
declare -A NEB_PID=()

neb_certs() {
	local d=$T/nebula
	[ -f "$d/ca.crt" ] && return 0
	mkdir -p "$d" && chmod 700 "$d"
	nebula-cert ca -name "$RUN-bench" -duration 24h -out-crt "$d/ca.crt" -out-key "$d/ca.key" ||
		die "nebula-cert ca failed"
	nebula-cert sign -ca-crt "$d/ca.crt" -ca-key "$d/ca.key" -name hub -ip 10.2.0.1/24 \
		-out-crt "$d/hub.crt" -out-key "$d/hub.key" || die "nebula-cert sign hub failed"
	nebula-cert sign -ca-crt "$d/ca.crt" -ca-key "$d/ca.key" -name a -ip 10.2.0.2/24 \
		-out-crt "$d/a.crt" -out-key "$d/a.key" || die "nebula-cert sign a failed"
}

# neb_config NODE: $T/nebula/NODE.yml
neb_config() {
	local node=$1 d=$T/nebula lh=false hosts='["10.2.0.1"]'
	[ "$node" = hub ] && lh=true && hosts='[]'
	cat >"$d/$node.yml" <<YAML
pki:
  ca: $d/ca.crt
  cert: $d/$node.crt
  key: $d/$node.key
static_host_map:
  "10.2.0.1": ["${NODE_IP[hub]}:$NEB_PORT"]
lighthouse:
  am_lighthouse: $lh
  interval: 60
  hosts: $hosts
listen:
  host: 0.0.0.0
  port: $NEB_PORT
punchy:
  punch: false
tun:
  disabled: false
  dev: ${RUN}n
  drop_local_broadcast: false
  drop_multicast: false
  tx_queue: 500
  mtu: $INNER_MTU
logging:
  level: warning
  format: text
firewall:
  conntrack:
    tcp_timeout: 12m
    udp_timeout: 3m
    default_timeout: 10m
  outbound:
    - port: any
      proto: any
      host: any
  inbound:
    - port: any
      proto: any
      host: any
YAML
}

neb_start() {
	local node=$1 pid
	neb_config "$node"
	ip netns exec "${NODE_NS[$node]}" nebula -config "$T/nebula/$node.yml" \
		</dev/null >"$T/nebula-$node.log" 2>&1 &
	pid=$!
	bg_track "$pid"
	NEB_PID[$node]=$pid
	wait_until 10 ip -n "${NODE_NS[$node]}" link show "${RUN}n" ||
		die "nebula ($node) did not create its TUN: $(tail -n 5 "$T/nebula-$node.log")"
}

sys_nebula_up() {
	local name=$1
	neb_certs
	neb_start hub
	neb_start a
	CLI_NODE=a
	SRV_NODE=hub
	SRV_ADDR=10.2.0.1
	DAEMON_PIDS=("${NEB_PID[a]}" "${NEB_PID[hub]}")
	MEM_PID=${NEB_PID[hub]}
	wait_until 15 ping_ok a "$SRV_ADDR" || die "$name: no ping through the tunnel"
}

sys_nebula_down() {
	[ ${#DAEMON_PIDS[@]} -gt 0 ] && stop_pids "${DAEMON_PIDS[@]}"
	DAEMON_PIDS=()
	NEB_PID=()
}
