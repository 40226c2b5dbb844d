#!/usr/bin/env bash
# `make demo`, act 2 (scripts/demo.sh runs both acts): the README's "Mesh
# quick start", live, in network namespaces on this machine -- a base server
# and two mesh nodes, each node behind a home router of its own (the NAT lab
# of tests/netns/lib_mesh.sh).
#
#   laptop 10.0.1.2 --lan-- rA 10.0.1.1 | 203.0.113.1 --\
#                                                         bridge ("public") -- base 203.0.113.10
#   robot  10.0.2.2 --lan-- rB 10.0.2.1 | 203.0.113.2 --/
#
#   rA, rB: nftables masquerade out of eth0; forward and input chains with
#   policy drop, so that only what the LAN asked for comes back in.
#
# Every step is printed.  The laptop pings the robot's fc94 address: the
# first packets go through the base (relay-udp) while both nodes probe for a
# direct path, which both NATs let through (direct).  Each node pings the
# other by name (the managed block of its hosts file, kept in the temp dir:
# the host's /etc/hosts is never touched).  Then rA drops UDP between the
# nodes (not to the base): the pings carry on through the relay, and status
# says why.  Everything is torn down at the end.  Exit status: 0 if every
# step did what it says and every daemon exited cleanly, 1 otherwise.
#
#   scripts/demo-mesh.sh            (needs root, nft, conntrack; `make demo` builds first)
#   SUBNETRA_BUILD=dir scripts/demo-mesh.sh
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/../tests/netns/lib.sh"
# shellcheck source=tests/netns/lib_mesh.sh
. "$(dirname "$0")/../tests/netns/lib_mesh.sh"
# shellcheck source=scripts/demo-lib.sh
. "$(dirname "$0")/demo-lib.sh"

require_env
command -v nft >/dev/null || bail "nft (nftables) is needed (scripts/deps.sh)"
command -v conntrack >/dev/null || bail "conntrack is needed (scripts/deps.sh)"

# The NAT lab's node names are a and b; these are their hostnames.
HOST=([base]=base [a]=laptop [b]=robot [ra]=rA [rb]=rB)
BASE_IP=203.0.113.10
WAN_IP=([ra]=203.0.113.1 [rb]=203.0.113.2)
LAN_NET=([ra]=10.0.1 [rb]=10.0.2)
PING_IV=0.2 # seconds between the pings of step 12

# fail WHAT: a step did not do what it says; exit 1 (cleanup prints the
# daemons' last log lines).
fail() {
	echo "demo: FAILED -- $*" >&2
	exit 1
}

# on NODE CMD...: CMD in NODE's namespace, with NODE's hosts file as its
# /etc/hosts: bind-mounted in the mount namespace that `ip netns exec`
# makes for each command (changes there never reach the host's), afresh
# each time because the daemon replaces the file on every change.  ip
# netns exec and sh both exec in place, so `ip netns exec NS sh -c
# "$ON_HOSTS" FILE CMD... &` leaves CMD itself in $!.
# shellcheck disable=SC2016 # expanded by that sh
ON_HOSTS='mount --bind "$0" /etc/hosts && exec "$@"'
on() {
	local node=$1
	shift
	nsx "$node" sh -c "$ON_HOSTS" "$T/$node.hosts" "$@"
}

# show_status NODE: NODE's `subnetra status` without its counters, then the
# counters of paths and the relay.
show_status() {
	local out
	out=$(cli "$1" status) || fail "subnetra status on ${HOST[$1]}: $out"
	printf '%s\n' "$out" | sed '/^counters:/,$d' | indent
	printf '%s\n' "$out" | sed -n 's/^  \(path_upgrades\|path_fallbacks\|relay_tx_packets\|relayed_rx_packets\)=/\1=/p' |
		paste -sd ' ' | sed 's/^/    counters: /; s/$/ .../'
}

# block_has NODE NAME: NODE's hosts file maps NAME.
block_has() { grep -Eq "^fc94:[0-9a-f:]+ $2\$" "$T/$1.hosts"; }
# replies FILE: how many replies a ping log holds.
replies() { grep -c 'bytes from' "$1"; }
replies_ge() { [ "$(replies "$1")" -ge "$2" ]; }

hosts_sum=$(sha256sum /etc/hosts 2>/dev/null)

step "1. The \"public\" network: a bridge, and the base server on it at $BASE_IP (run id $RUN)"
topo_init
mesh_node base "$BASE_IP"
nat_router ra
nat_router rb
for n in base ra rb; do
	printf '    %-6s %-12s eth0 %s\n' "${HOST[$n]}" "$RUN-$n" "${NODE_IP[$n]:-${WAN_IP[$n]}}"
done
echo "    rA and rB are the two home routers' WAN sides."

step "2. Behind each router a LAN with one node: laptop behind rA, robot behind rB"
nat_node a ra
nat_node b rb
for n in a b; do
	printf '    %-6s %-12s eth0 %s/24, default route via %s.1\n' \
		"${HOST[$n]}" "$RUN-$n" "${NODE_IP[$n]}" "${NODE_IP[$n]%.*}"
done

step "3. The routers: NAT (masquerade) and a firewall that drops what nobody behind it asked for"
nat_rules ra
nat_rules rb
echo "    rA's nftables ruleset (rB's is the same):"
ip netns exec "$RUN-ra" nft list ruleset | indent
for n in a b; do
	wait_until 10 nsx "$n" ping -c 1 -W 1 "$BASE_IP" ||
		fail "${HOST[$n]} cannot reach the base at $BASE_IP through its router"
done
echo "    laptop and robot reach the base through their routers (ping $BASE_IP)."
[ "$(ping_received b -c 1 -W 1 "${WAN_IP[ra]}")" = 0 ] ||
	fail "rA answered a ping nobody behind it asked for"
echo "    The robot pings rA's WAN address: 0 replies, rA drops it."

step "4. An identity for each machine: subnetra identity new (the secret stays in the file, mode 0600)"
for n in base a b; do
	echo "    --- ${HOST[$n]}: subnetra identity new --out $T/$n.id"
	indent <"$T/$n.id.out"
done

step "5. Configs, as in the README's mesh quick start"
(
	umask 077
	cat >"$T/base.json" <<JSON
{ "mode": "base", "identity_file": "$T/base.id" }
JSON
	for n in a b; do
		peer=$([ "$n" = a ] && echo b || echo a)
		printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >"$T/$n.hosts"
		chmod 644 "$T/$n.hosts"
		cat >"$T/$n.json" <<JSON
{
  "mode": "mesh",
  "identity_file": "$T/$n.id",
  "hostname": "${HOST[$n]}",
  "hosts_file": "$T/$n.hosts",
  "state_dir": "$T/$n.state",
  "bases": [ { "host": "$BASE_IP", "udp_port": 5582, "public_key": "${PK[base]}" } ],
  "whitelist": ["${ADDR[$peer]}"]
}
JSON
	done
)
for n in base a b; do
	echo "    --- $n.json (${HOST[$n]})"
	indent <"$T/$n.json"
done
echo "    Each node's hosts file (its /etc/hosts here) starts as:"
indent <"$T/a.hosts"

step "6. Check each config: subnetrad --check"
for n in base a b; do
	out=$(nsx "$n" "$SUBNETRAD" --check --config "$T/$n.json" 2>&1) ||
		fail "subnetrad --check $n.json: $out"
	printf '%s\n' "$out" | sed "s/^/    ${HOST[$n]}: /"
done

step "7. Start the base, then both nodes; the nodes register with the base"
for n in base a b; do
	start_mesh "$n"
	grep '\[ready\]' "${NODE_LOG[$n]}" | sed "s/^/    ${HOST[$n]}: /"
done
for n in a b; do
	wait_until 15 registered "$n" || fail "${HOST[$n]} did not register with the base"
done
echo "    laptop and robot: registered (subnetra status: state=registered home=yes)."
echo "    laptop: subnetra whitelist ls"
cli a whitelist ls | indent

step "8. From the laptop: ping -6 the robot's fc94 address (they have not met: no name yet)"
rel0=$(counter base relayed_packets)
on a ping -6 -c 1 -W 5 "${ADDR[b]}" >"$T/first.ping" 2>&1
ping_rc=$?
first_ms=$(now_ms)
first_status=$(cli b status)
indent <"$T/first.ping"
[ "$ping_rc" -eq 0 ] || fail "ping -6 ${ADDR[b]} from the laptop exited $ping_rc"
rel1=$(counter base relayed_packets)
echo "    The laptop asked the base for the robot's key and endpoints; the handshake and"
echo "    this ping went through the base, which relayed $((rel1 - rel0)) packets it cannot decrypt."
[ $((rel1 - rel0)) -ge 2 ] || fail "the base relayed $((rel1 - rel0)) packets for the first ping"

step "9. The robot's status right after: the laptop is relay-udp while both probe for a direct path"
printf '%s\n' "$first_status" | sed '/^counters:/,$d' | indent
if ! printf '%s\n' "$first_status" | grep -q "address=${ADDR[a]} .*path=relay-udp"; then
	printf '%s\n' "$first_status" | grep -q "address=${ADDR[a]} .*path=direct" ||
		fail "the robot's status does not list the laptop"
	echo "    (Already direct: the probe beat this snapshot. The first packets went through the"
	echo "    base all the same: it relayed them, above.)"
fi

step "10. Wait until both sides say path=direct (both NATs let a probe through)"
wait_until 30 both_path a b direct || fail "laptop and robot did not go direct within 30 s"
echo "    direct on both sides $(($(now_ms) - first_ms)) ms after the first reply. The laptop's status:"
show_status a

step "11. Names: each node's hosts file now maps the other's hostname (the managed block)"
for n in a b; do
	peer=$([ "$n" = a ] && echo b || echo a)
	wait_until 10 block_has "$n" "${HOST[$peer]}" ||
		fail "${HOST[$n]}'s hosts file has no line for ${HOST[$peer]}"
	echo "    --- ${HOST[$n]}: $T/$n.hosts"
	indent <"$T/$n.hosts"
done

step "12. Ping by name, both ways: laptop: ping -6 robot; robot: ping -6 laptop"
rel0=$(counter base relayed_packets)
for n in a b; do
	peer=$([ "$n" = a ] && echo b || echo a)
	echo "    --- ${HOST[$n]}: ping -6 -c 3 ${HOST[$peer]}"
	on "$n" ping -6 -c 3 -i "$PING_IV" -W 2 "${HOST[$peer]}" >"$T/name.ping" 2>&1
	ping_rc=$?
	indent <"$T/name.ping"
	[ "$ping_rc" -eq 0 ] || fail "ping -6 ${HOST[$peer]} from ${HOST[$n]} exited $ping_rc"
done
rel1=$(counter base relayed_packets)
echo "    The base relayed $((rel1 - rel0)) packets for these pings: they went direct, router to router."
[ "$rel1" -eq "$rel0" ] || fail "the base relayed packets of the direct pings"

step "13. rA now drops UDP between the nodes (to rB's WAN address; the base stays reachable)"
nat_break_on ra "${WAN_IP[rb]}"
ip netns exec "$RUN-ra" nft list table inet snrbreak | indent
hs0=$(counter a handshakes_completed)

step "14. The laptop pings the robot by name every ${PING_IV} s; both fall back to the relay"
echo "    --- laptop: ping -6 -i $PING_IV robot, stopped (SIGINT) once relayed"
ip netns exec "$RUN-a" sh -c "$ON_HOSTS" "$T/a.hosts" ping -6 -i "$PING_IV" -W 1 -w 60 robot \
	>"$T/break.ping" 2>&1 &
ping_pid=$!
bg_track "$ping_pid"
t0=$(now_ms)
wait_until 40 both_path a b relay-udp || fail "laptop and robot did not fall back to relay-udp within 40 s"
echo "    relay-udp on both sides $(($(now_ms) - t0)) ms after the rule went in. The laptop's status:"
show_status a
n0=$(replies "$T/break.ping")
wait_until 10 replies_ge "$T/break.ping" $((n0 + 5)) || fail "the pings got no replies over the relay"
kill -INT "$ping_pid" 2>/dev/null
wait "$ping_pid"
tail -n 3 "$T/break.ping" | indent
sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$T/break.ping")
echo "    $(replies "$T/break.ping") of ${sent:-?} replies; the longest time without one: $(max_gap "$T/break.ping" 200 "${sent:-0}") ms"
echo "    (heartbeats unanswered for 3.5 s: every packet goes both ways; for 10 s: back to the relay)."
[ "$(counter a handshakes_completed)" = "$hs0" ] || fail "the session was not kept: a new handshake ran"
echo "    The session was kept: no new handshake. The base relays again: relayed_packets=$(counter base relayed_packets)."

step "15. Tear down: SIGTERM every daemon, delete the namespaces"
stop_all a b base || fail "a daemon did not shut down cleanly (see above)"
[ "$(sha256sum /etc/hosts 2>/dev/null)" = "$hosts_sum" ] || fail "/etc/hosts changed"
echo "    The host's /etc/hosts is unchanged; the namespaces and $T go when this script exits."

echo
echo "demo: OK -- laptop and robot pinged each other by name: relayed first, then direct"
echo "through their NATs, and through the relay again once the direct path was cut."
exit 0
