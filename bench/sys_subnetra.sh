# shellcheck shell=bash disable=SC2034 # sets the variables lib.sh reads
# Systems "subnetra-direct" and "subnetra-relay", each optionally suffixed
# "-openssl" (the CRYPTO=openssl build), "-noobfs" (obfuscate false; the
# default, and the headline, is obfuscation on as shipped) and/or "-w2"
# ("workers": 2 on every node; the default is 1).
#
#   direct:  a (spoke 2, 10.0.0.2) --> hub (10.0.0.1, local rule target 0)
#   relay:   a (spoke 2, 10.0.0.2) --> hub --> b (spoke 3, 10.0.0.3)
#
# Configs are the Quick Start's, with fresh 64-hex keys every time a system
# comes up.  The hub gets local_tun_ip 10.0.0.1/24 and
# `policy add --src 0.0.0.0/0 --dst 10.0.0.1/32 --action forward --target 0`.

SNR_TUN=${RUN}t
SNR_PORT=18020
SNR_WORKERS=1
declare -A SNR_PID=()

# snr_config OUT ROLE ID OBFS KEY_A KEY_B
snr_config() {
	local out=$1 role=$2 id=$3 obfs=$4 ka=$5 kb=$6
	(
		umask 077
		if [ "$role" = hub ]; then
			cat >"$out" <<JSON
{
  "role": "hub",
  "virtual_subnet": "10.0.0.0/24",
  "local_id": 1,
  "local_tun_ip": "10.0.0.1/24",
  "local_tun_mtu": $INNER_MTU,
  "listen_ports": [$SNR_PORT],
  "obfuscate": $obfs,
  "workers": $SNR_WORKERS,
  "peers": [
    { "id": 2, "endpoint": "${NODE_IP[a]}:$SNR_PORT", "allowed_src": "10.0.0.2/32", "psk": "$ka" },
    { "id": 3, "endpoint": "${NODE_IP[b]}:$SNR_PORT", "allowed_src": "10.0.0.3/32", "psk": "$kb" }
  ]
}
JSON
		else
			cat >"$out" <<JSON
{
  "role": "spoke",
  "virtual_subnet": "10.0.0.0/24",
  "local_id": $id,
  "local_tun_ip": "10.0.0.$id/24",
  "local_tun_mtu": $INNER_MTU,
  "local_routes": ["10.0.0.$id/32"],
  "listen_ports": [$SNR_PORT],
  "obfuscate": $obfs,
  "workers": $SNR_WORKERS,
  "peers": [
    { "id": 1, "endpoint": "${NODE_IP[hub]}:$SNR_PORT", "allowed_src": "10.0.0.0/24", "psk": "$ka" }
  ]
}
JSON
		fi
	)
}

# snr_daemon NODE CONF BUILD LOG: run subnetrad in NODE and wait for
# [ready] in LOG.  Sets SNR_DAEMON_PID (shared with sys_mesh.sh).
SNR_DAEMON_PID=""
snr_daemon() {
	local node=$1 conf=$2 build=$3 log=$4 pid deadline
	: >"$log"
	ip netns exec "${NODE_NS[$node]}" env SUBNETRA_SOCK="$T/snr-$node.sock" \
		SUBNETRA_TUN="$SNR_TUN" "$build/subnetrad" --config "$conf" </dev/null >"$log" 2>&1 &
	pid=$!
	bg_track "$pid"
	SNR_DAEMON_PID=$pid
	deadline=$(($(now_ms) + 10000))
	until grep -q '\[ready\]' "$log"; do
		proc_alive "$pid" || die "subnetrad ($node) exited: $(tail -n 5 "$log")"
		[ "$(now_ms)" -lt "$deadline" ] || die "subnetrad ($node): no [ready] in 10 s"
		sleep "$WAIT_STEP"
	done
}

# snr_start NODE CONF BUILD ADDR: run subnetrad in NODE, wait for [ready],
# bring the TUN up with ADDR.  Sets SNR_PID[NODE].
snr_start() {
	local node=$1 conf=$2 build=$3 addr=$4
	snr_daemon "$node" "$conf" "$build" "$T/snr-$node.log"
	SNR_PID[$node]=$SNR_DAEMON_PID
	ip -n "${NODE_NS[$node]}" link set "$SNR_TUN" mtu "$INNER_MTU" up || die "$node: TUN up"
	ip -n "${NODE_NS[$node]}" addr replace "$addr" dev "$SNR_TUN" || die "$node: TUN address"
}

# snr_cli NODE BUILD ARGS...: the control tool against NODE's daemon.
snr_cli() {
	local node=$1 build=$2
	shift 2
	ip netns exec "${NODE_NS[$node]}" env SUBNETRA_SOCK="$T/snr-$node.sock" \
		"$build/subnetra" "$@"
}

# sys_subnetra_up NAME: NAME is subnetra-(direct|relay)[-openssl][-noobfs][-w2][-base].
sys_subnetra_up() {
	local name=$1 build=$SNR_BUILD obfs=true ka kb
	case $name in *-openssl*) build=$SNR_BUILD_OPENSSL ;; esac
	case $name in *-base*) build=$SNR_BUILD_BASE ;; esac
	case $name in *-noobfs*) obfs=false ;; esac
	SNR_WORKERS=1
	case $name in *-w2*) SNR_WORKERS=2 ;; esac
	ka=$(gen_key)
	kb=$(gen_key)
	snr_config "$T/snr-hub.json" hub 1 "$obfs" "$ka" "$kb"
	snr_config "$T/snr-a.json" spoke 2 "$obfs" "$ka" ""
	snr_config "$T/snr-b.json" spoke 3 "$obfs" "$kb" ""
	SNR_PID=()
	snr_start hub "$T/snr-hub.json" "$build" 10.0.0.1/24
	snr_cli hub "$build" policy add --src 0.0.0.0/0 --dst 10.0.0.1/32 --action forward \
		--target 0 >/dev/null || die "hub: policy add for 10.0.0.1 failed"
	snr_start a "$T/snr-a.json" "$build" 10.0.0.2/24
	CLI_NODE=a
	MEM_PID=${SNR_PID[hub]}
	case $name in
	subnetra-relay*)
		snr_start b "$T/snr-b.json" "$build" 10.0.0.3/24
		SRV_NODE=b
		SRV_ADDR=10.0.0.3
		DAEMON_PIDS=("${SNR_PID[a]}" "${SNR_PID[hub]}" "${SNR_PID[b]}")
		RELAY_PID=${SNR_PID[hub]}
		;;
	*)
		SRV_NODE=hub
		SRV_ADDR=10.0.0.1
		DAEMON_PIDS=("${SNR_PID[a]}" "${SNR_PID[hub]}")
		;;
	esac
	wait_until 10 ping_ok a "$SRV_ADDR" || die "$name: no ping through the tunnel"
}

sys_subnetra_down() {
	[ ${#DAEMON_PIDS[@]} -gt 0 ] && stop_pids "${DAEMON_PIDS[@]}"
	DAEMON_PIDS=()
	SNR_PID=()
	RELAY_PID=""
}
