#!/usr/bin/env bash
# The long versions of the fault scenarios (what `make soak` runs): every
# tests/netns/t_fault_*.sh with SUBNETRA_SOAK=1 (more pings, bigger and
# longer transfers, a 1M-datagram flood), t_fault_rss.sh under load for
# SECS seconds (default 300), and t_workers_stress.sh (three minutes per load
# run), for each build given (default: build); an OpenSSL build runs only the
# scenarios marked "# run.sh: openssl".
# Ends with one line "N passed, N failed" and the figures of the run; exit
# status 1 if anything failed.
#
#   scripts/soak.sh [--build DIR]... [--secs N] [--only NAME]
#     --secs N     t_fault_rss.sh load duration (SUBNETRA_SOAK_SECS)
#     --only NAME  one scenario, e.g. --only rss for t_fault_rss.sh
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

builds=()
secs=${SUBNETRA_SOAK_SECS:-300}
only=""
usage() {
	echo "usage: scripts/soak.sh [--build DIR]... [--secs N] [--only NAME]" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case "$1" in
	--build) [ $# -ge 2 ] || usage; builds+=("$2"); shift 2 ;;
	--secs) [ $# -ge 2 ] && [[ $2 =~ ^[1-9][0-9]*$ ]] || usage; secs=$2; shift 2 ;;
	--only) [ $# -ge 2 ] || usage; only=$2; shift 2 ;;
	*) usage ;;
	esac
done
[ ${#builds[@]} -eq 0 ] && builds=(build)

passed=0
failed=0
logdir=$(mktemp -d /tmp/subnetra-soak.XXXXXX)
for b in "${builds[@]}"; do
	[ -x "$b/subnetrad" ] && [ -x "$b/tests/tools/impair" ] || {
		echo "not ok - $b is not built (make BUILD=$b test-build)"
		failed=$((failed + 1))
		continue
	}
	case "$b" in build-asan*)
		export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
		export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ;;
	esac
	for s in tests/netns/t_fault_*.sh tests/netns/t_workers_stress.sh; do
		name=$(basename "$s" .sh)
		# As in tests/run.sh: the OpenSSL build runs the scenarios where
		# threads share the AEAD backend, marked "# run.sh: openssl".
		case "$b" in *openssl*) grep -qx '# run.sh: openssl' "$s" || continue ;; esac
		[ -n "$only" ] && [ "$name" != "t_fault_$only" ] && [ "$name" != "t_$only" ] && continue
		log="$logdir/${b//\//_}.$name.log"
		echo "# soak $b/$name"
		start=$(date +%s)
		SUBNETRA_BUILD=$b SUBNETRA_SOAK=1 SUBNETRA_SOAK_SECS=$secs bash "$s" >"$log" 2>&1
		rc=$?
		p=$(grep -c '^ok' "$log")
		f=$(grep -c '^not ok' "$log")
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			f=1
			echo "  not ok - $name exited $rc without reporting a failure"
			tail -n 15 "$log" | sed 's/^/    /'
		fi
		grep -E '^(not ok|# figure)' "$log" | sed 's/^/  /'
		printf '  %s: %d passed, %d failed (%d s)\n' "$name" "$p" "$f" $(($(date +%s) - start))
		passed=$((passed + p))
		failed=$((failed + f))
	done
done
if [ "$failed" -eq 0 ]; then
	rm -rf "$logdir"
else
	echo "# logs kept in $logdir"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
