#!/usr/bin/env bash
# Fault: spoke A sits behind a masquerading NAT router whose mapping is lost
# (conntrack flushed, and the router now maps to another port range).
#
#   [a] 192.168.77.2 --veth-- 192.168.77.1 [rtr] 203.0.113.5 --+
#   snr0 10.0.0.2/24           MASQUERADE -o eth0               |
#                                  +------------ br0 ([net]) ---+
#                                  |                    |
#                     203.0.113.1 [hub]        203.0.113.3 [b] snr0 10.0.0.3/24
#
# keepalive_secs = 2 (obfuscated: each interval is drawn in [1, 2] s).
# 1. Mid-transfer: while a TCP transfer A->B runs, the mapping changes.  The
#    hub learns A's new public endpoint from A's next datagram (exactly one
#    udp_endpoint_learned) and the transfer completes, every byte intact.
# 2. Idle: A sends nothing but keepalives; the mapping changes again and B
#    pings A (the hub's datagrams to the old mapping die at the router).  A's
#    next keepalive restores the path: B's first reply arrives within one
#    keepalive interval (+ margin) of the flush, and the hub learned the new
#    endpoint, again exactly once.
set -u
. "$(dirname "$0")/lib_fault.sh"

require_fault_env
for t in iptables conntrack; do
	command -v "$t" >/dev/null || bail "missing tool: $t (run scripts/deps.sh)"
done

KA=2            # keepalive_secs
MARGIN_MS=700   # scheduling margin on top of one keepalive interval
XFER_BYTES=$((8 * 1024 * 1024))
[ "$SOAK" = 1 ] && XFER_BYTES=$((64 * 1024 * 1024))

topo_init
topo_add_node hub 203.0.113.1
topo_add_node b 203.0.113.3
topo_add_node rtr 203.0.113.5
topo_add_behind a 192.168.77.2 rtr 192.168.77.1
nsx rtr sysctl -qw net.ipv4.ip_forward=1
nsx rtr iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE ||
	bail "iptables MASQUERADE in the router namespace failed"
wait_until 10 nsx a ping -c1 -W1 203.0.113.1 || bail "a cannot reach the hub through the NAT"

write_mesh_configs "" "\"keepalive_secs\": $KA"
start_node hub "$T/hub.json"
start_node b "$T/b.json"
start_node a "$T/a.json"
wait_until 10 ping_ok a 10.0.0.3 || bail "no tunnel traffic A->B through the NAT"
ep0=$(peer_endpoint hub 2)
check_match "hub sees A at the router's public address ($ep0)" '^203\.0\.113\.5:' "$ep0"

# remap FIRST-LAST: from now on the router maps A to ports FIRST-LAST, and
# every existing mapping is forgotten.
remap() {
	nsx rtr iptables -t nat -D POSTROUTING 1 2>/dev/null
	nsx rtr iptables -t nat -I POSTROUTING 1 -o eth0 -p udp -j MASQUERADE --to-ports "$1" ||
		return 1
	REMAP_MS=$(now_ms)
	nsx rtr conntrack -F >/dev/null 2>&1
}
# The first remap must not delete the plain MASQUERADE rule: add a dummy first.
nsx rtr iptables -t nat -I POSTROUTING 1 -o eth0 -p udp -j MASQUERADE

# ---- 1. mid-transfer ---------------------------------------------------------------
# A paced exact transfer (XFER_BYTES at ~2 MiB/s: several seconds of steady
# traffic), remapped a second into it.
head -c "$XFER_BYTES" /dev/urandom >"$T/payload"
xfer_server mid b 10.0.0.3 5300
cap_start newmap hub eth0 udp and src host 203.0.113.5 and src portrange 40000-40999
hub0=$(status_json hub)
( xfer_send mid a 10.0.0.3 5300 "$T/payload" $((2 * 1024 * 1024)); echo $? >"$T/mid.rc" ) &
XPID=$!
bg_track "$XPID"
wait_until 20 counter_ge hub relay_packets $(($(json_get "$hub0" relay_packets) + 1000)) ||
	diag "transfer did not get going"
remap 40000-40999 || bail "remap failed"
t_flush=$REMAP_MS
check "mid-transfer: hub learned A's new endpoint" wait_until 5 peer_endpoint_not hub 2 "$ep0"
check "mid-transfer: the transfer was still running after the remap" proc_alive "$XPID"
wait_until 120 not_alive "$XPID"
wait "$XPID"
check_eq "mid-transfer: the transfer completed" 0 "$(cat "$T/mid.rc" 2>/dev/null)"
check "mid-transfer: every byte delivered intact (size and SHA-256 match)" \
	same_file "$T/payload" "$T/mid.out"
cap_stop newmap
# When did A's first datagram on the new mapping reach the hub?  The hub
# learns from exactly that datagram (it authenticates).
first=$(tcpdump -tt -n -r "$(cap_file newmap)" 2>/dev/null | head -n 1 |
	sed -n 's/^\([0-9]*\)\.\([0-9]\{3\}\).*/\1\2/p')
[ -n "$first" ] && report nat_mid_transfer_first_new_datagram_ms $((first - t_flush))
hub1=$(status_json hub)
ep1=$(peer_endpoint hub 2)
check_match "mid-transfer: the new mapping is in 40000-40999 ($ep1)" '^203\.0\.113\.5:40[0-9]{3}$' "$ep1"
check_eq "mid-transfer: exactly one udp_endpoint_learned" 1 \
	"$(delta "$hub0" "$hub1" udp_endpoint_learned)"
check_eq "mid-transfer: nothing dropped at the hub" 0 "$(($(drop_total "$hub1") - $(drop_total "$hub0")))"

# ---- 2. idle: only keepalives from A --------------------------------------------------
# Let A go quiet: wait for one keepalive after the transfer, then flush.
k0=$(json_get "$(status_json hub)" keepalive_rx)
wait_until 5 counter_ge hub keepalive_rx $((k0 + 1)) || diag "no keepalive from A"
hub0=$(status_json hub)
remap 41000-41999 || bail "remap failed"
t_flush=$REMAP_MS
ip netns exec "${NODE_NS[b]}" ping -D -n -i 0.05 -c $(((KA * 1000 + 3000) / 50)) -W 1 \
	10.0.0.2 </dev/null >"$T/idle-ping.log" 2>&1
first=$(sed -n 's/^\[\([0-9]*\)\.\([0-9]\{3\}\)[0-9]*\].*bytes from.*/\1\2/p' "$T/idle-ping.log" | head -n 1)
hub1=$(status_json hub)
if [ -n "$first" ]; then
	restore=$((first - t_flush))
	report nat_idle_restore_ms "$restore"
	check_le "idle: B->A traffic restored within one keepalive interval + ${MARGIN_MS} ms ($restore ms)" \
		$((KA * 1000 + MARGIN_MS)) "$restore"
else
	not_ok "idle: B->A traffic restored at all"
	diag "$(tail -n 5 "$T/idle-ping.log")"
fi
ep2=$(peer_endpoint hub 2)
check_match "idle: hub learned A's new endpoint in 41000-41999 ($ep2)" '^203\.0\.113\.5:41[0-9]{3}$' "$ep2"
check_eq "idle: exactly one udp_endpoint_learned" 1 "$(delta "$hub0" "$hub1" udp_endpoint_learned)"
check_ge "idle: the path came back through a keepalive (hub keepalive_rx rose)" 1 \
	"$(delta "$hub0" "$hub1" keepalive_rx)"
check_eq "idle: nothing dropped at the hub" 0 "$(($(drop_total "$hub1") - $(drop_total "$hub0")))"

stop_node a
stop_node b
stop_node hub
done_testing
