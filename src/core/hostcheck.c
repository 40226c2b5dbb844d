/*
 * Config against host (see hostcheck.h).  The rules read only the struct
 * host_net they are given, so unit tests hand them any host they like.
 *
 * Each host entry is reported at most once, by the strongest rule first
 * (a refusal before an overlap), and an interface's on-link route is not
 * reported again after its address was: one cause, one line.
 */
#include "core/hostcheck.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void add(struct hostcheck_report *out, const char *file, bool refuses,
		const char *path, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static void add(struct hostcheck_report *out, const char *file, bool refuses,
		const char *path, const char *name, const char *fmt, ...)
{
	struct hostcheck_finding *f;
	va_list ap;

	if (out->n == HOSTCHECK_MAX) {
		out->more++;
		return;
	}
	f = &out->f[out->n++];
	memset(f, 0, sizeof(*f));
	f->refuses_start = refuses;
	snprintf(f->err.file, sizeof(f->err.file), "%s", file ? file : "config.json");
	snprintf(f->err.path, sizeof(f->err.path), "%s", path);
	f->err.name = name;
	va_start(ap, fmt);
	vsnprintf(f->err.detail, sizeof(f->err.detail), fmt, ap);
	va_end(ap);
}

static struct cidr network_of(const struct cidr *c)
{
	return (struct cidr){ .addr = cidr_network(c), .prefix = c->prefix };
}

static bool same_net(const struct cidr *a, const struct cidr *b)
{
	return a->prefix == b->prefix && cidr_network(a) == cidr_network(b);
}

/* The network local_tun_ip puts on-link (none for a /32). */
static bool onlink_net(const struct netplan *plan, struct cidr *out)
{
	if (!plan->has_addr || plan->addr.prefix == 32)
		return false;
	*out = network_of(&plan->addr);
	return true;
}

bool hostcheck_wanted(const struct config *cfg, const struct netplan *plan,
		      const struct cidr *c, bool is_route)
{
	struct cidr onlink;

	if (!is_route)
		return cidr_overlap(&cfg->virtual_subnet, c) ||
		       (plan->has_addr && c->addr == plan->addr.addr);
	if (c->prefix == 0)
		return false;
	if (cidr_overlap(&cfg->virtual_subnet, c))
		return true;
	if (onlink_net(plan, &onlink) && same_net(&onlink, c))
		return true;
	for (size_t i = 0; i < plan->n_routes; i++)
		if (plan->routes[i].kind == NETPLAN_ROUTE && same_net(&plan->routes[i].dst, c))
			return true;
	return false;
}

void hostcheck_route_str(const struct host_route *r, char *buf, size_t cap)
{
	char dst[CIDR_STR_MAX], gw[IPV4_STR_MAX];

	cidr_format(&r->dst, dst);
	ipv4_format(r->gateway, gw);
	if (r->ifname[0] == '\0')
		snprintf(buf, cap, "%s%s%s (multipath)", dst, r->has_gateway ? " via " : "",
			 r->has_gateway ? gw : "");
	else
		snprintf(buf, cap, "%s%s%s dev %s", dst, r->has_gateway ? " via " : "",
			 r->has_gateway ? gw : "", r->ifname);
}

/* Is route r the on-link route of an address already reported on its interface? */
static bool route_of_reported_addr(const struct host_net *host, const bool *addr_done,
				   const struct host_route *r)
{
	for (size_t i = 0; i < host->n_addrs; i++)
		if (addr_done[i] && strcmp(host->addrs[i].ifname, r->ifname) == 0 &&
		    same_net(&host->addrs[i].addr, &r->dst))
			return true;
	return false;
}

static void refusals(const struct netplan *plan, const char *file,
		     const struct host_net *host, bool *addr_done, bool *route_done,
		     struct hostcheck_report *out)
{
	char a[CIDR_STR_MAX], b[CIDR_STR_MAX], rs[96], path[64];
	struct cidr onlink;

	if (plan->has_addr) {
		cidr_format(&plan->addr, a);
		for (size_t i = 0; i < host->n_addrs; i++) {
			const struct host_addr *h = &host->addrs[i];
			char ip[IPV4_STR_MAX];

			if (h->addr.addr != plan->addr.addr)
				continue;
			ipv4_format(h->addr.addr, ip);
			cidr_format(&h->addr, b);
			add(out, file, true, "local_tun_ip", "AddressInUse",
			    "\"%s\": %s is already an address of %s (%s); pick another "
			    "local_tun_ip or remove it from %s",
			    a, ip, h->ifname, b, h->ifname);
			addr_done[i] = true;
		}
	}
	if (onlink_net(plan, &onlink)) {
		cidr_format(&plan->addr, a);
		cidr_format(&onlink, b);
		for (size_t i = 0; i < host->n_routes; i++) {
			const struct host_route *r = &host->routes[i];

			if (!same_net(&r->dst, &onlink) ||
			    route_of_reported_addr(host, addr_done, r))
				continue;
			hostcheck_route_str(r, rs, sizeof(rs));
			add(out, file, true, "local_tun_ip", "RouteInUse",
			    "\"%s\": this host already routes its network: %s; pick a "
			    "local_tun_ip outside %s or remove that route",
			    a, rs, b);
			route_done[i] = true;
		}
	}
	for (size_t k = 0; k < plan->n_routes; k++) {
		const struct netplan_route *p = &plan->routes[k];

		if (p->kind != NETPLAN_ROUTE)
			continue;
		cidr_format(&p->dst, a);
		snprintf(path, sizeof(path), "peers[%zu].allowed_src", p->peer);
		for (size_t i = 0; i < host->n_routes; i++) {
			const struct host_route *r = &host->routes[i];

			if (route_done[i] || !same_net(&r->dst, &p->dst))
				continue;
			hostcheck_route_str(r, rs, sizeof(rs));
			add(out, file, true, path, "RouteInUse",
			    "\"%s\": this host already routes it: %s, and the plan's route "
			    "would replace it; narrow allowed_src or set "
			    "\"configure_interface\": false",
			    a, rs);
			route_done[i] = true;
		}
	}
}

/*
 * The loops of refusals over the host's addresses and routes again, with
 * other tests, other messages and warnings instead of refusals.
 */
static void overlaps(const struct config *cfg, const char *file, const struct host_net *host,
		     bool *addr_done, const bool *route_done, struct hostcheck_report *out)
{
	char vs[CIDR_STR_MAX], b[CIDR_STR_MAX], rs[96];

	cidr_format(&cfg->virtual_subnet, vs);
	for (size_t i = 0; i < host->n_addrs; i++) {
		const struct host_addr *h = &host->addrs[i];

		if (addr_done[i] || !cidr_overlap(&cfg->virtual_subnet, &h->addr))
			continue;
		cidr_format(&h->addr, b);
		add(out, file, false, "virtual_subnet", "SubnetOverlap",
		    "\"%s\" overlaps %s, an address of %s on this host; choose a "
		    "virtual_subnet this host does not use",
		    vs, b, h->ifname);
		addr_done[i] = true;
	}
	for (size_t i = 0; i < host->n_routes; i++) {
		const struct host_route *r = &host->routes[i];

		if (route_done[i] || r->dst.prefix == 0 ||
		    !cidr_overlap(&cfg->virtual_subnet, &r->dst) ||
		    route_of_reported_addr(host, addr_done, r))
			continue;
		hostcheck_route_str(r, rs, sizeof(rs));
		add(out, file, false, "virtual_subnet", "SubnetOverlap",
		    "\"%s\" overlaps the host route %s; choose a virtual_subnet this "
		    "host does not use",
		    vs, rs);
	}
}

void hostcheck_net(const struct config *cfg, const struct netplan *plan,
		   const char *file_label, const struct host_net *host,
		   struct hostcheck_report *out)
{
	bool addr_done[HOST_NET_MAX] = { false };
	bool route_done[HOST_NET_MAX] = { false };

	memset(out, 0, sizeof(*out));
	if (plan->configure)
		refusals(plan, file_label, host, addr_done, route_done, out);
	overlaps(cfg, file_label, host, addr_done, route_done, out);
}

