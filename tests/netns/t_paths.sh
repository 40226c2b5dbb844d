#!/usr/bin/env bash
# Names a root daemon opens that someone else may have planted: symbolic
# links and FIFOs at the control socket, the policy snapshot and its .tmp;
# a snapshot others could write or saved under another config; a FIFO as
# the config; a socket directory that is someone else's link; and a
# $SUBNETRA_TUN that is not an interface name (it ends up in a plan users
# pipe to `sudo sh`).
#
#    [$RUN-p]   root daemon, SUBNETRA_SOCK=$T/p/s.sock ($T/p: root 0700)
#    [$RUN-t]   root daemon, SUBNETRA_SOCK=$T/tmp/s.sock ($T/tmp: 1777, like /tmp)
#    [$RUN-d]   root daemon, socket directories that are links
#    (no underlay: the daemons need only their TUN and their socket)
#
#    $T/victim  root 0644: the target of every planted link; its owner, mode
#               and content must never change
#
# Asserts: a link or FIFO at the socket path stops start-up with a clear
# error (never a hang); one at the snapshot path is ignored with one line
# and start-up goes on; one at the .tmp makes `save` fail with a line naming
# it (never a hang, never a write through); a snapshot planted by nobody in
# a sticky directory, one writable by others, one saved under another config
# or without a stamp is ignored with one line, and following that line's
# hint makes it load; a FIFO config is refused at once; a bad SUBNETRA_TUN
# is refused (exit 1) by the plan and the daemon.
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

require_env
topo_init
declare -A SOCK=()
node_sock() { echo "${SOCK[$1]}"; }
NOBODY_UID=$(id -u nobody)
chmod 0711 "$T"

VICTIM=$T/victim
printf 'victim: must not change\n' >"$VICTIM"
chmod 0644 "$VICTIM"
victim_state() { echo "$(stat -c '%u:%g %a %s' "$VICTIM") $(sha256sum <"$VICTIM")"; }
VICTIM_BEFORE=$(victim_state)
victim_intact() { check_eq "$1: the link's target is untouched (owner, mode, content)" \
	"$VICTIM_BEFORE" "$(victim_state)"; }

# start_fails NODE CONFIG: the daemon must exit by itself within 10 s
# (timeout's 124 means it hung); exit status in RC, output in OUT.
start_fails() {
	OUT=$(timeout 10 ip netns exec "${NODE_NS[$1]}" env SUBNETRA_SOCK="${SOCK[$1]}" \
		SUBNETRA_TUN="$TUN" "$SUBNETRAD" --config "$2" 2>&1 </dev/null)
	RC=$?
}
# rule_count NODE: rules in `policy show`.
rule_count() { cli "$1" policy show | grep -c '^policy add'; }
log_has() { grep -qF -- "$2" "${NODE_LOG[$1]}"; }

topo_add_isolated p
mkdir -m 0700 "$T/p"
SOCK[p]=$T/p/s.sock
write_spoke_config "$T/p.json" 2 "$KEY_A"

# ---- the socket path ---------------------------------------------------------------
for kind in link FIFO; do
	if [ $kind = link ]; then ln -s "$VICTIM" "$T/p/s.sock"; else mkfifo -m 0600 "$T/p/s.sock"; fi
	start_fails p "$T/p.json"
	check_eq "socket path is a $kind: start-up fails by itself (exit 1)" 1 "$RC"
	check_match "socket path is a $kind: the error names it" \
		"control socket $T/p/s.sock: path exists and is not a socket" "$OUT"
	if [ $kind = link ]; then
		check "socket path is a link: still the planted link" test -L "$T/p/s.sock"
	else
		check "socket path is a FIFO: still the planted FIFO" test -p "$T/p/s.sock"
	fi
	rm -f "$T/p/s.sock"
done
victim_intact "socket path"

# ---- the snapshot path --------------------------------------------------------------
# A genuine snapshot of this config (3 rules: the 2 derived and one added), kept aside.
start_node p "$T/p.json"
cli p policy add --src 0.0.0.0/0 --dst 10.77.0.0/16 --action drop
added() { cli "$1" policy show | grep -q '10\.77\.0\.0/16'; }
wait_until 5 added p || not_ok "p: the added rule did not show up"
check_match "p: save" "^saved 3 rule\(s\) to $T/p/s.policy$" "$(cli p save 2>&1)"
STAMP_LINE=$(head -n 1 "$T/p/s.policy")
check_match "p: the snapshot's first line is the config stamp" \
	'^# subnetra-policy config=[0-9a-f]{64}$' "$STAMP_LINE"
stop_node p
mv "$T/p/s.policy" "$T/good.policy"

ln -s "$VICTIM" "$T/p/s.policy"
start_node p "$T/p.json"
check "snapshot is a link to any file: ignored with one line, start-up goes on" log_has p \
	"subnetrad: policy snapshot ignored, starting with the config's rules only: $T/p/s.policy is a symbolic link"
check_fails "snapshot is a link: nothing of the target is printed" log_has p 'victim: must not'
stop_node p
rm "$T/p/s.policy"
victim_intact "snapshot path"

ln -s "$T/good.policy" "$T/p/s.policy"
start_node p "$T/p.json"
check "snapshot is a link to a good snapshot: still ignored" log_has p \
	"$T/p/s.policy is a symbolic link"
check_eq "... and its rules are not loaded" 2 "$(rule_count p)"
stop_node p
rm "$T/p/s.policy"

mkfifo -m 0600 "$T/p/s.policy"
# start_node bails if there is no [ready] within 10 s: a wait on the FIFO.
start_node p "$T/p.json"
check "snapshot is a FIFO: ignored at once with one line" log_has p \
	"$T/p/s.policy is a FIFO, not a regular file"
stop_node p
rm "$T/p/s.policy"

# ---- the snapshot's .tmp --------------------------------------------------------------
start_node p "$T/p.json"
ln -s "$VICTIM" "$T/p/s.policy.tmp"
out=$(timeout 10 env SUBNETRA_SOCK="$T/p/s.sock" ip netns exec "${NODE_NS[p]}" "$SUBNETRA" save 2>&1)
check_eq ".tmp is a link: save fails (exit 1)" "1 save failed" "$? $out"
check ".tmp is a link: the log names it" log_has p \
	"subnetrad: save failed: $T/p/s.policy.tmp is a symbolic link, not a file subnetrad left: remove it"
check ".tmp is a link: still the planted link" test -L "$T/p/s.policy.tmp"
rm "$T/p/s.policy.tmp"
victim_intact ".tmp path"
mkfifo -m 0600 "$T/p/s.policy.tmp"
out=$(timeout 10 env SUBNETRA_SOCK="$T/p/s.sock" ip netns exec "${NODE_NS[p]}" "$SUBNETRA" save 2>&1)
check_eq ".tmp is a FIFO: save fails at once (exit 1, no wait for a reader)" "1 save failed" "$? $out"
check ".tmp is a FIFO: the log names it" log_has p "$T/p/s.policy.tmp is a FIFO"
check ".tmp is a FIFO: the daemon still answers" cli p status
rm "$T/p/s.policy.tmp"
check_fails "no snapshot was written through any of them" test -e "$T/p/s.policy"
stop_node p

# ---- whose snapshot, and which config's ---------------------------------------------------
cp "$T/good.policy" "$T/p/s.policy"
chmod 0666 "$T/p/s.policy"
start_node p "$T/p.json"
check "snapshot writable by others: ignored with one line" log_has p \
	"$T/p/s.policy is writable by group or others (mode 0666)"
check_eq "... its rules are not loaded" 2 "$(rule_count p)"
stop_node p
chmod 0600 "$T/p/s.policy"
start_node p "$T/p.json"
check "the same file, 0600 and root's: loaded" log_has p \
	"loaded 1 saved rule(s) from $T/p/s.policy"
stop_node p

# The config changes: the snapshot no longer applies.
write_spoke_config "$T/p.json" 2 "$KEY_A" '"keepalive_secs": 5'
start_node p "$T/p.json"
check "another config's snapshot: ignored with one line" log_has p \
	"$T/p/s.policy was saved under another config; if its rules still apply, make its first line '# subnetra-policy config="
check_eq "... its rules are not loaded" 2 "$(rule_count p)"
new_stamp=$(sed -n "s/.*make its first line '\(# subnetra-policy config=[0-9a-f]*\)'.*/\1/p" "${NODE_LOG[p]}")
check_match "... the line names this config's stamp" '^# subnetra-policy config=[0-9a-f]{64}$' "$new_stamp"
check_fails "... not the old one" test "$new_stamp" = "$STAMP_LINE"
stop_node p
sed -i "1s/.*/$new_stamp/" "$T/p/s.policy"
start_node p "$T/p.json"
check "following the line's hint, the snapshot loads" log_has p "loaded 1 saved rule(s) from $T/p/s.policy"
stop_node p
grep -v '^# subnetra-policy' "$T/p/s.policy" >"$T/p/s.policy.new"
mv "$T/p/s.policy.new" "$T/p/s.policy"
chmod 0600 "$T/p/s.policy"
start_node p "$T/p.json"
check "a snapshot without a stamp: ignored with one line" log_has p \
	"$T/p/s.policy carries no config stamp"
stop_node p

# A sticky, world-writable directory (the man page's /tmp example): nobody
# plants a snapshot, stamp and all, before root starts.
topo_add_isolated t
mkdir -m 1777 "$T/tmp"
SOCK[t]=$T/tmp/s.sock
write_spoke_config "$T/t.json" 2 "$KEY_A"
start_node t "$T/t.json"
cli t save >/dev/null
t_stamp=$(head -n 1 "$T/tmp/s.policy")
stop_node t
rm "$T/tmp/s.policy"
printf '%s\npolicy add --src 0.0.0.0/0 --dst 10.66.0.0/16 --action forward --target 1\n' "$t_stamp" |
	setpriv --reuid=nobody --regid=nogroup --clear-groups sh -c "umask 077; cat >'$T/tmp/s.policy'"
check_eq "nobody planted a stamped snapshot" "$NOBODY_UID" "$(stat -c %u "$T/tmp/s.policy")"
start_node t "$T/t.json"
check "nobody's snapshot: not trusted by root, one line" log_has t \
	"$T/tmp/s.policy belongs to uid $NOBODY_UID, neither root nor the daemon's user"
added_66() { cli t policy show | grep -q '10\.66\.0\.0/16'; }
check_fails "nobody's rule is not in the table" added_66
stop_node t

# ---- socket directories that are links ---------------------------------------------------
topo_add_isolated d
mkdir -m 0700 "$T/real"
setpriv --reuid=nobody --regid=nogroup --clear-groups ln -s "$T/real" "$T/tmp/run"
SOCK[d]=$T/tmp/run/s.sock
write_spoke_config "$T/d.json" 2 "$KEY_A"
start_fails d "$T/d.json"
check_eq "socket directory is nobody's link: start-up fails (exit 1)" 1 "$RC"
check_match "... and says why" \
	"control socket directory of $T/tmp/run/s.sock: a symbolic link not owned by root" "$OUT"
check_fails "... nothing was created behind the link" test -e "$T/real/s.sock"
ln -s "$T/real" "$T/varrun"
SOCK[d]=$T/varrun/s.sock
start_node d "$T/d.json"
check "a root-owned link (like /var/run) is followed" test -S "$T/real/s.sock"
stop_node d

# ---- the config and the TUN name -----------------------------------------------------------
mkfifo -m 0600 "$T/fifo.json"
out=$(timeout 10 "$SUBNETRAD" --check --config "$T/fifo.json" 2>&1)
check_eq "a FIFO config is refused at once (exit 1, no wait)" 1 "$?"
check_match "... naming it" "$T/fifo.json: FileUnreadable: a FIFO, not a regular file" "$out"

plan=$(SUBNETRA_TUN='x;reboot' "$SUBNETRAD" --print-network-plan --config "$T/p.json" 2>"$T/plan.err")
check_eq "SUBNETRA_TUN='x;reboot': the plan is refused (exit 1)" 1 "$?"
check_eq "... and prints nothing to pipe into sh" "" "$plan"
check_match "... the message says why" \
	"subnetrad: SUBNETRA_TUN: not a usable interface name: ';' at byte 2 is not allowed" \
	"$(cat "$T/plan.err")"
for bad in '$(id)' 'a b' 'x/y' '..' 'abcdefghijklmnop'; do
	SUBNETRA_TUN=$bad "$SUBNETRAD" --print-network-plan --config "$T/p.json" >/dev/null 2>&1
	check_eq "SUBNETRA_TUN='$bad': plan refused (exit 1)" 1 "$?"
done
plan=$(SUBNETRA_TUN=snr-x.1 "$SUBNETRAD" --print-network-plan --config "$T/p.json")
check_eq "SUBNETRA_TUN=snr-x.1: a plan (exit 0)" 0 "$?"
check_match "... for that interface" '^ip link set snr-x\.1 mtu 1436 up$' "$plan"
out=$(ip netns exec "${NODE_NS[p]}" env SUBNETRA_SOCK="$T/p/s.sock" SUBNETRA_TUN='a;b' \
	timeout 10 "$SUBNETRAD" --config "$T/p.json" 2>&1 </dev/null)
check_eq "the daemon refuses SUBNETRA_TUN='a;b' (exit 1)" 1 "$?"
check_match "... with the same message" "SUBNETRA_TUN: not a usable interface name" "$out"
check_eq "... before creating any device" "" "$(ip -n "${NODE_NS[p]}" -o link show | grep -v ' lo:')"

victim_intact "the whole run"
done_testing
