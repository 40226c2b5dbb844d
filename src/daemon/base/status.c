/* Base status replies (see status.h).  Only as many nodes as fit are listed. */
#include "daemon/base/status.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "core/outbuf.h"
#include "core/status.h"
#include "core/version.h"
#include "daemon/base/server.h"
#include "daemon/mesh/counters.h"
#include "os/linux/clock.h"

enum { COUNTERS_RESERVE = 8192, EP_TEXT = INET6_ADDRSTRLEN + 16 };

void base_counters_each(const struct base_server *b, base_counter_fn *fn, void *ctx)
{
	const struct base_counters *c = &b->c;
	char name[64];

#define BASE_COUNTER_EACH(n) fn(ctx, #n, c->n);
	BASE_COUNTERS(BASE_COUNTER_EACH)
#undef BASE_COUNTER_EACH
	for (int i = 0; i < REGISTRY_VERDICT_END; i++) {
		snprintf(name, sizeof(name), "base_%s",
			 registry_verdict_name((enum registry_verdict)i));
		fn(ctx, name, b->reg.count[i]);
	}
	mesh_reason_counters_each(c->msg, c->hs, c->data, c->basectl, fn, ctx);
}

/* "192.0.2.1:5582" (v4-mapped) or "[2001:db8::1]:5582". */
static void transport_text(const struct registry_transport *tr, char out[EP_TEXT])
{
	char ip[INET6_ADDRSTRLEN];
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (memcmp(tr->addr, v4mapped, sizeof(v4mapped)) == 0) {
		inet_ntop(AF_INET, tr->addr + 12, ip, sizeof(ip));
		snprintf(out, EP_TEXT, "%s:%u", ip, tr->port);
	} else {
		inet_ntop(AF_INET6, tr->addr, ip, sizeof(ip));
		snprintf(out, EP_TEXT, "[%s]:%u", ip, tr->port);
	}
}

static void metrics_counter(void *ctx, const char *name, uint64_t v)
{
	outbuf_printf(ctx, "subnetra_base_%s %" PRIu64 "\n", name, v);
}

/* Calls fn for every live registered node, while there is room. */
static size_t each_node(const struct base_server *b, struct outbuf *o, size_t cap,
			bool json, uint64_t now)
{
	char addr[IDENTITY_ADDR_TEXT], ep[EP_TEXT], rid[2 * BASECTL_RELAY_ID_LEN + 1];
	size_t shown = 0;

	for (uint32_t i = 0; i < b->reg.cap && o->len + COUNTERS_RESERVE < cap; i++) {
		const struct registry_node *rn = &b->reg.node[i];
		uint64_t age;
		const char *tr;

		if (!rn->used || now - rn->refreshed >= REGISTRY_EXPIRY_NS)
			continue;
		age = (now - rn->refreshed) / REGISTRY_NS_PER_S;
		tr = rn->tr.kind == REGISTRY_TCP ? "tcp" : "udp";
		identity_address_format(rn->addr, addr);
		transport_text(&rn->tr, ep);
		sodium_bin2hex(rid, sizeof(rid), rn->relay_id, sizeof(rn->relay_id));
		/* Names are RFC 1123 labels and the rest hex: nothing to escape. */
		if (json) {
			outbuf_printf(o, "%s{\"address\":\"%s\",\"hostname\":",
				      shown ? "," : "", addr);
			if (rn->er.name_len > 0)
				outbuf_printf(o, "\"%s\"", rn->er.name);
			else
				outbuf_puts(o, "null");
			outbuf_printf(o,
				      ",\"transport\":\"%s\",\"endpoint\":\"%s\","
				      "\"relay_id\":\"%s\",\"refreshed_age_s\":%" PRIu64
				      "}",
				      tr, ep, rid, age);
		} else {
			outbuf_printf(
			    o,
			    "  address=%s hostname=%s transport=%s endpoint=%s "
			    "relay_id=%s refreshed=\"%" PRIu64 "s ago\"\n",
			    addr, rn->er.name_len > 0 ? rn->er.name : "-", tr, ep, rid, age);
		}
		shown++;
	}
	return shown;
}

static size_t render(struct base_server *b, char *buf, size_t cap, bool json)
{
	uint64_t now = mono_ns();
	char addr[IDENTITY_ADDR_TEXT];
	struct mesh_counter_json j;
	struct outbuf o;
	size_t shown;

	outbuf_init(&o, buf, cap);
	identity_address_format(b->id.addr, addr);
	if (json) {
		outbuf_printf(
		    &o,
		    "{\"schema_version\":%d,\"version\":\"%s\",\"mode\":\"base\","
		    "\"address\":\"%s\",\"udp_port\":%u,\"probe_port\":%u,\"tcp_port\":%u,"
		    "\"tcp_connections\":%zu,"
		    "\"n_nodes\":%u,\"sessions\":%zu,\"nodes\":[",
		    STATUS_SCHEMA_VERSION, SUBNETRA_VERSION, addr,
		    (unsigned)b->cfg->mesh.udp_port, (unsigned)b->probe_port,
		    (unsigned)b->cfg->mesh.tcp_port,
		    b->n_conns, b->reg.n_nodes, b->n_clients);
		shown = each_node(b, &o, cap, true, now);
		(void)shown;
		outbuf_puts(&o, "],\"counters\":{");
		j = (struct mesh_counter_json){.o = &o, .first = true};
		base_counters_each(b, mesh_counter_json, &j);
		outbuf_puts(&o, "}}\n");
	} else {
		outbuf_printf(&o,
			      "subnetra v%s [running]\nmode=base address=%s udp_port=%u "
			      "probe_port=%u tcp_port=%u tcp_connections=%zu nodes=%u "
			      "sessions=%zu\nnodes:\n",
			      SUBNETRA_VERSION, addr, (unsigned)b->cfg->mesh.udp_port,
			      (unsigned)b->probe_port, (unsigned)b->cfg->mesh.tcp_port, b->n_conns, b->reg.n_nodes,
			      b->n_clients);
		shown = each_node(b, &o, cap, false, now);
		if (shown < b->reg.n_nodes)
			outbuf_printf(&o, "  ... (%u registered, %zu listed)\n",
				      b->reg.n_nodes, shown);
		outbuf_puts(&o, "counters:\n");
		base_counters_each(b, mesh_counter_text, &o);
	}
	return outbuf_finish(&o);
}

static size_t render_metrics(struct base_server *b, char *buf, size_t cap)
{
	struct outbuf o;

	outbuf_init(&o, buf, cap);
	outbuf_printf(&o, "subnetra_up 1\nsubnetra_base_nodes %u\nsubnetra_base_tcp_connections %zu\n",
		      b->reg.n_nodes, b->n_conns);
	base_counters_each(b, metrics_counter, &o);
	return outbuf_finish(&o);
}

size_t base_control_execute(struct base_server *b, enum ctl_kind kind, char *buf,
			    size_t cap)
{
	size_t len;

	switch (kind) {
	case CTL_STATUS:
		len = render(b, buf, cap, false);
		return len > 0 ? len : (size_t)snprintf(buf, cap, "status unavailable\n");
	case CTL_STATUS_JSON:
		len = render(b, buf, cap, true);
		return len > 0 ? len
			       : (size_t)snprintf(buf, cap,
						  "{\"error\":\"status unavailable\"}\n");
	case CTL_METRICS:
		len = render_metrics(b, buf, cap);
		return len > 0 ? len
			       : (size_t)snprintf(buf, cap, "# metrics unavailable\n");
	case CTL_POLICY_SHOW:
	case CTL_POLICY_CHECK:
	case CTL_RELOAD:
	case CTL_SAVE:
		return (size_t)snprintf(buf, cap, "not available in base mode\n");
	default:
		return 0;
	}
}

size_t base_control_hook(void *server, const struct ctl_cmd *cmd, char *buf, size_t cap)
{
	/* A base keeps no whitelist or names: say so rather than stay silent. */
	if (ctl_is_mesh(cmd->kind))
		return (size_t)snprintf(buf, cap,
					"failed: not available in base mode (a mesh node's command)\n");
	return base_control_execute(server, cmd->kind, buf, cap);
}
