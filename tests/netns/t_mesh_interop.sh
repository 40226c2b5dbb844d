#!/usr/bin/env bash
# Interoperability: tests/interop/mesh_peer.py, a mesh peer written in Python
# from docs/mesh-protocol.md and docs/mesh.md alone, registers with a real
# base, looks a real node up and talks to it: directly, through the base's
# relay, and as the responder of the node's own handshake.
#
#                         $RUN-net: br0
#        v-base /       | v-node        | v-py1        | v-py2        | v-py4        \ v-py3
#   $RUN-base eth0  $RUN-node eth0  $RUN-py1 eth0  $RUN-py2 eth0  $RUN-py4 eth0  $RUN-py3 eth0
#   203.0.113.1     203.0.113.2     203.0.113.11   203.0.113.12   203.0.113.14   203.0.113.13
#   subnetrad base  subnetrad mesh  mesh_peer.py   mesh_peer.py   mesh_peer.py   mesh_peer.py
#   udp 5582        snr0 fc94:N     direct         relay only     base over TCP  responder
#   tcp 443         wl: py1-4                      nft: no UDP    (443), relay   its own
#                                                  to/from .2                    identity
#   lan_discovery false.
#
#   1. py3's identity is written by the Python peer and read by `subnetra
#      identity show`; py1's and py2's by `subnetra identity new` and read by
#      the Python peer;
#   2. py1: REGISTER (base status lists it), PING/PONG, LOOKUP of the node
#      (without NOTIFY, so that the node holds no relay id for py1 and
#      answers on the direct path), a cookie flood so that the node answers
#      its HS_INIT with a COOKIE_REPLY, the handshake with mac2, 3 echo
#      requests and their replies decrypted, then one tampered DATA frame:
#      the node drops and counts it (drop_mesh_data_bad_tag), and its path
#      is direct;
#   3. py2, whose UDP to the node is dropped: the same through the relay
#      (RELAY/RELAYED), the node's path relay-udp, the base relays;
#   4. py4 reaches the base over TCP only (u16-framed records on port 443):
#      registration (the base shows transport tcp) and the relayed handshake
#      and pings, the base bridging py4's TCP and the node's UDP;
#   5. the node pings py3: it looks py3 up, initiates, py3 answers as the
#      responder (relayed or, after the node's PATH_PING, direct) and
#      answers the echo requests;
#   6. base and node restarted with a mesh-wide psk: py1 with the psk gets
#      through, a peer with another psk fails mac1 at the base.
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/lib_mesh.sh
. "$(dirname "$0")/lib_mesh.sh"

PEER_PY=$SNR_ROOT/tests/interop/mesh_peer.py
if ! python3 -c 'import cryptography' 2>/dev/null; then
	ok "interop with the Python mesh peer # SKIP python3-cryptography is not installed (scripts/deps.sh)"
	done_testing
fi
require_env
command -v nft >/dev/null || bail "nft (nftables) is needed"
topo_init

BASE_IP=203.0.113.1
NODE_IP_=203.0.113.2
declare -A PY_PID=()

# py_start NAME ARGS...: the Python peer in NAME's namespace, in the
# background, its output in $T/NAME.out.
py_start() {
	local name=$1
	shift
	ip netns exec "$RUN-$name" python3 "$PEER_PY" --identity "$T/$name.id" \
		--base "$BASE_IP:$PORT" --base-key "${PK[base]}" --name "$name" "$@" \
		</dev/null >"$T/$name.out" 2>&1 &
	PY_PID[$name]=$!
	bg_track "$!"
}
# py_ready NAME: the peer printed "ready" (registered, its connect steps
# done); it shows its output if it exited or gave up instead.
py_ready() {
	local out=$T/$1.out
	wait_until 60 py_settled "$1"
	grep -q '^ready' "$out" && return 0
	tail -n 20 "$out"
	return 1
}
py_settled() { grep -q '^ready' "$T/$1.out" || ! proc_alive "${PY_PID[$1]}"; }
# py_lines NAME ERE: how many lines of NAME's output match.
py_lines() { grep -Ec -- "$2" "$T/$1.out"; }
# py_stop NAME: SIGTERM; the peer exits 0 (it prints its drop counts).
py_stop() {
	local pid=${PY_PID[$1]}
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	check_eq "$1: the Python peer exits cleanly" 0 "$?"
}
# drop_deltas BEFORE AFTER: "name=delta" for every drop counter that moved.
drop_deltas() {
	local c d
	for c in $(printf '%s' "$2" | grep -o '"drop_[a-z0-9_]*"' | tr -d '"'); do
		d=$(delta "$1" "$2" "$c")
		[ "$d" = 0 ] || printf '%s=%s ' "$c" "$d"
	done
}
# relayed_because NODE PEER WHY: NODE's status gives PEER's relay reason WHY
# (status_json strips every space, WHY's too).
relayed_because() { peer_obj "$1" "$2" | grep -q "\"relayed_because\":\"${3// /}\""; }
base_lists() { status_json base | grep -q "\"address\":\"${ADDR[$1]}\""; }

mesh_node base $BASE_IP
mesh_node node $NODE_IP_
for n in py1 py2 py3 py4; do mesh_node "$n" "203.0.113.1${n#py}"; done

# ---- 1. identity files both ways ---------------------------------------------------
# py3's identity is the Python peer's own (mesh_node made one with the CLI).
rm -f "$T/py3.id"
ip netns exec "$RUN-py3" python3 "$PEER_PY" --identity "$T/py3.id" >"$T/py3.id.out" 2>&1
ADDR[py3]=$(sed -n 's/^address //p' "$T/py3.id")
check_match "py3: the Python peer created an identity" "^identity ${ADDR[py3]} created$" \
	"$(cat "$T/py3.id.out")"
check_match "subnetra identity show reads the Python peer's file" "^address ${ADDR[py3]}$" \
	"$("$SUBNETRA" identity show "$T/py3.id" 2>&1)"
check_match "the Python peer reads subnetra's identity file" "^identity ${ADDR[py1]} loaded$" \
	"$(python3 "$PEER_PY" --identity "$T/py1.id" 2>&1)"

mesh_base_config base
MESH_LAN[node]=false
MESH_EXTRA[node]="\"bases\": [ { \"host\": \"$BASE_IP\", \"udp_port\": $PORT, \"public_key\": \"${PK[base]}\" } ],"
mesh_config node py1 py2 py3 py4
start_mesh base
start_mesh node
check "the node registers with the base" wait_until 15 registered node

# ---- 2. py1: direct, with a cookie reply -----------------------------------------------
before=$(status_json node)
py_start py1 --connect "${ADDR[node]}" --via direct --no-notify --pings 3 --tamper 1 \
	--cookie-flood 3072 --serve 600
check "py1: registered, looked the node up, handshake, 3 echo replies" py_ready py1
check_match "py1: REGISTER_OK with status OK, observed as its own address" \
	"^register-ok status=0 relay_id=[0-9a-f]{16} observed=203\.0\.113\.11:$PORT refresh_s=25$" \
	"$(cat "$T/py1.out")"
check_match "py1: PONG with the observed endpoint" "^pong txid=[0-9a-f]{16} observed=203\.0\.113\.11:$PORT$" \
	"$(cat "$T/py1.out")"
check_match "py1: LOOKUP answered with the node's key and record" \
	"^peer-info reply ${ADDR[node]} key=${PK[node]} relay_id=[0-9a-f]{16} .* name=node-node listen_port=$PORT endpoints=$NODE_IP_:$PORT" \
	"$(cat "$T/py1.out")"
check_match "py1: the node sent a COOKIE_REPLY under load" "^cookie-reply ${ADDR[node]} via=direct$" \
	"$(cat "$T/py1.out")"
# The node stays under load for 1 s after the flood, and the HS_INIT with
# mac2 follows the reply at once: a wrong mac2 would draw a second reply.
check_eq "py1: one COOKIE_REPLY, then its mac2 was taken" 1 "$(py_lines py1 '^cookie-reply ')"
check_match "py1: handshake with the node, direct" "^handshake ${ADDR[node]} role=initiator via=direct$" \
	"$(cat "$T/py1.out")"
check_eq "py1: 3 echo replies decrypted, direct" 3 "$(py_lines py1 "^echo-reply ${ADDR[node]} seq=[1-3] via=direct$")"
check "node: py1 is up" wait_until 5 peer_up node py1
check "node: py1's path is direct" peer_path node py1 direct
check "the base lists py1" base_lists py1
after=$(status_json node)
check_ge "node: cookie replies sent" 1 "$(delta "$before" "$after" cookie_replies_sent)"
check_eq "node: the tampered frame dropped as bad_tag" 1 "$(delta "$before" "$after" drop_mesh_data_bad_tag)"
moved=$(drop_deltas "$before" "$after")
diag "node drops while py1 ran: $moved"
# (drop_tun_* are the node kernel's own packets on its TUN, not ours.)
check_eq "node: no mesh drop but the flood's and the tampered frame's" "" \
	"$(tr ' ' '\n' <<<"$moved" | grep -E '^drop_(mesh|base|relayed)' |
		grep -Ev '^drop_mesh_(hs_under_load|hs_decrypt|data_bad_tag)=')"

# ---- 3. py2: through the relay --------------------------------------------------------
ip netns exec "$RUN-py2" nft -f - <<NFT || bail "py2: nft rule failed"
table inet snrtest {
	chain out { type filter hook output priority 0; policy accept; ip daddr $NODE_IP_ meta l4proto udp counter drop; }
	chain in { type filter hook input priority 0; policy accept; ip saddr $NODE_IP_ meta l4proto udp counter drop; }
}
NFT
rel0=$(counter base relayed_packets)
py_start py2 --connect "${ADDR[node]}" --via relay --pings 3 --serve 600
check "py2: registered, looked the node up, relayed handshake, 3 echo replies" py_ready py2
check_match "py2: handshake with the node through the relay" \
	"^handshake ${ADDR[node]} role=initiator via=relay$" "$(cat "$T/py2.out")"
check_eq "py2: 3 echo replies decrypted, relayed" 3 "$(py_lines py2 "^echo-reply ${ADDR[node]} seq=[1-3] via=relay$")"
check "node: py2 is up" wait_until 5 peer_up node py2
check "node: py2's path is relay-udp" peer_path node py2 relay-udp
check_ge "the base relayed py2's handshake and pings (2 + 1 + 6)" 9 \
	$(($(counter base relayed_packets) - rel0))
check "the base lists py2" base_lists py2
check "node: py2 answers no direct PATH_PING: no candidate answered" wait_until 15 \
	relayed_because node py2 "no candidate answered"

# ---- 4. py4: the base over TCP -------------------------------------------------------
tcp0=$(counter base tcp_rx_frames)
py_start py4 --base-tcp 443 --connect "${ADDR[node]}" --via relay --pings 3 --serve 600
check "py4 over TCP: registered, looked the node up, relayed handshake, 3 echo replies" py_ready py4
check_eq "py4: 3 echo replies decrypted, relayed over TCP" 3 \
	"$(py_lines py4 "^echo-reply ${ADDR[node]} seq=[1-3] via=relay$")"
check_match "base: py4's transport is tcp" "\"address\":\"${ADDR[py4]}\",\"hostname\":\"py4\",\"transport\":\"tcp\"" \
	"$(status_json base)"
check_ge "base: py4's frames came as TCP records (handshake, REGISTER, PING, LOOKUP, relay)" 8 \
	$(($(counter base tcp_rx_frames) - tcp0))
check "node: py4 is up" wait_until 5 peer_up node py4

# ---- 5. py3: the node initiates -------------------------------------------------------
py_start py3 --allow "${ADDR[node]}" --endpoint 203.0.113.13 --serve 600
check "py3: registered" py_ready py3
check "the base lists py3" base_lists py3
check "node -> py3: ping6 goes through (lookup, handshake, reply)" wait_until 15 ping_ok node "${ADDR[py3]}"
check_eq "node -> py3: 3 of 3" 3 "$(ping_received node -6 -c 3 -W 2 "${ADDR[py3]}")"
check_match "py3: answered the node's handshake" "^handshake ${ADDR[node]} role=responder via=(relay|direct)$" \
	"$(cat "$T/py3.out")"
check_ge "py3: answered the node's echo requests" 4 "$(py_lines py3 "^echo-request-answered ${ADDR[node]} ")"
check "node: py3 is up" peer_up node py3
check "node: py3 answered PATH_PING: its path is direct" wait_until 10 peer_path node py3 direct

check_match "node: py3's hostname from its endpoint record" '"hostname":"py3"' "$(peer_obj node py3)"
check_match "base: py1 listed with its name and endpoint" \
	"\"address\":\"${ADDR[py1]}\",\"hostname\":\"py1\",\"transport\":\"udp\",\"endpoint\":\"203.0.113.11:$PORT\"" \
	"$(status_json base)"

for n in py1 py2 py3 py4; do py_stop "$n"; done
# (An HS_RESP to a retransmitted HS_INIT's predecessor is answered twice
# when the node is slow; the second answer has no initiation left.)
check_match "py1: refused nothing from the node but a late HS_RESP" "^drops( hs_resp_unknown_receiver=[0-9]+)?$" \
	"$(cat "$T/py1.out")"

# ---- 6. a mesh-wide psk -----------------------------------------------------------------
stop_node node
stop_node base
PSK=$(gen_key)
sed -i "s/^{ \"mode\": \"base\",/{ \"mode\": \"base\", \"psk\": \"$PSK\",/" "$T/base.json"
MESH_EXTRA[node]+=" \"psk\": \"$PSK\","
mesh_config node py1 py2 py3 py4
start_mesh base
start_mesh node
check "psk: the node registers with the restarted base" wait_until 15 registered node
py_start py1 --psk "$PSK" --connect "${ADDR[node]}" --via direct --no-notify --pings 3 --serve 600
check "psk: py1 registers, handshakes with the node, 3 echo replies" py_ready py1
check_eq "psk: py1's echo replies, direct" 3 "$(py_lines py1 "^echo-reply ${ADDR[node]} seq=[1-3] via=direct$")"
check "psk: node: py1 is up" wait_until 5 peer_up node py1
bad0=$(counter base drop_mesh_hs_bad_mac1)
py_start py3 --psk "$(gen_key)" --serve 600
check "psk: a wrong psk fails mac1 at the base" wait_until 10 counter_ge base drop_mesh_hs_bad_mac1 $((bad0 + 1))
check_fails "psk: no REGISTER_OK with a wrong psk" grep -q '^register-ok' "$T/py3.out"
for n in py1 py3; do py_stop "$n"; done
mesh_done node base
