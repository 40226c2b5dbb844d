#!/usr/bin/env bash
# Mesh mode's first real run: three mesh nodes on one LAN, no base server.
# They find each other by signed multicast beacons, run the Noise IKpsk2
# handshake and carry IPv6 between their fc94 addresses through real TUNs.
#
#                 $RUN-net: br0 (mcast_snooping 0)
#              v-a /          | v-b          \ v-c
#     $RUN-a eth0        $RUN-b eth0        $RUN-c eth0     IPv6 link-local only
#     snr0 fc94:A        snr0 fc94:B        snr0 fc94:C     (accept_dad 0)
#     whitelist: B       whitelist: A       whitelist: A, B
#
#   1. A and B discover each other and complete a handshake (polled in
#      `status --json`, never a fixed sleep);
#   2. ping6 A -> B and B -> A by fc94 address: 3 of 3 replies each way;
#   3. status (text and JSON) shows the peer, path direct, non-zero bytes,
#      and its RTT (RTT PATH_PINGs while the ping runs: no base, no heartbeat);
#   4. C is not on A's list: C's pings to A get no reply, and A counts the
#      refusals (a handshake and a beacon that the whitelist refused);
#   5. a marker A -> B is on A's TUN but never on the wire (capture on A's
#      bridge port);
#   6. stopping a daemon exits 0 and removes its TUN.
#   (4b. a captured beacon of B's sent again to A from C is counted
#   replayed, and with a later seq under its signature bad_signature.)
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/lib_mesh.sh
. "$(dirname "$0")/lib_mesh.sh"

require_env
topo_init
ip -n "$NET_NS" link set br0 type bridge mcast_snooping 0 || bail "cannot turn off mcast_snooping"

for n in a b c; do mesh_node "$n"; done
for n in a b c; do
	wait_until 10 linklocal_ready "$n" || bail "$n: no link-local address on eth0"
done
mesh_config a b
mesh_config b a
mesh_config c a b

# C first: A's start-up beacon then reaches it, so C knows A's key at once.
start_mesh c
start_mesh a
start_mesh b

# ---- 1. discovery and handshake ---------------------------------------------
check "A and B find each other and complete a handshake" wait_until 15 peer_up a b
check "B lists A with a completed handshake" wait_until 5 peer_up b a

# ---- 2. ping6 both ways --------------------------------------------------------
check_eq "ping6 A -> B: 3 of 3" 3 "$(ping_received a -6 -c 3 -W 2 "${ADDR[b]}")"
check_eq "ping6 B -> A: 3 of 3" 3 "$(ping_received b -6 -c 3 -W 2 "${ADDR[a]}")"

# ---- 3. status -----------------------------------------------------------------------
pa=$(peer_obj a b)
check_match "A: B's path is direct" '"path":"direct"' "$pa"
check_match "A: B's hostname from its beacon" '"hostname":"node-b"' "$pa"
check_match "A: B's endpoint is link-local" '"endpoint":"\[fe80:' "$pa"
check_match "A: rx bytes from B" '"rx_bytes":[1-9]' "$pa"
check_match "A: tx bytes to B" '"tx_bytes":[1-9]' "$pa"
ja=$(status_json a)
check_match "A: mode mesh, own address" "\"mode\":\"mesh\",\"address\":\"${ADDR[a]}\"" "$ja"
check_match "A: listen port" "\"listen_port\":$PORT" "$ja"
check_ge "A: handshakes completed" 1 "$(json_get "$ja" handshakes_completed)"
check_ge "A: beacons received" 1 "$(json_get "$ja" beacons_received)"
check_ge "A: packets written to the TUN" 3 "$(json_get "$ja" tun_tx_packets)"
text=$(cli a status)
check_match "status text: mode mesh" "mode=mesh address=${ADDR[a]} udp_port=$PORT" "$text"
check_match "status text: B direct" "address=${ADDR[b]} hostname=node-b path=direct" "$text"
# No base, so no heartbeat: an RTT PATH_PING every 3 s while packets flow.
rtt_known() { peer_obj "$1" "$2" | grep -Eq '"rtt_ms":[0-9]+\.[0-9]{3}'; }
nsx a ping -6 -c 25 -i 0.2 -W 1 "${ADDR[b]}" >/dev/null 2>&1 &
rtt_ping=$!
bg_track "$rtt_ping"
check "A: B's RTT measured on the LAN path" wait_until 10 rtt_known a b
check_match "status text: B's rtt" "address=${ADDR[b]} .* rtt=[0-9.]+ms " "$(cli a status)"
wait "$rtt_ping"

# ---- 4. C is not on A's whitelist --------------------------------------------------------
check_eq "C -> A: no reply" 0 "$(ping_received c -6 -c 2 -W 1 "${ADDR[a]}")"
check "A counts C's refused handshakes" wait_until 5 counter_ge a drop_mesh_hs_not_allowed 1
check_ge "A counts C's refused beacons" 1 "$(counter a drop_beacon_not_allowed)"
check_fails "A does not list C" grep -q "${ADDR[c]}" <<<"$(status_json a)"
check_match "C knows A (its beacon) but never completed a handshake" \
	'"last_handshake_age_s":null' "$(peer_obj c a)"

# ---- 4b. a replayed and a forged beacon: dropped, counted ---------------------------------
# B's beacon captured on C's port, then sent again from C to A's beacon port
# (unicast, a
# link-local source: it passes the source check) once A's 5 s per-key guard
# has passed: A counts it replayed; the same with a later seq under the old
# signature: bad_signature.  `whitelist add` makes B beacon now.
BEACON_PORT=5581 # core/mesh/beacon.h
cap_start beacon c eth0 "udp dst port $BEACON_PORT and ip6 multicast"
check "B: whitelist add (it beacons at once)" cli b whitelist add fc94::4b
captured() { [ "$(pcap_count "$T/beacon.pcap")" -ge 1 ]; }
check "B's beacon captured" wait_until 5 captured
cap_stop beacon
A_LL=$(ip -n "$RUN-a" -6 addr show dev eth0 scope link | sed -n 's/.*inet6 \(fe80[^/]*\).*/\1/p' | head -n 1)
# inject_beacon FORGE: the first captured beacon whose key is B's, to A; with
# FORGE 1 its seq raised by 1000 under the old signature (a forgery that no
# replay check catches).
inject_beacon() {
	nsx c python3 - "$T/beacon.pcap" "$A_LL" "$BEACON_PORT" "${PK[b]}" "$1" <<'PY'
import socket, struct, sys
pcap, dst, port, pk, forge = sys.argv[1], sys.argv[2], int(sys.argv[3]), bytes.fromhex(sys.argv[4]), int(sys.argv[5])
data = open(pcap, "rb").read()
off = 24  # classic pcap, Ethernet frames
while off + 16 <= len(data):
    incl = struct.unpack("<I", data[off + 8:off + 12])[0]
    frame = data[off + 16:off + 16 + incl]
    off += 16 + incl
    if len(frame) < 14 + 40 + 8 or frame[12:14] != b"\x86\xdd" or frame[20] != 17:
        continue
    payload = frame[14 + 40 + 8:]
    if pk not in payload:
        continue
    if forge:  # a later seq (u64 at 40) under the old signature
        seq = struct.unpack(">Q", payload[40:48])[0] + 1000
        payload = payload[:40] + struct.pack(">Q", seq) + payload[48:]
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.sendto(payload, socket.getaddrinfo(dst + "%eth0", port, socket.AF_INET6)[0][4])
    sys.exit(0)
sys.exit("no beacon of that key in the capture")
PY
}
r0=$(counter a drop_beacon_replayed)
f0=$(counter a drop_beacon_bad_signature)
sleep 5.2
check "C sends A B's beacon again" inject_beacon 0
check "A counts it replayed" wait_until 5 counter_ge a drop_beacon_replayed $((r0 + 1))
sleep 5.2
check "C sends A B's beacon with a later seq (the signature no longer matches)" inject_beacon 1
check "A counts it: bad signature" wait_until 5 counter_ge a drop_beacon_bad_signature $((f0 + 1))
check "A and B still up" peer_up a b

# ---- 5. the marker is encrypted on the wire ----------------------------------------------
MARK=subnetra-meshmk # 15 bytes, and ping -p takes 16: one more byte
HEX=$(str_hex "${MARK}!")
NODE_NS[bridge]=$NET_NS
cap_start wire bridge v-a
cap_start tun a "$TUN"
check_eq "ping6 A -> B with the marker: 3 of 3" 3 \
	"$(ping_received a -6 -c 3 -W 2 -p "$HEX" -s 64 "${ADDR[b]}")"
cap_stop wire
cap_stop tun
check_ge "the marker is on A's TUN (plaintext side)" 3 "$(pcap_marker_count "$(cap_file tun)" "$MARK")"
check_ge "the wire capture saw the traffic" 6 "$(pcap_count "$(cap_file wire)")"
check_eq "the marker never appears on the wire" 0 "$(pcap_marker_count "$(cap_file wire)" "$MARK")"

# ---- 6. stop: clean exit, TUN gone ------------------------------------------------------------
stop_node a
check_fails "A's TUN is gone" ip -n "$RUN-a" link show "$TUN"
stop_node b
check_fails "B's TUN is gone" ip -n "$RUN-b" link show "$TUN"
stop_node c
for n in a b c; do
	check_fails "$n: no seccomp violation" grep -q 'seccomp: forbidden' "${NODE_LOG[$n]}"
done
done_testing
