#!/usr/bin/env bash
# Runs the cross-built unit tests, the vector conformance and a start-up
# smoke test (--version, --check on a config) of each architecture under
# qemu-user-static, called explicitly (no binfmt_misc registration needed).
# Prints TAP: one line per test case, renumbered across all suites, the
# architecture and suite in each name; ends "N passed, N failed, N skipped".
#
#   scripts/test-cross.sh arm64|armhf|mipsel...     (after make cross)
#
# Exit status: 0 all passed, 1 a failure (a suite that exits non-zero without
# reporting one counts as one), 2 usage.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

[ $# -gt 0 ] || { echo "usage: scripts/test-cross.sh arm64|armhf|mipsel..." >&2; exit 2; }
vectors_dir=${SUBNETRA_VECTORS:-../shared/vectors}
# qemu is slow, and a hung emulator must not hang the run.
SUITE_TIMEOUT=${SUITE_TIMEOUT:-600}

n=0 passed=0 failed=0 skipped=0
T=$(mktemp -d /tmp/subnetra-test-cross.XXXXXX)
trap 'rm -rf "$T"' EXIT

ok() { n=$((n + 1)); passed=$((passed + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
skip() { n=$((n + 1)); skipped=$((skipped + 1)); echo "ok $n - $1 # SKIP $2"; }

# suite NAME CMD...: runs CMD, re-emits each of its TAP results under NAME.
suite() {
	local name=$1 rc line f=0 any=0
	shift
	timeout "$SUITE_TIMEOUT" "$@" >"$T/out" 2>&1
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok "*"# SKIP"* | "not ok "*"# SKIP"*)
			any=1
			skip "$name: $(echo "$line" | sed -E 's/^(not )?ok [0-9]+ (- )?//; s/ *# SKIP.*//')" \
				"${line#*# SKIP }" ;;
		"ok "*) any=1; ok "$name: $(echo "$line" | sed -E 's/^ok [0-9]+ (- )?//')" ;;
		"not ok "*) any=1; f=1; not_ok "$name: $(echo "$line" | sed -E 's/^not ok [0-9]+ (- )?//')" ;;
		"#"*) [ $f -eq 1 ] && echo "  $line" ;;
		esac
	done <"$T/out"
	if [ $rc -ne 0 ] && [ $f -eq 0 ]; then
		not_ok "$name exited $rc without reporting a failure$([ $any -eq 0 ] && echo ' (no TAP output)')"
		tail -n 15 "$T/out" | sed 's/^/  # /'
	fi
}

# check NAME CMD...: one result, CMD's exit status.
check() {
	local name=$1
	shift
	if timeout "$SUITE_TIMEOUT" "$@" >"$T/out" 2>&1; then
		ok "$name"
	else
		not_ok "$name"
		tail -n 10 "$T/out" | sed 's/^/  # /'
	fi
}

version=$(sed -n 's/^#define SUBNETRA_VERSION "\(.*\)"$/\1/p' src/core/version.h)
# A config that passes --check: the example spoke with a real key in it.
sed 's/REPLACE_WITH_KEY_HUB_SPOKE_A/'"$(printf '%064d' 7)"'/' deploy/spoke-a.json >"$T/spoke-a.json"
chmod 0600 "$T/spoke-a.json"

t_start=$SECONDS
for arch in "$@"; do
	case $arch in
	arm64) qemu=qemu-aarch64-static machine=aarch64 ;;
	armhf) qemu=qemu-arm-static machine=ARM ;;
	mipsel) qemu=qemu-mipsel-static machine=MIPS ;;
	*) echo "test-cross: unknown architecture: $arch" >&2; exit 2 ;;
	esac
	b=build-cross-$arch
	echo "# $arch: $b under $qemu"
	if ! command -v "$qemu" >/dev/null; then
		not_ok "$arch: $qemu is not installed (scripts/deps-cross.sh $arch)"
		continue
	fi
	if [ ! -x "$b/subnetrad" ] || [ ! -x "$b/subnetra-conformance" ]; then
		not_ok "$arch: nothing built in $b (make cross ARCH=$arch)"
		continue
	fi
	t0=$SECONDS
	run=("$qemu")

	check "$arch: subnetrad, subnetra, subnetra-conformance are static $machine executables" \
		sh -c "for f in $b/subnetrad $b/subnetra $b/subnetra-conformance; do
			d=\$(file -b \"\$f\"); echo \"\$f: \$d\"
			case \$d in *static*$machine*|*$machine*static*) ;; *) exit 1 ;; esac
		done"
	check "$arch: subnetrad --version prints v$version" \
		sh -c "test \"\$(${run[*]} $b/subnetrad --version)\" = 'subnetrad v$version'"
	check "$arch: subnetra --version prints v$version" \
		sh -c "test \"\$(${run[*]} $b/subnetra --version)\" = 'subnetra v$version'"
	check "$arch: subnetrad --check accepts the example spoke config" \
		"${run[@]}" "$b/subnetrad" --check --config "$T/spoke-a.json"
	check "$arch: subnetrad --check rejects the example as shipped (placeholder key)" \
		sh -c "! ${run[*]} $b/subnetrad --check --config deploy/spoke-a.json"
	check "$arch: subnetrad --print-network-plan" \
		sh -c "${run[*]} $b/subnetrad --print-network-plan --config $T/spoke-a.json | grep -q 'ip addr replace 10.0.0.2/24 dev snr0'"

	for t in "$b"/tests/test_*; do
		[ -x "$t" ] || continue
		suite "$arch unit/$(basename "$t")" env CMOCKA_MESSAGE_OUTPUT=TAP \
			SUBNETRA_BUILD="$b" SUBNETRA_VECTORS="$vectors_dir" "${run[@]}" "$t"
	done
	found=0
	for v in "$vectors_dir"/*.json; do
		[ -f "$v" ] || continue
		found=1
		suite "$arch vectors/$(basename "$v")" "${run[@]}" "$b/subnetra-conformance" --tap "$v"
	done
	[ $found -eq 1 ] || not_ok "$arch: no vector files in $vectors_dir"
	echo "# $arch: $((SECONDS - t0)) s"
done

echo "1..$n"
echo "# test-cross: $* in $((SECONDS - t_start)) s"
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
