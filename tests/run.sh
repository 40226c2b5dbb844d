#!/usr/bin/env bash
# Runs every test suite and ends with one line "N passed, N failed".
#
# Every suite speaks TAP ("ok ..." / "not ok ..." lines): the cmocka unit
# tests (CMOCKA_MESSAGE_OUTPUT=TAP), the vector conformance tool, and the
# netns scenarios.  A suite that exits non-zero without reporting a failure
# counts as one failure, so a crash can never pass silently.
#
#   tests/run.sh [--only unit|vectors|netns|release|fuzz] [--build DIR]... [--jobs N]
# The fuzz suite (libFuzzer harnesses in build-fuzz) runs once, with a short
# budget of FUZZ_TEST_SECS (default 4) seconds per harness.
#
# Netns scenarios run NETNS_JOBS (--jobs, default 3) at a time: each one
# creates its own uniquely named namespaces, and most of their time is spent
# waiting on pings and timers, not on the CPU.  A scenario whose file holds
# the line "# run.sh: exclusive" (the load and fault runs, whose loss and
# cost bounds assume an otherwise idle machine) runs alone.
set -uo pipefail
cd "$(dirname "$0")/.."

only=""
builds=()
while [ $# -gt 0 ]; do
	case "$1" in
	--only) only=$2; shift 2 ;;
	--build) builds+=("$2"); shift 2 ;;
	--jobs) NETNS_JOBS=$2; shift 2 ;;
	*) echo "usage: tests/run.sh [--only unit|vectors|netns|release|fuzz] [--build DIR]... [--jobs N]" >&2; exit 2 ;;
	esac
done
if [ ${#builds[@]} -eq 0 ]; then
	builds=(build)
	[ -x build-asan/subnetrad ] && builds+=(build-asan)
	[ -x build-openssl/subnetrad ] && builds+=(build-openssl)
fi
vectors_dir=${SUBNETRA_VECTORS:-../shared/vectors}
jobs=${NETNS_JOBS:-3}
case "$jobs" in '' | *[!0-9]* | 0) echo "tests/run.sh: --jobs wants a positive integer, got '$jobs'" >&2; exit 2 ;; esac

passed=0
failed=0
skipped=0
logdir=$(mktemp -d /tmp/subnetra-tests.XXXXXX)

suite_log() { echo "$logdir/$(echo "$1" | tr '/ ' '__').log"; }

# suite_exec NAME CMD...: runs CMD into the suite's log, then writes its exit
# status and duration beside it (the .done file marks the suite finished).
suite_exec() {
	local name=$1 log t0
	shift
	log=$(suite_log "$name")
	t0=$SECONDS
	"$@" >"$log" 2>&1
	echo "$? $((SECONDS - t0))" >"$log.done"
}

# suite_report NAME: echoes a finished suite's TAP failures and comments and
# adds up its counts.
suite_report() {
	local name=$1 log rc secs p f k
	log=$(suite_log "$name")
	read -r rc secs <"$log.done"
	printf '# suite %s\n' "$name"
	# cmocka prints a skipped test as "not ok N # SKIP": a skip, not a failure.
	p=$(grep '^ok' "$log" | grep -vc '# SKIP')
	f=$(grep '^not ok' "$log" | grep -vc '# SKIP')
	k=$(grep -Ec '^(not )?ok.*# SKIP' "$log")
	grep -E '^(not ok|#)' "$log" | grep -v '^# *$' | head -40 | sed 's/^/  /'
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "  not ok - $name exited $rc without reporting a failure; last lines:"
		tail -15 "$log" | sed 's/^/    /'
	fi
	printf '  %s: %d passed, %d failed, %d skipped (%d s)\n' "$name" "$p" "$f" "$k" "$secs"
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + k))
}

# run_suite NAME CMD...: runs one suite in the foreground and reports it.
run_suite() {
	suite_exec "$@"
	suite_report "$1"
}

# The netns pool: names of suites started and not yet reported.
pending=()

# pool_reap [all]: reports every finished suite; with "all", waits for all.
pool_reap() {
	local keep n
	while :; do
		keep=()
		for n in "${pending[@]}"; do
			if [ -f "$(suite_log "$n").done" ]; then suite_report "$n"; else keep+=("$n"); fi
		done
		pending=("${keep[@]}")
		[ "${1:-}" = all ] && [ ${#pending[@]} -gt 0 ] || break
		wait -n 2>/dev/null || sleep 0.2
	done
}

# pool_start EXCLUSIVE NAME CMD...: starts a suite once a slot is free (an
# exclusive one once the pool is empty, and nothing joins it while it runs).
pool_start() {
	local excl=$1
	shift
	if [ "$excl" = 1 ]; then
		pool_reap all
		run_suite "$@"
		return
	fi
	pool_reap
	while [ ${#pending[@]} -ge "$jobs" ]; do
		wait -n 2>/dev/null || sleep 0.2
		pool_reap
	done
	pending+=("$1")
	suite_exec "$@" &
}

# build_env BUILD: the environment every suite of BUILD runs with.
build_env() {
	echo "SUBNETRA_BUILD=$1"
	case "$1" in build-asan*)
		echo "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1"
		echo "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1" ;;
	esac
}

for b in "${builds[@]}"; do
	mapfile -t benv < <(build_env "$b")
	if [ -z "$only" ] || [ "$only" = unit ]; then
		for t in "$b"/tests/test_*; do
			[ -x "$t" ] || continue
			run_suite "$b/unit/$(basename "$t")" env "${benv[@]}" CMOCKA_MESSAGE_OUTPUT=TAP "$t"
		done
	fi
	if [ -z "$only" ] || [ "$only" = vectors ]; then
		found=0
		for v in "$vectors_dir"/*.json; do
			[ -f "$v" ] || continue
			found=1
			run_suite "$b/vectors/$(basename "$v")" env "${benv[@]}" "$b/subnetra-conformance" --tap "$v"
		done
		if [ $found -eq 0 ]; then
			echo "not ok - no vector files in $vectors_dir"
			failed=$((failed + 1))
		fi
		# Our own receiver cases in the same schema (tests/vectors/README.md).
		for v in tests/vectors/*.json; do
			[ -f "$v" ] || continue
			run_suite "$b/vectors/$(basename "$v")" env "${benv[@]}" "$b/subnetra-conformance" --tap "$v"
		done
		# Published Noise test vectors for the mesh handshake (tests/vectors/noise/README.md).
		for v in tests/vectors/noise/*.json; do
			[ -f "$v" ] || continue
			run_suite "$b/vectors/noise/$(basename "$v")" env "${benv[@]}" "$b/subnetra-conformance" --noise --tap "$v"
		done
		# Our mesh handshake/session vectors (tests/vectors/gen-mesh.py).
		for v in tests/vectors/mesh/*.json; do
			[ -f "$v" ] || continue
			run_suite "$b/vectors/mesh/$(basename "$v")" env "${benv[@]}" "$b/subnetra-conformance" --mesh --tap "$v"
		done
	fi
done

# The netns scenarios of every build share one pool, with the release check
# (tests/release/check.sh: the static musl build, its size budget, tarball
# and install; minutes of compiling the first time, so it starts first):
# then the scenarios marked "# run.sh: long" (so that the longest do not
# start last and run on alone), the rest, and last the exclusive ones, each
# alone.
if [ -z "$only" ] || [ "$only" = release ]; then
	pool_start 0 release bash tests/release/check.sh
fi
if [ -z "$only" ] || [ "$only" = netns ]; then
	for class in long other exclusive; do
		for b in "${builds[@]}"; do
			mapfile -t benv < <(build_env "$b")
			for s in tests/netns/t_*.sh; do
				[ -f "$s" ] || continue
				# The OpenSSL backend changes only the AEAD: its unit tests
				# and the vectors prove identical bytes.  Scenarios where
				# threads share it (marked "# run.sh: openssl") run on it too.
				[ "$b" = build-openssl ] && ! grep -qx '# run.sh: openssl' "$s" && continue
				# Deployment artefacts (units, exporter, man pages) do not
				# depend on the build: checked once, on the plain build.
				case "$b:$(basename "$s")" in build-asan*:t_deploy.sh) continue ;; esac
				c=other
				grep -qx '# run.sh: long' "$s" && c=long
				grep -qx '# run.sh: exclusive' "$s" && c=exclusive
				[ "$c" = "$class" ] || continue
				excl=0
				[ "$c" = exclusive ] && excl=1
				pool_start "$excl" "$b/netns/$(basename "$s" .sh)" env "${benv[@]}" bash "$s"
			done
		done
	done
fi
pool_reap all

if { [ -z "$only" ] || [ "$only" = fuzz ]; } && [ -x tests/fuzz/run.sh ]; then
	if ls build-fuzz/fuzz/fuzz_* >/dev/null 2>&1; then
		run_suite "fuzz" ./tests/fuzz/run.sh --build build-fuzz --seconds "${FUZZ_TEST_SECS:-4}"
	elif [ "$only" = fuzz ]; then
		echo "not ok - fuzz harnesses not built (make CC=clang FUZZ=1 BUILD=build-fuzz fuzz-build)"
		failed=$((failed + 1))
	fi
fi

rm -rf "$logdir"
echo "# total $SECONDS s"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
