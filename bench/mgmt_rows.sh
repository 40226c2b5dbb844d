# shellcheck shell=bash
# The management server rows of `make bench` (issue 14, "Speed and scale"),
# each run once after the rounds when its name is in SYSTEMS (results in
# round 0), by bench/mgmt_scale.sh on loopback (no namespaces):
#
#   mgmt-sqlite  one subnetra-mgmtd on SQLite, MGMT_DEVICES (default 5000)
#                simulated devices (real identities, every request
#                Ed25519-signed) in networks of MGMT_GROUP (default 100),
#                each holding a config long-poll; one admin API change (a
#                device attached to network 0, bearer token): the time
#                until every device of network 0 holds the new bundle
#                (p50/p99/max), other polls answered (none should be),
#                mgmtd's RSS; then MGMT_WRITE_SECS (default 10) of device
#                renames through the API on 8 keep-alive TLS connections
#                with the fleet still parked: writes per second and their
#                latency; then the wake-all re-check (a change made by
#                another process).
#   mgmt-pg      the same on one PostgreSQL server (started by the script,
#                Debian's postgresql) with two subnetra-mgmtd, the devices
#                split between them, the change made through the first:
#                every affected device on both holds the new bundle.
#   mgmt-net1000 one network of MGMT_BIG (default 1000) devices on SQLite:
#                the change reaches every member (a bundle of 1,000 peers
#                each).

MGMT_DEVICES=${MGMT_DEVICES:-5000}
MGMT_GROUP=${MGMT_GROUP:-100}
MGMT_WRITE_SECS=${MGMT_WRITE_SECS:-10}
MGMT_BIG=${MGMT_BIG:-1000}

# mgmt_row SYSTEM ARGS...: bench/mgmt_scale.sh ARGS, its key=value lines recorded.
mgmt_row() {
	local sys=$1 out=$T/$1.txt kv k v
	shift
	log "$sys: bench/mgmt_scale.sh $*"
	SUBNETRA_BUILD=$SNR_BUILD "$ROOT/bench/mgmt_scale.sh" "$@" >"$out" 2>"$T/$sys.err" ||
		log "$sys: bench/mgmt_scale.sh exited non-zero: $(tail -n 5 "$T/$sys.err")"
	log "$sys: $(tr '\n' ' ' <"$out")"
	for kv in $(cat "$out"); do
		k=${kv%%=*}
		v=${kv#*=}
		case $k in *[!a-z0-9_]* | "" | "$kv") continue ;; esac
		case $v in '' | *[!0-9.]*) continue ;; esac
		record 0 "$sys" "$k" "$v"
	done
}

# mgmt_rows_run: the management rows named in SYSTEMS.
mgmt_rows_run() {
	[[ ",$SYSTEMS," == *,mgmt-sqlite,* ]] &&
		mgmt_row mgmt-sqlite --writes "$MGMT_WRITE_SECS" "$MGMT_DEVICES" "$MGMT_GROUP"
	[[ ",$SYSTEMS," == *,mgmt-pg,* ]] &&
		mgmt_row mgmt-pg --pg --servers 2 --writes "$MGMT_WRITE_SECS" "$MGMT_DEVICES" "$MGMT_GROUP"
	[[ ",$SYSTEMS," == *,mgmt-net1000,* ]] &&
		mgmt_row mgmt-net1000 "$MGMT_BIG" "$MGMT_BIG"
	return 0
}
