#!/usr/bin/env bash
# Base servers and relaying: two mesh nodes that cannot reach each other
# directly talk through a base, which registers them, answers lookups and
# forwards their end-to-end encrypted frames without being able to read them.
#
#                         $RUN-net: br0 ("the internet", mcast_snooping 0)
#            v-base /        | v-a             | v-b            \ v-c
#   $RUN-base eth0     $RUN-a eth0        $RUN-b eth0        $RUN-c eth0
#   203.0.113.1        203.0.113.2        203.0.113.3        203.0.113.4
#   subnetrad base     snr0 fc94:A        snr0 fc94:B        snr0 fc94:C
#   udp 5582           wl: B              wl: A              wl: B (B does not list C)
#                      nft: no UDP to .3  nft: no UDP to .2
#   lan_discovery false on every node (phase 1).
#
#   1. the base starts; A, B, C register (base status lists 3 nodes, each
#      node shows its base registered and home);
#   2. ping6 A -> B and B -> A by fc94 address through the base: the
#      peer's path is relay-udp, the base's relayed_packets grows by at
#      least the pings' packets; A's status --json has every documented
#      field (per peer: path and why, endpoint, RTT over the relay,
#      handshake age, bytes; the base, home; every drop counter), and its
#      metrics the per-peer series;
#   3. a marker through the mesh is on A's TUN, never on the base's wire;
#   4. C (not on B's whitelist) gets nothing through: B's ALLOW makes the
#      base answer DENIED, no handshake, no reply;
#   4b. B's `whitelist add C` reaches the base (ALLOW from the live list):
#      C looks B up and gets through; `whitelist rm C` cuts it off again;
#   5. the base stops: relayed pings fail; it restarts with the same
#      identity: A and B register again and pings go through;
#   6. reverse: no drop rule, LAN discovery on: the path is direct and the
#      base's relay counter stays where it was.
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/lib_mesh.sh
. "$(dirname "$0")/lib_mesh.sh"

require_env
command -v nft >/dev/null || bail "nft (nftables) is needed"
topo_init
ip -n "$NET_NS" link set br0 type bridge mcast_snooping 0 || bail "cannot turn off mcast_snooping"

BASE_IP=203.0.113.1

# node_config NAME LAN WHITELISTED...: a mesh config with the base.
node_config() {
	MESH_LAN[$1]=$2
	MESH_EXTRA[$1]="\"bases\": [ { \"host\": \"$BASE_IP\", \"udp_port\": $PORT, \"public_key\": \"${PK[base]}\" } ],"
	mesh_config "$1" "${@:3}"
}

# start_daemon NAME: subnetrad with $T/NAME.json, up when it printed [ready].
start_daemon() {
	local name=$1 ns=$RUN-$1 log
	log=$T/$name.log.$((${NODE_STARTS[$name]:-0} + 1))
	NODE_STARTS[$name]=$((${NODE_STARTS[$name]:-0} + 1))
	NODE_LOG[$name]=$log
	ALL_LOGS+=("$log")
	ip netns exec "$ns" env SUBNETRA_SOCK="$(node_sock "$name")" SUBNETRA_TUN="$TUN" \
		"$SUBNETRAD" --config "$T/$name.json" </dev/null >"$log" 2>&1 &
	NODE_PID[$name]=$!
	wait_until 10 grep -q '\[ready\]' "$log" || {
		diag "$name log:" "$(tail -n 20 "$log")"
		bail "$name: subnetrad did not print [ready]"
	}
}

# no_direct NAME PEER_IP: NAME's namespace drops every UDP datagram to PEER_IP.
no_direct() {
	ip netns exec "$RUN-$1" nft -f - <<NFT || bail "$1: nft rule failed"
table inet snrtest {
	chain out {
		type filter hook output priority 0; policy accept;
		ip daddr $2 meta l4proto udp counter drop
	}
}
NFT
}
nft_dropped() {
	ip netns exec "$RUN-$1" nft list table inet snrtest | sed -n 's/.*counter packets \([0-9]*\).*/\1/p'
}

peer_obj() {
	local j
	j=$(status_json "$1") || return 1
	printf '%s' "$j" | grep -o "{\"address\":\"${ADDR[$2]}\"[^}]*}" | head -n 1
}
peer_up() { peer_obj "$1" "$2" | grep -q '"last_handshake_age_s":[0-9]'; }
base_nodes_ge() { local v; v=$(counter base n_nodes) && _is_int "$v" && [ "$v" -ge "$1" ]; }
base_lists() { status_json base | grep -q "\"address\":\"${ADDR[$1]}\""; }

mesh_node base $BASE_IP
mesh_node a 203.0.113.2
mesh_node b 203.0.113.3
mesh_node c 203.0.113.4
mesh_base_config base
node_config a false b
node_config b false a
node_config c false b
no_direct a 203.0.113.3
no_direct b 203.0.113.2

# ---- 1. registration ---------------------------------------------------------
start_daemon base
start_daemon a
start_daemon b
start_daemon c
check "the base registers A, B and C" wait_until 15 base_nodes_ge 3
for n in a b c; do
	check "$n: base registered and home" wait_until 5 registered "$n"
	check "$n: the base lists it" base_lists "$n"
done
jb=$(status_json base)
check_match "base status: mode base, own address" "\"mode\":\"base\",\"address\":\"${ADDR[base]}\"" "$jb"
check_match "base status: A's hostname and endpoint" \
	"\"address\":\"${ADDR[a]}\",\"hostname\":\"node-a\",\"transport\":\"udp\",\"endpoint\":\"203.0.113.2:$PORT\"" "$jb"
check_match "base status text" "mode=base address=${ADDR[base]} udp_port=$PORT probe_port=$((PORT + 1)) tcp_port=443 tcp_connections=0 nodes=3" \
	"$(cli base status)"

# ---- 2. ping through the base -------------------------------------------------------
before=$(status_json base)
check "ping6 A -> B goes through (first packet waits for lookup and handshake)" \
	wait_until 10 ping_ok a "${ADDR[b]}"
check_eq "ping6 A -> B: 3 of 3" 3 "$(ping_received a -6 -c 3 -W 2 "${ADDR[b]}")"
check_eq "ping6 B -> A: 3 of 3" 3 "$(ping_received b -6 -c 3 -W 2 "${ADDR[a]}")"
after=$(status_json base)
check_ge "base: relayed_packets grew by at least the 12 ping packets" 12 \
	"$(delta "$before" "$after" relayed_packets)"
check "A: B's path is relay-udp" peer_path a b relay-udp
check "B: A's path is relay-udp" peer_path b a relay-udp
check_match "A: B's hostname from its endpoint record" '"hostname":"node-b"' "$(peer_obj a b)"
check_match "status text: relay-udp" "address=${ADDR[b]} hostname=node-b path=relay-udp" \
	"$(cli a status)"
check_match "status text: the base list" "host=$BASE_IP udp_port=$PORT state=registered home=yes" \
	"$(cli a status)"
# rtt_known NODE PEER: NODE has measured PEER's round-trip time.
rtt_known() { peer_obj "$1" "$2" | grep -Eq '"rtt_ms":[0-9]+\.[0-9]{3}'; }
nsx a ping -6 -c 30 -i 0.2 -W 1 "${ADDR[b]}" >/dev/null 2>&1 &
rtt_ping=$!
bg_track "$rtt_ping"
check "A: B's RTT measured over the relay (RTT pings)" wait_until 10 rtt_known a b
check_match "status text: rtt and why" \
	"address=${ADDR[b]} hostname=node-b path=relay-udp .*relayed_because=\"[a-z ]+\" rtt=[0-9.]+ms peer_nat=-" \
	"$(cli a status)"
# The status --json schema of a mesh node (docs/observability.md, "Mesh mode"):
# every per-peer field the issue lists, the bases and which is home, and a
# counter for every drop reason of every module.
check "status --json: the mesh schema, field by field" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
addr_a, addr_b, base_ip, port = sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
assert d["schema_version"] == 1 and d["mode"] == "mesh", d
assert d["address"] == addr_a and d["listen_port"] == port and d["tun"], d
assert d["n_peers"] == 1 and d["nat"] == "none", (d["n_peers"], d["nat"])
p = [p for p in d["peers"] if p["address"] == addr_b]
assert len(p) == 1, d["peers"]
p = p[0]
want = {"address", "hostname", "path", "endpoint", "last_handshake_age_s", "relayed_because",
        "rtt_ms", "peer_nat", "candidates", "upgrades", "fallbacks", "rx_bytes", "tx_bytes"}
assert set(p) == want, sorted(set(p) ^ want)
assert p["hostname"] == "node-b" and p["path"] == "relay-udp", p
assert isinstance(p["relayed_because"], str) and p["relayed_because"], p
assert p["endpoint"] is None or isinstance(p["endpoint"], str), p
assert isinstance(p["last_handshake_age_s"], int) and p["last_handshake_age_s"] >= 0, p
assert isinstance(p["rtt_ms"], float) and 0 < p["rtt_ms"] < 5000, p
assert p["peer_nat"] is None, p
assert p["rx_bytes"] > 0 and p["tx_bytes"] > 0, p
assert p["candidates"] >= 1 and p["upgrades"] == 0, p
b = d["bases"]
assert len(b) == 1, b
b = b[0]
assert set(b) == {"host", "udp_port", "tcp_port", "transport", "state", "home", "observed"}, b
assert b["host"] == base_ip and b["udp_port"] == port and b["home"] is True, b
assert b["state"] == "registered" and b["transport"] == "udp", b
assert b["observed"] == "203.0.113.2:%d" % port, b
assert d["managed"] == {"version": "0.0", "peers": 0, "servers": 0}, d["managed"]
c = d["counters"]
assert all(isinstance(v, int) for v in c.values()), c
# A counter for every drop reason: each reason list of the pure modules (but
# no_space, which only encoders return), and every counter the daemon declares.
import re
src = sys.argv[6]
def reasons(header, macro):
    text = open(src + "/" + header).read()
    body = text[text.index("#define " + macro + "(X)"):]
    body = body[:body.index("\n\n")]
    return [m for m in re.findall(r"X\([A-Z_0-9]+, ([a-z_0-9]+)\)", body) if m != "no_space"]
want_drops = (["drop_mesh_" + r for r in reasons("core/mesh/msg.h", "MSG_DROP_REASONS")] +
              ["drop_mesh_hs_" + r for r in reasons("core/mesh/handshake.h", "HS_REASONS")] +
              ["drop_mesh_data_" + r for r in reasons("core/mesh/session.h", "SESSION_DROP_REASONS")] +
              ["drop_basectl_" + r for r in reasons("core/mesh/basectl.h", "BASECTL_REASONS")] +
              ["drop_beacon_" + r for r in reasons("core/mesh/beacon.h", "BEACON_REASONS")])
own = re.findall(r"^\s*X\(([a-z_0-9]+)\)", open(src + "/daemon/mesh/counters.h").read(), re.M)
assert len(want_drops) > 40 and len(own) > 80, (len(want_drops), len(own))
missing = [k for k in want_drops + own if k not in c]
assert not missing, missing
for k in ("drop_mesh_too_short", "drop_mesh_bad_inner", "drop_mesh_hs_bad_mac1",
          "drop_mesh_hs_stale_timestamp", "drop_mesh_data_replay", "drop_mesh_data_bad_tag",
          "drop_basectl_bad_length", "drop_udp_truncated", "drop_tun_no_peer",
          "drop_relayed_not_from_base", "rtt_samples", "handshakes_sent_direct",
          "nat_probes_sent", "nat_probe_pongs"):
    assert k in c, k
assert c["rtt_samples"] >= 1 and c["nat_probe_pongs"] >= 1, c
' "$(status_json a)" "${ADDR[a]}" "${ADDR[b]}" "$BASE_IP" "$PORT" "$SNR_ROOT/src"
check_match "metrics: per-peer bytes" "^subnetra_mesh_peer_tx_bytes\{address=\"${ADDR[b]}\"\} [1-9][0-9]*$" \
	"$(cli a metrics)"
check_match "metrics: per-peer handshake age" \
	"^subnetra_mesh_peer_last_handshake_age_seconds\{address=\"${ADDR[b]}\"\} [0-9]+$" "$(cli a metrics)"
check_match "metrics: relay-udp" "^subnetra_mesh_peer_path\{address=\"${ADDR[b]}\",path=\"relay-udp\"\} 1$" \
	"$(cli a metrics)"
wait "$rtt_ping"
# The rule is real: a datagram A -> B's mesh port is dropped and counted.
d0=$(nft_dropped a)
ip netns exec "$RUN-a" bash -c "echo probe >/dev/udp/203.0.113.3/$PORT" 2>/dev/null
check_eq "A's nft rule drops UDP to B" $((d0 + 1)) "$(nft_dropped a)"
check_eq "base: no relay frame refused by the sender check" 0 \
	"$(json_get "$after" base_wrong_transport)"

# ---- 3. the base cannot read the traffic ----------------------------------------------
MARK=subnetra-basemk # 15 bytes, and ping -p takes 16: one more byte
HEX=$(str_hex "${MARK}!")
cap_start wire base eth0
cap_start tun a "$TUN"
check_eq "ping6 A -> B with the marker: 3 of 3" 3 \
	"$(ping_received a -6 -c 3 -W 2 -p "$HEX" -s 64 "${ADDR[b]}")"
cap_stop wire
cap_stop tun
check_ge "the marker is on A's TUN (plaintext side)" 3 "$(pcap_marker_count "$(cap_file tun)" "$MARK")"
check_ge "the base's wire saw the relayed traffic" 12 "$(pcap_count "$(cap_file wire)")"
check_eq "the marker never appears on the base's wire" 0 \
	"$(pcap_marker_count "$(cap_file wire)" "$MARK")"

# ---- 4. C is not on B's whitelist -------------------------------------------------------
check_eq "C -> B: no reply" 0 "$(ping_received c -6 -c 2 -W 1 "${ADDR[b]}")"
check_ge "the base answered C's lookup with DENIED" 1 "$(counter base base_denied)"
check_ge "C counts the refusal" 1 "$(counter c base_peer_unknown)"
check_fails "B does not list C" grep -q "${ADDR[c]}" <<<"$(status_json b)"

# ---- 4b. the whitelist changed live reaches the base too -------------------------------
# B's config lists only A; `whitelist add` must also tell the base that C may
# look B up (ALLOW), or C's lookup stays DENIED whatever B's list says.
check_match "B: whitelist add C" "^added ${ADDR[c]}" "$(cli b whitelist add "${ADDR[c]}")"
u0=$(counter c base_peer_unknown)
check "C -> B once B lists C (the base gave C B's record)" wait_until 15 ping_ok c "${ADDR[b]}"
check "C: a session with B" peer_up c b
check_eq "C: no more refusals from the base" "$u0" "$(counter c base_peer_unknown)"
check_match "B: whitelist rm C" "^removed ${ADDR[c]}" "$(cli b whitelist rm "${ADDR[c]}")"
check_eq "C -> B: no reply after rm" 0 "$(ping_received c -6 -c 2 -W 1 "${ADDR[b]}")"

# ---- 5. the base stops, then comes back ------------------------------------------------
stop_node base
check_eq "base down: A -> B gets no reply" 0 "$(ping_received a -6 -c 2 -W 1 "${ADDR[b]}")"
start_daemon base
check "A and B register with the restarted base" wait_until 60 base_nodes_ge 2
check "ping6 A -> B through the restarted base" wait_until 20 ping_ok a "${ADDR[b]}"
check "ping6 B -> A through the restarted base" wait_until 10 ping_ok b "${ADDR[a]}"
check_ge "A: the base was detected dead" 1 "$(counter a base_dead)"
check_ge "A registered twice" 2 "$(counter a base_registered)"
check_ge "restarted base relays" 2 "$(counter base relayed_packets)"

# ---- 6. reverse: a direct path wins ---------------------------------------------------------
stop_node a
stop_node b
stop_node c
ip netns exec "$RUN-a" nft delete table inet snrtest
ip netns exec "$RUN-b" nft delete table inet snrtest
node_config a true b
node_config b true a
start_daemon a
start_daemon b
check "LAN: A and B complete a handshake" wait_until 15 peer_up a b
check "A: B's path is direct" wait_until 5 peer_path a b direct
rel0=$(counter base relayed_packets)
check_eq "LAN: ping6 A -> B: 3 of 3" 3 "$(ping_received a -6 -c 3 -W 2 "${ADDR[b]}")"
check_eq "LAN: ping6 B -> A: 3 of 3" 3 "$(ping_received b -6 -c 3 -W 2 "${ADDR[a]}")"
check "A: B's path is still direct" peer_path a b direct
check_eq "the base relayed nothing for the direct pings" "$rel0" "$(counter base relayed_packets)"
check "A is registered with the base all the same" registered a

mesh_done a b base
