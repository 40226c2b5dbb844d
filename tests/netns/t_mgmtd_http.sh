#!/usr/bin/env bash
# subnetra-mgmtd's HTTP layer and license.json, on loopback (no namespaces:
# the server listens on 127.0.0.1, on ports the kernel picks):
#
#   curl / python3 --TLS--> admin listener  [subnetra-mgmtd serve, test routes on]
#   curl ---------plain---> device listener        |
#   subnetra-mgmtd settings ---------------> $T/mgmt.db (SQLite, shared)
#
# The framework (routes, methods, path parameters, query, remote address,
# pagination, JSON bodies: 404/405/413/415/400 as JSON errors with nothing
# changed), the long-poll (park, wake by a change another process commits,
# deadline, 2,000 parked at once all answered after one change), the
# settings command (strict validation), license.json (503 until configured,
# then checked by an independent Python verifier and by the device's own
# decoder, mgmt_license_check), and the OpenAPI document (served bytes =
# docs/api/openapi.yaml, structural check, the routes it lists = the
# routes served).  TAP.
set -u
source "$(dirname "$0")/lib.sh"

# shellcheck source=tests/netns/lib_mgmt.sh
source "$(dirname "$0")/lib_mgmt.sh"
LCHECK=$SNR_BUILD/tests/tools/mgmt_license_check
PY=$SNR_ROOT/tests/netns/mgmtd_http.py
[ -x "$MGMTD" ] || bail "no $MGMTD (make test-build)"
[ -x "$LCHECK" ] || bail "no $LCHECK (make test-build)"
command -v curl >/dev/null || bail "curl missing"
command -v sqlite3 >/dev/null || bail "sqlite3 missing"
python3 -c 'import cryptography, yaml' 2>/dev/null || bail "python3-cryptography or python3-yaml missing"

LONGPOLLS=${SNR_LONGPOLLS:-2000}

T=$(mktemp -d /tmp/snr-mgmtd-http.XXXXXX)
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
DB=$T/mgmt.db
SRV_PID=""
SRV_LOG=$T/serve.log
ALL_LOGS+=("$SRV_LOG")

# post PATH BODY [CURL ARGS...]: a JSON POST on the admin listener.
post() { tls "$1" -H 'Content-Type: application/json' --data-binary "$2" "${@:3}"; }
# state: what a refused request must not change (the meta rows, the audit rows).
state() { sqlite3 "$DB" "SELECT k || '=' || v FROM meta ORDER BY k; SELECT count(*) FROM audit"; }
healthz_waiting() { tls /healthz | sed -n 's/.*"waiting":\([0-9]*\).*/\1/p'; }
waiting_ge() { [ "$(healthz_waiting)" -ge "$1" ]; }
cursor_of() { sed -n 's/.*"cursor":"\([0-9.]*\)".*/\1/p' <<<"$1"; }

# ---- start --------------------------------------------------------------------------

OUT=$("$MGMTD" init --db "$DB" --admin admin@example.org 2>&1) || bail "init: $OUT"
PK=$(printf '%s\n' "$OUT" | sed -n 's/^instance public key: *//p')
"$SUBNETRA" identity new --out "$T/base.id" >/dev/null 2>&1 || bail "identity new"
BASE_PK=$("$SUBNETRA" identity show "$T/base.id" | sed -n 's/^public-key //p' | head -1)
ulimit -n 20000 2>/dev/null || diag "could not raise the open file limit: $(ulimit -n)"

SUBNETRA_MGMTD_TEST_ROUTES=1 "$MGMTD" serve --db "$DB" --admin-listen 127.0.0.1:0 \
	--device-listen 127.0.0.1:0 --max-connections $((LONGPOLLS + 500)) >"$SRV_LOG" 2>&1 &
SRV_PID=$!
bg_track "$SRV_PID"
mgmtd_wait "$SRV_LOG" || bail "serve did not start: $(cat "$SRV_LOG")"
ADMIN=$MGMTD_ADMIN
DEVICE=$MGMTD_DEVICE
check_match "the server says the test routes are on" 'SUBNETRA_MGMTD_TEST_ROUTES=1: the test routes /api/v1/_test/\* are on' "$(cat "$SRV_LOG")"

# ---- routes, methods, parameters ---------------------------------------------------------

check_match "healthz on both listeners, with the waiting count" '^200 .*"listener":"device","waiting":0' "$(http "http://$DEVICE/healthz")"
check_eq "an unknown path: 404 JSON" '404 {"error":{"code":"not_found","message":"no such endpoint"}}' "$(tls /api/v1/nope)"
check_match "the admin API is not on the device listener" '^404 .*not_found' "$(http "http://$DEVICE/api/v1/events")"
check_match "POST /healthz: 405" '^405 .*"code":"method_not_allowed"' "$(tls /healthz -d x)"
check_match "DELETE on a POST route: 405 with Allow: POST" '^Allow: POST$' \
	"$(curl -sS -i --cacert "$T/tls-cert.pem" -X DELETE "https://$ADMIN/api/v1/_test/echo/x/y" | tr -d '\r')"
R=$(post '/api/v1/_test/echo/net-7/fc94::1?q=h%C3%A9llo' '{"x":[1,2]}')
check_eq "path parameters {a}/{b}, the query (decoded), the remote address" \
	'200 {"a":"net-7","b":"fc94::1","q":"héllo","remote":"127.0.0.1","type":"object","bytes":11}' "$R"
check_match "a missing parameter segment: 404" '^404 ' "$(post /api/v1/_test/echo/net-7 '{}')"
check_match "an empty parameter segment: 404" '^404 ' "$(post /api/v1/_test/echo//b '{}')"
check_match "a segment too many: 404" '^404 ' "$(post /api/v1/_test/echo/a/b/c '{}')"
check_match "a parameter never spans a /: 404" '^404 ' "$(post /api/v1/_test/echo/a/b/ '{}')"
check_match "test routes are not on the device listener" '^404 ' \
	"$(http "http://$DEVICE/api/v1/_test/page")"

# ---- bodies: 413, 415, malformed JSON, with nothing changed -------------------------------

BEFORE=$(state)
check_match "text/plain: 415" '^415 .*"code":"unsupported_media_type"' \
	"$(tls /api/v1/_test/echo/a/b -H 'Content-Type: text/plain' --data-binary '{}')"
check_match "a form post (curl -d): 415" '^415 .*unsupported_media_type' "$(tls /api/v1/_test/echo/a/b -d 'x=1')"
check_match "application/json; charset=utf-8 is JSON" '^200 ' \
	"$(tls /api/v1/_test/echo/a/b -H 'Content-Type: application/json; charset=utf-8' --data-binary '[]')"
check_match "an empty body: 400 malformed_json" '^400 .*"code":"malformed_json","message":"the body is empty"' "$(post /api/v1/_test/echo/a/b '')"
check_match "broken JSON: 400 with line and column" '^400 .*"code":"malformed_json","message":"line 2, column' "$(post /api/v1/_test/echo/a/b $'{"a":1,\n"b":}')"
check_match "a trailing comma: 400" '^400 .*malformed_json' "$(post /api/v1/_test/echo/a/b '{"a":1,}')"
check_match "a repeated member: 400" '^400 .*malformed_json' "$(post /api/v1/_test/echo/a/b '{"a":1,"a":2}')"
check_match "a value after the value: 400" '^400 .*malformed_json' "$(post /api/v1/_test/echo/a/b '{} {}')"
check_match "a NUL byte: 400" '^400 .*NUL' "$(printf '{"a":"\0"}' | tls /api/v1/_test/echo/a/b -H 'Content-Type: application/json' --data-binary @-)"
deep() { printf '%*s' "$1" '' | tr ' ' '['; printf '%*s' "$1" '' | tr ' ' ']'; }
check_match "16 levels deep: parsed" '^200 .*"type":"array"' "$(post /api/v1/_test/echo/a/b "$(deep 16)")"
check_match "17 levels deep: 400 too_deep" '^400 .*"code":"too_deep"' "$(post /api/v1/_test/echo/a/b "$(deep 17)")"
check_match "40 levels deep (past the parser's own 32): 400" '^400 ' "$(post /api/v1/_test/echo/a/b "$(deep 40)")"
python3 -c 'import sys; sys.stdout.write("\"" + "x" * 65534 + "\"")' >"$T/exact.json"
python3 -c 'import sys; sys.stdout.write("\"" + "x" * 65535 + "\"")' >"$T/over.json"
check_match "a 65536-byte JSON body: parsed whole" '^200 .*"type":"string","bytes":65536' \
	"$(post /api/v1/_test/echo/a/b @"$T/exact.json")"
check_match "a 65537-byte JSON body: 413" '^413 .*"code":"body_too_large"' "$(post /api/v1/_test/echo/a/b @"$T/over.json")"
check_match "... chunked: 413" '^413 .*body_too_large' "$(post /api/v1/_test/echo/a/b @"$T/over.json" -H 'Transfer-Encoding: chunked')"
check_match "... with Expect: 100-continue: 413" '^413 .*body_too_large' "$(post /api/v1/_test/echo/a/b @"$T/over.json" -H 'Expect: 100-continue')"
check_eq "none of these changed the database" "$BEFORE" "$(state)"

# ---- query and pagination ---------------------------------------------------------------

check_eq "page 1: limit 50" '200 {"items":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50],"next_cursor":"50"}' "$(tls '/api/v1/_test/page')"
check_match "page 2 from its cursor" '^200 \{"items":\[51,.*,100\],"next_cursor":"100"\}' "$(tls '/api/v1/_test/page?cursor=50')"
check_eq "the last page: next_cursor null" '200 {"items":[101,102,103,104,105,106,107,108,109,110,111,112,113,114,115,116,117,118,119,120],"next_cursor":null}' "$(tls '/api/v1/_test/page?cursor=100')"
check_eq "limit 3" '200 {"items":[1,2,3],"next_cursor":"3"}' "$(tls '/api/v1/_test/page?limit=3')"
for q in limit=0 limit=501 limit=-1 limit=1x limit=01 cursor=abc cursor=0 cursor=-5; do
	check_match "?$q: 400 bad_query" '^400 .*"code":"bad_query"' "$(tls "/api/v1/_test/page?$q")"
done

# ---- license.json before the settings; settings validation ---------------------------------

R=$(http "http://$DEVICE/license.json")
check_match "license.json before any setting: 503 not_configured" '^503 .*"code":"not_configured"' "$R"
check_match "... saying what to set and how" 'set the base servers and the management address with subnetra-mgmtd settings' "$R"
check_match "... on the admin listener too" '^503 .*not_configured' "$(tls /license.json)"
SHOW=$("$MGMTD" settings show --db "$DB")
check_match "settings show: not served yet" 'license.json +not served \(503\)' "$SHOW"
BEFORE=$(state)
bad_setting() {
	local desc=$1 want=$2
	shift 2
	expect_rc "settings $desc: usage error (2)" 2 "$MGMTD" settings --db "$DB" "$@"
	check_match "... $want" "$want" "$OUT"
}
bad_setting "--base-server without a key" "want HOST:UDP_PORT:TCP_PORT:PUBLIC_KEY_HEX" --base-server 203.0.113.5:5582
bad_setting "--base-server with port 0" "UDP port '0': want 1..65535" --base-server "203.0.113.5:0:443:$BASE_PK"
bad_setting "--base-server with port 65536" "TCP port '65536': want 1..65535" --base-server "203.0.113.5:5582:65536:$BASE_PK"
bad_setting "--base-server with a short key" "public key: want 64 lowercase hex" --base-server "203.0.113.5:5582:443:abcd"
bad_setting "--base-server with a key that is no identity" "not a subnetra identity key" --base-server "203.0.113.5:5582:443:$(printf 'ff%.0s' $(seq 32))"
bad_setting "--base-server with a bad host" "host 'bad_host!'" --base-server "bad_host!:5582:443:$BASE_PK"
bad_setting "--mgmt-address outside fc94::/16" "want an overlay address" --mgmt-address 2001:db8::1
bad_setting "--mgmt-address not an address" "want an overlay address" --mgmt-address fc94::zz
bad_setting "--dashboard-url ftp://" "dashboard URL: want" --dashboard-url ftp://x
bad_setting "--dashboard-url with a space" "dashboard URL" --dashboard-url 'https://a b'
bad_setting "--name of 129 bytes" "name: want 1..128" --name "$(printf 'x%.0s' $(seq 129))"
bad_setting "--valid-days 0" "--valid-days wants 1..3650" --valid-days 0
bad_setting "one good and one bad value" "want an overlay address" --name fine --mgmt-address 10.0.0.1
bad_setting "with nothing to change" "needs a setting to change" 
check_eq "... none of them changed anything" "$BEFORE" "$(state)"

# ---- long-poll on the event cursor: wake by another process's change ------------------------

R=$(tls /api/v1/events)
check_match "events without after: the cursor at once" '^200 \{"cursor":"[0-9]+\.[0-9]+","audit":[0-9]+,"license_serial":0\}' "$R"
CUR=$(cursor_of "$R")
check_eq "events after the current cursor, wait=1: 204 once it passes" "204 " "$(tls "/api/v1/events?after=$CUR&wait=1")"
check_eq "... wait=0: 204 at once" "204 " "$(tls "/api/v1/events?after=$CUR&wait=0")"
check_match "events after another cursor: 200 at once" '^200 ' "$(tls "/api/v1/events?after=0.0&wait=30")"
check_match "a malformed cursor: 400" '^400 .*bad_query' "$(tls "/api/v1/events?after=1.2.3")"
check_match "a cursor with a leading zero: 400" '^400 .*bad_query' "$(tls "/api/v1/events?after=01.0")"
check_match "wait=301: 400" '^400 .*bad_query' "$(tls "/api/v1/events?after=$CUR&wait=301")"

curl -sS -o "$T/ev1" -w '%{http_code}' --max-time 60 --cacert "$T/tls-cert.pem" \
	"https://$ADMIN/api/v1/events?after=$CUR&wait=50" >"$T/ev1.code" 2>&1 &
EV_PID=$!
bg_track "$EV_PID"
wait_until 20 waiting_ge 1 || not_ok "the long-poll is parked (healthz waiting)"
ok "a long-poll is parked (healthz says waiting 1)"
check_eq "... it has no answer yet" "" "$(cat "$T/ev1.code")"
expect_rc "settings --base-server --mgmt-address (another process): exit 0" 0 \
	"$MGMTD" settings --db "$DB" --base-server "203.0.113.5:5582:443:$BASE_PK" \
	--base-server "[2001:db8::7]:5583:8443:$BASE_PK" --mgmt-address fc94:0:0:0::4d \
	--name "Acme robots" --dashboard-url https://mgmt.example.org:8443 --valid-days 30
wait "$EV_PID"
check_eq "the change woke the long-poll: 200" 200 "$(cat "$T/ev1.code")"
NEW=$(cursor_of "$(cat "$T/ev1")")
check_match "... with a new cursor" '^[0-9]+\.[1-9][0-9]*$' "$NEW"
check_fails "... not the old one" test "$NEW" = "$CUR"
check_eq "... and nothing is parked any more" 0 "$(healthz_waiting)"

# ---- license.json --------------------------------------------------------------------------

SHOW=$("$MGMTD" settings show --db "$DB")
check_match "settings show: the base servers, host without brackets" "2001:db8::7:5583:8443:$BASE_PK" "$SHOW"
check_match "... the management address in its one spelling" 'mgmt address +fc94::4d$' "$SHOW"
check_match "... served" 'license.json +served' "$SHOW"
SERIAL=$(sed -n 's/^license serial *\([0-9]*\) .*/\1/p' <<<"$SHOW")
check_eq "... the serial is the cursor's" "${NEW#*.}" "$SERIAL"
curl -sS --max-time 10 -o "$T/lic1.json" "http://$DEVICE/license.json"
curl -sS --max-time 10 -o "$T/lic1-admin.json" --cacert "$T/tls-cert.pem" "https://$ADMIN/license.json"
check "license.json: the same bytes on both listeners" cmp -s "$T/lic1.json" "$T/lic1-admin.json"
OUT=$(python3 "$PY" verify-license "$T/lic1.json" "$PK" 2>&1)
check_eq "independent check (python3-cryptography): key id, Ed25519 over domain||NUL||payload" 0 $?
check_match "... name" '^name=Acme robots$' "$OUT"
check_match "... serial" "^serial=$SERIAL\$" "$OUT"
check_match "... both base servers, in order" "^base_servers=203.0.113.5:5582:443:$BASE_PK,2001:db8::7:5583:8443:$BASE_PK\$" "$OUT"
check_match "... websetup_host and api_servers: the management address" $'websetup_host=fc94::4d\napi_servers=fc94::4d' "$OUT"
check_match "... dashboard_url" '^dashboard_url=https://mgmt.example.org:8443$' "$OUT"
check_match "... signed by the instance key, which it lists" "^signing_keys=$PK\$" "$OUT"
ISSUED=$(sed -n 's/^issued=//p' <<<"$OUT")
UNTIL=$(sed -n 's/^valid_until=//p' <<<"$OUT")
check_eq "... valid for --valid-days 30" $((30 * 86400)) $(($(date -ud "$UNTIL" +%s) - $(date -ud "$ISSUED" +%s)))
OUT=$("$LCHECK" "$PK" "$T/lic1.json" 2>&1)
check_match "the device's decoder (mgmt_license_check) accepts it, pinning the key by fingerprint" \
	"^newer serial=$SERIAL name=Acme robots bases=2 websetup=fc94::4d keys=1\$" "$OUT"
OTHER_PK=$(sed -n 's/^public-key //p' <<<"$("$SUBNETRA" identity show "$T/base.id")" | head -1)
expect_rc "... but not under another key's fingerprint" 1 "$LCHECK" "$OTHER_PK" "$T/lic1.json"
check_match "... foreign_key" '^foreign_key ' "$OUT"
cp "$T/lic1.json" "$T/lic1-bad.json"
python3 - "$T/lic1-bad.json" <<'PY'
import json, sys
p = sys.argv[1]
e = json.load(open(p))
s = list(e["sig"]); s[10] = "A" if s[10] != "A" else "B"; e["sig"] = "".join(s)
json.dump(e, open(p, "w"), separators=(",", ":"))
PY
expect_rc "a license with a flipped signature character: refused" 1 "$LCHECK" "$PK" "$T/lic1-bad.json"
check_match "... envelope:bad_signature" '^envelope:bad_signature ' "$OUT"
curl -sS --max-time 10 -o "$T/lic1b.json" "http://$DEVICE/license.json"
check "fetched again: the same bytes (deterministic for one serial)" cmp -s "$T/lic1.json" "$T/lic1b.json"
expect_rc "settings --name (a change): exit 0" 0 "$MGMTD" settings --db "$DB" --name "Acme robots 2"
curl -sS --max-time 10 -o "$T/lic2.json" "http://$DEVICE/license.json"
OUT=$("$LCHECK" "$PK" "$T/lic1.json" "$T/lic1b.json" "$T/lic2.json" 2>&1)
check_match "a device takes the first, the same again, then the changed one as newer" \
	$'^newer serial=[0-9]+ name=Acme robots bases.*\nsame serial=[0-9]+ .*\nnewer serial=[0-9]+ name=Acme robots 2 ' "$OUT"
expect_rc "the older license after the newer: refused" 1 "$LCHECK" "$PK" "$T/lic2.json" "$T/lic1.json"
check_match "... stale" $'\nstale ' "$OUT"
check_eq "each change wrote an audit row" 2 "$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'settings.update'")"

# ---- 2,000 long-polls parked at once, all answered after one change ----------------------------

CUR=$(cursor_of "$(tls /api/v1/events)")
python3 "$PY" longpoll 127.0.0.1 "${ADMIN##*:}" "$T/tls-cert.pem" "$LONGPOLLS" "$CUR" 120 \
	"$T/lp.ready" "$T/lp.json" >"$T/lp.log" 2>&1 &
LP_PID=$!
bg_track "$LP_PID"
if wait_until 120 test -s "$T/lp.ready" && wait_until 60 waiting_ge "$LONGPOLLS"; then
	ok "$LONGPOLLS long-polls parked at once (healthz waiting $(healthz_waiting))"
else
	not_ok "$LONGPOLLS long-polls parked at once"
	diag "waiting: $(healthz_waiting)" "$(cat "$T/lp.log")"
fi
RSS=$(awk '/VmRSS/ {print $2}' "/proc/$SRV_PID/status")
diag "server RSS with $LONGPOLLS parked: ${RSS} KiB"
T0=$(now_ms)
expect_rc "one settings change: exit 0" 0 "$MGMTD" settings --db "$DB" --valid-days 60
wait "$LP_PID"
T1=$(now_ms)
LP=$(cat "$T/lp.json" 2>/dev/null)
check_match "every long-poll answered 200" "\"status\": \\{\"200\": $LONGPOLLS\\}" "$LP"
check_match "... all with the one new cursor" "\"cursors\": \\{\"[0-9.]+\": $LONGPOLLS\\}" "$LP"
check_match "... no connection error" '"errors": 0' "$LP"
diag "change to last answer: $((T1 - T0)) ms (the client's own view: $LP)"
check_eq "nothing is parked afterwards" 0 "$(healthz_waiting)"

# ---- renewal: once half the validity has passed, the next fetch renews it --------------------

S1=$(sqlite3 "$DB" "SELECT v FROM meta WHERE k = 'license_serial'")
curl -sS --max-time 10 -o "$T/lic3.json" "http://$DEVICE/license.json"
check_eq "a fetch within the first half of the validity renews nothing" "$S1" \
	"$(sqlite3 "$DB" "SELECT v FROM meta WHERE k = 'license_serial'")"
# --valid-days is 60 now: move the issue time 31 days back.
sqlite3 "$DB" "UPDATE meta SET v = CAST(v AS INTEGER) - 31 * 86400 WHERE k = 'license_issued'"
IB=$(sqlite3 "$DB" "SELECT v FROM meta WHERE k = 'license_issued'")
curl -sS --max-time 10 -o "$T/lic4.json" "http://$DEVICE/license.json"
S2=$(sqlite3 "$DB" "SELECT v FROM meta WHERE k = 'license_serial'")
check "31 days into 60: the fetch renewed it (a higher serial)" test "$S2" -gt "$S1"
OUT=$(python3 "$PY" verify-license "$T/lic4.json" "$PK" 2>&1)
check_match "... signed, with the new serial" "^serial=$S2\$" "$OUT"
I4=$(sed -n 's/^issued=//p' <<<"$OUT")
check "... issued anew (over 31 days after the moved-back time)" \
	test $(($(date -ud "$I4" +%s) - IB)) -ge $((31 * 86400))
OUT=$("$LCHECK" "$PK" "$T/lic3.json" "$T/lic4.json" 2>&1)
check_match "... a device takes it as newer" $'\nnewer serial='"$S2 " "$OUT"

# ---- the OpenAPI document --------------------------------------------------------------------

curl -sS --max-time 10 -o "$T/openapi.yaml" -D "$T/openapi.h" --cacert "$T/tls-cert.pem" "https://$ADMIN/api/v1/openapi.yaml"
check "GET /api/v1/openapi.yaml: the bytes of docs/api/openapi.yaml" cmp -s "$T/openapi.yaml" "$SNR_ROOT/docs/api/openapi.yaml"
check_match "... as application/yaml" 'Content-Type: application/yaml' "$(tr -d '\r' <"$T/openapi.h")"
OUT=$(python3 "$PY" check-openapi "$T/openapi.yaml" "$SNR_ROOT/src/mgmt/http_routes.c" 2>&1)
check_eq "the document passes the check (structure, refs, the served routes)" 0 $?
diag "$OUT"
OUT=$(python3 "$SNR_ROOT/scripts/gen-api-ref.py" --check 2>&1)
check_eq "docs/api/reference.md is what scripts/gen-api-ref.py makes of the document" 0 $?
[ -z "$OUT" ] || diag "$OUT"

# ---- stop ------------------------------------------------------------------------------------

R=$(tls /api/v1/events)
CUR=$(cursor_of "$R")
[ -n "$CUR" ] || diag "no cursor before the stop: $R" "$(cat "$T/curl.err")"
curl -sS -o "$T/ev2" -w '%{http_code}' --max-time 60 --cacert "$T/tls-cert.pem" \
	"https://$ADMIN/api/v1/events?after=$CUR&wait=50" >"$T/ev2.code" 2>&1 &
EV_PID=$!
bg_track "$EV_PID"
wait_until 20 waiting_ge 1 || not_ok "a long-poll parked before the stop"
kill -TERM "$SRV_PID"
wait "$SRV_PID"
check_eq "SIGTERM stops the server with exit 0" 0 $?
wait "$EV_PID"
check_eq "... a request waiting then gets 503 shutting_down" \
	'503 {"error":{"code":"shutting_down","message":"the server is stopping"}}' \
	"$(cat "$T/ev2.code") $(cat "$T/ev2")"
check_match "its last line counts the long-polls" "[0-9]+ long-polls \\([0-9]+ woken, [0-9]+ timed out, 0 refused\\)" "$(tail -1 "$SRV_LOG")"
sanitizer_check "serve" "$SRV_LOG"
SRV_PID=""

# A hard open-file limit below what --max-connections needs: said, and fitted.
(
	ulimit -Sn 1000 && ulimit -Hn 1000 || exit 99
	exec "$MGMTD" serve --db "$DB" --admin-listen 127.0.0.1:0 --device-listen 127.0.0.1:0 \
		--max-connections 8192
) >"$T/serve-fd.log" 2>&1 &
SRV_PID=$!
bg_track "$SRV_PID"
ALL_LOGS+=("$T/serve-fd.log")
mgmtd_wait "$T/serve-fd.log" || diag "$(cat "$T/serve-fd.log")"
check_match "hard limit 1000 < what 8192 connections need: said, with the fix" \
	'open file limit 1000 is below the 16448 that --max-connections 8192 needs on two listeners: serving at most 468 connections per listener \(raise the hard limit' \
	"$(cat "$T/serve-fd.log")"
kill -TERM "$SRV_PID"
wait "$SRV_PID"
check_eq "... and it served, then stopped with exit 0" 0 $?
sanitizer_check "serve (fitted limit)" "$T/serve-fd.log"
SRV_PID=""

done_testing
