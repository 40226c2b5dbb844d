#!/usr/bin/env bash
# Reload without downtime: SIGHUP and `subnetra reload` re-read the config
# and apply it while traffic flows.
#
#    a (10.0.0.2)             hub (udp 18020)            b (10.0.0.3)
#    203.0.113.2                203.0.113.1               203.0.113.3
#         \______________________ br0 (net) ______________________/
#
# Run with one hub worker, then two.  While a pings b through the hub and
# sends it a TCP transfer, the hub is reloaded: with its config unchanged
# (SIGHUP, then `subnetra reload`), with keepalive_secs turned on (applied:
# the hub starts sending keepalives), with other listen_ports (kept, reported
# as needing a restart), and with a config that does not parse (refused
# with the error, exit 1, the running config kept).  Asserts: every echo
# answered, the transfer arrives byte for byte, no drop anywhere, a's and
# b's sessions untouched (no endpoint re-learned, the hub's replies keep
# their sequence numbers), the daemon never exits on SIGHUP (it used to end
# with status 129).  Then b gets a new PSK on both ends (two reloads): a's
# traffic never stops, b's resumes once both ends agree.
# shellcheck source=tests/netns/lib_fault.sh
. "$(dirname "$0")/lib_fault.sh"

require_fault_env
topo_standard
topo_add_node c 203.0.113.4
wait_until 10 nsx c ping -c1 -W1 203.0.113.1 || bail "underlay: c cannot reach the hub"
KEY_C=$(gen_key)

# reload_ok NODE DESC REGEX: `subnetra reload` exits 0 and its reply matches.
reload_ok() {
	local out
	out=$(cli "$1" reload 2>&1)
	check_eq "$2: subnetra reload exits 0" 0 "$?" || diag "$out"
	check_match "$2: reply" "$3" "$out"
}

# edit FILE SED-EXPR: edit a config in place (same inode).
edit() {
	local new
	new=$(sed "$2" "$1") || bail "sed on $1 failed"
	printf '%s\n' "$new" >"$1"
}

run_with_workers() {
	local w=$1 tag="hub workers=$1" H0 H1 A0 A1 pid out NEW
	write_hub_config "$T/hub.json" \
		"\"keepalive_secs\": 0, \"workers\": $w, \"local_tun_ip\": \"10.0.0.1/24\""
	write_spoke_config "$T/a.json" 2 "$KEY_A" '"keepalive_secs": 0'
	write_spoke_config "$T/b.json" 3 "$KEY_B" '"keepalive_secs": 0'
	start_node hub "$T/hub.json"
	cli hub policy add --src 0.0.0.0/0 --dst 10.0.0.1/32 --action forward --target 0 ||
		bail "$tag: policy add for the hub's own address failed"
	start_node a "$T/a.json"
	start_node b "$T/b.json"
	wait_until 10 ping_ok a 10.0.0.3 || bail "$tag: a cannot reach b"
	H0=$(status_json hub) && A0=$(status_json a) || bail "status --json failed"

	# ---- under traffic: four reloads -------------------------------------------------
	head -c $((3 * 1024 * 1024)) /dev/urandom >"$T/blob"
	xfer_server x b 10.0.0.3 7400
	xfer_send x a 10.0.0.3 7400 "$T/blob" $((1024 * 1024)) &
	pid=$!
	nsx a ping -n -i 0.02 -c 250 -W 2 10.0.0.3 >"$T/ping.out" 2>&1 &
	bg_track $!
	wait_until 10 grep -q 'bytes from' "$T/ping.out" || bail "$tag: no echo reply"

	kill -HUP "${NODE_PID[hub]}"
	wait_until 5 grep -q 'subnetrad: reloaded' "${NODE_LOG[hub]}"
	check_match "$tag: SIGHUP reloads (log line)" \
		"^subnetrad: reloaded $T/hub.json: peers: 2 unchanged\$" "$(cat "${NODE_LOG[hub]}")"
	check "$tag: the daemon is still running after SIGHUP" node_running hub
	reload_ok hub "$tag, unchanged config" "^reloaded $T/hub.json: peers: 2 unchanged\$"

	edit "$T/hub.json" 's/"keepalive_secs": 0/"keepalive_secs": 1/'
	reload_ok hub "$tag, keepalive on" "^reloaded .*: peers: 2 unchanged\$"
	# shellcheck disable=SC2317 # called through wait_until
	ka_ge() { [ "$(counter hub keepalive_tx)" -ge "$1" ]; }
	wait_until 5 ka_ge 2
	check_ge "$tag: keepalive_secs applied: the hub sends keepalives" 2 "$(counter hub keepalive_tx)"

	edit "$T/hub.json" 's/"listen_ports": \[18020\]/"listen_ports": [18021]/'
	reload_ok hub "$tag, other listen_ports" \
		'peers: 2 unchanged; kept the running listen_ports \(restart to change it\)$'
	check_match "$tag: status still shows the running port" '^mode=raw_direct local_id=1 udp_port=18020 ' \
		"$(cli hub status)"

	cp "$T/hub.json" "$T/hub.good"
	printf '{ "role": "hub", \n' >"$T/hub.json"
	out=$(cli hub reload 2>&1)
	check_eq "$tag, broken config: subnetra reload exits 1" 1 "$?"
	check_match "$tag, broken config: the reply names the file and the error" \
		"^reload failed: $T/hub.json: .*SyntaxError.*; the running config is kept\$" "$out"
	check_match "$tag, broken config: logged" "^subnetrad: reload failed: $T/hub.json: " \
		"$(cat "${NODE_LOG[hub]}")"
	cat "$T/hub.good" >"$T/hub.json"

	wait "$pid"
	check_eq "$tag: TCP transfer a -> b across the reloads completed" 0 "$?"
	check "$tag: transfer SHA-256 equal" same_file "$T/blob" "$T/x.out"
	wait_until 15 grep -q 'packets transmitted' "$T/ping.out"
	check_match "$tag: every echo across the reloads answered" \
		'250 packets transmitted, 250 received' "$(cat "$T/ping.out")"
	H1=$(status_json hub) && A1=$(status_json a) || bail "status --json failed"
	check_eq "$tag: no drop on the hub" 0 "$(($(drop_total "$H1") - $(drop_total "$H0")))"
	check_eq "$tag: no drop on a" 0 "$(($(drop_total "$A1") - $(drop_total "$A0")))"
	check_eq "$tag: no endpoint re-learned (sessions kept)" 0 \
		"$(delta "$H0" "$H1" udp_endpoint_learned)"
	check_match "$tag: a still online on the hub" '"online":true' "$(json_peer "$H1" 2)"

	# ---- b gets a new key on both ends ---------------------------------------------------
	NEW=$(gen_key)
	edit "$T/hub.json" "s/$KEY_B/$NEW/"
	nsx a ping -n -i 0.02 -c 150 -W 2 10.0.0.1 >"$T/ping-a.out" 2>&1 &
	bg_track $!
	wait_until 10 grep -q 'bytes from' "$T/ping-a.out" || bail "$tag: a -> hub gets no reply"
	reload_ok hub "$tag, b rekeyed on the hub" '^reloaded .*: peers: 1 unchanged, 1 changed \(3\)'
	check_eq "$tag: until b has the key too, b -> hub fails" 0 \
		"$(ping_received b -n -c 2 -i 0.1 -W 1 10.0.0.1)"
	edit "$T/b.json" "s/$KEY_B/$NEW/"
	reload_ok b "$tag, b rekeyed on b" '^reloaded .*: peers: 0 unchanged, 1 changed \(1\)$'
	wait_until 10 ping_ok b 10.0.0.1
	check_eq "$tag: b -> hub with the new key 5/5" 5 "$(ping_received b -n -c 5 -i 0.05 -W 2 10.0.0.1)"
	wait_until 15 grep -q 'packets transmitted' "$T/ping-a.out"
	check_match "$tag: a -> hub never stopped during b's rekey" \
		'150 packets transmitted, 150 received' "$(cat "$T/ping-a.out")"

	# ---- a peer added, then one removed ------------------------------------------------
	# c (id 4) joins: the hub's derived policy gains its route, the rule
	# added at run time (the hub's own address) stays.
	edit "$T/hub.json" "s|^    { \"id\": 3, \(.*\) }\$|    { \"id\": 3, \1 },\n    { \"id\": 4, \"endpoint\": \"203.0.113.4:18020\", \"allowed_src\": \"10.0.0.4/32\", \"psk\": \"$KEY_C\" }|"
	check "$tag: the new hub config is valid" "$SUBNETRAD" --check --config "$T/hub.json"
	reload_ok hub "$tag, c added" '^reloaded .*: peers: 2 unchanged, 1 added \(4\)'
	write_spoke_config "$T/c.json" 4 "$KEY_C" '"keepalive_secs": 0'
	start_node c "$T/c.json"
	wait_until 10 ping_ok c 10.0.0.2
	check_eq "$tag: the added peer reaches a through the hub 5/5" 5 \
		"$(ping_received c -n -c 5 -i 0.05 -W 2 10.0.0.2)"
	out=$(cli hub policy show)
	check_match "$tag: the derived route to the added peer" \
		'^policy add --src 0\.0\.0\.0/0 --dst 10\.0\.0\.4/32 --action forward --target 4$' "$out"
	check_match "$tag: the rule added at run time is still there" \
		'^policy add --src 0\.0\.0\.0/0 --dst 10\.0\.0\.1/32 --action forward --target 0$' "$out"
	# b leaves.
	edit "$T/hub.json" '/"id": 3,/d'
	reload_ok hub "$tag, b removed" '^reloaded .*: peers: 2 unchanged, 1 removed \(3\)'
	check_eq "$tag: a -> b fails once b is removed" 0 "$(ping_received a -n -c 2 -i 0.1 -W 1 10.0.0.3)"
	check_eq "$tag: a -> c still 5/5" 5 "$(ping_received a -n -c 5 -i 0.05 -W 2 10.0.0.4)"
	check_eq "$tag: the hub lists two peers" "2 4" \
		"$(cli hub status --json | grep -o '"id":[0-9]*' | cut -d: -f2 | tr '\n' ' ' | sed 's/ $//')"
	check_fails "$tag: no route to b left" grep -q -- '--dst 10\.0\.0\.3/32' <<<"$(cli hub policy show)"

	stop_node a
	stop_node b
	stop_node c
	stop_node hub
}

run_with_workers 1
run_with_workers 2
done_testing
