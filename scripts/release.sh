#!/usr/bin/env bash
# The static release build of subnetrad and subnetra for one architecture:
# musl, static-pie, -Os, sections garbage-collected, stripped; each binary
# checked against the size budget; then the tarball in dist/.
#
#   scripts/release.sh [--arch native|arm64|armhf|mipsel] [--tests] [--no-dist]
#
#   native     this machine's architecture: build-release/, and dist/subnetrad
#              + dist/subnetra besides the tarball (what deploy/Dockerfile
#              copies)
#   arm64 ...  Debian's cross compiler with musl-dev:ARCH: build-cross-ARCH/
#   --tests    also the unit tests and subnetra-conformance (for make
#              test-cross; cmocka is then built too)
#   --no-dist  build and check only, write nothing in dist/
#
# Dependencies are not installed here: mk/release.mk runs
# scripts/deps-release.sh / scripts/deps-cross.sh first.  The libraries are
# built once per architecture (scripts/release-deps.sh, cached with stamps);
# the project itself is built by the Makefile, so a second run only relinks
# what changed.  Exit status: 0 built, 1 failed (a binary over the budget
# included).
set -euo pipefail
cd "$(dirname "$0")/.."

# The budget per binary, in bytes: a router's flash and a container layer.
SIZE_BUDGET=${SIZE_BUDGET:-524288}

arch=native
tests=0
dist=1
while [ $# -gt 0 ]; do
	case $1 in
	--arch) arch=$2; shift 2 ;;
	--tests) tests=1; shift ;;
	--no-dist) dist=0; shift ;;
	*) echo "usage: scripts/release.sh [--arch native|arm64|armhf|mipsel] [--tests] [--no-dist]" >&2; exit 2 ;;
	esac
done

# Debian architecture -> musl triplet, build directory, the name in the
# tarball (as `uname -m` says it on such a machine; armv7 for armv7l), and
# libseccomp's name for it: the seccomp filter is compiled on this machine,
# with its own compiler and libseccomp, for that architecture.
case $arch in
native | "")
	case $(uname -m) in
	x86_64) triplet=x86_64-linux-musl ;;
	aarch64) triplet=aarch64-linux-musl ;;
	armv7l) triplet=arm-linux-musleabihf ;;
	*) echo "release: no musl target known for this machine ($(uname -m))" >&2; exit 1 ;;
	esac
	build="build-release"
	seccomp_arch=native
	tararch=$(uname -m)
	[ "$tararch" = armv7l ] && tararch=armv7
	;;
arm64) triplet=aarch64-linux-musl build=build-cross-arm64 tararch=aarch64 seccomp_arch=aarch64 ;;
armhf) triplet=arm-linux-musleabihf build=build-cross-armhf tararch=armv7 seccomp_arch=arm ;;
mipsel) triplet=mipsel-linux-musl build=build-cross-mipsel tararch=mipsel seccomp_arch=mipsel ;;
*) echo "release: unknown architecture: $arch (arm64, armhf or mipsel)" >&2; exit 2 ;;
esac

VERSION=$(sed -n 's/^#define SUBNETRA_VERSION "\(.*\)"$/\1/p' src/core/version.h)
[ -n "$VERSION" ] || { echo "release: no SUBNETRA_VERSION in src/core/version.h" >&2; exit 1; }

deps=$build/deps
cmocka=()
[ $tests -eq 1 ] && cmocka=(--cmocka)
./scripts/release-deps.sh --triplet "$triplet" --src build-release/src --prefix "$deps" "${cmocka[@]}"
deps=$PWD/$deps

targets=("$build/subnetrad" "$build/subnetra")
if [ $tests -eq 1 ]; then
	targets+=("$build/subnetra-conformance")
	for t in tests/unit/test_*.c; do
		# subnetra-mgmtd is not cross-built (it links Debian's shared
		# libmicrohttpd, GnuTLS and SQLite), nor are its unit tests.
		case $t in tests/unit/test_mgmtd_*) continue ;; esac
		targets+=("$build/tests/$(basename "$t" .c)")
	done
fi

# The project's own warnings, -fPIE and -MMD come from the Makefile; OPT
# replaces its optimisation and hardening line: -Os instead of -O2 -g, and no
# _FORTIFY_SOURCE (musl has no __*_chk functions, the macro would do
# nothing).  The stack protector, full RELRO and PIE (static-pie: the
# binary relocates itself, so ASLR still applies) stay.  LDFLAGS replaces
# the Makefile's -pie line.
# No unwind tables: C has no exceptions, the binaries are stripped, and a
# backtrace wants the unstripped build anyway; .eh_frame was 40 KB of the
# daemon (docs/deployment.md, "Size budget").
opt="-Os -fstack-protector-strong -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fno-unwind-tables"
ldflags="-L$deps/lib -static-pie -Wl,--gc-sections -Wl,-O1 -Wl,-z,relro,-z,now -Wl,-z,noexecstack -s"
echo "release: building $arch ($triplet) in $build/"
# make tracks sources, not flags: objects built with other flags (or
# against libraries built with other flags) are thrown away first.
flags_id="$opt $ldflags $(cat "$deps"/.stamp-* 2>/dev/null | cksum)"
if [ "$(cat "$build/.flags" 2>/dev/null)" != "$flags_id" ]; then
	rm -rf "$build/obj" "$build"/lib*.a "$build/subnetrad" "$build/subnetra" "$build/tests"
	mkdir -p "$build"
	printf '%s\n' "$flags_id" >"$build/.flags"
fi
# A make of its own, not a sub-make of whatever ran this: nothing from the
# caller's command line (CRYPTO=, SAN=, BUILD=, its jobserver) leaks in.
unset MAKEFLAGS MFLAGS MAKELEVEL
CPPFLAGS="-isystem $deps/include" make --no-print-directory -j"${JOBS:-2}" \
	BUILD="$build" CC="$deps/bin/cc" OPT="$opt" LDFLAGS="$ldflags" V="${V:-}" SECCOMP_ARCH="$seccomp_arch" \
	WERROR="${WERROR:-0}" MAX_PEERS="${MAX_PEERS:-32}" "${targets[@]}"

# Size budget and static-ness, per binary: reported, and fatal when over.
fail=0
for b in subnetrad subnetra; do
	f=$build/$b
	size=$(stat -c %s "$f")
	if LC_ALL=C readelf -l "$f" 2>/dev/null | grep -q 'Requesting program interpreter'; then
		echo "release: $f is dynamically linked" >&2
		fail=1
	fi
	if [ "$size" -le "$SIZE_BUDGET" ]; then
		printf 'release: %-8s %-28s %7d bytes (%d%% of the %d-byte budget)\n' \
			"$tararch" "$f" "$size" $((size * 100 / SIZE_BUDGET)) "$SIZE_BUDGET"
	else
		printf 'release: %-8s %-28s %7d bytes: OVER the %d-byte budget by %d\n' \
			"$tararch" "$f" "$size" "$SIZE_BUDGET" $((size - SIZE_BUDGET)) >&2
		fail=1
	fi
done
[ $fail -eq 0 ] || exit 1
[ $dist -eq 1 ] || exit 0

# ---- dist/ ------------------------------------------------------------------------
# subnetra-VERSION-linux-ARCH.tar.gz, everything in one top-level directory
# of the same name (deploy/install.sh takes either layout), reproducible:
# sorted, owner root, mtime of the last commit, gzip without a timestamp.
pkg=subnetra-$VERSION-linux-$tararch
stage=$build/stage/$pkg
rm -rf "$build/stage"
mkdir -p "$stage/examples" "$stage/openwrt" "$stage/man" dist
install -m 0755 "$build/subnetrad" "$build/subnetra" "$stage/"
install -m 0755 deploy/install.sh "$stage/install.sh"
install -m 0755 tools/doctor.sh "$stage/subnetra-doctor"
install -m 0644 README.md "$stage/README.md"
install -m 0644 deploy/hub.json deploy/spoke-a.json deploy/spoke-b.json "$stage/examples/"
install -m 0644 deploy/subnetrad.service deploy/subnetra-textfile-exporter.service \
	deploy/subnetra-textfile-exporter.timer deploy/subnetra.rules.yml "$stage/"
install -m 0755 deploy/subnetra-textfile-exporter.sh "$stage/"
install -m 0755 deploy/openwrt/subnetrad.init "$stage/openwrt/"
install -m 0644 man/*.[18] "$stage/man/"
mtime=$(git log -1 --format=%ct 2>/dev/null || date +%s)
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" \
	-C "$build/stage" -cf - "$pkg" | gzip -n -9 >"dist/$pkg.tar.gz.new"
mv -f "dist/$pkg.tar.gz.new" "dist/$pkg.tar.gz"
if [ "$arch" = native ]; then
	# What deploy/Dockerfile copies (install renames into place).
	install -m 0755 "$build/subnetrad" dist/subnetrad
	install -m 0755 "$build/subnetra" dist/subnetra
fi
# One SHA256SUMS.txt for every tarball in dist/ (other architectures'
# included), as install.sh expects beside the tarball.
(cd dist && sha256sum subnetra-*.tar.gz >SHA256SUMS.txt.new && mv -f SHA256SUMS.txt.new SHA256SUMS.txt)
echo "release: dist/$pkg.tar.gz ($(stat -c %s "dist/$pkg.tar.gz") bytes), dist/SHA256SUMS.txt"
