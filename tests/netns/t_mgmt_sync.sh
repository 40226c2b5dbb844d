#!/usr/bin/env bash
# shellcheck disable=SC2317 # helpers run through wait_until, check and eval
# The management plane end to end (issue 14's central scenario): devices
# join with a code, the admin puts them into a network, and every member's
# whitelist and hosts block follow within seconds, without restarting
# anything.
#
#   br0 ($RUN-net), 203.0.113.0/24, lan_discovery off (the base introduces):
#     $RUN-base .10   subnetrad "mode": "base"
#     $RUN-mgmt .20   subnetrad mesh node, whitelist disabled, and
#                     subnetra-mgmtd: devices on [fc94 of mgmt]:8080 (over
#                     the overlay), admin on 127.0.0.1 (TLS, in its netns);
#                     its license names that overlay address (websetup_host,
#                     api_servers) and the base
#     $RUN-dev1..3 .31-.33   subnetrad + `subnetra agent`, config
#                     "management": {"url": "http://[fc94 of mgmt]:8080/"}
#                     (dev3: none, `subnetra setup-server URL` instead),
#                     hosts_file /etc/netns/$RUN-devN/hosts (ip netns exec
#                     shows it as /etc/hosts: ping -6 by name)
#
#   1. dev3's agent unconfigured until setup-server (an https URL: exit 2);
#      before any join the agent has told its daemon about the server
#      (managed ls: server), so the devices reach mgmtd over the overlay;
#   2. the admin (API, bearer token) makes a network and a reusable code;
#      `subnetra join CODE --hostname devN` on each device: exit 0 once its
#      first bundle is in the daemon (managed reload ok, 0 peers); an
#      agent with no daemon to tell: joined, not applied yet, exit 3; joining
#      again creates no second device; a bad code: exit 2, an unknown one:
#      exit 1 with the server's join_code_unknown;
#   3. the admin attaches the three: every device's whitelist lists the
#      other two as managed and its hosts block names them (the time from
#      the last attach is printed); ping -6 dev2 from dev1 by name; status
#      reports reach the server (the device's agent in the API);
#   4. detach dev3: it leaves dev1's and dev2's whitelists and hosts blocks,
#      and its pings to dev1 fail;
#   5. mgmtd stopped: pings go on; dev1's daemon and agent restarted while
#      it is down (the agent pointed at a URL nothing serves): pings by name
#      go on (managed file, cached bundle), and managed ls lists the cached
#      license's server at once;
#   6. mgmtd back: a new change (dev3 attached again) reaches every device,
#      dev3's agent restarted with its clock 2 h slow among them (its clock
#      corrected by the license answer's Date: no request refused);
#   7. `subnetra leave` on dev2: gone from the others; dev2's managed set
#      empty; agent status on the way;
#   8. a stand-in server (mgmt_fake_server.py, dev1 pointed at it with
#      setup-server) serves the real license and then an older bundle of
#      dev1's (replayed), dev2's bundle and another instance's: each
#      refused and counted in `subnetra agent status`, dev1 keeps its set.
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/lib_mesh.sh
. "$(dirname "$0")/lib_mesh.sh"
# shellcheck source=tests/netns/lib_mgmt.sh
. "$(dirname "$0")/lib_mgmt.sh"

[ -x "$MGMTD" ] || bail "no $MGMTD (make test-build)"
command -v curl >/dev/null || bail "curl missing"
require_env
mesh_bridge_init
DEVS="dev1 dev2 dev3"
BASE_IP=203.0.113.10
declare -A AGENT=()
# The hosts files are outside $T: removed whatever happens.
trap 'rc=$?; for d in $DEVS; do rm -rf "/etc/netns/$RUN-$d"; done; (exit $rc); cleanup' EXIT

mesh_node base $BASE_IP
mesh_node mgmt 203.0.113.20
i=31
for d in $DEVS; do
	mesh_node "$d" "203.0.113.$i"
	i=$((i + 1))
done
mesh_base_config base
BASES="\"bases\": [ { \"host\": \"$BASE_IP\", \"udp_port\": $PORT, \"public_key\": \"${PK[base]}\" } ],"
URL="http://[${ADDR[mgmt]}]:8080/"
MESH_LAN[mgmt]=false
MESH_EXTRA[mgmt]="$BASES \"whitelist_enabled\": false,"
mesh_config mgmt
for d in $DEVS; do
	mkdir -p "/etc/netns/$RUN-$d"
	printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >"/etc/netns/$RUN-$d/hosts"
	MESH_LAN[$d]=false
	MESH_EXTRA[$d]="$BASES \"hosts_file\": \"/etc/netns/$RUN-$d/hosts\","
	# dev3 gets its server from `subnetra setup-server`
	[ "$d" = dev3 ] || MESH_EXTRA[$d]+=" \"management\": { \"url\": \"$URL\" },"
	mesh_config "$d"
done
check "subnetrad --check takes a config with \"management\"" \
	"$SUBNETRAD" --check --config "$T/dev1.json"

# ---- the management server ----------------------------------------------------------
DB=$T/mgmt.db
OUT=$("$MGMTD" init --db "$DB" --admin admin@example.org 2>&1) || bail "mgmtd init: $OUT"
PW=$(printf '%s\n' "$OUT" | sed -n 's/^one-time password: *//p')
"$MGMTD" settings --db "$DB" --base-server "$BASE_IP:$PORT:443:${PK[base]}" \
	--mgmt-address "${ADDR[mgmt]}" --name "Sync lab" --dashboard-url https://127.0.0.1:8443/ >/dev/null 2>&1 || bail "mgmtd settings"

start_mesh base
start_mesh mgmt
SRV_LOG=$T/mgmtd.log
ALL_LOGS+=("$SRV_LOG")
# mgmtd_start: serve in mgmt's namespace; ADMIN once it logs that it serves.
mgmtd_start() {
	local before
	touch "$SRV_LOG"
	before=$(mgmtd_serving "$SRV_LOG")
	ip netns exec "$RUN-mgmt" "$MGMTD" serve --db "$DB" --admin-listen 127.0.0.1:0 \
		--device-listen "[${ADDR[mgmt]}]:8080" >>"$SRV_LOG" 2>&1 &
	SRV_PID=$!
	bg_track "$SRV_PID"
	mgmtd_wait "$SRV_LOG" "$before" || bail "mgmtd serve did not start: $(tail -5 "$SRV_LOG")"
	ADMIN=$MGMTD_ADMIN
}
mgmtd_start

# The admin API from inside the management node's namespace (lib_mgmt.sh's adm).
HTTP_NODE=mgmt
mgmt_admin_token "$PW" t_mgmt_sync || bail "admin sign-in or token failed"

# ---- 1. the agents, before any join --------------------------------------------------
# agent_start NAME [VAR=VALUE]: `subnetra agent` in NAME's namespace (with
# that variable), log $T/NAME.agent.log.
agent_start() {
	local log=$T/$1.agent.log
	[ -e "$log" ] || ALL_LOGS+=("$log")
	ip netns exec "$RUN-$1" env SUBNETRA_SOCK="$(node_sock "$1")" ${2:+"$2"} "$SUBNETRA" agent \
		--config "$T/$1.json" >>"$log" 2>&1 &
	AGENT[$1]=$!
	bg_track "${AGENT[$1]}"
}
agent_stop() {
	local rc
	kill -TERM "${AGENT[$1]}" 2>/dev/null
	wait "${AGENT[$1]}" 2>/dev/null
	rc=$?
	check_eq "$1: agent SIGTERM -> clean exit (status 0)" 0 "$rc"
	sanitizer_check "$1 agent" "$T/$1.agent.log"
}
for d in $DEVS; do
	start_mesh "$d"
	agent_start "$d"
done
check "registered with the base: mgmt" wait_until 15 registered mgmt
check "dev3 (no management in its config): agent stage unconfigured" \
	wait_until 10 eval "cli dev3 agent status --config $T/dev3.json | grep -qx 'stage: unconfigured'"
expect_rc "setup-server with an https URL: exit 2" 2 \
	cli dev3 setup-server "https://[${ADDR[mgmt]}]:8080/" --config "$T/dev3.json"
OUT=$(cli dev3 setup-server "$URL" --config "$T/dev3.json" 2>&1)
check_eq "setup-server URL on dev3: exit 0" 0 $?
check_match "... the running agent told" "saved; the agent \(pid [0-9]+\) uses it now" "$OUT"
for d in $DEVS; do
	check "$d: its agent names the server to the daemon before any join" \
		wait_until 10 eval "cli $d managed ls | grep -qx 'server ${ADDR[mgmt]}'"
done
check_match "agent status before a join: stage not-joined, the server's URL" \
	"stage: not-joined" "$(cli dev1 agent status --config "$T/dev1.json")"
check_match "... and it names the server" "server: http://\[${ADDR[mgmt]}\]:8080/" \
	"$(cli dev1 agent status --config "$T/dev1.json")"

# ---- 2. network, join code, joins -------------------------------------------------------
R=$(adm POST /api/v1/networks '{"name":"fleet"}')
check_match "admin: network created (201)" '^201 ' "$R"
NET=$(sed -n 's/.*"id":\([0-9]*\).*/\1/p' <<<"$R" | head -1)
R=$(adm POST /api/v1/join-codes '{"reusable":true}')
check_match "admin: a reusable join code (201)" '^201 ' "$R"
CODE=$(sed -n 's/.*"code":"\(snj_[^"]*\)".*/\1/p' <<<"$R")
[ -n "$CODE" ] || bail "no join code: $R"

for d in $DEVS; do
	OUT=$(cli "$d" join "$CODE" --hostname "$d" --config "$T/$d.json" --timeout 40 2>&1)
	check_eq "$d: subnetra join exits 0" 0 $?
	check_match "... prints its address and the instance" \
		"joined: device ${ADDR[$d]} .*instance Sync lab" "$OUT"
	check_match "... then waits for its first bundle in the daemon (0 peers, reload ok)" \
		"applied: bundle [0-9]+\.[0-9]+, 0 peers; subnetrad took it \(ok " "$OUT"
done
mkdir -p "$T/fake"
cp "$T/dev1.state/dev1.mgmt-bundle.json" "$T/fake/stale.json" # before any attach: no peers
device_count() { adm GET /api/v1/devices | grep -o '"address":"fc94' | wc -l; }
check_eq "the server knows three devices" 3 "$(device_count)"
OUT=$(cli dev1 join "$CODE" --hostname dev1 --config "$T/dev1.json" --timeout 40 2>&1)
check_eq "dev1 joins again: exit 0" 0 $?
check_match "... its first bundle after this join applied again" "subnetrad took it" "$OUT"
# dev2's agent with no daemon to tell (a socket nothing listens on; the
# daemon runs on, the server reachable): the join is taken, not applied
agent_stop dev2
agent_start dev2 "SUBNETRA_SOCK=$T/no-daemon.sock"
check "... dev2's agent runs again" \
	wait_until 10 eval "cli dev2 agent status --config $T/dev2.json >/dev/null"
OUT=$(cli dev2 join "$CODE" --hostname dev2 --config "$T/dev2.json" --timeout 40 2>&1)
check_eq "dev2 joins again, its agent finds no daemon: exit 3 (joined, not applied yet)" 3 $?
check_match "... says so" "joined: device ${ADDR[dev2]}.*not applied yet: bundle [0-9.]+, 0 peers, is in .*/managed, but subnetrad is not running" \
	"$(tr '\n' ' ' <<<"$OUT")"
check_match "... agent status: its first bundle, daemon down" \
	'"join":\{[^}]*"bundle":"[0-9.]+","peers":0,"daemon":"down: ' \
	"$(cli dev2 agent status --json --config "$T/dev2.json")"
agent_stop dev2
RELOADS=$(grep -c 'managed reload: ok' "$T/dev2.agent.log")
agent_start dev2
check "dev2's agent back on its daemon: managed reload ok" \
	wait_until 10 eval "[ \"\$(grep -c 'managed reload: ok' $T/dev2.agent.log)\" -gt $RELOADS ]"
check_eq "... and the server still knows three devices (no duplicate)" 3 "$(device_count)"
expect_rc "a code of the wrong shape: exit 2, nothing sent" 2 \
	cli dev1 join snj_bad --config "$T/dev1.json"
BADCODE=${CODE:0:13}$(printf 'x%.0s' {1..32})${CODE:45}
OUT=$(cli dev3 join "$BADCODE" --config "$T/dev3.json" --timeout 40 2>&1)
check_eq "an unknown code: exit 1" 1 $?
check_match "... with the server's error code" "join_code_unknown" "$OUT"
check "... and dev3 goes back to its joined state (stage poll)" \
	wait_until 20 eval "cli dev3 agent status --config $T/dev3.json | grep -qx 'stage: poll'"

# ---- 3. attach all three: whitelists and hosts blocks follow ------------------------------
hosts_has() { grep -Eq "^${ADDR[$2]}[[:space:]]+$3\$" "/etc/netns/$RUN-$1/hosts"; }
wl_has() { cli "$1" whitelist ls | grep -qx "${ADDR[$2]} managed"; }
# synced NAME OTHERS...: NAME's whitelist lists every OTHER as managed, its hosts block names it.
synced() {
	local n=$1 o
	shift
	for o in "$@"; do wl_has "$n" "$o" && hosts_has "$n" "$o" "$o" || return 1; done
}
all_synced() { synced dev1 dev2 dev3 && synced dev2 dev1 dev3 && synced dev3 dev1 dev2; }
for d in $DEVS; do
	R=$(adm PUT "/api/v1/networks/$NET/devices/${ADDR[$d]}")
	check_match "admin: $d attached" '^20[04] ' "$R"
done
t0=$(now_ms)
check "every device lists the two others as managed and names them" wait_until 10 all_synced
t1=$(now_ms)
diag "propagation (last attach -> every whitelist and hosts block): $((t1 - t0)) ms"
cp "$T/dev2.state/dev2.mgmt-bundle.json" "$T/fake/other-device.json"
check "ping -6 dev2 from dev1, by name" wait_until 15 nsx dev1 ping -6 -c1 -W1 dev2
check "ping -6 dev1 from dev3, by name" wait_until 15 nsx dev3 ping -6 -c1 -W1 dev1
agent_of() { adm GET /api/v1/devices | grep -o "{\"id\":[0-9]*,\"address\":\"${ADDR[$1]}\"[^}]*}"; }
check "dev1's status report reached the server (its agent in the API)" \
	wait_until 20 eval 'agent_of dev1 | grep -q "\"agent\":\"subnetra "'
ST=$(cli dev1 agent status --json --config "$T/dev1.json")
check_match "agent status --json: running, stage poll, joined" \
	'"running":true,.*"stage":"poll",.*"joined":true' "$ST"
check_match "... two peers applied, a status report sent" '"peers":2,.*"status_sent":[1-9]' "$ST"

# ---- 4. detach dev3 ----------------------------------------------------------------------
R=$(adm DELETE "/api/v1/networks/$NET/devices/${ADDR[dev3]}")
check_match "admin: dev3 detached" '^20[04] ' "$R"
gone() { ! wl_has "$1" "$2" && ! hosts_has "$1" "$2" "$2"; }
t0=$(now_ms)
check "dev3 leaves dev1's and dev2's whitelists and hosts blocks" \
	wait_until 10 eval 'gone dev1 dev3 && gone dev2 dev3'
diag "detach propagation: $(($(now_ms) - t0)) ms"
check "dev1 and dev2 still list each other" synced dev1 dev2
check_eq "dev3's pings to dev1 fail" 0 "$(ping_received dev3 -6 -c 2 -W 1 "${ADDR[dev1]}")"

# ---- 5. the server down ----------------------------------------------------------------------
kill -TERM "$SRV_PID"
wait "$SRV_PID" 2>/dev/null
check "mgmtd down: ping -6 dev2 from dev1 by name still works" nsx dev1 ping -6 -c1 -W2 dev2
agent_stop dev1
stop_node dev1
start_mesh dev1
check "dev1's daemon restarted, mgmtd down: the managed set from the file" \
	wait_until 10 eval "cli dev1 managed ls | grep -q '^peer ${ADDR[dev2]} dev2'"
# pointed at another URL (nothing serves it) while stopped: the cached
# license still names its servers at once, without a fetch
OTHER="http://[${ADDR[dev2]}]:8080/"
OUT=$(cli dev1 setup-server "$OTHER" --config "$T/dev1.json" 2>&1)
check_match "setup-server with no agent running: saved" "saved; no agent runs" "$OUT"
agent_start dev1
check "... its agent applies the cached bundle" \
	wait_until 10 grep -q "cached bundle applied" "$T/dev1.agent.log"
srv_listed() { cli dev1 managed ls | grep -qx "server $1"; }
check "... managed ls: the cached license's server (api_servers, websetup_host) at once" \
	wait_until 10 srv_listed "${ADDR[mgmt]}"
check "... beside the URL's host" srv_listed "${ADDR[dev2]}"
OUT=$(cli dev1 setup-server "$URL" --config "$T/dev1.json" 2>&1)
check_match "dev1 pointed back at the server" "the agent \(pid [0-9]+\) uses it now" "$OUT"
check "... the other URL's host leaves the managed set" \
	wait_until 10 eval "! srv_listed ${ADDR[dev2]}"
check "... ping -6 dev2 by name works" wait_until 15 nsx dev1 ping -6 -c1 -W1 dev2

# dev3's agent again, its clock two hours slow (SUBNETRA_TEST_CLOCK_OFFSET_S)
agent_stop dev3
agent_start dev3 SUBNETRA_TEST_CLOCK_OFFSET_S=-7200

# ---- 6. the server back: a change propagates ---------------------------------------------------
mgmtd_start
R=$(adm PUT "/api/v1/networks/$NET/devices/${ADDR[dev3]}")
check_match "admin: dev3 attached again" '^20[04] ' "$R"
t0=$(now_ms)
check "the change reaches every device (agents back from their backoff)" wait_until 120 all_synced
diag "after the outage: $(($(now_ms) - t0)) ms (includes the agents' reconnect backoff)"
check_match "... dev3 among them, its clock 2 h slow: corrected by the server's Date" \
	"last error: clock off by 72[0-9][0-9] s from the server's Date: corrected" \
	"$(cli dev3 agent status --config "$T/dev3.json")"
check_match "... so the server refused none of its requests as clock_skew" '"clock_skew":0' \
	"$(nsx mgmt curl -sS --max-time 10 "http://[${ADDR[mgmt]}]:8080/healthz")"

# ---- 6b. a license change reaches running devices ------------------------------------------------
# settings beside the live server: the license serial and the instance
# version move, every bundle is built again naming the new serial, and an
# agent that sees it fetches the license (its name shows it took it).
"$MGMTD" settings --db "$DB" --name "Sync lab 2" >/dev/null 2>&1 || bail "mgmtd settings --name"
for d in dev2 dev3; do
	check "$d: the new license fetched while running (instance name: Sync lab 2)" \
		wait_until 30 eval "cli $d agent status --config $T/$d.json | grep -qx 'instance name: Sync lab 2'"
done
check "... and the whitelists stay as they were" synced dev2 dev3

# ---- 7. leave -------------------------------------------------------------------------------
OUT=$(cli dev2 leave --config "$T/dev2.json" --timeout 40 2>&1)
check_eq "dev2: subnetra leave exits 0" 0 $?
check_match "... says so" "^left: device ${ADDR[dev2]}" "$OUT"
check "dev2 is gone from dev1's and dev3's whitelists and hosts blocks" \
	wait_until 10 eval 'gone dev1 dev2 && gone dev3 dev2'
check "dev2's managed set is empty (no peer, no server)" \
	eval "[ \"\$(cli dev2 managed ls | grep -c '^\(peer\|server\) ')\" = 0 ]"
check "... and its trust is forgotten" test ! -e "$T/dev2.state/dev2.mgmt-trust"
check_match "agent status after leave: stage left" "stage: left" \
	"$(cli dev2 agent status --config "$T/dev2.json")"
expect_rc "leave again: exit 1 (not joined)" 1 cli dev2 leave --config "$T/dev2.json"

# ---- 7b. dev2 again, without a code: a claim link ------------------------------------------------
OUT=$(cli dev2 join --claim --hostname dev2 --config "$T/dev2.json" --timeout 40 2>&1)
check_eq "dev2: subnetra join --claim exits 0" 0 $?
check_match "... prints the claim link: the dashboard URL, /claim#, its address, a secret" \
	"^  https://127\.0\.0\.1:8443/claim#${ADDR[dev2]}\.[0-9a-f]{64}\$" "$OUT"
check_match "... and that the claim was requested" "^claim requested: device ${ADDR[dev2]}" "$OUT"
SECRET=$(sed -n "s|.*/claim#${ADDR[dev2]}\.\([0-9a-f]\{64\}\)\$|\1|p" <<<"$OUT")
check "... the server's key pinned on first use (over the overlay)" \
	test -s "$T/dev2.state/dev2.mgmt-trust"
check "... dev2 is on nobody's list before an operator claims it" eval 'gone dev1 dev2'
R=$(adm POST /api/v1/claims "{\"secret\":\"$SECRET\",\"network\":$NET}")
check_match "admin: dev2 claimed into the network with the link's secret" '^20[01] ' "$R"
check "dev2 is back on dev1's and dev3's whitelists and hosts blocks" \
	wait_until 10 eval 'synced dev1 dev2 && synced dev3 dev2'
check "... and dev2 pings dev1 by name" wait_until 15 nsx dev2 ping -6 -c1 -W1 dev1
R=$(adm POST /api/v1/claims "{\"secret\":\"$SECRET\",\"network\":$NET}")
check_match "the link's secret a second time: refused" '^4[0-9][0-9] ' "$R"
expect_rc "join --claim with a code as well: exit 2" 2 cli dev2 join --claim "$CODE" --config "$T/dev2.json"

# ---- 8. bundles the real server would not send, from a stand-in ---------------------------------
cp "$T/dev1.state/dev1.mgmt-license.json" "$T/fake/license.json"
mkdir -p "$T/samples"
"$SNR_BUILD/tests/tools/mgmt_samples" "$T/samples" >/dev/null 2>&1 || bail "mgmt_samples"
cp "$T/samples/bundle.json" "$T/fake/foreign.json" # another instance's, under its key
echo stale.json >"$T/fake/mode"
FAKE_LOG=$T/fake.log
ALL_LOGS+=("$FAKE_LOG")
ip netns exec "$RUN-dev1" python3 "$SNR_ROOT/tests/netns/mgmt_fake_server.py" 127.0.0.1 18080 \
	"$T/fake" >"$FAKE_LOG" 2>&1 &
bg_track $!
wait_until 10 grep -q serving "$FAKE_LOG" || bail "the stand-in server did not start"
refused() { cli dev1 agent status --json --config "$T/dev1.json" | grep -q "\"$1\":[1-9]"; }
cli dev1 setup-server http://127.0.0.1:18080/ --config "$T/dev1.json" >/dev/null
check "an older bundle of dev1's own, replayed: refused, counted stale" wait_until 20 refused stale
echo other-device.json >"$T/fake/mode"
check "dev2's bundle served to dev1: refused, counted foreign_device" \
	wait_until 30 refused foreign_device
echo foreign.json >"$T/fake/mode"
check "another instance's bundle: refused, counted bad_signature (its key is not pinned)" \
	wait_until 30 refused bad_signature
check "dev1 keeps its last good set (dev3 a managed peer)" \
	eval "cli dev1 managed ls | grep -q '^peer ${ADDR[dev3]} dev3'"
check "... and pings dev3 by name" wait_until 15 nsx dev1 ping -6 -c1 -W1 dev3
check_match "agent status text shows the refusal counters" "refused: .*stale=[1-9].*foreign_device=[1-9]" \
	"$(cli dev1 agent status --config "$T/dev1.json")"

for d in $DEVS; do agent_stop "$d"; done
expect_rc "join without a running agent: exit 1" 1 cli dev1 join "$CODE" --config "$T/dev1.json"
check_match "... it says how to start one" "no management agent runs" \
	"$(cli dev1 join "$CODE" --config "$T/dev1.json" 2>&1)"
kill -TERM "$SRV_PID"
mesh_done base mgmt dev1 dev2 dev3
