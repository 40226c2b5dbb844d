#!/usr/bin/env bash
# subnetra-mgmtd's device API (/device/v1/*), on loopback:
#
#   tests/tools/mgmt_device.py --plain HTTP, signed--> device listener [subnetra-mgmtd serve]
#   curl --TLS--> admin listener (test route _test/joincode: codes and networks)
#   tests/tools/mgmt_device bundle-check: the device-side decoder (src/core/mgmt)
#
# join with a code; re-join with the same key -> the same device; used,
# expired and malformed codes refused with nothing changed; bad signature,
# skewed clock, replayed nonce, missing headers -> 401, counted; the config
# long-poll (two devices see each other after the second join: the time is
# printed; have=current parks and a membership change wakes exactly the
# affected devices); a bundle verified for its device and refused for
# another's address; status makes a device online; leave; claim-request.
# TAP.
set -u
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/lib_mgmt.sh
source "$(dirname "$0")/lib_mgmt.sh"

DEVTOOL=$SNR_BUILD/tests/tools/mgmt_device
PYDEV=$SNR_ROOT/tests/tools/mgmt_device.py
[ -x "$MGMTD" ] || bail "no $MGMTD (make test-build)"
[ -x "$DEVTOOL" ] || bail "no $DEVTOOL (make test-build)"
command -v curl >/dev/null || bail "curl missing"
command -v sqlite3 >/dev/null || bail "sqlite3 missing"
python3 -c 'import cryptography' 2>/dev/null || bail "python3-cryptography missing"

mgmt_tmp mgmtd-device

# dev SEED METHOD TARGET [ARGS]: one signed request; "<status> <ms> <server time>" and the body.
dev() { python3 "$PYDEV" req "$DEVICE" "$@"; }
status_of() { head -1 <<<"$1" | cut -d' ' -f1; }
state() { sqlite3 "$DB" "SELECT count(*) FROM devices; SELECT count(*) FROM memberships; SELECT count(*) FROM audit; SELECT group_concat(used) FROM join_codes; SELECT serial FROM instance_version"; }
health() { http "http://$DEVICE/healthz"; }
health_num() { health | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
waiting_ge() { [ "$(health_num waiting)" -ge "$1" ]; }
# payload FILE: the bundle payload of an envelope file, as JSON.
payload() { python3 -c 'import json,base64,sys; p=json.load(open(sys.argv[1]))["payload"]; print(base64.urlsafe_b64decode(p+"="*(-len(p)%4)).decode())' "$1"; }
version_of() { payload "$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("%d.%d" % (d["epoch"], d["serial"]))'; }
peers_of() { payload "$1" | python3 -c 'import json,sys; print(" ".join(sorted(p["hostname"] for p in json.load(sys.stdin)["peers"])))'; }

# ---- start ------------------------------------------------------------------------------

OUT=$("$MGMTD" init --db "$DB" --admin admin@example.org 2>&1) || bail "init: $OUT"
PK=$(printf '%s\n' "$OUT" | sed -n 's/^instance public key: *//p')
mgmt_serve

"$DEVTOOL" keygen 6 >"$T/seeds" || bail "keygen"
for i in 1 2 3 4 5 6; do
	S[$i]=$(sed -n "${i}p" "$T/seeds")
	A[$i]=$("$DEVTOOL" addr "${S[$i]}" | cut -d' ' -f2)
done
ONCE=$(code_of "$(post_admin /api/v1/_test/joincode '{"network":"fleet"}')")
MANY=$(code_of "$(post_admin /api/v1/_test/joincode '{"network":"fleet","reusable":true}')")
GONE=$(code_of "$(post_admin /api/v1/_test/joincode '{"network":"fleet","reusable":true,"expires_in":-10}')")
OTHER=$(code_of "$(post_admin /api/v1/_test/joincode '{"network":"other","reusable":true}')")
[ -n "$ONCE" ] && [ -n "$MANY" ] && [ -n "$GONE" ] && [ -n "$OTHER" ] || bail "no join codes from the test route"

# ---- join --------------------------------------------------------------------------------

R=$(dev "${S[1]}" POST /device/v1/join --body "{\"code\":\"$ONCE\",\"hostname\":\"robot-a\",\"aliases\":[\"master\"]}")
check_match "join with a single-use code: 200, the device, its names, new" \
	"^200 .*\"device\":\"${A[1]}\",\"hostname\":\"robot-a\",\"aliases\":\\[\"master\"\\],\"new\":true" "$R"
R=$(dev "${S[1]}" POST /device/v1/join --body "{\"code\":\"$MANY\",\"hostname\":\"robot-a\"}")
check_match "re-join with the same key (another code): the same device, not new" \
	"^200 .*\"device\":\"${A[1]}\",\"hostname\":\"robot-a\",\"aliases\":\\[\"master\"\\],\"new\":false" "$R"
check_eq "... one device row, one membership" "1 1" "$(sqlite3 "$DB" 'SELECT count(*) FROM devices; SELECT count(*) FROM memberships' | tr '\n' ' ' | sed 's/ $//')"

BEFORE=$(state)
check_match "the used single-use code: 403 join_code_used" '^403 .*"code":"join_code_used"' \
	"$(dev "${S[2]}" POST /device/v1/join --body "{\"code\":\"$ONCE\"}")"
check_match "an expired code: 403 join_code_expired" '^403 .*"code":"join_code_expired"' \
	"$(dev "${S[2]}" POST /device/v1/join --body "{\"code\":\"$GONE\"}")"
check_match "a tampered code: 403 join_code_unknown" '^403 .*"code":"join_code_unknown"' \
	"$(dev "${S[2]}" POST /device/v1/join --body "{\"code\":\"${MANY:0:20}$([ "${MANY:20:1}" = a ] && echo b || echo a)${MANY:21}\"}")"
check_match "a malformed code: 400 join_code_malformed" '^400 .*"code":"join_code_malformed"' \
	"$(dev "${S[2]}" POST /device/v1/join --body '{"code":"snj_nope"}')"
check_match "a bad hostname: 400 bad_hostname" '^400 .*"code":"bad_hostname"' \
	"$(dev "${S[2]}" POST /device/v1/join --body "{\"code\":\"$MANY\",\"hostname\":\"Bad_Name\"}")"
check_match "an unknown member: 400 bad_request" '^400 .*"code":"bad_request"' \
	"$(dev "${S[2]}" POST /device/v1/join --body "{\"code\":\"$MANY\",\"comment\":\"x\"}")"
check_eq "none of these changed anything (devices, memberships, audit, code uses, version)" "$BEFORE" "$(state)"

# ---- signatures ----------------------------------------------------------------------------

R=$(dev "${S[1]}" GET '/device/v1/config?wait=0' --badsig)
check_match "a bad signature: 401 bad_signature" '^401 .*"code":"bad_signature"' "$R"
R=$(dev "${S[1]}" GET '/device/v1/config?wait=0' --skew 400000)
check_match "a clock 400 s ahead: 401 clock_skew" '^401 .*"code":"clock_skew"' "$R"
SRV_MS=$(head -1 <<<"$R" | cut -d' ' -f3)
SKEW=$(( $(now_ms) - SRV_MS ))
check_le "... with Subnetra-Time: the server's clock (ms; off by $SKEW ms here)" 60000 "${SKEW#-}"
check_match "a clock 400 s behind: 401 clock_skew" '^401 .*clock_skew' "$(dev "${S[1]}" GET '/device/v1/config?wait=0' --skew -400000)"
check_match "a clock 200 s off (within 300 s): served" '^200 ' "$(dev "${S[1]}" GET '/device/v1/config?wait=0' --skew 200000)"
BEFORE=$(state)
R=$(dev "${S[2]}" POST /device/v1/join --body "{\"code\":\"$OTHER\",\"hostname\":\"robot-d\"}" --save "$T/join.raw")
check_match "a join, its bytes kept" '^200 ' "$R"
AFTER=$(state)
check_match "the same bytes again: 401 replay" '^401 .*"code":"replay"' "$(python3 "$PYDEV" raw "$DEVICE" "$T/join.raw")"
check_eq "... and the replay changed nothing" "$AFTER" "$(state)"
sed 's/robot-d/robot-x/' "$T/join.raw" >"$T/tampered.raw"
check_match "the body changed under the signature: 401 bad_signature" '^401 .*bad_signature' "$(python3 "$PYDEV" raw "$DEVICE" "$T/tampered.raw")"
check_match "no signature headers: 401 malformed_auth" '^401 .*"code":"malformed_auth"' "$(http "http://$DEVICE/device/v1/config")"
check_match "... with the server's Date and Subnetra-Time" '^Date: .*GMT.*Subnetra-Time: [0-9]{13}$' \
	"$(curl -sS -i "http://$DEVICE/device/v1/config" | tr -d '\r' | grep -E '^(Date|Subnetra-Time):' | sort | tr '\n' ' ' | sed 's/ $//')"
check_match "the target is signed: a signed ?wait=0 sent as ?wait=1 is refused" '^401 .*bad_signature' \
	"$(dev "${S[1]}" GET '/device/v1/config?wait=0' --save "$T/get.raw" >/dev/null; sed 's/wait=0/wait=1/' "$T/get.raw" >"$T/get2.raw"; python3 "$PYDEV" raw "$DEVICE" "$T/get2.raw")"
check_match "a key with no device: 403 not_joined" '^403 .*"code":"not_joined"' "$(dev "${S[6]}" GET '/device/v1/config?wait=0')"
H=$(health)
check_match "healthz counts the refusals by reason" \
	'"auth_refused":\{"malformed_auth":2,"bad_key":0,"bad_signature":3,"clock_skew":2,"replay":1,"nonce_too_old":0\}' "$H"

# ---- the config long-poll ------------------------------------------------------------------

R=$(dev "${S[1]}" GET '/device/v1/config?wait=0' --out "$T/a1.json")
check_match "config without have: the bundle at once" '^200 ' "$R"
VA=$(version_of "$T/a1.json")
check_eq "... robot-a alone in fleet: no peers" "" "$(peers_of "$T/a1.json")"
check_match "have=current, wait=0: 204" '^204 ' "$(dev "${S[1]}" GET "/device/v1/config?have=$VA&wait=0")"
check_match "have malformed: 400 bad_query" '^400 .*bad_query' "$(dev "${S[1]}" GET '/device/v1/config?have=01.2')"
R=$(dev "${S[1]}" GET "/device/v1/config?have=$VA&wait=1")
check_match "have=current, wait=1: 204 after the wait" '^204 ' "$R"

# robot-d (network "other") parks too: the joins below must not wake it.
dev "${S[2]}" GET '/device/v1/config?wait=0' --out "$T/d1.json" >/dev/null
( dev "${S[2]}" GET "/device/v1/config?have=$(version_of "$T/d1.json")&wait=30" --out "$T/d2.json" >"$T/d.poll"; echo "$(now_ms)" >>"$T/d.poll" ) &
bg_track $!
( dev "${S[1]}" GET "/device/v1/config?have=$VA&wait=30" --out "$T/a2.json" >"$T/a.poll"; echo "$(now_ms)" >>"$T/a.poll" ) &
bg_track $!
check "both polls parked" wait_until 20 waiting_ge 2
T0=$(now_ms)
R=$(dev "${S[3]}" POST /device/v1/join --body "{\"code\":\"$MANY\",\"hostname\":\"robot-b\"}")
T1=$(now_ms)
check_match "robot-b joins fleet" '^200 .*"hostname":"robot-b","aliases":\[\],"new":true' "$R"
R=$(dev "${S[3]}" GET '/device/v1/config?wait=0' --out "$T/b1.json")
TB=$(now_ms)
check "robot-a's parked poll answered" wait_until 20 test -s "$T/a2.json"
check_match "... with 200" '^200 ' "$(cat "$T/a.poll")"
TA=$(tail -1 "$T/a.poll")
check_eq "robot-a's new bundle lists robot-b" "robot-b" "$(peers_of "$T/a2.json")"
check_eq "robot-b's first bundle lists robot-a" "robot-a" "$(peers_of "$T/b1.json")"
diag "second join answered in $((T1 - T0)) ms; robot-a held the bundle listing robot-b $((TA - T0)) ms after the join began, robot-b the one listing robot-a $((TB - T0)) ms after"
check "robot-d (another network) was not woken" test ! -s "$T/d2.json"
check_eq "... its poll is still parked" 1 "$(health_num waiting)"

check_match "robot-a's bundle: accepted by the device's decoder for robot-a" '^newer .*peers=1 .*=robot-b$' \
	"$("$DEVTOOL" bundle-check "$PK" "$(payload "$T/a2.json" | sed -n 's/.*"instance":"\([0-9a-f]*\)".*/\1/p')" "${A[1]}" "$T/a2.json")"
INST=$(payload "$T/a2.json" | sed -n 's/.*"instance":"\([0-9a-f]*\)".*/\1/p')
check_match "... refused for robot-b's address (other_device)" '^other_device ' "$("$DEVTOOL" bundle-check "$PK" "$INST" "${A[3]}" "$T/a2.json")"
check_match "... the older one after it: stale" '^stale ' "$("$DEVTOOL" bundle-check "$PK" "$INST" "${A[1]}" "$T/a2.json" "$T/a1.json" | tail -1)"
check_match "... under another key: refused (unknown_key)" '^envelope:unknown_key ' \
	"$("$DEVTOOL" bundle-check "$(printf '%064d' 0 | sed 's/0/a/g')" "$INST" "${A[1]}" "$T/a2.json")"
check_eq "one version, one signature: a re-fetch gets the same bytes" \
	"$(sha256sum <"$T/a2.json")" "$(dev "${S[1]}" GET '/device/v1/config?wait=0' --out "$T/a2b.json" >/dev/null; sha256sum <"$T/a2b.json")"

# have=current parks; a membership change (a third device joins) wakes it.
VA2=$(version_of "$T/a2.json")
( dev "${S[1]}" GET "/device/v1/config?have=$VA2&wait=30" --out "$T/a3.json" >"$T/a3.poll" ) &
bg_track $!
check "robot-a parked on have=current" wait_until 20 waiting_ge 2
check_match "robot-c joins fleet" '^200 ' "$(dev "${S[4]}" POST /device/v1/join --body "{\"code\":\"$MANY\",\"hostname\":\"robot-c\"}")"
check "robot-a woken" wait_until 20 test -s "$T/a3.json"
check_eq "... its bundle lists robot-b and robot-c" "robot-b robot-c" "$(peers_of "$T/a3.json")"
check "robot-d still not woken" test ! -s "$T/d2.json"

# ---- status, online ------------------------------------------------------------------------

ON=$(health_num online)
R=$(dev "${S[3]}" POST /device/v1/status --body "{\"applied\":\"$(version_of "$T/b1.json")\",\"agent\":\"subnetra 0.1.0\",\"endpoints\":[\"192.0.2.1:5582\"],\"peers\":[{\"address\":\"${A[1]}\",\"path\":\"direct\",\"rtt_ms\":3,\"last_handshake_s\":2,\"rx\":10,\"tx\":20}]}")
check_match "status: 204" '^204 ' "$R"
check_eq "... robot-b (no poll parked) is now online" "$((ON + 1))" "$(health_num online)"
check_eq "... its last_seen and agent written" "subnetra 0.1.0 1" \
	"$(sqlite3 "$DB" "SELECT agent, last_seen > 0 FROM devices WHERE hostname = 'robot-b'" | tr '|' ' ')"
seen_is() { [ "$(sqlite3 "$DB" "SELECT last_seen > 0 FROM devices WHERE hostname = '$1'")" = "$2" ]; }
check "robot-a (polls only, no status): its last_seen written by the batched flush" wait_until 15 seen_is robot-a 1
check_match "a status with an unknown path: 400" '^400 .*bad_request' \
	"$(dev "${S[3]}" POST /device/v1/status --body "{\"applied\":null,\"agent\":\"x\",\"endpoints\":[],\"peers\":[{\"address\":\"${A[1]}\",\"path\":\"warp\",\"rtt_ms\":null,\"last_handshake_s\":null,\"rx\":0,\"tx\":0}]}")"
check_match "a status whose applied is not EPOCH.SERIAL: 400" '^400 .*applied' \
	"$(dev "${S[3]}" POST /device/v1/status --body '{"applied":"1.02","agent":"x","endpoints":[],"peers":[]}')"
check_match "a status missing a member: 400" '^400 .*bad_request' \
	"$(dev "${S[3]}" POST /device/v1/status --body '{"applied":null,"agent":"x","endpoints":[]}')"

# ---- leave, claim-request --------------------------------------------------------------------

R=$(dev "${S[1]}" POST /device/v1/leave)
check_match "leave: 200 with the version" '^200 [0-9]+ - \{"epoch":1,"serial":[0-9]+\}$' "$R"
check_eq "... robot-a is in no network" 0 "$(sqlite3 "$DB" "SELECT count(*) FROM memberships m JOIN devices d ON d.id = m.device_id WHERE d.hostname = 'robot-a'")"
dev "${S[3]}" GET "/device/v1/config?have=$(version_of "$T/b1.json")&wait=10" --out "$T/b2.json" >/dev/null
check_eq "... robot-b's next bundle lists only robot-c" "robot-c" "$(peers_of "$T/b2.json")"
dev "${S[1]}" GET '/device/v1/config?wait=0' --out "$T/a4.json" >/dev/null
check_eq "... robot-a's has no peers" "" "$(peers_of "$T/a4.json")"
check_eq "... its row stays" 1 "$(sqlite3 "$DB" "SELECT count(*) FROM devices WHERE hostname = 'robot-a'")"

SECRET=$(gen_key)
HASH=$(python3 -c 'import hashlib,sys; print(hashlib.blake2b(bytes.fromhex(sys.argv[1]), digest_size=32).hexdigest())' "$SECRET")
R=$(dev "${S[5]}" POST /device/v1/claim-request --body "{\"secret_hash\":\"$HASH\",\"hostname\":\"robot-e\"}")
check_match "claim-request: 200 with the device and the expiry" "^200 [0-9]+ - \\{\"device\":\"${A[5]}\",\"expires_at\":\"20[0-9-]*T[0-9:]*Z\"\\}" "$R"
check_eq "... one claim request stored, not the hash sent" "1 0" \
	"$(sqlite3 "$DB" "SELECT count(*), sum(hex(secret_hash) = upper('$HASH')) FROM claim_requests" | tr '|' ' ')"
check_match "... audited by the device" 'device.claim_request' "$(sqlite3 "$DB" "SELECT action FROM audit ORDER BY id DESC LIMIT 1")"
check_match "claim-request with a bad hash: 400" '^400 .*bad_request' \
	"$(dev "${S[5]}" POST /device/v1/claim-request --body '{"secret_hash":"abc"}')"
check_match "the device API is not on the admin listener" '^404 ' "$(tls /device/v1/config)"

kill -TERM "$SRV_PID"
wait_until 10 grep -q 'device API:' "$SRV_LOG"
check_match "the exit line counts bundles and refusals" 'device API: [0-9]+ bundles signed.*3 bad_signature, 2 clock_skew, 1 replay' "$(cat "$SRV_LOG")"
wait "$SRV_PID"

# The nonces are in the database: a restarted server (its memory cache empty) still refuses the replay.
BEFORE=$(state)
mgmt_serve
check_match "restarted: the join's bytes again: 401 replay" '^401 .*"code":"replay"' "$(python3 "$PYDEV" raw "$DEVICE" "$T/join.raw")"
check_eq "... and it changed nothing" "$BEFORE" "$(state)"
check "the nonces of the accepted POSTs are in device_nonces (5 or more, none expired)" test \
	"$(sqlite3 "$DB" "SELECT count(*) FROM device_nonces WHERE time_ms > $(now_ms) - 600000")" -ge 5
kill -TERM "$SRV_PID"
done_testing
