#!/usr/bin/env bash
# Who owns the control socket's directory after start-up and after stop.
# Only a directory the daemon creates itself is handed over to the config's
# "user"; an existing one (/run, /var/run, /) keeps its owner, and one line
# says what that costs.
#
#    [$RUN-sys]   "user": "nobody", SUBNETRA_SOCK=$T/sys/x.sock
#                 $T/sys exists, root 0755 (like /run): never chowned
#    [$RUN-own]   "user": "nobody", SUBNETRA_SOCK=$T/own/run/subnetra.sock
#                 $T/own/run is missing: created 0700 and handed to nobody,
#                 then reused on the second start (already nobody's)
#    [$RUN-root]  no "user",        SUBNETRA_SOCK=$T/rootrun/subnetra.sock
#    (no underlay: each daemon needs only its TUN and its socket)
#
# Asserts: owner and mode of each directory, socket and snapshot after
# start, after stop and after a second start; the one-line note for a
# directory that is not handed over, and its consequence ('save' fails,
# the socket stays behind); a save by the unprivileged daemon in its own
# directory is trusted on the next start (loaded), as is root's.
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

require_env
topo_init
declare -A SOCK=()
node_sock() { echo "${SOCK[$1]}"; }
# uid:gid mode, numeric: nobody's group is nogroup on Debian, nobody elsewhere.
owner() { stat -c '%u:%g %a' "$1" 2>&1; }
NOBODY="$(id -u nobody):$(id -g nobody)"
# Like /: others may traverse the temp dir.
chmod 0711 "$T"

# ---- an existing system directory ------------------------------------------------
topo_add_isolated sys
mkdir -m 0755 "$T/sys"
SOCK[sys]=$T/sys/x.sock
write_spoke_config "$T/sys.json" 2 "$KEY_A" '"user": "nobody"'
start_node sys "$T/sys.json"
check_eq "sys: the existing directory keeps owner and mode after start" "0:0 755" "$(owner "$T/sys")"
check_eq "sys: the socket itself is nobody's, mode 600" "$NOBODY 600" "$(owner "$T/sys/x.sock")"
check "sys: one line says the directory is not handed over, and what that costs" \
	grep -q "control socket directory $T/sys belongs to uid 0 and is not handed over to user 'nobody'.*'subnetra save' will fail and the socket will stay behind" \
	"${NODE_LOG[sys]}"
check "sys: root gets a status reply" cli sys status
out=$(cli sys save 2>&1)
check_eq "sys: save fails where nobody cannot write (exit 1)" "1 save failed" "$? $out"
check "sys: the log says why, naming the file" grep -qF \
	"subnetrad: save failed: cannot create $T/sys/x.policy.tmp: Permission denied" "${NODE_LOG[sys]}"
stop_node sys
check_eq "sys: ... and after stop" "0:0 755" "$(owner "$T/sys")"
check "sys: the socket stays behind, as the line said" test -S "$T/sys/x.sock"
start_node sys "$T/sys.json"
check_eq "sys: a second start replaces the stale socket; the directory is still root's" \
	"0:0 755 $NOBODY 600" "$(owner "$T/sys") $(owner "$T/sys/x.sock")"
stop_node sys
check_eq "sys: ... and after the second stop" "0:0 755" "$(owner "$T/sys")"

# ---- a directory the daemon creates ------------------------------------------------
topo_add_isolated own
mkdir -m 0755 "$T/own"
SOCK[own]=$T/own/run/subnetra.sock
write_spoke_config "$T/own.json" 3 "$KEY_B" '"user": "nobody"'
start_node own "$T/own.json"
check_eq "own: the directory it created is handed to nobody, mode 700" "$NOBODY 700" \
	"$(owner "$T/own/run")"
check_eq "own: its parent keeps owner and mode" "0:0 755" "$(owner "$T/own")"
check_eq "own: socket nobody's, mode 600" "$NOBODY 600" "$(owner "$T/own/run/subnetra.sock")"
check_fails "own: no 'not handed over' line" grep -q 'not handed over' "${NODE_LOG[own]}"
cli own policy add --src 0.0.0.0/0 --dst 10.77.0.0/16 --action drop
rule_shown() { cli own policy show | grep -q '10\.77\.0\.0/16'; }
wait_until 5 rule_shown || not_ok "own: the added rule did not show up"
check_match "own: the unprivileged daemon saves in its own directory" \
	"^saved 3 rule\(s\) to $T/own/run/subnetra.policy$" "$(cli own save 2>&1)"
check_eq "own: snapshot nobody's, mode 600" "$NOBODY 600" "$(owner "$T/own/run/subnetra.policy")"
stop_node own
check_eq "own: after stop the directory is still nobody's" "$NOBODY 700" "$(owner "$T/own/run")"
check_fails "own: the socket is gone" test -e "$T/own/run/subnetra.sock"
start_node own "$T/own.json"
check_eq "own: second start reuses nobody's directory as it is" "$NOBODY 700" \
	"$(owner "$T/own/run")"
check_fails "own: second start: no 'not handed over' line" grep -q 'not handed over' \
	"${NODE_LOG[own]}"
check "own: second start loads what nobody saved" grep -qF \
	"loaded 1 saved rule(s) from $T/own/run/subnetra.policy" "${NODE_LOG[own]}"
check_match "own: the saved rule is back" '10\.77\.0\.0/16' "$(cli own policy show)"
stop_node own
check_eq "own: the parent never changed" "0:0 755" "$(owner "$T/own")"

# ---- root, a directory it creates ----------------------------------------------------
topo_add_isolated root
SOCK[root]=$T/rootrun/subnetra.sock
write_spoke_config "$T/root.json" 4 "$KEY_A"
start_node root "$T/root.json"
check_eq "root: directory root's, mode 700; socket root's, mode 600" "0:0 700 0:0 600" \
	"$(owner "$T/rootrun") $(owner "$T/rootrun/subnetra.sock")"
check_match "root: save works" "^saved 2 rule\(s\) to $T/rootrun/subnetra.policy$" \
	"$(cli root save 2>&1)"
stop_node root
check_fails "root: the socket is gone after stop" test -e "$T/rootrun/subnetra.sock"
start_node root "$T/root.json"
check "root: second start loads its own snapshot (nothing new: 0 rules)" \
	bash -c '! grep -q "policy snapshot" "$1"' _ "${NODE_LOG[root]}"
stop_node root

done_testing
