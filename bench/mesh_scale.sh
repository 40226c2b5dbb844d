# shellcheck shell=bash
# The mesh scale rows of `make bench`, each run once after the rounds when
# its name is in SYSTEMS (results in round 0):
#
#   mesh-handshake   subnetra-bench-mesh: CPU of one handshake per side (no
#                    I/O; core/mesh/handshake.c with libsodium identities).
#   mesh-base-scale  a base in ns hub; meshload in ns a registers
#                    MESH_BASE_NODES (default 10000) simulated nodes, each
#                    a real identity with its own Noise session and a
#                    freshly Ed25519-signed endpoint record; then the base's
#                    RSS (VmRSS, and VmHWM: the peak) and its n_nodes.
#   mesh-peer-scale  a mesh node in ns hub (whitelist off); for each N of
#                    MESH_PEERS (default "2 1000"), a fresh node, then
#                    meshload in ns a completes N handshakes with it and
#                    sends DATA at full speed for PEER_SECS, peers
#                    round-robin packet by packet, at MESH_PEER_PPS (default
#                    40,000: the same offered load at every N, which one
#                    generator holds at 1,000 peers too); over the sending
#                    phase only, the node's delivered pps (its TUN's
#                    rx_packets) and its CPU: the row compares packets per
#                    CPU-second (the node is not saturated: the generator
#                    seals each packet, as much work as the node's open).
#
#   mesh-nat         bench/mesh_nat.sh: the NAT lab of tests/netns/t_mesh_nat.sh,
#                    ROUNDS fresh starts: the first packet to a never-seen
#                    peer, the relay -> direct upgrade, the fall-back to the
#                    relay when the direct path dies (rounds 1..ROUNDS).
#
# The simulated identities (they must pass the identity filter: some 20 ms
# of CPU each) are generated once into build-bench/mesh-ids.txt, on two
# cores (10,000: about 2-5 minutes), and reused by every later run.

MESH_BASE_NODES=${MESH_BASE_NODES:-10000}
MESH_PEERS=${MESH_PEERS-2 1000}
MESH_PEER_PPS=${MESH_PEER_PPS:-40000}
MESH_IDS=""

# mesh_ids N: MESH_IDS holds at least N identities (generated if missing).
mesh_ids() {
	local want=$1 have half p1 p2
	MESH_IDS=$SNR_BUILD/mesh-ids.txt
	have=$( (wc -l <"$MESH_IDS") 2>/dev/null || echo 0)
	[ "$have" -ge "$want" ] && return 0
	half=$(((want - have + 1) / 2))
	log "generating $((want - have)) simulated identities once (cached in $MESH_IDS)"
	rm -f "$T/ids1" "$T/ids2"
	"$MESHLOAD" keygen --out "$T/ids1" --count "$half" >/dev/null &
	p1=$!
	"$MESHLOAD" keygen --out "$T/ids2" --count $((want - have - half > 0 ? want - have - half : 1)) >/dev/null &
	p2=$!
	wait "$p1" || die "meshload keygen failed"
	wait "$p2" || die "meshload keygen failed"
	cat "$T/ids1" "$T/ids2" >>"$MESH_IDS"
}

# kv_of FILE KEY: KEY=value from meshload's output line.
kv_of() { tr ' ' '\n' <"$1" | sed -n "s/^$2=//p"; }

mesh_scale_handshake() {
	local out
	out=$("$SNR_BUILD/subnetra-bench-mesh" --json --iterations "${MESH_HS_ITERATIONS:-2000}") ||
		die "subnetra-bench-mesh failed"
	record 0 mesh-handshake initiator_us "$(jq -r .initiator_us <<<"$out")"
	record 0 mesh-handshake responder_us "$(jq -r .responder_us <<<"$out")"
	log "mesh-handshake: $out"
}

mesh_scale_base() {
	local n=$MESH_BASE_NODES pk pid
	mesh_ids "$n"
	mesh_ipv6 0
	mesh_base hub
	pk=$(sed -n 's/^public-key //p' "$T/mesh-hub.id")
	mesh_start hub
	pid=${MESH_PID[hub]}
	record 0 mesh-base-scale rss_idle_kib "$(rss_now_kib "$pid")"
	nsx a "$MESHLOAD" register --to "${NODE_IP[hub]}:$MESH_PORT" --pk "$pk" --ids "$MESH_IDS" \
		--count "$n" --seconds $((n / 500 + 15)) >"$T/register.txt" 2>&1 ||
		log "meshload register failed: $(cat "$T/register.txt")"
	log "mesh-base-scale: $(cat "$T/register.txt")"
	record 0 mesh-base-scale nodes "$n"
	record 0 mesh-base-scale registered "$(kv_of "$T/register.txt" registered)"
	record 0 mesh-base-scale refused "$(kv_of "$T/register.txt" refused)"
	record 0 mesh-base-scale base_n_nodes "$(mesh_counter hub n_nodes)"
	record 0 mesh-base-scale rss_kib "$(rss_now_kib "$pid")"
	record 0 mesh-base-scale rss_peak_kib "$(rss_peak_kib "$pid")"
	stop_pids "$pid"
	MESH_PID=()
	mesh_ipv6 1
}

mesh_scale_peers() {
	local n pk pid gen rx0 rx1 c0 c1 t0 t1
	mesh_ids "$(for n in $MESH_PEERS; do echo "$n"; done | sort -n | tail -n 1)"
	mesh_ipv6 0
	for n in $MESH_PEERS; do
		mesh_identity hub
		mesh_identity a
		MESH_WHITELIST_OFF=1 mesh_node_config hub true a
		mesh_start hub
		pid=${MESH_PID[hub]}
		pk=$(sed -n 's/^public-key //p' "$T/mesh-hub.id")
		ip netns exec "${NODE_NS[a]}" "$MESHLOAD" peers --to "${NODE_IP[hub]}:$MESH_PORT" \
			--pk "$pk" --ids "$MESH_IDS" --count "$n" --seconds "$PEER_SECS" \
			--size "$MESH_UDP_LEN" --pps "$MESH_PEER_PPS" >"$T/peers.txt" 2>"$T/peers.err" &
		gen=$!
		bg_track "$gen"
		# The node's figures cover the sending phase only, not the handshakes.
		wait_until 60 grep -q '^sending' "$T/peers.err" || log "meshload peers ($n): no handshakes"
		t0=$(now_ms)
		c0=$(cpu_ticks "$pid")
		rx0=$(nsx hub cat "/sys/class/net/$SNR_TUN/statistics/rx_packets")
		rss_reset "$pid"
		wait "$gen" || log "meshload peers ($n) failed: $(cat "$T/peers.txt" "$T/peers.err")"
		t1=$(now_ms)
		c1=$(cpu_ticks "$pid")
		rx1=$(nsx hub cat "/sys/class/net/$SNR_TUN/statistics/rx_packets")
		log "mesh-peer-scale $n: $(cat "$T/peers.txt"); node TUN rx $((rx1 - rx0)), CPU $((c1 - c0)) ticks"
		record 0 mesh-peer-scale "n${n}_peers_up" "$(kv_of "$T/peers.txt" peers_up)"
		record 0 mesh-peer-scale "n${n}_sent_pps" "$(kv_of "$T/peers.txt" sent_pps)"
		record 0 mesh-peer-scale "n${n}_pps" "$(awk -v d=$((rx1 - rx0)) -v ms=$((t1 - t0)) 'BEGIN {printf "%.0f", (ms > 0 ? 1000 * d / ms : 0)}')"
		record 0 mesh-peer-scale "n${n}_cpu_pct" "$(awk -v d=$((c1 - c0)) -v hz="$CLK_TCK" -v ms=$((t1 - t0)) 'BEGIN {printf "%.1f", (ms > 0 ? 100 * d / hz / (ms / 1000) : 0)}')"
		record 0 mesh-peer-scale "n${n}_pps_per_core" "$(awk -v d=$((rx1 - rx0)) -v c=$((c1 - c0)) -v hz="$CLK_TCK" 'BEGIN {printf "%.0f", (c > 0 ? d / (c / hz) : 0)}')"
		record 0 mesh-peer-scale "n${n}_rss_kib" "$(rss_peak_kib "$pid")"
		stop_pids "$pid"
		MESH_PID=()
	done
	mesh_ipv6 1
}

mesh_scale_nat() {
	local line k v r
	SUBNETRA_BUILD=$SNR_BUILD "$ROOT/bench/mesh_nat.sh" "$ROUNDS" >"$T/mesh-nat.txt" 2>&1 ||
		log "bench/mesh_nat.sh failed: $(tail -n 5 "$T/mesh-nat.txt")"
	while read -r line; do
		log "mesh-nat: $line"
		r=$(sed -n 's/^round=\([0-9]*\) .*/\1/p' <<<"$line")
		for k in first_ms base_rtt_ms relay_rtt_ms upgrade_ms fallback_ms gap_ms rehandshakes; do
			v=$(tr ' ' '\n' <<<"$line" | sed -n "s/^$k=//p")
			[ -n "$v" ] && record "$r" mesh-nat "$k" "$v"
		done
	done < <(grep '^round=' "$T/mesh-nat.txt")
}

# mesh_scale_run: the scale rows named in SYSTEMS.
mesh_scale_run() {
	[[ ",$SYSTEMS," == *,mesh-handshake,* ]] && mesh_scale_handshake
	[[ ",$SYSTEMS," == *,mesh-nat,* ]] && mesh_scale_nat
	[[ ",$SYSTEMS," == *,mesh-base-scale,* ]] && mesh_scale_base
	[[ ",$SYSTEMS," == *,mesh-peer-scale,* ]] && [ -n "$MESH_PEERS" ] && mesh_scale_peers
	return 0
}
