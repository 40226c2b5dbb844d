#!/usr/bin/env bash
# The mesh bench tools still work (they would otherwise only run in
# `make bench`): subnetra-bench-mesh times real handshakes, and meshload
# drives real daemons in each of its modes.
#
#   $RUN-base 203.0.113.1   subnetrad base, udp 5582
#   $RUN-n    203.0.113.2   subnetrad mesh node, whitelist disabled
#   $RUN-g    203.0.113.3   meshload (register / peers / flood)
#
#   1. subnetra-bench-mesh: both sides' figures are positive numbers;
#   2. meshload keygen: 4 identities, a second call generates none;
#   3. register: 3 simulated nodes register with the base (3 REGISTER_OKs,
#      the base's status counts 3 nodes);
#   4. peers: 2 simulated peers complete handshakes with the node, whose
#      status then lists both and whose TUN receives their DATA (paced);
#   5. flood: forged HS_INITs for 2 s from one source: the node answers
#      with a bounded number of cookie replies (the source's reply bucket:
#      64 + 500/s),
#      counts drop_mesh_hs_under_load and cookie_replies_limited, and
#      stays up.
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/lib_mesh.sh
. "$(dirname "$0")/lib_mesh.sh"

require_env
MESHLOAD=$SNR_BUILD/tests/tools/meshload
BENCH_MESH=$SNR_BUILD/subnetra-bench-mesh
for f in "$MESHLOAD" "$BENCH_MESH"; do
	[ -x "$f" ] || bail "$f not built (make test-build)"
done
topo_init

# kv LINE KEY: the value of KEY=value in LINE.
kv() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# ---- 1. handshake CPU -------------------------------------------------------------
out=$("$BENCH_MESH" --json --iterations 20)
check "bench-mesh: a JSON line with both sides" \
	grep -Eq '"initiator_us":[0-9.]+,"responder_us":[0-9.]+' <<<"$out"
check_fails "bench-mesh: no zero figure" grep -q '_us":0.0[,}]' <<<"$out"

# ---- 2. identities ----------------------------------------------------------------
check_match "keygen: 4 generated" "identities=4 generated=4" \
	"$("$MESHLOAD" keygen --out "$T/ids" --count 4)"
check_match "keygen again: none generated" "identities=4 generated=0" \
	"$("$MESHLOAD" keygen --out "$T/ids" --count 4)"
check_eq "keygen: 4 lines of 64 hex" 4 "$(grep -Ec '^[0-9a-f]{64}$' "$T/ids")"

# ---- 3. registration with a real base -----------------------------------------------
mesh_node base 203.0.113.1
mesh_node n 203.0.113.2
mesh_node g 203.0.113.3
(
	umask 077
	printf '{ "mode": "base", "identity_file": "%s", "udp_port": %s }\n' "$T/base.id" "$PORT" >"$T/base.json"
)
start_mesh base
out=$(nsx g "$MESHLOAD" register --to "203.0.113.1:$PORT" --pk "${PK[base]}" --ids "$T/ids" \
	--count 3 --seconds 10)
check_eq "register: 3 REGISTER_OKs ($out)" 3 "$(kv "$out" registered)"
check_eq "the base counts 3 nodes" 3 "$(counter base n_nodes)"

# ---- 4. simulated peers of a node ---------------------------------------------------
MESH_EXTRA[n]='"whitelist_enabled": false,'
mesh_config n
start_mesh n
rx0=$(nsx n cat "/sys/class/net/$TUN/statistics/rx_packets")
out=$(nsx g "$MESHLOAD" peers --to "203.0.113.2:$PORT" --pk "${PK[n]}" --ids "$T/ids" \
	--count 2 --seconds 1 --pps 20000)
check_eq "peers: 2 handshakes ($out)" 2 "$(kv "$out" peers_up)"
check_ge "peers: the node's TUN received DATA" 100 \
	$(($(nsx n cat "/sys/class/net/$TUN/statistics/rx_packets") - rx0))
check_eq "the node lists 2 peers" 2 "$(status_json n | grep -o '"last_handshake_age_s":[0-9]' | wc -l)"

# ---- 5. forged handshake flood --------------------------------------------------------
out=$(nsx g "$MESHLOAD" flood --to "203.0.113.2:$PORT" --pk "${PK[n]}" --rate 5000 --seconds 2)
check_ge "flood: sent ~10k ($out)" 5000 "$(kv "$out" sent)"
check_ge "flood: cookie replies came back" 1 "$(kv "$out" cookie_replies)"
check_ge "the node counted drop_mesh_hs_under_load" 1 "$(counter n drop_mesh_hs_under_load)"
# One source: its reply bucket (burst 64, 500/s) bounds the replies; the rest
# are counted, not made.
check_le "flood: at most 64 + 500/s x 2 s (+ slack) cookie replies" 1200 "$(kv "$out" cookie_replies)"
check_ge "the node counted the replies it did not make" 5000 "$(counter n cookie_replies_limited)"
check "the node is still up" node_running n

mesh_done n base
