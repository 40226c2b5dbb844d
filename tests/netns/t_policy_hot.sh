#!/usr/bin/env bash
# Hot policy updates under load, `policy show` / `save` / snapshot reload.
#
#    a (10.0.0.2)  --- ping -i 0.01 -c >=400 --->  hub  --->  b (10.0.0.3)
#    203.0.113.2                          203.0.113.1       203.0.113.3
#         \___________________ br0 (net) ___________________/
#                                   ^
#                  50 x `subnetra policy add` to the hub while the ping runs
#
#    rt: an isolated namespace (loopback only) running a fresh manual-role
#        daemon, fed the hub's `policy show` lines back through `subnetra`.
#
# Asserts: 0 % loss while the table changes; `policy show` = the 2 derived
# rules + the 50 added, as replayable lines, no duplicates; an added drop
# rule is live; `save` acks "saved 52 rule(s) to <sock>.policy" (".sock"
# replaced by ".policy", as in the interface reference's example) and writes
# the config stamp and the same dump (0600); the replay on a fresh daemon
# reproduces `policy show` exactly; after a hub restart the snapshot is
# reloaded without duplicating the derived rules, and the relay still works.
# run.sh: long
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

require_env
topo_standard
write_mesh_configs "" '"keepalive_secs": 0'
start_node hub "$T/hub.json"
start_node a "$T/a.json"
start_node b "$T/b.json"

ADDS=50
PINGS=400
DERIVED="policy add --src 0.0.0.0/0 --dst 10.0.0.2/32 --action forward --target 2
policy add --src 0.0.0.0/0 --dst 10.0.0.3/32 --action forward --target 3"
added_rule() { echo "policy add --src 0.0.0.0/0 --dst 10.0.0.$((100 + $1))/32 --action drop"; }
EXPECTED=$(
	echo "$DERIVED"
	for i in $(seq "$ADDS"); do added_rule "$i"; done
)
TOTAL=$((ADDS + 2))

show() { cli "$1" policy show; }
# shellcheck disable=SC2317 # called through wait_until
show_has_lines() { [ "$(show "$1" | grep -c '^policy add ')" -ge "$2" ]; }

check_eq "before: policy show = the two derived hub rules" "$DERIVED" "$(show hub)"
wait_until 10 ping_ok a 10.0.0.3 || bail "a cannot reach b before the test"

# ---- 50 adds while a ping of >= 400 packets runs ------------------------------------
# A slow build (ASan) or a loaded machine makes each CLI call slower: size the
# ping so that it surely outlasts the adds (2x their estimated duration + 1 s).
t0=$(now_ms)
for i in 1 2 3; do show hub >/dev/null; done
per_call=$((($(now_ms) - t0) / 3))
need=$(((2 * ADDS * per_call + 1000) / 10))
[ "$need" -gt "$PINGS" ] && PINGS=$need
diag "one CLI call ~${per_call} ms; pinging $PINGS times at 10 ms"
ip netns exec "${NODE_NS[a]}" ping -n -i 0.01 -c "$PINGS" -W 2 10.0.0.3 >"$T/ping.out" 2>&1 &
ping_pid=$!
bg_track "$ping_pid"
wait_until 5 grep -q 'bytes from' "$T/ping.out" || bail "ping did not start"
add_fail=0
t0=$(now_ms)
slot=$((PINGS * 10 / 2 / ADDS)) # spread the adds over the first half of the ping
for i in $(seq "$ADDS"); do
	# shellcheck disable=SC2046 # word splitting of the rule line is the point
	cli hub $(added_rule "$i") || add_fail=$((add_fail + 1))
	ahead=$((t0 + i * slot - $(now_ms)))
	# Pacing only (never for synchronisation): wait if ahead of schedule.
	[ "$ahead" -gt 0 ] && sleep "$((ahead / 1000)).$(printf '%03d' $((ahead % 1000)))"
done
check_eq "all $ADDS policy add commands exit 0" 0 "$add_fail"
check "the adds overlapped the running ping" proc_alive "$ping_pid"
wait "$ping_pid"
got=$(sed -n 's/.* \([0-9][0-9]*\) received.*/\1/p' "$T/ping.out")
check_eq "0 % loss: $PINGS/$PINGS replies while the policy changed" "$PINGS" "$got" ||
	diag "$(tail -n 3 "$T/ping.out")"

# ---- policy show ---------------------------------------------------------------------
wait_until 10 show_has_lines hub "$TOTAL"
out=$(show hub)
check_eq "policy show: $TOTAL replayable lines" "$TOTAL" "$(grep -c '^policy add ' <<<"$out")"
check_eq "policy show: exactly the derived + added rules" \
	"$(sort <<<"$EXPECTED")" "$(sort <<<"$out")"
check_eq "policy show: no duplicate lines" "" "$(sort <<<"$out" | uniq -d)"
check_eq "policy show: nothing but rule lines" "" "$(grep -v '^policy add ' <<<"$out")"

# An added drop rule is live: 10.0.0.101 now hits drop_rule on the hub.
before=$(counter hub drop_udp_drop_rule)
got=$(ping_received a -n -c 2 -i 0.05 -W 1 10.0.0.101)
check_eq "added drop rule: 10.0.0.101 gets no reply" 0 "$got"
wait_until 5 counter_ge hub drop_udp_drop_rule $((before + 2))
check_eq "added drop rule: hub drop_udp_drop_rule +2" 2 $(($(counter hub drop_udp_drop_rule) - before))

# Invalid input is rejected locally (exit 2) and changes nothing.
cli hub policy add --src 0.0.0.0/0 --dst 10.0.0.300/32 --action drop 2>/dev/null
check_eq "policy add with a bad CIDR: exit 2" 2 "$?"
cli hub policy add --src 0.0.0.0/0 --dst 10.0.0.9/32 --action forward 2>/dev/null
check_eq "policy add forward without --target: exit 2" 2 "$?"
check_eq "rejected adds left the table unchanged" "$out" "$(show hub)"

# ---- save ------------------------------------------------------------------------------
# <sock>.policy with the ".sock" suffix replaced, as in the reference example
# (/run/subnetra/subnetra.sock -> /run/subnetra/subnetra.policy).
snap="${T}/hub.policy"
check_eq "save: documented ack" "saved $TOTAL rule(s) to $snap" "$(cli hub save)"
check_eq "save: snapshot file mode 0600" 600 "$(stat -c %a "$snap" 2>&1)"
check_match "save: the first line stamps the config" '^# subnetra-policy config=[0-9a-f]{64}$' \
	"$(head -n 1 "$snap")"
check_eq "save: the rest = policy show" "$out" "$(tail -n +2 "$snap")"

# ---- round trip on a fresh daemon ----------------------------------------------------------
topo_add_isolated rt
(
	umask 077
	sed 's/"role": "hub"/"role": "manual"/' "$T/hub.json" >"$T/rt.json"
)
start_node rt "$T/rt.json"
check_eq "fresh manual daemon: empty table" "# no policy rules" "$(show rt)"
replay_fail=0
while IFS= read -r line; do
	# shellcheck disable=SC2086 # word splitting of the rule line is the point
	cli rt $line || replay_fail=$((replay_fail + 1))
done <<<"$out"
check_eq "replay: every line accepted by subnetra" 0 "$replay_fail"
wait_until 10 show_has_lines rt "$TOTAL"
check_eq "replay: policy show on the fresh daemon is identical" "$out" "$(show rt)"
stop_node rt

# ---- restart: the snapshot is loaded, derived rules not duplicated -----------------------
stop_node hub
start_node hub "$T/hub.json"
after=$(show hub)
check_eq "restart: policy show identical to before (snapshot loaded, no duplicates)" \
	"$out" "$after"
check_eq "restart: $TOTAL rules" "$TOTAL" "$(grep -c '^policy add ' <<<"$after")"
wait_until 10 ping_ok a 10.0.0.3
got=$(ping_received a -n -c 10 -i 0.05 -W 2 10.0.0.3)
check_eq "restart: a -> b 10/10 through the restarted hub" 10 "$got"

stop_node a
stop_node b
stop_node hub
done_testing
