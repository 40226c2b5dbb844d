#!/usr/bin/env bash
# Runs every test suite and ends with one line "N passed, N failed".
#
# Every suite speaks TAP ("ok ..." / "not ok ..." lines): the cmocka unit
# tests (CMOCKA_MESSAGE_OUTPUT=TAP), the vector conformance tool, and the
# netns scenarios.  A suite that exits non-zero without reporting a failure
# counts as one failure, so a crash can never pass silently.
#
#   tests/run.sh [--only unit|vectors|netns|fuzz] [--build DIR]...
# The fuzz suite (libFuzzer harnesses in build-fuzz) runs once, with a short
# budget of FUZZ_TEST_SECS (default 10) seconds per harness.
set -uo pipefail
cd "$(dirname "$0")/.."

only=""
builds=()
while [ $# -gt 0 ]; do
	case "$1" in
	--only) only=$2; shift 2 ;;
	--build) builds+=("$2"); shift 2 ;;
	*) echo "usage: tests/run.sh [--only unit|vectors|netns|fuzz] [--build DIR]..." >&2; exit 2 ;;
	esac
done
if [ ${#builds[@]} -eq 0 ]; then
	builds=(build)
	[ -x build-asan/subnetrad ] && builds+=(build-asan)
	[ -x build-openssl/subnetrad ] && builds+=(build-openssl)
fi
vectors_dir=${SUBNETRA_VECTORS:-../shared/vectors}

passed=0
failed=0
skipped=0
logdir=$(mktemp -d /tmp/subnetra-tests.XXXXXX)

# run_suite NAME CMD...: runs CMD, echoes its TAP lines, adds up the counts.
run_suite() {
	local name=$1 log rc p f k t0
	shift
	log="$logdir/$(echo "$name" | tr '/ ' '__').log"
	printf '# suite %s\n' "$name"
	t0=$SECONDS
	"$@" >"$log" 2>&1
	rc=$?
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
	printf '  %s: %d passed, %d failed, %d skipped (%d s)\n' "$name" "$p" "$f" "$k" $((SECONDS - t0))
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + k))
}

for b in "${builds[@]}"; do
	export SUBNETRA_BUILD=$b
	case "$b" in build-asan*) export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
		export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ;; esac
	if [ -z "$only" ] || [ "$only" = unit ]; then
		for t in "$b"/tests/test_*; do
			[ -x "$t" ] || continue
			run_suite "$b/unit/$(basename "$t")" env CMOCKA_MESSAGE_OUTPUT=TAP "$t"
		done
	fi
	if [ -z "$only" ] || [ "$only" = vectors ]; then
		found=0
		for v in "$vectors_dir"/*.json; do
			[ -f "$v" ] || continue
			found=1
			run_suite "$b/vectors/$(basename "$v")" "$b/subnetra-conformance" --tap "$v"
		done
		if [ $found -eq 0 ]; then
			echo "not ok - no vector files in $vectors_dir"
			failed=$((failed + 1))
		fi
	fi
	# The OpenSSL backend changes only the AEAD: its unit tests and the
	# vectors prove identical bytes; the netns scenarios run on the others.
	if { [ -z "$only" ] || [ "$only" = netns ]; } && [ "$b" != build-openssl ]; then
		for s in tests/netns/t_*.sh; do
			[ -f "$s" ] || continue
			# Deployment artefacts (units, exporter, man pages) do not
			# depend on the build: checked once, on the plain build.
			case "$b:$(basename "$s")" in build-asan*:t_deploy.sh) continue ;; esac
			run_suite "$b/netns/$(basename "$s" .sh)" bash "$s"
		done
	fi
done

if { [ -z "$only" ] || [ "$only" = fuzz ]; } && [ -x tests/fuzz/run.sh ]; then
	if ls build-fuzz/fuzz/fuzz_* >/dev/null 2>&1; then
		run_suite "fuzz" ./tests/fuzz/run.sh --build build-fuzz --seconds "${FUZZ_TEST_SECS:-10}"
	elif [ "$only" = fuzz ]; then
		echo "not ok - fuzz harnesses not built (make CC=clang FUZZ=1 BUILD=build-fuzz fuzz-build)"
		failed=$((failed + 1))
	fi
fi

rm -rf "$logdir"
echo "# total $SECONDS s"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
