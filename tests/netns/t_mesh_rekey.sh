#!/usr/bin/env bash
# Sessions under way: rekeying with short timers loses nothing, an inner
# packet whose source is not the peer's address is dropped and counted, and
# a node whose only interface comes up after start-up beacons on it
# (docs/mesh.md "rekey_interval", "Recovery"; docs/mesh-protocol.md
# "Sessions and timers").
#
#                      $RUN-net: br0 (mcast_snooping 0)
#        v-a /                 | v-b                    \ v-c
#   $RUN-a eth0            $RUN-b eth0              $RUN-c eth0 (down at start)
#   rekey_interval 10      rekey_interval 10        rekey_interval 120 (default)
#                                                   "user": "nobody"
#   wl: B, C               wl: A                    wl: A
#   LAN discovery, no base.
#
#   1. A and B connect over the LAN; a ping A -> B and a TCP stream A -> B
#      (random bytes, SHA-256 on both ends) run until A has completed four
#      more handshakes (at least three rekeys, should the first be the
#      second half of a simultaneous initiation): not one ping lost, the
#      stream arrives whole;
#   2. B adds a second fc94 address to its TUN and pings A from it: B seals
#      it in the session (B checks nothing on the way out), A drops every
#      one on drop_mesh_data_inner_bad_source, and the session still works;
#   3. C started with eth0 down (LAN discovery on no interface); eth0 comes
#      up: netlink tells C, C joins it and beacons (QUERY): A and C connect.
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/lib_mesh.sh
. "$(dirname "$0")/lib_mesh.sh"

require_env
command -v python3 >/dev/null || bail "python3 is needed (the TCP stream)"
mesh_bridge_init

STREAM_PORT=5001
SPOOF=fc94::5:5

for n in a b c; do mesh_node "$n"; done
for n in a b; do
	wait_until 10 linklocal_ready "$n" || bail "$n: no link-local address on eth0"
done
ip -n "$RUN-c" link set eth0 down
MESH_EXTRA[a]='"rekey_interval": 10,'
MESH_EXTRA[b]='"rekey_interval": 10,'
MESH_EXTRA[c]='"user": "nobody",' # the watch works without privileges after start-up
mesh_config a b c
mesh_config b a
mesh_config c a

# ---- 1. three rekeys under a ping and a TCP stream ---------------------------------------
start_mesh a
start_mesh b
start_mesh c
check "A and B complete a handshake" wait_until 15 peer_up a b
check "ping6 A -> B" wait_until 5 ping_ok a "${ADDR[b]}"
hs_a=$(counter a handshakes_completed)
hs_b=$(counter b handshakes_completed)
# The receiver: every byte into SHA-256; "BYTES HEX" when the sender closes.
ip netns exec "$RUN-b" python3 -c '
import hashlib, socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(1)
open(sys.argv[3] + ".up", "w").close()
c, _ = s.accept()
h, n = hashlib.sha256(), 0
while True:
    d = c.recv(65536)
    if not d:
        break
    h.update(d)
    n += len(d)
open(sys.argv[3], "w").write("%d %s\n" % (n, h.hexdigest()))
' "${ADDR[b]}" "$STREAM_PORT" "$T/rx.sum" >"$T/rx.log" 2>&1 &
bg_track $!
wait_until 10 test -e "$T/rx.sum.up" || bail "the stream receiver did not start: $(cat "$T/rx.log")"
# The sender: random 16 KiB chunks, 20 a second, until $T/stop exists.
ip netns exec "$RUN-a" python3 -c '
import hashlib, os, socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
h, n = hashlib.sha256(), 0
while not os.path.exists(sys.argv[4]):
    d = os.urandom(16384)
    s.sendall(d)
    h.update(d)
    n += len(d)
    time.sleep(0.05)
s.shutdown(socket.SHUT_WR)
s.recv(1)
open(sys.argv[3], "w").write("%d %s\n" % (n, h.hexdigest()))
' "${ADDR[b]}" "$STREAM_PORT" "$T/tx.sum" "$T/stop" >"$T/tx.log" 2>&1 &
sender=$!
bg_track "$sender"
ping_start a rekey "${ADDR[b]}"
t0=$(now_ms)
check "rekey: A completes four more handshakes" \
	wait_until 90 counter_ge a handshakes_completed $((hs_a + 4))
t1=$(now_ms)
touch "$T/stop"
wait "$sender"
check "rekey: the receiver has the whole stream" wait_until 10 test -s "$T/rx.sum"
ping_stop
read -r runs longest < <(ping_gaps "$T/rekey.ping")
diag "rekey: $(($(counter a handshakes_completed) - hs_a)) handshakes in $((t1 - t0)) ms;" \
	"$(ping_last "$T/rekey.ping") pings, $runs gap(s); stream: $(cat "$T/tx.sum" 2>/dev/null)"
diag "rekey: drop_mesh_unknown_receiver (DATA under a retired keypair, or the answer to a given-up initiation): A $(counter a drop_mesh_unknown_receiver), B $(counter b drop_mesh_unknown_receiver)"
if [ "$runs" != 0 ]; then # what the nodes dropped, and when the gap was
	for n in a b; do
		diag "$n: $(status_json "$n" | grep -o '"\(drop_[a-z0-9_]*\|handshakes_[a-z_]*\)":[1-9][0-9]*' | tr '\n' ' ')"
	done
	diag "unanswered: $(ping_seqs "$T/rekey.ping" | awk 'NR > 1 && $1 > p + 1 { for (i = p + 1; i < $1; i++) printf "%d ", i } { p = $1 }')"
	diag "around it: $(grep -E 'icmp_seq=' "$T/rekey.ping" | awk -v s="$(ping_seqs "$T/rekey.ping" | awk 'NR > 1 && $1 > p + 1 { print p; exit } { p = $1 }')" -F'icmp_seq=' '{ split($2, a, " "); if (a[1] + 0 >= s - 1 && a[1] + 0 <= s + 3) printf "%s | ", $0 }')"
	diag "a.log: $(grep -v 'LAN discovery\|control socket\|state_dir\|managed set\|configured snr0' "${NODE_LOG[a]}" | tail -5 | tr '\n' '|')"
fi
check_eq "rekey: not one ping lost" "0 0" "$runs $longest"
check_ge "rekey: B completed them too" $((hs_b + 4)) "$(counter b handshakes_completed)"
check_match "rekey: the stream carried data" '^[1-9][0-9]* [0-9a-f]{64}$' "$(cat "$T/tx.sum" 2>/dev/null)"
check_eq "rekey: bytes and SHA-256 the same at both ends" "$(cat "$T/tx.sum" 2>/dev/null)" \
	"$(cat "$T/rx.sum" 2>/dev/null)"
check_eq "rekey: A refused no DATA as expired" 0 "$(counter a drop_mesh_data_expired)"
check_eq "rekey: B refused no DATA as expired" 0 "$(counter b drop_mesh_data_expired)"

# ---- 2. a spoofed inner source ------------------------------------------------------------
ip -n "$RUN-b" addr add "$SPOOF/128" dev "$TUN" nodad || bail "B: cannot add $SPOOF"
d0=$(counter a drop_mesh_data_inner_bad_source)
tun0=$(counter a tun_tx_packets)
check_eq "spoof: B -> A from $SPOOF: no reply" 0 \
	"$(ping_received b -6 -c 3 -i 0.2 -W 1 -I "$SPOOF" "${ADDR[a]}")"
check "spoof: A counts the three on drop_mesh_data_inner_bad_source" \
	wait_until 5 counter_ge a drop_mesh_data_inner_bad_source $((d0 + 3))
check_eq "spoof: none reached A's TUN" "$tun0" "$(counter a tun_tx_packets)"
check_eq "spoof: B -> A from its own address: 3 of 3" 3 \
	"$(ping_received b -6 -c 3 -i 0.2 -W 1 -I "${ADDR[b]}" "${ADDR[a]}")"

# ---- 3. an interface that comes up after start-up -----------------------------------------
check_match "late: C started with no beacon interface" "LAN discovery on 0 interface" \
	"$(cat "${NODE_LOG[c]}")"
ip -n "$RUN-c" link set eth0 up
check "late: C joins eth0 (netlink)" wait_until 10 grep -q "LAN discovery now on 1 interface(s): eth0" "${NODE_LOG[c]}"
check "late: A and C complete a handshake" wait_until 15 peer_up a c
check_eq "late: ping6 C -> A: 3 of 3" 3 "$(ping_received c -6 -c 3 -i 0.2 -W 2 "${ADDR[a]}")"
check_ge "late: C counted the change" 1 "$(counter c net_changes)"
check_match "late: C runs as nobody" "^Uid:[[:space:]]+$(id -u nobody)[[:space:]]" \
	"$(cat "/proc/${NODE_PID[c]}/status" 2>/dev/null)"

mesh_done a b c
