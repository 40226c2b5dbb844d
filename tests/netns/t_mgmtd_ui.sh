#!/usr/bin/env bash
# The dashboard in a real browser: subnetra-mgmtd on loopback, Debian's
# chromium headless, driven by tests/ui/drive.js (puppeteer-core from
# tests/ui/node_modules, which `make deps` installs):
#
#   drive.js --DevTools--> chromium --TLS--> admin listener  [subnetra-mgmtd serve]
#   tests/tools/mgmt_device.py --signed--> device listener
#
# Sign-in with the first admin's one-time password; a network made in the
# page; a join code with its QR code; a simulated device joins with that
# code and reports its status while the devices page is open, and the
# table shows it online with its paths; it is added to the network in the
# page; a second device claimed through its claim link (/claim#...); a
# change without the CSRF header (fetch, and a plain form post) is
# refused; a token; the audit log; the password changed; TOTP enabled and
# signing in again with a code.  Every outcome is checked in the DOM and
# in the API.  A screenshot of each page is kept under
# $SUBNETRA_BUILD/artifacts/ui/.  TAP; SKIP when chromium or
# puppeteer-core is missing (scripts/deps.sh, scripts/ui-deps.sh).
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_mgmt.sh"

UI=$SNR_ROOT/tests/ui
PYDEV=$SNR_ROOT/tests/tools/mgmt_device.py
DEVTOOL=$SNR_BUILD/tests/tools/mgmt_device
CHROMIUM=$(command -v chromium || true)
SHOTS=$SNR_BUILD/artifacts/ui

[ -x "$MGMTD" ] || bail "no $MGMTD (make test-build)"
[ -x "$DEVTOOL" ] || bail "no $DEVTOOL (make test-build)"
if [ -z "$CHROMIUM" ] || ! command -v node >/dev/null || [ ! -d "$UI/node_modules/puppeteer-core" ]; then
	ok "the dashboard in a browser # SKIP needs chromium, node and tests/ui/node_modules/puppeteer-core (make deps; npm registry unreachable?)"
	done_testing
fi

mgmt_tmp mgmtd-ui
OUT=$("$MGMTD" init --db "$DB" --admin admin@example.org --dir "$T/state" 2>&1) || bail "init: $OUT"
PW=$(sed -n 's/^one-time password: *//p' <<<"$OUT")
[ -n "$PW" ] || bail "init printed no one-time password"
mgmt_serve --dir "$T/state"

# ---- the files, as a plain client sees them ---------------------------------------------
get() { curl -sS --max-time 20 --cacert "$T/state/tls-cert.pem" -o "$T/body" -D - "$@" | tr -d '\r'; }
H=$(get "https://$ADMIN/ui/app.js")
check_match "GET /ui/app.js: 200, text/javascript" '^Content-Type: text/javascript' "$H"
check "... the bytes of src/mgmt/ui/app.js" cmp -s "$T/body" "$SNR_ROOT/src/mgmt/ui/app.js"
ETAG=$(sed -n 's/^ETag: //p' <<<"$H")
check_match "... with an ETag and Cache-Control: no-cache" '^Cache-Control: no-cache$' "$H"
check_match "... its ETag again: 304" '^HTTP/[0-9.]* 304' "$(get -H "If-None-Match: $ETAG" "https://$ADMIN/ui/app.js")"
check_match "... another tag: 200" '^HTTP/[0-9.]* 200' "$(get -H 'If-None-Match: "0"' "https://$ADMIN/ui/app.js")"
check_match "a file not embedded: 404" '^HTTP/[0-9.]* 404' "$(get "https://$ADMIN/ui/..%2fhttp.c")"
check_match "/claim is the dashboard too" '^Content-Type: text/html' "$(get "https://$ADMIN/claim")"
H=$(get "https://$ADMIN/api/v1/me")
check_match "an API answer (401): X-Frame-Options: DENY" '^X-Frame-Options: DENY$' "$H"
check_match "... and Content-Security-Policy: default-src 'none'" "^Content-Security-Policy: default-src 'none'" "$H"
check_fails "the dashboard is not on the device listener" grep -q '^HTTP/[0-9.]* 200' <<<"$(curl -sS -D - -o /dev/null "http://$DEVICE/")"

SEED=$("$DEVTOOL" keygen 1)
ADDRESS=$("$DEVTOOL" addr "$SEED" | awk '{print $2}')
SEED2=$("$DEVTOOL" keygen 1)
ADDRESS2=$("$DEVTOOL" addr "$SEED2" | awk '{print $2}')
PEER=$("$DEVTOOL" addr "$("$DEVTOOL" keygen 1)" | awk '{print $2}')
if [[ $ADDRESS != fc94:* ]] || [[ $ADDRESS2 != fc94:* ]] || [[ $PEER != fc94:* ]]; then
	bail "mgmt_device addr: '$ADDRESS' '$ADDRESS2' '$PEER'"
fi

rm -rf "$SHOTS"
mkdir -p "$SHOTS"
ADMIN=$ADMIN DEVICE=$DEVICE EMAIL=admin@example.org PASSWORD=$PW SEED=$SEED ADDRESS=$ADDRESS \
	SEED2=$SEED2 ADDRESS2=$ADDRESS2 \
	PEER=$PEER PYDEV=$PYDEV SHOTS=$SHOTS CHROMIUM=$CHROMIUM CERT=$T/state/tls-cert.pem PROFILE=$T/chromium \
	NODE_PATH=$UI/node_modules timeout 300 node "$UI/drive.js" >"$T/drive.out" 2>&1
RC=$?
tap_relay "" "$T/drive.out"
check_eq "drive.js exit 0" 0 "$RC"
check_ge "it ran every step (checks)" 40 "$(grep -c '^ok - ' "$T/drive.out")"
N=$(find "$SHOTS" -name '*.png' -size +1k | wc -l)
check_ge "a screenshot of each page under $SHOTS" 10 "$N"

# Secrets: neither the one-time password nor a join code is logged.
check_fails "the server's log holds no password" grep -qF "$PW" "$SRV_LOG"
check_fails "nor a join code" grep -q 'snj_' "$SRV_LOG"
kill -TERM "$SRV_PID"
wait "$SRV_PID"
check_eq "SIGTERM stops the server with exit 0" 0 $?
sanitizer_check "server" "$SRV_LOG"
done_testing
