/* Recovery from a change of the node's own network (see netchange.h). */
#include "daemon/mesh/netchange.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/mesh/bases.h"
#include "daemon/mesh/lan.h"
#include "daemon/mesh/path.h"

bool mesh_net_open(struct mesh_node *n, struct netwatch_scan *scan)
{
	struct netwatch *w = malloc(sizeof(*w));
	int err = w != NULL ? netwatch_open(w) : -ENOMEM;

	memset(scan, 0, sizeof(*scan));
	if (err == 0)
		err = netwatch_scan(w, scan);
	if (err < 0) {
		fprintf(stderr,
			"subnetrad: cannot watch the network (rtnetlink): %s; no candidates, "
			"no recovery on address changes\n",
			strerror(-err));
		if (w != NULL)
			netwatch_close(w);
		free(w);
		memset(scan, 0, sizeof(*scan));
		return false;
	}
	n->net = w;
	for (size_t i = 0; i < scan->n_ifs; i++)
		if (strcmp(scan->ifs[i].name, n->tun) == 0)
			n->tun_ifindex = scan->ifs[i].ifindex;
	return true;
}

void mesh_net_close(struct mesh_node *n)
{
	if (n->net == NULL)
		return;
	netwatch_close(n->net);
	free(n->net);
	n->net = NULL;
}

int mesh_net_fd(const struct mesh_node *n)
{
	return n->net != NULL ? n->net->mon_fd : -1;
}

void mesh_net_readable(struct mesh_node *n, uint64_t now_ns)
{
	if (netwatch_drain(n->net, n->tun_ifindex) <= 0 || n->net_dirty)
		return;
	n->net_dirty = true;
	n->net_due_ns = now_ns + MESH_NET_SETTLE_NS;
}

void mesh_net_tick(struct mesh_node *n, uint64_t now_ns)
{
	struct netwatch_scan scan;

	if (!n->net_dirty || now_ns < n->net_due_ns)
		return;
	n->net_dirty = false;
	if (netwatch_scan(n->net, &scan) < 0)
		return; /* the next event tries again */
	n->c.net_changes++;
	mesh_bases_net_changed(n, &scan, now_ns);
	for (size_t i = 0; i < n->n_peers; i++)
		if (n->peers[i].used && !n->peers[i].is_base)
			mesh_path_reprobe_now(n, &n->peers[i], now_ns);
	mesh_lan_net_changed(n, &scan, now_ns);
	fprintf(stderr, "subnetrad: network changed: %u local candidate(s); re-registered, re-probing\n",
		n->bases != NULL ? (unsigned)n->bases->rec.n : 0);
}
