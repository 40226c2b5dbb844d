#!/usr/bin/env bash
# Deployment artefacts as an operator uses them: deploy/ (systemd units,
# exporter, install.sh, example configs, OpenWrt init, launchd plist,
# Dockerfile, compose) and man/.
#
#   The example mesh (deploy/hub.json, spoke-a.json, spoke-b.json with fresh
#   keys), on the standard underlay:
#
#            10.0.0.2                                    10.0.0.3
#         +-----------+                               +-----------+
#         |  a  snr0  |                               |  b  snr0  |
#         |   eth0    |       +---------------+       |   eth0    |
#         +-----+-----+       |  hub   snr0   |       +-----+-----+
#    203.0.113.2|             |  exporter,    |             |203.0.113.3
#               |             |  promtool     |             |
#               |             +-------+-------+             |
#               |                     |203.0.113.1          |
#         ======+=========== br0 (namespace net) ===========+======
#
#   Isolated namespaces (loopback only), one daemon each:
#     sbx   spoke-a under the systemd unit's sandbox: bounding set
#           CAP_NET_ADMIN, no_new_privs, traced: every syscall must be in the
#           unit's SystemCallFilter, every socket family in
#           RestrictAddressFamilies; then the unit's ExecStartPost lines
#     usr   spoke-a as "nobody" with ambient CAP_NET_ADMIN (the unit's
#           commented User= variant)
#     agt   a mesh node, and `subnetra agent` under its unit's sandbox
#           (no capability, no_new_privs, the file system read-only but
#           state_dir), traced as sbx is
#     pid1  spoke-a as PID 1 of its own PID namespace (as in a container)
#     ctr   the image's root file system, built as deploy/Dockerfile
#           describes, chrooted, PID 1, HEALTHCHECK run inside (needs static
#           binaries in dist/ or $SUBNETRA_DIST; skipped without)
#
# Offline parts: systemd-analyze verify of every unit, install.sh against a
# locally built tarball (and tampered ones), the exporter against fixed JSON
# (byte-identical to src/core/metrics.c), promtool on every rendering, OpenWrt
# init under a procd stub, plist against the plist DTD, man pages rendered
# without warnings and covering every --help option.
#
# Installs jq, prometheus (promtool), libxml2-utils, python3-yaml with apt if
# missing.  TAP; exit 1 on any failure.  Runs as root.
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

DEPLOY=$SNR_ROOT/deploy
MANDIR=$SNR_ROOT/man
EXPORTER=$DEPLOY/subnetra-textfile-exporter.sh
TEST_METRICS=$SNR_BUILD/tests/test_metrics

require_env
topo_standard
# Daemons running as nobody below must reach their own files under $T.
chmod 0711 "$T"

VERSION=$("$SUBNETRAD" --version | sed 's/^subnetrad v//')

# ---- prerequisites ----------------------------------------------------------------

# need CMD PACKAGE: install PACKAGE with apt if CMD is missing.
need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	if command -v apt-get >/dev/null 2>&1; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$2" \
			>>"$T/apt.log" 2>&1 ||
			{ apt-get update >>"$T/apt.log" 2>&1 &&
				DEBIAN_FRONTEND=noninteractive apt-get install -y \
					--no-install-recommends "$2" >>"$T/apt.log" 2>&1; }
	fi
	command -v "$1" >/dev/null 2>&1 || {
		diag "$(tail -n 5 "$T/apt.log" 2>/dev/null)"
		return 1
	}
}
need jq jq || bail "jq is missing and could not be installed"
need promtool prometheus || bail "promtool is missing and could not be installed (package prometheus)"
need xmllint libxml2-utils || bail "xmllint is missing (package libxml2-utils)"
need systemd-analyze systemd || bail "systemd-analyze is missing (package systemd)"
need groff groff-base || bail "groff is missing (package groff-base)"
need man man-db || bail "man is missing (package man-db)"
need python3 python3 || bail "python3 is missing"
python3 -c 'import yaml' 2>/dev/null || need_yaml=1
if [ "${need_yaml:-0}" = 1 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-yaml \
		>>"$T/apt.log" 2>&1
	PY=/usr/bin/python3
else
	PY=$(command -v python3)
fi
"$PY" -c 'import yaml' 2>/dev/null || bail "python3 yaml module missing (package python3-yaml)"
[ -x "$TEST_METRICS" ] || bail "not built: $TEST_METRICS (make test-build)"
ok "prerequisites: jq, promtool, xmllint, systemd-analyze, groff, man, python3-yaml"

# prom_ok DESC FILE: promtool accepts FILE, with no lint remark at all.
prom_ok() {
	local out
	if out=$(promtool check metrics <"$2" 2>&1) && [ -z "$out" ]; then
		ok "$1"
	else
		not_ok "$1"
		diag "$out" "--- input:" "$(head -n 20 "$2")"
	fi
}

# ---- the example configs ----------------------------------------------------------

for f in hub spoke-a spoke-b; do
	out=$("$SUBNETRAD" --check --config "$DEPLOY/$f.json" 2>&1)
	rc=$?
	if [ "$rc" -eq 1 ] && printf '%s' "$out" | grep -q 'peers\[0\]\.psk: InvalidPsk'; then
		ok "deploy/$f.json as shipped fails --check (placeholder key, InvalidPsk)"
	else
		not_ok "deploy/$f.json as shipped fails --check (placeholder key, InvalidPsk)"
		diag "exit $rc: $out"
	fi
	(
		umask 077
		sed -e "s/REPLACE_WITH_KEY_HUB_SPOKE_A/$KEY_A/" \
			-e "s/REPLACE_WITH_KEY_HUB_SPOKE_B/$KEY_B/" "$DEPLOY/$f.json" >"$T/$f.json"
	)
	check "deploy/$f.json with its keys filled in passes --check" \
		"$SUBNETRAD" --check --config "$T/$f.json"
done

# ---- systemd units ------------------------------------------------------------------

# verify_clean DESC UNIT...: systemd-analyze verify exits 0 and says nothing
# (it only warns, exit 0, about unknown keys or bad values).
verify_clean() {
	local desc=$1 out rc
	shift
	out=$(systemd-analyze verify --man=no "$@" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] && [ -z "$out" ]; then
		ok "$desc"
	else
		not_ok "$desc"
		diag "systemd-analyze verify: exit $rc" "$out"
	fi
}

# systemd-analyze verify requires every Exec path to exist and be
# executable, so it checks copies whose /usr/local paths point at this
# build; nothing else in the units changes.
U=$T/units
mkdir -p "$U/plain" "$U/variants"
subst_paths() {
	sed -e "s#/usr/local/sbin/subnetrad#$SUBNETRAD#g" \
		-e "s#/usr/local/bin/subnetra-textfile-exporter.sh#$EXPORTER#g" \
		-e "s#/usr/local/bin/subnetra\\([^-]\\)#$SUBNETRA\\1#g" "$1"
}
subst_paths "$DEPLOY/subnetrad.service" >"$U/plain/subnetrad.service"
subst_paths "$DEPLOY/subnetra-textfile-exporter.service" >"$U/plain/subnetra-textfile-exporter.service"
cp "$DEPLOY/subnetra-textfile-exporter.timer" "$U/plain/"
verify_clean "systemd-analyze verify: subnetrad.service" "$U/plain/subnetrad.service"
# The documented variants: ExecStartPost plan lines and User=/Group= uncommented.
sed -e 's/^#ExecStartPost=/ExecStartPost=/' -e 's/^#User=/User=/' -e 's/^#Group=/Group=/' \
	"$U/plain/subnetrad.service" >"$U/variants/subnetrad.service"
check "the unit's commented ExecStartPost/User/Group lines exist" \
	grep -q '^ExecStartPost=.*ip addr replace' "$U/variants/subnetrad.service"
verify_clean "systemd-analyze verify: subnetrad.service with ExecStartPost and User= enabled" \
	"$U/variants/subnetrad.service"
subst_paths "$DEPLOY/subnetra-agent.service" >"$U/plain/subnetra-agent.service"
verify_clean "systemd-analyze verify: subnetra-agent.service" "$U/plain/subnetra-agent.service"
for line in 'Wants=subnetrad.service' 'After=subnetrad.service network-online.target' \
	'ExecStart=/usr/local/bin/subnetra agent --config /etc/subnetra/config.json' \
	'CapabilityBoundingSet=' 'ProtectSystem=strict' 'StateDirectory=subnetra/state'; do
	check "subnetra-agent.service has $line" grep -qxF -- "$line" "$DEPLOY/subnetra-agent.service"
done
verify_clean "systemd-analyze verify: subnetra-textfile-exporter.service + .timer" \
	"$U/plain/subnetra-textfile-exporter.service" "$U/plain/subnetra-textfile-exporter.timer"

unit=$DEPLOY/subnetrad.service
for line in 'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' 'NoNewPrivileges=yes' \
	'CapabilityBoundingSet=CAP_NET_ADMIN' 'AmbientCapabilities=CAP_NET_ADMIN' \
	'DevicePolicy=closed' 'DeviceAllow=/dev/net/tun rw' \
	'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK' 'RuntimeDirectory=subnetra' \
	'RuntimeDirectoryMode=0700' 'Restart=on-failure' 'SystemCallFilter=@system-service seccomp' \
	'ExecStartPre=/usr/local/sbin/subnetrad --check --config /etc/subnetra/config.json' \
	'ExecStart=/usr/local/sbin/subnetrad --config /etc/subnetra/config.json'; do
	check "subnetrad.service has $line" grep -qxF -- "$line" "$unit"
done

# ---- the example mesh and the exporter ------------------------------------------------

start_node hub "$T/hub.json"
TF=$T/textfile
mkdir -p "$TF"
# exporter [SHELL] ARGS...: the exporter in the hub's namespace, on its socket.
exporter() {
	local sh=sh
	case ${1:-} in dash | "busybox sh") sh=$1; shift ;; esac
	# shellcheck disable=SC2086 # "busybox sh" is two words
	nsx hub env SUBNETRA_SOCK="$(node_sock hub)" $sh "$EXPORTER" --subnetra "$SUBNETRA" "$@"
}

check "exporter (hub up, spokes not started) exits 0" exporter --dir "$TF"
prom_ok "promtool: exporter output with no peer seen yet" "$TF/subnetra.prom"
m=$(cat "$TF/subnetra.prom")
check_match "exporter: subnetra_up 1" '^subnetra_up 1$' "$m"
check_match "exporter: peer 2 offline" '^subnetra_peer_online\{id="2",allowed_src="10\.0\.0\.2/32"\} 0$' "$m"
check_match "exporter: peer 3 offline" '^subnetra_peer_online\{id="3",allowed_src="10\.0\.0\.3/32"\} 0$' "$m"
check_fails "exporter: no last_seen_age sample for peers never seen" \
	grep -q '^subnetra_peer_last_seen_age_seconds{' "$TF/subnetra.prom"
check_match "exporter: the age family is still declared" \
	'^# TYPE subnetra_peer_last_seen_age_seconds gauge$' "$m"

start_node a "$T/spoke-a.json"
start_node b "$T/spoke-b.json"
got=$(ping_received a -n -c 5 -i 0.1 -W 2 10.0.0.3)
check_eq "example mesh: a -> b (10.0.0.3) through the hub: 5/5 replies" 5 "$got"

ino1=$(stat -c %i "$TF/subnetra.prom")
# The file must match a status --json taken around it: retry if a keepalive
# moved a counter in between.
match=0
for _ in 1 2 3 4 5; do
	j1=$(status_json hub) || break
	exporter --dir "$TF" || break
	j2=$(status_json hub) || break
	[ "${j1#*\"counters\"}" = "${j2#*\"counters\"}" ] && match=1 && break
done
check_eq "exporter: counters stable across one run (for the comparison below)" 1 "$match"
m=$(cat "$TF/subnetra.prom")
prom_ok "promtool: exporter output of the live hub" "$TF/subnetra.prom"
check_eq "exporter: replaced the file by rename (new inode)" 1 \
	"$([ "$(stat -c %i "$TF/subnetra.prom")" != "$ino1" ] && echo 1 || echo 0)"
check_eq "exporter: file mode 0644 (node_exporter reads it)" 644 "$(stat -c %a "$TF/subnetra.prom")"
check_eq "exporter: no temporary file left in the textfile directory" "subnetra.prom" \
	"$(find "$TF" -mindepth 1 -printf '%f ' | sed 's/ $//')"
check_match "exporter: subnetra_up 1" '^subnetra_up 1$' "$m"
check_match "exporter: build_info carries version, mode, tun, local_id, listen_port(s)" \
	"^subnetra_build_info\\{version=\"$VERSION\",mode=\"raw_direct\",tun=\"snr0\",local_id=\"1\",listen_port=\"18020\",listen_ports=\"18020(,[0-9]+)*\"\\} 1\$" "$m"
for id in 2 3; do
	check_match "exporter: peer $id online" \
		"^subnetra_peer_online\\{id=\"$id\",allowed_src=\"10\\.0\\.0\\.$id/32\"\\} 1\$" "$m"
	age=$(printf '%s\n' "$m" | sed -n "s/^subnetra_peer_last_seen_age_seconds{id=\"$id\",allowed_src=\"10\\.0\\.0\\.$id\\/32\"} \\([0-9]*\\)\$/\\1/p")
	check_le "exporter: peer $id last_seen_age_seconds is a small integer" 90 "${age:-none}"
done
missing=""
for c in $(counter_names); do
	v=$(json_get "$j1" "$c")
	printf '%s\n' "$m" | grep -qx "subnetra_${c}_total $v" || missing="$missing $c=$v"
	printf '%s\n' "$m" | grep -qx "# TYPE subnetra_${c}_total counter" || missing="$missing TYPE:$c"
done
check_eq "exporter: every counter of src/core/counters.h as subnetra_<name>_total = status --json" "" "$missing"
check_match "exporter: relayed pings counted" '^subnetra_relay_packets_total [1-9][0-9]*$' "$m"

# Same output under dash and BusyBox ash (the exporter is POSIX sh).
for sh in dash "busybox sh"; do
	if ! command -v "${sh%% *}" >/dev/null 2>&1; then
		ok "exporter under $sh # SKIP ${sh%% *} not installed"
		continue
	fi
	same=0
	for _ in 1 2 3 4 5; do
		x=$(exporter --stdout | grep -v '^subnetra_peer_last_seen_age_seconds')
		y=$(exporter "$sh" --stdout | grep -v '^subnetra_peer_last_seen_age_seconds')
		[ -n "$x" ] && [ "$x" = "$y" ] && same=1 && break
	done
	check_eq "exporter under $sh prints what sh prints" 1 "$same"
done

# The built-in `subnetra metrics` (src/core/metrics.c through the control socket),
# once the CLI has the command.
cli hub metrics >"$T/metrics.out" 2>"$T/metrics.err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q UnknownCommand "$T/metrics.err"; then
	ok "subnetra metrics # SKIP this build's CLI has no metrics command"
else
	check_eq "subnetra metrics exits 0" 0 "$rc"
	prom_ok "promtool: subnetra metrics of the live hub" "$T/metrics.out"
	same=0
	for _ in 1 2 3 4 5; do
		x=$(cli hub metrics | sed 's/^\(subnetra_peer_last_seen_age_seconds{.*}\) [0-9]*$/\1 N/')
		y=$(exporter --stdout | sed 's/^\(subnetra_peer_last_seen_age_seconds{.*}\) [0-9]*$/\1 N/')
		[ -n "$x" ] && [ "$x" = "$y" ] && same=1 && break
	done
	check_eq "subnetra metrics prints exactly what the exporter writes" 1 "$same"
	[ "$same" -eq 1 ] || diag "$(diff <(printf '%s\n' "$x") <(printf '%s\n' "$y") | head -n 10)"
fi

# Exporter usage errors.
out=$(exporter --bogus 2>&1)
check_eq "exporter: unknown option -> exit 2" 2 "$?"
out=$(exporter --dir "$TF" --name metrics.txt 2>&1)
check_eq "exporter: --name not ending in .prom -> exit 2" 2 "$?"
out=$(exporter --dir "$T/no-such-dir" 2>&1)
check_eq "exporter: missing textfile directory -> exit 1" 1 "$?"
check_match "exporter: says which directory" 'no-such-dir: no such directory' "$out"
check "exporter --help exits 0" exporter --help

# ---- exporter and metrics_render on fixed input ------------------------------------------

printf '#!/bin/sh\ncat "%s"\n' "$T/fixture.json" >"$T/fixture-cli"
chmod +x "$T/fixture-cli"
"$TEST_METRICS" --print-json >"$T/fixture.json"
"$TEST_METRICS" --print >"$T/render.prom"
"$TEST_METRICS" --print-down >"$T/render-down.prom"
prom_ok "promtool: metrics_render of the unit-test view (escaped labels)" "$T/render.prom"
prom_ok "promtool: metrics_render_down" "$T/render-down.prom"
sh "$EXPORTER" --stdout --subnetra "$T/fixture-cli" >"$T/fixture.prom"
check "exporter output = metrics_render output, byte for byte, for the same status" \
	cmp "$T/render.prom" "$T/fixture.prom"

printf '#!/bin/sh\necho %s\n' "'{\"schema_version\":2}'" >"$T/v2-cli"
chmod +x "$T/v2-cli"
out=$(sh "$EXPORTER" --stdout --subnetra "$T/v2-cli" 2>"$T/v2.err")
check_eq "exporter: unknown schema_version -> exit 0 with subnetra_up 0" "0 subnetra_up 0" \
	"$? $(printf '%s\n' "$out" | grep -v '^#')"
check "exporter: says the schema_version is unsupported" grep -q 'unsupported schema_version 2' "$T/v2.err"

# ---- alert rules ------------------------------------------------------------------------------

check "promtool check rules deploy/subnetra.rules.yml" promtool check rules "$DEPLOY/subnetra.rules.yml"
# The rules against synthetic series: down, a peer going offline and stale,
# failing authentication, and a flat spoof counter that must not alert.
cat >"$T/rules-test.yml" <<EOF
rule_files:
  - $DEPLOY/subnetra.rules.yml
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'subnetra_up{instance="hub"}'
        values: '1 1 0x10'
      - series: 'subnetra_peer_online{instance="hub",id="2",allowed_src="10.0.0.2/32"}'
        values: '1 0x10'
      - series: 'subnetra_peer_online{instance="hub",id="3",allowed_src="10.0.0.3/32"}'
        values: '1x10'
      - series: 'subnetra_peer_last_seen_age_seconds{instance="hub",id="2",allowed_src="10.0.0.2/32"}'
        values: '5+60x10'
      - series: 'subnetra_drop_udp_auth_or_invalid_total{instance="hub"}'
        values: '0+60x20'
      - series: 'subnetra_drop_udp_spoof_total{instance="hub"}'
        values: '3x20'
    alert_rule_test:
      - eval_time: 1m
        alertname: SubnetraDown
        exp_alerts: []
      - eval_time: 4m
        alertname: SubnetraDown
        exp_alerts:
          - exp_labels: {severity: critical, instance: hub}
            exp_annotations:
              summary: "subnetrad on hub does not answer on its control socket"
              description: "subnetra status fails: the daemon stopped, or the exporter runs in another network namespace or with another SUBNETRA_SOCK. journalctl -u subnetrad."
      - eval_time: 7m
        alertname: SubnetraPeerOffline
        exp_alerts:
          - exp_labels: {severity: warning, instance: hub, id: "2", allowed_src: 10.0.0.2/32}
            exp_annotations:
              summary: "subnetra peer 2 (10.0.0.2/32) offline on hub"
              description: "No authenticated datagram from peer 2 for over 90 s (or never). Check the peer's daemon, its udp_tx, the firewall/NAT, and auth_or_invalid on this node."
      - eval_time: 4m
        alertname: SubnetraPeerStale
        exp_alerts:
          - exp_labels: {severity: warning, instance: hub, id: "2", allowed_src: 10.0.0.2/32}
            exp_annotations:
              summary: "subnetra peer 2 last heard 245 s ago on hub"
              description: "A spoke sends a keepalive every 20 s by default: a silence this long means it is down, cut off, or its NAT mapping expired."
      - eval_time: 16m
        alertname: SubnetraAuthFailures
        exp_alerts:
          - exp_labels: {severity: warning, instance: hub}
            exp_annotations:
              summary: "datagrams failing authentication on hub"
              description: "drop_udp_auth_or_invalid keeps rising: different PSKs on the two ends of a link (key rotation half done; counted with obfuscation on and off), obfuscate off on a peer, a peer whose clock went backwards across a restart, a wire-incompatible upgrade, or junk from the internet."
      - eval_time: 16m
        alertname: SubnetraSpoofedSource
        exp_alerts: []
EOF
check "promtool test rules: each alert fires when, and only when, it should" \
	promtool test rules "$T/rules-test.yml"

# ---- daemon down ---------------------------------------------------------------------------

stop_node a
stop_node b
stop_node hub
check "exporter with the daemon down exits 0" exporter --dir "$TF"
check_eq "exporter with the daemon down: only subnetra_up 0" "subnetra_up 0" \
	"$(grep -v '^#' "$TF/subnetra.prom")"
check "exporter down output = metrics_render_down" cmp "$T/render-down.prom" "$TF/subnetra.prom"
prom_ok "promtool: exporter output with the daemon down" "$TF/subnetra.prom"
if [ -s "$T/metrics.out" ]; then
	out=$(cli hub metrics 2>/dev/null)
	check_eq "subnetra metrics with the daemon down: exit 1, subnetra_up 0" "1 subnetra_up 0" \
		"$? $(printf '%s\n' "$out" | grep -v '^#')"
fi

# ---- the daemon under the unit's sandbox ----------------------------------------------------

# start_wrapped NAME CONFIG SOCK WRAPPER...: subnetrad under WRAPPER in NAME's
# namespace; waits for [ready].  Sets WPID (the wrapper) and DPID (subnetrad).
start_wrapped() {
	local name=$1 conf=$2 sock=$3 log=$T/$1.log deadline
	shift 3
	: >"$log"
	ALL_LOGS+=("$log")
	ip netns exec "${NODE_NS[$name]}" env SUBNETRA_SOCK="$sock" SUBNETRA_TUN="$TUN" \
		"$@" "$SUBNETRAD" --config "$conf" </dev/null >"$log" 2>&1 &
	WPID=$!
	bg_track "$WPID"
	deadline=$(($(now_ms) + 10000))
	until grep -q '\[ready\]' "$log"; do
		if ! proc_alive "$WPID" || [ "$(now_ms)" -ge "$deadline" ]; then
			diag "$name log:" "$(tail -n 20 "$log")"
			return 1
		fi
		sleep "$WAIT_STEP"
	done
	DPID=$WPID
	# A tracer or an unshare forks the daemon: it is the (only) child.
	if [ "$(cat "/proc/$WPID/comm")" != subnetrad ]; then
		DPID=$(pgrep -P "$WPID" | head -n 1)
	fi
	[ -n "$DPID" ]
}
# stop_wrapped: SIGTERM to the daemon; STOP_RC = the wrapper's exit status
# (not in a $(...): only this shell can wait for its child).
stop_wrapped() {
	kill -TERM "$DPID" 2>/dev/null
	wait "$WPID"
	STOP_RC=$?
}
proc_field() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }

# expand_filter GROUP...: the syscall names a SystemCallFilter= allows.
expand_filter() {
	local -A seen=()
	local todo=("$@") g s
	while [ ${#todo[@]} -gt 0 ]; do
		g=${todo[0]}
		todo=("${todo[@]:1}")
		case $g in @*) ;; *) echo "$g"; continue ;; esac
		[ -n "${seen[$g]:-}" ] && continue
		seen[$g]=1
		while read -r s; do
			case $s in '' | '#'*) ;; @*) todo+=("$s") ;; *) echo "$s" ;; esac
		done < <(systemd-analyze syscall-filter "$g" 2>/dev/null | tail -n +2)
	done | sort -u
}

# trace_checks WHAT WHOSE TRACE FILTER FAMILIES: two checks on an strace -f
# log: every syscall in it is one FILTER (SystemCallFilter='s words)
# allows, every socket family one of FAMILIES.  Sets TRACE_USED (the
# syscalls, one a line) and TRACE_FAMS (the families, sorted, one space).
trace_checks() {
	local allowed outside bad="" f
	# shellcheck disable=SC2086 # one group or name per word
	allowed=$(expand_filter $4)
	TRACE_USED=$(sed -n 's/^[0-9]* *\(<\.\.\. \)\{0,1\}\([a-z0-9_][a-z0-9_]*\)[( ].*/\2/p' "$3" | sort -u)
	outside=$(comm -23 <(printf '%s\n' "$TRACE_USED") <(printf '%s\n' "$allowed") | tr '\n' ' ')
	check_eq "$1: every syscall of $2 lifetime is in SystemCallFilter=$4" "" "$outside"
	TRACE_FAMS=$(grep -o 'socket(AF_[A-Z0-9]*' "$3" | sed 's/socket(//' | sort -u | tr '\n' ' ' |
		sed 's/ $//')
	for f in $TRACE_FAMS; do
		case " $5 " in *" $f "*) ;; *) bad="$bad $f" ;; esac
	done
	check_eq "$1: socket families ($TRACE_FAMS) within RestrictAddressFamilies" "" "$bad"
}

topo_add_isolated sbx
filter=$(sed -n 's/^SystemCallFilter=//p' "$unit")
families=$(sed -n 's/^RestrictAddressFamilies=//p' "$unit")
trace=""
case $SNR_BUILD in *asan*) ;; *) command -v strace >/dev/null && trace=$T/sbx.trace ;; esac
# shellcheck disable=SC2054 # setpriv's capability lists use commas
wrap=(setpriv --bounding-set=-all,+net_admin --inh-caps=-all --no-new-privs)
[ -n "$trace" ] && wrap+=(strace -f -qq -o "$trace")
if start_wrapped sbx "$T/spoke-a.json" "$T/sbx.sock" "${wrap[@]}"; then
	ok "unit sandbox: spoke-a starts with only CAP_NET_ADMIN and no_new_privs"
	check "unit sandbox: subnetra status answers" \
		nsx sbx env SUBNETRA_SOCK="$T/sbx.sock" "$SUBNETRA" status
	check_eq "unit sandbox: capabilities after start-up" "0000000000000000 1" \
		"$(proc_field "$DPID" CapEff) $(proc_field "$DPID" NoNewPrivs)"
	# The ExecStartPost lines as written (paths of this build): the wait
	# for the socket, then the plan of deploy/spoke-a.json, which the
	# daemon has applied itself already: they must succeed all the same.
	n=0
	while IFS= read -r cmd; do
		n=$((n + 1))
		check "unit ExecStartPost line $n runs: ${cmd:0:60}" \
			nsx sbx env SUBNETRA_SOCK="$T/sbx.sock" sh -c "$cmd"
	done < <(sed -n 's/^ExecStartPost=//p' "$U/variants/subnetrad.service")
	check_eq "unit ExecStartPost lines: a wait and the two plan commands" 3 "$n"
	a=$(ip -n "${NODE_NS[sbx]}" addr show snr0)
	check_match "ExecStartPost applied the plan: snr0 MTU 1436" ' mtu 1436 ' "$a"
	check_match "ExecStartPost applied the plan: 10.0.0.2/24 on snr0" 'inet 10\.0\.0\.2/24 ' "$a"
	stop_wrapped
	check_eq "unit sandbox: SIGTERM -> exit 0" 0 "$STOP_RC"
	if [ -n "$trace" ]; then
		trace_checks "unit sandbox" "the daemon's" "$trace" "$filter" "$families"
	else
		ok "unit sandbox: syscalls within SystemCallFilter # SKIP no strace, or a sanitizer build"
	fi
else
	not_ok "unit sandbox: spoke-a starts with only CAP_NET_ADMIN and no_new_privs"
fi

# ---- the agent under its unit's sandbox -----------------------------------------------------

# A mesh node (agt, isolated) and `subnetra agent` beside it as
# deploy/subnetra-agent.service runs it: no capability (empty bounding
# set), no_new_privs, the file system read-only but its state_dir
# (ProtectSystem=strict + StateDirectory=: the test's directory stands in
# for /, remounted read-only in a mount namespace, state_dir bound
# writable again); traced: every syscall in the unit's SystemCallFilter,
# every socket family in RestrictAddressFamilies, no file opened in /tmp
# (PrivateTmp= would hide it; the test's own directory is there) or in
# /proc but its own (ProcSubset=pid).  It
# must reach the control socket (on the read-only mount) and state_dir:
# its managed file names the server and the daemon took it.
aunit=$DEPLOY/subnetra-agent.service
for line in 'NoNewPrivileges=yes' 'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' \
	'PrivateDevices=yes' 'ProtectProc=invisible' 'ProcSubset=pid' 'PrivateIPC=yes' \
	'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' 'SystemCallFilter=@system-service' \
	'SystemCallFilter=~@privileged @resources' 'AmbientCapabilities=' \
	'StateDirectoryMode=0700' 'UMask=0077'; do
	check "subnetra-agent.service has $line" grep -qxF -- "$line" "$aunit"
done
# shellcheck source=tests/netns/lib_mesh.sh
. "$(dirname "$0")/lib_mesh.sh"
topo_add_isolated agt
mesh_ipv6_on "${NODE_NS[agt]}" agt
mesh_identity agt
MGMT_ADDR=fc94::4d
MESH_EXTRA[agt]="\"management\": { \"url\": \"http://[$MGMT_ADDR]:8080/\" },"
mesh_config agt
mkdir -m 0700 "$T/agt.state"
ip netns exec "${NODE_NS[agt]}" env SUBNETRA_SOCK="$T/agt.sock" SUBNETRA_TUN="$TUN" \
	"$SUBNETRAD" --config "$T/agt.json" </dev/null >"$T/agt.log" 2>&1 &
AGT_DPID=$!
bg_track "$AGT_DPID"
ALL_LOGS+=("$T/agt.log" "$T/agt.agent.log")
wait_until 10 grep -q '\[ready\]' "$T/agt.log" || bail "agt: subnetrad did not print [ready]"
afilter=$(sed -n 's/^SystemCallFilter=//p' "$aunit" | grep -v '^~')
afamilies=$(sed -n 's/^RestrictAddressFamilies=//p' "$aunit")
atrace=""
# the trace in a directory of its own, writable like state_dir (strace runs in the sandbox)
mkdir -m 0700 "$T/agt.out"
case $SNR_BUILD in *asan*) ;; *) command -v strace >/dev/null && atrace=$T/agt.out/trace ;; esac
# shellcheck disable=SC2054 # setpriv's capability lists use commas
awrap=(setpriv --bounding-set=-all --inh-caps=-all --no-new-privs)
[ -n "$atrace" ] && awrap+=(strace -f -qq -o "$atrace")
# shellcheck disable=SC2016 # expanded by that sh: $0 is $T
ip netns exec "${NODE_NS[agt]}" env SUBNETRA_SOCK="$T/agt.sock" unshare --mount sh -c '
	mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" &&
	for d in agt.state agt.out; do
		mount --bind "$0/$d" "$0/$d" && mount -o remount,bind,rw "$0/$d" || exit 1
	done && exec "$@"' "$T" "${awrap[@]}" "$SUBNETRA" agent --config "$T/agt.json" \
	</dev/null >"$T/agt.agent.log" 2>&1 &
AGT_APID=$!
bg_track "$AGT_APID"
agt() { ip netns exec "${NODE_NS[agt]}" env SUBNETRA_SOCK="$T/agt.sock" "$SUBNETRA" "$@"; }
check "agent sandbox: the agent names the server to the daemon (state_dir written, managed reload on the control socket)" \
	wait_until 15 eval "agt managed ls | grep -qx 'server $MGMT_ADDR'"
check "agent sandbox: managed reload ok in its log" grep -q 'managed reload: ok' "$T/agt.agent.log"
check_match "agent sandbox: agent status (agent.status in state_dir): stage not-joined" \
	'stage: not-joined' "$(agt agent status --config "$T/agt.json" 2>&1)"
# a join (nothing serves the URL): the request file read, TCP to the server tried
agt join snj_89144gj2_k6csk6csk6csk6csk6csk6csk6csk6cs_wt08yczvxj3sem92g15ckkpthr \
	--config "$T/agt.json" --timeout 2 >"$T/agt.join.out" 2>&1
check_eq "agent sandbox: a join with no server: exit 1 (no answer in time)" 1 $?
check_match "agent sandbox: ... the agent took the request (stage license)" 'stage: license' \
	"$(agt agent status --config "$T/agt.json" 2>&1)"
check_eq "agent sandbox: nothing written outside state_dir (read-only file system refused nothing)" \
	"" "$(grep -i 'read-only' "$T/agt.agent.log")"
APID=$(sed -n 's/^pid //p' "$T/agt.state/agent.status")
check_eq "agent sandbox: no capability, no_new_privs" "0000000000000000 0000000000000000 1" \
	"$(proc_field "$APID" CapEff) $(proc_field "$APID" CapBnd) $(proc_field "$APID" NoNewPrivs)"
kill -TERM "$APID"
wait "$AGT_APID"
check_eq "agent sandbox: SIGTERM -> exit 0" 0 $?
if [ -n "$atrace" ]; then
	trace_checks "agent sandbox" "the agent's" "$atrace" "$afilter" "$afamilies"
	# shellcheck disable=SC2046 # one group per word, the leading ~ removed
	denied=$(expand_filter $(sed -n 's/^SystemCallFilter=~//p' "$aunit"))
	hit=$(comm -12 <(printf '%s\n' "$TRACE_USED") <(printf '%s\n' "$denied") | tr '\n' ' ')
	check_eq "agent sandbox: none in the unit's denied groups" "" "$hit"
	check_match "agent sandbox: ... the server tried over TCP/IPv6, the daemon over AF_UNIX" \
		'AF_INET6 AF_UNIX' "$TRACE_FAMS"
	check_eq "agent sandbox: nothing read under /proc but its own (ProcSubset=pid)" "" \
		"$(grep -oE 'open(at)?\([^"]*"/proc/[^"]*"' "$atrace" | grep -vE '"/proc/(self|thread-self)/' | sort -u | tr '\n' ' ')"
	check_eq "agent sandbox: no file opened in /tmp but the test's (PrivateTmp=)" "" \
		"$(grep -oE 'open(at)?\([^"]*"/tmp/[^"]*"' "$atrace" | grep -vF "\"$T/" | sort -u | tr '\n' ' ')"
else
	ok "agent sandbox: syscalls within SystemCallFilter # SKIP no strace, or a sanitizer build"
fi
kill -TERM "$AGT_DPID"
wait "$AGT_DPID"

# The User= variant: unprivileged from the first instruction, ambient CAP_NET_ADMIN.
# CAP_NET_ADMIN does not bypass file permissions: the user must also be able
# to open /dev/net/tun, which udev's default rule makes 0666 and a host
# without udev leaves 0600 root (docs/deployment.md, "Running unprivileged").
# So the test brings its own node, in a private mount namespace, instead of
# depending on the host's: tun_wrap MODE sets TUN_WRAP to words that run the
# rest of a command line with a tmpfs over /dev/net holding only a tun node
# of MODE (root:root); unshare and sh exec in place, so the command keeps the
# wrapper's pid.
tun_wrap() {
	# shellcheck disable=SC2016 # expanded by that sh; $0 is MODE
	TUN_WRAP=(unshare --mount sh -c 'mount -t tmpfs -o mode=0755 snr-dev /dev/net &&
		mknod -m "$0" /dev/net/tun c 10 200 && exec "$@"' "$1")
}
# The user runs a copy of the daemon in a 0755 directory: the checkout may sit
# in a private (0700) directory it cannot traverse.
install -d -m 0755 "$T/bin"
install -m 0755 "$SUBNETRAD" "$T/bin/subnetrad"
topo_add_isolated usr
mkdir -m 0700 "$T/usr"
cp "$T/spoke-a.json" "$T/usr/config.json"
chown -R nobody "$T/usr"
chmod 0600 "$T/usr/config.json"
# shellcheck disable=SC2054 # setpriv's capability lists use commas
as_nobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups --bounding-set=-all,+net_admin
	--inh-caps=-all,+net_admin --ambient-caps=-all,+net_admin --no-new-privs)
SUBNETRAD_SAVED=$SUBNETRAD
SUBNETRAD=$T/bin/subnetrad
tun_wrap 0666
if start_wrapped usr "$T/usr/config.json" "$T/usr/subnetra.sock" "${TUN_WRAP[@]}" "${as_nobody[@]}"; then
	ok "User= variant: starts as nobody with ambient CAP_NET_ADMIN (/dev/net/tun 0666, as udev makes it)"
	check_eq "User= variant: runs as uid 65534 with no capability left" "65534 0000000000000000" \
		"$(proc_field "$DPID" Uid | cut -f1) $(proc_field "$DPID" CapEff)"
	check "User= variant: root's subnetra status answers" \
		nsx usr env SUBNETRA_SOCK="$T/usr/subnetra.sock" "$SUBNETRA" status
	stop_wrapped
	check_eq "User= variant: SIGTERM -> exit 0" 0 "$STOP_RC"
else
	not_ok "User= variant: starts as nobody with ambient CAP_NET_ADMIN (/dev/net/tun 0666, as udev makes it)"
fi
# What the docs say a host without udev gets: a 0600 root node refuses the user.
tun_wrap 0600
out=$(nsx usr env SUBNETRA_SOCK="$T/usr/subnetra.sock" SUBNETRA_TUN="$TUN" "${TUN_WRAP[@]}" \
	"${as_nobody[@]}" "$SUBNETRAD" --config "$T/usr/config.json" 2>&1 </dev/null)
rc=$?
check_match "User= variant, /dev/net/tun 0600 root (no udev): refused, says so (exit $rc)" \
	'TUN.*Permission denied' "$out"
SUBNETRAD=$SUBNETRAD_SAVED

# As documented in the unit: the config's "user" cannot work under its bounding set.
sed 's/"local_id": 2,/"local_id": 2, "user": "nobody",/' "$T/spoke-a.json" >"$T/user.json"
chmod 0600 "$T/user.json"
out=$(nsx usr env SUBNETRA_SOCK="$T/usr2.sock" setpriv --bounding-set=-all,+net_admin \
	--no-new-privs "$SUBNETRAD" --config "$T/user.json" 2>&1 </dev/null)
check_eq "unit + config \"user\": refused at start (exit 1), as the unit says" 1 "$?"
check_match "unit + config \"user\": the reason is a permission error" 'Operation not permitted' "$out"

# ---- container ----------------------------------------------------------------------------------

# PID 1 of a PID namespace ignores signals it has no handler for; the daemon
# takes SIGTERM through signalfd, so `docker stop` works.
topo_add_isolated pid1
UNSHARE=$(command -v unshare)
if start_wrapped pid1 "$T/spoke-a.json" "$T/pid1.sock" "$UNSHARE" --pid --fork --kill-child; then
	check_eq "container: the daemon is PID 1 of its namespace" 1 \
		"$(proc_field "$DPID" NSpid | awk '{print $NF}')"
	stop_wrapped
	check_eq "container: PID 1 stops cleanly on SIGTERM (docker stop)" 0 "$STOP_RC"
else
	not_ok "container: daemon as PID 1 of its own PID namespace starts"
fi

check "compose.yaml: NET_ADMIN, /dev/net/tun, config mounted into /etc/subnetra" "$PY" -c '
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
s = d["services"]["subnetra"]
assert "NET_ADMIN" in s["cap_add"], "cap_add"
assert any(str(x).split(":")[0] == "/dev/net/tun" for x in s["devices"]), "devices"
assert any(str(v).split(":")[1] == "/etc/subnetra/config.json" for v in s["volumes"]), "volumes"
assert "image" in s or "build" in s, "image"
assert s.get("healthcheck", {}).get("disable") is not True, "healthcheck"
' "$DEPLOY/compose.yaml"

# The Dockerfile, read as docker would: instructions, stages, COPY sources,
# and what the images run.  Prints the ${DIST} copies and each image's
# WORKDIR/ENV/ENTRYPOINT/CMD/HEALTHCHECK for the emulation below.
if "$PY" - "$DEPLOY/Dockerfile" "$SNR_ROOT" >"$T/dockerfile.txt" 2>"$T/dockerfile.err" <<'EOF'
import json, os, re, sys
path, root = sys.argv[1], sys.argv[2]
KNOWN = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
         "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"}
lines, cur = [], ""
for raw in open(path):
    s = raw.rstrip("\n")
    if re.match(r"^\s*#", s) and not cur:
        continue
    if re.match(r"^\s*#", s):
        continue  # comment line inside a continuation: docker drops it
    if s.endswith("\\"):
        cur += s[:-1] + " "
        continue
    cur += s
    if cur.strip():
        lines.append(cur.strip())
    cur = ""
stages, images, copies = [], {}, []
for l in lines:
    ins, _, rest = l.partition(" ")
    ins = ins.upper()
    assert ins in KNOWN, "unknown instruction " + ins
    if ins == "FROM":
        m = re.match(r"(\S+)(?:\s+AS\s+(\S+))?$", rest.strip(), re.I)
        assert m, "bad FROM " + rest
        stages.append(m.group(2) or str(len(stages)))
        images[stages[-1]] = {"env": {}, "base": m.group(1)}
        continue
    assert stages or ins == "ARG", ins + " before FROM"
    img = images[stages[-1]] if stages else None
    if ins == "COPY":
        args = rest.split()
        frm = [a for a in args if a.startswith("--from=")]
        args = [a for a in args if not a.startswith("--")]
        if frm:
            assert frm[0][7:] in stages[:-1], "COPY --from unknown stage " + frm[0]
        else:
            for src in args[:-1]:
                if src.startswith("${DIST}/"):
                    copies.append((src[8:], args[-1]))
                else:
                    assert os.path.exists(os.path.join(root, src)), "missing " + src
    elif ins == "ENV":
        for k, v in re.findall(r"(\w+)=(\S+)", rest):
            img["env"][k] = v
    elif ins in ("ENTRYPOINT", "CMD"):
        img[ins] = json.loads(rest)
    elif ins == "WORKDIR":
        img["WORKDIR"] = rest.strip()
    elif ins == "HEALTHCHECK":
        m = re.search(r"CMD\s+(\[.*\])", rest)
        assert m, "HEALTHCHECK without an exec-form CMD"
        img["HEALTHCHECK"] = json.loads(m.group(1))
dests = {d for _, d in copies}
for name in ("scratch", "busybox"):
    img = images[name]
    assert img["WORKDIR"] == "/etc/subnetra", name + " WORKDIR"
    assert img["HEALTHCHECK"][1:] == ["status"], name + " HEALTHCHECK"
    assert img["HEALTHCHECK"][0].replace("/usr/local", "/rootfs/usr/local") in dests, name + " health binary"
    assert img["ENTRYPOINT"][0].replace("/usr/local", "/rootfs/usr/local") in dests, name + " entrypoint"
assert stages[-1] == "busybox", "the default (last) stage is busybox"
for src, dst in copies:
    print("copy", src, dst.replace("/rootfs", "", 1))
img = images["scratch"]
print("workdir", img["WORKDIR"])
print("env", " ".join(k + "=" + v for k, v in img["env"].items()))
print("run", " ".join(img["ENTRYPOINT"] + img["CMD"]))
print("health", " ".join(img["HEALTHCHECK"]))
EOF
then
	ok "Dockerfile: known instructions, stages, COPY sources, WORKDIR /etc/subnetra, HEALTHCHECK subnetra status"
else
	not_ok "Dockerfile: known instructions, stages, COPY sources, WORKDIR /etc/subnetra, HEALTHCHECK subnetra status"
	diag "$(cat "$T/dockerfile.err")"
fi

# The image's root file system, as the Dockerfile builds it, from static
# release binaries: chrooted, PID 1, /dev/net/tun as --device gives it.
DIST=${SUBNETRA_DIST:-$SNR_ROOT/dist}
# No program interpreter = static (ldd is no test: it exits 0 on the
# release's static-pie binaries, saying "statically linked").
is_static() {
	local h
	h=$(LC_ALL=C readelf -l "$1" 2>/dev/null) || return 1
	! grep -q 'Requesting program interpreter' <<<"$h"
}
if is_static "$DIST/subnetrad" && is_static "$DIST/subnetra" && [ -s "$T/dockerfile.txt" ]; then
	R=$T/rootfs
	mkdir -p "$R/proc" "$R/dev/net" "$R/run" "$R/tmp"
	mknod "$R/dev/net/tun" c 10 200
	while read -r what a b; do
		[ "$what" = copy ] || continue
		mkdir -p "$R$(dirname "$b")"
		install -m 0755 "$DIST/$a" "$R$b"
	done <"$T/dockerfile.txt"
	install -D -m 0600 "$T/spoke-a.json" "$R/etc/subnetra/config.json"
	read -r -a img_env <<<"$(sed -n 's/^env //p' "$T/dockerfile.txt")"
	read -r -a img_run <<<"$(sed -n 's/^run //p' "$T/dockerfile.txt")"
	read -r -a img_health <<<"$(sed -n 's/^health //p' "$T/dockerfile.txt")"
	workdir=$(sed -n 's/^workdir //p' "$T/dockerfile.txt")
	topo_add_isolated ctr
	CHROOT=$(command -v chroot)
	# shellcheck disable=SC2317 # called through check
	health() { nsx ctr env -i "${img_env[@]}" "$CHROOT" "$R" "${img_health[@]}"; }
	# start_wrapped appends "$SUBNETRAD --config FILE"; the image runs its own.
	SUBNETRAD_SAVED=$SUBNETRAD
	SUBNETRAD=${img_run[0]}
	if start_wrapped ctr "${img_run[2]}" "/run/subnetra/subnetra.sock" env -i "${img_env[@]}" \
		"$UNSHARE" --pid --fork --kill-child --mount --mount-proc --root="$R" --wd="$workdir"; then
		ok "container rootfs: the image's ENTRYPOINT/CMD starts, chrooted, as PID 1"
		check "container rootfs: HEALTHCHECK (${img_health[*]}) passes" health
		stop_wrapped
		check_eq "container rootfs: SIGTERM -> exit 0" 0 "$STOP_RC"
		check_fails "container rootfs: HEALTHCHECK fails once the daemon is gone" health
	else
		not_ok "container rootfs: the image's ENTRYPOINT/CMD starts, chrooted, as PID 1"
	fi
	SUBNETRAD=$SUBNETRAD_SAVED
else
	ok "container rootfs from static binaries # SKIP no static subnetrad/subnetra in $DIST (make release)"
fi

# ---- install.sh -----------------------------------------------------------------------------------

INST=$DEPLOY/install.sh
REL=$T/release
PKG=subnetra-$VERSION-linux-$(uname -m)
mkdir -p "$REL/stage/$PKG"
cp "$SUBNETRAD" "$SUBNETRA" "$DEPLOY/subnetrad.service" "$REL/stage/$PKG/"
tar -czf "$REL/$PKG.tar.gz" -C "$REL/stage" "$PKG"
(cd "$REL" && sha256sum "$PKG.tar.gz" >SHA256SUMS.txt &&
	echo "$(printf '0%.0s' $(seq 64))  subnetra-other-asset.tar.gz" >>SHA256SUMS.txt)
TB=$REL/$PKG.tar.gz

# Comments and the advice it prints (echo/printf) aside, no network or
# service command appears anywhere in install.sh.
check_fails "install.sh: runs no network or service command (ip, nft, systemctl, ...)" \
	grep -nE '(^|[;&|({`][[:space:]]*|^[[:space:]]*)(ip|iptables|nft|ifconfig|route|sysctl|systemctl|launchctl|service)[[:space:]]' \
	<(sed -e '/^[[:space:]]*#/d' -e 's/echo ".*"//' -e "s/printf '.*'//" "$INST")

D=$T/dest1
out=$(sh "$INST" --yes --service --destdir "$D" "$TB" 2>&1)
check_eq "install.sh --yes --service: exit 0" 0 "$?" || diag "$out"
check_eq "install.sh: subnetrad installed 0755 and runs" "755 subnetrad v$VERSION" \
	"$(stat -c %a "$D/usr/local/sbin/subnetrad" 2>&1) $("$D/usr/local/sbin/subnetrad" --version 2>&1)"
check "install.sh: subnetra installed, identical to the tarball's" cmp "$SUBNETRA" "$D/usr/local/bin/subnetra"
check "install.sh --service: unit installed as shipped" cmp "$DEPLOY/subnetrad.service" \
	"$D/etc/systemd/system/subnetrad.service"
check_eq "install.sh: nothing else written" \
	"etc/systemd/system/subnetrad.service usr/local/bin/subnetra usr/local/sbin/subnetrad" \
	"$(cd "$D" && find . -type f | sed 's#^\./##' | sort | tr '\n' ' ' | sed 's/ $//')"
check_match "install.sh: says nothing is enabled or started" 'not enabled, not started' "$out"

D=$T/dest2
check "install.sh --dir /opt/subnetra/bin --service (dash)" \
	dash "$INST" -y --service --dir /opt/subnetra/bin --destdir "$D" "$TB"
check_match "install.sh --dir: the unit runs the daemon where it was put" \
	'^ExecStart=/opt/subnetra/bin/subnetrad --config' "$(cat "$D/etc/systemd/system/subnetrad.service")"
sed "s#/opt/subnetra/bin/#$D/opt/subnetra/bin/#g" "$D/etc/systemd/system/subnetrad.service" \
	>"$U/installed.service"
verify_clean "install.sh --dir: the rewritten unit verifies (paths mapped into the staging dir)" \
	"$U/installed.service"
ino1=$(stat -c %i "$D/opt/subnetra/bin/subnetrad")
if command -v busybox >/dev/null 2>&1; then
	out=$(busybox sh "$INST" -y --dir /opt/subnetra/bin --destdir "$D" "$TB" 2>&1)
	check_eq "install.sh again under BusyBox ash: exit 0" 0 "$?" || diag "$out"
else
	out=$(sh "$INST" -y --dir /opt/subnetra/bin --destdir "$D" "$TB" 2>&1)
	ok "install.sh under BusyBox ash # SKIP busybox not installed"
fi
check_match "install.sh: shows the version already installed" \
	"already installed: subnetrad v$VERSION" "$out"
check_eq "install.sh: replaces the binary by rename (new inode)" 1 \
	"$([ "$(stat -c %i "$D/opt/subnetra/bin/subnetrad")" != "$ino1" ] && echo 1 || echo 0)"

# refused: tampered tarball, tampered / missing / incomplete SHA256SUMS.txt
refused() { # DESC DESTDIR ARGS...: exit 1 and nothing written
	local desc=$1 d=$2 out rc
	shift 2
	out=$(sh "$INST" -y --destdir "$d" "$@" 2>&1)
	rc=$?
	if [ "$rc" -eq 1 ] && [ ! -e "$d" ]; then
		ok "$desc"
	else
		not_ok "$desc"
		diag "exit $rc; $d exists: $([ -e "$d" ] && echo yes || echo no)" "$out"
	fi
	LAST_OUT=$out
}
mkdir -p "$T/bad1" "$T/bad2" "$T/bad3" "$T/bad4"
cp "$REL/SHA256SUMS.txt" "$T/bad1/"
{ cat "$TB"; printf 'x'; } >"$T/bad1/$PKG.tar.gz"
refused "install.sh: a tampered tarball is refused, nothing written" "$T/d-bad1" "$T/bad1/$PKG.tar.gz"
check_match "install.sh: says it does not match" 'does not match its SHA256SUMS.txt entry' "$LAST_OUT"
cp "$TB" "$T/bad2/"
# one hex digit of each hash changed
awk '{ c = substr($1, 1, 1); print (c == "0" ? "1" : "0") substr($1, 2) "  " $2 }' \
	"$REL/SHA256SUMS.txt" >"$T/bad2/SHA256SUMS.txt"
refused "install.sh: a tampered SHA256SUMS.txt is refused" "$T/d-bad2" "$T/bad2/$PKG.tar.gz"
cp "$TB" "$T/bad3/"
refused "install.sh: no SHA256SUMS.txt -> refused" "$T/d-bad3" "$T/bad3/$PKG.tar.gz"
cp "$TB" "$T/bad4/"
grep -v "$PKG" "$REL/SHA256SUMS.txt" >"$T/bad4/SHA256SUMS.txt"
refused "install.sh: SHA256SUMS.txt without an entry for the tarball -> refused" "$T/d-bad4" \
	"$T/bad4/$PKG.tar.gz"
refused "install.sh: a missing tarball -> exit 1" "$T/d-bad5" "$T/nonexistent.tar.gz"
out=$(setsid -w sh "$INST" --destdir "$T/d-tty" "$TB" </dev/null 2>&1)
check_eq "install.sh without --yes and without a terminal: refused, nothing written" "1 no" \
	"$? $([ -e "$T/d-tty" ] && echo yes || echo no)"
out=$(sh "$INST" 2>&1)
check_eq "install.sh without a tarball: exit 2" 2 "$?"
out=$(sh "$INST" --bogus "$TB" 2>&1)
check_eq "install.sh --bogus: exit 2" 2 "$?"
if command -v script >/dev/null 2>&1; then
	printf 'n\n' | script -qec "sh '$INST' --destdir '$T/d-no' '$TB'" /dev/null >"$T/tty-no.out" 2>&1
	check_eq "install.sh on a terminal, answer n: nothing written" no \
		"$([ -e "$T/d-no" ] && echo yes || echo no)"
	printf 'y\n' | script -qec "sh '$INST' --destdir '$T/d-yes' '$TB'" /dev/null >"$T/tty-yes.out" 2>&1
	check "install.sh on a terminal, answer y: installed" test -x "$T/d-yes/usr/local/sbin/subnetrad"
	check "install.sh on a terminal: it asked" grep -q 'proceed? \[y/N\]' "$T/tty-yes.out"
else
	ok "install.sh interactive prompt # SKIP no script(1)"
fi

# ---- OpenWrt procd init script ----------------------------------------------------------------

INIT=$DEPLOY/openwrt/subnetrad.init
check "openwrt init: shell syntax" sh -n "$INIT"
cat >"$T/procd-stub.sh" <<'EOF'
procd_open_instance() { echo "open" >>"$REC"; }
procd_set_param() { echo "param $*" >>"$REC"; }
procd_close_instance() { echo "close" >>"$REC"; }
procd_add_reload_trigger() { echo "trigger $*" >>"$REC"; }
logger() { echo "logger $*" >>"$REC"; }
EOF
for sh in dash "busybox sh"; do
	command -v "${sh%% *}" >/dev/null 2>&1 || continue
	for cfg in good bad; do
		case $cfg in good) c=$T/spoke-a.json ;; bad) c=$DEPLOY/spoke-a.json ;; esac
		sed -e "s#^PROG=.*#PROG=$SUBNETRAD#" -e "s#^CONFIG=.*#CONFIG=$c#" "$INIT" >"$T/init.$cfg"
		: >"$T/rec.$cfg"
		# shellcheck disable=SC2086 # "busybox sh" is two words
		REC=$T/rec.$cfg $sh -c ". '$T/procd-stub.sh'; . '$T/init.$cfg'; start_service; echo rc=\$? >>\"\$REC\"; service_triggers" 2>/dev/null
	done
	check_eq "openwrt init ($sh): a valid config gives one respawning instance" \
		"open|param command $SUBNETRAD --config $T/spoke-a.json|param env SUBNETRA_SOCK=/run/subnetra/subnetra.sock SUBNETRA_TUN=snr0|param respawn 3600 5 5|param stdout 1|param stderr 1|param file $T/spoke-a.json|close|rc=0|trigger network" \
		"$(tr '\n' '|' <"$T/rec.good" | sed 's/|$//')"
	check_eq "openwrt init ($sh): a config failing --check starts nothing" "0 1" \
		"$(grep -c '^open' "$T/rec.bad") $(grep -c '^rc=1$' "$T/rec.bad")"
	check "openwrt init ($sh): the --check error goes to the log" \
		grep -q "logger .*peers\[0\]\.psk: InvalidPsk" "$T/rec.bad"
done

# ---- launchd plist ----------------------------------------------------------------------------------

PLIST=$DEPLOY/net.subnetra.subnetrad.plist
check "plist: well-formed XML (xmllint)" xmllint --noout "$PLIST"
# Apple's PropertyList-1.0 DTD (public), to validate against offline.
cat >"$T/plist.dtd" <<'EOF'
<!ENTITY % plistObject "(array | data | date | dict | real | integer | string | true | false )" >
<!ELEMENT plist %plistObject;>
<!ATTLIST plist version CDATA "1.0" >
<!ELEMENT array (%plistObject;)*>
<!ELEMENT dict (key, %plistObject;)*>
<!ELEMENT key (#PCDATA)>
<!ELEMENT string (#PCDATA)>
<!ELEMENT data (#PCDATA)>
<!ELEMENT date (#PCDATA)>
<!ELEMENT true EMPTY>
<!ELEMENT false EMPTY>
<!ELEMENT real (#PCDATA)>
<!ELEMENT integer (#PCDATA)>
EOF
check "plist: valid against the plist DTD" xmllint --noout --nonet --dtdvalid "$T/plist.dtd" "$PLIST"
check "plist: label, program, RunAtLoad, restart on failure, log file" "$PY" -c '
import plistlib, sys
p = plistlib.load(open(sys.argv[1], "rb"))
assert p["Label"] == "net.subnetra.subnetrad"
assert p["ProgramArguments"] == ["/usr/local/sbin/subnetrad", "--config", "/etc/subnetra/config.json"]
assert p["RunAtLoad"] is True and p["KeepAlive"] == {"SuccessfulExit": False}
assert p["StandardErrorPath"] == "/var/log/subnetrad.log"
' "$PLIST"

# ---- man pages ----------------------------------------------------------------------------------------

# Every installed program has a page: subnetrad, subnetra, the Makefile's
# SHIPPED_TOOLS, and tools/doctor.sh (installed as subnetra-doctor).
progs="subnetrad subnetra subnetra-doctor"
for t in $(sed -n 's/^SHIPPED_TOOLS *:= *//p' "$SNR_ROOT/Makefile"); do progs="$progs subnetra-$t"; done
for p in $progs; do
	page=$(find "$MANDIR" -name "$p.[18]" | head -n 1)
	if [ -z "$page" ]; then
		not_ok "man: $p has a page in man/"
		continue
	fi
	out=$(groff -man -ww -z "$page" 2>&1)
	out+=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
	check_eq "man: $(basename "$page") renders without warnings" "" "$out"
	check_match "man: $(basename "$page") NAME line parses (whatis)" "^$page: \"$p - " \
		"$(lexgrog "$page" 2>&1)"
	case $p in
	subnetrad | subnetra) help=$("$SNR_BUILD/$p" --help 2>&1) ;;
	subnetra-doctor) help=$(sh "$SNR_ROOT/tools/doctor.sh" --help 2>&1) ;;
	*) help=$("$SNR_BUILD/$p" --help 2>&1) ;;
	esac
	missing=""
	for o in $(printf '%s\n' "$help" | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
		grep -qF -- "$(printf '%s' "$o" | sed 's/-/\\-/g')" "$page" || missing="$missing $o"
	done
	check_eq "man: $(basename "$page") documents every option of --help" "" "$missing"
done
if grep -q '^install-man:' "$SNR_ROOT/Makefile"; then
	MI=$T/maninst
	check "make install-man DESTDIR=... PREFIX=/usr/local" \
		make -s -C "$SNR_ROOT" install-man DESTDIR="$MI" PREFIX=/usr/local
	for page in "$MANDIR"/*.[18]; do
		s=${page##*.}
		check "make install-man: $(basename "$page") in share/man/man$s" \
			test -f "$MI/usr/local/share/man/man$s/$(basename "$page")"
	done
	check "man finds the installed subnetrad(8)" env MANPATH="$MI/usr/local/share/man" man -w 8 subnetrad
else
	ok "make install-man # SKIP the Makefile has no install-man target yet"
fi

done_testing
