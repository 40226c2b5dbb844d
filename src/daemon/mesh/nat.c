/* What kind of NAT this node is behind (see nat.h). */
#include "daemon/mesh/nat.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "daemon/mesh/bases.h"
#include "daemon/mesh/data.h"

static void ep18_of_addr(const union udp_addr *a, uint16_t port, struct ep18 *ep)
{
	ep18_from_ipv6(ep, a->v6.sin6_addr.s6_addr, port);
}

static void classify(struct mesh_node *n, uint64_t now_ns)
{
	struct mesh_bases *bs = n->bases;
	struct nat_obs obs[2 * MESH_MAX_BASES];
	enum nat_class cls;
	size_t k = 0;
	uint8_t flags;

	memset(obs, 0, sizeof(obs));
	for (size_t i = 0; i < bs->n; i++) {
		const struct mesh_base_link *l = &bs->link[i];
		const struct mesh_nat_link *s = &bs->nat.link[i];

		if (l->use_tcp)
			continue;
		if (s->seen_main.port != 0 && now_ns - s->main_ns < MESH_NAT_FRESH_NS) {
			ep18_of_addr(&l->peer->ep, l->cfg->udp_port, &obs[k].dst);
			obs[k++].seen = s->seen_main;
		}
		if (s->seen_probe.port != 0 && now_ns - s->probe_ns < MESH_NAT_FRESH_NS) {
			ep18_of_addr(&l->peer->ep, l->cfg->probe_port, &obs[k].dst);
			obs[k++].seen = s->seen_probe;
		}
	}
	cls = nat_classify(obs, k, bs->rec.ep, bs->rec.n);
	if (cls == bs->nat.cls)
		return;
	fprintf(stderr, "subnetrad: NAT mapping: %s (was %s)\n", nat_class_name(cls),
		nat_class_name((enum nat_class)bs->nat.cls));
	bs->nat.cls = (uint8_t)cls;
	n->c.nat_class_changes++;
	flags = (uint8_t)((bs->rec.nat_flags & ~ER_NAT_EDM) |
			  (cls == NAT_PER_DESTINATION ? ER_NAT_EDM : 0));
	if (flags != bs->rec.nat_flags) {
		/* Peers read it in our record: sign it again and register it. */
		bs->rec.nat_flags = flags;
		mesh_bases_reregister(n, now_ns);
	}
}

static void send_probe(struct mesh_node *n, size_t i, uint64_t now_ns)
{
	struct mesh_base_link *l = &n->bases->link[i];
	struct mesh_nat_link *s = &n->bases->nat.link[i];
	uint8_t buf[MESH_PKT_BUF];
	union udp_addr to = l->peer->ep;
	struct basectl m;
	size_t len;

	if (l->cfg->probe_port == 0 || l->use_tcp || l->peer->ep_len != sizeof(to.v6))
		return;
	memset(&m, 0, sizeof(m));
	m.type = BASECTL_PING;
	randombytes_buf(s->txid, sizeof(s->txid));
	memcpy(m.txid, s->txid, sizeof(m.txid));
	if (basectl_encode(&m, buf + MESH_PKT_OFF, MSG_DATA_MAX_PLAINTEXT, &len) != BASECTL_OK)
		return;
	to.v6.sin6_port = htons(l->cfg->probe_port);
	s->probe_out = true;
	n->c.nat_probes_sent++;
	(void)mesh_peer_send_via(n, l->peer, buf, len, &to, sizeof(to.v6), now_ns);
}

void mesh_nat_observed(struct mesh_node *n, size_t i, uint64_t now_ns)
{
	const struct mesh_base_link *l = &n->bases->link[i];
	struct mesh_nat_link *s = &n->bases->nat.link[i];

	if (l->use_tcp) {
		/* A TCP source port says nothing about the UDP mapping. */
		memset(s, 0, sizeof(*s));
		return;
	}
	/* A new mapping: what the probe port saw of the old one is no pair for it. */
	if (!ep18_equal(&s->seen_main, &l->observed))
		s->seen_probe.port = 0;
	s->seen_main = l->observed;
	s->main_ns = now_ns;
	/* With a probe port that answers, the class waits for its answer (a
	 * fresh pair); without one (or none came), other bases may decide. */
	if (l->cfg->probe_port == 0 || s->probe_out)
		classify(n, now_ns);
	send_probe(n, i, now_ns);
}

bool mesh_nat_pong(struct mesh_node *n, size_t i, const struct basectl *m, uint64_t now_ns)
{
	struct mesh_nat_link *s = &n->bases->nat.link[i];

	if (!s->probe_out || sodium_memcmp(m->txid, s->txid, sizeof(s->txid)) != 0)
		return false;
	s->probe_out = false;
	s->seen_probe = m->observed;
	s->probe_ns = now_ns;
	n->c.nat_probe_pongs++;
	classify(n, now_ns);
	return true;
}

bool mesh_nat_probe_source(const struct mesh_node *n, const struct mesh_peer *p,
			   const union udp_addr *from)
{
	if (n->bases == NULL || from->sa.sa_family != AF_INET6)
		return false;
	for (size_t i = 0; i < n->bases->n; i++) {
		const struct mesh_base_link *l = &n->bases->link[i];

		if (l->peer == p && l->cfg->probe_port != 0 &&
		    ntohs(from->v6.sin6_port) == l->cfg->probe_port &&
		    memcmp(&from->v6.sin6_addr, &p->ep.v6.sin6_addr, 16) == 0)
			return true;
	}
	return false;
}

enum nat_class mesh_nat_class(const struct mesh_node *n)
{
	return n->bases != NULL ? (enum nat_class)n->bases->nat.cls : NAT_UNKNOWN;
}
