#!/usr/bin/env bash
# Policy that can be undone: policy del / replace / flush --added / check, and
# the inputs `policy add` refuses.
#
#    a (10.0.0.2)  ------------------>  hub (workers 2)  ------>  b (10.0.0.3)
#    203.0.113.2                         203.0.113.1               203.0.113.3
#         \___________________ br0 (net) __________________________/
#
#   1. refusals (exit 2, nothing sent, table unchanged): a --target that is no
#      configured peer (the CLI asks the daemon with `policy check`), an id
#      above 65535, CIDRs with host bits (the message names the network); the
#      same rules sent to the socket without the CLI are ignored and logged.
#   2. on spoke a (derived: 10.0.0.2/32 -> 0, 10.0.0.0/24 -> hub): an added
#      drop for 10.0.0.3/32 stops a -> b; `replace` with a forward to the hub
#      brings it back, in place; `replace` to drop and `del` undo it; `flush
#      --added` leaves exactly the derived rules; a del of a derived rule or of
#      nothing changes nothing and says why in the log.
#   3. under traffic: a -> b pings through the hub (2 workers: every update
#      waits for the grace period) while the hub adds, replaces, deletes and
#      flushes 20 rounds of rules: 0 % loss, and the derived rules intact.
#   4. save after the changes, restart: the snapshot restores exactly the
#      table shown before (deleted rules stay gone).
# run.sh: long
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

require_env
topo_standard
write_mesh_configs '"keepalive_secs": 0, "workers": 2' '"keepalive_secs": 0'
start_node hub "$T/hub.json"
start_node a "$T/a.json"
start_node b "$T/b.json"

HUB_DERIVED="policy add --src 0.0.0.0/0 --dst 10.0.0.2/32 --action forward --target 2
policy add --src 0.0.0.0/0 --dst 10.0.0.3/32 --action forward --target 3"
A_DERIVED="policy add --src 0.0.0.0/0 --dst 10.0.0.2/32 --action forward --target 0
policy add --src 0.0.0.0/0 --dst 10.0.0.0/24 --action forward --target 1"

show() { cli "$1" policy show; }
# shellcheck disable=SC2317 # called through wait_until
show_is() { [ "$(show "$1")" = "$2" ]; }
# shellcheck disable=SC2317
log_has() { grep -qF -- "$2" "${NODE_LOG[$1]}"; }
# run_cli NODE ARGS...: the CLI's exit status in RC, stdout+stderr in OUT.
OUT="" RC=0
run_cli() {
	OUT=$(cli "$@" 2>&1)
	RC=$?
}
# raw NODE LINE: one datagram straight to the control socket, no CLI checks.
raw() {
	nsx "$1" python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(sys.argv[2].encode(), sys.argv[1])' "$(node_sock "$1")" "$2"
}

check_eq "before: hub policy show = the derived rules" "$HUB_DERIVED" "$(show hub)"
check_eq "before: a policy show = the derived rules" "$A_DERIVED" "$(show a)"
wait_until 10 ping_ok a 10.0.0.3 || bail "a cannot reach b before the test"

# ---- 1. refusals ------------------------------------------------------------------------

run_cli hub policy add --src 0.0.0.0/0 --dst 10.0.0.9/32 --action forward --target 7
check_eq "add --target 7 (no such peer): exit 2" 2 "$RC"
check_match "add --target 7: names the configured peers" \
	'refused by the daemon, nothing sent: --target 7 is not a configured peer \(peers: 2 3; 0 = this node\)' "$OUT"
run_cli hub policy add --src 0.0.0.0/0 --dst 10.0.0.9/32 --action forward --target 70000
check_eq "add --target 70000: exit 2" 2 "$RC"
check_match "add --target 70000: states the range" 'outside 0\.\.65535' "$OUT"
run_cli hub policy add --src 0.0.0.0/0 --dst 10.0.0.1/24 --action drop
check_eq "add --dst 10.0.0.1/24 (host bits): exit 2" 2 "$RC"
check_match "add --dst 10.0.0.1/24: names the network" \
	'--dst 10\.0\.0\.1/24 has host bits set: its network is 10\.0\.0\.0/24 \(or, for that one address, 10\.0\.0\.1/32\)' "$OUT"
run_cli hub policy add --src 10.1.2.3/16 --dst 10.0.0.0/24 --action drop
check_eq "add --src 10.1.2.3/16 (host bits): exit 2" 2 "$RC"
run_cli hub policy replace --src 0.0.0.0/0 --dst 10.0.0.3/32 --action forward --target 9
check_eq "replace to --target 9 (no such peer): exit 2" 2 "$RC"
run_cli hub policy check --src 0.0.0.0/0 --dst 10.0.0.9/32 --action forward --target 3
check_eq "policy check of a good rule: exit 0" 0 "$RC"
check_eq "policy check of a good rule: ok" "ok" "$OUT"
run_cli hub policy check --src 0.0.0.0/0 --dst 10.0.0.9/32 --action forward --target 4
check_eq "policy check of an unknown target: exit 2" 2 "$RC"
check_match "policy check of an unknown target: refused" '^refused: --target 4 is not a configured peer' "$OUT"
run_cli hub policy check --src 0.0.0.0/0 --dst 10.0.0.3/32 --action forward --target 3
check_match "policy check of a present rule: a note" '^note: the rule is already in the table' "$OUT"
check_eq "refusals left the hub's table unchanged" "$HUB_DERIVED" "$(show hub)"

# The same rules without the CLI's checks: ignored, one log line each.
raw hub "policy add --src 0.0.0.0/0 --dst 10.0.0.9/32 --action forward --target 7"
raw hub "policy add --src 0.0.0.0/0 --dst 10.0.0.9/32 --action forward --target 70000"
raw hub "policy add --src 0.0.0.0/0 --dst 10.0.0.1/24 --action drop"
check "socket add to an unknown peer: logged" wait_until 5 log_has hub \
	"subnetrad: policy add ignored: --target 7 is not a configured peer"
check "socket add beyond 65535: logged" wait_until 5 log_has hub \
	"subnetrad: policy add ignored: --target 70000: outside 0..65535"
check "socket add with host bits: logged" wait_until 5 log_has hub \
	"subnetrad: policy add ignored: --dst 10.0.0.1/24 has host bits set: its network is 10.0.0.0/24"
check_eq "ignored socket adds left the table unchanged" "$HUB_DERIVED" "$(show hub)"

# ---- 2. undo on spoke a ---------------------------------------------------------------------

run_cli a policy add --src 0.0.0.0/0 --dst 10.0.0.3/32
check_eq "a: add without --action: exit 0" 0 "$RC"
check_match "a: add without --action: the CLI says it is a drop rule" \
	'^subnetra: note: no --action given, so this is a drop rule: policy add --src 0\.0\.0\.0/0 --dst 10\.0\.0\.3/32 --action drop$' "$OUT"
DROP_B="policy add --src 0.0.0.0/0 --dst 10.0.0.3/32 --action drop"
check "a: the drop rule is shown" wait_until 5 show_is a "$A_DERIVED
$DROP_B"
before=$(counter a drop_tun_drop_rule)
check_eq "a: with the drop rule, a -> b gets no reply" 0 "$(ping_received a -n -c 3 -i 0.1 -W 1 10.0.0.3)"
check_ge "a: drop_tun_drop_rule counted them" $((before + 3)) "$(counter a drop_tun_drop_rule)"

run_cli a policy replace --src 0.0.0.0/0 --dst 10.0.0.3/32 --action forward --target 1
check_eq "a: replace with a forward to the hub: exit 0" 0 "$RC"
FWD_B="policy add --src 0.0.0.0/0 --dst 10.0.0.3/32 --action forward --target 1"
check "a: the rule is replaced in place" wait_until 5 show_is a "$A_DERIVED
$FWD_B"
check_eq "a: after replace, a -> b 5/5" 5 "$(ping_received a -n -c 5 -i 0.1 -W 2 10.0.0.3)"

cli a policy replace --src 0.0.0.0/0 --dst 10.0.0.3/32 --action drop
check "a: replaced back to drop" wait_until 5 show_is a "$A_DERIVED
$DROP_B"
check_eq "a: drop again: no reply" 0 "$(ping_received a -n -c 2 -i 0.1 -W 1 10.0.0.3)"
run_cli a policy del --src 0.0.0.0/0 --dst 10.0.0.3/32
check_eq "a: del: exit 0" 0 "$RC"
check "a: del leaves the derived rules" wait_until 5 show_is a "$A_DERIVED"
check_eq "a: after del, a -> b 5/5 through the derived /24" 5 "$(ping_received a -n -c 5 -i 0.1 -W 2 10.0.0.3)"

# Deleting or replacing what is not there, or what the config derived: nothing changes.
cli a policy del --src 0.0.0.0/0 --dst 10.0.0.0/24
check "a: del of a derived rule is logged as such" wait_until 5 log_has a \
	"subnetrad: policy del --src 0.0.0.0/0 --dst 10.0.0.0/24: that rule is derived from the config (role spoke), nothing changed"
cli a policy del --src 0.0.0.0/0 --dst 10.0.0.99/32
check "a: del of nothing is logged" wait_until 5 log_has a \
	"subnetrad: policy del --src 0.0.0.0/0 --dst 10.0.0.99/32: no added rule has this --src and --dst, nothing changed"
cli a policy replace --src 0.0.0.0/0 --dst 10.0.0.98/32 --action drop
check "a: replace of nothing is logged" wait_until 5 log_has a \
	"subnetrad: policy replace --src 0.0.0.0/0 --dst 10.0.0.98/32: no added rule"
check_eq "a: the derived rules are untouched" "$A_DERIVED" "$(show a)"

for i in 1 2 3; do cli a policy add --src 0.0.0.0/0 --dst "10.0.0.$((200 + i))/32" --action drop 2>/dev/null; done
check "a: three more rules" wait_until 5 show_is a "$A_DERIVED
policy add --src 0.0.0.0/0 --dst 10.0.0.201/32 --action drop
policy add --src 0.0.0.0/0 --dst 10.0.0.202/32 --action drop
policy add --src 0.0.0.0/0 --dst 10.0.0.203/32 --action drop"
run_cli a policy flush
check_eq "a: 'policy flush' without --added: exit 2" 2 "$RC"
run_cli a policy flush --added
check_eq "a: flush --added: exit 0" 0 "$RC"
check "a: flush --added leaves exactly the derived rules" wait_until 5 show_is a "$A_DERIVED"
check "a: the flush is logged" wait_until 5 log_has a "subnetrad: policy flush --added: 3 added rule(s) removed"

# ---- 3. updates under traffic, through a 2-worker hub -----------------------------------------

# The ping runs until the 20 rounds are done (a deadline far beyond them),
# so every update, the last flush included, happens under traffic however
# slow the machine (an ASan build on a loaded one took longer than a
# 600-ping run, and the rounds used to stop with the ping).
ip netns exec "${NODE_NS[a]}" ping -n -i 0.01 -w 600 -W 2 10.0.0.3 >"$T/ping.out" 2>&1 &
ping_pid=$!
bg_track "$ping_pid"
wait_until 5 grep -q 'bytes from' "$T/ping.out" || bail "ping did not start"
fail=0
for rounds in $(seq 1 20); do
	for i in 1 2 3 4; do
		cli hub policy add --src 0.0.0.0/0 --dst "10.0.$rounds.$i/32" --action forward --target 3 >/dev/null 2>&1 || fail=$((fail + 1))
	done
	cli hub policy replace --src 0.0.0.0/0 --dst "10.0.$rounds.1/32" --action forward --target 2 2>/dev/null || fail=$((fail + 1))
	cli hub policy replace --src 0.0.0.0/0 --dst "10.0.$rounds.2/32" --action drop 2>/dev/null || fail=$((fail + 1))
	cli hub policy del --src 0.0.0.0/0 --dst "10.0.$rounds.3/32" || fail=$((fail + 1))
	[ $((rounds % 5)) -eq 0 ] && { cli hub policy flush --added || fail=$((fail + 1)); }
done
check_eq "hub: every update command exited 0" 0 "$fail"
check "the ping ran through every update (still running after the last)" proc_alive "$ping_pid"
kill -INT "$ping_pid" 2>/dev/null
wait "$ping_pid"
sent=$(sed -n 's/^\([0-9][0-9]*\) packets transmitted.*/\1/p' "$T/ping.out")
got=$(sed -n 's/.* \([0-9][0-9]*\) received.*/\1/p' "$T/ping.out")
check_ge "at least 10 pings during the updates (${sent:-?})" 10 "${sent:-0}"
# The echo sent just before the SIGINT may have no reply yet: one in flight.
check_ge "0 % loss: ${got:-?} of ${sent:-?} replies through the hub while its policy changed" \
	"$((${sent:-1} - 1))" "${got:-0}" || diag "$(tail -n 3 "$T/ping.out")"
check "hub: after the last flush, the derived rules only" wait_until 5 show_is hub "$HUB_DERIVED"
check_eq "hub: no update was refused" "" "$(grep -E 'policy (add|del|replace|flush).* ignored' "${NODE_LOG[hub]}" | grep -v 'target 7\|70000\|host bits')"

# ---- 4. save and restart keep what was undone -------------------------------------------------------

cli hub policy add --src 0.0.0.0/0 --dst 10.0.0.101/32 --action drop
cli hub policy add --src 0.0.0.0/0 --dst 10.0.0.102/32 --action drop
cli hub policy add --src 0.0.0.0/0 --dst 10.0.0.103/32 --action drop
cli hub policy del --src 0.0.0.0/0 --dst 10.0.0.102/32
cli hub policy replace --src 0.0.0.0/0 --dst 10.0.0.103/32 --action forward --target 3
WANT="$HUB_DERIVED
policy add --src 0.0.0.0/0 --dst 10.0.0.101/32 --action drop
policy add --src 0.0.0.0/0 --dst 10.0.0.103/32 --action forward --target 3"
check "hub: the table after add, del and replace" wait_until 5 show_is hub "$WANT"
check_eq "save: 4 rules" "saved 4 rule(s) to $T/hub.policy" "$(cli hub save)"
stop_node hub
start_node hub "$T/hub.json"
check_eq "restart: the snapshot gives back exactly that table" "$WANT" "$(show hub)"
run_cli hub policy flush --added
check "restart: the loaded rules are added ones: flush --added removes them" wait_until 5 show_is hub "$HUB_DERIVED"
wait_until 10 ping_ok a 10.0.0.3
check_eq "restart: a -> b 10/10 through the restarted hub" 10 "$(ping_received a -n -c 10 -i 0.05 -W 2 10.0.0.3)"

stop_node a
stop_node b
stop_node hub
done_testing
