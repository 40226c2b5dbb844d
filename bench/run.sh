#!/usr/bin/env bash
# `make bench`: our tunnel side by side with the raw veth underlay,
# wireguard-go and Nebula, in network namespaces this script creates (see
# bench/lib.sh for the topology), plus the no-I/O crypto figures of
# subnetra-bench-wire and the peer-scale run (bench/peers.sh).
#
#   ROUNDS=3 SECS=10 SYSTEMS=a,b,... WGGO=/path/to/wireguard-go bench/run.sh
#
# ROUNDS     rounds; every round runs every system once, in order, so machine
#            noise hits each alike (default 3)
# SECS       seconds per workload (default 10; quick smoke: ROUNDS=1 SECS=3)
# SYSTEMS    comma list, default: veth, subnetra-direct, subnetra-relay,
#            subnetra-direct-openssl, wggo, nebula, and the mesh ones
#            below (about 20 minutes in all).
#            Mesh mode (bench/sys_mesh.sh): mesh-direct, mesh-relay,
#            mesh-flood; its scale rows (bench/mesh_scale.sh), run once
#            after the rounds: mesh-handshake, mesh-nat (the NAT-lab
#            timings, ROUNDS fresh starts), mesh-base-scale, mesh-peer-scale
#            (all seven are in the default list).
#            The management server (bench/mgmt_rows.sh), run once after
#            the rounds: mgmt-sqlite, mgmt-pg (5,000 simulated devices
#            long-polling one subnetra-mgmtd on SQLite, or two on one
#            PostgreSQL; one API change to every affected device, RSS, API
#            writes per second) and mgmt-net1000 (one network of 1,000
#            devices); all three are in the default list.
#            Also known: subnetra-relay-openssl, subnetra-*-noobfs
#            (obfuscation off), subnetra-*-w2 ("workers": 2 on every node),
#            wggo-debian (Debian's, next to WGGO).
# WGGO       the wireguard-go binary of system "wggo" (default Debian's)
# BASE       a build directory of another commit (its subnetrad, subnetra):
#            systems named subnetra-*-base run it, so one interleaved run
#            compares before and after (e.g. SYSTEMS=subnetra-direct,
#            subnetra-direct-base BASE=../old/build-bench)
# PEERS      peer counts of the peer-scale run (default "2 100 1000"; empty
#            skips it); PEER_SECS seconds per point (default min(SECS, 5))
# MESH_BASE_NODES  simulated nodes of mesh-base-scale (default 10000)
# MESH_PEERS       peer counts of mesh-peer-scale (default "2 1000"; the
#                  first is the baseline of the ratio)
# MESH_PEER_PPS    DATA packets per second offered in mesh-peer-scale
#                  (default 40000, the same at every size)
# MESH_FLOOD_RATE  forged HS_INITs per second of mesh-flood (default 50000)
# MGMT_DEVICES     simulated devices of mgmt-sqlite and mgmt-pg (default 5000)
# MGMT_GROUP       devices per network there (default 100)
# MGMT_WRITE_SECS  seconds of API writes there (default 10; 0 skips them)
# MGMT_BIG         devices of mgmt-net1000's one network (default 1000)
# PROFILE    1 (default): perf profiles of spoke and hub during a UDP flood
#            after the rounds (needs perf); 0 skips them
# WIRE_SECS  subnetra-bench-wire seconds per operation (default 1; 0.3 if SECS < 5)
# BENCH_NICE run everything measured at this nice value (e.g. -5) so that
#            other load on a shared machine disturbs it less (default: as is)
# BENCH_KEEP keep the temp dir (configs, logs, raw results)
# BENCH_COMMIT  label for the measured source (default: git HEAD)
#
# Needs root.  Installs what is missing (Debian packages, apt, no
# recommends), builds release binaries (the project's own flags) in
# build-bench, build-bench-openssl and build-bench-peers1024, prints the
# table and the target comparisons, and writes build/bench/latest.json.
set -u

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD

ROUNDS=${ROUNDS:-3}
SECS=${SECS:-10}
DEFAULT_SYSTEMS=veth,subnetra-direct,subnetra-relay,subnetra-direct-openssl,wggo,nebula,mesh-direct,mesh-relay,mesh-flood,mesh-handshake,mesh-nat,mesh-base-scale,mesh-peer-scale,mgmt-sqlite,mgmt-pg,mgmt-net1000
SYSTEMS=${SYSTEMS:-$DEFAULT_SYSTEMS}
WGGO=${WGGO:-}
PEERS=${PEERS-2 100 1000}

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
for f in "$ROOT"/bench/sys_*.sh "$ROOT/bench/peers.sh" "$ROOT/bench/profile.sh" "$ROOT/bench/mesh_scale.sh" \
	"$ROOT/bench/mgmt_rows.sh"; do
	# shellcheck disable=SC1090
	. "$f"
done

case $ROUNDS in '' | *[!0-9]*) die "ROUNDS must be a positive integer, got '$ROUNDS'" ;; esac
case $SECS in '' | *[!0-9]*) die "SECS must be a positive integer, got '$SECS'" ;; esac
{ [ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 50 ]; } || die "ROUNDS must be 1..50"
{ [ "$SECS" -ge 2 ] && [ "$SECS" -le 300 ]; } || die "SECS must be 2..300"
PEER_SECS=${PEER_SECS:-$((SECS < 5 ? SECS : 5))}
WIRE_SECS=${WIRE_SECS:-$([ "$SECS" -lt 5 ] && echo 0.3 || echo 1)}
IFS=, read -r -a ALL_SYS <<<"$SYSTEMS"
SYS_LIST=() # the systems of the rounds; the mesh and mgmt scale rows run once, after
MGMT_ROWS=0
for s in "${ALL_SYS[@]}"; do
	case $s in
	mesh-handshake | mesh-nat | mesh-base-scale | mesh-peer-scale) continue ;;
	mgmt-sqlite | mgmt-pg | mgmt-net1000)
		MGMT_ROWS=1
		continue
		;;
	subnetra-*-base*) [ -n "${BASE:-}" ] || die "system '$s' needs BASE=<another commit's build dir>" ;;
	veth | subnetra-direct* | subnetra-relay* | wggo | wggo-debian | nebula | mesh-direct | mesh-relay | mesh-flood) ;;
	*) die "unknown system '$s' (known: $DEFAULT_SYSTEMS, subnetra-relay-openssl, subnetra-*-noobfs, subnetra-*-w2, wggo-debian)" ;;
	esac
	SYS_LIST+=("$s")
done

# report: the table, the targets and build/bench/latest.json from the raw
# rows saved in build/bench/latest.{meta.tsv,tsv}.  REPORT_ONLY=1 bench/run.sh
# renders them again without measuring anything.
report() {
	local d=$ROOT/build/bench
	awk -v META="$d/latest.meta.tsv" -v json="$d/latest.json.tmp" \
		-v systems="$(sed -n 's/^systems\t//p' "$d/latest.meta.tsv")" \
		-f "$ROOT/bench/report.awk" "$d/latest.meta.tsv" "$d/latest.tsv" || die "report failed"
	mv "$d/latest.json.tmp" "$d/latest.json"
	jq -e . "$d/latest.json" >/dev/null || die "latest.json is not valid JSON"
	log "wrote build/bench/latest.json (raw rows: build/bench/latest.tsv)"
}
if [ -n "${REPORT_ONLY:-}" ]; then
	[ -f "$ROOT/build/bench/latest.tsv" ] || die "no build/bench/latest.tsv to report on"
	report
	exit 0
fi
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, TUN devices, raw sockets)"

# ---- dependencies (only what is missing) --------------------------------------

install_deps() {
	local pkgs=(build-essential pkg-config libsodium-dev libjson-c-dev libcap-ng-dev
		libseccomp-dev libssl-dev iproute2 iputils-ping iperf3 jq procps util-linux
		wireguard-go wireguard-tools nebula nftables) missing=() p
	# subnetra-mgmtd's libraries and its rows' tools (bench/mgmt_scale.sh)
	[ "$MGMT_ROWS" = 1 ] && pkgs+=(libmicrohttpd-dev libgnutls28-dev libsqlite3-dev libpq-dev
		sqlite3 curl python3-cryptography postgresql)
	for p in "${pkgs[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing ${missing[*]}"
	# No recommends: wireguard-tools would otherwise pull in a kernel image.
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || die "apt-get update failed"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install ${missing[*]} failed"
}
install_deps
if [ -n "$WGGO" ]; then
	case $WGGO in /*) ;; *) WGGO=$ROOT/$WGGO ;; esac
	[ -x "$WGGO" ] || die "WGGO=$WGGO is not an executable"
fi

# ---- builds: the project's own release flags --------------------------------------
# SNR_BUILD*, PEERS_BUILD and LOADGEN are read by the sys_*.sh and peers.sh.
SNR_BUILD=$ROOT/build-bench
SNR_BUILD_OPENSSL=$ROOT/build-bench-openssl
# The systems named *-base run the binaries in $BASE (another commit's
# build: before/after comparisons in one interleaved run).
SNR_BUILD_BASE=${BASE:-}
if [ -n "$SNR_BUILD_BASE" ]; then
	case $SNR_BUILD_BASE in /*) ;; *) SNR_BUILD_BASE=$ROOT/$SNR_BUILD_BASE ;; esac
	[ -x "$SNR_BUILD_BASE/subnetrad" ] && [ -x "$SNR_BUILD_BASE/subnetra" ] ||
		die "BASE=$SNR_BUILD_BASE has no subnetrad and subnetra"
fi
# shellcheck disable=SC2034
PEERS_BUILD=$ROOT/build-bench-peers1024
# shellcheck disable=SC2034
LOADGEN=$SNR_BUILD_OPENSSL/tests/tools/loadgen
build() {
	local out
	log "make $*"
	out=$(make --no-print-directory -j"$(nproc)" "$@" 2>&1) || {
		printf '%s\n' "$out" | tail -n 30 >&2
		die "build failed: make $*"
	}
}
build BUILD=build-bench build-bench/subnetrad build-bench/subnetra build-bench/subnetra-bench-wire \
	build-bench/subnetra-bench-mesh build-bench/tests/tools/meshload
# shellcheck disable=SC2034 # read by sys_mesh.sh and mesh_scale.sh
MESHLOAD=$SNR_BUILD/tests/tools/meshload
[ "$MGMT_ROWS" = 1 ] && build BUILD=build-bench build-bench/subnetra-mgmtd build-bench/tests/tools/mgmt_device
build CRYPTO=openssl BUILD=build-bench-openssl build-bench-openssl/subnetrad \
	build-bench-openssl/subnetra build-bench-openssl/subnetra-bench-wire \
	build-bench-openssl/tests/tools/loadgen
[ -n "$PEERS" ] && build MAX_PEERS=1024 BUILD=build-bench-peers1024 \
	build-bench-peers1024/subnetrad build-bench-peers1024/subnetra

if [ -n "${BENCH_NICE:-}" ]; then
	case $BENCH_NICE in -[0-9] | -1[0-9] | [0-9] | 1[0-9]) ;; *) die "BENCH_NICE must be -19..19" ;; esac
	# Inherited by every daemon, iperf3, ping and loadgen started from here on.
	renice -n "$BENCH_NICE" -p $$ >/dev/null || die "renice $BENCH_NICE failed"
fi

# ---- machine and versions ----------------------------------------------------------

topo_init
META=$T/meta.tsv
meta() { printf '%s\t%s\n' "$1" "$2" >>"$META"; }
meta date "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
	meta commit "${BENCH_COMMIT:-$(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src || echo +uncommitted-src)}"
else
	meta commit "${BENCH_COMMIT:-unknown}"
fi
meta cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
meta cores "$(nproc)"
meta kernel "$(uname -r)"
meta memory_mib "$(awk '/^MemTotal:/ {printf "%d", $2 / 1024}' /proc/meminfo)"
meta load_before "$(cut -d' ' -f1-3 /proc/loadavg)"
meta nice "${BENCH_NICE:-0}"
meta rounds "$ROUNDS"
meta secs "$SECS"
meta systems "$SYSTEMS"
meta inner_mtu "$INNER_MTU"
meta underlay_mtu "$UNDERLAY_MTU"
meta udp_len "$UDP_LEN"
meta peers "$PEERS"
meta peer_secs "$PEER_SECS"
meta mesh_udp_len "$MESH_UDP_LEN"
meta mesh_mtu "$MESH_MTU"
meta mesh_base_nodes "$MESH_BASE_NODES"
meta mesh_peers "$MESH_PEERS"
meta mesh_peer_pps "$MESH_PEER_PPS"
meta mesh_flood_rate "${MESH_FLOOD_RATE:-50000}"
meta mgmt_devices "$MGMT_DEVICES"
meta mgmt_group "$MGMT_GROUP"
meta mgmt_write_secs "$MGMT_WRITE_SECS"
meta mgmt_big "$MGMT_BIG"
meta postgresql "$(dpkg-query -W -f='${Version}' postgresql 2>/dev/null)"
meta sqlite "$(dpkg-query -W -f='${Version}' libsqlite3-0 2>/dev/null)"
meta iperf3 "$(iperf3 --version 2>/dev/null | head -n 1)"
WGGO_BIN=${WGGO:-$(command -v wireguard-go)}
meta wggo "$("$WGGO_BIN" --version 2>/dev/null | head -n 1 | sed 's/^wireguard-go //') ($([ -n "$WGGO" ] && echo "$WGGO" || echo "Debian package"))"
meta wggo_debian "$(/usr/bin/wireguard-go --version 2>/dev/null | head -n 1)"
meta nebula "$(nebula -version 2>/dev/null | head -n 1)"
meta libsodium "$(dpkg-query -W -f='${Version}' libsodium23 2>/dev/null)"
meta openssl "$(dpkg-query -W -f='${Version}' libssl3 2>/dev/null)"

# ---- no-I/O crypto figures, before any traffic ---------------------------------------

for b in "$SNR_BUILD" "$SNR_BUILD_OPENSSL"; do
	log "$(basename "$b")/subnetra-bench-wire --seconds $WIRE_SECS"
	"$b/subnetra-bench-wire" --seconds "$WIRE_SECS" --size "$UDP_LEN" --json >"$T/wire.json" ||
		die "subnetra-bench-wire failed"
	jq -r '.backend as $b | .ops | to_entries[] |
		"0\twire-\($b)\t\(.key)_ns\t\(.value.ns)", "0\twire-\($b)\t\(.key)_pps\t\(.value.pps)"' \
		"$T/wire.json" >>"$RESULTS"
done

# ---- the rounds -------------------------------------------------------------------

# shellcheck disable=SC2034 # read by peers.sh
PEER_SEED=$(gen_key)
start_all=$(now_ms)
for ((round = 1; round <= ROUNDS; round++)); do
	for s in "${SYS_LIST[@]}"; do
		fam=${s%%-*}
		t0=$(now_ms)
		"sys_${fam}_up" "$s"
		run_workloads "$round" "$s"
		declare -F "sys_${fam}_check" >/dev/null && "sys_${fam}_check" "$s" "$round"
		"sys_${fam}_down" "$s"
		log "round $round/$ROUNDS $s: $(awk -F'\t' -v r="$round" -v s="$s" \
			'$1 == r && $2 == s && $3 ~ /kpps|gbps|_us$/ {printf "%s=%s ", $3, $4}' "$RESULTS")($((($(now_ms) - t0) / 1000)) s)"
	done
done

[ -n "$PEERS" ] && peers_run
mesh_scale_run
mgmt_rows_run
[ "${PROFILE:-1}" = 1 ] && [[ ",$SYSTEMS," == *,subnetra-direct,* ]] && profile_run
meta load_after "$(cut -d' ' -f1-3 /proc/loadavg)"
meta duration_s $((($(now_ms) - start_all) / 1000))

# ---- report -------------------------------------------------------------------------

mkdir -p "$ROOT/build/bench"
cp "$META" "$ROOT/build/bench/latest.meta.tsv"
cp "$RESULTS" "$ROOT/build/bench/latest.tsv"
report
