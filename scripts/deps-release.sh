#!/usr/bin/env bash
# Installs (apt, as root) what `make release` needs beyond scripts/deps.sh,
# only what is missing, and enables Debian's source index (deb-src) so the
# static libraries can be built from Debian's own source packages.  Safe to
# run repeatedly.
#
# musl: a static glibc binary cannot stay under the size budget (a static
# hello-world alone is ~680 KB), and Debian ships no musl builds of
# libsodium, json-c or libcap-ng (nor of libseccomp and cmocka, which the
# cross-built unit tests link), so scripts/release-deps.sh builds them with
# musl-gcc from `apt-get source`.  The daemon's seccomp filter is compiled
# by the build host's libseccomp (scripts/seccomp-gen.c).
set -euo pipefail

pkgs=(
	build-essential dpkg-dev        # gcc, dpkg-source (unpacks and patches Debian sources)
	musl-tools musl-dev             # x86_64-linux-musl-gcc, static musl libc
	autoconf automake libtool       # Debian's upstream tarballs may lack configure
	libseccomp-dev                  # scripts/seccomp-gen.c: the seccomp filter, at build time
	gperf                           # libseccomp's syscall table (cross-built unit tests)
	cmake                           # json-c and cmocka build with cmake
	linux-libc-dev                  # kernel headers (linux/if_tun.h, ...) for musl builds
	file xz-utils                   # release checks, source tarballs
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done

# Debian's source index: present when apt knows libsodium's source.
need_src=0
apt-cache showsrc libsodium 2>/dev/null | grep -q '^Version:' || need_src=1

[ ${#missing[@]} -eq 0 ] && [ $need_src -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	[ ${#missing[@]} -gt 0 ] && echo "deps-release: missing packages: ${missing[*]}" >&2
	[ $need_src -eq 1 ] && echo "deps-release: apt knows no Debian source packages (deb-src)" >&2
	echo "deps-release: run as root (apt-get)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# deb-src entries for the running release, unless some are configured
# (then only the index was missing: apt-get update below fetches it).
if [ $need_src -eq 1 ] && ! grep -rqsE '^[[:space:]]*(deb-src[[:space:]]|Types:.*deb-src)' \
	/etc/apt/sources.list /etc/apt/sources.list.d/; then
	# shellcheck disable=SC1091 # the running system's release file
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
	echo "deps-release: enabling Debian source packages (deb-src $codename) in /etc/apt/sources.list.d/subnetra-deb-src.sources"
	cat >/etc/apt/sources.list.d/subnetra-deb-src.sources <<SRC
# Added by subnetra's scripts/deps-release.sh: \`make release\` builds its
# static libraries from Debian's source packages (apt-get source).
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $codename $codename-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: $codename-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
# A mirror caught mid-sync fails one index now and then: go on with the
# others; the install or apt-get source below fails loudly if it matters.
apt-get update -qq || echo "deps-release: apt-get update reported errors; continuing" >&2
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps-release: installing ${missing[*]}"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
