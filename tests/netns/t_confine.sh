#!/usr/bin/env bash
# Root without capabilities is still root: a daemon with "user" unset (the
# default) keeps uid 0, so what a code-execution bug could do is bounded by
# Landlock (files) and the seccomp filter (system calls), not by file
# permissions.  The daemon is made to misbehave from inside: gdb attaches
# and calls functions in it, as injected code would.
#
#    [$RUN-a]  root daemon, no "user", SUBNETRA_SOCK=$T/run/subnetra.sock
#    [$RUN-s]  the same with SUBNETRA_SOCK=$T/shared/s.sock, $T/shared/sub/
#              a subdirectory (a shared directory, like /run)
#              (loopback only: they need their TUN and their socket)
#
#    $T/outside/   a directory beside the daemon's own; $T/victim root 0644
#
# Asserts: uid 0 with no capabilities, no_new_privs, seccomp mode 2; the
# daemon still saves its snapshot in its own directory; made to call
# open(outside, O_WRONLY|O_CREAT) it gets -1 and no file appears, and
# neither reading nor rewriting $T/victim works, while it keeps running and
# answering (where the daemon reports no Landlock, these file checks are
# skipped with its line); with its socket in a directory that has
# subdirectories it can write nothing there either (one line says so, and
# save fails); made to call socket(), it stops at once with exit
# status 3 and a log line naming the call; a memory image of it holds the
# PSK neither in binary nor in hex.  Sanitizer builds install neither Landlock
# nor the filter (LeakSanitizer needs /proc and ptrace at exit): skipped
# with that reason.
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

require_env
case $SNR_BUILD in
*asan* | *tsan* | *fuzz*)
	ok "confinement of a root daemon # SKIP sanitizer build: neither Landlock nor the seccomp filter is installed (LeakSanitizer needs /proc and ptrace at exit)"
	done_testing
	;;
esac
command -v gdb >/dev/null || bail "missing tool: gdb (run scripts/deps.sh)"

topo_init
topo_add_isolated a
node_sock() { if [ "$1" = a ]; then echo "$T/run/subnetra.sock"; else echo "$T/shared/s.sock"; fi; }
write_spoke_config "$T/a.json" 2 "$KEY_A"
mkdir -m 0755 "$T/outside"
printf 'victim: must not change\n' >"$T/victim"
chmod 0644 "$T/victim"
victim=$(sha256sum <"$T/victim")

start_node a "$T/a.json"
pid=${NODE_PID[a]}
log=${NODE_LOG[a]}
field() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$pid/status"; }
check_eq "uid 0, no capabilities, no_new_privs, seccomp filter (mode 2)" \
	"0 0000000000000000 1 2" "$(field Uid) $(field CapEff) $(field NoNewPrivs) $(field Seccomp)"
# The daemon says so in one line where the kernel has no Landlock; then
# only seccomp is left to check.  Without that line, Landlock must hold.
landlock=1
if grep -q 'Landlock is not available' "$log"; then
	landlock=0
	diag "$(grep 'Landlock is not available' "$log")"
fi
check_match "its own directory is writable: save" "^saved 2 rule\(s\) to $T/run/subnetra.policy$" \
	"$(cli a save 2>&1)"

# in_daemon EXPR [PID]: evaluate a call inside the daemon (a's by default);
# prints gdb's "$1 = ..." value.
in_daemon() {
	timeout 60 gdb -p "${2:-$pid}" -batch -ex "call $1" 2>&1 | sed -n 's/^\$1 = //p'
}
if [ $landlock -eq 1 ]; then
	check_eq "made to create $T/outside/x (O_WRONLY|O_CREAT), root gets -1" -1 \
		"$(in_daemon "(int)open(\"$T/outside/x\", 0101, 0600)")"
	check_fails "... and no file appears" test -e "$T/outside/x"
	check_eq "made to open $T/victim for reading: -1" -1 \
		"$(in_daemon "(int)open(\"$T/victim\", 0)")"
	check_eq "made to open it for writing: -1" -1 "$(in_daemon "(int)open(\"$T/victim\", 01)")"
	check_eq "... its content is unchanged" "$victim" "$(sha256sum <"$T/victim")"
else
	ok "file-system confinement # SKIP the daemon says this kernel has no Landlock"
fi
check "the daemon keeps running" proc_alive "$pid"
check "... and answering" cli a status

# The raw PSK is gone once the link keys exist: a memory image of the
# running daemon holds it neither in binary nor in hex.
timeout 60 gdb -p "$pid" -batch -ex "generate-core-file $T/core" >/dev/null 2>&1
# shellcheck disable=SC2016 # python, not shell
find_key='import sys
d = open(sys.argv[1], "rb").read()
k = sys.argv[2]
hits = [n for n, p in (("binary", bytes.fromhex(k)), ("hex", k.encode()), ("HEX", k.upper().encode())) if p in d]
print(" ".join(hits) or "none")
sys.exit(1 if hits else 0)'
if [ -s "$T/core" ]; then
	check "the raw PSK is nowhere in the running daemon's memory (binary or hex)" \
		python3 -c "$find_key" "$T/core" "$KEY_A"
	rm -f "$T/core"
else
	not_ok "gdb wrote no memory image of the daemon"
fi

# A socket directory with subdirectories is shared: a Landlock rule on it
# would cover them all, so the daemon gets no write access there at all.
if [ $landlock -eq 1 ]; then
	topo_add_isolated s
	mkdir -p "$T/shared/sub"
	write_spoke_config "$T/s.json" 3 "$KEY_B"
	start_node s "$T/s.json"
	check "shared directory: one line says the confinement grants nothing there" grep -qF \
		"control socket $T/shared/s.sock: its directory has subdirectories (shared), so the file-system confinement grants nothing in it" \
		"${NODE_LOG[s]}"
	out=$(cli s save 2>&1)
	check_eq "shared directory: save fails, as the line said" "1 save failed" "$? $out"
	check_eq "shared directory: made to create $T/shared/sub/x: -1" -1 \
		"$(in_daemon "(int)open(\"$T/shared/sub/x\", 0101, 0600)" "${NODE_PID[s]}")"
	check_fails "... and no file appears" test -e "$T/shared/sub/x"
	stop_node s
	check "shared directory: the socket stays behind, as the line said" test -S "$T/shared/s.sock"
fi

# A system call outside the filter: the daemon stops and says which.
in_daemon '(int)socket(2, 2, 0)' >/dev/null
stopped() { ! proc_alive "$pid"; }
rc="still running"
if wait_until 10 stopped; then
	wait "$pid"
	rc=$?
	unset "NODE_PID[a]"
fi
check_eq "made to call socket(), the daemon stops with exit status 3" 3 "$rc"
check "... and its log names the call" grep -qE \
	"^subnetrad: seccomp: forbidden system call [0-9]+ \(socket\); stopping$" "$log"

done_testing
