#!/usr/bin/env bash
# subnetra-mgmtd on PostgreSQL: a real server (Debian's postgresql 15)
# started for this run as user postgres, in a temporary directory, on a
# Unix socket only (no TCP port), and removed at the end:
#
#   [postgres -k $T/pg]  <-- libpq, unix socket --  subnetra-mgmtd serve  (x2)
#                                                     https://127.0.0.1:<port>/
#
# The store's migration and schema unit tests on it (test_mgmtd_store with
# SUBNETRA_TEST_PG_URL), the data model's (test_mgmtd_model_auth, _fleet), init (tables made in place, init twice refused),
# two servers on the one database both serving, a restart keeping the
# admin, backup/restore pointing to pg_dump, a URL's password never echoed;
# the change feed (LISTEN/NOTIFY): a change through server a wakes exactly
# the affected devices long-polling server b (counted in b's /healthz),
# and b's feed connection killed (pg_terminate_backend) is made again, a
# later change still reaching b's devices; a's store connection killed is
# made again too, and a takes writes after it.
# TAP.
set -u
source "$(dirname "$0")/lib.sh"

source "$(dirname "$0")/lib_pg.sh"

# shellcheck source=tests/netns/lib_mgmt.sh
source "$(dirname "$0")/lib_mgmt.sh"
UNIT=$SNR_BUILD/tests/test_mgmtd_store
[ -x "$MGMTD" ] || bail "no $MGMTD (make test-build)"

T=$(mktemp -d /tmp/snr-mgmtd-pg.XXXXXX)
trap pg_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# ---- the database server ---------------------------------------------------------

pg_start
pg_createdb unit && pg_createdb mgmt || bail "createdb failed"
ok "a PostgreSQL server of our own on $PGDIR"
URL=$(pg_url mgmt)


# ---- the store's unit tests on it ---------------------------------------------------

OUT=$(SUBNETRA_TEST_PG_URL="postgresql:///unit?host=$PGDIR&user=postgres" CMOCKA_MESSAGE_OUTPUT=TAP "$UNIT" 2>&1)
rc=$?
check_eq "test_mgmtd_store on PostgreSQL: exit 0" 0 "$rc"
check_match "... ran the PostgreSQL group (its 4 tests)" '^1\.\.4$' "$OUT"
check_match "... which passed as a group" '^# ok - mgmt_store_postgres$' "$OUT"
check_eq "... every test of both groups passed" 10 "$(printf '%s\n' "$OUT" | grep -c '^ok ')"
[ "$rc" -eq 0 ] || diag "$(printf '%s\n' "$OUT" | grep -v '^ok' | head -20)"

# The data model's tests (accounts, sessions, tokens, passwords, TOTP, audit; networks,
# devices, join codes, versions) on it: each binary runs its group on SQLite,
# then the same tests as "<group>_postgres".  name:tests:skipped-on-SQLite
# (two_servers_never_share_a_serial needs PostgreSQL's row locks).
for m in auth:7:0 fleet:9:1; do
	IFS=: read -r name count skipped <<<"$m"
	OUT=$(SUBNETRA_TEST_PG_URL="postgresql:///unit?host=$PGDIR&user=postgres" CMOCKA_MESSAGE_OUTPUT=TAP \
		"$SNR_BUILD/tests/test_mgmtd_model_$name" 2>&1)
	rc=$?
	check_eq "test_mgmtd_model_$name on SQLite and PostgreSQL: exit 0" 0 "$rc"
	check_match "... its PostgreSQL group passed" "^# ok - mgmtd_model_${name}_postgres\$" "$OUT"
	check_eq "... every test of both groups passed ($skipped skipped on SQLite)" \
		$((2 * count - skipped)) "$(printf '%s\n' "$OUT" | grep -c '^ok ')"
	check_eq "... and none skipped on PostgreSQL" "$skipped" "$(printf '%s\n' "$OUT" | grep -c 'SKIP')"
	[ "$rc" -eq 0 ] || diag "$(printf '%s\n' "$OUT" | grep -v '^ok' | head -20)"
done

# ---- init, serve ------------------------------------------------------------------------

expect_rc "init on PostgreSQL without --dir: usage error (2)" 2 "$MGMTD" init --db "$URL" --admin a@example.org
expect_rc "init on PostgreSQL: exit 0" 0 "$MGMTD" init --db "$URL" --admin Admin@Example.org --dir "$T/state"
check_match "... one-time password printed" '^one-time password: [a-z2-9]{5}(-[a-z2-9]{5}){3}$' "$OUT"
PW=$(printf '%s\n' "$OUT" | sed -n 's/^one-time password: *//p')
check_eq "... the newest schema version ($SCHEMA_NEWEST) in subnetra_schema" "$SCHEMA_NEWEST" \
	"$(runuser -u postgres -- psql -h "$PGDIR" -d mgmt -Atc 'SELECT version FROM subnetra_schema')"
check_match "... an argon2id hash stored, not the password" '^\$argon2id\$' \
	"$(runuser -u postgres -- psql -h "$PGDIR" -d mgmt -Atc 'SELECT pw_hash FROM accounts')"
check_eq "... the password in no column of accounts" 0 \
	"$(runuser -u postgres -- psql -h "$PGDIR" -d mgmt -Atc "SELECT count(*) FROM accounts WHERE strpos(accounts::text, '$PW') > 0")"
expect_rc "init twice: refused (3)" 3 "$MGMTD" init --db "$URL" --admin b@example.org --dir "$T/state"
check_match "... 'holds an instance already'" 'holds an instance already' "$OUT"
expect_rc "backup of a PostgreSQL database: usage error (2)" 2 "$MGMTD" backup --db "$URL" --out "$T/b.db"
check_match "... naming pg_dump" 'pg_dump' "$OUT"
expect_rc "a URL with a password that fails: database error (4)" 4 "$MGMTD" status --db "postgresql://postgres:Sekret99@/nope?host=$PGDIR"
check_match "... the password hidden" 'postgres:\*\*\*@' "$OUT"
check_fails "... and never printed" grep -q Sekret99 <<<"$OUT"
expect_rc "the same with ?password=: database error (4)" 4 "$MGMTD" status --db "postgresql:///nope?host=$PGDIR&password=Sekret98&user=postgres"
check_match "... the password hidden" 'password=\*\*\*&user=postgres' "$OUT"
check_fails "... and never printed" grep -q Sekret98 <<<"$OUT"

start_server() { # NAME: a server on free loopback ports; its admin address in ADDR[NAME]
	local log=$T/serve-$1.log
	ALL_LOGS+=("$log")
	SUBNETRA_MGMTD_TEST_ROUTES=1 "$MGMTD" serve --db "$URL" --admin-listen 127.0.0.1:0 \
		--device-listen 127.0.0.1:0 >"$log" 2>&1 &
	PID[$1]=$!
	bg_track "${PID[$1]}"
	mgmtd_wait "$log" || { diag "$(cat "$log")"; return 1; }
	ADDR[$1]=$MGMTD_ADMIN
	DEV[$1]=$MGMTD_DEVICE
}
stop_server() {
	local rc
	kill -TERM "${PID[$1]}"
	wait "${PID[$1]}"
	rc=$?
	check_eq "server $1: SIGTERM stops it with exit 0" 0 "$rc"
	sanitizer_check "server $1" "$T/serve-$1.log"
}
healthz() { curl -sS --max-time 10 --cacert "$T/state/tls-cert.pem" "https://${ADDR[$1]}/healthz"; }
declare -A PID=() ADDR=() DEV=()

start_server a || bail "server a did not start"
start_server b || bail "server b did not start on the same database"
check_match "two servers on one PostgreSQL database: a answers" '"status":"ok".*"schema_version":'"$SCHEMA_NEWEST" "$(healthz a)"
check_match "... and b answers" '"status":"ok".*"schema_version":'"$SCHEMA_NEWEST" "$(healthz b)"
check_match "... the log names the database without secrets" "serving postgresql:///mgmt" "$(cat "$T/serve-a.log")"

# A change made through one process reaches a long-poll held on a server.
api() { curl -sS --max-time 60 --cacert "$T/state/tls-cert.pem" "https://${ADDR[$1]}$2"; }
"$SUBNETRA" identity new --out "$T/base.id" >/dev/null 2>&1 || bail "identity new"
BASE_PK=$("$SUBNETRA" identity show "$T/base.id" | sed -n 's/^public-key //p' | head -1)
CUR=$(api a /api/v1/events | sed -n 's/.*"cursor":"\([0-9.]*\)".*/\1/p')
api a "/api/v1/events?after=$CUR&wait=50" >"$T/ev-a" 2>&1 &
EV_PID=$!
bg_track "$EV_PID"
parked_on_a() { healthz a | grep -q '"waiting":1'; }
check "a long-poll parked on server a" wait_until 20 parked_on_a
expect_rc "settings on the PostgreSQL database: exit 0" 0 "$MGMTD" settings --db "$URL" \
	--base-server "203.0.113.5:5582:443:$BASE_PK" --mgmt-address fc94::4d
wait "$EV_PID"
check_match "... it woke the long-poll on server a with the new serial" \
	"\"license_serial\":$(sed -n 's/^license serial *\([0-9]*\) .*/\1/p' <<<"$OUT")}" "$(cat "$T/ev-a")"
api a /license.json >"$T/lic-a.json"
api b /license.json >"$T/lic-b.json"
check_match "license.json on server a" '^\{"payload":"' "$(cat "$T/lic-a.json")"
check "... the same bytes on server b" cmp -s "$T/lic-a.json" "$T/lic-b.json"
# A signed device request accepted by server a, replayed to server b: the
# nonce is in the database both read, so b refuses it and changes nothing.
PYDEV=$SNR_ROOT/tests/tools/mgmt_device.py
pgq() { runuser -u postgres -- psql -h "$PGDIR" -d mgmt -Atc "$1"; }
pg_state() { pgq "SELECT (SELECT count(*) FROM devices), (SELECT count(*) FROM memberships), (SELECT count(*) FROM audit), (SELECT serial FROM instance_version)"; }
SEED=$("$SNR_BUILD/tests/tools/mgmt_device" keygen 1) || bail "keygen"
CODE=$(curl -sS --max-time 10 --cacert "$T/state/tls-cert.pem" -H 'Content-Type: application/json' \
	--data-binary '{"network":"replay","reusable":true}' "https://${ADDR[a]}/api/v1/_test/joincode" |
	sed -n 's/.*"code":"\(snj_[^"]*\)".*/\1/p')
[ -n "$CODE" ] || bail "no join code from server a's test route"
check_match "a device joins through server a" '^200 .*"new":true' \
	"$(python3 "$PYDEV" req "${DEV[a]}" "$SEED" POST /device/v1/join --body "{\"code\":\"$CODE\",\"hostname\":\"robot-r\"}" --save "$T/join.raw")"
AFTER=$(pg_state)
check_eq "... its nonce recorded in the database" 1 "$(pgq 'SELECT count(*) FROM device_nonces')"
check_match "the same bytes replayed to server b: 401 replay" '^401 .*"code":"replay"' \
	"$(python3 "$PYDEV" raw "${DEV[b]}" "$T/join.raw")"
check_eq "... and nothing changed (devices, memberships, audit, version)" "$AFTER" "$(pg_state)"
check_match "... counted by server b" '"replay":1' "$(curl -sS --max-time 10 "http://${DEV[b]}/healthz")"
check_match "... and replayed to server a: 401 replay too" '^401 .*"code":"replay"' \
	"$(python3 "$PYDEV" raw "${DEV[a]}" "$T/join.raw")"
check_match "a fresh signature of the same join on server b: served" '^200 .*"new":false' \
	"$(python3 "$PYDEV" req "${DEV[b]}" "$SEED" POST /device/v1/join --body "{\"code\":\"$CODE\",\"hostname\":\"robot-r\"}")"
stop_server a
stop_server b
start_server c || bail "server c did not start"
check_match "restarted: healthz" '"status":"ok"' "$(healthz c)"
check_match "restarted: the replay is still refused (the nonce outlives the process)" \
	'^401 .*"code":"replay"' "$(python3 "$PYDEV" raw "${DEV[c]}" "$T/join.raw")"
check_match "restarted: the admin is still there" '"admins":\[\{"email":"Admin@Example.org"' "$("$MGMTD" status --db "$URL" --json)"
stop_server c

# ---- the change feed: two servers, devices long-polling b, changes made through a ----------

DEVTOOL=$SNR_BUILD/tests/tools/mgmt_device
PYDEV=$SNR_ROOT/tests/tools/mgmt_device.py
TEST_ROUTES=1 start_server fa || bail "server fa did not start"
TEST_ROUTES=1 start_server fb || bail "server fb did not start"
check_match "server b: the change feed listening" 'change feed: listening on subnetra_change' "$(cat "$T/serve-fb.log")"
check_match "... healthz says it is live" '"feed":\{"state":"live","notifications":0,' "$(healthz fb)"
post_a() { curl -sS --max-time 20 --cacert "$T/state/tls-cert.pem" -H 'Content-Type: application/json' --data-binary "$2" "https://${ADDR[fa]}$1"; }
code_of() { sed -n 's/.*"code":"\(snj_[^"]*\)".*/\1/p' <<<"$1"; }
dev() { local srv=$1; shift; python3 "$PYDEV" req "${DEV[$srv]}" "$@"; }
payload() { python3 -c 'import json,base64,sys; p=json.load(open(sys.argv[1]))["payload"]; print(base64.urlsafe_b64decode(p+"="*(-len(p)%4)).decode())' "$1"; }
version_of() { payload "$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("%d.%d" % (d["epoch"], d["serial"]))'; }
peers_of() { payload "$1" | python3 -c 'import json,sys; print(" ".join(sorted(p["hostname"] for p in json.load(sys.stdin)["peers"])))'; }
hnum() { healthz "$1" | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"; }
waiting_is() { [ "$(hnum "$1" waiting)" = "$2" ]; }
# answered I.ROUND: robot-I's poll of that round answered (its bundle and the time it ended written).
answered() { [ -s "$T/r$1.json" ] && [ "$(wc -l <"$T/r$1.poll")" -ge 2 ]; }
feed_state() { healthz fb | grep -q "\"feed\":{\"state\":\"$1\""; }

"$DEVTOOL" keygen 6 >"$T/seeds" || bail "keygen"
for i in 1 2 3 4 5 6; do S[$i]=$(sed -n "${i}p" "$T/seeds"); done
FLEET=$(code_of "$(post_a /api/v1/_test/joincode '{"network":"fleet","reusable":true}')")
OTHER=$(code_of "$(post_a /api/v1/_test/joincode '{"network":"other","reusable":true}')")
[ -n "$FLEET" ] && [ -n "$OTHER" ] || bail "no join codes from the test route"
# robot-1 and robot-2 in fleet, robot-3 in other: joined through b, polling b.
for i in 1 2 3; do
	C=$FLEET; [ "$i" = 3 ] && C=$OTHER
	check_match "robot-$i joins through b" '^200 ' \
		"$(dev fb "${S[$i]}" POST /device/v1/join --body "{\"code\":\"$C\",\"hostname\":\"robot-$i\"}")"
done
for i in 1 2 3; do dev fb "${S[$i]}" GET '/device/v1/config?wait=0' --out "$T/r$i.0.json" >/dev/null; done
park() { # I ROUND: robot-I's config poll parked on b, have=its current version
	( dev fb "${S[$1]}" GET "/device/v1/config?have=$(version_of "$T/r$1.$(($2 - 1)).json")&wait=50" \
		--out "$T/r$1.$2.json" >"$T/r$1.$2.poll"; now_ms >>"$T/r$1.$2.poll" ) &
	bg_track $!
}
for i in 1 2 3; do park "$i" 1; done
check "three config polls parked on b" wait_until 20 waiting_is fb 3
W0=$(hnum fb polls_woken)
T0=$(now_ms)
check_match "robot-4 joins fleet through a" '^200 ' \
	"$(dev fa "${S[4]}" POST /device/v1/join --body "{\"code\":\"$FLEET\",\"hostname\":\"robot-4\"}")"
check "robot-1's poll on b answered" wait_until 20 answered 1.1
check "... and robot-2's" wait_until 20 answered 2.1
diag "robot-1 held the bundle listing robot-4 $(($(tail -1 "$T/r1.1.poll") - T0)) ms after the join through a began"
check_eq "... robot-1's bundle lists robot-2 and robot-4" "robot-2 robot-4" "$(peers_of "$T/r1.1.json")"
check_eq "b woke exactly the two affected polls" 2 "$(($(hnum fb polls_woken) - W0))"
check "robot-3 (another network) was not woken" test ! -s "$T/r3.1.json"
check_eq "... its poll is still parked on b" 1 "$(hnum fb waiting)"
check_match "b: notifications received, no full re-check, no loss" \
	'"feed":\{"state":"live","notifications":[1-9][0-9]*,"rechecks":0,"losses":0\}' "$(healthz fb)"

# b's feed connection killed: b polls meanwhile, connects again, re-checks everyone once.
KILLED=$(runuser -u postgres -- psql -h "$PGDIR" -d mgmt -Atc \
	"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'subnetra-mgmtd-feed-${PID[fb]}'")
check_eq "pg_terminate_backend of b's feed connection" 1 "$KILLED"
check "b: the loss counted" wait_until 20 eval '[ "$(hnum fb losses)" = 1 ]'
check "b: the feed live again" wait_until 20 feed_state live
check_match "... logged once: lost, then listening again" \
	'change feed lost \(.*\): polling every 200 ms, reconnecting' "$(cat "$T/serve-fb.log")"
check_eq "... one 'lost' line" 1 "$(grep -c 'change feed lost' "$T/serve-fb.log")"
check_match "... and the full re-check" 'change feed: listening again; every poll re-checks' "$(cat "$T/serve-fb.log")"
check_eq "... counted once" 1 "$(hnum fb rechecks)"
for i in 1 2; do park "$i" 2; done
check "robot-1 and robot-2 parked on b again" wait_until 20 waiting_is fb 3
W0=$(hnum fb polls_woken)
check_match "robot-5 joins fleet through a" '^200 ' \
	"$(dev fa "${S[5]}" POST /device/v1/join --body "{\"code\":\"$FLEET\",\"hostname\":\"robot-5\"}")"
check "after the reconnection, robot-1's poll on b answered" wait_until 20 answered 1.2
check "... and robot-2's" wait_until 20 answered 2.2
check_eq "... robot-1's bundle lists robot-5" "robot-2 robot-4 robot-5" "$(peers_of "$T/r1.2.json")"
check_eq "... b woke exactly those two" 2 "$(($(hnum fb polls_woken) - W0))"
check "robot-3 still not woken" test ! -s "$T/r3.1.json"

# a's store connection killed (as a database restart would): the request
# that meets it fails, a connects again, and writes through a work again.
hz_ok() { healthz "$1" | grep -q '"status":"ok"'; }
KILLED=$(runuser -u postgres -- psql -h "$PGDIR" -d mgmt -Atc \
	"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'subnetra-mgmtd-${PID[fa]}'")
check_eq "pg_terminate_backend of a's store connection" 1 "$KILLED"
check "a: healthz ok again (the store connection made again)" wait_until 20 hz_ok fa
check_match "... logged: lost, connected again" 'store connection lost \(.*\); connected again' "$(cat "$T/serve-fa.log")"
check_match "robot-6 joins fleet through a after that" '^200 ' \
	"$(dev fa "${S[6]}" POST /device/v1/join --body "{\"code\":\"$FLEET\",\"hostname\":\"robot-6\"}")"
check_eq "... a's new store connection is one connection, named" 1 \
	"$(runuser -u postgres -- psql -h "$PGDIR" -d mgmt -Atc "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'subnetra-mgmtd-${PID[fa]}'")"
stop_server fa
stop_server fb
check_match "b's exit line: the feed's counters" 'change feed: [0-9]+ notifications, 1 full re-checks, 1 connections lost' "$(cat "$T/serve-fb.log")"

done_testing
