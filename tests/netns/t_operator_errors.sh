#!/usr/bin/env bash
# Errors a person can act on, and an installed doctor that finds its daemon.
#
#    [$RUN-d1]   subnetrad on snr0, socket $T/d1/s.sock   <- a second daemon on snr0:
#                                                          "held by pid N (subnetrad)"
#    [$RUN-away] another namespace, loopback only          <- subnetra status there:
#                                                          times out, says why
#    [$RUN-lv]   subnetrad with SUBNETRA_SOCK three levels below an existing directory
#    (no underlay: every daemon needs only its TUN and its socket)
#
# Asserts: every program's usage error is the message, one usage line and a
# pointer to --help; a config of null is an error naming the file; range
# messages state the documented ranges; --path-mtu below 132 is refused; a
# status from another network namespace times out with a message that names
# the cause (and the daemon logs the undeliverable reply); metrics as a user
# who may not use the socket is an error, not "subnetra_up 0", while a daemon
# that is down still gives "subnetra_up 0"; missing socket directories are
# created 0700 (0711 above the socket's own directory with "user") and
# refused under a directory another user owns; a busy TUN names its holder;
# subnetra-doctor installed by `make install DESTDIR=... PREFIX=...` finds
# subnetrad in PREFIX/sbin (also through a link on PATH).
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

require_env
topo_init
declare -A SOCK=()
node_sock() { echo "${SOCK[$1]:-$T/$1.sock}"; }
OUT="" ERR="" RC=0
# run CMD...: exit status in RC, stdout in OUT, stderr in ERR.
run() {
	OUT=$("$@" 2>"$T/stderr")
	RC=$?
	ERR=$(cat "$T/stderr")
}
owner() { stat -c '%u:%g %a' "$1" 2>&1; }

# ---- usage errors: the message, one usage line, a pointer to --help ----------------------------

check_usage_error() { # PROG CMD...
	local prog=$1
	shift
	run "$@"
	check_eq "$prog: a usage error exits 2" 2 "$RC"
	check_eq "$prog: three lines on stderr, nothing on stdout" "3 0" \
		"$(printf '%s\n' "$ERR" | wc -l) $(printf '%s' "$OUT" | wc -c)"
	check_match "$prog: the message first" "^$prog: " "$(sed -n 1p <<<"$ERR")"
	check_match "$prog: then one usage line" "^usage: $prog " "$(sed -n 2p <<<"$ERR")"
	check_eq "$prog: then a pointer to --help" "Try '$prog --help' for more." "$(sed -n 3p <<<"$ERR")"
}
check_usage_error subnetrad "$SUBNETRAD" --no-such-option
check_usage_error subnetrad "$SUBNETRAD" --config
check_usage_error subnetra "$SUBNETRA" no-such-command
check_usage_error subnetra "$SUBNETRA"
check_usage_error subnetra "$SUBNETRA" policy add --src 0.0.0.0/0
for t in keygen config-gen config-lint wire-decode mtu-probe bench-wire conformance; do
	check_usage_error "subnetra-$t" "$SNR_BUILD/subnetra-$t" --no-such-option
done
run "$SNR_BUILD/subnetra-mtu-probe" --no-such-option
check_match "subnetra-mtu-probe: the usage line has both modes" \
	'--listen PORT .*\| --probe A\.B\.C\.D:PORT' "$(sed -n 2p <<<"$ERR")"
check_usage_error subnetra-doctor sh "$SNR_ROOT/tools/doctor.sh" --no-such-option

# ---- config and plan messages ------------------------------------------------------------------

printf 'null\n' >"$T/null.json"
chmod 600 "$T/null.json"
run "$SUBNETRAD" --check --config "$T/null.json"
check_eq "--check of a null config: exit 1" 1 "$RC"
check_eq "--check of a null config: says what was expected, naming the file" \
	"subnetrad: $T/null.json: WrongType: the top level must be a JSON object, got null" "$ERR"
check_nogrep() { if grep -q -- "$2" <<<"$3"; then not_ok "$1"; diag "$3"; else ok "$1"; fi; }
check_nogrep "--check of a null config: no 'success', no '[config ok]'" 'success\|config ok' "$ERR"
run "$SNR_BUILD/subnetra-config-lint" "$T/null.json"
check_eq "config-lint of a null config: FAILED (WrongType)" \
	"config-lint: $T/null.json: FAILED (WrongType)" "$(head -n 1 <<<"$OUT")"

write_spoke_config "$T/spoke.json" 2 "$KEY_A"
sed 's/"local_id": 2/"local_id": 70000/' "$T/spoke.json" >"$T/id.json"
chmod 600 "$T/id.json"
run "$SUBNETRAD" --check --config "$T/id.json"
check_match "local_id 70000: the documented range" 'local_id: PeerIdOutOfRange: 70000 is outside 1\.\.65535, or 0 on a node without peers$' "$ERR"
check_match "the docs state the same range" '^\| `local_id` \| integer 1\.\.65535 \|' "$(cat "$SNR_ROOT/docs/configuration.md")"

run "$SUBNETRAD" --print-network-plan --path-mtu 90 --config "$T/spoke.json"
check_eq "--path-mtu 90: a usage error (exit 2)" 2 "$RC"
check_match "--path-mtu 90: says no tunnel fits, and the minimum" \
	'^subnetrad: --path-mtu 90: too small for any tunnel: its 64 bytes of overhead leave an overlay MTU of 26, below the IPv4 minimum of 68 \(the path must carry at least 132 bytes\)$' "$ERR"
check_eq "--path-mtu 90: no plan printed" "" "$OUT"
run "$SUBNETRAD" --print-network-plan --path-mtu 132 --config "$T/spoke.json"
check_eq "--path-mtu 132: the smallest path that works (exit 0)" 0 "$RC"
check_match "--path-mtu 132: recommends 68" '^# recommended max tunnel MTU for this path: 68$' "$OUT"

# ---- a second daemon on a busy TUN ----------------------------------------------------------------

topo_add_isolated d1
SOCK[d1]=$T/d1/s.sock
write_spoke_config "$T/d1.json" 2 "$KEY_A" '"keepalive_secs": 0'
start_node d1 "$T/d1.json"
sed 's/"keepalive_secs": 0/"keepalive_secs": 0, "listen_ports": [18099]/' "$T/d1.json" >"$T/d2.json"
chmod 600 "$T/d2.json"
run ip netns exec "${NODE_NS[d1]}" env SUBNETRA_SOCK="$T/d2/s.sock" SUBNETRA_TUN="$TUN" \
	timeout 10 "$SUBNETRAD" --config "$T/d2.json"
check_eq "second daemon on the same TUN: exit 1" 1 "$RC"
check_match "second daemon: names the daemon holding the TUN" \
	"^subnetrad: cannot create TUN device '$TUN': Device or resource busy: held by pid ${NODE_PID[d1]} \(subnetrad\); stop it first, or give this daemon another device with SUBNETRA_TUN$" "$ERR"
check "the first daemon still answers" cli d1 status

# ---- subnetra status from another network namespace -----------------------------------------------

topo_add_isolated away
t0=$(now_ms)
run ip netns exec "${NODE_NS[away]}" env SUBNETRA_SOCK="$(node_sock d1)" "$SUBNETRA" status
took=$(($(now_ms) - t0))
check_eq "status from another netns: exit 1" 1 "$RC"
check_ge "status from another netns: after the 2 s timeout" 1900 "$took"
check_match "status from another netns: says the daemon may be in another namespace" \
	'^subnetra: no response from daemon \(timed out\) after 2000 ms on .*: if subnetrad runs in another network namespace, run subnetra there too' "$ERR"
check "the daemon logs the reply it could not deliver" grep -q \
	'a control reply could not be delivered: the client is gone, or runs in another network namespace' "${NODE_LOG[d1]}"

# ---- metrics as a user who may not use the socket ----------------------------------------------------

as_nobody() { setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups "$@"; }
if command -v setpriv >/dev/null 2>&1; then
	run nsx d1 env SUBNETRA_SOCK="$(node_sock d1)" setpriv --reuid=nobody --regid="$(id -g nobody)" \
		--clear-groups "$SUBNETRA" metrics
	check_eq "metrics as nobody: exit 1" 1 "$RC"
	check_eq "metrics as nobody: no 'subnetra_up 0' (the daemon is up)" "" "$OUT"
	check_match "metrics as nobody: the permission error, and what to do" \
		'Permission denied: the socket is only for root and the daemon.s configured user' "$ERR"
	run nsx d1 env SUBNETRA_SOCK="$(node_sock d1)" setpriv --reuid=nobody --regid="$(id -g nobody)" \
		--clear-groups "$SUBNETRA" status
	check_eq "status as nobody: exit 1, the same message" "1 yes" \
		"$RC $(grep -q 'Permission denied: the socket is only for root' <<<"$ERR" && echo yes)"
else
	ok "metrics as nobody # SKIP setpriv not installed"
fi
run cli d1 metrics
check_eq "metrics as root: exit 0, subnetra_up 1" "0 subnetra_up 1" "$RC $(grep '^subnetra_up ' <<<"$OUT")"
stop_node d1
run env SUBNETRA_SOCK="$(node_sock d1)" "$SUBNETRA" metrics
check_eq "metrics with the daemon stopped: exit 1, subnetra_up 0" "1 subnetra_up 0" \
	"$RC $(grep '^subnetra_up ' <<<"$OUT")"
check_match "metrics with the daemon stopped: says so" '^subnetra: daemon not running' "$ERR"

# ---- missing socket directories ----------------------------------------------------------------------

topo_add_isolated lv
mkdir -m 0755 "$T/lv"
SOCK[lv]=$T/lv/a/b/c/s.sock
start_node lv "$T/d1.json"
check_eq "three missing levels: each made 0700, root's" "0:0 700 0:0 700 0:0 700" \
	"$(owner "$T/lv/a") $(owner "$T/lv/a/b") $(owner "$T/lv/a/b/c")"
check "three missing levels: the socket answers" cli lv status
stop_node lv

NOBODY="$(id -u nobody):$(id -g nobody)"
write_spoke_config "$T/lvu.json" 2 "$KEY_A" '"keepalive_secs": 0, "user": "nobody"'
SOCK[lv]=$T/lv/u/v/s.sock
start_node lv "$T/lvu.json"
check_eq "with user: the level above is 0711 root's, the socket's own is nobody's 0700" \
	"0:0 711 $NOBODY 700" "$(owner "$T/lv/u") $(owner "$T/lv/u/v")"
check "with user: the socket answers" cli lv status
stop_node lv

mkdir -m 0755 "$T/lv/theirs"
chown nobody "$T/lv/theirs"
for sub in x x/y; do
	run ip netns exec "${NODE_NS[lv]}" env SUBNETRA_SOCK="$T/lv/theirs/$sub/s.sock" SUBNETRA_TUN="$TUN" \
		timeout 10 "$SUBNETRAD" --config "$T/d1.json"
	check_eq "$sub under another user's directory: refused (exit 1)" 1 "$RC"
	check_match "$sub under another user's directory: says why" \
		"not creating directories in $T/lv/theirs \(uid $(id -u nobody), mode 0755\): another user could replace them" "$ERR"
	check_eq "$sub under another user's directory: nothing created" "" "$(ls -A "$T/lv/theirs")"
done
mkdir -m 0777 "$T/lv/open"
run ip netns exec "${NODE_NS[lv]}" env SUBNETRA_SOCK="$T/lv/open/x/s.sock" SUBNETRA_TUN="$TUN" \
	timeout 10 "$SUBNETRAD" --config "$T/d1.json"
check_eq "under a world-writable (not sticky) directory: refused" "1 0" "$RC $(ls -A "$T/lv/open" | wc -l)"
mkdir -m 1777 "$T/lv/sticky"
SOCK[lv]=$T/lv/sticky/x/y/s.sock
start_node lv "$T/d1.json"
check_eq "under a sticky directory (as /tmp): created" "0:0 700 0:0 700" \
	"$(owner "$T/lv/sticky/x") $(owner "$T/lv/sticky/x/y")"
stop_node lv

# ---- subnetra-doctor after make install ---------------------------------------------------------------

doctor_finds() { # DOCTOR WANT_DAEMON
	run "$1" --config "$T/spoke.json"
	check_match "$(basename "$(dirname "$(dirname "$2")")"): doctor finds $2" \
		"^ok    subnetrad: .*subnetrad \(subnetrad v" "$OUT"
	check_match "$(basename "$(dirname "$(dirname "$2")")"): doctor ran its --check" \
		"^ok    config: $T/spoke.json passes subnetrad --check$" "$OUT"
	[ "$(readlink -f "$(sed -n 's/^ok    subnetrad: \(.*\) (subnetrad v.*/\1/p' <<<"$OUT")")" = "$(readlink -f "$2")" ] ||
		diag "doctor found: $(sed -n 's/^ok    subnetrad: //p' <<<"$OUT"), want $2"
}
chmod 600 "$T/spoke.json"
for prefix in /opt/snr /usr/local; do
	dest=$T/inst$(tr / _ <<<"$prefix")
	if make -s -C "$SNR_ROOT" install BUILD="$SNR_BUILD" DESTDIR="$dest" PREFIX="$prefix" >"$T/install.log" 2>&1; then
		ok "make install DESTDIR=... PREFIX=$prefix"
	else
		not_ok "make install DESTDIR=... PREFIX=$prefix"
		diag "$(tail -n 5 "$T/install.log")"
		continue
	fi
	doctor_finds "$dest$prefix/bin/subnetra-doctor" "$dest$prefix/sbin/subnetrad"
done
# Reached through a link on PATH, from a directory without subnetrad.
mkdir -p "$T/links"
ln -s "$T/inst_opt_snr/opt/snr/bin/subnetra-doctor" "$T/links/subnetra-doctor"
run env PATH="$T/links:/usr/bin:/bin" subnetra-doctor --config "$T/spoke.json"
check_match "doctor through a link on PATH finds the daemon next to its target" \
	"^ok    subnetrad: $T/inst_opt_snr/opt/snr/bin/\.\./sbin/subnetrad " "$OUT"
run env PATH=/usr/bin:/bin sh "$T/inst_opt_snr/opt/snr/bin/subnetra-doctor" --subnetrad /nonexistent
check_match "doctor: a --subnetrad that is no program is a failure" \
	'^FAIL  subnetrad: --subnetrad /nonexistent is not an executable file$' "$OUT"

done_testing
