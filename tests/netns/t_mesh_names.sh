#!/usr/bin/env bash
# Mesh mode's names and whitelist, live: three nodes on one LAN (as in
# t_mesh_lan.sh); A runs as "nobody" and keeps its peers' names in the hosts
# file of its namespace, through the hosts helper.
#
#                 $RUN-net: br0 (mcast_snooping 0)
#              v-a /          | v-b          \ v-c
#     $RUN-a eth0        $RUN-b eth0        $RUN-c eth0     IPv6 link-local only
#     snr0 fc94:A        snr0 fc94:B        snr0 fc94:C
#     whitelist: B       whitelist: A       whitelist: A, B
#     user nobody, hosts_file /etc/netns/$RUN-a/hosts (ip netns exec
#     bind-mounts it over /etc/hosts), socket $T/a/run/subnetra.sock,
#     state_dir $T/a/state; B (root): socket $T/b/run/subnetra.sock
#
#   1. A learns B's name from its beacon: the block holds "B node-b" and
#      nothing else changed in the file; ping6 node-b from A gets replies;
#   2. hosts add/rm/ls change and show the block (manual and peer entries),
#      with exit 2 for what they refuse;
#   3. the helper runs with no capability (CapEff 0), the daemon as nobody;
#   4. whitelist rm B cuts B off at once (pings fail, peers_removed moves,
#      node-b leaves the block); whitelist add B lets it back without a
#      restart; disable lets C in, enable shuts it out again;
#   5. a simulated reboot (stop, the whole socket directory /run-like
#      removed, start) keeps the block (and ping6 node-b works), the manual
#      names and the whitelist (an address only state_dir has), on A (nobody)
#      and on B (root); state_dir is 0700 and nobody's;
#   6. state files where nodes kept them before state_dir (next to the
#      socket) are moved into state_dir once, with a log line;
#   7. a planted world-writable state file is ignored with one log line;
#   8. a hosts_file named like an old state file ($T/b.hosts next to
#      $T/b.sock) is left where it is and gets the block.
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/lib_mesh.sh
. "$(dirname "$0")/lib_mesh.sh"

require_env
id nobody >/dev/null 2>&1 || bail "no user nobody"
mesh_hosts_init a

# A's and B's sockets in directories of their own (A's made for nobody at its
# first start), which the "reboot" removes.
node_sock() {
	if [ "$1" != c ]; then echo "$T/$1/run/subnetra.sock"; else echo "$T/$1.sock"; fi
}
mkdir -p "$T/a" "$T/b" "$HOSTS_DIR"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n# a line of the operator\n' >"$HOSTS"
chmod 644 "$HOSTS"
cp "$HOSTS" "$T/hosts.orig"
WL=$T/a/state/subnetra.whitelist
HS=$T/a/state/subnetra.hosts
WL_B=$T/b.state/subnetra.whitelist

for n in a b c; do mesh_node "$n"; done
for n in a b c; do
	wait_until 10 linklocal_ready "$n" || bail "$n: no link-local address on eth0"
done
MESH_EXTRA[a]="\"user\": \"nobody\", \"hosts_file\": \"$HOSTS\","
MESH_STATE[a]=$T/a/state
mesh_config a b
mesh_config b a
mesh_config c a b

# the file without the block's lines
outside() { sed '/^# BEGIN subnetra mesh hosts/,/^# END subnetra mesh hosts/d' "$HOSTS"; }
helper_pid() { cat "/proc/${NODE_PID[a]}/task/${NODE_PID[a]}/children" 2>/dev/null | tr ' ' '\n' | grep -v '^$'; }
# the daemon itself: the process ip netns exec became (it execs in place)
cap_eff() { sed -n 's/^CapEff:[[:space:]]*//p' "/proc/$1/status"; }
uid_of() { awk '/^Uid:/ {print $2}' "/proc/$1/status"; }

start_mesh c
start_mesh a
start_mesh b

# ---- 1. B's name in A's hosts file ----------------------------------------------
check "A and B complete a handshake" wait_until 15 peer_up a b
check "A's block holds B's name" wait_until 5 block_has "${ADDR[b]} node-b"
check_eq "the block holds nothing else" 1 "$(block | wc -l)"
check_eq "every line outside the block is unchanged" "$(cat "$T/hosts.orig")" "$(outside)"
check_eq "the file keeps its mode" 644 "$(stat -c %a "$HOSTS")"
check_eq "ping6 node-b from A (resolved through the block): 1 of 1" 1 \
	"$(ping_received a -6 -c 1 -W 2 node-b)"

# ---- 2. hosts add / rm / ls ----------------------------------------------------------
check "hosts add ${ADDR[c]} printer" cli a hosts add "${ADDR[c]}" printer
check "the block holds printer at once" block_has "${ADDR[c]} printer"
ls=$(cli a hosts ls)
check_match "hosts ls: printer, manual" "${ADDR[c]} printer manual" "$ls"
check_match "hosts ls: node-b, peer" "${ADDR[b]} node-b peer" "$ls"
cli a hosts add "${ADDR[b]}" printer >/dev/null 2>"$T/err"
check_eq "hosts add of a listed name: exit 2" 2 "$?"
check_match "... says so" "refused: printer is already listed" "$(cat "$T/err")"
cli a hosts rm node-b >/dev/null 2>"$T/err"
check_eq "hosts rm of a peer's name: exit 2" 2 "$?"
cli a hosts rm nosuch >/dev/null 2>&1
check_eq "hosts rm of an unknown name: exit 2" 2 "$?"
cli a hosts add "${ADDR[b]}" Bad-Name >/dev/null 2>&1
check_eq "hosts add with an invalid name: exit 2 (checked locally)" 2 "$?"
check "hosts rm printer" cli a hosts rm printer
check "printer left the block" block_lacks printer
check "hosts add ${ADDR[b]} nas (kept for the restart)" cli a hosts add "${ADDR[b]}" nas
check_eq "the manual names' state file" "600 $(id -u nobody)" \
	"$(stat -c '%a %u' "$HS")"
check_eq "still nothing else changed in the file" "$(cat "$T/hosts.orig")" "$(outside)"
check_match "hosts on B (no hosts_file): exit 1" "no hosts_file" "$(cli b hosts ls 2>&1)"

# ---- 3. privileges -------------------------------------------------------------------------
hp=$(helper_pid)
check_match "A has one child, the hosts helper" '^[0-9]+$' "$hp"
check_eq "the helper has no capability (CapEff 0)" 0000000000000000 "$(cap_eff "$hp")"
check_eq "the daemon runs as nobody" "$(id -u nobody)" "$(uid_of "${NODE_PID[a]}")"
check_eq "the daemon has no capability" 0000000000000000 "$(cap_eff "${NODE_PID[a]}")"

# ---- 4. the whitelist, live ----------------------------------------------------------------
check_match "whitelist ls: enabled, B" "${ADDR[b]}" "$(cli a whitelist ls)"
before=$(status_json a)
check "whitelist rm B" cli a whitelist rm "${ADDR[b]}"
check_eq "A -> B: nothing gets through" 0 "$(ping_received a -6 -c 2 -W 1 "${ADDR[b]}")"
check_eq "B -> A: nothing gets through" 0 "$(ping_received b -6 -c 2 -W 1 "${ADDR[a]}")"
after=$(status_json a)
check_eq "A counts the ended session (peers_removed)" 1 "$(delta "$before" "$after" peers_removed)"
check_fails "A no longer lists B" grep -q "${ADDR[b]}" <<<"$after"
check "node-b left A's block" wait_until 2 block_lacks node-b
check_ge "B's traffic after the cut is dropped and counted" 1 \
	"$(($(delta "$before" "$after" drop_mesh_unknown_receiver) + \
		$(delta "$before" "$after" drop_mesh_hs_not_allowed)))"
cli a whitelist rm "${ADDR[b]}" >/dev/null 2>&1
check_eq "whitelist rm of an unlisted address: exit 2" 2 "$?"
cli a whitelist add fc00::1 >/dev/null 2>&1
check_eq "whitelist add of a non-fc94 address: exit 2" 2 "$?"
check "whitelist add B (no restart)" cli a whitelist add "${ADDR[b]}"
cli a whitelist add "${ADDR[b]}" >/dev/null 2>&1
check_eq "whitelist add of a listed address: exit 2" 2 "$?"
# A's add sends a QUERY beacon; B answers it unless it verified a beacon of
# A's in the last 5 s (its rate limit), and then A learns of B from B's next
# periodic beacon (20-30 s): either way no restart.
check "A and B complete a new handshake" wait_until 40 peer_up a b
check_eq "ping6 A -> B again: 2 of 2" 2 "$(ping_received a -6 -c 2 -W 2 "${ADDR[b]}")"
check "node-b is back in A's block" wait_until 5 block_has "${ADDR[b]} node-b"

check_eq "C -> A while the whitelist is on: no reply" 0 \
	"$(ping_received c -6 -c 1 -W 1 "${ADDR[a]}")"
check "whitelist disable" cli a whitelist disable
check "C gets in" wait_until 40 peer_up a c
check_eq "ping6 C -> A: 2 of 2" 2 "$(ping_received c -6 -c 2 -W 2 "${ADDR[a]}")"
# C may have got in by its own handshake (it retries): its name comes with
# its next beacon that A verifies, at most one beacon interval later.
check "node-c enters A's block" wait_until 40 block_has "${ADDR[c]} node-c"
before=$(status_json a)
check "whitelist enable" cli a whitelist enable
check_eq "C -> A: shut out again" 0 "$(ping_received c -6 -c 2 -W 1 "${ADDR[a]}")"
check_eq "... its session ended (peers_removed)" 1 \
	"$(delta "$before" "$(status_json a)" peers_removed)"
check_eq "ping6 A -> B still works: 1 of 1" 1 "$(ping_received a -6 -c 1 -W 2 "${ADDR[b]}")"
check "whitelist add fc94::1234 (only the state file will have it)" \
	cli a whitelist add fc94::1234
check_eq "the whitelist state file: nobody's, mode 600" "600 $(id -u nobody)" \
	"$(stat -c '%a %u' "$WL")"
# ascending as bytes: fc94:0:... (fc94::1234) first
check_eq "... its text" "$(printf 'subnetra-whitelist 1\nenabled yes\nfc94::1234\n%s' \
	"${ADDR[b]}")" "$(cat "$WL")"

check "B (root): whitelist add fc94::4321" cli b whitelist add fc94::4321
check_eq "B's whitelist state file: root's, mode 600, in its state_dir" "600 0" \
	"$(stat -c '%a %u' "$WL_B")"
check_eq "A's state_dir: mode 700, nobody's" "700 $(id -u nobody)" "$(stat -c '%a %u' "$T/a/state")"
check_eq "nothing kept in the socket's directory but the socket" "subnetra.sock" \
	"$(ls "$T/a/run")"

# ---- 5. reboot: /run is gone, state_dir is not -------------------------------------------------
stop_node a
stop_node b
check "after the stop, the block is still there" block_has "${ADDR[b]} node-b"
check "... with the manual name" block_has "${ADDR[b]} nas"
check_fails "the helper is gone with the daemon" test -n "$(pgrep -f "^$SUBNETRAD" -P "$hp" 2>/dev/null)"
rm -rf "$T/a/run" "$T/b/run"
start_mesh a
start_mesh b
check_match "the state file was loaded" "whitelist from $WL: enabled, 2 address" \
	"$(cat "${NODE_LOG[a]}")"
check_match "B (root) after the reboot: fc94::4321 still listed" "fc94::4321" \
	"$(cli b whitelist ls)"
check_match "whitelist ls has the address only the file had" "fc94::1234" "$(cli a whitelist ls)"
check_match "hosts ls: the manual name survived" "${ADDR[b]} nas manual" "$(cli a hosts ls)"
# B verifies one beacon per address per 5 s, and A's last query (whitelist
# add) was just before the stop: B may skip A's start-up query and then
# learns of A from its next periodic beacon (20-30 s).
check "A and B again" wait_until 40 peer_up a b
check "the block holds node-b" wait_until 5 block_has "${ADDR[b]} node-b"
check_eq "ping6 node-b after the restart: 1 of 1" 1 "$(ping_received a -6 -c 1 -W 2 node-b)"
check_eq "nothing else changed in the file" "$(cat "$T/hosts.orig")" "$(outside)"

# ---- 6. the one-time move from the socket's directory --------------------------------------------
stop_node a
mv "$WL" "$HS" "$T/a/run/"
start_mesh a
log=$(cat "${NODE_LOG[a]}")
check_match "a log line: the whitelist moved" \
	"$T/a/run/subnetra.whitelist moved to $WL \(state_dir; a one-time migration\)" "$log"
check_match "a log line: the host names moved" \
	"$T/a/run/subnetra.hosts moved to $HS \(state_dir; a one-time migration\)" "$log"
check_match "whitelist ls: the moved list (fc94::1234)" "fc94::1234" "$(cli a whitelist ls)"
check_match "hosts ls: the moved name" "${ADDR[b]} nas manual" "$(cli a hosts ls)"
check_eq "the old files are gone" "subnetra.sock" "$(ls "$T/a/run")"
check_eq "the new ones are there, mode 600" "600 600" "$(stat -c %a "$WL" "$HS" | xargs)"

# ---- 7. a world-writable state file is not trusted -------------------------------------------
stop_node a
printf 'subnetra-whitelist 1\nenabled no\n' >"$WL"
chmod 666 "$WL"
start_mesh a
check_match "one log line: ignored, the config's list" \
	"whitelist state file ignored, using the config's list: $WL is writable by group or others" \
	"$(cat "${NODE_LOG[a]}")"
ls=$(cli a whitelist ls)
check_match "whitelist ls: enabled (the config's)" "whitelist enabled, 1 address" "$ls"
check_fails "fc94::1234 is not there" grep -q fc94::1234 <<<"$ls"
check_eq "C -> A: still no reply" 0 "$(ping_received c -6 -c 1 -W 1 "${ADDR[a]}")"

# ---- 8. a hosts_file named like an old state file is the operator's -------------------------------
# B's socket is $T/b.sock, so its pre-state_dir host names file was
# $T/b.hosts: a hosts_file of that very name must stay where it is (the
# one-time move once took it away; make demo names its files this way).
stop_node b
printf '127.0.0.1\tlocalhost\n' >"$T/b.hosts"
chmod 644 "$T/b.hosts"
MESH_EXTRA[b]="\"hosts_file\": \"$T/b.hosts\","
mesh_config b a
start_mesh b
check_fails "B: no one-time move of its hosts_file" grep -q "b.hosts moved to" "${NODE_LOG[b]}"
check "B's hosts_file is still there, with the managed block" \
	wait_until 10 grep -q '^# BEGIN subnetra mesh hosts' "$T/b.hosts"
check "... and the operator's line" grep -q '^127.0.0.1' "$T/b.hosts"

for n in a b c; do stop_node "$n"; done
for n in a b c; do
	check_fails "$n: no seccomp violation" grep -q 'seccomp: forbidden' "${NODE_LOG[$n]}"
done
done_testing
