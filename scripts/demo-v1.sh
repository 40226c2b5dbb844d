#!/usr/bin/env bash
# `make demo`, act 1 (scripts/demo.sh runs both acts): the v1 Quick Start,
# live, in network namespaces on this machine.
#
#            spoke A  10.0.0.2                      spoke B  10.0.0.3
#          +-----------------+                    +-----------------+
#          |  snr0 (overlay) |                    |  snr0 (overlay) |
#          |  eth0           |   +------------+   |  eth0           |
#          +--------+--------+   |    hub     |   +--------+--------+
#       203.0.113.2 |            | snr0, eth0 |            | 203.0.113.3
#                   |            +-----+------+            |
#                   |                  | 203.0.113.1       |
#          =========+=========== bridge (underlay) ========+=========
#
# Every step is printed.  A pings B through the hub (A -> hub -> B and back),
# then each node's live `subnetra status` is shown and everything is torn
# down: the namespaces, the daemons and the temp dir are gone afterwards.
# Exit status: 0 if the ping got its replies and every daemon exited cleanly,
# 1 otherwise.
#
#   scripts/demo-v1.sh              (needs root; `make demo` builds first)
#   SUBNETRA_BUILD=dir scripts/demo-v1.sh
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/../tests/netns/lib.sh"
# shellcheck source=scripts/demo-lib.sh
. "$(dirname "$0")/demo-lib.sh"
redact() { sed -E 's/("psk": ")([0-9a-f]{8})[0-9a-f]{56}"/\1\2...(64 hex)"/'; }

require_env

step "1. Underlay: a bridge and three namespaces on 203.0.113.0/24 (run id $RUN)"
topo_standard
for n in hub a b; do
	printf '    %-4s %-10s eth0 %s\n' "$n" "${NODE_NS[$n]}" "${NODE_IP[$n]}"
done

step "2. One fresh 32-byte key per link (hub<->A, hub<->B); never reused"
echo "    KEY_A = ${KEY_A:0:8}...  KEY_B = ${KEY_B:0:8}..."

step "3. Role-based configs, exactly as in the Quick Start (keys shortened here)"
write_mesh_configs "" ""
for n in hub a b; do
	echo "    --- $n.json"
	redact <"$T/$n.json" | indent
done

step "4. Validate each config: subnetrad --check"
for n in hub a b; do
	"$SUBNETRAD" --check --config "$T/$n.json" 2>&1 | indent
done

step "5. The host network plan for spoke A (the daemon applies it to snr0 itself)"
env SUBNETRA_TUN="$TUN" "$SUBNETRAD" --print-network-plan --config "$T/a.json" | indent

step "6. Start the three daemons (each sets up its snr0, then prints [ready])"
for n in hub a b; do
	start_node "$n" "$T/$n.json"
	grep '\[ready\]' "${NODE_LOG[$n]}" | sed "s/^/    $n: /"
done
echo "    spoke A's snr0:"
nsx a ip -4 -brief addr show dev "$TUN" | indent

step "7. From spoke A: ping 10.0.0.3 (A -> hub -> B and back)"
nsx a ping -n -c 5 -i 0.2 -W 2 10.0.0.3 2>&1 | indent
ping_rc=${PIPESTATUS[0]}

step "8. Live status of every node (subnetra status)"
for n in hub a b; do
	echo "    --- $n"
	cli "$n" status 2>&1 | indent
done
echo
echo "    On the spokes udp_tx/udp_rx climbed; on the hub the relay counters did."

step "9. Tear down: SIGTERM every daemon, delete the namespaces"
stop_failed=0
stop_all a b hub || stop_failed=1

echo
if [ "$stop_failed" -ne 0 ]; then
	echo "demo: FAILED -- a daemon did not shut down cleanly (see above)." >&2
	exit 1
fi
if [ "$ping_rc" -eq 0 ]; then
	echo "demo: OK -- spoke A reached spoke B through the hub."
	exit 0
fi
echo "demo: FAILED -- ping 10.0.0.3 from spoke A exited $ping_rc." >&2
exit 1
