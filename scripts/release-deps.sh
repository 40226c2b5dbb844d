#!/usr/bin/env bash
# Builds the four libraries the daemon links (libsodium, json-c, libcap-ng,
# libseccomp; with --cmocka also cmocka, for cross-built unit tests) as static
# musl archives, from Debian's source packages, into a prefix.  Each library
# has a stamp file naming the exact Debian source version and the compiler,
# so a second run does nothing.
#
#   scripts/release-deps.sh --triplet T --src DIR --prefix DIR [--cmocka]
#
#   --triplet T   musl triplet: x86_64-linux-musl, aarch64-linux-musl,
#                 arm-linux-musleabihf, mipsel-linux-musl
#   --prefix DIR  gets bin/cc (the compiler to use), include/, lib/, the
#                 stamps, and work/ (build trees and logs)
#   --src DIR     where Debian's source packages are fetched (shared by all
#                 architectures)
#
# Sources come from `apt-get source`: apt checks each file's SHA-256 against
# the Sources index, which Debian's archive key signs; dpkg-source then
# unpacks the upstream tarball and applies Debian's patches.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

triplet="" src="" prefix="" cmocka=0
while [ $# -gt 0 ]; do
	case $1 in
	--triplet) triplet=$2; shift 2 ;;
	--src) src=$2; shift 2 ;;
	--prefix) prefix=$2; shift 2 ;;
	--cmocka) cmocka=1; shift ;;
	*) echo "usage: $0 --triplet T --src DIR --prefix DIR [--cmocka]" >&2; exit 2 ;;
	esac
done
if [ -z "$triplet" ] || [ -z "$src" ] || [ -z "$prefix" ]; then
	echo "release-deps: --triplet, --src and --prefix are required" >&2
	exit 2
fi
case $src in /*) ;; *) src=$ROOT/$src ;; esac
case $prefix in /*) ;; *) prefix=$ROOT/$prefix ;; esac

# Debian's musl-dev for T ships T-gcc, which runs the gcc for that
# architecture (x86_64-linux-gnu-gcc, aarch64-linux-gnu-gcc, ...) with its
# musl-gcc.specs; the specs are taken from there, the gcc is called directly.
case $triplet in
arm-linux-musleabihf) host=arm-linux-gnueabihf ;;
*) host=${triplet%-musl}-gnu ;;
esac
gcc=$(command -v "$host-gcc") || { echo "release-deps: no $host-gcc (the cross compiler)" >&2; exit 1; }
specs_in=/usr/lib/$triplet/musl-gcc.specs
[ -f "$specs_in" ] || { echo "release-deps: no $specs_in (musl-dev for this architecture)" >&2; exit 1; }
JOBS=${JOBS:-2}
work=$prefix/work
mkdir -p "$src" "$prefix/bin" "$prefix/include" "$prefix/lib" "$work"

# update FILE: move FILE.new over FILE only if it differs (keeps mtimes, so
# make does not rebuild for nothing).
update() { if cmp -s "$1.new" "$1"; then rm -f "$1.new"; else mv -f "$1.new" "$1"; fi; }

# Kernel headers: musl ships none, and linux/if_tun.h, linux/capability.h,
# linux/seccomp.h are needed.  Only linux/, asm/ and asm-generic/ from
# Debian's linux-libc-dev (native) or linux-libc-dev-ARCH-cross, so no glibc
# header can leak in.
kinc=$prefix/kinc
mkdir -p "$kinc"
if [ "$host" = "$(gcc -dumpmachine 2>/dev/null)" ]; then
	ln -sfn /usr/include/linux "$kinc/linux"
	ln -sfn /usr/include/asm-generic "$kinc/asm-generic"
	ln -sfn "/usr/include/$host/asm" "$kinc/asm"
else
	for h in linux asm asm-generic; do ln -sfn "/usr/$host/include/$h" "$kinc/$h"; done
fi
if [ ! -f "$kinc/linux/if_tun.h" ] || [ ! -d "$kinc/asm/" ]; then
	echo "release-deps: no kernel headers for $host under $kinc" >&2
	exit 1
fi

# Debian's specs, plus static-pie: the self-relocating rcrt1.o start file and
# the linker flags gcc's own link spec would have passed (musl's replaces it).
sed -e 's#%{!shared: \([^ }]*\)/Scrt1.o}#%{static-pie:\1/rcrt1.o;!shared:\1/Scrt1.o}#' \
	-e 's#^\(-dynamic-linker .*\)$#\1 %{static-pie:-static -pie --no-dynamic-linker -z text}#' \
	"$specs_in" >"$prefix/musl.specs.new"
grep -q rcrt1.o "$prefix/musl.specs.new" || { echo "release-deps: cannot adapt $specs_in for static-pie" >&2; exit 1; }
update "$prefix/musl.specs"

# The compiler every library and the project use.  aarch64: Debian's gcc
# calls libgcc's out-of-line atomics, whose initialiser needs glibc's
# __getauxval; musl has none, so atomics are inlined (ARMv8.0 LL/SC).
extra=""
case $triplet in aarch64-*) extra=" -mno-outline-atomics" ;; esac
CC=$prefix/bin/cc
cat >"$CC.new" <<W
#!/bin/sh
# musl $triplet: Debian's $host-gcc with musl's specs (static-pie capable)
exec $gcc "\$@" -specs $prefix/musl.specs -isystem $kinc$extra
W
chmod +x "$CC.new"
update "$CC"
musl_pkg=$(dpkg -S "$specs_in" 2>/dev/null | sed 's/: .*//')

# Size first, but the same hardening as the project's own build.
LIBCFLAGS="-Os -fPIE -ffunction-sections -fdata-sections -fstack-protector-strong -fno-asynchronous-unwind-tables -fno-unwind-tables"
# What the stamps record besides the source version: gcc's and musl's
# versions, the compiler wrapper and these flags, so a change of any of
# them rebuilds the libraries.
ccid="$("$gcc" -dumpfullversion) $(dpkg-query -W -f='${Version}' "$musl_pkg" 2>/dev/null || true) $(cksum <"$CC" | cut -d' ' -f1) $(echo "$LIBCFLAGS" | cksum | cut -d' ' -f1)"

# fetch PKG: newest Debian source of PKG, unpacked (Debian patches applied)
# into $src/PKG-VERSION; prints that directory.
fetch() {
	local pkg=$1 ver dir
	ver=$(apt-cache showsrc "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -n 1)
	[ -n "$ver" ] || { echo "release-deps: no Debian source for $pkg (deb-src missing? run scripts/deps-release.sh)" >&2; return 1; }
	dir=$src/$pkg-$ver
	if [ ! -f "$dir/.unpacked" ]; then
		echo "release-deps: fetching Debian source $pkg $ver" >&2
		rm -rf "$dir" "$src/dl-$pkg"
		mkdir -p "$src/dl-$pkg"
		(cd "$src/dl-$pkg" && apt-get source -qq --download-only "$pkg=$ver" >/dev/null 2>&1) ||
			{ echo "release-deps: apt-get source $pkg=$ver failed" >&2; return 1; }
		dpkg-source -x "$src/dl-$pkg/"*.dsc "$dir" >/dev/null 2>&1 ||
			{ echo "release-deps: dpkg-source -x $pkg failed" >&2; return 1; }
		touch "$dir/.unpacked"
	fi
	echo "$dir"
}

# built NAME DIR: true if the stamp matches this source and compiler.
stamp_of() { echo "$prefix/.stamp-$1"; }
# The stamp also records the package's own options (CONF: configure or
# cmake arguments), so changing them rebuilds it.
built() { [ -f "$(stamp_of "$1")" ] && [ "$(cat "$(stamp_of "$1")")" = "$(basename "$2") $ccid ${CONF:-}" ]; }
mark() { echo "$(basename "$2") $ccid ${CONF:-}" >"$(stamp_of "$1")"; }

log_fail() { echo "release-deps: $1 failed; last lines of $2:" >&2; tail -n 25 "$2" >&2; exit 1; }

# autotools PKG "CONFIGURE ARGS" MAKE-ARGS...: builds a copy of the source
# (the dpkg-source tree stays pristine; Debian's upstream tarball may carry
# no configure, then autoreconf makes it) and runs make with each
# MAKE-ARGS word group ("-C src install", ...) in turn.
autotools() {
	local pkg=$1 conf=$2 d log step
	local CONF=$conf
	shift 2
	d=$(fetch "$pkg")
	built "$pkg" "$d" && return 0
	echo "release-deps: $pkg ($triplet)" >&2
	log=$work/$pkg.log
	rm -rf "${work:?}/$pkg" && cp -a "$d" "$work/$pkg"
	# shellcheck disable=SC2086 # $conf and $step are word lists
	(cd "$work/$pkg" && { [ -x configure ] || autoreconf -fi; } &&
		./configure --host="$host" --prefix="$prefix" --disable-shared --enable-static \
			--disable-dependency-tracking CC="$CC" CFLAGS="$LIBCFLAGS" $conf &&
		for step in "$@"; do make -j"$JOBS" $step || exit 1; done) >"$log" 2>&1 || log_fail "$pkg" "$log"
	mark "$pkg" "$d"
}

# cmake_pkg PKG -DOPTION...: a static, size-optimised CMake build for $CC.
cmake_pkg() {
	local pkg=$1 d b
	shift
	local CONF="$*"
	d=$(fetch "$pkg")
	built "$pkg" "$d" && return 0
	echo "release-deps: $pkg ($triplet)" >&2
	b=$work/$pkg
	rm -rf "$b"
	{ cmake -S "$d" -B "$b" -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR="${triplet%%-*}" \
		-DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$LIBCFLAGS" -DCMAKE_BUILD_TYPE=MinSizeRel \
		-DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib -DBUILD_SHARED_LIBS=OFF \
		-DCMAKE_FIND_ROOT_PATH="$prefix" -DCMAKE_FIND_ROOT_PATH_MODE_LIBRARY=ONLY \
		-DCMAKE_FIND_ROOT_PATH_MODE_INCLUDE=ONLY -DCMAKE_FIND_ROOT_PATH_MODE_PROGRAM=NEVER "$@" &&
		cmake --build "$b" -j "$JOBS" && cmake --install "$b"; } >"$b.log" 2>&1 || log_fail "$pkg" "$b.log"
	mark "$pkg" "$d"
}

# --enable-minimal keeps everything src/ uses (ChaCha20-Poly1305 IETF,
# BLAKE2b, SipHash-2-4, Ed25519, X25519, SHA-256/HMAC, randombytes, the
# sodium_* helpers).  --disable-asm leaves out the assembly X25519 (sandy2x)
# and Salsa20, 23 KB of the daemon: X25519 falls back to the portable 64-bit
# C code (a handshake's four of them stay well inside the per-side budget),
# and the data plane's ChaCha20-Poly1305 keeps its vectorised C.
autotools libsodium "--enable-minimal --disable-asm" "-C src install"
cmake_pkg json-c -DBUILD_STATIC_LIBS=ON -DBUILD_TESTING=OFF -DDISABLE_WERROR=ON \
	-DDISABLE_EXTRA_LIBS=ON -DENABLE_THREADING=OFF -DDISABLE_THREAD_LOCAL_STORAGE=ON
autotools libcap-ng "--without-python --without-python3" "-C src install-libLTLIBRARIES install-includeHEADERS"
autotools libseccomp "--disable-python" "-C src install-libLTLIBRARIES" "-C include install"
if [ $cmocka -eq 1 ]; then
	# cmocka.h typedefs uintptr_t itself unless told the libc did; musl
	# says so with __DEFINED_uintptr_t (the fix Alpine carries).
	cmake_pkg cmocka -DWITH_STATIC_LIB=ON -DWITH_EXAMPLES=OFF -DUNIT_TESTING=OFF -DPICKY_DEVELOPER=OFF \
		-DCMAKE_C_FLAGS="$LIBCFLAGS -D_UINTPTR_T_DEFINED"
	sed -i 's/^#if !defined(_UINTPTR_T) && !defined(_UINTPTR_T_DEFINED)$/& \&\& !defined(__DEFINED_uintptr_t)/' \
		"$prefix/include/cmocka.h"
	# 1.1.5 installs the static archive as libcmocka-static.a.
	[ -f "$prefix/lib/libcmocka.a" ] || cp "$prefix/lib/libcmocka-static.a" "$prefix/lib/libcmocka.a"
fi
