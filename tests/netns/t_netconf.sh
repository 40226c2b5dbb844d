#!/usr/bin/env bash
# The daemon's own set-up of its TUN (issue 11 item 3) and the host checks
# before it (item 5), on the Quick Start mesh:
#
#            10.0.0.2                                    10.0.0.3
#         +-----------+                               +-----------+
#         |  a  snr0  |                               |  b  snr0  |
#         |   eth0    |       +---------------+       |   eth0    |
#         |  (x0 x1)  |       |  hub   snr0   |       +-----+-----+
#         +-----+-----+       | (no overlay IP)|             |203.0.113.3
#    203.0.113.2|             +-------+-------+             |
#               |                     |203.0.113.1          |
#         ======+=========== br0 (namespace net) ===========+======
#
# x0/x1: a veth pair inside a's namespace standing for "another interface
# of the host" (a LAN, an old VPN) that holds an address or a route.
#
#   1. subnetrad sets up snr0 itself (MTU, up, address, routes: what
#      --print-network-plan prints; the hub, without an overlay address,
#      gets no route) and says so in one log line; a pings b.
#   2. The printed plan, run twice on top of that, succeeds and changes
#      nothing.
#   3. Restarts (a, then the hub) need nothing reapplied: snr0 goes with the
#      daemon, comes back with the next one, traffic flows.
#   4. A route of the plan (a /32 address routes the overlay explicitly):
#      applied; refused at start-up, by --check and by config-lint when
#      another interface already routes it; nothing sent, nothing left.
#   5. local_tun_ip already an address of another interface: refused the
#      same way.  A virtual_subnet overlapping the host: --check and
#      start-up warn, config-lint fails.
#   6. "configure_interface": false: a bare TUN (down, no address, no MTU
#      set), no traffic; the printed plan applied twice makes it work.
#   7. Netlink refused (a root daemon without CAP_NET_ADMIN on a persistent
#      device made beforehand): a clear start-up error, exit 1, the device
#      untouched; with the opt-out the same daemon runs.  A persistent
#      device keeps what the daemon set across a restart, and the next
#      start replaces it without error.
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

LINT=$SNR_BUILD/subnetra-config-lint

require_env
command -v setpriv >/dev/null || bail "missing tool: setpriv (util-linux)"
topo_standard
write_mesh_configs
ns_a=${NODE_NS[a]}

# start_fails NAME CONFIG [WRAPPER...]: subnetrad in NAME's namespace, which
# must exit by itself: OUT is its output, RC its exit status.
OUT="" RC=0
start_fails() {
	local name=$1 conf=$2
	shift 2
	OUT=$(timeout 10 ip netns exec "${NODE_NS[$name]}" env SUBNETRA_SOCK="$T/$name-f.sock" \
		SUBNETRA_TUN="$TUN" "$@" "$SUBNETRAD" --config "$conf" </dev/null 2>&1)
	RC=$?
	printf '%s\n' "$OUT" >>"$T/fails.log"
}
ALL_LOGS+=("$T/fails.log")
# in_a CMD...: a command in a's namespace, with the daemon's TUN name.
in_a() { ip netns exec "$ns_a" env SUBNETRA_TUN="$TUN" "$@"; }
no_tun() { ! ip -n "$ns_a" link show dev "$TUN" >/dev/null 2>&1; }
tun_addrs() { ip -n "$ns_a" -4 -o addr show dev "$TUN" | awk '{print $4}' | tr '\n' ' '; }
tun_is_up() { ip -n "$ns_a" -o link show dev "$TUN" | grep -Eq '[<,]UP[,>]'; }

# ---- 1. the daemon's own set-up ---------------------------------------------------

start_node hub "$T/hub.json"
start_node a "$T/a.json"
start_node b "$T/b.json"
ok "hub, a and b set up their TUNs as their printed plans say"
check_match "a: one log line says what was set up" \
	'^subnetrad: configured snr0: mtu 1436, up, address 10\.0\.0\.2/24, 0 route\(s\)$' \
	"$(cat "${NODE_LOG[a]}")"
check_match "hub: set up without an address or routes" \
	'^subnetrad: configured snr0: mtu 1436, up, no address, 0 route\(s\)$' \
	"$(cat "${NODE_LOG[hub]}")"
check_eq "a: snr0 has 10.0.0.2/24" "10.0.0.2/24 " "$(tun_addrs)"
check_eq "a: snr0 MTU 1436" 1436 "$(nsx a cat "/sys/class/net/$TUN/mtu")"
check "a: snr0 is up" tun_is_up
check_eq "hub: no route through snr0 (a hub without an overlay address has no use for one)" \
	"" "$(ip -n "${NODE_NS[hub]}" -4 route show dev "$TUN")"
wait_until 10 ping_ok a 10.0.0.3 || bail "no traffic a -> b"
check_eq "a -> b (10.0.0.3) through the hub: 5/5" 5 "$(ping_received a -n -c 5 -i 0.1 -W 2 10.0.0.3)"

# ---- 2. the printed plan on top, twice -----------------------------------------------

check "printed plan applied on a running node: succeeds" apply_plan a "$T/a.json"
check "printed plan applied again: succeeds (idempotent)" apply_plan a "$T/a.json"
check "a: snr0 still as planned" iface_matches_plan a "$T/a.json"
check_eq "a: still exactly one address on snr0" "10.0.0.2/24 " "$(tun_addrs)"

# ---- 3. restarts need nothing reapplied ------------------------------------------------

stop_node a
check "a stopped: snr0 is gone, with its address" no_tun
check_eq "a stopped: no route into the tunnel is left" "" \
	"$(ip -n "$ns_a" -4 route show 10.0.0.0/24)"
start_node a "$T/a.json"
ok "a restarted: snr0 set up again by the daemon alone"
check "a restarted: a -> b flows again, nothing reapplied" wait_until 10 ping_ok a 10.0.0.3
stop_node hub
start_node hub "$T/hub.json"
check "hub restarted: a -> b flows again, nothing reapplied" wait_until 10 ping_ok a 10.0.0.3
check_eq "after both restarts: a -> b 5/5" 5 "$(ping_received a -n -c 5 -i 0.1 -W 2 10.0.0.3)"
stop_node a

# ---- 4. a route of the plan; the same route elsewhere ------------------------------------

# A /32 address puts nothing on-link: the plan routes the overlay itself.
(umask 077 && sed 's#"10\.0\.0\.2/24"#"10.0.0.2/32"#' "$T/a.json" >"$T/a32.json")
check_match "a /32 spoke's plan routes the overlay" '^ip route replace 10\.0\.0\.0/24 dev snr0$' \
	"$(node_plan a "$T/a32.json")"
ip -n "$ns_a" link add x0 type veth peer name x1 || bail "cannot create x0/x1 in a"
ip -n "$ns_a" link set x0 up
ip -n "$ns_a" link set x1 up
ip -n "$ns_a" route add 10.0.0.0/24 dev x0 || bail "cannot route 10.0.0.0/24 via x0"
cap_start fail-route a eth0 udp
start_fails a "$T/a32.json"
cap_stop fail-route
check_eq "route in use elsewhere: start-up fails (exit 1)" 1 "$RC"
check_match "route in use: the error names the field, the route and the interface" \
	'^subnetrad: refusing to configure snr0: peers\[0\]\.allowed_src: RouteInUse: "10\.0\.0\.0/24": this host already routes it: 10\.0\.0\.0/24 dev x0, and the plan.s route would replace it; narrow allowed_src or set "configure_interface": false$' \
	"$OUT"
check_match "route in use: says nothing was changed and what to do" \
	'nothing was changed on this host; fix the config, or set "configure_interface": false' "$OUT"
check_fails "route in use: no [ready]" grep -q '\[ready\]' <<<"$OUT"
check_eq "route in use: not one datagram left a" 0 "$(pcap_count "$(cap_file fail-route)")"
check "route in use: no snr0 left behind" no_tun
check_eq "route in use: the host's route is untouched" "10.0.0.0/24 dev x0 scope link " \
	"$(ip -n "$ns_a" -4 -o route show 10.0.0.0/24 | tr -s ' ')"
out=$(in_a "$SUBNETRAD" --check --config "$T/a32.json" 2>&1)
check_eq "route in use: --check exit 1" 1 "$?"
check_match "route in use: --check names it" \
	"^subnetrad: $T/a32\\.json: peers\\[0\\]\\.allowed_src: RouteInUse: .*10\\.0\\.0\\.0/24 dev x0" "$out"
check_fails "route in use: --check prints no [config ok]" grep -q 'config ok' <<<"$out"
out=$(in_a "$LINT" "$T/a32.json" 2>&1)
check_eq "route in use: config-lint exit 1" 1 "$?"
check_match "route in use: config-lint FAILED (RouteInUse)" "FAILED \\(RouteInUse\\)" "$out"
check_eq "config-lint --no-host: the same file passes" 0 \
	"$(in_a "$LINT" --no-host "$T/a32.json" >/dev/null 2>&1; echo $?)"
ip -n "$ns_a" route del 10.0.0.0/24 dev x0
start_node a "$T/a32.json"
check_eq "route free: the daemon routes 10.0.0.0/24 through snr0" "10.0.0.0/24 dev snr0 scope link " \
	"$(ip -n "$ns_a" -4 -o route show 10.0.0.0/24 | tr -s ' ')"
check "route free: a -> b over the daemon's route" wait_until 10 ping_ok a 10.0.0.3
stop_node a

# ---- 5. the address elsewhere; an overlapping host subnet -----------------------------------

ip -n "$ns_a" addr add 10.0.0.2/16 dev x0
cap_start fail-addr a eth0 udp
start_fails a "$T/a.json"
cap_stop fail-addr
check_eq "address in use elsewhere: start-up fails (exit 1)" 1 "$RC"
check_match "address in use: the error names the field, the address and the interface" \
	'^subnetrad: refusing to configure snr0: local_tun_ip: AddressInUse: "10\.0\.0\.2/24": 10\.0\.0\.2 is already an address of x0 \(10\.0\.0\.2/16\); pick another local_tun_ip or remove it from x0$' \
	"$OUT"
check_eq "address in use: one cause, one line (no extra route or overlap line)" 1 \
	"$(grep -cE 'AddressInUse|RouteInUse|SubnetOverlap' <<<"$OUT")"
check_eq "address in use: not one datagram left a" 0 "$(pcap_count "$(cap_file fail-addr)")"
check "address in use: no snr0 left behind" no_tun
out=$(in_a "$SUBNETRAD" --check --config "$T/a.json" 2>&1)
check_eq "address in use: --check exit 1" 1 "$?"
check_match "address in use: --check names it" 'local_tun_ip: AddressInUse: .*address of x0' "$out"
out=$(in_a "$LINT" --json "$T/a.json" 2>&1)
check_match "address in use: config-lint --json error" '"name": "AddressInUse"' "$out"

ip -n "$ns_a" addr flush dev x0
ip -n "$ns_a" addr add 10.0.7.1/16 dev x0
out=$(in_a "$SUBNETRAD" --check --config "$T/a.json" 2>&1)
check_eq "overlapping host subnet: --check passes (exit 0)" 0 "$?"
check_match "overlapping host subnet: --check warns, naming the address and interface" \
	"^subnetrad: warning: $T/a\\.json: virtual_subnet: SubnetOverlap: \"10\\.0\\.0\\.0/24\" overlaps 10\\.0\\.7\\.1/16, an address of x0 on this host; choose a virtual_subnet this host does not use\$" \
	"$out"
check_match "overlapping host subnet: --check still says [config ok]" 'config ok' "$out"
out=$(in_a "$LINT" "$T/a.json" 2>&1)
check_eq "overlapping host subnet: config-lint exit 1" 1 "$?"
check_match "overlapping host subnet: config-lint error names it" \
	'^  .*a\.json: virtual_subnet: SubnetOverlap: "10\.0\.0\.0/24" overlaps 10\.0\.7\.1/16, an address of x0' "$out"
start_node a "$T/a.json"
check_match "overlapping host subnet: start-up warns and runs" \
	'^subnetrad: warning: virtual_subnet: SubnetOverlap: .*x0' "$(cat "${NODE_LOG[a]}")"
stop_node a
ip -n "$ns_a" link del x0

# ---- 6. "configure_interface": false ---------------------------------------------------------

write_spoke_config "$T/a-opt.json" 2 "$KEY_A" '"configure_interface": false'
start_node a "$T/a-opt.json"
check_eq "opt-out: no address on snr0" "" "$(tun_addrs)"
check_fails "opt-out: snr0 is not up" tun_is_up
check_eq "opt-out: snr0 MTU left at the kernel's 1500" 1500 "$(nsx a cat "/sys/class/net/$TUN/mtu")"
check_fails "opt-out: no 'configured' log line" grep -q 'configured snr0' "${NODE_LOG[a]}"
check_fails "opt-out: snr0 differs from the plan" iface_matches_plan a "$T/a-opt.json"
check_eq "opt-out: a -> b does not flow" 0 "$(ping_received a -n -c 1 -W 1 10.0.0.3)"
check_match "opt-out: the printed plan says it is left to the operator" \
	'^# "configure_interface": false: subnetrad leaves the interface to you; run$' \
	"$(in_a "$SUBNETRAD" --print-network-plan --config "$T/a-opt.json")"
check "opt-out: printed plan applied: succeeds" apply_plan a "$T/a-opt.json"
check "opt-out: printed plan applied twice: succeeds" apply_plan a "$T/a-opt.json"
check "opt-out: snr0 now as planned" iface_matches_plan a "$T/a-opt.json"
check "opt-out: a -> b flows once the plan is applied" wait_until 10 ping_ok a 10.0.0.3
stop_node a

# ---- 7. netlink refused; a persistent device ----------------------------------------------------

ip -n "$ns_a" tuntap add dev "$TUN" mode tun || bail "cannot create a persistent $TUN in a"
# A root daemon without CAP_NET_ADMIN may attach to a persistent TUN that has
# no owner, but not change it.
nocap=(setpriv --bounding-set=-net_admin --inh-caps=-net_admin)
start_fails a "$T/a.json" "${nocap[@]}"
check_eq "netlink refused (no CAP_NET_ADMIN): start-up fails (exit 1)" 1 "$RC"
check_match "netlink refused: names the step, the reason and the way out" \
	'^subnetrad: cannot configure snr0: ip link set snr0 mtu 1436 up: Operation not permitted \(needs CAP_NET_ADMIN\); set "configure_interface": false to set it up yourself$' \
	"$OUT"
check_fails "netlink refused: no [ready]" grep -q '\[ready\]' <<<"$OUT"
check_eq "netlink refused: the persistent snr0 keeps no address" "" "$(tun_addrs)"
check_fails "netlink refused: the persistent snr0 is not up" tun_is_up
# The same daemon with the opt-out runs on the device the operator made.
log=$T/a-nocap.log
ALL_LOGS+=("$log")
ip netns exec "$ns_a" env SUBNETRA_SOCK="$T/a-nocap.sock" SUBNETRA_TUN="$TUN" "${nocap[@]}" \
	"$SUBNETRAD" --config "$T/a-opt.json" </dev/null >"$log" 2>&1 &
pid=$!
bg_track "$pid"
if wait_until 10 grep -q '\[ready\]' "$log"; then
	ok "opt-out without CAP_NET_ADMIN: runs on the operator's device"
else
	not_ok "opt-out without CAP_NET_ADMIN: runs on the operator's device"
	diag "$(tail -n 5 "$log")"
fi
kill -TERM "$pid" 2>/dev/null
wait "$pid"
check_eq "opt-out without CAP_NET_ADMIN: SIGTERM -> exit 0" 0 "$?"
sanitizer_check "a (no CAP_NET_ADMIN)" "$log"

start_node a "$T/a.json"
ok "persistent device: the daemon sets it up"
stop_node a
check_eq "persistent device: what the daemon set stays after it stops (no capability left to remove it)" \
	"10.0.0.2/24 " "$(tun_addrs)"
start_node a "$T/a.json"
ok "persistent device: the next start replaces it without error"
check_eq "persistent device: still one address" "10.0.0.2/24 " "$(tun_addrs)"
check "persistent device: a -> b flows" wait_until 10 ping_ok a 10.0.0.3
stop_node a
ip -n "$ns_a" tuntap del dev "$TUN" mode tun

stop_node b
stop_node hub
done_testing
