#!/usr/bin/env bash
# subnetra-mgmtd killed mid-write loses no committed change (issue 14, "Bad
# input": a crash or kill -9 mid-write), on SQLite and on PostgreSQL, on
# loopback:
#
#   writer (python3, one TLS connection, bearer token) --POST /api/v1/networks--> [mgmtd]
#          every 201 recorded as it arrives                                         |
#                                                   $T/mgmt.db (SQLite) or a PostgreSQL server of the test's
#
# Each round: a writer creates networks one after the other and records
# each name the server acknowledged (201); once 150 are acknowledged the
# server gets SIGKILL while the writer is still sending.  The server is
# started again on the same database: every acknowledged network is there
# with its audit row (an unacknowledged one may be too: it committed before
# its answer was lost), SQLite's integrity_check and foreign_key_check say
# ok, and the server takes a write again.  On PostgreSQL a second round
# kills the database server itself (pg_ctl stop -m immediate: no
# checkpoint, the WAL replayed at its next start) under the writes.  TAP.
set -u
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/lib_mgmt.sh
source "$(dirname "$0")/lib_mgmt.sh"
# shellcheck source=tests/netns/lib_pg.sh
source "$(dirname "$0")/lib_pg.sh"

[ -x "$MGMTD" ] || bail "no $MGMTD (make test-build)"
command -v curl >/dev/null || bail "curl missing"
command -v sqlite3 >/dev/null || bail "sqlite3 missing"

mgmt_tmp mgmt-crash
trap pg_cleanup EXIT
ACKS=150

# serve DB DIR: a server on free loopback ports (SRV_PID, ADMIN), log appended.
serve() {
	local before
	touch "$SRV_LOG"
	before=$(mgmtd_serving "$SRV_LOG")
	"$MGMTD" serve --db "$1" --dir "$2" --admin-listen 127.0.0.1:0 \
		--device-listen 127.0.0.1:0 >>"$SRV_LOG" 2>&1 &
	SRV_PID=$!
	bg_track "$SRV_PID"
	mgmtd_wait "$SRV_LOG" "$before" || bail "serve did not start: $(tail -5 "$SRV_LOG")"
	ADMIN=$MGMTD_ADMIN
}

# The writer: networks PREFIX-0, -1, ... until the server stops answering;
# each acknowledged name appended to ACKFILE at once.
WRITER='
import http.client, json, ssl, sys
host, port = sys.argv[1].rsplit(":", 1)
ctx = ssl.create_default_context(cafile=sys.argv[2])
ack = open(sys.argv[5], "a", buffering=1)
conn, fails, i = None, 0, 0
while fails < 3 and i < 100000:
    try:
        if conn is None:
            conn = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=10)
        name = "%s-%d" % (sys.argv[4], i)
        conn.request("POST", "/api/v1/networks", json.dumps({"name": name}),
                     {"Authorization": "Bearer " + sys.argv[3], "Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        if r.status == 201:
            ack.write(name + "\n")
            fails = 0
        else:
            fails += 1
        i += 1
    except Exception:
        fails += 1
        conn = None
print("writer: %d sent" % i)
'

# all_names: every network name the API lists (all pages), one per line.
all_names() {
	local cursor="" page out
	while :; do
		page=$(adm GET "/api/v1/networks?limit=500${cursor:+&cursor=$cursor}")
		[[ $page == "200 "* ]] || return 1
		out=$(python3 -c '
import json, sys
d = json.load(sys.stdin)
for n in d["items"]:
    print(n["name"])
print("#next", d.get("next_cursor") or "")' <<<"${page#200 }") || return 1
		grep -v '^#next ' <<<"$out"
		cursor=$(sed -n 's/^#next //p' <<<"$out")
		[ -n "$cursor" ] || break
	done
}

# audit_creates DB-KIND DB: how many network.create rows the audit log holds.
audit_creates() {
	if [ "$1" = sqlite ]; then
		sqlite3 "$2" "SELECT count(*) FROM audit WHERE action = 'network.create'"
	else
		pg_sql "$2" "SELECT count(*) FROM audit WHERE action = 'network.create'"
	fi
}

# round LABEL KIND DB DIR PREFIX KILL: the writer against a fresh server;
# KILL (a command) once ACKS writes were acknowledged; then a new server on
# the same database, and the checks.
round() {
	local label=$1 kind=$2 db=$3 dir=$4 prefix=$5 kill=$6 ackf missing n
	ackf=$T/$prefix.acks
	: >"$ackf"
	ADMIN_CA=$dir/tls-cert.pem
	serve "$db" "$dir"
	[ -n "${TOKEN:-}" ] || mgmt_admin_token "$PW" t_mgmtd_crash || bail "admin sign-in or token failed"
	python3 -c "$WRITER" "$ADMIN" "$dir/tls-cert.pem" "$TOKEN" "$prefix" "$ackf" \
		>"$T/$prefix.writer" 2>&1 &
	WPID=$!
	bg_track "$WPID"
	wait_until 60 eval '[ "$(wc -l <"$ackf")" -ge $ACKS ]' ||
		diag "$label: only $(wc -l <"$ackf") writes acknowledged in 60 s"
	eval "$kill"
	wait "$WPID" 2>/dev/null
	n=$(wc -l <"$ackf")
	check_ge "$label: killed with $ACKS or more writes acknowledged ($n; $(cat "$T/$prefix.writer"))" \
		"$ACKS" "$n"
	wait "$SRV_PID" 2>/dev/null
	[ "$kind" = pg ] && { pg_running || pg_restart; }
	serve "$db" "$dir"
	all_names >"$T/$prefix.listed" || bail "$label: cannot list the networks"
	missing=$(grep -vxF -f "$T/$prefix.listed" "$ackf" | head -5)
	check_eq "$label: every acknowledged network is there after the restart" "" "$missing"
	check_ge "$label: ... and its audit row (network.create rows >= acknowledged writes)" \
		"$(($(grep -c "^$prefix-" "$T/$prefix.listed") + BASE_CREATES))" \
		"$(audit_creates "$kind" "$db_name")"
	R=$(adm POST /api/v1/networks "{\"name\":\"$prefix-after\"}")
	check_eq "$label: the restarted server takes a write" 201 "${R%% *}"
	BASE_CREATES=$(audit_creates "$kind" "$db_name")
	kill -TERM "$SRV_PID"
	wait "$SRV_PID" 2>/dev/null
}

# ---- SQLite ---------------------------------------------------------------------------
OUT=$("$MGMTD" init --db "$DB" --admin admin@example.org 2>&1) || bail "init: $OUT"
PW=$(printf '%s\n' "$OUT" | sed -n 's/^one-time password: *//p')
BASE_CREATES=0
db_name=$DB
round "SQLite, mgmtd killed (SIGKILL)" sqlite "$DB" "$T" lite 'kill -KILL "$SRV_PID"'
check_eq "SQLite: integrity_check after the kill" ok "$(sqlite3 "$DB" 'PRAGMA integrity_check')"
check_eq "SQLite: foreign_key_check finds nothing" "" "$(sqlite3 "$DB" 'PRAGMA foreign_key_check')"

# ---- PostgreSQL ---------------------------------------------------------------------------
pg_start
pg_createdb crash
PGD=$T/pgstate
mkdir -p "$PGD"
OUT=$("$MGMTD" init --db "$(pg_url crash)" --dir "$PGD" --admin admin@example.org 2>&1) ||
	bail "init on PostgreSQL: $OUT"
PW=$(printf '%s\n' "$OUT" | sed -n 's/^one-time password: *//p')
TOKEN=""
BASE_CREATES=0
db_name=crash
pg_running() { runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDIR/data" status >/dev/null 2>&1; }
pg_restart() {
	runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w \
		-o "-c listen_addresses='' -k $PGDIR" start >/dev/null 2>&1 ||
		bail "postgres did not start again: $(tail -3 "$PGDIR/log")"
	PG_STARTED=1
}
round "PostgreSQL, mgmtd killed (SIGKILL)" pg "$(pg_url crash)" "$PGD" pgk 'kill -KILL "$SRV_PID"'
round "PostgreSQL, the database server crashed (immediate stop)" pg "$(pg_url crash)" "$PGD" pgc \
	'runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1; PG_STARTED=0; kill -KILL "$SRV_PID"'
done_testing
