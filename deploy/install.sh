#!/bin/sh
# install.sh: install subnetrad and subnetra from a LOCAL release tarball,
# after checking it against the release's SHA256SUMS.txt.  POSIX sh (dash,
# BusyBox ash); needs tar, gzip and sha256sum (or shasum on macOS).
#
#   sh install.sh [--dir DIR] [--service] [--yes] [--sums FILE] [--destdir DIR] TARBALL
#
# Nothing is downloaded, and the host's network configuration (addresses,
# routes, firewall) is never touched.  Without --yes it shows what it will do
# and asks first (on the terminal); without a terminal it needs --yes.
#
# The tarball is the one `make release` writes (subnetra-VERSION-linux-ARCH.tar.gz):
# it holds subnetrad and subnetra, at its top or in one top-level directory.
# Binaries are replaced atomically (copied next to the target, then renamed),
# so a running daemon keeps its old binary until it is restarted.  With
# --service, the service definition for this OS (systemd unit, launchd plist
# or OpenWrt init script) is installed too, disabled: never enabled, never
# started.  It is taken from the tarball if it has one, else from beside
# this script.
set -u

PROG=install.sh
sbindir=/usr/local/sbin
bindir=/usr/local/bin
dir=""
service=0
yes=0
sums=""
destdir=""
tarball=""
tmpdir=""

usage() {
	cat <<EOF
usage: $PROG [--dir DIR] [--service] [--yes] [--sums FILE] [--destdir DIR] TARBALL
       $PROG --help

Installs subnetrad and subnetra from a local release tarball, verified
against SHA256SUMS.txt.  Never downloads anything, never touches the
network configuration, never starts a service.

  TARBALL        subnetra-VERSION-linux-ARCH.tar.gz (a local file)
  --dir DIR      install both binaries in DIR (default: subnetrad in
                 $sbindir, subnetra in $bindir; OpenWrt: /usr/sbin, /usr/bin)
  --service      also install the service definition, disabled: the systemd
                 unit (Linux), the launchd plist (macOS) or the procd init
                 script (OpenWrt), with the daemon's path filled in
  --yes, -y      do not ask (non-interactive)
  --sums FILE    the checksum file (default: SHA256SUMS.txt beside TARBALL)
  --destdir DIR  stage everything under DIR (like make DESTDIR=); paths
                 written into the service file stay without DIR
  --help, -h     print this help

exit status: 0 installed, 1 refused (checksum mismatch or missing, bad
tarball, declined, write error), 2 usage error
EOF
}

usage_error() {
	echo "$PROG: $1" >&2
	echo "usage: $PROG [--dir DIR] [--service] [--yes] [--sums FILE] [--destdir DIR] TARBALL" >&2
	exit 2
}

die() {
	echo "$PROG: $1" >&2
	exit 1
}

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	if [ -n "$tmpdir" ]; then rm -rf "$tmpdir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

while [ $# -gt 0 ]; do
	case $1 in
	--dir | --sums | --destdir)
		if [ $# -lt 2 ] || [ -z "$2" ]; then usage_error "$1 needs a value"; fi
		case $1 in
		--dir) dir=$2 ;;
		--sums) sums=$2 ;;
		--destdir) destdir=$2 ;;
		esac
		shift 2
		;;
	--service) service=1; shift ;;
	-y | --yes) yes=1; shift ;;
	-h | --help) usage; exit 0 ;;
	--) shift; break ;;
	-*) usage_error "unknown option: $1" ;;
	*)
		[ -z "$tarball" ] || usage_error "one tarball only (got $tarball and $1)"
		tarball=$1
		shift
		;;
	esac
done
if [ $# -gt 0 ]; then
	if [ -n "$tarball" ] || [ $# -ne 1 ]; then usage_error "one tarball only"; fi
	tarball=$1
fi
[ -n "$tarball" ] || usage_error "no tarball given (this script installs from a local file)"
case $dir in "" | /*) ;; *) usage_error "--dir must be an absolute path: $dir" ;; esac
case $destdir in "" | /*) ;; *) usage_error "--destdir must be an absolute path: $destdir" ;; esac
# The paths are written into a service file with sed: keep them plain.
case $dir$destdir in *[!A-Za-z0-9/._-]*) usage_error "--dir and --destdir may use only A-Z a-z 0-9 / . _ -" ;; esac

os=$(uname -s)
kind=none
case $os in
Linux)
	if [ -f /etc/openwrt_release ]; then
		kind=procd
		sbindir=/usr/sbin
		bindir=/usr/bin
	else
		kind=systemd
	fi
	;;
Darwin) kind=launchd ;;
esac
if [ -n "$dir" ]; then
	sbindir=$dir
	bindir=$dir
fi

# ---- verify ------------------------------------------------------------------

[ -f "$tarball" ] || die "$tarball: no such file"
tar_dir=$(cd "$(dirname "$tarball")" && pwd) || die "$tarball: cannot resolve its directory"
tar_name=$(basename "$tarball")
[ -n "$sums" ] || sums=$tar_dir/SHA256SUMS.txt
[ -f "$sums" ] || die "$sums: no such file; refusing to install an unverified tarball (pass --sums FILE)"

if command -v sha256sum >/dev/null 2>&1; then
	sha256_check() { sha256sum -c -; }
elif command -v shasum >/dev/null 2>&1; then
	sha256_check() { shasum -a 256 -c -; }
else
	die "neither sha256sum nor shasum found; cannot verify $tar_name"
fi

# The one line for this file ("HASH  NAME" or "HASH *NAME"), checked on its
# own: BusyBox has no --ignore-missing, and other assets need not be here.
line=$(awk -v f="$tar_name" '$2 == f || $2 == "*" f { print; exit }' "$sums")
[ -n "$line" ] || die "$sums has no entry for $tar_name; refusing to install"
if ! out=$(cd "$tar_dir" && printf '%s\n' "$line" | sha256_check 2>&1); then
	echo "$out" >&2
	die "$tar_name does not match its SHA256SUMS.txt entry; refusing to install"
fi
echo "$PROG: $tar_name: SHA-256 matches $(basename "$sums")"

# ---- unpack and look ------------------------------------------------------------

tmpdir=$(mktemp -d "${TMPDIR:-/tmp}/subnetra-install.XXXXXX") || die "cannot create a temporary directory"
tar -xzf "$tarball" -C "$tmpdir" || die "$tar_name: cannot unpack"

# subnetrad and subnetra at the top, or in exactly one top-level directory.
root=$tmpdir
if [ ! -f "$root/subnetrad" ]; then
	set -- "$tmpdir"/*/subnetrad
	if [ $# -ne 1 ] || [ ! -f "$1" ]; then
		die "$tar_name holds no subnetrad (expected at its top or in one top-level directory)"
	fi
	root=$(dirname "$1")
fi
[ -f "$root/subnetra" ] || die "$tar_name holds subnetrad but no subnetra"
chmod 0755 "$root/subnetrad" "$root/subnetra"

new_version=$("$root/subnetrad" --version 2>/dev/null) ||
	die "$tar_name: its subnetrad does not run on this machine ($(uname -m)); wrong architecture?"

unit_src=""
unit_dst=""
if [ "$service" -eq 1 ]; then
	case $kind in
	systemd) unit_name=subnetrad.service; unit_dst=/etc/systemd/system/subnetrad.service ;;
	launchd) unit_name=net.subnetra.subnetrad.plist; unit_dst=/Library/LaunchDaemons/net.subnetra.subnetrad.plist ;;
	procd) unit_name=subnetrad.init; unit_dst=/etc/init.d/subnetrad ;;
	*) die "--service: no service definition for $os" ;;
	esac
	unit_src=$(find "$root" -name "$unit_name" -type f 2>/dev/null | head -n 1)
	if [ -z "$unit_src" ]; then
		here=$(cd "$(dirname "$0")" && pwd)
		for c in "$here/$unit_name" "$here/openwrt/$unit_name"; do
			[ -f "$c" ] && unit_src=$c && break
		done
	fi
	[ -n "$unit_src" ] || die "--service: $unit_name is neither in $tar_name nor beside $PROG"
fi

# ---- plan and confirm ---------------------------------------------------------------

old_version=""
[ -x "$destdir$sbindir/subnetrad" ] && old_version=$("$destdir$sbindir/subnetrad" --version 2>/dev/null)

echo "$PROG: will install $new_version:"
echo "  $destdir$sbindir/subnetrad"
echo "  $destdir$bindir/subnetra"
if [ -n "$unit_src" ]; then
	echo "  $destdir$unit_dst (disabled; ExecStart $sbindir/subnetrad)"
fi
if [ -n "$old_version" ]; then
	echo "$PROG: $destdir$sbindir/subnetrad is already installed: $old_version (it will be replaced)"
fi
[ -n "$unit_src" ] && [ -e "$destdir$unit_dst" ] &&
	echo "$PROG: $destdir$unit_dst exists (it will be replaced)"
echo "$PROG: nothing else changes: no service is enabled or started, no network setting is touched"

if [ "$yes" -eq 0 ]; then
	# The terminal, not stdin: stdin may be the script itself (curl | sh).
	# (A subshell: a failed redirection on ':' would end the script itself.)
	if ! (: </dev/tty) 2>/dev/null; then
		die "no terminal to ask on; re-run with --yes to install without asking"
	fi
	printf '%s: proceed? [y/N] ' "$PROG" >/dev/tty
	read -r answer </dev/tty || answer=""
	case $answer in
	y | Y | yes | YES) ;;
	*) die "nothing installed" ;;
	esac
fi

# ---- install ---------------------------------------------------------------------------

# place SRC DST MODE: copy beside DST, then rename over it (atomic).
place() {
	d=$(dirname "$2")
	mkdir -p "$d" || die "cannot create $d"
	t="$d/.$(basename "$2").new.$$"
	if cp "$1" "$t" && chmod "$3" "$t" && mv -f "$t" "$2"; then
		return 0
	fi
	rm -f "$t"
	die "cannot write $2"
}

place "$root/subnetrad" "$destdir$sbindir/subnetrad" 0755
place "$root/subnetra" "$destdir$bindir/subnetra" 0755
if [ "$os" = Darwin ] && command -v xattr >/dev/null 2>&1; then
	xattr -d com.apple.quarantine "$destdir$sbindir/subnetrad" "$destdir$bindir/subnetra" 2>/dev/null || true
fi
echo "$PROG: installed $destdir$sbindir/subnetrad and $destdir$bindir/subnetra"

if [ -n "$unit_src" ]; then
	# The shipped definitions run /usr/local/sbin/subnetrad and
	# /usr/local/bin/subnetra (OpenWrt: /usr/sbin); point them at ours.
	sed -e "s#/usr/local/sbin/subnetrad#$sbindir/subnetrad#g" \
		-e "s#/usr/sbin/subnetrad#$sbindir/subnetrad#g" \
		-e "s#/usr/local/bin/subnetra\\([^-]\\)#$bindir/subnetra\\1#g" \
		"$unit_src" >"$tmpdir/unit" || die "cannot prepare $unit_name"
	case $kind in procd) mode=0755 ;; *) mode=0644 ;; esac
	place "$tmpdir/unit" "$destdir$unit_dst" "$mode"
	echo "$PROG: installed $destdir$unit_dst (not enabled, not started)"
fi

cat <<EOF

Next steps (see docs/deployment.md):
  1. put this node's config at /etc/subnetra/config.json (mode 0600) and check it:
       $sbindir/subnetrad --check --config /etc/subnetra/config.json
  2. review the host network plan; the daemon applies it to snr0 itself
     (unless the config says "configure_interface": false):
       $sbindir/subnetrad --print-network-plan --config /etc/subnetra/config.json
EOF
case $kind in
systemd)
	if [ -n "$unit_src" ]; then
		echo "  3. with \"configure_interface\": false only: add the plan as ExecStartPost="
		echo "     lines in $unit_dst; then:"
		echo "       systemctl daemon-reload && systemctl enable --now subnetrad"
	else
		echo "  3. run it: $sbindir/subnetrad --config /etc/subnetra/config.json (or re-run with --service)"
	fi
	;;
launchd)
	[ -n "$unit_src" ] && echo "  3. sudo launchctl bootstrap system $unit_dst" ;;
procd)
	[ -n "$unit_src" ] && echo "  3. /etc/init.d/subnetrad enable && /etc/init.d/subnetrad start" ;;
esac
[ -n "$old_version" ] && echo "A running daemon keeps the old binary until restarted (systemctl restart subnetrad)."
exit 0
