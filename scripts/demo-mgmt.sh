#!/usr/bin/env bash
# `make demo`, act 3 (scripts/demo.sh runs every act): the management plane,
# live, in network namespaces on this machine -- a base server, a
# management node (a mesh node that also runs subnetra-mgmtd) and three mesh
# devices, each running subnetrad and `subnetra agent`.
#
#   bridge ("public" network) 203.0.113.0/24
#     base   .10   subnetrad "mode": "base"
#     mgmt   .20   subnetrad mesh (whitelist off: any device may reach it)
#                  + subnetra-mgmtd: devices on [its fc94 address]:8080, over
#                  the overlay; the dashboard (TLS) on :8443
#     robot-1 .31, robot-2 .32, laptop .33   subnetrad + subnetra agent
#
# The devices' configs name no peer: only the management URL.  Two robots
# join with a reusable code that puts them into the network "fleet"; the
# laptop joins with a single-use code and no network; the admin adds it to
# "fleet" through the REST API, and within a second or two both robots have
# it on their whitelists and in their hosts files: they ping it by name.
# The dashboard URL and the first admin's one-time password are printed;
# on a terminal the act then waits for Enter (the dashboard is reachable on
# this machine's 127.0.0.1 through socat) before it tears everything down.
#
#   scripts/demo-mgmt.sh            (needs root, socat; `make demo` builds first)
#   SUBNETRA_BUILD=dir scripts/demo-mgmt.sh
#   DEMO_HOLD=0 scripts/demo-mgmt.sh    never wait (the default when stdin is not a terminal)
#   DEMO_HOLD=600 scripts/demo-mgmt.sh  keep the dashboard up 10 minutes (or until Enter)
# Exit status: 0 if every step did what it says and every daemon exited
# cleanly, 1 otherwise.
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/../tests/netns/lib.sh"
# shellcheck source=tests/netns/lib_mesh.sh
. "$(dirname "$0")/../tests/netns/lib_mesh.sh"
# shellcheck source=tests/netns/lib_mgmt.sh
. "$(dirname "$0")/../tests/netns/lib_mgmt.sh"
# shellcheck source=scripts/demo-lib.sh
. "$(dirname "$0")/demo-lib.sh"

require_env
[ -x "$MGMTD" ] || bail "no $MGMTD (make builds it)"
command -v curl >/dev/null || bail "curl is needed (scripts/deps.sh)"

DEVS="r1 r2 lt"
HOST=([base]=base [mgmt]=mgmt [r1]=robot-1 [r2]=robot-2 [lt]=laptop)
BASE_IP=203.0.113.10
declare -A AGENT=()

fail() {
	echo "demo: FAILED -- $*" >&2
	exit 1
}
# The devices' hosts files are /etc/netns/NS/hosts, which `ip netns exec NS`
# shows as /etc/hosts; removed at exit whatever happens.
trap 'rc=$?; for d in $DEVS; do rm -rf "/etc/netns/$RUN-$d"; done; (exit $rc); cleanup' EXIT

hosts_sum=$(sha256sum /etc/hosts 2>/dev/null)

step "1. The \"public\" network: a bridge with a base server, a management node and three devices (run id $RUN)"
mesh_bridge_init
mesh_node base $BASE_IP
mesh_node mgmt 203.0.113.20
i=31
for d in $DEVS; do
	mesh_node "$d" "203.0.113.$i"
	i=$((i + 1))
done
for n in base mgmt $DEVS; do
	printf '    %-8s %-14s eth0 %-14s overlay %s\n' "${HOST[$n]}" "$RUN-$n" "${NODE_IP[$n]}" "${ADDR[$n]}"
done

step "2. The management server: subnetra-mgmtd init (instance key, TLS certificate, first admin)"
DB=$T/mgmt/mgmt.db
mkdir -p "$T/mgmt"
OUT=$("$MGMTD" init --db "$DB" --admin admin@example.org 2>&1) || fail "mgmtd init: $OUT"
PW=$(printf '%s\n' "$OUT" | sed -n 's/^one-time password: *//p')
FPR=$(printf '%s\n' "$OUT" | sed -n 's/.*self-signed, SHA-256 \([0-9a-f]*\).*/\1/p')
printf '%s\n' "$OUT" | grep -v '^one-time password' | indent
echo "    (the one-time password is printed at the end, with the dashboard's address)"
echo "    --- subnetra-mgmtd settings: the base server and the management node's overlay address"
"$MGMTD" settings --db "$DB" --base-server "$BASE_IP:$PORT:443:${PK[base]}" \
	--mgmt-address "${ADDR[mgmt]}" --name "Demo fleet" \
	--dashboard-url "https://127.0.0.1:8443/" 2>&1 | indent
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "mgmtd settings"

step "3. Configs: the management node (whitelist off) and the devices (only a management URL, no peers)"
BASES="\"bases\": [ { \"host\": \"$BASE_IP\", \"udp_port\": $PORT, \"public_key\": \"${PK[base]}\" } ],"
URL="http://[${ADDR[mgmt]}]:8080/"
mesh_base_config base
MESH_LAN[mgmt]=false
MESH_EXTRA[mgmt]="$BASES \"whitelist_enabled\": false,"
mesh_config mgmt
sed -i 's/"hostname": "node-mgmt"/"hostname": "mgmt"/' "$T/mgmt.json"
for d in $DEVS; do
	mkdir -p "/etc/netns/$RUN-$d"
	printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >"/etc/netns/$RUN-$d/hosts"
	MESH_LAN[$d]=false
	MESH_EXTRA[$d]="$BASES \"hosts_file\": \"/etc/netns/$RUN-$d/hosts\", \"management\": { \"url\": \"$URL\" },"
	mesh_config "$d"
	sed -i "s/\"hostname\": \"node-$d\"/\"hostname\": \"${HOST[$d]}\"/" "$T/$d.json"
done
echo "    --- mgmt.json"
indent <"$T/mgmt.json"
echo "    --- r1.json (robot-1; the other devices' differ only in names)"
indent <"$T/r1.json"
for n in base mgmt $DEVS; do
	out=$(nsx "$n" "$SUBNETRAD" --check --config "$T/$n.json" 2>&1) ||
		fail "subnetrad --check $n.json: $out"
done
echo "    subnetrad --check: every config is valid."

step "4. Start the base, the management node and subnetra-mgmtd on it"
start_mesh base
start_mesh mgmt
wait_until 15 registered mgmt || fail "the management node did not register with the base"
SRV_LOG=$T/mgmtd.log
ALL_LOGS+=("$SRV_LOG")
ip netns exec "$RUN-mgmt" "$MGMTD" serve --db "$DB" --admin-listen 0.0.0.0:8443 \
	--device-listen "[${ADDR[mgmt]}]:8080" >"$SRV_LOG" 2>&1 &
SRV_PID=$!
bg_track "$SRV_PID"
mgmtd_wait "$SRV_LOG" || fail "mgmtd serve did not start: $(tail -5 "$SRV_LOG")"
indent <"$SRV_LOG"

# The admin API (lib_mgmt.sh's adm) from inside the management node's
# namespace; an API token for this script (the admin signs in once).
HTTP_NODE=mgmt ADMIN=127.0.0.1:8443 ADMIN_CA=$T/mgmt/tls-cert.pem
mgmt_admin_token "$PW" "make demo" || fail "admin sign-in or API token failed"
echo "    The admin signed in (POST /api/v1/login) and made an API token for this script."

step "5. Start each device: subnetrad, then subnetra agent (it whitelists the management server)"
for d in $DEVS; do
	start_mesh "$d"
	log=$T/$d.agent.log
	ALL_LOGS+=("$log")
	# ip netns exec and env exec in place: $! is the agent itself (a
	# function such as nsx would put a subshell there).
	ip netns exec "$RUN-$d" env SUBNETRA_SOCK="$(node_sock "$d")" "$SUBNETRA" agent \
		--config "$T/$d.json" >>"$log" 2>&1 &
	AGENT[$d]=$!
	bg_track "${AGENT[$d]}"
done
for d in $DEVS; do
	wait_until 10 eval "cli $d managed ls | grep -qx 'server ${ADDR[mgmt]}'" ||
		fail "${HOST[$d]}'s agent did not name the server to its daemon"
done
echo "    robot-1: subnetra agent status"
cli r1 agent status --config "$T/r1.json" | indent

step "6. The admin makes a network \"fleet\" and a reusable join code for it (REST API)"
R=$(adm POST /api/v1/networks '{"name":"fleet"}')
[[ $R == "201 "* ]] || fail "POST /api/v1/networks: $R"
NET=$(sed -n 's/.*"id":\([0-9]*\).*/\1/p' <<<"$R" | head -1)
echo "    POST /api/v1/networks {\"name\":\"fleet\"} -> network $NET"
R=$(adm POST /api/v1/join-codes "{\"reusable\":true,\"network\":$NET}")
[[ $R == "201 "* ]] || fail "POST /api/v1/join-codes: $R"
CODE=$(sed -n 's/.*"code":"\(snj_[^"]*\)".*/\1/p' <<<"$R")
echo "    POST /api/v1/join-codes {\"reusable\":true,\"network\":$NET} -> a code (secret: shown to the admin once)"

step "7. The robots join with it: subnetra join CODE --hostname ..."
for d in r1 r2; do
	echo "    --- ${HOST[$d]}: subnetra join snj_... --hostname ${HOST[$d]}"
	out=$(cli "$d" join "$CODE" --hostname "${HOST[$d]}" --config "$T/$d.json" --timeout 40 2>&1) ||
		fail "join on ${HOST[$d]}: $out"
	printf '%s\n' "$out" | indent
done
hosts_has() { grep -Eq "^${ADDR[$2]}[[:space:]]+${HOST[$2]}\$" "/etc/netns/$RUN-$1/hosts"; }
wait_until 10 eval 'hosts_has r1 r2 && hosts_has r2 r1' || fail "the robots do not name each other"
echo "    Both are in \"fleet\": each has the other on its whitelist (managed) and in its hosts file."
echo "    robot-1: subnetra whitelist ls"
cli r1 whitelist ls | indent

step "8. The laptop joins with a single-use code that names no network: it is on nobody's list yet"
R=$(adm POST /api/v1/join-codes '{}')
[[ $R == "201 "* ]] || fail "POST /api/v1/join-codes: $R"
CODE1=$(sed -n 's/.*"code":"\(snj_[^"]*\)".*/\1/p' <<<"$R")
out=$(cli lt join "$CODE1" --hostname laptop --config "$T/lt.json" --timeout 40 2>&1) ||
	fail "join on the laptop: $out"
printf '%s\n' "$out" | indent
if nsx r1 ping -6 -c 1 -W 1 "${ADDR[lt]}" >/dev/null 2>&1; then
	fail "robot-1 reached the laptop before it was in a network"
fi
echo "    robot-1: ping -6 ${ADDR[lt]} -> no reply (the laptop is on no whitelist)."

step "9. The admin adds the laptop to \"fleet\": PUT /api/v1/networks/$NET/devices/<laptop's address>"
R=$(adm PUT "/api/v1/networks/$NET/devices/${ADDR[lt]}")
[[ $R == 20[04]" "* ]] || fail "attach: $R"
t0=$(now_ms)
wait_until 10 eval 'hosts_has r1 lt && hosts_has r2 lt && hosts_has lt r1 && hosts_has lt r2' ||
	fail "the laptop did not reach every whitelist and hosts file"
echo "    $(($(now_ms) - t0)) ms later every member has the laptop on its whitelist and in its hosts file"
echo "    (and the laptop has both robots): each device's long-poll got a new signed bundle."
echo "    --- robot-2: its hosts file"
indent <"/etc/netns/$RUN-r2/hosts"

step "10. The robots ping the laptop by name"
for d in r1 r2; do
	echo "    --- ${HOST[$d]}: ping -6 -c 3 laptop"
	wait_until 15 nsx "$d" ping -6 -c 1 -W 1 laptop >/dev/null 2>&1 ||
		fail "${HOST[$d]} cannot ping the laptop by name"
	nsx "$d" ping -6 -c 3 -i 0.2 -W 2 laptop 2>&1 | indent
done

step "11. What the server knows: the devices, as the dashboard shows them (GET /api/v1/devices)"
wait_until 20 eval 'adm GET /api/v1/devices | grep -q "\"agent\":\"subnetra "' ||
	echo "    (no status report from a device yet)"
adm GET /api/v1/devices | cut -d' ' -f2- | python3 -c '
import json, sys
for d in json.load(sys.stdin)["items"]:
    print("    %-10s %-40s online=%s" % (d.get("hostname") or "-", d["address"], d.get("online")))
' 2>/dev/null || echo "    (could not read the list)"

DASH_PORT=8443
# DEMO_HOLD: 0 never waits; N > 1 waits N seconds (or until Enter on a
# terminal); unset: waits for Enter when stdin is a terminal.
HOLD=${DEMO_HOLD:-}
[ -z "$HOLD" ] && { [ -t 0 ] && HOLD=1 || HOLD=0; }
case $HOLD in *[!0-9]* | "") HOLD=0 ;; esac
step "12. The dashboard"
if [ "$HOLD" -ge 1 ] && command -v socat >/dev/null; then
	# Reachable from this machine: socat on 127.0.0.1 enters the namespace per connection.
	while ss -ltn "sport = :$DASH_PORT" | grep -q LISTEN; do DASH_PORT=$((DASH_PORT + 1)); done
	socat "TCP-LISTEN:$DASH_PORT,bind=127.0.0.1,reuseaddr,fork" \
		"EXEC:ip netns exec $RUN-mgmt socat STDIO TCP\:127.0.0.1\:8443" 2>/dev/null &
	bg_track $!
	echo "    Open   https://127.0.0.1:$DASH_PORT/   (self-signed; certificate SHA-256 $FPR)"
	echo "    Sign in as admin@example.org with the one-time password: $PW"
	echo "    (it asks for a new password first). The three devices keep running and reporting."
	echo "    From another machine: ssh -L $DASH_PORT:127.0.0.1:$DASH_PORT this-host, then the same URL."
	if [ "$HOLD" -eq 1 ]; then
		read -r -p "    Press Enter to tear the demo down... " _ || true
	elif [ -t 0 ]; then
		read -r -t "$HOLD" -p "    Tearing down in $HOLD s (or press Enter)... " _ || echo
	else
		echo "    Tearing down in $HOLD s (DEMO_HOLD)."
		sleep "$HOLD"
	fi
else
	echo "    Dashboard (inside the namespace $RUN-mgmt): https://127.0.0.1:8443/"
	echo "    First admin: admin@example.org, one-time password: $PW"
	echo "    (\`make demo\` on a terminal, or with DEMO_HOLD=600, keeps it up and reachable on this"
	echo "    machine's 127.0.0.1 while you open it; socat is needed for that)"
fi

step "13. Tear down: the agents, subnetra-mgmtd, every daemon"
for d in $DEVS; do
	kill -TERM "${AGENT[$d]}" 2>/dev/null
	wait "${AGENT[$d]}" 2>/dev/null || fail "${HOST[$d]}'s agent did not exit cleanly (status $?)"
done
echo "    the three agents: stopped cleanly"
kill -TERM "$SRV_PID" 2>/dev/null
wait "$SRV_PID" 2>/dev/null || fail "subnetra-mgmtd did not exit cleanly"
echo "    subnetra-mgmtd: stopped cleanly"
stop_all $DEVS mgmt base || fail "a daemon did not shut down cleanly (see above)"
[ "$(sha256sum /etc/hosts 2>/dev/null)" = "$hosts_sum" ] || fail "/etc/hosts changed"
echo "    The host's /etc/hosts is unchanged; the namespaces and $T go when this script exits."

echo
echo "demo: OK -- three devices joined with codes; the one the admin added through the API"
echo "was on every member's whitelist and in their hosts files within seconds, pinged by name."
exit 0
