#!/usr/bin/env bash
# The fresh-machine contract, proven: `make demo` and `make test` (and, when
# asked, `make test-cross`) in a pristine Debian 12 (bookworm) minbase root
# file system, as a new user runs them on a fresh VM without udev.
#
#   scripts/test-fresh.sh [--cross ARCH...] [--keep] [--rebuild] [--step CMD]...   (root)
#
#   --cross ARCH  also run `make test-cross ARCH=...` (armhf, arm64, mipsel;
#                 several: --cross "armhf arm64")
#   --keep        keep the run's root file system (several GB) for a look
#   --rebuild     build the cached root file system again
#   --step CMD    run CMD in the clone instead of the default steps
#                 (repeatable; for looking into one failure)
#
# What the machine is: debootstrap --variant=minbase plus make, git and
# ca-certificates (built once, cached as a tarball in $FRESH_CACHE, default
# /var/cache/subnetra-fresh, from the Debian mirror this host's apt uses),
# unpacked afresh for every run.  The committed HEAD of this checkout is
# cloned with git into /private/subnetra (the directory 0700, as a private
# home), ../shared copied beside it without write bits.  It runs in a
# private mount and PID namespace (unshare), chrooted, with a /dev of its
# own whose /dev/net/tun is crw------- root root, as a kernel without udev
# leaves it; /proc, /sys, /dev/pts and a tmpfs /run for `ip netns`; the
# host's network and resolv.conf for apt.  Services that packages would
# start are refused (policy-rc.d): they would share the host's network.
# Downloaded .debs are kept in $FRESH_CACHE/debs between runs (only the
# download is saved: the project's scripts still install every package).
#
# Every process and mount of a run lives in those namespaces: on exit, error
# or Ctrl-C the namespace's PID 1 is killed, which ends them all and drops
# the mounts; then the run's directory is removed.
#
# Prints progress, the inner output, and ends with one line "N passed, N
# failed, N skipped": the inner `make test` line, plus that of
# `make test-cross`, plus one failure for a step that failed without such a
# line (`make demo`, or a make that stopped early).  Exit 0 iff all passed.
set -euo pipefail

SUITE=bookworm
SOURCES=/etc/apt/sources.list.d/debian.sources
# Inside the root file system: the clone, and where a run's results go.
PRIVATE=/private
OUT=/run/test-fresh
INNER_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

say() { printf 'test-fresh: [%s] %s\n' "$(elapsed)" "$*"; }
die() { printf 'test-fresh: %s\n' "$*" >&2; exit 2; }
elapsed() { printf '%d:%02d' $((SECONDS / 60)) $((SECONDS % 60)); }

# ---- inside the namespaces ----------------------------------------------------------------

# inside ROOT OUTDIR: PID 1 of the new PID namespace, in a private mount
# namespace.  Mounts what a booted VM has, then becomes the chroot's PID 1.
if [ "${1:-}" = --inside ]; then
	R=$2 outdir=$3
	# `ip netns exec` remounts /sys below "/" after making "/" a slave: the
	# chroot's root must be a mount point.
	mount --bind "$R" "$R"
	mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
	mount -t sysfs -o nosuid,nodev,noexec sysfs "$R/sys"
	# /dev as the kernel's devtmpfs has it without udev: the usual nodes, and
	# the TUN clone device 0600 root (udev's rule would make it 0666).
	mount -t tmpfs -o nosuid,mode=0755,size=1m dev "$R/dev"
	for n in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
		IFS=: read -r name major minor <<<"$n"
		mknod -m 0666 "$R/dev/$name" c "$major" "$minor"
	done
	mkdir -m 0755 "$R/dev/net" "$R/dev/pts"
	mknod -m 0600 "$R/dev/net/tun" c 10 200
	mkdir -m 1777 "$R/dev/shm"
	mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts "$R/dev/pts"
	ln -s pts/ptmx "$R/dev/ptmx"
	mount -t tmpfs -o nosuid,nodev,mode=1777 shm "$R/dev/shm"
	ln -s /proc/self/fd "$R/dev/fd"
	ln -s /proc/self/fd/0 "$R/dev/stdin"
	ln -s /proc/self/fd/1 "$R/dev/stdout"
	ln -s /proc/self/fd/2 "$R/dev/stderr"
	mount -t tmpfs -o nosuid,nodev,mode=0755 run "$R/run"
	mkdir -m 1777 "$R/run/lock"
	mkdir "$R$OUT"
	mount --bind "$outdir" "$R$OUT"
	# The chroot's shell becomes PID 1 (so the machine sees no "outer" init).
	exec chroot "$R" /usr/bin/env -i HOME=/root PATH="$INNER_PATH" TERM="${TERM:-dumb}" \
		LANG=C.UTF-8 /bin/bash "$OUT/inner.sh"
fi

# ---- on the host ---------------------------------------------------------------------------

cross="" keep=0 rebuild=0 steps=()
while [ $# -gt 0 ]; do
	case $1 in
	--cross) cross=${2:-}; shift 2 ;;
	--keep) keep=1; shift ;;
	--rebuild) rebuild=1; shift ;;
	--step) steps+=("${2:?--step wants a command}"); shift 2 ;;
	*) die "usage: scripts/test-fresh.sh [--cross ARCH...] [--keep] [--rebuild] [--step CMD]..." ;;
	esac
done
for a in $cross; do
	case $a in arm64 | armhf | mipsel) ;; *) die "--cross: unknown architecture: $a (arm64, armhf or mipsel)" ;; esac
done
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot, namespaces)"

REPO=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${SUBNETRA_SHARED:-$REPO/../shared}
CACHE=${FRESH_CACHE:-/var/cache/subnetra-fresh}
[ -d "$SHARED/vectors" ] || die "no $SHARED/vectors: the tests need ../shared beside the checkout (or SUBNETRA_SHARED)"
for t in unshare chroot mount mknod tar git; do
	command -v "$t" >/dev/null || die "missing tool: $t"
done
if ! command -v debootstrap >/dev/null; then
	say "installing debootstrap (apt)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || true
	apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi

# mirror SUITE-REGEX: the URI of this host's first deb822 stanza whose
# Suites match (a fresh VM gets the same mirror as the machine testing it).
mirror() {
	[ -r "$SOURCES" ] || return 0
	awk -v want="(^|[[:space:]])$1([[:space:]]|\$)" '
		/^[[:space:]]*#/ { next }
		/^[[:space:]]*$/ { if (uri != "" && suites ~ want) { print uri; exit } uri = ""; suites = ""; next }
		tolower($1) == "uris:" { uri = $2 }
		tolower($1) == "suites:" { $1 = ""; suites = $0 }
		END { if (uri != "" && suites ~ want) print uri }' "$SOURCES" | head -n 1
}
MIRROR=${FRESH_MIRROR:-$(mirror "$SUITE")}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY=${FRESH_SECURITY_MIRROR:-$(mirror "$SUITE-security")}
SECURITY=${SECURITY:-http://deb.debian.org/debian-security}
ARCH=$(dpkg --print-architecture)
IMAGE=$CACHE/$SUITE-minbase-$ARCH.tar

mkdir -p "$CACHE/logs" "$CACHE/debs"
LOG=$CACHE/logs/test-fresh-$(date +%Y%m%d-%H%M%S)-$$.log
# tee ignores the terminal's Ctrl-C: it must outlive this script's clean-up.
exec > >(trap '' INT TERM HUP; exec tee -a "$LOG") 2>&1
teepid=$!
ln -sfn "$(basename "$LOG")" "$CACHE/logs/last.log"

# ---- the cached root file system ---------------------------------------------------------

# One builder at a time; a run only reads the finished tarball.
exec 9>"$CACHE/image.lock"
flock 9
if [ $rebuild -eq 1 ] || [ ! -s "$IMAGE" ]; then
	say "building the $SUITE minbase root file system with debootstrap from $MIRROR (first run: minutes)"
	B=$(mktemp -d "$CACHE/build.XXXXXX")
	trap 'rm -rf "$B"' EXIT
	debootstrap --variant=minbase --arch="$ARCH" --include=make,git,ca-certificates \
		"$SUITE" "$B" "$MIRROR" >"$CACHE/logs/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$CACHE/logs/debootstrap.log"; die "debootstrap failed (log: $CACHE/logs/debootstrap.log)"; }
	# The sources a Debian 12 installer writes: the release, its updates and
	# the security archive.
	rm -f "$B/etc/apt/sources.list"
	cat >"$B/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
	chroot "$B" apt-get clean
	# mktemp made it 0700, and the tarball's "." becomes the chroot's "/".
	chmod 0755 "$B"
	rm -rf "$B"/var/lib/apt/lists/*
	tar -C "$B" --numeric-owner -cf "$IMAGE.new" .
	mv -f "$IMAGE.new" "$IMAGE"
	rm -rf "$B"
	trap - EXIT
	say "cached $IMAGE ($(du -m "$IMAGE" | cut -f1) MB)"
fi
flock -u 9

# ---- this run --------------------------------------------------------------------------------

RUN=$(mktemp -d "$CACHE/run.XXXXXX")
R=$RUN/root
O=$RUN/out
mkdir -m 0755 "$R" "$O"
upid=""

# teardown: stops the namespaces if they still run, keeps the downloaded
# packages, removes the run's directory (once).  No mount of the run may be
# visible here (they live in the private namespace); if one were, removing
# the directory could reach through it.
teardown() {
	[ -n "$RUN" ] || return 0
	if [ -n "$upid" ] && kill -0 "$upid" 2>/dev/null; then
		say "stopping the run (every process in its namespaces)"
		# unshare --kill-child: its child, the namespace's PID 1, gets
		# SIGKILL, which ends every process of the namespace.
		kill -KILL "$upid" 2>/dev/null
		wait "$upid" 2>/dev/null || true
	fi
	upid=""
	# Downloaded packages, for the next run (hard links, same file system).
	cp -nl "$R"/var/cache/apt/archives/*.deb "$CACHE/debs/" 2>/dev/null || true
	if findmnt -rn -o TARGET | grep -qF "$RUN"; then
		say "mounts under $RUN are still visible: not removing it"
	elif [ $keep -eq 1 ]; then
		say "kept $R"
	else
		rm -rf "$RUN"
	fi
	RUN=""
}
verdict=0
cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	# A gone terminal must not stop the clean-up half way.
	trap '' PIPE
	teardown
	[ $verdict -eq 1 ] || say "stopped early (exit $rc); log: $LOG"
	# The last lines must reach the terminal before make returns.
	exec >&- 2>&-
	wait "$teepid" 2>/dev/null
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

head=$(git -C "$REPO" rev-parse HEAD)
branch=$(git -C "$REPO" symbolic-ref -q --short HEAD || true)
dirty=$(git -C "$REPO" status --porcelain --untracked-files=no | wc -l)
[ "$dirty" -eq 0 ] || say "note: $dirty uncommitted change(s) are not tested: the clone is of HEAD"

say "unpacking $(basename "$IMAGE") into $R"
tar -C "$R" --numeric-owner -xf "$IMAGE"
chmod 0755 "$R"
cp -L /etc/resolv.conf "$R/etc/resolv.conf"
# The host's local trust anchors too (a network that inspects TLS signs with
# a local CA, as this workplace's egress does): the chroot shares the
# host's network, so it trusts what the host was set up to trust; without
# this npm (scripts/ui-deps.sh) fails with SELF_SIGNED_CERT_IN_CHAIN.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
	mkdir -p "$R/usr/local/share/ca-certificates"
	cp /usr/local/share/ca-certificates/*.crt "$R/usr/local/share/ca-certificates/"
	chroot "$R" update-ca-certificates >/dev/null 2>&1 ||
		say "note: update-ca-certificates failed in the chroot (npm may not reach its registry)"
fi
printf '#!/bin/sh\n# test-fresh: no service starts (the chroot shares the host network)\nexit 101\n' \
	>"$R/usr/sbin/policy-rc.d"
chmod 0755 "$R/usr/sbin/policy-rc.d"
cp -l "$CACHE"/debs/*.deb "$R/var/cache/apt/archives/" 2>/dev/null || true

say "cloning $head${branch:+ ($branch)} into $PRIVATE/subnetra (0700 directory), ../shared beside it"
mkdir -m 0700 "$R$PRIVATE"
C=$R$PRIVATE/subnetra
git clone -q --no-local ${branch:+--branch "$branch"} "$REPO" "$C"
# A detached HEAD: that commit, fetched by name (the clone has the branches).
if [ "$(git -C "$C" rev-parse HEAD)" != "$head" ]; then
	{ git -C "$C" fetch -q origin "$head" && git -C "$C" -c advice.detachedHead=false checkout -q --detach "$head"; } ||
		die "cannot check out $head in the clone"
fi
cp -a "$SHARED" "$R$PRIVATE/shared"
chmod -R a-w "$R$PRIVATE/shared"

# The steps, run by the chroot's PID 1.  Each writes STEP RC SECS and its
# closing "N passed, N failed" line (if any) to $OUT/results.
if [ ${#steps[@]} -eq 0 ]; then
	steps=("make demo" "make test")
	[ -n "$cross" ] && steps+=("make test-cross ARCH=\"$cross\"")
fi
{
	echo 'set -uo pipefail'
	echo 'trap "exit 130" INT TERM'
	echo "cd $PRIVATE/subnetra"
	for s in "${steps[@]}"; do
		cat <<EOF
echo "test-fresh: ---- $s"
t0=\$SECONDS
$s </dev/null 2>&1 | tee $OUT/step.log
rc=\${PIPESTATUS[0]}
line=\$(grep -E '^[0-9]+ passed, [0-9]+ failed' $OUT/step.log | tail -n 1)
printf '%s\t%s\t%s\t%s\n' '$s' "\$rc" "\$((SECONDS - t0))" "\$line" >>$OUT/results
EOF
	done
} >"$O/inner.sh"

say "running as root in the chroot: $(printf '%s, ' "${steps[@]}" | sed 's/, $//')"
unshare --mount --pid --fork --kill-child --propagation private -- \
	bash "$0" --inside "$R" "$O" </dev/null &
upid=$!
wait "$upid" || true
upid=""

# ---- the verdict ---------------------------------------------------------------------------

passed=0 failed=0 skipped=0
summary=()
while IFS=$'\t' read -r step rc secs line; do
	result="exit $rc"
	if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)? ]]; then
		passed=$((passed + BASH_REMATCH[1]))
		failed=$((failed + BASH_REMATCH[2]))
		skipped=$((skipped + ${BASH_REMATCH[4]:-0}))
		result="$result: $line"
		# A non-zero exit that the line does not explain is one more failure.
		[ "$rc" -ne 0 ] && [ "${BASH_REMATCH[2]}" -eq 0 ] && failed=$((failed + 1))
	elif [ "$rc" -ne 0 ]; then
		failed=$((failed + 1))
	fi
	summary+=("$(printf '%-40s %s (%d:%02d)' "$step" "$result" $((secs / 60)) $((secs % 60)))")
done <"$O/results" 2>/dev/null || true
n_done=${#summary[@]}
if [ "$n_done" -lt ${#steps[@]} ]; then
	failed=$((failed + ${#steps[@]} - n_done))
	summary+=("$((${#steps[@]} - n_done)) step(s) did not finish")
fi
say "Debian $SUITE minbase + make git ca-certificates, clone of $head in a 0700 directory, /dev/net/tun 0600:"
for l in "${summary[@]}"; do echo "test-fresh:   $l"; done
teardown
say "log: $LOG"
verdict=1
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
