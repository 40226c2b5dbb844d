#!/usr/bin/env bash
# UDP offloads on the TUN: received datagrams of one flow are coalesced into
# UDP_L4 super-packets on the way to the TUN, and super-packets from a local
# UDP_SEGMENT sender are cut into datagrams before sealing -- without losing,
# duplicating or altering one byte.
#
#      a (spoke 2) 10.0.0.2                         b (spoke 3) 10.0.0.3
#      udp_stream send ---> snr0              snr0 ---> udp_stream recv :9000
#                            |                  ^
#      eth0 203.0.113.2 -----+---> hub 203.0.113.1 (relay) ---+ eth0 203.0.113.3
#
# 1. paced bursts of 3000 datagrams of 1372 bytes, a -> b: all arrive intact,
#    once, in order; exact counters on a, the hub and b; b wrote them to its
#    TUN in fewer writes than datagrams (b's snr0 rx_packets grows by less
#    than b's tun_tx_packets), unless b's kernel has no USO (the daemon says
#    so at start, and then it is one write per datagram).
# 2. a UDP_SEGMENT sender on a, 100 messages of 10 x 1200 + 1 x 500 bytes:
#    a's kernel hands the daemon 100 super-packets (a's snr0 tx_packets +100)
#    which it cuts into 1100 datagrams (a's tun_rx_packets +1100): all 1100
#    arrive intact at b, none dropped anywhere.
# 3. an unpaced flood (3 s): whatever is lost, nothing arrives corrupt or
#    twice, b delivered to its TUN at least what the receiver got, and a
#    accounted for every packet it read (sent or counted as a drop).
# run.sh: exclusive
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

require_env
UDP_STREAM=$SNR_BUILD/tests/tools/udp_stream
[ -x "$UDP_STREAM" ] || bail "test tool not built: $UDP_STREAM (make test-build)"
topo_standard
# No keepalives: every datagram counted below is one of ours.
write_mesh_configs "" '"keepalive_secs": 0'
start_node hub "$T/hub.json"
start_node a "$T/a.json"
start_node b "$T/b.json"
wait_until 10 ping_ok a 10.0.0.3 || bail "no ping a -> b through the hub"

USO=1
if grep -q 'no UDP segmentation offload' "${NODE_LOG[b]}"; then
	USO=0
	diag "b's kernel refuses USO on the TUN: no coalescing expected"
fi

# tun_stat NODE NAME: a statistics counter of NODE's snr0 (the kernel's view).
tun_stat() { nsx "$1" cat "/sys/class/net/$TUN/statistics/$2"; }
# stream_recv EXPECT: a checking receiver on b, ready when bound (pid RPID).
RPID=""
stream_recv() {
	nsx b "$UDP_STREAM" recv --port 9000 --expect "$1" --idle-ms 3000 \
		>"$T/recv.out" 2>"$T/recv.err" &
	RPID=$!
	bg_track "$RPID"
	wait_until 5 grep -q listening "$T/recv.err" || bail "udp_stream recv did not start"
}
# recv_field NAME: a number from the receiver's summary line.
recv_field() { sed -n "s/.* $1 \([0-9]*\).*/\1/p; s/^$1 \([0-9]*\).*/\1/p" "$T/recv.out"; }
snapshot() {
	A0=$(status_json a) || bail "status --json on a failed"
	H0=$(status_json hub) || bail "status --json on hub failed"
	B0=$(status_json b) || bail "status --json on b failed"
}
snapshot_after() {
	A1=$(status_json a) || bail "status --json on a failed"
	H1=$(status_json hub) || bail "status --json on hub failed"
	B1=$(status_json b) || bail "status --json on b failed"
}

# ---- 1. paced bursts: coalesced on b's TUN ------------------------------------------------
N=3000 SIZE=1372
snapshot
brx0=$(tun_stat b rx_packets)
stream_recv "$N"
check "a sends $N datagrams of $SIZE bytes in bursts of 64" \
	nsx a "$UDP_STREAM" send --to 10.0.0.3:9000 --count "$N" --size "$SIZE" \
	--burst 64 --pause-us 5000
wait "$RPID"
snapshot_after
brx=$(($(tun_stat b rx_packets) - brx0))
diag "receiver: $(cat "$T/recv.out"); b's TUN writes: $brx"
check_eq "b received all $N" "$N" "$(recv_field received)"
check_eq "every one intact and once (ok = $N, in order)" "$N $N 0 0 0" \
	"$(recv_field received) $(recv_field ok) $(recv_field bad) $(recv_field dup) $(recv_field reordered)"
check_eq "a: tun_rx_packets +$N" "$N" "$(delta "$A0" "$A1" tun_rx_packets)"
check_eq "a: udp_tx_packets +$N" "$N" "$(delta "$A0" "$A1" udp_tx_packets)"
check_eq "hub: relay_packets +$N" "$N" "$(delta "$H0" "$H1" relay_packets)"
check_eq "b: tun_tx_packets +$N" "$N" "$(delta "$B0" "$B1" tun_tx_packets)"
check_eq "b: tun_tx_bytes +$((N * (SIZE + 28)))" "$((N * (SIZE + 28)))" \
	"$(delta "$B0" "$B1" tun_tx_bytes)"
check_eq "no drops on a, hub or b" 0 \
	"$(($(drop_total "$A1") + $(drop_total "$H1") + $(drop_total "$B1")))"
if [ "$USO" = 1 ]; then
	check_le "b coalesced: $N datagrams in at most $((N / 2)) TUN writes" $((N / 2)) "$brx"
else
	check_eq "b without USO: one TUN write per datagram" "$N" "$brx"
fi

# ---- 2. a UDP_SEGMENT sender: super-packets cut on a -------------------------------------
MSGS=100 SEGS=11
N=$((MSGS * SEGS))
snapshot
atx0=$(tun_stat a tx_packets)
stream_recv "$N"
check "a sends $MSGS UDP_SEGMENT messages of 10 x 1200 + 1 x 500 bytes" \
	nsx a "$UDP_STREAM" send --to 10.0.0.3:9000 --count "$N" --size 1200 \
	--gso "$SEGS" --last 500 --burst 110 --pause-us 5000
wait "$RPID"
snapshot_after
atx=$(($(tun_stat a tx_packets) - atx0))
diag "receiver: $(cat "$T/recv.out"); packets a's kernel handed to the daemon: $atx"
check_eq "every one of the $N datagrams arrived intact and once" "$N $N 0 0" \
	"$(recv_field received) $(recv_field ok) $(recv_field bad) $(recv_field dup)"
check_eq "a: tun_rx_packets +$N (each segment counted)" "$N" "$(delta "$A0" "$A1" tun_rx_packets)"
check_eq "a: tun_rx_bytes +$((MSGS * (10 * 1228 + 528)))" "$((MSGS * (10 * 1228 + 528)))" \
	"$(delta "$A0" "$A1" tun_rx_bytes)"
check_eq "a: udp_tx_packets +$N" "$N" "$(delta "$A0" "$A1" udp_tx_packets)"
check_eq "b: tun_tx_packets +$N" "$N" "$(delta "$B0" "$B1" tun_tx_packets)"
check_eq "no drops on a, hub or b" 0 \
	"$(($(drop_total "$A1") + $(drop_total "$H1") + $(drop_total "$B1")))"
if grep -q 'no UDP segmentation offload' "${NODE_LOG[a]}"; then
	diag "a's kernel refuses USO: its kernel segmented the messages itself"
else
	check_eq "a's kernel handed over $MSGS super-packets, not $N datagrams" "$MSGS" "$atx"
fi

# ---- 3. an unpaced flood --------------------------------------------------------------------
snapshot
stream_recv 1000000
nsx a timeout 3 "$UDP_STREAM" send --to 10.0.0.3:9000 --count 1000000 --size "$SIZE" \
	>/dev/null 2>&1
wait "$RPID"
snapshot_after
got=$(recv_field received)
diag "flood: $(cat "$T/recv.out"); b tun_tx +$(delta "$B0" "$B1" tun_tx_packets)"
check_ge "the flood got through (some datagrams arrived)" 1 "$got"
check_eq "nothing corrupt or duplicated" "0 0" "$(recv_field bad) $(recv_field dup)"
check_ge "b delivered to its TUN at least what arrived" "$got" "$(delta "$B0" "$B1" tun_tx_packets)"
# A flood may overrun a socket buffer (counted); every packet is accounted for.
check_eq "a: every packet read was sent or counted as a drop" \
	"$(delta "$A0" "$A1" tun_rx_packets)" \
	"$(($(delta "$A0" "$A1" udp_tx_packets) + $(drop_total "$A1") - $(drop_total "$A0")))"

stop_node a
stop_node b
stop_node hub
done_testing
