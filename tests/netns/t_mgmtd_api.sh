#!/usr/bin/env bash
# The admin REST API (/api/v1) of subnetra-mgmtd, on loopback (no
# namespaces: the server listens on 127.0.0.1, on ports the kernel picks),
# run twice: on SQLite, then on a PostgreSQL server of the test's own
# (lib_pg.sh):
#
#   mgmtd_api.py --TLS--> admin listener [subnetra-mgmtd serve] --> SQLite file | PostgreSQL
#
# Per backend: init (the first admin's one-time password), a dozen devices
# written straight into the database (the device API that makes them is
# another issue's step), then mgmtd_api.py: the authorization matrix
# (31 requests x anonymous, member, owner, admin, read/write/revoked/
# expired token; every 2xx change leaves exactly one audit row with the
# request's remote address, every refusal none), CSRF, strict bodies
# (400/415/422 naming the member, 413), 404/409, pagination, a long-poll
# woken by an API change, logout, login rate limits (429 per account and
# per address), and no secret in any answer but its creation's nor in the
# server's log.  TAP.
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_pg.sh"

# shellcheck source=tests/netns/lib_mgmt.sh
source "$(dirname "$0")/lib_mgmt.sh"
PY=$SNR_ROOT/tests/netns/mgmtd_api.py
[ -x "$MGMTD" ] || bail "no $MGMTD (make test-build)"
command -v sqlite3 >/dev/null || bail "sqlite3 missing"

T=$(mktemp -d /tmp/snr-mgmtd-api.XXXXXX)
trap pg_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
NDEV=12

# seed_devices BACKEND: NDEV devices without owner, their addresses in $T/devices-BACKEND.
seed_devices() {
	local i addr hex pk sql="" now
	now=$(date +%s)
	: >"$T/devices-$1"
	for i in $(seq 1 $NDEV); do
		hex=$(printf 'fc94%028x' $((0xa000 + i)))
		pk=$(gen_key)
		addr=$(python3 -c 'import ipaddress,sys; print(ipaddress.IPv6Address(bytes.fromhex(sys.argv[1])))' "$hex")
		echo "$addr" >>"$T/devices-$1"
		if [ "$1" = sqlite ]; then
			sql+="INSERT INTO devices(address, pubkey, hostname, created_at) VALUES(X'$hex', X'$pk', 'dev$i', $now);"
		else
			sql+="INSERT INTO devices(address, pubkey, hostname, created_at) VALUES(decode('$hex','hex'), decode('$pk','hex'), 'dev$i', $now);"
		fi
	done
	if [ "$1" = sqlite ]; then sqlite3 "$T/sqlite/mgmt.db" "$sql"; else pg_sql mgmt "$sql" >/dev/null; fi
}

# suite BACKEND DB: init, seed, serve, run mgmtd_api.py, stop.
suite() {
	local be=$1 db=$2 dir=$T/$1 out pw pid addr rc
	mkdir -p "$dir"
	out=$("$MGMTD" init --db "$db" --admin admin@example.org --dir "$dir/state" 2>&1) ||
		bail "$be: init: $out"
	pw=$(printf '%s\n' "$out" | sed -n 's/^one-time password: *//p')
	seed_devices "$be" || bail "$be: seeding devices failed"
	ALL_LOGS+=("$dir/serve.log")
	"$MGMTD" serve --db "$db" --dir "$dir/state" --admin-listen 127.0.0.1:0 \
		--device-listen 127.0.0.1:0 >"$dir/serve.log" 2>&1 &
	pid=$!
	bg_track "$pid"
	mgmtd_wait "$dir/serve.log" || bail "$be: serve did not start: $(cat "$dir/serve.log")"
	addr=$MGMTD_ADMIN
	python3 "$PY" "$addr" "$dir/state/tls-cert.pem" admin@example.org "$pw" "$T/devices-$be" \
		"$dir/serve.log" >"$dir/api.out" 2>&1
	rc=$?
	tap_relay "$be: " "$dir/api.out"
	check_eq "$be: mgmtd_api.py exit 0" 0 "$rc"
	check_ge "$be: it ran the matrix and the rest (checks)" 250 "$(grep -c '^ok - ' "$dir/api.out")"
	kill -TERM "$pid"
	wait "$pid"
	check_eq "$be: SIGTERM stops the server with exit 0" 0 $?
	sanitizer_check "$be server" "$dir/serve.log"
}

# SNR_API_BACKENDS: which to run (default both; the issue wants both).
for be in ${SNR_API_BACKENDS:-sqlite pg}; do
	case $be in
	sqlite) suite sqlite "$T/sqlite/mgmt.db" ;;
	pg)
		pg_start
		pg_createdb mgmt || bail "createdb failed"
		suite pg "$(pg_url mgmt)"
		;;
	*) bail "SNR_API_BACKENDS: unknown backend $be" ;;
	esac
done
done_testing
