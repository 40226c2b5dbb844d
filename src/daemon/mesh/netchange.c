/* Recovery from a change of the node's own network (see netchange.h). */
#include "daemon/mesh/netchange.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/mesh/bases.h"
#include "daemon/mesh/lan.h"
#include "daemon/mesh/path.h"

struct mesh_net {
	struct netwatch w;
	struct netwatch_scan last; /* what the last handled change found */
	unsigned kinds;		   /* NETWATCH_* of the burst waiting; 0: none */
	uint64_t due_ns;	   /* ... handled at this time */
};

bool mesh_net_open(struct mesh_node *n, struct netwatch_scan *scan)
{
	struct mesh_net *m = calloc(1, sizeof(*m));
	int err = m != NULL ? netwatch_open(&m->w) : -ENOMEM;

	memset(scan, 0, sizeof(*scan));
	if (err == 0) {
		err = netwatch_scan(&m->w, scan);
		if (err < 0)
			netwatch_close(&m->w);
	}
	if (err < 0) {
		fprintf(stderr,
			"subnetrad: cannot watch the network (rtnetlink): %s; no candidates, "
			"no recovery on address changes\n",
			strerror(-err));
		free(m);
		memset(scan, 0, sizeof(*scan));
		return false;
	}
	m->last = *scan;
	n->net = m;
	for (size_t i = 0; i < scan->n_ifs; i++)
		if (strcmp(scan->ifs[i].name, n->tun) == 0)
			n->tun_ifindex = scan->ifs[i].ifindex;
	return true;
}

void mesh_net_close(struct mesh_node *n)
{
	if (n->net == NULL)
		return;
	netwatch_close(&n->net->w);
	free(n->net);
	n->net = NULL;
}

int mesh_net_fd(const struct mesh_node *n)
{
	return n->net != NULL ? n->net->w.mon_fd : -1;
}

void mesh_net_readable(struct mesh_node *n, uint64_t now_ns)
{
	struct mesh_net *m = n->net;
	unsigned kinds = 0;

	if (netwatch_drain(&m->w, n->tun_ifindex, &kinds) <= 0)
		return;
	if (m->kinds == 0)
		m->due_ns = now_ns + MESH_NET_SETTLE_NS;
	m->kinds |= kinds;
}

void mesh_net_tick(struct mesh_node *n, uint64_t now_ns)
{
	struct mesh_net *m = n->net;
	struct netwatch_scan scan;

	if (m == NULL || m->kinds == 0 || now_ns < m->due_ns)
		return;
	memset(&scan, 0, sizeof(scan));
	if (netwatch_scan(&m->w, &scan) < 0)
		return; /* kinds stay: tried again on the next tick */
	/*
	 * Address events that leave every link and address as they were (an
	 * IPv6 address's lifetimes refreshed by each router advertisement) are
	 * no change; a link or route event always is (a new gateway can mean a
	 * new NAT with the same addresses).
	 */
	if (!(m->kinds & NETWATCH_LINK_ROUTE) && memcmp(&scan, &m->last, sizeof(scan)) == 0) {
		m->kinds = 0;
		return;
	}
	m->kinds = 0;
	m->last = scan;
	n->c.net_changes++;
	mesh_bases_net_changed(n, &scan, now_ns);
	for (size_t i = 0; i < n->n_peers; i++)
		if (n->peers[i].used && !n->peers[i].is_base)
			mesh_path_reprobe_now(n, &n->peers[i], now_ns);
	mesh_lan_net_changed(n, &scan, now_ns);
	fprintf(stderr, "subnetrad: network changed: %u local candidate(s); re-registered, re-probing\n",
		n->bases != NULL ? (unsigned)n->bases->rec.n : 0);
}
