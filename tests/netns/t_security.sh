#!/usr/bin/env bash
# Privilege drop, control-socket permissions and secret hygiene of running
# daemons.
#
#    a (root, caps dropped)         hub (runs as "nobody")         b (root)
#    203.0.113.2  ------------------ 203.0.113.1 ------------------ 203.0.113.3
#         \___________________ br0 (namespace net) ___________________/
#
#    control sockets: $T/run-<node>/subnetra.sock (the daemon creates the
#    directory 0700 and the socket 0600)
#
# Asserts: every capability set of each running daemon is empty, no_new_privs
# is set, the seccomp filter is installed (mode 2; sanitizer builds say they
# skip it), the hub switched to uid 65534; socket 0600 in a 0700 directory;
# root gets an answer, a second unprivileged user gets "Permission denied";
# no configured PSK (in hex, either case) appears in anything the daemons and
# the CLI print, including config errors; a config other users can read
# produces a warning that names the file.
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

require_env
# Every node gets its own socket directory, created by the daemon.
node_sock() { echo "$T/run-$1/subnetra.sock"; }

topo_standard
# Like /run: others may traverse the temp dir, so every "Permission denied"
# below comes from the daemon's own 0700 directory and 0600 socket.
chmod 0711 "$T"
write_mesh_configs '"user": "nobody"' '"keepalive_secs": 1'
start_node hub "$T/hub.json"
start_node a "$T/a.json"
start_node b "$T/b.json"
ok "hub (as nobody) and two spokes ready"

got=$(ping_received a -n -c 5 -i 0.1 -W 2 10.0.0.3)
check_eq "a -> b through the unprivileged hub: 5/5 replies" 5 "$got"

sanitized=0
case $SNR_BUILD in *asan* | *fuzz*) sanitized=1 ;; esac

for n in hub a b; do
	st=/proc/${NODE_PID[$n]}/status
	for c in CapInh CapPrm CapEff CapBnd CapAmb; do
		check_eq "$n: $c is empty" 0000000000000000 "$(awk -v k="$c:" '$1 == k { print $2 }' "$st")"
	done
	check_eq "$n: NoNewPrivs" 1 "$(awk '$1 == "NoNewPrivs:" { print $2 }' "$st")"
	if [ $sanitized -eq 0 ]; then
		check_eq "$n: seccomp filter installed (mode 2)" 2 "$(awk '$1 == "Seccomp:" { print $2 }' "$st")"
	else
		check "$n: sanitizer build says the seccomp filter is skipped" \
			grep -q 'seccomp filter not installed' "${NODE_LOG[$n]}"
	fi
done
check_eq "hub: runs as uid 65534 (nobody)" 65534 \
	"$(awk '$1 == "Uid:" { print $3 }' "/proc/${NODE_PID[hub]}/status")"
check_eq "a: still uid 0 without capabilities" 0 \
	"$(awk '$1 == "Uid:" { print $3 }' "/proc/${NODE_PID[a]}/status")"

# ---- control socket permissions ----
for n in hub a; do
	sock=$(node_sock "$n")
	check_eq "$n: socket mode 600" 600 "$(stat -c %a "$sock")"
	check_eq "$n: socket directory mode 700" 700 "$(stat -c %a "$(dirname "$sock")")"
	check "$n: root gets a status reply" cli "$n" status
done
# A second unprivileged user: 65533 for the hub (which is itself nobody),
# nobody for the root daemon on a.  It runs a copy of the CLI in a 0755
# directory of $T: the checkout may sit in a private (0700) directory that
# the user cannot even traverse (exit 126), which would hide the socket's
# own refusal.
install -d -m 0755 "$T/bin"
install -m 0755 "$SUBNETRA" "$T/bin/subnetra"
for pair in hub:65533 a:65534; do
	n=${pair%%:*} uid=${pair##*:}
	out=$(nsx "$n" setpriv --reuid="$uid" --regid="$uid" --clear-groups \
		env SUBNETRA_SOCK="$(node_sock "$n")" "$T/bin/subnetra" status 2>&1)
	rc=$?
	check_eq "$n: uid $uid is refused (exit 1)" 1 "$rc"
	check_match "$n: uid $uid sees 'Permission denied'" 'Permission denied' "$out"
done

# ---- secrets never printed ----
out=$T/printed.txt
: >"$out"
for n in hub a b; do
	{
		cli "$n" status
		cli "$n" status --json
		cli "$n" policy show
		cli "$n" save
		cli "$n" policy add --src 0.0.0.0/0 --dst 10.9.9.9/33
	} >>"$out" 2>&1
	"$SUBNETRAD" --check --config "$T/$n.json" >>"$out" 2>&1
	"$SUBNETRAD" --print-network-plan --config "$T/$n.json" >>"$out" 2>&1
done
check "hub (as nobody): save writes its snapshot" grep -qF \
	"saved 2 rule(s) to $T/run-hub/subnetra.policy" "$out"
# Config errors that involve the keys: a duplicate, a short one, a bad digit.
dup=$T/dup.json bad=$T/bad.json
sed "s/$KEY_B/$KEY_A/" "$T/hub.json" >"$dup"
sed "s/$KEY_B/${KEY_B:0:63}g/" "$T/hub.json" >"$bad"
"$SUBNETRAD" --check --config "$dup" >>"$out" 2>&1
check_match "duplicate keys are rejected (DuplicatePsk)" DuplicatePsk "$(tail -n 1 "$out")"
"$SUBNETRAD" --check --config "$bad" >>"$out" 2>&1
check_match "a non-hex key is rejected (InvalidPsk)" InvalidPsk "$(tail -n 1 "$out")"

for n in hub a b; do stop_node "$n"; done
cat "${ALL_LOGS[@]}" >>"$out"
for k in "$KEY_A" "$KEY_B"; do
	upper=$(printf '%s' "$k" | tr a-f A-F)
	check "PSK ${k:0:4}... absent from $(wc -l <"$out") lines of output and logs" \
		bash -c '! grep -qiF -e "$1" -e "$2" -e "${1:0:24}" "$3"' _ "$k" "$upper" "$out"
done

# ---- a config other users can read ----
chmod 0644 "$T/a.json"
warn=$("$SUBNETRAD" --check --config "$T/a.json" 2>&1)
check_match "world-readable config: warning names the file" \
	"warning: $T/a.json is readable by other users" "$warn"
chmod 0600 "$T/a.json"
warn=$("$SUBNETRAD" --check --config "$T/a.json" 2>&1)
check "0600 config: no warning" bash -c '! grep -q warning <<<"$1"' _ "$warn"

done_testing
