# The report of `make bench`: reads the raw results and prints the table and
# the target comparisons on stdout; writes the same as JSON to the file named
# by -v json=PATH.  POSIX awk (runs under mawk, Debian's default).
#
# Inputs (tab-separated):
#   META:    key <TAB> value           (machine, versions, options)
#   RESULTS: round <TAB> system <TAB> metric <TAB> value
# Round 0 holds subnetra-bench-wire figures (systems wire-<backend>); the
# peer-scale figures are systems peers-obfs / peers-clear, metrics nN_<what>.
#
# Variables: -v META=PATH -v json=PATH -v systems="a,b,c"

BEGIN {
	FS = "\t"
	# Metric table: key, label, unit, which way is better, ratio columns shown.
	nm = 0
	M("udp_kpps", "UDP flood 1400 B, delivered", "kpps", "higher", 1)
	M("udp_gbps", "UDP flood 1400 B, delivered", "Gbit/s", "higher", 1)
	M("tcp1_gbps", "TCP, 1 stream", "Gbit/s", "higher", 1)
	M("tcp4_gbps", "TCP, 4 streams", "Gbit/s", "higher", 1)
	M("ping_idle_us", "ping RTT, idle (median)", "us", "lower", 1)
	M("ping_load_us", "ping RTT under 1-stream TCP", "us", "lower", 1)
	M("udp_cpu_pct", "daemon CPU, UDP flood (sum)", "%", "lower", 0)
	M("tcp1_cpu_pct", "daemon CPU, TCP 1 stream", "%", "lower", 0)
	M("tcp4_cpu_pct", "daemon CPU, TCP 4 streams", "%", "lower", 0)
	M("udp_rss_mib", "daemon peak RSS, UDP flood", "MiB", "lower", 0)
	M("tcp1_rss_mib", "daemon peak RSS, TCP 1 stream", "MiB", "lower", 0)
	M("tcp4_rss_mib", "daemon peak RSS, TCP 4 streams", "MiB", "lower", 0)
	M("rss_growth_kib", "server daemon RSS growth, steady", "KiB", "lower", 0)
	M("udp_relay_cpu_pct", "relay process CPU, UDP flood", "%", "lower", 0)
	nsys = split(systems, sys_list, ",")
	# Why a management row misses (from profiles of mgmtd: docs/performance.md).
	w = "mgmtd builds and signs the affected bundles one after another on its one event-loop thread and answers them after the batch: Ed25519 hashes each whole payload twice (SHA-512, a third of its CPU at 1,000 peers), and the load generator shares the two cores"
	mgmt_why["mgmt-sqlite", "p99"] = w
	mgmt_why["mgmt-net1000", "p99"] = w
	mgmt_why["mgmt-pg", "p99"] = w "; the second mgmtd hears of the change through the change feed (LISTEN/NOTIFY, on its own connection) and builds its affected devices' bundles with reads of PostgreSQL"
	w = "every device's signed bundle is kept (signed once per version): a network of n devices holds n bundles of n - 1 peers (n squared, 175 KB each at 1,000), which the answers in flight share (no copy per answer); the load generator's memory is not counted"
	mgmt_why["mgmt-sqlite", "rss"] = w
	mgmt_why["mgmt-pg", "rss"] = w
	mgmt_why["mgmt-net1000", "rss"] = w
	mgmt_why["mgmt-sqlite", "writes"] = "each write is a transaction with synchronous=FULL (a WAL fsync per commit) on mgmtd's one event-loop thread; the load generator's TLS clients share the two cores"
	mgmt_why["mgmt-pg", "writes"] = "each write is 11 statements, each a round trip on mgmtd's one store connection, with one synchronous commit (a WAL flush) that holds up the next request; the database, both mgmtd and the load generator share the two cores"
}

function M(key, label, unit, better, ratios) {
	nm++
	mkey[nm] = key
	mlabel[key] = label
	munit[key] = unit
	mbetter[key] = better
	mratio[key] = ratios
}

FILENAME == META { meta[$1] = $2; meta_keys[++nmeta] = $1; next }

{
	k = $2 SUBSEP $3
	if (!(k in cnt))
		order[++nkeys] = k
	cnt[k]++
	val[k, cnt[k]] = $4
	sys_seen[$2] = 1
}

function isnum(s) { return s ~ /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/ }

# Median, min and max of the values of key k into med[k], lo[k], hi[k].
function stats(k,    n, i, j, t, a) {
	n = 0
	for (i = 1; i <= cnt[k]; i++)
		if (isnum(val[k, i]))
			a[++n] = val[k, i] + 0
	if (n == 0)
		return 0
	for (i = 2; i <= n; i++) {
		t = a[i]
		for (j = i - 1; j >= 1 && a[j] > t; j--)
			a[j + 1] = a[j]
		a[j + 1] = t
	}
	med[k] = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	lo[k] = a[1]
	hi[k] = a[n]
	nval[k] = n
	return n
}

function has(s, m) { return ((s SUBSEP m) in med) }
function get(s, m) { return med[s SUBSEP m] }
# Our two modes are one family: mesh-* and subnetra-* are never each
# other's "best other overlay".
function family(s) { sub(/-.*/, "", s); return s == "mesh" ? "subnetra" : s }

function jstr(s) {
	gsub(/\\/, "\\\\", s)
	gsub(/"/, "\\\"", s)
	gsub(/\t/, " ", s)
	return "\"" s "\""
}
function jnum(x) { return isnum(x) ? x + 0 : "null" }

function fmt(x, unit) {
	if (x == "")
		return "-"
	if (unit == "Gbit/s")
		return sprintf("%.2f", x)
	if (unit == "kpps" || unit == "%" || unit == "MiB")
		return sprintf("%.1f", x)
	return sprintf("%.0f", x)
}

# Best median of metric m among systems of another family than s.
function best_other(s, m,    i, o, b, bs) {
	b = ""
	bs = ""
	for (i = 1; i <= nsys; i++) {
		o = sys_list[i]
		if (o == "veth" || family(o) == family(s) || !has(o, m))
			continue
		if (b == "" || (mbetter[m] == "higher" ? get(o, m) > b : get(o, m) < b)) {
			b = get(o, m)
			bs = o
		}
	}
	bo_sys = bs
	return b
}

# One target line; the JSON list is collected alongside.
#   target(name, goal text, measured text, met (1/0/-1 = not measurable), detail)
# why_next: set before a target(); a miss appends it as "why: ...".
function target(name, goal, measured, met, detail,    verdict) {
	verdict = met == 1 ? "met" : (met == 0 ? "MISSED" : "NOT MEASURED")
	if (met == 0 && why_next != "")
		detail = detail (detail == "" ? "" : "; ") "why: " why_next
	why_next = ""
	printf "  %-52s %-18s %-10s %s%s\n", name, goal, measured, verdict,
		detail == "" ? "" : " (" detail ")"
	ntg++
	tj[ntg] = sprintf("{\"name\":%s,\"target\":%s,\"measured\":%s,\"met\":%s,\"detail\":%s}",
		jstr(name), jstr(goal), jstr(measured),
		met == 1 ? "true" : (met == 0 ? "false" : "null"), jstr(detail))
}

# "by how much": the measured/target ratio for a >= goal, target/measured for <=.
function margin_ge(x, goal) {
	return x >= goal ? sprintf("%.0f %% above", 100 * (x / goal - 1)) : sprintf("short by %.0f %%", 100 * (1 - x / goal))
}
function margin_le(x, goal) {
	return x <= goal ? sprintf("%.0f %% below the limit", 100 * (1 - x / goal)) : sprintf("over by %.0f %%", 100 * (x / goal - 1))
}

function target_ratio_ge(name, goal, num_s, num_m, den_s, den_m, what,    r) {
	if (!has(num_s, num_m) || !has(den_s, den_m) || get(den_s, den_m) <= 0) {
		target(name, sprintf(">= %.2fx", goal), "-", -1, "missing " (has(num_s, num_m) ? den_s : num_s) " " what)
		return
	}
	r = get(num_s, num_m) / get(den_s, den_m)
	target(name, sprintf(">= %.2fx", goal), sprintf("%.2fx", r), r >= goal,
		margin_ge(r, goal) "; " num_s " " fmt(get(num_s, num_m), munit[num_m]) " vs " den_s " " fmt(get(den_s, den_m), munit[den_m]) " " munit[num_m])
}

# Relayed packets per CPU-second of the relay process (v1 hub, mesh base):
# datagrams delivered in the UDP flood over the relay's own CPU time.
function relay_pps_per_cpu(s) {
	if (!has(s, "udp_kpps") || !has(s, "udp_relay_cpu_pct") || get(s, "udp_relay_cpu_pct") <= 0)
		return ""
	return get(s, "udp_kpps") * 1000 * 100 / get(s, "udp_relay_cpu_pct")
}

function target_le(name, goal, x, unit, detail) {
	if (x == "")
		target(name, "<= " goal " " unit, "-", -1, detail)
	else
		target(name, "<= " goal " " unit, sprintf("%.1f %s", x, unit), x <= goal,
			margin_le(x, goal) (detail == "" ? "" : "; " detail))
}

# The management server rows of issue 14 ("Speed and scale"), when measured
# (bench/mgmt_rows.sh; one run each, round 0).
function mgmt_targets(    i, s, x, y, k, det, name, got, aff) {
	if (index("," systems, ",mgmt-") == 0)
		return
	printf "\nmanagement server targets (issue 14, \"Speed and scale\"; loopback, simulated devices, every request Ed25519-signed):\n"
	for (i = 1; i <= 3; i++) {
		s = i == 1 ? "mgmt-sqlite" : (i == 2 ? "mgmt-pg" : "mgmt-net1000")
		if (index("," systems ",", "," s ",") == 0)
			continue
		if (!has(s, "devices")) {
			target(s ": one API change to every affected device, p99", "<= 2000 ms", "-", -1,
				"no measurement (bench/mgmt_scale.sh failed: see the log)")
			continue
		}
		name = sprintf("%s: %d devices, %d mgmtd%s", s, get(s, "devices"), get(s, "servers"),
			s == "mgmt-pg" ? " on one PostgreSQL" : (s == "mgmt-net1000" ? ", one network" : ""))
		got = has(s, "got") ? get(s, "got") : 0
		aff = get(s, "affected")
		det = sprintf("p50 %d ms, max %d ms; %d of %d affected got the bundle", get(s, "p50_ms"), get(s, "max_ms"), got, aff)
		if (get(s, "others") > 0)
			det = det sprintf(", %d of %d other polls answered (0 wanted)", get(s, "others_woken"), get(s, "others"))
		det = det sprintf("; mgmtd CPU for the change %d ms", get(s, "cpu0_change_ms") + (has(s, "cpu1_change_ms") ? get(s, "cpu1_change_ms") : 0))
		det = det sprintf("; joins %.0f s, first bundles %.0f s", get(s, "joined_s"), get(s, "first_bundles_s"))
		if (has(s, "recheck_ms") && get(s, "recheck_parked") > 0)
			det = det sprintf("; a change of unknown devices: %d parked polls re-checked in %d ms", get(s, "recheck_polls"), get(s, "recheck_ms"))
		x = has(s, "p99_ms") && got == aff ? get(s, "p99_ms") : ""
		why_next = mgmt_why[s, "p99"]
		if (x == "" && has(s, "p99_ms"))
			target(name ": API change to all affected, p99", "<= 2000 ms", get(s, "p99_ms") " ms", 0, "not every affected device got it; " det)
		else
			target_le(name ": API change to all affected, p99", 2000, x, "ms", det)
		x = ""
		det = ""
		for (k = 0; k < 2; k++) {
			if (!has(s, "rss" k "_parked_kib"))
				continue
			y = get(s, "rss" k "_parked_kib")
			if (has(s, "rss" k "_after_kib") && get(s, "rss" k "_after_kib") > y) y = get(s, "rss" k "_after_kib")
			if (has(s, "rss" k "_writes_kib") && get(s, "rss" k "_writes_kib") > y) y = get(s, "rss" k "_writes_kib")
			if (x == "" || y / 1024 > x) x = y / 1024
			det = det (det == "" ? "" : "; ") sprintf("mgmtd %d: parked %.1f, after the change %.1f MiB", k + 1,
				get(s, "rss" k "_parked_kib") / 1024, get(s, "rss" k "_after_kib") / 1024)
		}
		why_next = mgmt_why[s, "rss"]
		target_le(name ": mgmtd RSS (max)", 256, x, "MiB", det)
		if (has(s, "writes_per_s")) {
			x = get(s, "writes_per_s")
			why_next = mgmt_why[s, "writes"]
			target(name ": API writes per second (device renames)", ">= 200/s", sprintf("%.0f/s", x),
				x >= 200 && get(s, "write_errors") == 0,
				margin_ge(x, 200) sprintf("; %d writes in %.1f s on %d TLS connections, p50 %.1f ms, p99 %.1f ms, %d errors",
					get(s, "writes"), get(s, "writes_s"), get(s, "writers"), get(s, "write_p50_ms"),
					get(s, "write_p99_ms"), get(s, "write_errors")))
		}
	}
}

# The mesh rows of issue 13 ("Speed and scale"), when they were measured.
function mesh_targets(    d, v1, wg, ms, x, y, i, mm, rs, n, det, big, p2, pn, npp, pp, why_relay, why_hs) {
	d = "mesh-direct"
	v1 = "subnetra-direct"
	wg = "wggo"
	if (index("," systems, ",mesh-") == 0)
		return
	printf "\nmesh targets (issue 13, \"Speed and scale\"; UDP datagrams %s B in the mesh: IPv6 inner packets, MTU %s):\n",
		meta["mesh_udp_len"], meta["mesh_mtu"]
	split("tcp1_gbps tcp4_gbps udp_kpps", mm, " ")
	for (i = 1; i <= 3; i++) {
		why_next = "compare the profiles build/bench/profile-mesh-sender.txt, -receiver.txt with profile-spoke.txt, profile-hub.txt"
		target_ratio_ge("mesh direct " mlabel[mm[i]] " vs v1 direct", 0.9, d, mm[i], v1, mm[i], mlabel[mm[i]])
		why_next = "profiles build/bench/profile-mesh-sender.txt, -receiver.txt"
		if (has(v1, mm[i]) && has(wg, mm[i]) && get(wg, mm[i]) > 0)
			why_next = sprintf("in this run v1 direct is %.2fx wggo (noise moves both); %s", get(v1, mm[i]) / get(wg, mm[i]), why_next)
		target_ratio_ge("mesh direct " mlabel[mm[i]] " vs wggo", 1.25, d, mm[i], wg, mm[i], mlabel[mm[i]])
	}
	x = ""
	split("udp_rss_mib tcp1_rss_mib tcp4_rss_mib", rs, " ")
	for (i = 1; i <= 3; i++)
		if (has(d, rs[i]) && (x == "" || hi[d SUBSEP rs[i]] > x))
			x = hi[d SUBSEP rs[i]]
	target_le("mesh direct RSS per node, any workload (max)", 32, x, "MiB", x == "" ? "no measurement" : "")
	if (has("mesh-relay", "udp_kpps") || has("mesh-relay", "tcp1_gbps")) {
		why_relay = "the base sends each relayed datagram as its own message (GSO off in src/daemon/base/rx.c) and a node each RELAY frame with its own sendmsg; profile build/bench/profile-mesh-base.txt; docs/performance.md, Mesh mode"
		why_next = why_relay
		target_ratio_ge("mesh relay-udp TCP 1 stream vs mesh direct", 0.6, "mesh-relay", "tcp1_gbps", d, "tcp1_gbps", "TCP 1 stream")
		why_next = why_relay
		target_ratio_ge("mesh relay-udp UDP pps vs mesh direct", 0.6, "mesh-relay", "udp_kpps", d, "udp_kpps", "UDP")
		x = relay_pps_per_cpu("mesh-relay")
		y = relay_pps_per_cpu("subnetra-relay")
		why_next = why_relay
		if (x == "" || y == "")
			target("base relayed pps per CPU-second vs v1 hub", ">= 2.00x", "-", -1,
				"needs mesh-relay and subnetra-relay in the same run")
		else
			target("base relayed pps per CPU-second vs v1 hub", ">= 2.00x", sprintf("%.2fx", x / y), x / y >= 2,
				margin_ge(x / y, 2) sprintf("; base %.0f kpps/CPU-s (%.0f %% CPU) vs hub %.0f kpps/CPU-s (%.0f %% CPU), UDP flood",
					x / 1000, get("mesh-relay", "udp_relay_cpu_pct"), y / 1000, get("subnetra-relay", "udp_relay_cpu_pct")))
	}
	ms = "mesh-handshake"
	if (has(ms, "initiator_us")) {
		why_hs = "one core, best of 20 slices: other load on the cores raises it (rerun quiet); perf record build-bench/subnetra-bench-mesh"
		why_next = why_hs
		target_le("handshake CPU, initiator", 400, get(ms, "initiator_us"), "us", "subnetra-bench-mesh, one core")
		why_next = why_hs
		target_le("handshake CPU, responder", 400, get(ms, "responder_us"), "us", "subnetra-bench-mesh, one core")
	}
	ms = "mesh-nat"
	if (has(ms, "first_ms")) {
		# The first packet's budget: the lookup (a base round trip), the
		# handshake (a relay round trip and each side's CPU) and the echo
		# itself (a relay round trip).
		x = has("mesh-handshake", "initiator_us") ? (get("mesh-handshake", "initiator_us") + get("mesh-handshake", "responder_us")) / 1000 : 0.8
		y = get(ms, "base_rtt_ms") + 2 * get(ms, "relay_rtt_ms") + x
		why_next = "the first packet waits for the lookup, the handshake and the echo, each a round trip through the daemons; on 2 shared cores scheduling adds to each (rerun quiet)"
		target_le("first packet to a never-seen peer (NAT lab)", sprintf("%.2f", y), get(ms, "first_ms"), "ms",
			sprintf("budget = base RTT %.3f + 2 x relay RTT %.3f + handshake CPU %.2f ms", get(ms, "base_rtt_ms"), get(ms, "relay_rtt_ms"), x))
		why_next = "the first probe round starts when the peer's record arrives; see docs/mesh.md, Direct paths"
		target_le("relay -> direct upgrade (NAT lab, no added delay)", 2000, get(ms, "upgrade_ms"), "ms", "")
		why_next = "3 s heartbeats, both paths after 3.5 s of silence, the relay alone after 10 s (src/daemon/mesh/path.h)"
		target_le("fall-back to the relay after the direct path dies", 15000, get(ms, "fallback_ms"), "ms",
			sprintf("longest gap without replies %.0f ms; new handshakes during it: %s (0: the session carried on)", get(ms, "gap_ms"), get(ms, "rehandshakes")))
	}
	ms = "mesh-flood"
	if (has(ms, "tcp1_gbps") || has(ms, "flood_sent_pps")) {
		det = sprintf("flood %.0f HS_INIT/s sent; node: cookie_replies_sent %s, drop_mesh_hs_under_load %s, rate_limited %s, ratelimit_full %s, bad_mac1 %s, decrypt %s (last round)",
			get(ms, "flood_sent_pps"), val[ms, "flood_cookie_replies_sent", cnt[ms SUBSEP "flood_cookie_replies_sent"]],
			val[ms, "flood_drop_mesh_hs_under_load", cnt[ms SUBSEP "flood_drop_mesh_hs_under_load"]],
			val[ms, "flood_drop_mesh_hs_rate_limited", cnt[ms SUBSEP "flood_drop_mesh_hs_rate_limited"]],
			val[ms, "flood_drop_mesh_hs_ratelimit_full", cnt[ms SUBSEP "flood_drop_mesh_hs_ratelimit_full"]],
			val[ms, "flood_drop_mesh_hs_bad_mac1", cnt[ms SUBSEP "flood_drop_mesh_hs_bad_mac1"]],
			val[ms, "flood_drop_mesh_hs_decrypt", cnt[ms SUBSEP "flood_drop_mesh_hs_decrypt"]])
		why_next = "the node checks mac1 and mac2 (BLAKE2b) of every forged message, and the generator shares the machine's cores with both nodes and iperf3"
		if (has(ms, "tcp1_gbps") && has(d, "tcp1_gbps") && get(d, "tcp1_gbps") > 0) {
			x = get(ms, "tcp1_gbps") / get(d, "tcp1_gbps")
			target("TCP 1 stream under a handshake flood vs without", ">= 80 %", sprintf("%.0f %%", 100 * x), x >= 0.8,
				margin_ge(x, 0.8) sprintf("; %.2f vs %.2f Gbit/s; ", get(ms, "tcp1_gbps"), get(d, "tcp1_gbps")) det)
		} else if (has(d, "tcp1_gbps")) {
			target("TCP 1 stream under a handshake flood vs without", ">= 80 %", "0 %", 0,
				"iperf3 failed under the flood (no throughput recorded); " det)
		} else {
			target("TCP 1 stream under a handshake flood vs without", ">= 80 %", "-", -1, "needs mesh-direct and mesh-flood; " det)
		}
	}
	ms = "mesh-base-scale"
	if (has(ms, "nodes")) {
		n = get(ms, "nodes")
		x = has(ms, "registered") ? get(ms, "registered") : 0
		why_next = sprintf("the base took no session past %s nodes: its capacity, BASE_CLIENTS_MAX in src/daemon/base/server.h",
			has(ms, "base_n_nodes") ? get(ms, "base_n_nodes") : "?")
		target("base: simulated nodes registered", sprintf("%d", n), sprintf("%d", x), x >= n,
			x >= n ? "" : sprintf("short by %d; %s refused (REGISTER_OK status not ok), base n_nodes %s", n - x,
				has(ms, "refused") ? get(ms, "refused") : "?", has(ms, "base_n_nodes") ? get(ms, "base_n_nodes") : "?"))
		y = has(ms, "registered") ? get(ms, "registered") : 0
		x = has(ms, "rss_peak_kib") ? get(ms, "rss_peak_kib") / 1024 : ""
		det = sprintf("idle %.1f MiB, after %.1f MiB", get(ms, "rss_idle_kib") / 1024, get(ms, "rss_kib") / 1024)
		if (y > 0 && y < n && x != "")
			det = det sprintf("; %.1f KiB per registered node: %.1f MiB projected at %d", (x - get(ms, "rss_idle_kib") / 1024) * 1024 / y,
				get(ms, "rss_idle_kib") / 1024 + (x - get(ms, "rss_idle_kib") / 1024) * n / y, n)
		target_le(sprintf("base RSS with %d registered nodes (peak)", y), 64, x, "MiB", det)
	}
	ms = "mesh-peer-scale"
	npp = split(meta["mesh_peers"], pp, " ")
	if (npp >= 2 && has(ms, "n" pp[1] "_pps")) {
		printf "  mesh peer scale (node receiving from N simulated peers, %s s each):", meta["peer_secs"]
		for (i = 1; i <= npp; i++)
			if (has(ms, "n" pp[i] "_pps"))
				printf " %s peers (%s up): %.1f kpps delivered (%.1f kpps per core), sent %.1f kpps, node CPU %.0f %%, RSS %.1f MiB;", pp[i],
					get(ms, "n" pp[i] "_peers_up"), get(ms, "n" pp[i] "_pps") / 1000, get(ms, "n" pp[i] "_pps_per_core") / 1000,
					get(ms, "n" pp[i] "_sent_pps") / 1000, get(ms, "n" pp[i] "_cpu_pct"), get(ms, "n" pp[i] "_rss_kib") / 1024
		printf "\n"
		big = pp[npp]
		p2 = has(ms, "n" pp[1] "_pps_per_core") ? get(ms, "n" pp[1] "_pps_per_core") : 0
		pn = has(ms, "n" big "_pps_per_core") ? get(ms, "n" big "_pps_per_core") : ""
		if (pn == "" || p2 <= 0) {
			target("node pps per core at " big " peers vs " pp[1], ">= 90 %", "-", -1, "no measurement at " big)
		} else {
			why_next = "per-peer state out of cache at " big " peers, or fewer handshakes than peers; perf record -p the node during meshload peers"
			x = pn / p2
			target("node pps per core at " big " peers vs " pp[1], ">= 90 %", sprintf("%.0f %%", 100 * x), x >= 0.9,
				margin_ge(x, 0.9) sprintf("; %.1f vs %.1f kpps per core (delivered %.1f vs %.1f kpps); %s of %s peers completed a handshake",
					pn / 1000, p2 / 1000, get(ms, "n" big "_pps") / 1000, get(ms, "n" pp[1] "_pps") / 1000,
					get(ms, "n" big "_peers_up"), big))
		}
	}
}

END {
	for (i = 1; i <= nkeys; i++)
		stats(order[i])

	# ---- the table ---------------------------------------------------------
	printf "\nsubnetra bench (%s, commit %s): %s rounds x %s s, inner MTU %s\n", meta["date"], meta["commit"],
		meta["rounds"], meta["secs"], meta["inner_mtu"]
	printf "machine: %s, %s cores, kernel %s; load average before/after: %s / %s\n", meta["cpu"], meta["cores"],
		meta["kernel"], meta["load_before"], meta["load_after"]
	printf "wggo: %s; nebula: %s; %s\n", meta["wggo"], meta["nebula"], meta["iperf3"]
	printf "medians of the rounds [min - max]; x veth = median / veth ceiling; x best other = median / best other overlay\n\n"
	printf "%-36s %-24s %9s %21s %7s  %s\n", "metric", "system", "median", "[min - max]", "x veth", "x best other overlay"
	for (mi = 1; mi <= nm; mi++) {
		m = mkey[mi]
		printed = 0
		for (si = 1; si <= nsys; si++) {
			s = sys_list[si]
			if (!has(s, m))
				continue
			k = s SUBSEP m
			xv = "-"
			if (mratio[m] && s != "veth" && has("veth", m) && get("veth", m) > 0)
				xv = sprintf("%.2f", get(s, m) / get("veth", m))
			xb = "-"
			b = best_other(s, m)
			if (s != "veth" && b != "" && b > 0)
				xb = sprintf("%.2f (%s)", get(s, m) / b, bo_sys)
			printf "%-36s %-24s %9s %21s %7s  %s\n", printed ? "" : mlabel[m] " [" munit[m] "]", s,
				fmt(med[k], munit[m]), "[" fmt(lo[k], munit[m]) " - " fmt(hi[k], munit[m]) "]", xv, xb
			printed = 1
			xvj[k] = xv
			xbj[k] = xb
		}
	}

	# ---- subnetra-bench-wire -----------------------------------------------
	printf "\nsubnetra-bench-wire (no I/O, one core, %s-byte packets): ns/packet\n", meta["udp_len"]
	printf "%-12s %10s %10s %10s %10s %10s %10s %12s %12s\n", "backend", "seal AEAD", "wire_seal", "+obfs",
		"open AEAD", "wire open", "+obfs", "seal kpps", "seal GB/s"
	for (wi = 1; wi <= 2; wi++) {
		w = wi == 1 ? "wire-libsodium" : "wire-openssl"
		if (!has(w, "seal_aead_ns"))
			continue
		printf "%-12s %10.0f %10.0f %10.0f %10.0f %10.0f %10.0f %12.1f %12.3f\n", substr(w, 6),
			get(w, "seal_aead_ns"), get(w, "seal_wire_ns"), get(w, "seal_wire_obfs_ns"),
			get(w, "open_aead_ns"), get(w, "open_wire_ns"), get(w, "open_wire_obfs_ns"),
			get(w, "seal_aead_pps") / 1000, meta["udp_len"] / get(w, "seal_aead_ns")
	}
	if (has("wire-openssl", "seal_sodium_ns"))
		printf "(same run, OpenSSL build: bare libsodium seal %.0f ns, open %.0f ns)\n",
			get("wire-openssl", "seal_sodium_ns"), get("wire-openssl", "open_sodium_ns")

	# ---- peer scale ----------------------------------------------------------
	npeer = split(meta["peers"], peer_sizes, " ")
	if (npeer > 0) {
		printf "\npeer scale: one hub (MAX_PEERS=1024 build, CPU 1), loadgen N peers (CPU 0), %s s per point\n", meta["peer_secs"]
		printf "%-6s %-6s %10s %8s %13s %11s %10s %11s %9s %10s %10s %10s\n", "mode", "peers", "hub kpps", "hub CPU",
			"kpps per core", "vs 2 peers", "sent kpps", "sock drops", "CPU wait", "RSS idle", "RSS load", "growth"
		for (pm = 1; pm <= 2; pm++) {
			ps = pm == 1 ? "peers-obfs" : "peers-clear"
			base = has(ps, "n2_pps_per_core") ? get(ps, "n2_pps_per_core") : ""
			for (pi = 1; pi <= npeer; pi++) {
				n = peer_sizes[pi]
				if ((ps SUBSEP "n" n "_error") in cnt) {
					printf "%-6s %-6s refused by the hub: %s\n", substr(ps, 7), n, val[ps, "n" n "_error", 1]
					if (!has(ps, "n" n "_fallback"))
						continue
					n = get(ps, "n" n "_fallback")
				}
				if (!has(ps, "n" n "_pps"))
					continue
				ppc = get(ps, "n" n "_pps_per_core")
				printf "%-6s %-6s %10.1f %7.0f%% %13.1f %11s %10.1f %10.1fk %8.0f%% %9.1fM %9.1fM %8dK\n", substr(ps, 7), n,
					get(ps, "n" n "_pps") / 1000, get(ps, "n" n "_cpu_pct"), ppc / 1000,
					(base > 0) ? sprintf("%.0f %%", 100 * ppc / base) : "-",
					get(ps, "n" n "_sent_pps") / 1000, get(ps, "n" n "_kernel_drop_pps") / 1000,
					get(ps, "n" n "_runq_wait_pct"),
					get(ps, "n" n "_rss_idle_kib") / 1024,
					get(ps, "n" n "_rss_kib") / 1024, get(ps, "n" n "_rss_growth_kib")
			}
		}
	}

	# ---- targets ---------------------------------------------------------------
	printf "\ntargets (benchmark output, not pass/fail tests; our tunnel = the default build unless named):\n"
	wg = "wggo"
	for (v = 1; v <= 2; v++) {
		sfx = v == 1 ? "" : "-openssl"
		d = "subnetra-direct" sfx
		r = "subnetra-relay" sfx
		if (v == 2 && !has(d, "udp_kpps") && !has(d, "tcp1_gbps"))
			continue
		tag = v == 1 ? "" : " [openssl]"
		target_ratio_ge("TCP 1 stream vs wggo" tag, 1.25, d, "tcp1_gbps", wg, "tcp1_gbps", "TCP 1 stream")
		if (has(d, "tcp1_rss_mib")) {
			x = hi[d SUBSEP "tcp1_rss_mib"]
			target("daemon RSS under TCP load (max)" tag, "<= 32 MiB", sprintf("%.1f MiB", x), x <= 32, margin_le(x, 32))
		} else {
			target("daemon RSS under TCP load (max)" tag, "<= 32 MiB", "-", -1, "no measurement")
		}
		if (has(d, "ping_load_us") && has(wg, "ping_load_us")) {
			x = get(d, "ping_load_us")
			y = get(wg, "ping_load_us")
			target("ping under load vs " wg tag, "<= " sprintf("%.0f us", y), sprintf("%.0f us", x), x <= y, margin_le(x, y))
		} else {
			target("ping under load vs " wg tag, "<= wggo", "-", -1, "missing a measurement")
		}
		fo = ""
		fv = ""
		for (si = 1; si <= nsys; si++) {
			s = sys_list[si]
			if (s == "veth" || family(s) == "subnetra" || !has(s, "udp_kpps"))
				continue
			if (fv == "" || get(s, "udp_kpps") > fv) {
				fv = get(s, "udp_kpps")
				fo = s
			}
		}
		if (fo != "")
			target_ratio_ge("UDP 1400 B pps vs fastest peer (" fo ")" tag, 2, d, "udp_kpps", fo, "udp_kpps", "UDP")
		else
			target("UDP 1400 B pps vs fastest peer" tag, ">= 2.00x", "-", -1, "no peer measured")
		w = v == 1 ? "wire-libsodium" : "wire-openssl"
		if (has(d, "udp_kpps") && has(w, "seal_aead_pps")) {
			x = get(d, "udp_kpps") * 1000 / get(w, "seal_aead_pps")
			target("spoke->hub pps vs bare-AEAD seal rate" tag, ">= 60 %", sprintf("%.0f %%", 100 * x), x >= 0.6,
				margin_ge(x, 0.6) sprintf("; %.1f kpps vs %.1f kpps (%s, one core)", get(d, "udp_kpps"), get(w, "seal_aead_pps") / 1000, substr(w, 6)))
		} else {
			target("spoke->hub pps vs bare-AEAD seal rate" tag, ">= 60 %", "-", -1, "missing a measurement")
		}
		if (v == 2 && !has(r, "udp_kpps")) {
			# relay-openssl is not in the default set: nothing to say.
		} else if (has(r, "udp_kpps") && has(d, "udp_kpps")) {
			x = get(r, "udp_kpps") / get(d, "udp_kpps")
			target("relayed vs direct, UDP pps" tag, ">= 70 %", sprintf("%.0f %%", 100 * x), x >= 0.7,
				margin_ge(x, 0.7) sprintf("; %.1f vs %.1f kpps", get(r, "udp_kpps"), get(d, "udp_kpps")))
		} else {
			target("relayed vs direct, UDP pps" tag, ">= 70 %", "-", -1, "missing a measurement")
		}
		x = ""
		y = ""
		for (si = 1; si <= 2; si++) {
			s = si == 1 ? d : r
			if (has(s, "rss_growth_kib") && (x == "" || hi[s SUBSEP "rss_growth_kib"] > x)) {
				x = hi[s SUBSEP "rss_growth_kib"]
				y = get(s, "rss_growth_kib")
			}
		}
		if (x != "")
			target("hub RSS growth under steady load (max)" tag, "<= 4 KiB (flat)", x " KiB", x <= 4,
				"median " y " KiB; last two thirds of each workload, every round")
		else
			target("hub RSS growth under steady load (max)" tag, "<= 4 KiB (flat)", "-", -1, "no measurement")
	}
	for (pm = 1; pm <= 2; pm++) {
		ps = pm == 1 ? "peers-obfs" : "peers-clear"
		mode = pm == 1 ? "obfuscation on" : "obfuscation off"
		big = peer_sizes[npeer]
		if (npeer < 2 || !has(ps, "n2_pps_per_core"))
			continue
		if ((ps SUBSEP "n" big "_error") in cnt) {
			detail = "the hub refuses the " big "-peer config: " val[ps, "n" big "_error", 1]
			if (has(ps, "n" big "_fallback") && has(ps, "n" get(ps, "n" big "_fallback") "_pps_per_core")) {
				fb = get(ps, "n" big "_fallback")
				detail = detail sprintf("; at %d peers (the most it accepts): %.0f %%", fb,
					100 * get(ps, "n" fb "_pps_per_core") / get(ps, "n2_pps_per_core"))
			}
			target("pps per core at " big " vs 2 peers, " mode, ">= 90 %", "-", -1, detail)
			continue
		}
		if (!has(ps, "n" big "_pps_per_core"))
			continue
		x = get(ps, "n" big "_pps_per_core") / get(ps, "n2_pps_per_core")
		target("pps per core at " big " vs 2 peers, " mode, ">= 90 %", sprintf("%.0f %%", 100 * x), x >= 0.9,
			margin_ge(x, 0.9) sprintf("; %.1f vs %.1f kpps per core", get(ps, "n" big "_pps_per_core") / 1000, get(ps, "n2_pps_per_core") / 1000))
	}
	# Memory per peer: the RSS slope between the smallest and largest measured size.
	for (pm = 1; pm <= 2; pm++) {
		ps = pm == 1 ? "peers-obfs" : "peers-clear"
		lo_n = ""
		hi_n = ""
		for (pi = 1; pi <= npeer; pi++) {
			n = peer_sizes[pi]
			if (has(ps, "n" n "_fallback"))
				n = get(ps, "n" n "_fallback")
			if (!has(ps, "n" n "_rss_kib"))
				continue
			if (lo_n == "" || n + 0 < lo_n + 0) lo_n = n
			if (hi_n == "" || n + 0 > hi_n + 0) hi_n = n
		}
		if (lo_n != "" && hi_n + 0 > lo_n + 0) {
			per = (get(ps, "n" hi_n "_rss_kib") - get(ps, "n" lo_n "_rss_kib")) * 1024 / (hi_n - lo_n)
			printf "  hub memory per peer (%s): %.0f bytes (RSS under load, %s -> %s peers)\n", substr(ps, 7), per, lo_n, hi_n
			perpeer[ps] = per
		}
	}

	mesh_targets()
	mgmt_targets()

	# ---- JSON ---------------------------------------------------------------------
	if (json == "")
		exit 0
	printf "{\n  \"schema\": 1,\n  \"meta\": {" >json
	for (i = 1; i <= nmeta; i++)
		printf "%s\n    %s: %s", (i > 1) ? "," : "", jstr(meta_keys[i]),
			isnum(meta[meta_keys[i]]) ? meta[meta_keys[i]] + 0 : jstr(meta[meta_keys[i]]) >json
	printf "\n  },\n  \"metrics\": {" >json
	for (mi = 1; mi <= nm; mi++) {
		m = mkey[mi]
		printf "%s\n    %s: {\"label\": %s, \"unit\": %s, \"better\": %s}", (mi > 1) ? "," : "", jstr(m),
			jstr(mlabel[m]), jstr(munit[m]), jstr(mbetter[m]) >json
	}
	printf "\n  },\n  \"systems\": {" >json
	first_s = 1
	for (si = 1; si <= nsys; si++) {
		s = sys_list[si]
		printf "%s\n    %s: {", first_s ? "" : ",", jstr(s) >json
		first_s = 0
		first_m = 1
		for (mi = 1; mi <= nm; mi++) {
			m = mkey[mi]
			k = s SUBSEP m
			if (!has(s, m))
				continue
			vals = ""
			for (i = 1; i <= cnt[k]; i++)
				vals = vals (i > 1 ? ", " : "") jnum(val[k, i])
			printf "%s\n      %s: {\"median\": %s, \"min\": %s, \"max\": %s, \"values\": [%s], \"x_veth\": %s, \"x_best_other\": %s, \"best_other\": %s}",
				first_m ? "" : ",", jstr(m), med[k], lo[k], hi[k], vals, jnum(xvj[k]),
				jnum(substr(xbj[k], 1, index(xbj[k] " ", " ") - 1)),
				xbj[k] ~ /\(/ ? jstr(substr(xbj[k], index(xbj[k], "(") + 1, length(xbj[k]) - index(xbj[k], "(") - 1)) : "null" >json
			first_m = 0
		}
		printf "\n    }" >json
	}
	printf "\n  },\n  \"wire\": {" >json
	first_s = 1
	for (wi = 1; wi <= 2; wi++) {
		w = wi == 1 ? "wire-libsodium" : "wire-openssl"
		if (!has(w, "seal_aead_ns"))
			continue
		printf "%s\n    %s: {", first_s ? "" : ",", jstr(substr(w, 6)) >json
		first_s = 0
		first_m = 1
		for (i = 1; i <= nkeys; i++) {
			split(order[i], kk, SUBSEP)
			if (kk[1] != w)
				continue
			printf "%s%s: %s", first_m ? "" : ", ", jstr(kk[2]), jnum(med[order[i]]) >json
			first_m = 0
		}
		printf "}" >json
	}
	printf "\n  },\n  \"peers\": {" >json
	for (pm = 1; pm <= 2; pm++) {
		ps = pm == 1 ? "peers-obfs" : "peers-clear"
		printf "%s\n    %s: {", (pm > 1) ? "," : "", jstr(substr(ps, 7)) >json
		first_m = 1
		for (i = 1; i <= nkeys; i++) {
			split(order[i], kk, SUBSEP)
			if (kk[1] != ps)
				continue
			printf "%s%s: %s", first_m ? "" : ", ", jstr(kk[2]),
				isnum(val[order[i], 1]) ? val[order[i], 1] + 0 : jstr(val[order[i], 1]) >json
			first_m = 0
		}
		if (ps in perpeer)
			printf "%s\"bytes_per_peer\": %.0f", first_m ? "" : ", ", perpeer[ps] >json
		printf "}" >json
	}
	printf "\n  },\n  \"targets\": [" >json
	for (i = 1; i <= ntg; i++)
		printf "%s\n    %s", (i > 1) ? "," : "", tj[i] >json
	printf "\n  ]\n}\n" >json
	close(json)
}
