# shellcheck shell=bash
# Where the time goes (sourced by bench/run.sh; PROFILE=0 skips it): perf
# samples, with call graphs, during a UDP flood, after the measured rounds
# so that perf disturbs no figure: the sending spoke and the hub of
# subnetra-direct (default build), the two nodes of mesh-direct and the
# base of mesh-relay, each when its system is in SYSTEMS.
# Prints the top symbols of each and keeps the reports in build/bench/.

# profile_report DATA OUT TITLE: self time by object, then the top symbols.
# (Debian's libsodium is stripped: its ChaCha20/Poly1305 internals show as
# addresses, which the per-object line adds up.)
profile_report() {
	{
		echo "by object:"
		perf report -i "$1" --no-children --sort dso --stdio -g none 2>/dev/null |
			awk '/^ *[0-9.]+%/ {printf "  %8s  %s\n", $1, $2}' | head -n 6
		echo "top symbols:"
		perf report -i "$1" --no-children --sort dso,symbol --stdio -g none 2>/dev/null |
			awk '/^ *[0-9.]+%/ && $4 !~ /^0x/ {printf "  %8s  %-22s %s\n", $1, $2, $4}' | head -n 18
	} >"$2"
	printf '\n%s\n' "$3"
	cat "$2"
}

# profile_system SYSTEM NODE:TAG...: SYSTEM up, a UDP flood from its
# client, perf on each NODE's daemon; reports build/bench/profile-TAG.txt.
# shellcheck disable=SC2153 # SECS and ROOT come from run.sh
profile_system() {
	local sys=$1 fam=${1%%-*} secs=$((SECS < 6 ? SECS : 6)) cli d=$ROOT/build/bench nt pid
	local -a perfs=() tags=()
	shift
	"sys_${fam}_up" "$sys"
	iperf_server "$T/srv.json"
	ip netns exec "${NODE_NS[$CLI_NODE]}" iperf3 -c "$SRV_ADDR" -u -l "${WL_UDP_LEN:-$UDP_LEN}" -b 0 \
		-t $((secs + 2)) >/dev/null 2>&1 &
	cli=$!
	bg_track "$cli"
	sleep 1
	for nt in "$@"; do
		pid=${SNR_PID[${nt%%:*}]:-${MESH_PID[${nt%%:*}]:-}}
		[ -n "$pid" ] || die "profile: no daemon on ${nt%%:*} in $sys"
		perf record -q -g -o "$T/perf-${nt#*:}.data" -p "$pid" -- sleep "$secs" >/dev/null 2>&1 &
		perfs+=($!)
		tags+=("${nt#*:}")
	done
	wait "${perfs[@]}" "$cli" 2>/dev/null
	wait_until 10 iperf_server_gone || kill -KILL "$IPERF_SPID" 2>/dev/null
	"sys_${fam}_down" "$sys"
	mkdir -p "$d"
	for nt in "${tags[@]}"; do
		profile_report "$T/perf-$nt.data" "$d/profile-$nt.txt" \
			"profile: $nt, $sys UDP flood ($secs s, self time, top symbols)"
	done
}

# profile_run: the profiles of the systems of this run that have one.
profile_run() {
	command -v perf >/dev/null || { log "perf not installed: no profile"; return 0; }
	[[ ",$SYSTEMS," == *,subnetra-direct,* ]] && profile_system subnetra-direct a:spoke hub:hub
	[[ ",$SYSTEMS," == *,mesh-direct,* ]] && profile_system mesh-direct a:mesh-sender hub:mesh-receiver
	[[ ",$SYSTEMS," == *,mesh-relay,* ]] && profile_system mesh-relay hub:mesh-base
	return 0
}
