# shellcheck shell=bash
# Where the time goes (sourced by bench/run.sh; PROFILE=0 skips it): perf
# samples, with call graphs, of the sending spoke and of the hub of
# subnetra-direct (default build) during a UDP flood of 1400-byte
# datagrams, after the measured rounds so that perf disturbs no figure.
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

# shellcheck disable=SC2153 # SECS and ROOT come from run.sh
profile_run() {
	local secs=$((SECS < 6 ? SECS : 6)) pa ph cli d=$ROOT/build/bench
	command -v perf >/dev/null || { log "perf not installed: no profile"; return 0; }
	sys_subnetra_up subnetra-direct
	iperf_server "$T/srv.json"
	ip netns exec "${NODE_NS[$CLI_NODE]}" iperf3 -c "$SRV_ADDR" -u -l "$UDP_LEN" -b 0 \
		-t $((secs + 2)) >/dev/null 2>&1 &
	cli=$!
	bg_track "$cli"
	sleep 1
	perf record -q -g -o "$T/perf-spoke.data" -p "${SNR_PID[a]}" -- sleep "$secs" >/dev/null 2>&1 &
	pa=$!
	perf record -q -g -o "$T/perf-hub.data" -p "${SNR_PID[hub]}" -- sleep "$secs" >/dev/null 2>&1 &
	ph=$!
	wait "$pa" "$ph" "$cli" 2>/dev/null
	wait_until 10 iperf_server_gone || kill -KILL "$IPERF_SPID" 2>/dev/null
	sys_subnetra_down
	mkdir -p "$d"
	profile_report "$T/perf-spoke.data" "$d/profile-spoke.txt" \
		"profile: sending spoke, subnetra-direct UDP flood ($secs s, self time, top symbols)"
	profile_report "$T/perf-hub.data" "$d/profile-hub.txt" \
		"profile: hub, subnetra-direct UDP flood ($secs s, self time, top symbols)"
}
