#!/usr/bin/env bash
# Roaming: spoke A changes its underlay address in the middle of a ping; the
# hub learns the new endpoint from A's next authenticated datagram and the
# ping carries on.
#
#    a (10.0.0.2)                hub                     b (10.0.0.3)
#    eth0 203.0.113.2  ==>  203.0.113.12 (mid-ping)      203.0.113.3
#         \______________ br0 (net) 203.0.113.1 _____________/
#
# Asserts: the hub's udp_endpoint_learned rises by exactly 1, its status (text
# and JSON) shows 203.0.113.12:18020 for peer 2, at most a few echoes are lost
# around the switch, the last stretch of the ping is complete, and a fresh
# ping afterwards has no loss.
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

require_env
topo_standard
write_mesh_configs "" '"keepalive_secs": 0'
start_node hub "$T/hub.json"
start_node a "$T/a.json"
start_node b "$T/b.json"

PINGS=200   # 10 s at 50 ms
MAX_LOST=10 # echoes allowed to vanish around the address change
TAIL=40     # the last TAIL echoes must all be answered

got=$(ping_received a -n -c 3 -i 0.05 -W 2 10.0.0.3)
check_eq "before: a -> b 3/3" 3 "$got"
H0=$(status_json hub) || bail "status --json on hub failed"
check_match "before: hub has a at 203.0.113.2:18020" '"endpoint":"203.0.113.2:18020"' \
	"$(json_peer "$H0" 2)"

ip netns exec "${NODE_NS[a]}" ping -n -i 0.05 -c "$PINGS" -W 1 10.0.0.3 >"$T/ping.out" 2>&1 &
ping_pid=$!
bg_track "$ping_pid"
# shellcheck disable=SC2317 # called through wait_until
replies_ge() { [ "$(grep -c 'bytes from' "$T/ping.out")" -ge "$1" ]; }
wait_until 10 replies_ge 20 || bail "background ping is not getting replies"

# The switch: the new address first (promoted when the old one goes), then
# the old one away; the daemon's wildcard socket now sources from .12.
nsx a sysctl -qw net.ipv4.conf.eth0.promote_secondaries=1
nsx a ip addr add 203.0.113.12/24 dev eth0 || bail "cannot add 203.0.113.12 on a"
nsx a ip addr del 203.0.113.2/24 dev eth0 || bail "cannot remove 203.0.113.2 from a"
check_eq "a's underlay address is now only 203.0.113.12" "203.0.113.12/24" \
	"$(nsx a ip -4 -o addr show dev eth0 | awk '{print $4}' | tr '\n' ' ' | sed 's/ $//')"
check "the address changed while the ping was running" proc_alive "$ping_pid"

wait "$ping_pid"
got=$(sed -n 's/.* \([0-9][0-9]*\) received.*/\1/p' "$T/ping.out")
check_ge "during the switch: at most $MAX_LOST of $PINGS echoes lost" $((PINGS - MAX_LOST)) "$got"
diag "echoes lost during the switch: $((PINGS - ${got:-0}))"
missing=""
for seq in $(seq $((PINGS - TAIL + 1)) "$PINGS"); do
	grep -q "icmp_seq=$seq " "$T/ping.out" || missing="$missing $seq"
done
check_eq "recovered: the last $TAIL echoes were all answered" "" "$missing"

H1=$(status_json hub) || bail "status --json on hub failed"
check_eq "hub: udp_endpoint_learned +1" 1 "$(delta "$H0" "$H1" udp_endpoint_learned)"
check_match "hub JSON: peer 2 endpoint is now 203.0.113.12:18020" \
	'"endpoint":"203.0.113.12:18020"' "$(json_peer "$H1" 2)"
check_match "hub JSON: peer 2 still online" '"online":true' "$(json_peer "$H1" 2)"
check_match "hub JSON: peer 3 unchanged" '"endpoint":"203.0.113.3:18020"' "$(json_peer "$H1" 3)"
check_match "hub status: peer line shows the new endpoint" \
	'^  id=2 endpoint=203\.0\.113\.12:18020 allowed_src=10\.0\.0\.2/32 ' "$(cli hub status)"
check_eq "hub: no drops while a roamed" 0 "$(($(drop_total "$H1") - $(drop_total "$H0")))"

got=$(ping_received a -n -c 10 -i 0.05 -W 2 10.0.0.3)
check_eq "after: a -> b 10/10 from the new address" 10 "$got"
H2=$(status_json hub) || bail "status --json on hub failed"
check_eq "after: no further endpoint change" 0 "$(delta "$H1" "$H2" udp_endpoint_learned)"

stop_node a
stop_node b
stop_node hub
done_testing
