#!/usr/bin/env bash
# Installs (apt, as root) what `make cross ARCH=...` and `make test-cross`
# need, only what is missing: Debian's cross compiler for each architecture,
# that architecture's kernel headers (linux-libc-dev-ARCH-cross: musl ships
# none, and the cross gcc only recommends them, through glibc's cross
# headers, which an install without recommends leaves out), musl for it
# (musl-dev:ARCH, after `dpkg --add-architecture ARCH`), and
# qemu-user-static to run the results.  Everything scripts/deps-release.sh
# installs comes first (the libraries are built from Debian's sources).
#
#   scripts/deps-cross.sh arm64|armhf|mipsel...
set -euo pipefail
cd "$(dirname "$0")/.."

[ $# -gt 0 ] || { echo "usage: scripts/deps-cross.sh arm64|armhf|mipsel..." >&2; exit 2; }
./scripts/deps-release.sh

pkgs=(qemu-user-static)
archs=()
for a in "$@"; do
	case $a in
	arm64) pkgs+=(gcc-aarch64-linux-gnu linux-libc-dev-arm64-cross "musl-dev:$a") ;;
	armhf) pkgs+=(gcc-arm-linux-gnueabihf linux-libc-dev-armhf-cross "musl-dev:$a") ;;
	mipsel) pkgs+=(gcc-mipsel-linux-gnu linux-libc-dev-mipsel-cross "musl-dev:$a") ;;
	*) echo "deps-cross: unknown architecture: $a (arm64, armhf or mipsel)" >&2; exit 2 ;;
	esac
	dpkg --print-foreign-architectures | grep -qx "$a" || archs+=("$a")
done

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && [ ${#archs[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps-cross: missing: ${archs[*]/#/architecture } ${missing[*]} (run as root)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
for a in "${archs[@]}"; do
	echo "deps-cross: dpkg --add-architecture $a"
	dpkg --add-architecture "$a"
done
apt-get update -qq || echo "deps-cross: apt-get update reported errors; continuing" >&2
echo "deps-cross: installing ${missing[*]}"
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
