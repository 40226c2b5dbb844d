# shellcheck shell=bash
# Management-server helpers for the scenarios that drive a real
# subnetra-mgmtd on loopback (t_mgmtd_device.sh, t_mgmt_client.sh), on top of
# lib.sh: a temp dir with its traps, the server started with the test routes
# on ports the kernel picks, and the admin calls the tests make.

MGMTD=$SNR_BUILD/subnetra-mgmtd

# mgmt_tmp NAME: T (a fresh temp dir, removed at exit), DB, SRV_LOG.
mgmt_tmp() {
	T=$(mktemp -d "/tmp/snr-$1.XXXXXX")
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM HUP
	DB=$T/mgmt.db
	SRV_LOG=$T/serve.log
	ALL_LOGS+=("$SRV_LOG")
}

# mgmtd_serving LOG: how many times the server logging to LOG has said that
# it serves.  Its "serving DB" line comes once both listeners are open; other
# lines may hold the word (a warning, the test-routes notice), hence the
# anchored match: waiting for any "serving" raced the listeners.
mgmtd_serving() { grep -c '^subnetra-mgmtd: serving ' "$1" 2>/dev/null; }
mgmtd_more() { [ "$(mgmtd_serving "$1")" -gt "$2" ]; }
# mgmtd_wait LOG [BEFORE]: until LOG has more than BEFORE (0) such lines (20 s
# at most; 1 if not); then MGMTD_ADMIN and MGMTD_DEVICE, the host:port of the
# newest start's admin and device listeners.
mgmtd_wait() {
	wait_until 20 mgmtd_more "$1" "${2:-0}" || return 1
	MGMTD_ADMIN=$(sed -n 's|^subnetra-mgmtd: admin listener on https://\(.*\)/$|\1|p' "$1" | tail -1)
	MGMTD_DEVICE=$(sed -n 's|^subnetra-mgmtd: device listener on http://\(.*\)/$|\1|p' "$1" | tail -1)
}

# mgmt_serve [ARGS...]: subnetra-mgmtd serve on $DB with the test routes (a
# join code from POST /api/v1/_test/joincode), both listeners on 127.0.0.1,
# ARGS added (--dir DIR); SRV_PID, ADMIN and DEVICE (host:port of each) once
# it logs that it serves.
mgmt_serve() {
	SUBNETRA_MGMTD_TEST_ROUTES=1 "$MGMTD" serve --db "$DB" --admin-listen 127.0.0.1:0 \
		--device-listen 127.0.0.1:0 "$@" >"$SRV_LOG" 2>&1 &
	SRV_PID=$!
	bg_track "$SRV_PID"
	mgmtd_wait "$SRV_LOG" || bail "serve did not start: $(cat "$SRV_LOG")"
	# shellcheck disable=SC2034 # read by the scripts (and lib.sh's tls)
	ADMIN=$MGMTD_ADMIN
	# shellcheck disable=SC2034
	DEVICE=$MGMTD_DEVICE
}

# adm METHOD PATH [JSON]: "CODE BODY" of one admin API call with the bearer
# token $TOKEN (tls: at $ADMIN, trusting ADMIN_CA).
adm() {
	tls "$2" -X "$1" -H "Authorization: Bearer $TOKEN" \
		${3:+-H 'Content-Type: application/json' --data-binary "$3"}
}

# mgmt_admin_token PASSWORD DESCRIPTION: the first admin (admin@example.org)
# signs in at $ADMIN with PASSWORD and makes an admin-scope API token:
# TOKEN.  1, with both answers on stderr, when either step failed.
mgmt_admin_token() {
	local login sid csrf out
	login=$(tls /api/v1/login -D "$T/login.h" -H 'Content-Type: application/json' \
		--data-binary "{\"email\":\"admin@example.org\",\"password\":\"$1\"}")
	sid=$(sed -n 's/^[Ss]et-[Cc]ookie: snt_session=\([^;]*\).*/\1/p' "$T/login.h" | tr -d '\r')
	csrf=$(sed -n 's/.*"csrf":"\([0-9a-f]*\)".*/\1/p' <<<"$login")
	out=$(tls /api/v1/tokens -H 'Content-Type: application/json' -H "Cookie: snt_session=$sid" \
		-H "X-Subnetra-CSRF: $csrf" --data-binary "{\"scope\":\"admin\",\"description\":\"$2\"}")
	TOKEN=$(sed -n 's/.*"token":"\([^"]*\)".*/\1/p' <<<"$out")
	[ -n "$TOKEN" ] || { echo "admin sign-in: $login; token: $out" >&2; return 1; }
}

# post_admin PATH JSON: a POST on the admin listener.
post_admin() { tls "$1" -H 'Content-Type: application/json' --data-binary "$2"; }
# code_of ANSWER: the join code in an answer.
code_of() { sed -n 's/.*"code":"\(snj_[^"]*\)".*/\1/p' <<<"$1"; }
