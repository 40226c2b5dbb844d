#!/usr/bin/env bash
# The release build, checked as a user receives it: runs `make release`
# (a no-op relink when nothing changed; the libraries are cached) and checks
# dist/.  Prints TAP ("ok N - ..." / "not ok N - ..."); exit 1 on any
# failure.
#
#   tests/release/check.sh [--no-build]     (--no-build: check dist/ as it is)
#
# Each binary: present, static (no program interpreter, no DT_NEEDED),
# stripped (no .symtab), within SIZE_BUDGET bytes, and its --version is
# src/core/version.h's.  subnetrad --check takes an example config (keys filled
# in) and refuses it as shipped.  The tarball: listed in SHA256SUMS.txt and
# matching it, holding the same binaries, the config examples, units and
# README, and deploy/install.sh installs from it.  With root, the Quick
# Start relay scenario (tests/netns/t_relay.sh) runs on the static binaries:
# real delivery hub-to-spokes, exact counters, and the seccomp filter as
# musl's libc calls it.  tools/doctor.sh's version is src/core/version.h's.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
ROOT=$PWD

SIZE_BUDGET=${SIZE_BUDGET:-524288}
build=1
[ "${1:-}" = --no-build ] && build=0

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
diag() { local l; while IFS= read -r l; do echo "# $l"; done <<<"$1"; }
# check DESC CMD...: ok when CMD exits 0, else not ok with its output.
check() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$desc"; else not_ok "$desc"; diag "$out"; fi
}

T=$(mktemp -d /tmp/subnetra-release-check.XXXXXX)
trap 'rm -rf "$T"' EXIT

VERSION=$(sed -n 's/^#define SUBNETRA_VERSION "\(.*\)"$/\1/p' src/core/version.h)
ARCH=$(uname -m)
[ "$ARCH" = armv7l ] && ARCH=armv7
PKG=subnetra-$VERSION-linux-$ARCH
DIST=$ROOT/dist

if [ $build -eq 1 ]; then
	t0=$SECONDS
	if make --no-print-directory release SIZE_BUDGET="$SIZE_BUDGET" >"$T/build.log" 2>&1; then
		ok "make release ($((SECONDS - t0)) s)"
		grep '^release: .* bytes' "$T/build.log" | sed 's/^/# /'
	else
		not_ok "make release"
		diag "$(tail -n 30 "$T/build.log")"
	fi
fi

for b in subnetrad subnetra; do
	f=$DIST/$b
	if [ ! -x "$f" ]; then
		not_ok "dist/$b exists and is executable"
		continue
	fi
	ok "dist/$b exists and is executable"
	hdr=$(LC_ALL=C readelf -lhd "$f" 2>&1)
	if grep -q 'Requesting program interpreter' <<<"$hdr" || grep -q '(NEEDED)' <<<"$hdr"; then
		not_ok "dist/$b is static (no interpreter, no shared library)"
		diag "$(grep -E 'interpreter|NEEDED' <<<"$hdr")"
	else
		ok "dist/$b is static ($(file -b "$f" | grep -oE 'static(-pie)? linked'))"
	fi
	if LC_ALL=C readelf -S "$f" | grep -qE '\.symtab|\.debug_'; then
		not_ok "dist/$b is stripped (no .symtab, no debug info)"
	else
		ok "dist/$b is stripped"
	fi
	size=$(stat -c %s "$f")
	if [ "$size" -le "$SIZE_BUDGET" ]; then
		ok "dist/$b: $size bytes <= $SIZE_BUDGET ($((size * 100 / SIZE_BUDGET))% of the budget)"
	else
		not_ok "dist/$b: $size bytes > $SIZE_BUDGET (over by $((size - SIZE_BUDGET)))"
	fi
	v=$("$f" --version 2>&1)
	if [ "$v" = "$b v$VERSION" ]; then
		ok "dist/$b --version: $v"
	else
		not_ok "dist/$b --version is '$b v$VERSION' (src/core/version.h)"
		diag "got: $v"
	fi
done

# Config examples: refused with their placeholder keys, accepted filled in
# (one key per link).
for c in deploy/hub.json deploy/spoke-a.json deploy/spoke-b.json; do
	sed -e "s/REPLACE_WITH_KEY_HUB_SPOKE_A/$(printf '%064d' 7)/" \
		-e "s/REPLACE_WITH_KEY_HUB_SPOKE_B/$(printf '%064d' 8)/" "$c" \
		>"$T/$(basename "$c")"
	chmod 0600 "$T/$(basename "$c")"
	check "dist/subnetrad --check accepts $c (keys filled in)" \
		"$DIST/subnetrad" --check --config "$T/$(basename "$c")"
done
if out=$("$DIST/subnetrad" --check --config deploy/spoke-a.json 2>&1); then
	not_ok "dist/subnetrad --check refuses deploy/spoke-a.json as shipped (placeholder key)"
else
	ok "dist/subnetrad --check refuses deploy/spoke-a.json as shipped ($(head -n 1 <<<"$out" | cut -c1-80))"
fi

# The tarball and its checksum.
TB=$DIST/$PKG.tar.gz
if [ -f "$TB" ]; then ok "dist/$PKG.tar.gz exists"; else not_ok "dist/$PKG.tar.gz exists"; fi
check "dist/SHA256SUMS.txt lists $PKG.tar.gz and it matches" \
	sh -c "cd '$DIST' && grep -E '  \\*?$PKG\\.tar\\.gz\$' SHA256SUMS.txt | sha256sum -c -"
mkdir -p "$T/x"
if tar -xzf "$TB" -C "$T/x" 2>"$T/tar.err"; then
	X=$T/x/$PKG
	missing=""
	for f in subnetrad subnetra README.md install.sh subnetra-doctor subnetrad.service \
		openwrt/subnetrad.init examples/hub.json examples/spoke-a.json examples/spoke-b.json \
		subnetra-textfile-exporter.sh subnetra-textfile-exporter.service \
		subnetra-textfile-exporter.timer man/subnetrad.8 man/subnetra.8; do
		[ -f "$X/$f" ] || missing="$missing $f"
	done
	if [ -z "$missing" ]; then
		ok "tarball: $PKG/ holds the binaries, examples, units, init script, man pages, README"
	else
		not_ok "tarball: $PKG/ lacks:$missing"
	fi
	check "tarball: its subnetrad and subnetra are dist/'s" \
		sh -c "cmp '$X/subnetrad' '$DIST/subnetrad' && cmp '$X/subnetra' '$DIST/subnetra'"
	check "tarball: README.md and the config examples are the tree's" \
		sh -c "cmp '$X/README.md' README.md && cmp '$X/examples/spoke-a.json' deploy/spoke-a.json"
else
	not_ok "tarball: unpacks"
	diag "$(cat "$T/tar.err")"
fi

# deploy/install.sh on the tarball, as a user would.
out=$(sh deploy/install.sh --dir "$T/inst/bin" --yes "$TB" 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ "$("$T/inst/bin/subnetrad" --version 2>&1)" = "subnetrad v$VERSION" ] &&
	cmp -s "$T/inst/bin/subnetra" "$DIST/subnetra"; then
	ok "deploy/install.sh --dir DIR --yes dist/$PKG.tar.gz installs both binaries"
else
	not_ok "deploy/install.sh --dir DIR --yes dist/$PKG.tar.gz installs both binaries (exit $rc)"
	diag "$out"
fi

# tools/doctor.sh carries its own version string (it is a shell script).
dv=$(sh tools/doctor.sh --version 2>&1)
if [ "$dv" = "subnetra-doctor v$VERSION" ]; then
	ok "tools/doctor.sh --version is src/core/version.h's ($dv)"
else
	not_ok "tools/doctor.sh --version is src/core/version.h's (v$VERSION): update VERSION= in tools/doctor.sh"
	diag "got: $dv"
fi

# The static daemons forwarding real traffic (needs root for namespaces).
if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null; then
	ok "static binaries relay hub-to-spokes traffic # SKIP needs root and iproute2"
else
	mkdir -p "$T/netns-build"
	cp "$DIST/subnetrad" "$DIST/subnetra" "$T/netns-build/"
	if SUBNETRA_BUILD=$T/netns-build tests/netns/t_relay.sh >"$T/relay.log" 2>&1; then
		ok "static binaries relay hub-to-spokes traffic (tests/netns/t_relay.sh: $(grep -c '^ok' "$T/relay.log") checks)"
	else
		not_ok "static binaries relay hub-to-spokes traffic (tests/netns/t_relay.sh)"
		diag "$(grep -E '^(not ok|#)' "$T/relay.log" | head -n 30)"
	fi
fi

echo "1..$n"
echo "$((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
