#!/bin/sh
# subnetra-doctor: environment preflight for subnetrad.  Checks what the
# daemon needs before it can start: the subnetrad program itself, the TUN
# device node, CAP_NET_ADMIN, the `ip` tool (to apply --print-network-plan)
# and a sane clock (the boot epoch is refused before 2024-01-01).  Optionally
# runs `subnetrad --check` on a config.  Changes nothing.
#
# POSIX sh only (runs under dash and BusyBox ash, e.g. in the busybox:musl
# container image): no bashisms, no arrays, no [[ ]], no $'...'.
#
# Exit status: 0 every check passed (warnings allowed), 1 a check failed,
# 2 usage error.

VERSION=0.1.0
MIN_EPOCH_S=1704067200 # 2024-01-01T00:00:00Z, the protocol's minimum boot epoch
CAP_NET_ADMIN_BIT=12

# Overridable for tests and unusual systems.
TUN_DEV=${SUBNETRA_DOCTOR_TUN:-/dev/net/tun}
PROC_STATUS=${SUBNETRA_DOCTOR_PROC_STATUS:-/proc/self/status}

usage() {
	echo "usage: subnetra-doctor [--config FILE] [--subnetrad PATH]"
}

help() {
	usage
	cat <<EOF
       subnetra-doctor --version | --help

Checks that this host can run subnetrad; changes nothing:
  subnetrad  the daemon is installed (and which version)
  tun        $TUN_DEV exists and is a character device
  cap        this process has CAP_NET_ADMIN (to create the TUN device)
  ip         an 'ip' command (iproute2 or BusyBox) to apply the network plan
  clock      the wall clock is at or after 2024-01-01 (the boot epoch)
  config     with --config: 'subnetrad --check' accepts FILE

  --config FILE     also validate FILE with subnetrad --check
  --subnetrad PATH  the daemon to check and to run --check with (default:
                    the first of: next to this script, ../sbin from it (where
                    make install puts it), ../build, \$PATH, /usr/local/sbin,
                    /usr/sbin, /sbin)
  --version, -V     print the version and exit
  --help, -h        print this help and exit

Run it as the user (and in the container) that will run subnetrad.

exit status: 0 every check passed (warnings allowed), 1 some check failed,
2 usage error
EOF
}

usage_error() {
	echo "subnetra-doctor: $1" >&2
	usage >&2
	echo "Try 'subnetra-doctor --help' for more." >&2
	exit 2
}

CONFIG=""
SUBNETRAD=""
while [ $# -gt 0 ]; do
	case $1 in
	--help | -h) help; exit 0 ;;
	--version | -V) echo "subnetra-doctor v$VERSION"; exit 0 ;;
	--config)
		[ $# -ge 2 ] || usage_error "missing file after --config"
		[ -n "$2" ] || usage_error "--config: empty file name"
		CONFIG=$2
		shift 2
		;;
	--subnetrad)
		[ $# -ge 2 ] || usage_error "missing path after --subnetrad"
		SUBNETRAD=$2
		shift 2
		;;
	*) usage_error "unknown argument '$1'" ;;
	esac
done

FAILED=0
WARNED=0
ok() { echo "ok    $1"; }
fail() { echo "FAIL  $1"; FAILED=1; }
warn() { echo "warn  $1"; WARNED=1; }

# ---- subnetrad ------------------------------------------------------------------
# Where the installers put it: make install has PREFIX/sbin/subnetrad beside
# PREFIX/bin/subnetra-doctor, a release directory has both side by side, the
# source tree has build/subnetrad; then PATH (often without sbin for a
# non-root user) and the usual sbin directories.  A doctor reached through a
# symbolic link also looks from where the link points.
find_subnetrad() {
	here=$(dirname "$0")
	real=$(readlink -f "$0" 2>/dev/null) && real=$(dirname "$real") || real=$here
	for d in "$here" "$here/../sbin" "$real" "$real/../sbin" "$here/../build"; do
		if [ -f "$d/subnetrad" ] && [ -x "$d/subnetrad" ]; then
			echo "$d/subnetrad"
			return 0
		fi
	done
	if p=$(command -v subnetrad 2>/dev/null) && [ -n "$p" ]; then
		echo "$p"
		return 0
	fi
	for d in /usr/local/sbin /usr/sbin /sbin; do
		if [ -f "$d/subnetrad" ] && [ -x "$d/subnetrad" ]; then
			echo "$d/subnetrad"
			return 0
		fi
	done
	return 1
}

if [ -n "$SUBNETRAD" ]; then
	if [ ! -f "$SUBNETRAD" ] || [ ! -x "$SUBNETRAD" ]; then
		fail "subnetrad: --subnetrad $SUBNETRAD is not an executable file"
		SUBNETRAD=""
	fi
elif ! SUBNETRAD=$(find_subnetrad); then
	SUBNETRAD=""
	fail "subnetrad: not found next to this script, in ../sbin from it, in \$PATH, /usr/local/sbin, /usr/sbin or /sbin: install it (make install) or give --subnetrad PATH"
fi
if [ -n "$SUBNETRAD" ]; then
	dver=$("$SUBNETRAD" --version 2>/dev/null)
	case $dver in
	"subnetrad v$VERSION") ok "subnetrad: $SUBNETRAD ($dver)" ;;
	"subnetrad v"*) warn "subnetrad: $SUBNETRAD is $dver, this doctor is v$VERSION" ;;
	*) fail "subnetrad: $SUBNETRAD --version does not answer as subnetrad (wrong file, or a missing library: run it by hand)" ;;
	esac
fi

# ---- tun ------------------------------------------------------------------
if [ -c "$TUN_DEV" ]; then
	if [ -r "$TUN_DEV" ] && [ -w "$TUN_DEV" ]; then
		ok "tun: $TUN_DEV is a character device"
	else
		fail "tun: $TUN_DEV exists but this user cannot open it read-write"
	fi
elif [ -e "$TUN_DEV" ]; then
	fail "tun: $TUN_DEV exists but is not a character device"
else
	fail "tun: $TUN_DEV is missing (modprobe tun; in a container: --device=/dev/net/tun)"
fi

# ---- CAP_NET_ADMIN ------------------------------------------------------------
# CapEff is 16 hex digits; bit 12 lives in the fourth digit from the right,
# so only the last four digits are needed (no 64-bit shell arithmetic).
cap_hex=""
if [ -r "$PROC_STATUS" ]; then
	while IFS= read -r line; do
		case $line in
		CapEff:*) cap_hex=${line#CapEff:} ;;
		esac
	done <"$PROC_STATUS"
fi
cap_hex=$(printf '%s' "$cap_hex" | tr -d ' \t')
case $cap_hex in
'' | *[!0-9a-fA-F]*)
	warn "cap: cannot read the effective capabilities from $PROC_STATUS"
	;;
*)
	if [ ${#cap_hex} -gt 4 ]; then
		cap_low=${cap_hex#"${cap_hex%????}"}
	else
		cap_low=$cap_hex
	fi
	if [ $(((0x$cap_low >> CAP_NET_ADMIN_BIT) & 1)) -eq 1 ]; then
		ok "cap: CAP_NET_ADMIN is in the effective set (CapEff $cap_hex)"
	else
		fail "cap: no CAP_NET_ADMIN (CapEff $cap_hex): run as root, or grant it (systemd AmbientCapabilities=CAP_NET_ADMIN, docker --cap-add=NET_ADMIN)"
	fi
	;;
esac

# ---- ip -------------------------------------------------------------------------
if command -v ip >/dev/null 2>&1; then
	if ip link show >/dev/null 2>&1; then
		ok "ip: $(command -v ip) works"
	else
		fail "ip: $(command -v ip) is present but 'ip link show' fails"
	fi
else
	fail "ip: no 'ip' command (install iproute2, or use BusyBox ip) to apply the network plan"
fi

# ---- clock ----------------------------------------------------------------------
now=$(date -u +%s 2>/dev/null)
case $now in
'' | *[!0-9]*)
	fail "clock: cannot read the time (date -u +%s)"
	;;
*)
	if [ "$now" -ge "$MIN_EPOCH_S" ]; then
		ok "clock: $(date -u '+%Y-%m-%dT%H:%M:%SZ') is after 2024-01-01"
	else
		fail "clock: $(date -u '+%Y-%m-%dT%H:%M:%SZ') is before 2024-01-01; subnetrad refuses to start (fix the clock/NTP first)"
	fi
	;;
esac

# ---- config ---------------------------------------------------------------------
if [ -n "$CONFIG" ]; then
	if [ -z "$SUBNETRAD" ]; then
		fail "config: no subnetrad to run --check with (use --subnetrad PATH)"
	elif out=$("$SUBNETRAD" --check --config "$CONFIG" 2>&1); then
		ok "config: $CONFIG passes subnetrad --check"
		case $out in
		*warning:*) warn "config: $(printf '%s\n' "$out" | grep 'warning:' | head -n 1)" ;;
		esac
	else
		fail "config: $(printf '%s\n' "$out" | head -n 1)"
	fi
fi

if [ "$FAILED" -ne 0 ]; then
	echo "subnetra-doctor: some checks failed"
	exit 1
fi
if [ "$WARNED" -ne 0 ]; then
	echo "subnetra-doctor: ready, with warnings"
else
	echo "subnetra-doctor: ready"
fi
exit 0
