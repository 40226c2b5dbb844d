/* Mesh status replies (see status.h).  Only as many peers as fit are listed. */
#include "daemon/mesh/status.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/outbuf.h"
#include "core/status.h"
#include "core/version.h"
#include "daemon/mesh/allow.h"
#include "daemon/mesh/bases.h"
#include "daemon/mesh/hosts.h"
#include "daemon/mesh/managed.h"
#include "daemon/mesh/nat.h"
#include "daemon/mesh/node.h"
#include "daemon/mesh/path.h"
#include "os/linux/clock.h"

/* Room kept for the counters after the peers (about 100 of them). */
enum { COUNTERS_RESERVE = 6144, ENDPOINT_TEXT = INET6_ADDRSTRLEN + 24 };

/* "[fe80::1%2]:5582", "192.0.2.1:5582" (v4-mapped), or "none". */
static void endpoint_text(const struct mesh_peer *p, char out[ENDPOINT_TEXT])
{
	const struct sockaddr_in6 *a = &p->ep.v6;
	char ip[INET6_ADDRSTRLEN];

	if (p->ep_len == 0 || a->sin6_family != AF_INET6) {
		snprintf(out, ENDPOINT_TEXT, "none");
		return;
	}
	if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
		inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], ip, sizeof(ip));
		snprintf(out, ENDPOINT_TEXT, "%s:%u", ip, ntohs(a->sin6_port));
		return;
	}
	inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
	if (a->sin6_scope_id != 0)
		snprintf(out, ENDPOINT_TEXT, "[%s%%%u]:%u", ip, (unsigned)a->sin6_scope_id,
			 ntohs(a->sin6_port));
	else
		snprintf(out, ENDPOINT_TEXT, "[%s]:%u", ip, ntohs(a->sin6_port));
}

/* Bases sit in the peer table (for their sessions) but are not peers. */
static size_t n_bases(const struct mesh_node *n)
{
	size_t k = 0;

	for (size_t i = 0; i < n->n_peers; i++)
		k += n->peers[i].is_base;
	return k;
}

/* Seconds since the last handshake; false: none yet. */
static bool handshake_age(const struct mesh_peer *p, uint64_t now_wall, uint64_t *secs)
{
	if (p->handshake_wall_ns == 0)
		return false;
	*secs = now_wall > p->handshake_wall_ns ? (now_wall - p->handshake_wall_ns) / 1000000000u
						: 0;
	return true;
}

/* What its endpoint record says of the peer's NAT: only EDM is reported. */
static const char *peer_nat(const struct mesh_peer *p)
{
	return (p->path.peer_nat_flags & ER_NAT_EDM) ? nat_class_name(NAT_PER_DESTINATION)
						     : NULL;
}

/* "0.41ms", or "-" when not measured. */
static void rtt_text(const struct mesh_peer *p, char out[16])
{
	uint64_t ns;

	if (mesh_path_rtt(p, &ns))
		status_rtt_format(ns, out);
	else
		snprintf(out, 16, "-");
}

static void metrics_counter(void *ctx, const char *name, uint64_t v)
{
	outbuf_printf(ctx, "subnetra_mesh_%s %" PRIu64 "\n", name, v);
}

static size_t render_text(struct mesh_node *n, char *buf, size_t cap)
{
	uint64_t now = wall_ns(), age;
	char addr[IDENTITY_ADDR_TEXT], ep[ENDPOINT_TEXT], ago[16], rtt[16];
	char ver[MANAGED_VERSION_TEXT];
	const char *why;
	struct outbuf o;
	size_t shown = 0;

	outbuf_init(&o, buf, cap);
	identity_address_format(n->id.addr, addr);
	outbuf_printf(&o, "subnetra v%s [running]\nmode=mesh address=%s udp_port=%u tun=%s "
			  "peers=%zu nat=%s\npeers:\n",
		      SUBNETRA_VERSION, addr, (unsigned)n->cfg->mesh.udp_port, n->tun,
		      n->n_peers - n_bases(n), nat_class_name(mesh_nat_class(n)));
	for (; shown < n->n_peers && o.len + COUNTERS_RESERVE < cap; shown++) {
		const struct mesh_peer *p = &n->peers[shown];

		if (p->is_base)
			continue; /* listed under bases: */
		identity_address_format(p->addr, addr);
		endpoint_text(p, ep);
		outbuf_printf(&o, "  address=%s hostname=%s path=%s endpoint=%s", addr,
			      p->hostname[0] != '\0' ? p->hostname : "-", mesh_peer_path(n, p), ep);
		if (handshake_age(p, now, &age)) {
			status_age_format(age, ago);
			outbuf_printf(&o, " handshake=\"%s ago\"", ago);
		} else {
			outbuf_puts(&o, " handshake=never");
		}
		why = mesh_path_why(n, p);
		if (why != NULL)
			outbuf_printf(&o, " relayed_because=\"%s\"", why);
		rtt_text(p, rtt);
		outbuf_printf(&o, " rtt=%s peer_nat=%s", rtt,
			      peer_nat(p) != NULL ? peer_nat(p) : "-");
		outbuf_printf(&o, " candidates=%u upgrades=%" PRIu32 " fallbacks=%" PRIu32,
			      (unsigned)p->path.n_cand, p->path.upgrades, p->path.fallbacks);
		outbuf_printf(&o, " rx_bytes=%" PRIu64 " tx_bytes=%" PRIu64 "\n", p->rx_bytes,
			      p->tx_bytes);
	}
	if (shown < n->n_peers)
		outbuf_printf(&o, "  ... and %zu more\n", n->n_peers - shown);
	mesh_bases_status(n, &o, false);
	managed_version_format(n->managed, ver);
	outbuf_printf(&o, "managed: version %s, %zu peers, %zu servers\n", ver,
		      n->managed->n_peers, n->managed->n_servers);
	outbuf_puts(&o, "counters:\n");
	mesh_counters_each(&n->c, mesh_counter_text, &o);
	return outbuf_finish(&o);
}

static size_t render_json(struct mesh_node *n, char *buf, size_t cap)
{
	uint64_t now = wall_ns(), age, rtt_ns;
	char addr[IDENTITY_ADDR_TEXT], ep[ENDPOINT_TEXT], ver[MANAGED_VERSION_TEXT];
	const char *why;
	struct mesh_counter_json j;
	struct outbuf o;
	size_t shown = 0, listed = 0;

	outbuf_init(&o, buf, cap);
	identity_address_format(n->id.addr, addr);
	outbuf_printf(&o, "{\"schema_version\":%d,\"version\":\"%s\",\"mode\":\"mesh\","
			  "\"address\":\"%s\",\"listen_port\":%u,\"tun\":\"%s\",\"n_peers\":%zu,"
			  "\"nat\":\"%s\",\"peers\":[",
		      STATUS_SCHEMA_VERSION, SUBNETRA_VERSION, addr,
		      (unsigned)n->cfg->mesh.udp_port, n->tun, n->n_peers - n_bases(n),
		      nat_class_name(mesh_nat_class(n)));
	for (; shown < n->n_peers && o.len + COUNTERS_RESERVE < cap; shown++) {
		const struct mesh_peer *p = &n->peers[shown];

		if (p->is_base)
			continue;
		identity_address_format(p->addr, addr);
		endpoint_text(p, ep);
		/* Hostnames are RFC 1123 labels and addresses hex: nothing to escape. */
		outbuf_printf(&o, "%s{\"address\":\"%s\",\"hostname\":", listed++ ? "," : "",
			      addr);
		if (p->hostname[0] != '\0')
			outbuf_printf(&o, "\"%s\"", p->hostname);
		else
			outbuf_puts(&o, "null");
		outbuf_printf(&o, ",\"path\":\"%s\",\"endpoint\":", mesh_peer_path(n, p));
		if (p->ep_len != 0)
			outbuf_printf(&o, "\"%s\"", ep);
		else
			outbuf_puts(&o, "null");
		outbuf_puts(&o, ",\"last_handshake_age_s\":");
		if (handshake_age(p, now, &age))
			outbuf_printf(&o, "%" PRIu64, age);
		else
			outbuf_puts(&o, "null");
		/* The reasons are our own constant strings: nothing to escape. */
		why = mesh_path_why(n, p);
		if (why != NULL)
			outbuf_printf(&o, ",\"relayed_because\":\"%s\"", why);
		else
			outbuf_puts(&o, ",\"relayed_because\":null");
		outbuf_puts(&o, ",\"rtt_ms\":");
		if (mesh_path_rtt(p, &rtt_ns))
			outbuf_printf(&o, "%" PRIu64 ".%03u", rtt_ns / 1000000,
				      (unsigned)(rtt_ns / 1000 % 1000));
		else
			outbuf_puts(&o, "null");
		if (peer_nat(p) != NULL)
			outbuf_printf(&o, ",\"peer_nat\":\"%s\"", peer_nat(p));
		else
			outbuf_puts(&o, ",\"peer_nat\":null");
		outbuf_printf(&o, ",\"candidates\":%u,\"upgrades\":%" PRIu32
				  ",\"fallbacks\":%" PRIu32,
			      (unsigned)p->path.n_cand, p->path.upgrades, p->path.fallbacks);
		outbuf_printf(&o, ",\"rx_bytes\":%" PRIu64 ",\"tx_bytes\":%" PRIu64 "}",
			      p->rx_bytes, p->tx_bytes);
	}
	outbuf_puts(&o, "]");
	mesh_bases_status(n, &o, true);
	managed_version_format(n->managed, ver);
	outbuf_printf(&o, ",\"managed\":{\"version\":\"%s\",\"peers\":%zu,\"servers\":%zu}", ver,
		      n->managed->n_peers, n->managed->n_servers);
	outbuf_puts(&o, ",\"counters\":{");
	j = (struct mesh_counter_json){.o = &o, .first = true};
	mesh_counters_each(&n->c, mesh_counter_json, &j);
	outbuf_puts(&o, "}}\n");
	return outbuf_finish(&o);
}

/*
 * Per peer, labelled by its address: path (an info metric), bytes each way,
 * handshake age and RTT (absent while unknown).  As many as fit.
 */
static void render_metrics_peers(struct mesh_node *n, struct outbuf *o)
{
	uint64_t now = wall_ns(), v;
	char addr[IDENTITY_ADDR_TEXT];

	for (size_t i = 0; i < n->n_peers && o->len + COUNTERS_RESERVE < o->cap; i++) {
		const struct mesh_peer *p = &n->peers[i];

		if (p->is_base)
			continue;
		identity_address_format(p->addr, addr);
		outbuf_printf(o, "subnetra_mesh_peer_path{address=\"%s\",path=\"%s\"} 1\n",
			      addr, mesh_peer_path(n, p));
		outbuf_printf(o, "subnetra_mesh_peer_rx_bytes{address=\"%s\"} %" PRIu64 "\n",
			      addr, p->rx_bytes);
		outbuf_printf(o, "subnetra_mesh_peer_tx_bytes{address=\"%s\"} %" PRIu64 "\n",
			      addr, p->tx_bytes);
		if (handshake_age(p, now, &v))
			outbuf_printf(o,
				      "subnetra_mesh_peer_last_handshake_age_seconds{address=\"%s\"} "
				      "%" PRIu64 "\n",
				      addr, v);
		if (mesh_path_rtt(p, &v))
			outbuf_printf(o,
				      "subnetra_mesh_peer_rtt_seconds{address=\"%s\"} %" PRIu64
				      ".%09" PRIu64 "\n",
				      addr, v / 1000000000, v % 1000000000);
	}
}

static size_t render_metrics(struct mesh_node *n, char *buf, size_t cap)
{
	struct outbuf o;

	outbuf_init(&o, buf, cap);
	outbuf_printf(&o, "subnetra_up 1\nsubnetra_mesh_peers %zu\n", n->n_peers - n_bases(n));
	outbuf_printf(&o, "subnetra_mesh_nat_info{class=\"%s\"} 1\n",
		      nat_class_name(mesh_nat_class(n)));
	outbuf_printf(&o, "subnetra_mesh_managed_peers %zu\nsubnetra_mesh_managed_servers %zu\n",
		      n->managed->n_peers, n->managed->n_servers);
	render_metrics_peers(n, &o);
	mesh_counters_each(&n->c, metrics_counter, &o);
	return outbuf_finish(&o);
}

size_t mesh_control_execute(struct mesh_node *n, const struct ctl_cmd *cmd, char *buf,
			    size_t cap)
{
	size_t len;

	switch (cmd->kind) {
	case CTL_WHITELIST_LS:
	case CTL_WHITELIST_ADD:
	case CTL_WHITELIST_RM:
	case CTL_WHITELIST_ENABLE:
	case CTL_WHITELIST_DISABLE:
		return mesh_allow_execute(n, cmd, buf, cap);
	case CTL_HOSTS_LS:
	case CTL_HOSTS_ADD:
	case CTL_HOSTS_RM:
		return mesh_hosts_execute(n, cmd, buf, cap);
	case CTL_MANAGED_LS:
	case CTL_MANAGED_RELOAD:
		return mesh_managed_execute(n, cmd, buf, cap);
	case CTL_STATUS:
		len = render_text(n, buf, cap);
		return len > 0 ? len : (size_t)snprintf(buf, cap, "status unavailable\n");
	case CTL_STATUS_JSON:
		len = render_json(n, buf, cap);
		return len > 0 ? len
			       : (size_t)snprintf(buf, cap, "{\"error\":\"status unavailable\"}\n");
	case CTL_METRICS:
		len = render_metrics(n, buf, cap);
		return len > 0 ? len : (size_t)snprintf(buf, cap, "# metrics unavailable\n");
	case CTL_POLICY_SHOW:
	case CTL_POLICY_CHECK:
	case CTL_RELOAD:
	case CTL_SAVE:
		return (size_t)snprintf(buf, cap, "not available in mesh mode\n");
	default: /* fire-and-forget policy edits: nothing to edit in mesh mode */
		return 0;
	}
}

size_t mesh_control_hook(void *node, const struct ctl_cmd *cmd, char *buf, size_t cap)
{
	return mesh_control_execute(node, cmd, buf, cap);
}
