#!/usr/bin/env bash
# The NAT-lab timings of `make bench` (system mesh-nat): the same lab as
# tests/netns/t_mesh_nat.sh (lib_mesh.sh's routers with endpoint-independent
# NATs that drop unsolicited inbound, a base on the "public" bridge, node a
# behind rA, node b behind rB; no added delay), run ROUNDS times with fresh
# daemons.  Each round, from a's side:
#
#   first_ms     the time= of the first ping to b, a peer a has never seen:
#                lookup at the base, handshake through the relay, the echo
#                through the relay (ping -c 1: ping's own figure, no polling);
#   base_rtt_ms  a ping to the base's underlay address (a -> rA -> base);
#   relay_rtt_ms the mean of 10 pings to b while the direct path is cut (the
#                relay round trip once the session exists);
#   upgrade_ms   from the first reply until both sides say path=direct
#                (status polled every 20 ms);
#   fallback_ms  from cutting the direct path (an nft rule on rA) until both
#                sides say relay-udp, with a ping every 200 ms running;
#   gap_ms       the longest run of unanswered pings in that time;
#   rehandshakes a's handshakes_completed during the fallback (0: the same
#                session carried on).
#
# Prints one line of KEY=VALUE per round, for bench/mesh_scale.sh.
#   SUBNETRA_BUILD=build-bench bench/mesh_nat.sh [ROUNDS]
set -u
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/../tests/netns/lib.sh"
# shellcheck source=tests/netns/lib_mesh.sh
. "$(dirname "$0")/../tests/netns/lib_mesh.sh"

ROUNDS=${1:-3}

nat_lab_init
nat_lab_up

# ms_of PING_OUTPUT: the first reply's time= in ms ("" when none).
ms_of() { sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' <<<"$1" | head -n 1; }

start_mesh base
for r in $(seq 1 "$ROUNDS"); do
	nat_rules ra
	nat_rules rb
	start_mesh a
	start_mesh b
	wait_until 15 registered a || bail "round $r: a did not register"
	wait_until 15 registered b || bail "round $r: b did not register"
	base_rtt=$(ms_of "$(nsx a ping -c 1 -W 2 "$BASE_IP")")
	out=$(nsx a ping -6 -c 1 -W 5 "${ADDR[b]}")
	t0=$(now_ms)
	first=$(ms_of "$out")
	WAIT_STEP=0.02 wait_until 10 both_path a b direct
	t1=$(now_ms)
	hs0=$(counter a handshakes_completed)
	ping_start a fallback "${ADDR[b]}"
	sleep 1
	nat_break_on ra "${WAN_IP[rb]}"
	t2=$(now_ms)
	wait_until 30 both_path a b relay-udp
	t3=$(now_ms)
	sleep 2
	ping_stop
	sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$T/fallback.ping")
	gap=$(max_gap "$T/fallback.ping" 200 "${sent:-0}")
	relay=$(nsx a ping -6 -c 10 -i 0.1 -W 2 "${ADDR[b]}" | sed -n 's|.*= [0-9.]*/\([0-9.]*\)/.*|\1|p')
	hs1=$(counter a handshakes_completed)
	nat_break_off ra
	printf 'round=%s first_ms=%s base_rtt_ms=%s relay_rtt_ms=%s upgrade_ms=%s fallback_ms=%s gap_ms=%s rehandshakes=%s\n' \
		"$r" "${first:-}" "${base_rtt:-}" "${relay:-}" $((t1 - t0)) $((t3 - t2)) "$gap" $((hs1 - hs0))
	stop_node a >/dev/null
	stop_node b >/dev/null
done
stop_node base >/dev/null
