#!/usr/bin/env bash
# Several workers: reactor threads over a multi-queue TUN and SO_REUSEPORT
# sockets, sharing the peers, the policy and the counters.
#
#            10.0.0.2                 10.0.0.1                 10.0.0.3
#      +--------------+        +------------------+       +--------------+
#      | a  workers 2 |        |  hub  workers 2  |       | b  workers 2 |
#      | snr0: 2 queues        | snr0: 2 queues   |       | snr0: 2 queues
#      |  eth0        |        | :18020 x2 :18023 x2      |  eth0        |
#      +------+-------+        +--------+---------+       +------+-------+
#  203.0.113.2|   -> hub:18020          |203.0.113.1  hub:18023 <-|203.0.113.3
#       ======+============= br0 (namespace net) ===============+======
#
# Asserts: every daemon runs one thread per worker on a multi-queue TUN with
# one socket per port and worker; every thread of every daemon has dropped
# its capabilities and carries the seccomp filter, and the hub's threads all
# run as "nobody"; a second daemon can join neither the TUN nor the ports; pings both ways and spoke -> hub -> spoke
# with the exact counters of a single-threaded daemon (status sums the
# workers); b talks to the hub's second port and every reply (from either
# hub worker) still comes from that port; datagrams from 32 source ports
# (spread over both hub sockets by the kernel's hash) all appear in the
# hub's udp_rx_packets; four parallel TCP transfers to the hub and two
# relayed ones arrive byte for byte (SHA-256); a multi-stream iperf3 runs
# while 64 policy rules are added (all published, none refused by the grace
# period); a new drop rule holds on every worker (64 flows, all dropped);
# roaming; then the spokes restart with one worker against the two-worker
# hub (mixed) and everything still flows; keepalives of a two-worker spoke;
# SIGTERM exits 0 everywhere with no sanitizer report.
# run.sh: exclusive
# run.sh: openssl
# shellcheck source=tests/netns/lib_fault.sh
. "$(dirname "$0")/lib_fault.sh"

require_fault_env
# The hub runs as "nobody": every node gets a socket directory of its own,
# which the daemon creates and hands over (as in t_security.sh).
node_sock() { echo "$T/run-$1/subnetra.sock"; }
topo_standard
chmod 0711 "$T"

# No keepalives: every datagram in the counters below is one we caused.
write_hub_config "$T/hub.json" '"workers": 2, "user": "nobody", "local_tun_ip": "10.0.0.1/24", "listen_ports": [18020, 18023]'
sed -i '0,/"listen_ports": \[18020\],/s///' "$T/hub.json" # the helper's own line goes
write_spoke_config "$T/a.json" 2 "$KEY_A" '"keepalive_secs": 0, "workers": 2'
write_spoke_config "$T/b.json" 3 "$KEY_B" '"keepalive_secs": 0, "workers": 2'
set_hub_endpoint "$T/b.json" 203.0.113.1:18023
start_node hub "$T/hub.json"
cli hub policy add --src 0.0.0.0/0 --dst 10.0.0.1/32 --action forward --target 0 ||
	bail "hub: policy add for its own address failed"
start_node a "$T/a.json"
start_node b "$T/b.json"
ok "hub and two spokes ready, two workers each"

# ---- structure -------------------------------------------------------------------
for n in hub a b; do
	pid=${NODE_PID[$n]}
	# Named worker threads only (a sanitizer runtime may add its own).
	check_eq "$n: one extra worker thread, named subnetrad/w1" "subnetrad/w1" \
		"$(grep -h '^subnetrad/w' /proc/"$pid"/task/*/comm | tr '\n' ' ' | sed 's/ $//')"
	check_match "$n: snr0 is multi-queue with 2 queues" 'multi_queue numqueues 2 ' \
		"$(nsx "$n" ip -d link show "$TUN")"
done
check_eq "hub: two sockets on each listen port" "2 2" \
	"$(nsx hub ss -Hlun 'sport = :18020' | wc -l) $(nsx hub ss -Hlun 'sport = :18023' | wc -l)"
# Confinement is per thread (capabilities, seccomp): workers start after it.
sanitized=0
case $SNR_BUILD in *asan* | *tsan* | *fuzz*) sanitized=1 ;; esac
for n in hub a b; do
	bad=""
	for st in /proc/"${NODE_PID[$n]}"/task/*/status; do
		for c in CapInh CapPrm CapEff CapBnd CapAmb; do
			[ "$(awk -v k="$c:" '$1 == k { print $2 }' "$st")" = 0000000000000000 ] ||
				bad="$bad $c"
		done
		[ "$(awk '$1 == "NoNewPrivs:" { print $2 }' "$st")" = 1 ] || bad="$bad NoNewPrivs"
		[ $sanitized -eq 1 ] || [ "$(awk '$1 == "Seccomp:" { print $2 }' "$st")" = 2 ] ||
			bad="$bad Seccomp"
		[ "$n" != hub ] || [ "$(awk '$1 == "Uid:" { print $3 }' "$st")" = 65534 ] ||
			bad="$bad Uid"
	done
	extra=""
	[ "$n" = hub ] && extra=", uid nobody"
	check_eq "$n: every thread without capabilities, with no_new_privs and seccomp$extra" \
		"" "$bad"
done

# A second daemon must not join the running one's TUN queues or port groups.
out=$(nsx hub env SUBNETRA_SOCK="$T/second.sock" SUBNETRA_TUN="$TUN" "$SUBNETRAD" \
	--config "$T/hub.json" 2>&1 </dev/null)
check_eq "second daemon on the same TUN: exit 1" 1 "$?"
check_match "second daemon on the same TUN: refused, device busy" \
	"cannot create TUN device 'snr0'.*busy.*needs a device of its own" "$out"
out=$(nsx hub env SUBNETRA_SOCK="$T/second.sock" SUBNETRA_TUN=snr9 "$SUBNETRAD" \
	--config "$T/hub.json" 2>&1 </dev/null)
check_eq "second daemon on the same ports: exit 1" 1 "$?"
check_match "second daemon on the same ports: refused, address in use" \
	'cannot bind UDP port 18020: Address (already )?in use' "$out"
check_eq "hub: still two sockets on each listen port" "2 2" \
	"$(nsx hub ss -Hlun 'sport = :18020' | wc -l) $(nsx hub ss -Hlun 'sport = :18023' | wc -l)"

# ---- pings and exact counters -------------------------------------------------------
wait_until 10 ping_ok a 10.0.0.1 || bail "a cannot reach the hub through the tunnel"
wait_until 10 ping_ok b 10.0.0.1 || bail "b cannot reach the hub through the tunnel"
check_eq "a -> hub 10/10" 10 "$(ping_received a -n -c 10 -i 0.02 -W 2 10.0.0.1)"
check_eq "hub -> a 10/10" 10 "$(ping_received hub -n -c 10 -i 0.02 -W 2 10.0.0.2)"
check_eq "hub -> b 10/10" 10 "$(ping_received hub -n -c 10 -i 0.02 -W 2 10.0.0.3)"

PINGS=20 IN=84 WIRE=120
ha0=$(status_json a) && hh0=$(status_json hub) && hb0=$(status_json b) || bail "status --json failed"
check_eq "a -> b through the hub: $PINGS/$PINGS" "$PINGS" \
	"$(ping_received a -n -c "$PINGS" -i 0.02 -W 2 10.0.0.3)"
check_eq "b -> a through the hub: $PINGS/$PINGS" "$PINGS" \
	"$(ping_received b -n -c "$PINGS" -i 0.02 -W 2 10.0.0.2)"
ha1=$(status_json a) && hh1=$(status_json hub) && hb1=$(status_json b) || bail "status --json failed"
for n in a b; do
	case $n in a) j0=$ha0 j1=$ha1 ;; b) j0=$hb0 j1=$hb1 ;; esac
	for c in tun_rx udp_tx udp_rx tun_tx; do
		check_eq "$n: ${c}_packets +$((2 * PINGS)) (summed over workers)" $((2 * PINGS)) \
			"$(delta "$j0" "$j1" "${c}_packets")"
	done
	check_eq "$n: udp_tx_bytes +$((2 * PINGS * WIRE))" $((2 * PINGS * WIRE)) \
		"$(delta "$j0" "$j1" udp_tx_bytes)"
	check_eq "$n: tun_tx_bytes +$((2 * PINGS * IN))" $((2 * PINGS * IN)) \
		"$(delta "$j0" "$j1" tun_tx_bytes)"
	check_eq "$n: no drops" 0 "$(drop_total "$j1")"
	check_eq "$n: hub endpoint never re-learned (replies came from the port it uses)" 0 \
		"$(json_get "$j1" udp_endpoint_learned)"
done
check_eq "hub: udp_rx_packets +$((4 * PINGS)) = what a and b sent" \
	$(($(delta "$ha0" "$ha1" udp_tx_packets) + $(delta "$hb0" "$hb1" udp_tx_packets))) \
	"$(delta "$hh0" "$hh1" udp_rx_packets)"
check_eq "hub: relay_packets +$((4 * PINGS))" $((4 * PINGS)) "$(delta "$hh0" "$hh1" relay_packets)"
check_eq "hub: relay_bytes +$((4 * PINGS * WIRE))" $((4 * PINGS * WIRE)) "$(delta "$hh0" "$hh1" relay_bytes)"
check_eq "hub: udp_tx_packets +0, tun_tx_packets +0 (pure relay)" "0 0" \
	"$(delta "$hh0" "$hh1" udp_tx_packets) $(delta "$hh0" "$hh1" tun_tx_packets)"
check_eq "hub: no drops" 0 "$(drop_total "$hh1")"
check_match "hub: b is at 203.0.113.3:18020" '"endpoint":"203.0.113.3:18020"' "$(json_peer "$hh1" 3)"
check_match "b: the hub is still 203.0.113.1:18023" '"endpoint":"203.0.113.1:18023"' \
	"$(json_peer "$hb1" 1)"

# ---- the counters of both hub sockets are summed ----------------------------------------
# 32 source ports x 5 runts: the kernel's 4-tuple hash spreads them over both
# sockets of the group (all on one: odds 2^-31); each is counted once.
hh0=$(status_json hub)
sent=0
for port in $(seq 41000 41031); do
	out=$(inject a --to 203.0.113.1:18020 --from-port "$port" --runts 5) || bail "udp_inject failed"
	sent=$((sent + $(printf '%s' "$out" | sed -n 's/^sent \([0-9]*\) .*/\1/p')))
done
check_eq "160 runts sent from 32 source ports" 160 "$sent"
# shellcheck disable=SC2317 # called through wait_until
hub_rx_reached() { counter_ge hub udp_rx_packets "$1"; }
wait_until 5 hub_rx_reached $(($(json_get "$hh0" udp_rx_packets) + sent))
hh1=$(status_json hub)
check_eq "hub: udp_rx_packets +$sent exactly" "$sent" "$(delta "$hh0" "$hh1" udp_rx_packets)"
check_eq "hub: drop_udp_auth_or_invalid +$sent exactly" "$sent" \
	"$(delta "$hh0" "$hh1" drop_udp_auth_or_invalid)"

# ---- exact TCP transfers, several flows at once -------------------------------------------
head -c $((4 * 1024 * 1024)) /dev/urandom >"$T/blob"
pids=()
for i in 1 2 3 4; do
	xfer_server "hub$i" hub 10.0.0.1 $((7000 + i))
done
for i in 1 2; do
	xfer_server "b$i" b 10.0.0.3 $((7100 + i))
done
for i in 1 2 3 4; do
	xfer_send "hub$i" a 10.0.0.1 $((7000 + i)) "$T/blob" >/dev/null 2>&1 &
	pids+=($!)
done
for i in 1 2; do
	xfer_send "b$i" a 10.0.0.3 $((7100 + i)) "$T/blob" >/dev/null 2>&1 &
	pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
check_eq "six parallel TCP transfers of 4 MiB completed" 0 "$rc"
for i in 1 2 3 4; do
	check "a -> hub transfer $i: SHA-256 equal" same_file "$T/blob" "$T/hub$i.out"
done
for i in 1 2; do
	check "a -> hub -> b transfer $i: SHA-256 equal" same_file "$T/blob" "$T/b$i.out"
done

# ---- policy adds while a multi-stream iperf3 runs -------------------------------------------
iperf_server hub 10.0.0.1
iperf_client iperf4 a 10.0.0.1 -P 4 -t 4 &
ipid=$!
sleep 1
for i in $(seq 0 63); do
	cli hub policy add --src 0.0.0.0/0 --dst "10.9.$i.0/24" --action drop ||
		not_ok "policy add 10.9.$i.0/24"
done
wait "$ipid"
check_eq "iperf3 -P 4 a -> hub completed during the policy adds" 0 "$?" || diag "$(iperf_error iperf4)"
check_ge "iperf3 -P 4: the receiver got data (Mbit/s)" 1 "$(iperf_mbps iperf4)"
diag "iperf3 -P 4 through two workers each: $(iperf_mbps iperf4) Mbit/s"
shown=$(cli hub policy show)
check_eq "hub: all 64 rules published (policy show)" 64 "$(printf '%s\n' "$shown" | grep -c ' --dst 10\.9\.')"
check_eq "hub: the rules before them are intact" 3 \
	"$(printf '%s\n' "$shown" | grep -cE -- '--dst 10\.0\.0\.[123]/32 --action forward')"
check_fails "hub: no policy add was refused (grace period)" grep -q 'policy add ignored' "${NODE_LOG[hub]}"

# ---- a new rule holds on every worker -----------------------------------------------------
# 64 UDP flows from a (one socket each, so spread over a's TUN queues).
udp_flows() { nsx a bash -c "for p in \$(seq 9000 9063); do echo x >/dev/udp/$1/\$p; done"; }
ha0=$(status_json a) && hh0=$(status_json hub)
udp_flows 10.0.0.77
# shellcheck disable=SC2317
hub_no_route() { [ "$(counter hub drop_udp_no_route)" -ge "$1" ]; }
wait_until 5 hub_no_route $(($(json_get "$hh0" drop_udp_no_route) + 64))
ha1=$(status_json a) && hh1=$(status_json hub)
check_eq "before the rule: 64 flows to 10.0.0.77 reach the hub (no_route there)" 64 \
	"$(delta "$hh0" "$hh1" drop_udp_no_route)"
cli a policy add --src 0.0.0.0/0 --dst 10.0.0.77/32 --action drop
udp_flows 10.0.0.77
# shellcheck disable=SC2317
a_drop_rule() { [ "$(counter a drop_tun_drop_rule)" -ge "$1" ]; }
wait_until 5 a_drop_rule 64
ha2=$(status_json a) && hh2=$(status_json hub)
check_eq "after the rule: a drops all 64 flows itself, on whichever worker" 64 \
	"$(delta "$ha1" "$ha2" drop_tun_drop_rule)"
check_eq "after the rule: a sent none of them" 0 "$(delta "$ha1" "$ha2" udp_tx_packets)"
check_eq "after the rule: nothing more reached the hub" 0 "$(delta "$hh1" "$hh2" drop_udp_no_route)"

# ---- roaming ----------------------------------------------------------------------------------
hh0=$(status_json hub)
nsx a ping -n -i 0.05 -c 100 -W 1 10.0.0.3 >"$T/ping.out" 2>&1 &
ping_pid=$!
bg_track "$ping_pid"
# shellcheck disable=SC2317
replies_ge() { [ "$(grep -c 'bytes from' "$T/ping.out")" -ge "$1" ]; }
wait_until 10 replies_ge 10 || bail "background ping is not getting replies"
nsx a sysctl -qw net.ipv4.conf.eth0.promote_secondaries=1
nsx a ip addr add 203.0.113.12/24 dev eth0 || bail "cannot add 203.0.113.12 on a"
nsx a ip addr del 203.0.113.2/24 dev eth0 || bail "cannot remove 203.0.113.2 from a"
wait "$ping_pid"
missing=""
for seq in $(seq 71 100); do
	grep -q "icmp_seq=$seq " "$T/ping.out" || missing="$missing $seq"
done
check_eq "roaming: the last 30 echoes after the switch were all answered" "" "$missing"
hh1=$(status_json hub)
# Datagrams of the old and the new address may land on different hub
# workers, but only the session's newest datagram moves the endpoint: a late
# old one never flips it back, so exactly one move.
check_eq "roaming: hub learned the new endpoint once" 1 "$(delta "$hh0" "$hh1" udp_endpoint_learned)"
check_match "roaming: hub has a at 203.0.113.12:18020" '"endpoint":"203.0.113.12:18020"' \
	"$(json_peer "$hh1" 2)"
check_eq "roaming: a -> hub 10/10 from the new address" 10 \
	"$(ping_received a -n -c 10 -i 0.02 -W 2 10.0.0.1)"

# ---- mixed: spokes with one worker, hub with two ------------------------------------------------
stop_node a
stop_node b
write_spoke_config "$T/a1.json" 2 "$KEY_A" '"keepalive_secs": 0'
write_spoke_config "$T/b1.json" 3 "$KEY_B" '"keepalive_secs": 0'
set_hub_endpoint "$T/b1.json" 203.0.113.1:18023
start_node a "$T/a1.json"
start_node b "$T/b1.json"
check_eq "mixed: a has no worker thread" 0 "$(cat /proc/"${NODE_PID[a]}"/task/*/comm | grep -c '^subnetrad/w')"
check_fails "mixed: a's snr0 is single-queue" grep -q multi_queue <<<"$(nsx a ip -d link show "$TUN")"
wait_until 10 ping_ok a 10.0.0.3 || not_ok "mixed: a cannot reach b"
check_eq "mixed: a -> b through the hub 20/20" 20 "$(ping_received a -n -c 20 -i 0.02 -W 2 10.0.0.3)"
check_eq "mixed: b -> hub 10/10" 10 "$(ping_received b -n -c 10 -i 0.02 -W 2 10.0.0.1)"
xfer_server mixed b 10.0.0.3 7200
check "mixed: a -> hub -> b TCP transfer completes" xfer_send mixed a 10.0.0.3 7200 "$T/blob"
check "mixed: SHA-256 equal" same_file "$T/blob" "$T/mixed.out"
hb=$(status_json b)
check_eq "mixed: b sees no drops" 0 "$(drop_total "$hb")"

# ---- keepalives from worker 0 of a two-worker spoke -------------------------------------
stop_node a
write_spoke_config "$T/a2.json" 2 "$KEY_A" '"keepalive_secs": 1, "workers": 2'
start_node a "$T/a2.json"
hh0=$(status_json hub)
# shellcheck disable=SC2317
hub_ka_ge() { [ "$(counter hub keepalive_rx)" -ge "$1" ]; }
wait_until 10 hub_ka_ge $(($(json_get "$hh0" keepalive_rx) + 3)) ||
	not_ok "keepalives: the hub did not count 3 within 10 s"
ha=$(status_json a) && hh1=$(status_json hub)
check_ge "keepalives: a sent at least 3" 3 "$(json_get "$ha" keepalive_tx)"
check_ge "keepalives: the hub counted at least 3" 3 "$(delta "$hh0" "$hh1" keepalive_rx)"
check_eq "keepalives: none reached the hub's TUN" 0 "$(delta "$hh0" "$hh1" tun_tx_packets)"
check_eq "keepalives: no drops on a" 0 "$(drop_total "$ha")"
check_eq "keepalives: a -> b still 10/10" 10 "$(ping_received a -n -c 10 -i 0.02 -W 2 10.0.0.3)"

stop_node a
stop_node b
stop_node hub
done_testing
