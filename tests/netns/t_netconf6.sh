#!/usr/bin/env bash
# Mesh mode's interface set-up over rtnetlink (netconf_apply6), on a real
# TUN in a namespace of its own, through tests/tools/tun6:
#   1. the MTU is set and the link is up;
#   2. the fc94 address is there exactly once, with its prefix, although
#      the set-up was applied twice (a "replace"), and no duplicate address
#      detection holds it back (nodad: usable at once);
#   3. the fc94::/16 route goes through the TUN, exactly once, and the
#      address added no prefix route of its own;
#   4. a packet to another fc94 address really leaves through the TUN (the
#      tool reads it and names its destination);
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

TUN6=$SNR_BUILD/tests/tools/tun6
[ "$(id -u)" -eq 0 ] || bail "needs root"
[ -x "$TUN6" ] || bail "test tool not built: $TUN6 (make test-build)"
topo_init
NS=$RUN-m
ns_add "$NS"
# ns_add turns IPv6 off for the v1 scenarios; mesh mode is IPv6.
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 \
	net.ipv6.conf.default.disable_ipv6=0 net.ipv6.conf.lo.disable_ipv6=0 >/dev/null

ADDR=fc94:1234:5678:9abc:def0:1:2:3
PEER=fc94:aaaa::7
OUT=$T/tun6.out
ip netns exec "$NS" "$TUN6" mesh0 "$ADDR/16" fc94::/16 1400 1 >"$OUT" 2>"$T/tun6.err" &
BG_PIDS+=($!)
tool=$!
wait_until 5 grep -qx ready "$OUT"
check "tun6 applied the set-up twice" grep -qx ready "$OUT"
[ -s "$T/tun6.err" ] && diag "$(cat "$T/tun6.err")"

link=$(ip -n "$NS" -o link show dev mesh0)
check_match "mtu 1400" 'mtu 1400 ' "$link"
check_match "link up" '<[^>]*\bUP\b' "$link"
addrs=$(ip -n "$NS" -6 -o addr show dev mesh0 scope global)
check_eq "one global address" 1 "$(printf '%s\n' "$addrs" | grep -c inet6)"
check_match "the address with its /16" "inet6 $ADDR/16 " "$addrs"
check_match "nodad noprefixroute" 'nodad.*noprefixroute|noprefixroute.*nodad' "$addrs"
check_fails "not tentative" grep -q tentative <<<"$addrs"
routes=$(ip -n "$NS" -6 route show dev mesh0)
check_eq "one fc94::/16 route" 1 "$(printf '%s\n' "$routes" | grep -c '^fc94::/16 ')"
check_fails "no prefix route of the address itself" grep -q "^fc94:1234" <<<"$routes"

# Any fc94 destination is routed into the TUN; the tool reads the packet.
ip netns exec "$NS" ping -6 -c 1 -W 1 "$PEER" >/dev/null 2>&1
wait_until 5 grep -q '^dst ' "$OUT"
check_eq "a packet to $PEER left through the TUN" "$PEER" "$(sed -n 's/^dst //p' "$OUT" | head -n 1)"
wait "$tool" 2>/dev/null
check_eq "tun6 exit status" 0 "$?"
done_testing
