/*
 * The network plan: built once from the config (netplan_build), printed as
 * iproute2 commands (netplan_render) and applied through rtnetlink by the
 * daemon (netconf.c).  Deterministic: the same config, tun name and path MTU
 * always give the same bytes, so operators can diff plans and tests compare
 * the whole text.
 *
 * Every command is idempotent ("ip addr replace", "ip route replace", "ip
 * link set"), so the printed plan can run twice, or after the daemon has
 * applied it itself, and succeed.
 *
 * The recommended tunnel MTU is path_mtu - 64 (wire header 20 + AEAD tag 16 +
 * outer IPv4/UDP 28): 1436 for a 1500-byte path, 0 when the path is <= 64.
 * A route is emitted per peer, masked to its network; a /0 allowed_src is
 * skipped with a comment, since routing the default route into the tunnel
 * would blackhole the host; a hub without local_tun_ip gets no routes at all
 * (netplan.h says why).
 *
 * The exact text, for tun "snr0", path MTU 1420, local_tun_mtu 1436 and one
 * peer with allowed_src 10.0.0.0/24 (the WARNING pair appears only when
 * local_tun_mtu exceeds the recommendation; the two lines after it read
 * differently with "configure_interface": false; without local_tun_ip the
 * "ip addr replace" line is replaced by the two-line placeholder shown after
 * it; a /0 peer gives the "(peer id ...)" comment instead of a route; when
 * no route at all is emitted, "# (no specific remote subnets configured)"
 * follows the routes heading):
 *
 * # subnetra network plan for interface 'snr0'
 * # underlay path MTU assumed: 1420 (override with --path-mtu N)
 * # tunnel overhead: 64 bytes (wire header 20 + AEAD tag 16 + outer IPv4/UDP 28)
 * # recommended max tunnel MTU for this path: 1356
 * # WARNING: configured local_tun_mtu 1436 exceeds the recommended max 1356;
 * #          packets larger than 1356 bytes may fragment or be silently dropped.
 * # subnetrad applies this plan itself when it starts ("configure_interface": true);
 * # running it by hand as well changes nothing: every command is idempotent.
 *
 * ip link set snr0 mtu 1436 up
 * ip addr replace 10.0.0.2/24 dev snr0
 * # routes to remote subnets reachable via the tunnel:
 * # 10.0.0.0/24: already on-link through the local_tun_ip address
 *
 * # TCP MSS clamp (optional, not applied by this plan): keeps TCP segments
 * # within the tunnel MTU so large transfers do not stall on a PMTU black hole.
 * # nftables, in an existing forward chain (here table inet filter):
 * #   nft add rule inet filter forward oifname "snr0" tcp flags syn tcp option maxseg size set rt mtu
 * # or the iptables equivalent:
 * #   iptables -t mangle -A FORWARD -o snr0 -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu
 *
 * "configure_interface": false:
 * # "configure_interface": false: subnetrad leaves the interface to you; run
 * # this plan after it starts (the TUN exists only while subnetrad runs).
 *
 * Placeholder (local_tun_ip unset):
 * # set the local TUN address (config 'local_tun_ip' is unset):
 * #   ip addr replace <A.B.C.D/prefix> dev snr0
 *
 * /0 peer:
 * # (peer id 2: allowed_src is 0.0.0.0/0 — no route emitted; set a specific prefix)
 *
 * Hub without local_tun_ip, after the routes heading:
 * # (none: a hub without local_tun_ip relays between its peers inside subnetrad
 * #  and this host has no overlay address to use routes with)
 */
#include "core/netplan.h"

#include <stdio.h>
#include <string.h>

#include "core/config_mesh.h"
#include "core/mesh/identity.h"
#include "core/outbuf.h"
#include "core/wire.h"

void netplan_build(const struct config *cfg, struct netplan *plan)
{
	memset(plan, 0, sizeof(*plan));
	plan->mtu = cfg->local_tun_mtu;
	plan->has_addr = cfg->has_local_tun_ip;
	plan->addr = cfg->local_tun_ip;
	plan->relay_only = cfg->role == ROLE_HUB && !cfg->has_local_tun_ip;
	plan->configure = cfg->configure_interface;
	for (size_t i = 0; i < cfg->n_peers && i < MAX_PEERS; i++) {
		const struct peer_config *p = &cfg->peers[i];
		struct netplan_route *r = &plan->routes[plan->n_routes++];

		r->dst = (struct cidr){ .addr = cidr_network(&p->allowed_src),
					.prefix = p->allowed_src.prefix };
		r->peer_id = p->id;
		r->peer = i;
		if (r->dst.prefix == 0)
			r->kind = NETPLAN_SKIP_DEFAULT;
		else if (plan->relay_only)
			r->kind = NETPLAN_SKIP_RELAY;
		/*
		 * The address already installs the on-link route for its
		 * network: a second one would be redundant (and, as "ip route
		 * replace", would turn the kernel's route into a static one).
		 */
		else if (plan->has_addr && plan->addr.prefix == r->dst.prefix &&
			 cidr_network(&plan->addr) == r->dst.addr)
			r->kind = NETPLAN_SKIP_ONLINK;
		else
			r->kind = NETPLAN_ROUTE;
	}
}

static void header(struct outbuf *o, const struct netplan *plan, const char *tun,
		   unsigned path_mtu)
{
	unsigned rec = path_mtu > WIRE_OVERHEAD ? path_mtu - WIRE_OVERHEAD : 0;

	outbuf_printf(o, "# subnetra network plan for interface '%s'\n", tun);
	outbuf_printf(o, "# underlay path MTU assumed: %u (override with --path-mtu N)\n",
		      path_mtu);
	outbuf_printf(o,
		      "# tunnel overhead: %d bytes (wire header %d + AEAD tag %d + outer "
		      "IPv4/UDP %d)\n",
		      WIRE_OVERHEAD, WIRE_HEADER_LEN, WIRE_TAG_LEN, WIRE_OUTER_IPV4_UDP);
	outbuf_printf(o, "# recommended max tunnel MTU for this path: %u\n", rec);
	if (plan->mtu > rec) {
		outbuf_printf(o,
			      "# WARNING: configured local_tun_mtu %u exceeds the "
			      "recommended max %u;\n"
			      "#          packets larger than %u bytes may fragment or "
			      "be silently dropped.\n",
			      plan->mtu, rec, rec);
	}
	if (plan->configure)
		outbuf_printf(
		    o, "# subnetrad applies this plan itself when it starts "
		       "(\"configure_interface\": true);\n"
		       "# running it by hand as well changes nothing: every command is "
		       "idempotent.\n");
	else
		outbuf_printf(
		    o,
		    "# \"configure_interface\": false: subnetrad leaves the interface to "
		    "you; run\n"
		    "# this plan after it starts (the TUN exists only while subnetrad "
		    "runs).\n");
	outbuf_printf(o, "\n");
}

static void routes(struct outbuf *o, const struct netplan *plan, const char *tun)
{
	bool emitted = false;

	outbuf_printf(o, "# routes to remote subnets reachable via the tunnel:\n");
	if (plan->relay_only) {
		outbuf_printf(
		    o,
		    "# (none: a hub without local_tun_ip relays between its peers inside "
		    "subnetrad\n"
		    "#  and this host has no overlay address to use routes with)\n");
		return;
	}
	for (size_t i = 0; i < plan->n_routes; i++) {
		const struct netplan_route *r = &plan->routes[i];
		char s[CIDR_STR_MAX];

		cidr_format(&r->dst, s);
		switch (r->kind) {
		case NETPLAN_SKIP_DEFAULT:
			outbuf_printf(o,
				      "# (peer id %u: allowed_src is 0.0.0.0/0 \u2014 no "
				      "route emitted; set a "
				      "specific prefix)\n",
				      (unsigned)r->peer_id);
			break;
		case NETPLAN_SKIP_ONLINK:
			outbuf_printf(
			    o, "# %s: already on-link through the local_tun_ip address\n",
			    s);
			emitted = true;
			break;
		case NETPLAN_SKIP_RELAY:
			break;
		case NETPLAN_ROUTE:
			outbuf_printf(o, "ip route replace %s dev %s\n", s, tun);
			emitted = true;
			break;
		}
	}
	if (!emitted)
		outbuf_printf(o, "# (no specific remote subnets configured)\n");
}

static void mss_hint(struct outbuf *o, const char *tun)
{
	outbuf_printf(
	    o,
	    "# TCP MSS clamp (optional, not applied by this plan): keeps TCP segments\n"
	    "# within the tunnel MTU so large transfers do not stall on a PMTU black "
	    "hole.\n"
	    "# nftables, in an existing forward chain (here table inet filter):\n");
	outbuf_printf(o,
		      "#   nft add rule inet filter forward oifname \"%s\" tcp flags syn "
		      "tcp option "
		      "maxseg size set rt mtu\n",
		      tun);
	outbuf_printf(o, "# or the iptables equivalent:\n");
	outbuf_printf(o,
		      "#   iptables -t mangle -A FORWARD -o %s -p tcp --tcp-flags "
		      "SYN,RST SYN -j TCPMSS "
		      "--clamp-mss-to-pmtu\n",
		      tun);
}

size_t netplan_render(const struct config *cfg, const char *tun, unsigned path_mtu,
		      char *buf, size_t cap)
{
	struct outbuf o;
	struct netplan plan;

	if (cap == 0)
		return 0;
	/*
	 * Whole lines: a buffer too small gives a shorter plan of complete
	 * lines.  No append is near outbuf_printf's 255 bytes (the longest,
	 * the MSS hint's three lines, is 218; a tun name is 15 at most).
	 */
	outbuf_init(&o, buf, cap);
	if (tun == NULL || tun[0] == '\0')
		tun = "snr0";

	netplan_build(cfg, &plan);
	header(&o, &plan, tun, path_mtu);
	outbuf_printf(&o, "ip link set %s mtu %u up\n", tun, plan.mtu);
	if (plan.has_addr) {
		char s[CIDR_STR_MAX];

		cidr_format(&plan.addr, s); /* as given: the host bits are the address */
		outbuf_printf(&o, "ip addr replace %s dev %s\n", s, tun);
	} else {
		outbuf_printf(
		    &o,
		    "# set the local TUN address (config 'local_tun_ip' is unset):\n"
		    "#   ip addr replace <A.B.C.D/prefix> dev %s\n",
		    tun);
	}
	routes(&o, &plan, tun);
	outbuf_printf(&o, "\n");
	mss_hint(&o, tun);
	return outbuf_finish_cut(&o);
}

/*
 * A mesh node: its overlay address as a /16 without the kernel's prefix
 * route, and fc94::/16 routed through the TUN explicitly, so the plan holds
 * exactly one route for the mesh whatever applied it first.  The MTU
 * comment computes the maximum from the mesh overheads (config_mesh.h).
 */
static void render_mesh_node(struct outbuf *o, const struct config *cfg,
			     const uint8_t addr[IDENTITY_ADDR_LEN], const char *tun,
			     unsigned path_mtu)
{
	unsigned max = mesh_tun_mtu_max(path_mtu);
	char a[IDENTITY_ADDR_TEXT];

	outbuf_printf(o, "# subnetra network plan for interface '%s' (mode \"mesh\")\n", tun);
	outbuf_printf(o, "# underlay path MTU assumed: %u (override with --path-mtu N)\n",
		      path_mtu);
	outbuf_printf(o, "# mesh overhead: %d bytes on the worst path, a relay frame to a base\n",
		      MESH_TUN_OVERHEAD);
	outbuf_printf(o, "#   (outer IPv6 %d + UDP %d + DATA header %d + AEAD tag %d + RELAY "
			 "header %d)\n",
		      MESH_OUTER_IPV6_LEN, MESH_OUTER_UDP_LEN, MSG_DATA_HEADER_LEN, MSG_TAG_LEN,
		      MESH_RELAY_OVERHEAD);
	outbuf_printf(o, "# max TUN MTU for this path: %u - %d = %u\n", path_mtu,
		      MESH_TUN_OVERHEAD, max);
	if (max < MESH_TUN_MTU_MIN)
		outbuf_printf(o, "# WARNING: a %u-byte path is too small for a mesh TUN, which "
				 "needs %d (IPv6 minimum %d + %d)\n",
			      path_mtu, MESH_TUN_MTU_MIN + MESH_TUN_OVERHEAD, MESH_TUN_MTU_MIN,
			      MESH_TUN_OVERHEAD);
	else if (cfg->mesh.mtu > max)
		outbuf_printf(o, "# WARNING: configured mtu %u exceeds the max %u;\n"
				 "#          packets larger than %u bytes may fragment or be "
				 "silently dropped.\n",
			      (unsigned)cfg->mesh.mtu, max, max);
	outbuf_printf(o, "# subnetrad applies this plan itself at start-up (unless "
			 "\"configure_interface\" is false).\n");
	outbuf_printf(o, "# whitelist and host-name changes are kept in %s (state_dir;\n"
			 "#   created 0700 at start-up, for \"user\" when set).\n\n",
		      cfg->mesh.state_dir);
	identity_address_format(addr, a);
	outbuf_printf(o, "ip link set %s mtu %u up\n", tun, (unsigned)cfg->mesh.mtu);
	outbuf_printf(o, "ip -6 addr replace %s/16 dev %s nodad noprefixroute\n", a, tun);
	outbuf_printf(o, "# every mesh address is in fc94::/16, reached through the TUN:\n");
	outbuf_printf(o, "ip -6 route replace fc94::/16 dev %s\n\n", tun);
	mss_hint(o, tun);
}

size_t netplan_render_mesh(const struct config *cfg, const uint8_t addr[IDENTITY_ADDR_LEN],
			   const char *tun, unsigned path_mtu, char *buf, size_t cap)
{
	struct outbuf o;

	if (cap == 0)
		return 0;
	outbuf_init(&o, buf, cap);
	if (tun == NULL || tun[0] == '\0')
		tun = "snr0";
	if (cfg->mode == CONFIG_MODE_MESH) {
		render_mesh_node(&o, cfg, addr, tun, path_mtu);
		return outbuf_finish_cut(&o);
	}
	outbuf_printf(&o, "# subnetra network plan (mode \"base\")\n"
			  "# a base has no TUN: it registers nodes, answers their lookups and "
			  "relays their\n"
			  "# end-to-end encrypted frames, so this host needs no address, route "
			  "or MTU.\n");
	if (cfg->mesh.probe_port != 0)
		outbuf_printf(&o, "# it listens on UDP %u, UDP %u (the NAT probe) and TCP %u: let "
				  "them through the firewall.\n",
			      (unsigned)cfg->mesh.udp_port, (unsigned)cfg->mesh.probe_port,
			      (unsigned)cfg->mesh.tcp_port);
	else
		outbuf_printf(&o, "# it listens on UDP %u and TCP %u: let both through the "
				  "firewall.\n",
			      (unsigned)cfg->mesh.udp_port, (unsigned)cfg->mesh.tcp_port);
	return outbuf_finish_cut(&o);
}
