#!/usr/bin/env bash
# subnetra-mgmtd end to end on loopback (no namespaces: the server only
# listens on 127.0.0.1, on ports the kernel picks, read back from its log):
#
#   curl --cacert tls-cert.pem --> https://127.0.0.1:<admin>/   [subnetra-mgmtd serve]
#   curl ------------------------> http://127.0.0.1:<device>/        |
#                                                              $T/mgmt.db (SQLite)
#
# init (files, modes, the one-time password never stored in clear, init
# twice refused, --force keeps the key), serve (/healthz plain and TLS,
# JSON errors 404/405/413, one server per database, the connection
# limit), backup while
# serving, restart with the admin still there, restore round trip, and the
# operator errors (bad paths, a foreign key, a readable key file).  TAP.
set -u
source "$(dirname "$0")/lib.sh"

# shellcheck source=tests/netns/lib_mgmt.sh
source "$(dirname "$0")/lib_mgmt.sh"
[ -x "$MGMTD" ] || bail "no $MGMTD (make test-build)"
command -v curl >/dev/null || bail "curl missing"
command -v sqlite3 >/dev/null || bail "sqlite3 missing"
command -v openssl >/dev/null || bail "openssl missing"

T=$(mktemp -d /tmp/snr-mgmtd.XXXXXX)
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
DB=$T/mgmt.db
SRV_PID=""
SRV_LOG=""
ADMIN=""
DEVICE=""
SERVES=0

mode_of() { stat -c %a "$1"; }
sum_of() { sha256sum "$1" | cut -d' ' -f1; }

# serve_start [ARGS...]: a server on free loopback ports; ADMIN and DEVICE
# get "127.0.0.1:port" once it logs both listeners.
serve_start() {
	SERVES=$((SERVES + 1))
	SRV_LOG=$T/serve-$SERVES.log
	ALL_LOGS+=("$SRV_LOG")
	"$MGMTD" serve --db "$DB" --admin-listen 127.0.0.1:0 --device-listen 127.0.0.1:0 "$@" \
		>"$SRV_LOG" 2>&1 &
	SRV_PID=$!
	bg_track "$SRV_PID"
	mgmtd_wait "$SRV_LOG" || { diag "$(cat "$SRV_LOG")"; return 1; }
	ADMIN=$MGMTD_ADMIN
	DEVICE=$MGMTD_DEVICE
}

# serve_stop: SIGTERM; ok iff it exits 0 with a clean log.
serve_stop() {
	local rc
	kill -TERM "$SRV_PID"
	wait "$SRV_PID"
	rc=$?
	check_eq "serve $SERVES: SIGTERM stops it with exit 0" 0 "$rc"
	sanitizer_check "serve $SERVES" "$SRV_LOG"
	SRV_PID=""
}


# ---- init -------------------------------------------------------------------------

check_match "--help documents the exit codes" '4 database error' "$("$MGMTD" --help)"
expect_rc "init without --admin: usage error (2)" 2 "$MGMTD" init --db "$DB"
expect_rc "init --admin 'not-an-email': usage error (2)" 2 "$MGMTD" init --db "$DB" --admin not-an-email
expect_rc "unknown option: usage error (2)" 2 "$MGMTD" status --db "$DB" --frobnicate

OUT=$("$MGMTD" init --db "$DB" --admin Admin@Example.org 2>&1)
rc=$?
check_eq "init: exit 0" 0 "$rc"
PW=$(printf '%s\n' "$OUT" | sed -n 's/^one-time password: *//p')
PK=$(printf '%s\n' "$OUT" | sed -n 's/^instance public key: *//p')
check_match "init printed a one-time password" '^[a-z2-9]{5}(-[a-z2-9]{5}){3}$' "$PW"
check_match "init printed the instance public key" '^[0-9a-f]{64}$' "$PK"
for f in mgmt.db instance.key pepper tls-key.pem; do
	check_eq "$f is mode 600" 600 "$(mode_of "$T/$f")"
done
check_eq "tls-cert.pem is public (644)" 644 "$(mode_of "$T/tls-cert.pem")"
check_fails "the password is in no file of the instance" grep -rqF -- "$PW" "$T"
check_match "the admin's hash is argon2id" '^\$argon2id\$' \
	"$(sqlite3 "$DB" "SELECT pw_hash FROM accounts WHERE email = 'Admin@Example.org'")"
check_eq "the newest schema version ($SCHEMA_NEWEST) in user_version" "$SCHEMA_NEWEST" "$(sqlite3 "$DB" 'PRAGMA user_version')"
check_eq "WAL mode" wal "$(sqlite3 "$DB" 'PRAGMA journal_mode')"
check_eq "one audit row for the init" "system|instance.init" \
	"$(sqlite3 "$DB" 'SELECT actor_kind, action FROM audit')"

KEYSUM=$(sum_of "$T/instance.key")
expect_rc "init twice: refused (3)" 3 "$MGMTD" init --db "$DB" --admin other@example.org
check_match "... saying the database exists" 'mgmt.db: an instance database exists' "$OUT"
expect_rc "init --force: exit 0" 0 "$MGMTD" init --db "$DB" --admin Admin@Example.org --force
check_match "... kept the instance key" 'instance.key \(kept\)' "$OUT"
check_eq "... whose bytes are unchanged" "$KEYSUM" "$(sum_of "$T/instance.key")"
check "... and copied the old database aside" ls "$DB".pre-init-*
PW=$(printf '%s\n' "$OUT" | sed -n 's/^one-time password: *//p')

expect_rc "init --db under a missing directory: exit 1" 1 "$MGMTD" init --db /nonexistent-$$/sub/x.db --admin a@b.c
check_match "... naming the directory" "/nonexistent-$$/sub: cannot create the state directory: No such file" "$OUT"
expect_rc "serve --db missing: database error (4)" 4 "$MGMTD" serve --db "$T/nope.db"
check_match "... naming the file and the fix" "nope.db: No such file or directory \(create it with: subnetra-mgmtd init\)" "$OUT"
expect_rc "status --db a directory: database error (4)" 4 "$MGMTD" status --db "$T"
check_match "... 'not a regular file'" "not a regular file" "$OUT"
printf 'not a database at all, but long enough to have a header of some sort....' >"$T/junk.db"
expect_rc "status --db a text file: database error (4)" 4 "$MGMTD" status --db "$T/junk.db"
check_match "... 'not a database'" "junk.db: .*not a database" "$OUT"

# ---- serve --------------------------------------------------------------------------

serve_start || bail "serve did not start"
check_match "healthz on the device listener (plain)" '^200 \{"status":"ok".*"listener":"device"' "$(http "http://$DEVICE/healthz")"
check_match "healthz on the admin listener (TLS, --cacert)" '^200 \{"status":"ok".*"schema_version":'"$SCHEMA_NEWEST" "$(tls /healthz)"
check_fails "TLS without the instance's certificate is not trusted" curl -sS --max-time 10 "https://$ADMIN/healthz"
check_fails "plain HTTP on the admin listener gets no answer" curl -sS --max-time 10 "http://$ADMIN/healthz"
check_eq "GET /api/v1: 404 JSON" '404 {"error":{"code":"not_found","message":"no such endpoint"}}' "$(tls /api/v1)"
check_match "GET /api/v1/devices without credentials: 401 unauthorized" '^401 .*"code":"unauthorized"' "$(tls /api/v1/devices)"
check_match "... and not on the device listener: 404" '^404 .*"code":"not_found"' "$(http "http://$DEVICE/api/v1/devices")"
check_match "the device listener has no /api/v1" '^404 .*"code":"not_found"' "$(http "http://$DEVICE/api/v1")"
check_match "POST /healthz: 405 method_not_allowed" '^405 .*"code":"method_not_allowed"' "$(tls /healthz -d x)"
check_match "... with Allow: GET, HEAD" '^Allow: GET, HEAD' "$(curl -sS -i --cacert "$T/tls-cert.pem" -d x "https://$ADMIN/healthz" | tr -d '\r')"
head -c 65537 /dev/zero >"$T/over"
head -c 65536 /dev/zero >"$T/exact"
check_match "a 65537-byte body: 413 body_too_large" '^413 .*"code":"body_too_large"' "$(tls /api/v1 --data-binary @"$T/over")"
check_match "... chunked too" '^413 .*"code":"body_too_large"' "$(tls /api/v1 -H 'Transfer-Encoding: chunked' --data-binary @"$T/over")"
check_match "... and when the client waits for 100 Continue" '^413 .*"code":"body_too_large"' "$(tls /api/v1 -H 'Expect: 100-continue' --data-binary @"$T/over")"
check_match "a 65536-byte body is read (404 for the path)" '^404 .*"code":"not_found"' "$(tls /api/v1 --data-binary @"$T/exact")"
check_match "license.json: 503 until the base servers are set" '^503 .*"code":"not_configured"' "$(http "http://$DEVICE/license.json")"

expect_rc "a second server on the same database: refused (3)" 3 "$MGMTD" serve --db "$DB" --admin-listen 127.0.0.1:0 --device-listen 127.0.0.1:0
check_match "... naming the lock" 'mgmt.db.lock: another subnetra-mgmtd' "$OUT"
expect_rc "restore while serving: refused (3)" 3 "$MGMTD" restore --db "$DB" --from "$DB"
expect_rc "backup while serving: exit 0" 0 "$MGMTD" backup --db "$DB" --out "$T/backup.db"
check_eq "... mode 600" 600 "$(mode_of "$T/backup.db")"
check_eq "... a sound database" ok "$(sqlite3 "$T/backup.db" 'PRAGMA integrity_check')"
expect_rc "backup onto an existing file: refused (3)" 3 "$MGMTD" backup --db "$DB" --out "$T/backup.db"
check_match "healthz still answers after all that" '^200 ' "$(tls /healthz)"
serve_stop
check_match "... its last line counts the refused bodies (declared, chunked, 100-continue)" \
	'served [0-9]+ requests .*, 3 bodies too large' "$(tail -1 "$SRV_LOG")"

# ---- restart, restore -------------------------------------------------------------------

serve_start || bail "serve did not start again"
check_match "restarted: healthz" '^200 ' "$(tls /healthz)"
check_match "restarted: the admin is still there (status --json)" '"admins":\[\{"email":"Admin@Example.org","must_change_password":true\}\]' "$("$MGMTD" status --db "$DB" --json)"
check_match "status --json: the instance key" "\"instance_pubkey\":\"$PK\"" "$("$MGMTD" status --db "$DB" --json)"
serve_stop

sqlite3 "$DB" "INSERT INTO accounts(email, role, created_at) VALUES('later@example.org', 'member', 1)"
check_eq "a change after the backup" 2 "$(sqlite3 "$DB" 'SELECT count(*) FROM accounts')"
expect_rc "restore --from the backup: exit 0" 0 "$MGMTD" restore --db "$DB" --from "$T/backup.db"
check_eq "... the later change is gone" 1 "$(sqlite3 "$DB" 'SELECT count(*) FROM accounts')"
check_eq "... the admin is back" Admin@Example.org "$(sqlite3 "$DB" 'SELECT email FROM accounts')"
check_eq "... the content it replaced was kept" 2 "$(sqlite3 "$(ls "$DB".pre-restore-* | head -1)" 'SELECT count(*) FROM accounts')"
expect_rc "restore from a text file: database error (4)" 4 "$MGMTD" restore --db "$DB" --from "$T/junk.db"
check_eq "... nothing changed" 1 "$(sqlite3 "$DB" 'SELECT count(*) FROM accounts')"
serve_start || bail "serve did not start after the restore"
check_match "after the restore: healthz" '^200 ' "$(tls /healthz)"
serve_stop

# ---- TLS: --host names, a certificate of the operator's own ----------------------------------

expect_rc "init --host mgmt.example.org --host 192.0.2.7: exit 0" 0 "$MGMTD" init --db "$T/hosts/h.db" --admin h@example.org --host mgmt.example.org --host 192.0.2.7
check_match "... the certificate names exactly those" 'DNS:mgmt.example.org, IP Address:192.0.2.7$' \
	"$(openssl x509 -in "$T/hosts/tls-cert.pem" -noout -ext subjectAltName)"
check_match "... ECDSA P-256, for servers only" 'TLS Web Server Authentication' \
	"$(openssl x509 -in "$T/hosts/tls-cert.pem" -noout -text)"
mkdir -p "$T/own"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=own \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$T/own/key.pem" -out "$T/own/cert.pem" >/dev/null 2>&1
chmod 600 "$T/own/key.pem"
expect_rc "init --tls-cert/--tls-key of the operator's own: exit 0" 0 "$MGMTD" init --db "$T/own/o.db" --admin o@example.org --tls-cert "$T/own/cert.pem" --tls-key "$T/own/key.pem"
check_fails "... no certificate made" test -e "$T/own/tls-cert.pem"
SAVED_DB=$DB
DB=$T/own/o.db
serve_start || bail "serve did not start with the operator's certificate"
check_match "... served with it (curl --cacert it)" '^200 ' "$(http "https://$ADMIN/healthz" --cacert "$T/own/cert.pem")"
serve_stop
DB=$SAVED_DB

# ---- keys the server refuses ---------------------------------------------------------------

"$MGMTD" init --db "$T/other/o.db" --admin o@example.org >/dev/null 2>&1
expect_rc "serve with another instance's key: exit 1" 1 "$MGMTD" serve --db "$DB" --dir "$T/other" --admin-listen 127.0.0.1:0 --device-listen 127.0.0.1:0
check_match "... naming the key file and the database" "other/instance.key: public key [0-9a-f]{64} is not this instance's" "$OUT"
# --max-connections: two idle connections fill the device listener; a third
# request waits in the backlog (no answer within 2 s: a negative check, so
# a slow machine cannot make it fail), and is answered once they close.
serve_start --max-connections 2 || bail "serve did not start with --max-connections 2"
exec 7<>"/dev/tcp/${DEVICE%:*}/${DEVICE##*:}" 8<>"/dev/tcp/${DEVICE%:*}/${DEVICE##*:}"
check_fails "--max-connections 2: a third connection is not served" curl -sS --max-time 2 "http://$DEVICE/healthz"
exec 7>&- 8>&-
R=$(http "http://$DEVICE/healthz"); check_match "... and is once the two close" "^200 " "$R" || diag "$(cat "$T/curl.err")"
serve_stop

serve_start || bail "serve did not start for the port test"
expect_rc "another instance on a port in use: exit 1" 1 "$MGMTD" serve --db "$T/other/o.db" --admin-listen "$ADMIN" --device-listen 127.0.0.1:0
check_match "... naming the listener, the address and the reason" "admin listener $ADMIN: Address already in use" "$OUT"
expect_rc "a listen address that is not one: exit 1" 1 "$MGMTD" serve --db "$T/other/o.db" --admin-listen localhost:8443 --device-listen 127.0.0.1:0
check_match "... saying what it wants" "admin listener 'localhost:8443': want ADDRESS:PORT" "$OUT"
check_eq "HEAD /healthz: 200, no body" "200 0" "$(curl -sS -I -o /dev/null -w '%{http_code} %{size_download}' --cacert "$T/tls-cert.pem" "https://$ADMIN/healthz")"
serve_stop
chmod 644 "$T/instance.key"
expect_rc "serve with a key file others can read: exit 1" 1 "$MGMTD" serve --db "$DB" --admin-listen 127.0.0.1:0 --device-listen 127.0.0.1:0
check_match "... saying how to fix it" "instance.key: mode 0644 lets others read a secret \(chmod 600" "$OUT"
chmod 600 "$T/instance.key"

done_testing
