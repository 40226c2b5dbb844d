#!/usr/bin/env bash
# subnetra-mgmtd migrate: an instance moved from SQLite to PostgreSQL (a
# server of the test's own, lib_pg.sh) without re-joining its devices, on
# loopback:
#
#   [serve --db mgmt.db] <-- join, long-poll (mgmt_device.py), admin API (curl)
#        stop; migrate --from mgmt.db --to postgresql:///mgmt
#   [serve --db postgresql:///mgmt --dir <the same state dir>]
#        <-- the same admin password and token, the same objects, a device's
#            next bundle accepted (mgmt_device bundle-check: same instance,
#            newer or same version), new ids past the copied ones
#
# Also: SQLite -> SQLite gives the same dump (a table left out fails it),
# per-table row counts equal at both ends for every table of the source,
# a non-empty target refused (3) and --force, a source in use refused (3:
# SQLite's server lock, PostgreSQL's other sessions), an older source
# refused (4), usage errors (2), PostgreSQL -> SQLite back.  TAP.
set -u
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/lib_mgmt.sh
source "$(dirname "$0")/lib_mgmt.sh"
source "$(dirname "$0")/lib_pg.sh"

DEVTOOL=$SNR_BUILD/tests/tools/mgmt_device
PYDEV=$SNR_ROOT/tests/tools/mgmt_device.py
[ -x "$MGMTD" ] || bail "no $MGMTD (make test-build)"
[ -x "$DEVTOOL" ] || bail "no $DEVTOOL (make test-build)"
command -v sqlite3 >/dev/null || bail "sqlite3 missing"
python3 -c 'import cryptography' 2>/dev/null || bail "python3-cryptography missing"

mgmt_tmp mgmtd-migrate
trap pg_cleanup EXIT
SQLDB=$DB

dev() { python3 "$PYDEV" req "$DEVICE" "$@"; }
payload() { python3 -c 'import json,base64,sys; p=json.load(open(sys.argv[1]))["payload"]; print(base64.urlsafe_b64decode(p+"="*(-len(p)%4)).decode())' "$1"; }
member() { payload "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"; }
# api PATH [CURL ARGS]: the admin API with the token; the body only.
api() { curl -sS --max-time 20 --cacert "$T/tls-cert.pem" -H "Authorization: Bearer $TOKEN" "https://$ADMIN$1" "${@:2}"; }
# objects: what the API lists (devices, networks, join codes, tokens, accounts), volatile members left out.
objects() {
	local p
	for p in devices networks join-codes tokens accounts; do
		api "/api/v1/$p?limit=500" | python3 -c '
import json, sys
drop = {"last_seen", "online", "last_used", "status", "applied"}
items = json.load(sys.stdin)["items"]
print(sys.argv[1], json.dumps([{k: v for k, v in i.items() if k not in drop} for i in items], sort_keys=True))' "$p"
	done
}
audit_ids() { api "/api/v1/audit?limit=500" | python3 -c 'import json,sys; print(" ".join(str(i["id"]) for i in json.load(sys.stdin)["items"]))'; }
stop_serve() {
	kill -TERM "$SRV_PID"
	wait "$SRV_PID"
	check_eq "$1: SIGTERM stops the server with exit 0" 0 "$?"
	sanitizer_check "$1" "$SRV_LOG"
}
# counts_sqlite DB / counts_pg NAME: "table rows" for every table of the SQLite source.
TABLES=""
counts_sqlite() { local t; for t in $TABLES; do echo "$t $(sqlite3 "$1" "SELECT count(*) FROM $t")"; done; }
counts_pg() { local t; for t in $TABLES; do echo "$t $(pg_sql "$1" "SELECT count(*) FROM $t")"; done; }

# ---- an instance on SQLite, with a fleet ------------------------------------------------

OUT=$("$MGMTD" init --db "$SQLDB" --admin admin@example.org 2>&1) || bail "init: $OUT"
PW1=$(printf '%s\n' "$OUT" | sed -n 's/^one-time password: *//p')
PK=$(printf '%s\n' "$OUT" | sed -n 's/^instance public key: *//p')
"$SUBNETRA" identity new --out "$T/base.id" >/dev/null 2>&1 || bail "identity new"
BASE_PK=$("$SUBNETRA" identity show "$T/base.id" | sed -n 's/^public-key //p' | head -1)
"$MGMTD" settings --db "$SQLDB" --base-server "203.0.113.5:5582:443:$BASE_PK" \
	--mgmt-address fc94::4d >/dev/null || bail "settings"
mgmt_serve

R=$(curl -sS --cacert "$T/tls-cert.pem" -c "$T/jar" -H 'Content-Type: application/json' \
	--data-binary "{\"email\":\"admin@example.org\",\"password\":\"$PW1\"}" "https://$ADMIN/api/v1/login")
CSRF=$(sed -n 's/.*"csrf":"\([0-9a-f]*\)".*/\1/p' <<<"$R")
[ -n "$CSRF" ] || bail "login: $R"
PW2="migrated-password-$$"
post_session() { curl -sS --cacert "$T/tls-cert.pem" -b "$T/jar" -H 'Content-Type: application/json' -H "X-Subnetra-CSRF: $CSRF" --data-binary "$2" "https://$ADMIN$1"; }
post_session /api/v1/me/password "{\"current\":\"$PW1\",\"password\":\"$PW2\"}" >/dev/null
TOKEN=$(post_session /api/v1/tokens '{"scope":"admin","description":"migration check"}' | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[ -n "$TOKEN" ] || bail "no token"
FLEET=$(code_of "$(post_admin /api/v1/_test/joincode '{"network":"fleet","reusable":true}')")
OTHER=$(code_of "$(post_admin /api/v1/_test/joincode '{"network":"other"}')")
[ -n "$FLEET" ] && [ -n "$OTHER" ] || bail "no join codes"
"$DEVTOOL" keygen 4 >"$T/seeds" || bail "keygen"
for i in 1 2 3 4; do
	S[$i]=$(sed -n "${i}p" "$T/seeds")
	A[$i]=$("$DEVTOOL" addr "${S[$i]}" | cut -d' ' -f2)
done
for i in 1 2 3; do
	R=$(dev "${S[$i]}" POST /device/v1/join --body "{\"code\":\"$FLEET\",\"hostname\":\"robot-$i\",\"aliases\":[\"r$i\"]}")
	[[ $R == 200* ]] || bail "join robot-$i: $R"
done
R=$(dev "${S[1]}" POST /device/v1/status --body '{"agent":"t_mgmtd_migrate","applied":{"epoch":1,"serial":1}}')
check_match "a SQLite instance: 3 devices joined through the device API" '^200 .*"new":false' \
	"$(dev "${S[1]}" POST /device/v1/join --body "{\"code\":\"$FLEET\",\"hostname\":\"robot-1\"}")"
check_match "... robot-1's bundle (the long-poll, wait=0)" '^200 ' "$(dev "${S[1]}" GET '/device/v1/config?wait=0' --out "$T/b-sqlite.json")"
INST=$(member "$T/b-sqlite.json" instance)
api /license.json >"$T/lic-sqlite.json"
LIC_SERIAL1=$(member "$T/lic-sqlite.json" serial)
LIC_INST1=$(member "$T/lic-sqlite.json" instance)
check_match "... license.json served (instance $LIC_INST1, serial $LIC_SERIAL1)" '^[0-9]+$' "$LIC_SERIAL1"
objects >"$T/objects-sqlite"
AUDIT1=$(audit_ids)
check_match "... the API lists them (4 audit rows at least)" '[0-9]+ [0-9]+ [0-9]+ [0-9]+' "$AUDIT1"

# ---- refusals --------------------------------------------------------------------------

pg_start
pg_createdb mgmt && pg_createdb other || bail "createdb failed"
URL=$(pg_url mgmt)

expect_rc "migrate while serve holds the SQLite source: refused (3)" 3 "$MGMTD" migrate --from "$SQLDB" --to "$URL"
check_match "... naming the server's lock" 'mgmt.db.lock: another subnetra-mgmtd \(serve, init or restore\) is using' "$OUT"
check_eq "... the target left without a schema" "" "$(pg_sql mgmt "SELECT to_regclass('meta')")"
stop_serve "serve on SQLite"
expect_rc "migrate without --to: usage error (2)" 2 "$MGMTD" migrate --from "$SQLDB"
expect_rc "migrate --db: usage error (2)" 2 "$MGMTD" migrate --db "$SQLDB" --from "$SQLDB" --to "$T/x.db"
expect_rc "migrate to itself: usage error (2)" 2 "$MGMTD" migrate --from "$SQLDB" --to "$SQLDB"
expect_rc "migrate a SQLite file to itself under another name, --force: refused (3)" 3 "$MGMTD" migrate --from "$SQLDB" --to "$T/./mgmt.db" --force
check_match "... at the lock" 'the target: .*mgmt.db.lock: another subnetra-mgmtd' "$OUT"
expect_rc "migrate from a missing file: database error (4)" 4 "$MGMTD" migrate --from "$T/none.db" --to "$T/x.db"
cp "$SQLDB" "$T/old.db"
sqlite3 "$T/old.db" 'PRAGMA user_version = 2' || bail "user_version"
expect_rc "migrate from an older schema: database error (4)" 4 "$MGMTD" migrate --from "$T/old.db" --to "$T/x.db"
check_match "... telling to start the server once" "schema version 2, this build.s is $SCHEMA_NEWEST \\(start the server once on it" "$OUT"

# ---- SQLite -> SQLite: the same dump ------------------------------------------------------

TABLES=$(sqlite3 "$SQLDB" "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid" | tr '\n' ' ')
NT=$(wc -w <<<"$TABLES")
expect_rc "migrate SQLite -> a new SQLite file: exit 0" 0 "$MGMTD" migrate --from "$SQLDB" --to "$T/copy.db"
check_eq "... a progress line per table of the source ($NT)" "$NT" "$(grep -cE '^  [a-z_]+ +[0-9]+ rows$' <<<"$OUT")"
check_match "... verified, a summary" "^verified: $NT tables, [0-9]+ rows, the same counts and checksums" "$OUT"
check_eq "... the same dump, row for row (every table)" "$(sqlite3 "$SQLDB" .dump | md5sum)" "$(sqlite3 "$T/copy.db" .dump | md5sum)"
check_eq "... the same schema version" "$SCHEMA_NEWEST" "$(sqlite3 "$T/copy.db" 'PRAGMA user_version')"
cp "$SQLDB" "$T/extra.db"
sqlite3 "$T/extra.db" 'CREATE TABLE extra(id INTEGER PRIMARY KEY)' || bail "extra table"
expect_rc "a source with a table this build's schema lacks: database error (4)" 4 "$MGMTD" migrate --from "$T/extra.db" --to "$T/x2.db"
check_match "... not the same schema" "has $((NT + 1)) tables, .*x2.db $NT: not the same schema" "$OUT"
expect_rc "migrate again into it: refused (3)" 3 "$MGMTD" migrate --from "$SQLDB" --to "$T/copy.db"
check_match "... it holds an instance" 'holds an instance already' "$OUT"
expect_rc "... with --force: exit 0" 0 "$MGMTD" migrate --from "$SQLDB" --to "$T/copy.db" --force
check_match "... its old content kept aside" 'old content of .*copy.db copied to .*copy.db.pre-migrate-' "$OUT"

# ---- SQLite -> PostgreSQL --------------------------------------------------------------------

SRC_SUM=$(sqlite3 "$SQLDB" .dump | md5sum)
# The verification, before the commit, must catch a target that differs
# (the test hook changes it inside the copy's transaction).
for change in "DELETE FROM audit WHERE id = 2:[0-9]+ rows in .*, [0-9]+ in [^,]*$" \
	"UPDATE devices SET hostname = 'tampered' WHERE id = 1:[0-9]+ rows in .*, their values differ" \
	"UPDATE devices SET aliases = '[\"zz\"]' WHERE id = 2:[0-9]+ rows in .*, their values differ" \
	"UPDATE meta SET v = v || 'x' WHERE k = 'instance_id':[0-9]+ rows in .*, their values differ"; do
	sql=${change%%:*}
	table=$(sed -n 's/^\(DELETE FROM\|UPDATE\) \([a-z_]*\).*/\2/p' <<<"$sql")
	OUT=$(SUBNETRA_MGMTD_TEST_MIGRATE_SQL="$sql" "$MGMTD" migrate --from "$SQLDB" --to "$URL" 2>&1)
	check_eq "a target changed before the check ($sql): database error (4)" 4 "$?"
	check_match "... verifying $table: ${change#*:}" "verifying $table: ${change#*:}" "$OUT"
	check_eq "... nothing committed (no instance there)" 0 "$(pg_sql mgmt 'SELECT count(*) FROM meta')"
done
expect_rc "migrate SQLite -> PostgreSQL: exit 0" 0 "$MGMTD" migrate --from "$SQLDB" --to "$URL"
MIG_OUT=$OUT
check_match "... the summary: tables, rows, time" "^migrated .*mgmt.db to postgresql:///mgmt.*: $NT tables, [0-9]+ rows in [0-9.]+ s$" "$MIG_OUT"
check_eq "... every table's row count the same at both ends" "$(counts_sqlite "$SQLDB")" "$(counts_pg mgmt)"
check_eq "... PostgreSQL has exactly the source's tables (and subnetra_schema)" \
	"$(tr ' ' '\n' <<<"$TABLES subnetra_schema" | grep . | sort)" \
	"$(pg_sql mgmt "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")"
check_eq "... the instance id in meta" "$(sqlite3 "$SQLDB" "SELECT v FROM meta WHERE k = 'instance_id'")" \
	"$(pg_sql mgmt "SELECT v FROM meta WHERE k = 'instance_id'")"
check_eq "... the source untouched" "$SRC_SUM" "$(sqlite3 "$SQLDB" .dump | md5sum)"
MAXDEV=$(sqlite3 "$SQLDB" 'SELECT max(id) FROM devices')
check_eq "... the devices' identity sequence past the largest id" "$((MAXDEV + 1))" \
	"$(pg_sql mgmt "SELECT nextval(pg_get_serial_sequence('devices', 'id'))")"
expect_rc "PostgreSQL to itself under another spelling, --force: usage error (2)" 2 "$MGMTD" migrate --from "$URL" --to "$URL&application_name=x" --force
check_match "... the same database" 'name the same database' "$OUT"
check_eq "... and its rows untouched" "$(sqlite3 "$SQLDB" 'SELECT count(*) FROM audit')" "$(pg_sql mgmt 'SELECT count(*) FROM audit')"
expect_rc "a second migrate into the now non-empty target: refused (3)" 3 "$MGMTD" migrate --from "$SQLDB" --to "$URL"
check_match "... it holds an instance" 'holds an instance already' "$OUT"

# ---- serve from PostgreSQL, the same state directory ---------------------------------------------

DB=$URL
SRV_LOG=$T/serve-pg.log
ALL_LOGS+=("$SRV_LOG")
mgmt_serve --dir "$T"
check_match "serve on PostgreSQL with the same --dir: started" 'serving postgresql:///mgmt' "$(cat "$SRV_LOG")"
R=$(curl -sS --cacert "$T/tls-cert.pem" -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	--data-binary "{\"email\":\"admin@example.org\",\"password\":\"$PW2\"}" "https://$ADMIN/api/v1/login")
check_eq "the admin signs in with the same password (200)" 200 "$R"
objects >"$T/objects-pg"
check "the API lists the same devices, networks, join codes, tokens, accounts (the same token)" \
	cmp -s "$T/objects-sqlite" "$T/objects-pg"
[ -s "$T/objects-pg" ] && grep -q robot-3 "$T/objects-pg" || diag "$(diff "$T/objects-sqlite" "$T/objects-pg")"
AUDIT2=$(audit_ids)
check_eq "... and the audit rows before the move, with their ids" "$AUDIT1" "$(tr ' ' '\n' <<<"$AUDIT2" | grep -Fxf <(tr ' ' '\n' <<<"$AUDIT1") | tr '\n' ' ' | sed 's/ $//')"
api /license.json >"$T/lic-pg.json"
check_eq "license.json: the same instance id" "$LIC_INST1" "$(member "$T/lic-pg.json" instance)"
LIC_SERIAL2=$(member "$T/lic-pg.json" serial)
check_le "... its serial not gone backwards ($LIC_SERIAL1 -> $LIC_SERIAL2)" "$LIC_SERIAL1" "$LIC_SERIAL2"
check_match "robot-1's next long-poll: a bundle" '^200 ' "$(dev "${S[1]}" GET '/device/v1/config?wait=0' --out "$T/b-pg.json")"
check_match "... which it accepts after the one from SQLite (same instance, newer or same version)" \
	'^(new|newer|same)' "$("$DEVTOOL" bundle-check "$PK" "$INST" "${A[1]}" "$T/b-sqlite.json" "$T/b-pg.json" | tail -1)"
check "... bundle-check: exit 0" "$DEVTOOL" bundle-check "$PK" "$INST" "${A[1]}" "$T/b-sqlite.json" "$T/b-pg.json"
R=$(dev "${S[4]}" POST /device/v1/join --body "{\"code\":\"$OTHER\",\"hostname\":\"robot-4\"}")
check_match "a new device joins on PostgreSQL (the code copied, its id past the copied ones)" \
	'^200 .*"new":true' "$R"
check_eq "... device id $((MAXDEV + 2))" "$((MAXDEV + 2))" "$(pg_sql mgmt "SELECT id FROM devices WHERE hostname = 'robot-4'")"

expect_rc "migrate from PostgreSQL while a server is connected: refused (3)" 3 "$MGMTD" migrate --from "$URL" --to "$T/back.db"
check_match "... naming the other sessions" 'other session\(s\) connected to the source database' "$OUT"
stop_serve "serve on PostgreSQL"

# ---- PostgreSQL -> SQLite ----------------------------------------------------------------

expect_rc "migrate PostgreSQL -> SQLite: exit 0" 0 "$MGMTD" migrate --from "$URL" --to "$T/back.db"
check_eq "... every table's row count the same at both ends" "$(counts_pg mgmt)" "$(counts_sqlite "$T/back.db")"
check_eq "... SQLite's integrity and foreign key checks pass" "ok" \
	"$(sqlite3 "$T/back.db" 'PRAGMA integrity_check; PRAGMA foreign_key_check')"
expect_rc "... and into the empty PostgreSQL database 'other' from it: exit 0" 0 "$MGMTD" migrate --from "$T/back.db" --to "$(pg_url other)"
check_eq "... the same devices there" "$(pg_sql mgmt 'SELECT id, hostname, aliases FROM devices ORDER BY id')" \
	"$(pg_sql other 'SELECT id, hostname, aliases FROM devices ORDER BY id')"

done_testing
